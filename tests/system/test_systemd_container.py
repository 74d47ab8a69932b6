"""syncd's units under a real systemd, booted in a container (`make systemd-test`).

The tests share one container and run in file order, like an operator would: install,
start, look, reload, survive a hung daemon, run the report unit, stop.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

import pytest

from tests.system.container import ROOT, WHEELS, Container, booted, why_not

CONFIG = """\
owner: {name: Dana Lead, email: dana@example.com}
timezone: Europe/Berlin
calendar: {kind: local, path: /var/lib/syncd/calendar}
notes: {kind: markdown, path: /var/lib/syncd/notes}
people:
  - {name: Alice Example, email: alice@example.com, cadence: weekly, start: 2026-09-01,
     slot: {day: tue, time: "10:00"}}
  - {name: Bob Example, email: bob@example.com, cadence: monthly,
     slot: {day: thu, time: "14:00", week: 1}}
"""

# A drop-in for the watchdog test: a hung daemon is noticed in seconds, not minutes.
FAST_WATCHDOG = """\
[Service]
WatchdogSec=3s
RestartSec=1s
TimeoutStopSec=5s
"""

# The report unit as the timer starts it, but writing JSON to the shared state folder
# instead of mailing it (the container has no network).
REPORT_TO_FILE = """\
[Service]
ExecStart=
ExecStart=/usr/local/bin/syncd report --format json --output /var/lib/syncd/weekly.json
"""


@pytest.fixture(scope="module")
def box(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Container]:
    """A booted container with syncd installed from its wheel and the units in place."""
    reason = why_not()
    if reason is not None:
        pytest.skip(f"no container: {reason}")
    binds = {WHEELS: "/mnt/wheels", ROOT / "systemd": "/mnt/units",
             ROOT / "examples" / "demo" / "calendar": "/mnt/calendar"}
    with booted(tmp_path_factory.mktemp("nspawn"), binds) as box:
        box.sh("python3 -m venv /opt/syncd\n"
               "/opt/syncd/bin/pip install --quiet --no-index --find-links /mnt/wheels syncd\n"
               "ln -s /opt/syncd/bin/syncd /usr/local/bin/syncd\n"
               "cp /mnt/units/syncd.service /mnt/units/syncd-report.service "
               "/mnt/units/syncd-report.timer /etc/systemd/system/\n"
               # Copied before the first start, so systemd hands it to the service user.
               "mkdir -p /var/lib/syncd && cp -r /mnt/calendar /var/lib/syncd/calendar\n"
               "systemctl daemon-reload")
        box.write("/etc/syncd/config.yaml", CONFIG)
        yield box


def _status(box: Container) -> str:
    return box.show("syncd", "StatusText")["StatusText"]


def _cycles(box: Container) -> int:
    return box.journal("syncd.service").count("cycle: ")


def test_start_returns_once_ready_and_shows_the_cycle_summary(box: Container) -> None:
    """`systemctl start` blocks until READY=1 (Type=notify); STATUS= follows each cycle."""
    box.run("systemctl", "start", "syncd")
    assert box.show("syncd", "ActiveState")["ActiveState"] == "active"
    box.wait_for("a cycle's STATUS= line", lambda: "next run" in _status(box))
    status = box.show("syncd", "StatusText")["StatusText"]
    assert status.startswith("2 people, ")
    assert "next run" in status
    assert "Status: \"2 people" in box.run("systemctl", "status", "syncd", check=False).stdout


def test_the_service_writes_only_its_state_folder_as_its_own_user(box: Container) -> None:
    """The state folder belongs to the dynamic service user; /home and /etc are read-only."""
    box.wait_for("the first cycle", lambda: _cycles(box) >= 1)
    pid = box.show("syncd", "MainPID")["MainPID"]
    uid = box.sh(f"awk '/^Uid:/ {{print $2}}' /proc/{pid}/status").stdout.strip()
    assert int(uid) >= 61184  # systemd's range for DynamicUser=
    assert box.sh("stat -c %u /var/lib/private/syncd").stdout.strip() == uid
    assert box.sh("stat -c %a /var/lib/private/syncd").stdout.strip() == "700"
    assert box.sh("find /var/lib/private/syncd ! -user " + uid).stdout == ""
    assert box.run("test", "-L", "/var/lib/syncd").returncode == 0

    def writes(path: str) -> bool:
        # As the service's user, in the service's own mount namespace.
        probe = box.run("nsenter", "-t", pid, "-m", "-S", uid, "-G", uid,
                        "touch", f"{path}/.probe", check=False)
        return probe.returncode == 0

    assert writes("/var/lib/syncd")
    assert not writes("/home")
    assert not writes("/root")
    assert not writes("/etc/syncd")
    assert not writes("/usr/local")
    notes = box.sh("ls /var/lib/syncd/notes").stdout.split()
    assert len(notes) == 2


def test_reload_keeps_a_running_config_when_the_new_one_is_broken(box: Container) -> None:
    """`systemctl reload` with a broken file logs it and keeps going; a good one is taken."""
    pid = box.show("syncd", "MainPID")["MainPID"]
    box.write("/etc/syncd/config.yaml", CONFIG.replace("cadence: weekly", "cadence: hourly"))
    box.run("systemctl", "reload", "syncd")
    box.wait_for("the reload error", lambda: "reload failed" in box.journal("syncd.service"))
    assert "config.yaml:6" in box.journal("syncd.service")
    assert box.show("syncd", "ActiveState", "MainPID") == {"ActiveState": "active",
                                                          "MainPID": pid}
    extra = '  - {name: Carol Example, email: carol@example.com, slot: {day: wed, time: "11:00"}}\n'
    box.write("/etc/syncd/config.yaml", CONFIG + extra)
    box.run("systemctl", "reload", "syncd")
    box.wait_for("the reload", lambda: "reloaded /etc/syncd/config.yaml: 3 people"
                 in box.journal("syncd.service"))
    box.wait_for("a cycle with three people",
                 lambda: _status(box).startswith("3 people"))
    assert box.show("syncd", "MainPID")["MainPID"] == pid


def test_a_daemon_that_stops_sending_watchdog_is_restarted(box: Container) -> None:
    """SIGSTOP silences WATCHDOG=1; systemd kills the daemon and starts a new one."""
    box.write("/run/systemd/system/syncd.service.d/fast-watchdog.conf", FAST_WATCHDOG)
    box.run("systemctl", "daemon-reload")
    box.run("systemctl", "restart", "syncd")
    before = box.show("syncd", "MainPID", "NRestarts")
    box.sh(f"kill -STOP {before['MainPID']}")
    box.wait_for("a restart", lambda: box.show("syncd", "NRestarts")["NRestarts"]
                 != before["NRestarts"])
    box.wait_for("the new daemon", lambda: box.show("syncd", "ActiveState")["ActiveState"]
                 == "active")
    assert box.show("syncd", "MainPID")["MainPID"] != before["MainPID"]
    assert "Watchdog timeout" in box.journal("syncd.service")
    box.run("rm", "/run/systemd/system/syncd.service.d/fast-watchdog.conf")
    box.run("systemctl", "daemon-reload")
    box.run("systemctl", "restart", "syncd")


def test_the_weekly_report_timer_and_unit_share_the_service_state(box: Container) -> None:
    """The timer is listed for Monday 08:00; its unit runs as the same user on the same state."""
    box.run("systemctl", "enable", "--now", "syncd-report.timer")
    timers = box.run("systemctl", "list-timers", "--all", "syncd-report.timer").stdout
    assert "syncd-report.timer" in timers
    assert "syncd-report.service" in timers
    assert re.search(r"^Mon \S+ 08:00:00", timers, re.MULTILINE)
    box.write("/run/systemd/system/syncd-report.service.d/to-file.conf", REPORT_TO_FILE)
    box.run("systemctl", "daemon-reload")
    box.run("systemctl", "start", "syncd-report.service")  # oneshot: returns when done
    assert box.show("syncd-report.service", "Result")["Result"] == "success"
    report = json.loads(box.run("cat", "/var/lib/syncd/weekly.json").stdout)
    assert {p["email"] for p in report["people"]} >= {"alice@example.com", "bob@example.com"}
    owner = box.sh("stat -c %u /var/lib/private/syncd/weekly.json").stdout
    assert owner == box.sh("stat -c %u /var/lib/private/syncd").stdout


def test_stop_ends_cleanly_and_leaves_a_converged_state(box: Container) -> None:
    """`systemctl stop` exits 0; a one-off dry run as the service user then plans nothing."""
    box.wait_for("a cycle after the restart", lambda: "next run" in _status(box))
    box.run("systemctl", "stop", "syncd")
    stopped = box.show("syncd", "ActiveState", "Result", "ExecMainStatus")
    assert stopped == {"ActiveState": "inactive", "Result": "success", "ExecMainStatus": "0"}
    journal = box.journal("syncd.service")
    assert "stopping" in journal and "stopped" in journal
    # The one-off command from docs/operations.md, as the service's user.
    plan = box.run("systemd-run", "--wait", "--pipe", "--quiet", "--collect",
                   "-p", "DynamicUser=yes", "-p", "User=syncd", "-p", "StateDirectory=syncd",
                   "-p", "ConfigurationDirectory=syncd",
                   "/usr/local/bin/syncd", "reconcile", "--dry-run", "--json")
    assert json.loads(plan.stdout)["actions"] == []



USER_CONFIG = CONFIG.replace("/var/lib/syncd/", "/home/lead/")


def test_the_user_units_run_in_the_leads_own_session(box: Container) -> None:
    """The user variants: installed in ~, started by the lead's manager, state in ~/.local."""
    home = "/home/lead"
    box.sh("useradd --create-home --uid 1000 lead\n"
           f"runuser -u lead -- python3 -m venv {home}/.local/share/syncd\n"
           f"runuser -u lead -- {home}/.local/share/syncd/bin/pip install --quiet --no-index "
           "--find-links /mnt/wheels syncd\n"
           f"runuser -u lead -- mkdir -p {home}/.local/bin {home}/.config/systemd/user\n"
           f"runuser -u lead -- ln -s {home}/.local/share/syncd/bin/syncd {home}/.local/bin/\n"
           f"runuser -u lead -- cp -r /mnt/calendar {home}/calendar\n"
           f"install -o lead -m 644 /mnt/units/user/* {home}/.config/systemd/user/\n"
           "loginctl enable-linger lead\n"
           "systemctl start user@1000.service")
    box.write(f"{home}/.config/syncd/config.yaml", USER_CONFIG)
    box.run("chown", "-R", "lead:", f"{home}/.config")

    def as_lead(*argv: str) -> str:
        return box.run("runuser", "-u", "lead", "--", "env", "XDG_RUNTIME_DIR=/run/user/1000",
                       *argv).stdout

    as_lead("systemctl", "--user", "daemon-reload")
    as_lead("systemctl", "--user", "enable", "--now", "syncd.service", "syncd-report.timer")
    assert as_lead("systemctl", "--user", "show", "syncd", "-p", "ActiveState") == (
        "ActiveState=active\n")
    box.wait_for("a cycle's STATUS= line", lambda: "next run" in as_lead(
        "systemctl", "--user", "show", "syncd", "-p", "StatusText"))
    assert "syncd-report.timer" in as_lead("systemctl", "--user", "list-timers", "--all")
    state = f"{home}/.local/state/syncd"
    assert box.sh(f"stat -c '%U %a' {state}").stdout == "lead 700\n"
    assert len(box.sh(f"ls {home}/notes").stdout.split()) == 2
    # A terminal command reads what the service wrote (same config and state folders).
    status = json.loads(as_lead(f"{home}/.local/bin/syncd", "status", "--json"))
    assert {p["email"] for p in status["people"]} == {"alice@example.com", "bob@example.com"}
    # `syncd doctor` asks the lead's own manager about the unit (exit 1 on any failed check).
    doctor = json.loads(box.run("runuser", "-u", "lead", "--", "env",
                                "XDG_RUNTIME_DIR=/run/user/1000", f"{home}/.local/bin/syncd",
                                "doctor", "--json", check=False).stdout)
    unit = next(c for c in doctor["checks"] if c["name"] == "systemd")
    assert unit["status"] == "ok" and "last cycle: 2 people" in unit["detail"], doctor
    pid = as_lead("systemctl", "--user", "show", "syncd", "-p", "MainPID").split("=")[1].strip()
    probe = box.run("nsenter", "-t", pid, "-m", "-S", "1000", "-G", "1000",
                    "touch", "/usr/local/.probe", check=False)
    assert probe.returncode != 0  # ProtectSystem=strict in a user manager too
    as_lead("systemctl", "--user", "stop", "syncd")
    assert as_lead("systemctl", "--user", "show", "syncd", "-p", "Result") == "Result=success\n"
