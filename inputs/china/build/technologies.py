#!/usr/bin/env python3
"""Build the technology, fuel and capacity tables of the China case.

Run from the repository root::

    python inputs/china/build/technologies.py

Reads only the raw copies in ``inputs/china/sources/`` (see ``ATTRIBUTION_technologies.md`` there) and
writes into ``inputs/china/``:

* ``carriers.csv``            carriers with IPCC 2006 CO2 contents
* ``fuel_prices.csv``         coal, gas, uranium, biomass prices (CNY/MWh thermal) by period and province
* ``technologies.csv``        static attributes of the 25 technologies of CONVENTIONS.md
* ``technology_periods.csv``  capex, FOM, VOM, efficiency, capture rate 2020..2060
* ``capacities.csv``          2020 fleet by province and build year
* ``capacity_limits.csv``     potentials and build rates
* ``energy_budgets_industry.csv``  annual limits of industry_capture (Mt CO2) and of the biomass feedstock
                                   (biomass, beccs; TWh electricity), to be merged into energy_budgets.csv

Method, sources and judgement calls: ``inputs/china/build/TECHNOLOGIES.md``.
The script is deterministic (no randomness, sorted outputs) and runs in a few seconds.
"""

from __future__ import annotations

import os
import gzip
import io
import re
from pathlib import Path

import numpy as np
import pandas as pd

CASE = Path(__file__).resolve().parents[1]  # inputs/china
SRC = CASE / "sources"

# --------------------------------------------------------------------------------------------------
# Constants (every number documented in TECHNOLOGIES.md)
# --------------------------------------------------------------------------------------------------
PERIODS = list(range(2020, 2065, 5))
EUR_CNY = 7.87  # ECB euro reference rate, 2020 annual average 7.8747 CNY per EUR
USD_CNY = 6.90  # 2020 annual average 6.8976 CNY per USD (PBoC / ECB cross rate)
WACC = 0.05  # one real cost of capital for every technology
MWH_PER_GJ = 1 / 3.6

# Literature-review rows accepted as China-specific (the PyPSA-China_default rows are European DEA data and
# Switch-China gives one undated flat value; both are left out).
CN_REFS = ("Zhu et al.", "Sun et al.", "Li et al.", "NREL ATB", "LBNL", "PyPSA-China_new")

# Fuel CO2 contents, IPCC 2006 Guidelines Vol. 2 Ch. 1 Table 1.4 default emission factors (t CO2 / TJ)
IPCC_T_PER_TJ = {"coal": 94.6, "gas": 56.1, "biomass": 100.0}

# Capture energy penalty (efficiency points lost by adding capture) of the base plant, 2020, and its
# reduction path from seed 004 / CONTEXT.md: -20 % by 2025, -30 % by 2030 vs 2020, held thereafter.
PENALTY_FACTOR = {2020: 1.0, 2025: 0.8, 2030: 0.7}
COAL_CCS_BASE_EFF = 0.44  # new ultra-supercritical unit, ~280 gce/kWh (PIK coal efficiency 2020: 0.439)
COAL_CCS_PENALTY_2020 = 0.11  # post-combustion amine capture on a PC unit: 0.44 -> 0.33 (-25 %)
GAS_CCS_PENALTY_2020 = 0.08  # NGCC: 0.56 -> 0.48
BECCS_BASE_EFF = 0.32  # new dedicated biomass unit (high-pressure reheat, ~100 MW)
CAPTURE_RATE = 0.90

# Coal fleet net efficiency: CEC 2020 average supply coal consumption 305.5 gce/kWh -> 0.1229/0.3055;
# NDRC/NEA 2021 coal-power upgrade plan: fleet below 300 gce/kWh by 2025; slow gains thereafter.
COAL_FLEET_EFF = {2020: 0.402, 2025: 0.410, 2030: 0.415, 2040: 0.425, 2050: 0.435, 2060: 0.44}
BIOMASS_EFF = 0.30  # Chinese direct-combustion agricultural/forestry residue and waste plants, net

# Fuel prices, 2020 (held constant in real terms, as in the PIK cost files)
COAL_PRICE_CNY_T = 650.0  # thermal coal 5500 kcal/kg delivered to coastal plants (GD, SH, FJ markets), 2020
COAL_COASTAL_REF = ("Guangdong", "Shanghai", "Fujian")  # 2015 prices of these markets are the anchor
COAL_MWH_PER_T = 5500 * 4.1868e-3 * MWH_PER_GJ  # 5500 kcal/kg -> 6.40 MWh/t
GAS_CITYGATE_CUT_2015_2020 = 820.0  # CNY/1000 m3: -700 (Nov 2015), -100 (Sep 2017), -~20 (VAT cut 2019)
GAS_MWH_PER_KM3 = 35.59 * MWH_PER_GJ * 1000 / 1000  # 8500 kcal/m3 = 35.59 MJ/m3 -> 9.886 MWh per 1000 m3

# Operating constraints checked against 2020 statistics (2020 calibration, inputs/china_2020; TECHNOLOGIES.md 3)
# Nuclear fleet availability: CEC 2020 nuclear utilisation 7453 h -> 0.85 (refuelling and other outages).
NUCLEAR_AVAILABILITY = 0.85
# Must-run of the biomass fleet: waste-to-energy plants (52 % of it) must burn the waste collected every day,
# residue plants sell at a 0.75 CNY/kWh feed-in tariff; the 2020 fleet ran 4490 h (132.6 TWh / 29.5 GW) -> 0.5.
BIOMASS_MIN_LOAD = 0.5
# Must-run of combined-cycle gas: heat-led gas CHP and the contracted (planned) hours of gas plants, which ran
# about 2600 h in 2020 (CEC: 248.5 TWh on a fleet growing from ~90 to 98 GW) although gas is dearer than coal
# in every province. Without it the LP runs no gas at all (0 % vs 3.3 % of 2020 generation).
GAS_CCGT_MIN_LOAD = 0.3

# Storage
BATTERY_DURATION_H = 4.0
PHS_DURATION_H = 6.0

# National totals 2020
SOLAR_DISTRIBUTED_SHARE = 78.31 / 253.43  # NEA: 253.43 GW PV, of which 78.31 GW distributed
DISTRIBUTED_MAX_SHARE = 2 / 3  # cap on a province's distributed share when allocating by demand
GAS_CCGT_SHARE = 0.8  # split of OCGT_p_nom (gas power) into CCGT / OCGT
BIOMASS_2020_GW = 29.52  # NEA 2020: 15.33 waste-to-energy, 13.30 agri/forestry residues, 0.89 biogas
BIOMASS_RESIDUE_SHARE = 13.30 / 29.52
CONV_HYDRO_2020_GW = 370.16 - 31.49  # CEC 2020: hydro 370.16 GW incl. 31.49 GW pumped storage
BIOMASS_FULL_LOAD_H_2020 = 132.6e3 / 29.52  # NEA 2020 biomass generation 132.6 TWh -> ~4490 h
RESIDUE_GJ_PER_T = 15.0  # lower heating value of air-dry crop residues and wood waste

# Build-year profiles (national) for fleets without unit start years. Values: capacity added in the
# bin ending at the given year, as a share of the 2020 fleet (sums to 1).
def _profile_from_cumulative(cum: dict[int, float]) -> dict[int, float]:
    years = sorted(cum)
    adds = {years[0]: cum[years[0]]}
    for a, b in zip(years, years[1:]):
        adds[b] = cum[b] - cum[a]
    total = cum[years[-1]]
    return {y: v / total for y, v in adds.items()}


# PV, NEA cumulative grid-connected capacity (GW)
SOLAR_CUM = {2012: 6.5, 2013: 19.42, 2014: 28.05, 2015: 43.18, 2016: 77.42, 2017: 130.25, 2018: 174.46,
             2019: 204.3, 2020: 253.43}
# Gas-fired power, CEC cumulative (GW); pre-2010 put in 2008
GAS_CUM = {2008: 26.42, 2013: 66.37, 2018: 98.02}
# Biomass power, NEA / CNREC cumulative (GW)
BIOMASS_CUM = {2008: 5.5, 2013: 10.31, 2016: 12.14, 2017: 14.76, 2018: 17.81, 2019: 22.54, 2020: 29.52}
# Conventional hydro, CEC cumulative (GW, pumped storage removed), decade bins at their mid-years
HYDRO_CUM = {1975: 20.3, 1985: 36.0, 1995: 77.0, 2005: 199.0, 2013: 297.0, 2018: 338.7}
# Pumped hydro, CEC cumulative (GW)
# PHS_p_nom.csv totals 36.4 GW, the end-2021 fleet (36.39 GW, China Renewable Energy Development Report 2021,
# sources/record/national_capacity_2020_2024.csv), not end-2020 (31.49 GW, NEA): the 2021 additions are dated 2021
PHS_CUM = {1998: 5.6, 2008: 16.9, 2013: 23.0, 2018: 31.5, 2021: 36.39}

