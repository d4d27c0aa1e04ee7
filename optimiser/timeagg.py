"""Time aggregation: representative days or downsampling of an hourly year.

``aggregate(case)`` maps a loaded, validated :class:`~optimiser.inputs.Case` to a new case whose
time-indexed tables (``time_steps``, ``availability``, ``demand_profiles``) are aggregated as the
setting ``time_aggregation`` asks:

``{method: representative_days, days: K, seed: 0}``
    The year (a multiple of 24 one-hour steps, e.g. 8760) is cut into days.  Every day is described
    by the 24 hourly values of *every* availability and demand profile of *every* region, each
    profile min-max normalised over the year; the days are clustered by k-medoids (squared Euclidean
    distance; best of a Ward-hierarchical start and seeded k-medoids++ starts, so the result is
    deterministic for a given seed).  Each cluster is represented by its medoid, a real day.  The new
    time steps are the representative days' hours (``representative_period`` = 0..K-1 in the order of
    the medoids in the year, ``time`` = the medoid hour's original label), each standing for
    ``weight_h`` = the hours of all days of its cluster at that hour, so the weights sum to the year's
    hours.  Profiles are then rescaled so that the weighted annual sums equal the original ones
    exactly (availability is clipped at 1 and the remainder spread over the unclipped hours, as tsam's
    ``rescaleClusterPeriods`` does).  The chronological sequence *original day -> representative day*
    is kept on the case as ``case.period_sequence`` (columns ``day``, ``time``, ``representative_period``)
    for seasonal storage (:mod:`optimiser.model.storage`).

``{method: representative_days, days: K, hours: H}``
    Representative days as above, then downsampled to blocks of ``H`` hours inside each day.

``{method: downsample, hours: H}``
    Consecutive blocks of ``H`` steps inside each representative period are merged into one step:
    ``weight_h`` and ``duration_h`` are summed, profiles are averaged weighted by ``weight_h`` (annual
    sums preserved exactly).  The last block of a representative period may be shorter.

absent or ``{method: none}``
    The time steps are used as given.

Aggregating an aggregated case returns it unchanged (``case.time_aggregation`` records what was
applied), so :func:`optimiser.build_model` can call :func:`aggregate` on every case it receives.
"""

from __future__ import annotations

import dataclasses
import time as _time

import numpy as np
import pandas as pd

from .schema import python_strings

METHODS = ("none", "representative_days", "downsample")
OPTIONS = {"method", "days", "hours", "seed"}
HOURS_PER_DAY = 24
#: k-medoids++ restarts tried besides the Ward-hierarchical start
RESTARTS = 8


# --------------------------------------------------------------------------- validation


def _is_int(value) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool)


def setting_issues(value) -> list[tuple[str, object, str]]:
    """Problems with a ``time_aggregation`` setting as (column, value, expected) triples."""
    if value is None:
        return []
    if not isinstance(value, dict):
        return [("time_aggregation", value, "a mapping such as {method: representative_days, days: 8} or {method: downsample, hours: 3}")]
    issues = []
    for key in value:
        if key not in OPTIONS:
            issues.append((f"time_aggregation.{key}", value[key], "one of the options " + ", ".join(sorted(OPTIONS))))
    method = value.get("method")
    if method not in METHODS:
        issues.append(("time_aggregation.method", method, "one of " + ", ".join(repr(m) for m in METHODS)))
        return issues
    needed = {"representative_days": "days", "downsample": "hours"}.get(method)
    for option in ("days", "hours"):
        given = value.get(option)
        if method == "representative_days" and option == "hours" and given is not None:
            # representative days may then be downsampled to blocks of `hours` steps
            if not _is_int(given) or given < 1:
                issues.append((f"time_aggregation.{option}", given, "an integer >= 1 (hours per step within each representative day)"))
            continue
        if option == needed:
            if not _is_int(given) or given < 1:
                issues.append((f"time_aggregation.{option}", given, f"an integer >= 1 (required by method {method})"))
        elif given is not None:
            issues.append((f"time_aggregation.{option}", given, f"no '{option}' with method {method}"))
    if "seed" in value and not _is_int(value["seed"]):
        issues.append(("time_aggregation.seed", value["seed"], "an integer"))
    return issues


