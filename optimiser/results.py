"""Result extraction into an xarray Dataset, atomic netCDF writing and reading back.

Every variable carries a ``units`` attribute and a ``description``.  Prices are
the duals of the balances and of the CO2 cap and budget, undiscounted and per unit of
energy (CNY/MWh) or mass (CNY/t).
"""

from __future__ import annotations

import datetime as _dt
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr
import yaml

from . import __version__
from .atomic import atomic_path
from .model import Model
from .model.adequacy import margins as adequacy_margins
from .model.data import GWH_TO_TWH, lookup
from .model.storage import days_of_retention
from .solve import Solution

RESULTS_MARKER = "optimiser_results"
RESERVED_PRICE_NAMES = {"price_co2"}
COST_COMPONENTS = ["capex", "fixed_om", "variable_om", "fuel", "co2_tax", "lost_load"]


class ResultsFileError(ValueError):
    """The file is not a results file of this package, or lacks a variable."""


def _dense(family, values: np.ndarray, coords: dict, fill=0.0) -> xr.DataArray:
    """Scatter a family's values (n_keys[, n_time]) onto the dense grid of ``coords``."""
    dims = list(family.keys.columns)
    shape = [len(coords[d]) for d in dims]
    positions = [pd.Index(coords[d]).get_indexer(family.keys[d]) for d in dims]
    if family.timed:
        shape.append(len(coords["time"]))
        dims = dims + ["time"]
    out = np.full(shape, fill, dtype=float)
    if family.n_keys:
        out[tuple(positions)] = values
    return xr.DataArray(out, dims=dims, coords={d: coords[d] for d in dims})


def _attrs(units: str, description: str) -> dict:
    return {"units": units, "description": description}


def extract(model: Model, solution: Solution) -> xr.Dataset:
    """Turn a solved model into a Dataset with named dimensions and units.

    Inputs the post-processor needs (so that a results file stands alone), the run's attributes, then, for an
    optimal solution: capacities, operation, costs and prices, each from its own function below.
    """
    coords = _coordinates(model)
    ds = xr.Dataset(coords=coords)
    _input_echo(ds, model, coords)
    _references(ds, model.case)
    _run_attributes(ds, model, solution)
    if not (solution.optimal and solution.x is not None):
        return ds
    _user_components(ds, model, solution)
    _capacity_results(ds, model, solution.x, coords)
    _operation_results(ds, model, solution.x, coords)
    _cost_results(ds, model, solution.x, coords)
    _price_results(ds, model, solution.row_dual, coords)
    _adequacy_results(ds, model, solution.x, solution.row_dual)
    return ds


def _coordinates(model: Model) -> dict:
    """The dimensions of every results variable: region, period, time, technology, carrier, corridor, cost component."""
    data, case = model.data, model.case
    return {
        "region": np.array(case.regions, dtype=object),
        "period": data.periods.astype(np.int64),
        "time": data.time["time"].to_numpy(),
        "technology": np.array(case.technologies, dtype=object),
        "carrier": np.array(case.carriers, dtype=object),
        "corridor": np.array(case["corridors"]["corridor"].tolist(), dtype=object),
        "component": np.array(COST_COMPONENTS, dtype=object),
    }


def _variable_reader(model: Model, x: np.ndarray, coords: dict):
    """``var(name)``: a variable family's solution values as a labelled array over ``coords``."""

    def var(name, fill=0.0):
        family = model.lp.variables[name]
        return _dense(family, model.lp.values(family, x), coords, fill)

    return var


