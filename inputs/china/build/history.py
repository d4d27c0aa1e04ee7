#!/usr/bin/env python3
"""Build the capacity built or under construction since 2020: ``committed_capacity.csv`` and
``committed_corridors.csv`` of the China case (method: HISTORY.md beside this script).

    python inputs/china/build/history.py

Sources (copies in ``inputs/china/sources/``, attribution in ``sources/ATTRIBUTION_record.md``):

* coal: GEM Global Coal Plant Tracker, July 2023 (the unit list the 2020 fleet comes from): units operating with a
  start year of 2021-2023 (in service), and units under construction (in service in their planned start year, or
  2025 where the tracker gives none);
* every other technology, and corridors: the year-end statistics of ``sources/record/committed_record.csv`` (one row
  per technology, province or the whole country, year and capacity added, each with its source), when present.

Every row written carries its source; the script stops on a row without one.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd

BUILD = Path(__file__).resolve().parent
sys.path.insert(0, str(BUILD))
from technologies import CASE, code, read_gz_csv  # noqa: E402

GCPT = "Rick10119_PyPSA-China-THU__Global-Coal-Plant-Tracker-July-2023__China_units.csv.gz"
RECORD = CASE / "sources" / "record" / "committed_record.csv"
CORRIDOR_RECORD = CASE / "sources" / "record" / "committed_corridors_record.csv"
#: in-service year of units under construction whose planned start year the tracker does not give
UNDATED_CONSTRUCTION_YEAR = 2025
#: the first year after the 2020 fleet
FIRST = 2021


def coal() -> pd.DataFrame:
    units = read_gz_csv(GCPT)
    start = pd.to_numeric(units["Start year"], errors="coerce")
    status = units["Status"]
    in_service = units[(status == "operating") & (start >= FIRST)].assign(build_year=start, status="in_service")
    building = units[status == "construction"].copy()
    planned = pd.to_numeric(building["Start year"], errors="coerce")
    building = building.assign(build_year=np.where(planned.isna(), UNDATED_CONSTRUCTION_YEAR, np.maximum(planned, 2023)), status="under_construction")
    rows = pd.concat([in_service, building], ignore_index=True)
    rows["region"] = rows["Subnational unit (province, state)"].map(code)
    rows["capacity_GW"] = rows["Capacity (MW)"] / 1000.0
    table = rows.groupby(["region", "build_year", "status"], as_index=False)["capacity_GW"].sum()
    table["technology"] = "coal"
    table["source"] = np.where(
        table["status"] == "in_service",
        "GEM Global Coal Plant Tracker July 2023: units operating, start year 2021-2023, summed by province and start year",
        f"GEM Global Coal Plant Tracker July 2023: units under construction, in service in their planned start year (at least "
        f"2023; {UNDATED_CONSTRUCTION_YEAR} where none is given), summed by province and year",
    )
    return table


def recorded() -> pd.DataFrame:
    if not RECORD.exists():
        return pd.DataFrame(columns=["technology", "region", "build_year", "capacity_GW", "status", "source"])
    return pd.read_csv(RECORD)


def main() -> None:
    columns = ["technology", "region", "build_year", "capacity_GW", "energy_capacity_GWh", "status", "source"]
    table = pd.concat([coal(), recorded()], ignore_index=True).reindex(columns=columns)
    table["build_year"] = table["build_year"].astype(int)
    table["capacity_GW"] = table["capacity_GW"].round(4)
    table = table[table["capacity_GW"] > 0]
    if table["source"].fillna("").astype(str).str.strip().eq("").any():
        raise SystemExit("history.py: a committed row without a source (every row must name where its figure comes from)")
    table = table.sort_values(["technology", "region", "build_year", "status"]).reset_index(drop=True)
    table.to_csv(CASE / "committed_capacity.csv", index=False)
    summary = table.groupby(["technology", "status"])["capacity_GW"].sum().round(1)
    print("committed_capacity.csv:", len(table), "rows;", summary.to_dict())
    if CORRIDOR_RECORD.exists():
        corridors = pd.read_csv(CORRIDOR_RECORD)
        if corridors["source"].fillna("").astype(str).str.strip().eq("").any():
            raise SystemExit("history.py: a committed corridor row without a source")
        corridors.to_csv(CASE / "committed_corridors.csv", index=False)
        print("committed_corridors.csv:", len(corridors), "rows")


if __name__ == "__main__":
    main()
