"""Loading and validating an input case (a folder of one YAML settings file and CSV tables).

Validation happens here, before any Pyomo object exists: every problem found in
every table is collected and reported together as an :class:`InputError`, each
naming the file, the row (as the line number in the CSV file), the column, the
bad value and what was expected.
"""

from __future__ import annotations

import gzip
import hashlib
import io
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from .schema import SETTINGS, TABLES, TABLE_BY_NAME, Column, Table, python_strings
from .foresight import setting_issues as foresight_issues
from .timeagg import setting_issues, table_issues

SETTINGS_FILE = "settings.yaml"
#: free-text columns any table may carry for documentation (never read by the model)
DOCUMENTATION_COLUMNS = ("source", "sources", "note", "notes", "comment", "reference")
TRUE_WORDS = {"true", "yes", "1", "y", "t"}
FALSE_WORDS = {"false", "no", "0", "n", "f"}



@dataclass(frozen=True)
class InputIssue:
    """One problem in the input case."""

    file: str
    row: int | None  # line number in the file (header = line 1)
    column: str | None
    value: object
    expected: str

    def __str__(self) -> str:
        where = self.file
        if self.row is not None:
            where += f", line {self.row}"
        if self.column:
            where += f", column '{self.column}'"
        value = "" if self.value is None else f": got {self.value!r}"
        return f"{where}{value}; expected {self.expected}"


class InputError(Exception):
    """The case has errors; ``issues`` lists all of them."""

    def __init__(self, issues: list[InputIssue], case_path: Path | str = ""):
        self.issues = list(issues)
        self.case_path = str(case_path)
        super().__init__(self.report())

    def report(self) -> str:
        head = f"{len(self.issues)} error(s) in input case {self.case_path}:"
        return "\n".join([head] + [f"  - {issue}" for issue in self.issues])


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
    #: the case folder and the folders it inherits from (``base_case``), nearest first: where relative paths of the
    #: settings (extension files) are looked up
    folders: list[Path] = field(default_factory=list)

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


def _parse_column(raw: pd.Series, column: Column, file: str, issues: list[InputIssue]) -> pd.Series:
    """Turn a column of raw strings into typed values, recording each bad cell."""
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
    # numbers
    numbers = pd.to_numeric(text.where(~blank, None), errors="coerce")
    lowered = text.str.lower()
    not_a_number = ~blank & (numbers.isna() | lowered.isin(["nan", "inf", "-inf", "+inf", "infinity"]))
    report(not_a_number.to_numpy(), column.expected())
    numbers = numbers.where(~not_a_number)
    if column.kind == "int":
        fractional = numbers.notna() & (numbers != np.round(numbers))
        report(fractional.to_numpy(), column.expected())
    if column.bounds:
        low, low_inc, high, high_inc = column.bounds
        out = pd.Series(False, index=raw.index)
        if low is not None:
            out |= (numbers < low) if low_inc else (numbers <= low)
        if high is not None:
            out |= (numbers > high) if high_inc else (numbers >= high)
        out &= numbers.notna()
        report(out.to_numpy(), column.expected())
    if column.default is not None and not column.interpolated:
        numbers = numbers.where(~blank, column.default)
    numbers = numbers.astype(float)
    if column.kind == "int" and numbers.notna().all():
        return numbers.astype(np.int64)
    return numbers


def _case_chain(case_path: Path, issues: list[InputIssue]) -> list[Path]:
    """The case folder followed by the folders it inherits from (``base_case`` in settings.yaml)."""
    chain = [case_path]
    while True:
        settings_path = chain[-1] / SETTINGS_FILE
        try:
            base = (yaml.safe_load(settings_path.read_text()) or {}).get("base_case") if settings_path.exists() else None
        except (yaml.YAMLError, AttributeError):
            return chain
        if not base:
            return chain
        base_path = (chain[-1] / str(base)).resolve()
        if not base_path.is_dir() or base_path in chain:
            issues.append(InputIssue(str(settings_path), None, "base_case", base, "an existing case folder (and no inheritance cycle)"))
            return chain
        chain.append(base_path)


def _find(chain: list[Path], file: str) -> Path:
    """The first of ``file`` or ``file.gz`` along the inheritance chain (large hourly tables may be gzipped)."""
    for folder in chain:
        for candidate in (folder / file, folder / f"{file}.gz"):
            if candidate.exists():
                return candidate
    return chain[0] / file


