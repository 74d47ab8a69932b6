"""How syncd finds its agenda sections again in a notes document: their slot, the time
their heading (or a later pointer) gives, whether the meeting is off, the open items to
carry, and whether the lead wrote anything (what `syncd report` shows as "agenda written")."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from syncd.core.model import AgendaWrite, FollowUp
from syncd.notes import text

ZONE = ZoneInfo("Europe/Berlin")
DAY = dt.date(2026, 12, 1)
NEXT = dt.date(2026, 12, 8)


def at(day: dt.date, hour: int = 10) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), ZONE)


def section(day: dt.date, *, when: dt.datetime | None = None, label: str = "",
            follow_ups: tuple[FollowUp, ...] = ()) -> str:
    moment = when or at(day)
    write = AgendaWrite(day, moment, label, follow_ups)
    return "\n" + text.section_markdown(write, "1:1 with Alice", moment.replace(tzinfo=None),
                                        text.shipped_agenda("report"))


def doc(*sections: str) -> str:
    return text.template("Alice Example", "Dana Lead") + "".join(sections)


def test_a_bare_agenda_section_is_not_written() -> None:
    assert text.agenda_written(text.sections(doc(section(DAY))), DAY) is False


def test_a_line_typed_under_the_template_counts_as_written() -> None:
    found = text.sections(doc(section(DAY) + "- talk about the offsite\n"))
    assert text.agenda_written(found, DAY) is True


def test_notes_typed_under_the_next_section_do_not_count_for_this_one() -> None:
    found = text.sections(doc(section(DAY), section(NEXT) + "- promotion case\n"))
    assert text.agenda_written(found, DAY) is False
    assert text.agenda_written(found, NEXT) is True


def test_no_section_for_the_slot_is_none() -> None:
    assert text.agenda_written(text.sections(doc(section(DAY))), NEXT) is None
    assert text.sections("") == ()


def test_a_marker_with_an_impossible_date_is_not_an_agenda_section() -> None:
    found = text.sections(doc("<!-- syncd:agenda 2026-13-45 -->\n## typed\n", section(DAY)))
    assert [s.key for s in found] == [DAY]


def test_a_marker_inside_a_line_does_not_start_a_section() -> None:
    found = text.sections(doc("see <!-- syncd:agenda 2026-12-01 --> here\n"))
    assert found == ()


def test_names_with_line_breaks_cannot_split_a_heading() -> None:
    write = AgendaWrite(DAY, at(DAY))
    assert text.heading(write, "Alice\n## 2030-01-01 — fake", at(DAY)) == (
        "Tue 2026-12-01 10:00 — Alice ## 2030-01-01 — fake")
    assert "Dana Lead" in text.template("Alice", "Dana\n  Lead")


def test_a_section_is_keyed_by_its_slot_and_headed_with_the_real_time() -> None:
    moved = at(DAY + dt.timedelta(days=1), 14)
    body = section(DAY, when=moved, label="moved from Tue 2026-12-01")
    assert "## Wed 2026-12-02 14:00 — 1:1 with Alice (moved from Tue 2026-12-01)" in body
    (found,) = text.sections(doc(body))
    assert (found.key, found.when) == (DAY, moved.replace(tzinfo=None))


def test_a_pointer_line_moves_a_section_and_a_cancel_line_calls_it_off() -> None:
    later = dt.datetime(2026, 12, 3, 9, 30)
    pointer = f"\n_{text.moved_line(DAY, later)}_\n"
    (found,) = text.sections(doc(section(DAY), pointer))
    assert found.when == later and not found.cancelled
    off = f"\n_{text.cancelled_line(later, 'declined by them')}_\n"
    (found,) = text.sections(doc(section(DAY), pointer, off))
    assert found.cancelled
    # A cancel line for the old time does not call off the meeting at its new time.
    old = f"\n_{text.cancelled_line(at(DAY).replace(tzinfo=None), 'cancelled')}_\n"
    (found,) = text.sections(doc(section(DAY), old, pointer))
    assert not found.cancelled


def test_open_items_are_read_with_their_origin_and_done_ones_are_not() -> None:
    carried = (FollowUp("send the design doc", dt.date(2026, 11, 17), 2),)
    body = section(DAY, follow_ups=carried) + (
        "- [ ] book the offsite room\n- [x] review the budget\n- [X] also done\n")
    (found,) = text.sections(doc(body))
    assert found.open_items == (
        FollowUp("send the design doc", dt.date(2026, 11, 17), 2),
        FollowUp("book the offsite room", DAY, 0))
    assert "send the design doc (from 2026-11-17, carried 2 times)" in body


def test_outcome_lines_and_topics_are_told_apart() -> None:
    body = section(DAY).replace("### Their topics\n- \n", "### Their topics\n- hiring plan\n")
    body += "- [ ] draft the hiring plan\n- agreed on two hires\n"
    (found,) = text.sections(doc(body))
    assert found.leftovers == ("hiring plan",)
    assert found.outcome == ("- [ ] draft the hiring plan", "- agreed on two hires")
    assert found.written


def test_carried_follow_ups_alone_are_not_the_leads_writing() -> None:
    (found,) = text.sections(doc(section(DAY, follow_ups=(FollowUp("x", NEXT, 1),))))
    assert not found.written
