"""`syncd status` without --json: one readable line per person, overdue people flagged."""

from __future__ import annotations

import shutil

from tests.integration.conftest import PEOPLE_YAML, Demo

LATER = "2026-12-20T09:00:00+01:00"


def lines_by_person(out: str) -> dict[str, str]:
    return {line.split()[0]: line for line in out.splitlines() if line.strip()}


def test_status_text_says_last_held_next_skips_and_overdue(demo: Demo) -> None:
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
    demo: Demo,
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
