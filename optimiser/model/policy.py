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
    """co2_cap[p]:  sum_r co2_emissions[r, p] <= cap[p]  (Mt CO2/yr);  tax[p] x emissions in the objective."""
    data, lp = model.data, model.lp
    emissions = model.var("co2_emissions")
    keys = emissions.keys
    periods = data.case["periods"]
    capped = periods[periods["co2_cap_Mt"].notna()]
    if len(capped):
        cap = lp.add_constraints(
            "co2_cap", capped[["period"]], "<=", capped["co2_cap_Mt"].to_numpy(), units="Mt CO2/yr",
            doc="Net annual CO2 emissions <= cap", elastic=True,
        )
        rows = cap.locate(keys[["period"]], strict=False)
        present = rows >= 0
        cap.add(emissions, np.flatnonzero(present), rows[present], 1.0)
    tax = periods.set_index("period")["co2_tax_CNY_per_t"].reindex(keys["period"]).to_numpy(dtype=float)
    coef = tax * PER_T_TO_BN_PER_MT * data.weight_of(keys["period"])
    for period in data.periods:
        mask = (keys["period"] == period).to_numpy() & (coef != 0)
        if mask.any():
            lp.add_cost(("co2_tax", int(period)), emissions, np.flatnonzero(mask), coef[mask])
