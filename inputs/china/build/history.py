#!/usr/bin/env python3
"""Build the capacity built or under construction since 2020: ``committed_capacity.csv`` and
``committed_corridors.csv`` of the China case (method: HISTORY.md beside this script).

    python inputs/china/build/history.py

Sources (copies in ``inputs/china/sources/``, attribution in ``sources/ATTRIBUTION_record.md``):

* coal: GEM Global Coal Plant Tracker, July 2023 (the unit list the 2020 fleet comes from): units operating with a
  start year of 2021-2023 (in service), and units under construction (in service in their planned start year, or
  2025 where the tracker gives none);
* nuclear: unit by unit (``sources/record/nuclear_units_2021_2030.csv``): units on line since 2021 that the 2020 fleet
  does not already hold, and units under construction, in service six years after first concrete (the time the
  Hualong One units Fuqing 5 and 6 took, 5.7 and 6.1 years, by the same table);
* wind, solar, pumped hydro, batteries: national year-end totals 2020-2024 (``sources/record/national_capacity_2020_2024.csv``,
  NBS / NEA / CREEI releases), the additions of each year being the difference of two year-ends, split between
  provinces by their share of the technology's 2020 fleet (batteries: of the 2020 wind and solar fleet, since new
  storage is built with new wind and solar) because provincial tables were not found: a proxy, documented here;

Committed corridor capacity (``committed_corridors.csv``) is written with the corridors by ``demand_network.py``.

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
RECORD = CASE / "sources" / "record"
#: years from first concrete to service of units under construction (Fuqing 5 and 6: 5.7 and 6.1 years)
NUCLEAR_BUILD_YEARS = 6
#: units of nuclear_units_2021_2030.csv that the 2020 fleet (technologies.NUCLEAR_UNITS, dated 2020) already holds
IN_2020_FLEET = ("Fuqing-5", "Hongyanhe-5", "Tianwan-6", "Shidao Bay-1 (HTR-PM)")
#: national_capacity rows: technology of the case -> (rows of the record, 2020 fleet technologies for the provincial split)
NATIONAL = {
    "wind": ("wind (onshore+offshore)", ("onwind", "offwind")),
    "solar": ("solar PV (utility+distributed)", ("solar_utility", "solar_distributed")),
    "pumped_hydro": ("pumped hydro", ("pumped_hydro",)),
    "battery": ("new-type storage (batteries etc.)", ("onwind", "offwind", "solar_utility", "solar_distributed")),
}
#: 2021 distributed PV additions, ~29.2 GW of 52.97 GW (NEA release of 2022-01-25 on 2021 wind/PV additions, in
#: national_capacity's 2021 offshore row source): the share of distributed in PV additions, applied to 2021-2024
DISTRIBUTED_SHARE_2021 = 29.20 / 52.97
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


def nuclear() -> pd.DataFrame:
    units = pd.read_csv(RECORD / "nuclear_units_2021_2030.csv")
    units = units[~units["unit"].isin(IN_2020_FLEET)].copy()
    operating = units["status"].str.startswith("operating")
    dates = units["grid_connection_or_expected"].fillna("").str.extract(r"(20\d\d)")[0].astype(float)
    start = units["construction_start"].str.extract(r"(20\d\d)")[0].astype(float)
    # units still under construction at the end of the record (2024) come into service in 2025 at the earliest
    units["build_year"] = np.where(operating, dates, np.maximum(start + NUCLEAR_BUILD_YEARS, 2025)).astype(int)
    units["status"] = np.where(operating, "in_service", "under_construction")
    units["region"] = units["province"].map(code)
    units["capacity_GW"] = units["capacity_MW"] / 1000.0
    units["source"] = [
        f"{u} ({s}): {src}" + ("" if op else f"; in service {NUCLEAR_BUILD_YEARS} years after first concrete, 2025 at the earliest (HISTORY.md)")
        for u, s, src, op in zip(units["unit"], units["status"], units["source"], operating)
    ]
    units["technology"] = "nuclear"
    return units[["technology", "region", "build_year", "capacity_GW", "status", "source"]]


def _year_end(table: pd.DataFrame, row: str) -> pd.DataFrame:
    rows = table[table["technology"] == row].copy()
    rows["year"] = rows["year"].astype(int)
    return rows.set_index("year")[["capacity_GW", "source"]]


def national_additions() -> pd.DataFrame:
    """Additions of each year = difference of two year-end totals, split between provinces by their share of the
    technology's 2020 fleet (capacities.csv)."""
    record = pd.read_csv(RECORD / "national_capacity_2020_2024.csv")
    fleet = pd.read_csv(CASE / "capacities.csv")
    fleet = fleet[fleet["build_year"] <= 2020]
    rows = []
    for technology, (name, split_by) in NATIONAL.items():
        ends = _year_end(record, name)
        if technology == "pumped_hydro":  # the latest pumped-storage figure is of 30 June 2024: dated 2024
            ends = pd.concat([ends, _year_end(record, "pumped hydro (as of 30 Jun 2024, not year-end)")])
        share = fleet[fleet["technology"].isin(split_by)].groupby("region")["capacity_GW"].sum()
        share = share / share.sum()
        # the fleet file holds pumped storage to the end of 2021 (PHS_p_nom, technologies.py)
        years = sorted(y for y in ends.index if (2022 if technology == "pumped_hydro" else 2021) <= y <= 2024)
        for year in years:
            earlier = [y for y in ends.index if y < year]
            before = max(earlier) if earlier else None
            added = float(ends.loc[year, "capacity_GW"]) - (float(ends.loc[before, "capacity_GW"]) if before else 0.0)
            source = (f"{name}: year-end {year} {ends.loc[year, 'capacity_GW']:g} GW ({ends.loc[year, 'source']})"
                      + (f" minus year-end {before} {ends.loc[before, 'capacity_GW']:g} GW ({ends.loc[before, 'source']})" if before else
                         " (no earlier year-end found: all of it dated to this year)")
                      + f"; split by province with the 2020 fleet of {'/'.join(split_by)} (proxy, HISTORY.md)")
            for region, weight in share.items():
                rows.append((technology, region, year, added * weight, "in_service", source))
    table = pd.DataFrame(rows, columns=["technology", "region", "build_year", "capacity_GW", "status", "source"])
    return _split_wind_solar(table)


