"""Capacity adequacy as a table: per area and period, the peak, the firm capacity the reserve margin requires and the
firm capacity credited, the credited net imports and the capacity price (the margin's dual).

A row whose capacity price is above 0 is a binding margin: there the firm capacity was built or kept for adequacy, not
for energy.  Runs without reserve margins have no rows.
"""

from __future__ import annotations

import pandas as pd
import xarray as xr

from .common import SCENARIO

COLUMNS = {
    "reserve_peak": "peak_GW",
    "reserve_required": "required_GW",
    "reserve_firm_capacity": "firm_capacity_GW",
    "reserve_imports": "credited_imports_GW",
    "price_capacity": "capacity_price_CNY_per_kW_yr",
}


def make_adequacy(ds: xr.Dataset) -> pd.DataFrame:
    """One row per (scenario, area, period) with a reserve margin; ``binding`` = its capacity price is above 0."""
    if "reserve_required" not in ds:
        return pd.DataFrame()
    frame = ds[list(COLUMNS)].to_dataframe().reset_index().rename(columns=COLUMNS)
    frame = frame.dropna(subset=["required_GW"])
    firm = frame["firm_capacity_GW"] + frame["credited_imports_GW"]
    frame["margin_share"] = firm / frame["peak_GW"].where(frame["peak_GW"] > 0) - 1.0  # reached, credited imports included
    frame["binding"] = frame["capacity_price_CNY_per_kW_yr"] > 1e-6
    keys = [c for c in (SCENARIO, "area", "period") if c in frame.columns]
    return frame[keys + list(COLUMNS.values()) + ["margin_share", "binding"]].sort_values(keys).reset_index(drop=True)
