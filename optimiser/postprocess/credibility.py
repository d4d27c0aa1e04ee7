"""The credibility table: the model's figures beside the record, the milestones and published studies.

A case's ``references.csv`` (carried in the results as ``reference_*`` variables) lists figures to hold the results
against: year-end statistics (``kind = record``, with a tolerance), policy milestones and ranges of published pathway
studies. For each row the model's value of the same quantity is computed here:

| quantity | model value |
|---|---|
| capacity | installed capacity of the listed technologies, all regions (GW) |
| generation | annual output of the listed technologies (TWh/yr) |
| generation_total | annual output of every technology that makes electricity (TWh/yr) |
| generation_share | output of the listed technologies / generation_total (%) |
| co2_power | net CO2 of the technologies that make electricity (Mt CO2/yr) |
| co2_net | national net CO2: modelled + exogenous - ecosystem sinks (Mt CO2/yr) |
| co2_captured, co2_stored | CO2 captured, and injected into geological storage (Mt CO2/yr) |
| hydrogen_production | hydrogen output, TWh (LHV) / 33.33 TWh per Mt (Mt H2/yr; 120 MJ/kg) |
| price_co2 | shadow price of CO2 (CNY/t) |

Blank ``technologies`` means every technology that makes electricity. A row with a ``tolerance`` is checked
(percentage points for %, per cent of the value otherwise); a range (``low``..``high``) says whether the model is
below, within or above it; a row with only ``low`` (or only ``high``) says whether the model reaches at least (at most)
it, e.g. the capacity standing at the end of the record. The model's results stay findings: nothing here constrains them.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import xarray as xr

from .common import SCENARIO, carrier_names

#: TWh (LHV) of one Mt of hydrogen: 120 MJ/kg = 33.33 kWh/kg
TWH_PER_MT_H2 = 120.0 / 3.6


def _electric(ds: xr.Dataset) -> list[str]:
    electricity = carrier_names(ds)["electricity"]
    makes = (ds["technology_carrier_out"] == electricity) & (ds["technology_type"] == "conversion")
    return [str(t) for t in ds["technology"].values[makes.values]]


def model_value(ds: xr.Dataset, quantity: str, technologies: str, period: int) -> float:
    """The model's value of one reference row's quantity (see the module docstring), or NaN where the results lack it."""
    if int(period) not in set(int(p) for p in ds["period"].values):
        return np.nan
    at = {"period": int(period)}
    listed = [t for t in str(technologies or "").split() if t in set(ds["technology"].values)] or _electric(ds)

    def total(name, techs):
        return float(ds[name].sel(technology=techs, **at).sum())

    if quantity == "capacity":
        return total("capacity", listed)
    if quantity == "generation":
        return total("generation_annual", listed)
    if quantity == "generation_total":
        return total("generation_annual", _electric(ds))
    if quantity == "generation_share":
        whole = total("generation_annual", _electric(ds))
        return 100.0 * total("generation_annual", listed) / whole if whole else np.nan
    if quantity == "co2_power":
        return total("co2_emissions_by_technology", _electric(ds)) if "co2_emissions_by_technology" in ds else np.nan
    if quantity == "co2_net":
        return float(ds["co2_net_emissions"].sel(**at)) if "co2_net_emissions" in ds else np.nan
    if quantity in ("co2_captured", "co2_stored"):
        return float(ds[quantity].sel(**at).sum()) if quantity in ds else np.nan
    if quantity == "hydrogen_production":
        return float(ds["hydrogen_production_annual"].sel(**at).sum()) / TWH_PER_MT_H2 if "hydrogen_production_annual" in ds else 0.0
    if quantity == "price_co2":
        return float(ds["price_co2"].sel(**at)) if "price_co2" in ds else np.nan
    return np.nan


def _verdict(model: float, value: float, low: float, high: float, tolerance: float, unit: str) -> tuple[str, object]:
    """(difference as text, within: True / False / None)."""
    if np.isnan(model):
        return "n/a", None
    if np.isnan(value) and (np.isnan(low) != np.isnan(high)):  # one-sided: at least low, or at most high
        slack = 1e-4 * max(1.0, abs(low if not np.isnan(low) else high))  # the rounding of the inputs
        if not np.isnan(low):
            return ("at least the reference" if model >= low - slack else "below the reference"), bool(model >= low - slack)
        return ("at most the reference" if model <= high + slack else "above the reference"), bool(model <= high + slack)
    if not np.isnan(low) and not np.isnan(high):
        where = "below the range" if model < low else ("above the range" if model > high else "within the range")
        return where, bool(low <= model <= high) if np.isnan(tolerance) else None
    if np.isnan(value):
        return "", None
    if unit == "%":
        difference = model - value
        text = f"{difference:+.1f} pp"
        limit = tolerance
    else:
        difference = 100.0 * (model - value) / value if value else np.nan
        text = f"{difference:+.1f} %"
        limit = tolerance
    if np.isnan(tolerance):
        return text, None
    return text, bool(abs(difference) <= tolerance + 1e-9) if not np.isnan(limit) else None


def _number(value: float) -> str:
    return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:.4g}"


def make_credibility(ds: xr.Dataset) -> pd.DataFrame:
    """One row per reference (and scenario): the reference, the model's value, the difference, whether it is within."""
    if "reference" not in ds.dims:
        return pd.DataFrame()
    ref = {column: ds[f"reference_{column}"].values for column in (
        "quantity", "technologies", "period", "value", "low", "high", "unit", "tolerance", "kind", "label", "source")}
    runs = [(str(label), ds.sel({SCENARIO: label})) for label in ds[SCENARIO].values] if SCENARIO in ds.dims else [(None, ds)]
    rows = []
    for label, run in runs:
        for i in range(ds.sizes["reference"]):
            value, low, high, tolerance = (float(ref[c][i]) if ref[c][i] is not None else np.nan for c in ("value", "low", "high", "tolerance"))
            model = model_value(run, str(ref["quantity"][i]), str(ref["technologies"][i] or ""), int(ref["period"][i]))
            difference, within = _verdict(model, value, low, high, tolerance, str(ref["unit"][i]))
            row = {SCENARIO: label} if label is not None else {}
            reference = _number(value) if not np.isnan(value) else ""
            if not np.isnan(low) and not np.isnan(high):
                reference = (reference + " " if reference else "") + f"[{_number(low)} .. {_number(high)}]"
            elif np.isnan(value) and not np.isnan(low):
                reference = f">= {_number(low)}"
            elif np.isnan(value) and not np.isnan(high):
                reference = f"<= {_number(high)}"
            quantity = str(ref["quantity"][i])
            technologies = str(ref["technologies"][i] or "") or "(all electricity)"
            row.update(
                quantity=quantity,
                technologies=technologies if quantity in ("capacity", "generation", "generation_share") else "",
                period=int(ref["period"][i]),
                unit=str(ref["unit"][i]),
                kind=str(ref["kind"][i]),
                reference_label=str(ref["label"][i] or ""),
                reference=reference,
                model=round(model, 4) if not np.isnan(model) else np.nan,
                difference=difference,
                tolerance="" if np.isnan(tolerance) else (f"±{tolerance:g} pp" if str(ref["unit"][i]) == "%" else f"±{tolerance:g} %"),
                within=within,
                source=str(ref["source"][i]),
            )
            rows.append(row)
    return pd.DataFrame(rows)