def _input_echo(ds: xr.Dataset, model: Model, coords: dict) -> None:
    """Time weights, period years and labels, technology and carrier attributes, capex and corridors: the inputs the
    post-processor reads from the results file."""
    data, case = model.data, model.case
    ds["time_weight_h"] = ("time", data.time["weight_h"].to_numpy(), _attrs("h", "Hours of the year each time step stands for"))
    ds["time_duration_h"] = ("time", data.time["duration_h"].to_numpy(), _attrs("h", "Chronological length of each time step"))
    ds["representative_period"] = ("time", data.time["representative_period"].to_numpy(), _attrs("1", "Cyclic group of each time step"))
    ds["period_years"] = ("period", data.years, _attrs("years", "Years each period stands for"))
    first, last = data.periods.astype(np.int64), (data.periods + np.round(data.years) - 1).astype(np.int64)
    ds["period_first_year"] = ("period", first, _attrs("year", "First calendar year the period stands for (its label)"))
    ds["period_last_year"] = ("period", last, _attrs("year", "Last calendar year the period stands for"))
    ds["period_label"] = ("period", np.array([f"{a}" if a == b else f"{a}-{b}" for a, b in zip(first, last)], dtype=object),
                          _attrs("", "Years the period stands for: its model year is representative of each of them"))
    ds["period_historical"] = ("period", data.historical.astype(np.int8), _attrs("1", "1 = a historical period (the recorded fleet, no investment)"))
    ds["period_weight"] = ("period", data.weights, _attrs("years", "Discounted years (objective weight) of each period"))
    technologies = data.technologies
    ds["technology_type"] = ("technology", technologies["type"].to_numpy(dtype=object), _attrs("", "conversion or storage"))
    ds["technology_carrier_out"] = ("technology", technologies["carrier_out"].to_numpy(dtype=object), _attrs("", "Output (stored) carrier"))
    ds["technology_carrier_in"] = ("technology", technologies["carrier_in"].to_numpy(dtype=object), _attrs("", "Input carrier ('' = none)"))
    ds["carrier_unit"] = ("carrier", data.carriers["unit"].to_numpy(dtype=object), _attrs("", "Flow unit of the carrier"))
    # inputs the post-processing needs so that a results file stands alone: capex by build period
    # (investment = capacity_new x capex) and the CO2 content of carriers (non-carbon technologies)
    capex = data.tech_period.set_index(["technology", "period"])
    index = pd.MultiIndex.from_product([coords["technology"], coords["period"]])
    for name, column, units, description in (
        ("capex_per_kW", "capex_CNY_per_kW", "CNY/kW", "Overnight capex of capacity built in the period (power; kt/h-based for mass carriers)"),
        ("capex_energy_per_kWh", "capex_energy_CNY_per_kWh", "CNY/kWh", "Overnight capex of storage energy capacity built in the period"),
    ):
        values = capex[column].reindex(index).fillna(0.0).to_numpy(dtype=float).reshape(len(coords["technology"]), len(coords["period"]))
        ds[name] = (("technology", "period"), values, _attrs(units, description))
    ds["carrier_co2_content"] = ("carrier", data.carriers["co2_content_t_per_MWh"].fillna(0.0).to_numpy(dtype=float), _attrs("t/MWh", "CO2 content of the carrier (t/t for mass carriers)"))
    ds["carrier_biogenic"] = ("carrier", data.carriers["biogenic"].fillna(False).to_numpy(dtype=bool).astype(np.int8), _attrs("1", "1 = the carrier's CO2 is biogenic"))
    if len(coords["corridor"]):
        corridors = case["corridors"]
        for column in ("carrier", "region_from", "region_to"):
            ds[f"corridor_{column}"] = ("corridor", corridors[column].to_numpy(dtype=object), _attrs("", f"Corridor {column}"))
        ds["corridor_length_km"] = ("corridor", corridors["length_km"].to_numpy(dtype=float), _attrs("km", "Corridor length"))



def _run_attributes(ds: xr.Dataset, model: Model, solution: Solution) -> None:
    """Case, status, objective (billion CNY), solver and its options, timings, model statistics and settings."""
    case = model.case
    ds.attrs.update(
        {
            RESULTS_MARKER: 1,
            "case": case.name,
            "case_path": str(case.path),
            "status": solution.status,
            "optimal": int(solution.optimal),
            "objective": solution.objective,
            "objective_units": "billion CNY (discounted to base year)",
            "currency": str(case.settings.get("currency")),
            "base_year": int(case.settings["base_year"]),
            "discount_rate": float(case.settings["discount_rate"]),
            "solver": solution.solver,
            "solver_version": solution.solver_version,
            "solver_options": yaml.safe_dump(solution.options, sort_keys=True),
            "solver_algorithm": str(solution.info.get("solver_used", solution.options.get("solver", ""))),
            "solver_requested": str(solution.info.get("solver_requested", solution.options.get("solver", ""))),
            "solver_warnings": str(solution.info.get("solver_warnings", "")),
            "ipm_iterations": int(solution.info.get("ipm_iterations", 0)),
            "simplex_iterations": int(solution.info.get("simplex_iterations", 0)),
            "input_hash": case.input_hash,
            "package_version": __version__,
            "settings": yaml.safe_dump(_plain(case.settings), sort_keys=True),
            "created": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
            "diagnosis": "\n".join(solution.diagnosis),
            **{k: float(v) for k, v in model.timings.items()},
            **{k: float(v) for k, v in solution.timings.items()},
            **{f"model_{k}": v for k, v in model.statistics().items()},
        }
    )
    if getattr(case, "time_aggregation", None) is not None:
        ds.attrs["time_aggregation"] = yaml.safe_dump(_plain(case.time_aggregation), sort_keys=True)
    ds.attrs["extensions"] = yaml.safe_dump(model.extensions, sort_keys=True) if model.extensions else ""
    ds.attrs["model_changes"] = "\n".join(solution.extensions.changes)


