"""Foresight modes: perfect, myopic and rolling-horizon pathways (settings ``foresight``, ``foresight_window``,
``foresight_step``; docs/model.md section 12).

``perfect`` solves all periods in one programme (the default; not handled here). ``rolling`` solves *windows* of
``foresight_window`` consecutive periods one after the other, keeps the decisions of the first ``foresight_step``
periods of each window (the last window keeps all of its periods) and starts the next window at the first period
not kept; ``myopic`` is rolling with windows of one period.

A window is the case restricted to its periods (:func:`window_case`). What earlier windows decided enters it as
data: the kept periods' builds (``capacity_new``, ``storage_energy_new``, ``corridor_capacity_new``) become fixed
vintages that stand by the lifetime rule and retire at end of life, exactly like existing capacity (technologies:
extra rows of ``capacities``; corridors: added to the existing capacity of the window's ``corridor_vintage`` rows
and ``corridor_capacity`` bounds); the cumulative CO2 budget and the cumulative limits are reduced by what the kept
periods used. A window's own objective omits the annuities of vintages built before it (they are sunk there).

The pathway is then *stitched* onto the full-horizon model (arrays only): every column of a kept period takes the
value of the window that kept it, matched by its labels (family keys and time step), and every row of a kept period
its dual. The reported objective is the full model's ``c'x`` at the stitched solution, so every vintage pays its
annuity in every period it stands in the horizon, whichever window built it (the accounting error of
TemoaProject/temoa#364, where each window's objective is summed, cannot occur), and :func:`optimiser.extract` of
the full model gives the same dataset as a perfect-foresight run.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import pickle
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from . import economics
from .atomic import atomic_write_bytes

MODES = ("perfect", "myopic", "rolling")
#: tables whose rows for periods outside a window still matter: values are interpolated between the periods given
INTERPOLATED_TABLES = ("technology_periods", "fuel_prices")
#: build families whose kept values are carried into later windows as fixed vintages
BUILD_FAMILIES = ("capacity_new", "storage_energy_new", "corridor_capacity_new")
#: builds and kept fleet below this (GW, GWh; 1 kW) are carried as 0: an interior-point solution leaves zero variables
#: at 1e-9-1e-12, and carried as vintages they become bounds and right-hand sides of that size in later windows
#: (HiGHS: "excessively small column bounds"), far outside the LP's range of 1e-4-1e4
CARRY_ZERO_BELOW = 1e-6
#: largest violation of a full-horizon row or bound (in its family's units: GW, GWh, TWh, Mt) that a stitched pathway
#: may show and still be reported as a solution: interior-point windows without crossover are feasible to ~1e-7
#: relative, which on rows of thousands of GW or TWh is ~1e-4 absolute
VIOLATION_TOLERANCE = 1e-3


class ForesightError(ValueError):
    """The case cannot be solved window by window as asked."""


# --------------------------------------------------------------------------- settings and windows


def _is_int(value) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool)


def setting_issues(settings: dict) -> list[tuple[str, object, str]]:
    """Problems with the foresight settings as (setting, value, expected) triples."""
    mode, window, step = settings.get("foresight"), settings.get("foresight_window"), settings.get("foresight_step")
    if mode not in MODES:
        return [("foresight", mode, "one of " + ", ".join(repr(m) for m in MODES))]
    issues = [
        (name, value, "an integer number of periods >= 1 (or blank)")
        for name, value in (("foresight_window", window), ("foresight_step", step))
        if value is not None and not (_is_int(value) and value >= 1)
    ]
    if issues:
        return issues
    step = 1 if step is None else step
    if mode == "rolling":
        if window is None:
            issues.append(("foresight_window", window, "the number of periods each window solves (an integer >= 1) with foresight: rolling"))
        elif step > window:
            issues.append(("foresight_step", step, f"at most foresight_window ({window}): a window keeps the first periods it solves"))
        return issues
    if window is not None and not (mode == "myopic" and window == 1):
        issues.append(("foresight_window", window, f"blank with foresight: {mode} (windows of several periods are foresight: rolling)"))
    if step != 1:
        issues.append(("foresight_step", step, f"1 or blank with foresight: {mode} (a step of several periods is foresight: rolling)"))
    return issues


def mode(case) -> str:
    return str(case.settings.get("foresight") or "perfect")


def window_shape(settings: dict, n_periods: int) -> tuple[int, int]:
    """(periods solved per window, periods kept per window) of valid settings."""
    chosen = settings.get("foresight") or "perfect"
    if chosen == "perfect":
        return n_periods, n_periods
    if chosen == "myopic":
        return 1, 1
    return int(settings["foresight_window"]), int(settings.get("foresight_step") or 1)


@dataclass(frozen=True)
class Window:
    number: int  # 1, 2, ...
    periods: tuple  # the periods solved
    kept: tuple  # the periods whose decisions are kept


def plan_windows(periods, size: int, step: int) -> list[Window]:
    """Windows of ``size`` periods advancing by ``step``; the last window (reaching the horizon's end) keeps all it solves."""
    periods = [int(p) for p in periods]
    windows, start = [], 0
    while start < len(periods):
        solved = periods[start : start + size]
        kept = solved if start + size >= len(periods) else periods[start : start + step]
        windows.append(Window(len(windows) + 1, tuple(solved), tuple(kept)))
        start += len(kept)
    return windows


# --------------------------------------------------------------------------- what earlier windows leave behind


@dataclass
class Carried:
    """What the kept periods of earlier windows decided and used."""

    #: fixed technology vintages as rows of ``capacities`` (technology, region, build_year, capacity_GW, energy_capacity_GWh)
    capacities: pd.DataFrame
    #: fixed corridor vintages: corridor, build_year, capacity_GW
    corridors: pd.DataFrame
    #: national net CO2 (modelled + exogenous - sinks) x period years of the kept periods [Mt CO2]
    co2_used_Mt: float = 0.0
    #: output x period years of the kept periods of technologies with a cumulative limit [TWh; Mt for mass outputs]
    cumulative_used: pd.Series = field(default_factory=lambda: pd.Series(dtype=float))
    #: the old fleet (capacities.csv, technologies with early_retirement) kept in operation in the last kept period:
    #: technology, region, period, capacity_GW (what was retired early stays retired in later windows)
    fleet_kept: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=["technology", "region", "period", "capacity_GW"]))

    @classmethod
    def nothing(cls) -> "Carried":
        return cls(
            pd.DataFrame(columns=["technology", "region", "build_year", "capacity_GW", "energy_capacity_GWh"]),
            pd.DataFrame(columns=["corridor", "build_year", "capacity_GW"]),
        )


