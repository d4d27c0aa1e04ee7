"""Applying overrides to a loaded case (validated with the loader's own checks), writing scenario case folders and running a scenario."""

from __future__ import annotations

import copy
import dataclasses
import hashlib
import io
import json
import math
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from ..atomic import atomic_write_text
from .. import inputs as _inputs
from ..inputs import Case, InputIssue, load_case
from ..schema import TABLE_BY_NAME
from .model import Override, Scenario, ScenarioError, SweepFile, _format, _is_number, _plain
from .parameter_file import resolve_scenario

#: operations on table cells and settings; ``file`` replaces a whole table

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
    from ..run import check_output_path, default_output, run

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


