"""Scenarios: named sets of changes (*overrides*) to an input case, and parameter files that define them.

A parameter file (YAML) names a base case and its scenarios; see ``docs/scenarios.md``::

    case: example                       # base case folder, relative to this file
    parameters:                         # swept quantities: where a value goes and how it is applied
      solar_capex: {table: technology_periods, where: {technology: solar}, column: capex_CNY_per_kW, operation: scale, base: 1}
      discount: {setting: discount_rate, operation: set, base: 0.05}
    scenarios:                          # named scenarios: lists of overrides
      cheap_solar:
        - {table: technology_periods, where: {technology: solar}, column: capex_CNY_per_kW, scale: 0.7}
    sweeps:                             # generated scenarios
      - grid: {solar_capex: [0.7, 1.0], discount: [0.03, 0.05]}

An *override* changes one input: ``set``, ``scale`` or ``add`` on the cells of a table column selected by
``where``, replaces a whole table by another CSV file (``file``), or changes a setting. Overrides are applied to
a loaded :class:`~optimiser.inputs.Case` and the result is validated with the loader's own checks (value ranges,
references, consistency), so an override that matches no row, names an unknown table, column or setting, or
produces a negative cost is reported before anything is solved, naming the parameter file, the scenario and the
entry.

Every scenario has a readable ``name`` (``solar_capex=0.7__discount=0.03``) and a short stable ``id`` (a hash of
its overrides), which the sweep machinery (:mod:`optimiser.sweep`) uses for file names.

Python::

    case = optimiser.load_case("inputs/example")
    cheap = apply_scenario(case, "inputs/example_sweep.yaml:cheap_solar")     # a validated Case
    cheap = apply_scenario(case, [{"setting": "discount_rate", "set": 0.03}])
    results, path = run_scenario("inputs/example", "inputs/example_sweep.yaml:cheap_solar")
"""

from __future__ import annotations

import copy
import dataclasses
import functools
import hashlib
import io
import itertools
import json
import math
import os
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from .atomic import atomic_write_text
from . import inputs as _inputs
from .inputs import Case, InputError, InputIssue, load_case
from .schema import SETTINGS, TABLE_BY_NAME

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


def _parse_parameter(name: str, spec, base_dir: str, label: str, problems: list[str]) -> Parameter | None:
    if not isinstance(spec, dict):
        problems.append(f"{label}: expected a mapping with table/where/column (or setting) and operation, got {spec!r}")
        return None
    before = len(problems)
    unknown = sorted(set(spec) - PARAMETER_KEYS)
    if unknown:
        problems.append(f"{label}: unknown key(s) {', '.join(repr(k) for k in unknown)}; allowed: {', '.join(sorted(PARAMETER_KEYS - DOC_KEYS))}")
    operation = spec.get("operation")
    if operation not in OPERATIONS:
        problems.append(f"{label}: 'operation' must be one of {', '.join(OPERATIONS)}, got {operation!r}")
        return None
    if "targets" in spec:
        if any(k in spec for k in ("table", "where", "column", "setting")):
            problems.append(f"{label}: give either 'targets' or table/where/column/setting, not both")
        targets = spec["targets"]
        if not isinstance(targets, list) or not targets:
            problems.append(f"{label}: 'targets' must be a non-empty list of {{table, where, column}} or {{setting}}")
            return None
    else:
        targets = [{k: spec[k] for k in ("table", "where", "column", "setting") if k in spec}]
    checked = []
    for number, target in enumerate(targets, start=1):
        where = f"{label}" + (f", target {number}" if len(targets) > 1 else "")
        if not isinstance(target, dict):
            problems.append(f"{where}: expected a mapping, got {target!r}")
            continue
        unknown = sorted(set(target) - TARGET_KEYS)
        if unknown:
            problems.append(f"{where}: unknown key(s) {', '.join(repr(k) for k in unknown)}")
            continue
        if ("table" in target) == ("setting" in target):
            problems.append(f"{where}: expected exactly one of 'table' or 'setting'")
            continue
        if target.get("where") is not None and not isinstance(target.get("where"), dict):
            problems.append(f"{where}: 'where' must be a mapping of column: value(s)")
            continue
        # check with a placeholder value of the right kind
        probe = Override(
            operation=operation,
            value="placeholder.csv" if operation == "file" else 1.0,
            table=target.get("table"),
            column=target.get("column"),
            where=_where_tuple(target.get("where")),
            setting=target.get("setting"),
            base_dir=base_dir,
        )
        if operation == "file":
            probe_problems: list[str] = []
            _check_override_shape(probe, where, probe_problems)
            problems.extend(p for p in probe_problems if "not found" not in p)
        else:
            _check_override_shape(probe, where, problems)
        checked.append(dict(target))
    if len(problems) > before:
        return None
    return Parameter(name, operation, checked, spec.get("base"), str(spec.get("label", "")), str(spec.get("unit", "")))


