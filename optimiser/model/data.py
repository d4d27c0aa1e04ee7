"""Bulk preparation of a validated case into the arrays and sparse index sets the model needs.

Everything here is pandas/numpy on whole tables; no Pyomo, no per-element loops
over time.  Units are converted once, here, into the model's scaled units:
GW, GWh per time step, TWh and Mt per year, billion CNY.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .. import economics
from ..inputs import Case
from ..schema import TABLE_BY_NAME
from .linear import KeyIndex

#: CNY/kW -> billion CNY/GW ; CNY/kWh -> billion CNY/GWh
PER_KW_TO_BN_PER_GW = 1e-3
#: CNY/MWh x GWh -> billion CNY
PER_MWH_TO_BN_PER_GWH = 1e-6
#: GWh -> TWh, kt -> Mt
GWH_TO_TWH = 1e-3
#: CNY/t x Mt -> billion CNY
PER_T_TO_BN_PER_MT = 1e-3

PERIOD_PARAMETERS = ["capex_CNY_per_kW", "capex_energy_CNY_per_kWh", "fom_CNY_per_kW_yr", "vom_CNY_per_MWh", "efficiency", "capture_rate"]


def interpolate_by_period(frame: pd.DataFrame, key: str | list[str], periods: list[int], columns: list[str]) -> pd.DataFrame:
    """Fill every (key, period) by linear interpolation between given periods, constant beyond them.

    ``key`` is one column or several. Each value column is interpolated on its own, skipping the periods
    where it is missing (all missing: NaN). Keys keep their order of first appearance; periods follow
    ``periods``. (key, period) must be unique.
    """
    on = [key] if isinstance(key, str) else list(key)
    if frame.empty:
        return pd.DataFrame(columns=on + ["period"] + columns)
    keys = frame[on].drop_duplicates()
    codes = KeyIndex(keys).positions(frame)
    targets = np.asarray(periods, dtype=float)
    given = frame["period"].to_numpy(dtype=float)
    axis = np.union1d(given, targets)  # every given and wanted period, sorted; position len(axis) stands for "none"
    none = len(axis)
    at_given, at_target = np.searchsorted(axis, given), np.searchsorted(axis, targets)
    steps = np.arange(none)
    axis_or_nan = np.append(axis, np.nan)
    out = keys.iloc[np.repeat(np.arange(len(keys)), len(targets))].reset_index(drop=True)
    out["period"] = np.tile(targets.astype(np.int64), len(keys))
    for column in columns:
        values = np.full((len(keys), none + 1), np.nan)
        values[codes, at_given] = frame[column].to_numpy(dtype=float)
        known = ~np.isnan(values[:, :none])
        # nearest known period at or before, and at or after, each wanted period (or "none")
        before = np.maximum.accumulate(np.where(known, steps, -1), axis=1)[:, at_target]
        after = np.flip(np.minimum.accumulate(np.flip(np.where(known, steps, none), axis=1), axis=1), axis=1)[:, at_target]
        before = np.where(before < 0, after, before)  # before the first given period: constant
        after = np.where(after == none, before, after)  # after the last: constant
        x0, x1 = axis_or_nan[before], axis_or_nan[after]
        y0, y1 = np.take_along_axis(values, before, axis=1), np.take_along_axis(values, after, axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            share = np.where(x1 > x0, (targets[None, :] - x0) / (x1 - x0), 0.0)
        out[column] = (y0 + share * (y1 - y0)).reshape(-1)
    return out


def _equal(a, b) -> bool:
    if isinstance(a, (pd.DataFrame, pd.Series, pd.Index)):
        return type(a) is type(b) and a.equals(b)
    if isinstance(a, np.ndarray):
        return isinstance(b, np.ndarray) and a.dtype == b.dtype and np.array_equal(a, b)
    if isinstance(a, tuple):
        return isinstance(b, tuple) and len(a) == len(b) and all(_equal(x, y) for x, y in zip(a, b))
    return a == b


class Reuse:
    """Results of data-preparation steps, kept from the previous build and reused while their inputs are equal.

    A sweep worker builds one variant after another; most steps (capacity sets, existing capacity, carrier
    flows, balance keys, vintages, availability, limits) read tables a numbers-only scenario does not touch.
    Each step names the inputs it reads (frames restricted to the columns used, arrays, scalars); equal inputs
    (``DataFrame.equals``) give the previous result. Results are shared between builds: callers must not modify
    them in place (arrays are made read-only).
    """

    def __init__(self, previous: "Reuse | None" = None):
        self.previous = previous.kept if previous is not None else {}
        self.kept: dict[str, list[tuple]] = {}
        self.hits: list[str] = []

    def __call__(self, name: str, inputs: tuple, compute):
        for kept_inputs, kept_value in self.previous.get(name, []):
            if _equal(kept_inputs, inputs):
                value = kept_value
                self.hits.append(name)
                break
        else:
            value = compute()
            for array in value if isinstance(value, tuple) else (value,):
                if isinstance(array, np.ndarray):
                    array.setflags(write=False)
        self.kept.setdefault(name, []).append((inputs, value))
        return value


@dataclass
class ModelData:
    """Everything the model builders read, in model units."""

    case: Case
    periods: np.ndarray  # (P,) years
    years: np.ndarray  # (P,) years each period stands for
    weights: np.ndarray  # (P,) discounted objective weight of each period
    time: pd.DataFrame  # time, weight_h, duration_h, representative_period
    technologies: pd.DataFrame  # indexed by technology
    tech_period: pd.DataFrame  # technology, period + parameters (interpolated)
    carriers: pd.DataFrame  # indexed by carrier
    capacity_keys: pd.DataFrame  # technology, region, period: where capacity may be > 0
    build_keys: pd.DataFrame  # technology, region, period: where capacity may be built
    existing: pd.DataFrame  # technology, region, period, capacity_GW, energy_capacity_GWh (active existing)
    flows: pd.DataFrame  # technology, period, carrier, flow (signed, per unit of activity) incl. main in/out and capture
    emission_factor: pd.DataFrame  # technology, period, co2 (kt per GWh of activity: net atmospheric)
    corridors: pd.DataFrame
    #: (P,) True for the leading periods declared history (setting ``historical_periods``): no investment there
    historical: np.ndarray = None
    #: existing capacity by build year: capacities.csv + committed_capacity.csv (technology, region, build_year, capacity_GW, ...)
    fleet: pd.DataFrame = None
    #: the part of ``existing`` that may retire early: capacities.csv only (committed capacity, built or being built
    #: after the base year, stands to the end of its life); same columns as ``existing``
    existing_retirable: pd.DataFrame = None
    reuse: Reuse = field(default_factory=Reuse)

    @property
    def n_time(self) -> int:
        return len(self.time)

    @property
    def period_index(self) -> dict:
        return {int(p): i for i, p in enumerate(self.periods)}

    def periods_frame(self) -> pd.DataFrame:
        return pd.DataFrame({"period": self.periods.astype(np.int64)})

    def weight_of(self, periods) -> np.ndarray:
        """Objective weight of each period in ``periods``."""
        return self.weights[pd.Index(self.periods).get_indexer(np.asarray(periods))]

    # ------------------------------------------------------------ construction
    @classmethod
    def from_case(cls, case: Case, previous: "ModelData | None" = None) -> "ModelData":
        """Prepare ``case``; steps whose inputs equal those of ``previous`` (the model data of the last build of
        a sweep worker) take its results instead of being computed again."""
        settings = case.settings
        reuse = Reuse(previous.reuse if previous is not None else None)
        periods = np.asarray(case.periods, dtype=np.int64)
        years = economics.period_years(periods, settings.get("last_period_years"))
        weights = economics.discount_weights(periods, years, float(settings["discount_rate"]), int(settings["base_year"]))
        time = case["time_steps"].copy()
        historical = np.isin(periods, np.asarray(settings.get("historical_periods") or [], dtype=np.int64))

        technologies = case["technologies"].set_index("technology", drop=False).copy()
        technologies["wacc"] = technologies["wacc"].fillna(float(settings["discount_rate"]))
        technologies["annuity"] = economics.annuity_factor(technologies["wacc"], technologies["lifetime_years"])
        tech_period = interpolate_by_period(case["technology_periods"], "technology", list(periods), PERIOD_PARAMETERS)
        schema = TABLE_BY_NAME["technology_periods"]
        tech_period = tech_period.fillna({name: schema.column(name).default for name in PERIOD_PARAMETERS})
        carriers = case["carriers"].set_index("carrier", drop=False)

        fleet = _fleet(case)
        existing = reuse(
            "existing",
            (fleet, technologies[["lifetime_years", "duration_h"]], periods),
            lambda: _active_existing(fleet, technologies, periods),
        )
        retirable = reuse(
            "existing_retirable",
            (case["capacities"], technologies[["lifetime_years", "duration_h", "early_retirement"]], periods),
            lambda: _active_existing(case["capacities"][technologies["early_retirement"].reindex(case["capacities"]["technology"]).to_numpy(dtype=bool)]
                                     if not case["capacities"].empty else case["capacities"], technologies, periods),
        )
        capacity_keys, build_keys = reuse(
            "capacity_sets",
            (case["capacity_limits"], technologies[["technology", "expandable", "lifetime_years"]], existing, tuple(case.regions), periods, historical),
            lambda: _capacity_sets(case, technologies, existing, periods, historical),
        )
        flows, emission_factor = reuse(
            "conversion_flows",
            (
                technologies[["type", "carrier_out", "carrier_in"]], tech_period[["technology", "period", "efficiency", "capture_rate"]],
                case["technology_flows"], carriers[["co2_content_t_per_MWh", "biogenic"]], settings.get("co2_captured_carrier"),
            ),
            lambda: _conversion_flows(case, technologies, tech_period, carriers),
        )
        corridors = case["corridors"].copy()
        if not corridors.empty:
            corridors["wacc"] = corridors["wacc"].fillna(float(settings["discount_rate"]))
            corridors["build_year"] = corridors["build_year"].fillna(settings["base_year"]).astype(int)
            corridors["annuity"] = economics.annuity_factor(corridors["wacc"], corridors["lifetime_years"])
            corridors["efficiency"] = 1.0 - corridors["loss_per_1000km"] * corridors["length_km"] / 1000.0
        return cls(
            case=case,
            periods=periods,
            years=years,
            weights=weights,
            time=time,
            technologies=technologies,
            tech_period=tech_period,
            carriers=carriers,
            capacity_keys=capacity_keys,
            build_keys=build_keys,
            existing=existing,
            flows=flows,
            emission_factor=emission_factor,
            corridors=corridors,
            historical=historical,
            fleet=fleet,
            existing_retirable=retirable,
            reuse=reuse,
        )

    # ------------------------------------------------------------ parameters by label
    #: name -> (unit, description) of what :meth:`parameter` returns
    PARAMETERS = {
        "availability": ("1", "Available share of capacity by (technology, region, time), where capacity can stand"),
        "demand": ("GW", "Exogenous demand by (carrier, region, period, time)"),
        "fuel_price": ("CNY/MWh", "Price of bought carriers by (carrier, region, period); CNY/t for mass carriers"),
        **{name: ("per the column", f"{name} by (technology, period), interpolated between given periods") for name in PERIOD_PARAMETERS},
    }

    def parameter(self, name: str) -> pd.Series:
        """An input in model units as a Series indexed by its labels (the labels of the Pyomo model), e.g.
        ``model.data.parameter("availability").loc[("wind", "north", 5)]``; the names are in ``PARAMETERS``."""
        if name not in self.PARAMETERS:
            raise KeyError(f"no parameter '{name}'; there are: {', '.join(sorted(self.PARAMETERS))}")
        times = self.time["time"].to_numpy()
        if name in PERIOD_PARAMETERS:
            return self.tech_period.set_index(["technology", "period"])[name].rename(name)
        if name == "availability":
            keys = self.capacity_keys[["technology", "region"]].drop_duplicates().reset_index(drop=True)
            values = self.availability(keys)
            frame = keys.loc[keys.index.repeat(self.n_time)].assign(time=np.tile(times, len(keys)), value=values.ravel())
            return frame.set_index(["technology", "region", "time"])["value"].rename(name)
        if name == "demand":
            demand = self.demand()
            frame = demand[["carrier", "region", "period"]].loc[demand.index.repeat(self.n_time)]
            frame = frame.assign(time=np.tile(times, len(demand)), value=demand.attrs["GW"].ravel())
            return frame.set_index(["carrier", "region", "period", "time"])["value"].rename(name)
        prices = self.case["fuel_prices"]
        keys = cross_periods(pd.DataFrame([(c, r) for c in prices["carrier"].unique() for r in self.case.regions], columns=["carrier", "region"]), self.periods)
        return keys.assign(value=self.fuel_price(keys)).set_index(["carrier", "region", "period"])["value"].rename(name)

    # ------------------------------------------------------------ lookups
    def tech_param(self, keys: pd.DataFrame, parameter: str) -> np.ndarray:
        """Period parameter for each (technology, period) row of ``keys``."""
        rows = self._tech_period_index.positions(keys)
        values = self.tech_period[parameter].to_numpy(dtype=float)
        return np.where(rows >= 0, values[rows], np.nan)

    @functools.cached_property
    def _tech_period_index(self) -> KeyIndex:
        return KeyIndex(self.tech_period[["technology", "period"]])

    def tech_static(self, keys: pd.DataFrame, attribute: str) -> np.ndarray:
        return self.technologies[attribute].reindex(keys["technology"]).to_numpy()

    def limits(self, keys: pd.DataFrame, column: str) -> np.ndarray:
        """Capacity limit ``column`` for (technology, region, period) keys; NaN where none is set."""
        table = self.case["capacity_limits"]
        return self.reuse(
            "limits", (column, keys[["technology", "region", "period"]], table),
            lambda: period_lookup(table, keys, column, ["technology", "region"]),
        )

    @functools.cached_property
    def month_hours(self) -> np.ndarray | None:
        """(T, 12) hours of each calendar month that each time step stands for (rows sum to ``weight_h``), from the day
        sequence of a time aggregation or from a chronological year (``weight_h == duration_h``) that starts on 1 January;
        None where the time steps have no calendar."""
        time = self.time
        weight = time["weight_h"].to_numpy(dtype=float)
        duration = time["duration_h"].to_numpy(dtype=float)
        sequence = getattr(self.case, "period_sequence", None)
        if sequence is not None:
            month = _month_of_day(sequence["day"].to_numpy())
            groups = pd.Index(pd.unique(time["representative_period"]))
            days = np.zeros((len(groups), 12))
            np.add.at(days, (groups.get_indexer(sequence["representative_period"]), month), 1.0)
            hours = days[groups.get_indexer(time["representative_period"])] * duration[:, None]
        elif np.allclose(weight, duration):
            start_day = np.floor((np.cumsum(duration) - duration) / 24.0).astype(np.int64)
            hours = np.zeros((len(time), 12))
            hours[np.arange(len(time)), _month_of_day(start_day)] = weight
        else:
            return None
        if not np.allclose(hours.sum(axis=1), weight, rtol=1e-6):
            return None
        return hours

    def entering(self, keys: pd.DataFrame) -> np.ndarray:
        """Capacity of capacities.csv (GW) that stands in each (technology, region, period) of ``keys`` but did not
        stand in the period before (a unit of the fleet file coming into service later); in the first period, all that
        stands."""
        fleet = self.case["capacities"]
        if fleet is None or fleet.empty or len(keys) == 0:
            return np.zeros(len(keys))
        lifetime = self.technologies["lifetime_years"].reindex(fleet["technology"]).to_numpy()
        crossed = cross_periods(fleet.assign(_end=fleet["build_year"].to_numpy() + lifetime), self.periods)
        index = pd.Index(self.periods).get_indexer(crossed["period"])
        before = np.where(index > 0, self.periods[np.maximum(index - 1, 0)], -np.inf)
        stands_now = (crossed["build_year"] <= crossed["period"]) & (crossed["period"] < crossed["_end"])
        stood_before = (crossed["build_year"] <= before) & (before < crossed["_end"]) & (index > 0)
        new = crossed[stands_now & ~stood_before].groupby(["technology", "region", "period"])["capacity_GW"].sum().reset_index()
        return np.nan_to_num(lookup(new, keys, "capacity_GW", ["technology", "region", "period"]))

    def vintage_pairs(self, build_keys: pd.DataFrame) -> pd.DataFrame:
        """(technology, region, vintage, period, _build) for every period in which a vintage of ``build_keys`` stands
        (``_build``: the vintage's row in ``build_keys``)."""
        lifetime = self.technologies["lifetime_years"]
        return self.reuse("vintage_pairs", (build_keys, lifetime, self.periods), lambda: vintage_pairs(build_keys, self.periods, lifetime))

    def availability(self, keys: pd.DataFrame) -> np.ndarray:
        """Availability per (technology, region) row of ``keys`` and time step: shape (n, T)."""
        inputs = (keys[["technology", "region"]], self.case["availability"], self.technologies["availability_max"], self.time["time"])
        return self.reuse("availability", inputs, lambda: self._availability(keys))

    def _availability(self, keys: pd.DataFrame) -> np.ndarray:
        n_time = self.n_time
        out = np.broadcast_to(self.tech_static(keys, "availability_max").astype(float)[:, None], (len(keys), n_time)).copy()
        profiles = self.case["availability"]
        if profiles.empty or len(keys) == 0:
            return out
        rows, values = self.profiles_of(profiles, keys, ["technology", "region"], "availability")
        has = rows >= 0
        values = values[rows[has]]
        out[has] = np.where(np.isnan(values), out[has], values)
        return out

    def profiles_of(self, profiles: pd.DataFrame, keys: pd.DataFrame, on: list[str], column: str) -> tuple[np.ndarray, np.ndarray]:
        """Time series of a long (``on`` + time) profile table for the rows of ``keys`` over the case's time steps
        (see :func:`profiles_over`)."""
        return profiles_over(profiles, keys, on, column, self.time["time"])

    def demand(self) -> pd.DataFrame:
        """Demand rows (carrier, region, period) with an (n, T) array of GW per time step in ``.attrs['GW']``."""
        demand = self.case["demand"]
        demand = demand[demand["demand_TWh"] > 0].reset_index(drop=True)
        demand.attrs["GW"] = demand_GW(demand, self.case["demand_profiles"], self.time)
        return demand

    def fuel_price(self, keys: pd.DataFrame) -> np.ndarray:
        """Price in CNY/MWh for (carrier, region, period) keys; 0 where none applies.

        A price row for a region overrides the row without region (every region) of the same carrier and period.
        """
        prices = self.case["fuel_prices"]
        if prices.empty or len(keys) == 0:
            return np.zeros(len(keys))
        full = self.reuse(
            "fuel_prices", (prices, self.periods), lambda: interpolate_by_period(prices, ["carrier", "region"], list(self.periods), ["price_CNY_per_MWh"])
        )
        every_region = (full["region"] == "").to_numpy()
        price = layered_lookup(full, keys, "price_CNY_per_MWh", [(every_region, ["carrier", "period"]), (~every_region, ["carrier", "region", "period"])])
        return np.nan_to_num(price, nan=0.0)


#: first day of each month in a year of 365 days (a year of 366 days has 29 February)
MONTH_STARTS = np.cumsum([0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30])


def profiles_over(profiles: pd.DataFrame, keys: pd.DataFrame, on: list[str], column: str, times) -> tuple[np.ndarray, np.ndarray]:
    """Time series of a long (``on`` + time) profile table for the rows of ``keys`` over the time labels ``times``.

    Returns the series row of each key (-1 where the table has none) and the (series, T) values (NaN where a step is
    missing).
    """
    series = profiles[on].drop_duplicates()
    index = KeyIndex(series)
    values = np.full((len(series), len(times)), np.nan)
    step = pd.Index(times).get_indexer(profiles["time"])
    known = step >= 0
    values[index.positions(profiles)[known], step[known]] = profiles[column].to_numpy(dtype=float)[known]
    return index.positions(keys), values


def demand_GW(demand: pd.DataFrame, profiles: pd.DataFrame, time: pd.DataFrame) -> np.ndarray:
    """(n, T) GW of each demand row (carrier, region, period, demand_TWh) over the time steps ``time`` (time,
    weight_h): the row's profile (flat where it has none; 0 where a step is missing) scaled so that its hours-weighted
    sum is the annual demand: GW[i, t] = demand_TWh[i] x 1e3 x profile[i, t] / sum_t weight_h[t] x profile[i, t]."""
    weight = time["weight_h"].to_numpy(dtype=float)
    shape = np.ones((len(demand), len(time)))
    if not profiles.empty and len(demand):
        rows, values = profiles_over(profiles, demand, ["carrier", "region"], "profile", time["time"])
        has = rows >= 0
        shape[has] = np.nan_to_num(values[rows[has]], nan=0.0)
    total = shape @ weight
    total = np.where(total > 0, total, 1.0)
    return shape * (demand["demand_TWh"].to_numpy(dtype=float) * 1e3 / total)[:, None]


def _month_of_day(day: np.ndarray) -> np.ndarray:
    """Month (0 = January) of each day of the year (0 = 1 January); days beyond 365 count as December."""
    return np.clip(np.searchsorted(MONTH_STARTS, np.asarray(day), side="right") - 1, 0, 11)


def layered_lookup(table: pd.DataFrame, keys: pd.DataFrame, column: str, layers: list[tuple[np.ndarray, list[str]]]) -> np.ndarray:
    """``column`` of ``table`` for each row of ``keys``, from layers of rows matched on their own columns.

    Each layer is (rows of ``table``, columns they are matched on); a later layer's value, where it is
    not missing, overrides an earlier one's (e.g. a period-specific row over a row for every period).
    NaN where no layer gives a value.
    """
    out = np.full(len(keys), np.nan)
    values = table[column].to_numpy(dtype=float)
    for rows, on in layers:
        if rows.any():
            found = KeyIndex(table.loc[rows, on]).positions(keys)
            value = np.where(found >= 0, values[rows][found], np.nan)
            out = np.where(np.isnan(value), out, value)
    return out


def sort_keys(frame: pd.DataFrame, label_orders: dict) -> pd.DataFrame:
    """Unique key rows sorted by the columns in ``label_orders`` (each in its given order of labels), then by period."""
    order = [pd.Index(labels).get_indexer(frame[column]) for column, labels in label_orders.items()]
    return frame.iloc[np.lexsort([frame["period"].to_numpy()] + order[::-1])].reset_index(drop=True)


def cross_periods(frame: pd.DataFrame, periods) -> pd.DataFrame:
    """Every row of ``frame`` once per period (row-major, like a cross join), with a ``period`` column (int64)."""
    periods = np.asarray(periods, dtype=np.int64)
    crossed = frame.iloc[np.repeat(np.arange(len(frame)), len(periods))].reset_index(drop=True)
    crossed["period"] = np.tile(periods, len(frame))
    return crossed


def lookup(table: pd.DataFrame, keys: pd.DataFrame, column: str, on: list[str]) -> np.ndarray:
    """``column`` of the ``table`` row matching each row of ``keys`` on the ``on`` columns; NaN where none does."""
    return layered_lookup(table, keys, column, [(np.ones(len(table), dtype=bool), on)])


def period_lookup(table: pd.DataFrame, keys: pd.DataFrame, column: str, on: list[str]) -> np.ndarray:
    """``column`` of ``table`` for (``on`` + period) keys; NaN where no row applies.

    A row with a period applies to that period; a row without one (blank period) to every period
    that no row of the same ``on`` names.
    """
    if table.empty or len(keys) == 0:
        return np.full(len(keys), np.nan)
    every_period = table["period"].isna().to_numpy()
    return layered_lookup(table, keys, column, [(every_period, on), (~every_period, on + ["period"])])


def vintage_pairs(build_keys: pd.DataFrame, periods: np.ndarray, lifetime: pd.Series) -> pd.DataFrame:
    """Rows of ``build_keys`` (``period`` = vintage) crossed with the periods in which they stand, with ``vintage``,
    ``period`` and ``_build`` (the row in ``build_keys``); ``lifetime`` is indexed by ``build_keys``' first column."""
    vintages = build_keys.rename(columns={"period": "vintage"})
    vintages["_build"] = np.arange(len(vintages))
    crossed = cross_periods(vintages, periods)
    life = lifetime.reindex(crossed[build_keys.columns[0]]).to_numpy()
    standing = economics.active(crossed["vintage"], life, crossed["period"])
    return crossed[np.asarray(standing)].reset_index(drop=True)


def _active_existing(existing: pd.DataFrame, technologies: pd.DataFrame, periods: np.ndarray) -> pd.DataFrame:
    """Existing capacity standing in each period (retired at build_year + lifetime)."""
    columns = ["technology", "region", "period", "capacity_GW", "energy_capacity_GWh"]
    if existing.empty:
        return pd.DataFrame(columns=columns)
    existing = existing.copy()
    lifetime = technologies["lifetime_years"].reindex(existing["technology"]).to_numpy()
    duration = technologies["duration_h"].reindex(existing["technology"]).to_numpy()
    energy = existing["energy_capacity_GWh"].to_numpy(dtype=float)
    existing["energy_capacity_GWh"] = np.where(np.isnan(energy), np.nan_to_num(duration) * existing["capacity_GW"].to_numpy(), energy)
    existing["_retired"] = existing["build_year"] + lifetime
    crossed = cross_periods(existing, periods)
    standing = crossed[(crossed["build_year"] <= crossed["period"]) & (crossed["period"] < crossed["_retired"])]
    result = standing.groupby(["period", "technology", "region"], as_index=False)[["capacity_GW", "energy_capacity_GWh"]].sum()[columns]
    # storage energy may stand without power of its own (an energy vintage outlasting the power built with it)
    return result[(result["capacity_GW"] > 0) | (result["energy_capacity_GWh"].fillna(0.0) > 0)].reset_index(drop=True)


def _fleet(case: Case) -> pd.DataFrame:
    """Existing capacity by build year: ``capacities.csv`` and ``committed_capacity.csv`` (built or under construction
    since), which stand alike (technology, region, build_year, capacity_GW, energy_capacity_GWh)."""
    columns = ["technology", "region", "build_year", "capacity_GW", "energy_capacity_GWh"]
    parts = [frame[columns] for frame in (case["capacities"], case["committed_capacity"]) if not frame.empty]
    if not parts:
        return pd.DataFrame(columns=columns)
    return pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0].copy()


