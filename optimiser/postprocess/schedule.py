"""Tables of a results dataset: the technology schedule, corridors, CCUS, hydrogen, carbon balance, costs.

Units: capacity GW (kt/h for mass carriers such as captured CO2), storage energy GWh,
investment billion CNY of the case's price year, **undiscounted**, spent in the period
(new capacity x capex of the period; corridors are not included), annual output TWh/yr (Mt/yr).

Every function accepts a single run or several runs along a ``scenario`` dimension; the
tables then start with a ``scenario`` column.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

from .common import (
    period_labels,
    SCENARIO,
    PostprocessError,
    carrier_names,
    meta,
    nearest_period,
    prepare,
    scenario_attrs,
    scenarios,
    select,
    technology_frame,
    to_frame,
)

TOLERANCE = 1e-6
BY = ("national", "region")
TABLE_TITLES = {
    "headline": "Headline figures",
    "milestones": "Comparison with the seeds' milestones",
    "credibility": "Credibility: the results beside the record, milestones and published studies",
    "schedule": "Technology schedule",
    "roadmap": "Technology roadmap",
    "corridor_expansion": "Corridor expansion",
    "corridors": "Corridors by period",
    "ccus": "CCUS: captured and stored CO2",
    "hydrogen_production": "Hydrogen production by route",
    "hydrogen_storage": "Hydrogen storage",
    "hydrogen_pipelines": "Hydrogen pipelines",
    "carbon_balance": "Carbon balance (three ends)",
    "costs": "System cost by component",
    "time_representation": "Time representation: duration-curve errors of the aggregated year",
    "adequacy": "Capacity adequacy: reserve margins and capacity prices by area",
}


def _keys(ds: xr.Dataset, *dims: str) -> list[str]:
    out = [SCENARIO] if SCENARIO in ds.dims else []
    return out + [d for d in dims if d]


def _order(table: pd.DataFrame, first: list[str]) -> pd.DataFrame:
    first = [c for c in first if c in table.columns]
    return table[first + [c for c in table.columns if c not in first]]


def _by(by: str) -> str:
    if by not in BY:
        raise PostprocessError(f"--by must be one of {', '.join(BY)}, got {by!r}")
    return by


def clean(table: pd.DataFrame, tolerance: float = 1e-6) -> pd.DataFrame:
    """Round solver noise (|x| < tolerance, including -0.0) to 0 in the float columns.

    1e-6 of the tables' units (GW, GWh, TWh, Mt, bn CNY: 1 kW, 1 MWh, 1 t, 1000 CNY) is below anything a
    schedule reports and above the residues (~1e-7) that an interior-point solution without crossover
    leaves on variables that are zero at the vertex."""
    table = table.copy()
    for column in table.columns:
        if table[column].dtype.kind == "f":
            values = table[column]
            table[column] = values.where(~(values.abs() < tolerance), 0.0)
    return table


# --------------------------------------------------------------------------- technology schedule


def make_schedule(ds: xr.Dataset, by: str = "national", keep_zero: bool = False) -> pd.DataFrame:
    """One row per technology and period (and region if ``by='region'``, scenario if present).

    Columns: type, carrier (output), capacity_unit, new_capacity, installed_capacity,
    retired_capacity, new_energy_GWh, installed_energy_GWh (storage), investment_bn_CNY
    (undiscounted: new capacity x capex of the period, plus new storage energy x energy capex),
    annual_output and output_unit (conversion output; storage discharge), capacity_factor,
    supply_share (share of the conversion supply of the carrier; empty for storage), non_carbon.
    """
    ds = prepare(ds)
    by = _by(by)
    techs = technology_frame(ds)
    region = "region" if by == "region" else None

    def total(name):
        if name not in ds:
            return None
        array = ds[name].fillna(0.0)
        if region is None and "region" in array.dims:
            array = array.sum("region")
        return array

    capacity = total("capacity")
    new = total("capacity_new")
    retired = total("capacity_retired")
    if retired is None:
        previous = capacity.shift(period=1).fillna(0.0)
        retired = (previous + new - capacity).clip(min=0.0)
        retired[{"period": 0}] = 0.0
    energy = total("storage_energy_capacity")
    energy_new = total("storage_energy_new")
    zeros = xr.zeros_like(capacity)
    energy = zeros if energy is None else energy
    energy_new = zeros if energy_new is None else energy_new
    output = total("generation_annual")
    discharge = total("storage_discharge_annual")
    is_storage = xr.DataArray((techs["type"] == "storage").to_numpy(), dims="technology", coords={"technology": ds["technology"].values})
    if discharge is not None:
        output = xr.where(is_storage, discharge.reindex_like(output).fillna(0.0), output)
    if "capex_per_kW" in ds:
        capex = ds["capex_per_kW"].fillna(0.0)
        capex_energy = ds["capex_energy_per_kWh"].fillna(0.0) if "capex_energy_per_kWh" in ds else 0.0
        investment = (new * capex + energy_new * capex_energy) * 1e-3
    else:  # results written before capex was stored
        investment = zeros * np.nan
    hours = ds["hours_per_year"] if "hours_per_year" in ds else 8760.0
    factor = (output * 1e3 / (capacity * hours)).where(capacity > TOLERANCE)
    frame = xr.Dataset(
        {
            "new_capacity": new,
            "installed_capacity": capacity,
            "retired_capacity": retired,
            "new_energy_GWh": energy_new.where(is_storage),
            "installed_energy_GWh": energy.where(is_storage),
            "investment_bn_CNY": investment,
            "annual_output": output,
            "capacity_factor": factor,
        }
    )
    keys = _keys(ds, region, "technology", "period")
    table = frame.to_dataframe(dim_order=keys).reset_index()
    for column in keys:
        if table[column].dtype == object:
            table[column] = table[column].astype(str)
    table["technology"] = table["technology"].astype(str)
    table["period"] = table["period"].astype(int)
    table = table.join(techs[["type", "carrier_out", "capacity_unit", "output_unit", "fossil"]], on="technology")
    table = table.rename(columns={"carrier_out": "carrier"})
    table["non_carbon"] = ~table.pop("fossil")
    table["years"] = period_labels(ds).reindex(table["period"]).to_numpy()
    conversion = table["type"] != "storage"
    group = _keys(ds, region, "period") + ["carrier"]
    supply = table["annual_output"].where(conversion, 0.0).groupby([table[g] for g in group]).transform("sum")
    table["supply_share"] = (table["annual_output"] / supply).where(conversion & (supply.abs() > TOLERANCE))
    if not keep_zero:
        activity = table[["new_capacity", "installed_capacity", "annual_output"]].abs().max(axis=1)
        used = activity.groupby(table["technology"]).transform("max") > TOLERANCE
        table = table[used]
    columns = keys[:-2] + [
        "technology", "period", "years", "type", "carrier", "capacity_unit", "new_capacity", "installed_capacity", "retired_capacity",
        "new_energy_GWh", "installed_energy_GWh", "investment_bn_CNY", "annual_output", "output_unit", "capacity_factor",
        "supply_share", "non_carbon",
    ]
    return clean(table[columns].reset_index(drop=True))


# --------------------------------------------------------------------------- corridors


def make_corridors(ds: xr.Dataset) -> pd.DataFrame:
    """Corridor capacity, new capacity, growth since the first period and annual flows, by period."""
    ds = prepare(ds)
    if "corridor_capacity" not in ds or ds.sizes.get("corridor", 0) == 0:
        return pd.DataFrame()
    capacity = ds["corridor_capacity"].fillna(0.0)
    data = {
        "capacity": capacity,
        "new_capacity": ds["corridor_capacity_new"].fillna(0.0),
        "growth_since_first": capacity - capacity.isel(period=0),
    }
    if "flow_forward_annual" in ds:
        data["flow_forward_annual"] = ds["flow_forward_annual"].fillna(0.0)
        data["flow_backward_annual"] = ds["flow_backward_annual"].fillna(0.0)
        hours = ds["hours_per_year"] if "hours_per_year" in ds else 8760.0
        moved = data["flow_forward_annual"] + data["flow_backward_annual"]
        data["utilisation"] = (moved * 1e3 / (capacity * hours)).where(capacity > TOLERANCE)
    keys = _keys(ds, "corridor", "period")
    table = xr.Dataset(data).to_dataframe(dim_order=keys).reset_index()
    table["corridor"] = table["corridor"].astype(str)
    table["period"] = table["period"].astype(int)
    info = _corridor_info(ds)
    table = clean(table.join(info, on="corridor"))
    return _order(table, keys[:-2] + ["corridor", "carrier", "region_from", "region_to", "period", "unit"])


def _corridor_info(ds) -> pd.DataFrame:
    corridors = pd.Index(ds["corridor"].values.astype(str), name="corridor")
    info = pd.DataFrame(index=corridors)
    for column in ("carrier", "region_from", "region_to"):
        info[column] = meta(ds, f"corridor_{column}").reindex(corridors).fillna("")
    units = meta(ds, "carrier_unit")
    info["unit"] = ["kt/h" if units.get(c, "GW") == "kt/h" else "GW" for c in info["carrier"]]
    info["flow_unit"] = np.where(info["unit"] == "kt/h", "Mt/yr", "TWh/yr")
    return info


def make_corridor_expansion(ds: xr.Dataset, tolerance: float = 1e-3) -> pd.DataFrame:
    """Which corridors grow, by how much and when: one row per corridor (and scenario)."""
    table = make_corridors(ds)
    if table.empty:
        return table
    keys = [SCENARIO] if SCENARIO in table.columns else []
    rows = []
    for key, group in table.groupby(keys + ["corridor"], sort=False):
        group = group.sort_values("period")
        first, last = group.iloc[0], group.iloc[-1]
        built = group[group["new_capacity"] > tolerance]
        growth = last["capacity"] - first["capacity"]
        row = dict(zip(keys + ["corridor"], key if isinstance(key, tuple) else (key,)))
        row.update(
            carrier=first["carrier"], region_from=first["region_from"], region_to=first["region_to"], unit=first["unit"],
            capacity_first=first["capacity"], capacity_last=last["capacity"], capacity_peak=group["capacity"].max(),
            growth=growth, growth_percent=(100.0 * growth / first["capacity"]) if first["capacity"] > tolerance else np.nan,
            total_built=built["new_capacity"].sum(),
            first_expansion=int(built["period"].iloc[0]) if len(built) else None,
            expansion_periods=", ".join(str(int(p)) for p in built["period"]),
            grows=bool(len(built)),
        )
        rows.append(row)
    out = pd.DataFrame(rows)
    out["first_expansion"] = out["first_expansion"].astype("Int64")
    return out


# --------------------------------------------------------------------------- CCUS


def make_ccus(ds: xr.Dataset) -> pd.DataFrame:
    """Captured, stored and removed CO2 per region and period (plus a 'total' row), storage remaining."""
    ds = prepare(ds)
    if "co2_captured" not in ds:
        return pd.DataFrame()
    data = {"captured_Mt": ds["co2_captured"]}
    for name, column in (("co2_stored", "stored_Mt"), ("co2_removed", "removed_Mt"), ("co2_storage_remaining", "storage_remaining_Mt")):
        if name in ds:
            data[column] = ds[name]
    body = xr.Dataset({k: v.fillna(0.0) for k, v in data.items()})
    if "stored_Mt" in body:
        body["stored_cumulative_Mt"] = (body["stored_Mt"] * ds["period_years"]).cumsum("period")
    if "co2_storage_capacity" in ds:
        body["storage_capacity_Mt"] = ds["co2_storage_capacity"].fillna(0.0).broadcast_like(body["captured_Mt"])
    total = body.sum("region").expand_dims(region=["total"])
    body = xr.concat([body, total], dim="region")
    keys = _keys(ds, "region", "period")
    table = body.to_dataframe(dim_order=keys).reset_index()
    table["region"] = table["region"].astype(str)
    table["period"] = table["period"].astype(int)
    return table


# --------------------------------------------------------------------------- hydrogen


def _hydrogen(ds):
    return carrier_names(ds)["hydrogen"]


def make_hydrogen_production(ds: xr.Dataset, by: str = "national") -> pd.DataFrame:
    """Hydrogen output by production route (technology) and period, TWh/yr (LHV), with shares."""
    ds = prepare(ds)
    by = _by(by)
    hydrogen = _hydrogen(ds)
    if "hydrogen_production_annual" in ds:
        production = ds["hydrogen_production_annual"]
    else:
        techs = technology_frame(ds)
        routes = techs.index[(techs["carrier_out"] == hydrogen) & (techs["type"] != "storage")]
        if not len(routes):
            return pd.DataFrame()
        production = ds["generation_annual"].sel(technology=list(routes))
    production = production.fillna(0.0)
    region = "region" if by == "region" else None
    if region is None:
        production = production.sum("region")
    keys = _keys(ds, region, "technology", "period")
    table = to_frame(production.transpose(*keys), "production_TWh")
    table["period"] = table["period"].astype(int)
    used = table.groupby("technology")["production_TWh"].transform(lambda s: s.abs().max()) > TOLERANCE
    table = table[used].copy()
    if table.empty:
        return table
    group = [k for k in keys if k != "technology"]
    total = table.groupby(group)["production_TWh"].transform("sum")
    table["share"] = (table["production_TWh"] / total).where(total > TOLERANCE)
    return table.reset_index(drop=True)


def make_hydrogen_storage(ds: xr.Dataset, by: str = "national") -> pd.DataFrame:
    """Hydrogen storage: power (GW), energy capacity (GWh) and annual discharge by technology and period."""
    ds = prepare(ds)
    by = _by(by)
    techs = technology_frame(ds)
    stores = list(techs.index[(techs["carrier_out"] == _hydrogen(ds)) & (techs["type"] == "storage")])
    if not stores:
        return pd.DataFrame()
    data = {"power_GW": ds["capacity"].sel(technology=stores)}
    if "storage_energy_capacity" in ds:
        data["energy_GWh"] = ds["storage_energy_capacity"].sel(technology=stores)
    if "storage_discharge_annual" in ds:
        data["discharge_TWh"] = ds["storage_discharge_annual"].sel(technology=stores)
    body = xr.Dataset({k: v.fillna(0.0) for k, v in data.items()})
    region = "region" if by == "region" else None
    if region is None:
        body = body.sum("region")
    keys = _keys(ds, region, "technology", "period")
    table = body.to_dataframe(dim_order=keys).reset_index()
    table["technology"] = table["technology"].astype(str)
    table["period"] = table["period"].astype(int)
    used = table.groupby("technology")["power_GW"].transform(lambda s: s.abs().max()) > TOLERANCE
    if "energy_GWh" in table:
        used |= table.groupby("technology")["energy_GWh"].transform(lambda s: s.abs().max()) > TOLERANCE
    return table[used].reset_index(drop=True)


def make_hydrogen_pipelines(ds: xr.Dataset) -> pd.DataFrame:
    """Hydrogen corridors: capacity and annual flows (TWh/yr) by period."""
    table = make_corridors(ds)
    if table.empty:
        return table
    hydrogen = _hydrogen(prepare(ds))
    table = table[table["carrier"] == hydrogen].copy()
    if "flow_forward_annual" in table:
        table["flow_net_annual"] = table["flow_forward_annual"] - table["flow_backward_annual"]
    return table.reset_index(drop=True)


# --------------------------------------------------------------------------- carbon balance and costs


def make_carbon_balance(ds: xr.Dataset) -> pd.DataFrame:
    """Net CO2 of the three ends (power, consumption, sequestration), net emissions, cap and CO2 price, Mt/yr."""
    ds = prepare(ds)
    if "carbon_balance" not in ds:
        return pd.DataFrame()
    balance = ds["carbon_balance"]
    keys = _keys(ds, "period")
    table = balance.to_series().unstack("end").reset_index()
    table.columns = [str(c) for c in table.columns]
    extra = {}
    for name, column in (
        ("co2_net_emissions", "net_emissions"),
        ("co2_cap", "cap"),
        ("price_co2", "price_co2_CNY_per_t"),
        ("exogenous_emissions", "exogenous_emissions"),
        ("ecosystem_sink", "ecosystem_sink"),
    ):
        if name in ds:
            extra[column] = ds[name]
    if "co2_emissions" in ds:
        extra["modelled_emissions"] = ds["co2_emissions"].sum("region")
    for name, column in (("co2_captured", "captured"), ("co2_stored", "stored"), ("co2_removed", "removed")):
        if name in ds:
            extra[column] = ds[name].sum("region")
    if extra:
        more = xr.Dataset(extra).to_dataframe().reset_index()
        more = more[[c for c in more.columns if c in keys or c in extra]]
        table = table.merge(more, on=keys, how="left")
    table["period"] = table["period"].astype(int)
    return _order(table, keys + ["power", "consumption", "sequestration", "net_emissions", "cap"])


def make_costs(ds: xr.Dataset) -> pd.DataFrame:
    """Undiscounted annual cost by component and period (billion CNY/yr), its total and the discounted total."""
    ds = prepare(ds)
    if "cost_annual" not in ds:
        return pd.DataFrame()
    keys = _keys(ds, "period")
    table = ds["cost_annual"].to_series().unstack("component").reset_index()
    table.columns = [str(c) for c in table.columns]
    components = [str(c) for c in ds["component"].values]
    table["total_bn_CNY_per_yr"] = table[components].sum(axis=1)
    if "cost" in ds:
        discounted = ds["cost"].sum("component").to_series().rename("discounted_bn_CNY").reset_index()
        table = table.merge(discounted, on=keys, how="left")
    table["period"] = table["period"].astype(int)
    return table


# --------------------------------------------------------------------------- headline figures


def electricity_shares(ds: xr.Dataset) -> xr.DataArray:
    """Non-carbon share of electricity generation by period (and scenario): output of technologies
    without fossil input over the conversion output of electricity."""
    ds = prepare(ds)
    techs = technology_frame(ds)
    electricity = carrier_names(ds)["electricity"]
    producers = techs[(techs["carrier_out"] == electricity) & (techs["type"] != "storage")]
    if producers.empty:
        raise PostprocessError("no technology produces electricity: the non-carbon share is undefined")
    output = ds["generation_annual"].sel(technology=list(producers.index)).fillna(0.0).sum("region")
    clean = xr.DataArray(~producers["fossil"].to_numpy(), dims="technology", coords={"technology": list(producers.index)})
    total = output.sum("technology")
    return (output.where(clean, 0.0).sum("technology") / total.where(total > TOLERANCE)).rename("non_carbon_share")


def make_headline(ds: xr.Dataset) -> pd.DataFrame:
    """Headline figures per run: cost, cost per MWh of electricity demand, emissions peak and end point,
    non-carbon share of electricity in 2030 and 2060 (nearest periods), CCUS volume."""
    ds = prepare(ds)
    attrs = scenario_attrs(ds)
    electricity = carrier_names(ds)["electricity"]
    shares = electricity_shares(ds)
    rows = []
    for label in scenarios(ds):
        one = select(ds, label)
        run = attrs.get(label, {}) if label is not None else next(iter(attrs.values()))
        periods = [int(p) for p in one["period"].values]
        row = {SCENARIO: label} if label is not None else {}
        if "cost" in one:  # sums to the objective; also right for datasets concatenated by hand
            row["total_cost_bn_CNY"] = float(one["cost"].sum())
        else:
            objective = run.get("objective")
            row["total_cost_bn_CNY"] = float(objective) if objective is not None else np.nan
        if "cost_annual" in one:
            row["undiscounted_cost_bn_CNY"] = float((one["cost_annual"].sum("component") * one["period_years"]).sum())
        demand_twh = np.nan
        if "demand_annual" in one and electricity in one["carrier"].values:
            demand = one["demand_annual"].sel(carrier=electricity).fillna(0.0).sum("region")
            weight = one["period_weight"] if "period_weight" in one else one["period_years"]
            discounted = float((demand * weight).sum())
            demand_twh = float(demand.isel(period=-1))
            row["cost_per_MWh_CNY"] = row["total_cost_bn_CNY"] / discounted * 1e3 if discounted > 0 else np.nan
        row["electricity_demand_last_TWh"] = demand_twh
        if "co2_net_emissions" in one:
            net = one["co2_net_emissions"].to_series()
            net.index = net.index.astype(int)
            row["peak_emissions_period"] = int(net.idxmax())
            row["peak_emissions_Mt"] = float(net.max())
            row["net_emissions_last_Mt"] = float(net.iloc[-1])
        elif "co2_emissions" in one:
            net = one["co2_emissions"].sum("region").to_series()
            net.index = net.index.astype(int)
            row["peak_emissions_period"] = int(net.idxmax())
            row["peak_emissions_Mt"] = float(net.max())
            row["net_emissions_last_Mt"] = float(net.iloc[-1])
        share = shares.sel({SCENARIO: label}) if label is not None and SCENARIO in shares.dims else shares
        for year in (2030, 2060):
            period = nearest_period(periods, year)
            row[f"non_carbon_share_{year}_period"] = period
            row[f"non_carbon_share_{year}"] = float(share.sel(period=period))
        if "co2_stored" in one:
            stored = one["co2_stored"].fillna(0.0).sum("region")
            row["ccus_stored_last_Mt"] = float(stored.isel(period=-1))
            row["ccus_stored_max_Mt"] = float(stored.max())
        else:
            row["ccus_stored_last_Mt"] = 0.0
            row["ccus_stored_max_Mt"] = 0.0
        row["last_period"] = periods[-1]
        rows.append(row)
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------- all tables, writing


def make_tables(ds: xr.Dataset, by: str = "national") -> dict[str, pd.DataFrame]:
    """Every table of the schedule, by name (empty tables are left out)."""
    from .adequacy import make_adequacy
    from .credibility import make_credibility
    from .milestones import compare_milestones
    from .roadmap import make_roadmap
    from .time_representation import make_time_representation

    ds = prepare(ds)
    headline = make_headline(ds)
    tables = {
        "headline": headline,
        "milestones": compare_milestones(headline),
        "credibility": make_credibility(ds),
        "schedule": make_schedule(ds, by=by),
        "roadmap": make_roadmap(ds),
        "corridor_expansion": make_corridor_expansion(ds),
        "corridors": make_corridors(ds),
        "ccus": make_ccus(ds),
        "hydrogen_production": make_hydrogen_production(ds, by=by),
        "hydrogen_storage": make_hydrogen_storage(ds, by=by),
        "hydrogen_pipelines": make_hydrogen_pipelines(ds),
        "carbon_balance": make_carbon_balance(ds),
        "costs": make_costs(ds),
        "time_representation": make_time_representation(ds),
        "adequacy": make_adequacy(ds),
    }
    return {name: clean(table) for name, table in tables.items() if table is not None and not table.empty}


FORMATS = ("csv", "xlsx", "md")


def write_tables(tables: dict[str, pd.DataFrame], out_dir: str | Path, formats=("csv",), by: str = "national") -> list[Path]:
    """Write the tables: one CSV per table (always), one xlsx with a sheet per table, one Markdown file."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    unknown = [f for f in formats if f not in FORMATS]
    if unknown:
        raise PostprocessError(f"unknown table format(s) {', '.join(unknown)}: choose from {', '.join(FORMATS)}")
    written = []
    suffix = {"schedule": f"schedule_{by}", "hydrogen_production": f"hydrogen_production_{by}", "hydrogen_storage": f"hydrogen_storage_{by}"}
    for name, table in tables.items():
        path = out_dir / f"{suffix.get(name, name)}.csv"
        table.to_csv(path, index=False)
        written.append(path)
    if "xlsx" in formats:
        path = out_dir / f"schedule_{by}.xlsx"
        with pd.ExcelWriter(path, engine="openpyxl") as writer:
            for name, table in tables.items():
                table.to_excel(writer, sheet_name=suffix.get(name, name)[:31], index=False)
        written.append(path)
    if "md" in formats:
        path = out_dir / f"schedule_{by}.md"
        parts = []
        for name, table in tables.items():
            parts.append(f"## {TABLE_TITLES.get(name, name)}\n\n{markdown(table)}\n")
        path.write_text("\n".join(parts), encoding="utf-8")
        written.append(path)
    return written


def _cell(value) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA:
        return ""
    if isinstance(value, (bool, np.bool_)):
        return "yes" if value else "no"
    if isinstance(value, (float, np.floating)):
        if abs(value) >= 100 or value == 0:
            return f"{value:,.0f}" if abs(value) >= 1e4 else f"{value:.1f}"
        return f"{value:.3g}"
    return str(value).replace("|", "\\|")


def markdown(table: pd.DataFrame) -> str:
    """A GitHub-flavoured Markdown table (no extra dependency)."""
    header = "| " + " | ".join(str(c) for c in table.columns) + " |"
    rule = "|" + "|".join("---" for _ in table.columns) + "|"
    rows = ["| " + " | ".join(_cell(v) for v in row) + " |" for row in table.itertuples(index=False)]
    return "\n".join([header, rule] + rows)
