#!/usr/bin/env python3
"""Build ``inputs/china/references.csv``: what the report's credibility table holds the China results against.

    python inputs/china/build/references.py

Three kinds of rows (docs/inputs.md, table `references`):

* **record**: year-end statistics, with a tolerance. 2020 generation by fuel group, total generation and
  power-sector CO2 from ``inputs/china_2020/calibration.csv`` (CEC / NBS, sources quoted there); year-end capacity 2020
  (against the 2020 fleet) and 2024 (the period labelled 2025 should have at least that) from
  ``sources/record/national_capacity_2020_2024.csv``.
* **milestone**: the seed papers' figures (``../shared/CONTEXT.md``): generation 10.0 PWh and 46 % non-carbon in
  2030, 15.5 PWh and 85 % in 2060, CCUS 0.5-1.0 Gt/yr in 2060.
* **study**: ranges of published China pathway studies from ``sources/studies/pathway_ranges.csv`` (collected with
  their citations and how they were read: primary text, abstract, or a secondary summary; the `source` column of
  each row says which).

No number is typed here: every value is read from those files.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

CASE = Path(__file__).resolve().parents[1]
STUDIES = CASE / "sources" / "studies" / "pathway_ranges.csv"
CALIBRATION = CASE.parent / "china_2020" / "calibration.csv"
RECORD = CASE / "sources" / "record" / "national_capacity_2020_2024.csv"
#: year-end capacity of the record -> (quantity technologies, period of the model, how it is compared)
#: end-2020 figures against the 2020 period (the recorded fleet: capacities.csv, TECHNOLOGIES.md section 5), tolerance
#: 5 %; end-2024 figures against the period labelled 2025 (2025-2029): the model should have at least what stood then
CAPACITY_RECORD = [
    ("wind (onshore+offshore)", 2020, "onwind offwind", 2020, "tolerance"),
    ("solar PV (utility+distributed)", 2020, "solar_utility solar_distributed", 2020, "tolerance"),
    ("nuclear", 2020, "nuclear", 2020, "tolerance"),
    ("conventional hydro", 2020, "hydro_reservoir hydro_ror", 2020, "tolerance"),
    ("pumped hydro", 2020, "pumped_hydro", 2020, "tolerance"),
    ("biomass", 2020, "biomass beccs", 2020, "tolerance"),
    ("wind (onshore+offshore)", 2024, "onwind offwind", 2025, "at least"),
    ("solar PV (utility+distributed)", 2024, "solar_utility solar_distributed", 2025, "at least"),
    ("nuclear", 2024, "nuclear", 2025, "at least"),
    ("new-type storage (batteries etc.)", 2024, "battery compressed_air", 2025, "at least"),
]

#: fuel groups of the statistics -> technologies of the case (as inputs/china_2020/calibrate.py groups them)
GROUPS = {
    "coal": "coal coal_ccs",
    "gas": "gas_ccgt gas_ocgt gas_ccs",
    "hydro": "hydro_reservoir hydro_ror",
    "nuclear": "nuclear",
    "wind": "onwind offwind",
    "solar": "solar_utility solar_distributed",
    "biomass": "biomass beccs",
}
NON_CARBON = " ".join(GROUPS[g] for g in ("hydro", "nuclear", "wind", "solar", "biomass"))
WIND_SOLAR = GROUPS["wind"] + " " + GROUPS["solar"]

#: (row of pathway_ranges.csv identified by study prefix, quantity, year) -> (quantity, technologies, unit, factor, kind)
STUDY_ROWS = [
    (("CAS Academic Divisions", "total electricity generation", 2030), ("generation_total", "", "TWh/yr", 1000.0, "milestone")),
    (("CAS Academic Divisions", "non-carbon share of generation", 2030), ("generation_share", NON_CARBON, "%", 1.0, "milestone")),
    (("CAS Academic Divisions", "total electricity generation", 2060), ("generation_total", "", "TWh/yr", 1000.0, "milestone")),
    (("CAS Academic Divisions", "non-carbon share of generation", 2060), ("generation_share", NON_CARBON, "%", 1.0, "milestone")),
    (("Yu, Hao & Zhu", "CCUS (engineered storage)", 2060), ("co2_stored", "", "Mt CO2/yr", 1000.0, "milestone")),
    (("He et al.", "non-fossil share of generation", 2030), ("generation_share", NON_CARBON, "%", 1.0, "study")),
    (("Zhang Z. et al.", "wind + solar capacity", 2030), ("capacity", WIND_SOLAR, "GW", 1.0, "study")),
    (("Zhang Z. et al.", "wind + solar capacity", 2035), ("capacity", WIND_SOLAR, "GW", 1.0, "study")),
    (("Renewable Energy Pathways", "wind + solar capacity", 2060), ("capacity", WIND_SOLAR, "GW", 1.0, "study")),
    (("Zhang D. et al.", "wind capacity", 2060), ("capacity", GROUPS["wind"], "GW", 1.0, "study")),
    (("Zhang D. et al.", "solar PV capacity", 2060), ("capacity", GROUPS["solar"], "GW", 1.0, "study")),
    (("China Energy Transformation Outlook 2024", "wind + solar capacity", 2060), ("capacity", WIND_SOLAR, "GW", 1.0, "study")),
    (("China CCUS Annual Report 2021", "CCUS demand - all sectors", 2030), ("co2_captured", "", "Mt CO2/yr", 1.0, "study")),
    (("China CCUS Annual Report 2021", "CCUS demand - all sectors", 2060), ("co2_captured", "", "Mt CO2/yr", 1.0, "study")),
    (("China CCUS Annual Report 2023", "CCUS demand - all sectors", 2060), ("co2_captured", "", "Mt CO2/yr", 1.0, "study")),
    (("China Hydrogen Alliance white paper", "hydrogen demand", 2030), ("hydrogen_production", "", "Mt H2/yr", 1.0, "study")),
    (("Opening China's Green Hydrogen", "hydrogen demand", 2060), ("hydrogen_production", "", "Mt H2/yr", 1.0, "study")),
    (("IEA Energy Sector Roadmap", "coal share of generation", 2030), ("generation_share", GROUPS["coal"], "%", 1.0, "study")),
]
#: calibration.csv statistic -> (quantity, technologies, unit, tolerance)
RECORD_2020 = {
    "total generation": ("generation_total", "", "TWh/yr", 5.0),
    "power-sector CO2": ("co2_power", "", "Mt CO2/yr", 5.0),
    **{f"{group} share": ("generation_share", techs, "%", 3.0) for group, techs in GROUPS.items()},
}


def numbers(text: str) -> list[float]:
    """The numbers of a value cell: '10.0' -> [10.0]; '2000-3900' -> [2000, 3900]; 'about 10000' -> [10000];
    '100-130 (of which 80-100 green)' -> [100, 130] (the first range)."""
    found = [float(x) for x in re.findall(r"\d+(?:\.\d+)?", str(text).split("(")[0])]
    return found[:2]


def study_rows() -> list[dict]:
    studies = pd.read_csv(STUDIES)
    rows = []
    for (prefix, quantity, year), (ours, techs, unit, factor, kind) in STUDY_ROWS:
        match = studies[studies["study"].str.startswith(prefix) & (studies["quantity"] == quantity) & (studies["year"].astype(str) == str(year))]
        if len(match) == 0:
            raise SystemExit(f"references.py: no row of {STUDIES.name} for {prefix!r}, {quantity!r}, {year}")
        row = match.iloc[0]
        # several scenarios of one study make a range over them
        values = sorted(v * factor for value in match["value"] for v in numbers(value))
        values = values if len(values) == 1 else [values[0], values[-1]]
        scenarios = "; ".join(match["scenario"].astype(str))
        source = (f"{row['citation']} — {row['where']}; scenario(s): {scenarios}; as read: {row['verification']} "
                  f"(sources/studies/pathway_ranges.csv)")
        entry = {"quantity": ours, "technologies": techs, "period": int(year), "unit": unit, "kind": kind,
                 "label": f"{row['study'][:60]} ({row['year_published']})", "source": source}
        if len(values) == 2:
            entry.update(low=values[0], high=values[1])
        else:
            entry.update(value=values[0])
        rows.append(entry)
    return rows


def record_rows() -> list[dict]:
    calibration = pd.read_csv(CALIBRATION, comment="#")
    rows = []
    for _, row in calibration.iterrows():
        if row["statistic"] not in RECORD_2020:
            continue
        quantity, techs, unit, tolerance = RECORD_2020[row["statistic"]]
        rows.append({"quantity": quantity, "technologies": techs, "period": 2020, "value": float(row["statistic_value"]), "unit": unit,
                     "tolerance": tolerance, "kind": "record", "label": "2020 statistics",
                     "source": f"{row['source']} (inputs/china_2020/calibration.csv)"})
    record = pd.read_csv(RECORD)
    for name, year, techs, period, how in CAPACITY_RECORD:
        match = record[(record["technology"] == name) & (record["year"].astype(int) == year)]
        if len(match) != 1:
            raise SystemExit(f"references.py: expected one row of {RECORD.name} for {name} {year}")
        value, source = float(match["capacity_GW"].iloc[0]), f"{match['source'].iloc[0]} (sources/record/{RECORD.name})"
        row = {"quantity": "capacity", "technologies": techs, "period": period, "unit": "GW", "kind": "record",
               "label": f"year-end {year}", "source": source}
        row.update({"value": value, "tolerance": 5.0} if how == "tolerance" else {"low": value})
        rows.append(row)
    return rows


def main() -> None:
    columns = ["quantity", "technologies", "period", "value", "low", "high", "unit", "tolerance", "kind", "label", "source"]
    table = pd.DataFrame(record_rows() + study_rows()).reindex(columns=columns)
    if table["source"].fillna("").str.strip().eq("").any():
        raise SystemExit("references.py: a row without a source")
    table.to_csv(CASE / "references.csv", index=False)
    print(f"references.csv: {len(table)} rows ({', '.join(f'{k} {v}' for k, v in table['kind'].value_counts().items())})")


if __name__ == "__main__":
    main()
