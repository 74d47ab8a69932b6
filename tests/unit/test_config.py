"""load_config: the contract YAML, every kind of problem with its line, and state dir order."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from syncd.config import Config, ConfigError, load_config, resolve_state_dir
from tests.contract import CONTRACT

REPO = Path(__file__).resolve().parents[2]


# Five lines, so the first person in `people` is always on line 6.
HEAD = """\
owner: {name: Dana Lead, email: dana@example.com}
timezone: Europe/Berlin
calendar: {kind: local, path: cal}
notes: {kind: markdown, path: notes}
people:
"""


def write(tmp_path: Path, text: str | bytes, name: str = "config.yaml") -> Path:
    path = tmp_path / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def load(tmp_path: Path, text: str | bytes) -> Config:
    return load_config(write(tmp_path, text))


def problems(tmp_path: Path, text: str | bytes) -> list[str]:
    """The problems load_config reports, with the tmp folder cut from the file part."""
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert str(info.value) == "\n".join(info.value.problems)
    prefix = f"{path}:"
    assert all(p.startswith(prefix) for p in info.value.problems)
    return ["config.yaml:" + p[len(prefix):] for p in info.value.problems]


def person(fields: str) -> str:
    return HEAD + f"  - {{name: Pat, email: pat@example.com, {fields}}}\n"


# --- the contract -------------------------------------------------------------


def test_contract_yaml_means_what_it_says(tmp_path: Path) -> None:
    config = load(tmp_path, CONTRACT)
    roster = config.roster
    base = tmp_path.resolve()

    assert config.source == tmp_path / "config.yaml"
    assert roster.owner.name == "Dana Lead"
    assert roster.owner.email == "dana@example.com"
    assert roster.timezone == "Europe/Berlin"
    assert (roster.work_start, roster.work_end) == (dt.time(8), dt.time(18))
    assert roster.max_changes == 20
    assert config.calendar.kind == "local"
    assert config.calendar.path == base / "examples/demo/calendar"
    assert config.notes.kind == "markdown"
    assert config.notes.path == base / "examples/demo/notes"
    assert config.state_dir == base / "examples/demo/state"

    alice, bob, erin, carol = roster.people
    assert alice.name == "Alice Example"
    assert alice.cadence.kind == "weekly"
    assert (alice.slot.day, alice.slot.time, alice.slot.week) == (1, dt.time(10), None)
    assert alice.start == dt.date(2026, 9, 1)
    assert alice.duration == dt.timedelta(minutes=45)  # from defaults
    assert alice.role == "report"
    assert alice.active is True

    assert bob.cadence.kind == "monthly"
    assert (bob.slot.day, bob.slot.time, bob.slot.week) == (3, dt.time(14), 1)
    assert bob.start is None

    assert erin.role == "manager"
    assert erin.cadence.kind == "every-n-weeks"
    assert erin.cadence.weeks == 2
    assert erin.duration == dt.timedelta(minutes=30)
    assert erin.start == dt.date(2026, 9, 3)

    assert carol.email == "carol@example.com"
    assert carol.cadence.kind == "quarterly"
    assert carol.cadence.months == 3
    assert (carol.slot.day, carol.slot.week) == (2, 2)
    assert len(carol.pauses) == 1
    pause = carol.pauses[0]
    assert (pause.start, pause.end) == (dt.date(2026, 12, 21), dt.date(2027, 1, 8))
    assert pause.reason == "parental leave"


def test_example_file_at_repo_root_is_the_contract(tmp_path: Path) -> None:
    example = (REPO / "config.example.yaml").read_text(encoding="utf-8")
    (tmp_path / "example").mkdir()
    from_example = load_config(write(tmp_path / "example", example))
    assert from_example.roster == load(tmp_path, CONTRACT).roster
    assert from_example.calendar.path == tmp_path.resolve() / "example/examples/demo/calendar"


def test_loading_writes_nothing(tmp_path: Path) -> None:
    load(tmp_path, CONTRACT)
    assert [p.name for p in tmp_path.iterdir()] == ["config.yaml"]


def test_file_part_is_the_path_as_given(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path, "timezone: UTC\n")
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ConfigError) as info:
        load_config(Path("config.yaml"))
    assert info.value.problems[0].startswith("config.yaml:1: owner: required")


def test_paths_relative_to_config_folder_not_cwd(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "conf").mkdir()
    monkeypatch.chdir(tmp_path)
    config = load_config(write(tmp_path / "conf", CONTRACT).relative_to(tmp_path))
    assert config.calendar.path == tmp_path.resolve() / "conf/examples/demo/calendar"


def test_absolute_paths_kept_and_state_dir_optional(tmp_path: Path) -> None:
    text = HEAD.replace("path: cal", f"path: {tmp_path / 'elsewhere'}") + "  []\n"
    config = load(tmp_path, text)
    assert config.calendar.path == (tmp_path / "elsewhere").resolve()
    assert config.state_dir is None
    assert config.roster.people == ()


# --- accepted forms -------------------------------------------------------------


def test_optional_blocks_and_alternative_forms(tmp_path: Path) -> None:
    text = HEAD.replace("people:\n", "") + """\
