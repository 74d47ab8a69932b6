"""Docs v1: reading a document and changing it with documents.batchUpdate.

A document is text split into paragraphs, each with a named style and optionally a
list (bullet) it belongs to; indices count UTF-16 code units like Google's, and the body
starts at 1 after a section break. A Doc exists iff a Drive file with its id and the
Google Docs mime type exists and is not trashed. Requests implemented: insertText,
deleteContentRange (inside one paragraph, or of whole paragraphs), updateParagraphStyle
(namedStyleType), createParagraphBullets, deleteParagraphBullets; anything else is a 501.

Sources for the behaviours (Docs API reference, "Requests" page,
https://developers.google.com/docs/api/reference/rest/v1/documents/request, and the
lists guide https://developers.google.com/docs/api/how-tos/lists):
- insertText: "Newline characters ... create a new Paragraph at that index. The paragraph
  style of the new paragraph will be copied from the paragraph at the current insertion
  index, including lists and bullets."
- updateParagraphStyle / createParagraphBullets: they apply to every paragraph that
  overlaps the range; each createParagraphBullets request makes a new list (hence one
  request per run of items; see also the listId note in
  mideliberto/gmail-mcp-extended docs/google-docs-api-lists.md).
- deleteContentRange: "the range cannot include the newline character at the end of the
  segment" (the error Google returns when it does). "Deleting text across paragraph
  boundaries may result in changes to paragraph styles, lists ... as the two paragraphs
  are merged" (DeleteContentRangeRequest): which style the merged paragraph keeps is not
  documented, so the emulator deletes across paragraphs only when whole paragraphs go,
  where nothing merges and the paragraphs left keep their own styles and lists.
- A checklist (BULLET_CHECKBOX) reads back as a list whose glyph type is
  GLYPH_TYPE_UNSPECIFIED, with nothing saying whether an item is ticked
  (googleapis/google-api-nodejs-client#2870; rsheyd/google-docs-markdown-sync v0.8.10
  release notes: "%0 glyph format alongside GLYPH_TYPE_UNSPECIFIED").
- Headings carry a read-only headingId in their paragraphStyle (ParagraphStyle reference:
  "If empty, then this paragraph is not a heading").
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

from tests.emulator.call import Call, Reply, registry
from tests.emulator.drive import DOCUMENT, touch
from tests.emulator.errors import ApiError, invalid, not_found
from tests.emulator.store import Doc, Store

Json = dict[str, Any]
HANDLERS, _register = registry()


def _units(text: str) -> int:
    """Length in UTF-16 code units (an emoji counts 2)."""
    return len(text.encode("utf-16-le")) // 2


def _doc(store: Store, document_id: str) -> tuple[Json, Doc]:
    file = store.files.get(document_id)
    doc = store.docs.get(document_id)
    if file is None or doc is None or file["mimeType"] != DOCUMENT or file["trashed"]:
        raise not_found(f"Requested entity was not found: {document_id}")
    return file, doc


def revision_id(document_id: str, doc: Doc) -> str:
    """An opaque revision id that changes with every write."""
    digest = hashlib.sha1(f"{document_id}:{doc.revision}".encode()).hexdigest()
    return f"AL{digest[:30]}"


@_register("docs.documents.get")
def _get(call: Call) -> Reply:
    document_id = call.params["documentId"]
    file, doc = _doc(call.store, document_id)
    content: list[Json] = [{"endIndex": 1, "sectionBreak": {"sectionStyle": {
        "columnSeparatorStyle": "NONE", "contentDirection": "LEFT_TO_RIGHT",
        "sectionType": "CONTINUOUS",
    }}}]
    index = 1
    doc.paragraphs()
    for number, line in enumerate(doc.text.split("\n")[:-1]):
        end = index + _units(line) + 1
        run = {"content": line + "\n", "textStyle": {}}
        style: Json = {"namedStyleType": doc.styles[number], "direction": "LEFT_TO_RIGHT"}
        if doc.styles[number].startswith("HEADING_"):
            style["headingId"] = "h." + hashlib.sha1(
                f"{document_id}:{index}".encode()).hexdigest()[:12]
        paragraph: Json = {
            "elements": [{"startIndex": index, "endIndex": end, "textRun": run}],
            "paragraphStyle": style,
        }
        if doc.bullets[number] is not None:
            paragraph["bullet"] = {"listId": doc.bullets[number], "textStyle": {}}
        content.append({"startIndex": index, "endIndex": end, "paragraph": paragraph})
        index = end
    body: Json = {
        "documentId": document_id,
        "title": file["name"],
        "revisionId": revision_id(document_id, doc),
        "suggestionsViewMode": "SUGGESTIONS_INLINE",
        "body": {"content": content},
    }
    if doc.lists:
        body["lists"] = {list_id: {"listProperties": {"nestingLevels": [
            _level(preset)] * 9}} for list_id, preset in doc.lists.items()}
    return Reply(body=body)


def _level(preset: str) -> Json:
    """One nesting level of a list as documents.get shows it."""
    level: Json = {"bulletAlignment": "START", "glyphFormat": "%0", "indentFirstLine": {
        "magnitude": 18, "unit": "PT"}, "indentStart": {"magnitude": 36, "unit": "PT"},
        "startNumber": 1, "textStyle": {"underline": False}}
    if preset == "BULLET_CHECKBOX":
        level["glyphType"] = "GLYPH_TYPE_UNSPECIFIED"
    else:
        level["glyphSymbol"] = "●"
    return level


@_register("docs.documents.batchUpdate")
def _batch_update(call: Call) -> Reply:
    store = call.store
    document_id = call.params["documentId"]
    file, doc = _doc(store, document_id)
    body: Json = call.body or {}
    requests: list[Json] = body.get("requests") or []
    if not requests:
        raise invalid("Invalid requests: must contain at least one request.")
    required = (body.get("writeControl") or {}).get("requiredRevisionId")
    if required is not None and required != revision_id(document_id, doc):
        raise ApiError(
            400, "failedPrecondition",
            f"The required revision ID {required!r} does not match the latest revision.",
            status="FAILED_PRECONDITION",
        )
    doc.paragraphs()
    draft = Doc(doc.text, doc.revision, list(doc.styles), list(doc.bullets), dict(doc.lists))
    for number, request in enumerate(requests):
        kinds = [key for key, value in request.items() if value is not None]
        if len(kinds) != 1 or kinds[0] not in _REQUESTS:
            raise ApiError(501, "notImplemented",
                           f"The emulator does not implement {kinds}.")
        _REQUESTS[kinds[0]](draft, request[kinds[0]], f"Invalid requests[{number}].{kinds[0]}",
                            f"{document_id}:{doc.revision}:{number}")
    # Writes are all or nothing: the document changes only once every request applied.
    doc.text, doc.styles, doc.bullets, doc.lists = (
        draft.text, draft.styles, draft.bullets, draft.lists)
    doc.revision += 1
    touch(store, file)
    return Reply(body={
        "documentId": document_id,
        "replies": [{} for _ in requests],
        "writeControl": {"requiredRevisionId": revision_id(document_id, doc)},
    })


_STRIPPED = re.compile("[\x00-\x08\x0c-\x1f\ue000-\uf8ff]")


def _insert_text(doc: Doc, request: Json, where: str, _: str) -> None:
    text = doc.text
    insertion = request.get("text") or ""
    if not insertion:
        raise invalid(f"{where}: Insert text requests must specify text to insert.")
    location, end_of_segment = request.get("location"), request.get("endOfSegmentLocation")
    if (location is None) == (end_of_segment is None):
        raise invalid(f"{where}: Exactly one of location or endOfSegmentLocation must be set.")
    segment = (location or end_of_segment or {}).get("segmentId")
    if segment:
        raise ApiError(501, "notImplemented", f"{where}: the emulator has no segment {segment}.")
    # "Some control characters (U+0000-U+0008, U+000C-U+001F) and characters from the
    # Unicode Basic Multilingual Plane Private Use Area (U+E000-U+F8FF) will be stripped
    # out of the inserted text." (InsertTextRequest,
    # https://developers.google.com/docs/api/reference/rest/v1/documents/request)
    insertion = _STRIPPED.sub("", insertion)
    end = 1 + _units(text)
    # The end of the body is before its final newline, which can never move.
    index = end - 1 if location is None else int(location.get("index", 0))
    if index < 1:
        raise invalid(f"{where}: Index {index} must be greater than or equal to 1.")
    if index >= end:
        raise invalid(f"{where}: Index {index} must be less than the end index of the "
                      f"referenced segment, {end}.")
    offset = _offset(text, index - 1)
    if offset is None:
        raise invalid(f"{where}: Index {index} splits a surrogate pair.")
    # New paragraphs copy the style and list of the paragraph the text goes into.
    at = text.count("\n", 0, offset)
    added = insertion.count("\n")
    doc.styles[at:at] = [doc.styles[at]] * added
    doc.bullets[at:at] = [doc.bullets[at]] * added
    doc.text = text[:offset] + insertion + text[offset:]


def _range(doc: Doc, request: Json, where: str, *, whole: bool) -> tuple[int, int]:
    """The (start, end) offsets into doc.text of a request's range, checked like Google."""
    spec = request.get("range") or {}
    if spec.get("segmentId"):
        raise ApiError(501, "notImplemented", f"{where}: the emulator has no segments.")
    start, end = int(spec.get("startIndex", 0)), int(spec.get("endIndex", 0))
    limit = 1 + _units(doc.text)
    if start < 1 or end <= start:
        raise invalid(f"{where}: The range must have a start index of at least 1 and an "
                      "end index greater than its start index.")
    if end > limit or (not whole and end == limit):
        raise invalid(f"{where}: The range cannot include the newline character at the "
                      "end of the segment.")
    first, last = _offset(doc.text, start - 1), _offset(doc.text, end - 1)
    if first is None or last is None:
        raise invalid(f"{where}: The range splits a surrogate pair.")
    return first, last


