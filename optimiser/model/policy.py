"""CO2 policy: emission accounting per region and period, the annual cap and the CO2 tax."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .data import PER_T_TO_BN_PER_MT


def add_emission_accounting(model) -> None:
    """co2_emissions[r, p] - sum_{t,h} weight_h x factor[t,p] x generation[t,r,p,h] / 1000 = 0   (Mt CO2/yr)."""
    data, lp = model.data, model.lp
    keys = pd.MultiIndex.from_product([data.case.regions, data.periods.astype(np.int64)], names=["region", "period"]).to_frame(index=False)
    emissions = lp.add_variables(
        "co2_emissions", keys, lower=-np.inf, units="Mt CO2/yr", doc="Net CO2 emissions of the modelled system (negative = removal)"
    )
    accounting = lp.add_constraints(
        "co2_accounting", keys, "==", 0.0, units="Mt CO2/yr", doc="Net emissions = sum of technology emissions"
    )
    everyone = np.arange(len(keys))
    accounting.add(emissions, everyone, everyone, -1.0)


def add_caps_and_taxes(model) -> None:
    """National cap, cumulative budget, regional caps and the CO2 tax."""
    data, lp = model.data, model.lp
    emissions = model.var("co2_emissions")
    keys = emissions.keys
    periods = data.case["periods"]
    outside = (periods["exogenous_emissions_Mt"] - periods["ecosystem_sink_Mt"]).to_numpy()

    # co2_cap[p]: sum_r co2_emissions[r,p] <= cap[p] - exogenous[p] + sink[p]   (Mt CO2/yr)
    capped = periods["co2_cap_Mt"].notna().to_numpy()
    if capped.any():
        cap = lp.add_constraints(
            "co2_cap", periods.loc[capped, ["period"]], "<=", periods.loc[capped, "co2_cap_Mt"].to_numpy() - outside[capped],
            units="Mt CO2/yr", doc="National net CO2 emissions (modelled + exogenous - sinks) <= cap", elastic=True,
        )
        rows = cap.locate(keys[["period"]], strict=False)
        present = rows >= 0
        cap.add(emissions, np.flatnonzero(present), rows[present], 1.0)

    # co2_budget: sum_p years_p * (sum_r co2_emissions[r,p] + exogenous[p] - sink[p]) <= budget   (Mt CO2)
    budget = data.case.settings.get("co2_budget_Mt")
    if budget is not None:
        total = lp.add_constraints(
            "co2_budget", pd.DataFrame({"scope": ["national"]}), "<=", float(budget) - float(np.dot(data.years, outside)),
            units="Mt CO2", doc="Cumulative national net CO2 emissions over the horizon <= budget", elastic=True,
        )
        years = data.years[pd.Index(data.periods).get_indexer(keys["period"])]
        total.add(emissions, np.arange(len(keys)), np.zeros(len(keys), dtype=np.int64), years)

    # regional_co2_cap[r,p]: co2_emissions[r,p] <= cap[r,p]   (Mt CO2/yr)
    regional = data.case["regional_co2_caps"]
    if not regional.empty:
        regional_cap = lp.add_constraints(
            "regional_co2_cap", regional[["region", "period"]], "<=", regional["co2_cap_Mt"].to_numpy(),
            units="Mt CO2/yr", doc="Net CO2 emissions of modelled technologies in a region <= regional cap", elastic=True,
        )
        regional_cap.add(emissions, emissions.locate(regional), np.arange(len(regional)), 1.0)

    # tax[p] x co2_emissions[r,p] of the modelled system (sectors outside the model are not charged here)
    tax = periods.set_index("period")["co2_tax_CNY_per_t"].reindex(keys["period"]).to_numpy(dtype=float)
    coef = tax * PER_T_TO_BN_PER_MT * data.weight_of(keys["period"])
    for period in data.periods:
        mask = (keys["period"] == period).to_numpy() & (coef != 0)
        if mask.any():
            lp.add_cost(("co2_tax", int(period)), emissions, np.flatnonzero(mask), coef[mask])