def _kept(family, values: np.ndarray, kept) -> tuple[pd.DataFrame, np.ndarray]:
    """Keys and values (n[, T]) of a family's elements in the kept periods."""
    mask = family.keys["period"].isin(kept).to_numpy()
    return family.keys[mask].reset_index(drop=True), values[mask]


def carry(carried: Carried, model, x: np.ndarray, window: Window, years: dict) -> Carried:
    """``carried`` plus the builds and the cumulative quantities of ``window``'s kept periods."""
    lp, kept = model.lp, window.kept
    builds = {}
    for name in BUILD_FAMILIES:
        if name in lp.variables:
            keys, values = _kept(lp.variables[name], lp.values(lp.variables[name], x), kept)
            builds[name] = keys.rename(columns={"period": "build_year"}).assign(value=_carried_value(values))
    capacities = _vintage_rows(builds.get("capacity_new"), builds.get("storage_energy_new"))
    corridors = builds.get("corridor_capacity_new", pd.DataFrame(columns=["corridor", "build_year", "value"])).rename(columns={"value": "capacity_GW"})
    return Carried(
        capacities=pd.concat([carried.capacities, capacities], ignore_index=True),
        corridors=pd.concat([carried.corridors, corridors[corridors["capacity_GW"] > 0]], ignore_index=True),
        co2_used_Mt=carried.co2_used_Mt + _co2_used(model, x, kept, years),
        cumulative_used=_sum_by_label(carried.cumulative_used, _cumulative_used(model, x, kept, years)),
        fleet_kept=_merge_fleet(carried.fleet_kept, _fleet_kept(model, x, kept)) if "capacity_existing" in lp.variables else carried.fleet_kept,
    )


def _merge_fleet(earlier: pd.DataFrame, latest: pd.DataFrame) -> pd.DataFrame:
    """The latest kept fleet of each (technology, region), and the earlier one where the latest window had none (no
    old unit of it standing there: what it retired before stays retired)."""
    on = ["technology", "region"]
    if earlier.empty:
        return latest
    older = earlier.merge(latest[on], on=on, how="left", indicator=True)
    older = older[older["_merge"] == "left_only"].drop(columns="_merge")
    return pd.concat([older, latest], ignore_index=True)


