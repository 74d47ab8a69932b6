"""Hostile calendars, read from the local folder and from an ICS feed over loopback HTTP.

Each gives a clear error (the calendar is not acted on; exit 1) or a bounded, correct
result. Bounds are asserted on counts (occurrences kept, files written), never on wall
time; the run's peak memory is checked by tests/conftest.py.
"""

from __future__ import annotations

import gzip
from typing import Any

import icalendar
import pytest

from tests.hostile.conftest import CORPUS, Feed
from tests.workspace import Run, Workspace

SOURCES = ["local", "feed"]
CALENDAR_ACTIONS = {"create-series", "adopt-series", "update-series", "end-series",
                    "attach-notes"}
EVENT = """\
BEGIN:VEVENT\r
UID:{uid}\r
DTSTAMP:20260820T090000Z\r
DTSTART;TZID=Europe/Berlin:20260901T100000\r
DTEND;TZID=Europe/Berlin:20260901T104500\r
RRULE:FREQ=WEEKLY;BYDAY=TU\r
SUMMARY:Alice / Dana\r
ORGANIZER;CN=Dana Lead:mailto:dana@example.com\r
ATTENDEE;CN=Dana Lead;PARTSTAT=ACCEPTED:mailto:dana@example.com\r
ATTENDEE;CN=Alice Example;PARTSTAT=ACCEPTED:mailto:alice@example.com\r
{extra}END:VEVENT\r
"""


def calendar(*events: str) -> bytes:
    return ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//syncd hostile//EN\r\n"
            + "".join(events) + "END:VCALENDAR\r\n").encode()


def use(ws: Workspace, feed: Feed, source: str, body: bytes) -> None:
    """Make `body` the calendar: one file in the local folder, or the feed's whole answer."""
    if source == "local":
        (ws.calendar / "hostile.ics").write_bytes(body)
    else:
        feed.serve(body)
        ws.write_config(calendar=f"{{kind: ics, url: '{feed.base}/private.ics'}}")


def reconcile(ws: Workspace) -> tuple[Run, dict[str, Any]]:
    run = ws.syncd("reconcile", "--json")
    return run, run.json()


def calendar_actions(plan: dict[str, Any]) -> list[dict[str, Any]]:
    return [a for a in plan["actions"] if a["action"] in CALENDAR_ACTIONS]


def assert_unreadable_event(ws: Workspace, uid: str) -> None:
    """The event is reported by its UID and nothing is planned for Alice: no duplicate
    series next to an event syncd could not read, nothing written to the calendar."""
    before = ws.files()
    run, plan = reconcile(ws)
    assert run.code == 0, run.err
    assert (f"alice@example.com: event {uid} could not be read; nothing planned for this "
            "person") in plan["warnings"]
    assert plan["actions"] == []
    assert {k: v for k, v in ws.files().items() if k.startswith("calendar/")} == \
        {k: v for k, v in before.items() if k.startswith("calendar/")}


def assert_calendar_refused(ws: Workspace, message: str) -> None:
    """The whole calendar is refused with one clear warning, exit 1; nothing is acted on."""
    before = ws.files()
    run, plan = reconcile(ws)
    assert run.code == 1, run.err
    (warning,) = [w for w in plan["warnings"] if "not read, nothing planned" in w]
    assert message in warning, warning
    assert calendar_actions(plan) == []
    assert {k: v for k, v in ws.files().items() if k.startswith("calendar/")} == \
        {k: v for k, v in before.items() if k.startswith("calendar/")}


def alice_occurrences(ws: Workspace) -> list[dict[str, Any]]:
    run = ws.syncd("status", "--json", "--from", "2026-11-01", "--to", "2026-11-24")
    assert run.code == 0, run.err
    (alice,) = run.json()["people"]
    occurrences: list[dict[str, Any]] = alice["occurrences"]
    return occurrences


@pytest.mark.parametrize("source", SOURCES)
def test_freq_secondly_is_not_expanded(ws: Workspace, feed: Feed, source: str) -> None:
    # From 2026-09-01 to the end of the read window: ~40 million starts.
    use(ws, feed, source, (CORPUS / "ics_freq_secondly.ics").read_bytes())
    assert_unreadable_event(ws, "secondly@hostile")
    # Nothing of the rule was expanded: the four expected Tuesdays are classified, each once.
    assert [o["status"] for o in alice_occurrences(ws)] == ["unknown"] * 4


@pytest.mark.parametrize("source", SOURCES)
def test_count_of_a_billion_is_bounded_by_the_window(ws: Workspace, feed: Feed,
                                                     source: str) -> None:
    use(ws, feed, source, (CORPUS / "ics_count_1e9.ics").read_bytes())
    run, plan = reconcile(ws)
    assert run.code == 0, run.err
    # The rule is a weekly Tuesday 10:00 like the roster's: adopted, not duplicated.
    assert [a["action"] for a in calendar_actions(plan)] == ["adopt-series", "attach-notes"]
    occurrences = alice_occurrences(ws)
    assert [o["expected"][:10] for o in occurrences] == [
        "2026-11-03", "2026-11-10", "2026-11-17", "2026-11-24"]


@pytest.mark.parametrize("source", SOURCES)
@pytest.mark.parametrize("component", ["VEVENT", "VALARM"])
def test_thousands_of_nested_components_are_refused(ws: Workspace, feed: Feed, source: str,
                                                    component: str) -> None:
    levels = 5_000
    nested = f"BEGIN:{component}\r\n" * levels + f"END:{component}\r\n" * levels
    use(ws, feed, source, calendar(EVENT.format(uid="deep@hostile", extra=nested)))
    assert_calendar_refused(ws, "components nested more than 8 deep")


