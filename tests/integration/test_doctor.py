"""`syncd doctor`: each check passing and failing, with the fix it gives, through the CLI."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from syncd import doctor
from syncd.state import DB_NAME
from tests.emulator import Emulator
from tests.integration.gdemo import GoogleDemo
from tests.integration.test_google_auth import TokenServer, oauth_demo, serving
from tests.integration.test_report import PASSWORD, mail_config, smtp_server
from tests.privileges import as_ordinary_user
from tests.workspace import Run, Workspace, syncd


def check(demo: Workspace | GoogleDemo, name: str) -> dict[str, Any]:
    run = doctor_run(demo)
    return next(c for c in run.json()["checks"] if c["name"] == name)


def doctor_run(demo: Workspace | GoogleDemo) -> Run:
    return syncd("doctor", "--json", "--config", str(demo.config),
                 "--now", "2026-11-25T09:00:00+01:00")


def test_a_healthy_demo_passes_every_check_with_one_line_each(demo: Workspace) -> None:
    demo.state.mkdir(mode=0o700)
    run = syncd("doctor", "--config", str(demo.config))
    assert run.code == 0, run.out
    lines = run.out.splitlines()
    assert [line.split(":")[0] for line in lines] == [
        "✓ config", "✓ files", "✓ calendar", "✓ owner", "✓ notes", "✓ state", "- google",
        "- smtp", lines[-1].split(":")[0]]
    assert lines[-1].split(":")[0] in ("- systemd", "✓ systemd", "✗ systemd")
    data = doctor_run(demo).json()
    assert data["ok"] is True and len(data["checks"]) == 9


def test_config(demo: Workspace) -> None:
    assert check(demo, "config")["status"] == "ok"
    demo.config.write_text(demo.config.read_text().replace("timezone: Europe/Berlin",
                                                           "timezone: Mars/Base"))
    run = doctor_run(demo)
    assert run.code == 1
    (only,) = run.json()["checks"]
    assert only["status"] == "failed" and "unknown timezone 'Mars/Base'" in only["detail"]
    assert only["fix"] == f"run `syncd validate --config {demo.config}` and fix each line it names"


def test_files(demo: Workspace) -> None:
    demo.state.mkdir(mode=0o700)
    assert check(demo, "files")["status"] == "ok"
    demo.state.chmod(0o755)
    found = check(demo, "files")
    assert found["status"] == "failed" and "open to others (mode 0755)" in found["detail"]
    assert found["fix"] == f"chmod 700 {demo.state}"
    demo.state.chmod(0o700)
    elsewhere = demo.root / "elsewhere.md"
    elsewhere.write_text("")
    demo.notes.mkdir()
    (demo.notes / "alice@example.com.md").symlink_to(elsewhere)
    found = check(demo, "files")
    assert "notes file of alice@example.com" in found["detail"]
    assert "is a symbolic link" in found["detail"]
    assert found["fix"] == ("replace the link with the file itself: syncd never writes "
                            f"through a link (it points at {elsewhere})")


def test_calendar(demo: Workspace) -> None:
    found = check(demo, "calendar")
    assert found["status"] == "ok" and " events read in " in found["detail"]
    for ics in demo.calendar.glob("*.ics"):
        ics.write_text("BEGIN:VCALENDAR\nBEGIN:VEVENT\n")
        break
    found = check(demo, "calendar")
    assert found["status"] == "failed" and found["detail"].startswith("not readable: ")
    assert found["fix"] == "check calendar.path and its permissions"


def test_owner(demo: Workspace) -> None:
    assert check(demo, "owner")["status"] == "ok"
    demo.config.write_text(demo.config.read_text().replace(
        "email: dana@example.com}", "email: someone@example.com}"))
    found = check(demo, "owner")
    assert found["status"] == "failed"
    assert found["fix"] == ("set owner.email to dana@example.com, or use "
                            "someone@example.com's calendar")


def test_notes(demo: Workspace) -> None:
    assert check(demo, "notes")["status"] == "ok"
    demo.notes.mkdir(mode=0o500)
    try:
        with as_ordinary_user():
            found = check(demo, "notes")
    finally:
        demo.notes.chmod(0o700)
    assert found["status"] == "failed" and found["detail"] == f"cannot write in {demo.notes}"
    assert found["fix"].startswith(f"make {demo.notes} yours")
    assert list(demo.notes.iterdir()) == []  # checked without writing a note


def test_state(demo: Workspace) -> None:
    assert syncd("reconcile", "--config", str(demo.config), "--now",
                 "2026-11-25T09:00:00+01:00").code == 0
    found = check(demo, "state")
    assert found["status"] == "ok" and "schema version" in found["detail"]
    with sqlite3.connect(demo.state / DB_NAME) as conn:
        conn.execute("PRAGMA user_version = 999")
    found = check(demo, "state")
    assert found["status"] == "failed" and "newer syncd" in found["detail"]
    assert found["fix"].startswith("upgrade syncd")


@pytest.fixture
def token_server() -> Iterator[TokenServer]:
    with serving(TokenServer()) as server:
        yield server


def test_google_token(owner_emulator: Emulator, tmp_path: Path,
                      token_server: TokenServer) -> None:
    g = oauth_demo(owner_emulator, tmp_path, token_server.url)
    found = check(g, "google")
    assert found["status"] == "ok" and "refreshes" in found["detail"]
    token = tmp_path / "state" / "google-token.json"
    stored = json.loads(token.read_text())
    stored["scopes"].append("https://www.googleapis.com/auth/gmail.readonly")
    token.write_text(json.dumps(stored))
    found = check(g, "google")
    assert found["status"] == "failed" and "gmail.readonly" in found["detail"]
    assert found["fix"].startswith("revoke it")
    token.unlink()
    found = check(g, "google")
    assert found["status"] == "failed" and "no Google token" in found["detail"]
    assert found["fix"] == "run `syncd auth login`"


def test_smtp(demo: Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with smtp_server(tmp_path) as box:
        mail_config(demo, box)
        monkeypatch.setenv("SYNCD_TEST_SMTP_PASSWORD", PASSWORD)
        found = check(demo, "smtp")
        assert found["status"] == "ok" and "as dana" in found["detail"]
        monkeypatch.setenv("SYNCD_TEST_SMTP_PASSWORD", "wrong")
        found = check(demo, "smtp")
        assert found["status"] == "failed" and "login as dana refused" in found["detail"]
        assert found["fix"].startswith("check report.email host")
        assert box.received == []  # nothing sent


def test_systemd_is_not_applicable_without_systemctl() -> None:
    found = doctor.systemd(which=lambda _: None)
    assert found.status == "n/a" and found.detail == "no systemctl on this machine"


def _show(text: str, code: int = 0) -> subprocess.CompletedProcess[str]:
    return subprocess.CompletedProcess([], code, text, "")


def test_systemd_unit_states_and_their_fixes() -> None:
    which = {"which": lambda _: "/usr/bin/systemctl"}
    scope = "systemctl" if os.geteuid() == 0 else "systemctl --user"
    healthy = doctor.systemd(**which, runner=lambda _: _show(
        "LoadState=loaded\nUnitFileState=enabled\nActiveState=active\n"
        "StatusText=2 applied, 0 failed; next run 09:15\n"))
    assert healthy.status == "ok" and "last cycle: 2 applied, 0 failed" in healthy.detail
    missing = doctor.systemd(**which, runner=lambda _: _show("LoadState=not-found\n"))
    assert missing.status == "failed" and f"`{scope} daemon-reload`" in missing.fix
    disabled = doctor.systemd(**which, runner=lambda _: _show(
        "LoadState=loaded\nUnitFileState=disabled\nActiveState=inactive\n"))
    assert disabled.fix == f"{scope} enable --now syncd.service"
    stopped = doctor.systemd(**which, runner=lambda _: _show(
        "LoadState=loaded\nUnitFileState=enabled\nActiveState=failed\n"))
    assert stopped.detail == "syncd.service is failed"
    assert stopped.fix.startswith(f"{scope} start syncd.service")
    down = doctor.systemd(**which, runner=lambda _: subprocess.CompletedProcess(
        [], 1, "", "System has not been booted with systemd as init system (PID 1)."))
    assert down.status == "n/a" and "systemd cannot be asked here" in down.detail