working_hours: {start: "09:00", end: "17:30"}
max_changes: 5
defaults: {cadence: every 3 weeks, duration: 1h, slot: {day: Friday, time: "9:30"}}
people:
  - {name: A, email: A@Example.COM}
  - {name: B, email: b@example.com, cadence: monthly, duration: 90,
     slot: {day: MON, time: "10:00", week: last}}
  - {name: C, email: c@example.com, duration: 1h30m, start: "2026-10-01", active: false}
  - {name: D, email: d@example.com, cadence: "rrule:FREQ=MONTHLY;BYDAY=-1FR"}
"""
    config = load(tmp_path, text)
    roster = config.roster
    assert (roster.work_start, roster.work_end) == (dt.time(9), dt.time(17, 30))
    assert roster.max_changes == 5
    a, b, c, d = roster.people
    assert a.email == "a@example.com"
    assert a.cadence.weeks == 3
    assert (a.slot.day, a.slot.time) == (4, dt.time(9, 30))
    assert a.duration == dt.timedelta(hours=1)
    assert (b.slot.day, b.slot.week) == (0, -1)
    assert b.duration == dt.timedelta(minutes=90)
    assert c.duration == dt.timedelta(minutes=90)
    assert c.start == dt.date(2026, 10, 1)
    assert c.active is False
    assert d.cadence.kind == "rrule"
    assert d.cadence.rrule == "FREQ=MONTHLY;BYDAY=-1FR"


def test_slot_omitted_or_auto_means_syncd_chooses(tmp_path: Path) -> None:
    config = load(tmp_path, HEAD.replace("people:\n", "rollout: {max_new_per_week: 2}\n"
                                         "people:\n")
                  + "  - {name: Ana, email: ana@example.com, cadence: weekly}\n"
                  + "  - {name: Ben, email: ben@example.com, slot: auto,\n"
                  + "     then: {after: 8w, cadence: biweekly}}\n"
                  + '  - {name: Cy, email: cy@example.com, slot: {day: fri, time: "09:00"}}\n')
    ana, ben, cy = config.roster.people
    assert (ana.slot, ana.auto_slot, ben.slot, ben.auto_slot) == (None, True, None, True)
    assert ben.then is not None and ben.then.after == dt.timedelta(weeks=8)
    assert ben.then.cadence.weeks == 2 and ana.then is None
    assert (cy.auto_slot, cy.slot is not None) == (False, True)
    assert config.roster.max_new_per_week == 2


def test_defaults_slot_still_fills_an_omitted_slot_but_not_auto(tmp_path: Path) -> None:
    config = load(tmp_path, HEAD.replace(
        "people:\n", 'defaults: {slot: {day: thu, time: "11:00"}}\npeople:\n')
        + "  - {name: Ana, email: ana@example.com}\n"
        + "  - {name: Ben, email: ben@example.com, slot: auto}\n")
    ana, ben = config.roster.people
    assert ana.slot is not None and ana.slot.day == 3 and not ana.auto_slot
    assert ben.slot is None and ben.auto_slot


def test_anchors_and_merge_keys(tmp_path: Path) -> None:
    text = HEAD + """\
  - &alice {name: A, email: a@example.com, cadence: weekly, slot: {day: tue, time: "10:00"}}
  - <<: *alice
    name: B
    email: b@example.com
    colour: red
