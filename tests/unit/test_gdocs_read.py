"""How a Doc's structure is read back: sections start at dated HEADING_2 paragraphs (not at
text that looks like one), checklist items are task items, a typed [x] ticks one."""

from __future__ import annotations

import datetime as dt
from typing import Any

from syncd.notes.gdocs import ReadCache, _Read

CHECK = {"listProperties": {"nestingLevels": [{"glyphType": "GLYPH_TYPE_UNSPECIFIED"}]}}
DISC = {"listProperties": {"nestingLevels": [{"glyphSymbol": "●"}]}}


def document(*paras: tuple[str, str, str | None]) -> dict[str, Any]:
    content: list[dict[str, Any]] = [{"endIndex": 1, "sectionBreak": {}}]
    index = 1
    for text, style, bullet in paras:
        end = index + len(text) + 1
        para: dict[str, Any] = {"elements": [{"textRun": {"content": text + "\n"}}],
                                "paragraphStyle": {"namedStyleType": style}}
        if bullet:
            para["bullet"] = {"listId": bullet}
        content.append({"startIndex": index, "endIndex": end, "paragraph": para})
        index = end
    return {"revisionId": "r1", "body": {"content": content},
            "lists": {"check": CHECK, "disc": DISC}}


def test_sections_come_from_heading_styles_and_checklists_from_bullets() -> None:
    read = _Read.of(document(
        ("Tue 2026-12-01 10:00 — looks like a heading, is plain text", "NORMAL_TEXT", None),
        ("Wed 2026-12-02 14:00 — 1:1 with Pat (moved from Tue 2026-12-01)", "HEADING_2", None),
        ("Outcome and follow-ups", "HEADING_3", None),
        ("send the doc", "NORMAL_TEXT", "check"),
        ("[x] book the room", "NORMAL_TEXT", "check"),
        ("agreed on Q1", "NORMAL_TEXT", "disc"),
        ("<!-- syncd:agenda 2026-12-09 -->", "NORMAL_TEXT", None),
    ))
    (section,) = read.sections()
    assert (section.key, section.when) == (dt.date(2026, 12, 1), dt.datetime(2026, 12, 2, 14))
    assert [f.text for f in section.open_items] == ["send the doc"]
    assert section.outcome == ("- [ ] send the doc", "- [x] book the room", "- agreed on Q1",
                               "\\<!-- syncd:agenda 2026-12-09 -->")
    heading = read.heading(dt.date(2026, 12, 1))
    first = "Tue 2026-12-01 10:00 — looks like a heading, is plain text"
    assert heading is not None and heading.start == 1 + len(first) + 1
    assert read.end == 1 + sum(len(t) + 1 for t in (
        "Tue 2026-12-01 10:00 — looks like a heading, is plain text",
        "Wed 2026-12-02 14:00 — 1:1 with Pat (moved from Tue 2026-12-01)",
        "Outcome and follow-ups", "send the doc", "[x] book the room", "agreed on Q1",
        "<!-- syncd:agenda 2026-12-09 -->"))


def test_sections_syncd_wrote_as_plain_text_before_still_count() -> None:
    read = _Read.of(document(("## 2026-11-24 — 1:1 with Pat", "NORMAL_TEXT", None),
                             ("- [ ] old item", "NORMAL_TEXT", None)))
    (section,) = read.sections()
    assert (section.key, section.when) == (dt.date(2026, 11, 24), None)
    assert [f.text for f in section.open_items] == ["old item"]
    assert read.plain().startswith("## 2026-11-24")


def test_a_doc_read_is_kept_for_the_next_run_as_it_was_and_a_damaged_cache_is_empty() -> None:
    read = _Read.of(document(
        ("1:1 notes: Pat", "HEADING_1", None),
        ("Tue 2026-12-01 10:00 — 1:1 with Pat", "HEADING_2", None),
        ("send the doc", "NORMAL_TEXT", "check"),
        ("agreed on Q1", "NORMAL_TEXT", "disc")))
    kept = ReadCache.from_json(ReadCache({"doc1": ("7", read)}).to_json())
    assert kept.docs == {"doc1": ("7", read)}
    assert kept.docs["doc1"][1].sections() == read.sections()
    for damaged in ("", "[]", '{"version": 1, "docs": {"d": [1]}}', '{"version": 99}'):
        assert ReadCache.from_json(damaged).docs == {}