# Nuclear units by province (commercial operation year, MW net), IAEA PRIS; the yearbook's provincial totals already
# hold four units of 2021 (Fuqing 5, Hongyanhe 5, Tianwan 6, Shidao Bay 1: sources/record/nuclear_units_2021_2030.csv):
# they are dated 2021, so that the 2020 period holds the end-2020 fleet and they enter with the 2025 period.
NUCLEAR_UNITS = {
    "Guangdong": [(1994, 984), (1994, 984), (2002, 990), (2003, 990), (2010, 1086), (2011, 1086),
                  (2014, 1086), (2015, 1086), (2016, 1086), (2017, 1086), (2018, 1086), (2019, 1086),
                  (2018, 1750), (2019, 1750)],
    "Zhejiang": [(1994, 310), (2002, 650), (2004, 650), (2010, 650), (2012, 650), (2002, 700), (2003, 700),
                 (2014, 1089), (2015, 1089), (2018, 1250), (2018, 1250)],
    "Fujian": [(2013, 1089), (2014, 1089), (2015, 1089), (2016, 1089), (2014, 1089), (2015, 1089),
               (2016, 1089), (2017, 1089), (2021, 1150)],
    "Liaoning": [(2013, 1119), (2014, 1119), (2015, 1119), (2016, 1119), (2021, 1119)],
    "Jiangsu": [(2007, 1060), (2007, 1060), (2018, 1126), (2018, 1126), (2020, 1118), (2021, 1118)],
    "Shandong": [(2018, 1250), (2018, 1250), (2021, 200)],
    "Guangxi": [(2016, 1086), (2016, 1086)],
    "Hainan": [(2015, 650), (2016, 650)],
}

# Nuclear sites (operating, under construction or approved; inland sites reserved in earlier plans).
# Potential = sites x 6 units x 1.2 GW, but at least the existing fleet.
NUCLEAR_SITES = {
    "Guangdong": 7,  # Daya Bay/Ling Ao, Yangjiang, Taishan, Lufeng, Taipingling, Lianjiang, (Shanwei)
    "Zhejiang": 5,  # Qinshan/Fangjiashan, Sanmen, San'ao, Jinqimen, (Xiangshan)
    "Fujian": 4,  # Ningde, Fuqing, Zhangzhou, Xiapu
    "Liaoning": 3,  # Hongyanhe, Xudabao, Zhuanghe
    "Shandong": 3,  # Haiyang, Shidaowan, Zhaoyuan
    "Jiangsu": 2,  # Tianwan, Xuwei
    "Guangxi": 2,  # Fangchenggang, Bailong
    "Hainan": 1,  # Changjiang (incl. the Linglong One SMR)
    "Hebei": 1,  # Haixing (Cangzhou)
    "Hunan": 1,  # Taohuajiang (inland, reserved)
    "Hubei": 1,  # Xianning Dafan (inland, reserved)
    "Jiangxi": 1,  # Pengze (inland, reserved)
}
NUCLEAR_GW_PER_SITE = 6 * 1.2
#: inland sites (reserved, never approved for construction: sources/physics/nuclear_policy.csv)
INLAND_NUCLEAR = ("Hunan", "Hubei", "Jiangxi")
#: first period in which inland nuclear may stand (configurable: build_all.py --inland-nuclear-from YEAR, or the
#: environment variable CHINA_INLAND_NUCLEAR_FROM). Default 2035, the earliest in-service period if approved now: no
#: inland unit was approved up to the State Council batch of 2025-04-27 (nuclear_policy.csv, inland_first_approval),
#: so approval in 2026 at the earliest, then about six years from first concrete to service (Fuqing 5 and 6: 5.7 and
#: 6.1 years, sources/record/nuclear_units_2021_2030.csv) -> 2032-2033, first in the period 2035
INLAND_NUCLEAR_FROM = int(os.environ.get("CHINA_INLAND_NUCLEAR_FROM", "2035"))
NUCLEAR_NATIONAL_BUILD_GW = {2020: 10.0, 2025: 35.0}  # per 5-year period; later periods: 50 GW (10 GW/yr)
NUCLEAR_NATIONAL_BUILD_LATER_GW = 50.0

# Provinces with bedded or domal rock-salt deposits used or studied for cavern storage
SALT_CAVERN_PROVINCES = ("Jiangsu", "Hubei", "Henan", "Shandong", "Hebei", "Jiangxi", "Anhui", "Yunnan",
                         "Sichuan", "Hunan")
# Pumped hydro: NEA Medium- and Long-term Plan for Pumped Storage (2021-2035), key projects 421 GW
PHS_KEY_PROJECTS_GW = 421.0
PHS_NO_SITES = ("Shanghai", "Tianjin")  # alluvial plains without suitable head
# Distributed PV national potential (judgement, see TECHNOLOGIES.md)
DISTRIBUTED_PV_POTENTIAL_GW = 2000.0
# Industrial capture: about 3 Mt/yr capture capacity in 2020 (China CCUS Annual Report 2021: ~40 demonstrations
# capturing 3 Mt/yr, as summarised at enviliance.com/regions/east-asia/cn/report_3908), 110 Mt/yr in 2060 = the
# high end of the report's 2060 CCUS demand for steel (0.9-1.1 x 100 Mt/yr, same summary). The report's cement and
# chemicals rows could not be read in a checkable source, so their capture potential is not in the case
# (TECHNOLOGIES.md section 7).
INDUSTRY_CAPTURE_MT = {2020: 3.0, 2060: 110.0}

# China CCUS Annual Report 2021: geological storage cost 40-50 CNY/t in 2030 and 20-25 CNY/t in 2060, as summarised
# by Sinopec Qilu Petrochemical news, 3 Nov 2021 (sources/studies/ccus_costs.csv); midpoints, held at the 2030 value
# before 2030 (no earlier figure was found)
CO2_STORAGE_CNY_T = {2030: 45.0, 2060: 22.5}

# Compressed air (China demonstrations, see TECHNOLOGIES.md): power and energy capex in 2020 and the
# assumed learning multiplier
CAES_CAPEX_KW_2020 = 5000.0
CAES_CAPEX_KWH_2020 = 300.0
CAES_LEARNING = {2020: 1.0, 2030: 0.75, 2040: 0.70, 2050: 0.65, 2060: 0.60}
CAES_RTE = 0.65

COASTAL_OFFWIND = ("Fujian", "Guangdong", "Guangxi", "Hainan", "Hebei", "Jiangsu", "Liaoning", "Shandong",
                   "Shanghai", "Tianjin", "Zhejiang")


# --------------------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------------------
def norm(name: str) -> str:
    key = re.sub(r"[^a-z]", "", str(name).lower())
    return {"innermonglia": "innermongolia"}.get(key, key)


def province_codes() -> pd.DataFrame:
    pc = pd.read_csv(SRC / "pik-piam_PyPSA-China-PIK__province_codes.csv")
    pc = pc[~pc["Code"].isin(["HK", "MO", "TW"])].copy()
    pc["key"] = pc["Full name"].map(norm)
    return pc.sort_values("Code").reset_index(drop=True)


PC = province_codes()
KEY2CODE = dict(zip(PC["key"], PC["Code"]))
CODE2NAME = dict(zip(PC["Code"], PC["Full name"]))
CODES = sorted(KEY2CODE.values())


def code(name: str) -> str:
    return KEY2CODE[norm(name)]


def by_code(series: pd.Series) -> pd.Series:
    """Re-index a series indexed by province names to the 31 codes (missing -> 0)."""
    out = pd.Series(0.0, index=CODES)
    for name, value in series.items():
        k = norm(name)
        if k in KEY2CODE:
            out[KEY2CODE[k]] += float(value)
    return out


def read_pnom(file: str) -> pd.Series:
    df = pd.read_csv(SRC / file)
    return by_code(df.set_index(df.columns[0])[df.columns[1]]) / 1000.0  # MW -> GW


def interp(points: dict[int, float], periods=PERIODS) -> dict[int, float]:
    xs = sorted(points)
    return {p: float(np.interp(p, xs, [points[x] for x in xs])) for p in periods}


def demand_2020() -> pd.Series:
    df = pd.read_csv(SRC / "pik-piam_PyPSA-China-PIK__Provincial_Load_2020_2060_MWh.csv", index_col=0)
    return by_code(df["2020"]) / 1e6  # TWh


def allocate(total: float, weights: pd.Series, cap: pd.Series | None = None) -> pd.Series:
    """Split `total` over provinces in proportion to `weights`, respecting an optional cap (water-filling)."""
    w = weights.clip(lower=0).astype(float)
    out = pd.Series(0.0, index=w.index)
    free = w > 0
    remaining = total
    for _ in range(100):
        share = w[free] / w[free].sum()
        trial = remaining * share
        if cap is None:
            out[free] += trial
            break
        over = trial > (cap[free] - out[free]) + 1e-12
        if not over.any():
            out[free] += trial
            break
        idx = over[over].index
        remaining -= float((cap[idx] - out[idx]).sum())
        out[idx] = cap[idx]
        free[idx] = False
    return out


