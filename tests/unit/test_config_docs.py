"""docs/configuration.md's key tables say what the config schema says: every key the
file may hold is documented, nothing documented is missing from the schema, and each
table's Default column gives the schema's default (or says "required" when it is)."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from pydantic import BaseModel
from pydantic.fields import FieldInfo

from syncd.config import schema
from syncd.core.model import Cadence

DOC = Path(__file__).resolve().parents[2] / "docs" / "configuration.md"
HEADER = "| Key | Type | Default | Meaning |"

# Each documented table and the models it describes (a backend section: every kind).
TABLES: dict[str, tuple[type[BaseModel], ...]] = {
    "Top level": (schema.Config,),
    "`owner`": (schema.OwnerSection,),
    "`working_hours`": (schema.WorkingHours,),
    "`calendar`": schema.KINDS["calendar"],
    "`notes`": schema.KINDS["notes"],
    "`google`": (schema.GoogleSettings,),
    "`report.email`": (schema.EmailConfig,),
    "`holidays`": (schema.HolidaysSection,),
    "`out_of_office`": (schema.OutOfOfficeSection,),
    "`preferences`": (schema.PreferencesEntry,),
    "`rollout`": (schema.RolloutSection,),
    "`makeups`": (schema.MakeUpsSection,),
    "`defaults`": (schema.Defaults,),
    "People": (schema.PersonEntry,),
    "Matching events": (schema.MatchEntry,),
    "Slots": (schema.SlotEntry,),
    "Cadence phases": (schema.ThenEntry,),
    "Pauses": (schema.PauseEntry,),
}
# Defaults the code resolves outside the model (None there), as the table says them.
RESOLVED_LATER = {
    ("People", "cadence"): "`defaults.cadence`",
    ("People", "slot"): "`defaults.slot`, else `auto`",
    ("People", "duration"): "`defaults.duration`",
    ("Slots", "week"): "`1`",
    ("`report.email`", "port"): "by `security`: 587, 465 or 25",
    ("`report.email`", "password"): "refused",
}


def tables() -> dict[str, dict[str, str]]:
    """Heading → {key: Default cell} for every Key/Type/Default/Meaning table."""
    found: dict[str, dict[str, str]] = {}
    heading = ""
    lines = DOC.read_text(encoding="utf-8").splitlines()
    for number, line in enumerate(lines):
        if line.startswith("#"):
            heading = line.lstrip("#").strip()
        elif line.strip() == HEADER:
            rows = {}
            for row in lines[number + 2:]:
                if not row.startswith("|"):
                    break
                cells = [c.strip() for c in row.strip("|").split("|")]
                rows[cells[0].strip("`")] = cells[2]
            found[heading] = rows
    return found


def keys(model: type[BaseModel]) -> dict[str, FieldInfo]:
    """The keys a file may use for `model`'s fields (aliases where they have one)."""
    return {info.alias or name: info for name, info in model.model_fields.items()}


def shown(value: object) -> str:
    """A default as the documentation writes it."""
    if isinstance(value, bool):
        return "`true`" if value else "`false`"
    if isinstance(value, dt.time):
        return f'`"{value:%H:%M}"`'
    if isinstance(value, dt.timedelta) and not value % dt.timedelta(days=1):
        return f"`{value.days}d`"
    if isinstance(value, dt.timedelta):
        return f"`{value // dt.timedelta(minutes=1)}m`"
    if isinstance(value, Cadence):
        return f"`{value.text}`"
    if isinstance(value, float) and value.is_integer():
        return f"`{int(value)}`"
    return f"`{value}`"


def test_every_table_is_there() -> None:
    assert set(tables()) >= set(TABLES)


@pytest.mark.parametrize("heading", list(TABLES))
def test_a_table_lists_exactly_the_schemas_keys(heading: str) -> None:
    documented = set(tables()[heading])
    declared = {key for model in TABLES[heading] for key in keys(model)}
    assert documented == declared


@pytest.mark.parametrize("heading", list(TABLES))
def test_a_tables_defaults_are_the_schemas(heading: str) -> None:
    rows = tables()[heading]
    for model in TABLES[heading]:
        kind = model.kind_name() if issubclass(model, schema.Backend) else None
        for key, info in keys(model).items():
            cell = rows[key]
            if key == "kind":
                continue
            if (heading, key) in RESOLVED_LATER:
                assert cell == RESOLVED_LATER[heading, key]
            elif info.is_required():
                wanted = f"required for `{kind}`" if kind else "required"
                assert cell.startswith("required") and (
                    kind is None or wanted in cell), (heading, key, cell)
            else:
                default = info.get_default(call_default_factory=True)
                claimed = f"required for `{kind}`" in cell if kind else cell.startswith(
                    "required")
                assert not claimed, (heading, key, cell)
                if default is not None and not isinstance(default, BaseModel):
                    assert shown(default) in cell, (heading, key, cell, default)


@pytest.mark.parametrize("section", list(schema.KINDS))
def test_every_backend_kind_is_explained(section: str) -> None:
    cell = _kind_row(section)
    for model in schema.KINDS[section]:
        assert f"`{model.kind_name()}`:" in cell, model.kind_name()


def _kind_row(section: str) -> str:
    text = DOC.read_text(encoding="utf-8")
    part = text.split(f"### `{section}`", 1)[1]
    return next(line for line in part.splitlines() if line.startswith("| `kind` |"))


def test_the_check_catches_an_undocumented_key() -> None:
    class Extra(schema.OwnerSection):
        phone: str | None = None

    assert set(tables()["`owner`"]) != set(keys(Extra))


def test_resolved_defaults_are_none_in_the_schema() -> None:
    models = dict(TABLES)
    for heading, key in RESOLVED_LATER:
        (model,) = models[heading]
        info = keys(model)[key]
        assert info.get_default() is None, (heading, key)
        assert not re.search(r"\brequired\b", tables()[heading][key])
