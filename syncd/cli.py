"""The `syncd` command: a thin layer that parses arguments, calls the core and exits once."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import os
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar
from zoneinfo import ZoneInfo

import click

from syncd import EXIT_FAILED, EXIT_OK, EXIT_USAGE, logs
from syncd.report import FORMATS as REPORT_FORMATS

# Each command imports what it needs when it runs, so `syncd --help` and `syncd validate`
# start without the Google client, the HTTP stack, iCalendar or the report templates.
if TYPE_CHECKING:
    from syncd.config import Config
    from syncd.report.build import Period
    from syncd.report.deliver import Sent, Unsent
    from syncd.state import State

F = TypeVar("F", bound=Callable[..., Any])
LEVELS = ("debug", "info", "warning", "error")


def default_config() -> str:
    """$SYNCD_CONFIG, else systemd's configuration directory, else the XDG config dir."""
    if "SYNCD_CONFIG" in os.environ:
        return os.environ["SYNCD_CONFIG"]
    if "CONFIGURATION_DIRECTORY" in os.environ:
        return str(Path(os.environ["CONFIGURATION_DIRECTORY"].split(":")[0]) / "config.yaml")
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return str(Path(base) / "syncd" / "config.yaml")


def common_options(log_level: str = "warning") -> Callable[[F], F]:
    """Options every command accepts (the group's command class acts on them); `log_level`
    is the command's default."""
    def add(func: F) -> F:
        func = click.option("--config", "config_path", default=default_config, show_default=
                            "$SYNCD_CONFIG, else $CONFIGURATION_DIRECTORY/config.yaml, "
                            "else ~/.config/syncd/config.yaml",
                            type=click.Path(dir_okay=False, path_type=Path),
                            help="Roster and settings (YAML).")(func)
        func = click.option("--log-format", type=click.Choice(logs.FORMATS), default="text",
                            help="Log lines as text or as JSON objects (for log shippers).")(func)
        return click.option("--log-level", type=click.Choice(LEVELS), default=log_level,
                            show_default=True, help="How much to log to stderr.")(func)
    return add


common = common_options()


def runtime_failure(exc: Exception) -> str | None:
    """The one line `syncd: …` for a failure a command can meet at run time that is not a
    bug (state, lock, notes, calendar, a private file, the file system); None otherwise."""
    from syncd.calendars.base import CalendarError
    from syncd.fsutil import SymlinkRefused
    from syncd.lock import LockError
    from syncd.notes.base import NotesError
    from syncd.preflight import PreflightError
    from syncd.state import StateError

    if isinstance(exc, OSError) and exc.strerror and not isinstance(exc, SymlinkRefused):
        where = f"{exc.filename}: " if exc.filename else ""
        return f"syncd: {where}{exc.strerror}"
    if isinstance(exc, (StateError, LockError, NotesError, CalendarError, PreflightError,
                        OSError)):
        from syncd.core.oneline import one_line

        return f"syncd: {one_line(str(exc))}"
    return None


class SyncdCommand(click.Command):
    """A syncd command: logging set up and the config loaded before its body runs, and
    every runtime failure it meets (state, lock, notes, calendar, file system) turned
    into one line on stderr and exit 1 (exit 2 stays for config and usage errors)."""

    def invoke(self, ctx: click.Context) -> Any:
        """Set up from the common options, run the command, map failures to exit 1."""
        logs.setup_logging(ctx.params.pop("log_level"), ctx.params.pop("log_format"))
        config = load_or_exit(ctx.params["config_path"])
        logs.use_zone(ZoneInfo(config.roster.timezone))
        ctx.params["config"] = config
        try:
            return super().invoke(ctx)
        except Exception as exc:
            line = runtime_failure(exc)
            if line is None:
                raise
            click.echo(line, err=True)
            ctx.exit(EXIT_FAILED)


class SyncdGroup(click.Group):
    """The `syncd` group: its commands (and those of its subgroups) are SyncdCommands."""

    command_class = SyncdCommand
    group_class = type  # subgroups are SyncdGroups too


