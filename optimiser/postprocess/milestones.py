"""The milestones of the seed papers that a run's headline figures are held against.

Figures as stated in the seeds (see ``shared/CONTEXT.md`` of the project):

* seed 000 (the CAS "carbon neutrality" consultancy project): electricity generation 33 % non-carbon
  in 2020, **46 % in 2030** (10.0 PWh), **85 % in 2060** (15.5 PWh); CO2 peak before 2030 and
  carbon neutrality before 2060 (all seeds);
* seed 002 (reduce / increase sinks / protect / store): **CCUS (engineered storage) of 0.5-1.0 Gt
  CO2 per year** needed by 2060, next to 2.0-2.5 Gt/yr of ecosystem sinks for 2.5-3.0 Gt of
  residual emissions; net zero by 2060.

The figures are national China figures: for the small example cases the comparison only shows
how the report reads.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .common import SCENARIO

#: (key, indicator, seed figure as text, low, high, unit, source)
MILESTONES = (
    ("peak", "CO2 emissions peak", "before 2030", None, 2030, "year", "seeds 000, 002 (all seeds)"),
    ("non_carbon_2030", "Non-carbon share of electricity generation, 2030", "46 %", 0.46, None, "share", "seed 000"),
    ("non_carbon_2060", "Non-carbon share of electricity generation, 2060", "85 %", 0.85, None, "share", "seed 000"),
    ("net_zero_2060", "Net CO2 emissions, 2060", "net zero (<= 0)", None, 0.0, "Mt CO2/yr", "seeds 000, 002"),
    ("ccus", "CCUS (CO2 stored), by 2060", "0.5-1.0 Gt CO2/yr", 500.0, 1000.0, "Mt CO2/yr", "seed 002"),
)


#: half the last digit that _format shows, by unit: a milestone is met if the figure as reported meets it
REPORTED_HALF_DIGIT = {"share": 5e-4, "year": 0.0}


def _value(row: pd.Series, key: str):
    """(value, period it refers to) of a milestone's indicator in a headline row."""
    if key == "peak":
        return row.get("peak_emissions_period", np.nan), row.get("peak_emissions_period", np.nan)
    if key == "non_carbon_2030":
        return row.get("non_carbon_share_2030", np.nan), row.get("non_carbon_share_2030_period", np.nan)
    if key == "non_carbon_2060":
        return row.get("non_carbon_share_2060", np.nan), row.get("non_carbon_share_2060_period", np.nan)
    if key == "net_zero_2060":
        return row.get("net_emissions_last_Mt", np.nan), row.get("last_period", np.nan)
    if key == "ccus":
        return row.get("ccus_stored_last_Mt", np.nan), row.get("last_period", np.nan)
    return np.nan, np.nan


def _format(value, unit) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return "n/a"
    if unit == "share":
        return f"{100 * value:.1f} %"
    if unit == "year":
        return str(int(value))
    return f"{value:,.1f} {unit}"


def compare_milestones(headline: pd.DataFrame) -> pd.DataFrame:
    """One row per milestone (and scenario): seed figure, source, this run's value, whether it is met."""
    rows = []
    for _, run in headline.iterrows():
        for key, indicator, figure, low, high, unit, source in MILESTONES:
            value, period = _value(run, key)
            met = None
            if value is not None and not (isinstance(value, float) and np.isnan(value)):
                # met as reported: within half the last digit shown (interior-point solutions are exact to ~1e-7 only)
                slack = REPORTED_HALF_DIGIT.get(unit, 0.05)
                met = (low is None or value >= low - slack) and (high is None or value <= high + slack)
                if key == "peak":  # the first period being the highest means the peak is at or before it
                    met = value <= high
            row = {SCENARIO: run[SCENARIO]} if SCENARIO in headline.columns else {}
            row.update(
                indicator=indicator,
                seed_figure=figure,
                source=source,
                run_value=_format(value, unit),
                run_period=None if period is None or (isinstance(period, float) and np.isnan(period)) else int(period),
                meets=met,
            )
            rows.append(row)
    table = pd.DataFrame(rows)
    if not table.empty:
        table["run_period"] = table["run_period"].astype("Int64")
    return table