def _read_table(chain: list[Path], table: Table, issues: list[InputIssue]) -> pd.DataFrame:
    path = _find(chain, table.file)
    if path.parent != chain[0] and path.exists():
        # issues in an inherited table name the base folder's file
        issues_before = len(issues)
        frame = _read_table_at(path, table, issues)
        label = f"{path.parent.name}/{path.name}"
        issues[issues_before:] = [replace(issue, file=label) for issue in issues[issues_before:]]
        return frame
    return _read_table_at(path, table, issues)


def _read_table_at(path: Path, table: Table, issues: list[InputIssue]) -> pd.DataFrame:
    with python_strings():
        return _read_table_text(path, table, issues)


def _read_table_text(path: Path, table: Table, issues: list[InputIssue]) -> pd.DataFrame:
    empty = pd.DataFrame({c.name: pd.Series(dtype=_empty_dtype(c)) for c in table.columns})
    if not path.exists():
        if table.required:
            issues.append(InputIssue(table.file, None, None, None, "this required table to exist in the case folder"))
        return empty
    # whole-line comments (# ...) and blank lines are skipped; a '#' inside a value is kept
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt") as stream:
        text_lines = stream.read().splitlines()
    kept = [number for number, text in enumerate(text_lines, start=1) if text.strip() and not text.lstrip().startswith("#")]
    try:
        raw = pd.read_csv(io.StringIO("\n".join(text_lines[n - 1] for n in kept)), dtype=str, keep_default_na=False, skipinitialspace=True)
    except Exception as error:  # pandas raises several parser errors
        issues.append(InputIssue(table.file, None, None, str(error).strip(), "a readable CSV file with a header line"))
        return empty
    # index each row by its line number in the file - 2 (so that index + 2 = line) despite comments and blanks
    if len(kept) == len(raw) + 1:
        raw.index = pd.Index(np.asarray(kept[1:]) - 2)
    raw.columns = [str(c).strip() for c in raw.columns]
    known = {c.name for c in table.columns}
    for name in raw.columns:
        if name not in known and name.lower() not in DOCUMENTATION_COLUMNS:
            issues.append(
                InputIssue(
                    table.file,
                    1,
                    name,
                    None,
                    "only the columns " + ", ".join(c.name for c in table.columns) + " (or a documentation column: "
                    + ", ".join(DOCUMENTATION_COLUMNS) + ")",
                )
            )
    if len(set(raw.columns)) != len(raw.columns):
        issues.append(InputIssue(table.file, 1, None, list(raw.columns), "each column name once"))
        return empty
    data = {}
    for column in table.columns:
        if column.name not in raw.columns:
            if column.required:
                issues.append(InputIssue(table.file, 1, column.name, None, f"a column '{column.name}' ({column.doc})"))
                return empty
            default = column.default
            if default is None and column.kind in ("int", "float"):
                data[column.name] = pd.Series(np.nan, index=raw.index)
            else:
                data[column.name] = pd.Series([default if default is not None else ""] * len(raw), index=raw.index)
            continue
        data[column.name] = _parse_column(raw[column.name], column, table.file, issues)
    frame = pd.DataFrame(data, index=raw.index)
    # duplicated keys
    key = list(table.key)
    duplicated = frame.duplicated(subset=key, keep="first")
    for index in frame.index[duplicated]:
        values = tuple(frame.loc[index, key])
        issues.append(
            InputIssue(table.file, int(index) + 2, ",".join(key), values, f"each ({', '.join(key)}) once (duplicated key)")
        )
    return frame


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
    }
    origin = {"region": "regions.csv", "technology": "technologies.csv", "carrier": "carriers.csv", "period": "periods.csv", "time": "time_steps.csv"}
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