def _overlapping(doc: Doc, first: int, last: int) -> range:
    """The paragraphs a [first, last) text range touches."""
    return range(doc.text.count("\n", 0, first), doc.text.count("\n", 0, max(first, last - 1))
                 + 1)


def _delete_range(doc: Doc, request: Json, where: str, _: str) -> None:
    first, last = _range(doc, request, where, whole=False)
    gone = doc.text.count("\n", first, last)
    if gone:
        whole = (first == 0 or doc.text[first - 1] == "\n") and doc.text[last - 1] == "\n"
        if not whole:
            raise ApiError(501, "notImplemented", f"{where}: the emulator deletes inside "
                           "one paragraph or whole paragraphs only.")
        at = doc.text.count("\n", 0, first)
        del doc.styles[at:at + gone], doc.bullets[at:at + gone]
    doc.text = doc.text[:first] + doc.text[last:]


_NAMED = {"NORMAL_TEXT", "TITLE", "SUBTITLE", *(f"HEADING_{n}" for n in range(1, 7))}


def _paragraph_style(doc: Doc, request: Json, where: str, _: str) -> None:
    first, last = _range(doc, request, where, whole=True)
    fields = request.get("fields")
    if not fields:
        raise invalid(f"{where}: fields is required.")
    if fields != "namedStyleType":
        raise ApiError(501, "notImplemented", f"{where}: the emulator sets namedStyleType only.")
    named = (request.get("paragraphStyle") or {}).get("namedStyleType")
    if named not in _NAMED:
        raise invalid(f"{where}: Invalid value at namedStyleType: {named!r}.")
    for number in _overlapping(doc, first, last):
        doc.styles[number] = named


