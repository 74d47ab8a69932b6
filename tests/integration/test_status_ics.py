"""`syncd status`, an ICS feed as a read-only source, and history that outlives a feed."""

from __future__ import annotations

import datetime as dt
import shutil
import sqlite3

import icalendar
import recurring_ical_events

from tests.local_http import private_feed
from tests.workspace import HEAD_YAML, NOW, PEOPLE_YAML, Workspace, snapshot

LATER = "2026-12-20T09:00:00+01:00"


def alice(run_json: dict[str, object]) -> dict[str, object]:
    people = run_json["people"]
    assert isinstance(people, list)
    return next(p for p in people if p["email"] == "alice@example.com")


def test_status_classifies_cancelled_moved_and_deleted_instances(demo: Workspace) -> None:
    run = demo.syncd("status", "--json", "--from", "2026-12-01", "--to", "2026-12-20", now=LATER)
    assert run.code == 0, run.err
    rows = {o["expected"]: o for o in alice(run.json())["occurrences"]}
    assert rows["2026-12-01T10:00:00+01:00"]["status"] == "held"
    assert rows["2026-12-08T10:00:00+01:00"] == {
        "expected": "2026-12-08T10:00:00+01:00", "status": "skipped", "reason": "cancelled",
        "actual_start": None}
    assert rows["2026-12-15T10:00:00+01:00"]["status"] == "rescheduled"
    assert rows["2026-12-15T10:00:00+01:00"]["actual_start"] == "2026-12-16T11:30:00+01:00"
    assert len(rows) == 3
    person = alice(run.json())
    assert person["last_held"] == "2026-12-16T11:30:00+01:00"
    assert person["days_since_last_held"] == 4
    assert person["next_expected"] == "2026-12-22T10:00:00+01:00"
    assert person["overdue"] is False


def ics_demo(demo: Workspace) -> None:
    feed = demo.root / "feed.ics"
    shutil.copy(demo.calendar / "alice-weekly.ics", feed)
    demo.config.write_text(HEAD_YAML.replace("{kind: local, path: calendar}",
                                             "{kind: ics, path: feed.ics}") + PEOPLE_YAML)


def test_ics_source_gives_a_read_only_plan_that_applies_nothing(demo: Workspace) -> None:
    ics_demo(demo)
    before = snapshot(demo.root)
    run = demo.syncd("reconcile", "--json")
    assert run.code == 0, run.err
    plan = run.json()
    assert plan["read_only"] is True and plan["dry_run"] is False
    status = {(a["action"], a["person"]): a["status"] for a in plan["actions"]}
    assert status[("create-series", "bob@example.com")] == "not applied"
    assert status[("adopt-series", "alice@example.com")] == "not applied"
    assert status[("create-notes", "bob@example.com")] == "done"
    after = snapshot(demo.root)
    # The feed is never written; only state and the lead's own notes are.
    assert {k: v for k, v in after.items() if k.split("/")[0] not in ("state", "notes")} == before
    assert (demo.notes / "bob@example.com.md").exists()
    export = demo.root / "export.ics"
    exported = demo.syncd("export", "--output", str(export))
    assert exported.code == 0
    cal = icalendar.Calendar.from_ical(export.read_bytes())
    events = list(recurring_ical_events.of(cal).between(dt.date(2026, 12, 1),
                                                         dt.date(2027, 1, 1)))
    bob = [e for e in events if "Bob" in str(e["SUMMARY"])]
    assert [e["DTSTART"].dt.isoformat() for e in bob] == ["2026-12-03T14:00:00+01:00"]
    assert (demo.notes / "bob@example.com.md").resolve().as_uri() in str(bob[0]["URL"])
    # Alice's hand-made series is on the calendar already: listed, not exported again.
    assert len({str(e["UID"]) for e in events}) == 3
    assert not any("Alice" in str(e["SUMMARY"]) for e in events)
    assert "alice@example.com: already on the calendar (4f1c2a9e8b7d@google.com)" in exported.out


def test_a_skip_survives_a_feed_that_later_drops_old_events(demo: Workspace) -> None:
    ics_demo(demo)
    assert demo.syncd("reconcile", now=LATER).code == 0
    (demo.root / "feed.ics").write_text(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nEND:VCALENDAR\r\n")
    run = demo.syncd("status", "--json", "--from", "2026-12-01", "--to", "2026-12-20", now=LATER)
    assert run.code == 0
    rows = {o["expected"]: o for o in alice(run.json())["occurrences"]}
    assert rows["2026-12-08T10:00:00+01:00"]["reason"] == "cancelled"
    assert rows["2026-12-15T10:00:00+01:00"]["status"] == "rescheduled"
    again = demo.syncd("status", "--json", "--from", "2026-12-01", "--to", "2026-12-20",
                       now=LATER)
    assert again.json() == run.json()


def test_unreadable_feed_is_a_warning_and_exit_1_never_an_empty_calendar(demo: Workspace) -> None:
    ics_demo(demo)
    (demo.root / "feed.ics").write_text("BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:x")
    run = demo.syncd("reconcile", "--json")
    assert run.code == 1
    plan = run.json()
    assert not any(a["action"].endswith("-series") for a in plan["actions"])
    assert any("not read" in w for w in plan["warnings"])


def test_a_private_feed_url_never_appears_in_output_or_logs(demo: Workspace) -> None:
    body = (demo.calendar / "alice-weekly.ics").read_bytes()
    secret = "private-0f3c9a77d1e24b6b"

    with private_feed(body, secret) as url:
        demo.config.write_text(HEAD_YAML.replace("{kind: local, path: calendar}",
                                                 f"{{kind: ics, url: '{url}'}}") + PEOPLE_YAML)
        ok = demo.syncd("reconcile", "--dry-run", "--log-level", "debug")
        applied = demo.syncd("reconcile", "--log-level", "debug", "--json")
    assert ok.code == 0 and "adopt-series" in ok.out
    assert applied.code == 0 and applied.json()["read_only"] is True
    for run in (ok, applied):
        assert secret not in run.out + run.err


def test_history_stores_nothing_older_than_what_was_read(demo: Workspace) -> None:
    # Carol is quarterly: status looks back 182 days, but reconcile reads only 90.
    demo.write_config(PEOPLE_YAML.replace("cadence: quarterly\n",
                                          "cadence: quarterly\n    start: 2026-02-01\n"))
    assert demo.syncd("reconcile").code == 0
    with sqlite3.connect(demo.state / "syncd.sqlite3") as db:
        oldest = db.execute("SELECT min(expected) FROM occurrences").fetchone()[0]
    read_from = dt.datetime.fromisoformat(NOW) - dt.timedelta(days=90)
    assert dt.datetime.fromisoformat(oldest) >= read_from
