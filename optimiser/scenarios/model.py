"""What a scenario is: overrides of a case's inputs, swept parameters, named scenarios and a parsed parameter file."""

from __future__ import annotations

import functools
import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..schema import SETTINGS, TABLE_BY_NAME

#: operations on table cells and settings; ``file`` replaces a whole table

CELL_OPERATIONS = ("set", "scale", "add")
OPERATIONS = CELL_OPERATIONS + ("file",)
#: keys an override entry may have (documentation keys are ignored)
ENTRY_KEYS = {"table", "where", "column", "setting", *OPERATIONS}
DOC_KEYS = {"note", "notes", "comment", "description"}
PARAMETER_KEYS = {"table", "where", "column", "setting", "operation", "base", "targets", "label", "unit", *DOC_KEYS}
TARGET_KEYS = {"table", "where", "column", "setting", *DOC_KEYS}
FILE_KEYS = {"case", "output", "include_base", "solver", "parameters", "scenarios", "sweeps", "slurm", "dask", *DOC_KEYS}
SWEEP_KINDS = ("grid", "list", "one_at_a_time", "latin_hypercube")
SETTING_NAMES = [s.name for s in SETTINGS]
#: the name of the unchanged base case in a sweep (``include_base: true``)
BASE_NAME = "base"
SCENARIOS_FILE = "scenarios.yaml"  # looked up in the case folder for ``--scenario NAME`` without a file


class ScenarioError(ValueError):
    """A parameter file, a scenario or an override is invalid; ``problems`` lists every problem found."""

    def __init__(self, problems: list[str], source: str | Path = "", keys: list[str] | None = None):
        self.problems = list(problems)
        self.source = str(source)
        #: for grouping the same problem across scenarios (see check_scenarios): one key per problem
        self.keys = list(keys) if keys is not None else None
        super().__init__(self.report())

    def report(self) -> str:
        head = f"{len(self.problems)} error(s) in scenarios" + (f" of {self.source}" if self.source else "") + ":"
        return "\n".join([head] + [f"  - {problem}" for problem in self.problems])


# --------------------------------------------------------------------------- data model


@dataclass(frozen=True)
class Override:
    """One change to the inputs.

    Exactly one of ``table`` and ``setting`` is given. ``where`` is a tuple of (column, value) pairs where the value
    is a scalar or a tuple of scalars (any of them); ``None`` matches a blank cell.
    """

    operation: str  # set | scale | add | file
    value: object
    table: str | None = None
    column: str | None = None
    where: tuple = ()
    setting: str | None = None  # a setting name, or a dotted path into a mapping setting (solver.threads)
    #: where the override comes from, for messages: "entry 2" or "entry 1 (parameter 'x', target 1)"
    source: str = ""
    #: folder that a relative ``file`` path is relative to
    base_dir: str = ""

    def canonical(self) -> dict:
        """A JSON-able form that does not depend on how the override was written (for ids)."""
        out = {"op": self.operation, "value": _canonical_value(self.value)}
        if self.setting is not None:
            out["setting"] = self.setting
        else:
            out["table"] = self.table
            if self.column is not None:
                out["column"] = self.column
            if self.where:
                out["where"] = {k: _canonical_value(v) for k, v in sorted(self.where)}
        return out

    def describe(self) -> str:
        if self.setting is not None:
            return f"setting {self.setting} {self.operation} {_format(self.value)}"
        if self.operation == "file":
            return f"table {self.table} from {self.value}"
        where = ", ".join(f"{k}={_format(v)}" for k, v in self.where)
        return f"{self.table}[{where or 'all rows'}].{self.column} {self.operation} {_format(self.value)}"

    def file_path(self) -> Path:
        path = Path(str(self.value))
        return path if path.is_absolute() else Path(self.base_dir) / path


@dataclass
class Parameter:
    """A swept quantity: the value of a scenario goes to every target with one operation."""

    name: str
    operation: str
    targets: list[dict]
    base: object = None
    label: str = ""
    unit: str = ""

    def overrides(self, value, base_dir: str, entry: int = 1) -> list[Override]:
        out = []
        for number, target in enumerate(self.targets, start=1):
            source = f"entry {entry} (parameter '{self.name}'" + (f", target {number})" if len(self.targets) > 1 else ")")
            out.append(
                Override(
                    operation=self.operation,
                    value=value,
                    table=target.get("table"),
                    column=target.get("column"),
                    where=_where_tuple(target.get("where")),
                    setting=target.get("setting"),
                    source=source,
                    base_dir=base_dir,
                )
            )
        return out


