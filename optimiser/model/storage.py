"""Storage: charge, discharge and state of charge, with separate power and energy capacity (or a
fixed duration).

Short-duration storage cycles within each representative period.  Long-duration storage
(``seasonal = true``) carries its state across the chronological sequence of representative
periods (Kotzur et al. 2018, "Time series aggregation for energy system design: modeling seasonal
storage", Applied Energy 213): an inter-period state at the start of each period of the sequence,
intra-period deviations per representative period that start from 0, a linking equation over the
whole sequence (cyclic), and bounds on inter state + the highest / lowest intra deviation.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .data import PER_KW_TO_BN_PER_GW, PER_MWH_TO_BN_PER_GWH, lookup


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


def period_structure(time: pd.DataFrame, period_sequence: pd.DataFrame | None):
    """The representative periods and their chronological sequence, or None if there is nothing to link.

    Returns a dict with ``labels`` (representative period of each run of steps, in order),
    ``start`` and ``end`` (first and last step position of each), ``of_step`` (run index of each step)
    and ``sequence`` (run index of each period of the chronological sequence).  Without an explicit
    ``period_sequence`` the runs are taken to follow each other once, in order, if the steps are a
    chronological year (``weight_h == duration_h`` everywhere) and there are at least two; otherwise
    (one run, or weighted runs with no sequence) None is returned and seasonal storage simply cycles
    within each representative period.
    """
    group = time["representative_period"].to_numpy()
    starts = np.flatnonzero(np.r_[True, group[1:] != group[:-1]])
    ends = np.r_[starts[1:] - 1, len(group) - 1]
    labels = group[starts]
    if len(np.unique(labels)) != len(labels):
        raise ValueError("representative periods must be contiguous runs of time steps to link seasonal storage")
    if period_sequence is not None:
        sequence = pd.Index(labels).get_indexer(period_sequence["representative_period"].to_numpy())
        if (sequence < 0).any():
            raise ValueError("period_sequence names a representative period that has no time steps")
    elif len(labels) > 1 and np.allclose(time["weight_h"].to_numpy(), time["duration_h"].to_numpy()):
        sequence = np.arange(len(labels))
    else:
        return None
    of_step = np.repeat(np.arange(len(labels)), ends - starts + 1)
    return {"labels": labels, "start": starts, "end": ends, "of_step": of_step, "sequence": sequence}


def checkpoint_days(sequence: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The first and last day of every run of equal representative periods in ``sequence``, in order,
    and the number of days from each to the next (cyclically).

    Days between two consecutive checkpoints all belong to the first one's representative period.
    """
    sequence = np.asarray(sequence)
    n_days = len(sequence)
    change = np.flatnonzero(sequence[1:] != sequence[:-1])  # day d ends a run
    marks = np.zeros(n_days, dtype=bool)
    marks[0] = marks[-1] = True
    marks[change] = True
    marks[change + 1] = True
    checkpoints = np.flatnonzero(marks)
    steps = (np.r_[checkpoints[1:], checkpoints[0] + n_days] - checkpoints).astype(np.int64)
    return checkpoints, steps


def days_of_retention(retention: np.ndarray, days) -> tuple[np.ndarray, np.ndarray]:
    """For ``days`` m of a period with daily retention a: (a^m, 1 + a + ... + a^(m-1)), the factors that carry a
    starting state and a daily net change over the m days (the sum is m where a = 1)."""
    carried = retention**days
    lossless = np.isclose(retention, 1.0)
    gained = np.where(lossless, np.broadcast_to(days, carried.shape).astype(float), (1.0 - carried) / np.where(lossless, 1.0, 1.0 - retention))
    return carried, gained


