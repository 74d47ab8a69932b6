"""Backends as one model per kind: what each kind accepts, and the messages that stayed
the same as when every kind shared one model (a config that loaded still loads)."""

from __future__ import annotations

from pathlib import Path

import pytest

from syncd.config import (
    ConfigError,
    FeedCalendarConfig,
    GoogleCalendarConfig,
    GoogleDocsNotesConfig,
    LocalCalendarConfig,
    MarkdownNotesConfig,
    load_config,
)

HEAD = """\
owner: {name: Dana Lead, email: dana@example.com}
timezone: Europe/Berlin
calendar: CALENDAR
notes: NOTES
people: []
"""


def config(tmp_path: Path, calendar: str = "{kind: local, path: cal}",
           notes: str = "{kind: markdown, path: notes}") -> Path:
    path = tmp_path / "config.yaml"
    path.write_text(HEAD.replace("CALENDAR", calendar).replace("NOTES", notes))
    return path


def problems(path: Path) -> list[str]:
    with pytest.raises(ConfigError) as info:
        load_config(path)
    return [p.removeprefix(f"{path}:") for p in info.value.problems]


@pytest.mark.parametrize(("calendar", "notes", "kinds"), [
    ("{kind: local, path: cal}", "{kind: markdown, path: n}",
     (LocalCalendarConfig, MarkdownNotesConfig)),
    ("{kind: ics, url: 'https://example.com/a.ics'}", "{kind: markdown, path: n}",
     (FeedCalendarConfig, MarkdownNotesConfig)),
    ("{kind: google}", "{kind: google-docs}", (GoogleCalendarConfig, GoogleDocsNotesConfig)),
])
def test_the_kind_selects_the_model(tmp_path: Path, calendar: str, notes: str,
                                    kinds: tuple[type, type]) -> None:
    loaded = load_config(config(tmp_path, calendar, notes))
    assert (type(loaded.calendar), type(loaded.notes)) == kinds


def test_defaults_of_a_kind_come_with_it(tmp_path: Path) -> None:
    loaded = load_config(config(tmp_path, "{kind: google, calendar_id: ~}",
                                "{kind: google-docs, attach: ~}"))
    assert isinstance(loaded.calendar, GoogleCalendarConfig)
    assert isinstance(loaded.notes, GoogleDocsNotesConfig)
    assert (loaded.calendar.calendar_id, loaded.notes.attach) == ("primary", True)
    assert loaded.uses_google and loaded.attach_notes


def test_keys_that_always_loaded_still_load(tmp_path: Path) -> None:
    # A folder named for a Google backend was never used nor refused; an empty key of
    # another kind sets nothing.
    loaded = load_config(config(tmp_path, "{kind: google, path: cal}",
                                "{kind: markdown, path: n, attach: ~, folder_id: ~}"))
    assert isinstance(loaded.calendar, GoogleCalendarConfig)
    assert isinstance(loaded.notes, MarkdownNotesConfig)
    assert loaded.notes.path == tmp_path.resolve() / "n"


def test_a_key_of_another_kind_names_its_kinds(tmp_path: Path) -> None:
    assert problems(config(tmp_path, "{kind: local, path: cal, calendar_id: x, timeout: 5}")) \
        == ["3: calendar.calendar_id: only for kind 'google', not 'local'",
            "3: calendar.timeout: only for kind 'ics', not 'local'"]


def test_a_bad_value_of_another_kinds_key_is_reported_as_bad(tmp_path: Path) -> None:
    assert problems(config(tmp_path, "{kind: local, path: cal, url: 'ftp://x/y'}")) == [
        "3: calendar.url: only http(s) and webcal URLs are accepted; use path: for a local "
        "file"]


def test_without_a_known_kind_the_other_keys_are_still_checked(tmp_path: Path) -> None:
    assert problems(config(tmp_path, "{kind: caldav, timeout: 0, colour: blue}")) == [
        "3: calendar.kind: unsupported kind 'caldav' (expected: local, ics, google)",
        "3: calendar.timeout: must be a number of seconds more than 0, not the number 0",
        "3: calendar.colour: unknown key"]
    assert problems(config(tmp_path, "{path: cal}")) == ["3: calendar.kind: required"]
    assert problems(config(tmp_path, "{kind: [local]}")) == [
        "3: calendar.kind: must be text, not a list"]
    assert problems(config(tmp_path, "[local]")) == ["3: calendar: must be a mapping of keys"]
