"""The `calendar: {kind: caldav, …}` block: what it takes, and each mistake reported as
FILE:LINE: FIELD: message."""

from __future__ import annotations

from pathlib import Path

import pytest

from syncd.config import CalDAVCalendarConfig
from tests.unit.test_config import load, problems

HEAD = """\
owner: {{name: Dana Lead, email: dana@example.com}}
timezone: Europe/Berlin
calendar: {{kind: caldav, {calendar}}}
notes: {{kind: markdown, path: notes}}
people: []
"""
GOOD = "url: https://caldav.fastmail.com/, username: dana@fastmail.com, password_file: pw"


def text(calendar: str) -> str:
    return HEAD.format(calendar=calendar)


def test_a_caldav_calendar_with_a_password_file(tmp_path: Path) -> None:
    calendar = load(tmp_path, text(GOOD + ", calendar: Work")).calendar
    assert isinstance(calendar, CalDAVCalendarConfig)
    assert (calendar.url, calendar.username, calendar.password_file, calendar.password_env,
            calendar.calendar) == ("https://caldav.fastmail.com/", "dana@fastmail.com",
                                   (tmp_path / "pw").resolve(), None, "Work")


def test_a_caldav_calendar_with_a_password_variable(tmp_path: Path) -> None:
    calendar = load(tmp_path, text("url: http://127.0.0.1:5232/, username: dana, "
                                   "password_env: SYNCD_CALDAV_PASSWORD")).calendar
    assert isinstance(calendar, CalDAVCalendarConfig)
    assert (calendar.url, calendar.password_file, calendar.password_env, calendar.calendar) \
        == ("http://127.0.0.1:5232/", None, "SYNCD_CALDAV_PASSWORD", None)


@pytest.mark.parametrize(("calendar", "message"), [
    pytest.param("username: dana, password_env: PW",
                 "calendar.url: required for kind 'caldav'", id="no-url"),
    pytest.param("url: https://cal.example.com/, password_env: PW",
                 "calendar.username: required for kind 'caldav'", id="no-username"),
    pytest.param("url: https://cal.example.com/, username: dana",
                 "calendar.password_env: required for kind 'caldav' (or set password_file)",
                 id="no-password"),
    pytest.param("url: https://cal.example.com/, username: dana, password_file: pw, "
                 "password_env: PW",
                 "calendar.password_env: give password_file or password_env, not both",
                 id="two-passwords"),
    pytest.param("url: https://cal.example.com/, username: dana, password: hunter2",
                 "calendar.password: do not put the password in the config: use "
                 "password_file (a file only you can read) or password_env (an environment "
                 "variable)", id="password-in-yaml"),
    pytest.param("url: http://cal.example.com/, username: dana, password_env: PW",
                 "calendar.url: plain http would send the password in clear; use https "
                 "(plain http is only accepted on 127.0.0.1, ::1 or localhost)",
                 id="plain-http"),
    pytest.param("url: webcal://cal.example.com/, username: dana, password_env: PW",
                 "calendar.url: a CalDAV server is reached over https", id="webcal"),
])
def test_caldav_mistakes_are_named(tmp_path: Path, calendar: str, message: str) -> None:
    assert f"config.yaml:3: {message}" in problems(tmp_path, text(calendar))


def test_caldav_keys_only_for_caldav(tmp_path: Path) -> None:
    config = text("kind: local, path: cal, username: dana, calendar: Work").replace(
        "kind: caldav, ", "")
    assert problems(tmp_path, config) == [
        "config.yaml:3: calendar.username: only for kind 'caldav', not 'local'",
        "config.yaml:3: calendar.calendar: only for kind 'caldav', not 'local'",
    ]
