"""The command line around the core: where the config is looked for, the clock option,
usage errors, and how `status` and `report` behave when a source cannot be read."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from syncd.state import DB_NAME
from tests.workspace import HEAD_YAML, NOW, PEOPLE_YAML, Workspace, snapshot, syncd

WEEK = ("--week", "2026-W47")


def report(demo: Workspace, *args: str) -> tuple[int, str, str]:
    run = syncd("report", "--config", str(demo.config), "--now", NOW, *args)
    return run.code, run.out, run.err


# --- where the config comes from ---------------------------------------------------


@pytest.fixture
def no_config_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name in ("SYNCD_CONFIG", "CONFIGURATION_DIRECTORY", "XDG_CONFIG_HOME"):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_syncd_config_names_the_file(demo: Workspace, no_config_env: pytest.MonkeyPatch) -> None:
    no_config_env.setenv("SYNCD_CONFIG", str(demo.config))
    run = syncd("validate")
    assert run.code == 0, run.err
    assert run.out == f"{demo.config}: ok (4 people, 4 active)\n"


def test_systemd_configuration_directory_is_used_first_entry_only(
    demo: Workspace, tmp_path: Path, no_config_env: pytest.MonkeyPatch,
) -> None:
    no_config_env.setenv("CONFIGURATION_DIRECTORY", f"{demo.root}:{tmp_path / 'other'}")
    run = syncd("validate")
    assert run.code == 0, run.err
    assert run.out.startswith(f"{demo.root / 'config.yaml'}: ok")


def test_xdg_config_home_then_home_config(
    demo: Workspace, tmp_path: Path, no_config_env: pytest.MonkeyPatch,
) -> None:
    xdg = tmp_path / "xdg"
    (xdg / "syncd").mkdir(parents=True)
    shutil.copy(demo.config, xdg / "syncd" / "config.yaml")
    no_config_env.setenv("XDG_CONFIG_HOME", str(xdg))
    assert syncd("validate").out.startswith(f"{xdg / 'syncd' / 'config.yaml'}: ok")
    no_config_env.delenv("XDG_CONFIG_HOME")
    no_config_env.setenv("HOME", str(tmp_path / "home"))
    run = syncd("validate")
    assert run.code == 2
    assert str(tmp_path / "home" / ".config" / "syncd" / "config.yaml") in run.err


# --- the clock ---------------------------------------------------------------------------


def test_a_now_without_offset_is_in_the_rosters_timezone(demo: Workspace) -> None:
    naive = syncd("status", "--json", "--config", str(demo.config),
                  "--now", "2026-12-20T09:00:00")
    aware = demo.syncd("status", "--json", now="2026-12-20T09:00:00+01:00")
    assert naive.code == aware.code == 0
    assert naive.json() == aware.json()


def test_a_now_that_is_not_iso_is_a_usage_error_and_writes_nothing(demo: Workspace) -> None:
    before = snapshot(demo.root)
    run = demo.syncd("reconcile", now="next tuesday")
    assert run.code == 2
    assert "--now" in run.err and "not an ISO date or datetime: 'next tuesday'" in run.err
    assert snapshot(demo.root) == before


# --- state ------------------------------------------------------------------------------


def test_a_state_database_that_is_not_one_fails_reconcile_with_exit_1(demo: Workspace) -> None:
    demo.state.mkdir(mode=0o700)
    (demo.state / DB_NAME).write_bytes(b"not sqlite at all " * 64)
    before = snapshot(demo.calendar)
    run = demo.syncd("reconcile")
    assert run.code == 1
    assert f"syncd: state in {demo.state}:" in run.err
    assert snapshot(demo.calendar) == before
    assert not demo.notes.exists()


# --- status and report when a source fails ------------------------------------------------


def test_status_on_an_unreadable_feed_warns_and_exits_1_with_stored_history(
    demo: Workspace,
) -> None:
    demo.config.write_text(HEAD_YAML.replace("{kind: local, path: calendar}",
                                             "{kind: ics, path: missing.ics}") + PEOPLE_YAML)
    run = demo.syncd("status", "--json")
    assert run.code == 1
    assert run.err.startswith("warning: ics calendar: not read: ics file")
    assert "missing.ics: cannot read" in run.err and "showing stored history only" in run.err
    assert [p["email"] for p in run.json()["people"]] == [
        "alice@example.com", "bob@example.com", "erin@example.com", "carol@example.com"]


def test_report_before_any_notes_exist_says_agendas_are_missing(demo: Workspace) -> None:
    code, out, err = report(demo, "--format", "json")
    assert code == 0, err
    coming = json.loads(out)["next_week"]
    assert coming and all(c["notes_url"] is None and c["agenda"] == "missing" for c in coming)


def test_report_with_unreadable_notes_warns_and_exits_1_but_still_reports(
    demo: Workspace,
) -> None:
    assert demo.syncd("reconcile").code == 0
    alice = demo.notes / "alice@example.com.md"
    alice.unlink()
    alice.mkdir()  # something that cannot be read as a file
    code, out, err = report(demo, "--format", "json")
    assert code == 1
    assert "warning: notes: not read: cannot read notes file" in err
    coming = json.loads(out)["next_week"]
    assert coming and all(c["agenda"] not in ("written", "empty") for c in coming)


def test_report_on_google_docs_without_a_token_warns_about_the_notes(demo: Workspace) -> None:
    demo.config.write_text(HEAD_YAML.replace(
        "notes: {kind: markdown, path: notes}",
        "notes: {kind: google-docs}") + PEOPLE_YAML)
    code, out, err = report(demo, *WEEK)
    assert code == 1
    assert "warning: notes: not read: no Google token" in err and "syncd auth login" in err
    assert out  # the calendar part of the report is still there


# --- report usage errors and output files ------------------------------------------------


def test_report_usage_errors_exit_2(demo: Workspace) -> None:
    code, _, err = report(demo, "--format", "pdf")
    assert code == 2 and "--format pdf needs --output FILE" in err
    code, _, err = report(demo, "--email")
    assert code == 2 and "--email needs a report.email section in the config" in err
    code, _, err = report(demo, "--from", "2026-11-01")
    assert code == 2 and "--from and --to go together" in err
    code, _, err = report(demo, "--from", "2026-11-10", "--to", "2026-11-01")
    assert code == 2 and "ends before --from" in err
    code, _, err = report(demo, "--week", "2026-W47", "--to", "2026-11-01")
    assert code == 2 and "give --week or --from/--to, not both" in err
    code, _, err = report(demo, "--week", "2026-W99")
    assert code == 2 and "not an ISO week like 2026-W47: '2026-W99'" in err


def test_report_to_a_folder_that_does_not_exist_exits_1_naming_the_file(
    demo: Workspace, tmp_path: Path,
) -> None:
    target = tmp_path / "no" / "such" / "report.html"
    code, out, err = report(demo, *WEEK, "--format", "html", "--output", str(target))
    assert code == 1
    assert f"syncd: cannot write {target}: No such file or directory" in err
    assert out == "" and not target.exists()


def test_report_as_pdf_is_a_private_pdf_file(demo: Workspace, tmp_path: Path) -> None:
    target = tmp_path / "report.pdf"
    code, out, err = report(demo, *WEEK, "--format", "pdf", "--output", str(target))
    assert code == 0, err
    assert out == ""
    assert target.read_bytes().startswith(b"%PDF-")
    assert target.stat().st_mode & 0o777 == 0o600
