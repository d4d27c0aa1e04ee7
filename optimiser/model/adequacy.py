"""Capacity adequacy: firm capacity above the peak of electricity demand by a reserve margin, per area and period.

    reserve_margin[a, p]:  sum_{t, r in a} credit_t x capacity[t, r, p] + sum_{k into a} reserve_transfer[k, p]
                           - sum_{k out of a} reserve_transfer[k, p]  >=  (1 + margin_a,p) x peak_a,p                    (GW)
    |reserve_transfer[k, p]| <= import_credit x corridor_capacity[k, p]

``peak_a,p`` is the coincident peak of the exogenous electricity demand of the area's regions over the hours of the
full year, also when the model runs on aggregated time (representative days and segments flatten provincial peaks:
on the China case by 5-9 % on average and up to 25 %; the planning rule is against the year's highest load). Demand of the model's own conversion
(electrolysis, capture) is flexible and not counted. ``credit_t`` is ``firm_capacity_credit`` of technologies.csv
(conversion and storage alike, on power capacity). Firm capacity may move between areas over electricity corridors
(``reserve_transfer``, either direction, within ``import_credit`` x the corridor's capacity): it counts for the area
that receives it and against the area that sends it, so no capacity is counted twice. Historical periods have no
reserve margin: their fleet is the record.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .data import demand_GW


def margins(data) -> pd.DataFrame:
    """reserve_margins.csv by (area, period): regions, margin, import_credit; a row with a period overrides the
    area's row without one (every period); historical periods are left out."""
    table = data.case["reserve_margins"]
    if table.empty:
        return pd.DataFrame(columns=["area", "period", "margin", "import_credit", "regions"])
    periods = data.periods[~data.historical].astype(np.int64)
    general = table[table["period"].isna()]
    general = general.loc[general.index.repeat(len(periods))].assign(period=np.tile(periods, len(general)))
    specific = table[table["period"].notna()]
    rows = pd.concat([specific, general], ignore_index=True).drop_duplicates(["area", "period"], keep="first")
    rows = rows[rows["period"].isin(periods)].copy()
    rows["period"] = rows["period"].astype(np.int64)
    rows["regions"] = [tuple(regions.split()) or (area,) for area, regions in zip(rows["area"], rows["regions"].fillna("").astype(str))]
    return rows.sort_values(["area", "period"]).reset_index(drop=True)


def area_peaks(case, demand: pd.DataFrame, rows: pd.DataFrame, members: pd.DataFrame, electricity: str) -> np.ndarray:
    """peak_a,p (GW) of each (area, period) row: max over the full year's time steps of the summed exogenous electricity
    demand of the area's regions (``case.full_year`` when the time is aggregated, else the model's own steps)."""
    is_electricity = (demand["carrier"] == electricity).to_numpy()
    full_year = getattr(case, "full_year", None)
    if full_year is not None:
        GW = demand_GW(demand[is_electricity], full_year["demand_profiles"], full_year["time_steps"])
    else:
        GW = demand.attrs["GW"][is_electricity]
    of_area = pd.DataFrame(demand[is_electricity][["region", "period"]].to_numpy(), columns=["region", "period"])
    of_area = of_area.reset_index().merge(members, on="region")
    of_area["period"] = of_area["period"].astype(np.int64)
    row = pd.MultiIndex.from_frame(rows[["area", "period"]].astype({"period": np.int64})).get_indexer(
        pd.MultiIndex.from_frame(of_area[["area", "period"]]))
    of_area = of_area[row >= 0]
    summed = np.zeros((len(rows), GW.shape[1]))
    np.add.at(summed, row[row >= 0], GW[of_area["index"].to_numpy()])  # the area's demand in each step
    return summed.max(axis=1) if GW.shape[1] else np.zeros(len(rows))