"""
    assert problems(tmp_path, text) == ["config.yaml:10: people[1].colour: unknown key"]


# --- one problem each, with its line ----------------------------------------------

CASES = [
    pytest.param(
        HEAD + "  []\ncolour: blue\n", "config.yaml:7: colour: unknown key", id="unknown-top-key"
    ),
    pytest.param(
        person('slot: {day: mon, time: "10:00"}, team: core'),
        "config.yaml:6: people[0].team: unknown key",
        id="unknown-person-key",
    ),
    pytest.param(
        HEAD + '  - name: Pat\n    email: pat@example.com\n    slot:\n      day: mon\n'
        '      time: "10:00"\n      room: 4\n',
        "config.yaml:11: people[0].slot.room: unknown key",
        id="unknown-slot-key",
    ),
    pytest.param(
        HEAD + '  - name: Pat\n    email: pat@example\n    slot: {day: mon, time: "10:00"}\n',
        "config.yaml:7: people[0].email: not a valid email address",
        id="bad-email",
    ),
    pytest.param(
        HEAD + '  - name: Pat\n    email: pat smith@example.com\n'
        '    slot: {day: mon, time: "10:00"}\n',
        "config.yaml:7: people[0].email: not a valid email address",
        id="email-with-space",
    ),
    pytest.param(
        HEAD.replace("dana@", "mailto:dana@") + "  []\n",
        "config.yaml:1: owner.email: not a valid email address (drop the 'mailto:' prefix)",
        id="mailto-email",
    ),
    pytest.param(
        HEAD.replace("Europe/Berlin", "Mars/Olympus") + "  []\n",
        "config.yaml:2: timezone: unknown timezone 'Mars/Olympus'",
        id="unknown-timezone",
    ),
    pytest.param(
        HEAD.replace("Europe/Berlin", "Europe") + "  []\n",
        "config.yaml:2: timezone: unknown timezone 'Europe'",
        id="timezone-folder",
    ),
    pytest.param(
        HEAD + '  - {name: Pat, email: pat@example.com, slot: {day: mon, time: "10:00"}}\n'
        '  - {name: Pat Two, email: PAT@example.com, slot: {day: tue, time: "10:00"}}\n',
        "config.yaml:7: people[1].email: duplicate person: same email as people[0] (line 6)",
        id="duplicate-person",
    ),
    pytest.param(
        HEAD + '  - {name: Me, email: Dana@example.com, slot: {day: tue, time: "10:00"}}\n',
        "config.yaml:6: people[0].email: this is the owner's email (a 1:1 needs two people)",
        id="owner-in-people",
    ),
    pytest.param(
        person('slot: {day: funday, time: "10:00"}'),
        "config.yaml:6: people[0].slot.day: unknown day 'funday' "
        "(mon, tue, wed, thu, fri, sat, sun)",
        id="bad-day",
    ),
    pytest.param(
        person('slot: {day: mon, time: "25:00"}'),
        "config.yaml:6: people[0].slot.time: not a valid time '25:00' "
        "(use HH:MM, 00:00 to 23:59)",
        id="bad-time",
    ),
    pytest.param(
        person("slot: {day: mon, time: 10:00}"),
        'config.yaml:6: people[0].slot.time: time must be quoted "HH:MM" '
        "(unquoted 10:00 reads as the number 600)",
        id="unquoted-time",
    ),
    pytest.param(
        person('cadence: monthly, slot: {day: mon, time: "10:00", week: 5}'),
        "config.yaml:6: people[0].slot.week: use 'last' (a 5th weekday does not occur "
        "every month)",
        id="week-5",
    ),
    pytest.param(
        person('cadence: monthly, slot: {day: mon, time: "10:00", week: 0}'),
        "config.yaml:6: people[0].slot.week: week must be 1, 2, 3, 4 or 'last', not 0",
        id="week-0",
    ),
    pytest.param(
        HEAD + '  - name: Pat\n    email: pat@example.com\n    cadence: weekly\n'
        '    slot: {day: mon, time: "10:00",\n           week: 2}\n',
        "config.yaml:10: people[0].slot.week: week only applies to monthly and quarterly "
        "cadences",
        id="week-on-weekly",
    ),
    pytest.param(
        HEAD.replace("people:\n", 'defaults: {slot: {day: mon, time: "10:00", week: 2}}\n'
                     "people:\n")
        + "  - {name: Pat, email: pat@example.com, cadence: biweekly}\n",
        "config.yaml:7: people[0].cadence: week only applies to monthly and quarterly "
        "cadences (defaults.slot sets a week)",
        id="week-inherited-on-biweekly",
    ),
    pytest.param(
        person('slot: {day: mon, time: "17:30"}'),
        "config.yaml:6: people[0].slot.time: slot 17:30 + 45m ends after working hours "
        "end 18:00",
        id="ends-after-hours",
    ),
    pytest.param(
        HEAD.replace("people:\n", 'working_hours: {start: "09:00", end: "17:00"}\npeople:\n')
        + '  - {name: Pat, email: pat@example.com, slot: {day: mon, time: "08:30"}}\n',
        "config.yaml:7: people[0].slot.time: slot 08:30 starts before working hours "
        "start 09:00",
        id="starts-before-hours",
    ),
    pytest.param(
        HEAD.replace("people:\n", 'defaults: {slot: {day: mon, time: "16:00"}}\npeople:\n')
        + "  - {name: Pat, email: pat@example.com,\n     duration: 2h30m}\n",
        "config.yaml:8: people[0].duration: slot 16:00 + 2h30m ends after working hours "
        "end 18:00",
        id="inherited-slot-too-long",
    ),
    pytest.param(
        HEAD.replace("people:\n", 'working_hours: {start: "18:00", end: "09:00"}\npeople:\n')
        + "  []\n",
        "config.yaml:5: working_hours.end: working hours must end after they start (18:00)",
        id="hours-reversed",
    ),
    pytest.param(
        person('duration: 0, slot: {day: mon, time: "10:00"}'),
        "config.yaml:6: people[0].duration: duration must be more than 0 and at most 8h",
        id="duration-0",
    ),
    pytest.param(
        person('duration: 9h, slot: {day: mon, time: "10:00"}'),
        "config.yaml:6: people[0].duration: duration must be more than 0 and at most 8h",
        id="duration-9h",
    ),
    pytest.param(
        person('duration: soon, slot: {day: mon, time: "10:00"}'),
        "config.yaml:6: people[0].duration: not a valid duration 'soon' "
        "(use e.g. 45m, 1h, 1h30m)",
        id="duration-words",
    ),
    pytest.param(
        person('cadence: fortnightly, slot: {day: mon, time: "10:00"}'),
        "config.yaml:6: people[0].cadence: unknown cadence 'fortnightly' "
        "(weekly, biweekly, every N weeks, monthly, quarterly, rrule:)",
        id="bad-cadence",
    ),
    pytest.param(
        person('cadence: "rrule:FREQ=SECONDLY", slot: {day: mon, time: "10:00"}'),
        "config.yaml:6: people[0].cadence: rrule needs FREQ=DAILY, WEEKLY, MONTHLY or YEARLY",
        id="bad-rrule-freq",
    ),
    pytest.param(
        person('cadence: "rrule:FREQ=WEEKLY;COUNT=3", slot: {day: mon, time: "10:00"}'),
        "config.yaml:6: people[0].cadence: rrule may not set COUNT (the slot and syncd "
        "decide it)",
        id="bad-rrule-part",
    ),
    pytest.param(
        HEAD + '  - name: Pat\n    email: pat@example.com\n    slot: {day: mon, time: "10:00"}\n'
        "    pauses:\n      - {from: 2026-12-21, to: 2026-12-01}\n",
        "config.yaml:10: people[0].pauses[0].to: pause ends before it starts (2026-12-21)",
        id="pause-reversed",
    ),
    pytest.param(
        person('start: 2026-02-30, slot: {day: mon, time: "10:00"}'),
        "config.yaml:6: people[0].start: not a valid date '2026-02-30' (use YYYY-MM-DD)",
        id="impossible-date",
    ),
    pytest.param(
        person('role: boss, slot: {day: mon, time: "10:00"}'),
        "config.yaml:6: people[0].role: must be one of: report, manager, peer, skip-level or "
        "new-hire",
        id="bad-role",
    ),
    pytest.param(
        person('active: "no", slot: {day: mon, time: "10:00"}'),
        "config.yaml:6: people[0].active: must be true or false, not 'no'",
        id="active-not-bool",
    ),
    pytest.param(
        HEAD + '  - email: pat@example.com\n    slot: {day: mon, time: "10:00"}\n',
        "config.yaml:6: people[0].name: required",
        id="missing-person-name",
    ),
    pytest.param(
        person('slot: "Tue 10:00"'),
        "config.yaml:6: people[0].slot: must be a mapping of keys",
        id="slot-as-text",
    ),
    pytest.param(
        person("slot: {day: tue}"),
        "config.yaml:6: people[0].slot.time: required",
        id="slot-without-time",
    ),
    pytest.param(
        person('slot: {day: tue, time: "10:00"}, then: {after: 8 fortnights, cadence: '
               'biweekly}'),
        "config.yaml:6: people[0].then.after: not a valid span '8 fortnights' "
        "(use e.g. 8w or 60d)",
        id="then-bad-span",
    ),
    pytest.param(
        HEAD.replace("people:\n", "rollout: {max_new_per_week: 0}\npeople:\n")
        + '  - {name: Pat, email: pat@example.com, slot: {day: mon, time: "10:00"}}\n',
        "config.yaml:5: rollout.max_new_per_week: must be at least 1",
        id="rollout-zero",
    ),
    pytest.param(
        HEAD.replace("timezone: Europe/Berlin\n", "") + "  []\n",
        "config.yaml:1: timezone: required",
        id="missing-timezone",
    ),
    pytest.param(
        HEAD.replace("{kind: local, path: cal}", "\n  kind: local") + "  []\n",
        "config.yaml:3: calendar.path: required for kind 'local'",
        id="missing-calendar-path",
    ),
    pytest.param(
        HEAD.replace("kind: local", "kind: exchange") + "  []\n",
        "config.yaml:3: calendar.kind: unsupported kind 'exchange' "
        "(expected: local, ics, google, caldav)",
        id="unsupported-calendar",
    ),
    pytest.param(
        HEAD.replace("people:\n", "max_changes: 0\npeople:\n") + "  []\n",
        "config.yaml:5: max_changes: must be at least 1",
        id="max-changes-0",
    ),
    pytest.param(
        HEAD + "  - 5\n",
        "config.yaml:6: people[0]: must be a mapping of keys",
        id="person-not-mapping",
    ),
    pytest.param(
        HEAD.replace("people:\n", "timezone: UTC\npeople:\n") + "  []\n",
        "config.yaml:5: timezone: duplicate key (first at line 2)",
        id="duplicate-key",
    ),
]


@pytest.mark.parametrize(("text", "expected"), CASES)
def test_each_problem_names_file_line_and_field(
    tmp_path: Path, text: str, expected: str
) -> None:
    assert problems(tmp_path, text) == [expected]


# --- problems with the whole file ----------------------------------------------------


def test_yaml_syntax_error_names_the_line(tmp_path: Path) -> None:
    text = HEAD + "  - name: Pat\n   email: pat@example.com\n"
    (problem,) = problems(tmp_path, text)
    assert problem.startswith("config.yaml:7: YAML syntax error: ")


def test_non_utf8_names_the_line(tmp_path: Path) -> None:
    text = HEAD.encode() + b"  - {name: Ren\xe9, email: rene@example.com}\n"
    assert problems(tmp_path, text) == ["config.yaml:6: not valid UTF-8 (byte 0xe9)"]


def test_control_character_is_a_yaml_error(tmp_path: Path) -> None:
    (problem,) = problems(tmp_path, HEAD + '  - {name: "\x01"}\n')
    assert problem.startswith("config.yaml:6: YAML syntax error: ")


def test_python_tags_are_refused(tmp_path: Path) -> None:
    (problem,) = problems(tmp_path, HEAD + "  - !!python/object/apply:os.system [ls]\n")
    assert problem.startswith("config.yaml:6: YAML syntax error: could not determine")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("- a\n- b\n", "config.yaml:1: top level must be a mapping of keys, not a list"),
        ("\n\nhello\n", "config.yaml:3: top level must be a mapping of keys, not a single value"),
        ("# nothing\n", "config.yaml:1: file is empty (expected owner, timezone, people, ...)"),
        ("a: &x [*x]\n", "config.yaml:1: a[0]: alias refers to itself"),
    ],
)
def test_top_level_must_be_a_mapping(tmp_path: Path, text: str, expected: str) -> None:
    assert problems(tmp_path, text) == [expected]


def test_missing_file_and_folder(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        load_config(tmp_path / "absent.yaml")
    assert info.value.problems == [f"{tmp_path / 'absent.yaml'}: file not found"]
    with pytest.raises(ConfigError) as info:
        load_config(tmp_path)
    assert info.value.problems == [f"{tmp_path}: is a folder, not a file"]


# --- many problems at once ----------------------------------------------------------


def test_every_problem_is_reported_sorted_by_line(tmp_path: Path) -> None:
    text = """\
