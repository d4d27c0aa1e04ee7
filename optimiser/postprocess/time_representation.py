"""The representation error of the time aggregation (optimiser.timeagg.error) as a table.

The aggregation stores it in the results' ``time_aggregation`` attribute (YAML); this reads it back,
one row per series (demand, wind and solar, net load, availability of each technology), with a
``scenario`` column for several runs.  Runs without time aggregation have no rows.
"""

from __future__ import annotations

import pandas as pd
import xarray as xr
import yaml

from .common import SCENARIO, scenario_attrs


def make_time_representation(ds: xr.Dataset) -> pd.DataFrame:
    """Duration-curve errors of the aggregated year against the full year (units in the ``unit`` column)."""
    from ..timeagg import ERROR_COLUMNS

    frames = []
    for label, attrs in scenario_attrs(ds).items():
        text = attrs.get("time_aggregation")
        rows = (yaml.safe_load(text) or {}).get("representation_error") if text else None
        if not rows:
            continue
        frame = pd.DataFrame(rows, columns=list(ERROR_COLUMNS))
        if label is not None:
            frame.insert(0, SCENARIO, label)
        frames.append(frame)
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