def _split_wind_solar(table: pd.DataFrame) -> pd.DataFrame:
    """wind -> onwind / offwind: offshore additions 16.90 GW in 2021 (NEA) and 39.1 - 26.38 = 12.72 GW from end-2021 to
    end-September 2024 (NEA), the latter spread over 2022-2024 in proportion to all wind additions, in the coastal
    provinces by their 2020 offshore fleet; solar -> utility / distributed by the 2021 share of distributed PV."""
    record = pd.read_csv(RECORD / "national_capacity_2020_2024.csv")
    offshore = _year_end(record, "offshore wind")
    late = record[record["technology"].str.startswith("offshore wind (as of 30 Sep 2024")]
    fleet = pd.read_csv(CASE / "capacities.csv")
    off_share = fleet[(fleet["technology"] == "offwind") & (fleet["build_year"] <= 2020)].groupby("region")["capacity_GW"].sum()
    off_share = off_share / off_share.sum()
    wind = table[table["technology"] == "wind"]
    totals = wind.groupby("build_year")["capacity_GW"].sum()
    off_2021 = float(offshore.loc[2021, "capacity_GW"]) - float(offshore.loc[2020, "capacity_GW"])
    off_late = float(late["capacity_GW"].iloc[0]) - float(offshore.loc[2021, "capacity_GW"])
    late_years = [y for y in totals.index if y >= 2022]
    off_by_year = {2021: off_2021, **{y: off_late * totals[y] / totals[late_years].sum() for y in late_years}}
    off_source = (f"offshore wind: 2021 {off_2021:.2f} GW (NEA: {offshore.loc[2021, 'source']}); 2022-2024 {off_late:.2f} GW to "
                  f"end-September 2024 ({late['source'].iloc[0]}) in proportion to all wind additions; coastal provinces by their "
                  "2020 offshore fleet (proxy, HISTORY.md)")
    rows = []
    for year, offshore_gw in off_by_year.items():
        for region, weight in off_share.items():
            rows.append(("offwind", region, year, offshore_gw * weight, "in_service", off_source))
    onshore = wind.copy()
    onshore["capacity_GW"] = onshore["capacity_GW"] * (1 - onshore["build_year"].map(off_by_year) / onshore["build_year"].map(totals))
    onshore["technology"] = "onwind"
    onshore["source"] = onshore["source"] + "; less the offshore additions (offwind rows)"
    solar = table[table["technology"] == "solar"]
    utility = solar.assign(technology="solar_utility", capacity_GW=solar["capacity_GW"] * (1 - DISTRIBUTED_SHARE_2021),
                           source=solar["source"] + f"; utility share {1 - DISTRIBUTED_SHARE_2021:.3f} (1 - distributed share of 2021 additions, NEA)")
    distributed = solar.assign(technology="solar_distributed", capacity_GW=solar["capacity_GW"] * DISTRIBUTED_SHARE_2021,
                               source=solar["source"] + f"; distributed share {DISTRIBUTED_SHARE_2021:.3f} (29.20 of 52.97 GW of 2021 PV additions, NEA release of 2022-01-25)")
    rest = table[~table["technology"].isin(["wind", "solar"])]
    return pd.concat([rest, onshore, pd.DataFrame(rows, columns=table.columns), utility, distributed], ignore_index=True)


def main() -> None:
    columns = ["technology", "region", "build_year", "capacity_GW", "energy_capacity_GWh", "status", "source"]
    table = pd.concat([coal(), nuclear(), national_additions()], ignore_index=True).reindex(columns=columns)
    table["build_year"] = table["build_year"].astype(int)
    table["capacity_GW"] = table["capacity_GW"].round(4)
    table = table[table["capacity_GW"] > 0]
    # several rows of one key (units of one province and year): one row, their sources joined
    table = table.groupby(["technology", "region", "build_year", "status"], as_index=False).agg(
        capacity_GW=("capacity_GW", "sum"), energy_capacity_GWh=("energy_capacity_GWh", "first"), source=("source", " | ".join))
    if table["source"].fillna("").astype(str).str.strip().eq("").any():
        raise SystemExit("history.py: a committed row without a source (every row must name where its figure comes from)")
    table = table.sort_values(["technology", "region", "build_year", "status"]).reset_index(drop=True)
    table.to_csv(CASE / "committed_capacity.csv", index=False)
    summary = table.groupby(["technology", "status"])["capacity_GW"].sum().round(1)
    print("committed_capacity.csv:", len(table), "rows;", summary.to_dict())


if __name__ == "__main__":
    main()
