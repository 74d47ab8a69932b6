"""How long a person waits for `syncd validate` and `syncd --help`, next to a bare
`python3 -c pass` measured in the same run (the machine's own floor).

Each command runs as a whole new process, in turn with the others, `--runs` times;
the figure is the median wall time. The roster is ten people with a local calendar
and Markdown notes (what `syncd validate` reads); nothing is written.

Aim (issue 17): both commands ≤ 0.35 s and ≤ 12 x `python3 -c pass`.
Usage: python bench/startup.py [--runs 15] [--before DIR]

--before DIR adds the same commands run from another copy of the package (DIR holds
its `syncd/` folder, e.g. `git archive REV syncd | tar -x -C DIR`), measured in turn
with the others, so a change is compared under the same load.
"""

from __future__ import annotations

import argparse
import os
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


def wall(command: list[str], env: dict[str, str] | None) -> float:
    """Seconds from start to exit of one run of `command` (its output discarded)."""
    start = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, env=env)
    return time.perf_counter() - start


def main() -> None:
    """Print each command's median next to the python3 floor."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--before", type=Path, help="another copy's folder holding syncd/")
    options = parser.parse_args()
    runs = options.runs
    syncd = str(Path(sys.executable).with_name("syncd"))
    # The console script puts its own folder first on sys.path, then PYTHONPATH, then the
    # installed (editable) package: PYTHONPATH=DIR runs DIR's syncd.
    older = {**os.environ, "PYTHONPATH": str(options.before.resolve())} \
        if options.before else None
    with tempfile.TemporaryDirectory() as folder:
        config = Path(folder) / "config.yaml"
        config.write_text(roster(10))
        validate = [syncd, "validate", "--config", str(config)]
        commands: dict[str, tuple[list[str], dict[str, str] | None]] = {
            "python3 -c pass": ([sys.executable, "-c", "pass"], None),
            "syncd validate (10 people)": (validate, None),
            "syncd --help": ([syncd, "--help"], None),
        }
        if older is not None:
            commands["before: syncd validate"] = (validate, older)
            commands["before: syncd --help"] = ([syncd, "--help"], older)
        times: dict[str, list[float]] = {name: [] for name in commands}
        for _ in range(runs):
            for name, (command, env) in commands.items():  # in turn: load affects all alike
                times[name].append(wall(command, env))
    floor = statistics.median(times["python3 -c pass"])
    print(f"median of {runs} runs, whole processes, in turn ({sys.executable}"
          + (f"; before: {options.before}" if options.before else "") + ")")
    print(f"{'command':<28} {'median s':>9} {'min s':>7} {'x python':>9}  aim")
    for name, values in times.items():
        median = statistics.median(values)
        aim = "" if name.startswith(("python3", "before")) else (
            "met" if median <= AIM_SECONDS and median <= AIM_RATIO * floor else
            f"missed (≤ {AIM_SECONDS} s and ≤ {AIM_RATIO:g}x)")
        print(f"{name:<28} {median:>9.3f} {min(values):>7.3f} {median / floor:>8.1f}x  {aim}")


if __name__ == "__main__":
    main()
