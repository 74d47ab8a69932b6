"""`syncd run`: reconcile on a schedule until stopped, as a systemd `Type=notify` service.

The scheduling is a pure class (`Schedule`) over an injected clock and random
source. `Service` is the shell around it: it holds the state lock, runs one
reconcile per cycle, tells systemd how it is doing (sd_notify), and turns
signals into flags the loop checks, so a stop never cuts a write in half.

Sources and backoff: a cycle uses two sources, the calendar and the notes
store. When a source fails, the cycles after it leave that source out (it is
"held back": reconcile sees it as unreadable and plans nothing for it) until
its retry time, 1 min after the first failure in a row, then 2, 4, 8, … up to
1 h. A retry gets a cycle of its own when it comes before the next regular one.
The regular cycles go on meanwhile for the other source.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import logging
import os
import random as random_module
import re
import select
import signal
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from types import FrameType
from zoneinfo import ZoneInfo

from syncd import EXIT_FAILED, EXIT_OK, preflight
from syncd import reconcile as reconciling
from syncd.calendars.base import CalendarError, CalendarSource
from syncd.config import Config, ConfigError, resolve_state_dir
from syncd.core.model import AgendaWrite, NotesDoc, Series
from syncd.core.status import SKIP_WINDOW
from syncd.lock import StateLock
from syncd.notes.base import NotesError, NotesStore
from syncd.sdnotify import Notifier, watchdog_interval
from syncd.state import State, StateError

log = logging.getLogger(__name__)

CALENDAR, NOTES = "calendar", "notes"
SOURCES = (CALENDAR, NOTES)
JITTER = 0.10  # each interval is stretched or shrunk by up to this fraction
BACKOFF_FIRST = 60.0  # seconds before the first retry of a failed source
BACKOFF_CAP = 3600.0  # the longest wait between retries
# The longest single wait: the loop looks at the clock at least this often, so a
# laptop resuming from suspend runs an overdue cycle soon instead of at the
# end of a sleep that did not count the suspended time.
MAX_WAIT = 30.0

_INTERVAL = re.compile(r"(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?")


def parse_interval(text: str) -> dt.timedelta:
    """"30s", "15m", "1h", "1h30m" as a timedelta; ValueError for anything else or zero."""
    match = _INTERVAL.fullmatch(text.strip().lower())
    if match is None or not any(match.groups()):
        raise ValueError(f"not an interval: {text!r} (use e.g. 30s, 15m, 1h, 1h30m)")
    hours, minutes, seconds = (int(g or 0) for g in match.groups())
    interval = dt.timedelta(hours=hours, minutes=minutes, seconds=seconds)
    if not interval:
        raise ValueError("the interval must be longer than 0s")
    return interval


def format_interval(interval: dt.timedelta) -> str:
    """The inverse of parse_interval, for messages: 900 s → "15m"."""
    total = int(interval.total_seconds())
    hours, rest = divmod(total, 3600)
    minutes, seconds = divmod(rest, 60)
    text = "".join(f"{n}{unit}" for n, unit in ((hours, "h"), (minutes, "m"), (seconds, "s")) if n)
    return text or "0s"


def backoff_delay(failures: int, first: float = BACKOFF_FIRST, cap: float = BACKOFF_CAP) -> float:
    """Seconds to wait after `failures` failures in a row: first, twice that, … at most cap."""
    if failures < 1:
        return 0.0
    # The exponent is bounded so months of failures cannot overflow the float.
    return min(first * 2.0 ** min(failures - 1, 64), cap)


class Schedule:
    """When the next cycle runs and which sources it leaves out (pure: times are clock seconds).

    The first cycle is due at once. After a regular cycle the next one is
    `interval` ± `jitter` away, measured from the end of the cycle so a slow one
    is never followed at once by another. A failed source is retried after
    `backoff_delay(failures in a row)`; until then it is held back.
    """

    def __init__(
        self, interval: float, *, random: Callable[[], float] = random_module.random,
        jitter: float = JITTER, backoff_first: float = BACKOFF_FIRST,
        backoff_cap: float = BACKOFF_CAP, sources: Iterable[str] = SOURCES,
    ) -> None:
        """`random` returns a float in [0, 1), like random.random (inject one to test)."""
        if interval <= 0:
            raise ValueError("interval must be positive")
        self.interval = interval
        self.random = random
        self.jitter = jitter
        self.backoff_first = backoff_first
        self.backoff_cap = backoff_cap
        self.sources = tuple(sources)
        self.regular_at: float | None = None  # None: due at once
        self.failures: dict[str, int] = dict.fromkeys(self.sources, 0)
        self.retry_at: dict[str, float] = {}  # failed source → when it may be used again

    def jittered(self) -> float:
        """One interval with jitter: from interval * (1 - jitter) up to interval * (1 + jitter)."""
        return self.interval * (1 + self.jitter * (2 * self.random() - 1))

    def next_run(self, now: float) -> float:
        """When the next cycle is due: the next regular one or an earlier retry."""
        regular = now if self.regular_at is None else self.regular_at
        return min([regular, *self.retry_at.values()])

    def due(self, now: float) -> bool:
        """Whether a cycle should start at `now`."""
        return now >= self.next_run(now)

    def held_back(self, now: float) -> frozenset[str]:
        """The sources a cycle starting at `now` must leave out (still waiting to retry)."""
        return frozenset(s for s, at in self.retry_at.items() if at > now)

    def record(
        self, started: float, finished: float, failed: Iterable[str],
        attempted: Iterable[str] | None = None,
    ) -> None:
        """Account for a cycle that ran from `started` to `finished`.

        `attempted` defaults to every source not held back at `started`; each of
        them is either in `failed` (backoff grows) or worked (backoff resets).
        """
        tried = set(attempted) if attempted is not None else (
            set(self.sources) - self.held_back(started))
        broken = set(failed)
        if self.regular_at is None or started >= self.regular_at:
            self.regular_at = finished + self.jittered()
        for source in tried:
            if source in broken:
                self.failures[source] += 1
                self.retry_at[source] = finished + backoff_delay(
                    self.failures[source], self.backoff_first, self.backoff_cap)
            else:
                self.failures[source] = 0
                self.retry_at.pop(source, None)

    def restart(self) -> None:
        """Forget every failure and make a cycle due at once (after a config reload)."""
        self.regular_at = None
        self.failures = dict.fromkeys(self.sources, 0)
        self.retry_at.clear()


# --- the service ---------------------------------------------------------------

Backends = Callable[[Config, State], tuple[CalendarSource, NotesStore]]


def default_backends(config: Config, state: State) -> tuple[CalendarSource, NotesStore]:
    """The calendar and notes store the config names (an ics feed with its cache)."""
    return reconciling.open_backends(config, state)


def boot_clock() -> float:
    """Seconds on a clock that never jumps and, unlike time.monotonic, counts suspend."""
    return time.clock_gettime(time.CLOCK_BOOTTIME)


class _HeldBackCalendar:
    """Stands in for a calendar in backoff: every read fails, so nothing is planned for it."""

    def __init__(self, name: str, why: str) -> None:
        self.name = name
        self._why = why

    def read(self, start: dt.datetime, end: dt.datetime) -> tuple[Series, ...]:
        raise CalendarError(self._why)


class _HeldBackNotes:
    """Stands in for a notes store in backoff: finding fails, so nothing is planned for notes."""

    def __init__(self, why: str) -> None:
        self._why = why

    def find(self, person: str, doc_id: str | None) -> NotesDoc | None:
        raise NotesError(self._why)

    def create(self, person: str, name: str, owner_name: str) -> NotesDoc:
        raise NotesError(self._why)

    def append_section(self, doc: NotesDoc, write: AgendaWrite, title: str, body: str) -> None:
        raise NotesError(self._why)

    def move_section(self, doc: NotesDoc, write: AgendaWrite, title: str) -> None:
        raise NotesError(self._why)

    def cancel_section(self, doc: NotesDoc, write: AgendaWrite) -> None:
        raise NotesError(self._why)


class _Interrupted(BaseException):
    """Raised by the stop signal while a cycle only reads: nothing is half-written then."""


@dataclasses.dataclass(frozen=True)
class CycleReport:
    """What one cycle did, as the STATUS line and the log summarise it."""

    people: int  # active people on the roster
    done: int  # actions applied
    failed: int  # actions that failed
    skips: int  # 1:1s skipped in the last 90 days (stored history)
    failed_sources: frozenset[str]
    held_back: frozenset[str]
    refused: str | None = None
    error: str | None = None  # the cycle itself failed (a bug or an unusable state)


class Service:
    """The long-running loop: one reconcile per cycle, reloads, a clean stop."""

    def __init__(
        self, config_path: Path, config: Config, interval: dt.timedelta, *,
        notifier: Notifier | None = None, clock: Callable[[], float] = boot_clock,
        wall: Callable[[ZoneInfo], dt.datetime] | None = None,
        random: Callable[[], float] = random_module.random,
        backends: Backends = default_backends, environ: Mapping[str, str] | None = None,
    ) -> None:
        """Run with `config` (read from `config_path`, which a reload reads again)."""
        self.config_path = config_path
        self.config = config
        self.interval = interval
        self.environ = os.environ if environ is None else environ
        self.notifier = notifier or Notifier.from_env(self.environ)
        self.clock = clock
        self.wall = wall or (lambda zone: dt.datetime.now(zone))
        self.backends = backends
        self.schedule = Schedule(interval.total_seconds(), random=random)
        self.state_dir = resolve_state_dir(config, self.environ)
        self.state: State | None = None
        self.last: CycleReport | None = None
        self._ping_every = watchdog_interval(self.environ)
        self._next_ping = 0.0
        self._stop = False
        self._stop_announced = False
        self._reload = False
        self._interruptible = False
        self._shown: set[str] = set()  # warnings already logged, to log each once
        self._wake: tuple[int, int] | None = None

    # --- lifetime ---------------------------------------------------------

    @contextlib.contextmanager
    def opened(self) -> Iterator[State]:
        """Hold the state lock and the open state for the duration of the block.

        Raises LockError when another syncd holds the state directory.
        """
        with StateLock(self.state_dir):
            self.state = State.open(self.state_dir)
            try:
                yield self.state
            finally:
                self.state.close()
                self.state = None

    def run(self) -> int:
        """Run until SIGTERM or SIGINT; the exit code (0 after a clean stop, 1 if the state
        cannot be opened). Raises LockError when another syncd holds the state."""
        try:
            with self.opened(), self._signals():
                log.info("running: config %s, state %s, every %s (±%d%%)", self.config_path,
                         self.state_dir, format_interval(self.interval), round(JITTER * 100))
                self.notifier.ready(f"started with {self._people()} people; first cycle now")
                self._loop()
        except StateError as exc:
            log.error("cannot open the state in %s: %s", self.state_dir, exc)
            self.notifier.stopping(f"failed: {exc}")
            return EXIT_FAILED
        finally:
            self.notifier.close()
        log.info("stopped")
        return EXIT_OK

    def _loop(self) -> None:
        while not self._stopping():
            now = self.clock()
            self._keepalive(now)
            if self._reload:
                self._reload = False
                self.reload()
                continue
            if self.schedule.due(now):
                try:
                    self.cycle()
                except _Interrupted:
                    log.info("stopped while reading; this cycle wrote nothing")
                continue
            until = min(self.schedule.next_run(now), now + MAX_WAIT)
            if self._ping_every is not None:
                until = min(until, self._next_ping)
            self._sleep(until - now)

    # --- one cycle -----------------------------------------------------------

    def cycle(self) -> CycleReport:
        """One reconcile with the sources not in backoff; updates schedule, STATUS and log."""
        assert self.state is not None, "cycle() runs inside opened()"
        config, state = self.config, self.state
        zone = ZoneInfo(config.roster.timezone)
        started = self.clock()
        held = self.schedule.held_back(started)
        now = self.wall(zone)
        try:
            # Until apply starts its first action, a stop signal may end the cycle at
            # once (nothing is written before that, and state rolls back a transaction).
            self._interruptible = True
            calendar, notes = self.backends(config, state)
            calendar_name = calendar.name
            if CALENDAR in held:
                calendar = _HeldBackCalendar(calendar_name, self._held_reason(CALENDAR, started))
            if NOTES in held:
                notes = _HeldBackNotes(self._held_reason(NOTES, started))
            result = reconciling.reconcile(config, state, now, dry_run=False, force=False,
                                           calendar=calendar, notes=notes, stop=self._stop_check)
        except Exception as exc:
            self._interruptible = False
            log.error("cycle failed: %s: %s", type(exc).__name__, exc)
            log.debug("cycle failure", exc_info=True)
            report = CycleReport(self._people(), 0, 0, 0, frozenset(), held,
                                 error=f"{type(exc).__name__}: {exc}")
        else:
            self._interruptible = False
            failed = _failed_sources(result.warnings, calendar_name) - held
            self._log_news(result, held, calendar_name)
            outcome = result.outcome
            report = CycleReport(
                people=self._people(), done=len(outcome.done) if outcome else 0,
                failed=len(outcome.failed) if outcome else 0,
                skips=self._skips(state, now), failed_sources=frozenset(failed),
                held_back=held, refused=result.refused)
        finished = self.clock()
        # A cycle that broke down tried no source properly: it neither grows nor resets
        # any backoff.
        self.schedule.record(started, finished, report.failed_sources,
                             attempted=() if report.error else None)
        self._log_sources(report, held, finished, zone)
        self.last = report
        line = self.summary(report, finished, zone)
        log.info("cycle: %s", line)
        self.notifier.status(line)
        return report

    def summary(self, report: CycleReport, now: float, zone: ZoneInfo) -> str:
        """The one-line STATUS: people, actions, skips, next run, and anything wrong."""
        parts = [f"{report.people} people, {report.done} actions done"
                 + (f" ({report.failed} failed)" if report.failed else "")
                 + f", {report.skips} skips in 90 days"]
        parts.append(f"next run {self._at(self.schedule.next_run(now), now, zone)}")
        for source, at in sorted(self.schedule.retry_at.items()):
            parts.append(f"{source} failing, retry {self._at(at, now, zone)}")
        if report.refused:
            parts.append("plan refused by the safety limit")
        if report.error:
            parts.append(f"cycle failed: {report.error}")
        return "; ".join(parts)

    def _at(self, moment: float, now: float, zone: ZoneInfo) -> str:
        """A clock reading as local wall time, e.g. 2026-11-25T10:15:00+01:00."""
        wall = self.wall(zone) + dt.timedelta(seconds=max(0.0, moment - now))
        return wall.isoformat(timespec="seconds")

    def _held_reason(self, source: str, now: float) -> str:
        at = self.schedule.retry_at[source]
        return (f"held back after {self.schedule.failures[source]} failure(s) in a row; "
                f"next try in {round(at - now)}s")

    def _people(self) -> int:
        return sum(p.active for p in self.config.roster.people)

    def _skips(self, state: State, now: dt.datetime) -> int:
        active = {p.email for p in self.config.roster.people if p.active}
        return sum(o.status == "skipped" and o.person in active
                   for o in state.occurrences(now - SKIP_WINDOW, now))

    def _log_news(self, result: reconciling.Result, held: frozenset[str],
                  calendar_name: str) -> None:
        """Log each warning and note once while it persists (a service repeats them all day)."""
        # A held-back source's "not read" line is the service's own doing: _log_sources says it.
        held_prefixes = tuple(_prefix(s, calendar_name) for s in held)
        lines: list[tuple[int, str]] = [
            (logging.WARNING, w) for w in result.warnings if not w.startswith(held_prefixes)]
        lines += [(logging.INFO, f"note: {i}") for i in result.plan.info]
        if result.refused:
            lines.append((logging.ERROR, (
                f"plan refused by the safety limit: {result.refused}; nothing was written."
                " Check it with `syncd reconcile --dry-run`, then stop the service and run"
                " `syncd reconcile --force`")))
        for level, text in lines:
            log.log(level if text not in self._shown else logging.DEBUG, "%s", text)
        self._shown = {text for _, text in lines}

    def _log_sources(self, report: CycleReport, held: frozenset[str], now: float,
                     zone: ZoneInfo) -> None:
        for source in sorted(report.failed_sources):
            log.warning("%s failed (%d in a row); retrying it at %s, other sources go on",
                        source, self.schedule.failures[source],
                        self._at(self.schedule.retry_at[source], now, zone))
        if report.error is None:
            for source in sorted(set(SOURCES) - held - report.failed_sources):
                if self.last is not None and source in self.last.failed_sources | \
                        self.last.held_back:
                    log.info("%s works again", source)

    # --- reload and stop -------------------------------------------------------

    def reload(self) -> bool:
        """Read the config again; a bad one is logged and the running one kept."""
        self.notifier.reloading()
        try:
            config = preflight.load_checked(self.config_path, self.environ)
        except ConfigError as exc:
            for problem in exc.problems:
                log.error("reload: %s", problem)
            log.error("reload failed: %s has %d problem(s); keeping the previous config",
                      self.config_path, len(exc.problems))
            self.notifier.ready(f"reload failed, running with the previous config; "
                                f"{self._last_status()}")
            return False
        state_dir = resolve_state_dir(config, self.environ)
        if state_dir != self.state_dir:
            log.error("reload: the state directory would move from %s to %s; restart the"
                      " service for that. Keeping the previous config", self.state_dir,
                      state_dir)
            self.notifier.ready(f"reload refused (state directory changed); "
                                f"{self._last_status()}")
            return False
        self.config = config
        self.schedule.restart()
        log.info("reloaded %s: %d people; a cycle runs now", self.config_path, self._people())
        self.notifier.ready(f"reloaded with {self._people()} people; cycle now")
        return True

    def _last_status(self) -> str:
        if self.last is None:
            return "no cycle yet"
        zone = ZoneInfo(self.config.roster.timezone)
        return self.summary(self.last, self.clock(), zone)

    def request_stop(self) -> None:
        """Finish the action in progress, then stop (what SIGTERM and SIGINT do)."""
        self._stop = True

    def request_reload(self) -> None:
        """Reload the config before the next cycle (what SIGHUP does)."""
        self._reload = True

    def _stopping(self) -> bool:
        if self._stop and not self._stop_announced:
            self._stop_announced = True
            log.info("stopping")
            self.notifier.stopping("stopping")
        return self._stop

    def _stop_check(self) -> bool:
        """Asked by apply before each action: from here on no signal may interrupt."""
        self._interruptible = False
        self._keepalive(self.clock())
        return self._stopping()

    def _keepalive(self, now: float) -> None:
        if self._ping_every is not None and now >= self._next_ping:
            self.notifier.watchdog()
            self._next_ping = now + self._ping_every

    # --- signals -----------------------------------------------------------------

    def _on_signal(self, signum: int, frame: FrameType | None) -> None:
        if signum == signal.SIGHUP:
            self.request_reload()
            return
        self.request_stop()
        if self._interruptible:
            self._interruptible = False
            raise _Interrupted

    @contextlib.contextmanager
    def _signals(self) -> Iterator[None]:
        """Route SIGTERM, SIGINT and SIGHUP to the loop; restore the old handlers after."""
        wake = os.pipe2(os.O_NONBLOCK | os.O_CLOEXEC)
        # The wakeup fd gets a byte for every signal, so a signal arriving just before
        # select() still ends the wait (the flag alone would be seen too late).
        old_fd = signal.set_wakeup_fd(wake[1], warn_on_full_buffer=False)
        old = {sig: signal.signal(sig, self._on_signal)
               for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)}
        self._wake = wake
        try:
            yield
        finally:
            for sig, handler in old.items():
                signal.signal(sig, handler)
            signal.set_wakeup_fd(old_fd)
            self._wake = None
            os.close(wake[0])
            os.close(wake[1])

    def _sleep(self, seconds: float) -> None:
        """Wait up to `seconds`, or until a signal arrives."""
        assert self._wake is not None, "_sleep() runs inside _signals()"
        readable, _, _ = select.select([self._wake[0]], [], [], max(0.0, seconds))
        if readable:
            with contextlib.suppress(BlockingIOError):
                while os.read(self._wake[0], 64):
                    pass


def _prefix(source: str, calendar_name: str) -> str:
    """How reconcile's warning for an unreadable `source` begins (see read_calendar/read_notes)."""
    return f"{calendar_name}: not read" if source == CALENDAR else "notes: not read"


def _failed_sources(warnings: Iterable[str], calendar_name: str) -> set[str]:
    """Which sources reconcile could not read, from the warnings it gave.

    A Result only says that some source failed; its warning lines say which.
    """
    lines = list(warnings)
    return {s for s in SOURCES if any(w.startswith(_prefix(s, calendar_name)) for w in lines)}
