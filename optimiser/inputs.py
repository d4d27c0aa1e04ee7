"""Loading and validating an input case (a folder of one YAML settings file and CSV tables).

Validation happens here, before any Pyomo object exists: every problem found in
every table is collected and reported together as an :class:`InputError`, each
naming the file, the row (as the line number in the CSV file), the column, the
bad value and what was expected.  Values outside a column's plausible range
(``plausible`` in :mod:`optimiser.schema`) are accepted and listed as warnings
(``Case.warnings``).

Reading order: the case folder and its base cases (:func:`_case_chain`), the
settings (:func:`_load_settings`), each table (:func:`_read_table`: file, header,
cells, keys), names used across tables (:func:`_check_references`), then the
consistency between tables (:func:`_check_semantics`).  How files are read as
text (encoding, separators, YAML) is in :mod:`optimiser.casefiles`.
"""

from __future__ import annotations

import csv
import difflib
import hashlib
import io
import math
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd

from . import casefiles
from .benders.settings import setting_issues as benders_issues
from .foresight import setting_issues as foresight_issues
from .schema import (
    MAX_MAGNITUDE,
    SETTINGS,
    TABLES,
    TABLE_BY_NAME,
    Column,
    Setting,
    Table,
    outside,
    plausible_text,
    python_strings,
)
from .timeagg import setting_issues, table_issues

SETTINGS_FILE = "settings.yaml"
#: free-text columns any table may carry for documentation (never read by the model)
DOCUMENTATION_COLUMNS = ("source", "sources", "note", "notes", "comment", "reference")
TRUE_WORDS = {"true", "yes", "1", "y", "t"}
FALSE_WORDS = {"false", "no", "0", "n", "f"}
NOT_NUMBERS = ["nan", "inf", "-inf", "+inf", "infinity", "-infinity", "+infinity"]
#: the tables whose errors make consistency checks between tables meaningless
CORE_TABLES = {"periods", "regions", "carriers", "technologies", "technology_periods", "time_steps"}


@dataclass(frozen=True)
class InputIssue:
    """One problem in the input case (or, in ``Case.warnings``, one implausible value)."""

    file: str
    row: int | None  # line number in the file (header = line 1; for settings.yaml the line of the setting)
    column: str | None  # column of a table, or name of a setting
    value: object
    expected: str

    def __str__(self) -> str:
        where = self.file
        if self.row is not None:
            where += f", line {self.row}"
        if self.column:
            noun = "setting" if self.file.endswith(".yaml") else "column"
            where += f", {noun} '{self.column}'"
        value = "" if self.value is None else f": got {self.value!r}"
        return f"{where}{value}; expected {self.expected}"


class InputError(Exception):
    """The case has errors; ``issues`` lists all of them (``warnings`` the implausible values found on the way)."""

    def __init__(self, issues: list[InputIssue], case_path: Path | str = "", warnings: list[InputIssue] = ()):
        self.issues = list(issues)
        self.warnings = list(warnings)
        self.case_path = str(case_path)
        super().__init__(self.report())

    def report(self) -> str:
        head = f"{len(self.issues)} error(s) in input case {self.case_path}:"
        return "\n".join([head] + [f"  - {issue}" for issue in self.issues])


def warnings_report(warnings: list[InputIssue]) -> str:
    """The warnings of a case, one per line ('' if there are none)."""
    if not warnings:
        return ""
    head = f"{len(warnings)} warning(s): values outside their plausible range (accepted; see docs/inputs.md):"
    return "\n".join([head] + [f"  - {warning}" for warning in warnings])


@dataclass
class Case:
    """A validated input case: settings plus typed tables with defaults filled in."""

    path: Path
    settings: dict
    tables: dict[str, pd.DataFrame]
    input_hash: str
    source_files: list[str] = field(default_factory=list)
    #: chronological sequence of the original periods (days) -> representative period (columns ``day``, ``time``,
    #: ``representative_period``), set by :func:`optimiser.timeagg.aggregate`; None = none (see docs/model.md, storage)
    period_sequence: pd.DataFrame | None = None
    #: what :func:`optimiser.timeagg.aggregate` applied (method, options, sizes); None = not aggregated
    time_aggregation: dict | None = None
    #: the ``time_steps`` and ``demand_profiles`` tables before time aggregation (set by
    #: :func:`optimiser.timeagg.aggregate`): reserve margins hold against the peak of the full year, which representative
    #: days and segments flatten; None = not aggregated (the case's own tables are the full year)
    full_year: dict | None = None
    #: the case folder and the folders it inherits from (``base_case``), nearest first: where relative paths of the
    #: settings (extension files) are looked up
    folders: list[Path] = field(default_factory=list)
    #: values accepted although outside their plausible range (schema ``plausible``), and stray files beside tables
    warnings: list[InputIssue] = field(default_factory=list)

    def __getitem__(self, name: str) -> pd.DataFrame:
        return self.tables[name]

    @property
    def name(self) -> str:
        return str(self.settings["name"])

    @property
    def periods(self) -> list[int]:
        return self.tables["periods"]["period"].tolist()

    @property
    def regions(self) -> list[str]:
        return self.tables["regions"]["region"].tolist()

    @property
    def technologies(self) -> list[str]:
        return self.tables["technologies"]["technology"].tolist()

    @property
    def carriers(self) -> list[str]:
        return self.tables["carriers"]["carrier"].tolist()

    @property
    def times(self) -> list[int]:
        return self.tables["time_steps"]["time"].tolist()

    def summary(self) -> dict[str, int]:
        """Sizes of the case's sets."""
        tables = self.tables
        return {
            "regions": len(tables["regions"]),
            "periods": len(tables["periods"]),
            "time_steps": len(tables["time_steps"]),
            "technologies": len(tables["technologies"]),
            "carriers": len(tables["carriers"]),
            "corridors": len(tables["corridors"]),
        }


# --------------------------------------------------------------------------- parsing


