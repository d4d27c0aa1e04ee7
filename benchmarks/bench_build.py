"""Benchmark of model building, transfer to HiGHS, solving and extraction on synthetic cases.

For each size the script

1. generates a synthetic case (regions x periods x time steps x technologies; thermal
   plants with fuel, variable renewables with seeded random availability profiles, one or
   two storages, corridors between neighbouring regions on a grid, demand with a profile,
   a CO2 cap) into a temporary folder;
2. runs, in a fresh subprocess per repetition (so that ``ru_maxrss`` is the peak of that
   run alone), our pipeline: ``load_case`` -> ``build_model`` (arrays, then Pyomo objects)
   -> transfer to HiGHS -> HiGHS solve -> ``extract``;
3. with ``--linopy``, runs in another fresh subprocess the SAME LP written in linopy from
   the same generated CSV files, and times linopy's build and its direct transfer to
   HiGHS (``Model.to_highspy``, which is what ``solve(io_api='direct')`` uses).

``--check`` solves both formulations on a small size and verifies that they give the same
objective (relative difference <= 1e-6) and the same numbers of variables and constraints.

Examples::

    python benchmarks/bench_build.py --check
    python benchmarks/bench_build.py --sizes 30k 150k --linopy
    python benchmarks/bench_build.py --sizes 600k 1m --linopy --no-solve
    python benchmarks/bench_build.py --sizes 1m --profile         # cProfile of our model side
    python benchmarks/bench_build.py --regions 5 --periods 3 --days 4 --techs 6 --storages 2

Timing columns are medians over ``--reps`` repetitions; the HiGHS solve runs in the
first repetition only (``--solve-reps`` to change), and the other repetitions extract
results from a dummy all-zero solution (extraction time does not depend on the values).
"""

from __future__ import annotations

import argparse
import importlib
import json
import math
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

HERE = Path(__file__).resolve().parent
OUT = HERE / "out"
HOURS = 24  # time steps per representative day
RESULT_TAG = "BENCH_RESULT "

# --------------------------------------------------------------------------- sizes


@dataclass(frozen=True)
class Size:
    regions: int
    periods: int
    days: int  # representative days of 24 hourly steps
    techs: int  # conversion technologies
    storages: int  # 1 (battery) or 2 (battery and pumped hydro)
    seed: int = 1

    @property
    def time_steps(self) -> int:
        return self.days * HOURS

    def label(self) -> str:
        return f"{self.regions}r x {self.periods}p x {self.time_steps}t x {self.techs}+{self.storages} tech"


#: named sizes; the names give the rough number of variables of our model
SIZES = {
    "tiny": Size(regions=4, periods=3, days=2, techs=6, storages=2),
    "30k": Size(regions=8, periods=3, days=4, techs=6, storages=2),
    "150k": Size(regions=16, periods=3, days=9, techs=6, storages=2),
    "600k": Size(regions=24, periods=4, days=18, techs=6, storages=2),
    "1m": Size(regions=32, periods=4, days=20, techs=8, storages=2),
}

# --------------------------------------------------------------------------- synthetic case

#: conversion technology catalogue: name, carrier_in, efficiency (first, last period), lifetime,
#: capex CNY/kW (first, last), fom CNY/kW/yr, vom CNY/MWh, availability_max, profile kind
CATALOGUE = [
    ("coal", "coal", (0.40, 0.42), 40, (3500, 3500), 110, 20, 0.9, None),
    ("wind", "", (1.0, 1.0), 25, (6500, 4000), 150, 0, 1.0, "wind"),
    ("gas_ccgt", "gas", (0.55, 0.60), 30, (2800, 2500), 90, 15, 0.9, None),
    ("solar", "", (1.0, 1.0), 25, (4000, 2000), 70, 0, 1.0, "solar"),
    ("gas_ocgt", "gas", (0.36, 0.38), 30, (1800, 1700), 40, 10, 0.95, None),
    ("wind_offshore", "", (1.0, 1.0), 25, (12000, 8000), 300, 0, 1.0, "wind"),
    ("biomass", "biomass", (0.30, 0.33), 30, (9000, 8000), 250, 30, 0.85, None),
    ("solar_rooftop", "", (1.0, 1.0), 25, (5000, 3000), 80, 0, 1.0, "solar"),
]