def _fleet_kept(model, x: np.ndarray, kept) -> pd.DataFrame:
    """capacity_existing of the last kept period [GW] by (technology, region)."""
    family = model.lp.variables["capacity_existing"]
    keys, values = _kept(family, model.lp.values(family, x), kept[-1:])
    return keys[["technology", "region", "period"]].assign(capacity_GW=_carried_value(values))


def _carried_value(values: np.ndarray) -> np.ndarray:
    """Solution values as carried into later windows: negatives and values below CARRY_ZERO_BELOW are 0."""
    return np.where(values >= CARRY_ZERO_BELOW, values, 0.0)


def _sum_by_label(a: pd.Series, b: pd.Series) -> pd.Series:
    return b if a.empty else a if b.empty else a.add(b, fill_value=0.0)


def _vintage_rows(power: pd.DataFrame | None, energy: pd.DataFrame | None) -> pd.DataFrame:
    """Rows of ``capacities`` for the kept builds: power in GW; for free-duration storage, energy in GWh (blank =
    duration x power, as for existing capacity)."""
    on = ["technology", "region", "build_year"]
    rows = power.rename(columns={"value": "capacity_GW"}) if power is not None else pd.DataFrame(columns=on + ["capacity_GW"])
    if energy is not None and len(energy):
        rows = rows.merge(energy.rename(columns={"value": "energy_capacity_GWh"}), on=on, how="outer")
        rows["capacity_GW"] = rows["capacity_GW"].fillna(0.0)
    else:
        rows = rows.assign(energy_capacity_GWh=np.nan)
    return rows[(rows["capacity_GW"] > 0) | (rows["energy_capacity_GWh"].fillna(0.0) > 0)].reset_index(drop=True)


def _co2_used(model, x: np.ndarray, kept, years: dict) -> float:
    """sum over kept p of Y_p x (sum_r co2_emissions[r, p] + exogenous_p - sink_p)   [Mt CO2]."""
    lp = model.lp
    keys, values = _kept(lp.variables["co2_emissions"], lp.values(lp.variables["co2_emissions"], x), kept)
    periods = model.case["periods"].set_index("period")
    outside = (periods["exogenous_emissions_Mt"] - periods["ecosystem_sink_Mt"]).reindex(list(kept)).to_numpy(dtype=float)
    modelled = pd.Series(values, index=keys["period"].to_numpy()).groupby(level=0).sum().reindex(list(kept), fill_value=0.0).to_numpy()
    return float(np.dot([years[p] for p in kept], modelled + outside))


def _cumulative_used(model, x: np.ndarray, kept, years: dict) -> pd.Series:
    """Output x period years in the kept periods of each (technology, region) with a cumulative limit [TWh or Mt]."""
    from .model.data import GWH_TO_TWH

    limits = model.case["cumulative_limits"]
    if limits.empty or "generation" not in model.lp.variables:
        return pd.Series(dtype=float)
    family = model.lp.variables["generation"]
    keys, values = _kept(family, model.lp.values(family, x), kept)
    annual = values @ model.data.time["weight_h"].to_numpy() * GWH_TO_TWH
    used = keys.assign(used=annual * keys["period"].map(years).to_numpy()).merge(limits[["technology", "region"]], on=["technology", "region"])
    return used.groupby(["technology", "region"])["used"].sum()


# --------------------------------------------------------------------------- the window's case