def _parse_column(
    raw: pd.Series, column: Column, file: str, issues: list[InputIssue], warnings: list[InputIssue] | None = None
) -> pd.Series:
    """Turn a column of raw strings into typed values, recording each bad cell (and, in ``warnings``, implausible ones)."""
    text = raw.fillna("").astype(str).str.strip()
    blank = text == ""
    lines = raw.index.to_numpy() + 2  # header is line 1

    def report(mask: np.ndarray, expected: str) -> None:
        for line, value in zip(lines[mask], raw[mask]):
            issues.append(InputIssue(file, int(line), column.name, value, expected))

    if column.required:
        missing = blank.to_numpy()
        report(missing, column.expected() + " (the value is required)")
    if column.kind == "str":
        values = text.where(~blank, column.default if column.default is not None else "")
        if column.choices:
            bad = ~blank & ~text.isin(column.choices)
            report(bad.to_numpy(), column.expected())
        return values.astype(object)
    if column.kind == "bool":
        lowered = text.str.lower()
        is_true = lowered.isin(TRUE_WORDS)
        is_false = lowered.isin(FALSE_WORDS)
        bad = ~blank & ~is_true & ~is_false
        report(bad.to_numpy(), column.expected())
        default = bool(column.default) if column.default is not None else False
        return pd.Series(np.where(blank, default, is_true), index=raw.index, dtype=bool)
    numbers = _parse_numbers(text, blank, column, report)
    if warnings is not None and column.plausible:
        _warn_implausible(numbers, raw, lines, column, file, warnings)
    if column.default is not None and not column.interpolated:
        numbers = numbers.where(~blank, column.default)
    numbers = numbers.astype(float)
    if column.kind == "int" and numbers.notna().all():
        return numbers.astype(np.int64)
    return numbers


def _parse_numbers(text: pd.Series, blank: pd.Series, column: Column, report) -> pd.Series:
    """Numbers of a numeric column; cells that are not finite numbers of the column's kind and range are reported
    (through ``report(mask, expected)``) and left missing."""
    numbers = pd.to_numeric(text.where(~blank, None), errors="coerce")
    not_a_number = ~blank & (numbers.isna() | text.str.lower().isin(NOT_NUMBERS))
    report(not_a_number.to_numpy(), column.expected())
    numbers = numbers.where(~not_a_number)
    # 1e400 parses as infinity; beyond MAX_MAGNITUDE the solver cannot tell a number from infinity
    overflow = np.isinf(numbers)
    report(overflow.to_numpy(), f"{column.expected()}: the value is too large for a double (the largest is about 1.8e308)")
    huge = numbers.notna() & ~overflow & (numbers.abs() >= MAX_MAGNITUDE)
    report(huge.to_numpy(), f"{column.expected()} smaller than {MAX_MAGNITUDE:.0e} in magnitude (beyond it the solver cannot tell a number from infinity)")
    numbers = numbers.where(~overflow & ~huge)
    if column.kind == "int":
        fractional = numbers.notna() & (numbers != np.round(numbers))
        report(fractional.to_numpy(), column.expected())
    if column.bounds:
        out = pd.Series(outside(numbers.to_numpy(), column.bounds), index=numbers.index) & numbers.notna()
        report(out.to_numpy(), column.expected())
    return numbers


def _warn_implausible(numbers: pd.Series, raw: pd.Series, lines: np.ndarray, column: Column, file: str, warnings: list[InputIssue]) -> None:
    """One warning per column with values outside its plausible range: the first such line and how many there are."""
    low, high = column.plausible
    implausible = (numbers.notna() & ((numbers < low) | (numbers > high))).to_numpy()
    if column.bounds:  # values outside the hard bounds are errors already
        implausible = implausible & ~outside(numbers.to_numpy(), column.bounds)
    if not implausible.any():
        return
    first = int(np.flatnonzero(implausible)[0])
    count = int(implausible.sum())
    more = f"; {count} lines of this column are outside it, this is the first" if count > 1 else ""
    warnings.append(
        InputIssue(
            file, int(lines[first]), column.name, raw.iloc[first],
            f"a value in the plausible range {plausible_text(column.plausible, column.unit)}{more} (accepted: check the unit)",
        )
    )


# --------------------------------------------------------------------------- the case folder


def _case_chain(case_path: Path, issues: list[InputIssue]) -> list[Path]:
    """The case folder followed by the folders it inherits from (``base_case`` in settings.yaml)."""
    chain = [case_path]
    while True:
        settings_path = chain[-1] / SETTINGS_FILE
        document = casefiles.read_yaml(settings_path)[0] if settings_path.exists() else None
        base = document.get("base_case") if isinstance(document, dict) else None  # unreadable settings: reported later
        if not base:
            return chain
        base_path = (chain[-1] / str(base)).resolve()
        if not base_path.is_dir() or base_path in chain:
            issues.append(InputIssue(str(settings_path), None, "base_case", base, "an existing case folder (and no inheritance cycle)"))
            return chain
        chain.append(base_path)


def _label(chain: list[Path], folder: Path, name: str) -> str:
    """How issues name a file: by its name in the case folder, with the folder's name in a base case."""
    return name if folder == chain[0] else f"{folder.name}/{name}"


def _find(chain: list[Path], file: str) -> Path:
    """The first of ``file`` or ``file.gz`` along the inheritance chain (large hourly tables may be gzipped)."""
    for folder in chain:
        for candidate in (folder / file, folder / f"{file}.gz"):
            if candidate.exists() or candidate.is_symlink():  # a broken link is reported when read, not skipped
                return candidate
    return chain[0] / file


def _check_file_names(chain: list[Path], issues: list[InputIssue], warnings: list[InputIssue]) -> None:
    """Files whose name misses a table's (capacity_limit.csv, Demand.csv, demand.xlsx): an error where the table
    they stand for is absent from that folder (the file would be ignored), a warning where it is present too."""
    names = [table.name for table in TABLES]
    for folder in chain:
        for name, target, why in casefiles.near_misses(folder, names):
            present = (folder / target).exists() or (folder / f"{target}.gz").exists()
            issue = InputIssue(
                _label(chain, folder, name), None, None, None,
                f"the name of a table file: did you mean {target}? ({why}; as named, the file is not read"
                + (f", {target} is)" if present else ")"),
            )
            (warnings if present else issues).append(issue)


# --------------------------------------------------------------------------- reading a table