def hold_lock(state_dir: Path) -> None:
    """Hold the state lock until the command ends; a busy or unusable lock is LockError."""
    from syncd.lock import StateLock

    click.get_current_context().with_resource(StateLock(state_dir))


def load_or_exit(path: Path) -> Config:
    """The validated config, or every problem on stderr and exit 2."""
    from syncd import preflight
    from syncd.config import ConfigError

    try:
        return preflight.load_checked(path, os.environ)
    except ConfigError as exc:
        for problem in exc.problems:
            click.echo(problem, err=True)
        sys.exit(EXIT_USAGE)


def tighten_or_exit(config: Config) -> None:
    """Before a writing command: syncd's private files and folders closed to others, or exit 1."""
    from syncd import preflight

    try:
        preflight.tighten(config, os.environ)
    except preflight.PreflightError as exc:
        click.echo(f"syncd: {exc}", err=True)
        sys.exit(EXIT_FAILED)


def readonly_state(config: Config) -> State:
    """The state as a read-only snapshot (never creates or changes a file)."""
    from syncd.config import resolve_state_dir
    from syncd.state import State

    return State.open_readonly(resolve_state_dir(config, os.environ))


def run_state(config: Config, *, dry_run: bool) -> State:
    """The state a run that may write works on: a read-only snapshot for a dry run;
    otherwise the state itself, once the lock is held (a writing run must not race the
    service or another run) and the config's private files are tightened."""
    from syncd.config import resolve_state_dir
    from syncd.state import State

    state_dir = resolve_state_dir(config, os.environ)
    if dry_run:
        return State.open_readonly(state_dir)
    hold_lock(state_dir)
    tighten_or_exit(config)
    return State.open(state_dir)


def parse_now(value: str | None, timezone: str) -> dt.datetime:
    """--now as an aware datetime (naive values are in the roster's zone); else the clock."""
    if value is None:
        return dt.datetime.now(ZoneInfo(timezone))
    try:
        moment = dt.datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"not an ISO date or datetime: {value!r}",
                                 param_hint="--now") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=ZoneInfo(timezone))


@click.group(cls=SyncdGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="syncd")
def main() -> None:
    """Keep recurring 1:1s, private notes and a skipped-meeting report in step with a roster.

    Every command reads its config from --config, else $SYNCD_CONFIG, else
    $CONFIGURATION_DIRECTORY/config.yaml (systemd's ConfigurationDirectory=), else
    ~/.config/syncd/config.yaml. Exit status: 0 done, 1 something failed at run time
    (one line says what), 2 a config or usage error.
    """


@main.command()
@common
@click.option("--now", "now_text", metavar="ISO", help="Pretend it is this moment.")
def validate(config: Config, config_path: Path, now_text: str | None) -> None:
    """Check the config; print every problem as FILE:LINE: FIELD: message (exit 2).

    Clashes over the next 26 weeks (two 1:1s at once, a slot outside working hours)
    are warnings: the config is still valid.
    """
    from syncd.core import schedule
    from syncd.core.oneline import one_line

    roster = config.roster
    now = parse_now(now_text, roster.timezone)
    people = roster.people
    click.echo(f"{config_path}: ok ({len(people)} people, "
               f"{sum(p.active for p in people)} active)")
    for line in schedule.clash_warnings(roster, schedule.roster_meetings(roster, (), now)):
        click.echo(f"warning: {one_line(line)}", err=True)
    for person in (p for p in people if p.active and p.auto_slot):
        click.echo(f"note: {one_line(person.name)}: slot: auto, syncd chooses a free one on "
                   "the next reconcile and keeps it (docs/scheduling.md)")


@main.command(name="init", cls=click.Command)
@click.option("--from", "source_text", required=True, metavar="SOURCE",
              help="Your calendar: a folder of .ics files, an .ics file, an https:// or "
                   "webcal:// feed, or google (after `syncd auth login`).")
