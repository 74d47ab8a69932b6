"""How long `syncd init` takes on a large calendar, next to `syncd reconcile --dry-run` on the
config it wrote (the same calendar read by reconcile), measured in the same run.

Two calendars: the 1.6 MB personal Google export of the real-world corpus
(tests/data/realworld/rie__issue42.ics, 4778 events, no 1:1 in it), and a local folder
of 40 weekly 1:1s, 10 group meetings and 400 one-off meetings. Each command runs as a new
process, in turn with the others, `--runs` times; the figure is the median wall time.

Usage: python bench/init.py [--runs 5]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NOW = "2026-11-25T09:00:00+01:00"
OWNER = "dana@example.com"


def event(uid: str, start: str, rrule: str, people: list[str]) -> str:
    lines = ["BEGIN:VEVENT", f"UID:{uid}", f"SUMMARY:{uid}",
             f"DTSTART;TZID=Europe/Berlin:{start}", "DURATION:PT30M",
             f"ORGANIZER:mailto:{OWNER}", *(f"ATTENDEE:mailto:{p}" for p in [OWNER, *people])]
    if rrule:
        lines.append(f"RRULE:{rrule}")
    return "\r\n".join([*lines, "END:VEVENT"]) + "\r\n"


def synthetic(folder: Path) -> None:
    folder.mkdir()
    days = ("MO", "TU", "WE", "TH", "FR")
    events = [event(f"p{n}", f"202601{5 + n % 5:02d}T{9 + n // 5:02d}0000",
                    f"FREQ=WEEKLY;BYDAY={days[n % 5]}", [f"p{n}@example.com"]) for n in range(40)]
    events += [event(f"g{n}", "20260105T170000", "FREQ=WEEKLY;BYDAY=MO",
                     [f"a{n}@example.com", f"b{n}@example.com"]) for n in range(10)]
    events += [event(f"o{n}", f"2026{1 + n % 11:02d}{1 + n % 27:02d}T120000", "",
                     [f"x{n}@example.com"]) for n in range(400)]
    for n, text in enumerate(events):
        (folder / f"e{n}.ics").write_text(
            "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//bench//EN\r\n" + text
            + "END:VCALENDAR\r\n")


def timed(args: list[str], home: Path) -> float:
    began = time.perf_counter()
    subprocess.run(args, check=True, capture_output=True,
                   env={"HOME": str(home), "PATH": "/usr/bin:/bin"})
    return time.perf_counter() - began


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    runs = parser.parse_args().runs
    syncd = str(Path(sys.executable).with_name("syncd"))
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        folder = home / "calendar"
        synthetic(folder)
        sources = {"realworld export 1.6 MB": (str(ROOT / "tests/data/realworld/rie__issue42.ics"),
                                               "gabi@gmail.com"),
                   "local folder, 450 events": (str(folder), OWNER)}
        for label, (source, owner) in sources.items():
            config = home / f"{label.split()[0]}.yaml"
            subprocess.run([syncd, "init", "--from", source, "--owner", owner, "--output",
                            str(config), "--now", NOW], check=True, capture_output=True,
                           env={"HOME": str(home), "PATH": "/usr/bin:/bin"})
            init_times, plan_times = [], []
            for n in range(runs):
                out = home / f"run{n}.yaml"
                init_times.append(timed([syncd, "init", "--from", source, "--owner", owner,
                                         "--output", str(out), "--now", NOW], home))
                out.unlink()
                plan_times.append(timed([syncd, "reconcile", "--dry-run", "--config",
                                         str(config), "--now", NOW], home))
            people = config.read_text().count("\n  - name:")
            print(f"{label} ({people} people found): init {statistics.median(init_times):.2f} s, "
                  f"reconcile --dry-run {statistics.median(plan_times):.2f} s "
                  f"(median of {runs})")


if __name__ == "__main__":
    main()
