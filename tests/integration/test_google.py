"""The Google backends, end to end: the real google-api-python-client against the
loopback emulator, driven through the real CLI; a person's edits are made with the
real client too."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import subprocess
import sys
from collections import Counter
from typing import Any

import pytest
from google.auth.credentials import AnonymousCredentials

from syncd.calendars.base import ConflictError
from syncd.calendars.google import MARKER_KEY, NOTES_KEY, GoogleCalendar
from syncd.config import load_config
from syncd.core import identity
from syncd.core.model import SeriesPatch
from syncd.core.planner import desired_spec
from syncd.google.api import Endpoints, GoogleApi
from tests.emulator import Emulator
from tests.integration.gdemo import OWNER, PEOPLE, GoogleDemo
from tests.workspace import NOW


def _owned_by(event: dict[str, Any]) -> str | None:
    marker = event.get("extendedProperties", {}).get("private", {}).get(MARKER_KEY)
    return marker.split("-")[0] if marker else None


def _called(path: str) -> str:
    """Which API a request path calls, naming the two calls that are not plain writes."""
    if path.startswith("/v1/"):
        return "docs:batchUpdate" if path.endswith(":batchUpdate") else "docs"
    return "drive/generateIds" if path.endswith("/generateIds") else path.split("/")[1]


def _one_each(g: GoogleDemo) -> None:
    """Exactly one live series and one Doc per person, each series linked to its Doc."""
    keys = Counter(_owned_by(e) for e in g.masters())
    assert keys == Counter(identity.person_key(p) for p in PEOPLE)
    docs = Counter(f["appProperties"]["syncdPerson"] for f in g.docs())
    assert docs == Counter(identity.person_key(p) for p in PEOPLE)
    links = {f["id"] for f in g.docs()}
    for event in g.masters():
        url = event["extendedProperties"]["private"][NOTES_KEY]
        assert url.split("/d/")[1].split("/")[0] in links


# --- first, second and dry runs -------------------------------------------------


def test_first_reconcile_creates_one_series_and_one_private_doc_per_person(
    g: GoogleDemo,
) -> None:
    run = g.syncd("reconcile")
    assert run.code == 0, run.out + run.err
    _one_each(g)
    # Three calls a person (quota counts each part of a batch): the Doc made in one Drive
    # batch, the series inserted with its link in one Calendar batch, the template and the
    # first agenda written together in one batchUpdate (Docs takes no HTTP batch); nothing
    # read back, no link attached afterwards, no id asked for in advance (Drive takes none
    # for a Google Doc).
    requests = g.emu.requests()
    calls = [(r["method"], _called(r["path"])) for r in requests if "parts" not in r]
    assert calls == [("GET", "calendar"), ("GET", "drive"), *[("POST", "drive")] * 4,
                     *[("POST", "calendar")] * 4, *[("POST", "docs:batchUpdate")] * 4]
    assert [(r["path"], r["parts"]) for r in requests if "parts" in r] == [
        ("/batch/drive/v3", 4), ("/batch/calendar/v3", 4)]
    assert len([r for r in requests if not r["batch"]]) == 2 + 2 + 4
    alice = next(e for e in g.masters() if _owned_by(e) == identity.person_key(PEOPLE[0]))
    assert alice["recurrence"] == ["RRULE:FREQ=WEEKLY;BYDAY=TU"]
    assert alice["start"] == {"dateTime": "2026-12-01T10:00:00+01:00",
                              "timeZone": "Europe/Berlin"}
    assert {a["email"] for a in alice["attendees"]} == {OWNER, PEOPLE[0]}
    (attachment,) = alice["attachments"]
    assert attachment["fileUrl"] == alice["extendedProperties"]["private"][NOTES_KEY]
    assert attachment["title"] == "1:1 notes"  # guests see the title: nothing private in it
    state = g.emu.state()
    assert all(not p for p in state["permissions"].values())  # no Doc shared with anyone
    doc = state["docs"][attachment["fileUrl"].split("/d/")[1].split("/")[0]]
    text = doc["text"]
    assert "1:1 notes: Alice Example" in text
    # A real heading (named style), not literal "##" text.
    paragraphs = text.split("\n")
    heading = next(i for i, p in enumerate(paragraphs) if p.startswith("Tue 2026-12-01 10:00 — "))
    assert doc["styles"][heading] == "HEADING_2"
    assert "#" not in text


def test_a_second_reconcile_writes_nothing_and_lists_events_once(g: GoogleDemo) -> None:
    assert g.syncd("reconcile").code == 0
    mark = len(g.emu.requests())
    run = g.syncd("reconcile")
    assert run.code == 0 and "Nothing to do" in run.out
    requests = g.emu.requests()[mark:]
    # One listing of the calendar and of the Docs, then each Doc read for its sections
    # (the first run's writes changed them all).
    assert [(r["method"], r["path"].split("/documents/")[0]) for r in requests] == [
        ("GET", "/calendar/v3/calendars/primary/events"), ("GET", "/drive/v3/files"),
        *[("GET", "/v1")] * 4]
    assert "syncToken" in requests[0]["query"]


def test_an_unchanged_doc_is_not_read_again_and_an_edited_one_is(g: GoogleDemo) -> None:
    """A Doc is read again only when Drive's listing shows it changed (its version): a
    third unchanged run is one request to the calendar and one to Drive."""
    assert g.syncd("reconcile").code == 0
    assert g.syncd("reconcile").code == 0  # reads each Doc: the first run wrote them all
    mark = len(g.emu.requests())
    assert g.syncd("reconcile").code == 0
    assert [(r["method"], r["path"]) for r in g.emu.requests()[mark:]] == [
        ("GET", "/calendar/v3/calendars/primary/events"), ("GET", "/drive/v3/files")]
    alice = next(f["id"] for f in g.docs()
                 if f["appProperties"]["syncdPerson"] == identity.person_key(PEOPLE[0]))
    docs = GoogleApi(AnonymousCredentials(), Endpoints.at(g.emu.url)).documents()
    docs.batchUpdate(documentId=alice, body={"requests": [
        {"insertText": {"endOfSegmentLocation": {}, "text": "- [ ] Alice's own item"}}]}
    ).execute()
    mark = len(g.emu.requests())
    run = g.syncd("reconcile")
    assert run.code == 0 and "Nothing to do" in run.out
    assert [r["path"] for r in g.emu.requests()[mark:] if r["path"].startswith("/v1/")] == [
        f"/v1/documents/{alice}"]
    mark = len(g.emu.requests())  # what that run read is kept with the others
    assert g.syncd("reconcile").code == 0
    assert [r["path"] for r in g.emu.requests()[mark:]] == [
        "/calendar/v3/calendars/primary/events", "/drive/v3/files"]


# A fresh interpreter: this test process has loaded every library already.
PROBE = """
import json, sys
from click.testing import CliRunner
import syncd.cli
run = CliRunner().invoke(syncd.cli.main, ["reconcile", "--config", {config!r}, "--now", {now!r}])
heavy = ("icalendar", "recurring_ical_events", "requests", "urllib3")
print(json.dumps({{"code": run.exit_code, "out": run.output,
                  "loaded": sorted(m for m in heavy if m in sys.modules)}}))