_PRESETS = {"BULLET_CHECKBOX", "BULLET_DISC_CIRCLE_SQUARE", "BULLET_DIAMONDX_ARROW3D_SQUARE"}


def _create_bullets(doc: Doc, request: Json, where: str, seed: str) -> None:
    first, last = _range(doc, request, where, whole=True)
    preset = request.get("bulletPreset")
    if preset not in _PRESETS:
        raise ApiError(501, "notImplemented", f"{where}: no preset {preset!r} in the emulator.")
    list_id = "kix." + hashlib.sha1(seed.encode()).hexdigest()[:12]
    doc.lists[list_id] = str(preset)
    for number in _overlapping(doc, first, last):
        doc.bullets[number] = list_id


def _delete_bullets(doc: Doc, request: Json, where: str, _: str) -> None:
    first, last = _range(doc, request, where, whole=True)
    for number in _overlapping(doc, first, last):
        doc.bullets[number] = None


_REQUESTS = {"insertText": _insert_text, "deleteContentRange": _delete_range,
             "updateParagraphStyle": _paragraph_style,
             "createParagraphBullets": _create_bullets,
             "deleteParagraphBullets": _delete_bullets}


def _offset(text: str, units: int) -> int | None:
    """The str index at a UTF-16 offset; None inside a character that takes two units."""
    count = 0
    for position, character in enumerate(text):
        if count == units:
            return position
        count += 2 if ord(character) > 0xFFFF else 1
        if count > units:
            return None
    return len(text) if count == units else None
