"""Rendering the report: every format carries the same facts, and text that came from a
calendar or a roster can add no markup, no line and no email header of its own."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import json
import re
from html.parser import HTMLParser
from pathlib import Path
from zoneinfo import ZoneInfo

import jsonschema

from syncd.config import EmailConfig
from syncd.core import cadence
from syncd.core.model import Attendee, Instance, Occurrence, Owner, Person, Roster, Series, Slot
from syncd.report import build as rb
from syncd.report import mail, render

SCHEMA = json.loads((Path(__file__).resolve().parents[2] / "docs" / "report-schema.json")
                    .read_text())
BERLIN = ZoneInfo("Europe/Berlin")
NOW = dt.datetime(2026, 12, 15, 8, 30, tzinfo=BERLIN)
HOSTILE = "Eve <script>alert(1)</script> **bold** [x](http://evil.example) | col\r\n# Injected"
TITLE = "Sync\r\nBcc: mallory@example.com <img src=x onerror=alert(1)>"


def at(month: int, day: int, hour: int = 10) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, tzinfo=BERLIN)


class Page(HTMLParser):
    """The parts of a report page the tests look at."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.attrs: list[tuple[str, str | None]] = []
        self.cells: list[str] = []  # classes of heat-map squares
        self.titles: list[str] = []  # text of every <title>
        self.text: list[str] = []
        self._title: list[str] | None = None
        self.feed(html)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attrs.extend(attrs)
        classes = dict(attrs).get("class") or ""
        if tag == "rect" and classes.split()[:1] == ["cell"]:
            self.cells.append(classes)
        if tag == "title":
            self._title = []

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        if tag == "title" and self._title is not None:
            self.titles.append("".join(self._title))
            self._title = None

    def handle_data(self, data: str) -> None:
        self.text.append(data)
        if self._title is not None:
            self._title.append(data)


def hostile_report() -> rb.Report:
    """Eve (named like an attack) skipped a 1:1; a stranger's event carries a hostile title."""
    eve = Person(HOSTILE, "eve@example.com", cadence.parse_cadence("weekly"),
                 Slot(1, dt.time(10)), dt.timedelta(minutes=45))
    plain = Person("Alice Example", "alice@example.com", cadence.parse_cadence("weekly"),
                   Slot(1, dt.time(10)), dt.timedelta(minutes=45))
    owner = Owner("Dana Lead", "dana@example.com")
    people = (Attendee(owner.email, "Dana", "ACCEPTED"),
              Attendee("mallory@example.com", HOSTILE, "ACCEPTED"))
    start = at(12, 16)
    stranger = Series("m", TITLE, start, start + dt.timedelta(hours=1), "Europe/Berlin",
                      rrule="FREQ=WEEKLY", attendees=people, organizer=owner.email,
                      instances=(Instance(start, start, start + dt.timedelta(hours=1)),))
    rows = {eve.email: [Occurrence(eve.email, at(12, 8), "skipped", "declined-by-them"),
                        Occurrence(eve.email, at(12, 15), "upcoming")],
            plain.email: [Occurrence(plain.email, at(12, 8), "held")]}
    roster = Roster(owner, "Europe/Berlin", (eve, plain))
    return rb.build(roster, rows, [stranger], {eve.email: "javascript:alert(1)"},
                    {(eve.email, dt.date(2026, 12, 15)): False},
                    rb.iso_week(2026, 50, BERLIN), NOW)


def test_text_keeps_every_value_inside_its_own_line() -> None:
    text = render.render(hostile_report(), "text")
    assert "\r" not in text
    assert not any(line.startswith(("# Injected", "Bcc:")) for line in text.splitlines())
    flat = HOSTILE.replace("\r\n", "  ")
    assert f"Tue 2026-12-08 10:00  {flat}: declined-by-them; no make-up" in text
    assert 'Not on the roster: ' + flat + ' <mallory@example.com>, "Sync  Bcc:' in text


def test_markdown_takes_calendar_text_literally() -> None:
    md = render.render(hostile_report(), "markdown")
    # Every "<" is escaped: no HTML tag can reach a Markdown renderer.
    assert re.search(r"(?<!\\)<", md) is None
    assert (r"Eve \<script\>alert\(1\)\</script\> \*\*bold\*\* \[x\]\(http://evil.example\) "
            r"\| col  # Injected") in md
    headings = [line for line in md.splitlines() if line.startswith("#")]
    assert headings == ["# 1:1 report for Dana Lead: 2026-W50", "## Skipped this week",
                        "## Overdue", "## Streaks and adherence", "## Next week",
                        "## Roster health"]
    # Our own text is left readable; the unsafe notes link is not linked at all.
    assert "| 1 | 0/1 (0%) | 0/1 (0%) |" in md and r"\(0%\)" not in md
    assert "javascript" not in md


def test_html_escapes_everything_and_is_self_contained() -> None:
    report = hostile_report()
    html = render.render(report, "html")
    page = Page(html)
    assert "script" not in page.tags and "img" not in page.tags
    assert "Eve <script>alert(1)</script> **bold**" in "".join(page.text)
    assert not any(name in ("src", "onerror") for name, _ in page.attrs)
    assert not any(value and value.lower().startswith("javascript") for _, value in page.attrs)
    assert "link" not in page.tags and "http://" not in html.replace(
        "http://www.w3.org/2000/svg", "").replace("http://evil.example", "")
    # The picture: one square per person and week, each saying who, when and what.
    assert len(page.cells) == len(report.people) * 12
    assert f"{HOSTILE}, 2026-W50: skipped" in page.titles
    assert "Alice Example, 2026-W39: none expected" in page.titles


def test_json_follows_the_schema_and_keeps_text_verbatim() -> None:
    data = json.loads(render.render(hostile_report(), "json"))
    jsonschema.Draft202012Validator(SCHEMA).validate(data)
    assert data["people"][0]["name"] == HOSTILE
    assert data["roster_health"]["not_on_roster"] == [
        {"email": "mallory@example.com", "name": HOSTILE, "summary": TITLE}]
    assert list(data) == ["week", "generated_at", "people", "next_week", "roster_health"]
    assert list(data["people"][0])[:9] == [
        "email", "name", "cadence", "occurrences", "skipped_this_week", "skip_streak",
        "days_since_last_held", "overdue", "adherence_12w"]


def test_one_line_removes_breaks_controls_and_bidi_overrides() -> None:
    assert render.one_line("a\u202eb\x00c\u2028d\ne\tf") == "a b c d e f"


def test_email_headers_cannot_be_injected_and_both_parts_are_there() -> None:
    report = hostile_report()
    config = EmailConfig.model_validate({
        "to": ["dana@example.com", "lead@example.com"], "from": "syncd@example.com",
        "host": "127.0.0.1", "port": 25, "security": "none"})
    msg = mail.message(config, "Dana\r\nBcc: mallory@example.com", render.subject(report),
                       render.render(report, "text"), render.render(report, "html"), NOW)
    parsed = email.message_from_bytes(msg.as_bytes(), policy=email.policy.default)
    assert "Bcc" not in parsed
    assert parsed["To"] == "dana@example.com, lead@example.com"
    assert parsed["From"].addresses[0].addr_spec == "syncd@example.com"
    assert parsed["Subject"] == "1:1 report 2026-W50: 1 skipped, 0 overdue, 1 agenda to write"
    assert parsed.get_content_type() == "multipart/alternative"
    plain = parsed.get_body(("plain",))
    html = parsed.get_body(("html",))
    assert plain is not None and html is not None
    assert "Skipped this week" in plain.get_content()
    assert "<svg" in html.get_content()
