"""Wall time and peak memory of `syncd reconcile` on the local calendar.

For rosters of 10, 100 and 1,000 people, each with a hand-made recurring 1:1
that started a year ago and carries a year of history (moved and cancelled
instances), it times:

- a dry run (plan only: adopt every series, create notes),
- the real reconcile that applies that plan (with --force: it is over max_changes),
- a second real reconcile (the steady state: nothing to do).

Each run is its own process; peak memory is that process's max RSS.
Usage: python bench/reconcile_local.py [SIZES...]
"""

from __future__ import annotations

import datetime as dt
import json
import sys
import tempfile
from pathlib import Path

from child import run_child

NOW = dt.datetime(2026, 11, 25, 9, 0)
DAYS = ("mon", "tue", "wed", "thu", "fri")
ICS_DAYS = ("MO", "TU", "WE", "TH", "FR")
CADENCES = (
    ("weekly", "FREQ=WEEKLY;BYDAY={d}", 7),
    ("biweekly", "FREQ=WEEKLY;INTERVAL=2;BYDAY={d}", 14),
)


def slot(i: int) -> tuple[int, int, int]:
    """A distinct weekday/hour/minute for person i, inside 08:00-17:00."""
    return i % 5, 8 + (i // 5) % 9, 15 * ((i // 45) % 4)


def write_roster(folder: Path, n: int) -> Path:
    start = (NOW - dt.timedelta(days=365)).date()
    lines = [
        "owner: {name: Dana Lead, email: dana@example.com}",
        "timezone: Europe/Berlin",
        "calendar: {kind: local, path: calendar}",
        "notes: {kind: markdown, path: notes}",
        "state_dir: state",
        "people:",
    ]
    for i in range(n):
        day, hour, minute = slot(i)
        name = CADENCES[i % 2][0]
        # A biweekly phase is anchored by `start`; use the series' first day.
        first = start + dt.timedelta(days=(day - start.weekday()) % 7)
        lines.append(
            f"  - {{name: Person {i}, email: p{i}@example.com, cadence: {name}, "
            f"start: {first}, slot: {{day: {DAYS[day]}, time: \"{hour:02d}:{minute:02d}\"}}}}")
    path = folder / "config.yaml"
    path.write_text("\n".join(lines) + "\n")
    return path


def write_calendar(folder: Path, n: int) -> None:
    cal = folder / "calendar"
    cal.mkdir()
    start = (NOW - dt.timedelta(days=365)).date()
    for i in range(n):
        day, hour, minute = slot(i)
        _, rule, step = CADENCES[i % 2]
        first = dt.datetime.combine(start + dt.timedelta(days=(day - start.weekday()) % 7),
                                    dt.time(hour, minute))
        fmt = "%Y%m%dT%H%M%S"
        parts = [
            "BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//bench//EN",
            "BEGIN:VEVENT", f"UID:hand-{i}@example.com",
            f"DTSTART;TZID=Europe/Berlin:{first.strftime(fmt)}",
            f"DTEND;TZID=Europe/Berlin:{(first + dt.timedelta(minutes=45)).strftime(fmt)}",
            "RRULE:" + rule.format(d=ICS_DAYS[day]),
            "ORGANIZER:mailto:dana@example.com",
            "ATTENDEE;PARTSTAT=ACCEPTED:mailto:dana@example.com",
            f"ATTENDEE;PARTSTAT=ACCEPTED;CN=Person {i}:mailto:p{i}@example.com",
            f"SUMMARY:Person {i} / Dana", "DTSTAMP:20251101T000000Z", "END:VEVENT",
        ]
        # A year of history: every fifth instance moved a day, every seventh cancelled.
        for k in range(0, 365 // step):
            when = first + dt.timedelta(days=k * step)
            if k % 5 == 1 or k % 7 == 3:
                moved = when + dt.timedelta(days=1 if k % 5 == 1 else 0)
                parts += [
                    "BEGIN:VEVENT", f"UID:hand-{i}@example.com",
                    f"RECURRENCE-ID;TZID=Europe/Berlin:{when.strftime(fmt)}",
                    f"DTSTART;TZID=Europe/Berlin:{moved.strftime(fmt)}",
                    f"DTEND;TZID=Europe/Berlin:"
                    f"{(moved + dt.timedelta(minutes=45)).strftime(fmt)}",
                    "STATUS:" + ("CANCELLED" if k % 7 == 3 else "CONFIRMED"),
                    f"SUMMARY:Person {i} / Dana", "DTSTAMP:20251101T000000Z", "END:VEVENT",
                ]
        parts.append("END:VCALENDAR")
        (cal / f"hand-{i}.ics").write_text("\r\n".join(parts) + "\r\n")


def measure(config: Path, *args: str) -> tuple[float, float, int]:
    """(seconds, peak MiB, actions) of one `syncd reconcile` process."""
    syncd = Path(sys.executable).with_name("syncd")
    cmd = [str(syncd), "reconcile", "--config", str(config), "--now", NOW.isoformat(),
           "--json", *args]
    elapsed, mib, out = run_child(cmd)
    return elapsed, mib, len(json.loads(out)["actions"])


def main() -> None:
    sizes = [int(a) for a in sys.argv[1:]] or [10, 100, 1000]
    print(f"{'people':>7} {'run':<12} {'seconds':>8} {'peak MiB':>9} {'actions':>8}")
    for n in sizes:
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp)
            config = write_roster(folder, n)
            write_calendar(folder, n)
            for label, args in (("dry-run", ("--dry-run",)), ("reconcile", ("--force",)),
                                ("steady", ())):
                secs, mib, actions = measure(config, *args)
                print(f"{n:>7} {label:<12} {secs:>8.2f} {mib:>9.1f} {actions:>8}", flush=True)


if __name__ == "__main__":
    main()
