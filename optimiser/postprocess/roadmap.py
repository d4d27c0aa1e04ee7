"""The technology roadmap: when each technology is first built, reaches scale, peaks and is phased out.

For each technology, from its national installed capacity (GW; kt/h for mass carriers):

* **first built** — the first period with new capacity above a tolerance (none if only existing
  capacity is ever installed);
* **reaches scale** — the first period whose capacity is at least half of the peak;
* **peak** — the period of the largest capacity (the first one if it is reached twice) and its value;
* **phase-out** — the first period after the peak whose capacity falls below ``phase_out_share``
  (5 %) of the peak, or none.

Technologies are grouped into the near, mid and long term by the period in which they reach
scale, like the near / mid / long tags of the technology map of seed 003 (Figure 3: "the period
when the technology is expected to achieve mature and large-scale applications"): near term up
to 2030, mid term 2035-2045, long term 2050-2060 (and later).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import xarray as xr

from .common import SCENARIO, prepare, scenarios, select, technology_frame

#: (tag, last year of the term) - a technology reaching scale in year y gets the first tag with y <= last year
TERMS = (("near", 2030), ("mid", 2045), ("long", 10**9))
TERM_LABELS = {"near": "near term (to 2030)", "mid": "mid term (2035-2045)", "long": "long term (2050-2060)", "none": "not deployed"}
SCALE_SHARE = 0.5
PHASE_OUT_SHARE = 0.05
TOLERANCE = 1e-3  # GW: below this, capacity and builds count as zero


def term_of(year) -> str:
    """'near', 'mid' or 'long' for the year a technology reaches scale; 'none' if it never does."""
    if year is None or (isinstance(year, float) and np.isnan(year)):
        return "none"
    for tag, last in TERMS:
        if int(year) <= last:
            return tag
    return "long"


def phases(periods, capacity, new=None, scale_share: float = SCALE_SHARE, phase_out_share: float = PHASE_OUT_SHARE,
           tolerance: float = TOLERANCE) -> dict:
    """Roadmap phases of one capacity path (sequences over ``periods``, in increasing order)."""
    periods = [int(p) for p in periods]
    capacity = np.nan_to_num(np.asarray(capacity, dtype=float))
    new = np.zeros_like(capacity) if new is None else np.nan_to_num(np.asarray(new, dtype=float))
    peak = float(capacity.max()) if len(capacity) else 0.0
    out = {
        "first_built": None,
        "scale_period": None,
        "peak_period": None,
        "peak_capacity": peak if peak > tolerance else 0.0,
        "phase_out_period": None,
        "first_capacity": float(capacity[0]) if len(capacity) else 0.0,
        "last_capacity": float(capacity[-1]) if len(capacity) else 0.0,
        "term": "none",
        "trend": "not deployed",
    }
    built = np.flatnonzero(new > tolerance)
    if len(built):
        out["first_built"] = periods[built[0]]
    if peak <= tolerance:
        return out
    i_peak = int(np.argmax(capacity))
    out["peak_period"] = periods[i_peak]
    i_scale = int(np.flatnonzero(capacity >= scale_share * peak - 1e-12)[0])
    out["scale_period"] = periods[i_scale]
    after = np.flatnonzero(capacity[i_peak + 1:] < phase_out_share * peak)
    if len(after):
        out["phase_out_period"] = periods[i_peak + 1 + after[0]]
    out["term"] = term_of(out["scale_period"])
    if out["phase_out_period"] is not None:
        out["trend"] = "phased out"
    elif abs(capacity[-1] - capacity[i_peak]) <= tolerance and abs(capacity[0] - capacity[i_peak]) <= tolerance:
        out["trend"] = "stable"
    elif i_peak == len(capacity) - 1 or abs(capacity[-1] - capacity[i_peak]) <= tolerance:
        out["trend"] = "growing"
    elif i_peak == 0:
        out["trend"] = "declining"
    else:
        out["trend"] = "peaks, then declines"
    return out


def make_roadmap(ds: xr.Dataset, scale_share: float = SCALE_SHARE, phase_out_share: float = PHASE_OUT_SHARE,
                 tolerance: float = TOLERANCE, keep_undeployed: bool = False) -> pd.DataFrame:
    """One row per technology (and scenario): first built, reaches scale, peak, phase-out, term.

    ``ds`` needs ``capacity`` (and ``capacity_new``), with or without a ``region`` dimension.
    """
    ds = prepare(ds, names=("capacity",), marker=False)
    techs = technology_frame(ds)
    rows = []
    for label in scenarios(ds):
        one = select(ds, label)
        capacity = one["capacity"].fillna(0.0)
        new = one["capacity_new"].fillna(0.0) if "capacity_new" in one else xr.zeros_like(capacity)
        if "region" in capacity.dims:
            capacity, new = capacity.sum("region"), new.sum("region")
        periods = [int(p) for p in one["period"].values]
        for tech in techs.index:
            result = phases(periods, capacity.sel(technology=tech).values, new.sel(technology=tech).values,
                            scale_share, phase_out_share, tolerance)
            if result["term"] == "none" and not keep_undeployed:
                continue
            row = {SCENARIO: label} if label is not None else {}
            row.update(technology=tech, type=techs.at[tech, "type"], carrier=techs.at[tech, "carrier_out"],
                       capacity_unit=techs.at[tech, "capacity_unit"], **result)
            row["term_label"] = TERM_LABELS[result["term"]]
            rows.append(row)
    table = pd.DataFrame(rows)
    if table.empty:
        return table
    for column in ("first_built", "scale_period", "peak_period", "phase_out_period"):
        table[column] = table[column].astype("Int64")
    rank = {tag: i for i, (tag, _) in enumerate(TERMS)}
    table["_rank"] = table["term"].map(rank).fillna(len(rank))
    keys = [SCENARIO] if SCENARIO in table.columns else []
    table = table.sort_values(keys + ["_rank", "scale_period", "technology"], kind="stable").drop(columns="_rank")
    return table.reset_index(drop=True)


def grouped(roadmap: pd.DataFrame) -> dict:
    """{term label: [technology, ...]} (per scenario if the table has a scenario column)."""
    out = {}
    if roadmap.empty:
        return out
    keys = [SCENARIO] if SCENARIO in roadmap.columns else []
    for key, group in roadmap.groupby(keys + ["term"], sort=False):
        out[key] = list(group["technology"])
    return out