# --------------------------------------------------------------------------------------------------
# Cost sources
# --------------------------------------------------------------------------------------------------
def load_pik() -> pd.DataFrame:
    frames = []
    for y in PERIODS:
        df = pd.read_csv(SRC / "pik-piam_PyPSA-China-PIK__costs_default" / f"costs_{y}.csv")
        frames.append(df[["technology", "year", "parameter", "value", "unit"]])
    out = pd.concat(frames, ignore_index=True)
    out["year"] = out["year"].astype(int)
    return out


PIK = load_pik()
PIK_RAW = pd.read_csv(SRC / "pik-piam_PyPSA-China-PIK__costs_default" / "costs_2020.csv")


def pik(tech: str, param: str, year: int, default: float | None = None) -> float:
    rows = PIK[(PIK.technology == tech) & (PIK.parameter == param) & (PIK.year == year)]
    if rows.empty:
        if default is None:
            raise KeyError((tech, param, year))
        return default
    return float(rows["value"].iloc[0])


def pik_money(tech: str, param: str, year: int, default: float | None = None) -> float:
    """A PIK money value converted to CNY (EUR or USD, per the unit column)."""
    rows = PIK[(PIK.technology == tech) & (PIK.parameter == param) & (PIK.year == year)]
    if rows.empty:
        if default is None:
            raise KeyError((tech, param, year))
        return default
    unit = str(rows["unit"].iloc[0])
    rate = USD_CNY if unit.upper().startswith("USD") else EUR_CNY
    return float(rows["value"].iloc[0]) * rate


LIT = pd.read_csv(SRC / "pik-piam_PyPSA-China-PIK__tech_costs_subset_litreview.csv", encoding="latin-1")
LIT_YEARS = [2020, 2030, 2040, 2050, 2060]


def lit_cny(row: pd.Series, year: int) -> float:
    raw = str(row[str(year)]).strip()
    if raw in ("-", "", "nan"):
        return np.nan
    v = float(raw)
    unit = row["unit"].strip().lower()
    factor = {"cny/kw": 1.0, "eur/kw": EUR_CNY, "$/kw": USD_CNY, "$/mw": USD_CNY / 1000.0,
              "cny/kwh": 1.0, "eur/kwh": EUR_CNY, "$/mwh": USD_CNY / 1000.0}[unit]
    return v * factor


def lit_median(names: tuple[str, ...], per: str = "kw") -> tuple[dict[int, float], str]:
    """Median over the China-specific literature rows of technologies `names`, by year, in CNY."""
    rows = LIT[LIT["technology"].isin(names) & LIT["reference"].isin(CN_REFS)
               & (LIT["cost_type"] == "investment") & LIT["unit"].str.lower().str.endswith(per)]
    pts = {}
    for y in LIT_YEARS:
        vals = [lit_cny(r, y) for _, r in rows.iterrows()]
        vals = [v for v in vals if not np.isnan(v)]
        pts[y] = float(np.median(vals))
    refs = sorted(set(rows["reference"]))
    return interp(pts), "median of China lit. review rows (" + "; ".join(refs) + ")"


# --------------------------------------------------------------------------------------------------
# Carriers and fuel prices
# --------------------------------------------------------------------------------------------------
def carriers() -> pd.DataFrame:
    c = {k: v * 3.6e-3 for k, v in IPCC_T_PER_TJ.items()}  # t/TJ -> t/MWh
    rows = [
        ("electricity", "GW", True, 0.0, False, "electricity (GW; annual TWh); no CO2 content: emissions are counted at the fuels"),
        ("hydrogen", "GW", True, 0.0, False, "lower heating value"),
        ("co2", "kt/h", True, 0.0, False, "captured CO2 (kt/h; annual Mt)"),
        ("co2_stored", "kt/h", False, 0.0, False, "CO2 injected into geological storage: leaves the system"),
        ("coal", "GW", False, round(c["coal"], 4), False,
         "IPCC 2006 GL Vol.2 Tab.1.4 other bituminous coal 94.6 t CO2/TJ"),
        ("gas", "GW", False, round(c["gas"], 4), False, "IPCC 2006 GL Vol.2 Tab.1.4 natural gas 56.1 t CO2/TJ"),
        ("uranium", "GW", False, 0.0, False, "nuclear fuel (thermal MWh)"),
        ("biomass", "GW", False, round(c["biomass"], 4), True,
         "IPCC 2006 GL Vol.2 Tab.1.4 other primary solid biomass 100 t CO2/TJ; biogenic"),
    ]
    df = pd.DataFrame(rows, columns=["carrier", "unit", "balance", "co2_content_t_per_MWh", "biogenic", "note"])
    for col in ("balance", "biogenic"):
        df[col] = df[col].map(lambda v: "true" if v else "false")
    return df


FUEL_NOTES: dict = {}


def coal_fleet_by_region() -> pd.Series:
    """2020 coal capacity by province (GW) from the Global Coal Plant Tracker (weights for the coal price)."""
    g = read_gz_csv("Rick10119_PyPSA-China-THU__Global-Coal-Plant-Tracker-July-2023__China_units.csv.gz")
    sy = pd.to_numeric(g["Start year"], errors="coerce")
    ry = pd.to_numeric(g["Retired year"], errors="coerce")
    op = g[(sy <= 2020) & (g["Status"].isin(["operating", "mothballed"]) | ((g["Status"] == "retired") & (ry > 2020)))]
    return by_code(op.groupby("Subnational unit (province, state)")["Capacity (MW)"].sum()) / 1000.0


def fuel_prices() -> pd.DataFrame:
    raw = pd.read_csv(SRC / "JGCRI_gcamdata__regional_fuel_prices_RMB.csv", comment="#")
    raw = raw.set_index("province.name")
    coal15 = raw["coal"].copy()
    # Zhejiang's 965 CNY/t is twice its neighbours' (Shanghai 544, Jiangsu 415): taken as a different coal
    # quality and replaced by the Shanghai market price.
    coal15["Zhejiang"] = coal15["Shanghai"]
    # relative provincial prices, scaled so that the coastal reference markets are at COAL_PRICE_CNY_T
    rel = by_code(coal15)
    anchor = float(np.mean([coal15[p] for p in COAL_COASTAL_REF]))
    coal_cny_t = rel * COAL_PRICE_CNY_T / anchor
    coal = coal_cny_t / COAL_MWH_PER_T
    fleet = coal_fleet_by_region()
    FUEL_NOTES["coal_fleet_mean_cny_t"] = float((coal_cny_t * fleet).sum() / fleet.sum())
    gas = by_code((raw["gas"] - GAS_CITYGATE_CUT_2015_2020) / GAS_MWH_PER_KM3)
    uranium = pik_money("uranium", "fuel", 2020)
    biomass = pik_money("solid biomass", "fuel", 2020)
    rows = []
    for p in PERIODS:
        for r in CODES:
            rows.append(("coal", p, r, round(coal[r], 1),
                         f"{coal_cny_t[r]:.0f} CNY/t 5500 kcal: GCAM-China 2015 provincial relative price, coastal markets "
                         f"(GD/SH/FJ) = {COAL_PRICE_CNY_T:.0f} CNY/t in 2020; {COAL_MWH_PER_T:.2f} MWh/t; flat real"))
        for r in CODES:
            rows.append(("gas", p, r, round(gas[r], 1),
                         "NDRC non-residential city-gate 2015 (GCAM-China) - 0.82 CNY/m3 cuts 2015-2019 = 2020 "
                         "benchmark; 9.89 kWh/m3; flat real"))
        rows.append(("uranium", p, "", round(uranium, 1), "PIK costs 'uranium' fuel 2.6 EUR/MWh_th (Lazard v13); flat"))
        rows.append(("biomass", p, "", round(biomass, 1),
                     "PIK costs 'solid biomass' fuel 12 EUR/MWh_th (JRC ENSPRESO residues) ~ 370 CNY/t delivered; flat"))
    return pd.DataFrame(rows, columns=["carrier", "period", "region", "price_CNY_per_MWh", "source"])


