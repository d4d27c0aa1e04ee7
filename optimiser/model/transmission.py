"""Corridors of any carrier: vintaged capacity, flows both ways with losses at the receiving end."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .. import economics
from .data import PER_KW_TO_BN_PER_GW, cross_periods, period_lookup, vintage_pairs


def add_corridors(model) -> None:
    data, lp = model.data, model.lp
    corridors = data.corridors
    if corridors.empty:
        return
    periods = data.periods.astype(np.int64)
    n_time = data.n_time
    grid = cross_periods(corridors[["corridor"]], periods)
    grid = grid.join(corridors.set_index("corridor"), on="corridor")

    # existing capacity stands while build_year <= p < build_year + lifetime; so does committed capacity (built or under
    # construction since: committed_corridors.csv), each addition by its own build year
    existing = np.where(economics.active(grid["build_year"], grid["lifetime_years"], grid["period"]), grid["capacity_GW"], 0.0)
    committed = data.case["committed_corridors"]
    if not committed.empty:
        additions = cross_periods(committed[["corridor", "build_year", "capacity_GW"]], periods)
        lifetime = corridors.set_index("corridor")["lifetime_years"].reindex(additions["corridor"]).to_numpy()
        additions = additions[np.asarray(economics.active(additions["build_year"], lifetime, additions["period"]))]
        standing = additions.groupby(["corridor", "period"])["capacity_GW"].sum()
        existing = existing + standing.reindex(pd.MultiIndex.from_frame(grid[["corridor", "period"]])).fillna(0.0).to_numpy()

    # new capacity: expandable corridors in every period that is not history
    historical = data.periods[data.historical].astype(np.int64)
    build = grid.loc[grid["expandable"] & ~grid["period"].isin(historical), ["corridor", "period"]].reset_index(drop=True)
    capacity_new = lp.add_variables("corridor_capacity_new", build, units="GW", doc="Corridor capacity built in the period")

    add_corridor_build_rate(model, build.join(corridors.set_index("corridor")["carrier"], on="corridor"), capacity_new)

    # which (vintage, period) pairs stand
    pairs = vintage_pairs(build, periods, corridors.set_index("corridor")["lifetime_years"])

    keys = grid[["corridor", "period"]]
    cap_max = grid["capacity_max_GW"].to_numpy(dtype=float)
    upper = np.where(np.isnan(cap_max), np.inf, np.maximum(cap_max, existing))
    capacity = lp.add_variables("corridor_capacity", keys, lower=existing, upper=upper, units="GW", doc="Corridor capacity (each direction)")
    everyone = np.arange(len(keys))
    vintage = lp.add_constraints("corridor_vintage", keys, "==", existing, units="GW", doc="Corridor capacity = existing + new builds standing")
    vintage.add(capacity, everyone, everyone, 1.0)
    vintage.add(capacity_new, pairs["_build"].to_numpy(), vintage.locate(pairs), -1.0)

    forward = lp.add_variables("flow_forward", keys, timed=True, units="GW", doc="Flow from region_from to region_to (sent)")
    backward = lp.add_variables("flow_backward", keys, timed=True, units="GW", doc="Flow from region_to to region_from (sent)")
    for variable, name in ((forward, "flow_forward_limit"), (backward, "flow_backward_limit")):
        # flow[c,p,h] - corridor_capacity[c,p] <= 0   (GW)
        limit = lp.add_constraints(name, keys, "<=", 0.0, timed=True, units="GW", doc=f"{variable.doc} <= capacity")
        limit.add(variable, everyone, everyone, 1.0)
        limit.add(capacity, everyone, everyone, -np.ones((len(keys), n_time)))

    # balance: the sender loses the flow, the receiver gets efficiency x flow
    balance = model.con("balance")
    efficiency = grid["efficiency"].to_numpy()[:, None]
    at_from = balance.locate(grid.rename(columns={"region_from": "region"})[["carrier", "region", "period"]])
    at_to = balance.locate(grid.rename(columns={"region_to": "region"})[["carrier", "region", "period"]])
    balance.add(forward, everyone, at_from, -1.0)
    balance.add(forward, everyone, at_to, efficiency)
    balance.add(backward, everyone, at_to, -1.0)
    balance.add(backward, everyone, at_from, efficiency)

    # costs: capex per kW-km as an annuity while standing; fixed O&M as a share of capex on installed capacity
    per_gw = (grid["capex_CNY_per_kW_km"] * grid["length_km"]).to_numpy() * PER_KW_TO_BN_PER_GW
    # annuity of one GW built on each row of ``build`` (looked up by corridor: build has no row in historical periods)
    by_corridor = corridors.set_index("corridor")
    build_cost = (
        (by_corridor["capex_CNY_per_kW_km"] * by_corridor["length_km"] * by_corridor["annuity"]).reindex(build["corridor"]).to_numpy()
        * PER_KW_TO_BN_PER_GW
    )
    pair_cost = build_cost[pairs["_build"].to_numpy()] * data.weight_of(pairs["period"])
    fom = per_gw * grid["fom_fraction"].to_numpy() * data.weight_of(keys["period"])
    for period in periods:
        mask = (pairs["period"] == period).to_numpy()
        lp.add_cost(("capex", int(period)), capacity_new, pairs["_build"].to_numpy()[mask], pair_cost[mask])
        mask = (keys["period"] == period).to_numpy()
        lp.add_cost(("fixed_om", int(period)), capacity, everyone[mask], fom[mask])


def add_corridor_build_rate(model, build: pd.DataFrame, capacity_new) -> None:
    """Build rate of a carrier's corridors (corridor_build_limits.csv): sum_k corridor_capacity_new[k, p] <= limit[c, p]
    over the corridors k of carrier c, in GW built in period p."""
    limits = model.data.case["corridor_build_limits"]
    if limits.empty or build.empty:
        return
    keys = build[["carrier", "period"]].drop_duplicates().reset_index(drop=True)
    limit = period_lookup(limits, keys, "capacity_new_max_GW", ["carrier"])
    keys, limit = keys[~np.isnan(limit)].reset_index(drop=True), limit[~np.isnan(limit)]
    if keys.empty:
        return
    rate = model.lp.add_constraints("corridor_build_rate", keys, "<=", limit, units="GW",
                                    doc="Corridor capacity of a carrier built in the period <= its build limit")
    rows = rate.locate(build[["carrier", "period"]], strict=False)
    chosen = rows >= 0
    rate.add(capacity_new, np.flatnonzero(chosen), rows[chosen], 1.0)
