"""Conversion technologies: output (activity) limited by availability x capacity, carrier flows,
minimum load, annual energy budgets, variable and fuel costs, CO2 emissions."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .data import GWH_TO_TWH, PER_MWH_TO_BN_PER_GWH, lookup, period_lookup


class CalendarError(ValueError):
    """A monthly input on time steps that have no calendar."""


def _month_hours(data, what: str) -> np.ndarray:
    hours = data.month_hours
    if hours is None:
        raise CalendarError(
            f"{what} needs time steps with a calendar: a chronological year of steps starting on 1 January, or a time "
            "aggregation (time_aggregation in settings.yaml), which keeps the day sequence"
        )
    return hours


def minimum_load(data, keys: pd.DataFrame) -> np.ndarray:
    """(n, T) minimum output / capacity: the larger of ``min_load_fraction`` and the monthly minima of minimum_loads.csv,
    a step standing for days of several months taking the hours-weighted mean of theirs."""
    static = data.tech_static(keys, "min_load_fraction").astype(float)
    out = np.broadcast_to(static[:, None], (len(keys), data.n_time)).copy()
    table = data.case["minimum_loads"]
    if table.empty or len(keys) == 0:
        return out
    hours = _month_hours(data, "minimum_loads.csv")
    share = hours / data.time["weight_h"].to_numpy(dtype=float)[:, None]  # (T, 12)
    monthly = np.zeros((len(keys), 12))
    for month in range(1, 13):
        rows = table[table["month"] == month]
        if len(rows):
            monthly[:, month - 1] = np.nan_to_num(lookup(rows, keys, "min_load_fraction", ["technology", "region"]))
    return np.maximum(out, monthly @ share.T)


def _add_monthly_budgets(model, keys: pd.DataFrame, generation, monthly: pd.DataFrame) -> None:
    """energy_budget_month[t,r,p,m]: sum_h hours_h,m x generation[t,r,p,h] / 1000 <= budget[t,r,p,m]   (TWh in month m;
    hours_h,m = hours of month m that step h stands for, ModelData.month_hours)."""
    data, lp = model.data, model.lp
    hours = _month_hours(data, "energy_budgets.csv rows with a month")
    pieces = []
    for month in sorted(monthly["month"].astype(int).unique()):
        budget = period_lookup(monthly[monthly["month"] == month], keys, "energy_max_TWh", ["technology", "region"])
        limited = np.flatnonzero(~np.isnan(budget))
        pieces.append(keys.iloc[limited].assign(month=month, _key=limited, _budget=budget[limited]))
    rows = pd.concat(pieces, ignore_index=True)
    if rows.empty:
        return
    energy = lp.add_constraints(
        "energy_budget_month", rows[["technology", "region", "period", "month"]], "<=", rows["_budget"].to_numpy(), units="TWh/month",
        doc="Output in a calendar month <= that month's budget", elastic=True,
    )
    coef = hours[:, rows["month"].to_numpy() - 1].T * GWH_TO_TWH  # (n_rows, T)
    energy.add(generation, rows["_key"].to_numpy(), np.arange(len(rows)), coef)


def add_conversion(model) -> None:
    data, lp = model.data, model.lp
    keys = data.capacity_keys
    is_conversion = data.tech_static(keys, "type") == "conversion"
    capacity_pos = np.flatnonzero(is_conversion)
    keys = keys[is_conversion].reset_index(drop=True)
    everyone = np.arange(len(keys))
    weight = data.time["weight_h"].to_numpy()

    generation = lp.add_variables("generation", keys, timed=True, units="GW", doc="Output of the technology's output carrier")
    capacity = model.var("capacity")

    # generation[t,r,p,h] - availability[t,r,h] * capacity[t,r,p] <= 0
    availability = data.availability(keys)
    limit = lp.add_constraints("generation_availability", keys, "<=", 0.0, timed=True, units="GW", doc="Output <= availability x capacity")
    limit.add(generation, everyone, everyone, 1.0)
    limit.add(capacity, capacity_pos, everyone, -availability)

    # generation[t,r,p,h] - min_load[t,r,h] * capacity[t,r,p] >= 0
    min_load = minimum_load(data, keys)
    must_run = np.flatnonzero((min_load > 0).any(axis=1))
    if len(must_run):
        minimum = lp.add_constraints(
            "generation_minimum", keys.iloc[must_run], ">=", 0.0, timed=True, units="GW", doc="Output >= minimum load x capacity"
        )
        rows = np.arange(len(must_run))
        minimum.add(generation, must_run, rows, 1.0)
        minimum.add(capacity, capacity_pos[must_run], rows, -min_load[must_run])

    # carrier flows into the balances: sum over carriers of flow[t,p,c] * generation
    balance = model.con("balance")
    joined = keys.assign(_key=everyone).merge(data.flows, on=["technology", "period"])
    balanced = data.carriers["balance"].reindex(joined["carrier"]).to_numpy()
    into = joined[balanced]
    balance.add(generation, into["_key"].to_numpy(), balance.locate(into), into["flow"].to_numpy()[:, None])

    # annual energy budgets: sum_h weight_h * generation / 1000 <= budget (TWh/yr)
    budgets = data.case["energy_budgets"]
    annual = budgets[budgets["month"].isna()] if "month" in budgets else budgets
    budget = period_lookup(annual, keys, "energy_max_TWh", ["technology", "region"])
    limited = np.flatnonzero(~np.isnan(budget))
    if len(limited):
        energy = lp.add_constraints(
            "energy_budget", keys.iloc[limited].reset_index(drop=True), "<=", budget[limited], units="TWh/yr", doc="Annual output <= energy budget",
            elastic=True,
        )
        energy.add(generation, limited, np.arange(len(limited)), weight[None, :] * GWH_TO_TWH)
    if "month" in budgets and budgets["month"].notna().any():
        _add_monthly_budgets(model, keys, generation, budgets[budgets["month"].notna()])

    # cumulative limits: sum_p years_p * sum_h weight_h * generation / 1000 <= cumulative_max (TWh or Mt)
    cumulative = data.case["cumulative_limits"]
    if not cumulative.empty:
        table = keys.assign(_key=everyone).merge(cumulative, on=["technology", "region"])
        if len(table):
            groups = table[["technology", "region"]].drop_duplicates().reset_index(drop=True)
            limit_values = groups.merge(cumulative, on=["technology", "region"])["cumulative_max_TWh"].to_numpy()
            total = lp.add_constraints(
                "cumulative_limit", groups, "<=", limit_values, units="TWh (Mt)", doc="Output summed over the horizon <= cumulative limit",
                elastic=True,
            )
            years = data.years[pd.Index(data.periods).get_indexer(table["period"])]
            total.add(generation, table["_key"].to_numpy(), total.locate(table), years[:, None] * weight[None, :] * GWH_TO_TWH)

    # variable O&M and fuel: weight_h * (vom + sum of fuel prices x inputs) per GWh, discounted
    period_weight = data.weight_of(keys["period"])
    vom = data.tech_param(keys, "vom_CNY_per_MWh")
    bought = joined[~balanced & (joined["flow"] < 0)]
    fuel = np.zeros(len(keys))
    if len(bought):
        price = data.fuel_price(bought.assign(region=bought["region"])[["carrier", "region", "period"]])
        np.add.at(fuel, bought["_key"].to_numpy(), -bought["flow"].to_numpy() * price)
    for name, per_mwh in (("variable_om", vom), ("fuel", fuel)):
        coef = (per_mwh * PER_MWH_TO_BN_PER_GWH * period_weight)[:, None] * weight[None, :]
        for period in data.periods:
            mask = (keys["period"] == period).to_numpy()
            lp.add_cost((name, int(period)), generation, everyone[mask], coef[mask])

    # CO2: net atmospheric emissions per unit of output (kt/GWh) into co2_emissions[r, p] (Mt/yr)
    factor = np.nan_to_num(lookup(data.emission_factor, keys, "co2", ["technology", "period"]))
    emits = np.flatnonzero(factor != 0)
    if len(emits):
        accounting = model.con("co2_accounting")
        rows = accounting.locate(keys.iloc[emits])
        accounting.add(generation, emits, rows, (factor[emits] * GWH_TO_TWH)[:, None] * weight[None, :])
    model.generation_capacity_pos = capacity_pos
