"""Parameter files (YAML): parameters, named scenarios and generated sweeps, parsed and expanded with file and entry named in every error."""

from __future__ import annotations

import dataclasses
import itertools
import os
import re
from pathlib import Path

import numpy as np
import yaml

from .model import (
    BASE_NAME, DOC_KEYS, FILE_KEYS, OPERATIONS, PARAMETER_KEYS, SCENARIOS_FILE, SWEEP_KINDS, TARGET_KEYS, Override, Parameter, Scenario,
    ScenarioError, SweepFile, _check_override_shape, _format, _is_number, _where_tuple, parse_override,
)

#: operations on table cells and settings; ``file`` replaces a whole table

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
    data = _read_mapping(path)
    problems: list[str] = []
    base_dir = str(path.resolve().parent)
    case_path, output_path = _header(data, path, base_dir, problems)
    parameters = _parameters(data, path, base_dir, problems)
    scenarios: list[Scenario] = [Scenario(BASE_NAME, [], {}, "base")] if data.get("include_base") else []
    scenarios += _named_scenarios(data, parameters, path, base_dir, problems)
    raw_sweeps = data.get("sweeps") or []
    if not isinstance(raw_sweeps, list):
        problems.append(f"{path}: 'sweeps' must be a list of {{grid: ...}}, {{list: ...}}, {{one_at_a_time: ...}} or {{latin_hypercube: ...}}")
        raw_sweeps = []
    for number, block in enumerate(raw_sweeps, start=1):
        scenarios.extend(_expand_sweep(block, parameters, base_dir, f"{path}: sweep {number}", problems))
    if problems:
        raise ScenarioError(problems, path)
    unique, notes = _unique(scenarios)
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


def _read_mapping(path: Path) -> dict:
    """The parameter file's YAML mapping (ScenarioError when missing, not YAML, or not a mapping)."""
    if not path.is_file():
        raise ScenarioError([f"{path}: no such parameter file"], path)
    try:
        data = yaml.safe_load(path.read_text()) or {}
    except yaml.YAMLError as error:
        raise ScenarioError([f"{path}: not valid YAML: {error}"], path) from None
    if not isinstance(data, dict):
        raise ScenarioError([f"{path}: expected a mapping with case, parameters, scenarios and sweeps"], path)
    return data


def _header(data: dict, path: Path, base_dir: str, problems: list[str]) -> tuple[Path, Path | None]:
    """Known keys, the base case folder and the output folder (resolved against the file's folder), mapping keys."""
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
    return case_path, output_path


def _parameters(data: dict, path: Path, base_dir: str, problems: list[str]) -> dict[str, Parameter]:
    """The file's ``parameters``: name -> definition."""
    parameters: dict[str, Parameter] = {}
    raw_parameters = data.get("parameters") or {}
    if not isinstance(raw_parameters, dict):
        problems.append(f"{path}: 'parameters' must be a mapping of name: definition")
        raw_parameters = {}
    for name, spec in raw_parameters.items():
        parameter = _parse_parameter(str(name), spec, base_dir, f"{path}: parameter '{name}'", problems)
        if parameter is not None:
            parameters[str(name)] = parameter
    return parameters


def _named_scenarios(data: dict, parameters: dict[str, Parameter], path: Path, base_dir: str, problems: list[str]) -> list[Scenario]:
    """The file's ``scenarios``: each a list of overrides, or a mapping with ``overrides`` and/or ``parameters``."""
    scenarios: list[Scenario] = []
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
    return scenarios


def _unique(scenarios: list[Scenario]) -> tuple[list[Scenario], list[str]]:
    """Scenarios with the same overrides kept once, repeated names made unique, indexes numbered; and notes saying so."""
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
    return unique, notes


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