def window_case(case, window: Window, years: dict, carried: Carried):
    """``case`` restricted to ``window``'s periods, with the fixed vintages and the remaining budgets of ``carried``.

    Rows of period tables for other periods are dropped (a blank period, "every period", stays), except in the
    tables interpolated between the periods they give (``technology_periods``, ``fuel_prices``). The window's last
    period stands for its years in the full horizon (``last_period_years``), so that every period keeps its
    discount weight.
    """
    periods = list(window.periods)
    tables = {}
    for name, frame in case.tables.items():
        if "period" in frame.columns and name not in INTERPOLATED_TABLES:
            frame = frame[frame["period"].isna() | frame["period"].isin(periods)].reset_index(drop=True)
        tables[name] = frame
    if len(carried.capacities):
        # kept builds stand to the end of their life like committed capacity (not part of the fleet that may retire early)
        vintages = carried.capacities.astype({"build_year": np.int64}).assign(status="in_service", source="foresight: build kept by an earlier window")
        tables["committed_capacity"] = pd.concat([tables["committed_capacity"], vintages], ignore_index=True)
    if len(carried.fleet_kept):
        tables["capacities"] = reduce_fleet(tables["capacities"], carried.fleet_kept, case.tables["technologies"])
    tables["cumulative_limits"] = _remaining_limits(tables["cumulative_limits"], carried.cumulative_used)
    settings = dict(case.settings, last_period_years=float(years[periods[-1]]))
    if case.settings.get("historical_periods"):
        historical = [p for p in _as_list(case.settings["historical_periods"]) if int(p) in periods]
        settings["historical_periods"] = historical or None
    if case.settings.get("co2_budget_Mt") is not None:
        historical = {int(p) for p in _as_list(case.settings.get("historical_periods") or [])}
        if all(p in historical for p in periods):
            # a window of history has no choice to make: no budget row; what it emits counts in what is left
            settings["co2_budget_Mt"] = None
        else:
            settings["co2_budget_Mt"] = budget_allocation(float(case.settings["co2_budget_Mt"]), carried.co2_used_Mt, periods, years, _outside(case))
    return dataclasses.replace(case, tables=tables, settings=settings)


def _as_list(value) -> list:
    return list(value) if isinstance(value, (list, tuple)) else [value]


def reduce_fleet(capacities: pd.DataFrame, kept: pd.DataFrame, technologies: pd.DataFrame) -> pd.DataFrame:
    """``capacities`` (the old fleet) less the power that earlier windows retired early, the oldest units first: in each
    (technology, region) of ``kept``, the rows standing in the kept period p are cut so that they sum to
    capacity_GW kept there. A later window then finds at most kept[p] plus the units entering service after p, as
    the full horizon's ``capacity_existing_retired`` rows allow (kept[p'] - kept[p] <= entering), and with the oldest
    retired first, exactly that much where a technology has one lifetime."""
    if capacities.empty or kept.empty:
        return capacities
    fleet = capacities.reset_index(drop=True)
    lifetime = technologies.set_index("technology")["lifetime_years"].reindex(fleet["technology"]).to_numpy(dtype=float)
    period = fleet[["technology", "region"]].merge(kept, on=["technology", "region"], how="left")["period"].to_numpy(dtype=float)
    standing = ~np.isnan(period) & economics.active(fleet["build_year"].to_numpy(dtype=float), lifetime, period)
    target = fleet[["technology", "region"]].merge(kept, on=["technology", "region"], how="left")["capacity_GW"].to_numpy(dtype=float)
    order = fleet.assign(_standing=standing, _target=target, _row=np.arange(len(fleet))).sort_values("build_year", kind="stable")
    order = order[order["_standing"]]
    # retire the oldest first: what stands beyond the target, taken from the oldest rows
    total = order.groupby(["technology", "region"])["capacity_GW"].transform("sum")
    excess = np.maximum(total - order["_target"], 0.0)
    before = order.groupby(["technology", "region"])["capacity_GW"].cumsum() - order["capacity_GW"]
    cut = np.clip(excess - before, 0.0, order["capacity_GW"])
    share = np.where(order["capacity_GW"] > 0, 1.0 - cut / order["capacity_GW"].where(order["capacity_GW"] > 0, 1.0), 1.0)
    capacity = fleet["capacity_GW"].to_numpy(dtype=float).copy()
    rows = order["_row"].to_numpy()
    capacity[rows] = capacity[rows] * share
    # the energy capacity of existing free-duration storage stands whole in the full model (only power may retire
    # early): its rows keep their energy, also where the power is cut to zero (fixed-duration storage derives its
    # energy from its power)
    fleet = fleet.assign(capacity_GW=capacity)
    keep = fleet["capacity_GW"] > 1e-12
    if "energy_capacity_GWh" in fleet:
        keep |= fleet["energy_capacity_GWh"].fillna(0.0).to_numpy() > 0
    return fleet[keep].reset_index(drop=True)


def budget_allocation(budget_Mt: float, used_Mt: float, periods, years: dict, outside: dict | None = None) -> float:
    """The part of the cumulative CO2 budget a window may use [Mt CO2].

    What the kept periods used, ``used_Mt``, and what the periods left will take outside the model (``outside``:
    exogenous emissions less sinks, Mt/yr, by period) come off first; the rest, the budget of the modelled sectors, is
    shared pro rata to the years the window covers among the years left from its first period to the horizon's end
    (equal annual modelled emissions over what is left); the window gets that share plus its own periods' outside
    emissions. The last window gets all that is left. What a window leaves unused stays for the next one."""
    outside = outside or {}
    left = [p for p in years if p >= periods[0]]
    share = sum(years[p] for p in periods) / sum(years[p] for p in left)
    outside_left = sum(years[p] * outside.get(p, 0.0) for p in left)
    outside_window = sum(years[p] * outside.get(p, 0.0) for p in periods)
    return (budget_Mt - used_Mt - outside_left) * share + outside_window