def _read_table(chain: list[Path], table: Table, issues: list[InputIssue], warnings: list[InputIssue] | None = None) -> pd.DataFrame:
    path = _find(chain, table.file)
    if path.parent != chain[0] and (path.exists() or path.is_symlink()):
        # issues in an inherited table name the base folder's file
        issues_before, warnings_before = len(issues), len(warnings or [])
        frame = _read_table_at(path, table, issues, warnings)
        label = _label(chain, path.parent, path.name)
        issues[issues_before:] = [replace(issue, file=label) for issue in issues[issues_before:]]
        if warnings is not None:
            warnings[warnings_before:] = [replace(warning, file=label) for warning in warnings[warnings_before:]]
        return frame
    return _read_table_at(path, table, issues, warnings)


def _read_table_at(path: Path, table: Table, issues: list[InputIssue], warnings: list[InputIssue] | None = None) -> pd.DataFrame:
    with python_strings():
        return _read_table_text(path, table, issues, warnings)


def _empty_frame(table: Table) -> pd.DataFrame:
    return pd.DataFrame({c.name: pd.Series(dtype=_empty_dtype(c)) for c in table.columns})


def _read_table_text(path: Path, table: Table, issues: list[InputIssue], warnings: list[InputIssue] | None = None) -> pd.DataFrame:
    """Read and check one table file: text, header, every cell, unique keys; a broken file gives an empty table."""
    if not path.exists() and not path.is_symlink():
        if table.required:
            issues.append(InputIssue(table.file, None, None, None, "this required table to exist in the case folder"))
        return _empty_frame(table)
    raw = _read_csv(path, table, issues)
    if raw is None:
        return _empty_frame(table)
    header_line = int(raw.attrs["header_line"])
    if not _check_header(raw, table, header_line, issues):
        return _empty_frame(table)
    if table.required and raw.empty:
        meant = " (for a case without exogenous demand, say so with a row of demand_TWh 0)" if table.name == "demand" else ""
        issues.append(
            InputIssue(table.file, None, None, None,
                       f"at least one row below the header (line {header_line}): a required table without rows leaves the case without its {table.name}{meant}")
        )
        return _empty_frame(table)
    data = {}
    for column in table.columns:
        if column.name in raw.columns:
            data[column.name] = _parse_column(raw[column.name], column, table.file, issues, warnings)
        elif column.default is None and column.kind in ("int", "float"):
            data[column.name] = pd.Series(np.nan, index=raw.index)
        else:
            data[column.name] = pd.Series([column.default if column.default is not None else ""] * len(raw), index=raw.index)
    frame = pd.DataFrame(data, index=raw.index)
    _check_keys(frame, table, issues)
    return frame


def _read_csv(path: Path, table: Table, issues: list[InputIssue]) -> pd.DataFrame | None:
    """The cells of a table file as strings, indexed by line number - 2 (header = line 1 without comments above it);
    None, with the problem reported, if the file is not a CSV table (not UTF-8 text, another separator, long rows).

    Whole-line comments (# ...) and blank lines are skipped; a '#' inside a value is kept.
    """
    text, problem = casefiles.read_text(path, header_columns=True)
    if problem is not None:
        issues.append(_file_issue(table.file, problem))
        return None
    lines = text.splitlines()
    kept = [number for number, line in enumerate(lines, start=1) if line.strip() and not line.lstrip().startswith("#")]
    if not kept:
        issues.append(InputIssue(table.file, None, None, None, "a header line naming the columns (the file is empty)"))
        return None
    header = lines[kept[0] - 1]
    problem = casefiles.separator_problem(header, {c.name for c in table.columns} | set(DOCUMENTATION_COLUMNS))
    if problem is not None:
        issues.append(_file_issue(table.file, replace(problem, line=kept[0])))
        return None
    body = [lines[number - 1] for number in kept]
    names = [name.strip() for name in next(csv.reader([header], skipinitialspace=True))]
    parser_error = None
    try:
        raw = pd.read_csv(io.StringIO("\n".join(body)), dtype=str, keep_default_na=False, skipinitialspace=True)
    except pd.errors.ParserError as error:
        raw, parser_error = None, error
    if raw is None or not isinstance(raw.index, pd.RangeIndex):  # with longer rows pandas shifts the columns
        problems = casefiles.long_rows(body[1:], kept[1:], len(names))
        issues.extend(_file_issue(table.file, problem) for problem in problems)
        if not problems:
            found = str(parser_error).strip() if parser_error else "rows that do not fit the header"
            issues.append(InputIssue(table.file, None, None, found, "a readable CSV file with a header line"))
        return None
    # index each row by its line number in the file - 2 (so that index + 2 = line) despite comments and blanks
    if len(kept) == len(raw) + 1:
        raw.index = pd.Index(np.asarray(kept[1:]) - 2)
    raw.columns = [str(c).strip() for c in raw.columns]
    raw.attrs["header_line"] = kept[0]
    raw.attrs["header"] = names
    return raw


def _file_issue(file: str, problem: casefiles.Problem) -> InputIssue:
    return InputIssue(file, problem.line, problem.column, problem.value, problem.expected)


def _check_header(raw: pd.DataFrame, table: Table, line: int, issues: list[InputIssue]) -> bool:
    """Blank, unknown, repeated and missing column names (as written on the header line, ``raw.attrs["header"]``);
    False if the table cannot be read (a name repeated, a required column missing)."""
    names = raw.attrs["header"]
    known = {c.name for c in table.columns}
    if not any(name in known or name.lower() in DOCUMENTATION_COLUMNS for name in names):
        issues.append(InputIssue(table.file, line, None, ",".join(names), "a header line naming the columns (" + ", ".join(sorted(known)) + "): this line has none of them"))
        return False
    for name in names:
        if not name:
            issues.append(InputIssue(table.file, line, None, None, "a name for every column: the header has a blank name (a trailing ',' or ',,' on the header line?)"))
        elif name not in known and name.lower() not in DOCUMENTATION_COLUMNS:
            close = difflib.get_close_matches(name, sorted(known), n=1, cutoff=0.8)
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            issues.append(
                InputIssue(
                    table.file,
                    line,
                    name,
                    None,
                    f"a known column{hint}: " + ", ".join(c.name for c in table.columns) + " (or a documentation column: "
                    + ", ".join(DOCUMENTATION_COLUMNS) + ")",
                )
            )
    repeated = sorted({name for name in names if name and names.count(name) > 1})
    for name in repeated:
        issues.append(InputIssue(table.file, line, name, None, f"each column name once ('{name}' is in the header {names.count(name)} times)"))
    if repeated:
        return False
    for column in table.columns:
        if column.required and column.name not in names:
            issues.append(InputIssue(table.file, line, column.name, None, f"a column '{column.name}' ({column.doc})"))
            return False
    return True