def _capacity_results(ds: xr.Dataset, model: Model, x: np.ndarray, coords: dict) -> None:
    """Installed, new, retired and early-retired capacity (GW) and storage energy capacity (GWh)."""
    lp, data = model.lp, model.data
    technologies = data.technologies
    var = _variable_reader(model, x, coords)
    ds["capacity"] = var("capacity").assign_attrs(_attrs("GW", "Installed capacity (output flow; kt/h for mass carriers)"))
    ds["capacity_new"] = var("capacity_new").assign_attrs(_attrs("GW", "Capacity built in the period"))
    previous = ds["capacity"].shift(period=1).fillna(0.0)
    retired = (previous + ds["capacity_new"] - ds["capacity"]).clip(min=0.0)
    retired[{"period": 0}] = 0.0
    ds["capacity_retired"] = retired.where(np.abs(retired) > 1e-9, 0.0).assign_attrs(
        _attrs("GW", "Capacity retired since the previous period (end of life, or early)")
    )
    early = xr.zeros_like(ds["capacity"])
    if "capacity_existing" in lp.variables:
        kept = lp.variables["capacity_existing"]
        standing = lookup(data.existing_retirable, kept.keys, "capacity_GW", ["technology", "region", "period"])
        stub = type(kept)("capacity_retired_early", kept.keys, False, lp.n_time, "GW", "")
        early = _dense(stub, np.nan_to_num(standing) - lp.values(kept, x), coords)
    ds["capacity_retired_early"] = early.where(np.abs(early) > 1e-9, 0.0).assign_attrs(
        _attrs("GW", "Existing capacity standing by its lifetime but retired early (stranded), in the period")
    )

    storage_energy = xr.zeros_like(ds["capacity"])
    duration = technologies["duration_h"].reindex(coords["technology"]).to_numpy(dtype=float)
    storage_energy = storage_energy + ds["capacity"] * xr.DataArray(np.nan_to_num(duration), dims="technology", coords={"technology": coords["technology"]})
    if "storage_energy_capacity" in lp.variables:
        storage_energy = storage_energy + var("storage_energy_capacity")
    is_storage = xr.DataArray(technologies["type"].to_numpy() == "storage", dims="technology", coords={"technology": coords["technology"]})
    ds["storage_energy_capacity"] = storage_energy.where(is_storage, 0.0).assign_attrs(_attrs("GWh", "Installed storage energy capacity"))
    energy_new = xr.zeros_like(ds["capacity_new"]) + ds["capacity_new"] * xr.DataArray(np.nan_to_num(duration), dims="technology", coords={"technology": coords["technology"]})
    if "storage_energy_new" in lp.variables:
        energy_new = energy_new + var("storage_energy_new")
    ds["storage_energy_new"] = energy_new.where(is_storage, 0.0).assign_attrs(_attrs("GWh", "Storage energy capacity built in the period"))



def _operation_results(ds: xr.Dataset, model: Model, x: np.ndarray, coords: dict) -> None:
    """Generation (GW, TWh/yr), storage operation and levels, corridor flows (GW), CO2 (Mt/yr), demand and lost load."""
    lp, data = model.lp, model.data
    var = _variable_reader(model, x, coords)
    ds["generation"] = var("generation").assign_attrs(_attrs("GW", "Output of conversion technologies (their output carrier)"))
    weight = ds["time_weight_h"]
    ds["generation_annual"] = (ds["generation"] * weight).sum("time").assign_attrs(_attrs("GWh/yr", "Annual output")) * 1.0
    ds["generation_annual"] = (ds["generation_annual"] * GWH_TO_TWH).assign_attrs(_attrs("TWh/yr", "Annual output of conversion technologies"))
    for name, description in (
        ("storage_charge", "Charging power of storage"),
        ("storage_discharge", "Discharging power of storage"),
    ):
        if name in lp.variables:
            ds[name] = var(name).assign_attrs(_attrs("GW", description))
    level = var("storage_level") if "storage_level" in lp.variables else None
    if getattr(model, "seasonal_storage", None) is not None:
        level = _seasonal_levels(ds, model, x, coords, level)
    if level is not None:
        ds["storage_level"] = level.assign_attrs(
            _attrs("GWh", "State of charge at the end of the time step (seasonal storage: on the first day of the "
                   "chronological sequence that each representative period stands for)")
        )

    if "corridor_capacity" in lp.variables:
        ds["corridor_capacity"] = var("corridor_capacity").assign_attrs(_attrs("GW", "Corridor capacity (each direction)"))
        ds["corridor_capacity_new"] = var("corridor_capacity_new").assign_attrs(_attrs("GW", "Corridor capacity built in the period"))
        forward, backward = var("flow_forward"), var("flow_backward")
        ds["flow"] = (forward - backward).assign_attrs(_attrs("GW", "Net flow sent from region_from to region_to (negative = reverse)"))
        ds["flow_forward"] = forward.assign_attrs(_attrs("GW", "Flow sent from region_from to region_to"))
        ds["flow_backward"] = backward.assign_attrs(_attrs("GW", "Flow sent from region_to to region_from"))

    ds["co2_emissions"] = var("co2_emissions").assign_attrs(_attrs("Mt CO2/yr", "Net CO2 emissions of the modelled system by region"))
    factor = data.emission_factor.set_index(["technology", "period"])["co2"]
    keys = lp.variables["generation"].keys
    per_tech = factor.reindex(pd.MultiIndex.from_frame(keys[["technology", "period"]])).fillna(0.0).to_numpy()
    gen_annual = lp.values(lp.variables["generation"], x) @ data.time["weight_h"].to_numpy() * GWH_TO_TWH
    emissions_family = type(lp.variables["generation"])(
        "emissions_by_technology", keys, False, lp.n_time, "Mt CO2/yr", ""
    )
    ds["co2_emissions_by_technology"] = _dense(emissions_family, per_tech * gen_annual, coords).assign_attrs(
        _attrs("Mt CO2/yr", "Net CO2 emissions by technology (negative = capture from biomass, air or industrial sources)")
    )

    _carbon_results(ds, model, x, gen_annual, per_tech, coords)

    demand = model.demand
    if len(demand):
        demand_family = type(lp.variables["generation"])("demand", demand[["carrier", "region", "period"]], True, lp.n_time, "GW", "")
        ds["demand"] = _dense(demand_family, demand.attrs["GW"], coords).assign_attrs(_attrs("GW", "Exogenous demand"))
    if "lost_load" in lp.variables:
        ds["lost_load"] = var("lost_load").assign_attrs(_attrs("GW", "Unserved demand"))



