"""Names and titles that try to break out of every format syncd writes them into.

The roster name (tests/data/hostile/roster_injection.yaml) carries HTML, Markdown,
CR LF and lines that look like email headers and iCalendar properties; the calendar
title (ics_injection_title.ics) does the same from someone else's invitation. Each
output must hold them as inert text: never a tag, a heading, a header or a property.
"""

from __future__ import annotations

import email
import email.policy
import re
import shutil
from email.message import EmailMessage
from pathlib import Path

import icalendar
import pytest

from tests.hostile.conftest import CORPUS
from tests.integration.test_report import smtp_server
from tests.unit.test_report_render import Page
from tests.workspace import Workspace

NAME = ("Eve <script>alert(1)</script> <img src=x onerror=alert(2)> **b** "
        "[x](javascript:alert(3))\r\n# Injected heading\r\nBcc: mallory@example.com\r\n"
        "X-INJECTED:1\r\nATTENDEE:mailto:mallory@example.com")
# Lines an injection would have started; no output may have a line starting so.
FORGED = ("# Injected", "Bcc:", "X-INJECTED", "ATTENDEE:mailto:mallory")


@pytest.fixture
def eve(ws: Workspace) -> Workspace:
    people = (CORPUS / "roster_injection.yaml").read_text()
    ws.write_config(people=people)
    shutil.copy(CORPUS / "ics_injection_title.ics", ws.calendar / "mallory.ics")
    return ws


def forged_lines(text: str, folded: bool = False) -> list[str]:
    """Lines starting as an injection would. `folded`: in email headers a line starting
    with white space continues the header above it, so only unindented lines count."""
    lines = re.split(r"\r\n|\r|\n", text)
    return [line for line in lines if (line if folded else line.lstrip()).startswith(FORGED)]


def test_the_roster_really_holds_the_hostile_name(eve: Workspace) -> None:
    run = eve.syncd("status", "--json")
    assert run.code == 0, run.err
    assert [p["name"] for p in run.json()["people"]] == [NAME]


def test_html_report_shows_names_and_titles_as_text(eve: Workspace) -> None:
    run = eve.syncd("report", "--format", "html")
    assert run.code == 0, run.err
    page = Page(run.out)
    assert not {"script", "img"} & set(page.tags)
    assert not [name for name, _ in page.attrs if name.startswith("on")]
    assert not [value for _, value in page.attrs if value and "javascript:" in value]
    text = " ".join("".join(page.text).split())
    assert " ".join(NAME.split()) in text
    assert "<script>alert(4)</script>" in text  # mallory's CN, from the calendar


def test_markdown_report_escapes_markup_and_keeps_values_on_one_line(eve: Workspace) -> None:
    run = eve.syncd("report", "--format", "markdown")
    assert run.code == 0, run.err
    assert forged_lines(run.out) == []
    assert re.search(r"(?<!\\)<(script|img)", run.out) is None
    assert r"\[x\]\(javascript:alert\(3\)\)" in run.out
    assert "](javascript:" not in run.out


def test_markdown_notes_headings_stay_one_line(eve: Workspace) -> None:
    run = eve.syncd("reconcile")
    assert run.code == 0, run.err
    notes = (eve.root / "notes" / "eve@example.com.md").read_text()
    assert forged_lines(notes) == []
    title, *_ = notes.splitlines()
    assert title == "# 1:1 notes: " + " ".join(NAME.split())
    agenda = [line for line in notes.splitlines()
              if re.match(r"## \w{3} \d{4}-\d{2}-\d{2} \d{2}:\d{2} — ", line)]
    assert agenda == ["## Tue 2026-12-01 10:00 — 1:1 with " + " ".join(NAME.split())]


def test_a_name_holding_an_agenda_marker_does_not_hide_that_agenda(ws: Workspace) -> None:
    people = (CORPUS / "roster_injection.yaml").read_text().replace(
        'ATTENDEE:mailto:mallory@example.com"',
        'ATTENDEE:mailto:mallory@example.com <!-- syncd:agenda 2026-12-01 -->"')
    ws.write_config(people=people)
    assert ws.syncd("reconcile").code == 0
    notes = (ws.root / "notes" / "eve@example.com.md").read_text()
    assert re.search(r"^## Tue 2026-12-01 10:00 — ", notes, re.M)


def test_email_headers_cannot_be_forged_through_the_owner_name(ws: Workspace,
                                                               tmp_path: Path) -> None:
    with smtp_server(tmp_path, "plain") as box:
        head = ws.config.read_text().replace(
            "owner: {name: Dana Lead,", r'owner: {name: "' + NAME.replace("\r\n", r"\r\n")
            .replace('"', r'\"') + '",')
        ws.config.write_text(head + f"""\
report:
  email: {{to: [dana@example.com], from: syncd@example.com, host: 127.0.0.1, port: {box.port},
          security: none}}
""")
        shutil.copy(CORPUS / "ics_injection_title.ics", ws.calendar / "mallory.ics")
        run = ws.syncd("report", "--email")
        assert run.code == 0, run.err
    (envelope,) = box.received
    assert envelope.rcpt_tos == ["dana@example.com"]
    assert isinstance(envelope.content, bytes)
    raw = envelope.content.decode("ascii")
    headers, _, _ = raw.partition("\r\n\r\n")
    assert forged_lines(headers, folded=True) == []
    message = email.message_from_bytes(envelope.content, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    assert sorted(message.keys()) == ["Content-Type", "Date", "From", "MIME-Version",
                                      "Message-ID", "Subject", "To"]
    # A long name folded across lines lost its quotes, and "<script>" read as the address.
    (sender,) = message["From"].addresses
    assert sender.addr_spec == "syncd@example.com"
    assert sender.display_name == NAME.replace("\r\n", "  ")[:57] + "..."
    # The calendar's title reaches the body only, and on one line there too.
    text = message.get_body(("plain",))
    assert text is not None and forged_lines(text.get_content()) == []


def test_ics_properties_cannot_be_injected_through_a_name(eve: Workspace) -> None:
    run = eve.syncd("reconcile")
    assert run.code == 0, run.err
    export = eve.root / "export.ics"
    assert eve.syncd("export", "--output", str(export)).code == 0
    created = [f for f in eve.calendar.iterdir() if f.name != "mallory.ics"]
    assert len(created) == 1
    for path in (*created, export):
        data = path.read_bytes()
        assert forged_lines(data.decode()) == [], path
        (event,) = icalendar.Calendar.from_ical(data).walk("VEVENT")
        assert "X-INJECTED" not in event
        attendees = event.get("ATTENDEE")
        assert sorted(str(a) for a in attendees) == ["mailto:dana@example.com",
                                                     "mailto:eve@example.com"]
        # The name survives, as one value: its line breaks escaped, not executed.
        assert "X-INJECTED:1" in str(event["SUMMARY"])


def test_a_calendar_title_cannot_forge_lines_in_reconcile_output(eve: Workspace) -> None:
    run = eve.syncd("reconcile", "--dry-run")
    assert run.code == 0, run.err
    assert "Injected title" in run.out + run.err
    assert forged_lines(run.out + run.err) == []