def _outside(case) -> dict:
    """Exogenous emissions less ecosystem sinks by period [Mt CO2/yr]."""
    periods = case["periods"].set_index("period")
    net = periods["exogenous_emissions_Mt"].fillna(0.0) - periods["ecosystem_sink_Mt"].fillna(0.0)
    return {int(p): float(v) for p, v in net.items()}


def _remaining_limits(limits: pd.DataFrame, used: pd.Series) -> pd.DataFrame:
    """Cumulative limits less what the kept periods of earlier windows produced (never below 0): a window sees the
    whole of what is left, as a stock."""
    if limits.empty or used.empty:
        return limits
    spent = used.reindex(pd.MultiIndex.from_frame(limits[["technology", "region"]])).fillna(0.0).to_numpy()
    remaining = limits["cumulative_max_TWh"].to_numpy(dtype=float) - spent
    return limits.assign(cumulative_max_TWh=np.where(remaining >= CARRY_ZERO_BELOW, remaining, 0.0))


def add_corridor_vintages(model, corridors: pd.DataFrame) -> None:
    """Add the carried corridor vintages standing in each of the window's periods to the existing corridor capacity:
    the right-hand side of ``corridor_vintage`` and the bounds of ``corridor_capacity`` (in the families and in the
    finished arrays the solvers read)."""
    if corridors.empty or "corridor_vintage" not in model.lp.constraints:
        return
    lp = model.lp
    vintage, capacity = lp.constraints["corridor_vintage"], lp.variables["corridor_capacity"]
    lifetime = model.data.corridors.set_index("corridor")["lifetime_years"]
    crossed = corridors.merge(vintage.keys, on="corridor")
    standing = economics.active(crossed["build_year"].to_numpy(dtype=float), lifetime.reindex(crossed["corridor"]).to_numpy(), crossed["period"].to_numpy())
    crossed = crossed[standing]
    rows = vintage.locate(crossed[["corridor", "period"]])
    added = np.bincount(rows, weights=crossed["capacity_GW"].to_numpy(dtype=float), minlength=vintage.n_keys)
    finished = lp.finish()
    vintage.rhs = vintage.rhs + added
    finished.row_lower[vintage.offset : vintage.offset + vintage.size] += added
    finished.row_upper[vintage.offset : vintage.offset + vintage.size] += added
    columns = capacity.keys.merge(vintage.keys.assign(_row=np.arange(vintage.n_keys)), on=["corridor", "period"], how="left")["_row"].to_numpy()
    capacity.lower = capacity.lower + added[columns]
    capacity.upper = np.maximum(capacity.upper, capacity.lower)
    finished.col_lower[capacity.offset : capacity.offset + capacity.size] = capacity.lower
    finished.col_upper[capacity.offset : capacity.offset + capacity.size] = capacity.upper


# --------------------------------------------------------------------------- stitching


class Pathway:
    """The kept periods' column values and row duals of every window, by family, to be stitched onto the full model."""

    def __init__(self):
        self.columns: dict[str, list] = {}
        self.rows: dict[str, list] = {}
        #: (periods kept, dual of the window's co2_budget row [bn CNY/Mt]) of each window with a budget
        self.budget_duals: list[tuple[tuple, float]] = []

    def keep(self, model, solution, window: Window) -> None:
        lp = model.lp
        for store, families, vector in ((self.columns, lp.variables, solution.x), (self.rows, lp.constraints, solution.row_dual)):
            if vector is None:
                continue
            for name, family in families.items():
                if "period" in family.dims:
                    store.setdefault(name, []).append(_kept(family, lp.values(family, vector), window.kept))
        if solution.row_dual is not None and "co2_budget" in lp.constraints:
            self.budget_duals.append((window.kept, float(lp.values(lp.constraints["co2_budget"], solution.row_dual)[0])))

    def stitch(self, full) -> tuple[np.ndarray, np.ndarray]:
        """The full model's column values (0, or the bound nearest 0, where no window has the element) and row duals (NaN where none has
        the row: rows spanning several windows, co2_budget and cumulative_limit, and rows of a kept period that the
        window did not need)."""
        lp = full.lp
        x = _scatter(lp.variables, self.columns, np.full(lp.n_cols, np.nan), "variable")
        # an element no window has (capacity that could stand but was never built; the old fleet's capacity_existing
        # in a historical period, where a window has no choice and no variable) takes the value nearest 0 its bounds allow
        missing = np.isnan(x)
        if missing.any():
            finished = lp.finish()
            x[missing] = np.clip(0.0, finished.col_lower[missing], finished.col_upper[missing])
        dual = _scatter(lp.constraints, self.rows, np.full(lp.n_rows, np.nan), "constraint")
        return x, dual


