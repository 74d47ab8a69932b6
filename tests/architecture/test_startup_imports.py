"""A command imports what it needs when it runs: `import syncd.cli`, `syncd --help` and
`syncd validate` never load the Google client, the HTTP stack, the report templates or
iCalendar, and a run on a local calendar loads only iCalendar (each library costs a person
waiting at the prompt a fraction of a second, and the daemon its memory)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

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