# --------------------------------------------------------------------------------------------------
# Technologies
# --------------------------------------------------------------------------------------------------
TECHS = [
    # technology, type, carrier_out, carrier_in, lifetime, expandable, min_load, avail, duration, eff_c, eff_d,
    # standing loss, seasonal, end, description
    ("coal", "conversion", "electricity", "coal", 40, True, 0.0, 0.9, None, None, None, None, None, "",
     "Pulverised-coal steam plant (fleet average; CHP not separated)"),
    ("coal_ccs", "conversion", "electricity", "coal", 40, True, 0.0, 0.9, None, None, None, None, None, "",
     "Ultra-supercritical coal with post-combustion capture (90 %)"),
    ("gas_ccgt", "conversion", "electricity", "gas", 25, True, GAS_CCGT_MIN_LOAD, 0.9, None, None, None, None, None, "",
     "Combined-cycle gas turbine; LP must-run at 30 % of installed capacity (gas CHP and contracted hours)"),
    ("gas_ocgt", "conversion", "electricity", "gas", 25, True, 0.0, 0.95, None, None, None, None, None, "",
     "Open-cycle gas turbine (peaker)"),
    ("gas_ccs", "conversion", "electricity", "gas", 25, True, 0.0, 0.9, None, None, None, None, None, "",
     "Combined-cycle gas turbine with post-combustion capture (90 %)"),
    ("nuclear", "conversion", "electricity", "uranium", 60, True, 0.5, NUCLEAR_AVAILABILITY, None, None, None, None, None, "",
     "Pressurised water reactor (Gen II+/III); LP must-run at half of installed capacity"),
    ("hydro_reservoir", "conversion", "electricity", "", 80, True, 0.0, 1.0, None, None, None, None, None, "",
     "Large dams with regulating reservoirs (annual inflow budget)"),
    ("hydro_ror", "conversion", "electricity", "", 80, True, 0.0, 1.0, None, None, None, None, None, "",
     "Other hydro: run-of-river and small/medium plants (inflow profile)"),
    ("onwind", "conversion", "electricity", "", 25, True, 0.0, 1.0, None, None, None, None, None, "",
     "Onshore wind"),
    ("offwind", "conversion", "electricity", "", 25, True, 0.0, 1.0, None, None, None, None, None, "",
     "Offshore wind (coastal provinces)"),
    ("solar_utility", "conversion", "electricity", "", 35, True, 0.0, 1.0, None, None, None, None, None, "",
     "Utility-scale (centralised) photovoltaics"),
    ("solar_distributed", "conversion", "electricity", "", 35, True, 0.0, 1.0, None, None, None, None, None, "",
     "Distributed (rooftop, commercial and residential) photovoltaics"),
    ("biomass", "conversion", "electricity", "biomass", 30, True, BIOMASS_MIN_LOAD, 0.9, None, None, None, None, None, "",
     "Biomass and waste-to-energy power (direct combustion); LP must-run at half of installed capacity"),
    ("beccs", "conversion", "electricity", "biomass", 30, True, 0.0, 0.9, None, None, None, None, None, "",
     "Dedicated biomass power with capture (net negative)"),
    ("electrolysis", "conversion", "hydrogen", "electricity", 25, True, 0.0, 1.0, None, None, None, None, None, "",
     "Water electrolysis (alkaline/PEM); capacity on hydrogen output (LHV)"),
    ("smr_ccs", "conversion", "hydrogen", "gas", 30, True, 0.0, 0.95, None, None, None, None, None, "",
     "Steam methane reforming with capture; capacity on hydrogen output"),
    ("h2_turbine", "conversion", "electricity", "hydrogen", 25, True, 0.0, 0.95, None, None, None, None, None, "",
     "Hydrogen-fired open-cycle turbine (costs of gas_ocgt)"),
    ("dac", "conversion", "co2", "electricity", 20, True, 0.0, 0.95, None, None, None, None, None, "sequestration",
     "Direct air capture, solid sorbent, heat from an industrial heat pump; capacity in kt/h CO2"),
    ("industry_capture", "conversion", "co2", "electricity", 25, True, 0.0, 0.9, None, None, None, None, None,
     "consumption",
     "Post-combustion capture at industrial point sources (cement, steel, chemicals); heat from a heat pump; "
     "potential as annual budget"),
    ("co2_storage", "conversion", "co2_stored", "co2", 30, True, 0.0, 1.0, None, None, None, None, None,
     "sequestration", "Injection into saline aquifers and depleted fields (levelised cost as VOM)"),
    ("pumped_hydro", "storage", "electricity", "", 60, True, None, None, PHS_DURATION_H, 0.872, 0.872, 0.0, False,
     "", "Pumped hydro storage (6 h)"),
    ("battery", "storage", "electricity", "", 20, True, None, None, BATTERY_DURATION_H, 0.95, 0.95, 0.0, False,
     "", "Lithium-ion (LFP) battery (4 h)"),
    ("compressed_air", "storage", "electricity", "", 30, True, None, None, None, 0.81, 0.80, 0.0, False, "",
     "Adiabatic compressed-air storage in salt or artificial caverns (free duration)"),
    ("h2_tank", "storage", "hydrogen", "", 25, True, None, None, None, 0.98, 1.0, 0.0, False, "",
     "Compressed-hydrogen steel tanks incl. compressor (free duration)"),
    ("h2_cavern", "storage", "hydrogen", "", 40, True, None, None, None, 0.98, 1.0, 0.0, True, "",
     "Salt-cavern hydrogen storage (salt provinces only; free duration)"),
]


#: fossil fleets that may close before the end of their life when their fixed O&M exceeds what they are worth (the
#: optimiser's economic early retirement, docs/model.md): coal and gas power and the biomass fleet. Nuclear and hydro
#: run to the end of their licence and dam life.
EARLY_RETIREMENT = {"coal", "gas_ccgt", "gas_ocgt", "biomass"}

#: firm capacity credit in the provincial power balance at the evening peak (reserve_margins.csv; OPERATION.md): wind 95 %
#: and solar 100 % derated, heat-supply (CHP) units 15 %, other thermal, nuclear and pumped hydro not derated (南方能源观察,
#: 2020, sources/physics/firm_capacity.csv); thermal fleets as CHP and non-CHP by the 2020 CHP share of thermal capacity
#: (562.95 GW of CHP, China Electric Power Yearbook 2021, of 1245.17 GW thermal, NBS 2020); hydro at the capacity factor
#: of its driest month of 2020 (NBS monthly output, OPERATION.md); storage at Gansu's 2026 reliable-capacity coefficient
CHP_SHARE_OF_THERMAL = 562.95 / 1245.17
THERMAL_BLEND = round(1.0 - 0.15 * CHP_SHARE_OF_THERMAL, 3)
HYDRO_DRIEST_MONTH_CF = 0.33  # March 2020: 74.9 TWh x 1355.2 / 1214.0 (above-size series scaled to all hydro) / (338.67 GW x 744 h)
STORAGE_CREDIT = 0.475
FIRM_CREDIT = {
    "coal": THERMAL_BLEND, "gas_ccgt": THERMAL_BLEND, "biomass": THERMAL_BLEND, "coal_ccs": 1.0, "gas_ccs": 1.0, "gas_ocgt": 1.0,
    "beccs": 1.0, "h2_turbine": 1.0, "nuclear": 1.0, "pumped_hydro": 1.0, "onwind": 0.05, "offwind": 0.05,
    "solar_utility": 0.0, "solar_distributed": 0.0, "hydro_reservoir": HYDRO_DRIEST_MONTH_CF, "hydro_ror": HYDRO_DRIEST_MONTH_CF,
    "battery": STORAGE_CREDIT, "compressed_air": STORAGE_CREDIT,
}


#: the PIK cost row whose lifetime each technology's lifetime is taken from (rounded to the model's 5-year periods,
#: TECHNOLOGIES.md section 3); technologies without one have their reason in NO_PIK_LIFETIME
PIK_LIFETIME = {
    "coal": "coal", "coal_ccs": "coal", "gas_ccgt": "CCGT", "gas_ocgt": "OCGT", "gas_ccs": "CCGT", "hydro_reservoir": "hydro",
    "hydro_ror": "hydro", "onwind": "onwind", "offwind": "offwind", "solar_utility": "solar", "solar_distributed": "solar-rooftop",
    "biomass": "biomass", "beccs": "biomass", "electrolysis": "electrolysis", "smr_ccs": "SMR CC", "h2_turbine": "OCGT",
    "dac": "direct air capture", "industry_capture": "cement capture", "battery": "battery storage",
    "h2_tank": "hydrogen storage tank type 1 including compressor",
}
NO_PIK_LIFETIME = {
    "nuclear": "60 years: Gen III design life (older Gen II units get extensions, e.g. Qinshan I to 50 years)",
    "co2_storage": "30 years: injection wells and surface plant, as a capture plant",
    "pumped_hydro": "60 years: electromechanical equipment (the dam lasts longer; PIK 'PHS' 80 years)",
    "compressed_air": "30 years: as a gas turbine plant with a cavern",
    "h2_cavern": "40 years: cavern 100 years, compressor 15 years (a compromise)",
}
#: what else is set per technology, and where it comes from (TECHNOLOGIES.md sections 3 and 10)
TECH_NOTES = {
    "coal": "availability 0.9 (thermal); no static must-run: the heat-led must-run of CHP in the heating season is in minimum_loads.csv",
    "gas_ccgt": "must-run 0.3: CEC 2020 gas output 248.5 TWh (about 2600 h), 2020 calibration (section 10)",
    "nuclear": "availability 0.85: CEC 2020 nuclear utilisation 7453 h; must-run 0.5",
    "biomass": "must-run 0.5: NEA 2020 biomass output 132.6 TWh on 29.5 GW (4490 h), 2020 calibration (section 10)",
    "hydro_reservoir": "output limited by energy_budgets.csv (NETWORK.md)",
    "hydro_ror": "availability from the inflow profiles (PROFILES.md 2.5)",
    "pumped_hydro": "6 h, efficiencies 0.872/0.872 (round trip 0.76)",
    "battery": "4 h, efficiencies 0.95/0.95 (PIK 'battery inverter')",
    "compressed_air": "efficiencies 0.81/0.80 (Chinese adiabatic demonstrations 60-70 % round trip)",
}


