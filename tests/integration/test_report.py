"""`syncd report` end to end on a copy of the demo: golden files for every format, a
week's skips that outlive the feed, text that tries to inject markup or headers, and
email through a real SMTP server (STARTTLS or SSL, with a login)."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import ipaddress
import json
import os
import re
import socket
import ssl
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import jsonschema
import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from syncd.core.model import AgendaWrite
from syncd.notes import text as notes_text
from syncd.notes.markdown import MarkdownNotes
from tests.unit.test_report_render import Page
from tests.workspace import HEAD_YAML, PEOPLE_YAML, ROOT, Run, Workspace, syncd

GOLDEN = ROOT / "tests" / "data" / "golden" / "report"
SCHEMA = json.loads((ROOT / "docs" / "report-schema.json").read_text())
UPDATE = os.environ.get("SYNCD_UPDATE_GOLDEN") == "1"

RECONCILED = "2026-12-14T08:00:00+01:00"  # Monday: syncd adopts, creates and prepares notes
NOW = "2026-12-15T08:30:00+01:00"  # Tuesday: the default report is on 2026-W50
PASSWORD = "correct horse battery staple"

# Bob has been expected since September, and Gina is new with no series before syncd's.
TEAM_YAML = PEOPLE_YAML.replace("cadence: monthly, slot:",
                                "cadence: monthly, start: 2026-09-01, slot:") + (
    '  - {name: Gina New, email: gina@example.com, cadence: weekly, start: 2026-11-01,'
    ' slot: {day: fri, time: "09:00"}}\n')

# Erin's hand-made biweekly: Dana declined 26 Nov, Erin declined 10 Dec, and an ad-hoc
# catch-up on 21 Dec (too far for a make-up by the skip rules, before the next slot).
ERIN_EVENTS = """\
BEGIN:VEVENT
UID:erin-1@example.com
DTSTART;TZID=Europe/Berlin:20260903T160000
DTEND;TZID=Europe/Berlin:20260903T163000
RRULE:FREQ=WEEKLY;INTERVAL=2;BYDAY=TH
DTSTAMP:20260820T090000Z
ORGANIZER;CN=Dana Lead:mailto:dana@example.com
ATTENDEE;CN=Dana Lead;PARTSTAT=ACCEPTED:mailto:dana@example.com
ATTENDEE;CN=Erin Manager;PARTSTAT=ACCEPTED:mailto:erin@example.com
SUMMARY:Erin / Dana
END:VEVENT
BEGIN:VEVENT
UID:erin-1@example.com
RECURRENCE-ID;TZID=Europe/Berlin:20261126T160000
DTSTART;TZID=Europe/Berlin:20261126T160000
DTEND;TZID=Europe/Berlin:20261126T163000
DTSTAMP:20261101T090000Z
ORGANIZER;CN=Dana Lead:mailto:dana@example.com
ATTENDEE;CN=Dana Lead;PARTSTAT=DECLINED:mailto:dana@example.com
ATTENDEE;CN=Erin Manager;PARTSTAT=ACCEPTED:mailto:erin@example.com
SUMMARY:Erin / Dana
END:VEVENT
BEGIN:VEVENT
UID:erin-1@example.com
RECURRENCE-ID;TZID=Europe/Berlin:20261210T160000
DTSTART;TZID=Europe/Berlin:20261210T160000
DTEND;TZID=Europe/Berlin:20261210T163000
DTSTAMP:20261101T090000Z
ORGANIZER;CN=Dana Lead:mailto:dana@example.com
ATTENDEE;CN=Dana Lead;PARTSTAT=ACCEPTED:mailto:dana@example.com
ATTENDEE;CN=Erin Manager;PARTSTAT=DECLINED:mailto:erin@example.com
SUMMARY:Erin / Dana
END:VEVENT
BEGIN:VEVENT
UID:erin-makeup@example.com
DTSTART;TZID=Europe/Berlin:20261221T150000
DTEND;TZID=Europe/Berlin:20261221T153000
DTSTAMP:20261101T090000Z
ORGANIZER;CN=Dana Lead:mailto:dana@example.com
ATTENDEE;CN=Dana Lead;PARTSTAT=ACCEPTED:mailto:dana@example.com
ATTENDEE;CN=Erin Manager;PARTSTAT=ACCEPTED:mailto:erin@example.com
SUMMARY:Erin / Dana catch-up
END:VEVENT
"""
CALENDAR = "BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:-//test//EN\n{}END:VCALENDAR\n"

# A stranger whose name and event title try HTML, Markdown and a mail header.
HOSTILE_NAME = "<script>alert(1)</script> **x** [y](http://evil.example)"
HOSTILE_EVENT = CALENDAR.format("""\
BEGIN:VEVENT
UID:mallory@example.com
DTSTART;TZID=Europe/Berlin:20260907T120000
DTEND;TZID=Europe/Berlin:20260907T123000
RRULE:FREQ=WEEKLY;BYDAY=MO
DTSTAMP:20260820T090000Z
ORGANIZER;CN=Dana Lead:mailto:dana@example.com
ATTENDEE;CN=Dana Lead;PARTSTAT=ACCEPTED:mailto:dana@example.com
ATTENDEE;CN="<script>alert(1)</script> **x** [y](http://evil.example)";PARTSTAT=ACCEPTED:
 mailto:mallory@example.com
