"""`syncd prep`: the day's brief as text (golden file) and by email (real aiosmtpd)."""

from __future__ import annotations

import email
import email.policy
from pathlib import Path

import pytest

from tests.integration.test_notes_lifecycle import PEOPLE, write_under
from tests.integration.test_report import PASSWORD, smtp_server
from tests.workspace import ROOT, Run, Workspace, syncd

GOLDEN = ROOT / "tests" / "data" / "golden" / "prep.txt"
NOW = "2026-11-25T09:00:00+01:00"
LATER = "2026-12-02T09:00:00+01:00"
TEAM = PEOPLE % "" + ("  - {name: Quinn Peer, email: quinn@example.com, role: peer, "
                      "cadence: weekly, slot: {day: tue, time: '14:00'}}\n")


@pytest.fixture
def week(demo: Workspace) -> Workspace:
    """Pat's 12-01 1:1 held with an outcome and an open item; reconciled the day after."""
    for file in demo.calendar.iterdir():
        file.unlink()
    demo.write_config(TEAM)
    assert demo.syncd("reconcile", now=NOW).code == 0
    notes = demo.notes / "pat@example.com.md"
    notes.write_text(write_under(notes.read_text(), "2026-12-01", "Outcome and follow-ups",
                                 "- [ ] send migration design doc by Friday\n"
                                 "- agreed: Pat leads the Q1 migration\n"))
    assert demo.syncd("reconcile", now=LATER).code == 0
    return demo


def prep(demo: Workspace, *args: str) -> Run:
    return syncd("prep", "--config", str(demo.config), "--now", LATER, *args)


def test_the_brief_of_the_next_day_matches_its_golden_file(week: Workspace) -> None:
    run = prep(week)
    assert run.code == 0, run.err
    out = run.out.replace(week.root.resolve().as_uri(), "file:///DEMO")
    assert out == GOLDEN.read_text()


def test_a_day_without_1_1s_says_so(week: Workspace) -> None:
    run = prep(week, "--date", "2026-12-05")
    assert run.code == 0 and run.out == "1:1 prep for Sat 2026-12-05\n\nNo 1:1s that day.\n"


def test_the_brief_is_mailed(week: Workspace, tmp_path: Path,
                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SYNCD_TEST_SMTP_PASSWORD", PASSWORD)
    with smtp_server(tmp_path) as box:
        week.config.write_text(week.config.read_text() + f"""\
report:
  email:
    to: [dana@example.com]
    from: syncd@example.com
    host: 127.0.0.1
    port: {box.port}
    user: dana
    password_env: SYNCD_TEST_SMTP_PASSWORD
    ca_file: {box.ca}
""")
        run = prep(week, "--email")
    assert run.code == 0, run.err
    assert run.out == "prep for 2026-12-08 sent to dana@example.com\n"
    (envelope,) = box.received
    assert isinstance(envelope.original_content, bytes)
    msg = email.message_from_bytes(envelope.original_content, policy=email.policy.default)
    assert msg["Subject"] == "1:1 prep Tue 2026-12-08: 2 meetings"
    body = msg.get_body(("plain",))
    assert body is not None
    assert "send migration design doc by Friday (from 2026-12-01)" in body.get_content()


def test_today_and_a_bad_date(week: Workspace) -> None:
    today = syncd("prep", "--config", str(week.config), "--now", "2026-12-08T07:30:00+01:00",
                  "--date", "today")
    assert today.code == 0 and today.out.startswith("1:1 prep for Tue 2026-12-08\n")
    bad = prep(week, "--date", "next tuesday")
    assert bad.code == 2 and "not a day like 2026-12-01" in bad.err
