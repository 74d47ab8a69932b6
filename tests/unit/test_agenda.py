"""The agenda rules (syncd.core.agenda): which section a person's next meeting gets,
when an existing one is re-headed or marked off, and what is carried into a new one."""

from __future__ import annotations

import dataclasses
import datetime as dt
from zoneinfo import ZoneInfo

from syncd.core import agenda
from syncd.core.model import (
    AgendaSection,
    Cadence,
    FollowUp,
    NotesDoc,
    Occurrence,
    Person,
    Slot,
)

ZONE = ZoneInfo("Europe/Berlin")
NOW = dt.datetime(2026, 11, 25, 9, tzinfo=ZONE)
PAT = Person("Pat", "pat@example.com", Cadence("weekly", "weekly", weeks=1),
             Slot(1, dt.time(10)), dt.timedelta(minutes=45))


def at(day: int, hour: int = 10, month: int = 12) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, tzinfo=ZONE)


def occ(expected: dt.datetime, status: str = "upcoming", actual: dt.datetime | None = None,
        reason: str | None = None, uid: str = "s1") -> Occurrence:
    return Occurrence(PAT.email, expected, status, reason, actual, uid)  # type: ignore[arg-type]


def doc(*sections: AgendaSection) -> NotesDoc:
    return NotesDoc(PAT.email, "pat.md", "file:///pat.md",
                    frozenset(s.key for s in sections), sections)


def section(day: int, hour: int = 10, month: int = 12, **kw: object) -> AgendaSection:
    return AgendaSection(dt.date(2026, month, day), dt.datetime(2026, month, day, hour),
                         **kw)  # type: ignore[arg-type]


def kinds(actions: list) -> list[str]:  # type: ignore[type-arg]
    return [a.kind for a in actions]


def test_the_next_meeting_gets_a_section_keyed_by_its_slot() -> None:
    (action,) = agenda.plan(PAT, [occ(at(1)), occ(at(8))], doc(), NOW, ZONE)
    assert action.kind == "prepare-notes" and action.agenda is not None
    assert (action.agenda.key, action.agenda.when, action.agenda.label) == (
        dt.date(2026, 12, 1), at(1), "")


def test_a_moved_meeting_re_heads_its_section() -> None:
    moved = occ(at(1), actual=at(2, 14))
    (action,) = agenda.plan(PAT, [moved], doc(section(1)), NOW, ZONE)
    assert action.kind == "move-agenda" and action.agenda is not None
    assert action.agenda.label == "moved from Tue 2026-12-01"
    # Already where the meeting is: nothing to do.
    assert agenda.plan(PAT, [moved], doc(dataclasses.replace(
        section(1), when=dt.datetime(2026, 12, 2, 14))), NOW, ZONE) == []


def test_a_roster_slot_moved_onto_a_prepared_meeting_gets_no_second_section() -> None:
    """The roster slot moves from Tue 12-01 to Thu 12-03 while the person's own series
    keeps meeting on Tue 12-01 (the new slot's occurrence, moved): the section prepared
    under the old slot already heads that meeting (found by the Google state machine)."""
    moved_slot = occ(at(3, 14), actual=at(1))
    assert agenda.plan(PAT, [moved_slot], doc(section(1)), NOW, ZONE) == []
    assert agenda.sections_for([section(1)], moved_slot, ZONE) == [section(1)]
    # A section called off at that time does not count: the meeting gets its own.
    (action,) = agenda.plan(PAT, [moved_slot], doc(section(1, cancelled=True)), NOW, ZONE)
    assert action.kind == "prepare-notes"


def test_a_make_up_is_labelled_as_one_and_a_same_day_move_is_not_labelled() -> None:
    makeup = occ(at(24, month=11), "rescheduled", actual=at(27, 9, month=11), uid="one-off")
    (action,) = agenda.plan(PAT, [makeup, occ(at(1))], doc(), NOW, ZONE,
                            frozenset({"one-off"}))
    assert action.agenda is not None
    assert (action.agenda.key, action.agenda.label) == (
        dt.date(2026, 11, 24), "make-up for Tue 2026-11-24")
    later = occ(at(1), actual=at(1, 15))
    (same_day,) = agenda.plan(PAT, [later], doc(), NOW, ZONE)
    assert same_day.agenda is not None and same_day.agenda.label == ""


def test_a_meeting_off_ahead_gets_no_section_and_an_existing_one_a_line() -> None:
    rows = [occ(at(1), "skipped", reason="declined-by-them"), occ(at(8))]
    actions = agenda.plan(PAT, rows, doc(section(1, leftovers=("career",))), NOW, ZONE)
    assert kinds(actions) == ["cancel-agenda", "prepare-notes"]
    assert actions[0].agenda is not None and actions[0].agenda.reason == "declined by them"
    assert actions[1].agenda is not None
    assert [f.text for f in actions[1].agenda.follow_ups] == ["career"]
    # Once marked, never again.
    marked = doc(section(1, cancelled=True), section(8))
    assert agenda.plan(PAT, rows, marked, NOW, ZONE) == []


def test_open_items_of_the_last_held_meeting_are_carried_with_a_count() -> None:
    old = FollowUp("send doc", dt.date(2026, 11, 10), 2)
    held = section(24, month=11, open_items=(old, FollowUp("ask", dt.date(2026, 11, 24))),
                   leftovers=("not carried: held meetings carry tasks only",))
    earlier = section(17, month=11, open_items=(FollowUp("long gone", dt.date(2026, 11, 17)),))
    (action,) = agenda.plan(PAT, [occ(at(1))], doc(earlier, held), NOW, ZONE)
    assert action.agenda is not None
    assert action.agenda.follow_ups == (
        FollowUp("send doc", dt.date(2026, 11, 10), 3), FollowUp("ask", dt.date(2026, 11, 24), 1))
    assert action.agenda.follow_ups[0].stale


def test_nothing_ahead_plans_nothing_and_paused_slots_get_no_section() -> None:
    assert agenda.plan(PAT, [occ(at(1), "paused")], doc(), NOW, ZONE) == []


def test_templates_by_role_and_onboarding() -> None:
    assert agenda.template_for(PAT, dt.date(2026, 12, 1)) == "report"
    hire = dataclasses.replace(PAT, onboarding_until=dt.date(2026, 12, 31))
    assert agenda.template_for(hire, dt.date(2026, 12, 1)) == "new-hire"
    assert agenda.template_for(hire, dt.date(2027, 1, 5)) == "report"
    assert agenda.template_for(dataclasses.replace(PAT, role="new-hire"),
                               dt.date(2030, 1, 1)) == "new-hire"


def test_a_legacy_section_dated_on_the_meeting_day_counts_for_it() -> None:
    legacy = AgendaSection(dt.date(2026, 12, 2), None)
    assert agenda.plan(PAT, [occ(at(1), actual=at(2, 14))], doc(legacy), NOW, ZONE) == []