def _scatter(families: dict, pieces: dict, out: np.ndarray, kind: str) -> np.ndarray:
    """Write the windows' values into ``out`` by label. Every window variable must exist in the full model; a window
    row that the full model does not have (a row a window needed on its own data) has no dual to give and is skipped."""
    unknown = set(pieces) - set(families)
    if unknown and kind == "variable":
        raise ForesightError(f"window {kind} families missing from the full-horizon model: {', '.join(sorted(unknown))}")
    for name, family in families.items():
        if kind == "variable" and "period" not in family.dims:
            raise ForesightError(f"variable family {name} has no period: it cannot be kept window by window")
        parts = pieces.get(name)
        if not parts:
            continue
        keys = pd.concat([_plain_frame(keys) for keys, _ in parts], ignore_index=True)
        values = np.concatenate([values for _, values in parts])
        positions = family.locate(keys[family.dims], strict=kind == "variable")
        found = positions >= 0
        out[family.flat(positions[found])] = values[found]
    return out


def _plain_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` without its ``attrs`` (pandas compares them on concat; arrays of different shapes there raise)."""
    frame = frame.copy(deep=False)
    frame.attrs = {}
    return frame


def largest_violation(lp, x: np.ndarray) -> tuple[float, str]:
    """The largest violation of a row or column bound of ``lp`` at ``x`` (in the family's units) and where it is."""
    finished = lp.finish()
    activity = finished.matrix @ x
    rows = np.maximum(finished.row_lower - activity, activity - finished.row_upper)
    columns = np.maximum(finished.col_lower - x, x - finished.col_upper)
    row, column = int(np.argmax(rows)) if len(rows) else -1, int(np.argmax(columns)) if len(columns) else -1
    row_value = float(rows[row]) if row >= 0 else 0.0
    column_value = float(columns[column]) if column >= 0 else 0.0
    if max(row_value, column_value) <= 0:
        return 0.0, ""
    if row_value >= column_value:
        name, labels = lp.row_labels(row)
        return row_value, f"{name} ({lp.constraints[name].units}) at {_plain(labels)}"
    for name, family in lp.variables.items():
        if family.offset <= column < family.offset + family.size:
            local = column - family.offset
            key, step = divmod(local, family.n_time) if family.timed else (local, None)
            labels = family.keys.iloc[key].to_dict() | ({"time": lp.time_labels[step]} if step is not None else {})
            return column_value, f"bounds of {name} ({family.units}) at {_plain(labels)}"
    raise IndexError(column)


def _plain(labels: dict) -> str:
    return ", ".join(f"{key}={value.item() if hasattr(value, 'item') else value}" for key, value in labels.items())


# --------------------------------------------------------------------------- the main loop


def solve_pathway(case, options: dict | None = None, out: Path | str | None = None, solver: str | None = None, log=print):
    """Solve an aggregated case window by window as its foresight settings say; returns ``(full_model, solution)``
    where ``solution`` is the stitched pathway on the full-horizon model (``solution.info['foresight']`` holds the
    windows' statistics, for :func:`annotate`)."""
    if case.settings.get("extensions"):
        raise ForesightError(
            f"settings foresight: {mode(case)} cannot be combined with extensions: what extend(model) adds to the Pyomo "
            "model would apply to each window but could not be stitched onto the full horizon; use foresight: perfect"
        )
    periods = [int(p) for p in case.periods]
    years = dict(zip(periods, economics.period_years(periods, case.settings.get("last_period_years")).tolist()))
    size, step = window_shape(case.settings, len(periods))
    windows = plan_windows(periods, size, step)
    log(f"foresight {mode(case)}: {len(windows)} window(s) of up to {size} period(s), keeping {step}")
    checkpoint = WindowCheckpoint(out, case, windows, options, solver)
    state = checkpoint.load()
    if checkpoint.ignored:
        log(f"foresight: the checkpoint {checkpoint.path} is not used ({checkpoint.ignored}): all windows are solved afresh")
    if state is not None:
        log(f"foresight: resuming after window {state['done']} from {checkpoint.path} (the same case, settings and options)")
    carried, pathway, records, solution = (state["carried"], state["pathway"], state["records"], state["last"]) if state else (
        Carried.nothing(), Pathway(), [], None)
    for window in windows[len(records):]:
        model, solution, record = _solve_window(case, window, years, carried, options, out, solver, log)
        records.append(record)
        if not solution.optimal:
            return _failed(case, solution, window, records)
        pathway.keep(model, solution, window)
        carried = carry(carried, model, solution.x, window, years)
        checkpoint.save(carried, pathway, records, solution)
        del model
    return _stitched(case, pathway, solution, records, log)


class WindowCheckpoint:
    """What the windows solved so far decided (fleet carried, kept values and duals, statistics), written atomically
    after each window beside the results (``<out>.foresight.pkl``), so that a run stopped or failed later (a wall-clock
    limit, a crash in the stitch) resumes after its last solved window; it is removed once an optimal pathway's results
    are written. It belongs to one case, settings, window plan,
    solver and options and package version (a fingerprint); another run's file is ignored and overwritten. It is
    Python's pickle: load only files your own runs wrote."""

    def __init__(self, out, case, windows, options, solver):
        from . import __version__

        self.path = Path(out).with_suffix(".foresight.pkl") if out else None
        text = json.dumps({"input_hash": case.input_hash, "settings": case.settings, "windows": [dataclasses.astuple(w) for w in windows],
                           "options": options or {}, "solver": solver, "version": __version__}, sort_keys=True, default=str)
        self.fingerprint = hashlib.sha256(text.encode()).hexdigest()
        #: why an existing checkpoint file was not used (None: used, or none there)
        self.ignored: str | None = None

    @staticmethod
    def remove(out) -> None:
        Path(out).with_suffix(".foresight.pkl").unlink(missing_ok=True)

    def load(self) -> dict | None:
        if self.path is None or not self.path.exists():
            return None
        try:
            with open(self.path, "rb") as stream:
                state = pickle.load(stream)
        except Exception as error:  # a file of another version or a torn one: start afresh (it is rewritten after window 1)
            self.ignored = f"unreadable ({type(error).__name__})"
            return None
        if not (isinstance(state, dict) and state.get("fingerprint") == self.fingerprint):
            self.ignored = "another case, settings, options or version"
            return None
        return state

    def save(self, carried, pathway, records, solution) -> None:
        if self.path is None:
            return
        last = dataclasses.replace(solution, x=None, row_dual=None)  # the stitch takes status, solver and info from it
        last.extensions = None
        state = {"fingerprint": self.fingerprint, "done": records[-1]["window"], "carried": carried, "pathway": pathway, "records": records,
                 "last": last}
        atomic_write_bytes(self.path, pickle.dumps(state, protocol=pickle.HIGHEST_PROTOCOL))


def _solve_window(case, window: Window, years: dict, carried: Carried, options, out, solver, log):
    from .model import build_model
    from .pyomo_solvers import solve_pyomo
    from .solve import solve

    start = time.perf_counter()
    model = build_model(window_case(case, window, years, carried), pyomo=solver is not None)
    add_corridor_vintages(model, carried.corridors)
    build_s = time.perf_counter() - start
    log_file = Path(out).with_suffix(f".window{window.number}.highs.log") if out else None
    solution = solve_pyomo(model, solver, options, log_file) if solver is not None else solve(model, options, log_file=log_file)
    stats = model.statistics()
    record = {
        "window": window.number, "periods": list(window.periods), "kept": list(window.kept), "status": solution.status,
        "objective": float(solution.objective), "build_s": round(build_s, 3),
        **{key: round(float(value), 3) for key, value in solution.timings.items()},
        **stats, "ipm_iterations": int(solution.info.get("ipm_iterations", 0)),
        "simplex_iterations": int(solution.info.get("simplex_iterations", 0)),
    }
    log(f"window {window.number} (periods {_span(window.periods)}, keeps {_span(window.kept)}): {stats['variables']} variables, "
        f"{stats['constraints']} constraints; {solution.status} in {solution.timings.get('solve_s', 0.0):.2f} s, "
        f"window objective {solution.objective:.6g}")
    return model, solution, record


def _span(periods) -> str:
    return str(periods[0]) if len(periods) == 1 else f"{periods[0]}-{periods[-1]}"


def _failed(case, solution, window: Window, records: list):
    """The full model and the failing window's solution, its diagnosis naming the window."""
    from .model import build_model

    solution.diagnosis = [f"foresight {mode(case)}, window {window.number} (periods {_span(window.periods)}): {line}" for line in solution.diagnosis] or [
        f"foresight {mode(case)}: window {window.number} (periods {_span(window.periods)}) ended {solution.status}"
    ]
    solution.x = solution.row_dual = None
    solution.objective = float("nan")
    solution.info["foresight"] = {"records": records, "budget_duals": []}
    return build_model(case, pyomo=False), solution


def _stitched(case, pathway: Pathway, last, records: list, log):
    """The full-horizon model and the stitched solution on it."""
    from .model import build_model
    from .solve import Solution

    start = time.perf_counter()
    full = build_model(case, pyomo=False)
    x, dual = pathway.stitch(full)
    if "co2_budget" in full.lp.constraints:
        # the budget row spans the windows, each of which had its own: price_co2 takes, in each period, the dual of
        # the budget row of the window that kept it (annotate), not a dual of this row
        budget = full.lp.constraints["co2_budget"]
        dual[budget.offset : budget.offset + budget.size] = 0.0
    finished = full.lp.finish()
    violation, where = largest_violation(full.lp, x)
    objective = float(finished.cost @ x + finished.objective_offset)
    stitch_s = time.perf_counter() - start
    log(f"stitched pathway: objective {objective:.6g} bn CNY over the full horizon (sum of the windows' own objectives "
        f"{sum(r['objective'] for r in records):.6g}); largest violation of a full-horizon constraint {violation:.3g}"
        + (f" ({where})" if where else ""))
    feasible = violation <= VIOLATION_TOLERANCE
    if not feasible:
        log(f"error: the stitched pathway is not a feasible point of the full horizon (largest violation {violation:.3g}, "
            f"{where}): the windows' results are not reported as a solution")
    solution = Solution(
        status=last.status if feasible else "Infeasible pathway", optimal=feasible, objective=objective, x=x, row_dual=dual, solver=last.solver,
        solver_version=last.solver_version, options=last.options,
        timings={name: sum(r.get(name, 0.0) for r in records) for name in ("transfer_s", "solve_s")} | {"stitch_s": stitch_s},
        log_file=last.log_file,
        info={
            **last.info,
            "ipm_iterations": sum(r["ipm_iterations"] for r in records), "simplex_iterations": sum(r["simplex_iterations"] for r in records),
            "foresight": {"records": records, "budget_duals": pathway.budget_duals, "violation": violation, "violation_where": where},
        },
    )
    if not feasible:
        solution.diagnosis = [
            f"foresight {mode(case)}: the windows solved, but their stitched pathway violates a row or bound of the full horizon "
            f"by {violation:.3g} ({where}); this is a limitation of window-by-window solving for this case (docs/model.md, "
            "section 12): use foresight: perfect, or report it"
        ]
    return full, solution


# --------------------------------------------------------------------------- results


def annotate(ds, model, solution) -> None:
    """Add the foresight attributes to a results dataset, and for a stitched pathway with a CO2 budget the budget
    part of ``price_co2``: in each period the dual of the budget row of the window that kept it."""
    settings = model.case.settings
    ds.attrs["foresight"] = mode(model.case)
    info = solution.info.get("foresight")
    if info is None:
        return
    size, step = window_shape(settings, len(model.data.periods))
    ds.attrs.update({
        "foresight_window": size, "foresight_step": step, "foresight_windows": yaml.safe_dump(info["records"], sort_keys=False),
        "foresight_window_objective_sum": float(sum(r["objective"] for r in info["records"])),
    })
    if "violation" in info:
        ds.attrs["foresight_largest_violation"] = float(info["violation"])
        ds.attrs["foresight_largest_violation_where"] = info["violation_where"]
    if "price_co2" in ds:
        for kept, budget_dual in info["budget_duals"]:
            periods = list(kept)
            years = model.data.years[pd.Index(model.data.periods).get_indexer(periods)]
            ds["price_co2"].loc[{"period": periods}] = ds["price_co2"].sel(period=periods).values - budget_dual * years * 1e3 / model.data.weight_of(periods)
