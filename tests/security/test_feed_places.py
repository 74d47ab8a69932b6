"""A config cannot make syncd read a feed from a local URL or from a file that is not a
calendar someone exported: `file://` URLs, kernel and device files, FIFOs, folders, syncd's
own state files and the secret files the config names are refused before anything runs."""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil

import pytest

from syncd.config import load_config
from syncd.service import Service
from tests.workspace import HEAD_YAML, PEOPLE_YAML, Workspace, snapshot, syncd

LOCAL = "calendar: {kind: local, path: calendar}"


def feed_config(demo: Workspace, source: str, extra: str = "") -> None:
    """The contract roster reading its calendar from the feed `source` (url: or path:)."""
    assert LOCAL in HEAD_YAML
    demo.config.write_text(HEAD_YAML.replace(LOCAL, f"calendar: {{kind: ics, {source}}}")
                           + extra + PEOPLE_YAML)


def calendar_line(demo: Workspace) -> int:
    lines = demo.config.read_text().splitlines()
    return next(i for i, line in enumerate(lines, 1) if line.startswith("calendar:"))


def assert_refused(demo: Workspace, field: str, message: str) -> None:
    """validate and reconcile both exit 2 with one `FILE:LINE: FIELD: message` line, and
    nothing is written (not even the state directory)."""
    before = snapshot(demo.root)
    had_state = demo.state.exists()
    for command in ("validate", "reconcile"):
        run = demo.syncd(command)
        assert run.code == 2, run.out + run.err
        (line,) = run.err.splitlines()
        assert line.startswith(f"{demo.config}:{calendar_line(demo)}: calendar.{field}: "), line
        assert re.search(message, line), line
    assert snapshot(demo.root) == before
    assert demo.state.exists() == had_state


@pytest.mark.parametrize("url", ["file:///etc/passwd", "FILE://localhost/etc/shadow",
                                 "ftp://example.com/cal.ics"])
def test_a_feed_url_that_is_not_http_is_refused_with_file_line_and_field(
        demo: Workspace, url: str) -> None:
    feed_config(demo, f"url: '{url}'")
    assert_refused(demo, "url", r"only http\(s\) and webcal URLs are accepted; use path: "
                                r"for a local file$")


@pytest.mark.parametrize("path", ["/proc/self/environ", "/dev/zero", "/sys/kernel/notes"])
def test_a_feed_path_to_a_kernel_or_device_file_is_refused(demo: Workspace, path: str) -> None:
    feed_config(demo, f"path: {path}")
    assert_refused(demo, "path", "is a system file, not a calendar feed$")


def test_a_feed_path_to_a_fifo_or_a_folder_is_refused(demo: Workspace) -> None:
    # A FIFO would block the read for ever; a folder is no calendar either.
    os.mkfifo(demo.root / "feed.ics")
    feed_config(demo, "path: feed.ics")
    assert_refused(demo, "path", r"is not a regular file \(a folder, FIFO, socket or device\)$")
    feed_config(demo, "path: calendar")
    assert_refused(demo, "path", "is not a regular file")


def test_a_feed_path_to_syncd_state_or_a_secret_file_is_refused(demo: Workspace) -> None:
    # A parse error quotes a line of what it read: no feed may be a token or a password.
    demo.state.mkdir()
    (demo.state / "google-token.json").write_text('{"refresh_token": "1//refresh-secret"}')
    feed_config(demo, "path: state/google-token.json")
    assert_refused(demo, "path", "is in the state directory .*; keep the feed in a folder "
                                 "of its own$")
    shutil.rmtree(demo.state)

    password = demo.root / "smtp-password"
    password.write_text("hunter2\n")
    password.chmod(0o600)
    feed_config(demo, "path: smtp-password", f"""\
report:
  email: {{to: [dana@example.com], from: syncd@example.com, host: 127.0.0.1, user: dana,
          password_file: {password}}}
""")
    assert_refused(demo, "path", "is a secret file named elsewhere in the config")


def test_a_feed_file_of_its_own_is_read(demo: Workspace) -> None:
    # A subfolder of the state directory is fine (the system service keeps files there).
    feeds = demo.state / "feeds"
    feeds.mkdir(parents=True)
    shutil.copy(demo.calendar / "alice-weekly.ics", feeds / "feed.ics")
    feed_config(demo, "path: state/feeds/feed.ics")
    assert syncd("validate", "--config", str(demo.config)).code == 0
    run = demo.syncd("reconcile")
    assert run.code == 0, run.err
    assert "adopt-series   alice@example.com" in run.out


def test_a_reload_to_a_forbidden_feed_path_keeps_the_running_config(
        demo: Workspace, caplog: pytest.LogCaptureFixture) -> None:
    running = load_config(demo.config)
    service = Service(demo.config, running, dt.timedelta(minutes=15), environ={})
    feed_config(demo, "path: /dev/zero")
    assert service.reload() is False
    assert service.config is running
    assert f"reload: {demo.config}:{calendar_line(demo)}: calendar.path: /dev/zero " \
           "is a system file, not a calendar feed" in caplog.messages
