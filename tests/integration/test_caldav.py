"""End to end on real CalDAV servers (Radicale and Xandikos, each a subprocess): syncd's
CLI with the contract roster on one side, python-caldav as the people's own calendar app
on the other. First run, a rerun that writes nothing, a person's move, cancel and decline
left alone and classified, a deleted series, and the bad inputs a user meets: a wrong
password, a URL that is not a calendar, a server answering HTML, a calendar that
disappears mid-run."""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import http.server
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from syncd.calendars.caldav import CalDAVCalendar
from syncd.config import load_config
from syncd.core import identity, planner
from syncd.core.model import Series
from syncd.reconcile import reconcile
from syncd.state import State
from tests.caldav_servers import SERVERS, Server
from tests.contract import CONTRACT
from tests.contracts.caldav import CalDAVHarness, client
from tests.local_http import serving
from tests.security.conftest import run_syncd
from tests.workspace import NOW, Run, syncd

PEOPLE = ("alice@example.com", "bob@example.com", "erin@example.com", "carol@example.com")
ALICE = PEOPLE[0]
ZONE = dt.timezone(dt.timedelta(hours=1))
LATER = "2026-12-20T09:00:00+01:00"
PASSWORD_ENV = "SYNCD_TEST_CALDAV_PASSWORD"