def _cost_results(ds: xr.Dataset, model: Model, x: np.ndarray, coords: dict) -> None:
    """Discounted cost by component and period (billion CNY; sums to the objective), annual costs, history apart."""
    lp, data = model.lp, model.data
    component_costs = lp.component_cost(x)
    cost = xr.DataArray(np.zeros((len(COST_COMPONENTS), len(coords["period"]))), dims=["component", "period"], coords={"component": coords["component"], "period": coords["period"]})
    for (component, period), value in component_costs.items():
        cost.loc[component, period] += value
    ds["cost"] = cost.assign_attrs(_attrs("billion CNY", "Discounted cost by component and period (sums to the objective)"))
    ds["cost_annual"] = (cost / ds["period_weight"]).assign_attrs(_attrs("billion CNY/yr", "Undiscounted annual cost by component in each period"))
    # historical periods: their costs stay in the objective (they set the least-cost dispatch of the recorded fleet and,
    # the fleet being fixed, cannot move a decision of a later period) and are reported apart
    historical_cost = float(cost.sel(period=coords["period"][data.historical]).sum()) if data.historical.any() else 0.0
    ds.attrs["objective_historical"] = historical_cost
    ds.attrs["objective_pathway"] = float(cost.sum()) - historical_cost



def _price_results(ds: xr.Dataset, model: Model, dual: np.ndarray, coords: dict) -> None:
    """Carrier prices from the balance duals (CNY/MWh, CNY/t) and the CO2 shadow price (CNY/t) from cap and budget."""
    lp, data, case = model.lp, model.data, model.case
    balance = lp.constraints["balance"]
    period_weight = data.weight_of(balance.keys["period"])
    balance_dual = lp.values(balance, dual)
    price = balance_dual * 1e6 / (period_weight[:, None] * data.time["weight_h"].to_numpy()[None, :])
    price_family = type(balance)("price", balance.keys, True, lp.n_time, "", "")
    ds["price"] = _dense(price_family, price, coords, fill=np.nan).assign_attrs(
        _attrs("CNY/MWh", "Marginal cost of the carrier (dual of its balance), undiscounted; CNY/t for mass carriers")
    )
    for carrier in sorted(set(balance.keys["carrier"])):
        unit = "CNY/t" if data.carriers.loc[carrier, "unit"] == "kt/h" else "CNY/MWh"
        name = f"price_{_safe(carrier)}"
        if name in RESERVED_PRICE_NAMES:  # a carrier called "co2" must not shadow the CO2 shadow price
            name = f"price_carrier_{_safe(carrier)}"
        ds[name] = ds["price"].sel(carrier=carrier, drop=True).assign_attrs(
            _attrs(unit, f"Marginal cost of {carrier} (dual of its balance), undiscounted")
        )
    # CO2 price: what one more tonne emitted in period p would cost, from the annual cap and the cumulative budget
    co2_price = np.zeros(len(coords["period"]))
    if "co2_cap" in lp.constraints:
        cap = lp.constraints["co2_cap"]
        rows = pd.Index(coords["period"]).get_indexer(cap.keys["period"])
        co2_price[rows] = -lp.values(cap, dual) * 1e3 / data.weight_of(cap.keys["period"])
    if "co2_budget" in lp.constraints:
        budget_dual = float(lp.values(lp.constraints["co2_budget"], dual)[0])
        co2_price += -budget_dual * data.years * 1e3 / data.weights
    ds["price_co2"] = xr.DataArray(co2_price, dims="period", coords={"period": coords["period"]}).assign_attrs(
        _attrs("CNY/t CO2", "Shadow price of CO2 (duals of the annual cap and the cumulative budget), undiscounted; 0 where neither binds")
    )
    cap_values = case["periods"].set_index("period")["co2_cap_Mt"].reindex(coords["period"]).to_numpy(dtype=float)
    ds["co2_cap"] = xr.DataArray(cap_values, dims="period", coords={"period": coords["period"]}).assign_attrs(_attrs("Mt CO2/yr", "CO2 cap (NaN = none)"))


