"""How syncd finds its agenda sections again in a notes document and tells a bare
template from notes a person typed (what `syncd report` shows as "agenda written")."""

from __future__ import annotations

import datetime as dt

from syncd.notes import text

DAY = dt.date(2026, 12, 1)
NEXT = dt.date(2026, 12, 8)


def doc(*sections: str) -> str:
    return text.template("Alice Example", "Dana Lead") + "".join(sections)


def test_a_bare_agenda_section_is_not_written() -> None:
    assert text.agenda_written(doc(text.agenda(DAY, "Alice / Dana")), DAY) is False


def test_a_line_typed_under_the_template_counts_as_written() -> None:
    written = doc(text.agenda(DAY, "Alice / Dana") + "- talk about the offsite\n")
    assert text.agenda_written(written, DAY) is True


def test_notes_typed_under_the_next_section_do_not_count_for_this_one() -> None:
    body = doc(text.agenda(DAY, "Alice / Dana"),
               text.agenda(NEXT, "Alice / Dana") + "- promotion case\n")
    assert text.agenda_written(body, DAY) is False
    assert text.agenda_written(body, NEXT) is True


def test_no_section_for_the_day_is_none() -> None:
    assert text.agenda_written(doc(text.agenda(DAY, "Alice / Dana")), NEXT) is None
    assert text.agenda_written("", DAY) is None


def test_a_heading_at_the_very_end_without_a_newline_is_bare() -> None:
    assert text.agenda_written(doc(text.heading(DAY, "x").rstrip("\n")), DAY) is False


def test_a_heading_with_an_impossible_date_is_not_an_agenda_section() -> None:
    body = doc("## 2026-13-45 — typed by hand\n", text.agenda(DAY, "Alice / Dana"))
    assert text.agenda_dates(body) == frozenset({DAY})
    assert text.agenda_written(body, DAY) is False


def test_names_with_line_breaks_cannot_split_a_heading() -> None:
    assert text.heading(DAY, "Alice\n## 2030-01-01 — fake") == (
        "## 2026-12-01 — Alice ## 2030-01-01 — fake\n")
    assert text.agenda_dates(text.heading(DAY, "Alice\n## 2030-01-01 — fake")) == {DAY}
    assert "Dana Lead" in text.template("Alice", "Dana\n  Lead")