"""


def test_an_unchanged_calendar_is_answered_without_icalendar_or_requests(g: GoogleDemo) -> None:
    """A run with nothing changed answers from the series converted before: it never loads
    the iCalendar parser (nor requests, which only a token refresh needs)."""
    assert g.syncd("reconcile").code == 0
    assert g.syncd("reconcile").code == 0
    mark = len(g.emu.requests())
    out = subprocess.run([sys.executable, "-c", PROBE.format(config=str(g.config), now=NOW)],
                         capture_output=True, text=True, check=True).stdout
    result = json.loads(out.splitlines()[-1])
    assert result["code"] == 0 and "Nothing to do" in result["out"]
    assert result["loaded"] == []
    assert len(g.emu.requests()) == mark + 2  # the calendar and the Docs listed, nothing read


def test_a_dry_run_sends_no_write_request(g: GoogleDemo) -> None:
    run = g.syncd("reconcile", "--dry-run")
    assert run.code == 0 and "create-series" in run.out
    assert g.writes_since(0) == []
    assert g.masters() == [] and g.docs() == []


def test_with_attach_false_the_link_stays_private(g: GoogleDemo) -> None:
    g.write_config(notes_extra=", attach: false")
    assert g.syncd("reconcile").code == 0
    for event in g.masters():
        assert "attachments" not in event or event["attachments"] == []
        assert event["extendedProperties"]["private"][NOTES_KEY].startswith("https://")


# --- a person's own calendar ---------------------------------------------------------


def _hand_made_weekly(g: GoogleDemo) -> dict[str, Any]:
    body = {
        "summary": "Alice / Dana",
        "start": {"dateTime": "2026-09-01T10:00:00+02:00", "timeZone": "Europe/Berlin"},
        "end": {"dateTime": "2026-09-01T10:45:00+02:00", "timeZone": "Europe/Berlin"},
        "recurrence": ["RRULE:FREQ=WEEKLY;BYDAY=TU"],
        "attendees": [{"email": OWNER, "responseStatus": "accepted"},
                      {"email": PEOPLE[0], "responseStatus": "accepted"}],
    }
    made: dict[str, Any] = g.calendar().events().insert(calendarId="primary",
                                                        body=body).execute()
    return made


def test_a_hand_made_series_is_adopted_not_duplicated(g: GoogleDemo) -> None:
    made = _hand_made_weekly(g)
    mark = len(g.emu.requests())
    assert g.syncd("reconcile").code == 0
    alice = [e for e in g.masters() if PEOPLE[0] in {a["email"] for a in e["attendees"]}]
    assert [e["id"] for e in alice] == [made["id"]]
    # Adopted and linked to the notes in one PATCH.
    patches = [path for method, path in g.writes_since(mark) if method == "PATCH"]
    assert patches == [f"/calendar/v3/calendars/primary/events/{made['id']}"]
    (adopted,) = alice
    assert adopted["summary"] == "Alice / Dana"  # a person's title is theirs
    assert _owned_by(adopted) == identity.person_key(PEOPLE[0])
    assert adopted["extendedProperties"]["private"][NOTES_KEY]


def _status(g: GoogleDemo, now: str) -> dict[str, Any]:
    run = g.syncd("status", "--json", "--from", "2026-11-30", "--to", "2026-12-20", now=now)
    assert run.code == 0, run.err
    people: dict[str, Any] = {p["email"]: p for p in run.json()["people"]}
    return people


def _instance(g: GoogleDemo, series_id: str, day: str) -> dict[str, Any]:
    items = g.calendar().events().instances(calendarId="primary", eventId=series_id,
                                            timeMin=f"{day}T00:00:00Z",
                                            timeMax=f"{day}T23:59:59Z").execute()["items"]
    (found,) = items
    found_item: dict[str, Any] = found
    return found_item


def test_moved_cancelled_and_declined_instances_are_left_alone_and_classified(
    g: GoogleDemo,
) -> None:
    made = _hand_made_weekly(g)
    assert g.syncd("reconcile").code == 0
    events = g.calendar().events()
    moved = _instance(g, made["id"], "2026-12-01")
    events.patch(calendarId="primary", eventId=moved["id"], body={
        "start": {"dateTime": "2026-12-02T15:00:00+01:00", "timeZone": "Europe/Berlin"},
        "end": {"dateTime": "2026-12-02T15:45:00+01:00", "timeZone": "Europe/Berlin"},
    }).execute()
    cancelled = _instance(g, made["id"], "2026-12-08")
    events.delete(calendarId="primary", eventId=cancelled["id"]).execute()
    declined = _instance(g, made["id"], "2026-12-15")
    events.patch(calendarId="primary", eventId=declined["id"], body={"attendees": [
        {"email": OWNER, "responseStatus": "accepted"},
        {"email": PEOPLE[0], "responseStatus": "declined"}]}).execute()

    mark = len(g.emu.requests())
    run = g.syncd("reconcile", now="2026-12-20T09:00:00+01:00")
    assert run.code == 0, run.out + run.err
    # The person's edits are theirs: no calendar write (the next agendas are notes writes).
    assert [w for w in g.writes_since(mark) if "/calendar/" in w[1]] == []
    assert _instance(g, made["id"], "2026-12-02")["start"]["dateTime"].startswith(
        "2026-12-02T15:00")

    alice = _status(g, "2026-12-20T09:00:00+01:00")[PEOPLE[0]]
    rows = {o["expected"][:10]: (o["status"], o["reason"], o["actual_start"])
            for o in alice["occurrences"]}
    assert rows == {
        "2026-12-01": ("rescheduled", None, "2026-12-02T15:00:00+01:00"),
        "2026-12-08": ("skipped", "cancelled", None),
        "2026-12-15": ("skipped", "declined-by-them", None),
    }


# --- conflicts, expired tokens, rate limits -----------------------------------------------


def _api(emu: Emulator) -> GoogleApi:
    return GoogleApi(AnonymousCredentials(), Endpoints.at(emu.url))


def test_a_concurrent_edit_is_never_overwritten(g: GoogleDemo) -> None:
    made = _hand_made_weekly(g)
    roster = load_config(g.config).roster
    source = GoogleCalendar(_api(g.emu), "primary", people=roster.people, owner_email=OWNER,
                            default_timezone="Europe/Berlin")
    start = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
    (series,) = source.read(start, start + dt.timedelta(days=60))
    g.calendar().events().patch(calendarId="primary", eventId=made["id"],
                                body={"summary": "Alice and Dana, moved room"}).execute()
    with pytest.raises(ConflictError):
        source.patch(series.uid, SeriesPatch(summary="syncd's title"), series.etag)
    after = g.calendar().events().get(calendarId="primary", eventId=made["id"]).execute()
    assert after["summary"] == "Alice and Dana, moved room"


def test_a_412_on_adoption_fails_the_run_and_the_next_run_adopts(g: GoogleDemo) -> None:
    _hand_made_weekly(g)
    g.emu.fault(nth=1, method="PATCH", status=412, reason="conditionNotMet", times=1)
    run = g.syncd("reconcile")
    assert run.code == 1
    assert "changed since it was read" in run.out + run.err
    assert g.syncd("reconcile").code == 0
    _one_each(g)


def test_an_expired_sync_token_means_one_full_read(g: GoogleDemo) -> None:
    assert g.syncd("reconcile").code == 0
    g.emu.expire_sync_tokens()
    mark = len(g.emu.requests())
    run = g.syncd("reconcile")
    assert run.code == 0 and "Nothing to do" in run.out
    lists = [(r["status"], "syncToken" in r["query"]) for r in g.emu.requests()[mark:]
             if r["path"].endswith("/events")]
    assert lists == [(410, True), (200, False)]


@pytest.mark.parametrize(("status", "reason"), [(403, "rateLimitExceeded"),
                                                (403, "userRateLimitExceeded"),
                                                (403, "quotaExceeded"), (429, "rateLimitExceeded"),
                                                (503, "backendError")])
def test_rate_limits_are_waited_out(g: GoogleDemo, status: int, reason: str) -> None:
    g.emu.fault(nth=2, status=status, reason=reason, retry_after=0, times=3)
    run = g.syncd("reconcile")
    assert run.code == 0, run.out + run.err
    _one_each(g)
    assert sum(r["status"] == status for r in g.emu.requests()) == 3


def test_retry_after_is_honoured_and_attempts_are_bounded(owner_emulator: Emulator) -> None:
    waits: list[float] = []
    api = _api(owner_emulator)
    api.policy = dataclasses.replace(api.policy, sleep=waits.append, attempts=4)
    owner_emulator.fault(nth=1, status=429, reason="rateLimitExceeded", retry_after=7, times=2)
    request = api.calendar().events().list(calendarId="primary")
    assert api.execute(request)["items"] == []
    assert waits == [7.0, 7.0]

    owner_emulator.fault(nth=1, status=503, reason="backendError", times=10)
    with pytest.raises(Exception, match="HTTP 503"):
        api.execute(api.calendar().events().list(calendarId="primary"))
    assert len(waits) == 2 + 3  # four attempts: three waits, then the error


# --- a failure at every request of a first reconcile -------------------------------------------


def test_docs_made_and_linked_but_never_filled_are_filled_by_the_next_run(
    g: GoogleDemo,
) -> None:
    """A run whose Docs writes all fail leaves each Doc made (and linked from its series)
    but blank: the next run fills each in place with the template and its agenda, with no
    second Doc, no second series and no link to attach."""
    g.emu.fault(nth=1, status=400, reason="badRequest", times=100, path=":batchUpdate$")
    assert g.syncd("reconcile").code == 1
    g.emu.clear_faults()
    state = g.emu.state()
    assert len(g.docs()) == 4 and all(not d["text"].strip() for d in state["docs"].values())
    _one_each(g)
    mark = len(g.emu.requests())
    run = g.syncd("reconcile")
    assert run.code == 0, run.out + run.err
    writes = {(m, _called(p)) for m, p in g.writes_since(mark)}
    assert writes == {("POST", "docs:batchUpdate")}
    _one_each(g)
    for doc in g.emu.state()["docs"].values():
        assert doc["text"].startswith("1:1 notes: ") and "— 1:1 with " in doc["text"]


@pytest.mark.parametrize("fault", [
    # The second Doc made inside the Drive batch, whose answer is lost (the parts after it
    # are not carried out): the listing shows it to the next run.
    {"path": "^/drive/v3/files$", "in_batch": True},
    {"path": "^/v1/documents/"},  # the second Doc filled with its template and agenda
])
def test_a_write_whose_answer_is_lost_is_not_sent_again(
        g: GoogleDemo, fault: dict[str, Any]) -> None:
    """A write is carried out and the connection closes unanswered. The client library
    would send it again by itself: two Docs for a person, or a template written twice.
    syncd does not; it reads what landed and finishes the rest, by a later run."""
    g.emu.fault(**fault, nth=2, drop=True)
    first = g.syncd("reconcile")
    assert first.code in (0, 1), first.err
    again = g.syncd("reconcile")
    assert again.code in (0, 1), again.err
    docs = Counter(f["appProperties"]["syncdPerson"] for f in g.docs())
    assert set(docs.values()) == {1}  # never two Docs for one person
    for doc in g.emu.state()["docs"].values():
        assert doc["text"].count("1:1 notes: ") <= 1, doc["text"]
        assert doc["text"].count("— 1:1 with ") <= 1, doc["text"]


def test_a_failure_at_any_request_then_a_rerun_leaves_one_series_and_one_doc_each(
    g: GoogleDemo,
) -> None:
    assert g.syncd("reconcile").code == 0
    # Faults count API calls, each part of a batch included; a batch envelope is not one.
    total = sum(1 for r in g.emu.requests() if "parts" not in r)
    assert total >= 14  # 2 to read, 3 a person
    for k in range(1, total + 1):
        g.emu.reset()
        for state in (g.root / "state").glob("*"):
            state.unlink()
        # 400 is never retried: the write at request k fails for good in this run.
        g.emu.fault(nth=k, status=400, reason="badRequest", times=1)
        first = g.syncd("reconcile")
        assert first.code in (0, 1), (k, first.err)
        second = g.syncd("reconcile")
        assert second.code == 0, (k, second.out, second.err)
        _one_each(g)


def test_a_create_that_already_happened_answers_409_and_is_found(g: GoogleDemo) -> None:
    roster = load_config(g.config).roster
    now = dt.datetime.fromisoformat("2026-11-25T09:00:00+01:00")
    spec = desired_spec(roster, roster.people[0], now, 1)

    def fresh() -> GoogleCalendar:  # a new process: nothing remembered
        return GoogleCalendar(_api(g.emu), "primary", people=roster.people, owner_email=OWNER,
                              default_timezone="Europe/Berlin")

    first = fresh().create(spec)
    mark = len(g.emu.requests())
    assert fresh().create(spec) == first
    assert [(r["method"], r["status"]) for r in g.emu.requests()[mark:]] == [
        ("POST", 409), ("GET", 200)]
    assert len(g.masters()) == 1


def test_the_weekly_report_reads_a_google_calendar(g: GoogleDemo) -> None:
    made = _hand_made_weekly(g)
    assert g.syncd("reconcile").code == 0
    cancelled = _instance(g, made["id"], "2026-12-08")
    g.calendar().events().delete(calendarId="primary", eventId=cancelled["id"]).execute()
    run = g.syncd("report", "--week", "2026-W50", "--format", "json",
                  now="2026-12-14T09:00:00+01:00")
    assert run.code == 0, run.err
    alice = next(p for p in run.json()["people"] if p["email"] == PEOPLE[0])
    assert [(s["expected"], s["reason"]) for s in alice["skipped_this_week"]] == [
        ("2026-12-08T10:00:00+01:00", "cancelled")]


def test_a_notes_doc_someone_shared_is_reported(g: GoogleDemo) -> None:
    assert g.syncd("reconcile").code == 0
    state = g.emu.state()
    alice = next(f for f in state["files"]
                 if f["appProperties"]["syncdPerson"] == identity.person_key(PEOPLE[0]))
    state["permissions"][alice["id"]] = [{"emailAddress": "someone@example.com"}]
    g.emu.seed(state)
    run = g.syncd("reconcile")
    assert f"{PEOPLE[0]}: the notes Doc {alice['id']} is shared with someone" in run.out
    assert not any("/permissions" in path for _, path in g.writes_since(0))  # never shares