def _check_keys(frame: pd.DataFrame, table: Table, issues: list[InputIssue]) -> None:
    """Each key (e.g. technology and period) on one row only: the second and later rows are reported."""
    key = list(table.key)
    duplicated = frame.duplicated(subset=key, keep="first")
    for index in frame.index[duplicated]:
        values = tuple(frame.loc[index, key])
        issues.append(
            InputIssue(table.file, int(index) + 2, ",".join(key), values, f"each ({', '.join(key)}) once (duplicated key)")
        )


def _empty_dtype(column: Column):
    return {"str": object, "int": np.int64, "float": float, "bool": bool}[column.kind]


def _check_references(tables: dict[str, pd.DataFrame], issues: list[InputIssue], broken: set[str] = frozenset()) -> None:
    """Names used in one table must be defined in their own table (skipped for sets whose table is broken)."""
    sets = {
        "region": set(tables["regions"]["region"]),
        "technology": set(tables["technologies"]["technology"]),
        "carrier": set(tables["carriers"]["carrier"]),
        "period": set(tables["periods"]["period"].dropna()),
        "time": set(tables["time_steps"]["time"].dropna()),
        "corridor": set(tables["corridors"]["corridor"].dropna()) if "corridor" in tables["corridors"] else set(),
    }
    origin = {"region": "regions.csv", "technology": "technologies.csv", "carrier": "carriers.csv", "period": "periods.csv", "time": "time_steps.csv",
              "corridor": "corridors.csv"}
    for table in TABLES:
        frame = tables[table.name]
        for column in table.columns:
            if not column.ref or frame.empty:
                continue
            if origin[column.ref][:-4] in broken:
                continue
            values = frame[column.name]
            present = values.notna() & (values.astype(str) != "")
            unknown = present & ~values.isin(sets[column.ref])
            # one issue per distinct unknown name, at its first line, with how often it occurs
            seen = frame.loc[unknown, column.name]
            for value, count in seen.value_counts(sort=False).items():
                first = seen.index[seen == value][0]
                more = f" (used on {count} lines)" if count > 1 else ""
                issues.append(
                    InputIssue(table.file, int(first) + 2, column.name, value, f"a {column.ref} defined in {origin[column.ref]}{more}")
                )


def _check_history(tables: dict[str, pd.DataFrame], settings: dict, issues: list[InputIssue]) -> None:
    """``historical_periods`` are leading periods of periods.csv (all of them: a dispatch model of history), with no
    capacity minimum to meet;
    the technologies named in references.csv exist."""
    periods = tables["periods"]["period"].tolist()
    historical = settings.get("historical_periods")
    if isinstance(historical, int) and not isinstance(historical, bool):
        historical = settings["historical_periods"] = [historical]
    # a value of another kind is reported by the settings check (kind "periods")
    if isinstance(historical, list) and all(isinstance(p, int) and not isinstance(p, bool) for p in historical):
        if historical != periods[: len(historical)]:
            issues.append(InputIssue(SETTINGS_FILE, None, "historical_periods", historical, f"leading periods of periods.csv ({periods[:3]}...)"))
        else:
            limits = tables["capacity_limits"]
            if not limits.empty:
                bad = limits["period"].isin(historical) & limits["capacity_min_GW"].notna()
                for row in np.flatnonzero(bad.to_numpy()):
                    issues.append(InputIssue("capacity_limits.csv", int(limits.index[row]) + 2, "capacity_min_GW", limits["capacity_min_GW"].iloc[row],
                                             "no minimum in a historical period (its fleet is the recorded one)"))
    references = tables["references"]
    if not references.empty:
        known = set(tables["technologies"]["technology"])
        for row, names in enumerate(references["technologies"].fillna("").astype(str)):
            unknown = [name for name in names.split() if name not in known]
            if unknown:
                issues.append(InputIssue("references.csv", int(references.index[row]) + 2, "technologies", names,
                                         f"technologies of technologies.csv separated by spaces (unknown: {', '.join(unknown)})"))
        no_value = references["value"].isna() & references["low"].isna() & references["high"].isna()
        for row in np.flatnonzero(no_value.to_numpy()):
            issues.append(InputIssue("references.csv", int(references.index[row]) + 2, "value", None, "a value, a range low..high, or one bound"))


def _check_calendar(tables: dict[str, pd.DataFrame], settings: dict, issues: list[InputIssue]) -> None:
    """Monthly inputs (energy budgets with a month, minimum_loads.csv) need time steps with a calendar: a time
    aggregation into representative days (which keeps the day sequence) or a chronological year (weight = duration)."""
    budgets = tables["energy_budgets"]
    monthly = "month" in budgets and budgets["month"].notna().any()
    if not monthly and tables["minimum_loads"].empty:
        return
    aggregation = settings.get("time_aggregation") or {}
    if isinstance(aggregation, dict) and aggregation.get("method") == "representative_days":
        return
    steps = tables["time_steps"]
    if len(steps) and np.allclose(steps["weight_h"].to_numpy(dtype=float), steps["duration_h"].to_numpy(dtype=float)):
        return
    file = "energy_budgets.csv" if monthly else "minimum_loads.csv"
    issues.append(InputIssue(file, None, "month", None, "time steps with a calendar: a chronological year (weight_h = duration_h) "
                             "or time_aggregation: {method: representative_days, ...}"))