def tech_source(technology: str, lifetime: float) -> str:
    if technology in PIK_LIFETIME:
        name = PIK_LIFETIME[technology]
        row = PIK_RAW[(PIK_RAW.technology == name) & (PIK_RAW.parameter == "lifetime") & (PIK_RAW.year == 2020)].iloc[0]
        pik_years = float(row["value"])
        how = "the same" if pik_years == lifetime else ("rounded to whole 5-year periods" if abs(pik_years - lifetime) < 3 else
                                                         "not used: see TECHNOLOGIES.md section 3")
        text = f"lifetime {lifetime:g} years; PIK costs_2020 '{name}' gives {pik_years:g} years ({row['source']}): {how}"
    else:
        text = f"lifetime {NO_PIK_LIFETIME[technology]}"
    note = TECH_NOTES.get(technology)
    return f"{text}; {note}" if note else text


def technologies() -> pd.DataFrame:
    cols = ["technology", "type", "carrier_out", "carrier_in", "lifetime_years", "expandable", "min_load_fraction",
            "availability_max", "duration_h", "efficiency_charge", "efficiency_discharge", "standing_loss_per_h",
            "seasonal", "end", "description"]
    df = pd.DataFrame([t[:4] + (t[4], t[5], t[6], t[7], t[8], t[9], t[10], t[11], t[12], t[13], t[14])
                       for t in TECHS], columns=cols)
    df.insert(5, "wacc", WACC)
    df["seasonal"] = df["seasonal"].map(lambda v: "" if v is None else ("true" if v else "false"))
    df["expandable"] = df["expandable"].map(lambda v: "true" if v else "false")
    df.insert(len(df.columns) - 1, "early_retirement", df["technology"].isin(EARLY_RETIREMENT).map({True: "true", False: "false"}))
    df.insert(len(df.columns) - 1, "firm_capacity_credit", df["technology"].map(FIRM_CREDIT).fillna(0.0))
    df["source"] = [
        tech_source(t, life) + (f"; firm credit {FIRM_CREDIT[t]:g} (OPERATION.md)" if t in FIRM_CREDIT else "") + "; TECHNOLOGIES.md section 3"
        for t, life in zip(df["technology"], df["lifetime_years"])
    ]
    return df


# --------------------------------------------------------------------------------------------------
# Technology parameters by period
# --------------------------------------------------------------------------------------------------
def technology_periods() -> pd.DataFrame:
    rows: list[dict] = []

    def add(tech, capex, fom, vom, eff=None, capture=None, capex_e=None, src=""):
        for p in PERIODS:
            rows.append({
                "technology": tech, "period": p,
                "capex_CNY_per_kW": None if capex is None else round(capex[p], 1),
                "capex_energy_CNY_per_kWh": None if capex_e is None else round(capex_e[p], 2),
                "fom_CNY_per_kW_yr": None if fom is None else round(fom[p], 2),
                "vom_CNY_per_MWh": None if vom is None else round(vom[p], 2),
                "efficiency": None if eff is None else round(eff[p], 4),
                "capture_rate": None if capture is None else round(capture[p], 3),
                "source": src,
            })

    def fom_pct(pik_tech, capex):
        return {p: pik(pik_tech, "FOM", p) / 100.0 * capex[p] for p in PERIODS}

    def vom_pik(pik_tech, factor=1.0):
        return {p: pik_money(pik_tech, "VOM", p, default=0.0) * factor for p in PERIODS}

    def pik_eff(pik_tech):
        return {p: pik(pik_tech, "efficiency", p) for p in PERIODS}

    penalty = interp(PENALTY_FACTOR)  # 1.0, 0.8, 0.7, then held at 0.7
    cap = {p: CAPTURE_RATE for p in PERIODS}
    fx = f"EUR {EUR_CNY} CNY, USD {USD_CNY} CNY (2020 averages)"

    # --- coal
    capex, ref = lit_median(("coal",))
    add("coal", capex, fom_pct("coal", capex), vom_pik("coal"), interp(COAL_FLEET_EFF),
        src=f"capex {ref}; FOM 1.6 %/yr & VOM PIK costs (DEA); eff fleet 305.5 gce/kWh 2020 (CEC) -> <300 by 2025 "
            f"(NDRC/NEA 2021 upgrade plan); {fx}")
    # --- coal CCS
    capex, ref = lit_median(("coal ccs",))
    eff = {p: COAL_CCS_BASE_EFF - COAL_CCS_PENALTY_2020 * penalty[p] for p in PERIODS}
    add("coal_ccs", capex, fom_pct("coal", capex), vom_pik("coal", 2.0), eff, cap,
        src=f"capex {ref}; FOM % of coal (PIK); VOM 2x coal (solvent, compression); eff 0.44 USC minus capture "
            f"penalty 0.11 (2020), -20 % 2025, -30 % 2030 (seed 004)")
    # --- gas
    capex_ccgt, ref = lit_median(("gas",))
    add("gas_ccgt", capex_ccgt, fom_pct("CCGT", capex_ccgt), vom_pik("CCGT"), pik_eff("CCGT"),
        src=f"capex {ref}; FOM/VOM/eff PIK costs CCGT (DEA); {fx}")
    ratio = {p: pik_money("OCGT", "investment", p) / pik_money("CCGT", "investment", p) for p in PERIODS}
    capex_ocgt = {p: capex_ccgt[p] * ratio[p] for p in PERIODS}
    add("gas_ocgt", capex_ocgt, fom_pct("OCGT", capex_ocgt), vom_pik("OCGT"), pik_eff("OCGT"),
        src="capex = gas_ccgt (Zhu et al.) x PIK OCGT/CCGT investment ratio (DEA, ~0.52); FOM/VOM/eff PIK OCGT")
    capex, ref = lit_median(("gas ccs",))
    eff = {p: pik("CCGT", "efficiency", p) - GAS_CCS_PENALTY_2020 * penalty[p] for p in PERIODS}
    add("gas_ccs", capex, fom_pct("CCGT", capex), vom_pik("CCGT", 2.0), eff, cap,
        src=f"capex {ref}; FOM % of CCGT (PIK); VOM 2x CCGT; eff PIK CCGT minus penalty 0.08 (2020), -20 % 2025, "
            f"-30 % 2030 (seed 004)")
    # --- nuclear
    capex, ref = lit_median(("nuclear",))
    add("nuclear", capex, fom_pct("nuclear", capex), vom_pik("nuclear"), pik_eff("nuclear"),
        src=f"capex {ref}; FOM 1.4 %/yr, VOM, eff 0.33 PIK costs; {fx}")
    # --- hydro
    capex, ref = lit_median(("hydro",))
    add("hydro_reservoir", capex, fom_pct("hydro", capex), None,
        src=f"capex {ref}; FOM 1 %/yr PIK costs 'hydro'")
    add("hydro_ror", capex, fom_pct("hydro", capex), None,
        src=f"capex {ref} (same as reservoir); FOM 1 %/yr PIK costs 'hydro' (PIK 'ror' 2 % refers to a lower capex)")
    # --- wind and solar
    for tech, names, pt in (("onwind", ("onwind",), "onwind"), ("offwind", ("offwind",), "offwind"),
                            ("solar_utility", ("solar-utility", "solar"), "solar-utility"),
                            ("solar_distributed", ("Distributed solar",), "solar-rooftop")):
        capex, ref = lit_median(names)
        add(tech, capex, fom_pct(pt, capex), vom_pik(pt),
            src=f"capex {ref}; FOM %/yr & VOM PIK costs '{pt}'; {fx}")
    # --- biomass
    capex, ref = lit_median(("biomass",))
    add("biomass", capex, fom_pct("biomass", capex), None, {p: BIOMASS_EFF for p in PERIODS},
        src=f"capex {ref}; FOM 4.53 %/yr PIK 'biomass'; eff 0.30 Chinese residue/waste plants (assumption)")
    capex, ref = lit_median(("biomass ccs",))
    pen_bio = COAL_CCS_PENALTY_2020 * IPCC_T_PER_TJ["biomass"] / IPCC_T_PER_TJ["coal"]
    eff = {p: BECCS_BASE_EFF - pen_bio * penalty[p] for p in PERIODS}
    add("beccs", capex, fom_pct("biomass", capex), vom_pik("coal", 2.0), eff, cap,
        src=f"capex {ref}; FOM % PIK 'biomass'; VOM as coal_ccs; eff 0.32 minus capture penalty scaled by CO2 "
            f"content (0.116 in 2020), -20 % 2025, -30 % 2030 (seed 004)")
    # --- hydrogen
    eff_el = pik_eff("electrolysis")
    capex = {p: pik_money("electrolysis", "investment", p) / eff_el[p] for p in PERIODS}
    add("electrolysis", capex, fom_pct("electrolysis", capex), None, eff_el,
        src=f"PIK costs 'electrolysis' (DEA), EUR/kW_e divided by efficiency -> per kW H2; {fx}")
    eff_smr = {p: pik("SMR CC", "efficiency", p) for p in PERIODS}
    capex = {p: pik_money("SMR CC", "investment", p) / 1000.0 / eff_smr[p] for p in PERIODS}
    add("smr_ccs", capex, fom_pct("SMR CC", capex), None, eff_smr,
        {p: pik("SMR CC", "capture_rate", p) for p in PERIODS},
        src="PIK costs 'SMR CC' (DEA/IEA), EUR/MW_CH4 divided by efficiency -> per kW H2; capture 0.9")
    add("h2_turbine", capex_ocgt, fom_pct("OCGT", capex_ocgt), vom_pik("OCGT"), pik_eff("OCGT"),
        src="costs and efficiency of gas_ocgt (H2-ready open-cycle turbine, no premium assumed)")
    # --- carbon capture, storage
    cop = {p: pik("industrial heat pump medium temperature", "efficiency", p) for p in PERIODS}
    hp_capex = {p: pik_money("industrial heat pump medium temperature", "investment", p) for p in PERIODS}
    hp_vom = {p: pik_money("industrial heat pump medium temperature", "VOM", p) for p in PERIODS}
    for tech, pt in (("dac", "direct air capture"), ("industry_capture", "cement capture")):
        heat = {p: pik(pt, "heat-input", p) for p in PERIODS}  # MWh_th / t = kW_th per kg/h
        elec = {p: pik(pt, "electricity-input", p) + pik(pt, "compression-electricity-input", p) for p in PERIODS}
        base = {p: pik_money(pt, "investment", p) / 1000.0 for p in PERIODS}  # per (t/h) -> per (kg/h)
        hp = {p: heat[p] * hp_capex[p] for p in PERIODS}
        capex = {p: base[p] + hp[p] for p in PERIODS}
        fom = {p: pik(pt, "FOM", p) / 100 * base[p]
               + pik("industrial heat pump medium temperature", "FOM", p) / 100 * hp[p] for p in PERIODS}
        vom = {p: heat[p] * hp_vom[p] for p in PERIODS}
        eff = {p: 1.0 / (elec[p] + heat[p] / cop[p]) for p in PERIODS}
        add(tech, capex, fom, vom, eff,
            src=f"PIK costs '{pt}' (per t/h -> per kg/h) + heat pump for its heat input (PIK 'industrial heat pump "
                f"medium temperature', COP 2.55-2.85); eff = t CO2 per MWh electricity; {fx}")
    add("co2_storage", None, None, interp(CO2_STORAGE_CNY_T), {p: 1.0 for p in PERIODS},
        src="levelised geological storage cost, China CCUS Annual Report 2021 as summarised by Sinopec Qilu news 2021-11-03 "
            "(sources/studies/ccus_costs.csv): 40-50 CNY/t 2030, 20-25 CNY/t 2060, midpoints; CNY/t injected")
    # --- storage
    capex, ref = lit_median(("PHS",))
    add("pumped_hydro", capex, fom_pct("PHS", capex), None,
        src=f"capex {ref} (whole plant, 6 h); FOM 1 %/yr PIK 'PHS'")
    inv_kw = {p: pik_money("battery inverter", "investment", p) for p in PERIODS}
    lbnl = LIT[(LIT.technology == "battery storage") & (LIT.reference == "LBNL")].iloc[0]
    e2020, e2030 = lit_cny(lbnl, 2020), lit_cny(lbnl, 2030)
    pik_e = {p: pik_money("battery storage", "investment", p) for p in PERIODS}
    energy = {}
    for p in PERIODS:
        if p <= 2030:
            energy[p] = float(np.interp(p, [2020, 2030], [e2020, e2030]))
        else:
            energy[p] = e2030 * pik_e[p] / pik_e[2030]
    add("battery", inv_kw, {p: pik("battery inverter", "FOM", p) / 100 * inv_kw[p] for p in PERIODS},
        None, capex_e=energy,
        src="energy: LBNL 2022 China study 650 (2020) / 310 (2030) CNY/kWh, after 2030 PIK battery-storage decline; "
            "power: PIK 'battery inverter' (DEA); 4 h")
    learn = interp(CAES_LEARNING)
    add("compressed_air", {p: CAES_CAPEX_KW_2020 * learn[p] for p in PERIODS},
        {p: 0.02 * CAES_CAPEX_KW_2020 * learn[p] for p in PERIODS}, None,
        capex_e={p: CAES_CAPEX_KWH_2020 * learn[p] for p in PERIODS},
        src="2020: Hubei Yingcheng 300 MW/1500 MWh salt-cavern CAES (~1.95 bn CNY) split 5000 CNY/kW + 300 CNY/kWh; "
            "-25 % by 2030, -40 % by 2060 (assumption); FOM 2 %/yr; RTE 0.65")
    add("h2_tank", {p: 0.0 for p in PERIODS}, None, None,
        capex_e={p: pik_money("hydrogen storage tank type 1 including compressor", "investment", p)
                 for p in PERIODS},
        src="PIK 'hydrogen storage tank type 1 including compressor' (EUR/kWh); power cost included")
    comp = {p: pik_money("hydrogen storage compressor", "investment", p) for p in PERIODS}
    add("h2_cavern", comp, {p: pik("hydrogen storage compressor", "FOM", p) / 100 * comp[p] for p in PERIODS},
        None, capex_e={p: pik_money("hydrogen storage underground", "investment", p) for p in PERIODS},
        src="energy: PIK 'hydrogen storage underground' (salt cavern, EUR/kWh); power: PIK 'hydrogen storage "
            "compressor' (EUR/kW)")
    df = pd.DataFrame(rows)
    return df


