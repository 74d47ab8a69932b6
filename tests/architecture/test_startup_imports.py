"""A command imports what it needs when it runs: `import syncd.cli`, `syncd --help` and
`syncd validate` never load the Google client, the HTTP stack, the report templates or
iCalendar, and a run on a local calendar loads only iCalendar (each library costs a person
waiting at the prompt a fraction of a second, and the daemon its memory)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.workspace import NOW, Workspace

ROOT = Path(__file__).resolve().parents[2]
# The libraries a command that does not use them must not pay for.
HEAVY = ("googleapiclient", "google.auth", "google.oauth2", "google_auth_httplib2", "httplib2",
         "jinja2", "requests", "icalendar", "recurring_ical_events")

# Run in a fresh interpreter: this test process has imported everything already.
PROBE = """
import json, sys
heavy = {heavy!r}
def loaded():
    return sorted(h for h in heavy if any(m == h or m.startswith(h + ".") for m in sys.modules))
import syncd.cli
after_import = loaded()
from click.testing import CliRunner
runner = CliRunner()
helped = runner.invoke(syncd.cli.main, ["--help"])
after_help = loaded()
checked = runner.invoke(syncd.cli.main, ["validate", "--config", {config!r}])
after_validate = loaded()
planned = runner.invoke(syncd.cli.main, ["reconcile", "--dry-run", "--config", {config!r},
                                         "--now", "2026-10-01T09:00"])
print(json.dumps({{"import": after_import, "help": after_help, "validate": after_validate,
                  "local dry run": loaded(),
                  "codes": [helped.exit_code, checked.exit_code, planned.exit_code]}}))
"""


def probe(config: Path) -> dict[str, list[object]]:
    code = PROBE.format(heavy=HEAVY, config=str(config))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, cwd=ROOT).stdout
    result: dict[str, list[object]] = json.loads(out.splitlines()[-1])
    return result


def test_cli_help_and_validate_load_no_backend_or_report_library(tmp_path: Path) -> None:
    config = tmp_path / "config.yaml"
    config.write_text((ROOT / "config.example.yaml").read_text().replace(
        "examples/demo/", f"{ROOT}/examples/demo/").replace(
        f"{ROOT}/examples/demo/state", str(tmp_path / "state")))
    result = probe(config)
    assert result["codes"] == [0, 0, 0]
    assert result["import"] == []
    assert result["help"] == []
    assert result["validate"] == []
    # A local calendar is read with iCalendar; nothing of Google, HTTP or the report.
    assert result["local dry run"] == ["icalendar", "recurring_ical_events"]


def test_the_probe_sees_a_library_that_is_loaded(tmp_path: Path) -> None:
    # The same probe on a command that does load one: proves it can fail.
    code = PROBE.format(heavy=HEAVY, config=str(ROOT / "config.example.yaml")).replace(
        "import syncd.cli\n", "import syncd.cli, syncd.report.render\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, cwd=ROOT).stdout
    assert json.loads(out.splitlines()[-1])["import"] == ["jinja2"]


FEED_PROBE = """
import datetime as dt, json, sys
from pathlib import Path
from zoneinfo import ZoneInfo
from syncd.calendars.ics import FeedCache, ICSFeed
stored = Path({cache!r})
cache = FeedCache.from_json(stored.read_text()) if stored.exists() else None
feed = ICSFeed(url=None, path=Path({feed!r}), default_timezone="Europe/Berlin", people=[],
               owner_email="lea@example.com", cache=cache)
start = dt.datetime(2026, 11, 1, tzinfo=ZoneInfo("Europe/Berlin"))
series = feed.read(start, start + dt.timedelta(days=30))
stored.write_text(feed.cache_json())
print(json.dumps({{"series": len(series), "not_modified": feed.not_modified,
                  "loaded": sorted(m for m in ("requests", "urllib3", "recurring_ical_events")
                                   if m in sys.modules)}}))
"""


def test_a_feed_read_from_a_file_never_loads_the_http_stack(tmp_path: Path) -> None:
    """A file feed needs no HTTP client; unchanged, it needs no expansion either."""
    feed = tmp_path / "feed.ics"
    feed.write_bytes(b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\nBEGIN:VEVENT\r\n"
                     b"UID:away@example.com\r\nDTSTART;VALUE=DATE:20261105\r\n"
                     b"DTEND;VALUE=DATE:20261106\r\nSUMMARY:Away\r\n"
                     b"X-MICROSOFT-CDO-BUSYSTATUS:OOF\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")
    code = FEED_PROBE.format(cache=str(tmp_path / "cache.json"), feed=str(feed))
    runs = [json.loads(subprocess.run([sys.executable, "-c", code], capture_output=True,
                                      text=True, check=True, cwd=ROOT).stdout.splitlines()[-1])
            for _ in range(2)]
    assert runs[0] == {"series": 1, "not_modified": False, "loaded": ["recurring_ical_events"]}
    assert runs[1] == {"series": 1, "not_modified": True, "loaded": []}


STEADY_PROBE = """
import json, sys
from click.testing import CliRunner
import syncd.cli
run = CliRunner().invoke(syncd.cli.main, ["reconcile", "--json", "--config", {config!r},
                                          "--now", {now!r}])
print(json.dumps({{"code": run.exit_code, "actions": json.loads(run.output)["actions"],
                  "loaded": sorted(m for m in ("icalendar", "recurring_ical_events")
                                   if m in sys.modules)}}))
"""


def test_a_local_calendar_that_did_not_change_is_reconciled_without_icalendar(
        tmp_path: Path) -> None:
    """Its converted series come from state: parsing them needs no iCalendar, nor loading it."""
    demo = Workspace.demo(tmp_path)
    assert demo.syncd("reconcile").code == 0  # the files syncd writes, and the cache
    code = STEADY_PROBE.format(config=str(demo.config), now=NOW)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, cwd=ROOT).stdout
    assert json.loads(out.splitlines()[-1]) == {"code": 0, "actions": [], "loaded": []}
