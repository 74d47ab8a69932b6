"""Failures where a user meets them (issue 12): no write through a link, a calendar that was
not read writes nothing, sources fail one by one, appends all or nothing, counts that add up.

In-process through the real CLI (CliRunner, exceptions not caught, so a traceback fails
the test). Permission cases drop root's overrides (tests/privileges.py).
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from syncd.state import DB_NAME
from tests.privileges import as_ordinary_user
from tests.workspace import HEAD_YAML, PEOPLE_YAML, Workspace, snapshot, syncd

ALICE = "alice@example.com"
LATER = "2026-12-09T09:00:00+01:00"  # two weeks on: new agendas are due


def notes_of(demo: Workspace, email: str = ALICE) -> Path:
    return demo.notes / f"{email}.md"


# --- writes where they should not --------------------------------------------------------


def test_a_notes_file_that_is_a_symlink_is_refused_and_its_target_never_written(
    demo: Workspace, tmp_path: Path,
) -> None:
    target = tmp_path / "passwd"
    target.write_text("root:x:0:0::/root:/bin/sh\n")
    demo.notes.mkdir(mode=0o700)
    notes_of(demo).symlink_to(target)
    run = demo.syncd("reconcile")
    assert run.code == 1
    assert f"{notes_of(demo)} is a symbolic link, which syncd does not write through" in run.out
    assert target.read_text() == "root:x:0:0::/root:/bin/sh\n"
    # Its link is on no event, and the others' notes went on.
    assert not any(target.name in text for text in
                   (p.read_text() for p in demo.calendar.glob("*.ics")))
    assert notes_of(demo, "bob@example.com").read_text().count("<!-- syncd:agenda") == 1


def test_an_open_notes_folder_is_closed_to_others_before_a_run(demo: Workspace) -> None:
    demo.notes.mkdir()
    demo.notes.chmod(0o777)  # anyone could plant a link at a person's file name
    run = demo.syncd("reconcile")
    assert run.code == 0, run.err
    assert demo.notes.stat().st_mode & 0o777 == 0o755
    assert f"notes folder {demo.notes} was open to others (mode 0777); now 0755" in run.err


def test_a_calendar_path_with_a_typo_writes_no_notes_and_no_state(demo: Workspace) -> None:
    demo.config.write_text(HEAD_YAML.replace("path: calendar}", "path: calendr}") + PEOPLE_YAML)
    run = demo.syncd("reconcile")
    assert run.code == 1
    assert run.out.startswith("Nothing done: the calendar could not be read")
    assert "calendr: no such folder" in run.out
    assert not demo.notes.exists()
    assert syncd("log", "--config", str(demo.config)).out == ""
    with sqlite3.connect(demo.state / DB_NAME) as db:
        assert [db.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
                for table in ("series", "notes", "occurrences", "kv")] == [0] * 4
    db.close()


def test_a_calendar_path_that_is_a_file_is_called_a_file(demo: Workspace) -> None:
    (demo.root / "calendar.ics").write_text("BEGIN:VCALENDAR\nEND:VCALENDAR\n")
    demo.config.write_text(HEAD_YAML.replace("path: calendar}", "path: calendar.ics}")
                           + PEOPLE_YAML)
    run = demo.syncd("reconcile", "--dry-run")
    assert run.code == 1
    assert "calendar.ics: a file, not a folder of .ics files" in run.out
    assert "no such folder" not in run.out


def test_a_read_only_calendar_folder_does_not_stop_the_notes(demo: Workspace) -> None:
    demo.calendar.chmod(0o555)
    try:
        with as_ordinary_user():
            run = demo.syncd("reconcile")
    finally:
        demo.calendar.chmod(0o755)
    assert run.code == 1
    assert "earlier step for this person failed" not in run.out
    for email in ("alice@example.com", "bob@example.com", "erin@example.com"):
        assert notes_of(demo, email).read_text().count("<!-- syncd:agenda") == 1, email
    # The counts add up: nothing written to the calendar, every note written.
    head = run.out.splitlines()[0]
    total = int(head.split()[0])
    failed = int(head.split(", ")[-1].split()[0])
    assert head == f"{total} action(s): {total - failed} applied, 0 not applied, {failed} failed:"


def test_a_folder_at_one_persons_notes_path_is_an_error_for_them_only_and_not_chmoded(
    demo: Workspace,
) -> None:
    demo.notes.mkdir(mode=0o755)
    notes_of(demo).mkdir(mode=0o755)
    run = demo.syncd("reconcile")
    assert run.code == 1
    assert f"{notes_of(demo)}: it is a folder, not a notes file" in run.out
    assert notes_of(demo).stat().st_mode & 0o777 == 0o755
    assert "notes file of alice" not in run.err  # not "tightened" as if it were a file
    assert notes_of(demo, "bob@example.com").read_text().count("<!-- syncd:agenda") == 1


def test_a_state_database_set_read_only_stays_read_only_and_is_named(demo: Workspace) -> None:
    assert demo.syncd("reconcile").code == 0
    db = demo.state / DB_NAME
    db.chmod(0o444)
    run = demo.syncd("reconcile", now=LATER)
    assert run.code == 1
    assert run.err == (f"syncd: {db} is read-only (mode 0444), so syncd leaves it and writes "
                       f"nothing; to let syncd work again: chmod 600 {db}\n")
    assert db.stat().st_mode & 0o777 == 0o444


def test_export_is_private_since_it_names_people_and_links_their_notes(
    demo: Workspace, tmp_path: Path,
) -> None:
    out = tmp_path / "team.ics"
    assert demo.syncd("export", "--output", str(out)).code == 0
    assert out.stat().st_mode & 0o777 == 0o600


def test_export_over_a_symlink_is_refused(demo: Workspace, tmp_path: Path) -> None:
    target = tmp_path / "elsewhere"
    target.write_text("mine\n")
    (tmp_path / "team.ics").symlink_to(target)
    run = demo.syncd("export", "--output", str(tmp_path / "team.ics"))
    assert run.code == 1
    assert run.err == (f"syncd: {tmp_path / 'team.ics'} is a symbolic link, which syncd does "
                       "not write through; replace it with the file itself\n")
    assert target.read_text() == "mine\n"


# --- half-done work ------------------------------------------------------------------------


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 1 MiB tmpfs (root only; CI runs as root)."""
    mount = tmp_path / "disk"
    mount.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(mount)], check=True)
    try:
        yield mount
    finally:
        subprocess.run(["umount", str(mount)], check=True)