@click.option("--owner", required=True, metavar="EMAIL", help="Your address on the calendar.")
@click.option("--timezone", "zone", metavar="ZONE",
              help="The zone your slots are in (default: the one your 1:1s are written in).")
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the config here (mode 0600; must not exist yet) instead of stdout.")
@click.option("--now", "now_text", metavar="ISO", help="Pretend it is this moment.")
@click.option("--config", "config_path", type=click.Path(dir_okay=False, path_type=Path),
              help="With --from google: the config you ran `syncd auth login` with "
                   "(default: the one every command reads, when it exists).")
def init_command(source_text: str, owner: str, zone: str | None, output: Path | None,
                 now_text: str | None, config_path: Path | None) -> None:
    """Write a config from the recurring 1:1s already on your calendar.

    A series with you and exactly one other person (rooms left out) becomes their roster
    entry: cadence, slot, duration, start and name as the calendar has them, so that
    `syncd reconcile` adopts each one instead of creating another. Unsure guesses carry a
    `# check:` comment; ended series are listed commented out.
    """
    from syncd import init
    from syncd.calendars.base import CalendarError
    from syncd.config import fields
    from syncd.core import discover
    from syncd.core.oneline import one_line
    from syncd.google.errors import AuthError

    def usage(message: str) -> None:
        click.echo(f"syncd: init: {one_line(message)}", err=True)
        sys.exit(EXIT_USAGE)

    if output is not None and os.path.lexists(output):
        usage(f"{output} already exists; init never overwrites a file: give a new --output")
    try:
        email = init.checked(owner, fields.Email, "--owner")
        timezone = init.checked(zone, fields.Zone, "--timezone") if zone else None
    except init.InitError as exc:
        usage(str(exc))
        return
    now = parse_now(now_text, timezone or "UTC")
    signed_in = None
    if source_text.strip().lower() == "google":
        # The config `syncd auth login` used: --config, else the default one when it exists.
        path = config_path or Path(default_config())
        signed_in = load_or_exit(path) if config_path is not None or path.exists() else None
    try:
        source = init.source_of(source_text, signed_in)
    except init.InitError as exc:
        usage(str(exc))
        return
    try:
        observed = init.read(source, email, timezone or "UTC", now)
    except (CalendarError, AuthError) as exc:
        click.echo(f"syncd: init: the calendar could not be read, nothing written: "
                   f"{one_line(str(exc))}", err=True)
        sys.exit(EXIT_FAILED)
    found = discover.discover(observed, email, now, timezone)
    if found.likely_owner:
        click.echo(f"warning: no event names {email}; most name {found.likely_owner}: "
                   "is that your address? (--owner)", err=True)
    text = init.config_text(found, source, email, now, os.environ)
    if output is None:
        click.echo(text, nl=False)
        return
    try:
        init.write_new(output, text)
    except FileExistsError:
        usage(f"{output} already exists; init never overwrites a file: give a new --output")
    except OSError as exc:
        click.echo(f"syncd: init: cannot write {output}: {exc.strerror or exc}", err=True)
        sys.exit(EXIT_FAILED)
    click.echo(f"{output}: {len(found.people)} people; next: syncd doctor --config {output}",
               err=True)


@main.command(name="doctor", cls=click.Command)
@click.option("--config", "config_path", default=default_config,
              type=click.Path(dir_okay=False, path_type=Path),
              help="Roster and settings (YAML).")
@click.option("--json", "as_json", is_flag=True, help="Print the checks as JSON.")
@click.option("--now", "now_text", metavar="ISO", help="Pretend it is this moment.")
def doctor_command(config_path: Path, as_json: bool, now_text: str | None) -> None:
    """Check a setup end to end, one line per check with a fix for each failure (exit 1).

    The config, its files and folders, the calendar (read, counted, timed) and its owner,
    the notes folder, the state database, the Google token, the SMTP login (nothing is
    sent) and the systemd service. Nothing is written.
    """
    from syncd import doctor

    now = parse_now(now_text, "UTC") if now_text else None
    checks = doctor.run(config_path, os.environ, now)
    click.echo(doctor.as_json(checks) if as_json else "\n".join(doctor.lines(checks)))
    sys.exit(EXIT_FAILED if any(c.status == "failed" for c in checks) else EXIT_OK)


