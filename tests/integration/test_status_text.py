"""`syncd status` without --json: a line per person (overdue flagged), then each occurrence."""

from __future__ import annotations

import shutil

from tests.workspace import PEOPLE_YAML, Workspace

LATER = "2026-12-20T09:00:00+01:00"


def lines_by_person(out: str) -> dict[str, str]:
    """Each person's summary line (occurrence lines are indented under it), by email."""
    return {line.split("<", 1)[1].split(">", 1)[0]: line for line in out.splitlines()
            if line.strip() and not line.startswith(" ")}


def test_status_text_says_last_held_next_skips_and_overdue(demo: Workspace) -> None:
    run = demo.syncd("status", now=LATER)
    assert run.code == 0, run.err
    lines = lines_by_person(run.out)
    assert list(lines) == ["alice@example.com", "bob@example.com", "erin@example.com",
                           "carol@example.com"]
    alice = lines["alice@example.com"]
    assert "weekly" in alice
    assert "last held 2026-12-16 (4 days ago)" in alice
    assert "next Tue 2026-12-22 10:00" in alice
    assert "1 skipped in 90 days" in alice
    assert not alice.endswith("OVERDUE")
    erin = lines["erin@example.com"]
    assert "never held" in erin and erin.endswith("OVERDUE")


def test_a_person_on_a_long_pause_is_not_overdue_and_next_is_after_the_pause(
    demo: Workspace,
) -> None:
    shutil.rmtree(demo.calendar)
    demo.calendar.mkdir()
    demo.write_config(PEOPLE_YAML.replace(
        'slot: {day: tue, time: "10:00"}}',
        'slot: {day: tue, time: "10:00"}, '
        "pauses: [{from: 2026-12-19, to: 2027-12-31, reason: sabbatical}]}"))
    run = demo.syncd("status", now=LATER)
    assert run.code == 0, run.err
    alice = lines_by_person(run.out)["alice@example.com"]
    assert "never held" in alice
    assert "next Tue 2028-01-04 10:00" in alice
    assert "OVERDUE" not in alice
    # Nobody held anything on an empty calendar: the others are overdue or not yet due.
    assert lines_by_person(run.out)["erin@example.com"].endswith("OVERDUE")


def test_status_text_shows_names_lists_the_occurrences_of_from_to_and_says_yesterday(
    demo: Workspace,
) -> None:
    run = demo.syncd("status", "--from", "2026-12-01", "--to", "2026-12-16",
                     now="2026-12-17T09:00:00+01:00")
    assert run.code == 0, run.err
    alice = lines_by_person(run.out)["alice@example.com"]
    assert alice.startswith("Alice Example <alice@example.com>")
    assert "(yesterday)" in alice and "(1 days ago)" not in run.out
    block = run.out.split("Alice Example", 1)[1].split("\nBob Example", 1)[0]
    listed = [line.split()[1] for line in block.splitlines()[1:]]
    # Only the weekly Tuesdays from --from to --to, each with what happened to it.
    assert listed == ["2026-12-01", "2026-12-08", "2026-12-15"]
    assert all(line.split()[3].rstrip(",") in ("held", "skipped", "rescheduled", "missing")
               for line in block.splitlines()[1:])


def test_a_future_occurrence_removed_with_exdate_is_a_skip_now_and_gets_no_agenda(
    demo: Workspace,
) -> None:
    # Apple Calendar and Thunderbird delete one occurrence of a series with an EXDATE.
    alice_file = demo.calendar / "alice-weekly.ics"
    alice_file.write_text(alice_file.read_text().replace(
        "EXDATE;TZID=Europe/Berlin:20261229T100000",
        "EXDATE;TZID=Europe/Berlin:20261201T100000,20261229T100000"))
    run = demo.syncd("status", "--json", "--to", "2026-12-02")
    (alice,) = [p for p in run.json()["people"] if p["email"] == "alice@example.com"]
    (dec1,) = [o for o in alice["occurrences"] if o["expected"].startswith("2026-12-01")]
    assert (dec1["status"], dec1["reason"]) == ("skipped", "deleted")
    # Not the 1st (removed) nor the 8th (cancelled in the demo): the 15th, moved to the 16th.
    assert alice["next_expected"] == "2026-12-16T11:30:00+01:00"
    plan = demo.syncd("reconcile", "--dry-run", "--json").json()
    (prepare,) = [a for a in plan["actions"]
                  if a["action"] == "prepare-notes" and a["person"] == "alice@example.com"]
    # Sections are keyed by the roster slot they prepare: the 15th's (headed the 16th).
    assert prepare["when"] == "2026-12-15"