def _parameter_overrides(values: dict, parameters: dict, base_dir: str, label: str, problems: list[str], first_entry: int = 1) -> list[Override]:
    """Overrides for a mapping of parameter -> value, with the value checked against the operation."""
    out: list[Override] = []
    entry = first_entry
    for name, value in values.items():
        parameter = parameters.get(name)
        if parameter is None:
            problems.append(f"{label}: unknown parameter '{name}'; defined parameters: {', '.join(parameters) or '(none)'}")
            continue
        overrides = parameter.overrides(value, base_dir, entry)
        for override in overrides:
            _check_override_shape(override, f"{label}, {override.source}", problems)
        out.extend(overrides)
        entry += 1
    return out


def load_sweep_file(path: str | Path) -> SweepFile:
    """Read a parameter file and expand its scenarios; raise :class:`ScenarioError` listing every problem.

    Only the file itself is checked here (syntax, known tables, columns, settings, operations, value types);
    :func:`check_scenarios` checks the scenarios against the base case.
    """
    path = Path(path)
    problems: list[str] = []
    if not path.is_file():
        raise ScenarioError([f"{path}: no such parameter file"], path)
    try:
        data = yaml.safe_load(path.read_text()) or {}
    except yaml.YAMLError as error:
        raise ScenarioError([f"{path}: not valid YAML: {error}"], path) from None
    if not isinstance(data, dict):
        raise ScenarioError([f"{path}: expected a mapping with case, parameters, scenarios and sweeps"], path)
    base_dir = str(path.resolve().parent)
    unknown = sorted(set(data) - FILE_KEYS)
    if unknown:
        problems.append(f"{path}: unknown key(s) {', '.join(repr(k) for k in unknown)}; allowed: {', '.join(sorted(FILE_KEYS - DOC_KEYS))}")
    case = data.get("case")
    if not case:
        problems.append(f"{path}: 'case' (the base case folder, relative to this file) is required")
        case_path = Path(base_dir)
    else:
        case_path = (Path(base_dir) / str(case)).resolve()
        if not case_path.is_dir():
            problems.append(f"{path}: case folder '{case}' not found (looked for {case_path})")
    output = data.get("output")
    output_path = (Path(base_dir) / str(output)).resolve() if output else None
    for key in ("solver", "slurm", "dask"):
        if data.get(key) is not None and not isinstance(data.get(key), dict):
            problems.append(f"{path}: '{key}' must be a mapping")

    parameters: dict[str, Parameter] = {}
    raw_parameters = data.get("parameters") or {}
    if not isinstance(raw_parameters, dict):
        problems.append(f"{path}: 'parameters' must be a mapping of name: definition")
        raw_parameters = {}
    for name, spec in raw_parameters.items():
        parameter = _parse_parameter(str(name), spec, base_dir, f"{path}: parameter '{name}'", problems)
        if parameter is not None:
            parameters[str(name)] = parameter

    scenarios: list[Scenario] = []
    if data.get("include_base"):
        scenarios.append(Scenario(BASE_NAME, [], {}, "base"))

    raw_named = data.get("scenarios") or {}
    if not isinstance(raw_named, dict):
        problems.append(f"{path}: 'scenarios' must be a mapping of name: list of overrides")
        raw_named = {}
    for name, spec in raw_named.items():
        label = f"{path}: scenario '{name}'"
        description = ""
        values: dict = {}
        entries = spec
        if isinstance(spec, dict):
            unknown = sorted(set(spec) - {"overrides", "parameters", *DOC_KEYS})
            if unknown:
                problems.append(f"{label}: unknown key(s) {', '.join(repr(k) for k in unknown)}; a named scenario is a list of overrides "
                                "or a mapping with 'overrides' and/or 'parameters'")
                continue
            entries = spec.get("overrides") or []
            values = spec.get("parameters") or {}
            description = str(spec.get("description", ""))
            if not isinstance(values, dict):
                problems.append(f"{label}: 'parameters' must be a mapping of parameter: value")
                continue
        if not isinstance(entries, list):
            problems.append(f"{label}: expected a list of overrides")
            continue
        overrides = _parameter_overrides(values, parameters, base_dir, label, problems)
        for number, entry in enumerate(entries, start=len(values) + 1):
            override = parse_override(entry, label=f"{label}, entry {number}", base_dir=base_dir, problems=problems)
            if override is not None:
                overrides.append(dataclasses.replace(override, source=f"entry {number}"))
        scenarios.append(Scenario(str(name), overrides, dict(values), "named", description=description))

    raw_sweeps = data.get("sweeps") or []
    if not isinstance(raw_sweeps, list):
        problems.append(f"{path}: 'sweeps' must be a list of {{grid: ...}}, {{list: ...}}, {{one_at_a_time: ...}} or {{latin_hypercube: ...}}")
        raw_sweeps = []
    for number, block in enumerate(raw_sweeps, start=1):
        scenarios.extend(_expand_sweep(block, parameters, base_dir, f"{path}: sweep {number}", problems))

    if problems:
        raise ScenarioError(problems, path)
    notes: list[str] = []
    unique: list[Scenario] = []
    seen_ids: dict[str, str] = {}
    seen_names: set[str] = set()
    for scenario in scenarios:
        if scenario.id in seen_ids:
            notes.append(f"scenario '{scenario.name}' has the same overrides as '{seen_ids[scenario.id]}' (id {scenario.id}); kept once")
            continue
        if scenario.name in seen_names:
            renamed = f"{scenario.name}__{scenario.id}"
            notes.append(f"scenario name '{scenario.name}' is used twice with different overrides; the second is called '{renamed}'")
            scenario.name = renamed
        seen_ids[scenario.id] = scenario.name
        seen_names.add(scenario.name)
        scenario.index = len(unique)
        unique.append(scenario)
    return SweepFile(
        path=path,
        case_path=case_path,
        output=output_path,
        solver=dict(data.get("solver") or {}),
        slurm=dict(data.get("slurm") or {}),
        dask=dict(data.get("dask") or {}),
        parameters=parameters,
        scenarios=unique,
        notes=notes,
    )