def _capacity_sets(case: Case, technologies: pd.DataFrame, existing: pd.DataFrame, periods: np.ndarray, historical: np.ndarray):
    """Sparse sets: where capacity may be built (build_keys; never in a historical period) and where it may stand
    (capacity_keys)."""
    regions = case.regions
    expandable = technologies.loc[technologies["expandable"], "technology"]
    pairs = pd.DataFrame({"technology": np.repeat(expandable.to_numpy(), len(regions)), "region": np.tile(np.asarray(regions, dtype=object), len(expandable))})
    grid = cross_periods(pairs, periods[~historical])
    cap_max = period_lookup(case["capacity_limits"], grid, "capacity_max_GW", ["technology", "region"])
    new_max = period_lookup(case["capacity_limits"], grid, "capacity_new_max_GW", ["technology", "region"])
    buildable = ~((cap_max == 0) | (new_max == 0))
    build_keys = grid[buildable].reset_index(drop=True)

    # capacity may stand in (t, r, p) if some vintage built at v <= p < v + L or existing capacity stands there
    pieces = [existing[["technology", "region", "period"]]]
    if not build_keys.empty:
        pieces.append(vintage_pairs(build_keys, periods, technologies["lifetime_years"])[["technology", "region", "period"]])
    capacity_keys = pd.concat(pieces, ignore_index=True).drop_duplicates().astype({"period": np.int64})
    return sort_keys(capacity_keys, {"technology": technologies.index, "region": regions}), build_keys


