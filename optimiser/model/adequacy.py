"""Capacity adequacy: firm capacity above the peak of electricity demand by a reserve margin, per area and period.

    reserve_margin[a, p]:  sum_{t, r in a} credit_t x capacity[t, r, p] + import_credit_a x sum_{k into a} corridor_capacity[k, p]
                           >= (1 + margin_a,p) x peak_a,p                                                                (GW)

``peak_a,p`` is the coincident peak over the time steps of the exogenous electricity demand of the area's regions
(time aggregation keeps the peak day when asked to, see docs/inputs.md). Demand of the model's own conversion
(electrolysis, capture) is flexible and not counted. ``credit_t`` is ``firm_capacity_credit`` of technologies.csv
(conversion and storage alike, on power capacity); corridors into the area are the electricity corridors with one end
in it and one outside. Historical periods have no reserve margin: their fleet is the record.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


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


def add_reserve_margins(model) -> None:
    data, lp = model.data, model.lp
    rows = margins(data)
    if rows.empty:
        return
    electricity = data.case.settings.get("electricity_carrier") or "electricity"
    members = rows[["area", "regions"]].drop_duplicates("area").explode("regions").rename(columns={"regions": "region"})
    keys = rows[["area", "period"]]

    # peak of the area's exogenous electricity demand over the time steps (GW)
    demand = model.demand
    peak = np.zeros(len(rows))
    if len(demand):
        of_area = demand[demand["carrier"] == electricity].reset_index().merge(members, on="region")
        summed = {}
        for (area, period), group in of_area.groupby(["area", "period"]):
            summed[(area, int(period))] = demand.attrs["GW"][group["index"].to_numpy()].sum(axis=0).max()
        peak = np.array([summed.get((a, int(p)), 0.0) for a, p in zip(rows["area"], rows["period"])])
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

    # corridors into the area (one end inside, the other outside), credited
    if model.has_var("corridor_capacity") and (rows["import_credit"] > 0).any():
        corridor = model.var("corridor_capacity")
        ends = data.corridors.set_index("corridor")[["carrier", "region_from", "region_to"]]
        grid = corridor.keys.join(ends, on="corridor").assign(_column=np.arange(corridor.n_keys))
        grid = grid[grid["carrier"] == electricity]
        area_rows = rows.reset_index().rename(columns={"index": "_row"})
        area_rows = area_rows[area_rows["import_credit"] > 0]
        pairs = grid.merge(area_rows[["_row", "area", "period", "import_credit", "regions"]], on="period")
        inside_from = np.array([a in r for a, r in zip(pairs["region_from"], pairs["regions"])], dtype=bool)
        inside_to = np.array([a in r for a, r in zip(pairs["region_to"], pairs["regions"])], dtype=bool)
        crossing = pairs[inside_from ^ inside_to]
        reserve.add(corridor, crossing["_column"].to_numpy(), crossing["_row"].to_numpy(), crossing["import_credit"].to_numpy())