SUMMARY:Sync\\nBcc: mallory@example.com <img src=x onerror=alert(1)>
END:VEVENT
""")


def report(demo: Workspace, *args: str, now: str = NOW) -> Run:
    """`syncd report` on the demo copy at a fixed moment."""
    return syncd("report", "--config", str(demo.config), "--now", now, *args)


def normalized(text: str, demo: Workspace) -> str:
    """Output with the temp folder's path replaced, so it can be compared with a golden file."""
    return text.replace(demo.root.resolve().as_uri(), "file:///DEMO").replace(
        str(demo.root.resolve()), "/DEMO")


@pytest.fixture
def team(demo: Workspace) -> Workspace:
    """The demo with Erin's events and Gina, reconciled on Monday; Gina's agenda is written."""
    (demo.calendar / "erin-biweekly.ics").write_text(CALENDAR.format(ERIN_EVENTS))
    demo.write_config(TEAM_YAML)
    run = demo.syncd("reconcile", now=RECONCILED)
    assert run.code == 0, run.err
    gina = demo.notes / "gina@example.com.md"
    gina.write_text(gina.read_text().replace("### Their topics\n- ",
                                             "### Their topics\n- onboarding buddy"))
    return demo


def skips(run: Run) -> list[tuple[str, str, str]]:
    return [(p["email"], s["expected"], s["reason"]) for p in run.json()["people"]
            for s in p["skipped_this_week"]]


# --- golden files ----------------------------------------------------------------


@pytest.mark.parametrize("fmt, suffix", [("text", "txt"), ("markdown", "md"), ("json", "json"),
                                         ("html", "html")])
def test_report_matches_its_golden_file(team: Workspace, fmt: str, suffix: str) -> None:
    run = report(team, "--format", fmt)
    assert run.code == 0, run.err
    got = normalized(run.out, team)
    golden = GOLDEN / f"report.{suffix}"
    if UPDATE:
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_text(got)
    assert golden.exists(), f"{golden} missing: run with SYNCD_UPDATE_GOLDEN=1 and review it"
    assert got == golden.read_text()


