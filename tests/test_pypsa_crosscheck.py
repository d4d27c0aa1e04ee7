"""Cross-check against PyPSA: the same small multi-period system solved by both.

The system: two regions A and B; investment periods 2020, 2030, 2040 (the last one
standing for 10 years), base year 2020, discount rate 5 %; one representative day of
12 steps of 2 h each, standing for 730 h of the year each.

* gas turbines (expandable, availability 0.9, fuel price given for 2020 and 2040 and
  interpolated for 2030, capex falling by vintage);
* existing coal in A (built 2005, 30-year lifetime: stands in 2020 and 2030, retired
  by 2040; not expandable; 10 % minimum load);
* a CO2 tax of 0/50/100 CNY/t and a binding CO2 cap of 12 Mt/yr in 2030;
* wind (own wacc 7 %, 20-year lifetime so the 2020 vintage retires before 2040;
  3 GW existing in B built 2015) and solar (25 years), both with hourly profiles;
* a 4-hour battery (charge/discharge efficiencies, standing loss, 15-year lifetime);
* an expandable corridor A-B with receiving-end losses, 2 GW existing built in 1995
  (retired by 2040);
* demand in both regions with daily profiles, growing by period.

Our model gets it as a case folder (write_case); PyPSA as a multi-investment network
built independently from the same raw numbers (using PyPSA's own annuity function).

Conventions aligned (checked in PyPSA 1.4's source, ``pypsa/optimization``):

* ``n.optimize(multi_investment_periods=True)`` is required: without it PyPSA builds the
  model over the (period, timestep) snapshots but ignores ``investment_period_weightings``
  (capital costs charged once, unweighted), silently giving a much smaller objective.
* Period weights.  PyPSA multiplies operating costs by
  ``snapshot_weightings.objective x investment_period_weightings.objective`` and the
  capital cost of every extendable asset by ``investment_period_weightings.objective``
  summed over the periods in which it is active (``build_year <= p < build_year +
  lifetime``).  Ours does the same with ``w_p = sum of discount factors of the years of
  the period``, so ``investment_period_weightings.objective = w_p`` (computed here
  independently) and ``capital_cost = annuity x capex + fom`` per MW-year.
* Snapshot weights: ``objective = weight_h``; ``stores = duration_h`` (the elapsed hours
  PyPSA uses in the state-of-charge balance and the standing-loss exponent), so 2-hour
  steps exercise ``level = (1-loss)^d level_prev + d (eta_c charge - discharge/eta_d)``
  in both.
* Storage: ``cyclic_state_of_charge_per_period=True`` (one representative day per
  period, so our cyclic group = PyPSA's period); PyPSA keeps one state of charge per
  vintage while ours pools the vintages, which is equivalent for a linear model with
  identical parameters across vintages.  Storage variable O&M = ``marginal_cost`` on
  ``p_dispatch``.
* Operating parameters (fuel price, vom, CO2 tax) may vary by period in ours and apply
  to all vintages operating in it; in PyPSA they are time series of ``marginal_cost``
  over the (period, timestep) snapshots.  Fixed O&M is charged by operating period in
  ours but is a static ``capital_cost`` of each vintage in PyPSA, so fixed O&M is kept
  constant over the periods.
* Fixed costs of existing capacity: ours charges fixed O&M on all installed capacity,
  including existing; PyPSA leaves the ``capital_cost`` of non-extendable assets out of
  the objective entirely.  That constant is added to PyPSA's objective here, computed
  from PyPSA's own component table and activity mask.
* Corridor: ours has one capacity per corridor for both directions, losses at the
  receiving end.  PyPSA gets two unidirectional Links (efficiency = 1 - loss) per
  vintage whose ``p_nom`` are tied equal by an extra constraint; only the forward one
  carries the capital cost.
* CO2: the tax is folded into PyPSA's ``marginal_cost`` (tax x content / efficiency);
  the cap is a ``primary_energy`` GlobalConstraint for the period, which PyPSA weights by
  ``investment_period_weightings.years``, so its constant is cap x years.
* Min load / availability: ``p_min_pu`` / ``p_max_pu``.
* Units: ours GW and billion CNY; PyPSA MW and CNY (objective / 1e9 to compare).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from casebuilder import solve_case, write_case

pypsa = pytest.importorskip("pypsa")

pytestmark = pytest.mark.filterwarnings("ignore:pandas infers the `str` dtype:FutureWarning")

PERIODS = [2020, 2030, 2040]
LAST_YEARS = 10
RATE = 0.05
BASE = 2020
REGIONS = ["A", "B"]
N_STEPS = 12
WEIGHT_H = 730.0  # 12 steps x 730 h = 8760 h
DURATION_H = 2.0

# demand (TWh/yr) and daily shape
DEMAND_TWH = {"A": {2020: 180.0, 2030: 220.0, 2040: 260.0}, "B": {2020: 80.0, 2030: 100.0, 2040: 120.0}}
DEMAND_SHAPE = {
    "A": np.array([0.7, 0.65, 0.7, 0.9, 1.1, 1.2, 1.15, 1.1, 1.2, 1.3, 1.1, 0.8]),
    "B": np.array([0.8, 0.8, 0.85, 0.95, 1.0, 1.05, 1.1, 1.05, 1.1, 1.2, 1.0, 0.9]),
}
SOLAR = np.array([0.0, 0.0, 0.0, 0.15, 0.55, 0.85, 0.9, 0.6, 0.2, 0.0, 0.0, 0.0])
AVAILABILITY = {
    ("solar", "A"): SOLAR,
    ("solar", "B"): 0.8 * SOLAR,
    ("wind", "A"): np.array([0.25, 0.3, 0.35, 0.3, 0.2, 0.15, 0.1, 0.12, 0.2, 0.3, 0.35, 0.3]),
    ("wind", "B"): np.array([0.55, 0.6, 0.5, 0.4, 0.3, 0.25, 0.2, 0.3, 0.45, 0.6, 0.65, 0.6]),
}

# carriers without a balance: CO2 content (t/MWh_th) and price (CNY/MWh_th); 2030 gas interpolated
CO2_CONTENT = {"gas": 0.2, "coal": 0.34}
FUEL_PRICE = {"gas": {2020: 180.0, 2030: 220.0, 2040: 260.0}, "coal": {2020: 100.0, 2030: 100.0, 2040: 100.0}}
CO2_TAX = {2020: 0.0, 2030: 50.0, 2040: 100.0}  # CNY/t
CO2_CAP = {2030: 12.0}  # Mt CO2/yr (binding)

# technologies: lifetime, wacc (None = discount rate), capex by vintage (CNY/kW), fom (CNY/kW/yr), vom, efficiency
TECH = {
    "gas": dict(fuel="gas", lifetime=30, wacc=None, capex={2020: 3000.0, 2030: 2800.0, 2040: 2600.0}, fom=60.0, vom=10.0, eff=0.55, availability=0.9),
    "coal": dict(fuel="coal", lifetime=30, wacc=None, capex={2020: 0.0, 2030: 0.0, 2040: 0.0}, fom=80.0, vom=15.0, eff=0.40, expandable=False, min_load=0.1),
    "wind": dict(fuel="", lifetime=20, wacc=0.07, capex={2020: 6000.0, 2030: 5000.0, 2040: 4500.0}, fom=120.0, vom=0.0, eff=1.0),
    "solar": dict(fuel="", lifetime=25, wacc=None, capex={2020: 4000.0, 2030: 2500.0, 2040: 2000.0}, fom=50.0, vom=0.0, eff=1.0),
}
BATTERY = dict(lifetime=15, wacc=None, capex={2020: 5000.0, 2030: 3000.0, 2040: 2000.0}, fom=100.0, vom=2.0, hours=4.0, eta_c=0.92, eta_d=0.93, loss=0.0005)
# existing capacity: (technology, region, build_year, GW)
EXISTING = [("coal", "A", 2005, 15.0), ("wind", "B", 2015, 3.0)]
CORRIDOR = dict(length_km=800.0, loss_per_1000km=0.05, capex_per_kw_km=3.0, fom_fraction=0.015, lifetime=40, existing_gw=2.0, build_year=1995)


def _period_years() -> list[float]:
    return [b - a for a, b in zip(PERIODS[:-1], PERIODS[1:])] + [LAST_YEARS]


def _period_weights() -> dict[int, float]:
    return {p: sum((1 + RATE) ** -(p + k - BASE) for k in range(int(y))) for p, y in zip(PERIODS, _period_years())}


def _demand_mw(region: str, period: int) -> np.ndarray:
    shape = DEMAND_SHAPE[region]
    return shape * DEMAND_TWH[region][period] * 1e6 / (shape.sum() * WEIGHT_H)


# --------------------------------------------------------------------------- our case


def _write_case(folder):
    times = range(N_STEPS)
    technologies = []
    technology_periods = []
    for name, t in TECH.items():
        technologies.append(
            {"technology": name, "type": "conversion", "carrier_out": "electricity", "carrier_in": t["fuel"], "lifetime_years": t["lifetime"],
             "wacc": "" if t["wacc"] is None else t["wacc"], "expandable": t.get("expandable", True),
             "availability_max": t.get("availability", 1.0), "min_load_fraction": t.get("min_load", 0.0)}
        )
        for p in PERIODS:
            technology_periods.append(
                {"technology": name, "period": p, "capex_CNY_per_kW": t["capex"][p], "fom_CNY_per_kW_yr": t["fom"], "vom_CNY_per_MWh": t["vom"], "efficiency": t["eff"]}
            )
    b = BATTERY
    technologies.append(
        {"technology": "battery", "type": "storage", "carrier_out": "electricity", "carrier_in": "", "lifetime_years": b["lifetime"], "wacc": "",
         "expandable": True, "duration_h": b["hours"], "efficiency_charge": b["eta_c"], "efficiency_discharge": b["eta_d"], "standing_loss_per_h": b["loss"]}
    )
    for p in PERIODS:
        technology_periods.append({"technology": "battery", "period": p, "capex_CNY_per_kW": b["capex"][p], "fom_CNY_per_kW_yr": b["fom"], "vom_CNY_per_MWh": b["vom"]})
    c = CORRIDOR
    return write_case(
        folder,
        settings={"base_year": BASE, "discount_rate": RATE, "last_period_years": LAST_YEARS},
        periods=[{"period": p, "co2_tax_CNY_per_t": CO2_TAX[p], "co2_cap_Mt": CO2_CAP.get(p, "")} for p in PERIODS],
        regions=[{"region": r} for r in REGIONS],
        carriers=[{"carrier": "electricity", "balance": True}]
        + [{"carrier": f, "balance": False, "co2_content_t_per_MWh": CO2_CONTENT[f]} for f in CO2_CONTENT],
        # gas given for 2020 and 2040 only: 2030 is interpolated (220)
        fuel_prices=[{"carrier": "gas", "period": p, "price_CNY_per_MWh": FUEL_PRICE["gas"][p]} for p in (2020, 2040)]
        + [{"carrier": "coal", "period": 2020, "price_CNY_per_MWh": FUEL_PRICE["coal"][2020]}],
        technologies=technologies,
        technology_periods=technology_periods,
        capacities=[{"technology": t, "region": r, "build_year": y, "capacity_GW": gw} for t, r, y, gw in EXISTING],
        time_steps=[{"time": h, "weight_h": WEIGHT_H, "duration_h": DURATION_H, "representative_period": 0} for h in times],
        demand=[{"carrier": "electricity", "region": r, "period": p, "demand_TWh": DEMAND_TWH[r][p]} for r in REGIONS for p in PERIODS],
        demand_profiles=[{"carrier": "electricity", "region": r, "time": h, "profile": DEMAND_SHAPE[r][h]} for r in REGIONS for h in times],
        availability=[{"technology": t, "region": r, "time": h, "availability": a[h]} for (t, r), a in AVAILABILITY.items() for h in times],
        corridors=[
            {"corridor": "AB", "carrier": "electricity", "region_from": "A", "region_to": "B", "length_km": c["length_km"], "capacity_GW": c["existing_gw"],
             "build_year": c["build_year"], "loss_per_1000km": c["loss_per_1000km"], "capex_CNY_per_kW_km": c["capex_per_kw_km"],
             "fom_fraction": c["fom_fraction"], "lifetime_years": c["lifetime"], "expandable": True}
        ],
    )


# --------------------------------------------------------------------------- PyPSA network


def _per_snapshot(values_by_period: dict, snapshots: pd.MultiIndex) -> np.ndarray:
    return np.array([values_by_period[p] for p in snapshots.get_level_values(0)], dtype=float)


def _build_pypsa():
    from pypsa.costs import annuity

    n = pypsa.Network()
    snapshots = pd.MultiIndex.from_product([PERIODS, range(N_STEPS)], names=["period", "timestep"])
    n.set_snapshots(snapshots)
    n.investment_periods = PERIODS
    n.snapshot_weightings["objective"] = WEIGHT_H
    n.snapshot_weightings["generators"] = WEIGHT_H
    n.snapshot_weightings["stores"] = DURATION_H
    weights = _period_weights()
    n.investment_period_weightings["years"] = _period_years()
    n.investment_period_weightings["objective"] = [weights[p] for p in PERIODS]

    n.add("Carrier", ["electricity", "wind", "solar", "battery"])
    for fuel, content in CO2_CONTENT.items():
        n.add("Carrier", fuel, co2_emissions=content)  # t per MWh of primary energy (output / efficiency)
    for p, cap in CO2_CAP.items():
        # PyPSA weights the emissions of period p by investment_period_weightings.years: cap x years
        years = dict(zip(PERIODS, _period_years()))[p]
        n.add("GlobalConstraint", f"co2_cap_{p}", type="primary_energy", carrier_attribute="co2_emissions",
              investment_period=p, sense="<=", constant=cap * 1e6 * years)
    for r in REGIONS:
        n.add("Bus", r, carrier="electricity")
        n.add("Load", f"load-{r}", bus=r, p_set=pd.Series(np.concatenate([_demand_mw(r, p) for p in PERIODS]), index=snapshots))

    def marginal(t):
        per_period = {}
        for p in PERIODS:
            cost = t["vom"]
            if t["fuel"]:
                cost += (FUEL_PRICE[t["fuel"]][p] + CO2_TAX[p] * CO2_CONTENT[t["fuel"]]) / t["eff"]
            per_period[p] = cost
        return pd.Series(_per_snapshot(per_period, snapshots), index=snapshots)

    def profile(tech, r):
        a = AVAILABILITY.get((tech, r))
        return TECH[tech].get("availability", 1.0) if a is None else pd.Series(np.tile(a, len(PERIODS)), index=snapshots)

    for tech, t in TECH.items():
        rate = RATE if t["wacc"] is None else t["wacc"]
        for r in REGIONS:
            if t.get("expandable", True):
                for v in PERIODS:
                    n.add(
                        "Generator", f"{tech}-{r}-{v}", bus=r, carrier=t["fuel"] or tech, efficiency=t["eff"], p_nom_extendable=True, build_year=v, lifetime=t["lifetime"],
                        capital_cost=(annuity(rate, t["lifetime"]) * t["capex"][v] + t["fom"]) * 1e3,
                        marginal_cost=marginal(t), p_max_pu=profile(tech, r), p_min_pu=t.get("min_load", 0.0),
                    )
            for et, er, year, gw in EXISTING:
                if (et, er) == (tech, r):
                    n.add(
                        "Generator", f"{tech}-{r}-existing{year}", bus=r, carrier=t["fuel"] or tech, efficiency=t["eff"], p_nom=gw * 1e3, build_year=year, lifetime=t["lifetime"],
                        capital_cost=t["fom"] * 1e3, marginal_cost=marginal(t), p_max_pu=profile(tech, r), p_min_pu=t.get("min_load", 0.0),
                    )

    b = BATTERY
    for r in REGIONS:
        for v in PERIODS:
            n.add(
                "StorageUnit", f"battery-{r}-{v}", bus=r, carrier="battery", p_nom_extendable=True, build_year=v, lifetime=b["lifetime"],
                capital_cost=(annuity(RATE, b["lifetime"]) * b["capex"][v] + b["fom"]) * 1e3, marginal_cost=b["vom"],
                max_hours=b["hours"], efficiency_store=b["eta_c"], efficiency_dispatch=b["eta_d"], standing_loss=b["loss"],
                cyclic_state_of_charge=False, cyclic_state_of_charge_per_period=True,
            )

    c = CORRIDOR
    eff = 1.0 - c["loss_per_1000km"] * c["length_km"] / 1000.0
    capex_per_mw = c["capex_per_kw_km"] * c["length_km"] * 1e3
    fom_per_mw = capex_per_mw * c["fom_fraction"]
    pairs = []
    for v in PERIODS + ["existing"]:
        common = dict(efficiency=eff, carrier="electricity", lifetime=c["lifetime"])
        if v == "existing":
            common.update(p_nom=c["existing_gw"] * 1e3, build_year=c["build_year"])
            forward_cost = fom_per_mw
        else:
            common.update(p_nom_extendable=True, build_year=v)
            forward_cost = annuity(RATE, c["lifetime"]) * capex_per_mw + fom_per_mw
            pairs.append((f"AB-fwd-{v}", f"AB-bwd-{v}"))
        n.add("Link", f"AB-fwd-{v}", bus0="A", bus1="B", capital_cost=forward_cost, **common)
        n.add("Link", f"AB-bwd-{v}", bus0="B", bus1="A", capital_cost=0.0, **common)

    def tie_directions(n, snapshots):
        p_nom = n.model["Link-p_nom"]
        forward = [f for f, _ in pairs]
        backward = [b for _, b in pairs]
        lhs = p_nom.sel(name=forward) - p_nom.sel(name=backward).assign_coords(name=forward)
        n.model.add_constraints(lhs == 0, name="Link-bidirectional_p_nom")

    return n, tie_directions


def _fixed_cost_of_non_extendable(n) -> float:
    """capital_cost x p_nom x sum of w_p over active periods for non-extendable assets (CNY); PyPSA omits it."""
    weights = n.investment_period_weightings["objective"]
    total = 0.0
    for component, attr in (("Generator", "p_nom"), ("Link", "p_nom"), ("StorageUnit", "p_nom")):
        c = n.components[component]
        static = c.static
        fixed = static.index[~static[f"{attr}_extendable"]]
        for p in n.investment_periods:
            active = c.get_active_assets(p).reindex(fixed)
            total += float((static.loc[fixed, "capital_cost"] * static.loc[fixed, attr] * active).sum()) * weights[p]
    return total


# --------------------------------------------------------------------------- the test


@pytest.fixture(scope="module")
def both(tmp_path_factory):
    path = _write_case(tmp_path_factory.mktemp("pypsa_crosscheck") / "case")
    ds, model, solution = solve_case(path)
    n, extra = _build_pypsa()
    status, condition = n.optimize(solver_name="highs", multi_investment_periods=True, extra_functionality=extra, include_objective_constant=False, log_to_console=False)
    assert status == "ok" and condition == "optimal", (status, condition)
    return ds, solution, n


def test_period_weights_match_ours(both):
    ds, _, n = both
    np.testing.assert_allclose(ds["period_weight"].sel(period=PERIODS).to_numpy(), n.investment_period_weightings["objective"].to_numpy(), rtol=1e-12)


def test_objective_matches_pypsa(both):
    ds, solution, n = both
    pypsa_total = (n.objective + _fixed_cost_of_non_extendable(n)) / 1e9  # CNY -> billion CNY
    assert solution.objective == pytest.approx(pypsa_total, rel=1e-6), (solution.objective, pypsa_total)


def _pypsa_capacity_gw(n, component: str, prefix: str, period: int) -> float:
    c = n.components[component]
    active = c.get_active_assets(period)
    names = [name for name in c.static.index if name.startswith(prefix) and active[name]]
    return float(c.static.loc[names, "p_nom_opt"].sum()) / 1e3


def test_capacities_match_pypsa(both):
    ds, _, n = both
    for p in PERIODS:
        for r in REGIONS:
            for tech in list(TECH) + ["battery"]:
                component = "StorageUnit" if tech == "battery" else "Generator"
                ours = float(ds["capacity"].sel(technology=tech, region=r, period=p))
                theirs = _pypsa_capacity_gw(n, component, f"{tech}-{r}-", p)
                assert ours == pytest.approx(theirs, rel=1e-3, abs=1e-3), (tech, r, p, ours, theirs)
        ours = float(ds["corridor_capacity"].sel(corridor="AB", period=p))
        theirs = _pypsa_capacity_gw(n, "Link", "AB-fwd-", p)
        assert ours == pytest.approx(theirs, rel=1e-3, abs=1e-3), ("AB", p, ours, theirs)


def test_co2_emissions_and_price_match_pypsa(both):
    """The 2030 cap binds in both; PyPSA's ``mu`` is per tonne of the years-weighted period total and
    discounted, ours is per tonne of annual emissions and undiscounted: ours = -mu x years / w_p."""
    ds, _, n = both
    w = n.investment_period_weightings
    for p in PERIODS:
        theirs = 0.0
        for name, g in n.generators.iterrows():
            content = CO2_CONTENT.get(g["carrier"], 0.0)
            if content:
                p_mw = n.generators_t.p.loc[p, name]
                theirs += float((p_mw * n.snapshot_weightings.generators.loc[p]).sum()) * content / g["efficiency"] / 1e6
        assert float(ds["co2_emissions"].sel(period=p).sum()) == pytest.approx(theirs, rel=1e-6, abs=1e-6), p
    assert float(ds["co2_emissions"].sel(period=2030).sum()) == pytest.approx(CO2_CAP[2030], rel=1e-9)
    mu = n.global_constraints.loc["co2_cap_2030", "mu"]
    assert mu < 0  # binding
    assert float(ds["price_co2"].sel(period=2030)) == pytest.approx(-mu * w.loc[2030, "years"] / w.loc[2030, "objective"], rel=1e-6)


def test_electricity_prices_match_pypsa(both):
    """Both report undiscounted prices per MWh (ours: dual / (w_p x weight_h); PyPSA's marginal_price
    in a multi-period model likewise).  Duals can be non-unique in a degenerate LP; here they coincide."""
    ds, _, n = both
    for r in REGIONS:
        ours = ds["price_electricity"].sel(region=r).transpose("period", "time").to_numpy()
        theirs = n.buses_t.marginal_price[r].unstack("timestep").loc[PERIODS].to_numpy()
        np.testing.assert_allclose(ours, theirs, rtol=1e-6, atol=1e-3)


def test_fixed_duration_storage_pays_energy_capex(tmp_path):
    """One region, one period (w_p = 1), solar charging a 3-hour battery whose energy costs 500 CNY/kWh.

    A fixed-duration StorageUnit in PyPSA pays capital_cost = annuity x (capex_kW + max_hours x capex_kWh);
    ours must charge the energy capex of fixed-duration storage per kW the same way."""
    from pypsa.costs import annuity

    profile = [0.0, 1.0, 0.0, 0.0]
    weight = 2190.0
    hours, capex_kw, capex_kwh, life = 3.0, 100.0, 500.0, 10
    path = write_case(
        tmp_path / "case",
        periods=[{"period": 2020}],
        regions=[{"region": "A"}],
        carriers=[{"carrier": "electricity"}],
        technologies=[
            {"technology": "solar", "type": "conversion", "carrier_out": "electricity", "lifetime_years": 20},
            {"technology": "battery", "type": "storage", "carrier_out": "electricity", "lifetime_years": life, "duration_h": hours},
        ],
        technology_periods=[
            {"technology": "solar", "period": 2020, "capex_CNY_per_kW": 1000.0},
            {"technology": "battery", "period": 2020, "capex_CNY_per_kW": capex_kw, "capex_energy_CNY_per_kWh": capex_kwh},
        ],
        time_steps=[{"time": h, "weight_h": weight, "duration_h": 1.0, "representative_period": 0} for h in range(4)],
        demand=[{"carrier": "electricity", "region": "A", "period": 2020, "demand_TWh": 8.76}],
        availability=[{"technology": "solar", "region": "A", "time": h, "availability": a} for h, a in enumerate(profile)],
    )
    _, _, solution = solve_case(path)

    n = pypsa.Network()
    n.set_snapshots(range(4))
    n.snapshot_weightings["objective"] = weight
    n.snapshot_weightings["generators"] = weight
    n.snapshot_weightings["stores"] = 1.0
    n.add("Carrier", ["electricity", "solar", "battery"])
    n.add("Bus", "A", carrier="electricity")
    n.add("Load", "load", bus="A", p_set=1000.0)
    n.add("Generator", "solar", bus="A", carrier="solar", p_nom_extendable=True, p_max_pu=pd.Series(profile, index=n.snapshots),
          capital_cost=annuity(0.0, 20) * 1000.0 * 1e3)
    n.add("StorageUnit", "battery", bus="A", carrier="battery", p_nom_extendable=True, max_hours=hours, cyclic_state_of_charge=True,
          capital_cost=annuity(0.0, life) * (capex_kw + hours * capex_kwh) * 1e3)
    status, condition = n.optimize(solver_name="highs", include_objective_constant=False, log_to_console=False)
    assert condition == "optimal"
    assert solution.objective == pytest.approx(n.objective / 1e9, rel=1e-6), (solution.objective, n.objective / 1e9)