# --------------------------------------------------------------------------------------------------
# Existing capacity
# --------------------------------------------------------------------------------------------------
LIFETIME = {t[0]: t[4] for t in TECHS}


def clip_build_year(year: int, tech: str) -> int:
    """Plants older than their lifetime are dated so that they still stand in 2020 and retire before 2025."""
    return int(max(year, PERIODS[0] - LIFETIME[tech] + 1))


def read_gz_csv(name: str) -> pd.DataFrame:
    with gzip.open(SRC / name, "rb") as fh:
        return pd.read_csv(io.BytesIO(fh.read()), low_memory=False)


def spread(total: pd.Series, profile: dict[int, float]) -> list[tuple[str, int, float]]:
    out = []
    for r, v in total.items():
        if v <= 0:
            continue
        for y, s in profile.items():
            if s > 0:
                out.append((r, int(y), v * s))
    return out


def capacities() -> tuple[pd.DataFrame, dict]:
    rows: list[tuple] = []  # technology, region, build_year, GW, energy GWh, source
    info: dict = {}

    def put(tech, triples, src, energy_h=None):
        agg: dict[tuple[str, int], float] = {}
        for r, y, gw in triples:
            key = (r, clip_build_year(y, tech))
            agg[key] = agg.get(key, 0.0) + gw
        for (r, y), gw in sorted(agg.items()):
            if gw < 5e-4:
                continue
            rows.append((tech, r, y, round(gw, 4), None if energy_h is None else round(gw * energy_h, 3), src))
        info[tech] = sum(agg.values())

    # --- coal: Global Coal Plant Tracker units operating in 2020
    g = read_gz_csv("Rick10119_PyPSA-China-THU__Global-Coal-Plant-Tracker-July-2023__China_units.csv.gz")
    g["sy"] = pd.to_numeric(g["Start year"], errors="coerce")
    g["ry"] = pd.to_numeric(g["Retired year"], errors="coerce")
    status = g["Status"]
    op = g[(g.sy <= 2020) & (status.isin(["operating", "mothballed"]) | ((status == "retired") & (g.ry > 2020)))]
    nostart = g[g.sy.isna() & status.isin(["operating", "mothballed"])]
    median_year = int(np.round(np.average(op.sy, weights=op["Capacity (MW)"])))
    units = [(code(p), int(y), mw / 1000.0) for p, y, mw in
             zip(op["Subnational unit (province, state)"], op.sy, op["Capacity (MW)"])]
    units += [(code(p), median_year, mw / 1000.0) for p, mw in
              zip(nostart["Subnational unit (province, state)"], nostart["Capacity (MW)"])]
    put("coal", units, "GEM Global Coal Plant Tracker July 2023: units operating in 2020 (start year <= 2020, "
        "not retired by 2020); units without start year dated to the capacity-weighted mean start year")
    info["coal_units"] = len(op) + len(nostart)
    # --- gas: 75 GW, 80/20 CCGT/OCGT
    gas = read_pnom("Xiaowei-Z_PyPSA-China__OCGT_p_nom.csv")
    prof = _profile_from_cumulative(GAS_CUM)
    put("gas_ccgt", spread(gas * GAS_CCGT_SHARE, prof),
        "OCGT_p_nom (China Gas Power Report 2021) x 0.8; build years CEC national gas fleet growth")
    put("gas_ocgt", spread(gas * (1 - GAS_CCGT_SHARE), prof),
        "OCGT_p_nom (China Gas Power Report 2021) x 0.2; build years CEC national gas fleet growth")
    # --- nuclear: yearbook provincial totals, unit years from IAEA PRIS
    nuc = read_pnom("Xiaowei-Z_PyPSA-China__Nuclear_p_nom.csv")
    triples = []
    for prov, units_ in NUCLEAR_UNITS.items():
        r = code(prov)
        tot = sum(mw for _, mw in units_)
        triples += [(r, y, nuc[r] * mw / tot) for y, mw in units_]
    assert abs(sum(t[2] for t in triples) - nuc.sum()) < 1e-6
    put("nuclear", triples, "Nuclear_p_nom (China Electric Power Yearbook 2021); unit commissioning years IAEA PRIS")
    # --- wind: yearbook totals; provincial offshore split and all build years from the Global Wind Power Tracker
    w = read_gz_csv("Rick10119_PyPSA-China-THU__Global-Wind-Power-Tracker-May-2023__China.csv.gz")
    w["sy"] = pd.to_numeric(w["Start year"], errors="coerce")
    w["ry"] = pd.to_numeric(w["Retired year"], errors="coerce")
    w = w[(w.sy <= 2020) & ((w.Status == "operating") | ((w.Status == "retired") & (w.ry > 2020)))].copy()
    w["r"] = w["State/Province"].map(lambda p: KEY2CODE.get(norm(p)))
    w["off"] = w["Installation Type"].str.startswith("offshore")
    coastal = {code(p) for p in COASTAL_OFFWIND}
    w = w[~(w.off & ~w.r.isin(coastal))]  # an 'offshore' entry in a landlocked province is a data error
    onw = read_pnom("Xiaowei-Z_PyPSA-China__Onwind_p_nom_2020.csv")
    offw = read_pnom("Xiaowei-Z_PyPSA-China__Offwind_p_nom_2020.csv")
    off_gwpt = w[w.off].groupby("r")["Capacity (MW)"].sum().reindex(CODES).fillna(0)
    off_new = off_gwpt / off_gwpt.sum() * offw.sum()
    on_new = (onw + offw - off_new).clip(lower=0)
    info["onwind_yearbook"], info["offwind_yearbook"] = onw.sum(), offw.sum()

    def year_profile(sub: pd.DataFrame, r: str, national: dict) -> dict:
        s = sub[sub.r == r].groupby("sy")["Capacity (MW)"].sum()
        if s.sum() <= 0:
            return national
        return {int(y): v / s.sum() for y, v in s.items()}

    for tech, sub, tot in (("onwind", w[~w.off], on_new), ("offwind", w[w.off], off_new)):
        nat = sub.groupby("sy")["Capacity (MW)"].sum()
        nat = {int(y): v / nat.sum() for y, v in nat.items()}
        triples = []
        for r in CODES:
            if tot[r] > 0:
                triples += [(r, y, tot[r] * s) for y, s in year_profile(sub, r, nat).items()]
        put(tech, triples, "China Electric Power Yearbook 2021 wind (Onwind+Offwind_p_nom); offshore split and "
            "build years: GEM Global Wind Power Tracker May 2023 (projects operating in 2020)")
    # --- solar: yearbook totals; utility/distributed split NEA 2020; build years: PIK 2015 stock + NEA growth
    sol = read_pnom("Xiaowei-Z_PyPSA-China__Solar_p_nom_2020.csv")
    dem = demand_2020()
    dist = allocate(sol.sum() * SOLAR_DISTRIBUTED_SHARE, dem, cap=sol * DISTRIBUTED_MAX_SHARE)
    util = sol - dist
    s15 = pd.read_csv(SRC / "pik-piam_PyPSA-China-PIK__solar_capacity.csv")
    s15 = by_code(s15.set_index("Region")["2015"]) / 1000.0
    nat = _profile_from_cumulative(SOLAR_CUM)
    pre = {y: s for y, s in nat.items() if y <= 2015}
    post = {y: s for y, s in nat.items() if y > 2015}
    pre = {y: s / sum(pre.values()) for y, s in pre.items()}
    post = {y: s / sum(post.values()) for y, s in post.items()}
    for tech, tot in (("solar_utility", util), ("solar_distributed", dist)):
        triples = []
        for r in CODES:
            if tot[r] <= 0:
                continue
            f15 = min(1.0, s15[r] / sol[r]) if sol[r] > 0 else 0.0
            triples += [(r, y, tot[r] * f15 * s) for y, s in pre.items()]
            triples += [(r, y, tot[r] * (1 - f15) * s) for y, s in post.items()]
        put(tech, triples, "China Electric Power Yearbook 2021 PV (Solar_p_nom); distributed 78.3/253.4 GW (NEA 2020) "
            "allocated by 2020 demand (<= 2/3 of a province); build years: PIK 2015 stock + NEA annual additions")
    info["solar_distributed_by_region"] = dist
    # --- hydro
    dams = pd.read_csv(SRC / "pik-piam_PyPSA-China-PIK__dams_large.csv")
    dams["r"] = dams["Province"].map(code)
    dams["GW"] = dams["installed_capacity_10MW"] / 100.0
    other = read_pnom("pik-piam_PyPSA-China-PIK__hydroelectricity_capacity.csv")
    phs = read_pnom("pik-piam_PyPSA-China-PIK__PHS_p_nom.csv")
    baihetan = dams[dams.Dam_names == "Baihetan"]
    late = baihetan.groupby("r")["GW"].sum().reindex(CODES).fillna(0)
    res2020 = dams[dams.Dam_names != "Baihetan"].groupby("r")["GW"].sum().reindex(CODES).fillna(0)
    ror_raw = (other + late - phs).clip(lower=0)
    ror_scale = (CONV_HYDRO_2020_GW - res2020.sum()) / ror_raw.sum()
    ror = ror_raw * ror_scale
    info["ror_scale"] = ror_scale
    triples = [(r, 2005, v) for r, v in res2020.items() if v > 0] + [(r, 2022, v) for r, v in late.items() if v > 0]
    put("hydro_reservoir", triples, "large dams of PIK dams_large.csv (Liu et al. 2019) operating in 2020, dated 2005 "
        "(all stand to 2060); Baihetan (16 GW, 2021-22) dated 2022")
    put("hydro_ror", spread(ror, _profile_from_cumulative(HYDRO_CUM)),
        "PIK hydroelectricity capacity.csv (other hydro incl. PHS) - PHS_p_nom, scaled x%.3f to CEC 2020 conventional "
        "hydro 338.7 GW; build years CEC national hydro growth" % ror_scale)
    info["hydro_reservoir_2020"] = res2020.sum()
    # --- pumped hydro
    put("pumped_hydro", spread(phs, _profile_from_cumulative(PHS_CUM)),
        "PIK PHS_p_nom.csv (the end-2021 fleet); build years CEC national pumped-storage growth to 2018, the 2021 additions "
        "(36.39 - 31.49 GW, CREEI 2021 / NEA) dated 2021; 6 h", energy_h=PHS_DURATION_H)
    # --- biomass
    feed = biomass_feedstock_twh()
    bio_w = BIOMASS_RESIDUE_SHARE * feed / feed.sum() + (1 - BIOMASS_RESIDUE_SHARE) * dem / dem.sum()
    bio = BIOMASS_2020_GW * bio_w
    put("biomass", spread(bio, _profile_from_cumulative(BIOMASS_CUM)),
        "NEA 2020 biomass 29.52 GW: residue plants (45 %) by residue supply (Xing et al. 2021), waste-to-energy and "
        "biogas (55 %) by 2020 demand; build years NEA national growth")
    info["biomass_by_region"] = bio
    df = pd.DataFrame(rows, columns=["technology", "region", "build_year", "capacity_GW", "energy_capacity_GWh",
                                     "source"])
    return df, info