def _sweep_name(values: dict) -> str:
    return "__".join(f"{name}={_format(value)}" for name, value in values.items())


def _expand_sweep(block, parameters: dict, base_dir: str, label: str, problems: list[str]) -> list[Scenario]:
    if not isinstance(block, dict) or len(set(block) & set(SWEEP_KINDS)) != 1 or set(block) - set(SWEEP_KINDS) - DOC_KEYS:
        problems.append(f"{label}: expected a mapping with exactly one of {', '.join(SWEEP_KINDS)}, got {block!r}")
        return []
    kind = next(k for k in SWEEP_KINDS if k in block)
    spec = block[kind]
    label = f"{label} ({kind})"
    points: list[tuple[str | None, dict]] = []  # (explicit name, parameter values)
    if kind in ("grid", "one_at_a_time"):
        if not isinstance(spec, dict) or not spec:
            problems.append(f"{label}: expected a mapping of parameter: [values]")
            return []
        for name, values in spec.items():
            if not isinstance(values, list) or not values:
                problems.append(f"{label}: parameter '{name}' needs a non-empty list of values, got {values!r}")
                return []
        if kind == "grid":
            names = list(spec)
            points = [(None, dict(zip(names, combination))) for combination in itertools.product(*spec.values())]
        else:
            points = [(None, {name: value}) for name, values in spec.items() for value in values]
    elif kind == "list":
        if not isinstance(spec, list) or not spec:
            problems.append(f"{label}: expected a list of {{parameter: value, ...}} mappings (optionally with a 'name')")
            return []
        for item in spec:
            if not isinstance(item, dict) or not (set(item) - {"name"}):
                problems.append(f"{label}: expected a mapping of parameter: value, got {item!r}")
                return []
            values = {k: v for k, v in item.items() if k != "name"}
            points.append((str(item["name"]) if "name" in item else None, values))
    else:  # latin_hypercube
        points = _latin_hypercube(spec, label, problems)
    out = []
    for explicit, values in points:
        name = explicit or _sweep_name(values)
        before = len(problems)
        overrides = _parameter_overrides(values, parameters, base_dir, f"{label}, scenario '{name}'", problems)
        if len(problems) > before:
            # one report per bad parameter is enough
            break
        out.append(Scenario(name, overrides, dict(values), kind))
    return out