def _adequacy_results(ds: xr.Dataset, model: Model, x: np.ndarray, dual: np.ndarray | None) -> None:
    """Reserve margins by (area, period): the peak, the firm capacity required and credited (GW), the credited net
    imports (GW) and the capacity price (dual of the margin, CNY/kW-yr, undiscounted; 0 where the margin is slack)."""
    lp, data = model.lp, model.data
    if "reserve_margin" not in lp.constraints:
        return
    rows = lp.constraints["reserve_margin"]
    margin = adequacy_margins(data).set_index(["area", "period"])["margin"]
    keys = rows.keys
    required = np.asarray(rows.rhs, dtype=float)
    index = pd.MultiIndex.from_frame(keys)
    peak = required / (1.0 + margin.reindex(index).to_numpy(dtype=float))
    matrix = rows.matrix(lp.n_cols)
    transfer_columns = np.zeros(lp.n_cols, dtype=bool)
    if "reserve_transfer" in lp.variables:
        family = lp.variables["reserve_transfer"]
        transfer_columns[family.offset : family.offset + family.size] = True
    imports = matrix @ np.where(transfer_columns, x, 0.0)
    firm = matrix @ np.where(transfer_columns, 0.0, x)
    price = np.zeros(len(keys)) if dual is None else lp.values(rows, dual) * 1e3 / data.weight_of(keys["period"])
    areas = pd.Index(sorted(set(keys["area"])))
    periods = pd.Index(ds["period"].values)
    position = (areas.get_indexer(keys["area"]), periods.get_indexer(keys["period"]))

    def table(values, units, description):
        out = np.full((len(areas), len(periods)), np.nan)
        out[position] = values
        return xr.DataArray(out, dims=("area", "period"), coords={"area": areas.to_numpy(dtype=object), "period": periods},
                            attrs=_attrs(units, description + "; NaN where the area has no margin (historical periods)"))

    ds["reserve_peak"] = table(peak, "GW", "Coincident peak of the area's exogenous electricity demand over the full year (before time aggregation)")
    ds["reserve_required"] = table(required, "GW", "Firm capacity the reserve margin requires: (1 + margin) x peak")
    ds["reserve_firm_capacity"] = table(firm, "GW", "Firm capacity of the area: firm_capacity_credit x installed capacity")
    ds["reserve_imports"] = table(imports, "GW", "Credited firm capacity received over corridors, net of what the area sends")
    ds["price_capacity"] = table(price, "CNY/kW/yr", "Capacity price: dual of the reserve margin, undiscounted; 0 where it is slack")


REFERENCE_COLUMNS = ("quantity", "technologies", "period", "value", "low", "high", "unit", "tolerance", "kind", "label", "source")


def _references(ds: xr.Dataset, case) -> None:
    """The case's ``references.csv`` (figures the report's credibility table holds the results against), carried in the
    results so that the post-processor needs nothing else: one ``reference_<column>`` variable per column."""
    table = case["references"]
    if table.empty:
        return
    ds.coords["reference"] = np.arange(len(table), dtype=np.int64)
    for column in REFERENCE_COLUMNS:
        values = table[column].to_numpy()
        values = values.astype(float) if column in ("value", "low", "high", "tolerance") else values.astype(object)
        unit = "as reference_unit" if column in ("value", "low", "high") else ""
        ds[f"reference_{column}"] = ("reference", values, _attrs(unit, f"references.csv column {column}"))


def _user_components(ds: xr.Dataset, model: Model, solution: Solution) -> None:
    """Values of the user's variables and values and duals of the user's constraints (what extensions added)."""
    extensions = solution.extensions
    n_cols, n_rows = model.lp.n_cols, model.lp.n_rows
    rows = [(i, data) for i, data in enumerate(extensions.rows) if data.ctype.__name__ == "Constraint"]
    if rows:
        names = np.array([data.name for _, data in rows], dtype=object)
        ds.coords["user_constraint"] = names
        body = np.array([float(data.body()) if data.body is not None else np.nan for _, data in rows])
        ds["user_constraint_value"] = ("user_constraint", body, _attrs("as defined", "Value of the body of a constraint the user added"))
        bounds = [(data.lb, data.ub) for _, data in rows]
        ds["user_constraint_lower"] = ("user_constraint", np.array([np.nan if lb is None else lb for lb, _ in bounds], dtype=float),
                                       _attrs("as defined", "Lower bound (NaN = none)"))
        ds["user_constraint_upper"] = ("user_constraint", np.array([np.nan if ub is None else ub for _, ub in bounds], dtype=float),
                                       _attrs("as defined", "Upper bound (NaN = none)"))
        if solution.row_dual is not None:
            dual = np.array([solution.row_dual[n_rows + i] for i, _ in rows]) * extensions.sense
            ds["user_constraint_dual"] = ("user_constraint", dual, _attrs(
                "objective units per unit of the constraint", "Dual of a constraint the user added: change of the objective "
                "(billion CNY, discounted, for the model's own objective) per unit increase of the bound"))
    if extensions.columns:
        ds.coords["user_variable"] = np.array([var.name for var in extensions.columns], dtype=object)
        ds["user_variable_value"] = ("user_variable", solution.x[n_cols : n_cols + len(extensions.columns)],
                                     _attrs("as defined", "Value of a variable the user added"))