def add_reserve_margins(model) -> None:
    data, lp = model.data, model.lp
    rows = margins(data)
    if rows.empty:
        return
    electricity = data.case.settings.get("electricity_carrier") or "electricity"
    members = rows[["area", "regions"]].drop_duplicates("area").explode("regions").rename(columns={"regions": "region"})
    keys = rows[["area", "period"]]

    peak = area_peaks(model.case, model.demand, rows, members, electricity)
    reserve = lp.add_constraints(
        "reserve_margin", keys, ">=", (1.0 + rows["margin"].to_numpy()) * peak, units="GW",
        doc="Firm capacity of the area (credit x capacity, plus credited imports) >= (1 + margin) x peak demand", elastic=True,
    )

    # installed capacity x firm credit
    capacity = model.var("capacity")
    credit = data.tech_static(capacity.keys, "firm_capacity_credit").astype(float)
    credited = capacity.keys.assign(_column=np.arange(capacity.n_keys), credit=credit)[credit > 0]
    terms = credited.merge(members, on="region").merge(keys.reset_index().rename(columns={"index": "_row"}), on=["area", "period"])
    reserve.add(capacity, terms["_column"].to_numpy(), terms["_row"].to_numpy(), terms["credit"].to_numpy())

    # firm capacity moved between areas over electricity corridors: reserve_transfer[k,p] (GW, either direction) counts
    # for the receiving area and against the sending one, so a line's capacity is never counted twice
    if model.has_var("corridor_capacity") and (rows["import_credit"] > 0).any():
        _add_reserve_transfers(model, rows, reserve, electricity)


def _add_reserve_transfers(model, rows, reserve, electricity) -> None:
    """reserve_transfer[k,p] in [-credit x corridor_capacity, credit x corridor_capacity] on corridors whose ends lie in
    different areas (or one outside all areas); + in the reserve row of the area of region_to, - in that of region_from
    (an end outside every area has no row); credit = the larger import_credit of the two ends' areas."""
    data, lp = model.data, model.lp
    corridor = model.var("corridor_capacity")
    ends = data.corridors.set_index("corridor")[["carrier", "region_from", "region_to"]]
    grid = corridor.keys.join(ends, on="corridor").assign(_column=np.arange(corridor.n_keys))
    grid = grid[grid["carrier"] == electricity]
    membership = rows[["area", "regions"]].drop_duplicates("area").explode("regions")
    area_of = dict(zip(membership["regions"], membership["area"]))  # a region in several areas: the last one listed
    grid = grid.assign(area_from=grid["region_from"].map(area_of), area_to=grid["region_to"].map(area_of))
    grid = grid[grid["area_from"].fillna("") != grid["area_to"].fillna("")]
    row_of = {(a, int(p)): i for i, (a, p) in enumerate(zip(rows["area"], rows["period"]))}
    credit_of = {(a, int(p)): c for a, p, c in zip(rows["area"], rows["period"], rows["import_credit"])}
    credit = np.array([max(credit_of.get((f, int(p)), 0.0), credit_of.get((t, int(p)), 0.0))
                       for f, t, p in zip(grid["area_from"], grid["area_to"], grid["period"])])
    grid = grid[credit > 0].assign(_credit=credit[credit > 0]).reset_index(drop=True)
    if grid.empty:
        return
    transfer = lp.add_variables("reserve_transfer", grid[["corridor", "period"]], lower=-np.inf, units="GW",
                                doc="Firm capacity moved over the corridor from region_from's area to region_to's (negative: back)")
    everyone = np.arange(len(grid))
    for sense, sign, name in (("<=", -1.0, "reserve_transfer_limit_forward"), (">=", 1.0, "reserve_transfer_limit_backward")):
        # reserve_transfer[k,p] -+ credit x corridor_capacity[k,p] <= / >= 0   (GW)
        limit = lp.add_constraints(name, grid[["corridor", "period"]], sense, 0.0, units="GW",
                                   doc="Firm capacity moved over a corridor within +- credit x its capacity")
        limit.add(transfer, everyone, everyone, 1.0)
        limit.add(corridor, grid["_column"].to_numpy(), everyone, sign * grid["_credit"].to_numpy())
    for area_column, sign in (("area_to", 1.0), ("area_from", -1.0)):
        target = np.array([row_of.get((a, int(p)), -1) if isinstance(a, str) else -1 for a, p in zip(grid[area_column], grid["period"])])
        has = target >= 0
        reserve.add(transfer, everyone[has], target[has], sign)