def _latin_hypercube(spec, label: str, problems: list[str]) -> list[tuple[None, dict]]:
    from scipy.stats import qmc

    if not isinstance(spec, dict) or set(spec) - {"samples", "seed", "parameters", "digits"}:
        problems.append(f"{label}: expected {{samples: N, seed: S, parameters: {{name: [low, high]}}, digits: 4}}")
        return []
    samples, seed, ranges, digits = spec.get("samples"), spec.get("seed"), spec.get("parameters"), spec.get("digits", 4)
    if not isinstance(samples, int) or isinstance(samples, bool) or samples < 1:
        problems.append(f"{label}: 'samples' must be an integer >= 1, got {samples!r}")
        return []
    if not isinstance(seed, int) or isinstance(seed, bool):
        problems.append(f"{label}: 'seed' must be an integer (the sample is reproducible only with a seed), got {seed!r}")
        return []
    if not isinstance(digits, int) or digits < 1:
        problems.append(f"{label}: 'digits' must be an integer >= 1, got {digits!r}")
        return []
    if not isinstance(ranges, dict) or not ranges:
        problems.append(f"{label}: 'parameters' must be a mapping of name: [low, high]")
        return []
    lows, highs = [], []
    for name, bounds in ranges.items():
        if not (isinstance(bounds, list) and len(bounds) == 2 and all(_is_number(b) for b in bounds) and bounds[0] < bounds[1]):
            problems.append(f"{label}: parameter '{name}' needs a range [low, high] with low < high, got {bounds!r}")
            return []
        lows.append(float(bounds[0]))
        highs.append(float(bounds[1]))
    try:
        sampler = qmc.LatinHypercube(d=len(ranges), rng=np.random.default_rng(seed))
    except TypeError:  # SciPy < 1.15
        sampler = qmc.LatinHypercube(d=len(ranges), seed=np.random.default_rng(seed))
    unit = sampler.random(samples)
    scaled = qmc.scale(unit, lows, highs)
    names = list(ranges)
    return [(None, {name: float(f"{row[j]:.{digits}g}") for j, name in enumerate(names)}) for row in scaled]


# --------------------------------------------------------------------------- applying overrides


def _key_description(table: str, frame: pd.DataFrame, row: int) -> str:
    if row is None or row not in frame.index:
        return ""
    parts = []
    for column in TABLE_BY_NAME[table].key:
        value = frame.loc[row, column]
        parts.append(f"{column}={'(blank)' if (value is None or (isinstance(value, float) and math.isnan(value)) or value == '') else _format(value)}")
    return "row " + ", ".join(parts)