def _seasonal_levels(ds: xr.Dataset, model: Model, x, coords: dict, level):
    """Absolute levels of seasonal storage and ``storage_level_daily``; returns ``storage_level`` including them.

    In representative step h of period g: level = inter[first day d with g(d) = g] * (1 - loss)^(hours of g
    elapsed by the end of h) + intra[h]; daily: inter[d], the state at the start of day d of the sequence.
    """
    lp, data = model.lp, model.data
    seasonal = model.seasonal_storage
    keys, structure, loss = seasonal["keys"], seasonal["structure"], seasonal["loss"]
    sequence, of_step = structure["sequence"], structure["of_step"]
    n_days = len(sequence)
    intra = lp.values(lp.variables["storage_level_intra"], x)
    inter = _daily_states(model, intra.reshape(len(keys), -1), lp.values(lp.variables["storage_level_inter"], x))
    first_day = np.full(len(structure["labels"]), -1)
    for day in range(n_days - 1, -1, -1):
        first_day[sequence[day]] = day
    duration = data.time["duration_h"].to_numpy()
    cumulative = np.cumsum(duration)
    start = structure["start"][of_step]
    elapsed = cumulative - (cumulative[start] - duration[start])
    start_state = np.where(first_day[of_step] >= 0, inter[:, np.maximum(first_day[of_step], 0)], 0.0)
    absolute = start_state * (1.0 - loss)[:, None] ** elapsed[None, :] + intra
    stub = type(lp.variables["storage_level_intra"])("storage_level_seasonal", keys, True, lp.n_time, "GWh", "")
    seasonal_level = _dense(stub, absolute, coords)
    level = seasonal_level if level is None else level + seasonal_level

    ds.coords["day"] = np.arange(n_days, dtype=np.int64)
    labels = structure["labels"][sequence]
    ds["day_representative_period"] = xr.DataArray(labels, dims="day", coords={"day": ds["day"]}).assign_attrs(
        _attrs("1", "Representative period standing for each day (period) of the chronological sequence")
    )
    day_keys = keys.loc[keys.index.repeat(n_days)].reset_index(drop=True)
    day_keys["day"] = np.tile(np.arange(n_days, dtype=np.int64), len(keys))
    daily = type(stub)("storage_level_daily", day_keys, False, lp.n_time, "GWh", "")
    ds["storage_level_daily"] = _dense(daily, inter.reshape(-1), {**coords, "day": ds["day"].to_numpy()}).assign_attrs(
        _attrs("GWh", "Seasonal storage: state of charge at the start of each day (period) of the chronological sequence")
    )
    return level


def _daily_states(model: Model, intra: np.ndarray, checkpoint_states: np.ndarray) -> np.ndarray:
    """Seasonal storage state at the start of every day of the sequence (n_keys, n_days), GWh, rebuilt
    from the optimised states at the checkpoint days: inter[d+1] = a_g(d) * inter[d] + intra[g(d), last step]."""
    seasonal = model.seasonal_storage
    structure, loss = seasonal["structure"], seasonal["loss"]
    checkpoints = seasonal["checkpoints"]
    sequence = structure["sequence"]
    n_keys, n_days = intra.shape[0], len(sequence)
    duration = model.data.time["duration_h"].to_numpy()
    group_hours = np.add.reduceat(duration, structure["start"])
    retention = (1.0 - loss)[:, None] ** group_hours[None, :]  # (n_keys, G)
    delta = intra[:, structure["end"]]  # (n_keys, G): net change over one day of each period
    states = np.empty((n_keys, n_days))
    checkpoint_states = checkpoint_states.reshape(n_keys, len(checkpoints))
    # each day's preceding checkpoint, and how many days after it the day comes
    owner = np.searchsorted(checkpoints, np.arange(n_days), side="right") - 1
    after = np.arange(n_days) - checkpoints[owner]
    a = retention[:, sequence[checkpoints[owner]]]  # (n_keys, n_days)
    d = delta[:, sequence[checkpoints[owner]]]
    carried, gained = days_of_retention(a, after[None, :])
    states[:] = carried * checkpoint_states[:, owner] + gained * d
    return states


def _safe(name: str) -> str:
    return "".join(ch if ch.isalnum() or ch == "_" else "_" for ch in str(name))


def _plain(value):
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.floating,)):
        return float(value)
    return value


