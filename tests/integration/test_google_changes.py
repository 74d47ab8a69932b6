"""More of the Google Calendar backend, end to end on the loopback emulator with the real
client: roster changes that end or change a series, a person's deletions and new 1:1s
seen through incremental sync, and the errors a user sees when Google says no."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

import pytest
from google.auth.credentials import AnonymousCredentials

from syncd.calendars.base import CalendarError, ConflictError
from syncd.calendars.google import MARKER_KEY, GoogleCalendar
from syncd.config import load_config
from syncd.core import identity
from syncd.core.model import SeriesPatch
from syncd.core.planner import desired_spec
from syncd.google.api import Endpoints, GoogleApi
from tests.contract import CONTRACT
from tests.integration.gdemo import OWNER, PEOPLE, GoogleDemo

ALICE = PEOPLE[0]
ALICE_LINE = ('  - {name: Alice Example, email: alice@example.com, cadence: weekly, '
              'start: 2026-09-01, slot: {day: tue, time: "10:00"}}')
LATER = "2026-12-02T09:00:00+01:00"


def anonymous() -> AnonymousCredentials:
    """No credentials: the emulator on loopback does not ask for any."""
    return AnonymousCredentials()  # type: ignore[no-untyped-call]


def people_yaml(alice: str = ALICE_LINE) -> str:
    people = CONTRACT[CONTRACT.index("people:"):]
    assert ALICE_LINE in people
    return people.replace(ALICE_LINE, alice)


def alice_series(g: GoogleDemo) -> list[dict[str, Any]]:
    key = identity.person_key(ALICE)
    return [e for e in g.masters()
            if e.get("extendedProperties", {}).get("private", {}).get(MARKER_KEY, "")
            .startswith(key)]


def source(g: GoogleDemo) -> GoogleCalendar:
    roster = load_config(g.config).roster
    return GoogleCalendar(GoogleApi(anonymous(), Endpoints.at(g.emu.url)), "primary",
                          people=roster.people, owner_email=OWNER,
                          default_timezone="Europe/Berlin")


WINDOW = (dt.datetime(2026, 11, 1, tzinfo=dt.UTC), dt.datetime(2027, 1, 1, tzinfo=dt.UTC))


# --- roster changes ---------------------------------------------------------------


def test_a_cadence_change_ends_the_old_series_with_until_and_creates_the_next(
    g: GoogleDemo,
) -> None:
    assert g.syncd("reconcile").code == 0
    (old,) = alice_series(g)
    g.write_config(people=people_yaml(ALICE_LINE.replace("cadence: weekly",
                                                         "cadence: biweekly")))
    run = g.syncd("reconcile", now=LATER)
    assert run.code == 0, run.out + run.err
    series = {e["id"]: e for e in alice_series(g)}
    assert len(series) == 2
    ended = series[old["id"]]
    (rule,) = ended["recurrence"]
    assert rule.startswith("RRULE:FREQ=WEEKLY;BYDAY=TU;UNTIL=20261202T")
    (new,) = (e for i, e in series.items() if i != old["id"])
    assert new["recurrence"] == ["RRULE:FREQ=WEEKLY;INTERVAL=2;BYDAY=TU"]
    assert new["extendedProperties"]["private"][MARKER_KEY].endswith("-2")
    # Held 1:1s stay on the calendar: the old series keeps its past instances.
    assert ended["start"] == old["start"]


def test_a_duration_change_moves_only_the_end_of_the_series(g: GoogleDemo) -> None:
    assert g.syncd("reconcile").code == 0
    (before,) = alice_series(g)
    g.write_config(people=people_yaml(ALICE_LINE.replace("cadence: weekly",
                                                         "cadence: weekly, duration: 1h")))
    run = g.syncd("reconcile")
    assert run.code == 0, run.out + run.err
    (after,) = alice_series(g)
    assert after["id"] == before["id"]
    assert after["start"] == before["start"]
    assert after["end"] == {"dateTime": "2026-12-01T11:00:00+01:00",
                            "timeZone": "Europe/Berlin"}


def test_retiring_a_person_ends_their_series(g: GoogleDemo) -> None:
    assert g.syncd("reconcile").code == 0
    g.write_config(people=people_yaml(ALICE_LINE.replace("cadence: weekly",
                                                         "cadence: weekly, active: false")))
    run = g.syncd("reconcile", now=LATER)
    assert run.code == 0, run.out + run.err
    (ended,) = alice_series(g)
    assert "UNTIL=20261202T" in ended["recurrence"][0]
    assert g.syncd("reconcile", now=LATER).out.strip().startswith("Nothing to do")


# --- a person's calendar, seen through incremental sync -------------------------------


def test_a_series_the_person_deleted_is_recreated_with_a_warning(g: GoogleDemo) -> None:
    assert g.syncd("reconcile").code == 0
    (deleted,) = alice_series(g)
    g.calendar().events().delete(calendarId="primary", eventId=deleted["id"]).execute()
    mark = len(g.emu.requests())
    run = g.syncd("reconcile")
    assert run.code == 0, run.out + run.err
    assert ALICE in run.out and "create-series" in run.out
    (recreated,) = alice_series(g)
    assert recreated["id"] != deleted["id"]
    # Read incrementally: one listing with the sync token, no full read.
    lists = [r for r in g.emu.requests()[mark:] if r["path"].endswith("/events")
             and r["method"] == "GET"]
    assert len(lists) == 1 and "syncToken" in lists[0]["query"]


def test_a_hand_made_1_1_added_after_the_first_sync_is_adopted(g: GoogleDemo) -> None:
    g.write_config(people=people_yaml(
        ALICE_LINE.replace("{name: Alice", "{active: false, name: Alice")))
    assert g.syncd("reconcile").code == 0
    assert alice_series(g) == []
    made = g.calendar().events().insert(calendarId="primary", body={
        "summary": "Alice / Dana",
        "start": {"dateTime": "2026-09-01T10:00:00+02:00", "timeZone": "Europe/Berlin"},
        "end": {"dateTime": "2026-09-01T10:45:00+02:00", "timeZone": "Europe/Berlin"},
        "recurrence": ["RRULE:FREQ=WEEKLY;BYDAY=TU"],
        "attendees": [{"email": OWNER}, {"email": ALICE}],
    }).execute()
    g.write_config()
    mark = len(g.emu.requests())
    run = g.syncd("reconcile")
    assert run.code == 0, run.out + run.err
    assert [e["id"] for e in alice_series(g)] == [made["id"]]
    lists = [r["query"] for r in g.emu.requests()[mark:] if r["path"].endswith("/events")
             and r["method"] == "GET"]
    assert lists and "syncToken" not in lists[-1]


def test_a_title_pattern_finds_a_1_1_that_lists_nobody_but_the_owner(g: GoogleDemo) -> None:
    g.write_config(people=people_yaml(ALICE_LINE.replace(
        "cadence: weekly", "cadence: weekly, match: {title: '\\balice\\b'}")))
    made = g.calendar().events().insert(calendarId="primary", body={
        "summary": "Weekly ALICE sync",
        "start": {"dateTime": "2026-09-01T10:00:00+02:00", "timeZone": "Europe/Berlin"},
        "end": {"dateTime": "2026-09-01T10:45:00+02:00", "timeZone": "Europe/Berlin"},
        "recurrence": ["RRULE:FREQ=WEEKLY;BYDAY=TU"],
    }).execute()
    g.calendar().events().insert(calendarId="primary", body={
        "summary": "Malice review", "start": {"date": "2026-12-03"},
        "end": {"date": "2026-12-04"}}).execute()
    g.calendar().events().insert(calendarId="primary", body={  # all day: read as dates
        "summary": "Alice away", "start": {"date": "2026-12-10"},
        "end": {"date": "2026-12-11"}}).execute()
    run = g.syncd("status", "--json", "--from", "2026-12-01", "--to", "2026-12-01",
                  now="2026-12-02T09:00:00+01:00")
    assert run.code == 0, run.err
    alice = next(p for p in run.json()["people"] if p["email"] == ALICE)
    assert [(o["status"], o["actual_start"]) for o in alice["occurrences"]] == [
        ("held", None)]
    assert made["id"]


def test_a_failed_incremental_read_plans_no_calendar_action_and_exits_1(
    g: GoogleDemo,
) -> None:
    assert g.syncd("reconcile").code == 0
    g.calendar().events().delete(calendarId="primary",
                                 eventId=alice_series(g)[0]["id"]).execute()
    g.emu.fault(nth=1, method="GET", path=r"/events$", status=400, reason="invalid")
    mark = len(g.emu.requests())
    run = g.syncd("reconcile", "--json")
    assert run.code == 1
    plan = run.json()
    assert not any(a["action"].endswith("-series") for a in plan["actions"])
    assert any("google calendar primary: not read" in w and "HTTP 400" in w
               for w in plan["warnings"])
    assert [w for w in g.writes_since(mark) if "/calendar/" in w[1]] == []


# --- writes Google refuses -----------------------------------------------------------


def test_changing_a_series_google_says_is_gone_is_an_error_not_a_recreation(
    g: GoogleDemo,
) -> None:
    assert g.syncd("reconcile").code == 0
    calendar = source(g)
    series = next(s for s in calendar.read(*WINDOW) if s.marker
                  and s.marker.startswith(identity.person_key(ALICE)))
    g.emu.fault(nth=1, method="PATCH", status=410, reason="deleted")
    mark = len(g.emu.requests())
    with pytest.raises(CalendarError, match=f"event {series.uid} is gone"):
        calendar.patch(series.uid, SeriesPatch(summary="new title"), series.etag)
    assert len(g.masters()) == 4 and g.writes_since(mark) == [
        ("PATCH", f"/calendar/v3/calendars/primary/events/{alice_series(g)[0]['id']}")]
    with pytest.raises(CalendarError, match="was not read in this run"):
        calendar.patch("someone-else@example.org", SeriesPatch(summary="x"), "etag")


def test_a_refused_change_names_the_series_and_google_reason(g: GoogleDemo) -> None:
    assert g.syncd("reconcile").code == 0
    calendar = source(g)
    series = next(s for s in calendar.read(*WINDOW) if s.marker
                  and s.marker.startswith(identity.person_key(ALICE)))
    g.emu.fault(nth=1, method="PATCH", status=400, reason="invalid", message="bad end")
    with pytest.raises(CalendarError) as caught:
        calendar.patch(series.uid, SeriesPatch(duration=dt.timedelta(minutes=30)), series.etag)
    assert not isinstance(caught.value, ConflictError)
    assert f"changing {series.uid}: HTTP 400 invalid: bad end" in str(caught.value)


def test_creating_is_refused_for_a_uid_syncd_does_not_make_and_errors_name_the_uid(
    g: GoogleDemo,
) -> None:
    roster = load_config(g.config).roster
    now = dt.datetime.fromisoformat("2026-11-25T09:00:00+01:00")
    spec = desired_spec(roster, roster.people[0], now, 1)
    calendar = source(g)
    foreign = dataclasses.replace(spec, uid="meeting-42@example.org")
    with pytest.raises(CalendarError, match=r"meeting-42@example\.org is not a uid syncd makes"):
        calendar.create(foreign)
    g.emu.fault(nth=1, method="POST", status=400, reason="invalid")
    with pytest.raises(CalendarError, match=f"creating {spec.uid}: HTTP 400"):
        calendar.create(spec)
    assert g.masters() == []
    # The create went through but its answer was lost (409 next time), and reading it fails.
    calendar.create(spec)
    g.emu.fault(nth=1, method="GET", status=400, reason="invalid")
    with pytest.raises(CalendarError, match=f"reading {spec.uid}: HTTP 400"):
        source(g).create(spec)
    assert len(g.masters()) == 1


def test_an_unknown_default_time_zone_is_refused() -> None:
    api = GoogleApi(anonymous(), Endpoints.at("http://127.0.0.1:9"))
    with pytest.raises(CalendarError, match="unknown time zone 'Mars/Olympus'"):
        GoogleCalendar(api, "primary", people=(), owner_email=OWNER,
                       default_timezone="Mars/Olympus")
    calendar = GoogleCalendar(api, "primary", people=(), owner_email=OWNER,
                              default_timezone="Europe/Berlin")
    with pytest.raises(ValueError, match="timezone-aware"):
        calendar.read(dt.datetime(2026, 1, 1), dt.datetime(2026, 2, 1))