def _issue_text(issue: InputIssue, tables: dict[str, pd.DataFrame]) -> str:
    name = issue.file.removesuffix(".csv")
    where = issue.file
    if name in tables and issue.row is not None:
        where += ", " + (_key_description(name, tables[name], issue.row - 2) or f"row {issue.row - 1}")
    elif issue.row is not None:
        where += f", line {issue.row}"
    if issue.column:
        where += f", column '{issue.column}'"
    value = issue.value
    if isinstance(value, str):
        try:
            value = float(value)
        except ValueError:
            pass
    value = "" if value is None else f": got {_format(value) if _is_number(value) else repr(value)}"
    return f"{where}{value}; expected {issue.expected}"


def _match(frame: pd.DataFrame, table: str, where: tuple) -> tuple[np.ndarray, list[str]]:
    """Rows of ``frame`` selected by ``where``; problems for values of the wrong kind."""
    mask = np.ones(len(frame), dtype=bool)
    problems = []
    schema = TABLE_BY_NAME[table]
    for column, wanted in where:
        values = frame[column]
        kind = schema.column(column).kind
        options = list(wanted) if isinstance(wanted, tuple) else [wanted]
        hit = np.zeros(len(frame), dtype=bool)
        for option in options:
            if option is None:
                hit |= (values.isna() | (values.astype(str) == "")).to_numpy()
            elif kind in ("int", "float"):
                if not _is_number(option):
                    problems.append(f"'where' value {option!r} for the numeric column '{column}' is not a number")
                    continue
                hit |= (values.astype(float) == float(option)).to_numpy()
            elif kind == "bool":
                hit |= (values == bool(option) if isinstance(option, bool) else values.astype(str).str.lower() == str(option).lower()).to_numpy()
            else:
                hit |= (values.astype(str) == str(option)).to_numpy()
        mask &= hit
    return mask, problems


def _apply_one(tables: dict, settings: dict, override: Override, touched: set[str], touched_settings: set[str], changed: dict) -> list[str]:
    """Apply an override in place (``tables`` holds copies); return problems (empty = applied)."""
    op, value = override.operation, override.value
    if override.setting is not None:
        parts = str(override.setting).split(".")
        holder = settings
        for part in parts[:-1]:
            current = holder.get(part)
            if current is None:
                holder[part] = current = {}
            if not isinstance(current, dict):
                return [f"setting '{part}' is {current!r}, not a mapping, so '{override.setting}' cannot be set"]
            holder = current
        key = parts[-1]
        old = holder.get(key)
        if op == "set":
            holder[key] = _plain(value)
        else:
            if not _is_number(old):
                return [f"setting '{override.setting}' is {old!r} in the case; operation '{op}' needs a number there (use set)"]
            holder[key] = float(old) * float(value) if op == "scale" else float(old) + float(value)
        touched_settings.add(parts[0])
        return []
    table = override.table
    schema = TABLE_BY_NAME[table]
    if op == "file":
        path = override.file_path()
        issues: list[InputIssue] = []
        frame = _inputs._read_table_at(path, schema, issues)
        if issues:
            return [str(dataclasses.replace(i, file=str(path))) for i in issues]
        tables[table] = frame.reset_index(drop=True)
        touched.add(table)
        changed.pop(table, None)  # the whole table is new: its columns are checked by the loader already
        return []
    frame = tables[table]
    mask, problems = _match(frame, table, override.where)
    if problems:
        return problems
    if not mask.any():
        where = ", ".join(f"{k}={_format(v)}" for k, v in override.where) or "(all rows)"
        hints = []
        for column, _ in override.where:
            known = sorted({_format(v) for v in frame[column].dropna().unique()}, key=str)
            hints.append(f"{column} in the table: {', '.join(known[:15])}{' ...' if len(known) > 15 else ''}")
        empty = " (the table is empty)" if frame.empty else ""
        return [f"where {where} matches no row of table {table}{empty}" + (f" ({'; '.join(hints)})" if hints and not frame.empty else "")]
    column = override.column
    kind = schema.column(column).kind
    series = frame[column]
    if op == "set":
        if kind in ("int", "float"):
            if value is not None and not _is_number(value):
                return [f"column '{column}' of {table} is numeric; cannot set it to {value!r}"]
            new = series.astype(float)
            new[mask] = np.nan if value is None else float(value)
        elif kind == "bool":
            new = series.astype(object)
            new[mask] = value
        else:
            new = series.astype(object)
            new[mask] = "" if value is None else str(value)
    else:
        new = series.astype(float)
        selected = new[mask]
        if selected.isna().all():
            return [f"operation '{op}' on column '{column}' of {table}: every matched cell is blank, so nothing would change (use set)"]
        new[mask] = selected * float(value) if op == "scale" else selected + float(value)
    frame = frame.copy()
    frame[column] = new
    tables[table] = frame
    touched.add(table)
    changed.setdefault(table, set()).add(column)
    return []