@dataclass
class Scenario:
    """One scenario of a parameter file: a readable name, a stable short id and its overrides."""

    name: str
    overrides: list[Override]
    parameters: dict = field(default_factory=dict)  # parameter name -> value (sweeps and named scenarios)
    kind: str = "named"  # base | named | grid | list | one_at_a_time | latin_hypercube
    index: int = 0
    description: str = ""

    @functools.cached_property
    def id(self) -> str:
        return scenario_id(self.overrides)

    def canonical(self) -> list[dict]:
        return [o.canonical() for o in self.overrides]


def scenario_id(overrides: list[Override]) -> str:
    """Ten hex digits of a SHA-1 over the overrides in canonical form (same changes = same id)."""
    text = json.dumps([o.canonical() for o in overrides], sort_keys=True, separators=(",", ":"))
    return hashlib.sha1(text.encode()).hexdigest()[:10]


@dataclass
class SweepFile:
    """A parsed parameter file with its scenarios expanded (in file order, duplicates removed)."""

    path: Path
    case_path: Path
    output: Path | None
    solver: dict
    slurm: dict
    dask: dict
    parameters: dict[str, Parameter]
    scenarios: list[Scenario]
    #: notes from the expansion (duplicates dropped, renamed scenarios)
    notes: list[str] = field(default_factory=list)

    def scenario(self, key) -> Scenario:
        """A scenario by name, id or index."""
        if isinstance(key, int) or (isinstance(key, str) and key.isdigit() and int(key) < len(self.scenarios)):
            return self.scenarios[int(key)]
        for scenario in self.scenarios:
            if key in (scenario.name, scenario.id):
                return scenario
        names = ", ".join(s.name for s in self.scenarios[:20]) + (" ..." if len(self.scenarios) > 20 else "")
        raise ScenarioError([f"{self.path}: no scenario named '{key}' (scenarios: {names})"], self.path)

    def default_output(self) -> Path:
        return self.output if self.output is not None else Path("results") / "sweeps" / self.path.stem

    def parameter_names(self) -> list[str]:
        """Parameters that some scenario sets, in definition order."""
        used = {p for s in self.scenarios for p in s.parameters}
        return [p for p in self.parameters if p in used] + sorted(used - set(self.parameters))

    def parameter_value(self, scenario: Scenario, name: str):
        """The value of a parameter in a scenario: as set, else the parameter's base value (None = unknown)."""
        if name in scenario.parameters:
            return scenario.parameters[name]
        parameter = self.parameters.get(name)
        return parameter.base if parameter is not None else None


# --------------------------------------------------------------------------- small helpers


def _canonical_value(value):
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, (int, float, np.integer, np.floating)):
        return float(value)
    if isinstance(value, (list, tuple)):
        return [_canonical_value(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _canonical_value(v) for k, v in sorted(value.items())}
    return str(value)


def _format(value) -> str:
    """A short readable form of a value for scenario names: 0.7, 500, 1e-05, demand_high (file stem)."""
    if isinstance(value, bool):
        return str(value).lower()
    if value is None:
        return "blank"
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, (float, np.floating)):
        value = float(value)
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return repr(value)
    if isinstance(value, (list, tuple)):
        return "|".join(_format(v) for v in value)
    if isinstance(value, dict):
        return ",".join(f"{k}:{_format(v)}" for k, v in value.items())
    text = str(value)
    if text.endswith((".csv", ".csv.gz")):
        return Path(text).name.split(".")[0]
    return text


def _is_number(value) -> bool:
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, (bool, np.bool_))


def _where_tuple(where) -> tuple:
    if not where:
        return ()
    return tuple((str(k), tuple(v) if isinstance(v, list) else v) for k, v in where.items())


def _plain(value):
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    if isinstance(value, np.bool_):
        return bool(value)
    return value


# --------------------------------------------------------------------------- parsing