def _grid(n: int) -> tuple[np.ndarray, list[tuple[int, int]]]:
    """Regions on a grid (as square as possible): coordinates and neighbour pairs."""
    cols = math.ceil(math.sqrt(n))
    xy = np.array([(i % cols, i // cols) for i in range(n)])
    pairs = []
    for i in range(n):
        for j in range(i + 1, n):
            if abs(xy[i] - xy[j]).sum() == 1:
                pairs.append((i, j))
    return xy, pairs


def generate_tables(size: Size) -> tuple[dict, dict[str, pd.DataFrame]]:
    """The synthetic case as (settings, tables) in the input format of the optimiser."""
    rng = np.random.default_rng(size.seed)
    R, P, D = size.regions, size.periods, size.days
    T = size.time_steps
    periods = [2025 + 5 * i for i in range(P)]
    regions = [f"r{i:03d}" for i in range(R)]
    hours = np.tile(np.arange(HOURS), D)
    day_of = np.repeat(np.arange(D), HOURS)

    settings = {
        "name": f"synthetic_{R}r{P}p{T}t{size.techs}c{size.storages}s",
        "description": "Synthetic benchmark case (benchmarks/bench_build.py)",
        "discount_rate": 0.05,
    }
    if P == 1:
        settings["last_period_years"] = 5

    # technologies: cycle through the catalogue, numbering repeats (wind_2, ...)
    conv = []
    for i in range(size.techs):
        base = CATALOGUE[i % len(CATALOGUE)]
        name = base[0] if i < len(CATALOGUE) else f"{base[0]}_{i // len(CATALOGUE) + 1}"
        factor = 1.0 + 0.07 * (i // len(CATALOGUE))
        conv.append((name,) + base[1:] + (factor,))
    tech_rows, tp_rows = [], []
    for name, c_in, eff, life, capex, fom, vom, amax, profile, factor in conv:
        tech_rows.append(
            {
                "technology": name, "type": "conversion", "carrier_out": "electricity", "carrier_in": c_in,
                "lifetime_years": life, "wacc": 0.06, "expandable": True, "min_load_fraction": 0.0,
                "availability_max": amax, "duration_h": np.nan, "efficiency_charge": 1.0,
                "efficiency_discharge": 1.0, "standing_loss_per_h": 0.0,
            }
        )
        for k, p in enumerate(periods):
            s = k / max(P - 1, 1)
            tp_rows.append(
                {
                    "technology": name, "period": p, "capex_CNY_per_kW": round((capex[0] + s * (capex[1] - capex[0])) * factor, 2),
                    "capex_energy_CNY_per_kWh": 0.0, "fom_CNY_per_kW_yr": fom * factor, "vom_CNY_per_MWh": vom,
                    "efficiency": round(eff[0] + s * (eff[1] - eff[0]), 4) if c_in else 1.0, "capture_rate": 0.0,
                }
            )
    storages = [
        ("battery", 15, 4.0, 0.95, 0.95, 0.0001, (5200, 2400), 0.0, (100, 50), 2),
        ("pumped_hydro", 60, np.nan, 0.87, 0.87, 0.0, (5500, 5500), 40.0, (60, 60), 3),
    ][: size.storages]
    for name, life, duration, eta_c, eta_d, loss, capex, capex_e, fom, vom in storages:
        tech_rows.append(
            {
                "technology": name, "type": "storage", "carrier_out": "electricity", "carrier_in": "",
                "lifetime_years": life, "wacc": 0.06, "expandable": True, "min_load_fraction": 0.0,
                "availability_max": 1.0, "duration_h": duration, "efficiency_charge": eta_c,
                "efficiency_discharge": eta_d, "standing_loss_per_h": loss,
            }
        )
        for k, p in enumerate(periods):
            s = k / max(P - 1, 1)
            tp_rows.append(
                {
                    "technology": name, "period": p, "capex_CNY_per_kW": capex[0] + s * (capex[1] - capex[0]),
                    "capex_energy_CNY_per_kWh": capex_e, "fom_CNY_per_kW_yr": fom[0] + s * (fom[1] - fom[0]),
                    "vom_CNY_per_MWh": vom, "efficiency": 1.0, "capture_rate": 0.0,
                }
            )
    technologies = pd.DataFrame(tech_rows)
    conv_names = [c[0] for c in conv]

    carriers = pd.DataFrame(
        [
            {"carrier": "electricity", "unit": "GW", "balance": True, "co2_content_t_per_MWh": 0.0, "biogenic": False},
            {"carrier": "coal", "unit": "GW", "balance": False, "co2_content_t_per_MWh": 0.34, "biogenic": False},
            {"carrier": "gas", "unit": "GW", "balance": False, "co2_content_t_per_MWh": 0.20, "biogenic": False},
            {"carrier": "biomass", "unit": "GW", "balance": False, "co2_content_t_per_MWh": 0.40, "biogenic": True},
        ]
    )
    fuel_prices = pd.DataFrame(
        [
            {"carrier": c, "period": p, "region": "", "price_CNY_per_MWh": round(base * (1 + 0.02 * k), 3)}
            for c, base in (("coal", 110.0), ("gas", 230.0), ("biomass", 150.0))
            for k, p in enumerate(periods)
        ]
    )

    # demand: annual TWh per region growing 2 %/yr, hourly profile with a daily shape and noise
    annual = rng.uniform(50, 400, R).round(1)
    demand = pd.DataFrame(
        [
            {"carrier": "electricity", "region": r, "period": p, "demand_TWh": round(float(annual[i] * 1.02 ** (p - periods[0])), 3)}
            for i, r in enumerate(regions)
            for p in periods
        ]
    )
    daily = 0.8 + 0.2 * np.sin(np.pi * (hours - 6) / 12) ** 2 * (hours >= 6)
    season = rng.uniform(0.85, 1.15, (R, D))
    shape = daily[None, :] * season[:, day_of] * rng.uniform(0.97, 1.03, (R, T))
    demand_profiles = pd.DataFrame(
        {
            "carrier": "electricity",
            "region": np.repeat(regions, T),
            "time": np.tile(np.arange(T), R),
            "profile": shape.round(4).ravel(),
        }
    )
    peak_GW = annual * 1e3 / 8760 * 1.3 * 1.02 ** (periods[-1] - periods[0])

    # availability profiles of variable renewables (seeded): solar bell + cloudiness, wind AR(1)
    avail_rows = []
    for name, *_rest in conv:
        kind = _rest[7]
        if kind is None:
            continue
        if kind == "solar":
            bell = np.clip(np.sin(np.pi * (hours - 6) / 12), 0, None)
            value = bell[None, :] * rng.uniform(0.5, 1.0, (R, D))[:, day_of] * rng.uniform(0.6, 0.95, (R, 1))
        else:
            mean = rng.uniform(0.2, 0.45, (R, 1))
            noise = np.zeros((R, T))
            shocks = rng.normal(0, 0.12, (R, T))
            for t in range(T):
                noise[:, t] = (0.85 * noise[:, t - 1] if t else 0.0) + shocks[:, t]
            value = mean + noise
        value = np.clip(value, 0.0, 1.0).round(4)
        avail_rows.append(
            pd.DataFrame({"technology": name, "region": np.repeat(regions, T), "time": np.tile(np.arange(T), R), "availability": value.ravel()})
        )
    availability = pd.concat(avail_rows, ignore_index=True) if avail_rows else pd.DataFrame(columns=["technology", "region", "time", "availability"])

    # existing capacity: coal (retiring during the horizon), gas, some wind
    cap_rows = []
    for i, r in enumerate(regions):
        coal_total = peak_GW[i] * rng.uniform(0.3, 0.6)
        for share, year in ((0.5, int(rng.integers(1990, 2000))), (0.5, int(rng.integers(2005, 2020)))):
            cap_rows.append({"technology": "coal", "region": r, "build_year": year, "capacity_GW": round(coal_total * share, 2), "energy_capacity_GWh": np.nan})
        if "gas_ccgt" in conv_names:
            cap_rows.append({"technology": "gas_ccgt", "region": r, "build_year": 2012, "capacity_GW": round(peak_GW[i] * 0.1, 2), "energy_capacity_GWh": np.nan})
        if "wind" in conv_names and i % 2 == 0:
            cap_rows.append({"technology": "wind", "region": r, "build_year": 2008, "capacity_GW": round(peak_GW[i] * 0.05, 2), "energy_capacity_GWh": np.nan})
    capacities = pd.DataFrame(cap_rows)

    # limits: no new coal; renewable potentials; pumped hydro only where there is a site
    limit_rows = []
    for i, r in enumerate(regions):
        limit_rows.append({"technology": "coal", "region": r, "period": np.nan, "capacity_min_GW": np.nan, "capacity_max_GW": np.nan, "capacity_new_max_GW": 0.0})
        for name, *_rest in conv:
            if _rest[7] is not None:
                limit_rows.append(
                    {"technology": name, "region": r, "period": np.nan, "capacity_min_GW": np.nan,
                     "capacity_max_GW": round(peak_GW[i] * rng.uniform(1.0, 3.0), 1), "capacity_new_max_GW": np.nan}
                )
            elif name.startswith("biomass"):
                limit_rows.append(
                    {"technology": name, "region": r, "period": np.nan, "capacity_min_GW": np.nan,
                     "capacity_max_GW": round(peak_GW[i] * 0.1, 1), "capacity_new_max_GW": np.nan}
                )
        if size.storages >= 2:
            site = 0.0 if i % 3 == 1 else round(peak_GW[i] * rng.uniform(0.1, 0.3), 1)
            limit_rows.append({"technology": "pumped_hydro", "region": r, "period": np.nan, "capacity_min_GW": np.nan, "capacity_max_GW": site, "capacity_new_max_GW": np.nan})
    capacity_limits = pd.DataFrame(limit_rows)

    xy, pairs = _grid(R)
    corridors = pd.DataFrame(
        [
            {
                "corridor": f"{regions[a]}-{regions[b]}", "carrier": "electricity", "region_from": regions[a], "region_to": regions[b],
                "length_km": round(float(rng.uniform(300, 1500)), 1), "capacity_GW": round(float(rng.uniform(0, 10)), 2),
                "build_year": 2010, "loss_per_1000km": 0.03, "capex_CNY_per_kW_km": 1.6, "fom_fraction": 0.02,
                "lifetime_years": 40.0, "wacc": 0.06, "expandable": True, "capacity_max_GW": np.nan,
            }
            for a, b in pairs
        ]
    )

    # CO2 cap: none in the first period, then falling to 15 % of 0.6 t/MWh x demand
    total_TWh = demand.groupby("period")["demand_TWh"].sum()
    cap = [np.nan] + [round(float(total_TWh[p] * 0.6 * (1 - 0.85 * k / max(P - 1, 1))), 2) for k, p in enumerate(periods)][1:]
    periods_table = pd.DataFrame({"period": periods, "co2_cap_Mt": cap, "co2_tax_CNY_per_t": 0.0})

    time_steps = pd.DataFrame({"time": np.arange(T), "weight_h": 8760.0 / T, "duration_h": 1.0, "representative_period": day_of})
    tables = {
        "periods": periods_table,
        "regions": pd.DataFrame({"region": regions, "name": regions, "latitude": 30 + xy[:, 1].astype(float), "longitude": 100 + xy[:, 0].astype(float)}),
        "carriers": carriers,
        "fuel_prices": fuel_prices,
        "technologies": technologies,
        "technology_periods": pd.DataFrame(tp_rows),
        "capacities": capacities,
        "capacity_limits": capacity_limits,
        "time_steps": time_steps,
        "demand": demand,
        "demand_profiles": demand_profiles,
        "availability": availability,
        "corridors": corridors,
    }
    return settings, tables


def write_case(folder: Path, size: Size) -> Path:
    """Generate the synthetic case and write it as a case folder (settings.yaml + CSV tables)."""
    settings, tables = generate_tables(size)
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "settings.yaml").write_text(yaml.safe_dump(settings))
    for name, frame in tables.items():
        frame.to_csv(folder / f"{name}.csv", index=False)
    return folder


# --------------------------------------------------------------------------- linopy formulation


def read_raw_tables(folder: Path) -> tuple[dict, dict[str, pd.DataFrame]]:
    """The generated CSV files read with plain pandas (no validation: the linopy side's 'load')."""
    folder = Path(folder)
    settings = yaml.safe_load((folder / "settings.yaml").read_text())
    tables = {path.stem: pd.read_csv(path, keep_default_na=True) for path in sorted(folder.glob("*.csv"))}
    for name in ("technologies", "fuel_prices"):
        for column in ("carrier_in", "region"):
            if column in tables[name]:
                tables[name][column] = tables[name][column].fillna("")
    return settings, tables


def build_linopy(settings: dict, tables: dict[str, pd.DataFrame]):
    """The benchmark case's LP written in linopy (dense labelled arrays with masks).

    Same maths as optimiser/model (docs/model.md), restricted to the features the
    synthetic case uses: vintaged capacity with existing stock and limits, availability,
    storage with fixed or free energy capacity and cyclic state of charge per day,
    corridors with losses and vintaged capacity, the electricity balance, CO2 accounting
    and cap; discounted annuities, fixed and variable O&M and fuel in the objective.
    """
    import linopy
    import xarray as xr

    warnings.filterwarnings("ignore", module="linopy")
    rate = float(settings.get("discount_rate", 0.05))
    periods = tables["periods"]["period"].to_numpy(dtype=np.int64)
    P = len(periods)
    base_year = int(settings.get("base_year") or periods[0])
    years = np.append(np.diff(periods), settings.get("last_period_years") or (periods[-1] - periods[-2] if P > 1 else 1)).astype(float)
    w = np.array([np.sum((1 + rate) ** -(p - base_year + np.arange(int(round(n))))) for p, n in zip(periods, years)])

    time = tables["time_steps"]
    T = len(time)
    day_of = time["representative_period"].to_numpy()
    D = len(np.unique(day_of))
    H = T // D
    wh = time["weight_h"].to_numpy().reshape(D, H)
    dur = time["duration_h"].to_numpy().reshape(D, H)

    regions = tables["regions"]["region"].tolist()
    R = len(regions)
    techs = tables["technologies"].set_index("technology")
    all_t = techs.index.tolist()
    conv_t = techs.index[techs["type"] == "conversion"].tolist()
    stor_t = techs.index[techs["type"] == "storage"].tolist()
    i_tech = pd.Index(all_t, name="tech")
    i_conv = pd.Index(conv_t, name="tech")
    i_stor = pd.Index(stor_t, name="tech")
    i_reg = pd.Index(regions, name="region")
    i_per = pd.Index(periods, name="period")
    i_vin = pd.Index(periods, name="vintage")
    i_day = pd.Index(np.arange(D), name="day")
    i_hour = pd.Index(np.arange(H), name="hour")

    def da(values, *indexes):
        return xr.DataArray(np.asarray(values), coords=list(indexes))

    # economics per technology
    life = techs["lifetime_years"].to_numpy(float)
    wacc = techs["wacc"].fillna(rate).to_numpy(float)
    annuity = np.where(wacc > 0, wacc / (1 - (1 + wacc) ** -life), 1 / life)
    standing = (periods[None, :, None] <= periods[None, None, :]) & (periods[None, None, :] < periods[None, :, None] + life[:, None, None])  # t, v, p
    standing_weight = (standing * w[None, None, :]).sum(axis=2)  # t, v: discounted years a vintage pays its annuity

    tp = tables["technology_periods"].set_index(["technology", "period"]).reindex(pd.MultiIndex.from_product([all_t, periods]))

    def param(column):
        return tp[column].to_numpy(float).reshape(len(all_t), P)

    # existing capacity standing in each period
    existing = np.zeros((len(all_t), R, P))
    caps = tables["capacities"]
    if len(caps):
        t_pos = i_tech.get_indexer(caps["technology"])
        r_pos = i_reg.get_indexer(caps["region"])
        stands = (caps["build_year"].to_numpy()[:, None] <= periods[None, :]) & (periods[None, :] < caps["build_year"].to_numpy()[:, None] + life[t_pos][:, None])
        np.add.at(existing, (t_pos, r_pos), caps["capacity_GW"].to_numpy()[:, None] * stands)

    # limits (given for every period at once in the synthetic case)
    cap_max = np.full((len(all_t), R), np.nan)
    new_max = np.full((len(all_t), R), np.nan)
    limits = tables["capacity_limits"]
    if len(limits):
        t_pos = i_tech.get_indexer(limits["technology"])
        r_pos = i_reg.get_indexer(limits["region"])
        cap_max[t_pos, r_pos] = limits["capacity_max_GW"].to_numpy(float)
        new_max[t_pos, r_pos] = limits["capacity_new_max_GW"].to_numpy(float)
    expandable = techs["expandable"].astype(bool).to_numpy()
    buildable = expandable[:, None] & ~(cap_max == 0) & ~(new_max == 0)  # t, r
    buildable_v = np.broadcast_to(buildable[:, :, None], (len(all_t), R, P))
    present = (existing > 0) | (buildable[:, :, None] & standing.any(axis=1)[:, None, :])  # t, r, p

    m = linopy.Model()
    capacity_new = m.add_variables(
        lower=0.0, upper=da(np.broadcast_to(np.nan_to_num(new_max, nan=np.inf)[:, :, None], buildable_v.shape), i_tech, i_reg, i_vin),
        mask=da(buildable_v, i_tech, i_reg, i_vin), name="capacity_new",
    )
    upper = np.where(np.isnan(cap_max)[:, :, None], np.inf, np.maximum(np.nan_to_num(cap_max)[:, :, None], existing))
    capacity = m.add_variables(
        lower=da(existing, i_tech, i_reg, i_per), upper=da(upper, i_tech, i_reg, i_per), mask=da(present, i_tech, i_reg, i_per), name="capacity"
    )
    m.add_constraints(
        capacity - (da(standing.astype(float), i_tech, i_vin, i_per) * capacity_new).sum("vintage") == da(existing, i_tech, i_reg, i_per),
        mask=da(present, i_tech, i_reg, i_per), name="capacity_vintage",
    )
    objective = []
    capex = param("capex_CNY_per_kW") * 1e-3 * annuity[:, None] * standing_weight  # t, v
    objective.append((da(capex, i_tech, i_vin) * capacity_new).sum())
    fom = param("fom_CNY_per_kW_yr") * 1e-3 * w[None, :]
    objective.append((da(fom, i_tech, i_per) * capacity).sum())

    # conversion: generation <= availability x capacity
    ci = i_tech.get_indexer(conv_t)
    time_mask = np.ones((D, H), dtype=bool)
    gen_mask = da(present[ci][:, :, :, None, None] & time_mask, i_conv, i_reg, i_per, i_day, i_hour)
    generation = m.add_variables(lower=0.0, coords=[i_conv, i_reg, i_per, i_day, i_hour], mask=gen_mask, name="generation")
    avail = np.broadcast_to(techs.loc[conv_t, "availability_max"].to_numpy(float)[:, None, None, None], (len(conv_t), R, D, H)).copy()
    profiles = tables.get("availability")
    if profiles is not None and len(profiles):
        t_pos = i_conv.get_indexer(profiles["technology"])
        r_pos = i_reg.get_indexer(profiles["region"])
        step = profiles["time"].to_numpy()
        avail[t_pos, r_pos, step // H, step % H] = profiles["availability"].to_numpy(float)
    cap_conv = capacity.sel(tech=conv_t)
    m.add_constraints(generation - da(avail, i_conv, i_reg, i_day, i_hour) * cap_conv <= 0, mask=gen_mask, name="generation_availability")

    # variable O&M and fuel per GWh of output
    carrier_in = techs.loc[conv_t, "carrier_in"].to_numpy()
    prices = tables["fuel_prices"].set_index(["carrier", "period"])["price_CNY_per_MWh"]
    eff = param("efficiency")[ci]
    fuel = np.zeros((len(conv_t), P))
    for k, c in enumerate(carrier_in):
        if c:
            fuel[k] = prices.reindex(pd.MultiIndex.from_product([[c], periods])).to_numpy(float) / eff[k]
    per_gwh = (param("vom_CNY_per_MWh")[ci] + fuel) * 1e-6 * w[None, :]
    objective.append((da(per_gwh, i_conv, i_per) * da(wh, i_day, i_hour) * generation).sum())

    # storage
    si = i_tech.get_indexer(stor_t)
    charge = discharge = None
    if stor_t:
        st_mask = da(present[si][:, :, :, None, None] & time_mask, i_stor, i_reg, i_per, i_day, i_hour)
        coords = [i_stor, i_reg, i_per, i_day, i_hour]
        charge = m.add_variables(lower=0.0, coords=coords, mask=st_mask, name="storage_charge")
        discharge = m.add_variables(lower=0.0, coords=coords, mask=st_mask, name="storage_discharge")
        level = m.add_variables(lower=0.0, coords=coords, mask=st_mask, name="storage_level")
        cap_stor = capacity.sel(tech=stor_t)
        m.add_constraints(charge - cap_stor <= 0, mask=st_mask, name="storage_charge_limit")
        m.add_constraints(discharge - cap_stor <= 0, mask=st_mask, name="storage_discharge_limit")
        duration = techs.loc[stor_t, "duration_h"].to_numpy(float)
        fixed = [t for t, d in zip(stor_t, duration) if not np.isnan(d)]
        free = [t for t, d in zip(stor_t, duration) if np.isnan(d)]
        if fixed:
            hours_da = da(duration[~np.isnan(duration)], pd.Index(fixed, name="tech"))
            m.add_constraints(
                level.sel(tech=fixed) - hours_da * capacity.sel(tech=fixed) <= 0, mask=st_mask.sel(tech=fixed), name="storage_energy_limit"
            )
        if free:
            i_free = pd.Index(free, name="tech")
            fi = i_tech.get_indexer(free)
            energy_new = m.add_variables(lower=0.0, coords=[i_free, i_reg, i_vin], mask=da(buildable_v[fi], i_free, i_reg, i_vin), name="storage_energy_new")
            energy = m.add_variables(lower=0.0, coords=[i_free, i_reg, i_per], mask=da(present[fi], i_free, i_reg, i_per), name="storage_energy_capacity")
            m.add_constraints(
                energy - (da(standing[fi].astype(float), i_free, i_vin, i_per) * energy_new).sum("vintage") == 0,
                mask=da(present[fi], i_free, i_reg, i_per), name="storage_energy_vintage",
            )
            m.add_constraints(level.sel(tech=free) - energy <= 0, mask=st_mask.sel(tech=free), name="storage_energy_limit_free")
            capex_e = param("capex_energy_CNY_per_kWh")[fi] * 1e-3 * annuity[fi, None] * standing_weight[fi]
            objective.append((da(capex_e, i_free, i_vin) * energy_new).sum())
        loss = techs.loc[stor_t, "standing_loss_per_h"].to_numpy(float)
        eta_c = da(techs.loc[stor_t, "efficiency_charge"].to_numpy(float), i_stor)
        eta_d = da(techs.loc[stor_t, "efficiency_discharge"].to_numpy(float), i_stor)
        retention = da((1 - loss)[:, None, None] ** dur[None], i_stor, i_day, i_hour)
        d = da(dur, i_day, i_hour)
        # level[h] = retention x level[h-1, cyclic within the day] + d (eta_c charge - discharge / eta_d)
        m.add_constraints(
            level - retention * level.roll(hour=1) - eta_c * d * charge + (d / eta_d) * discharge == 0, mask=st_mask, name="storage_dynamics"
        )
        vom_s = param("vom_CNY_per_MWh")[si] * 1e-6 * w[None, :]
        objective.append((da(vom_s, i_stor, i_per) * da(wh, i_day, i_hour) * discharge).sum())

    # corridors: vintaged capacity, flows both ways with losses at the receiving end
    supply = generation.sum("tech")
    if stor_t:
        supply = supply + discharge.sum("tech") - charge.sum("tech")
    cor = tables.get("corridors")
    if cor is not None and len(cor):
        i_cor = pd.Index(cor["corridor"].tolist(), name="corridor")
        c_life = cor["lifetime_years"].to_numpy(float)
        c_wacc = cor["wacc"].fillna(rate).to_numpy(float)
        c_annuity = np.where(c_wacc > 0, c_wacc / (1 - (1 + c_wacc) ** -c_life), 1 / c_life)
        build_year = cor["build_year"].fillna(base_year).to_numpy(float)
        c_existing = np.where(
            (build_year[:, None] <= periods[None, :]) & (periods[None, :] < build_year[:, None] + c_life[:, None]), cor["capacity_GW"].to_numpy(float)[:, None], 0.0
        )
        c_standing = (periods[None, :, None] <= periods[None, None, :]) & (periods[None, None, :] < periods[None, :, None] + c_life[:, None, None])
        c_max = cor["capacity_max_GW"].to_numpy(float)
        c_upper = np.where(np.isnan(c_max)[:, None], np.inf, np.maximum(np.nan_to_num(c_max)[:, None], c_existing))
        expand = cor["expandable"].astype(bool).to_numpy()
        cap_new = m.add_variables(lower=0.0, coords=[i_cor, i_vin], mask=da(np.broadcast_to(expand[:, None], (len(cor), P)), i_cor, i_vin), name="corridor_capacity_new")
        cap_c = m.add_variables(lower=da(c_existing, i_cor, i_per), upper=da(c_upper, i_cor, i_per), name="corridor_capacity")
        m.add_constraints(cap_c - (da(c_standing.astype(float), i_cor, i_vin, i_per) * cap_new).sum("vintage") == da(c_existing, i_cor, i_per), name="corridor_vintage")
        coords = [i_cor, i_per, i_day, i_hour]
        forward = m.add_variables(lower=0.0, coords=coords, name="flow_forward")
        backward = m.add_variables(lower=0.0, coords=coords, name="flow_backward")
        m.add_constraints(forward - cap_c <= 0, name="flow_forward_limit")
        m.add_constraints(backward - cap_c <= 0, name="flow_backward_limit")
        efficiency = da(1.0 - cor["loss_per_1000km"].to_numpy(float) * cor["length_km"].to_numpy(float) / 1000.0, i_cor)
        at_from = da(cor["region_from"].to_numpy(), i_cor).rename("region")
        at_to = da(cor["region_to"].to_numpy(), i_cor).rename("region")
        sent_from = (efficiency * backward - forward).groupby(at_from).sum().reindex(region=regions)
        sent_to = (efficiency * forward - backward).groupby(at_to).sum().reindex(region=regions)
        supply = supply + sent_from + sent_to
        per_gw = cor["capex_CNY_per_kW_km"].to_numpy(float) * cor["length_km"].to_numpy(float) * 1e-3
        c_weight = (c_standing * w[None, None, :]).sum(axis=2)
        objective.append((da(per_gw[:, None] * c_annuity[:, None] * c_weight, i_cor, i_vin) * cap_new).sum())
        objective.append((da(per_gw[:, None] * cor["fom_fraction"].to_numpy(float)[:, None] * w[None, :], i_cor, i_per) * cap_c).sum())

    # electricity balance: supply + imports - exports - charging = demand (GW)
    dem = tables["demand"]
    dem = dem[dem["carrier"] == "electricity"]
    annual = np.zeros((R, P))
    annual[i_reg.get_indexer(dem["region"]), i_per.get_indexer(dem["period"])] = dem["demand_TWh"].to_numpy(float)
    shape = np.ones((R, T))
    prof = tables.get("demand_profiles")
    if prof is not None and len(prof):
        shape[i_reg.get_indexer(prof["region"]), prof["time"].to_numpy()] = prof["profile"].to_numpy(float)
    total = shape @ time["weight_h"].to_numpy()
    demand_gw = (annual[:, :, None] * 1e3 / total[:, None, None]) * shape[:, None, :]
    m.add_constraints(supply == da(demand_gw.reshape(R, P, D, H), i_reg, i_per, i_day, i_hour), name="balance")

    # CO2: accounting per region and period, cap per period
    carriers = tables["carriers"].set_index("carrier")
    fossil = (carriers["co2_content_t_per_MWh"] * (~carriers["biogenic"].astype(bool))).to_dict()
    factor = np.array([[fossil.get(c, 0.0) / eff[k, j] if c else 0.0 for j in range(P)] for k, c in enumerate(carrier_in)])  # kt/GWh
    emitting = [t for k, t in enumerate(conv_t) if (factor[k] != 0).any()]
    co2 = m.add_variables(lower=-np.inf, coords=[i_reg, i_per], name="co2_emissions")
    if emitting:
        ei = i_conv.get_indexer(emitting)
        coef = da(factor[ei] * 1e-3, pd.Index(emitting, name="tech"), i_per) * da(wh, i_day, i_hour)
        m.add_constraints((coef * generation.sel(tech=emitting)).sum(["tech", "day", "hour"]) - co2 == 0, name="co2_accounting")
    else:
        m.add_constraints(-1 * co2 == 0, name="co2_accounting")
    caps_p = tables["periods"].dropna(subset=["co2_cap_Mt"])
    if len(caps_p):
        capped = caps_p["period"].to_numpy(dtype=np.int64)
        m.add_constraints(co2.sel(period=capped).sum("region") <= da(caps_p["co2_cap_Mt"].to_numpy(float), pd.Index(capped, name="period")), name="co2_cap")
    tax = tables["periods"]["co2_tax_CNY_per_t"].fillna(0.0).to_numpy(float)
    if (tax != 0).any():
        objective.append((da(tax * 1e-3 * w, i_per) * co2).sum())

    m.add_objective(sum(objective[1:], objective[0]))
    return m


# --------------------------------------------------------------------------- workers (one per subprocess)


def peak_mib() -> float:
    """Peak resident set size of this process so far (MiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def parse_options(args) -> dict:
    options = {"solver": args.solver, "threads": args.threads}
    if args.time_limit:
        options["time_limit"] = float(args.time_limit)
    for item in args.highs or []:
        name, _, value = item.partition("=")
        options[name.strip()] = value.strip()
    return options


def add_extension(model) -> None:
    """A user extension of the size a modeller writes: a national cap on the second technology's capacity in every
    period (one row per period over all regions) and a floor on its annual output in the last period (one row over
    every region and time step: thousands of generation elements made on demand)."""
    import pyomo.environ as pyo

    m = model.pyomo
    technology = model.data.technologies.index[1]
    keys = [key for key in m.capacity_index if key[0] == technology]
    periods = sorted({p for _, _, p in keys})
    m.national_cap = pyo.Constraint(periods, rule=lambda m, p: sum(m.capacity[t, r, q] for t, r, q in keys if q == p) <= 1e6)
    hours = model.data.time.set_index("time")["weight_h"]
    last = [key for key in m.generation_index if key[0] == technology and key[2] == periods[-1]]
    m.output_floor = pyo.Constraint(expr=sum(hours[h] * m.generation[key + (h,)] for key in last for h in m.time) >= 0)


def worker_ours(args) -> dict:
    import optimiser
    from optimiser.model.program import compile_program

    solve_module = importlib.import_module("optimiser.solve")

    result = {"side": "ours", "rss_import_mib": peak_mib()}
    options = parse_options(args)
    profiler = None
    if args.profile_out:
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
    start, cpu = time.perf_counter(), time.process_time()
    case = optimiser.load_case(args.case)
    result["load_s"] = time.perf_counter() - start
    result["load_cpu_s"] = time.process_time() - cpu
    cpu = time.process_time()
    model = optimiser.build_model(case, pyomo=not args.no_pyomo)
    result["build_cpu_s"] = time.process_time() - cpu
    result["build_arrays_s"] = model.timings["build_arrays_s"]
    result["build_pyomo_s"] = model.timings.get("build_pyomo_s", 0.0)
    result.update(model.statistics())
    result["rss_build_mib"] = peak_mib()

    if args.extension:
        add_extension(model)
    # transfer exactly as optimiser.solve does it (what the user added to the Pyomo model compiled onto the arrays,
    # CSC conversion, one passModel), without solving
    start, cpu = time.perf_counter(), time.process_time()
    finished, extensions = compile_program(model)
    result["extension_rows"] = len(extensions.rows)
    csc = finished.matrix.tocsc()
    highs = solve_module._new_highs({k: v for k, v in options.items()}, None)
    solve_module._pass(highs, finished.cost, finished.col_lower, finished.col_upper, csc, finished.row_lower, finished.row_upper, finished.objective_offset)
    result["transfer_s"] = time.perf_counter() - start
    result["transfer_cpu_s"] = time.process_time() - cpu
    result["rss_transfer_mib"] = peak_mib()
    highs.clear()
    del highs, csc

    if profiler is not None:
        profiler.disable()
    if args.solve:
        log = OUT / f"highs_{Path(args.case).name}.log"
        cpu = time.process_time()
        solution = optimiser.solve(model, options, log_file=log)
        result["solve_s"] = solution.timings["solve_s"]
        result["solve_cpu_s"] = time.process_time() - cpu  # all threads; includes the transfer
        result["solve_transfer_s"] = solution.timings["transfer_s"]
        result["status"] = solution.status
        result["objective"] = solution.objective
        result["ipm_iterations"] = solution.info.get("ipm_iterations")
        result["simplex_iterations"] = solution.info.get("simplex_iterations")
        result["rss_solve_mib"] = peak_mib()
    else:
        solution = optimiser.Solution(
            status="not solved (benchmark)", optimal=True, objective=float("nan"),
            x=np.zeros(model.lp.n_cols), row_dual=np.zeros(model.lp.n_rows), solver="highs", solver_version="", options={},
        )
    if profiler is not None:
        profiler.enable()
    start, cpu = time.perf_counter(), time.process_time()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        dataset = optimiser.extract(model, solution)
    result["extract_s"] = time.perf_counter() - start
    result["extract_cpu_s"] = time.process_time() - cpu
    if profiler is not None:
        profiler.disable()
        profiler.dump_stats(args.profile_out)
    result["n_results"] = len(dataset.data_vars)
    result["rss_peak_mib"] = peak_mib()
    return result


def worker_linopy(args) -> dict:
    import linopy

    result = {"side": "linopy", "linopy_version": linopy.__version__}
    import highspy  # noqa: F401  (imported before timing, as on our side)
    import xarray  # noqa: F401

    result["rss_import_mib"] = peak_mib()
    start = time.perf_counter()
    settings, tables = read_raw_tables(args.case)
    result["load_s"] = time.perf_counter() - start
    start, cpu = time.perf_counter(), time.process_time()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        m = build_linopy(settings, tables)
    result["build_s"] = time.perf_counter() - start
    result["build_cpu_s"] = time.process_time() - cpu
    result["rss_build_mib"] = peak_mib()
    start, cpu = time.perf_counter(), time.process_time()
    h = m.to_highspy() if hasattr(m, "to_highspy") else linopy.io.to_highspy(m)
    result["transfer_s"] = time.perf_counter() - start
    result["transfer_cpu_s"] = time.process_time() - cpu
    result["rss_transfer_mib"] = peak_mib()
    result["variables"] = int(h.getNumCol())
    result["constraints"] = int(h.getNumRow())
    result["nonzeros"] = int(h.getNumNz())
    if args.solve:
        from optimiser.solve import parse_option_value

        h.setOptionValue("output_flag", False)
        for name, value in parse_options(args).items():
            h.setOptionValue(name, parse_option_value(h, name, value))
        start = time.perf_counter()
        h.run()
        result["solve_s"] = time.perf_counter() - start
        result["status"] = h.modelStatusToString(h.getModelStatus())
        result["objective"] = float(h.getInfo().objective_function_value) + float(m.objective.const if hasattr(m.objective, "const") else 0.0)
    result["rss_peak_mib"] = peak_mib()
    return result


# --------------------------------------------------------------------------- orchestration


def run_worker(side: str, case: Path, args, solve: bool, profile_out: str | None = None) -> dict:
    command = [sys.executable, str(Path(__file__).resolve()), "--worker", side, "--case", str(case), "--solver", args.solver, "--threads", str(args.threads)]
    if args.time_limit:
        command += ["--time-limit", str(args.time_limit)]
    for item in args.highs or []:
        command += ["--highs", item]
    if solve:
        command.append("--solve")
    if args.no_pyomo:
        command.append("--no-pyomo")
    if getattr(args, "extension", False) and side == "ours":
        command.append("--extension")
    if profile_out:
        command += ["--profile-out", profile_out]
    start = time.perf_counter()
    load_before = os.getloadavg()[0]
    completed = subprocess.run(command, capture_output=True, text=True, timeout=args.timeout)
    wall = time.perf_counter() - start
    lines = [line for line in completed.stdout.splitlines() if line.startswith(RESULT_TAG)]
    if completed.returncode != 0 or not lines:
        sys.stderr.write(completed.stdout[-3000:] + completed.stderr[-5000:])
        raise RuntimeError(f"{side} worker failed on {case} (exit {completed.returncode})")
    result = json.loads(lines[-1][len(RESULT_TAG):])
    result["wall_s"] = wall
    # 1-minute load average before and after the worker (the worker itself adds about 1, 2 while HiGHS runs
    # on 2 threads): clearly more than that means that other work shared the machine and slowed the timings
    result["loadavg"] = [round(load_before, 2), round(os.getloadavg()[0], 2)]
    return result


def median(rows: list[dict], key: str):
    values = [row[key] for row in rows if row.get(key) is not None and not (isinstance(row[key], float) and math.isnan(row[key]))]
    return statistics.median(values) if values else None


def summarise(name: str, size: Size, ours: list[dict], lino: list[dict]) -> dict:
    row = {"size": name, "shape": size.label(), "reps": len(ours)}
    for key in ("variables", "constraints", "nonzeros"):
        row[key] = ours[0][key]
    for key in ("load_s", "build_arrays_s", "build_pyomo_s", "transfer_s", "extract_s"):
        row[key] = median(ours, key)
    row["solve_s"] = median(ours, "solve_s")
    row["solve_cpu_s"] = median(ours, "solve_cpu_s")
    solved = [r for r in ours if r.get("solve_s") is not None]
    row["status"] = solved[0]["status"] if solved else "not solved"
    row["objective"] = solved[0]["objective"] if solved else None
    row["rss_model_mib"] = max(r["rss_transfer_mib"] for r in ours)
    row["max_loadavg"] = max(max(r["loadavg"]) for r in ours + lino)
    row["rss_peak_mib"] = max(r["rss_peak_mib"] for r in ours)
    ours_bt = row["build_arrays_s"] + row["build_pyomo_s"] + row["transfer_s"]
    row["ours_build_transfer_s"] = ours_bt
    # the same in CPU time of the process (robust against other work sharing the machine)
    row["ours_build_transfer_cpu_s"] = median(ours, "build_cpu_s") + median(ours, "transfer_cpu_s")
    model_side = ours_bt + row["extract_s"]
    row["model_side_s"] = model_side
    row["model_side_share_of_solve"] = model_side / row["solve_s"] if row["solve_s"] else None
    if lino:
        row["linopy_load_s"] = median(lino, "load_s")
        row["linopy_build_s"] = median(lino, "build_s")
        row["linopy_transfer_s"] = median(lino, "transfer_s")
        row["linopy_variables"] = lino[0]["variables"]
        row["linopy_constraints"] = lino[0]["constraints"]
        row["linopy_nonzeros"] = lino[0]["nonzeros"]
        row["linopy_rss_peak_mib"] = max(r["rss_peak_mib"] for r in lino)
        linopy_bt = row["linopy_build_s"] + row["linopy_transfer_s"]
        row["linopy_build_transfer_s"] = linopy_bt
        row["ratio_build_transfer"] = ours_bt / linopy_bt
        row["ratio_build_transfer_no_pyomo"] = (row["build_arrays_s"] + row["transfer_s"]) / linopy_bt
        row["linopy_build_transfer_cpu_s"] = median(lino, "build_cpu_s") + median(lino, "transfer_cpu_s")
        row["ratio_build_transfer_cpu"] = row["ours_build_transfer_cpu_s"] / row["linopy_build_transfer_cpu_s"]
        lino_solved = [r for r in lino if r.get("solve_s") is not None]
        if lino_solved:
            row["linopy_objective"] = lino_solved[0]["objective"]
            row["linopy_solve_s"] = lino_solved[0]["solve_s"]
    return row


def fmt(value, digits=2):
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def markdown_table(rows: list[dict]) -> str:
    head = [
        "size", "shape", "variables", "constraints", "non-zeros", "load s", "build arrays s", "build Pyomo s", "transfer s",
        "HiGHS solve s", "extract s", "peak RSS model MiB", "peak RSS total MiB", "linopy build s", "linopy transfer s",
        "ours/linopy build+transfer", "(same, without Pyomo)", "(same, CPU time)", "model side / solve", "max load avg",
    ]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in rows:
        share = r.get("model_side_share_of_solve")
        lines.append(
            "| " + " | ".join(
                [
                    r["size"], r["shape"], f"{r['variables']:,}", f"{r['constraints']:,}", f"{r['nonzeros']:,}", fmt(r["load_s"]),
                    fmt(r["build_arrays_s"]), fmt(r["build_pyomo_s"]), fmt(r["transfer_s"]), fmt(r["solve_s"], 1), fmt(r["extract_s"]),
                    fmt(r["rss_model_mib"], 0), fmt(r["rss_peak_mib"], 0), fmt(r.get("linopy_build_s")), fmt(r.get("linopy_transfer_s")),
                    fmt(r.get("ratio_build_transfer")), fmt(r.get("ratio_build_transfer_no_pyomo")), fmt(r.get("ratio_build_transfer_cpu")),
                    f"{100 * share:.1f} %" if share is not None else "–", fmt(r.get("max_loadavg"), 1),
                ]
            ) + " |"
        )
    return "\n".join(lines)


def print_profile(path: str, limit: int = 25) -> None:
    import pstats

    stats = pstats.Stats(path)
    print(f"\n=== cProfile of load + build + transfer + extract ({path}) — top by cumulative time ===")
    stats.sort_stats("cumulative").print_stats(limit)
    print("=== top by own (total) time ===")
    stats.sort_stats("tottime").print_stats(limit)
    print("=== optimiser/ functions by cumulative time ===")
    stats.sort_stats("cumulative").print_stats(r"optimiser/", limit)


def size_from_args(args) -> list[tuple[str, Size]]:
    if args.regions:
        custom = Size(args.regions, args.periods, args.days, args.techs, args.storages, args.seed)
        return [("custom", custom)]
    return [(name, Size(**{**asdict(SIZES[name]), "seed": args.seed})) for name in (args.sizes or ["30k"])]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__.split("\n\n", 1)[1])
    parser.add_argument("--sizes", nargs="+", choices=list(SIZES), help="named sizes (default: 30k; with --check: tiny and a 1-storage variant)")
    parser.add_argument("--regions", type=int, help="custom size: number of regions (with --periods, --days, --techs, --storages)")
    parser.add_argument("--periods", type=int, default=3)
    parser.add_argument("--days", type=int, default=4, help="representative days of 24 hourly steps")
    parser.add_argument("--techs", type=int, default=6, help="conversion technologies")
    parser.add_argument("--storages", type=int, default=2, choices=(1, 2))
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--reps", type=int, default=3, help="repetitions (timing columns are medians)")
    parser.add_argument("--solve-reps", type=int, default=1, help="repetitions that also run the HiGHS solve")
    parser.add_argument("--no-solve", action="store_true", help="skip the HiGHS solve (extraction then runs on a dummy solution)")
    parser.add_argument("--linopy", action="store_true", help="also build and transfer the same LP with linopy")
    parser.add_argument("--check", action="store_true", help="solve both formulations on a small size and compare objectives")
    parser.add_argument("--no-pyomo", action="store_true", help="build_model(pyomo=False): skip the Pyomo objects")
    parser.add_argument("--extension", action="store_true", help="add a user extension to the Pyomo model (add_extension) before the transfer")
    parser.add_argument("--solver", default="ipm", help="HiGHS solver option (default ipm)")
    parser.add_argument("--threads", type=int, default=2, help="HiGHS threads (default 2)")
    parser.add_argument("--time-limit", type=float, help="HiGHS time_limit in seconds")
    parser.add_argument("--highs", action="append", metavar="NAME=VALUE", help="further HiGHS option (repeatable)")
    parser.add_argument("--timeout", type=float, default=3600, help="seconds before a worker subprocess is killed")
    parser.add_argument("--profile", action="store_true", help="after timing, cProfile our model side once per size and print hot spots")
    parser.add_argument("--keep", action="store_true", help="keep the generated case folders (under benchmarks/out/)")
    parser.add_argument("--json", help="write the summary rows to this JSON file (default benchmarks/out/bench_<time>.json)")
    # worker mode (internal)
    parser.add_argument("--worker", choices=("ours", "linopy"), help=argparse.SUPPRESS)
    parser.add_argument("--case", help=argparse.SUPPRESS)
    parser.add_argument("--solve", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--profile-out", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.worker:
        OUT.mkdir(parents=True, exist_ok=True)
        result = worker_ours(args) if args.worker == "ours" else worker_linopy(args)
        print(RESULT_TAG + json.dumps(result))
        return 0

    OUT.mkdir(parents=True, exist_ok=True)
    if args.check:
        return check(args)

    rows = []
    for name, size in size_from_args(args):
        folder = Path(tempfile.mkdtemp(prefix=f"bench_{name}_", dir=OUT if args.keep else None))
        try:
            start = time.perf_counter()
            write_case(folder, size)
            print(f"[{name}] {size.label()}: case written in {time.perf_counter() - start:.1f} s to {folder}", flush=True)
            ours, lino = [], []
            for rep in range(args.reps):
                solve = (not args.no_solve) and rep < args.solve_reps
                r = run_worker("ours", folder, args, solve)
                ours.append(r)
                print(
                    f"[{name}] rep {rep + 1} ours: {r['variables']:,} vars, {r['constraints']:,} rows, {r['nonzeros']:,} nnz; "
                    f"load {r['load_s']:.2f} arrays {r['build_arrays_s']:.2f} pyomo {r['build_pyomo_s']:.2f} transfer {r['transfer_s']:.2f} "
                    f"solve {fmt(r.get('solve_s'), 1)} extract {r['extract_s']:.2f} s; peak {r['rss_peak_mib']:.0f} MiB"
                    + (f"; {r['status']} obj {r['objective']:.8g}" if solve else "")
                    + f"; load average {r['loadavg'][0]:.1f} -> {r['loadavg'][1]:.1f}",
                    flush=True,
                )
                if args.linopy:
                    lr = run_worker("linopy", folder, args, False)
                    lino.append(lr)
                    print(
                        f"[{name}] rep {rep + 1} linopy: {lr['variables']:,} vars, {lr['constraints']:,} rows, {lr['nonzeros']:,} nnz; "
                        f"build {lr['build_s']:.2f} transfer {lr['transfer_s']:.2f} s; peak {lr['rss_peak_mib']:.0f} MiB",
                        flush=True,
                    )
            row = summarise(name, size, ours, lino)
            rows.append(row)
            if args.profile:
                prof = str(OUT / f"profile_{name}.prof")
                run_worker("ours", folder, args, False, profile_out=prof)
                print_profile(prof)
        finally:
            if not args.keep:
                shutil.rmtree(folder, ignore_errors=True)
    print()
    print(markdown_table(rows))
    for r in rows:
        if r.get("ratio_build_transfer") is not None:
            print(
                f"[{r['size']}] ours build+transfer {r['ours_build_transfer_s']:.2f} s / linopy build+transfer {r['linopy_build_transfer_s']:.2f} s = {r['ratio_build_transfer']:.2f}"
                f" (CPU time: {r['ours_build_transfer_cpu_s']:.2f} / {r['linopy_build_transfer_cpu_s']:.2f} = {r['ratio_build_transfer_cpu']:.2f})"
            )
        if r.get("model_side_share_of_solve") is not None:
            print(f"[{r['size']}] model side (build+transfer+extract) {r['model_side_s']:.2f} s = {100 * r['model_side_share_of_solve']:.1f} % of HiGHS solve {r['solve_s']:.1f} s")
    target = Path(args.json) if args.json else OUT / f"bench_{time.strftime('%Y%m%d_%H%M%S')}.json"
    target.write_text(json.dumps(rows, indent=2))
    print(f"summary written to {target}")
    return 0


def check(args) -> int:
    """Solve our model and the linopy formulation on small sizes; compare objectives and sizes."""
    sizes = size_from_args(args) if (args.regions or args.sizes) else [("tiny", SIZES["tiny"]), ("tiny-1s", Size(3, 2, 1, 4, 1, seed=7))]
    failures = 0
    for name, size in sizes:
        folder = Path(tempfile.mkdtemp(prefix=f"check_{name}_"))
        try:
            write_case(folder, size)
            ours = run_worker("ours", folder, args, True)
            lino = run_worker("linopy", folder, args, True)
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        a, b = ours["objective"], lino["objective"]
        rel = abs(a - b) / max(abs(a), 1e-12)
        same_size = (ours["variables"], ours["constraints"]) == (lino["variables"], lino["constraints"])
        ok = rel <= 1e-6 and ours["status"] == "Optimal" and lino["status"] == "Optimal"
        failures += not ok
        print(
            f"[{name}] {size.label()}: ours {ours['status']} {a:.10g} ({ours['variables']} vars, {ours['constraints']} rows, {ours['nonzeros']} nnz) | "
            f"linopy {lino['status']} {b:.10g} ({lino['variables']} vars, {lino['constraints']} rows, {lino['nonzeros']} nnz) | "
            f"relative difference {rel:.2e} -> {'OK' if ok else 'MISMATCH'}" + ("" if same_size else " (sizes differ)")
        )
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