def _raw_strings(series: pd.Series) -> pd.Series:
    """Cells as the loader would read them from a CSV file (for re-running the column checks)."""

    def text(value):
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return ""
        if isinstance(value, (bool, np.bool_)):
            return "true" if value else "false"
        if isinstance(value, (float, np.floating)):
            return repr(float(value))
        return str(value)

    return pd.Series([text(v) for v in series], index=series.index, dtype=object)


def _validate(tables: dict, settings: dict, changed: dict, touched: set[str], touched_settings: set[str]) -> list[str]:
    """The loader's checks on the changed inputs: column types and ranges, keys, references, consistency, settings."""
    issues: list[InputIssue] = []
    for table, columns in changed.items():
        schema = TABLE_BY_NAME[table]
        frame = tables[table].copy()
        for name in sorted(columns):
            column = schema.column(name)
            before = len(issues)
            parsed = _inputs._parse_column(_raw_strings(frame[name]), column, schema.file, issues)
            if len(issues) == before:
                frame[name] = parsed
        tables[table] = frame
    for table in touched:
        frame = tables[table]
        key = list(TABLE_BY_NAME[table].key)
        for index in frame.index[frame.duplicated(subset=key, keep="first")]:
            issues.append(InputIssue(f"{table}.csv", int(index) + 2, ",".join(key), tuple(frame.loc[index, key]), "each key once (duplicated key)"))
    if touched_settings:
        with tempfile.TemporaryDirectory(prefix="optimiser-settings-") as folder:
            plain = {k: _plain(v) for k, v in settings.items() if k != "base_case"}
            (Path(folder) / _inputs.SETTINGS_FILE).write_text(yaml.safe_dump(plain, sort_keys=False))
            before = len(issues)
            checked = _inputs._load_settings([Path(folder)], issues)
            issues[before:] = [dataclasses.replace(issue, row=None) for issue in issues[before:]]  # lines of the temporary file
        for key in touched_settings:
            settings[key] = checked.get(key, settings.get(key))
    if not issues:
        _inputs._check_references(tables, issues)
    if not issues:
        _inputs._check_semantics(tables, settings, issues)
    return [_issue_text(issue, tables) for issue in issues]


def inputs_key(base_hash: str, overrides: list[Override]) -> str:
    """SHA-256 over the base case's input hash, the overrides and the bytes of any replacement tables: it changes
    whenever the inputs of the scenario change (used to tell whether a stored result is still current)."""
    digest = hashlib.sha256((base_hash + json.dumps([o.canonical() for o in overrides], sort_keys=True)).encode())
    for override in overrides:
        if override.operation == "file" and override.file_path().is_file():
            digest.update(override.file_path().read_bytes())
    return digest.hexdigest()


@dataclass
class AppliedScenario:
    """The result of applying a scenario: the new case and what changed (for writing a scenario case folder)."""

    case: Case
    tables: set[str]  # tables that differ from the base
    settings: set[str]  # top-level settings that differ from the base