def test_json_report_is_valid_and_says_who_was_skipped_and_why(team: Workspace) -> None:
    run = report(team, "--format", "json")
    data = run.json()
    jsonschema.Draft202012Validator(SCHEMA).validate(data)
    assert data["week"] == {"start": "2026-12-07T00:00:00+01:00",
                            "end": "2026-12-14T00:00:00+01:00", "label": "2026-W50"}
    assert data["generated_at"] == NOW
    assert [p["email"] for p in data["people"]] == [
        "alice@example.com", "bob@example.com", "erin@example.com", "carol@example.com",
        "gina@example.com"]
    people = {p["email"]: p for p in data["people"]}
    assert people["alice@example.com"]["skipped_this_week"] == [
        {"expected": "2026-12-08T10:00:00+01:00", "reason": "cancelled", "make_up": None,
         # The first free slot before her next 1:1 (Tue 10:00), as syncd suggest offers it.
         "suggestion": "2026-12-15T08:45:00+01:00"}]
    assert people["erin@example.com"]["skipped_this_week"] == [
        {"expected": "2026-12-10T16:00:00+01:00", "reason": "declined-by-them",
         "make_up": "2026-12-21T15:00:00+01:00", "suggestion": None}]
    assert people["gina@example.com"]["skipped_this_week"][0]["reason"] == "missing"
    # Erin: declined by Dana on 26 Nov and by Erin on 10 Dec; last held on 12 Nov.
    assert (people["erin@example.com"]["skip_streak"],
            people["erin@example.com"]["days_since_last_held"],
            people["erin@example.com"]["overdue"]) == (2, 33, True)
    assert people["alice@example.com"]["adherence_12w"] == 0.917
    assert [(u["email"], u["agenda"]) for u in data["next_week"]] == [
        ("alice@example.com", "empty"), ("gina@example.com", "written")]
    health = data["roster_health"]
    assert health["no_series"] == [] and health["calendar_read"] is True
    assert [p["returns"] for p in health["paused"]] == ["2027-01-09"]
    assert health["not_on_roster"] == [
        {"email": "frank@example.com", "name": "Frank Contractor", "summary": "Frank / Dana"}]


def test_html_report_is_one_file_with_a_heatmap_square_per_person_and_week(team: Workspace) -> None:
    run = report(team, "--format", "html")
    page = Page(run.out)
    people = 5
    assert len(page.cells) == people * 12
    assert "Gina New, 2026-W50: missing" in page.titles
    assert "Erin Manager, 2026-W48: skipped" in page.titles
    assert "Alice Example, 2026-W49: held" in page.titles
    # No external asset: nothing is fetched when the mail or file is opened.
    assert not {"script", "link", "img", "iframe"} & set(page.tags)
    assert not [v for k, v in page.attrs if k == "src"]
    hrefs = [v or "" for k, v in page.attrs if k == "href"]
    assert hrefs and all(h.startswith("file://") for h in hrefs)
    assert 'name="viewport"' in run.out


def test_week_and_span_options_and_usage_errors(team: Workspace) -> None:
    earlier = report(team, "--week", "2026-w49", "--format", "json")
    assert earlier.code == 0, earlier.err
    assert ("bob@example.com", "2026-12-03T14:00:00+01:00", "missing") in skips(earlier)
    span = report(team, "--from", "2026-12-01", "--to", "2026-12-13", "--format", "json")
    assert span.json()["week"]["label"] == "2026-12-01..2026-12-13"
    assert set(skips(earlier)) | set(skips(report(team, "--format", "json"))) == set(skips(span))
    for bad in (("--week", "2026-W60"), ("--week", "47"), ("--from", "2026-12-01"),
                ("--week", "2026-W50", "--from", "2026-12-01", "--to", "2026-12-02"),
                ("--from", "2026-12-09", "--to", "2026-12-01"), ("--email",)):
        run = report(team, *bad)
        assert run.code == 2, bad
        assert run.out == ""


def test_output_file_is_private_and_stdout_stays_empty(team: Workspace) -> None:
    target = team.root / "out" / "week.md"
    target.parent.mkdir()
    run = report(team, "--format", "markdown", "--output", str(target))
    assert run.code == 0 and run.out == ""
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert target.read_text().startswith("# 1:1 report for Dana Lead: 2026-W50")


