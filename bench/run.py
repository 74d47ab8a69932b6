"""`make bench`: each figure of issue 17 next to its reference, all measured in this one
run, and the table written to bench/RESULTS.md with the date and the machine.

- start-up: `syncd --help` and `syncd validate` (10 people) beside `python3 -c pass`
  (medians of whole processes run in turn);
- the 16.5 MB feed of bench/ics_feed.py with its 10-person roster: `syncd status` on a
  changed feed from a cold state beside a bare `icalendar.Calendar.from_ical` of the same
  file, and `syncd status` on the unchanged feed (state kept by one `syncd reconcile`);
- the local calendar of bench/reconcile_local.py: the steady-state reconcile (nothing
  to do, right after the run that applied the first plan) for each roster size;
- with `--before REF`, the same commands run from that git revision's `syncd/` (in
  turn with these, so both see the same load), as each roster's previous figure.

syncd's own modules are byte-compiled first, as an installed package has them (pip
compiles on install; an editable install writes them on first use unless
PYTHONDONTWRITEBYTECODE is set, as it is in some sandboxes), so no figure includes
compiling them.

The other benches (daemon_idle.py, caldav_requests.py, google_requests.py) are run after
the table and their output is appended to RESULTS.md as printed.
Usage: python bench/run.py [--before REF] [--sizes 100 1000] [--runs 7] [--no-others]
"""

from __future__ import annotations

import argparse
import compileall
import datetime as dt
import os
import platform
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import reconcile_local
import startup
from child import run_child

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
SYNCD = str(Path(sys.executable).with_name("syncd"))
FEED_NOW = "2026-11-25T09:00:00+01:00"
OTHERS = ("daemon_idle.py", "caldav_requests.py", "google_requests.py")


@dataclass(frozen=True)
class Row:
    """One line of the table: a figure, its reference and the aim."""

    what: str
    figure: str
    reference: str
    aim: str
    verdict: str


def mib(value: float) -> str:
    return f"{value:.0f} MiB"


def seconds(value: float) -> str:
    return f"{value:.2f} s"


def medians(commands: dict[str, tuple[list[str], dict[str, str] | None]],
            runs: int) -> dict[str, float]:
    """Median wall seconds of each command, run in turn `runs` times."""
    times: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(runs):
        for name, (command, env) in commands.items():
            times[name].append(startup.wall(command, env))
    return {name: statistics.median(values) for name, values in times.items()}


def measured(cmd: list[str], env: dict[str, str] | None = None) -> tuple[float, float]:
    """(seconds, peak MiB) of one whole process."""
    if env is None:
        elapsed, peak, _ = run_child(cmd)
        return elapsed, peak
    previous = dict(os.environ)
    os.environ.update(env)
    try:
        elapsed, peak, _ = run_child(cmd)
    finally:
        os.environ.clear()
        os.environ.update(previous)
    return elapsed, peak


def before_tree(ref: str, folder: Path) -> dict[str, str]:
    """The environment that runs REF's syncd package (the console script puts PYTHONPATH
    before the installed, editable one)."""
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", ref, "syncd"], check=True,
                             capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(folder)], input=archive, check=True)
    compileall.compile_dir(folder / "syncd", quiet=1)
    return {"PYTHONPATH": str(folder)}


def startup_rows(folder: Path, runs: int, before: dict[str, str] | None) -> list[Row]:
    config = folder / "startup.yaml"
    config.write_text(startup.roster(10))
    validate = [SYNCD, "validate", "--config", str(config)]
    commands: dict[str, tuple[list[str], dict[str, str] | None]] = {
        "python": ([sys.executable, "-c", "pass"], None),
        "help": ([SYNCD, "--help"], None), "validate": (validate, None)}
    if before is not None:
        commands |= {"help before": ([SYNCD, "--help"], {**os.environ, **before}),
                     "validate before": (validate, {**os.environ, **before})}
    found = medians(commands, runs)
    floor = found["python"]
    rows = []
    for key, label in (("help", "`syncd --help`"), ("validate", "`syncd validate`, 10 people")):
        value = found[key]
        ok = value <= startup.AIM_SECONDS and value <= startup.AIM_RATIO * floor
        previous = f"; before {seconds(found[key + ' before'])}" if before else ""
        rows.append(Row(label, f"{seconds(value)} ({value / floor:.1f}x)",
                        f"`python3 -c pass` {seconds(floor)}{previous}",
                        f"≤ {startup.AIM_SECONDS} s and ≤ {startup.AIM_RATIO:g}x",
                        "met" if ok else "missed"))
    return rows