def _check_semantics(tables: dict[str, pd.DataFrame], settings: dict, issues: list[InputIssue]) -> None:
    """Consistency between the tables, and with the settings, once every table has been read."""
    _check_history(tables, settings, issues)
    _check_calendar(tables, settings, issues)
    _check_order(tables, issues)
    carriers = tables["carriers"].set_index("carrier")
    balanced = set(carriers.index[carriers["balance"]])
    unit = carriers["unit"].to_dict()
    techs = tables["technologies"].set_index("technology")
    tech_type, tech_in, tech_out = techs["type"].to_dict(), techs["carrier_in"].to_dict(), techs["carrier_out"].to_dict()
    _check_technologies(tables, balanced, unit, issues)
    _check_technology_periods(tables, tech_type, tech_in, tech_out, unit, issues)
    _check_capture(tables, settings, balanced, issues)
    _check_flows_demand_prices(tables, tech_type, tech_in, balanced, unit, issues)
    _check_carbon(tables, settings, tech_in, tech_out, issues)
    if not setting_issues(settings.get("time_aggregation")):
        for file, column, value, expected in table_issues(tables, settings.get("time_aggregation")):
            issues.append(InputIssue(file, None, column, value, expected))
    _check_corridors(tables, balanced, unit, issues)
    _check_storage_rows(tables, tech_type, issues)
    _check_capacity_limits(tables, issues)
    _check_demand_profiles(tables, issues)
    _check_reserve_margins(tables, issues)


def _check_order(tables: dict[str, pd.DataFrame], issues: list[InputIssue]) -> None:
    """Periods and time steps strictly increasing."""
    periods = tables["periods"]["period"]
    if len(periods) > 1 and periods.notna().all():
        values = periods.to_numpy()
        for position in np.flatnonzero(np.diff(values) <= 0) + 1:
            issues.append(
                InputIssue("periods.csv", int(periods.index[position]) + 2, "period", values[position], f"a year after {values[position - 1]} (periods strictly increasing)")
            )
    times = tables["time_steps"]["time"]
    if len(times) > 1 and times.notna().all():
        values = times.to_numpy()
        for position in np.flatnonzero(np.diff(values) <= 0) + 1:
            issues.append(InputIssue("time_steps.csv", int(times.index[position]) + 2, "time", values[position], "time steps in strictly increasing order"))


def _check_technologies(tables: dict[str, pd.DataFrame], balanced: set, unit: dict, issues: list[InputIssue]) -> None:
    """Outputs with a balance, and storage-only columns used by storage only."""
    for index, row in tables["technologies"].iterrows():
        line = int(index) + 2
        if row["carrier_out"] in unit and row["carrier_out"] not in balanced and (row["type"] == "storage" or not row["carrier_in"]):
            issues.append(
                InputIssue(
                    "technologies.csv", line, "carrier_out", row["carrier_out"],
                    "a carrier with a balance (balance = true in carriers.csv); only a conversion with an input may "
                    "send its output out of the system",
                )
            )
        if row["type"] == "storage" and row["carrier_in"]:
            issues.append(InputIssue("technologies.csv", line, "carrier_in", row["carrier_in"], "blank for a storage technology (it stores carrier_out)"))
        if 0 < row["efficiency_discharge"] <= 1 / MAX_MAGNITUDE:
            issues.append(InputIssue("technologies.csv", line, "efficiency_discharge", row["efficiency_discharge"],
                                     f"a number above {1 / MAX_MAGNITUDE:.0e}: the solver takes its inverse, which it cannot beyond {MAX_MAGNITUDE:.0e}"))
        if row["type"] != "storage":
            if pd.notna(row["duration_h"]):
                issues.append(InputIssue("technologies.csv", line, "duration_h", row["duration_h"], "blank for a conversion technology"))
            if row["seasonal"]:
                issues.append(InputIssue("technologies.csv", line, "seasonal", True, "false for a conversion technology (storage only)"))


def _check_technology_periods(tables, tech_type: dict, tech_in: dict, tech_out: dict, unit: dict, issues: list[InputIssue]) -> None:
    """Efficiencies that fit the technology, and at least one row per technology."""
    tp = tables["technology_periods"]
    for index, row in tp.iterrows():
        tech = row["technology"]
        if tech not in tech_type:
            continue
        c_in, c_out = tech_in[tech], tech_out[tech]
        if c_in and c_in in unit and c_out in unit and unit[c_in] == unit[c_out] and row["efficiency"] > 1:
            issues.append(
                InputIssue("technology_periods.csv", int(index) + 2, "efficiency", row["efficiency"], f"a number in (0, 1] ({c_in} and {c_out} share the unit {unit[c_in]})")
            )
        if 0 < row["efficiency"] <= 1 / MAX_MAGNITUDE:
            issues.append(
                InputIssue("technology_periods.csv", int(index) + 2, "efficiency", row["efficiency"], f"a number above {1 / MAX_MAGNITUDE:.0e}: the input per unit of output is its inverse, which the solver cannot take beyond {MAX_MAGNITUDE:.0e}")
            )
        if tech_type[tech] == "storage" and pd.notna(row["efficiency"]) and row["efficiency"] != 1:
            issues.append(
                InputIssue("technology_periods.csv", int(index) + 2, "efficiency", row["efficiency"], "1 or blank for storage (use efficiency_charge / efficiency_discharge in technologies.csv)")
            )
    for tech in sorted(set(tech_type) - set(tp["technology"])):
        issues.append(InputIssue("technology_periods.csv", None, "technology", tech, f"at least one row for technology '{tech}'"))


def _check_capture(tables, settings: dict, balanced: set, issues: list[InputIssue]) -> None:
    """CO2 capture needs a captured-CO2 carrier with a balance (and no CO2 content of its own)."""
    tp = tables["technology_periods"]
    carriers = tables["carriers"].set_index("carrier")
    captured = settings.get("co2_captured_carrier")
    if (tp["capture_rate"] > 0).any() and not captured:
        first = tp.index[tp["capture_rate"] > 0][0]
        issues.append(InputIssue("technology_periods.csv", int(first) + 2, "capture_rate", tp.loc[first, "capture_rate"], "0 unless settings.yaml names co2_captured_carrier"))
    if captured and captured not in balanced:
        issues.append(InputIssue(SETTINGS_FILE, None, "co2_captured_carrier", captured, "a carrier with a balance in carriers.csv"))
    if captured and captured in carriers.index and carriers.loc[captured, "co2_content_t_per_MWh"] != 0:
        issues.append(
            InputIssue("carriers.csv", int(tables["carriers"].index[tables["carriers"]["carrier"] == captured][0]) + 2, "co2_content_t_per_MWh",
                       carriers.loc[captured, "co2_content_t_per_MWh"], "0 for the captured-CO2 carrier (injecting it is not an emission)")
        )


