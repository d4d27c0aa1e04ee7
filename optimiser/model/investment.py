"""Capacity of technologies: vintaged new builds, installed capacity, limits, capital and fixed costs."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .data import PER_KW_TO_BN_PER_GW, lookup


def add_capacity(model) -> None:
    """Variables capacity_new[t, r, v] and capacity[t, r, p] (GW) with their vintage link, limits and costs."""
    data, lp = model.data, model.lp
    build = data.build_keys
    new_max = data.limits(build, "capacity_new_max_GW")
    capacity_new = lp.add_variables(
        "capacity_new", build, upper=np.nan_to_num(new_max, nan=np.inf), units="GW", doc="Capacity built in the period"
    )

    keys = data.capacity_keys
    on = ["technology", "region", "period"]
    existing = np.nan_to_num(lookup(data.existing, keys, "capacity_GW", on))
    # the part that may retire early (the fleet of capacities.csv; committed capacity stands to the end of its life)
    old = np.nan_to_num(lookup(data.existing_retirable, keys, "capacity_GW", on)) if len(data.existing_retirable) else np.zeros(len(keys))
    historical = data.historical[pd.Index(data.periods).get_indexer(keys["period"])]
    retirable = (old > 0) & ~historical
    # a retirable (technology, region) keeps its old capacity in a variable in every period it has some, so that
    # what was retired stays retired (historical periods included: there it is fixed)
    retirable = pd.Series(retirable).groupby([keys["technology"], keys["region"]]).transform("any").to_numpy() & (old > 0)
    fixed = existing - np.where(retirable, old, 0.0)
    fixed[np.abs(fixed) < 1e-9] = 0.0  # the residue of two sums of the same vintages (1e-15 GW) is no capacity
    cap_max = data.limits(keys, "capacity_max_GW")
    upper = np.where(np.isnan(cap_max), np.inf, np.fmax(cap_max, existing))
    capacity = lp.add_variables("capacity", keys, lower=fixed, upper=upper, units="GW", doc="Installed capacity")

    # capacity[t,r,p] - sum_{v <= p < v + L} capacity_new[t,r,v] (- capacity_existing[t,r,p] where retirable)
    #   = existing[t,r,p] (without the retirable part where retirable)
    vintage = lp.add_constraints(
        "capacity_vintage", keys, "==", fixed, units="GW",
        doc="Installed = existing standing (the old fleet as kept, where it may retire early) + new builds standing",
    )
    everyone = np.arange(len(keys))
    vintage.add(capacity, everyone, everyone, 1.0)
    pairs = data.vintage_pairs(build)
    vintage.add(capacity_new, pairs["_build"].to_numpy(), vintage.locate(pairs), -1.0)
    if retirable.any():
        _add_early_retirement(model, keys, old, retirable, historical, vintage)

    # capacity[t,r,p] >= capacity_min[t,r,p]
    cap_min = data.limits(keys, "capacity_min_GW")
    # a row wherever the minimum exceeds what must stand (the old fleet that may retire early is not a given)
    has_min = ~np.isnan(cap_min) & (np.nan_to_num(cap_min) > fixed)
    if has_min.any():
        minimum = lp.add_constraints(
            "capacity_minimum", keys[has_min], ">=", cap_min[has_min], units="GW", doc="Installed capacity >= minimum", elastic=True
        )
        positions = np.flatnonzero(has_min)
        minimum.add(capacity, positions, np.arange(len(positions)), 1.0)

    # costs: annuity of the overnight cost in every period the vintage stands; fixed O&M on installed capacity
    # fixed-duration storage pays for its energy capacity per kW: capex + duration_h x capex_energy
    duration = np.nan_to_num(data.tech_static(build, "duration_h").astype(float))
    capex_per_kw = data.tech_param(build, "capex_CNY_per_kW") + duration * data.tech_param(build, "capex_energy_CNY_per_kWh")
    # capacity that costs nothing (no capex, no fixed O&M: e.g. a tank whose compressor is priced per kWh, an
    # injection priced per tonne) may get a tie-breaking capex (setting), so that interior-point solutions without
    # crossover report the capacity needed rather than an arbitrary point of a cost-free range
    tie_break = float(data.case.settings.get("tie_break_capex_CNY_per_kW") or 0.0)
    if tie_break > 0:
        free = (np.nan_to_num(capex_per_kw) == 0) & (np.nan_to_num(data.tech_param(build, "fom_CNY_per_kW_yr")) == 0)
        capex_per_kw = np.where(free, tie_break, capex_per_kw)
    capex = capex_per_kw * PER_KW_TO_BN_PER_GW
    annuity = data.tech_static(build, "annuity").astype(float)
    pair_capex = (capex * annuity)[pairs["_build"].to_numpy()] * data.weight_of(pairs["period"])
    for period in data.periods:
        mask = (pairs["period"] == period).to_numpy()
        lp.add_cost(("capex", int(period)), capacity_new, pairs["_build"].to_numpy()[mask], pair_capex[mask])
    fom = data.tech_param(keys, "fom_CNY_per_kW_yr") * PER_KW_TO_BN_PER_GW * data.weight_of(keys["period"])
    for period in data.periods:
        mask = (keys["period"] == period).to_numpy()
        lp.add_cost(("fixed_om", int(period)), capacity, everyone[mask], fom[mask])
    model.vintage_pairs = pairs


def _add_early_retirement(model, keys, existing, retirable, historical, vintage) -> None:
    """capacity_existing[t,r,p] (GW): the old fleet (capacities.csv) kept in operation, at most what of it stands; what
    was retired early stays retired:  capacity_existing[t,r,p] - capacity_existing[t,r,p-1] <= entering[t,r,p]  (GW; a
    unit of the fleet file coming into service later may raise it). With oldest units retired first this is exactly a
    retirement plan by vintage. Fixed O&M is paid on installed capacity only, so retiring early saves it."""
    data, lp = model.data, model.lp
    positions = np.flatnonzero(retirable)
    rkeys = keys.iloc[positions].reset_index(drop=True)
    lower = np.where(historical[positions], existing[positions], 0.0)
    kept = lp.add_variables("capacity_existing", rkeys, lower=lower, upper=existing[positions], units="GW",
                            doc="Existing capacity kept in operation (the rest of what stands was retired early)")
    rows = np.arange(len(rkeys))
    vintage.add(kept, rows, positions, -1.0)
    # consecutive periods of the same (technology, region)
    period_index = pd.Index(data.periods).get_indexer(rkeys["period"])
    same = (rkeys["technology"].to_numpy()[1:] == rkeys["technology"].to_numpy()[:-1]) & (rkeys["region"].to_numpy()[1:] == rkeys["region"].to_numpy()[:-1])
    follows = np.flatnonzero(same & (period_index[1:] == period_index[:-1] + 1)) + 1
    if len(follows):
        entering = data.entering(rkeys.iloc[follows])
        once = lp.add_constraints(
            "capacity_existing_retired", rkeys.iloc[follows].reset_index(drop=True), "<=", entering, units="GW",
            doc="Existing capacity kept in operation does not grow again: kept[p] - kept[p-1] <= capacity entering service in p",
        )
        row = np.arange(len(follows))
        once.add(kept, follows, row, 1.0)
        once.add(kept, follows - 1, row, -1.0)