def test_agenda_written_tells_template_from_notes(tmp_path: Path) -> None:
    notes = MarkdownNotes(tmp_path)
    doc = notes.create("ann@example.com", "Ann", "Dana")
    day = dt.date(2026, 12, 16)

    def written(key: dt.date) -> bool | None:
        found = notes.find("ann@example.com", None)
        assert found is not None
        return notes_text.agenda_written(found.agenda, key)

    assert written(day) is None
    for key in (day, day + dt.timedelta(days=7)):
        when = dt.datetime.combine(key, dt.time(10), ZoneInfo("Europe/Berlin"))
        notes.append_section(doc, AgendaWrite(key, when), "1:1 with Ann",
                             notes_text.shipped_agenda("report"))
    assert written(day) is False
    file = tmp_path / doc.doc_id
    # Write under the first section only: the second one stays the bare template.
    first, marker, second = file.read_text().partition("<!-- syncd:agenda 2026-12-23 ")
    file.write_text(first.replace("### Their topics\n- \n",
                                  "### Their topics\n- promotion case\n") + marker + second)
    assert written(day) is True
    assert written(day + dt.timedelta(days=7)) is False
    assert written(dt.date(2027, 1, 1)) is None


# --- history -------------------------------------------------------------------


def ics_team(demo: Workspace) -> Path:
    """The team's calendar as one read-only ICS file."""
    alice = (demo.calendar / "alice-weekly.ics").read_text()
    feed = demo.root / "feed.ics"
    feed.write_text(alice.replace("END:VCALENDAR", ERIN_EVENTS.replace("\n", "\r\n")
                                  + "END:VCALENDAR"))
    demo.config.write_text(HEAD_YAML.replace("{kind: local, path: calendar}",
                                             "{kind: ics, path: feed.ics}") + TEAM_YAML)
    return feed


def test_a_weeks_skips_survive_the_feed_dropping_its_events(demo: Workspace) -> None:
    feed = ics_team(demo)
    assert demo.syncd("reconcile", now=NOW).code == 0
    first = report(demo, "--week", "2026-W50", "--format", "json")
    assert first.code == 0, first.err
    assert {("alice@example.com", "2026-12-08T10:00:00+01:00", "cancelled"),
            ("erin@example.com", "2026-12-10T16:00:00+01:00", "declined-by-them"),
            ("gina@example.com", "2026-12-11T09:00:00+01:00", "missing")} == set(skips(first))
    feed.write_text(CALENDAR.format(""))
    again = report(demo, "--week", "2026-W50", "--format", "json")
    assert again.code == 0, again.err
    assert skips(again) == skips(first)
    # A feed that cannot be read: the same skips from history, a warning, exit 1.
    feed.write_text("BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:x")
    broken = report(demo, "--week", "2026-W50", "--format", "json")
    assert broken.code == 1
    assert "not read" in broken.err and "stored history" in broken.err
    assert skips(broken) == skips(first)
    health = broken.json()["roster_health"]
    assert (health["calendar_read"], health["no_series"], health["not_on_roster"]) == (
        False, None, None)
    # Pauses come from the roster: known without the calendar.
    assert [p["email"] for p in health["paused"]] == ["carol@example.com"]
    text = report(demo, "--week", "2026-W50")
    assert text.code == 1 and "the calendar could not be read" in text.out


# --- injection -------------------------------------------------------------------


