"""How long a person waits for `syncd validate` and `syncd --help`, next to a bare
`python3 -c pass` measured in the same run (the machine's own floor).

Each command runs as a whole new process, in turn with the others, `--runs` times;
the figure is the median wall time. The roster is ten people with a local calendar
and Markdown notes (what `syncd validate` reads); nothing is written.

Aim (issue 17): both commands ≤ 0.35 s and ≤ 12 x `python3 -c pass`.
Usage: python bench/startup.py [--runs 15]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

AIM_SECONDS, AIM_RATIO = 0.35, 12.0
DAYS = ("mon", "tue", "wed", "thu", "fri")


def roster(people: int) -> str:
    """A config with `people` weekly 1:1s."""
    lines = [
        "owner: {name: Dana Lead, email: dana@example.com}",
        "timezone: Europe/Berlin",
        "calendar: {kind: local, path: calendar}",
        "notes: {kind: markdown, path: notes}",
        "people:",
    ]
    for n in range(people):
        lines.append(f"  - {{name: Person {n}, email: p{n}@example.com, cadence: weekly, "
                     f'slot: {{day: {DAYS[n % 5]}, time: "{9 + n % 8:02d}:00"}}}}')
    return "\n".join(lines) + "\n"


def wall(command: list[str]) -> float:
    """Seconds from start to exit of one run of `command` (its output discarded)."""
    start = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def main() -> None:
    """Print each command's median next to the python3 floor."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    runs = parser.parse_args().runs
    syncd = str(Path(sys.executable).with_name("syncd"))
    with tempfile.TemporaryDirectory() as folder:
        config = Path(folder) / "config.yaml"
        config.write_text(roster(10))
        commands = {
            "python3 -c pass": [sys.executable, "-c", "pass"],
            "syncd validate (10 people)": [syncd, "validate", "--config", str(config)],
            "syncd --help": [syncd, "--help"],
        }
        times: dict[str, list[float]] = {name: [] for name in commands}
        for _ in range(runs):
            for name, command in commands.items():  # in turn: load affects all alike
                times[name].append(wall(command))
    floor = statistics.median(times["python3 -c pass"])
    print(f"median of {runs} runs, whole processes ({sys.executable})")
    print(f"{'command':<28} {'median s':>9} {'min s':>7} {'x python':>9}  aim")
    for name, values in times.items():
        median = statistics.median(values)
        aim = "" if name.startswith("python3") else (
            "met" if median <= AIM_SECONDS and median <= AIM_RATIO * floor else
            f"missed (≤ {AIM_SECONDS} s and ≤ {AIM_RATIO:g}x)")
        print(f"{name:<28} {median:>9.3f} {min(values):>7.3f} {median / floor:>8.1f}x  {aim}")


if __name__ == "__main__":
    main()