def write_results(ds: xr.Dataset, path: str | Path) -> Path:
    """Write a Dataset to netCDF atomically: a temporary file in the same folder, then a rename."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    encoding = {}
    for name, variable in ds.data_vars.items():
        if variable.dtype.kind == "f" and variable.ndim > 0:
            encoding[name] = {"zlib": True, "complevel": 4}
        elif variable.dtype == object:
            ds[name] = variable.astype(str)
    for name in ds.coords:
        if ds[name].dtype == object:
            ds = ds.assign_coords({name: ds[name].astype(str)})
    with atomic_path(path) as temporary:
        ds.to_netcdf(temporary, engine="netcdf4", encoding=encoding)
    return path


def open_results(path: str | Path, **kwargs) -> xr.Dataset:
    """Open a results file written by :func:`write_results` (lazily; pass ``chunks`` for Dask)."""
    path = Path(path)
    if not path.exists():
        raise ResultsFileError(f"{path}: no such results file")
    try:
        ds = xr.open_dataset(path, **kwargs)
    except Exception as error:  # netCDF4/xarray raise several kinds
        raise ResultsFileError(f"{path}: not a readable netCDF file ({error})") from None
    if RESULTS_MARKER not in ds.attrs:
        ds.close()
        raise ResultsFileError(f"{path}: a netCDF file, but not a results file of this optimiser (attribute '{RESULTS_MARKER}' missing)")
    return ds


def headline(ds: xr.Dataset) -> list[str]:
    """A few lines summarising a results dataset."""
    lines = [
        f"case: {ds.attrs.get('case')}   status: {ds.attrs.get('status')}   objective: {ds.attrs.get('objective'):.6g} {ds.attrs.get('objective_units')}",
        f"solver: {ds.attrs.get('solver')} {ds.attrs.get('solver_version')}   input hash: {str(ds.attrs.get('input_hash'))[:12]}",
    ]
    if ds.attrs.get("foresight", "perfect") != "perfect":
        windows = yaml.safe_load(ds.attrs.get("foresight_windows") or "[]") or []
        lines.append(f"foresight: {ds.attrs['foresight']}, {len(windows)} window(s); the objective is the stitched pathway's cost over the horizon")
    if "capacity" not in ds:
        if ds.attrs.get("diagnosis"):
            lines.append(ds.attrs["diagnosis"])
        return lines
    lines.append("installed capacity by period (GW; GWh-free power ratings):")
    table = ds["capacity"].sum("region").to_pandas()
    table = table[(table.abs() > 1e-6).any(axis=1)]
    lines.append(table.round(2).to_string())
    lines.append("annual output by period (TWh/yr):")
    output = ds["generation_annual"].sum("region").to_pandas()
    output = output[(output.abs() > 1e-6).any(axis=1)]
    lines.append(output.round(2).to_string())
    summary = pd.DataFrame(
        {
            "co2_Mt": ds["co2_emissions"].sum("region").to_pandas(),
            "co2_price_CNY_per_t": ds["price_co2"].to_pandas(),
            "cost_bn_CNY_per_yr": ds["cost_annual"].sum("component").to_pandas(),
        }
    )
    lines.append(summary.round(2).to_string())
    return lines


def _carbon_results(ds: xr.Dataset, model: Model, x, gen_annual, per_tech, coords) -> None:
    """CCUS, hydrogen and carbon-balance results (three ends: power, consumption, sequestration)."""
    keys = model.lp.variables["generation"].keys
    annual = keys.assign(output=gen_annual, co2=per_tech * gen_annual)
    by_region_period = _region_period_summer(coords)
    captured_carrier = model.case.settings.get("co2_captured_carrier")
    if captured_carrier:
        _ccus_results(ds, model, annual, captured_carrier, by_region_period, coords)
    _hydrogen_results(ds, model, x, coords)
    _carbon_balance_results(ds, model, annual, captured_carrier, by_region_period, coords)


def _region_period_summer(coords: dict):
    """``by_region_period(frame, column)``: a long frame's column summed onto the (region, period) grid."""
    region_period = {"region": coords["region"], "period": coords["period"]}

    def by_region_period(frame: pd.DataFrame, column: str) -> xr.DataArray:
        table = frame.groupby(["region", "period"])[column].sum()
        out = np.zeros((len(coords["region"]), len(coords["period"])))
        if len(table):
            index = table.index
            out[pd.Index(coords["region"]).get_indexer(index.get_level_values(0)), pd.Index(coords["period"]).get_indexer(index.get_level_values(1))] = table.to_numpy()
        return xr.DataArray(out, dims=["region", "period"], coords=region_period)

    return by_region_period


def _ccus_results(ds: xr.Dataset, model: Model, annual: pd.DataFrame, captured_carrier: str, by_region_period, coords: dict) -> None:
    """CO2 captured and stored (Mt/yr) by region and period; geological storage capacity and what is left (Mt)."""
    data, case = model.data, model.case
    flows = annual.merge(data.flows[data.flows["carrier"] == captured_carrier], on=["technology", "period"])
    produced = flows[flows["flow"] > 0]
    ds["co2_captured"] = by_region_period(produced.assign(mt=produced["flow"] * produced["output"]), "mt").assign_attrs(
        _attrs("Mt CO2/yr", "CO2 captured (from plants, industry, biomass and air) into the captured-CO2 carrier")
    )
    balanced = data.carriers["balance"]
    sink_out = ~balanced.reindex(data.technologies["carrier_out"].reindex(flows["technology"]).to_numpy()).to_numpy(dtype=bool)
    stored = flows[(flows["flow"] < 0) & sink_out]
    ds["co2_stored"] = by_region_period(stored.assign(mt=-stored["flow"] * stored["output"]), "mt").assign_attrs(
        _attrs("Mt CO2/yr", "CO2 injected into geological storage (captured CO2 consumed by technologies whose output leaves the system)")
    )
    limits = case["cumulative_limits"]
    sink_techs = set(stored["technology"]) | {
        t for t, row in data.technologies.iterrows() if row["carrier_in"] == captured_carrier and not balanced.get(row["carrier_out"], True)
    }
    capacity = limits[limits["technology"].isin(sink_techs)].groupby("region")["cumulative_max_TWh"].sum()
    capacity = xr.DataArray(capacity.reindex(coords["region"]).fillna(0.0).to_numpy(), dims="region", coords={"region": coords["region"]})
    cumulative = (ds["co2_stored"] * ds["period_years"]).cumsum("period")
    ds["co2_storage_capacity"] = capacity.assign_attrs(_attrs("Mt CO2", "Cumulative geological storage capacity"))
    ds["co2_storage_remaining"] = (capacity - cumulative).where(capacity > 0, 0.0).assign_attrs(
        _attrs("Mt CO2", "Geological storage capacity left at the end of each period")
    )