def _check_flows_demand_prices(tables, tech_type: dict, tech_in: dict, balanced: set, unit: dict, issues: list[InputIssue]) -> None:
    """Additional flows of conversions only; demand for balanced carriers; a price for every fuel consumed, everywhere."""
    flows = tables["technology_flows"]
    for index, row in flows.iterrows():
        if tech_type.get(row["technology"]) == "storage":
            issues.append(InputIssue("technology_flows.csv", int(index) + 2, "technology", row["technology"], "a conversion technology"))
        if row["flow_per_output"] == 0:
            issues.append(InputIssue("technology_flows.csv", int(index) + 2, "flow_per_output", 0.0, "a non-zero number"))

    for index, row in tables["demand"].iterrows():
        if row["carrier"] in unit and row["carrier"] not in balanced:
            issues.append(InputIssue("demand.csv", int(index) + 2, "carrier", row["carrier"], "a carrier with a balance"))

    prices = tables["fuel_prices"]
    for index, row in prices.iterrows():
        if row["carrier"] in balanced:
            issues.append(InputIssue("fuel_prices.csv", int(index) + 2, "carrier", row["carrier"], "a carrier without a balance (balance = false); balanced carriers get their price from the model"))
    everywhere = set(prices.loc[prices["region"] == "", "carrier"])
    regions = set(tables["regions"]["region"])
    used = {c for c in tech_in.values() if c} | set(flows.loc[flows["flow_per_output"] < 0, "carrier"])
    for carrier in sorted(used - balanced - everywhere):
        if carrier not in unit:
            continue
        missing = sorted(regions - set(prices.loc[prices["carrier"] == carrier, "region"]))
        if missing:
            issues.append(
                InputIssue(
                    "fuel_prices.csv", None, "carrier", carrier,
                    f"prices for '{carrier}' (consumed by technologies, no balance) in every region: none for {', '.join(missing)}; "
                    "add rows with a blank region for a price that applies everywhere",
                )
            )


def _check_corridors(tables, balanced: set, unit: dict, issues: list[InputIssue]) -> None:
    """Corridors of balanced carriers between two different regions, losing less than all of the flow."""
    for index, row in tables["corridors"].iterrows():
        line = int(index) + 2
        if row["carrier"] in unit and row["carrier"] not in balanced:
            issues.append(InputIssue("corridors.csv", line, "carrier", row["carrier"], "a carrier with a balance (a corridor needs balances at both ends)"))
        if row["loss_per_1000km"] * row["length_km"] / 1000.0 >= 1.0:
            issues.append(
                InputIssue("corridors.csv", line, "loss_per_1000km", row["loss_per_1000km"], f"losses below 100 % over {row['length_km']} km (loss_per_1000km < {1000.0 / row['length_km']:.4g})")
            )
        if row["region_from"] == row["region_to"]:
            issues.append(InputIssue("corridors.csv", line, "region_to", row["region_to"], "a region other than region_from"))


def _check_storage_rows(tables, tech_type: dict, issues: list[InputIssue]) -> None:
    """No availability profile for storage, no energy capacity for conversions."""
    for tech in sorted(set(tables["availability"]["technology"])):
        if tech_type.get(tech) == "storage":
            issues.append(InputIssue("availability.csv", None, "technology", tech, "a conversion technology (storage has no availability profile)"))
    for index, row in tables["capacities"].iterrows():
        if pd.notna(row["energy_capacity_GWh"]) and tech_type.get(row["technology"]) == "conversion":
            issues.append(InputIssue("capacities.csv", int(index) + 2, "energy_capacity_GWh", row["energy_capacity_GWh"], "blank for a conversion technology"))


def _check_capacity_limits(tables, issues: list[InputIssue]) -> None:
    """A minimum where the technology can exist, and no minimum above the maximum that applies in the same period."""
    techs = tables["technologies"]
    existing_pairs = set(zip(tables["capacities"]["technology"], tables["capacities"]["region"]))
    expandable = set(techs.loc[techs["expandable"], "technology"])
    minimum = tables["capacity_limits"]
    for index, row in minimum[minimum["capacity_min_GW"].fillna(0) > 0].iterrows():
        if row["technology"] not in expandable and (row["technology"], row["region"]) not in existing_pairs:
            issues.append(
                InputIssue("capacity_limits.csv", int(index) + 2, "capacity_min_GW", row["capacity_min_GW"],
                           f"0 or blank: {row['technology']} is not expandable and has no existing capacity in {row['region']}")
            )

    # minimum above maximum, also where a period-specific row meets an every-period row
    limits = tables["capacity_limits"].assign(_line=tables["capacity_limits"].index + 2)
    general = limits[limits["period"].isna()][["technology", "region", "capacity_min_GW", "capacity_max_GW"]]
    specific = limits[limits["period"].notna()]
    combined = specific.merge(general, how="left", on=["technology", "region"], suffixes=("", "_all"))
    combined["capacity_min_GW"] = combined["capacity_min_GW"].fillna(combined["capacity_min_GW_all"])
    combined["capacity_max_GW"] = combined["capacity_max_GW"].fillna(combined["capacity_max_GW_all"])
    checked = pd.concat([limits[limits["period"].isna()], combined[limits.columns]], ignore_index=True)
    bad = checked["capacity_min_GW"].notna() & checked["capacity_max_GW"].notna() & (checked["capacity_min_GW"] > checked["capacity_max_GW"])
    for _, row in checked[bad].iterrows():
        period = "" if pd.isna(row["period"]) else f" in {int(row['period'])}"
        issues.append(
            InputIssue("capacity_limits.csv", int(row["_line"]), "capacity_min_GW", row["capacity_min_GW"], f"at most capacity_max_GW{period} ({row['capacity_max_GW']} GW)")
        )


