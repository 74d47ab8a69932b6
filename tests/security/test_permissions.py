"""Private files stay private: what syncd creates is 0600 in 0700 folders whatever the
umask; a state folder, report or notes file left open to others is closed at the start of
a writing run; a secret file (Google token or key, SMTP password) others can read is
refused, because a chmod cannot take back a copy someone already made."""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from google.oauth2 import credentials as user_credentials

from syncd.google.auth import CALENDAR_SCOPE, DRIVE_SCOPE, TOKEN_FILE, save_token
from syncd.state import DB_NAME
from tests.emulator import Emulator
from tests.integration.gdemo import GoogleDemo
from tests.integration.test_report import PASSWORD, mail_config, smtp_server
from tests.workspace import Workspace, syncd

REFRESH = "1//refresh-secret-for-permissions"


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def open_umask() -> Iterator[None]:
    """A umask that lets everyone read and write new files, as a careless shell might have."""
    old = os.umask(0)
    try:
        yield
    finally:
        os.umask(old)


@pytest.mark.usefixtures("open_umask")
def test_files_syncd_creates_are_private_whatever_the_umask(demo: Workspace) -> None:
    run = demo.syncd("reconcile")
    assert run.code == 0, run.err
    assert mode(demo.state) == 0o700
    modes = {p.name: mode(p) for p in demo.state.iterdir()}  # -wal/-shm only while open
    assert {"syncd.sqlite3", "syncd.lock"} <= set(modes) and set(modes.values()) == {0o600}
    assert mode(demo.notes) == 0o700
    notes = sorted(demo.notes.iterdir())
    assert len(notes) == 4 and all(mode(p) == 0o600 for p in notes)
    created = [p for p in demo.calendar.iterdir() if p.name.endswith("@syncd.ics")]
    assert created and all(mode(p) == 0o600 for p in created)


def test_a_state_folder_and_notes_left_open_are_closed_at_start(demo: Workspace) -> None:
    assert demo.syncd("reconcile").code == 0
    alice = demo.notes / "alice@example.com.md"
    text = alice.read_bytes()
    demo.state.chmod(0o755)
    alice.chmod(0o644)
    (demo.state / "reports").mkdir(mode=0o755)
    (demo.state / "reports" / "2026-W47.txt").write_text("who skipped what")
    (demo.state / "reports" / "2026-W47.txt").chmod(0o644)

    run = demo.syncd("reconcile")
    assert run.code == 0, run.err
    assert mode(demo.state) == 0o700 and mode(alice) == 0o600
    assert mode(demo.state / "reports") == 0o700
    assert mode(demo.state / "reports" / "2026-W47.txt") == 0o600
    assert alice.read_bytes() == text  # only the mode changed
    assert f"state directory {demo.state} was open to others (mode 0755); now 0700" in run.err
    assert f"notes file of alice@example.com {alice} was open to others (mode 0644); now " \
           "0600" in run.err


def test_run_and_auth_login_close_an_open_state_folder_first(demo: Workspace) -> None:
    demo.state.mkdir(mode=0o755)
    # A database that is not one: `run` stops when it opens the state, after the check.
    (demo.state / DB_NAME).write_bytes(b"not a database" * 100)
    run = syncd("run", "--config", str(demo.config))
    assert run.code == 1 and "file is not a database" in run.err
    assert mode(demo.state) == 0o700

    demo.state.chmod(0o755)
    run = syncd("auth", "login", "--no-browser", "--config", str(demo.config))
    assert run.code == 1 and "set google.client_secrets" in run.err
    assert mode(demo.state) == 0o700


def test_read_only_commands_change_no_mode(demo: Workspace) -> None:
    assert demo.syncd("reconcile").code == 0
    alice = demo.notes / "alice@example.com.md"
    demo.state.chmod(0o755)
    alice.chmod(0o644)
    for command in (("status",), ("reconcile", "--dry-run"), ("log",),
                    ("export", "--output", str(demo.root / "export.ics"))):
        assert demo.syncd(*command).code == 0
    assert syncd("report", "--config", str(demo.config), "--now",
                 "2026-11-25T09:00:00+01:00").code == 0
    assert mode(demo.state) == 0o755 and mode(alice) == 0o644