def _hydrogen_results(ds: xr.Dataset, model: Model, x, coords: dict) -> None:
    """Hydrogen output by production technology (GW, LHV) and the state of charge of hydrogen storage (GWh)."""
    lp, data = model.lp, model.data
    hydrogen = model.case.settings.get("hydrogen_carrier") or "hydrogen"
    if hydrogen not in data.carriers.index:
        return
    h2_flows = data.flows[(data.flows["carrier"] == hydrogen) & (data.flows["flow"] > 0)]
    if len(h2_flows):
        family = lp.variables["generation"]
        rows = family.keys.reset_index().merge(h2_flows, on=["technology", "period"])
        values = lp.values(family, x)[rows["index"].to_numpy()] * rows["flow"].to_numpy()[:, None]
        stub = type(family)("hydrogen_production", rows[["technology", "region", "period"]], True, lp.n_time, "GW", "")
        ds["hydrogen_production"] = _dense(stub, values, coords).assign_attrs(_attrs("GW", "Hydrogen output by production technology (LHV)"))
    if "storage_level" in ds:
        is_h2 = xr.DataArray(data.technologies["carrier_out"].reindex(coords["technology"]).to_numpy() == hydrogen, dims="technology", coords={"technology": coords["technology"]})
        if bool(is_h2.where(ds["technology_type"] == "storage", False).any()):
            ds["hydrogen_storage_level"] = ds["storage_level"].where(is_h2 & (ds["technology_type"] == "storage"), 0.0).assign_attrs(
                _attrs("GWh", "State of charge of hydrogen storage (LHV)")
            )


def _carbon_balance_results(ds: xr.Dataset, model: Model, annual: pd.DataFrame, captured_carrier, by_region_period, coords: dict) -> None:
    """CO2 removed (Mt/yr) by region; net CO2 by end (power, consumption, sequestration), exogenous emissions, sinks
    and national net emissions (Mt/yr) by period."""
    data, case = model.data, model.case
    periods = case["periods"].set_index("period").reindex(coords["period"])
    # carbon balance by end
    ends = data.technologies["end"].copy()
    electricity = case.settings.get("electricity_carrier") or "electricity"
    default = np.where(
        data.technologies["carrier_out"] == electricity,
        "power",
        np.where(data.technologies["carrier_out"] == captured_carrier, "sequestration", "consumption"),
    )
    ends = ends.where(ends != "", pd.Series(default, index=ends.index))
    annual["end"] = ends.reindex(annual["technology"]).to_numpy()
    # removals: biogenic CO2 captured (BECCS, biomass to hydrogen with capture) plus CO2 captured by technologies
    # that output captured CO2 outside the consumption end (direct air capture); capture at industrial sources
    # (consumption end) reduces emissions instead of removing CO2
    factors = data.emission_factor.set_index(["technology", "period"])
    biogenic = factors["biogenic_captured"].reindex(pd.MultiIndex.from_frame(annual[["technology", "period"]])).fillna(0.0).to_numpy()
    direct = (data.technologies["carrier_out"].reindex(annual["technology"]).to_numpy() == captured_carrier) & (annual["end"] != "consumption").to_numpy()
    removed = annual.assign(removed=biogenic * annual["output"] + np.where(direct, annual["output"], 0.0))
    ds["co2_removed"] = by_region_period(removed, "removed").assign_attrs(
        _attrs("Mt CO2/yr", "CO2 removed from the atmosphere: biogenic CO2 captured (BECCS) and direct air capture")
    )
    end_names = ["power", "consumption", "sequestration"]
    table = annual.groupby(["end", "period"])["co2"].sum()
    balance = np.zeros((3, len(coords["period"])))
    for (end, period), value in table.items():
        balance[end_names.index(end), list(coords["period"]).index(period)] += value
    balance[1] += periods["exogenous_emissions_Mt"].to_numpy()
    balance[2] -= periods["ecosystem_sink_Mt"].to_numpy()
    ds.coords["end"] = np.array(end_names, dtype=object)
    ds["carbon_balance"] = xr.DataArray(balance, dims=["end", "period"], coords={"end": ds["end"], "period": coords["period"]}).assign_attrs(
        _attrs("Mt CO2/yr", "Net CO2 by end: power (electricity generation), consumption (hydrogen and other conversion, exogenous sectors), "
               "sequestration (ecosystem sinks, direct air capture); sums to national net emissions")
    )
    ds["exogenous_emissions"] = xr.DataArray(periods["exogenous_emissions_Mt"].to_numpy(), dims="period", coords={"period": coords["period"]}).assign_attrs(
        _attrs("Mt CO2/yr", "Emissions of sectors outside the model (input)")
    )
    ds["ecosystem_sink"] = xr.DataArray(periods["ecosystem_sink_Mt"].to_numpy(), dims="period", coords={"period": coords["period"]}).assign_attrs(
        _attrs("Mt CO2/yr", "Ecosystem sinks (input)")
    )
    ds["co2_net_emissions"] = ds["carbon_balance"].sum("end").assign_attrs(_attrs("Mt CO2/yr", "National net CO2 emissions (sum of the carbon balance)"))