def _add_entries(constraint, rows: np.ndarray, variable, cols: np.ndarray, coef) -> None:
    """Add ``coef * variable`` at explicit (row element, variable element) pairs (local positions).

    Used where one row draws on a different element of a family in every time step, which
    :meth:`ConstraintFamily.add` does not express (e.g. the intra maximum of each step's period).
    """
    rows = np.asarray(rows, dtype=np.int64)
    coef = np.broadcast_to(np.asarray(coef, dtype=float), rows.shape).ravel()
    cols = variable.offset + np.broadcast_to(np.asarray(cols, dtype=np.int64), rows.shape).ravel()
    rows = rows.ravel()
    keep = coef != 0
    constraint.rows.append(rows[keep])
    constraint.cols.append(cols[keep])
    constraint.vals.append(coef[keep])


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

    for variable, name in ((charge, "storage_charge_limit"), (discharge, "storage_discharge_limit")):
        # charge (discharge)[s,r,p,h] - capacity[s,r,p] <= 0   (GW)
        limit = lp.add_constraints(name, keys, "<=", 0.0, timed=True, units="GW", doc=f"{variable.doc} <= power capacity")
        limit.add(variable, everyone, everyone, 1.0)
        limit.add(capacity, capacity_pos, everyone, -np.ones((len(keys), n_time)))

    loss = data.tech_static(keys, "standing_loss_per_h").astype(float)
    eta_c = data.tech_static(keys, "efficiency_charge").astype(float)
    eta_d = data.tech_static(keys, "efficiency_discharge").astype(float)
    retention = (1.0 - loss)[:, None] ** duration[None, :]

    structure = period_structure(time, getattr(model.case, "period_sequence", None))
    seasonal = data.tech_static(keys, "seasonal").astype(bool) & (structure is not None)
    cyclic = np.flatnonzero(~seasonal)
    linked = np.flatnonzero(seasonal)

    if len(cyclic):
        ckeys = keys.iloc[cyclic].reset_index(drop=True)
        crows = np.arange(len(cyclic))
        level = lp.add_variables("storage_level", ckeys, timed=True, units="GWh", doc="State of charge at the end of the step")
        # level[s,r,p,h] - E[s,r,p] <= 0   (GWh)
        energy_limit = lp.add_constraints("storage_energy_limit", ckeys, "<=", 0.0, timed=True, units="GWh", doc="State of charge <= energy capacity")
        energy_limit.add(level, crows, crows, 1.0)

    # energy capacity E[s,r,p]: fixed duration x power, or its own vintaged variables
    hours = data.tech_static(keys, "duration_h").astype(float)
    fixed = ~np.isnan(hours)
    energy = _add_energy_capacity(model, keys[~fixed].reset_index(drop=True)) if (~fixed).any() else None
    energy_pos = np.full(len(keys), -1)
    energy_pos[~fixed] = np.arange((~fixed).sum())

    def add_energy(constraint, key_index, rows, coef):
        """Add ``coef * E[key]`` to the given rows of ``constraint`` (coef broadcast like ConstraintFamily.add)."""
        key_index, rows = np.asarray(key_index), np.asarray(rows)
        coef = np.broadcast_to(np.asarray(coef, dtype=float), (len(key_index), n_time) if constraint.timed else (len(key_index),))
        is_fixed = fixed[key_index]
        if is_fixed.any():
            scale = hours[key_index][is_fixed]
            constraint.add(capacity, capacity_pos[key_index][is_fixed], rows[is_fixed], coef[is_fixed] * (scale[:, None] if constraint.timed else scale))
        if (~is_fixed).any():
            constraint.add(energy, energy_pos[key_index][~is_fixed], rows[~is_fixed], coef[~is_fixed])

    if len(cyclic):
        add_energy(energy_limit, cyclic, crows, -1.0)
        # level[h] - (1 - loss)^d[h] * level[prev h] - d[h] * (eta_c * charge[h] - discharge[h] / eta_d) = 0   (GWh)
        dynamics = lp.add_constraints("storage_dynamics", ckeys, "==", 0.0, timed=True, units="GWh", doc="State-of-charge balance, cyclic per representative period")
        dynamics.add(level, crows, crows, 1.0)
        dynamics.add(level, crows, crows, -retention[cyclic], time_map=previous_step(time))
        dynamics.add(charge, cyclic, crows, -eta_c[cyclic, None] * duration[None, :])
        dynamics.add(discharge, cyclic, crows, duration[None, :] / eta_d[cyclic, None])

    if len(linked):
        _add_seasonal(model, keys, linked, structure, charge, discharge, add_energy, retention, loss, eta_c, eta_d)

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