def _check_semantics(tables: dict[str, pd.DataFrame], settings: dict, issues: list[InputIssue]) -> None:
    periods = tables["periods"]["period"]
    if len(periods) == 0:
        issues.append(InputIssue("periods.csv", None, "period", None, "at least one period"))
    if len(periods) > 1 and periods.notna().all():
        values = periods.to_numpy()
        for position in np.flatnonzero(np.diff(values) <= 0) + 1:
            issues.append(
                InputIssue("periods.csv", int(periods.index[position]) + 2, "period", values[position], f"a year after {values[position - 1]} (periods strictly increasing)")
            )
    times = tables["time_steps"]["time"]
    if len(times) == 0:
        issues.append(InputIssue("time_steps.csv", None, "time", None, "at least one time step"))
    elif times.notna().all():
        values = times.to_numpy()
        for position in np.flatnonzero(np.diff(values) <= 0) + 1:
            issues.append(InputIssue("time_steps.csv", int(times.index[position]) + 2, "time", values[position], "time steps in strictly increasing order"))

    carriers = tables["carriers"].set_index("carrier")
    balanced = set(carriers.index[carriers["balance"]])
    unit = carriers["unit"].to_dict()
    techs = tables["technologies"]
    for index, row in techs.iterrows():
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
        if row["type"] != "storage":
            for name in ("duration_h",):
                if pd.notna(row[name]):
                    issues.append(InputIssue("technologies.csv", line, name, row[name], "blank for a conversion technology"))
            if row["seasonal"]:
                issues.append(InputIssue("technologies.csv", line, "seasonal", True, "false for a conversion technology (storage only)"))
    tech_type = techs.set_index("technology")["type"].to_dict()
    tech_in = techs.set_index("technology")["carrier_in"].to_dict()
    tech_out = techs.set_index("technology")["carrier_out"].to_dict()

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
        if tech_type[tech] == "storage" and pd.notna(row["efficiency"]) and row["efficiency"] != 1:
            issues.append(
                InputIssue("technology_periods.csv", int(index) + 2, "efficiency", row["efficiency"], "1 or blank for storage (use efficiency_charge / efficiency_discharge in technologies.csv)")
            )
    missing = sorted(set(tech_type) - set(tp["technology"]))
    for tech in missing:
        issues.append(InputIssue("technology_periods.csv", None, "technology", tech, f"at least one row for technology '{tech}'"))

    # CO2 capture needs a captured-CO2 carrier with a balance
    captured = settings.get("co2_captured_carrier")
    if (tp["capture_rate"] > 0).any():
        if not captured:
            first = tp.index[tp["capture_rate"] > 0][0]
            issues.append(InputIssue("technology_periods.csv", int(first) + 2, "capture_rate", tp.loc[first, "capture_rate"], "0 unless settings.yaml names co2_captured_carrier"))
    if captured and captured not in balanced:
        issues.append(InputIssue(SETTINGS_FILE, None, "co2_captured_carrier", captured, "a carrier with a balance in carriers.csv"))
    if captured and captured in carriers.index and carriers.loc[captured, "co2_content_t_per_MWh"] != 0:
        issues.append(
            InputIssue("carriers.csv", int(tables["carriers"].index[tables["carriers"]["carrier"] == captured][0]) + 2, "co2_content_t_per_MWh",
                       carriers.loc[captured, "co2_content_t_per_MWh"], "0 for the captured-CO2 carrier (injecting it is not an emission)")
        )

    flows = tables["technology_flows"]
    for index, row in flows.iterrows():
        if tech_type.get(row["technology"]) == "storage":
            issues.append(InputIssue("technology_flows.csv", int(index) + 2, "technology", row["technology"], "a conversion technology"))
        if row["flow_per_output"] == 0:
            issues.append(InputIssue("technology_flows.csv", int(index) + 2, "flow_per_output", 0.0, "a non-zero number"))

    for index, row in tables["demand"].iterrows():
        if row["carrier"] in unit and row["carrier"] not in balanced:
            issues.append(InputIssue("demand.csv", int(index) + 2, "carrier", row["carrier"], "a carrier with a balance"))

    for index, row in tables["fuel_prices"].iterrows():
        if row["carrier"] in balanced:
            issues.append(InputIssue("fuel_prices.csv", int(index) + 2, "carrier", row["carrier"], "a carrier without a balance (balance = false); balanced carriers get their price from the model"))
    prices = tables["fuel_prices"]
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

    _check_carbon(tables, settings, tech_in, tech_out, issues)
    if not setting_issues(settings.get("time_aggregation")):
        for file, column, value, expected in table_issues(tables, settings.get("time_aggregation")):
            issues.append(InputIssue(file, None, column, value, expected))

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

    availability = tables["availability"]
    for tech in sorted(set(availability["technology"])):
        if tech_type.get(tech) == "storage":
            issues.append(InputIssue("availability.csv", None, "technology", tech, "a conversion technology (storage has no availability profile)"))

    capacities = tables["capacities"]
    for index, row in capacities.iterrows():
        if pd.notna(row["energy_capacity_GWh"]) and tech_type.get(row["technology"]) == "conversion":
            issues.append(InputIssue("capacities.csv", int(index) + 2, "energy_capacity_GWh", row["energy_capacity_GWh"], "blank for a conversion technology"))

    # a minimum capacity where the technology can neither stand nor be built
    existing_pairs = set(zip(tables["capacities"]["technology"], tables["capacities"]["region"]))
    expandable = set(techs.loc[techs["expandable"], "technology"])
    minimum = tables["capacity_limits"]
    for index, row in minimum[minimum["capacity_min_GW"].fillna(0) > 0].iterrows():
        if row["technology"] not in expandable and (row["technology"], row["region"]) not in existing_pairs:
            issues.append(
                InputIssue("capacity_limits.csv", int(index) + 2, "capacity_min_GW", row["capacity_min_GW"],
                           f"0 or blank: {row['technology']} is not expandable and has no existing capacity in {row['region']}")
            )

    # a demand profile that is zero in every step while the annual demand is positive
    profiles = tables["demand_profiles"]
    if not profiles.empty:
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