def apply_overrides(case: Case, overrides: list[Override], *, scenario: str = "overrides", file: str | Path = "") -> AppliedScenario:
    """Apply overrides in order to a copy of ``case`` and validate the result; raise :class:`ScenarioError`."""
    tables = dict(case.tables)
    settings = copy.deepcopy(case.settings)
    touched: set[str] = set()
    touched_settings: set[str] = set()
    changed: dict[str, set[str]] = {}
    prefix = (f"{file}: " if file else "") + f"scenario '{scenario}'"
    problems, keys = [], []
    for number, override in enumerate(overrides, start=1):
        source = override.source or f"entry {number}"
        for problem in _apply_one(tables, settings, override, touched, touched_settings, changed):
            problems.append(f"{prefix}, {source} ({override.describe()}): {problem}")
            keys.append(f"{source}: {problem}")
    if problems:
        raise ScenarioError(problems, file or case.path, keys)
    invalid = _validate(tables, settings, changed, touched, touched_settings)
    if invalid:
        raise ScenarioError([f"{prefix}: the overrides give invalid inputs: {text}" for text in invalid], file or case.path, invalid)
    new = dataclasses.replace(
        case, settings=settings, tables={k: v.reset_index(drop=True) for k, v in tables.items()}, input_hash=inputs_key(case.input_hash, overrides)
    )
    return AppliedScenario(new, touched, touched_settings)


def check_scenarios(sweep: SweepFile, case: Case | None = None, scenarios: list[Scenario] | None = None) -> list[str]:
    """Apply every scenario to the base case and collect the problems (grouped when many scenarios share one)."""
    case = case if case is not None else load_case(sweep.case_path)
    grouped: dict[str, tuple[str, list[str]]] = {}
    for scenario in scenarios if scenarios is not None else sweep.scenarios:
        try:
            apply_overrides(case, scenario.overrides, scenario=scenario.name, file=sweep.path)
        except ScenarioError as error:
            for problem, key in zip(error.problems, error.keys or error.problems):
                grouped.setdefault(key, (problem, []))[1].append(scenario.name)
    out = []
    for text, names in grouped.values():
        if len(names) > 1:
            text += f" (also in {len(names) - 1} more scenario(s): {', '.join(names[1:4])}{' ...' if len(names) > 4 else ''})"
        out.append(text)
    return out


# --------------------------------------------------------------------------- scenarios by name, single runs


def resolve_scenario(spec, scenario_file: str | Path | None = None, case_path: str | Path | None = None) -> tuple[Scenario, SweepFile | None]:
    """A scenario from ``FILE:NAME``, ``NAME`` (+ ``scenario_file`` or ``CASE/scenarios.yaml``), a list of override
    mappings, a single override mapping, or a :class:`Scenario`. Names may be any expanded scenario's name or id."""
    if isinstance(spec, Scenario):
        return spec, None
    if isinstance(spec, dict) and "overrides" in spec and set(spec) <= {"name", "overrides"}:
        scenario, _ = resolve_scenario(list(spec["overrides"] or []))
        scenario.name = str(spec.get("name", "overrides"))
        return scenario, None
    if isinstance(spec, dict):
        spec = [spec]
    if isinstance(spec, (list, tuple)):
        problems: list[str] = []
        overrides = []
        for number, entry in enumerate(spec, start=1):
            override = parse_override(entry, label=f"override {number}", base_dir=os.getcwd(), problems=problems)
            if override is not None:
                overrides.append(dataclasses.replace(override, source=f"entry {number}"))
        if problems:
            raise ScenarioError(problems)
        return Scenario("overrides", overrides), None
    text = str(spec)
    file, name = None, text
    match = re.match(r"^(.+?\.ya?ml):(.+)$", text)
    if match:
        file, name = match.group(1), match.group(2)
    elif ":" in text and Path(text.split(":", 1)[0]).is_file():
        file, name = text.split(":", 1)
    if file is None:
        file = scenario_file
    if file is None and case_path is not None and (Path(case_path) / SCENARIOS_FILE).is_file():
        file = Path(case_path) / SCENARIOS_FILE
    if file is None:
        raise ScenarioError([f"scenario '{text}': give the parameter file as FILE:NAME (or --scenario-file FILE), or put it in the case "
                             f"folder as {SCENARIOS_FILE}"])
    sweep = load_sweep_file(file)
    return sweep.scenario(name), sweep