def test_calendar_text_cannot_inject_markup_lines_or_headers_in_any_format(team: Workspace) -> None:
    (team.calendar / "mallory.ics").write_text(HOSTILE_EVENT)
    runs = {fmt: report(team, "--format", fmt) for fmt in ("text", "markdown", "json", "html")}
    assert all(run.code == 0 for run in runs.values()), {f: r.err for f, r in runs.items()}
    text, md = runs["text"].out, runs["markdown"].out
    assert not any(line.startswith("Bcc:") for line in (text + md).splitlines())
    assert f'{HOSTILE_NAME} <mallory@example.com>, "Sync Bcc: mallory@example.com' in text
    assert re.search(r"(?<!\\)<", md) is None
    assert r"\<script\>alert\(1\)\</script\> \*\*x\*\* \[y\]\(http://evil.example\)" in md
    page = Page(runs["html"].out)
    assert "script" not in page.tags and "img" not in page.tags
    assert f"Not on the roster: {HOSTILE_NAME}" in " ".join("".join(page.text).split())
    (stranger,) = [s for s in runs["json"].json()["roster_health"]["not_on_roster"]
                   if s["email"] == "mallory@example.com"]
    assert stranger["name"] == HOSTILE_NAME
    assert stranger["summary"] == "Sync\nBcc: mallory@example.com <img src=x onerror=alert(1)>"


# --- email ---------------------------------------------------------------------


@dataclass
class Mailbox:
    """What the test SMTP server accepted."""

    port: int
    ca: Path
    received: list[Envelope] = field(default_factory=list)

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        self.received.append(envelope)
        return "250 OK"


def _check_login(server: SMTP, session: Session, envelope: Envelope, mechanism: str,
                 auth_data: Any) -> AuthResult:
    if isinstance(auth_data, LoginPassword) and auth_data.login == b"dana" \
            and auth_data.password == PASSWORD.encode():
        return AuthResult(success=True)
    # handled=False lets the server answer 535; True would drop the connection instead.
    return AuthResult(success=False, handled=False)


def _certificates(folder: Path) -> tuple[Path, Path, Path]:
    """A throw-away CA and a server certificate for 127.0.0.1: (ca, cert, key) PEM files."""
    now = dt.datetime.now(dt.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "syncd test CA")])
    ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name)
          .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
          .not_valid_before(now - dt.timedelta(hours=1))
          .not_valid_after(now + dt.timedelta(days=1))
          .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
          .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False,
                                       False), critical=True)
          .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()),
                         critical=False)
          .sign(ca_key, hashes.SHA256()))
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]))
            .issuer_name(ca_name).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(hours=1))
            .not_valid_after(now + dt.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]),
                           critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(
                ca_key.public_key()), critical=False)
            .sign(ca_key, hashes.SHA256()))
    paths = folder / "ca.pem", folder / "server.pem", folder / "server.key"
    paths[0].write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    paths[1].write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    paths[2].write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return paths


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextmanager
def smtp_server(folder: Path, mode: str = "starttls") -> Iterator[Mailbox]:
    """An SMTP server on 127.0.0.1 that wants a login: STARTTLS, implicit TLS ("ssl"), or
    "plain" (no TLS at all); stopped when the block ends."""
    ca, cert, key = _certificates(folder)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    box = Mailbox(_free_port(), ca)
    tls: dict[str, Any] = {
        "starttls": {"tls_context": context, "require_starttls": True, "auth_require_tls": True},
        "ssl": {"ssl_context": context, "auth_require_tls": False},
        "plain": {"auth_require_tls": False},
    }[mode]
    controller = Controller(box, hostname="127.0.0.1", port=box.port,
                            authenticator=_check_login, **tls)
    controller.start()
    try:
        yield box
    finally:
        controller.stop()


def mail_config(demo: Workspace, box: Mailbox, security: str = "starttls",
                password: str = "password_env: SYNCD_TEST_SMTP_PASSWORD",
                owner: str = "Dana Lead") -> None:
    head = HEAD_YAML.replace("owner: {name: Dana Lead,", f"owner: {{name: {owner},")
    demo.config.write_text(head + TEAM_YAML + f"""\
report:
  email:
    to: [dana@example.com]
    from: syncd@example.com
    host: 127.0.0.1
    port: {box.port}
    security: {security}
    user: dana
    {password}
    ca_file: {box.ca}
""")


