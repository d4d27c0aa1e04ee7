#!/usr/bin/env python3
"""Operating limits the China pathway needs beyond the technology tables (method: OPERATION.md beside this script).

    python inputs/china/build/operation.py     (after technologies.py and demand_network.py; build_all.py runs it)

Writes into ``inputs/china/``:

* ``energy_budgets.csv``: appends monthly budgets of reservoir hydro (inflow seasonality): each province's annual
  budget shared out over the calendar months like its 2020 hydro output (NBS monthly, ``sources/physics/hydro_monthly.csv``);
* ``minimum_loads.csv``: heat-led must-run of coal in the northern heating season: the province's combined-heat-and-
  power capacity as a share of its coal fleet (China Electric Power Yearbook 2021 via ``sources/physics/chp.csv``) times
  the minimum output of a CHP unit in heat-led operation (0.5 of rated capacity), in the months of the heating season;
* ``reserve_margins.csv``: a reserve margin per province over its peak demand (12 %, Hainan 20 %).

Every row carries its source; the script stops on a row without one.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd

BUILD = Path(__file__).resolve().parent
sys.path.insert(0, str(BUILD))
from technologies import CASE, CODES  # noqa: E402

PHYSICS = CASE / "sources" / "physics"
#: days of each month in 2020 (the year of the monthly hydro shape); NBS publishes January and February together
DAYS_2020 = {1: 31, 2: 29}
#: minimum electrical output of a CHP unit in heat-led operation, share of rated capacity: the upper end of the 40-50 %
#: that the 2016 NEA flexibility-retrofit pilots target for CHP units (chp.csv)
CHP_MIN_OUTPUT = 0.50
#: provinces with district heating (north of the Qinling-Huaihe line) and their heating season (month-day); the
#: northern default (15 November - 15 March) where heating_season.csv gives none
NORTHERN = ("BJ", "TJ", "HE", "SX", "NM", "LN", "JL", "HL", "SD", "HA", "SN", "GS", "QH", "NX", "XJ")
DEFAULT_SEASON = ("11-15", "03-15")
#: reserve margin over peak demand: 12 % (Jiangsu, Zhejiang), 20 % for Hainan's island grid (firm_capacity.csv)
RESERVE_MARGIN, HAINAN_MARGIN = 0.12, 0.20
#: corridors into a province count at their capacity: contracted inter-provincial supply (区外来电) enters a province's
#: power balance at its contracted level (judgement, OPERATION.md)
IMPORT_CREDIT = 1.0
MONTH_DAYS = np.array([31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31])


def monthly_hydro_budgets() -> pd.DataFrame:
    budgets = pd.read_csv(CASE / "energy_budgets.csv")
    if "month" in budgets:
        budgets = budgets[budgets["month"].isna()]
    annual = budgets[budgets["technology"] == "hydro_reservoir"]
    monthly = pd.read_csv(PHYSICS / "hydro_monthly.csv")
    source_of = monthly.set_index(["year", "region", "month"])["source"]
    shapes = {}
    for region in sorted(annual["region"].unique()):
        rows = monthly[(monthly["year"] == 2020) & (monthly["region"] == region)].set_index("month")["generation_TWh"]
        if len(rows) != 11 or (rows < 0).any():
            raise SystemExit(f"operation.py: no complete 2020 monthly hydro series for {region}")
        jan_feb = rows.loc[2]
        shape = pd.Series({1: jan_feb * 31 / 60, 2: jan_feb * 29 / 60, **{m: rows.loc[m] for m in range(3, 13)}})
        shapes[region] = shape / shape.sum()
    out = []
    for _, row in annual.iterrows():
        shape = shapes[row["region"]]
        for month, share in shape.items():
            source = (f"annual budget {row['energy_max_TWh']} TWh x {share:.4f}, the {month:02d} share of {row['region']}'s 2020 hydro "
                      f"output (January and February, published together, split by days 31:29): {source_of[(2020, row['region'], 2)]} "
                      "(sources/physics/hydro_monthly.csv)")
            out.append({"technology": "hydro_reservoir", "region": row["region"], "period": row["period"], "month": month,
                        "energy_max_TWh": round(row["energy_max_TWh"] * share, 4), "source": source})
    return pd.DataFrame(out)


def _season_weights(start: str, end: str) -> np.ndarray:
    """Share of each calendar month in a heating season from start to end (month-day, across the new year)."""
    days = np.zeros(365, dtype=bool)
    first = _day_of_year(start)
    last = _day_of_year(end)
    days[first:] = True
    days[: last + 1] = True
    starts = np.r_[0, np.cumsum(MONTH_DAYS)[:-1]]
    return np.array([days[s : s + n].mean() for s, n in zip(starts, MONTH_DAYS)])


def _day_of_year(month_day: str) -> int:
    month, day = (int(x) for x in month_day.split("-"))
    return int(np.r_[0, np.cumsum(MONTH_DAYS)][month - 1] + day - 1)


def chp_minimum_loads() -> pd.DataFrame:
    chp = pd.read_csv(PHYSICS / "chp.csv")
    chp = chp[(chp["item"] == "chp_heat_supply_capacity_2020") & (chp["region"] != "CN")].set_index("region")
    items = pd.read_csv(PHYSICS / "chp.csv").set_index("item")
    minimum_source = items.loc["chp_min_technical_output_after_retrofit_target", "source"]
    fleet = pd.read_csv(CASE / "capacities.csv")
    coal = fleet[(fleet["technology"] == "coal") & (fleet["build_year"] <= 2020)].groupby("region")["capacity_GW"].sum()
    seasons = pd.read_csv(PHYSICS / "heating_season.csv").set_index("province")
    rows = []
    for region in NORTHERN:
        share = min(1.0, float(chp.loc[region, "value"]) / float(coal[region]))
        known = region in seasons.index and isinstance(seasons.loc[region, "start"], str) and isinstance(seasons.loc[region, "end"], str)
        start, end = (seasons.loc[region, "start"], seasons.loc[region, "end"]) if known else DEFAULT_SEASON
        season_source = seasons.loc[region if known else "CN_north_default", "source"]
        for month, weight in enumerate(_season_weights(start, end), start=1):
            if weight == 0:
                continue
            # a month partly in the season: its minimum scaled by the share of its days in the season
            rows.append({
                "technology": "coal", "region": region, "month": month, "min_load_fraction": round(share * CHP_MIN_OUTPUT * weight, 4),
                "source": (f"CHP {chp.loc[region, 'value']} GW / coal {coal[region]:.1f} GW (capped at 1) = {share:.3f} of the coal fleet is CHP "
                           f"({chp.loc[region, 'source']}); x {CHP_MIN_OUTPUT} minimum heat-led output, the upper end of the 40-50 % CHP "
                           f"target ({minimum_source}); heating season {start} to {end} ({season_source}), {weight:.2f} of the month "
                           "(OPERATION.md)"),
            })
    return pd.DataFrame(rows)


def reserve_margins() -> pd.DataFrame:
    credits = pd.read_csv(PHYSICS / "firm_capacity.csv")
    source = credits[credits["technology"].str.startswith("reserve margin (Jiangsu")]["source"].iloc[0]
    hainan = credits[credits["technology"].str.startswith("reserve margin (Hainan")]["source"].iloc[0]
    rows = []
    for region in CODES:
        margin = HAINAN_MARGIN if region == "HI" else RESERVE_MARGIN
        rows.append({
            "area": region, "regions": "", "period": None, "margin": margin, "import_credit": IMPORT_CREDIT,
            "source": (f"reserve margin {margin:.2f}: {hainan if region == 'HI' else source} (the Jiangsu and Zhejiang figure for every "
                       "province but Hainan); corridors into the province at their capacity (judgement, OPERATION.md)"),
        })
    return pd.DataFrame(rows)


def main() -> None:
    budgets = pd.read_csv(CASE / "energy_budgets.csv")
    if "month" in budgets:
        budgets = budgets[budgets["month"].isna()].drop(columns="month")
    monthly = monthly_hydro_budgets()
    columns = ["technology", "region", "period", "month", "energy_max_TWh", "source"]
    merged = pd.concat([budgets, monthly], ignore_index=True).reindex(columns=columns)
    merged["month"] = merged["month"].astype("Int64")
    merged["period"] = merged["period"].astype("Int64")
    merged.to_csv(CASE / "energy_budgets.csv", index=False)
    minimum = chp_minimum_loads()
    minimum.to_csv(CASE / "minimum_loads.csv", index=False)
    margins = reserve_margins()
    margins["period"] = margins["period"].astype("Int64")
    margins.to_csv(CASE / "reserve_margins.csv", index=False)
    for name, table in (("energy_budgets.csv", merged), ("minimum_loads.csv", minimum), ("reserve_margins.csv", margins)):
        if table["source"].fillna("").astype(str).str.strip().eq("").any():
            raise SystemExit(f"operation.py: a row of {name} without a source")
    print(f"energy_budgets.csv: {len(monthly)} monthly reservoir rows; minimum_loads.csv: {len(minimum)} rows "
          f"(northern coal CHP, {minimum['region'].nunique()} provinces); reserve_margins.csv: {len(margins)} provinces")


if __name__ == "__main__":
    main()
