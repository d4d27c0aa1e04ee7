"""Plots of a results dataset (matplotlib, Agg: no display needed), written as PNG and SVG.

Figures are built with :class:`matplotlib.figure.Figure` on an Agg canvas directly (not pyplot),
so the application's backend and pyplot state are left alone and no window is opened.  Colours come from :mod:`.palette`: a technology
has the same colour in every plot.  With a ``scenario`` dimension, stacked plots get one panel
per scenario (facets) and line plots overlay the scenarios.
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass, field
from pathlib import Path

import matplotlib
import numpy as np
import pandas as pd
import xarray as xr
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from . import palette
from .common import SCENARIO, carrier_names, meta, prepare, scenarios, select, technology_frame
from .roadmap import TERM_LABELS, make_roadmap
from .schedule import electricity_shares

TOLERANCE = 1e-6
RC = {"svg.fonttype": "none", "svg.hashsalt": "optimiser", "font.size": 9, "axes.titlesize": 10}


@dataclass
class Plot:
    name: str
    title: str
    figure: Figure
    paths: list = field(default_factory=list)
    png: bytes = b""


# --------------------------------------------------------------------------- helpers


def _panels(ds):
    return [(label, select(ds, label)) for label in scenarios(ds)]


def _figure(n_panels: int, width: float = 5.2, height: float = 3.6, sharey: bool = True):
    ncols = min(n_panels, 3)
    nrows = math.ceil(n_panels / ncols)
    fig = Figure(figsize=(width * ncols + 1.8, height * nrows + 0.6), layout="constrained")
    axes = fig.subplots(nrows, ncols, sharey=sharey, squeeze=False).ravel()
    for ax in axes[n_panels:]:
        ax.set_visible(False)
    return fig, list(axes[:n_panels])


def _stacked(ax, frame: pd.DataFrame, colours: dict, width: float = 0.7, horizontal: bool = False):
    """Stacked bars of the columns of ``frame`` over its index; negatives stack downwards."""
    positions = np.arange(len(frame.index))
    up = np.zeros(len(positions))
    down = np.zeros(len(positions))
    for column in frame.columns:
        values = frame[column].to_numpy(dtype=float)
        base = np.where(values >= 0, up, down)
        if horizontal:
            ax.barh(positions, values, height=width, left=base, color=colours.get(column, "#999999"), label=str(column), linewidth=0)
        else:
            ax.bar(positions, values, width=width, bottom=base, color=colours.get(column, "#999999"), label=str(column), linewidth=0)
        up = np.where(values >= 0, up + values, up)
        down = np.where(values < 0, down + values, down)
    labels = [str(i) for i in frame.index]
    if horizontal:
        ax.set_yticks(positions, labels)
    else:
        ax.set_xticks(positions, labels)
    return up, down


def _legend(fig, items: dict, title: str | None = None):
    """One legend for the whole figure, right of the panels. ``items``: label -> colour."""
    if not items:
        return
    handles = [Patch(color=c, label=l) for l, c in items.items()]
    fig.legend(handles=handles, loc="outside right center", title=title, frameon=False)


def _title(ax, label, text):
    ax.set_title(text if label is None else f"{label}: {text}")


def _used(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.loc[:, frame.abs().max() > TOLERANCE] if not frame.empty else frame


def _by_technology(array: xr.DataArray, techs) -> pd.DataFrame:
    """(period x technology) DataFrame, national, technologies in stacking order, unused dropped."""
    if "region" in array.dims:
        array = array.sum("region")
    frame = array.fillna(0.0).sel(technology=list(techs)).transpose("period", "technology").to_pandas()
    frame.columns = frame.columns.astype(str)
    frame = _used(frame)
    return frame[palette.order(frame.columns)]


# --------------------------------------------------------------------------- plots


def _stacked_capacity(ds, variable: str, title: str) -> Figure | None:
    """Stacked bars of a (technology, period) capacity variable for technologies measured in GW."""
    techs = technology_frame(ds)
    gw = techs.index[techs["capacity_unit"] == "GW"]
    panels = _panels(ds)
    fig, axes = _figure(len(panels))
    items = {}
    for ax, (label, one) in zip(axes, panels):
        frame = _by_technology(one[variable], gw)
        _stacked(ax, frame, palette.colours(frame.columns))
        items.update(palette.colours(frame.columns))
        _title(ax, label, title)
        ax.set_ylabel("GW")
        ax.set_xlabel("period")
    if not items:
        return None
    _legend(fig, {t: items[t] for t in palette.order(items)}, "technology")
    return fig


def plot_capacity(ds) -> Figure | None:
    """Installed capacity by technology over periods (stacked, GW; storage as power)."""
    return _stacked_capacity(ds, "capacity", "Installed capacity")


def plot_generation(ds) -> Figure | None:
    """Electricity generation mix by period (TWh/yr), with the non-carbon share on top of each bar."""
    techs = technology_frame(ds)
    electricity = carrier_names(ds)["electricity"]
    producers = techs.index[(techs["carrier_out"] == electricity) & (techs["type"] != "storage")]
    if not len(producers):
        return None
    shares = electricity_shares(ds)
    panels = _panels(ds)
    fig, axes = _figure(len(panels))
    items = {}
    for ax, (label, one) in zip(axes, panels):
        frame = _by_technology(one["generation_annual"], producers)
        up, _ = _stacked(ax, frame, palette.colours(frame.columns))
        items.update(palette.colours(frame.columns))
        share = shares.sel({SCENARIO: label}) if label is not None and SCENARIO in shares.dims else shares
        for x, (period, top) in enumerate(zip(frame.index, up)):
            value = float(share.sel(period=period))
            if np.isfinite(value):
                ax.annotate(f"{100 * value:.0f} %", (x, top), ha="center", va="bottom", fontsize=8, xytext=(0, 2), textcoords="offset points")
        _title(ax, label, "Electricity generation (non-carbon share on top)")
        ax.set_ylabel("TWh/yr")
        ax.set_xlabel("period")
        ax.margins(y=0.1)
    _legend(fig, {t: items[t] for t in palette.order(items)}, "technology")
    return fig


def plot_new_builds(ds) -> Figure | None:
    """Capacity built in each period by technology (stacked, GW)."""
    return _stacked_capacity(ds, "capacity_new", "New capacity built in the period")


def plot_carbon_balance(ds) -> Figure | None:
    """Net CO2 of the three ends (stacked), net emissions (line) and the cap (dashed), Mt/yr."""
    if "carbon_balance" not in ds:
        return None
    panels = _panels(ds)
    fig, axes = _figure(len(panels))
    for ax, (label, one) in zip(axes, panels):
        frame = one["carbon_balance"].transpose("period", "end").to_pandas()
        frame.columns = frame.columns.astype(str)
        _stacked(ax, frame, palette.END_COLOURS)
        x = np.arange(len(frame.index))
        if "co2_net_emissions" in one:
            ax.plot(x, one["co2_net_emissions"].values, color="black", marker="o", label="net emissions")
        if "co2_cap" in one and np.isfinite(one["co2_cap"].values).any():
            ax.plot(x, one["co2_cap"].values, color="#d62728", linestyle="--", marker="_", markersize=14, label="cap")
        ax.axhline(0.0, color="#666666", linewidth=0.6)
        _title(ax, label, "Carbon balance by end")
        ax.set_ylabel("Mt CO2/yr")
        ax.set_xlabel("period")
    handles = [Patch(color=c, label=e) for e, c in palette.END_COLOURS.items()]
    handles += [Line2D([], [], color="black", marker="o", label="net emissions"), Line2D([], [], color="#d62728", linestyle="--", label="cap")]
    fig.legend(handles=handles, loc="outside right center", frameon=False)
    return fig


def plot_co2_price(ds) -> Figure | None:
    """Shadow price of CO2 over periods (one line per scenario)."""
    if "price_co2" not in ds:
        return None
    fig, (ax,) = _figure(1, width=6.0)
    for i, (label, one) in enumerate(_panels(ds)):
        ax.plot(one["period"].values, one["price_co2"].values, marker="o", label=label or "CO2 price", **palette.scenario_style(i))
    ax.set_title("CO2 price (shadow price of the cap and budget)")
    ax.set_ylabel("CNY/t CO2")
    ax.set_xlabel("period")
    ax.set_xticks(ds["period"].values)
    ax.set_ylim(bottom=min(0.0, float(np.nanmin(ds["price_co2"].values)) if ds["price_co2"].size else 0.0))
    if SCENARIO in ds.dims:
        ax.legend(frameon=False)
    return fig


def plot_electricity_price(ds) -> Figure | None:
    """Average electricity price by region per period (left) and national duration curves (right)."""
    name = "price_demand_weighted" if "price_demand_weighted" in ds else "price_mean"
    electricity = carrier_names(ds)["electricity"]
    if name not in ds or electricity not in ds["carrier"].values:
        return None
    has_curve = "price_electricity_duration_national" in ds
    fig = Figure(figsize=(12.5 if has_curve else 7.0, 4.0), layout="constrained")
    axes = fig.subplots(1, 2 if has_curve else 1, squeeze=False).ravel()
    ax = axes[0]
    regions = [str(r) for r in ds["region"].values]
    many = len(regions) > 10
    for i, (label, one) in enumerate(_panels(ds)):
        price = one[name].sel(carrier=electricity)
        style = palette.scenario_style(i)
        if many:  # national mean and the range across regions
            mean = price.mean("region")
            ax.fill_between(one["period"].values, price.min("region").values, price.max("region").values, color=style["color"], alpha=0.15)
            ax.plot(one["period"].values, mean.values, marker="o", label=f"{label + ': ' if label else ''}mean of regions (band: range)", **style)
        else:
            for region in regions:
                ax.plot(one["period"].values, price.sel(region=region).values, marker="o",
                        linestyle=palette.SCENARIO_STYLES[i % len(palette.SCENARIO_STYLES)],
                        color=palette.region_colour(region, regions), label=f"{label + ': ' if label else ''}{region}")
    ax.set_title("Average electricity price by region" + (" (demand-weighted)" if name == "price_demand_weighted" else ""))
    ax.set_ylabel("CNY/MWh")
    ax.set_xlabel("period")
    ax.set_xticks(ds["period"].values)
    ax.legend(frameon=False, fontsize=7)
    if has_curve:
        ax = axes[1]
        periods = [int(p) for p in ds["period"].values]
        cmap = matplotlib.colormaps["viridis"]
        for i, (label, one) in enumerate(_panels(ds)):
            curve = one["price_electricity_duration_national"]
            for j, period in enumerate(periods):
                ax.plot(100 * curve["hours_share"].values, curve.sel(period=period).values, color=cmap(j / max(1, len(periods) - 1)),
                        linestyle=palette.SCENARIO_STYLES[i % len(palette.SCENARIO_STYLES)], label=f"{label + ': ' if label else ''}{period}")
        ax.set_title("National electricity price duration curve")
        ax.set_xlabel("share of the hours of the year (%)")
        ax.set_ylabel("CNY/MWh")
        ax.legend(frameon=False, fontsize=7)
    return fig


def plot_hydrogen(ds) -> Figure | None:
    """Hydrogen production by route (stacked, TWh/yr LHV)."""
    techs = technology_frame(ds)
    hydrogen = carrier_names(ds)["hydrogen"]
    if "hydrogen_production_annual" in ds:
        source = ds["hydrogen_production_annual"]
        routes = [str(t) for t in source["technology"].values]
    else:
        routes = list(techs.index[(techs["carrier_out"] == hydrogen) & (techs["type"] != "storage")])
        source = ds["generation_annual"]
    if not routes:
        return None
    panels = _panels(ds)
    fig, axes = _figure(len(panels))
    items = {}
    for ax, (label, one) in zip(axes, panels):
        array = one["hydrogen_production_annual"] if "hydrogen_production_annual" in one else one["generation_annual"]
        frame = _by_technology(array, routes)
        _stacked(ax, frame, palette.colours(frame.columns))
        items.update(palette.colours(frame.columns))
        _title(ax, label, "Hydrogen production by route")
        ax.set_ylabel("TWh/yr (LHV)")
        ax.set_xlabel("period")
    if not items:
        return None
    _legend(fig, {t: items[t] for t in palette.order(items)}, "route")
    return fig


def plot_co2_stored(ds) -> Figure | None:
    """CO2 injected into geological storage by region (stacked, Mt/yr)."""
    if "co2_stored" not in ds or float(abs(ds["co2_stored"]).max()) <= TOLERANCE:
        return None
    regions = [str(r) for r in ds["region"].values]
    panels = _panels(ds)
    fig, axes = _figure(len(panels))
    items = {}
    for ax, (label, one) in zip(axes, panels):
        frame = one["co2_stored"].fillna(0.0).transpose("period", "region").to_pandas()
        frame.columns = frame.columns.astype(str)
        frame = _used(frame)
        colours = {r: palette.region_colour(r, regions) for r in frame.columns}
        _stacked(ax, frame, colours)
        items.update(colours)
        _title(ax, label, "CO2 stored by region")
        ax.set_ylabel("Mt CO2/yr")
        ax.set_xlabel("period")
    _legend(fig, items, "region")
    return fig


def plot_top_regions(ds, n: int = 8) -> Figure | None:
    """Installed capacity mix of the ``n`` regions with the most capacity in the last period (GW)."""
    techs = technology_frame(ds)
    gw = techs.index[techs["capacity_unit"] == "GW"]
    panels = _panels(ds)
    fig, axes = _figure(len(panels), height=max(2.5, 0.45 * min(n, ds.sizes["region"]) + 1.2), sharey=False)
    items = {}
    last = ds["period"].values[-1]
    for ax, (label, one) in zip(axes, panels):
        capacity = one["capacity"].fillna(0.0).sel(technology=list(gw), period=last)
        frame = capacity.transpose("region", "technology").to_pandas()
        frame.columns = frame.columns.astype(str)
        frame.index = frame.index.astype(str)
        frame = _used(frame)
        frame = frame[palette.order(frame.columns)]
        top = frame.sum(axis=1).sort_values(ascending=True).tail(n)
        frame = frame.loc[top.index]
        _stacked(ax, frame, palette.colours(frame.columns), horizontal=True)
        items.update(palette.colours(frame.columns))
        _title(ax, label, f"Capacity mix of the top {len(frame)} regions, {last}")
        ax.set_xlabel("GW")
    _legend(fig, {t: items[t] for t in palette.order(items)}, "technology")
    return fig


def plot_corridors(ds) -> Figure | None:
    """Corridor capacity in each period (grouped horizontal bars; GW, kt/h for CO2 pipelines)."""
    if "corridor_capacity" not in ds or ds.sizes.get("corridor", 0) == 0:
        return None
    panels = _panels(ds)
    capacity_all = ds["corridor_capacity"].fillna(0.0)
    used = [str(c) for c in ds["corridor"].values if float(abs(capacity_all.sel(corridor=c)).max()) > TOLERANCE]
    if not used:
        return None
    periods = [int(p) for p in ds["period"].values]
    cmap = matplotlib.colormaps["viridis"]
    colours = {str(p): cmap(j / max(1, len(periods) - 1)) for j, p in enumerate(periods)}
    units = {}
    if "corridor_carrier" in ds and "carrier_unit" in ds:
        carriers = meta(ds, "corridor_carrier")
        unit = meta(ds, "carrier_unit")
        units = {c: unit.get(carriers.get(c, ""), "GW") for c in used}
    fig, axes = _figure(len(panels), height=max(2.5, 0.5 * len(used) + 1.2), sharey=False)
    for ax, (label, one) in zip(axes, panels):
        frame = one["corridor_capacity"].fillna(0.0).sel(corridor=used).transpose("corridor", "period").to_pandas()
        y = np.arange(len(used))
        height = 0.8 / len(periods)
        for j, period in enumerate(periods):
            ax.barh(y + (j - (len(periods) - 1) / 2) * height, frame[period].values, height=height, color=colours[str(period)], label=str(period))
        ax.set_yticks(y, [f"{c} ({units.get(c, 'GW')})" for c in used])
        _title(ax, label, "Corridor capacity by period")
        ax.set_xlabel("capacity (GW; kt/h for CO2)")
    _legend(fig, colours, "period")
    return fig


def plot_roadmap(ds) -> Figure | None:
    """Roadmap: for each technology the span from first capacity to phase-out, its scale and peak periods,
    grouped by term (near / mid / long)."""
    roadmap = make_roadmap(ds)
    if roadmap.empty:
        return None
    panels = _panels(ds)
    periods = [int(p) for p in ds["period"].values]
    step = (periods[-1] - periods[-2]) if len(periods) > 1 else 5
    n_rows = max(len(roadmap[roadmap[SCENARIO] == label]) if label is not None else len(roadmap) for label, _ in panels)
    fig, axes = _figure(len(panels), height=max(2.5, 0.32 * n_rows + 1.2), sharey=False)

    for ax, (label, one) in zip(axes, panels):
        table = roadmap[roadmap[SCENARIO] == label] if label is not None else roadmap
        table = table.reset_index(drop=True)
        y = np.arange(len(table))[::-1]
        for yi, row in zip(y, table.itertuples(index=False)):
            capacity = one["capacity"].fillna(0.0).sel(technology=row.technology)
            if "region" in capacity.dims:
                capacity = capacity.sum("region")
            present = [p for p, v in zip(periods, capacity.values) if v > 1e-3]
            start = present[0] if present else periods[0]
            end = int(row.phase_out_period) if not pd.isna(row.phase_out_period) else periods[-1] + step
            ax.plot([start, end], [yi, yi], color=palette.colour(row.technology), linewidth=7, solid_capstyle="butt")
            if not pd.isna(row.scale_period):
                ax.plot(int(row.scale_period), yi, marker="o", color="black", markersize=4)
            if not pd.isna(row.peak_period):
                ax.plot(int(row.peak_period), yi, marker="*", color="#d62728", markersize=8)
        ax.set_yticks(y, [f"{t} [{term}]" for t, term in zip(table["technology"], table["term"])])
        ax.set_xticks(periods)
        ax.axvline(2030.5, color="#999999", linewidth=0.6, linestyle=":")
        ax.axvline(2045.5, color="#999999", linewidth=0.6, linestyle=":")
        _title(ax, label, "Technology roadmap")
        ax.set_xlabel("period")
    handles = [
        Line2D([], [], color="black", marker="o", linestyle="", label="reaches scale (half of peak)"),
        Line2D([], [], color="#d62728", marker="*", linestyle="", label="peak"),
        Line2D([], [], color="#999999", linewidth=6, label="installed (to phase-out)"),
    ]
    handles += [Line2D([], [], color="white", label=f"{tag}: {text}") for tag, text in TERM_LABELS.items() if tag != "none"]
    fig.legend(handles=handles, loc="outside right center", frameon=False)
    return fig


#: name -> (function, title); the order of the report
PLOTS = {
    "capacity": (plot_capacity, "Installed capacity by technology"),
    "generation": (plot_generation, "Electricity generation mix"),
    "new_builds": (plot_new_builds, "New builds per period"),
    "roadmap": (plot_roadmap, "Technology roadmap"),
    "carbon_balance": (plot_carbon_balance, "Carbon balance in the three ends, cap and net emissions"),
    "co2_price": (plot_co2_price, "CO2 price path"),
    "electricity_price": (plot_electricity_price, "Electricity price"),
    "hydrogen": (plot_hydrogen, "Hydrogen production by route"),
    "co2_stored": (plot_co2_stored, "CO2 stored by region"),
    "top_regions": (plot_top_regions, "Capacity mix of the top regions"),
    "corridors": (plot_corridors, "Corridor expansion"),
}


def make_plots(ds: xr.Dataset, out_dir: str | Path | None = None, formats=("png", "svg"), dpi: int = 100,
               names=None) -> list[Plot]:
    """Draw every applicable plot; write each as ``<out_dir>/<name>.<format>`` if ``out_dir`` is given.

    Returns the plots (with their PNG bytes, for embedding in the report).
    """
    ds = prepare(ds)
    out = []
    if out_dir is not None:
        out_dir = Path(out_dir)
        out_dir.mkdir(parents=True, exist_ok=True)
    with matplotlib.rc_context(RC):
        for name, (function, title) in PLOTS.items():
            if names is not None and name not in names:
                continue
            figure = function(ds)
            if figure is None:
                continue
            FigureCanvasAgg(figure)  # Agg: no display, no pyplot state
            plot = Plot(name, title, figure)
            buffer = io.BytesIO()
            figure.savefig(buffer, format="png", dpi=dpi)
            plot.png = buffer.getvalue()
            if out_dir is not None:
                for fmt in formats:
                    path = out_dir / f"{name}.{fmt}"
                    if fmt == "png":
                        path.write_bytes(plot.png)
                    else:
                        figure.savefig(path, format=fmt, dpi=dpi)
                    plot.paths.append(path)
            out.append(plot)
    return out