@main.command()
@common
@click.option("--dry-run", is_flag=True, help="Print the plan, write nothing.")
@click.option("--json", "as_json", is_flag=True, help="Print the plan as JSON.")
@click.option("--force", is_flag=True, help="Apply a plan over the safety limit.")
@click.option("--now", "now_text", metavar="ISO", help="Pretend it is this moment.")
def reconcile(config: Config, config_path: Path, dry_run: bool, as_json: bool,
              force: bool, now_text: str | None) -> None:
    """Bring the calendar and notes in line with the roster."""
    from syncd import reconcile as reconciling
    from syncd import show

    now = parse_now(now_text, config.roster.timezone)
    state = run_state(config, dry_run=dry_run)
    try:
        result = reconciling.reconcile(config, state, now, dry_run=dry_run, force=force)
    finally:
        state.close()
    if as_json:
        click.echo(json.dumps(show.result_json(result), indent=2))
    else:
        click.echo("\n".join(show.result_lines(result)))
    sys.exit(result.exit_code)


@main.command(name="log")
@common
@click.option("--limit", type=click.IntRange(min=1), help="Only the newest N entries.")
@click.option("--json", "as_json", is_flag=True, help="Print entries as JSON lines.")
def audit_log(config: Config, config_path: Path, limit: int | None,
              as_json: bool) -> None:
    """Every write syncd made: when, what, for whom, which event or document."""
    state = readonly_state(config)
    try:
        entries = state.audit_log(limit)
    finally:
        state.close()
    for e in entries:
        if as_json:
            click.echo(json.dumps({"at": e.at.isoformat(), "action": e.action, "person": e.person,
                                   "target": e.target, "detail": e.detail}))
        else:
            click.echo(f"{e.at.isoformat()}  {e.action:<14} {e.person}  {e.target}  {e.detail}")


def _day_start(value: dt.date | None, zone: ZoneInfo) -> dt.datetime | None:
    return dt.datetime.combine(value, dt.time(0), zone) if value else None


@main.command(name="status")
@common
@click.option("--from", "from_day", type=click.DateTime(["%Y-%m-%d"]),
              help="First day of occurrences to list (default: 90 days ago).")
@click.option("--to", "to_day", type=click.DateTime(["%Y-%m-%d"]),
              help="Last day of occurrences to list (default: now).")
@click.option("--json", "as_json", is_flag=True, help="Print the status as JSON.")
@click.option("--now", "now_text", metavar="ISO", help="Pretend it is this moment.")
def status_command(config: Config, config_path: Path,
                   from_day: dt.datetime | None,
                   to_day: dt.datetime | None, as_json: bool, now_text: str | None) -> None:
    """Per person: last held 1:1, next one, skips in 90 days, overdue; every occurrence."""
    from syncd import reconcile as reconciling
    from syncd.core import placement, status
    from syncd.core.oneline import one_line

    zone = ZoneInfo(config.roster.timezone)
    now = parse_now(now_text, config.roster.timezone)
    start = _day_start(from_day.date() if from_day else None, zone) or now - status.SKIP_WINDOW
    end = (_day_start(to_day.date() + dt.timedelta(days=1), zone) if to_day else None) or now
    state = readonly_state(config)
    try:
        seen = reconciling.observe_people(config, state, now, start, end)
    finally:
        state.close()
    failure = seen.failure
    people = [dataclasses.replace(status.person_status(p, seen.rows[p.email], start, end, now),
                                  queued=placement.first_meeting(seen.roster, p)
                                  if p.queued else None)
              for p in seen.roster.people if p.active]
    if failure:
        click.echo(f"warning: {one_line(failure)}; showing stored history only", err=True)
    if as_json:
        click.echo(json.dumps(status.status_json(people, zone), indent=2))
    else:
        click.echo("\n".join(status.status_lines(people, zone)))
    sys.exit(EXIT_FAILED if failure else EXIT_OK)


