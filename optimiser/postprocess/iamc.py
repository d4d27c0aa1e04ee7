"""Export to the IAMC long format (columns model, scenario, region, variable, unit, year, value).

Variable names follow the AR6 scenario database template where it has one (``Capacity|Electricity|
Wind|Onshore``, ``Secondary Energy|Electricity|Solar|PV``, ``Secondary Energy|Hydrogen|Electricity``,
``Emissions|CO2|Energy|Supply|Electricity``, ``Carbon Sequestration|CCS``, ``Price|Carbon``, ...).
Storage uses the openENTRANCE names ``Capacity|Electricity|Storage Converter|<X>`` (GW) and
``Capacity|Electricity|Storage Reservoir|<X>`` (GWh).

**Technology mapping.** :data:`TECHNOLOGY_MAP` maps the technology names of ``inputs/example``,
``inputs/example_h2_ccus`` and of the China case (``inputs/china/build/CONVENTIONS.md``) to the
path below the carrier (``Coal|w/o CCS``, ``Wind|Onshore``, ...). A name not in the table is
matched by keywords (:data:`KEYWORD_RULES`: ``coal`` + ``ccs`` -> ``Coal|w/ CCS``, ``offwind`` ->
``Wind|Offshore``, ...). **Fallback:** a technology matched by neither is reported as
``Other|<technology name>`` under its output carrier (``Capacity|Electricity|Other|foo``), so that
totals stay complete and the name stays visible. :func:`mapping_table` lists the mapping actually
used for a dataset; the export writes it as a second sheet (xlsx) or beside the CSV.

Every family (``Capacity|Electricity``, ``Secondary Energy|Electricity``, ...) is reported with all
its intermediate sums, so ``pyam.IamDataFrame.check_aggregate`` holds for them. Rows are per
region and for the whole system (region ``national_region``, default the settings' ``country`` or
"National"). Units: GW, GWh, TWh/yr, Mt CO2/yr, CNY_<year>/MWh, CNY_<year>/t CO2, billion CNY_<year>/yr.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

from .. import __version__
from .common import SCENARIO, PostprocessError, carrier_names, prepare, scenario_attrs, scenarios, select, settings, technology_frame

COLUMNS = ["model", "scenario", "region", "variable", "unit", "year", "value"]

#: technology name -> path below the output carrier
TECHNOLOGY_MAP = {
    # electricity generation
    "coal": "Coal|w/o CCS",
    "coal_ccs": "Coal|w/ CCS",
    "gas": "Gas|w/o CCS",
    "gas_ccgt": "Gas|w/o CCS|CCGT",
    "gas_ocgt": "Gas|w/o CCS|OCGT",
    "gas_ccs": "Gas|w/ CCS",
    "oil": "Oil",
    "nuclear": "Nuclear",
    "hydro": "Hydro",
    "hydro_reservoir": "Hydro|Reservoir",
    "hydro_ror": "Hydro|Run of River",
    "wind": "Wind|Onshore",
    "onwind": "Wind|Onshore",
    "offwind": "Wind|Offshore",
    "solar": "Solar|PV",
    "solar_utility": "Solar|PV|Utility",
    "solar_distributed": "Solar|PV|Distributed",
    "csp": "Solar|CSP",
    "geothermal": "Geothermal",
    "biomass": "Biomass|w/o CCS",
    "beccs": "Biomass|w/ CCS",
    "h2_turbine": "Hydrogen",
    # hydrogen production
    "electrolysis": "Electricity",
    "smr": "Gas|w/o CCS",
    "smr_ccs": "Gas|w/ CCS",
    "coal_gasification": "Coal|w/o CCS",
    "coal_gasification_ccs": "Coal|w/ CCS",
    "biomass_gasification_ccs": "Biomass|w/ CCS",
    # storage (Storage Converter / Storage Reservoir)
    "battery": "Battery",
    "pumped_hydro": "Pumped Hydro",
    "compressed_air": "Compressed Air",
    "h2_tank": "Tank",
    "h2_cavern": "Salt Cavern",
    # captured CO2
    "dac": "Direct Air Capture",
    "industry_capture": "Industrial Processes",
    "co2_storage": "Geological Storage",
}

#: (keywords that must all occur in the lower-case name, path) for names not in TECHNOLOGY_MAP
KEYWORD_RULES = (
    (("coal", "ccs"), "Coal|w/ CCS"),
    (("coal",), "Coal|w/o CCS"),
    (("lignite",), "Coal|w/o CCS"),
    (("gas", "ccs"), "Gas|w/ CCS"),
    (("smr", "ccs"), "Gas|w/ CCS"),
    (("gas",), "Gas|w/o CCS"),
    (("smr",), "Gas|w/o CCS"),
    (("oil",), "Oil"),
    (("nuclear",), "Nuclear"),
    (("offwind",), "Wind|Offshore"),
    (("offshore",), "Wind|Offshore"),
    (("wind",), "Wind|Onshore"),
    (("csp",), "Solar|CSP"),
    (("solar",), "Solar|PV"),
    (("pv",), "Solar|PV"),
    (("hydro",), "Hydro"),
    (("geothermal",), "Geothermal"),
    (("bio", "ccs"), "Biomass|w/ CCS"),
    (("beccs",), "Biomass|w/ CCS"),
    (("bio",), "Biomass|w/o CCS"),
    (("electroly",), "Electricity"),
    (("h2",), "Hydrogen"),
    (("hydrogen",), "Hydrogen"),
    (("dac",), "Direct Air Capture"),
    (("air", "capture"), "Direct Air Capture"),
    (("batter",), "Battery"),
)


def technology_path(name: str) -> tuple[str, str]:
    """(path below the carrier, how it was found: 'table', 'keyword' or 'fallback')."""
    if name in TECHNOLOGY_MAP:
        return TECHNOLOGY_MAP[name], "table"
    lower = name.lower()
    for keywords, path in KEYWORD_RULES:
        if all(k in lower for k in keywords):
            return path, "keyword"
    return f"Other|{name}", "fallback"


def _carrier_label(carrier: str, names: dict) -> str:
    if carrier == names["electricity"]:
        return "Electricity"
    if carrier == names["hydrogen"]:
        return "Hydrogen"
    if names["co2"] and carrier == names["co2"]:
        return "Carbon Capture"
    if "co2" in carrier.lower():
        return "Carbon Storage"
    return carrier.replace("_", " ").title()


def mapping_table(ds: xr.Dataset) -> pd.DataFrame:
    """For every technology of ``ds``: its output carrier and the IAMC variables it is reported under."""
    ds = prepare(ds)
    names = carrier_names(ds)
    techs = technology_frame(ds)
    rows = []
    for tech, info in techs.iterrows():
        path, how = technology_path(tech)
        carrier = _carrier_label(info["carrier_out"], names)
        if info["type"] == "storage":
            variables = [f"Capacity|{carrier}|Storage Converter|{path}", f"Capacity|{carrier}|Storage Reservoir|{path}"]
        elif info["carrier_out"] in (names["electricity"], names["hydrogen"]):
            variables = [f"Capacity|{carrier}|{path}", f"Secondary Energy|{carrier}|{path}", f"Capacity Additions|{carrier}|{path}",
                         f"Investment|Energy Supply|{carrier}|{path}"]
        elif names["co2"] and info["carrier_out"] == names["co2"]:
            variables = [f"Capacity|Carbon Capture|{path}", f"Carbon Capture|{path}"]
        else:
            variables = [f"Capacity|{carrier}|{path}", f"Output|{carrier}|{path}"]
        rows.append({"technology": tech, "carrier": info["carrier_out"], "type": info["type"], "path": path, "matched_by": how,
                     "variables": "; ".join(variables)})
    return pd.DataFrame(rows)


def _currency(attrs: dict) -> str:
    text = str(attrs.get("currency") or "CNY")
    year = re.search(r"(\d{4})", text)
    code = re.match(r"\s*([A-Za-z]+)", text)
    code = code.group(1).upper() if code else "CNY"
    return f"{code}_{year.group(1)}" if year else code


def _national_name(ds) -> str:
    s = settings(ds)
    return str(s.get("country") or s.get("national_region") or "National")


STORAGE_PARTS = ("|Storage Converter|", "|Storage Reservoir|")


def with_sums(frame: pd.DataFrame, roots) -> pd.DataFrame:
    """Sum duplicate rows, then add every intermediate sum between each root and its leaves.

    A leaf is a variable that is not the prefix of another one; a technology reported at a level
    that also has children (``Gas|w/o CCS`` next to ``Gas|w/o CCS|CCGT``) becomes ``...|Other``.
    Storage variables (``Storage Converter``, ``Storage Reservoir``) are not part of the sums.
    """
    keys = ["region", "variable", "unit", "year"]
    frame = frame.groupby(keys, as_index=False, sort=False)["value"].sum()
    for root in roots:
        under = frame["variable"].str.startswith(root + "|") & ~frame["variable"].map(lambda v: any(p in v for p in STORAGE_PARTS))
        variables = set(frame.loc[under, "variable"])
        if not variables:
            continue
        parents = {v for v in variables if any(o.startswith(v + "|") for o in variables)}
        rename = {v: v + "|Other" for v in parents}
        frame["variable"] = frame["variable"].replace(rename)
        under = frame["variable"].str.startswith(root + "|") & ~frame["variable"].map(lambda v: any(p in v for p in STORAGE_PARTS))
        leaves = frame[under]
        prefixes = set()
        for variable in leaves["variable"].unique():
            parts = variable[len(root) + 1:].split("|")
            for i in range(len(parts)):
                prefixes.add(root + ("|" + "|".join(parts[:i]) if i else ""))
        frame = frame[~frame["variable"].isin(prefixes)]
        sums = []
        for prefix in sorted(prefixes):
            below = leaves[leaves["variable"].str.startswith(prefix + "|")]
            total = below.groupby(["region", "unit", "year"], as_index=False, sort=False)["value"].sum()
            total["variable"] = prefix
            sums.append(total)
        frame = pd.concat([frame] + sums, ignore_index=True)
    return frame


def to_iamc(ds: xr.Dataset, model: str | None = None, scenario: str | None = None, national_region: str | None = None) -> pd.DataFrame:
    """The results in IAMC long format (one row per model, scenario, region, variable, unit and year)."""
    ds = prepare(ds)
    model = model or f"optimiser {__version__}"
    attrs = scenario_attrs(ds)
    frames = []
    for label in scenarios(ds):
        one = select(ds, label)
        run = attrs.get(label) or next(iter(attrs.values()))
        name = scenario or label or str(run.get("case") or "scenario")
        if scenario and label is not None:
            name = f"{scenario}|{label}"
        table = _one(one, run, national_region or _national_name(one))
        table.insert(0, "scenario", name)
        table.insert(0, "model", model)
        frames.append(table)
    out = pd.concat(frames, ignore_index=True)
    out["year"] = out["year"].astype(int)
    out = out[np.isfinite(out["value"].astype(float))]
    out["value"] = out["value"].where(out["value"].abs() >= 1e-9, 0.0)
    return out[COLUMNS].sort_values(["scenario", "region", "variable", "year"]).reset_index(drop=True)


class _Rows:
    """IAMC rows (region, variable, unit, year, value) of one run, added variable by variable."""

    def __init__(self, national: str):
        self.national = national
        self.rows: list[dict] = []

    def add(self, variable: str, unit: str, array: xr.DataArray, national_value: xr.DataArray | None = None) -> None:
        """Per region (if ``array`` has a region dimension) and national rows (the regions' sum unless given)."""
        array = array.fillna(0.0) if national_value is None else array
        if "region" in array.dims:
            for region in array["region"].values:
                for period, value in array.sel(region=region).to_series().items():
                    self.rows.append({"region": str(region), "variable": variable, "unit": unit, "year": int(period), "value": float(value)})
            total = array.sum("region") if national_value is None else national_value
        else:
            total = array if national_value is None else national_value
        for period, value in total.to_series().items():
            self.rows.append({"region": self.national, "variable": variable, "unit": unit, "year": int(period), "value": float(value)})

    def frame(self) -> pd.DataFrame:
        return pd.DataFrame(self.rows, columns=["region", "variable", "unit", "year", "value"])


def _one(ds: xr.Dataset, attrs: dict, national: str) -> pd.DataFrame:
    """The IAMC table of one run: technologies, carbon, prices and demand, costs, corridors (with the sums of roots)."""
    names = carrier_names(ds)
    techs = technology_frame(ds)
    currency = _currency(attrs)
    rows = _Rows(national)
    roots = _technology_rows(rows, ds, techs, names, currency)
    _carbon_rows(rows, ds, techs, names)
    _price_demand_rows(rows, ds, names, currency)
    _cost_corridor_rows(rows, ds, names, currency)
    return with_sums(rows.frame(), roots)


def _technology_rows(rows: _Rows, ds: xr.Dataset, techs: pd.DataFrame, names: dict, currency: str) -> list[str]:
    """Capacity, additions, output and investment of every technology that has any; returns the roots to sum."""
    add = rows.add
    capacity = ds["capacity"]
    new = ds["capacity_new"]
    output = ds["generation_annual"]
    years = ds["period_years"]
    investment = None
    if "capex_per_kW" in ds:
        investment = (new * ds["capex_per_kW"] + ds.get("storage_energy_new", xr.zeros_like(new)) * ds.get("capex_energy_per_kWh", 0.0)) * 1e-3
    families = {}
    for tech, info in techs.iterrows():
        path, _ = technology_path(tech)
        carrier = info["carrier_out"]
        label = _carrier_label(carrier, names)
        if float(abs(capacity.sel(technology=tech)).max()) <= 1e-9 and float(abs(output.sel(technology=tech)).max()) <= 1e-9:
            continue
        if info["type"] == "storage":
            add(f"Capacity|{label}|Storage Converter|{path}", "GW", capacity.sel(technology=tech))
            if "storage_energy_capacity" in ds:
                add(f"Capacity|{label}|Storage Reservoir|{path}", "GWh", ds["storage_energy_capacity"].sel(technology=tech))
            add(f"Capacity Additions|{label}|Storage Converter|{path}", "GW/yr", new.sel(technology=tech) / years)
            if investment is not None:
                add(f"Investment|Energy Supply|{label}|Storage|{path}", f"billion {currency}/yr", investment.sel(technology=tech) / years)
            continue
        if carrier in (names["electricity"], names["hydrogen"]):
            families.setdefault(label, True)
            add(f"Capacity|{label}|{path}", "GW", capacity.sel(technology=tech))
            add(f"Secondary Energy|{label}|{path}", "TWh/yr", output.sel(technology=tech))
            add(f"Capacity Additions|{label}|{path}", "GW/yr", new.sel(technology=tech) / years)
            if investment is not None:
                add(f"Investment|Energy Supply|{label}|{path}", f"billion {currency}/yr", investment.sel(technology=tech) / years)
        elif names["co2"] and carrier == names["co2"]:
            add(f"Capacity|Carbon Capture|{path}", "Mt CO2/yr", capacity.sel(technology=tech) * 8.76)
            add(f"Carbon Capture|{path}", "Mt CO2/yr", output.sel(technology=tech))
        else:
            unit = ("Mt CO2/yr" if label == "Carbon Storage" else "Mt/yr") if info["capacity_unit"] == "kt/h" else "TWh/yr"
            cap = capacity.sel(technology=tech) * (8.76 if info["capacity_unit"] == "kt/h" else 1.0)
            add(f"Capacity|{label}|{path}", "Mt CO2/yr" if label == "Carbon Storage" else unit if info["capacity_unit"] == "kt/h" else "GW", cap)
            add(f"Output|{label}|{path}", unit, output.sel(technology=tech))
    # roots must not be nested: each is summed from its own leaves once
    roots = [f"{family}|{label}" for label in families for family in ("Capacity", "Secondary Energy", "Capacity Additions")]
    roots += ["Capacity|Carbon Capture", "Investment|Energy Supply"]
    return roots



def _carbon_rows(rows: _Rows, ds: xr.Dataset, techs: pd.DataFrame, names: dict) -> None:
    """Emissions by supply, exogenous sectors and sinks; capture, sequestration and remaining storage (Mt CO2)."""
    add = rows.add
    output = ds["generation_annual"]
    if "co2_emissions_by_technology" in ds:
        by_tech = ds["co2_emissions_by_technology"]
        groups = {"Electricity": [], "Hydrogen": [], "Other": []}
        for tech, info in techs.iterrows():
            key = "Electricity" if info["carrier_out"] == names["electricity"] else "Hydrogen" if info["carrier_out"] == names["hydrogen"] else "Other"
            groups[key].append(tech)
        for key, members in groups.items():
            if members:
                add(f"Emissions|CO2|Energy|Supply|{key}", "Mt CO2/yr", by_tech.sel(technology=members).sum("technology"))
        supply = by_tech.sum("technology")
        add("Emissions|CO2|Energy|Supply", "Mt CO2/yr", supply)
        add("Emissions|CO2|Energy", "Mt CO2/yr", supply)
    if "co2_net_emissions" in ds:
        exogenous = ds["exogenous_emissions"] if "exogenous_emissions" in ds else xr.zeros_like(ds["co2_net_emissions"])
        sink = ds["ecosystem_sink"] if "ecosystem_sink" in ds else xr.zeros_like(ds["co2_net_emissions"])
        add("Emissions|CO2|Other", "Mt CO2/yr", exogenous)
        add("Emissions|CO2|AFOLU", "Mt CO2/yr", -sink)
        add("Carbon Sequestration|Land Use", "Mt CO2/yr", sink)
        if "co2_emissions_by_technology" in ds:  # regions: modelled emissions (exogenous sectors and sinks are national)
            add("Emissions|CO2", "Mt CO2/yr", ds["co2_emissions_by_technology"].sum("technology").fillna(0.0), ds["co2_net_emissions"])
        else:
            add("Emissions|CO2", "Mt CO2/yr", ds["co2_net_emissions"])
    if "co2_stored" in ds:
        add("Carbon Sequestration|CCS", "Mt CO2/yr", ds["co2_stored"])
    if "co2_captured" in ds:
        add("Carbon Capture", "Mt CO2/yr", ds["co2_captured"])
        capturing = [t for t in techs.index if names["co2"] and techs.at[t, "carrier_out"] == names["co2"]]
        at_plants = ds["co2_captured"].fillna(0.0) - output.sel(technology=capturing).sum("technology")
        add("Carbon Capture|Energy Supply", "Mt CO2/yr", at_plants)
    dac = [t for t in techs.index if technology_path(t)[0] == "Direct Air Capture" and names["co2"] and techs.at[t, "carrier_out"] == names["co2"]]
    if dac:
        add("Carbon Sequestration|Direct Air Capture", "Mt CO2/yr", output.sel(technology=dac).sum("technology"))
    if "co2_removed" in ds:
        removed = ds["co2_removed"]
        if dac:
            removed = removed - output.sel(technology=dac).sum("technology")
        add("Carbon Sequestration|CCS|Biomass", "Mt CO2/yr", removed)
    if "co2_storage_remaining" in ds:
        add("Carbon Storage|Remaining Capacity", "Mt CO2", ds["co2_storage_remaining"])


def _price_demand_rows(rows: _Rows, ds: xr.Dataset, names: dict, currency: str) -> None:
    """CO2 price, electricity and hydrogen prices (demand-weighted national mean) and final energy."""
    add = rows.add
    if "price_co2" in ds:
        add("Price|Carbon", f"{currency}/t CO2", ds["price_co2"])
    price = "price_demand_weighted" if "price_demand_weighted" in ds else "price_mean" if "price_mean" in ds else None
    for carrier, label in ((names["electricity"], "Electricity"), (names["hydrogen"], "Hydrogen")):
        if carrier not in ds["carrier"].values:
            continue
        demand = ds["demand_annual"].sel(carrier=carrier).fillna(0.0) if "demand_annual" in ds else None
        if price is not None:
            regional = ds[price].sel(carrier=carrier)
            if demand is not None and float(demand.sum()) > 0:
                average = (regional.fillna(0.0) * demand).sum("region") / demand.sum("region").where(demand.sum("region") > 0)
            else:
                average = regional.mean("region")
            if bool(regional.notnull().any()):
                add(f"Price|Secondary Energy|{label}", f"{currency}/MWh", regional, average)
        if demand is not None and float(abs(demand).sum()) > 0:
            add(f"Final Energy|{label}", "TWh/yr", demand)


def _cost_corridor_rows(rows: _Rows, ds: xr.Dataset, names: dict, currency: str) -> None:
    """Annual system cost by component and in all; corridor capacities."""
    add = rows.add
    if "cost_annual" in ds:
        for component in ds["component"].values:
            add(f"Cost|Energy System|{str(component).replace('_', ' ').title()}", f"billion {currency}/yr", ds["cost_annual"].sel(component=component))
        add("Cost|Energy System", f"billion {currency}/yr", ds["cost_annual"].sum("component"))
    # corridors
    if "corridor_capacity" in ds and ds.sizes.get("corridor", 0):
        carriers = ds["corridor_carrier"].to_series() if "corridor_carrier" in ds else pd.Series(dtype=str)
        for corridor in ds["corridor"].values:
            carrier = str(carriers.get(corridor, ""))
            label = _carrier_label(carrier, names) if carrier else "Transmission"
            unit = "kt CO2/h" if names["co2"] and carrier == names["co2"] else "GW"
            add(f"Capacity|Transmission|{label}|{corridor}", unit, ds["corridor_capacity"].sel(corridor=corridor))


def write_iamc(table: pd.DataFrame, path: str | Path, mapping: pd.DataFrame | None = None) -> list[Path]:
    """Write the IAMC table as CSV or xlsx (sheet ``data``; the technology mapping in sheet ``mapping``)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    written = [path]
    if path.suffix.lower() == ".xlsx":
        with pd.ExcelWriter(path, engine="openpyxl") as writer:
            table.to_excel(writer, sheet_name="data", index=False)
            if mapping is not None:
                mapping.to_excel(writer, sheet_name="mapping", index=False)
    elif path.suffix.lower() == ".csv":
        table.to_csv(path, index=False)
        if mapping is not None:
            extra = path.with_name(path.stem + "_mapping.csv")
            mapping.to_csv(extra, index=False)
            written.append(extra)
    else:
        raise PostprocessError(f"{path}: the IAMC export writes .csv or .xlsx files")
    return written


def export_iamc(ds: xr.Dataset, path: str | Path, **kwargs) -> list[Path]:
    """:func:`to_iamc` and :func:`write_iamc` in one call."""
    ds = prepare(ds)
    return write_iamc(to_iamc(ds, **kwargs), path, mapping_table(ds))


__all__ = ["TECHNOLOGY_MAP", "KEYWORD_RULES", "technology_path", "mapping_table", "to_iamc", "write_iamc", "export_iamc", "SCENARIO"]
