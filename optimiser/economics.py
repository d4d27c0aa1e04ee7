"""Discounting and annuities (PyPSA-style multi-period economics).

Conventions (see docs/model.md):

* period ``p`` stands for the years ``p, ..., p + years_p - 1``;
* its objective weight is the sum of the discount factors of those years,
  ``w_p = sum_k (1 + r)^-(p + k - base_year)``;
* capacity built in period ``v`` with lifetime ``L`` operates (and pays its
  annuity and fixed O&M) in every period ``p`` with ``v <= p < v + L``, so
  nothing is paid after the horizon.
"""

from __future__ import annotations

import numpy as np


def period_years(periods, last_period_years=None) -> np.ndarray:
    """Number of years each period stands for."""
    periods = np.asarray(periods, dtype=float)
    if len(periods) == 1:
        return np.array([float(last_period_years or 1.0)])
    spacing = np.diff(periods)
    last = float(last_period_years) if last_period_years else float(spacing[-1])
    return np.append(spacing, last)


def discount_weights(periods, years, discount_rate: float, base_year: int) -> np.ndarray:
    """Objective weight of each period: the discounted sum of its years, shape (n_periods,)."""
    weights = []
    for start, count in zip(periods, years):
        offsets = start - base_year + np.arange(int(round(count)))
        weights.append(float(np.sum((1.0 + discount_rate) ** -offsets)))
    return np.array(weights)


def annuity_factor(wacc, lifetime) -> np.ndarray:
    """Capital recovery factor: annual payment per unit of overnight cost (1/yr)."""
    wacc = np.asarray(wacc, dtype=float)
    lifetime = np.asarray(lifetime, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        factor = wacc / (1.0 - (1.0 + wacc) ** -lifetime)
    return np.where(wacc > 0, factor, 1.0 / lifetime)


def active(build_year, lifetime, period) -> np.ndarray:
    """Is capacity built in ``build_year`` with ``lifetime`` standing in ``period``? (broadcasts)"""
    build_year = np.asarray(build_year, dtype=float)
    return (build_year <= period) & (period < build_year + np.asarray(lifetime, dtype=float))
