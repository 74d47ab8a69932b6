"""Docs v1: reading a document's text and inserting text with documents.batchUpdate.

A document is plain text split into paragraphs; indices count UTF-16 code units like
Google's, and the body starts at 1 after a section break. A Doc exists iff a Drive file with
its id and the Google Docs mime type exists and is not trashed.
"""

from __future__ import annotations

import hashlib
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
    for line in doc.text.split("\n")[:-1]:
        end = index + _units(line) + 1
        run = {"content": line + "\n", "textStyle": {}}
        content.append({
            "startIndex": index,
            "endIndex": end,
            "paragraph": {
                "elements": [{"startIndex": index, "endIndex": end, "textRun": run}],
                "paragraphStyle": {"namedStyleType": "NORMAL_TEXT",
                                   "direction": "LEFT_TO_RIGHT"},
            },
        })
        index = end
    return Reply(body={
        "documentId": document_id,
        "title": file["name"],
        "revisionId": revision_id(document_id, doc),
        "suggestionsViewMode": "SUGGESTIONS_INLINE",
        "body": {"content": content},
    })


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
    text = doc.text
    for number, request in enumerate(requests):
        kinds = [key for key, value in request.items() if value is not None]
        if kinds != ["insertText"]:
            raise ApiError(501, "notImplemented",
                           f"The emulator only implements insertText, not {kinds}.")
        text = _insert_text(text, request["insertText"], number)
    # Writes are all or nothing: the text is stored only once every request applied.
    doc.text = text
    doc.revision += 1
    touch(store, file)
    return Reply(body={
        "documentId": document_id,
        "replies": [{} for _ in requests],
        "writeControl": {"requiredRevisionId": revision_id(document_id, doc)},
    })


def _insert_text(text: str, request: Json, number: int) -> str:
    where = f"Invalid requests[{number}].insertText"
    insertion = request.get("text") or ""
    if not insertion:
        raise invalid(f"{where}: Insert text requests must specify text to insert.")
    location, end_of_segment = request.get("location"), request.get("endOfSegmentLocation")
    if (location is None) == (end_of_segment is None):
        raise invalid(f"{where}: Exactly one of location or endOfSegmentLocation must be set.")
    segment = (location or end_of_segment or {}).get("segmentId")
    if segment:
        raise ApiError(501, "notImplemented", f"{where}: the emulator has no segment {segment}.")
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
    return text[:offset] + insertion + text[offset:]


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