def assert_saved(demo: Workspace, run: Run) -> None:
    """A failed send exits 1 and keeps the text and HTML report, private, in the state dir."""
    assert run.code == 1
    assert "report not sent" in run.err and PASSWORD not in run.err + run.out
    saved = [demo.state / "reports" / f"2026-W50.{suffix}" for suffix in ("html", "txt")]
    for path in saved:
        assert str(path) in run.err
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert saved[1].read_text() == report(demo).out
    assert "<svg" in saved[0].read_text()


@pytest.mark.parametrize("security", ["starttls", "ssl"])
def test_email_is_sent_as_text_and_html_over_tls_with_a_login(
        team: Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, security: str) -> None:
    monkeypatch.setenv("SYNCD_TEST_SMTP_PASSWORD", PASSWORD)
    with smtp_server(tmp_path, security) as box:
        mail_config(team, box, security, owner='"Dana Lead\\r\\nBcc: mallory@example.com"')
        run = report(team, "--email")
    assert run.code == 0, run.err
    assert run.out == "report 2026-W50 sent to dana@example.com\n"
    (envelope,) = box.received
    assert envelope.rcpt_tos == ["dana@example.com"]
    assert envelope.mail_from == "syncd@example.com"
    assert isinstance(envelope.original_content, bytes)
    msg = email.message_from_bytes(envelope.original_content, policy=email.policy.default)
    assert "Bcc" not in msg
    assert msg["From"].addresses[0].display_name == "Dana Lead  Bcc: mallory@example.com"
    assert msg["Subject"] == "1:1 report 2026-W50: 3 skipped, 4 overdue, 1 agenda to write"
    plain, html = msg.get_body(("plain",)), msg.get_body(("html",))
    assert plain is not None and html is not None
    assert plain.get_content().replace("\r\n", "\n") == report(team).out
    assert len(Page(html.get_content()).cells) == 5 * 12
    assert not (team.state / "reports").exists()


def test_a_refused_login_exits_1_and_keeps_the_report(team: Workspace, tmp_path: Path) -> None:
    secret = team.root / "smtp-password"
    secret.write_text("not the password\n")
    secret.chmod(0o600)
    with smtp_server(tmp_path) as box:
        mail_config(team, box, password=f"password_file: {secret}")
        run = report(team, "--email")
    assert box.received == []
    assert "login as dana refused (535" in run.err
    assert_saved(team, run)


def test_no_starttls_offered_means_no_mail_not_a_plain_text_login(
        team: Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SYNCD_TEST_SMTP_PASSWORD", PASSWORD)
    with smtp_server(tmp_path, "plain") as box:
        mail_config(team, box)
        run = report(team, "--email")
    assert box.received == []
    assert "STARTTLS" in run.err
    assert_saved(team, run)


def test_an_unreachable_server_or_missing_password_exits_1_and_keeps_the_report(
        team: Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    box = Mailbox(_free_port(), _certificates(tmp_path)[0])
    mail_config(team, box)
    unset = report(team, "--email")
    assert "SYNCD_TEST_SMTP_PASSWORD" in unset.err
    assert_saved(team, unset)
    monkeypatch.setenv("SYNCD_TEST_SMTP_PASSWORD", PASSWORD)
    refused = report(team, "--email")
    assert f"127.0.0.1:{box.port}" in refused.err
    assert_saved(team, refused)


def test_a_password_in_the_config_is_refused_with_a_hint(team: Workspace) -> None:
    team.config.write_text(HEAD_YAML + TEAM_YAML + """\
report:
  email: {to: [dana@example.com], from: syncd@example.com, host: smtp.example.com,
          user: dana, password: hunter2}
""")
    run = report(team, "--email")
    assert run.code == 2
    assert re.search(r"config\.yaml:\d+: report\.email\.password: do not put the password in "
                     r"the config: use password_file .* or password_env", run.err)
    assert "hunter2" not in run.err
