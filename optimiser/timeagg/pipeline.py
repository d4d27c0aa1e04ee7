"""``aggregate(case)``: the case with its time steps reduced as its ``time_aggregation`` setting says
(the methods are described in the package doc, :mod:`optimiser.timeagg`)."""

from __future__ import annotations

import dataclasses
import time as _time

import numpy as np
import pandas as pd

from ..schema import python_strings
from .error import representation_error
from .extremes import extreme_days
from .national import net_load_basis
from .profiles import Profiles, block_starts, merge_blocks, rescale, wide_profiles
from .settings import DEFAULT_CLUSTER, DEFAULT_REPRESENTATION, HOURS_PER_DAY, extreme_counts, setting_issues, table_issues


def _input_error(case, problems):
    from ..inputs import InputError, InputIssue

    return InputError([InputIssue("settings.yaml", None, c, v, e) for c, v, e in problems], case.path)


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
        raise _input_error(case, problems)
    method = (setting or {}).get("method", "none")
    if method == "none":
        return case
    start = _time.perf_counter()
    with python_strings():
        full = wide_profiles(case)
        basis = net_load_basis(case, full, setting)
        if method == "representative_days":
            aggregated, group, sequence, info = _representative_days(case, full, basis, setting)
        else:
            steps = case["time_steps"]["representative_period"].to_numpy()
            aggregated, group = merge_blocks(full, steps, block_starts(steps, int(setting["hours"])))
            sequence, info = getattr(case, "period_sequence", None), {}
        time_steps = pd.DataFrame(
            {"time": aggregated.time.astype(np.int64), "weight_h": aggregated.weight_h, "duration_h": aggregated.duration_h,
             "representative_period": np.asarray(group, dtype=np.int64)}
        )
        tables = {"time_steps": time_steps, **aggregated.tables(case)}
        error = representation_error(full, aggregated, basis)
    info = {"method": method, **{k: v for k, v in setting.items() if k != "method"}, "original_steps": len(full.time),
            "steps": len(time_steps), **info, "net_load": basis.describe(), "representation_error": error, "seconds": time_since(start)}
    settings = dict(case.settings, time_aggregation=dict(setting))
    full_year = {"time_steps": case["time_steps"], "demand_profiles": case["demand_profiles"]}
    return dataclasses.replace(case, settings=settings, tables={**case.tables, **tables}, period_sequence=sequence, time_aggregation=info,
                               full_year=full_year)


def time_since(start: float) -> float:
    return round(_time.perf_counter() - start, 4)


def _representative_days(case, full: Profiles, basis, setting) -> tuple[Profiles, np.ndarray, pd.DataFrame, dict]:
    from .clustering import cluster_days, segment_days

    n_days = len(full.time) // HOURS_PER_DAY
    counts = extreme_counts(setting)
    chosen = {}
    if any(counts.values()):
        problem = basis.problem
        if not problem and counts["low_renewables"] and basis.total_capacity_GW <= 0:
            problem = f"wind and solar capacity in the net_load fleet ('{basis.fleet}' has none in {basis.period}) to find low_renewables days"
        if problem:
            raise _input_error(case, [("time_aggregation.extreme_days", setting["extreme_days"], problem)])
        chosen = extreme_days(basis, full, counts)
    extreme = np.array(sorted(set().union(*chosen.values())), dtype=np.int64)
    ordinary = np.setdiff1d(np.arange(n_days), extreme)
    year = full.stacked()
    if not len(year):
        year = np.zeros((1, len(full.time)))  # no profiles at all: every day is alike
    method = setting.get("cluster", DEFAULT_CLUSTER)
    representation = setting.get("representation", DEFAULT_REPRESENTATION)
    assign, medoids, represented = cluster_days(year, ordinary, int(setting["days"]) - len(extreme), method, representation)

    # representative periods: the medoids and the extreme days, numbered in calendar order of their days
    period_days = np.sort(np.r_[medoids, extreme])
    day_period = np.empty(n_days, dtype=np.int64)
    day_period[ordinary] = np.searchsorted(period_days, medoids[assign])
    day_period[extreme] = np.searchsorted(period_days, extreme)
    k = len(period_days)

    # each representative hour stands for that hour of every day of its period
    hours = (period_days[:, None] * HOURS_PER_DAY + np.arange(HOURS_PER_DAY)[None, :]).reshape(-1)
    weight = np.zeros((k, HOURS_PER_DAY))
    np.add.at(weight, day_period, full.weight_h.reshape(n_days, HOURS_PER_DAY))
    weight = weight.reshape(-1)
    # profiles rescaled so that every weighted annual sum is the original one (availability <= 1); the extreme
    # days stand for themselves and keep their values (as in tsam): the ordinary ones make up the rest
    scaled = ~np.isin(np.repeat(period_days, HOURS_PER_DAY), extreme)

    # rows of the stacked profiles (availability first, then demand), for a representation other than the medoids
    cluster_period = np.searchsorted(period_days, medoids)
    n_availability = len(full.availability)

    def exact(values, upper=None, rows=slice(None)):
        out = values[:, hours]
        if represented is not None:  # the clusters' values in place of their medoids'
            out.reshape(len(values), k, HOURS_PER_DAY)[:, cluster_period, :] = represented[rows]
        rest = values @ full.weight_h - out[:, ~scaled] @ weight[~scaled]
        out[:, scaled] = rescale(out[:, scaled], weight[scaled], rest, upper=upper)
        return out

    hourly = full.with_values(exact(full.availability, upper=1.0, rows=slice(0, n_availability)),
                              exact(full.demand, rows=slice(n_availability, None)), full.time[hours], weight, full.duration_h[hours])
    group = np.repeat(np.arange(k, dtype=np.int64), HOURS_PER_DAY)
    info = {"representative_days": k, "period_days": period_days.tolist(), "cluster_sizes": np.bincount(day_period, minlength=k).tolist(),
            "cluster": method, "representation": representation}
    if chosen:
        info["extreme_days"] = chosen
    if setting.get("segments"):
        values = hourly.stacked() if len(hourly.stacked()) else np.zeros((1, len(hours)))
        durations = segment_days(year, values, int(setting["segments"]))  # (k, segments) hours
        starts = (np.arange(k)[:, None] * HOURS_PER_DAY + np.cumsum(durations, axis=1) - durations).reshape(-1)
        hourly, group = merge_blocks(hourly, group, starts)
        info["segment_hours"] = durations.tolist()
    elif int(setting.get("hours", 1)) > 1:
        hourly, group = merge_blocks(hourly, group, block_starts(group, int(setting["hours"])))
    sequence = pd.DataFrame(
        {"day": np.arange(n_days, dtype=np.int64), "time": full.time[::HOURS_PER_DAY].astype(np.int64), "representative_period": day_period}
    )
    import tsam

    info["tsam_version"] = tsam.__version__
    return hourly, group, sequence, info
