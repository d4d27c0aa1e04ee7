"""Carrier balances: supply = demand + exports + storage charging + conversion inputs.

One row per (carrier with a balance, region, period, time step), created only where
something takes part in it.  Every subsystem adds its own terms; the right-hand
side is the exogenous demand.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .data import PER_MWH_TO_BN_PER_GWH, cross_periods, sort_keys


def balance_keys(model) -> pd.DataFrame:
    """(carrier, region, period) of every balance that has a participant."""
    data = model.data
    demand = data.case["demand"]
    demanded = demand.loc[demand["demand_TWh"] > 0, ["carrier", "region", "period"]]
    inputs = (
        data.capacity_keys, data.technologies[["type", "carrier_out"]], data.flows[["technology", "period", "carrier"]],
        data.corridors[["carrier", "region_from", "region_to"]] if not data.corridors.empty else None,
        demanded, data.carriers[["carrier", "balance"]], tuple(data.case.regions), data.periods,
    )
    return data.reuse("balance_keys", inputs, lambda: _balance_keys(data, demanded))


def _balance_keys(data, demanded: pd.DataFrame) -> pd.DataFrame:
    balanced = set(data.carriers.index[data.carriers["balance"]])
    pieces = []
    conversion = data.capacity_keys[data.tech_static(data.capacity_keys, "type") == "conversion"]
    if not conversion.empty:
        joined = conversion.merge(data.flows, on=["technology", "period"])
        pieces.append(joined[["carrier", "region", "period"]])
    storage = data.capacity_keys[data.tech_static(data.capacity_keys, "type") == "storage"]
    if not storage.empty:
        pieces.append(storage.assign(carrier=data.tech_static(storage, "carrier_out"))[["carrier", "region", "period"]])
    if not data.corridors.empty:
        for end in ("region_from", "region_to"):
            ends = cross_periods(data.corridors[["carrier", end]].rename(columns={end: "region"}), data.periods)
            pieces.append(ends)
    pieces.append(demanded)
    keys = pd.concat(pieces, ignore_index=True).drop_duplicates()
    keys = keys[keys["carrier"].isin(balanced)]
    keys["period"] = keys["period"].astype(np.int64)
    return sort_keys(keys, {"carrier": data.carriers.index, "region": data.case.regions})


def add_balances(model) -> None:
    """balance[c, r, p, t]:  sum of supplies - sum of uses = demand[c, r, p, t]   (GW; kt/h for mass carriers)."""
    data, lp = model.data, model.lp
    keys = balance_keys(model)
    demand = data.demand()
    rhs = np.zeros((len(keys), data.n_time))
    balance = lp.add_constraints(
        "balance",
        keys,
        "==",
        0.0,
        timed=True,
        units="GW",
        doc="Carrier balance: supply - uses = demand",
        elastic=True,
    )
    if len(demand):
        rows = balance.locate(demand)
        rhs[rows] = demand.attrs["GW"]
    balance.rhs = rhs
    model.demand = demand

    voll = data.case.settings.get("value_of_lost_load_CNY_per_MWh")
    # lost_load_periods: historical = only where the recorded fleet may fall short; all = everywhere
    where = np.ones(len(demand), dtype=bool)
    if data.case.settings.get("lost_load_periods") == "historical":
        where = np.isin(demand["period"].to_numpy(), data.periods[data.historical])
    if voll is not None and where.any():
        demand_keys = pd.DataFrame(demand.loc[where, ["carrier", "region", "period"]].reset_index(drop=True))
        demand_keys.attrs = {}  # not the demand's GW array
        upper = demand.attrs["GW"][where]
        lost = lp.add_variables("lost_load", demand_keys, timed=True, upper=upper.ravel(), units="GW", doc="Unserved demand")
        index = np.arange(len(demand_keys))
        balance.add(lost, index, balance.locate(demand_keys), 1.0)
        weight = data.time["weight_h"].to_numpy()
        for period in data.periods:
            mask = (demand_keys["period"] == period).to_numpy()
            coef = float(voll) * PER_MWH_TO_BN_PER_GWH * data.weight_of([period])[0] * weight
            lp.add_cost(("lost_load", int(period)), lost, index[mask], np.broadcast_to(coef, (mask.sum(), data.n_time)))