def biomass_feedstock_twh() -> pd.Series:
    """Residue supply by province that can be diverted to power (TWh thermal/yr), Xing et al. 2021 SI."""
    x = pd.read_excel(SRC / "pik-piam_PyPSA-China-PIK__41467_2021_23282_MOESM4_ESM.xlsx",
                      sheet_name="supplementary data 1")
    cols = ["Agricultural residues burnt as waste (t biomass yr-1)",
            "Agricultural residues for domestic cooking (t biomass yr-1)",
            "Residential wood discarded by farmers (t biomass yr-1)"]
    t = x.groupby("Province name")[cols].sum().sum(axis=1)
    return by_code(t) * RESIDUE_GJ_PER_T * MWH_PER_GJ / 1e6  # t -> TWh


# --------------------------------------------------------------------------------------------------
# Potentials and build rates
# --------------------------------------------------------------------------------------------------
def capacity_limits(cap: pd.DataFrame, info: dict) -> tuple[pd.DataFrame, dict]:
    exist = cap[cap.build_year <= 2020].groupby(["technology", "region"])["capacity_GW"].sum()
    exist_all = cap.groupby(["technology", "region"])["capacity_GW"].sum()

    def ex(tech, r, all_years=False):
        s = exist_all if all_years else exist
        return float(s.get((tech, r), 0.0))

    pot = pd.read_csv(SRC / "Rick10119_PyPSA-China-THU__renewable_potential_assumptions_2019.csv")
    pot = pot[pot.province != "National"].set_index("province")
    pot = {c: by_code(pot[c]) / 100.0 for c in pot.columns}  # 10^4 kW -> GW
    dem = demand_2020()
    rows = []
    book = "Renewable Energy Data Book 2019 (CREEI) via PyPSA-China-THU renewable_potential_assumptions_2019.csv"
    summary = {}

    def row(tech, r, period=None, cmin=None, cmax=None, cnew=None, src=""):
        rows.append((tech, r, period, cmin, None if cmax is None else round(cmax, 3),
                     None if cnew is None else round(cnew, 3), src))

    for tech, col in (("onwind", "onwind_10kw"), ("solar_utility", "solar_10kw")):
        for r in CODES:
            row(tech, r, cmax=max(pot[col][r], ex(tech, r)), src=f"{book}; at least the 2020 fleet")
        summary[tech] = sum(max(pot[col][r], ex(tech, r)) for r in CODES)
    coastal = {code(p) for p in COASTAL_OFFWIND}
    for r in CODES:
        v = max(pot["offwind_10kw"][r], ex("offwind", r)) if r in coastal else 0.0
        row("offwind", r, cmax=v, src=f"{book}; 0 = not coastal" if r not in coastal else book)
    summary["offwind"] = sum(max(pot["offwind_10kw"][r], ex("offwind", r)) for r in coastal)
    dist_pot = allocate(DISTRIBUTED_PV_POTENTIAL_GW, dem)
    for r in CODES:
        row("solar_distributed", r, cmax=max(dist_pot[r], ex("solar_distributed", r)),
            src="2000 GW national rooftop potential (judgement within 1-5 TW literature range) by 2020 demand")
    summary["solar_distributed"] = sum(max(dist_pot[r], ex("solar_distributed", r)) for r in CODES)
    # hydro: provincial technical potential (694 GW nationally). The remaining potential is given to hydro_ror,
    # which follows the provincial inflow profiles (availability.csv.gz); hydro_reservoir stays at the large
    # dams (incl. Baihetan) whose annual inflow budgets are in energy_budgets.csv.
    summary["hydro_reservoir"] = summary["hydro_ror"] = 0.0
    for r in CODES:
        res = ex("hydro_reservoir", r, all_years=True)
        ror_max = max(pot["hydro_10kw"][r] - res, ex("hydro_ror", r))
        row("hydro_reservoir", r, cmax=res,
            src="large dams of dams_large.csv incl. Baihetan (replacement only; new hydro is hydro_ror)")
        row("hydro_ror", r, cmax=ror_max,
            src=f"{book} hydro technical potential (694 GW national) minus large dams; at least existing")
        summary["hydro_reservoir"] += res
        summary["hydro_ror"] += ror_max
    # pumped hydro: NEA 2021 plan key projects 421 GW allocated by 2020 demand, none in SH/TJ
    w = dem.copy()
    for p in PHS_NO_SITES:
        w[code(p)] = 0.0
    phs_pot = allocate(PHS_KEY_PROJECTS_GW, w)
    for r in CODES:
        row("pumped_hydro", r, cmax=ex("pumped_hydro", r) + phs_pot[r],
            src="existing + NEA Pumped Storage Plan 2021-2035 key projects 421 GW by 2020 demand; 0 in SH/TJ (plains)")
    summary["pumped_hydro"] = sum(ex("pumped_hydro", r) + phs_pot[r] for r in CODES)
    # nuclear: site-based potential and build rate
    site_r = {code(p): n for p, n in NUCLEAR_SITES.items()}
    nmax = {r: max(site_r.get(r, 0) * NUCLEAR_GW_PER_SITE, ex("nuclear", r)) for r in CODES}
    summary["nuclear"] = sum(nmax.values())
    total_sites = sum(site_r.values())
    inland = {code(p) for p in INLAND_NUCLEAR}

    def open_sites(p):
        return {r: n for r, n in site_r.items() if r not in inland or p >= INLAND_NUCLEAR_FROM}

    for r in CODES:
        if r not in site_r:
            row("nuclear", r, cmax=0.0, src="no nuclear site (inland nuclear not approved; only reserved sites allowed)")
            continue
        row("nuclear", r, cmax=nmax[r], src=f"{site_r[r]} site(s) x 6 x 1.2 GW (operating/approved/reserved sites)")
        for p in PERIODS:
            nat = NUCLEAR_NATIONAL_BUILD_GW.get(p, NUCLEAR_NATIONAL_BUILD_LATER_GW)
            sites = open_sites(p)
            if r not in sites:
                row("nuclear", r, period=p, cmax=ex("nuclear", r), cnew=0.0,
                    src=f"inland site, closed before {INLAND_NUCLEAR_FROM} (no inland unit approved up to 2025-04; approval "
                        "then ~6 years to service: sources/physics/nuclear_policy.csv, build/TECHNOLOGIES.md)")
                continue
            row("nuclear", r, period=p, cmax=nmax[r], cnew=nat * site_r[r] / sum(sites.values()),
                src=f"national build rate {nat:.0f} GW per period (2020: under construction; then ~10 GW/yr) by "
                    f"share of the sites open in the period")
    # salt caverns
    salt = {code(p) for p in SALT_CAVERN_PROVINCES}
    for r in CODES:
        if r not in salt:
            row("h2_cavern", r, cmax=0.0, src="no rock-salt formation (Yang et al. 2015 Appl. Energy 137:467)")
    df = pd.DataFrame(rows, columns=["technology", "region", "period", "capacity_min_GW", "capacity_max_GW",
                                     "capacity_new_max_GW", "source"])
    df["period"] = df["period"].astype("Int64")
    return df, summary