def table_issues(tables: dict[str, pd.DataFrame], setting) -> list[tuple[str, str, object, str]]:
    """Problems of the time steps for a (valid) setting, as (file, column, value, expected)."""
    if not setting or setting.get("method") != "representative_days":
        return []
    steps = tables["time_steps"]
    issues = []
    if not (steps["duration_h"] == 1.0).all():
        issues.append(("time_steps.csv", "duration_h", sorted(set(steps["duration_h"]) - {1.0})[:3],
                       "1-hour steps (duration_h = 1) for time_aggregation method representative_days"))
    n = len(steps)
    if n % HOURS_PER_DAY:
        issues.append(("time_steps.csv", "time", f"{n} steps", f"a whole number of days ({HOURS_PER_DAY} steps each) for representative_days"))
    elif setting["days"] > n // HOURS_PER_DAY:
        issues.append(("settings.yaml", "time_aggregation.days", setting["days"], f"at most the {n // HOURS_PER_DAY} days of the time steps"))
    return issues


# --------------------------------------------------------------------------- profiles


def _profiles(case) -> tuple[list[pd.DataFrame], list[np.ndarray]]:
    """Wide profiles (one row per profile, one column per time step) of availability and demand.

    Returns the key frames ([technology, region] and [carrier, region]) and the value arrays;
    steps a profile leaves blank take the model's meaning (availability_max; demand 0).
    """
    labels = pd.Index(case["time_steps"]["time"].to_numpy())
    n_time = len(labels)
    out_keys, out_values = [], []
    fills = {
        "availability": lambda keys: case["technologies"].set_index("technology")["availability_max"].reindex(keys["technology"]).to_numpy(dtype=float),
        "demand_profiles": lambda keys: np.zeros(len(keys)),
    }
    for table, key, column in (("availability", "technology", "availability"), ("demand_profiles", "carrier", "profile")):
        frame = case[table]
        # factorise (key, region) pairs column by column (a MultiIndex of a million rows is slow)
        first, first_names = pd.factorize(frame[key].to_numpy())
        second, second_names = pd.factorize(frame["region"].to_numpy())
        pairs, codes = np.unique(first.astype(np.int64) * max(len(second_names), 1) + second, return_inverse=True)
        keys = pd.DataFrame(
            {key: np.asarray(first_names, dtype=object)[pairs // max(len(second_names), 1)],
             "region": np.asarray(second_names, dtype=object)[pairs % max(len(second_names), 1)]}
        )
        values = np.full((len(keys), n_time), np.nan)
        if len(frame):
            values[codes, labels.get_indexer(frame["time"].to_numpy())] = frame[column].to_numpy(dtype=float)
            fill = fills[table](keys)
            values = np.where(np.isnan(values), fill[:, None], values)
        out_keys.append(keys)
        out_values.append(values)
    return out_keys, out_values


def _long(keys: pd.DataFrame, values: np.ndarray, times: np.ndarray, column: str) -> pd.DataFrame:
    """Back to the long table format: one row per profile and time step."""
    n_keys, n_time = values.shape
    frame = keys.loc[keys.index.repeat(n_time)].reset_index(drop=True)
    frame["time"] = np.tile(np.asarray(times, dtype=np.int64), n_keys)
    frame[column] = values.reshape(-1)
    return frame


def _rescale(values: np.ndarray, weights: np.ndarray, target: np.ndarray, upper: float | None = None) -> np.ndarray:
    """Scale each row so that ``values @ weights == target``, values clipped at ``upper`` (the excess
    is spread over the unclipped entries, repeatedly, until nothing exceeds ``upper``)."""
    out = values.astype(float).copy()
    fixed = np.zeros(out.shape, dtype=bool)
    for _ in range(out.shape[1] + 1):
        fixed_sum = np.where(fixed, out, 0.0) @ weights
        free_sum = np.where(fixed, 0.0, out) @ weights
        free_weight = np.where(fixed, 0.0, 1.0) @ weights
        rest = target - fixed_sum
        scale = np.divide(rest, free_sum, out=np.ones_like(rest), where=free_sum > 0)
        flat = (free_sum <= 0) & (rest > 0) & (free_weight > 0)  # nothing to scale: spread evenly
        out = np.where(fixed, out, out * scale[:, None])
        if flat.any():
            out[flat] = np.where(fixed[flat], out[flat], (rest[flat] / free_weight[flat])[:, None])
        if upper is None:
            break
        over = (out > upper) & ~fixed
        if not over.any():
            break
        out[over] = upper
        fixed |= over
    if upper is not None:
        np.minimum(out, upper, out=out)
    return out


# --------------------------------------------------------------------------- clustering


def _squared_distances(features: np.ndarray) -> np.ndarray:
    norms = np.einsum("ij,ij->i", features, features)
    distances = norms[:, None] + norms[None, :] - 2.0 * features @ features.T
    np.maximum(distances, 0.0, out=distances)
    np.fill_diagonal(distances, 0.0)
    return distances


def _refine(distances: np.ndarray, medoids: np.ndarray, max_iter: int = 100) -> tuple[np.ndarray, np.ndarray, float]:
    """Alternate assignment and medoid update (Voronoi iteration) until the medoids stop changing."""
    medoids = np.sort(np.unique(medoids))
    for _ in range(max_iter):
        assign = np.argmin(distances[:, medoids], axis=1)
        assign[medoids] = np.arange(len(medoids))  # a medoid belongs to its own cluster (ties, duplicates)
        new = medoids.copy()
        for cluster in range(len(medoids)):
            members = np.flatnonzero(assign == cluster)
            new[cluster] = members[np.argmin(distances[np.ix_(members, members)].sum(axis=1))]
        new = np.sort(new)
        if np.array_equal(new, medoids):
            break
        medoids = new
    assign = np.argmin(distances[:, medoids], axis=1)
    assign[medoids] = np.arange(len(medoids))
    cost = float(distances[np.arange(len(assign)), medoids[assign]].sum())
    return medoids, assign, cost


def kmedoids(features: np.ndarray, k: int, seed: int = 0, restarts: int = RESTARTS) -> tuple[np.ndarray, np.ndarray, float]:
    """k-medoids of the rows of ``features``: (sorted medoid rows, cluster of each row, total squared distance).

    Starts: the medoids of a Ward-hierarchical clustering, then ``restarts`` k-medoids++ draws from
    ``numpy.random.default_rng(seed)``; the lowest-cost result wins (the first one on ties).
    """
    from scipy.cluster.hierarchy import fcluster, linkage

    n = len(features)
    k = min(k, n)
    distances = _squared_distances(features)
    starts = []
    if 1 < k < n:
        labels = fcluster(linkage(features, method="ward"), t=k, criterion="maxclust")
        start = []
        for label in np.unique(labels):
            members = np.flatnonzero(labels == label)
            start.append(members[np.argmin(distances[np.ix_(members, members)].sum(axis=1))])
        if len(start) == k:
            starts.append(np.array(start))
    rng = np.random.default_rng(seed)
    for _ in range(restarts if k < n else 0):
        chosen = [int(rng.integers(n))]
        nearest = distances[chosen[0]].copy()
        while len(chosen) < k:
            total = nearest.sum()
            pick = int(rng.choice(n, p=nearest / total)) if total > 0 else int(rng.choice(np.setdiff1d(np.arange(n), chosen)))
            chosen.append(pick)
            nearest = np.minimum(nearest, distances[pick])
        starts.append(np.array(chosen))
    if not starts:
        starts.append(np.arange(k))
    best = None
    for start in starts:
        result = _refine(distances, start)
        if len(result[0]) == k and (best is None or result[2] < best[2] - 1e-12 * max(1.0, abs(best[2]))):
            best = result
    return best


# --------------------------------------------------------------------------- aggregation


def aggregate(case, setting: dict | None = None):
    """The case with its time steps aggregated as ``setting`` (default: the case's ``time_aggregation``) says.

    Returns ``case`` itself when there is nothing to do or the case is aggregated already.
    """
    if getattr(case, "time_aggregation", None) is not None:
        return case
    if setting is None:
        setting = case.settings.get("time_aggregation")
    problems = setting_issues(setting)
    if not problems:
        problems = [(column, value, expected) for _, column, value, expected in table_issues(case.tables, setting)]
    if problems:
        from .inputs import InputError, InputIssue

        raise InputError([InputIssue("settings.yaml", None, c, v, e) for c, v, e in problems], case.path)
    method = (setting or {}).get("method", "none")
    if method == "none":
        return case
    start = _time.perf_counter()
    with python_strings():
        if method == "representative_days":
            tables, sequence, info = _representative_days(case, int(setting["days"]), int(setting.get("seed", 0)))
            if int(setting.get("hours", 1)) > 1:
                # then merge blocks of `hours` steps inside each representative day
                clustered = dataclasses.replace(case, tables={**case.tables, **tables}, period_sequence=sequence)
                downsampled, _, _ = _downsample(clustered, int(setting["hours"]))
                tables = {**tables, **downsampled}
        else:
            tables, sequence, info = _downsample(case, int(setting["hours"]))
    info = {"method": method, **{k: v for k, v in setting.items() if k != "method"}, "original_steps": len(case["time_steps"]),
            "steps": len(tables["time_steps"]), **info, "seconds": time_since(start)}
    settings = dict(case.settings, time_aggregation=dict(setting))
    return dataclasses.replace(case, settings=settings, tables={**case.tables, **tables}, period_sequence=sequence, time_aggregation=info)


def time_since(start: float) -> float:
    return round(_time.perf_counter() - start, 4)


def _representative_days(case, days: int, seed: int):
    steps = case["time_steps"]
    labels = steps["time"].to_numpy()
    weight = steps["weight_h"].to_numpy(dtype=float)
    n_days = len(steps) // HOURS_PER_DAY
    (avail_keys, demand_keys), (avail, demand) = _profiles(case)
    everything = np.vstack([avail, demand])
    low = everything.min(axis=1, keepdims=True)
    span = everything.max(axis=1, keepdims=True) - low
    normalised = np.divide(everything - low, span, out=np.zeros_like(everything), where=span > 0)
    # one row per day: every profile's 24 hours
    features = normalised.reshape(len(everything), n_days, HOURS_PER_DAY).transpose(1, 0, 2).reshape(n_days, -1)
    if features.shape[1] == 0:
        features = np.zeros((n_days, 1))
    medoids, assign, cost = kmedoids(features, days, seed)
    k = len(medoids)
    day_weight = weight.reshape(n_days, HOURS_PER_DAY)
    rep_weight = np.zeros((k, HOURS_PER_DAY))
    np.add.at(rep_weight, assign, day_weight)  # hours each representative hour stands for
    hours = (medoids[:, None] * HOURS_PER_DAY + np.arange(HOURS_PER_DAY)[None, :]).reshape(-1)
    new_labels = labels[hours]
    new_weight = rep_weight.reshape(-1)
    time_steps = pd.DataFrame(
        {
            "time": new_labels.astype(np.int64),
            "weight_h": new_weight,
            "duration_h": np.ones(len(hours)),
            "representative_period": np.repeat(np.arange(k, dtype=np.int64), HOURS_PER_DAY),
        }
    )
    avail_rep = _rescale(avail[:, hours], new_weight, avail @ weight, upper=1.0)
    demand_rep = _rescale(demand[:, hours], new_weight, demand @ weight)
    tables = {"time_steps": time_steps}
    if len(case["availability"]):
        tables["availability"] = _long(avail_keys, avail_rep, new_labels, "availability")
    if len(case["demand_profiles"]):
        tables["demand_profiles"] = _long(demand_keys, demand_rep, new_labels, "profile")
    sequence = pd.DataFrame(
        {"day": np.arange(n_days, dtype=np.int64), "time": labels[::HOURS_PER_DAY].astype(np.int64), "representative_period": assign.astype(np.int64)}
    )
    info = {"representative_days": k, "medoid_days": medoids.tolist(), "cluster_sizes": np.bincount(assign, minlength=k).tolist(),
            "clustering_cost": cost}
    return tables, sequence, info


def _downsample(case, hours: int):
    steps = case["time_steps"]
    group = steps["representative_period"].to_numpy()
    n = len(steps)
    run_start = np.r_[True, group[1:] != group[:-1]]
    run_id = np.cumsum(run_start) - 1
    position = np.arange(n) - np.flatnonzero(run_start)[run_id]
    block_start = run_start | (position % hours == 0)
    starts = np.flatnonzero(block_start)
    weight = steps["weight_h"].to_numpy(dtype=float)
    block_weight = np.add.reduceat(weight, starts)
    new_labels = steps["time"].to_numpy()[starts]
    time_steps = pd.DataFrame(
        {
            "time": new_labels.astype(np.int64),
            "weight_h": block_weight,
            "duration_h": np.add.reduceat(steps["duration_h"].to_numpy(dtype=float), starts),
            "representative_period": group[starts].astype(np.int64),
        }
    )
    (avail_keys, demand_keys), (avail, demand) = _profiles(case)
    tables = {"time_steps": time_steps}

    def average(values):
        return np.add.reduceat(values * weight[None, :], starts, axis=1) / block_weight[None, :] if values.size else values[:, : len(starts)]

    if len(case["availability"]):
        tables["availability"] = _long(avail_keys, np.minimum(average(avail), 1.0), new_labels, "availability")
    if len(case["demand_profiles"]):
        tables["demand_profiles"] = _long(demand_keys, average(demand), new_labels, "profile")
    return tables, getattr(case, "period_sequence", None), {}