@main.command(name="suggest")
@common
@click.argument("person")
@click.option("--count", type=click.IntRange(min=1, max=20), default=3, show_default=True,
              help="Free slots to list per skipped 1:1 (one a day).")
@click.option("--json", "as_json", is_flag=True, help="Print the suggestions as JSON.")
@click.option("--now", "now_text", metavar="ISO", help="Pretend it is this moment.")
def suggest_command(config: Config, config_path: Path, person: str,
                    count: int, as_json: bool, now_text: str | None) -> None:
    """Free slots to make up PERSON's skipped 1:1 (email or name) before their next one."""
    from syncd import suggest as suggesting
    from syncd.core.oneline import one_line

    zone = ZoneInfo(config.roster.timezone)
    now = parse_now(now_text, config.roster.timezone)
    state = readonly_state(config)
    try:
        found = suggesting.suggest(config, state, person, now, count)
    except suggesting.UnknownPerson as exc:
        click.echo(f"syncd: {one_line(str(exc))}", err=True)
        sys.exit(EXIT_USAGE)
    finally:
        state.close()
    if found.failure:
        click.echo(f"syncd: {one_line(found.failure)}; no free slots can be found", err=True)
        sys.exit(EXIT_FAILED)
    if as_json:
        click.echo(json.dumps(suggesting.suggestion_json(found, zone), indent=2))
    else:
        click.echo("\n".join(suggesting.suggestion_lines(found, zone)))


@main.command(name="makeup")
@common
@click.argument("person")
@click.option("--at", "at_text", metavar="ISO", help="Book it at this time.")
@click.option("--first-free", is_flag=True, help="Book the first free slot syncd suggest offers.")
@click.option("--anyway", is_flag=True,
              help="With --at: book even when the time is busy, paused or outside hours.")
@click.option("--dry-run", is_flag=True, help="Say what would be booked, write nothing.")
@click.option("--force", is_flag=True, help="Apply a plan over the safety limit.")
@click.option("--now", "now_text", metavar="ISO", help="Pretend it is this moment.")
def makeup_command(config: Config, config_path: Path, person: str, at_text: str | None,
                   first_free: bool, anyway: bool, dry_run: bool, force: bool,
                   now_text: str | None) -> None:
    """Book a one-off 1:1 with PERSON to make up their skipped one (sends an invitation)."""
    from syncd import makeup, show
    from syncd import suggest as suggesting
    from syncd.core.oneline import one_line

    if (at_text is None) == (not first_free):
        raise click.UsageError("give either --at ISO or --first-free")
    if anyway and at_text is None:
        raise click.UsageError("--anyway goes with --at")
    zone = ZoneInfo(config.roster.timezone)
    now = parse_now(now_text, config.roster.timezone)
    at = None
    if at_text is not None:
        at = parse_now(at_text, config.roster.timezone)
        if at <= now:
            raise click.BadParameter(f"{at_text} is not in the future", param_hint="--at")
    state = run_state(config, dry_run=dry_run)
    try:
        choice = makeup.choose(config, state, person, now, at, anyway)
        result = makeup.book(config, state, choice, now, dry_run=dry_run, force=force)
    except suggesting.UnknownPerson as exc:
        click.echo(f"syncd: {one_line(str(exc))}", err=True)
        sys.exit(EXIT_USAGE)
    except makeup.NotBooked as exc:
        click.echo(f"syncd: makeup: {one_line(str(exc))}", err=True)
        sys.exit(EXIT_FAILED)
    finally:
        state.close()
    name = one_line(choice.person.name)
    if choice.request is None:
        ahead = ", ".join(f"{start.astimezone(zone):%a %Y-%m-%d %H:%M}"
                          for _, start in choice.booked)
        click.echo(f"{name}: no skipped 1:1 left to make up"
                   + (f" (make-up booked: {ahead})" if ahead else ""))
    click.echo("\n".join(show.result_lines(result)))
    sys.exit(result.exit_code)


