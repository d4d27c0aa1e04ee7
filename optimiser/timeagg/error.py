"""How well the aggregated year represents the full year: duration curves compared (cheap: sorts of the
national series, no model).

A duration curve sorts a series from its highest value down along the hours of the year; an aggregated
step stands for ``weight_h`` hours.  The aggregated curve is read at the middle of each hour of the full
year's curve (each original step's middle, in cumulative hours), and the two compared:

    rmse      = sqrt( sum_h w_h (agg(x_h) - full_h)^2 / sum_h w_h )      max_error = max_h |agg(x_h) - full_h|

with also the peaks, minima and means of both and the RMSE relative to the full year's range
(``nrmse`` = rmse / (peak - min)).  Series: national electricity demand, wind-and-solar output and net
load (GW, see :mod:`.national`), and the availability of each profiled technology (national mean of its
regions' profiles, unweighted; 1).
"""

from __future__ import annotations

import numpy as np

from .profiles import Profiles

COLUMNS = ("series", "unit", "full_peak", "aggregated_peak", "peak_error", "full_min", "aggregated_min", "min_error",
           "full_mean", "aggregated_mean", "duration_rmse", "duration_nrmse", "duration_max_error")


def duration_curve_error(full: np.ndarray, full_weight: np.ndarray, aggregated: np.ndarray, aggregated_weight: np.ndarray) -> tuple[float, float]:
    """(rmse, max error) of the aggregated duration curve against the full one (both weighted by hours)."""
    order = np.argsort(-full, kind="stable")
    full_sorted, w = full[order], full_weight[order]
    middle = np.cumsum(w) - w / 2.0
    order = np.argsort(-aggregated, kind="stable")
    agg_sorted, ends = aggregated[order], np.cumsum(aggregated_weight[order])
    step = np.minimum(np.searchsorted(ends, middle, side="left"), len(ends) - 1)  # the aggregated step covering each middle
    diff = agg_sorted[step] - full_sorted
    return float(np.sqrt((w * diff**2).sum() / w.sum())), float(np.abs(diff).max())


def _row(series: str, unit: str, full: np.ndarray, full_weight, aggregated: np.ndarray, aggregated_weight) -> dict:
    rmse, worst = duration_curve_error(full, full_weight, aggregated, aggregated_weight)
    span = float(full.max() - full.min())
    row = {
        "series": series, "unit": unit,
        "full_peak": float(full.max()), "aggregated_peak": float(aggregated.max()), "peak_error": float(aggregated.max() - full.max()),
        "full_min": float(full.min()), "aggregated_min": float(aggregated.min()), "min_error": float(aggregated.min() - full.min()),
        "full_mean": float(full @ full_weight / full_weight.sum()), "aggregated_mean": float(aggregated @ aggregated_weight / aggregated_weight.sum()),
        "duration_rmse": rmse, "duration_nrmse": rmse / span if span > 0 else 0.0, "duration_max_error": worst,
    }
    return {k: (round(v, 9) if isinstance(v, float) else v) for k, v in row.items()}


def representation_error(full: Profiles, aggregated: Profiles, basis) -> list[dict]:
    """One row per series (see the module doc); wind-and-solar and net load only where the basis has no problem."""
    rows = []
    fw, aw = full.weight_h, aggregated.weight_h
    if basis.demand_GW.any() or basis.constant_demand_GW > 0:
        rows.append(_row("demand", "GW", basis.demand(full), fw, basis.demand(aggregated), aw))
    if basis.problem is None:
        rows.append(_row("wind_and_solar", "GW", basis.renewables(full), fw, basis.renewables(aggregated), aw))
        rows.append(_row("net_load", "GW", basis.net_load(full), fw, basis.net_load(aggregated), aw))
    techs = full.availability_keys["technology"].to_numpy()
    for tech in dict.fromkeys(techs):  # in order of appearance
        mask = techs == tech
        rows.append(_row(f"availability {tech}", "1", full.availability[mask].mean(axis=0), fw, aggregated.availability[mask].mean(axis=0), aw))
    return rows