def parse_override(entry, *, label: str, base_dir: str | Path = ".", problems: list[str]) -> Override | None:
    """Parse one override entry (a mapping); append problems (prefixed with ``label``) and return None if invalid."""
    if isinstance(entry, Override):
        return entry
    if not isinstance(entry, dict):
        problems.append(f"{label}: expected a mapping such as {{table: T, where: {{...}}, column: C, scale: 0.7}}, got {entry!r}")
        return None
    unknown = sorted(set(entry) - ENTRY_KEYS - DOC_KEYS)
    operations = [k for k in OPERATIONS if k in entry]
    before = len(problems)
    if unknown:
        problems.append(
            f"{label}: unknown key(s) {', '.join(repr(k) for k in unknown)}; an override has table/where/column or setting, "
            f"and one operation of {', '.join(OPERATIONS)}"
        )
    if len(operations) != 1:
        problems.append(f"{label}: expected exactly one operation of {', '.join(OPERATIONS)}, got {operations or 'none'}")
    if ("table" in entry) == ("setting" in entry):
        problems.append(f"{label}: expected exactly one of 'table' or 'setting'")
    if len(problems) > before:
        return None
    operation = operations[0]
    override = Override(
        operation=operation,
        value=entry[operation],
        table=entry.get("table"),
        column=entry.get("column"),
        where=_where_tuple(entry.get("where")) if isinstance(entry.get("where"), (dict, type(None))) else entry.get("where"),
        setting=entry.get("setting"),
        base_dir=str(base_dir),
    )
    _check_override_shape(override, label, problems)
    return override if len(problems) == before else None


def _check_override_shape(override: Override, label: str, problems: list[str]) -> None:
    """Checks that need no case: known table, column, setting, operation and value type."""
    op, value = override.operation, override.value
    if op not in OPERATIONS:
        problems.append(f"{label}: unknown operation '{op}'; expected one of {', '.join(OPERATIONS)}")
        return
    if override.setting is not None:
        root = str(override.setting).split(".")[0]
        if root not in SETTING_NAMES:
            problems.append(f"{label}: unknown setting '{override.setting}'; known settings: {', '.join(SETTING_NAMES)}")
        if root in ("name", "base_case"):
            problems.append(f"{label}: the setting '{root}' cannot be changed by a scenario")
        if op == "file":
            problems.append(f"{label}: operation 'file' replaces a table, not a setting")
        elif op in ("scale", "add") and not _is_number(value):
            problems.append(f"{label}: operation '{op}' needs a number, got {value!r}")
        return
    table = TABLE_BY_NAME.get(str(override.table))
    if table is None:
        problems.append(f"{label}: unknown table '{override.table}'; known tables: {', '.join(TABLE_BY_NAME)}")
        return
    columns = [c.name for c in table.columns]
    if op == "file":
        if override.column is not None or override.where:
            problems.append(f"{label}: operation 'file' replaces the whole table {table.name}; give no column or where")
        if not isinstance(value, str) or not value:
            problems.append(f"{label}: operation 'file' needs a CSV file path, got {value!r}")
        elif not override.file_path().is_file():
            problems.append(f"{label}: file '{value}' for table {table.name} not found (looked for {override.file_path()})")
        return
    if override.where is not None and not isinstance(override.where, tuple):
        problems.append(f"{label}: 'where' must be a mapping of column: value(s), got {override.where!r}")
        return
    if override.column is None:
        problems.append(f"{label}: operation '{op}' on table {table.name} needs a 'column' (one of {', '.join(columns)})")
    elif override.column not in columns:
        problems.append(f"{label}: unknown column '{override.column}' in table {table.name}; columns: {', '.join(columns)}")
    else:
        kind = table.column(override.column).kind
        if op in ("scale", "add"):
            if kind not in ("int", "float"):
                problems.append(f"{label}: operation '{op}' needs a numeric column; '{override.column}' of {table.name} is {kind}")
            if not _is_number(value):
                problems.append(f"{label}: operation '{op}' needs a number, got {value!r}")
        elif isinstance(value, (dict, list)):
            problems.append(f"{label}: operation 'set' on a table cell needs a single value, got {value!r}")
    for key, _ in override.where:
        if key not in columns:
            problems.append(f"{label}: unknown column '{key}' in 'where' of table {table.name}; columns: {', '.join(columns)}")