@main.command(name="export")
@common
@click.option("--output", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="The .ics file to write.")
@click.option("--now", "now_text", metavar="ISO", help="Pretend it is this moment.")
def export_command(config: Config, config_path: Path, output: Path,
                   now_text: str | None) -> None:
    """Write the roster's 1:1 series (with notes links) as a calendar to import or subscribe to."""
    from syncd import placing
    from syncd.backends import connect_google, open_calendar
    from syncd.calendars.base import CalendarError
    from syncd.core import planner
    from syncd.core.oneline import one_line
    from syncd.export import export_calendar
    from syncd.fsutil import atomic_write
    from syncd.google.errors import AuthError

    now = parse_now(now_text, config.roster.timezone)
    state = readonly_state(config)
    try:
        memory = state.memory()
        # The calendar is read so that a 1:1 already on it is not exported beside it.
        calendar = open_calendar(config.calendar, config.roster, state, connect_google(config))
        observed = calendar.read(*planner.read_window(now))
        # Slots syncd chose and the rollout queue, as reconcile decided them.
        roster = placing.stored_roster(config.roster, state, observed, now)
    except (CalendarError, AuthError) as exc:
        click.echo(f"syncd: export: the calendar could not be read, nothing written: "
                   f"{one_line(str(exc))}", err=True)
        sys.exit(EXIT_FAILED)
    finally:
        state.close()
    urls = {doc.person: doc.url for doc in memory.notes}
    made = export_calendar(roster, memory, urls, now, observed)
    # 0600 like a saved report: it names people and links their private notes.
    atomic_write(output, made.data, 0o600, keep_mode=False)
    click.echo(f"{output}: {len(made.exported)} series")
    for line in made.on_calendar:
        click.echo(f"  {one_line(line)}")