def _add_seasonal(model, keys, linked, structure, charge, discharge, add_energy, retention, loss, eta_c, eta_d) -> None:
    """Seasonal storage linked across the chronological sequence of representative periods (Kotzur et al. 2018)."""
    data, lp = model.data, model.lp
    n_time = data.n_time
    duration = data.time["duration_h"].to_numpy()
    n_link = len(linked)
    lkeys = keys.iloc[linked].reset_index(drop=True)
    rows = np.arange(n_link)
    n_groups = len(structure["labels"])
    of_step, sequence = structure["of_step"], structure["sequence"]
    # hours of each representative period and the retention over a whole one: (1 - loss)^T_g
    group_hours = np.add.reduceat(duration, structure["start"])
    group_retention = (1.0 - loss[linked])[:, None] ** group_hours[None, :]  # (n_link, G)
    first = np.zeros(n_time, dtype=bool)
    first[structure["start"]] = True

    # intra[h] - (1 - loss)^d[h] * intra[prev h] (none at a period's first step) - d[h] * (eta_c * charge[h] - discharge[h] / eta_d) = 0   (GWh)
    intra = lp.add_variables("storage_level_intra", lkeys, timed=True, lower=-np.inf, units="GWh",
                             doc="Seasonal storage: state of charge at the end of the step relative to the start of its representative period")
    dynamics = lp.add_constraints("storage_dynamics_intra", lkeys, "==", 0.0, timed=True, units="GWh",
                                  doc="Seasonal storage: intra-period state balance, from 0 at the start of each representative period")
    dynamics.add(intra, rows, rows, 1.0)
    dynamics.add(intra, rows, rows, -retention[linked] * (~first)[None, :], time_map=previous_step(data.time))
    dynamics.add(charge, linked, rows, -eta_c[linked, None] * duration[None, :])
    dynamics.add(discharge, linked, rows, duration[None, :] / eta_d[linked, None])

    # highest and lowest intra deviation of each representative period (0 = its start belongs to both)
    group_keys = lkeys.loc[lkeys.index.repeat(n_groups)].reset_index(drop=True)
    group_keys["representative_period"] = np.tile(structure["labels"], n_link)
    intra_max = lp.add_variables("storage_intra_max", group_keys, lower=0.0, units="GWh",
                                 doc="Seasonal storage: highest intra-period deviation of the representative period")
    intra_min = lp.add_variables("storage_intra_min", group_keys, lower=-np.inf, upper=0.0, units="GWh",
                                 doc="Seasonal storage: lowest intra-period deviation of the representative period")
    step_rows = rows[:, None] * n_time + np.arange(n_time)[None, :]  # element (k, h) of a timed family
    step_group = rows[:, None] * n_groups + of_step[None, :]  # (k, group of h) of the per-group families
    for family, sense, name, doc in (
        (intra_max, "<=", "storage_intra_max_bound", "Seasonal storage: intra deviation <= the period's highest"),
        (intra_min, ">=", "storage_intra_min_bound", "Seasonal storage: intra deviation >= the period's lowest"),
    ):
        # intra[s,r,p,h] - intra_max[s,r,p,g(h)] <= 0 ; intra[s,r,p,h] - intra_min[s,r,p,g(h)] >= 0   (GWh)
        bound = lp.add_constraints(name, lkeys, sense, 0.0, timed=True, units="GWh", doc=doc)
        bound.add(intra, rows, rows, 1.0)
        _add_entries(bound, step_rows, family, step_group, -1.0)

    # inter-period state at the start of the checkpoint days of the sequence: the first and last day of
    # every run of consecutive days with the same representative period.  Within a run the state follows
    # inter[d+1] = a_g * inter[d] + delta_g, which is monotone, so bounds holding at both ends of the run
    # hold on every day in between: the reduced chain is exact, and 365 days shrink to a few dozen states.
    checkpoints, steps = checkpoint_days(sequence)
    n_check = len(checkpoints)
    day_keys = lkeys.loc[lkeys.index.repeat(n_check)].reset_index(drop=True)
    day_keys["day"] = np.tile(checkpoints.astype(np.int64), n_link)
    inter = lp.add_variables("storage_level_inter", day_keys, lower=0.0, units="GWh",
                             doc="Seasonal storage: state of charge at the start of each checkpoint day of the chronological sequence")
    check_rows = rows[:, None] * n_check + np.arange(n_check)[None, :]  # element (k, c)
    next_rows = rows[:, None] * n_check + (np.arange(n_check)[None, :] + 1) % n_check
    check_group = sequence[checkpoints]
    group_rows = rows[:, None] * n_groups + check_group[None, :]  # (k, g(c))
    ret = group_retention[:, check_group]  # (n_link, C): a = (1 - loss)^T_g(c), retention over one day of g(c)
    # m days of the same period: inter[c'] = a^m inter[c] + (1 + a + ... + a^(m-1)) delta
    carried, gained = days_of_retention(ret, steps[None, :])
    last_step = rows[:, None] * n_time + structure["end"][check_group][None, :]  # intra at the end of g(c)

    # inter[c'] - a^m * inter[c] - (1 + a + ... + a^(m-1)) * intra[g(c), last step] = 0   (GWh; cyclic, c' the next checkpoint)
    linking = lp.add_constraints("storage_linking", day_keys, "==", 0.0, units="GWh",
                                 doc="Seasonal storage: next checkpoint's state = this one's after losses + the net change of the m days between")
    _add_entries(linking, check_rows, inter, next_rows, 1.0)
    _add_entries(linking, check_rows, inter, check_rows, -carried)
    _add_entries(linking, check_rows, intra, last_step, -gained)

    # inter[c] + intra_max[g(c)] - E <= 0   (GWh)
    upper = lp.add_constraints("storage_inter_upper", day_keys, "<=", 0.0, units="GWh",
                               doc="Seasonal storage: state at the start of the day + highest intra deviation <= energy capacity")
    _add_entries(upper, check_rows, inter, check_rows, 1.0)
    _add_entries(upper, check_rows, intra_max, group_rows, 1.0)
    add_energy(upper, np.repeat(linked, n_check), check_rows.ravel(), -1.0)

    # (1 - loss)^T_g(c) * inter[c] + intra_min[g(c)] >= 0   (GWh)
    lower = lp.add_constraints("storage_inter_lower", day_keys, ">=", 0.0, units="GWh",
                               doc="Seasonal storage: state at the start of the day after losses + lowest intra deviation >= 0")
    _add_entries(lower, check_rows, inter, check_rows, ret)
    _add_entries(lower, check_rows, intra_min, group_rows, 1.0)

    model.seasonal_storage = {"keys": lkeys, "structure": structure, "loss": loss[linked], "checkpoints": checkpoints}


