"""The `syncd` command: a thin layer that parses arguments, calls the core and exits once."""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

import click

from syncd import reconcile as reconciling
from syncd import show, status
from syncd.config import Config, ConfigError, load_config, resolve_state_dir
from syncd.export import export_calendar
from syncd.fsutil import atomic_write
from syncd.redact import install_redactor
from syncd.state import State, StateError

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


def common(func: F) -> F:
    """Options every command accepts."""
    func = click.option("--config", "config_path", default=default_config, show_default=
                        "$SYNCD_CONFIG or ~/.config/syncd/config.yaml",
                        type=click.Path(dir_okay=False, path_type=Path),
                        help="Roster and settings (YAML).")(func)
    return click.option("--log-level", type=click.Choice(LEVELS), default="warning",
                        help="How much to log to stderr.")(func)


def setup_logging(level: str) -> None:
    """Log lines to stderr; journald adds its own timestamps."""
    fmt = "%(levelname)s %(name)s: %(message)s" if "JOURNAL_STREAM" in os.environ \
        else "%(asctime)s %(levelname)s %(name)s: %(message)s"
    logging.basicConfig(level=level.upper(), format=fmt, stream=sys.stderr, force=True)


def load_or_exit(path: Path) -> Config:
    """The validated config, or every problem on stderr and exit 2."""
    try:
        config = load_config(path)
    except ConfigError as exc:
        for problem in exc.problems:
            click.echo(problem, err=True)
        sys.exit(reconciling.EXIT_USAGE)
    if config.calendar.url:
        # A private feed URL carries a secret: no log line may show it.
        install_redactor().add(config.calendar.url)
    return config


def readonly_state(config: Config) -> State:
    """The state as a read-only snapshot (never creates or changes a file)."""
    return State.open_readonly(resolve_state_dir(config, os.environ))


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


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="syncd")
def main() -> None:
    """Keep recurring 1:1s, private notes and a skipped-meeting report in step with a roster."""


@main.command()
@common
def validate(config_path: Path, log_level: str) -> None:
    """Check the config; print every problem as FILE:LINE: FIELD: message (exit 2)."""
    setup_logging(log_level)
    config = load_or_exit(config_path)
    people = config.roster.people
    click.echo(f"{config_path}: ok ({len(people)} people, "
               f"{sum(p.active for p in people)} active)")


@main.command()
@common
@click.option("--dry-run", is_flag=True, help="Print the plan, write nothing.")
@click.option("--json", "as_json", is_flag=True, help="Print the plan as JSON.")
@click.option("--force", is_flag=True, help="Apply a plan over the safety limit.")
@click.option("--now", "now_text", metavar="ISO", help="Pretend it is this moment.")
def reconcile(config_path: Path, log_level: str, dry_run: bool, as_json: bool, force: bool,
              now_text: str | None) -> None:
    """Bring the calendar and notes in line with the roster."""
    setup_logging(log_level)
    config = load_or_exit(config_path)
    now = parse_now(now_text, config.roster.timezone)
    state_dir = resolve_state_dir(config, os.environ)
    try:
        state = State.open_readonly(state_dir) if dry_run else State.open(state_dir)
    except (StateError, OSError) as exc:
        click.echo(f"syncd: state in {state_dir}: {exc}", err=True)
        sys.exit(reconciling.EXIT_FAILED)
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
def audit_log(config_path: Path, log_level: str, limit: int | None, as_json: bool) -> None:
    """Every write syncd made: when, what, for whom, which event or document."""
    setup_logging(log_level)
    config = load_or_exit(config_path)
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
def status_command(config_path: Path, log_level: str, from_day: dt.datetime | None,
                   to_day: dt.datetime | None, as_json: bool, now_text: str | None) -> None:
    """Per person: last held 1:1, next one, skips in 90 days, overdue; every occurrence."""
    setup_logging(log_level)
    config = load_or_exit(config_path)
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
    people = [status.person_status(p, seen.rows[p.email], start, end, now)
              for p in config.roster.people if p.active]
    if failure:
        click.echo(f"warning: {failure}; showing stored history only", err=True)
    if as_json:
        click.echo(json.dumps(status.status_json(people, zone), indent=2))
    else:
        click.echo("\n".join(status.status_lines(people, zone)))
    sys.exit(reconciling.EXIT_FAILED if failure else reconciling.EXIT_OK)


@main.command(name="export")
@common
@click.option("--output", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="The .ics file to write.")
@click.option("--now", "now_text", metavar="ISO", help="Pretend it is this moment.")
def export_command(config_path: Path, log_level: str, output: Path,
                   now_text: str | None) -> None:
    """Write the roster's 1:1 series (with notes links) as a calendar to import or subscribe to."""
    setup_logging(log_level)
    config = load_or_exit(config_path)
    now = parse_now(now_text, config.roster.timezone)
    state = readonly_state(config)
    try:
        memory = state.memory()
    finally:
        state.close()
    urls = {doc.person: doc.url for doc in memory.notes}
    atomic_write(output, export_calendar(config.roster, memory, urls, now), 0o644)
    click.echo(f"{output}: {sum(p.active for p in config.roster.people)} series")