def _interval(ctx: click.Context, param: click.Parameter, value: str) -> dt.timedelta:
    from syncd import service

    try:
        return service.parse_interval(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


@main.command(name="run")
@common_options(log_level="info")
@click.option("--interval", default="15m", show_default=True, metavar="DURATION",
              callback=_interval, help="Time between reconciles (30s, 15m, 1h, 1h30m), ±10%.")
def run_command(config: Config, config_path: Path,
                interval: dt.timedelta) -> None:
    """Reconcile now, then every interval, until stopped (the systemd service).

    Logs one line per cycle at the default level (info). While another process
    holds the state lock it waits for it. SIGHUP reloads the config, SIGTERM or
    SIGINT stop after the action in progress.
    """
    from syncd import service

    tighten_or_exit(config)
    sys.exit(service.Service(config_path, config, interval).run())


_ISO_WEEK = re.compile(r"(\d{4})-W(\d{2})", re.IGNORECASE)


def _report_period(
    week: str | None, from_day: dt.datetime | None, to_day: dt.datetime | None,
    now: dt.datetime, zone: ZoneInfo,
) -> Period:
    """--week, or --from and --to, else the last complete ISO week before now."""
    from syncd.report import build as report_build

    if week is not None and (from_day or to_day):
        raise click.UsageError("give --week or --from/--to, not both")
    if week is not None:
        match = _ISO_WEEK.fullmatch(week.strip())
        try:
            if match is None:
                raise ValueError
            return report_build.iso_week(int(match.group(1)), int(match.group(2)), zone)
        except ValueError:
            raise click.BadParameter(f"not an ISO week like 2026-W47: {week!r}",
                                     param_hint="--week") from None
    if from_day is None and to_day is None:
        return report_build.last_complete_week(now, zone)
    if from_day is None or to_day is None:
        raise click.UsageError("--from and --to go together")
    if to_day < from_day:
        raise click.BadParameter("ends before --from", param_hint="--to")
    return report_build.day_span(from_day.date(), to_day.date(), zone)


def _say_delivery(outcome: Sent | Unsent, label: str) -> bool:
    """Tell the person what became of the emailed report; True when it was sent."""
    from syncd.report.deliver import Sent

    if isinstance(outcome, Sent):
        click.echo(f"report {label} sent to {', '.join(outcome.to)}")
        return True
    click.echo(f"syncd: report not sent: {outcome.why}", err=True)
    if outcome.save_error is not None:
        click.echo(f"syncd: cannot save it either ({outcome.save_error}); here it is:",
                   err=True)
        click.echo(outcome.text, nl=False)
    else:
        click.echo(f"syncd: saved to {' and '.join(map(str, outcome.saved))}", err=True)
    return False


@main.command(name="report")
@common
@click.option("--week", metavar="YYYY-Www",
              help="ISO week to report on (default: the last complete one before now).")
@click.option("--from", "from_day", type=click.DateTime(["%Y-%m-%d"]),
              help="First day of a span to report on instead of a week (with --to).")
@click.option("--to", "to_day", type=click.DateTime(["%Y-%m-%d"]),
              help="Last day of that span (with --from).")
@click.option("--format", "fmt", type=click.Choice((*REPORT_FORMATS, "pdf")),
              default="text", show_default=True,
              help="How to print or write the report (pdf: with --output, through Chromium).")
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the report to this file (mode 0600) instead of stdout.")
@click.option("--email", "send_email", is_flag=True,
              help="Send it (text and HTML) to report.email.to instead of printing it.")
@click.option("--now", "now_text", metavar="ISO", help="Pretend it is this moment.")
def report_command(config: Config, config_path: Path, week: str | None,
                   from_day: dt.datetime | None, to_day: dt.datetime | None, fmt: str,
                   output: Path | None, send_email: bool, now_text: str | None) -> None:
    """The skipped-meeting report: skips, overdue people, streaks, next week, roster health."""
    from syncd import reconcile as reconciling
    from syncd import suggest as suggesting
    from syncd.core.oneline import one_line
    from syncd.fsutil import atomic_write
    from syncd.report import browser as report_browser
    from syncd.report import build as report_build
    from syncd.report import deliver
    from syncd.report import render as report_render

    zone = ZoneInfo(config.roster.timezone)
    now = parse_now(now_text, config.roster.timezone)
    period = _report_period(week, from_day, to_day, now, zone)
    mail = config.report.email if config.report is not None else None
    if send_email and mail is None:
        raise click.UsageError("--email needs a report.email section in the config")
    if fmt == "pdf" and output is None:
        raise click.UsageError("--format pdf needs --output FILE")
    if fmt == "pdf" and report_browser.find() is None:
        click.echo(f"syncd: no PDF without Chromium: {report_browser.INSTALL_HINT}", err=True)
        sys.exit(EXIT_FAILED)
    state = readonly_state(config)
    try:
        seen = reconciling.observe_people(config, state, now, report_build.read_start(period),
                                          period.end)
        warnings = [f"{seen.failure}; reporting from stored history only"] if seen.failure \
            else []
        urls, agendas, stale = deliver.agenda_facts(config, state, seen,
                                                    state.memory().notes, now, warnings)
    finally:
        state.close()
    # No slot is offered from a partial view of the calendar.
    offers = {} if seen.failure else suggesting.first_slots(config, seen, now)
    report = report_build.build(seen.roster, seen.rows,
                                None if seen.failure else seen.observed, urls, agendas,
                                period, now, stale, offers)
    for warning in warnings:
        click.echo(f"warning: {one_line(warning)}", err=True)
    failed = bool(warnings)
    if output is not None:
        try:
            data = report_browser.pdf(report_render.render(report, "html")) if fmt == "pdf" \
                else report_render.render(report, fmt).encode("utf-8")
            atomic_write(output, data, 0o600, keep_mode=False)
        except report_browser.BrowserError as exc:
            click.echo(f"syncd: no PDF: {exc}", err=True)
            failed = True
        except OSError as exc:
            click.echo(f"syncd: cannot write {output}: {exc.strerror or exc}", err=True)
            failed = True
    elif not send_email:
        click.echo(report_render.render(report, fmt), nl=False)
    if mail is not None and send_email and not _say_delivery(
            deliver.send(config, mail, report, os.environ), report.period.label):
        failed = True
    sys.exit(EXIT_FAILED if failed else EXIT_OK)


@main.command(name="prep")
@common
@click.option("--date", "day_text", metavar="YYYY-MM-DD|today",
              help="The day to prepare (default: the day of the next 1:1).")
@click.option("--email", "send_email", is_flag=True,
              help="Mail it to report.email.to instead of printing it.")
@click.option("--now", "now_text", metavar="ISO", help="Pretend it is this moment.")
def prep_command(config: Config, config_path: Path, day_text: str | None,
                 send_email: bool, now_text: str | None) -> None:
    """A short brief of a day's 1:1s: who, when, notes, follow-ups, last outcome."""
    from syncd import reconcile as reconciling
    from syncd.core.oneline import one_line
    from syncd.report import deliver, prep

    zone = ZoneInfo(config.roster.timezone)
    now = parse_now(now_text, config.roster.timezone)
    when = _prep_day(day_text, now) if day_text else None
    mail = config.report.email if config.report is not None else None
    if send_email and mail is None:
        raise click.UsageError("--email needs a report.email section in the config")
    state = readonly_state(config)
    warnings: list[str] = []
    try:
        seen = reconciling.observe_people(config, state, now, now, now)
        if seen.failure:
            warnings.append(f"{seen.failure}; from stored history only")
        docs = deliver.notes_docs(config, state, warnings)
    finally:
        state.close()
    day = when or prep.day_of_next(seen.rows, now, zone)
    brief = prep.build(seen.roster, seen.rows, docs, day)
    for warning in warnings:
        click.echo(f"warning: {one_line(warning)}", err=True)
    if mail is None or not send_email:
        click.echo(prep.text(brief), nl=False)
        sys.exit(EXIT_FAILED if warnings else EXIT_OK)
    outcome = deliver.send_prep(config, mail, brief, now, os.environ)
    if isinstance(outcome, deliver.Sent):
        click.echo(f"prep for {day.isoformat()} sent to {', '.join(outcome.to)}")
        sys.exit(EXIT_FAILED if warnings else EXIT_OK)
    click.echo(f"syncd: prep not sent: {outcome.why}", err=True)
    click.echo(outcome.text, nl=False)
    sys.exit(EXIT_FAILED)


def _prep_day(text: str, now: dt.datetime) -> dt.date:
    """--date: a day, or "today" (in --now's zone)."""
    if text.strip().lower() == "today":
        return now.date()
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        raise click.BadParameter(f"not a day like 2026-12-01 or 'today': {text!r}",
                                 param_hint="--date") from None


@main.group()
def auth() -> None:
    """Sign syncd in to Google (OAuth token kept in the state directory, mode 0600)."""


@auth.command(name="login")
@common
@click.option("--no-browser", is_flag=True,
              help="Only print the URL (headless box: open it elsewhere, tunnel the port).")
@click.option("--port", type=click.IntRange(0, 65535), default=0, show_default=True,
              help="Local port for Google's redirect (0: any free port).")
def auth_login(config: Config, config_path: Path, no_browser: bool,
               port: int) -> None:
    """Run Google's sign-in flow and store the token, asking only for the scopes needed."""
    from syncd.config import resolve_state_dir
    from syncd.google import auth as google_auth

    state_dir = resolve_state_dir(config, os.environ)
    tighten_or_exit(config)
    try:
        path = google_auth.login(config, state_dir, open_browser=not no_browser, port=port)
    except google_auth.AuthError as exc:
        click.echo(f"syncd: {exc}", err=True)
        sys.exit(EXIT_FAILED)
    click.echo(f"signed in; token stored in {path} (mode 0600)")
