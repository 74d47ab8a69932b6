"""HTTP requests and wall time of `syncd reconcile` against the Google emulator.

The real google-api-python-client talks to tests/emulator on 127.0.0.1 (Calendar
and Google Docs notes). For rosters of 50 and 500 people it measures, each run
its own `syncd` process:

- the first reconcile (create a series and a Doc per person, attach, first agenda),
- a no-change reconcile right after (target: one events.list per calendar),
- one person changed in the roster (a new duration: one update).

Requests are counted from the emulator's log, by method and API.
Usage: python bench/google_requests.py [SIZES...]
"""

from __future__ import annotations

import sys
import tempfile
from collections import Counter
from pathlib import Path

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


def measure(emu: Emulator, config: Path) -> tuple[float, int, Counter[str]]:
    """Seconds of one `syncd reconcile`, its HTTP round trips, and its API calls as
    'METHOD api' (the parts of a batch counted one by one)."""
    before = len(emu.requests())
    syncd = str(Path(sys.executable).with_name("syncd"))
    seconds, _, _ = run_child([syncd, "reconcile", "--config", str(config), "--now", NOW])
    log = emu.requests()[before:]
    calls: Counter[str] = Counter()
    for request in log:
        if "parts" not in request:
            api = request["path"].strip("/").split("/")[0]
            calls[f"{request['method']} {api}"] += 1
    return seconds, sum(1 for r in log if not r.get("batch")), calls


def main() -> None:
    sizes = [int(a) for a in sys.argv[1:]] or [50, 500]
    print(f"{'people':>6} {'run':<12} {'seconds':>8} {'HTTP':>6} {'calls':>6}  "
          "calls by method and API (batched parts included)")
    for n in sizes:
        with tempfile.TemporaryDirectory() as tmp, running_emulator(owner="dana@example.com") \
                as emu:
            folder = Path(tmp)
            for label, changed in (("first", None), ("no change", None),
                                   ("one changed", n // 2)):
                seconds, trips, calls = measure(emu, write_roster(folder, emu, n, changed))
                detail = ", ".join(f"{k} {v}" for k, v in sorted(calls.items()))
                print(f"{n:>6} {label:<12} {seconds:>8.2f} {trips:>6} {sum(calls.values()):>6}  "
                      f"{detail}", flush=True)


if __name__ == "__main__":
    main()
