"""Where the CalDAV password comes from, what is refused, and that it is redacted."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from syncd.backends import caldav_password
from syncd.calendars.base import AccessError
from syncd.config import CalDAVCalendarConfig

SECRET = "s3cret-caldav-password"


def dav(**password: object) -> CalDAVCalendarConfig:
    return CalDAVCalendarConfig.model_validate(
        {"kind": "caldav", "url": "https://cal.example.com/", "username": "dana", **password})


def test_the_password_from_a_private_file_loses_its_newline_and_is_redacted(
    tmp_path: Path, caplog: pytest.LogCaptureFixture,
) -> None:
    path = tmp_path / "pw"
    path.write_text(SECRET + "\n")
    path.chmod(0o600)
    assert caldav_password(dav(password_file=path), {}) == SECRET
    logging.getLogger().addHandler(caplog.handler)  # the redactor sits on root handlers
    try:
        caldav_password(dav(password_file=path), {})
        with caplog.at_level(logging.DEBUG):
            logging.getLogger("syncd.test").debug("sending %s", SECRET)
    finally:
        logging.getLogger().removeHandler(caplog.handler)
    assert SECRET not in caplog.text and "sending …" in caplog.text


def test_the_password_from_the_environment() -> None:
    config = dav(password_env="PW")
    assert caldav_password(config, {"PW": SECRET}) == SECRET
    with pytest.raises(AccessError, match=r"environment variable PW .* is not set"):
        caldav_password(config, {})


@pytest.mark.parametrize(("content", "mode", "message"), [
    (None, 0o600, "cannot read password_file .*: No such file or directory"),
    ("", 0o600, "password_file .* is empty"),
    (SECRET, 0o640, r"readable by others \(mode 0640\)"),
])
def test_a_password_file_that_cannot_be_used_is_named(
    tmp_path: Path, content: str | None, mode: int, message: str,
) -> None:
    path = tmp_path / "pw"
    if content is not None:
        path.write_text(content)
        path.chmod(mode)
    with pytest.raises(AccessError, match=message):
        caldav_password(dav(password_file=path), {})