def _conversion_flows(case: Case, technologies: pd.DataFrame, tech_period: pd.DataFrame, carriers: pd.DataFrame):
    """Signed carrier flows per unit of activity and the net atmospheric CO2 factor of conversion technologies.

    Activity is the output flow of ``carrier_out``.  Inputs are negative.  Captured CO2
    (capture rate x CO2 content of the inputs) becomes an output of the captured-CO2 carrier.
    Net atmospheric emissions per unit of activity = fossil CO2 content of the inputs minus
    all captured CO2 produced (which makes capture from biomass or air a removal).
    """
    conversion = technologies[technologies["type"] == "conversion"]
    tp = tech_period[tech_period["technology"].isin(conversion.index)].copy()
    tp["carrier_out"] = conversion["carrier_out"].reindex(tp["technology"]).to_numpy()
    tp["carrier_in"] = conversion["carrier_in"].reindex(tp["technology"]).to_numpy()
    rows = [tp.assign(carrier=tp["carrier_out"], flow=1.0)[["technology", "period", "carrier", "flow"]]]
    has_input = tp["carrier_in"] != ""
    inputs = tp[has_input]
    rows.append(inputs.assign(carrier=inputs["carrier_in"], flow=-1.0 / inputs["efficiency"])[["technology", "period", "carrier", "flow"]])
    extra = case["technology_flows"]
    if not extra.empty:
        extra_rows = tp[["technology", "period"]].merge(extra, on="technology")
        rows.append(extra_rows.rename(columns={"flow_per_output": "flow"})[["technology", "period", "carrier", "flow"]])
    flows = pd.concat(rows, ignore_index=True)

    content = carriers["co2_content_t_per_MWh"]
    fossil = content * (~carriers["biogenic"]).astype(float)
    consumed = flows[flows["flow"] < 0]
    factor = tp[["technology", "period", "capture_rate"]].reset_index(drop=True)
    owner = KeyIndex(factor[["technology", "period"]]).positions(consumed)
    amount = -consumed["flow"].to_numpy()
    for name, per_unit in (("content", content), ("fossil", fossil)):
        factor[name] = np.bincount(owner, weights=amount * per_unit.reindex(consumed["carrier"]).to_numpy(), minlength=len(factor))
    factor["captured"] = factor["capture_rate"] * factor["content"]
    captured_carrier = case.settings.get("co2_captured_carrier")
    if captured_carrier:
        capture_rows = factor.loc[factor["captured"] > 0, ["technology", "period", "captured"]].rename(columns={"captured": "flow"})
        flows = pd.concat([flows, capture_rows.assign(carrier=captured_carrier)], ignore_index=True)
        flows = flows.groupby(["technology", "period", "carrier"], as_index=False, sort=False)["flow"].sum()
        produced = flows[(flows["carrier"] == captured_carrier) & (flows["flow"] > 0)].groupby(["technology", "period"])["flow"].sum()
        factor["co2_out"] = produced.reindex(pd.MultiIndex.from_frame(factor[["technology", "period"]])).fillna(0.0).to_numpy()
    else:
        factor["co2_out"] = 0.0
    factor["co2"] = factor["fossil"] - factor["co2_out"]
    # capture of biogenic CO2 (BECCS, biomass to hydrogen with capture) is a removal from the atmosphere
    factor["biogenic_captured"] = factor["capture_rate"] * (factor["content"] - factor["fossil"])
    return flows, factor[["technology", "period", "co2", "captured", "biogenic_captured"]]