def energy_budgets_industry(cap: pd.DataFrame, tp: pd.DataFrame) -> pd.DataFrame:
    dem = demand_2020()
    share = dem / dem.sum()
    nat = interp(INDUSTRY_CAPTURE_MT)
    rows = []
    for p in PERIODS:
        for r in CODES:
            rows.append(("industry_capture", r, p, round(nat[p] * share[r], 3),
                         f"national {nat[p]:.0f} Mt/yr (3 Mt 2020 -> 110 Mt 2060: China CCUS Annual Report 2021, demonstrations "
                         f"2020 and the high end of steel's 2060 CCUS demand, as summarised at enviliance.com report_3908) by "
                         f"2020 electricity demand share (proxy)"))
    # biomass feedstock: unabated biomass keeps its 2020 output; the rest of the residue supply goes to BECCS
    feed = biomass_feedstock_twh()
    bio = cap[cap.technology == "biomass"].groupby("region")["capacity_GW"].sum().reindex(CODES).fillna(0)
    bio_out = bio * BIOMASS_FULL_LOAD_H_2020 / 1000.0  # TWh_e
    beccs_eff = tp[tp.technology == "beccs"].set_index("period")["efficiency"]
    for p in PERIODS:
        for r in CODES:
            rows.append(("biomass", r, p, round(bio_out[r], 3),
                         "2020 output of the existing fleet (NEA 2020: 132.6 TWh / 29.5 GW = 4490 h)"))
            rest = max(feed[r] - bio_out[r] / BIOMASS_EFF, 0.0)
            rows.append(("beccs", r, p, round(rest * beccs_eff[p], 3),
                         "residue supply (Xing et al. 2021: burnt + cooking residues + discarded wood, 15 GJ/t) "
                         "minus fuel of the 2020 biomass fleet, x beccs efficiency"))
    return pd.DataFrame(rows, columns=["technology", "region", "period", "energy_max_TWh", "source"])


# --------------------------------------------------------------------------------------------------
def write(df: pd.DataFrame, name: str) -> None:
    df.to_csv(CASE / name, index=False, lineterminator="\n", float_format="%.6g")


def main() -> None:
    write(carriers(), "carriers.csv")
    write(fuel_prices(), "fuel_prices.csv")
    tech = technologies()
    write(tech, "technologies.csv")
    tp = technology_periods()
    write(tp, "technology_periods.csv")
    cap, info = capacities()
    write(cap, "capacities.csv")
    lim, summary = capacity_limits(cap, info)
    write(lim, "capacity_limits.csv")
    write(energy_budgets_industry(cap, tp), "energy_budgets_industry.csv")

    # short report
    gw = cap[cap.build_year <= 2020].groupby("technology")["capacity_GW"].sum()
    print("2020 capacity (GW):")
    for t, v in gw.items():
        print(f"  {t:18s} {v:8.1f}")
    print(f"  total              {gw.sum():8.1f}   (coal units from GCPT: {info['coal_units']})")
    later = cap[cap.build_year > 2020].groupby("technology")["capacity_GW"].sum()
    for t, v in later.items():
        print(f"  commissioned after 2020, in the table: {t} {v:.1f} GW")
    print("potentials (GW):", {k: round(v) for k, v in summary.items()})
    print(f"coal price 2020, mean weighted by the coal fleet: {FUEL_NOTES['coal_fleet_mean_cny_t']:.0f} CNY/t")


if __name__ == "__main__":
    main()
