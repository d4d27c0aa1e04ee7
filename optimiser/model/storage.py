"""Storage: charge, discharge and state of charge, cyclic within each representative period,
with separate power and energy capacity (or a fixed duration)."""

from __future__ import annotations

import numpy as np

from .data import PER_KW_TO_BN_PER_GW, PER_MWH_TO_BN_PER_GWH
from .investment import vintage_pairs


def previous_step(time) -> np.ndarray:
    """For each time step, the position of the step before it in its cyclic representative period."""
    group = time["representative_period"].to_numpy()
    positions = np.arange(len(group))
    previous = positions - 1
    starts = np.r_[True, group[1:] != group[:-1]]
    # the first step of each group follows the last step of the same group
    start_positions = np.flatnonzero(starts)
    end_positions = np.r_[start_positions[1:] - 1, len(group) - 1]
    previous[start_positions] = end_positions
    return previous


def add_storage(model) -> None:
    data, lp = model.data, model.lp
    all_keys = data.capacity_keys
    is_storage = data.tech_static(all_keys, "type") == "storage"
    if not is_storage.any():
        return
    capacity_pos = np.flatnonzero(is_storage)
    keys = all_keys[is_storage].reset_index(drop=True)
    everyone = np.arange(len(keys))
    n_time = data.n_time
    time = data.time
    weight = time["weight_h"].to_numpy()
    duration = time["duration_h"].to_numpy()
    capacity = model.var("capacity")

    charge = lp.add_variables("storage_charge", keys, timed=True, units="GW", doc="Charging power")
    discharge = lp.add_variables("storage_discharge", keys, timed=True, units="GW", doc="Discharging power")
    level = lp.add_variables("storage_level", keys, timed=True, units="GWh", doc="State of charge at the end of the step")

    for variable, name in ((charge, "storage_charge_limit"), (discharge, "storage_discharge_limit")):
        # charge (discharge)[s,r,p,h] - capacity[s,r,p] <= 0   (GW)
        limit = lp.add_constraints(name, keys, "<=", 0.0, timed=True, units="GW", doc=f"{variable.doc} <= power capacity")
        limit.add(variable, everyone, everyone, 1.0)
        limit.add(capacity, capacity_pos, everyone, -np.ones((len(keys), n_time)))

    # energy capacity: fixed duration x power, or its own vintaged variables
    fixed = ~np.isnan(data.tech_static(keys, "duration_h").astype(float))
    energy_limit = lp.add_constraints("storage_energy_limit", keys, "<=", 0.0, timed=True, units="GWh", doc="State of charge <= energy capacity")
    energy_limit.add(level, everyone, everyone, 1.0)
    if fixed.any():
        hours = data.tech_static(keys, "duration_h").astype(float)[fixed]
        energy_limit.add(capacity, capacity_pos[fixed], everyone[fixed], -np.broadcast_to(hours[:, None], (fixed.sum(), n_time)))
    if (~fixed).any():
        _add_energy_capacity(model, keys[~fixed].reset_index(drop=True), everyone[~fixed], energy_limit)

    # level[h] = (1 - loss)^d[h] * level[prev h] + d[h] * (eta_c * charge[h] - discharge[h] / eta_d)   (GWh)
    loss = data.tech_static(keys, "standing_loss_per_h").astype(float)
    eta_c = data.tech_static(keys, "efficiency_charge").astype(float)
    eta_d = data.tech_static(keys, "efficiency_discharge").astype(float)
    dynamics = lp.add_constraints("storage_dynamics", keys, "==", 0.0, timed=True, units="GWh", doc="State-of-charge balance, cyclic per representative period")
    dynamics.add(level, everyone, everyone, 1.0)
    retention = (1.0 - loss)[:, None] ** duration[None, :]
    dynamics.add(level, everyone, everyone, -retention, time_map=previous_step(time))
    dynamics.add(charge, everyone, everyone, -eta_c[:, None] * duration[None, :])
    dynamics.add(discharge, everyone, everyone, duration[None, :] / eta_d[:, None])

    # balance: + discharge - charge on the stored carrier
    balance = model.con("balance")
    rows = balance.locate(keys.assign(carrier=data.tech_static(keys, "carrier_out")))
    balance.add(discharge, everyone, rows, 1.0)
    balance.add(charge, everyone, rows, -1.0)

    # variable O&M per MWh discharged
    vom = data.tech_param(keys, "vom_CNY_per_MWh") * PER_MWH_TO_BN_PER_GWH * data.weight_of(keys["period"])
    for period in data.periods:
        mask = (keys["period"] == period).to_numpy() & (vom > 0)
        if mask.any():
            lp.add_cost(("variable_om", int(period)), discharge, everyone[mask], vom[mask][:, None] * weight[None, :])


def _add_energy_capacity(model, keys, limit_rows, energy_limit) -> None:
    """storage_energy_capacity[s,r,p] = existing + sum of standing storage_energy_new (GWh), with capex per kWh."""
    data, lp = model.data, model.lp
    n_time = data.n_time
    build = data.build_keys.merge(keys[["technology", "region"]].drop_duplicates(), on=["technology", "region"])
    energy_new = lp.add_variables("storage_energy_new", build, units="GWh", doc="Energy capacity built in the period")
    existing = keys.merge(data.existing, how="left", on=["technology", "region", "period"])["energy_capacity_GWh"].fillna(0.0).to_numpy(dtype=float)
    energy = lp.add_variables("storage_energy_capacity", keys, lower=existing, units="GWh", doc="Installed energy capacity")
    everyone = np.arange(len(keys))
    vintage = lp.add_constraints("storage_energy_vintage", keys, "==", existing, units="GWh", doc="Energy capacity = existing + new builds standing")
    vintage.add(energy, everyone, everyone, 1.0)
    pairs = vintage_pairs(build, data.periods, data.technologies["lifetime_years"])
    vintage.add(energy_new, pairs["_build"].to_numpy(), vintage.locate(pairs), -1.0)
    energy_limit.add(energy, everyone, limit_rows, -np.ones((len(keys), n_time)))

    capex = data.tech_param(build, "capex_energy_CNY_per_kWh") * PER_KW_TO_BN_PER_GW * data.tech_static(build, "annuity").astype(float)
    pair_cost = capex[pairs["_build"].to_numpy()] * data.weight_of(pairs["period"])
    for period in data.periods:
        mask = (pairs["period"] == period).to_numpy()
        lp.add_cost(("capex", int(period)), energy_new, pairs["_build"].to_numpy()[mask], pair_cost[mask])