def test_a_full_disk_mid_append_leaves_no_half_section_and_the_next_run_writes_it_whole(
    demo: Workspace, small_disk: Path,
) -> None:
    demo.config.write_text(HEAD_YAML.replace("path: notes}", f"path: {small_disk}}}")
                           + PEOPLE_YAML)
    assert demo.syncd("reconcile").code == 0
    alice = small_disk / f"{ALICE}.md"
    # The lead's own notes fill Alice's file to 38 bytes short of a page: the next agenda's
    # marker line and "## 2" fit, the rest needs a page the full disk does not have.
    typed = b"x" * (4096 - 38 - alice.stat().st_size % 4096 - 1) + b"\n"
    with alice.open("ab") as out:
        out.write(typed)
    before = alice.read_bytes()
    fd = os.open(small_disk / "filler", os.O_WRONLY | os.O_CREAT, 0o600)
    with pytest.raises(OSError, match="No space left"):
        while True:
            os.write(fd, b"\0" * 512)
    os.close(fd)
    run = demo.syncd("reconcile", now=LATER)
    assert run.code == 1
    assert f"cannot append to notes file {alice}: No space left on device" in run.out
    assert alice.read_bytes() == before  # no marker, no "## 2"
    (small_disk / "filler").unlink()
    again = demo.syncd("reconcile", now=LATER)
    assert again.code == 0, again.out
    added = alice.read_bytes()[len(before):].decode()
    assert added.startswith("\n<!-- syncd:agenda 2026-12-")
    assert added.count("<!-- syncd:agenda") == 1 and added.endswith("- \n")
    assert snapshot(small_disk)  # the other people's files are still there


# --- exit codes ----------------------------------------------------------------------------


def test_help_names_every_place_the_config_is_looked_for() -> None:
    run = syncd("--help")
    assert "$CONFIGURATION_DIRECTORY/config.yaml" in run.out
    assert "$SYNCD_CONFIG" in run.out and "~/.config/syncd/config.yaml" in run.out


def test_a_read_only_feed_counts_its_calendar_actions_as_not_applied(demo: Workspace) -> None:
    feed = demo.root / "feed" / "team.ics"
    feed.parent.mkdir()
    feed.write_bytes((demo.calendar / "alice-weekly.ics").read_bytes())
    demo.config.write_text(HEAD_YAML.replace("{kind: local, path: calendar}",
                                             "{kind: ics, path: feed/team.ics}") + PEOPLE_YAML)
    run = demo.syncd("reconcile")
    assert run.code == 0, run.out
    lines = run.out.splitlines()
    actions = [line for line in lines[1:] if line.startswith("  ")]
    kept = sum(line.endswith("[read-only calendar: see syncd export]") for line in actions)
    assert kept > 0  # not "24 action(s) syncd did take" when half were never tried
    assert lines[0] == (f"{len(actions)} action(s): {len(actions) - kept} applied, "
                        f"{kept} not applied, 0 failed:")


def test_a_read_only_state_folder_is_a_runtime_failure_exit_1_not_a_usage_error(
    demo: Workspace,
) -> None:
    demo.state.mkdir(mode=0o500)  # no lock file yet: it cannot be made
    try:
        with as_ordinary_user():
            run = demo.syncd("reconcile")
    finally:
        demo.state.chmod(0o700)
    assert run.code == 1
    assert run.err == (f"syncd: cannot use the lock file {demo.state / 'syncd.lock'}: "
                       "Permission denied\n")
    assert list(demo.state.iterdir()) == [] and not demo.notes.exists()