@pytest.fixture(scope="module", params=sorted(SERVERS))
def server(request: pytest.FixtureRequest,
           tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    kind = str(request.param)
    with SERVERS[kind](tmp_path_factory.mktemp(kind)) as running:
        yield running


@pytest.fixture(scope="module")
def radicale(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """Radicale alone, for what needs a password (Xandikos asks for none over http)."""
    with SERVERS["radicale"](tmp_path_factory.mktemp("radicale-login")) as running:
        yield running


@dataclass
class DavDemo:
    """The contract roster on a fresh calendar of a running server."""

    server: Server
    root: Path
    person: CalDAVHarness  # the people's own calendar app on the same calendar

    @property
    def config(self) -> Path:
        return self.root / "config.yaml"

    def write_config(self, calendar: str | None = None, url: str | None = None) -> None:
        block = (f"{{kind: caldav, url: '{url or self.server.root}', username: "
                 f"{self.server.username}, password_env: {PASSWORD_ENV}, "
                 f"calendar: '{calendar or self.person.name}'}}")
        self.config.write_text(CONTRACT.replace(
            "{kind: local, path: examples/demo/calendar}", block).replace(
            "examples/demo/notes", str(self.root / "notes")).replace(
            "examples/demo/state", str(self.root / "state")))

    def syncd(self, *args: str, now: str = NOW) -> Run:
        return syncd(*args, "--config", str(self.config), "--now", now)

    def series(self, now: str = NOW) -> tuple[Series, ...]:
        """The calendar as a fresh client reads it."""
        moment = dt.datetime.fromisoformat(now)
        roster = load_config(self.config).roster
        calendar = CalDAVCalendar(client(self.server), calendar=self.person.url,
                                  default_timezone="Europe/Berlin", people=roster.people,
                                  owner_email=roster.owner.email)
        return calendar.read(*planner.read_window(moment))

    def live_owned(self, email: str, now: str = NOW) -> list[Series]:
        key = identity.person_key(email) + "-"
        moment = dt.datetime.fromisoformat(now)
        return [s for s in self.series(now)
                if s.marker.startswith(key) and planner.is_live(s, moment)]

    def etags(self) -> dict[str, str]:
        return {s.uid: s.etag for s in self.series()}


def demo_on(server: Server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> DavDemo:
    monkeypatch.setenv(PASSWORD_ENV, server.password or "xandikos asks for none")
    demo = DavDemo(server, tmp_path, CalDAVHarness(server))
    demo.write_config()
    return demo


@pytest.fixture
def dav(server: Server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> DavDemo:
    return demo_on(server, tmp_path, monkeypatch)


@pytest.fixture
def rad(radicale: Server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> DavDemo:
    return demo_on(radicale, tmp_path, monkeypatch)


def at(day: str, time: str = "10:00") -> dt.datetime:
    return dt.datetime.fromisoformat(f"{day}T{time}:00+01:00")


# --- the runs --------------------------------------------------------------------------


def test_first_run_creates_each_series_once_and_a_second_run_writes_nothing(
    dav: DavDemo,
) -> None:
    first = dav.syncd("reconcile", "--json")
    assert first.code == 0, first.out + first.err
    for email in PEOPLE:
        (series,) = dav.live_owned(email)
        assert series.uid == identity.series_uid(email, 1)
        assert series.notes_url.startswith("file://")
        assert {a.email for a in series.attendees} == {"dana@example.com", email}
        # Put once, with its notes link: no second write to attach it.
        assert b"SEQUENCE:0" in dav.person.get_raw(series.uid).replace(b"\r\n ", b"")
    before = dav.etags()
    again = dav.syncd("reconcile", "--json")
    assert again.code == 0, again.out + again.err
    assert again.json()["actions"] == []
    assert dav.etags() == before


def test_a_persons_move_cancel_and_decline_are_left_alone_and_classified(
    dav: DavDemo,
) -> None:
    assert dav.syncd("reconcile").code == 0
    uid = identity.series_uid(ALICE, 1)
    dav.person.move(uid, at("2026-12-01"), at("2026-12-02", "15:00"))
    dav.person.cancel(uid, at("2026-12-08"))
    dav.person.decline(uid, at("2026-12-15"), ALICE)
    edited = dav.person.get_raw(uid)
    before = dav.etags()

    run = dav.syncd("reconcile", now=LATER)
    assert run.code == 0, run.out + run.err
    # The person's edits are theirs: not one calendar write.
    assert dav.etags() == before
    assert dav.person.get_raw(uid) == edited

    status = dav.syncd("status", "--json", "--from", "2026-11-30", "--to", "2026-12-20",
                       now=LATER)
    assert status.code == 0, status.err
    (alice,) = [p for p in status.json()["people"] if p["email"] == ALICE]
    rows = {o["expected"][:10]: (o["status"], o["reason"], o["actual_start"])
            for o in alice["occurrences"]}
    assert rows == {
        "2026-12-01": ("rescheduled", None, "2026-12-02T15:00:00+01:00"),
        "2026-12-08": ("skipped", "cancelled", None),
        "2026-12-15": ("skipped", "declined-by-them", None),
    }


def test_a_deleted_series_is_recreated_under_a_new_id_with_a_warning(dav: DavDemo) -> None:
    assert dav.syncd("reconcile").code == 0
    dav.person.delete(identity.series_uid(ALICE, 1))
    run = dav.syncd("reconcile", "--json", now=LATER)
    assert run.code == 0, run.out + run.err
    assert any(w.startswith(ALICE) for w in run.json()["warnings"]), run.out
    (series,) = dav.live_owned(ALICE, LATER)
    assert series.uid == identity.series_uid(ALICE, 2)


# --- bad input: one line, exit 1, nothing written ----------------------------------------


def nothing_written(dav: DavDemo) -> None:
    assert dav.series() == ()


def one_line(run: Run) -> str:
    text = (run.out + run.err).strip()
    assert "Traceback" not in text
    return text


def test_a_wrong_password_is_one_line_and_plans_nothing(
    rad: DavDemo, monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(PASSWORD_ENV, "wrong password")
    run = rad.syncd("reconcile")
    assert run.code == 1
    text = one_line(run)
    assert "refused the username or password (HTTP 401)" in text, text
    assert "wrong password" not in text
    # Nothing planned at all: no notes either.
    assert not (rad.root / "notes").exists()
    nothing_written(rad)


def test_a_url_that_is_not_a_calendar_is_named_and_nothing_is_written(dav: DavDemo) -> None:
    dav.write_config(calendar=dav.server.home_url)
    run = dav.syncd("reconcile")
    assert run.code == 1
    assert "is not a calendar" in one_line(run)
    nothing_written(dav)


class HTMLPage(http.server.BaseHTTPRequestHandler):
    """A login page or captive portal: 200 and HTML, whatever is asked."""

    def _page(self) -> None:
        body = b"<!doctype html><html><body><h1>Please sign in</h1></body></html>"
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_PROPFIND = do_REPORT = do_PUT = _page

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def html_server() -> Iterator[str]:
    with serving(HTMLPage) as base:
        yield base + "/"


def test_a_server_answering_html_is_named_and_nothing_is_written(
    rad: DavDemo, html_server: str,
) -> None:
    rad.write_config(calendar=html_server + "dana/work/", url=html_server)
    run = rad.syncd("reconcile")
    assert run.code == 1
    assert "did not answer like a CalDAV server (HTTP 200, text/html)" in one_line(run)
    nothing_written(rad)


def test_a_calendar_deleted_mid_run_fails_the_writes_and_nothing_is_written(
    dav: DavDemo,
) -> None:
    config = load_config(dav.config)
    state = State.open(dav.root / "state")
    gone: list[bool] = []

    def delete_calendar_once() -> bool:
        # Asked before each action: the calendar goes between the read and the writes.
        if not gone:
            dav.person.person.delete()
            gone.append(True)
        return False

    try:
        result = reconcile(config, state, dt.datetime.fromisoformat(NOW), dry_run=False,
                           force=True, stop=delete_calendar_once)
        assert result.exit_code == 1
        assert result.outcome is not None and result.outcome.failed
        assert [s.uid for s in state.memory().series] == []
    finally:
        state.close()
    # No write brought the calendar (or anything in it) back.
    answer = client(dav.server).request(dav.person.url, "PROPFIND", "", {"Depth": "1"})
    # Radicale answers 404; Xandikos a 207 holding a 404 for the collection.
    assert answer.status == 404 or (answer.status == 207 and "404" in str(answer.raw))
    assert ".ics" not in str(answer.raw)


def test_a_password_file_others_can_read_is_refused(
    rad: DavDemo, monkeypatch: pytest.MonkeyPatch,
) -> None:
    secret = rad.root / "caldav-password"
    secret.write_text(rad.server.password + "\n")
    secret.chmod(0o644)
    rad.config.write_text(rad.config.read_text().replace(
        f"password_env: {PASSWORD_ENV}", f"password_file: {secret}"))
    run = rad.syncd("reconcile")
    assert run.code == 1
    assert "readable by others (mode 0644)" in one_line(run)
    nothing_written(rad)
    secret.chmod(0o600)
    run = rad.syncd("reconcile")
    assert run.code == 0, run.out + run.err
    assert len(rad.series()) == 4
    assert rad.server.password not in run.out + run.err


@pytest.mark.parametrize("log_format", ["text", "json"])
def test_the_password_never_reaches_a_log_line(rad: DavDemo, log_format: str) -> None:
    # A subprocess at --log-level debug: its stderr is every line it logged, the caldav
    # library's request and response dumps included.
    run = run_syncd(rad.config, "reconcile", log_format=log_format,
                    env={PASSWORD_ENV: rad.server.password})
    assert run.code == 0, run.out + run.err
    assert "DEBUG" in run.err.upper(), "the debug log is empty: nothing was checked"
    token = base64.b64encode(f"dana:{rad.server.password}".encode()).decode()
    for secret in (rad.server.password, token):
        assert secret not in run.out + run.err


def _event(uid: str, attendee_line: str, summary: str) -> str:
    return ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//A calendar app//EN\r\n"
            f"BEGIN:VEVENT\r\nUID:{uid}\r\nDTSTAMP:20261101T000000Z\r\n"
            "DTSTART;TZID=Europe/Berlin:20261201T150000\r\n"
            "DTEND;TZID=Europe/Berlin:20261201T153000\r\nRRULE:FREQ=WEEKLY;BYDAY=TU\r\n"
            f"SUMMARY:{summary}\r\nORGANIZER:mailto:dana@example.com\r\n"
            f"{attendee_line}\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")


def test_only_events_that_concern_the_roster_are_kept(dav: DavDemo) -> None:
    # Alice's address folded across two lines, as calendar apps write long lines.
    dav.person.person.add_event(_event(
        "alice-hand@example.com", "ATTENDEE;CN=Alice;PARTSTAT=ACCEPTED:mailto:ali\r\n"
        " ce@example.com", "Alice / Dana"))
    dav.person.person.add_event(_event(
        "team@example.com", "ATTENDEE;PARTSTAT=ACCEPTED:mailto:zoe@example.com",
        "Team sync"))
    # The lead's time off, marked as Outlook marks it: kept for the pauses it makes.
    dav.person.person.add_event(_event(
        "away@example.com", "X-MICROSOFT-CDO-BUSYSTATUS:OOF", "Conference"))
    roster = load_config(dav.config).roster
    window = planner.read_window(dt.datetime.fromisoformat(NOW))

    def calendar(people: tuple[Any, ...], cache: Any = None) -> CalDAVCalendar:
        return CalDAVCalendar(client(dav.server), calendar=dav.person.url,
                              default_timezone="Europe/Berlin", people=people,
                              owner_email=roster.owner.email, cache=cache)

    first = calendar(roster.people)
    kept = ["alice-hand@example.com", "away@example.com"]
    assert [s.uid for s in first.read(*window)] == kept
    assert len(first.cache.resources) == 2 and len(first.cache.skipped) == 1
    # Someone else's event changes: read again, still not kept.
    team = dav.person.person.get_object_by_uid("team@example.com")
    team.data = str(team.data).replace("Team sync", "Team sync (moved room)")
    team.save()
    again = calendar(roster.people, first.cache)
    assert [s.uid for s in again.read(*window)] == kept
    # Zoe joins the roster: the window is read again and her event is found.
    zoe = dataclasses.replace(roster.people[0], name="Zoe", email="zoe@example.com")
    widened = calendar((*roster.people, zoe), again.cache)
    assert [s.uid for s in widened.read(*window)] == [*kept, "team@example.com"]