def _check_reserve_margins(tables, issues: list[InputIssue]) -> None:
    """The regions of an area exist (a blank list means the area is the region of that name)."""
    known = set(tables["regions"]["region"])
    margins = tables["reserve_margins"]
    for index, row in margins.iterrows():
        names = str(row["regions"] or "").split()
        unknown = [name for name in names if name not in known] if names else ([] if row["area"] in known else [row["area"]])
        if unknown:
            column, value = ("regions", row["regions"]) if names else ("area", row["area"])
            issues.append(
                InputIssue("reserve_margins.csv", int(index) + 2, column, value,
                           f"regions of regions.csv (unknown: {', '.join(unknown)}); with a blank 'regions' the area is the region of that name")
            )


def _check_demand_profiles(tables, issues: list[InputIssue]) -> None:
    """A demand profile that is zero in every step while the annual demand is positive."""
    profiles = tables["demand_profiles"]
    if profiles.empty:
        return
    totals = profiles.groupby(["carrier", "region"])["profile"].sum()
    zero = totals[totals <= 0]
    demand = tables["demand"]
    for (carrier, region) in zero.index:
        if ((demand["carrier"] == carrier) & (demand["region"] == region) & (demand["demand_TWh"] > 0)).any():
            first = profiles.index[(profiles["carrier"] == carrier) & (profiles["region"] == region)][0]
            issues.append(
                InputIssue("demand_profiles.csv", int(first) + 2, "profile", f"{carrier} in {region}: all zero",
                           "a profile with some positive value where demand.csv gives a positive annual demand")
            )


def _check_carbon(tables, settings, tech_in, tech_out, issues) -> None:
    """A cap that forces the modelled system below zero needs something that removes CO2."""
    periods = tables["periods"]
    need_negative = periods["co2_cap_Mt"] - periods["exogenous_emissions_Mt"] + periods["ecosystem_sink_Mt"] < 0
    if not need_negative.any():
        return
    carriers = tables["carriers"].set_index("carrier")
    captured = settings.get("co2_captured_carrier")
    capture = tables["technology_periods"].loc[tables["technology_periods"]["capture_rate"] > 0, "technology"]
    biogenic_capture = any(carriers["biogenic"].get(tech_in.get(t, ""), False) for t in capture)
    air_capture = bool(captured) and any(out == captured for out in tech_out.values())
    if not (biogenic_capture or air_capture):
        for index in periods.index[need_negative]:
            issues.append(
                InputIssue(
                    "periods.csv", int(index) + 2, "co2_cap_Mt", periods.loc[index, "co2_cap_Mt"],
                    "a cap >= exogenous_emissions_Mt - ecosystem_sink_Mt, or a removal technology (capture from a "
                    "biogenic input, or a technology whose output is the captured-CO2 carrier such as direct air capture)",
                )
            )


# --------------------------------------------------------------------------- settings


def _load_settings(
    chain: list[Path], issues: list[InputIssue], warnings: list[InputIssue] | None = None, where: dict | None = None
) -> dict:
    """The settings of the case over those of its base cases, each checked by type and range (schema ``SETTINGS``),
    with defaults for those not given (or left blank). ``where`` (if given) receives, per setting, the file (label)
    and line that set it."""
    case_path = chain[0]
    settings: dict = {}
    origin: dict = {}
    if not (case_path / SETTINGS_FILE).exists():
        issues.append(InputIssue(SETTINGS_FILE, None, None, None, "a settings file in the case folder" + _settings_name_hint(case_path)))
    for folder in reversed(chain):  # base first, the case itself last
        path = folder / SETTINGS_FILE
        if not path.exists():
            continue
        label = _label(chain, folder, SETTINGS_FILE)
        document, lines, problems = casefiles.read_yaml(path)
        issues.extend(_file_issue(label, problem) for problem in problems)
        if document is None:  # empty, or unreadable (reported)
            continue
        if not isinstance(document, dict):
            issues.append(InputIssue(label, None, None, type(document).__name__, "a mapping of setting: value"))
            continue
        if folder != case_path:
            document.pop("name", None)
        for key, value in document.items():
            settings[key] = value
        origin.update({key: (label, line) for key, line in lines.items()})
    _check_settings(settings, origin, issues, warnings)
    for setting in SETTINGS:
        if settings.get(setting.name) is None:
            settings[setting.name] = setting.default
    if settings["solver"] is None:
        settings["solver"] = {}
    if settings["name"] == "case":
        settings["name"] = case_path.name
    if where is not None:
        where.update(origin)
    for column, value, expected in foresight_issues(settings) + benders_issues(settings):
        file, line = origin.get(column.split(".")[0], (SETTINGS_FILE, None))
        issues.append(InputIssue(file, line, column, value, expected))
    return settings


def _settings_name_hint(folder: Path) -> str:
    """' (did you mean ...?)' for a file in ``folder`` whose name misses settings.yaml (Settings.yaml, settings.yml)."""
    names = [path.name for path in folder.iterdir() if path.is_file()]
    close = difflib.get_close_matches(SETTINGS_FILE, [name.lower() for name in names], n=1, cutoff=0.8)
    if not close:
        return ""
    found = next(name for name in names if name.lower() == close[0])
    return f" (found {found}: file names are exact, rename it to {SETTINGS_FILE})"


def _check_settings(settings: dict, origin: dict, issues: list[InputIssue], warnings: list[InputIssue] | None) -> None:
    """Each setting known, of its kind and in its range (values are converted in place, e.g. '1e4' to 10000.0).
    ``origin``: (file, line) of each setting and nested key ('solver.threads')."""
    known = {setting.name: setting for setting in SETTINGS}
    for key in list(settings):
        file, line = origin.get(str(key), (SETTINGS_FILE, None))
        setting = known.get(key)
        if setting is None:
            close = difflib.get_close_matches(str(key), list(known), n=1, cutoff=0.6)
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            issues.append(InputIssue(file, line, str(key), settings[key], f"a known setting{hint}: " + ", ".join(sorted(known))))
            continue
        value, expected, warning = _setting_value(setting, settings[key])
        if expected is not None:
            issues.append(InputIssue(file, line, key, settings[key], expected))
            continue
        settings[key] = value
        if warning is not None and warnings is not None:
            warnings.append(InputIssue(file, line, key, value, warning))
        for name, bad, what in _setting_details(key, value):
            issues.append(InputIssue(file, origin.get(name, (file, line))[1], name, bad, what))


