"""HTTP requests, API calls and wall time of `syncd reconcile` against the Google emulator.

The real google-api-python-client talks to tests/emulator on 127.0.0.1 (Calendar
and Google Docs notes). For rosters of 50 and 500 people it measures, each run
its own `syncd` process:

- the first reconcile (create a series and a Doc per person, link them, first agenda),
- a no-change reconcile right after (target: one events.list per calendar, plus what the
  notes need), and a second one (what the first run wrote is read once, then kept),
- one person changed in the roster (a new duration: one update).

Requests are counted from the emulator's log, by method and API; a batch is one HTTP
request and each of its parts one API call (Google counts every part against the quota).

Aim (issue 17): a first reconcile of 50 people in ≤ 150 calls and ≤ ⌈calls / 50⌉ + 3 HTTP
requests; a no-change run of 500 people in ≤ 1 s.

Usage: python bench/google_requests.py [--before DIR] [SIZES...]

--before DIR runs the same roster with another copy of the package too (DIR holds its
`syncd/` folder, e.g. `git archive main syncd | tar -x -C DIR`), each on an emulator of
its own, in turn with this one, and prints the figures side by side; it also checks that
both leave the same series and the same notes Docs (same text, same styles) behind.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

from child import run_child

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.emulator import Emulator, running_emulator  # noqa: E402

NOW = "2026-11-25T09:00:00+01:00"
DAYS = ("mon", "tue", "wed", "thu", "fri")
CADENCES = ("weekly", "biweekly", "monthly")


def write_roster(folder: Path, emu: Emulator, n: int, changed: int | None = None) -> Path:
    """A roster of n people on distinct slots; person `changed` gets 30 minutes."""
    lines = [
        "owner: {name: Dana Lead, email: dana@example.com}",
        "timezone: Europe/Berlin",
        f"calendar: {{kind: google, api_endpoint: '{emu.url}'}}",
        f"notes: {{kind: google-docs, api_endpoint: '{emu.url}'}}",
        "google: {credentials: anonymous}",
        "state_dir: state",
        f"max_changes: {4 * n + 10}",
        "people:",
    ]
    for i in range(n):
        day, hour, minute = i % 5, 8 + (i // 5) % 9, 15 * ((i // 45) % 4)
        cadence = CADENCES[i % 3]
        week = ", week: 2" if cadence == "monthly" else ""
        duration = "30m" if i == changed else "45m"
        lines.append(
            f"  - {{name: Person {i}, email: p{i}@example.com, cadence: {cadence}, "
            f"duration: {duration}, slot: {{day: {DAYS[day]}, "
            f"time: \"{hour:02d}:{minute:02d}\"{week}}}}}")
    path = folder / "config.yaml"
    path.write_text("\n".join(lines) + "\n")
    return path


def measure(emu: Emulator, config: Path, env: dict[str, str] | None
            ) -> tuple[float, int, Counter[str]]:
    """Seconds of one `syncd reconcile`, its HTTP round trips, and its API calls as
    'METHOD api' (the parts of a batch counted one by one)."""
    before = len(emu.requests())
    syncd = str(Path(sys.executable).with_name("syncd"))
    seconds, _, _ = run_child([syncd, "reconcile", "--config", str(config), "--now", NOW],
                              env)
    log = emu.requests()[before:]
    calls: Counter[str] = Counter()
    for request in log:
        if "parts" not in request:
            api = request["path"].strip("/").split("/")[0]
            calls[f"{request['method']} {api}"] += 1
    return seconds, sum(1 for r in log if not r.get("batch")), calls


def outcome(emu: Emulator) -> tuple[list[tuple[str, str, str]], dict[str, Any]]:
    """What a run leaves, in a form two runs can be compared by: the live series (person
    key, start, rule) and each person's notes Doc (text, paragraph styles)."""
    state = emu.state()
    (calendar,) = state["calendars"]
    series = sorted(
        (str(e.get("extendedProperties", {}).get("private", {}).get("syncdId", "")),
         str(e["start"]), str(e.get("recurrence"))) for e in calendar["events"]
        if not e.get("recurringEventId") and e.get("status") != "cancelled")
    docs = {f["appProperties"]["syncdPerson"]: (state["docs"][f["id"]]["text"],
                                                state["docs"][f["id"]]["styles"])
            for f in state["files"] if not f.get("trashed")}
    return series, docs


def main() -> None:
    """Print each run's figures, next to the --before copy's when given."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", type=Path, help="another copy's folder holding syncd/")
    parser.add_argument("sizes", type=int, nargs="*", default=[50, 500])
    options = parser.parse_args()
    # The console script puts its own folder first on sys.path, then PYTHONPATH, then the
    # installed (editable) package: PYTHONPATH=DIR runs DIR's syncd.
    copies: dict[str, dict[str, str] | None] = {"now": None}
    if options.before:
        copies = {"before": {**os.environ, "PYTHONPATH": str(options.before.resolve())},
                  **copies}
    print(f"{'people':>6} {'run':<12} {'copy':<7} {'seconds':>8} {'HTTP':>6} {'calls':>6}  "
          "calls by method and API (batched parts included)")
    for n in options.sizes:
        with contextlib.ExitStack() as stack:
            setups = {}
            for copy in copies:
                emu = stack.enter_context(running_emulator(owner="dana@example.com"))
                folder = Path(stack.enter_context(tempfile.TemporaryDirectory()))
                setups[copy] = (emu, folder)
            left: dict[str, Any] = {}
            for label, changed in (("first", None), ("no change", None),
                                   ("no change 2", None), ("one changed", n // 2)):
                for copy, env in copies.items():  # in turn: load affects both alike
                    emu, folder = setups[copy]
                    config = write_roster(folder, emu, n, changed)
                    seconds, trips, calls = measure(emu, config, env)
                    detail = ", ".join(f"{k} {v}" for k, v in sorted(calls.items()))
                    print(f"{n:>6} {label:<12} {copy:<7} {seconds:>8.2f} {trips:>6} "
                          f"{sum(calls.values()):>6}  {detail}", flush=True)
                    if label == "first":
                        left[copy] = outcome(emu)
            if len(left) == 2:
                same = left["before"] == left["now"]
                print(f"{n:>6} same series and notes Docs after the first run: "
                      f"{'yes' if same else 'NO'}", flush=True)


if __name__ == "__main__":
    main()