def apply_scenario(case: Case, scenario_name_or_overrides, scenario_file: str | Path | None = None) -> Case:
    """Return a validated copy of ``case`` with a scenario applied.

    ``scenario_name_or_overrides`` is ``"FILE.yaml:NAME"``, a ``NAME`` in ``scenario_file`` (or in the case folder's
    ``scenarios.yaml``), a list of override mappings such as ``[{"setting": "discount_rate", "set": 0.03}]``, or a
    :class:`Scenario`. Raises :class:`ScenarioError` naming the file, scenario and entry of every problem.
    """
    scenario, sweep = resolve_scenario(scenario_name_or_overrides, scenario_file, case.path)
    applied = apply_overrides(case, scenario.overrides, scenario=scenario.name, file=sweep.path if sweep else "")
    return applied.case


def scenario_case_name(base_name: str, scenario: Scenario) -> str:
    return f"{base_name}__{scenario.name}"


def write_scenario_case(base_path: str | Path, applied: AppliedScenario, folder: str | Path, name: str) -> Path:
    """Write a case folder holding only what the scenario changes and inheriting the rest from ``base_path``.

    The folder's ``settings.yaml`` names the base case (absolute path) as ``base_case`` and the changed settings;
    each changed table is written whole. Every file is written atomically; stale tables from an earlier version
    of the scenario are removed. ``optimiser.run(folder)`` then solves the scenario exactly like any case.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    wanted = {f"{t}.csv" for t in applied.tables} | {_inputs.SETTINGS_FILE}
    for old in folder.iterdir():
        if old.is_file() and old.name not in wanted and (old.suffix in (".csv", ".gz") or old.name.endswith(".tmp")):
            old.unlink()
    settings = {"name": name, "base_case": str(Path(base_path).resolve())}
    for key in sorted(applied.settings):
        settings[key] = _plain(applied.case.settings.get(key))
    atomic_write_text(folder / _inputs.SETTINGS_FILE, "# written by optimiser.scenarios: the base case plus a scenario's changes\n"
                       + yaml.safe_dump(settings, sort_keys=False))
    for table in sorted(applied.tables):
        buffer = io.StringIO()
        applied.case.tables[table].to_csv(buffer, index=False)
        atomic_write_text(folder / f"{table}.csv", buffer.getvalue())
    return folder


def run_scenario(case_path, scenario, out=None, options: dict | None = None, scenario_file=None, log=print, solver: str | None = None,
                 settings: dict | None = None):
    """Solve one scenario like ``optimiser run``: apply it to the case, write the scenario's case folder beside the
    results (``<out>.case/``, only the changed tables) and run it. Returns ``(results, path)``.

    ``case_path`` None means the parameter file's base case; ``settings`` then override the scenario's (``run``).
    """
    from .run import check_output_path, default_output, run

    scenario_obj, sweep = resolve_scenario(scenario, scenario_file, case_path)
    if case_path is None:
        if sweep is None:
            raise ScenarioError([f"scenario {scenario!r}: no case given and no parameter file naming one"])
        case_path = sweep.case_path
    base = load_case(case_path)
    applied = apply_overrides(base, scenario_obj.overrides, scenario=scenario_obj.name, file=sweep.path if sweep else "")
    name = scenario_case_name(base.name, scenario_obj)
    out = Path(out) if out else default_output(name)
    check_output_path(out)  # before the scenario's case folder is written beside it
    folder = write_scenario_case(case_path, applied, out.with_suffix(".case"), name)
    log(f"scenario {scenario_obj.name} ({scenario_obj.id}): " + ("; ".join(o.describe() for o in scenario_obj.overrides) or "no changes"))
    return run(folder, out, options, log=log, solver=solver, settings=settings)


__all__ = [
    "AppliedScenario",
    "InputError",
    "Override",
    "Parameter",
    "Scenario",
    "ScenarioError",
    "SweepFile",
    "apply_overrides",
    "apply_scenario",
    "check_scenarios",
    "inputs_key",
    "load_sweep_file",
    "parse_override",
    "resolve_scenario",
    "run_scenario",
    "scenario_id",
    "write_scenario_case",
]