def _setting_value(setting: Setting, value) -> tuple[object, str | None, str | None]:
    """(the value to use, what was expected if it is wrong, a warning if it is implausible); None = the default."""
    if value is None:
        return None, None, None
    kind, expected = setting.kind, setting.expected()
    if kind == "text":
        if isinstance(value, str):
            return value, None, None
        return value, "text (YAML reads bare yes/no/on/off as true/false and bare digits as a number: put the text in quotes)", None
    if kind == "mapping":
        return (value, None, None) if isinstance(value, dict) else (value, expected, None)
    if kind == "periods":
        ints = [value] if isinstance(value, int) else value
        ok = isinstance(ints, list) and all(isinstance(p, int) and not isinstance(p, bool) for p in ints)
        return (value, None, None) if ok else (value, expected, None)
    if kind == "files":
        ok = isinstance(value, str) or (isinstance(value, list) and all(isinstance(p, str) for p in value))
        return (value, None, None) if ok else (value, expected, None)
    return _setting_number(setting, value)


def _setting_number(setting: Setting, value) -> tuple[object, str | None, str | None]:
    expected = setting.expected()
    number = value
    if isinstance(value, str):  # YAML 1.1 reads 1e4 (no '.') as text: a number written as text is taken as the number
        try:
            number = float(value.strip())
        except ValueError:
            return value, expected, None
    if isinstance(number, bool) or not isinstance(number, (int, float)):
        return value, expected, None
    if not math.isfinite(number) or abs(number) >= MAX_MAGNITUDE:
        return value, f"{expected}, finite and smaller than {MAX_MAGNITUDE:.0e} in magnitude", None
    if setting.kind == "int":
        if number != int(number):
            return value, expected, None
        number = int(number)
    if setting.bounds and outside(number, setting.bounds):
        return value, expected, None
    warning = None
    if setting.plausible and not setting.plausible[0] <= number <= setting.plausible[1]:
        warning = f"a value in the plausible range {plausible_text(setting.plausible, setting.unit)} (accepted: check the unit)"
    return number, None, warning


def _setting_details(key: str, value) -> list[tuple[str, object, str]]:
    """Checks particular to one setting, as (setting or option name, value, expected)."""
    if key == "time_aggregation":
        return setting_issues(value)
    if key == "lost_load_periods" and value not in ("all", "historical"):
        return [(key, value, "'all' or 'historical'")]
    if key == "solver" and value:
        from .solve import option_problems  # (imports HiGHS)

        return [(f"solver.{name}", bad, f"a HiGHS option and value: {what}") for name, bad, what in option_problems(value)]
    return []


def _at_setting_line(issue: InputIssue, origin: dict) -> InputIssue:
    """An issue about a setting, found after the settings were read, with the file and line of that setting."""
    if issue.file != SETTINGS_FILE or issue.row is not None or not issue.column:
        return issue
    key = issue.column if issue.column in origin else issue.column.split(".")[0]
    if key not in origin:
        return issue
    file, line = origin[key]
    return replace(issue, file=file, row=line)


def hash_case(chain: list[Path], extra: list[Path] = ()) -> tuple[str, list[str]]:
    """SHA-256 over the settings files, every CSV table the case uses and ``extra`` files (extensions): names and bytes."""
    digest = hashlib.sha256()
    files = [folder / SETTINGS_FILE for folder in chain] + [_find(chain, t.file) for t in TABLES] + list(extra)
    used = []
    for path in files:
        if path.exists():
            digest.update(path.name.encode())
            digest.update(path.read_bytes())
            used.append(str(path))
    return digest.hexdigest(), used


def load_case(path: str | Path) -> Case:
    """Read and validate a case folder; raise :class:`InputError` listing every problem."""
    case_path = Path(path)
    if not case_path.is_dir():
        raise InputError([InputIssue(str(case_path), None, None, None, "a case folder (settings.yaml plus CSV tables)")], case_path)
    issues: list[InputIssue] = []
    warnings: list[InputIssue] = []
    origin: dict = {}
    chain = _case_chain(case_path, issues)
    settings = _load_settings(chain, issues, warnings, origin)
    _check_file_names(chain, issues, warnings)
    extension_files = _extension_files(settings, chain, issues)
    tables, broken = {}, set()
    for table in TABLES:
        before = len(issues)
        tables[table.name] = _read_table(chain, table, issues, warnings)
        if len(issues) > before:
            broken.add(table.name)
    _check_references(tables, issues, broken)
    if not issues:
        _check_semantics(tables, settings, issues)
    elif not broken & CORE_TABLES:
        # report consistency problems in the same round as value errors, where the core tables are sound
        try:
            _check_semantics(tables, settings, issues)
        except Exception:  # a broken value elsewhere can make a consistency check meaningless; it is reported already
            pass
    issues = [_at_setting_line(issue, origin) for issue in issues]
    if issues:
        raise InputError(issues, case_path, warnings)
    for name, frame in tables.items():
        tables[name] = frame.reset_index(drop=True)
    if settings["base_year"] is None:
        settings["base_year"] = int(tables["periods"]["period"].iloc[0])
    input_hash, files = hash_case(chain, extension_files)
    return Case(case_path, settings, tables, input_hash, files, folders=chain, warnings=warnings)


def _extension_files(settings: dict, chain: list[Path], issues: list[InputIssue]) -> list[Path]:
    """The extension files the settings name (a value of the wrong kind is reported by the settings check)."""
    if any(issue.column == "extensions" for issue in issues):
        return []
    from .model import extensions  # (the model package imports this module)

    files, problems = extensions.resolve(settings, chain)
    issues.extend(InputIssue(str(chain[0] / SETTINGS_FILE), None, "extensions", settings.get("extensions"), problem) for problem in problems)
    return files


def table_schema(name: str) -> Table:
    return TABLE_BY_NAME[name]