owner: {name: Dana Lead, email: dana@example.com}
timezone: Mars/Olympus
calendar: {kind: local, path: cal}
notes: {kind: markdown}
people:
  - {name: Alice, email: alice@example.com, cadence: weekly, slot: {day: tue, time: "10:00"}}
  - name: Bob
    email: ALICE@example.com
    slot: {day: tue, time: "17:45", week: 2}
    colour: red
    duration: 0
colour: blue
"""
    assert problems(tmp_path, text) == [
        "config.yaml:2: timezone: unknown timezone 'Mars/Olympus'",
        "config.yaml:4: notes.path: required for kind 'markdown'",
        "config.yaml:8: people[1].email: duplicate person: same email as people[0] (line 6)",
        "config.yaml:10: people[1].colour: unknown key",
        "config.yaml:11: people[1].duration: duration must be more than 0 and at most 8h",
        "config.yaml:12: colour: unknown key",
    ]


def test_cross_checks_run_despite_other_errors_in_the_entry(tmp_path: Path) -> None:
    text = person('colour: red, cadence: weekly, slot: {day: mon, time: "17:30", week: 1}')
    assert problems(tmp_path, text) == [
        "config.yaml:6: people[0].colour: unknown key",
        "config.yaml:6: people[0].slot.week: week only applies to monthly and quarterly "
        "cadences",
        "config.yaml:6: people[0].slot.time: slot 17:30 + 45m ends after working hours "
        "end 18:00",
    ]


# --- state dir -----------------------------------------------------------------------


def test_state_dir_order(tmp_path: Path) -> None:
    with_dir = load(tmp_path, CONTRACT)
    without = load(tmp_path, HEAD + "  []\n")
    env = {
        "STATE_DIRECTORY": "/var/lib/syncd:/var/lib/other",
        "XDG_STATE_HOME": "/home/dana/.state",
        "HOME": "/home/dana",
    }
    assert resolve_state_dir(with_dir, env) == tmp_path.resolve() / "examples/demo/state"
    assert resolve_state_dir(without, env) == Path("/var/lib/syncd")
    del env["STATE_DIRECTORY"]
    assert resolve_state_dir(without, env) == Path("/home/dana/.state/syncd")
    del env["XDG_STATE_HOME"]
    assert resolve_state_dir(without, env) == Path("/home/dana/.local/state/syncd")


def test_state_dir_ignores_empty_and_relative_variables(tmp_path: Path) -> None:
    config = load(tmp_path, HEAD + "  []\n")
    env = {"STATE_DIRECTORY": "", "XDG_STATE_HOME": "relative/state", "HOME": "/home/dana"}
    assert resolve_state_dir(config, env) == Path("/home/dana/.local/state/syncd")


# --- ics calendars and match: ------------------------------------------------------

SECRET_URL = "https://calendar.example.com/calendar/ical/dana/private-s3cr3t/basic.ics"


def ics(fields: str) -> str:
    return HEAD.replace("{kind: local, path: cal}", f"{{kind: ics, {fields}}}") + "  []\n"


def test_ics_calendar_from_a_url(tmp_path: Path) -> None:
    config = load(tmp_path, ics(f'url: "{SECRET_URL}", timeout: 5, max_bytes: 1000'))
    calendar = config.calendar
    assert (calendar.kind, calendar.path, calendar.url) == ("ics", None, SECRET_URL)
    assert (calendar.timeout, calendar.max_bytes) == (5.0, 1000)
    assert "s3cr3t" not in repr(calendar)


def test_ics_calendar_from_a_path_has_the_defaults(tmp_path: Path) -> None:
    calendar = load(tmp_path, ics("path: feeds/team.ics")).calendar
    assert calendar.path == tmp_path.resolve() / "feeds/team.ics"
    assert calendar.url is None
    assert (calendar.timeout, calendar.max_bytes) == (30.0, 20_000_000)


def test_webcal_urls_are_accepted(tmp_path: Path) -> None:
    url = "webcal://p01-caldav.example.com/published/2/abc"
    assert load(tmp_path, ics(f'url: "{url}"')).calendar.url == url


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        pytest.param(
            'url: "file:///home/dana/private-s3cr3t.ics"',
            "calendar.url: only http(s) and webcal URLs are accepted; use path: for a local file",
            id="file-url",
        ),
        pytest.param(
            'url: "ftp://example.com/private-s3cr3t.ics"',
            "calendar.url: only http(s) and webcal URLs are accepted; use path: for a local file",
            id="ftp-url",
        ),
        pytest.param(
            'url: "https:///private-s3cr3t.ics"', "calendar.url: URL has no host: …", id="no-host"
        ),
        pytest.param("timeout: 5", "calendar.url: required for kind 'ics' (or set path)",
                     id="neither"),
        pytest.param(
            f'url: "{SECRET_URL}", path: team.ics', "calendar.url: give url or path, not both",
            id="both",
        ),
        pytest.param(
            "path: team.ics, timeout: 0",
            "calendar.timeout: must be a number of seconds more than 0, not the number 0",
            id="zero-timeout",
        ),
        pytest.param(
            'path: team.ics, max_bytes: "1MB"',
            "calendar.max_bytes: must be a whole number of bytes more than 0, not '1MB'",
            id="text-max-bytes",
        ),
    ],
)
def test_ics_problems(tmp_path: Path, fields: str, expected: str) -> None:
    (problem,) = problems(tmp_path, ics(fields))
    assert problem == f"config.yaml:3: {expected}"
    assert "s3cr3t" not in problem


def test_feed_keys_only_for_ics(tmp_path: Path) -> None:
    text = HEAD.replace("path: cal}", f'path: cal, url: "{SECRET_URL}", max_bytes: 10}}') + "  []\n"
    assert problems(tmp_path, text) == [
        "config.yaml:3: calendar.url: only for kind 'ics' or 'caldav', not 'local'",
        "config.yaml:3: calendar.max_bytes: only for kind 'ics', not 'local'",
    ]


def test_match_gives_aliases_and_a_title_pattern(tmp_path: Path) -> None:
    text = person(
        'slot: {day: mon, time: "10:00"}, '
        'match: {emails: [Pat.Private@Example.org, pat@old.example.com], title: "^pat\\\\b"}'
    )
    (pat,) = load(tmp_path, text).roster.people
    assert pat.aliases == ("pat.private@example.org", "pat@old.example.com")
    assert pat.title_pattern == "^pat\\b"


def test_match_is_optional(tmp_path: Path) -> None:
    (pat,) = load(tmp_path, person('slot: {day: mon, time: "10:00"}')).roster.people
    assert (pat.aliases, pat.title_pattern) == ((), "")


def test_match_problems_name_their_line(tmp_path: Path) -> None:
    text = HEAD + (
        '  - name: Pat\n'
        '    email: pat@example.com\n'
        '    slot: {day: mon, time: "10:00"}\n'
        '    match:\n'
        '      emails: [pat@x.org, not-an-email, Dana@Example.com]\n'
        '      title: "Pat ("\n'
        '      subject: x\n'
    )
    assert problems(tmp_path, text) == [
        "config.yaml:10: people[0].match.emails[1]: not a valid email address",
        "config.yaml:10: people[0].match.emails[2]: this is the owner's email "
        "(it would match every event)",
        "config.yaml:11: people[0].match.title: not a valid regular expression: "
        "missing ), unterminated subpattern at position 4",
        "config.yaml:12: people[0].match.subject: unknown key",
    ]


GOOGLE = HEAD.replace("calendar: {kind: local, path: cal}",
                      "calendar: {kind: google, api_endpoint: 'http://127.0.0.1:8088'}").replace(
    "notes: {kind: markdown, path: notes}",
    "notes: {kind: google-docs, attach: false, folder_id: f1}")


def test_google_backends_and_sign_in(tmp_path: Path) -> None:
    config = load(tmp_path, GOOGLE + "  []\n")
    assert (config.calendar.kind, config.calendar.calendar_id) == ("google", "primary")
    assert config.calendar.api_endpoint == "http://127.0.0.1:8088"
    assert (config.notes.folder_id, config.notes.attach) == ("f1", False)
    assert config.google.credentials == "oauth"


@pytest.mark.parametrize(("text", "expected"), [
    pytest.param(HEAD.replace("path: cal}", "path: cal, calendar_id: x}") + "  []\n",
                 "config.yaml:3: calendar.calendar_id: only for kind 'google', not 'local'",
                 id="calendar-id-on-local"),
    pytest.param(HEAD.replace("path: notes}", "path: notes, attach: false}") + "  []\n",
                 "config.yaml:4: notes.attach: only for kind 'google-docs', not 'markdown'",
                 id="attach-on-markdown"),
    pytest.param(GOOGLE.replace("http://127.0.0.1:8088", "http://calendar.example.com")
                 + "  []\n",
                 "config.yaml:3: calendar.api_endpoint: plain http is only accepted on "
                 "127.0.0.1, ::1 or localhost", id="plain-http-elsewhere"),
    pytest.param(GOOGLE + "  []\ngoogle: {credentials: anonymous}\n",
                 "config.yaml:4: notes.api_endpoint: credentials: anonymous needs an "
                 "api_endpoint on 127.0.0.1, ::1 or localhost (an emulator)",
                 id="anonymous-at-google"),
    pytest.param(GOOGLE + "  []\ngoogle: {credentials: service-account}\n",
                 "config.yaml:7: google.service_account_file: required for credentials: "
                 "service-account", id="service-account-without-key"),
    pytest.param(GOOGLE + "  []\ngoogle: {subject: a@example.com}\n",
                 "config.yaml:7: google.subject: only with credentials: service-account",
                 id="subject-without-service-account"),
])
def test_google_settings_are_checked(tmp_path: Path, text: str, expected: str) -> None:
    assert problems(tmp_path, text) == [expected]