@pytest.mark.parametrize("source", SOURCES)
def test_100k_character_lines_are_read_whole(ws: Workspace, feed: Feed, source: str) -> None:
    long = "x" * 100_000
    extra = f"DESCRIPTION:{long}\r\nX-LONG;X-PARAM={long}:{long}\r\n"
    event = EVENT.format(uid="long@hostile", extra=extra).replace("CN=Alice Example",
                                                                  f"CN={long}")
    use(ws, feed, source, calendar(event))
    run, plan = reconcile(ws)
    assert run.code == 0, run.err
    assert [a["action"] for a in calendar_actions(plan)] == ["adopt-series", "attach-notes"]
    if source == "local":
        # Adopting rewrote the master: the long values are still there, whole.
        (event,) = icalendar.Calendar.from_ical(
            (ws.calendar / "hostile.ics").read_bytes()).walk("VEVENT")
        assert str(event["DESCRIPTION"]).startswith(long)
        assert str(event["X-LONG"]) == long
        assert str(event["X-LONG"].params["X-PARAM"]) == long
    # No output line carries the long values.
    assert max(map(len, (run.out + run.err).splitlines())) < 1_000


@pytest.mark.parametrize("source", SOURCES)
def test_invalid_dates_make_the_event_unreadable(ws: Workspace, feed: Feed,
                                                 source: str) -> None:
    use(ws, feed, source, (CORPUS / "ics_invalid_dates.ics").read_bytes())
    assert_unreadable_event(ws, "baddate@hostile")


@pytest.mark.parametrize("source", SOURCES)
def test_a_tzid_that_exists_nowhere_reads_as_the_roster_zone(ws: Workspace, feed: Feed,
                                                             source: str) -> None:
    use(ws, feed, source, (CORPUS / "ics_unknown_tzid.ics").read_bytes())
    run, plan = reconcile(ws)
    assert run.code == 0, run.err
    # Without a VTIMEZONE for "Mars/Olympus" its times are wall-clock times in the
    # roster's zone (as for floating times): Tuesday 10:00 Berlin, the roster's slot.
    assert [a["action"] for a in calendar_actions(plan)] == ["adopt-series", "attach-notes"]
    # Held: each instance was found at the expected Tuesday 10:00 Berlin.
    assert [(o["expected"][:16], o["status"]) for o in alice_occurrences(ws)] == [
        (f"2026-11-{day}T10:00", "held") for day in ("03", "10", "17", "24")]


@pytest.mark.parametrize("source", SOURCES)
def test_a_broken_vtimezone_refuses_the_calendar(ws: Workspace, feed: Feed,
                                                 source: str) -> None:
    use(ws, feed, source, (CORPUS / "ics_broken_vtimezone.ics").read_bytes())
    assert_calendar_refused(ws, "ValueError: Expected UTC offset, got: +99")


@pytest.mark.parametrize("source", SOURCES)
def test_two_different_events_under_one_uid_are_not_guessed_between(
        ws: Workspace, feed: Feed, source: str) -> None:
    use(ws, feed, source, (CORPUS / "ics_duplicate_uids.ics").read_bytes())
    assert_unreadable_event(ws, "dup@hostile")


@pytest.mark.parametrize("source", SOURCES)
def test_the_same_event_twice_under_one_uid_is_one_series(ws: Workspace, feed: Feed,
                                                          source: str) -> None:
    event = EVENT.format(uid="twice@hostile", extra="")
    use(ws, feed, source, calendar(event, event.replace("20260820T", "20260821T")))
    run, plan = reconcile(ws)
    assert run.code == 0, run.err
    assert [a["action"] for a in calendar_actions(plan)] == ["adopt-series", "attach-notes"]
    assert len(alice_occurrences(ws)) == 4


def test_one_uid_in_two_files_of_the_local_folder_refuses_the_folder(ws: Workspace) -> None:
    text = (CORPUS / "ics_duplicate_uids.ics").read_text()
    first, second = (text.index("BEGIN:VEVENT", at) for at in (0, text.index("END:VEVENT")))
    end = text.index("END:VCALENDAR")
    (ws.calendar / "a.ics").write_text(text[:second] + text[end:])
    (ws.calendar / "b.ics").write_text(text[:first] + text[second:])
    assert_calendar_refused(ws, "event dup@hostile is in both a.ics and b.ics")


@pytest.mark.parametrize(("encode", "message"), [
    (lambda body: body.decode().encode("utf-16"), "UTF-16 text; iCalendar is UTF-8"),
    (lambda body: body.decode().encode("utf-16-le"), "UTF-16 text; iCalendar is UTF-8"),
    (lambda body: gzip.compress(body), "gzip-compressed data sent without a "
                                       "Content-Encoding: gzip header"),
], ids=["utf-16 with BOM", "utf-16 without BOM", "gzip without Content-Encoding"])
def test_a_feed_in_the_wrong_encoding_is_named_not_called_truncated(
    ws: Workspace, feed: Feed, encode: Any, message: str,
) -> None:
    use(ws, feed, "feed", encode(calendar(EVENT.format(uid="a@x", extra=""))))
    assert_calendar_refused(ws, message)
    _, plan = reconcile(ws)
    assert "truncated" not in " ".join(plan["warnings"])