def _add_energy_capacity(model, keys):
    """storage_energy_capacity[s,r,p] = existing + sum of standing storage_energy_new (GWh), with capex per kWh."""
    data, lp = model.data, model.lp
    build = data.build_keys.merge(keys[["technology", "region"]].drop_duplicates(), on=["technology", "region"])
    energy_new = lp.add_variables("storage_energy_new", build, units="GWh", doc="Energy capacity built in the period")
    existing = np.nan_to_num(lookup(data.existing, keys, "energy_capacity_GWh", ["technology", "region", "period"]))
    energy = lp.add_variables("storage_energy_capacity", keys, lower=existing, units="GWh", doc="Installed energy capacity")
    everyone = np.arange(len(keys))
    vintage = lp.add_constraints("storage_energy_vintage", keys, "==", existing, units="GWh", doc="Energy capacity = existing + new builds standing")
    vintage.add(energy, everyone, everyone, 1.0)
    pairs = data.vintage_pairs(build)
    vintage.add(energy_new, pairs["_build"].to_numpy(), vintage.locate(pairs), -1.0)

    capex = data.tech_param(build, "capex_energy_CNY_per_kWh") * PER_KW_TO_BN_PER_GW * data.tech_static(build, "annuity").astype(float)
    pair_cost = capex[pairs["_build"].to_numpy()] * data.weight_of(pairs["period"])
    for period in data.periods:
        mask = (pairs["period"] == period).to_numpy()
        lp.add_cost(("capex", int(period)), energy_new, pairs["_build"].to_numpy()[mask], pair_cost[mask])
    return energy