def test_a_report_file_is_written_0600_even_over_an_open_one(demo: Workspace) -> None:
    output = demo.root / "report.txt"
    output.write_text("old")
    output.chmod(0o644)
    run = syncd("report", "--config", str(demo.config), "--now", "2026-11-25T09:00:00+01:00",
                "--output", str(output))
    assert run.code == 0, run.err
    assert mode(output) == 0o600 and output.read_text() != "old"


def test_a_new_token_replaces_an_open_token_file_with_mode_0600(tmp_path: Path) -> None:
    path = tmp_path / "state" / TOKEN_FILE
    path.parent.mkdir()
    path.write_text("{}")
    path.chmod(0o644)
    save_token(path, user_credentials.Credentials(  # type: ignore[no-untyped-call]
        "access", refresh_token=REFRESH, client_id="id", client_secret="secret",
        token_uri="http://127.0.0.1:9/token"))
    assert mode(path) == 0o600
    assert json.loads(path.read_text())["refresh_token"] == REFRESH


@pytest.fixture
def google_demo(owner_emulator: Emulator, tmp_path: Path) -> GoogleDemo:
    """The contract roster on the emulator, signing in with a stored OAuth token."""
    demo = GoogleDemo(owner_emulator, tmp_path)
    demo.write_config()
    demo.config.write_text(demo.config.read_text().replace(
        "google: {credentials: anonymous}", "google: {credentials: oauth}"))
    state = tmp_path / "state"
    state.mkdir(mode=0o700)
    token = state / TOKEN_FILE
    token.write_text(json.dumps({
        "token": "access-secret", "refresh_token": REFRESH, "client_id": "client.example",
        "client_secret": "client-secret", "scopes": [CALENDAR_SCOPE, DRIVE_SCOPE],
        "expiry": "2999-01-01T00:00:00Z", "token_uri": "http://127.0.0.1:9/token"}))
    return demo


@pytest.mark.parametrize("open_mode", [0o640, 0o604, 0o620])
@pytest.mark.parametrize("command", ["reconcile", "status", "report"])
def test_a_token_others_can_use_is_refused_before_any_request(
        google_demo: GoogleDemo, open_mode: int, command: str) -> None:
    token = google_demo.root / "state" / TOKEN_FILE
    token.chmod(open_mode)
    run = google_demo.syncd(command)
    assert run.code == 1
    said = run.out + run.err
    assert f"{token}: the Google token is readable by others (mode {open_mode:04o}); run " \
           f"`chmod 600 {token}` and, if others could have read it, revoke it" in said
    assert REFRESH not in said and "access-secret" not in said
    assert google_demo.emu.requests() == []
    assert mode(token) == open_mode  # refused, not silently "fixed": it may have been copied


def test_a_service_account_key_others_can_read_is_refused(google_demo: GoogleDemo) -> None:
    key = google_demo.root / "key.json"
    key.write_text('{"type": "service_account", "private_key": "-----BEGIN PRIVATE KEY-----"}')
    key.chmod(0o644)
    google_demo.config.write_text(google_demo.config.read_text().replace(
        "google: {credentials: oauth}",
        f"google: {{credentials: service-account, service_account_file: {key}}}"))
    run = google_demo.syncd("reconcile")
    assert run.code == 1
    assert f"{key}: the service account key is readable by others (mode 0644)" in run.out
    assert "PRIVATE KEY" not in run.out + run.err
    assert google_demo.emu.requests() == []


def test_an_smtp_password_file_others_can_read_is_refused(demo: Workspace, tmp_path: Path) -> None:
    secret = tmp_path / "smtp-password"
    secret.write_text(PASSWORD + "\n")
    secret.chmod(0o644)
    with smtp_server(tmp_path) as box:
        mail_config(demo, box, password=f"password_file: {secret}")
        run = syncd("report", "--config", str(demo.config), "--now",
                    "2026-12-15T08:30:00+01:00", "--email")
    assert run.code == 1
    assert f"report not sent: {secret}: the SMTP password file is readable by others (mode " \
           f"0644); run `chmod 600 {secret}` and, if others could have read it, change the " \
           "password" in run.err
    assert box.received == [] and PASSWORD not in run.out + run.err
    assert mode(demo.state / "reports" / "2026-W50.txt") == 0o600  # the report is kept