def _load_settings(chain: list[Path], issues: list[InputIssue]) -> dict:
    case_path = chain[0]
    settings: dict = {}
    if not (case_path / SETTINGS_FILE).exists():
        issues.append(InputIssue(SETTINGS_FILE, None, None, None, "a settings file in the case folder"))
    for folder in reversed(chain):  # base first, the case itself last
        path = folder / SETTINGS_FILE
        if not path.exists():
            continue
        try:
            loaded = yaml.safe_load(path.read_text()) or {}
        except yaml.YAMLError as error:
            issues.append(InputIssue(SETTINGS_FILE, None, None, str(error), "valid YAML"))
            loaded = {}
        if not isinstance(loaded, dict):
            issues.append(InputIssue(SETTINGS_FILE, None, None, type(loaded).__name__, "a mapping of setting: value"))
            loaded = {}
        if folder != case_path:
            loaded.pop("name", None)
        settings.update(loaded)
    known = {s.name for s in SETTINGS}
    for key in settings:
        if key not in known:
            issues.append(InputIssue(SETTINGS_FILE, None, key, settings[key], "a known setting: " + ", ".join(sorted(known))))
    for setting in SETTINGS:
        settings.setdefault(setting.name, setting.default)
    if settings["solver"] is None:
        settings["solver"] = {}
    if settings["name"] == "case":
        settings["name"] = case_path.name
    for key, low in (("discount_rate", 0.0), ("value_of_lost_load_CNY_per_MWh", 0.0), ("tie_break_capex_CNY_per_kW", 0.0), ("last_period_years", 0.0), ("co2_budget_Mt", -np.inf)):
        value = settings.get(key)
        if value is None:
            continue
        if not isinstance(value, (int, float)) or isinstance(value, bool) or not np.isfinite(value) or value < low or (key == "last_period_years" and value <= 0):
            issues.append(InputIssue(SETTINGS_FILE, None, key, value, "a number of years > 0" if key == "last_period_years" else ("a number" if low == -np.inf else f"a number >= {low}")))
    if not isinstance(settings["solver"], dict):
        issues.append(InputIssue(SETTINGS_FILE, None, "solver", settings["solver"], "a mapping of HiGHS option: value"))
        settings["solver"] = {}
    for column, value, expected in setting_issues(settings["time_aggregation"]) + foresight_issues(settings):
        issues.append(InputIssue(SETTINGS_FILE, None, column, value, expected))
    return settings


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
    chain = _case_chain(case_path, issues)
    settings = _load_settings(chain, issues)
    from .model import extensions  # (the model package imports this module)

    extension_files, problems = extensions.resolve(settings, chain)
    issues.extend(InputIssue(str(chain[0] / SETTINGS_FILE), None, "extensions", settings.get("extensions"), problem) for problem in problems)
    tables, broken = {}, set()
    for table in TABLES:
        before = len(issues)
        tables[table.name] = _read_table(chain, table, issues)
        if len(issues) > before:
            broken.add(table.name)
    _check_references(tables, issues, broken)
    if not issues:
        _check_semantics(tables, settings, issues)
    elif not broken & {"periods", "regions", "carriers", "technologies", "technology_periods", "time_steps"}:
        # report consistency problems in the same round as value errors, where the core tables are sound
        try:
            _check_semantics(tables, settings, issues)
        except Exception:  # a broken value elsewhere can make a consistency check meaningless; it is reported already
            pass
    if issues:
        raise InputError(issues, case_path)
    for name, frame in tables.items():
        tables[name] = frame.reset_index(drop=True)
    if settings["base_year"] is None:
        settings["base_year"] = int(tables["periods"]["period"].iloc[0])
    input_hash, files = hash_case(chain, extension_files)
    return Case(case_path, settings, tables, input_hash, files, folders=chain)


def table_schema(name: str) -> Table:
    return TABLE_BY_NAME[name]
