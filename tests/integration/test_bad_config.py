"""Every kind of bad roster: file, line and field named; exit 2; nothing written."""

from __future__ import annotations

import re

import pytest

from tests.workspace import PEOPLE_YAML, Workspace, snapshot

# (what to change in the contract roster, expected line, expected field)
CASES = {
    "unknown key": (("cadence: weekly, start", "cadance: weekly, start"), 8, "people[0].cadance"),
    "bad email": (("email: bob@example.com", "email: bob-at-example"), 9, "people[1].email"),
    "duplicate person": (("email: erin@example.com", "email: ALICE@example.com"), 10,
                         "people[2].email"),
    "impossible slot day": (('day: thu, time: "14:00"', 'day: thursday-ish, time: "14:00"'), 9,
                            "people[1].slot.day"),
    "impossible slot time": (('time: "16:00"', 'time: "25:00"'), 10, "people[2].slot.time"),
    "impossible slot week": (("week: 2", "week: 5"), 14, "people[3].slot.week"),
    "duration zero": (("duration: 30m", "duration: 0m"), 10, "people[2].duration"),
    "duration too long": (("duration: 30m", "duration: 9h"), 10, "people[2].duration"),
    "bad cadence": (("cadence: quarterly", "cadence: fortnightly-ish"), 13, "people[3].cadence"),
}


def check(demo: Workspace, change: tuple[str, str] | None, head: tuple[str, str] | None,
          line: int, field: str) -> None:
    people = PEOPLE_YAML.replace(*change) if change else PEOPLE_YAML
    demo.write_config(people)
    if head:
        demo.config.write_text(demo.config.read_text().replace(*head))
    before = snapshot(demo.root)
    for command in (("validate",), ("reconcile",), ("reconcile", "--dry-run")):
        run = demo.syncd(*command)
        assert run.code == 2, (command, run.out, run.err)
        pattern = rf"^{re.escape(str(demo.config))}:{line}: {re.escape(field)}: \S"
        assert re.search(pattern, run.err, re.M), run.err
        assert snapshot(demo.root) == before
    assert not demo.state.exists() and not demo.notes.exists()


@pytest.mark.parametrize("name", sorted(CASES))
def test_people_errors_name_file_line_field_and_write_nothing(demo: Workspace, name: str) -> None:
    change, line, field = CASES[name]
    check(demo, change, None, line, field)


def test_unknown_timezone(demo: Workspace) -> None:
    check(demo, None, ("timezone: Europe/Berlin", "timezone: Mars/Olympus"), 2, "timezone")


def test_owner_bad_email(demo: Workspace) -> None:
    check(demo, None, ("dana@example.com", "dana.example.com"), 1, "owner.email")


def test_every_problem_is_reported_at_once(demo: Workspace) -> None:
    demo.write_config(PEOPLE_YAML.replace("bob@example.com", "bob").replace(
        'time: "16:00"', 'time: "16:61"'))
    run = demo.syncd("validate")
    assert run.code == 2
    lines = run.err.strip().splitlines()
    assert [ln.split(":")[1] for ln in lines] == ["9", "10"]
