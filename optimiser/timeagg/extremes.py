"""Extreme days kept whole by representative-day aggregation (national series, see .national).

``peak_net_load: n``
    the n days with the highest hourly national net load (the highest daily maxima; ties: the earlier day);
``low_renewables: n``
    the n consecutive days with the least national wind-and-solar energy (the lowest n-day sum of
    sum_t output[t] * weight_h[t]; a windless, dark spell as one chronological run; ties: the earlier run).

Both are chosen here rather than by tsam's extreme-period options because tsam picks one period per
column and criterion (``max_value``, ``min_period``), not n days nor a run of consecutive days.  The chosen
days are then left out of tsam's clustering and each becomes a representative period of its own (like
tsam's ``append``), standing for itself alone at its place in the chronological sequence.
"""

from __future__ import annotations

import numpy as np

from .settings import HOURS_PER_DAY


def peak_net_load_days(net_load_GW: np.ndarray, n: int) -> list[int]:
    """The ``n`` days whose highest hour of net load is highest, highest first."""
    if n <= 0:
        return []
    daily_peak = net_load_GW.reshape(-1, HOURS_PER_DAY).max(axis=1)
    return np.argsort(-daily_peak, kind="stable")[:n].tolist()


def low_renewable_days(renewables_GW: np.ndarray, weight_h: np.ndarray, n: int) -> list[int]:
    """The ``n`` consecutive days (within the year, not wrapping) with the least wind-and-solar energy."""
    if n <= 0:
        return []
    daily_GWh = (renewables_GW * weight_h).reshape(-1, HOURS_PER_DAY).sum(axis=1)
    window = np.convolve(daily_GWh, np.ones(n), mode="valid")  # window[d] = days d .. d+n-1
    start = int(np.argmin(window))
    return list(range(start, start + n))


def extreme_days(basis, profiles, counts: dict[str, int]) -> dict[str, list[int]]:
    """{criterion: days} for the criteria with a count > 0."""
    chosen = {}
    if counts.get("peak_net_load", 0) > 0:
        chosen["peak_net_load"] = peak_net_load_days(basis.net_load(profiles), counts["peak_net_load"])
    if counts.get("low_renewables", 0) > 0:
        chosen["low_renewables"] = low_renewable_days(basis.renewables(profiles), profiles.weight_h, counts["low_renewables"])
    return chosen
