"""The units in systemd/ load cleanly in systemd and keep the service's exposure low.

`systemd-analyze verify` insists that ExecStart's binary exists, so the units are
checked as a temporary copy whose ExecStart points at this venv's syncd instead
of /usr/local/bin/syncd (system) or ~/.local/bin/syncd (user). `security` runs
with --offline=yes: it reads the unit file itself, no running systemd needed.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.workspace import ROOT

UNITS = ROOT / "systemd"
SYNCD = Path(sys.executable).parent / "syncd"
NAMES = ("syncd.service", "syncd-report.service", "syncd-report.timer", "syncd-prep.service",
         "syncd-prep.timer")
MAX_EXPOSURE = 1.5


@pytest.fixture(scope="module")
def analyze() -> str:
    """systemd-analyze, installed from Debian's packages when missing and running as root."""
    found = shutil.which("systemd-analyze")
    if found is None and os.geteuid() == 0 and shutil.which("apt-get"):
        for step in (["apt-get", "update"],
                     ["apt-get", "install", "-y", "--no-install-recommends", "systemd"]):
            subprocess.run(step, check=True, capture_output=True, timeout=600,
                           env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"})
        found = shutil.which("systemd-analyze")
    if found is None:
        pytest.fail("systemd-analyze is missing: install systemd (apt-get install systemd)")
    return found


def copy_units(source: Path, target: Path) -> Path:
    """The units of `source` in `target`, with ExecStart pointing at this venv's syncd."""
    target.mkdir(parents=True)
    for name in NAMES:
        text = (source / name).read_text()
        text = text.replace("/usr/local/bin/syncd", str(SYNCD))
        text = text.replace("%h/.local/bin/syncd", str(SYNCD))
        (target / name).write_text(text)
    return target


def run(*args: str, cwd: Path,
        env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(list(args), cwd=cwd, capture_output=True, text=True, timeout=120,
                          env=env, check=False)


def settings(path: Path) -> dict[str, list[str]]:
    """Every `Key=value` of a unit file (a key may repeat)."""
    out: dict[str, list[str]] = {}
    for line in path.read_text().splitlines():
        if "=" in line and not line.startswith(("#", ";", "[")):
            key, value = line.split("=", 1)
            out.setdefault(key.strip(), []).append(value.strip())
    return out


def exposure(analyze: str, unit: Path, *flags: str) -> float:
    result = run(analyze, *flags, "security", "--offline=yes", f"./{unit.name}", cwd=unit.parent,
                 env={**os.environ, "SYSTEMD_COLORS": "0"})
    match = re.search(r"Overall exposure level for \S+: (\d+\.\d+)", result.stdout)
    assert match, result.stdout + result.stderr
    return float(match.group(1))


def verify(analyze: str, units: Path, tmp_path: Path,
           *flags: str) -> subprocess.CompletedProcess[str]:
    """`systemd-analyze [flags] verify` on every unit in `units`."""
    runtime = tmp_path / "runtime"
    runtime.mkdir(mode=0o700, exist_ok=True)
    # A user manager needs a runtime directory, even just to load units.
    env = {**os.environ, "XDG_RUNTIME_DIR": str(runtime)}
    return run(analyze, *flags, "verify", "--man=no", *(f"./{n}" for n in NAMES),
               cwd=units, env=env)


# verify exits 0 on a misspelled key and only warns on stderr: the units pass with
# nothing at all on stderr (see the last test of this group).


def test_system_units_verify(analyze: str, tmp_path: Path) -> None:
    result = verify(analyze, copy_units(UNITS, tmp_path / "system"), tmp_path)
    assert (result.returncode, result.stderr) == (0, "")


def test_user_units_verify(analyze: str, tmp_path: Path) -> None:
    result = verify(analyze, copy_units(UNITS / "user", tmp_path / "user"), tmp_path, "--user")
    assert (result.returncode, result.stderr) == (0, "")


def test_a_misspelled_key_passes_verify_but_not_these_tests(analyze: str, tmp_path: Path) -> None:
    units = copy_units(UNITS, tmp_path / "system")
    unit = units / "syncd.service"
    unit.write_text(unit.read_text().replace("\nWatchdogSec=", "\nWatchdogSecs=", 1))
    result = verify(analyze, units, tmp_path)
    assert result.returncode == 0
    assert "Unknown key 'WatchdogSecs'" in result.stderr


@pytest.mark.parametrize("name", ["syncd.service", "syncd-report.service",
                                  "syncd-prep.service"])
def test_system_services_expose_little(analyze: str, tmp_path: Path, name: str) -> None:
    units = copy_units(UNITS, tmp_path / "system")
    assert exposure(analyze, units / name) <= MAX_EXPOSURE


def test_service_runs_as_a_notify_service_with_its_own_directories() -> None:
    unit = settings(UNITS / "syncd.service")
    assert unit["Type"] == ["notify"]
    assert unit["ExecStart"][0].split()[:2] == ["/usr/local/bin/syncd", "run"]
    assert unit["ExecReload"] == ["/bin/sh -c 'kill -HUP \"$MAINPID\"'"]
    assert unit["Restart"] == ["on-failure"] and unit["WatchdogSec"]
    assert unit["StateDirectory"] == unit["ConfigurationDirectory"] == ["syncd"]
    assert unit["RestrictAddressFamilies"] == ["AF_INET AF_INET6 AF_UNIX"]
    assert unit["SystemCallFilter"] == ["@system-service", "~@privileged @resources"]
    assert unit["UMask"] == ["0077"] and unit["CapabilityBoundingSet"] == [""]
    user = settings(UNITS / "user" / "syncd.service")
    assert user["Type"] == ["notify"]
    assert user["ExecStart"][0].split()[:2] == ["%h/.local/bin/syncd", "run"]


@pytest.mark.parametrize("folder", [UNITS, UNITS / "user"])
def test_report_runs_weekly_on_monday_morning_and_catches_up(analyze: str, folder: Path) -> None:
    timer = settings(folder / "syncd-report.timer")
    assert timer["Persistent"] == ["true"]
    normalized = run(analyze, "calendar", timer["OnCalendar"][0], cwd=folder)
    assert "Normalized form: Mon *-*-* 08:00:00" in normalized.stdout, normalized.stderr
    assert settings(folder / "syncd-report.service")["ExecStart"][0].endswith(
        "syncd report --email")


@pytest.mark.parametrize("folder", [UNITS, UNITS / "user"])
def test_prep_runs_on_weekday_mornings_for_that_day(analyze: str, folder: Path) -> None:
    timer = settings(folder / "syncd-prep.timer")
    assert timer["Persistent"] == ["false"]  # yesterday's brief is of no use
    normalized = run(analyze, "calendar", timer["OnCalendar"][0], cwd=folder)
    assert "Normalized form: Mon..Fri *-*-* 07:30:00" in normalized.stdout, normalized.stderr
    assert settings(folder / "syncd-prep.service")["ExecStart"][0].endswith(
        "syncd prep --email --date today")
