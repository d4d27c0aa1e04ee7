"""Loading, checking and summarising results for post-processing.

Everything in :mod:`optimiser.postprocess` works on a *summary* dataset: the results
without the time dimension, plus a few annual aggregates computed here from the
time-resolved variables (corridor flows, storage discharge, hydrogen production,
demand, average prices and price duration curves).  The summary of a large run (an
hourly China case) is small, so several runs can be concatenated along a
``scenario`` dimension and handled like one.

A dataset with a ``scenario`` dimension is accepted everywhere: every table gets a
``scenario`` column, every plot overlays or facets the scenarios.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr
import yaml

from ..results import RESULTS_MARKER, ResultsFileError, open_results

#: variables every post-processing step needs
REQUIRED = (
    "capacity",
    "capacity_new",
    "generation_annual",
    "technology_type",
    "technology_carrier_out",
    "period_years",
)
#: per-technology / per-carrier / per-corridor descriptions: identical in every scenario
STATIC = (
    "technology_type",
    "technology_carrier_out",
    "technology_carrier_in",
    "carrier_unit",
    "carrier_co2_content",
    "carrier_biogenic",
    "corridor_carrier",
    "corridor_region_from",
    "corridor_region_to",
    "corridor_length_km",
    "period_label",
    "period_historical",
    *(f"reference_{column}" for column in ("quantity", "technologies", "period", "value", "low", "high", "unit", "tolerance", "kind", "label", "source")),
)
#: fossil fuel names used to classify technologies when the results file lacks carrier CO2 contents
FOSSIL_NAMES = {"coal", "gas", "natural_gas", "oil", "lignite", "diesel", "lng", "petroleum", "fuel_oil"}
#: grid of the price duration curves: share of the year's hours (0 = most expensive hour)
DURATION_GRID = np.linspace(0.0, 1.0, 101)
SUMMARY_MARKER = "postprocess_summary"
SCENARIO = "scenario"


class PostprocessError(ResultsFileError):
    """The dataset cannot be post-processed (not a results file, no solution, a variable missing)."""


# --------------------------------------------------------------------------- loading


def load(path: str | Path) -> xr.Dataset:
    """Open a results file and return its summary (checked; ResultsFileError on bad input)."""
    path = Path(path)
    ds = open_results(path)
    try:
        check(ds, source=str(path))
        summary = summarise(ds)
        summary = summary.load()
    finally:
        ds.close()
    summary.attrs["results_file"] = str(path)
    return summary


def check(ds: xr.Dataset, names=REQUIRED, source: str = "dataset", marker: bool = True) -> None:
    """Raise a clear error if ``ds`` is not a solved results dataset with the variables ``names``."""
    if not isinstance(ds, xr.Dataset):
        raise PostprocessError(f"{source}: expected an xarray.Dataset of results, got {type(ds).__name__}")
    if marker and RESULTS_MARKER not in ds.attrs and SUMMARY_MARKER not in ds.attrs:
        raise PostprocessError(f"{source}: not a results dataset of this optimiser (attribute '{RESULTS_MARKER}' missing)")
    if "capacity" not in ds and not _optimal(ds):
        raise PostprocessError(
            f"{source}: the run has no optimal solution (status: {ds.attrs.get('status')}), so there is nothing to post-process"
        )
    missing = [name for name in names if name not in ds.variables]
    if missing:
        raise PostprocessError(f"{source}: results lack the variable(s) {', '.join(missing)} needed for post-processing")


def _optimal(ds) -> bool:
    value = ds.attrs.get("optimal", 0)
    try:
        return bool(int(value))
    except (TypeError, ValueError):
        return False


def settings(ds: xr.Dataset) -> dict:
    """The case settings stored in the results (empty if absent)."""
    text = ds.attrs.get("settings")
    if not text:
        return {}
    try:
        value = yaml.safe_load(text)
    except yaml.YAMLError:
        return {}
    return value if isinstance(value, dict) else {}


def period_labels(ds: xr.Dataset) -> pd.Series:
    """The years each period stands for ("2025-2029"), by period; the label alone for results written before labels."""
    periods = [int(p) for p in ds["period"].values]
    if "period_label" in ds:
        labels = ds["period_label"]
        if SCENARIO in labels.dims:
            labels = labels.isel({SCENARIO: 0})
        return pd.Series([str(v) for v in labels.values], index=periods)
    return pd.Series([str(p) for p in periods], index=periods)


def carrier_names(ds: xr.Dataset) -> dict:
    """Names of the electricity, hydrogen and captured-CO2 carriers of the case."""
    s = settings(ds)
    return {
        "electricity": s.get("electricity_carrier") or "electricity",
        "hydrogen": s.get("hydrogen_carrier") or "hydrogen",
        "co2": s.get("co2_captured_carrier") or "",
    }


# --------------------------------------------------------------------------- summary


def summarise(ds: xr.Dataset) -> xr.Dataset:
    """Drop the time dimension; keep annual aggregates. Idempotent; keeps a ``scenario`` dimension."""
    if "time" not in ds.dims:
        out = ds.copy()
        out.attrs[SUMMARY_MARKER] = 1
        return out
    weight = ds["time_weight_h"]
    out = ds[[name for name, v in ds.data_vars.items() if "time" not in v.dims]].copy()
    out = out.drop_vars([c for c in out.coords if c == "time" or "time" in out[c].dims], errors="ignore")
    out["hours_per_year"] = weight.sum("time").assign_attrs(units="h", description="Hours the time steps stand for")

    def annual(name, description, units="TWh/yr"):
        return ((ds[name] * weight).sum("time") * 1e-3).assign_attrs(units=units, description=description)

    if "flow_forward" in ds:
        out["flow_forward_annual"] = annual("flow_forward", "Annual flow sent from region_from to region_to (Mt/yr for mass carriers)")
        out["flow_backward_annual"] = annual("flow_backward", "Annual flow sent from region_to to region_from (Mt/yr for mass carriers)")
    elif "flow" in ds:
        forward = (ds["flow"].clip(min=0) * weight).sum("time") * 1e-3
        backward = ((-ds["flow"]).clip(min=0) * weight).sum("time") * 1e-3
        out["flow_forward_annual"] = forward.assign_attrs(units="TWh/yr", description="Annual net flow from region_from to region_to")
        out["flow_backward_annual"] = backward.assign_attrs(units="TWh/yr", description="Annual net flow from region_to to region_from")
    if "flow_forward" in ds and "corridor_capacity" in ds:
        peak = np.maximum(ds["flow_forward"], ds["flow_backward"]).max("time")
        out["flow_peak"] = peak.assign_attrs(units="GW", description="Largest flow in either direction")
    for name, description in (
        ("storage_discharge", "Annual discharge of storage"),
        ("storage_charge", "Annual charge of storage"),
        ("hydrogen_production", "Annual hydrogen output by production technology (LHV)"),
        ("demand", "Annual exogenous demand (Mt/yr for mass carriers)"),
        ("lost_load", "Annual unserved demand"),
    ):
        if name in ds:
            out[f"{name}_annual"] = annual(name, description)
    if "price" in ds:
        price = ds["price"]
        valid = price.notnull()
        w = weight.where(valid, 0.0)
        out["price_mean"] = ((price.fillna(0.0) * w).sum("time") / w.sum("time")).assign_attrs(
            units="CNY/MWh", description="Time-weighted average price (CNY/t for mass carriers)"
        )
        if "demand" in ds:
            dw = (ds["demand"] * weight).where(valid, 0.0)
            total = dw.sum("time")
            out["price_demand_weighted"] = ((price.fillna(0.0) * dw).sum("time") / total.where(total > 0)).assign_attrs(
                units="CNY/MWh", description="Demand-weighted average price (NaN where no demand)"
            )
        electricity = carrier_names(ds)["electricity"]
        if electricity in ds["carrier"].values:
            pe = price.sel(carrier=electricity, drop=True)
            out["price_electricity_duration"] = _duration(pe, weight).assign_attrs(
                units="CNY/MWh", description="Electricity price duration curve by region (price exceeded in the given share of hours)"
            )
            if "demand" in ds:
                d = (ds["demand"].sel(carrier=electricity, drop=True) * pe.notnull())
                national = (pe.fillna(0.0) * d).sum("region") / d.sum("region").where(d.sum("region") > 0)
            else:
                national = pe.mean("region")
            out["price_electricity_duration_national"] = _duration(national, weight).assign_attrs(
                units="CNY/MWh", description="Demand-weighted national electricity price duration curve"
            )
    if "storage_level" in ds:
        out["storage_level_max"] = ds["storage_level"].max("time").assign_attrs(units="GWh", description="Highest state of charge")
    out.attrs[SUMMARY_MARKER] = 1
    return out


def _duration(price: xr.DataArray, weight: xr.DataArray) -> xr.DataArray:
    """Weighted duration curve along time, sampled at DURATION_GRID (share of hours, descending price)."""
    price, weight = xr.broadcast(price, weight)
    price = price.transpose(..., "time")
    weight = weight.transpose(..., "time")
    values = price.to_numpy()
    weights = weight.to_numpy()
    lead = values.shape[:-1]
    flat_v = values.reshape(-1, values.shape[-1])
    flat_w = weights.reshape(-1, values.shape[-1])
    out = np.full((flat_v.shape[0], len(DURATION_GRID)), np.nan)
    for i, (v, w) in enumerate(zip(flat_v, flat_w)):
        keep = np.isfinite(v) & (w > 0)
        if not keep.any():
            continue
        order = np.argsort(-v[keep], kind="stable")
        sv, sw = v[keep][order], w[keep][order]
        upper = np.cumsum(sw) / sw.sum()
        idx = np.searchsorted(upper, DURATION_GRID, side="left").clip(max=len(sv) - 1)
        out[i] = sv[idx]
    dims = list(price.dims[:-1]) + ["hours_share"]
    coords = {d: price[d] for d in price.dims[:-1] if d in price.coords}
    coords["hours_share"] = DURATION_GRID
    return xr.DataArray(out.reshape(*lead, len(DURATION_GRID)), dims=dims, coords=coords)


# --------------------------------------------------------------------------- scenarios


def prepare(ds: xr.Dataset, source: str = "dataset", names=REQUIRED, marker: bool = True) -> xr.Dataset:
    """Check and summarise a dataset given to the Python API (a single run or several along ``scenario``)."""
    if isinstance(ds, xr.Dataset) and ds.attrs.get(SUMMARY_MARKER) and "time" not in ds.dims:
        return ds  # already prepared
    check(ds, names=names, source=source, marker=marker)
    summary = summarise(ds)
    for name in STATIC:
        if name in summary and SCENARIO in summary[name].dims:
            summary[name] = _first_along_scenario(summary[name])
    return summary


def _first_along_scenario(array: xr.DataArray) -> xr.DataArray:
    values = array.transpose(SCENARIO, ...).to_numpy()
    out = values[0].copy()
    for other in values[1:]:
        missing = pd.isna(out) | (out == "") if out.dtype == object else pd.isna(out)
        out = np.where(missing, other, out)
    dims = [d for d in array.dims if d != SCENARIO]
    return xr.DataArray(out, dims=dims, coords={d: array[d] for d in dims}, attrs=array.attrs)


def combine(datasets, names=None) -> xr.Dataset:
    """Concatenate several results (datasets or files) along a new ``scenario`` dimension.

    Technologies, regions, periods or corridors present in only some runs are kept (outer
    join); extensive quantities missing from a run read as 0 in the tables.
    """
    summaries = []
    for i, item in enumerate(datasets):
        if isinstance(item, (str, Path)):
            summaries.append(load(item))
        else:
            summaries.append(prepare(item, source=f"dataset {i + 1}"))
    if names is None:
        names = [str(s.attrs.get("case") or f"run{i + 1}") for i, s in enumerate(summaries)]
    names = _unique(list(names))
    if len(names) != len(summaries):
        raise PostprocessError(f"{len(names)} scenario names for {len(summaries)} results")
    static = None
    for s in summaries:
        part = s[[n for n in STATIC if n in s]]
        part = part.drop_vars([c for c in part.coords if c not in part.dims])
        static = part if static is None else static.combine_first(part)
    bodies = [s.drop_vars([n for n in STATIC if n in s]) for s in summaries]
    # union of the labels of every dimension, in order of first appearance (an outer join would sort them)
    union = {}
    for body in bodies:
        for dim in body.dims:
            labels = union.setdefault(dim, [])
            seen = set(labels)
            labels.extend(v for v in body[dim].values.tolist() if v not in seen)
    bodies = [body.reindex({dim: labels for dim, labels in union.items() if dim in body.dims}) for body in bodies]
    combined = xr.concat(
        bodies,
        dim=SCENARIO,
        join="outer",
        data_vars="all",
        coords="minimal",
        compat="override",
        combine_attrs="drop",
    )
    combined = combined.assign_coords({SCENARIO: np.array(names, dtype=object)})
    combined = xr.merge([combined, static], join="outer", combine_attrs="drop")
    combined = combined.reindex({dim: labels for dim, labels in union.items() if dim in combined.dims})
    attrs = {name: _plain_attrs(s.attrs) for name, s in zip(names, summaries)}
    combined.attrs = {
        SUMMARY_MARKER: 1,
        RESULTS_MARKER: 1,
        "optimal": 1,
        "case": " vs ".join(names),
        "scenario_attrs": json.dumps(attrs),
    }
    return combined


def _unique(names: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for name in names:
        if name in seen:
            seen[name] += 1
            name = f"{name}_{seen[name]}"
        else:
            seen[name] = 1
        out.append(name)
    return out


def _plain_attrs(attrs: dict) -> dict:
    out = {}
    for key, value in attrs.items():
        if isinstance(value, (np.integer,)):
            value = int(value)
        elif isinstance(value, (np.floating,)):
            value = float(value)
        elif isinstance(value, np.ndarray):
            value = value.tolist()
        out[key] = value
    return out


def scenarios(ds: xr.Dataset) -> list:
    """Scenario labels, or [None] for a single run."""
    if SCENARIO in ds.dims:
        return [str(v) for v in ds[SCENARIO].values]
    return [None]


def scenario_attrs(ds: xr.Dataset) -> dict:
    """Run attributes per scenario label (None for a single run)."""
    if "scenario_attrs" in ds.attrs:
        return json.loads(ds.attrs["scenario_attrs"])
    if SCENARIO in ds.dims:
        return {s: dict(ds.attrs) for s in scenarios(ds)}
    return {None: dict(ds.attrs)}


def select(ds: xr.Dataset, scenario):
    """The part of ``ds`` for one scenario label (the dataset itself for a single run)."""
    if scenario is None or SCENARIO not in ds.dims:
        return ds
    return ds.sel({SCENARIO: scenario}, drop=True)


def case_name(ds: xr.Dataset) -> str:
    return str(ds.attrs.get("case") or "results")


# --------------------------------------------------------------------------- technology descriptions


def meta(ds: xr.Dataset, name: str, default="") -> pd.Series:
    """A per-technology (or per-carrier/corridor) description as a Series (first scenario's if several)."""
    if name not in ds:
        dim = "carrier" if name.startswith("carrier_") else "corridor" if name.startswith("corridor_") else "technology"
        return pd.Series(default, index=pd.Index(ds[dim].values.astype(str), name=dim)) if dim in ds.dims else pd.Series(dtype=object)
    array = ds[name]
    if SCENARIO in array.dims:
        array = _first_along_scenario(array)
    series = array.to_series()
    series.index = series.index.astype(str)
    if series.dtype == object or series.dtype.kind in "US":
        series = series.fillna(default).astype(str).replace({"nan": default})
    return series


def technology_frame(ds: xr.Dataset) -> pd.DataFrame:
    """Per technology: type, output and input carrier, capacity unit, output unit, fossil (carbon) flag."""
    techs = pd.Index(ds["technology"].values.astype(str), name="technology")
    frame = pd.DataFrame(index=techs)
    frame["type"] = meta(ds, "technology_type").reindex(techs).fillna("conversion")
    frame["carrier_out"] = meta(ds, "technology_carrier_out").reindex(techs).fillna("")
    frame["carrier_in"] = meta(ds, "technology_carrier_in").reindex(techs).fillna("")
    units = meta(ds, "carrier_unit")
    mass = frame["carrier_out"].map(lambda c: units.get(c, "GW") == "kt/h")
    frame["capacity_unit"] = np.where(mass, "kt/h", "GW")
    frame["output_unit"] = np.where(mass, "Mt/yr", "TWh/yr")
    frame["fossil"] = fossil_technologies(ds).reindex(techs).fillna(False).astype(bool)
    return frame


def fossil_technologies(ds: xr.Dataset) -> pd.Series:
    """True for technologies with a fossil input (carrier with CO2 content that is not biogenic).

    Uses ``carrier_co2_content`` and ``carrier_biogenic`` of the results; older results without
    them fall back to carrier names (coal, gas, oil, ...) and to positive direct emissions.
    """
    techs = pd.Index(ds["technology"].values.astype(str), name="technology")
    carrier_in = meta(ds, "technology_carrier_in").reindex(techs).fillna("")
    if "carrier_co2_content" in ds:
        content = meta(ds, "carrier_co2_content").astype(float)
        biogenic = meta(ds, "carrier_biogenic").astype(float) > 0 if "carrier_biogenic" in ds else pd.Series(False, index=content.index)
        fossil_carriers = set(content.index[(content > 0) & ~biogenic.reindex(content.index).fillna(False)])
    else:
        known = ds["carrier"].values.astype(str) if "carrier" in ds.coords else carrier_in.unique()
        fossil_carriers = {c for c in known if c.lower() in FOSSIL_NAMES}
    fossil = carrier_in.isin(fossil_carriers)
    if "co2_emissions_by_technology" in ds:
        emitted = ds["co2_emissions_by_technology"]
        emitted = emitted.sum([d for d in emitted.dims if d != "technology"])
        positive = (emitted.to_series() > 1e-9)
        positive.index = positive.index.astype(str)
        fossil = fossil | positive.reindex(techs).fillna(False)
    return fossil.astype(bool)


def nearest_period(periods, year: int) -> int:
    """The period label nearest to ``year`` (the earlier one on a tie)."""
    periods = sorted(int(p) for p in periods)
    return min(periods, key=lambda p: (abs(p - year), p))


def to_frame(array: xr.DataArray, name: str) -> pd.DataFrame:
    """A DataArray as a long DataFrame (one column per dimension, plus ``name``)."""
    frame = array.to_series().rename(name).reset_index()
    for column in frame.columns:
        if column != name and frame[column].dtype == object:
            frame[column] = frame[column].astype(str)
    return frame