def feed_rows(folder: Path, before: dict[str, str] | None) -> list[Row]:
    feed = folder / "export.ics"
    # Written by a child: the export held in this process would count in every later
    # child's ru_maxrss (Linux carries it across fork and exec).
    subprocess.run([sys.executable, "-c", "import sys; sys.path.insert(0, sys.argv[1]); "
                    "from pathlib import Path; from ics_feed import Export; "
                    "Export().write(Path(sys.argv[2]))", str(HERE), str(feed)], check=True)
    people = "\n".join(
        f"  - {{name: {r.name}, email: {r.email}, cadence: {r.cadence}, "
        f"slot: {{day: {startup.DAYS[r.day]}, time: \"{r.time:%H:%M}\""
        + (", week: 1" if r.cadence == "monthly" else "") + "}, duration: 30m}"
        for r in _reports())
    text = ("owner: {name: Dana Lead, email: dana@example.com}\ntimezone: Europe/Berlin\n"
            f"calendar: {{kind: ics, path: {feed}}}\nnotes: {{kind: markdown, path: notes}}\n"
            "state_dir: {state}\npeople:\n" + people + "\n")
    bare, bare_mib = measured([sys.executable, str(HERE / "ics_feed.py"), "from-ical",
                               str(feed)])
    results: dict[str, tuple[float, float]] = {}
    for label, env in (("now", None), ("before", before)):
        if label == "before" and env is None:
            continue
        config = folder / f"feed-{label}.yaml"
        config.write_text(text.replace("{state}", str(folder / f"state-{label}")))
        status = [SYNCD, "status", "--config", str(config), "--now", FEED_NOW]
        results[f"changed {label}"] = measured(status, env)
        measured([SYNCD, "reconcile", "--config", str(config), "--now", FEED_NOW], env)
        results[f"unchanged {label}"] = measured(status, env)
    changed, changed_mib = results["changed now"]
    unchanged, unchanged_mib = results["unchanged now"]
    ratio = changed / bare
    size = feed.stat().st_size / 1e6
    rows = [
        Row(f"`syncd status`, changed {size:.1f} MB feed, 10 people, cold state",
            f"{seconds(changed)} = {ratio:.3f} x bare, {mib(changed_mib)}",
            f"bare `from_ical` {seconds(bare)}, {mib(bare_mib)}"
            + _before(results, "changed"), "≤ 0.06 x bare, ≤ 100 MB",
            "met" if ratio <= 0.06 and changed_mib * 1.048576 <= 100 else "missed"),
        Row(f"`syncd status`, unchanged {size:.1f} MB feed", f"{seconds(unchanged)}, "
            f"{mib(unchanged_mib)}", "the changed feed above" + _before(results, "unchanged"),
            "≤ 0.5 s", "met" if unchanged <= 0.5 else "missed"),
    ]
    return rows


def _before(results: dict[str, tuple[float, float]], kind: str) -> str:
    found = results.get(f"{kind} before")
    return f"; before {seconds(found[0])}, {mib(found[1])}" if found else ""


def _reports() -> tuple[object, ...]:
    import ics_feed

    return ics_feed.REPORTS


def local_rows(folder: Path, sizes: list[int], before: dict[str, str] | None) -> list[Row]:
    rows = []
    for n in sizes:
        figures: dict[str, tuple[float, float]] = {}
        for label, env in (("now", None), ("before", before)):
            if label == "before" and env is None:
                continue
            place = folder / f"local-{n}-{label}"
            place.mkdir()
            config = reconcile_local.write_roster(place, n)
            reconcile_local.write_calendar(place, n)
            base = [SYNCD, "reconcile", "--config", str(config), "--now",
                    reconcile_local.NOW.isoformat(), "--json"]
            measured([*base, "--force"], env)
            figures[label] = measured(base, env)
        value, peak = figures["now"]
        reference = (f"before {seconds(figures['before'][0])}, {mib(figures['before'][1])}"
                     if "before" in figures else "(no --before)")
        aim = "≤ 1.5 s" if n == 1000 else ""
        verdict = ("met" if value <= 1.5 else "missed") if aim else ""
        rows.append(Row(f"local reconcile, steady state, {n} people",
                        f"{seconds(value)}, {mib(peak)}", reference, aim, verdict))
    return rows


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    return (f"{platform.node()}: {cpu}, {os.cpu_count()} cores, {platform.system()} "
            f"{platform.release()}, Python {platform.python_version()}; load {load}")


def table(rows: list[Row]) -> list[str]:
    lines = ["| what | figure | reference (same run) | aim | |", "|---|---|---|---|---|"]
    lines += [f"| {r.what} | {r.figure} | {r.reference} | {r.aim} | {r.verdict} |"
              for r in rows]
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", help="a git revision whose syncd/ gives previous figures")
    parser.add_argument("--sizes", type=int, nargs="*", default=[100, 1000])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--no-others", action="store_true", help="only the table")
    parser.add_argument("--output", type=Path, default=HERE / "RESULTS.md")
    options = parser.parse_args()
    began = dt.datetime.now(dt.UTC)
    compileall.compile_dir(ROOT / "syncd", quiet=1)
    rows: list[Row] = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        before = None
        if options.before:
            (folder / "before").mkdir()
            before = before_tree(options.before, folder / "before")
        steps: list[Callable[[], list[Row]]] = [
            lambda: startup_rows(folder, options.runs, before),
            lambda: feed_rows(folder, before),
            lambda: local_rows(folder, options.sizes, before),
        ]
        for step in steps:
            found = step()
            rows += found
            print("\n".join(table(found)[2:]), flush=True)
    lines = [f"# Benchmarks ({began:%Y-%m-%d %H:%M} UTC)", "", f"Machine: {machine()}", "",
             f"Command: `python bench/run.py {' '.join(sys.argv[1:])}`".rstrip() + " "
             f"(`make bench`); git {_revision()}"
             + (f", before = `{options.before}`" if options.before else ""), "",
             *table(rows), ""]
    if not options.no_others:
        for script in OTHERS:
            done = subprocess.run([sys.executable, str(HERE / script)], capture_output=True,
                                  text=True)
            out = done.stdout + (f"\n(exit {done.returncode}) {done.stderr[-500:]}"
                                 if done.returncode else "")
            print(f"\n## {script}\n{out}", flush=True)
            lines += [f"## {script}", "", "```", out.rstrip(), "```", ""]
    options.output.write_text("\n".join(lines))
    print("\n".join(table(rows)))
    print(f"written to {options.output}")


def _revision() -> str:
    done = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
                          capture_output=True, text=True)
    return done.stdout.strip() or "unknown"


if __name__ == "__main__":
    main()
