"""Hydrogen and CCUS: hand-worked cases for chains that are plain data in the model.

Every expected number is derived by hand in the comments next to it from the inputs of
the case (never read back from a model run).  Unit reminders (see also test_hand_worked.py):

* energy carriers flow in GW, mass carriers (captured CO2) in kt/h: 1 GW over 1000 h is
  1 TWh, 1 kt/h over 1000 h is 1 Mt; a price per MWh of a mass carrier is a price per t;
* capacity of a mass-output technology (DAC, CO2 storage) is in kt/h; capex "per kW" is per
  kg/h, so 1000 CNY per kg/h on 1 kt/h = 1e6 kg/h is 1e9 CNY = 1 bn CNY;
* with wacc = 0 the annuity is capex / lifetime; with r = 0 a single period weighs 1 year and
  periods spaced 10 years apart weigh 10 years each;
* a technology without an input whose output is captured CO2 ("capture at an industrial
  source") has a net emission factor of -1 t per t captured; a CO2 store (captured CO2 ->
  a carrier without a balance) has factor 0;
* the CO2 tax charges the net emissions of the modelled system (negative = revenue);
  ``price_co2`` is the shadow price of the cap / budget only (not the tax).
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest

from casebuilder import hourly, solve_case, write_case

from optimiser import InputError, load_case

H2_CCUS = Path(__file__).resolve().parent.parent / "inputs" / "example_h2_ccus"
# no exogenous demand, said explicitly with a zero row (a demand.csv without rows is an input error)
NO_DEMAND = [{"carrier": "co2_captured", "region": "A", "period": 2020, "demand_TWh": 0}]


def approx(value, rel=1e-6, abs=1e-6):
    return pytest.approx(value, rel=rel, abs=abs)


def cell(ds, name, **sel):
    return float(ds[name].sel(**sel))


def cost(ds, component, period):
    return float(ds["cost"].sel(component=component, period=period))


def co2_carriers(captured="co2_captured"):
    return [
        {"carrier": captured, "unit": "kt/h"},
        {"carrier": "co2_stored", "unit": "kt/h", "balance": False},
    ]


def store_tech(name="co2_storage", captured="co2_captured"):
    """Injection into geological storage: captured CO2 -> co2_stored (leaves the system)."""
    return {
        "technology": name, "type": "conversion", "carrier_out": "co2_stored", "carrier_in": captured,
        "lifetime_years": 50, "wacc": 0.0, "end": "sequestration",
    }


# --------------------------------------------------------------------------- 1 electrolysis


def _electrolysis_case(folder, with_storage: bool):
    """One region, one period of one year (r = 0, weight 1); a representative day of 24 hourly
    steps, each standing for 365 h (24 x 365 = 8760 h).

    Electricity: "solar" 20 GW existing, available only in steps 8..15 (8 x 365 = 2920 h), vom
    100 CNY/MWh; "gas" 50 GW existing, vom 600 CNY/MWh; flat electricity demand 1 GW (8.76 TWh).
    Electrolysis: efficiency 0.5, capex 2920 CNY/kW (of hydrogen output), lifetime 10, wacc 0
    -> 292 CNY/kW/yr.  Hydrogen demand flat 1 GW (8.76 TWh).  With storage: a free hydrogen
    store (no capex, no losses, energy capacity chosen freely).
    """
    technologies = [
        {"technology": "solar", "type": "conversion", "carrier_out": "electricity", "lifetime_years": 50, "expandable": False},
        {"technology": "gas", "type": "conversion", "carrier_out": "electricity", "lifetime_years": 50, "expandable": False},
        {"technology": "electrolysis", "type": "conversion", "carrier_out": "hydrogen", "carrier_in": "electricity", "lifetime_years": 10, "wacc": 0.0},
    ]
    technology_periods = [
        {"technology": "solar", "period": 2020, "vom_CNY_per_MWh": 100},
        {"technology": "gas", "period": 2020, "vom_CNY_per_MWh": 600},
        {"technology": "electrolysis", "period": 2020, "capex_CNY_per_kW": 2920, "efficiency": 0.5},
    ]
    if with_storage:
        technologies.append({"technology": "h2_store", "type": "storage", "carrier_out": "hydrogen", "lifetime_years": 10, "wacc": 0.0})
        technology_periods.append({"technology": "h2_store", "period": 2020})
    return write_case(
        folder,
        periods=[{"period": 2020}],
        regions=[{"region": "A"}],
        carriers=[{"carrier": "electricity"}, {"carrier": "hydrogen"}],
        technologies=technologies,
        technology_periods=technology_periods,
        capacities=[
            {"technology": "solar", "region": "A", "build_year": 2000, "capacity_GW": 20},
            {"technology": "gas", "region": "A", "build_year": 2000, "capacity_GW": 50},
        ],
        availability=[{"technology": "solar", "region": "A", "time": t, "availability": 1.0 if 8 <= t <= 15 else 0.0} for t in range(24)],
        time_steps=hourly(24, weight_h=365),
        demand=[
            {"carrier": "electricity", "region": "A", "period": 2020, "demand_TWh": 8.76},
            {"carrier": "hydrogen", "region": "A", "period": 2020, "demand_TWh": 8.76},
        ],
    )


CHEAP = [8 <= t <= 15 for t in range(24)]


def test_electrolyser_with_storage_runs_only_in_cheap_hours(tmp_path):
    """With a free hydrogen store the electrolyser runs only in the 2920 cheap hours:
        capacity = 1 GW x 8760 h / 2920 h = 3 GW, at full load in steps 8..15, idle otherwise;
        full-load hours = 8.76 TWh / 3 GW = 2920 h.
    Producing in a dear hour would cost 600 / 0.5 = 1200 CNY/MWh of hydrogen, far above the
    price below, so it never pays.
    Hydrogen price (the same in every step: the free lossless store links them)
        = electricity price / efficiency + annualised capex / running hours
        = 100 / 0.5 + 292 CNY/kW/yr / 2920 h (= 0.1 CNY/kWh)  = 200 + 100 = 300 CNY/MWh.
    Store: charges 3 - 1 = 2 GW for 8 h (+16 GWh), discharges 1 GW for 16 h (-16 GWh):
        level range = 16 GWh.
    Electricity: cheap steps 1 + 3 / 0.5 = 7 GW of 20 GW solar -> price 100; dear steps gas 1 GW -> 600.
    Cost (weight 1): solar 7 GW x 2920 h = 20440 GWh x 100 = 2.044 bn; gas 1 GW x 5840 h x 600
        = 3.504 bn; electrolyser 3 GW x 292 CNY/kW = 0.876 bn; total 6.424 bn.
    """
    ds, _, solution = solve_case(_electrolysis_case(tmp_path / "h2_store", with_storage=True))
    electrolysis = ds["generation"].sel(technology="electrolysis", region="A", period=2020).values
    assert cell(ds, "capacity", technology="electrolysis", region="A", period=2020) == approx(3)
    assert electrolysis.tolist() == [approx(3 if c else 0) for c in CHEAP]
    weight = ds["time_weight_h"].values
    assert float(weight[electrolysis > 1e-6].sum()) == approx(2920)  # hours of operation
    assert cell(ds, "generation_annual", technology="electrolysis", region="A", period=2020) / 3 * 1000 == approx(2920)
    assert ds["hydrogen_production"].sel(technology="electrolysis", region="A", period=2020).values.tolist() == electrolysis.tolist()
    h2_price = ds["price_hydrogen"].sel(region="A", period=2020).values
    assert h2_price.tolist() == [approx(300)] * 24
    assert ds["price_hydrogen"].attrs["units"] == "CNY/MWh"
    assert ds["price_electricity"].sel(region="A", period=2020).values.tolist() == [approx(100 if c else 600) for c in CHEAP]
    level = ds["hydrogen_storage_level"].sel(technology="h2_store", region="A", period=2020).values
    assert float(level.max() - level.min()) == approx(16)
    assert ds["hydrogen_storage_level"].attrs["units"] == "GWh"
    assert solution.objective == approx(6.424)



def test_tie_break_capex_sizes_free_capacity_in_interior_solutions(tmp_path):
    """The free store's power capacity costs nothing, so without crossover the interior point may report
    any value >= the 2 GW it needs (charging 3 - 1 GW).  With tie_break_capex_CNY_per_kW = 10 (annuity
    10 CNY/kW / 10 years = 1 CNY/kW/yr) it is sized at exactly what it needs, 2 GW, for
    2e6 kW x 1 CNY = 0.002 bn CNY on top of the 6.424 bn of the case above."""
    import yaml

    folder = _electrolysis_case(tmp_path / "tie", with_storage=True)
    settings = yaml.safe_load((folder / "settings.yaml").read_text())
    settings["tie_break_capex_CNY_per_kW"] = 10
    (folder / "settings.yaml").write_text(yaml.safe_dump(settings))
    ds, _, solution = solve_case(folder, {"solver": "ipx", "run_crossover": "off"})
    assert cell(ds, "capacity", technology="h2_store", region="A", period=2020) == approx(2, rel=1e-5)
    assert solution.objective == approx(6.424 + 0.002, rel=1e-7)
    assert cell(ds, "capacity", technology="electrolysis", region="A", period=2020) == approx(3, rel=1e-6)

def test_electrolyser_without_storage_follows_demand(tmp_path):
    """Without storage the electrolyser must follow the flat demand: 1 GW in all 24 steps
    (8760 h).  Electricity for hydrogen costs 200 CNY/MWh_H2 in 8 steps and 1200 in 16 steps.
    The split of the capacity rent between hours is not unique, but the hours-weighted average
    hydrogen price is (cost of one more GW of flat demand / 8760 h):
        (8 x 200 + 16 x 1200) / 24 + 292 CNY/kW/yr / 8760 h = 866.667 + 33.333 = 900 CNY/MWh.
    Cost: solar 3 GW x 2920 h x 100 = 0.876 bn; gas 3 GW x 5840 h x 600 = 10.512 bn;
        electrolyser 1 GW x 292 = 0.292 bn; total 11.68 bn (5.256 bn more than with the store).
    """
    ds, _, solution = solve_case(_electrolysis_case(tmp_path / "h2_flat", with_storage=False))
    assert cell(ds, "capacity", technology="electrolysis", region="A", period=2020) == approx(1)
    electrolysis = ds["generation"].sel(technology="electrolysis", region="A", period=2020).values
    assert electrolysis.tolist() == [approx(1)] * 24
    weight = ds["time_weight_h"].values
    assert float(weight[electrolysis > 1e-6].sum()) == approx(8760)
    h2_price = ds["price_hydrogen"].sel(region="A", period=2020).values
    assert float((h2_price * weight).sum() / weight.sum()) == approx(900)
    # each hour's price covers at least that hour's electricity: 200 or 1200 CNY/MWh
    assert all(p >= (200 if c else 1200) - 1e-6 for p, c in zip(h2_price, CHEAP))
    assert "hydrogen_storage_level" not in ds
    assert solution.objective == approx(11.68)


# --------------------------------------------------------------------------- 2 CO2 storage limits


def _storage_later_case(folder, cumulative_Mt):
    """Periods 2020 and 2030 (r = 0, 10 years each, weight 10); region A; one step of 1000 h.
    "capture" at an industrial source (no input, output captured CO2, end consumption):
    potential 5 Mt/yr (energy budget), vom 100 CNY/t in 2020 and 50 CNY/t in 2030, no capex.
    "co2_storage": free injection, cumulative capacity ``cumulative_Mt``.  CO2 tax 200 CNY/t.
    Exogenous emissions 20 Mt/yr (the industrial plant's own process emissions).
    """
    tables = dict(
        settings={"co2_captured_carrier": "co2_captured", "last_period_years": 10},
        periods=[{"period": p, "co2_tax_CNY_per_t": 200, "exogenous_emissions_Mt": 20} for p in (2020, 2030)],
        regions=[{"region": "A"}],
        carriers=co2_carriers(),
        technologies=[
            {"technology": "capture", "type": "conversion", "carrier_out": "co2_captured", "lifetime_years": 50, "end": "consumption"},
            store_tech(),
        ],
        technology_periods=[
            {"technology": "capture", "period": 2020, "vom_CNY_per_MWh": 100},
            {"technology": "capture", "period": 2030, "vom_CNY_per_MWh": 50},
            {"technology": "co2_storage", "period": 2020},
        ],
        energy_budgets=[{"technology": "capture", "region": "A", "energy_max_TWh": 5}],
        time_steps=hourly(1, weight_h=1000),
        demand=NO_DEMAND,
    )
    if cumulative_Mt is not None:
        tables["cumulative_limits"] = [{"technology": "co2_storage", "region": "A", "cumulative_max_TWh": cumulative_Mt}]
    return write_case(folder, **tables)


def test_unlimited_co2_store_captures_everything(tmp_path):
    """Without a limit: capture pays in both periods (tax 200 > vom 100 and 50): 5 Mt/yr each.
    Cost: 2020 (100 - 200) x 5 Mt = -0.5 bn/yr; 2030 (50 - 200) x 5 = -0.75 bn/yr; x 10 years
    -> -5 - 7.5 = -12.5 bn.  The captured carrier is free to dispose of: price 0 CNY/t.
    """
    ds, _, solution = solve_case(_storage_later_case(tmp_path / "unlimited", None))
    assert ds["co2_stored"].sel(region="A").values.tolist() == [approx(5), approx(5)]
    assert ds["price_co2_captured"].sel(region="A").values.ravel().tolist() == [approx(0), approx(0)]
    assert ds["price_co2_captured"].attrs["units"] == "CNY/t"
    assert solution.objective == approx(-12.5)


def test_cumulative_co2_store_shifts_capture_to_the_later_period(tmp_path):
    """Store of 70 Mt over the horizon (< 2 x 10 x 5 = 100 Mt): it binds.  A tonne stored is worth
    tax - vom = 100 CNY/t in 2020 and 150 CNY/t in 2030, so 2030 captures its full potential
    (5 Mt/yr x 10 = 50 Mt) and 2020 the rest: (70 - 50) / 10 = 2 Mt/yr.
        co2_captured = co2_stored = 2, 5 Mt/yr; co2_emissions = -2, -5 Mt/yr;
        co2_storage_remaining = 70 - 20 = 50 after 2020, 50 - 50 = 0 after 2030.
    Scarcity rent of the store = value of the marginal (2020) tonne = 100 CNY/t: dual of
    cumulative_limit = -0.1 bn per Mt (r = 0, nothing discounted).  The captured carrier's
    price is minus that rent in both periods: -100 CNY/t (2020: capture is marginal,
    price = vom - tax = 100 - 200; 2030: the store is the marginal user).
    Cost: 2020 (100 - 200) x 2 = -0.2 bn/yr; 2030 -0.75 bn/yr; x 10 -> -2 - 7.5 = -9.5 bn.
    Capture is counted at the consumption end (industrial source): not a removal.
    """
    ds, model, solution = solve_case(_storage_later_case(tmp_path / "limited", 70))
    assert ds["co2_captured"].sel(region="A").values.tolist() == [approx(2), approx(5)]
    assert ds["co2_stored"].sel(region="A").values.tolist() == [approx(2), approx(5)]
    assert ds["co2_emissions"].sel(region="A").values.tolist() == [approx(-2), approx(-5)]
    assert float(ds["co2_storage_capacity"].sel(region="A")) == approx(70)
    assert ds["co2_storage_remaining"].sel(region="A").values.tolist() == [approx(50), approx(0)]
    dual = model.lp.values(model.con("cumulative_limit"), solution.row_dual)
    assert float(dual[0]) * 1e3 == approx(-100)
    assert ds["price_co2_captured"].sel(region="A").values.ravel().tolist() == [approx(-100), approx(-100)]
    assert ds["co2_removed"].sel(region="A").values.tolist() == [approx(0), approx(0)]
    # carbon balance: consumption end = capture -2 / -5 + exogenous 20 -> 18, 15
    assert ds["carbon_balance"].sel(end="consumption").values.tolist() == [approx(18), approx(15)]
    assert ds["co2_net_emissions"].values.tolist() == [approx(18), approx(15)]
    assert solution.objective == approx(-9.5)
    for name in ("co2_captured", "co2_stored", "co2_storage_capacity", "co2_storage_remaining"):
        assert ds[name].attrs["units"].startswith("Mt CO2"), name


def test_full_co2_store_sends_captured_co2_through_a_pipeline(tmp_path):
    """One period of one year (r = 0), one step of 1000 h, CO2 tax 200 CNY/t.
    Region A: capture potential 5 Mt/yr, vom 50 CNY/t; store in A of 3 Mt (cumulative), vom 10.
    Region B: unlimited store, vom 10 CNY/t.  CO2 pipeline A-B: 100 km, capex 10 CNY per
    kg/h per km -> 1000 CNY per kg/h, lifetime 10, wacc 0 -> 100 CNY per kg/h per year, i.e.
    100 CNY/t for a line used 1000 h; no losses.
    Shipping a tonne to B costs 50 + 100 + 10 = 160 < 200: all 5 Mt are captured; A stores 3 Mt,
    B 2 Mt through a pipeline of 2 Mt / 1000 h = 2 kt/h.
    Prices of captured CO2: B -10 CNY/t (its store is marginal); A = -10 - 100 = -110 CNY/t
    (the pipeline rent); rent of A's store = 110 - 10 = 100 CNY/t (dual -0.1 bn/Mt).
    Cost: capture 5 Mt x 50 = 0.25; storage 5 x 10 = 0.05; pipeline 2 kt/h x 0.1 bn = 0.2;
    tax -5 x 200 = -1.0; total -0.5 bn.
    """
    path = write_case(
        tmp_path / "pipeline",
        settings={"co2_captured_carrier": "co2_captured"},
        periods=[{"period": 2020, "co2_tax_CNY_per_t": 200}],
        regions=[{"region": "A"}, {"region": "B"}],
        carriers=co2_carriers(),
        technologies=[
            {"technology": "capture", "type": "conversion", "carrier_out": "co2_captured", "lifetime_years": 50, "end": "consumption"},
            store_tech(),
        ],
        technology_periods=[
            {"technology": "capture", "period": 2020, "vom_CNY_per_MWh": 50},
            {"technology": "co2_storage", "period": 2020, "vom_CNY_per_MWh": 10},
        ],
        capacity_limits=[{"technology": "capture", "region": "B", "capacity_max_GW": 0}],
        energy_budgets=[{"technology": "capture", "region": "A", "energy_max_TWh": 5}],
        cumulative_limits=[{"technology": "co2_storage", "region": "A", "cumulative_max_TWh": 3}],
        corridors=[
            {"corridor": "co2_AB", "carrier": "co2_captured", "region_from": "A", "region_to": "B", "length_km": 100,
             "capex_CNY_per_kW_km": 10, "lifetime_years": 10, "wacc": 0.0}
        ],
        time_steps=hourly(1, weight_h=1000),
        demand=NO_DEMAND,
    )
    ds, model, solution = solve_case(path)
    assert ds["co2_captured"].sel(period=2020).values.tolist() == [approx(5), approx(0)]
    assert ds["co2_stored"].sel(period=2020).values.tolist() == [approx(3), approx(2)]
    assert cell(ds, "corridor_capacity", corridor="co2_AB", period=2020) == approx(2)
    assert ds["flow"].sel(corridor="co2_AB", period=2020).values.tolist() == [approx(2)]
    assert ds["co2_storage_remaining"].sel(period=2020).values.tolist() == [approx(0), approx(0)]
    assert ds["price_co2_captured"].sel(period=2020).values.ravel().tolist() == [approx(-110), approx(-10)]
    dual = model.lp.values(model.con("cumulative_limit"), solution.row_dual)
    assert float(dual[0]) * 1e3 == approx(-100)
    assert ds["co2_emissions"].sel(period=2020).values.tolist() == [approx(-5), approx(0)]
    assert solution.objective == approx(-0.5)


# --------------------------------------------------------------------------- 3 direct air capture


def _dac_case(folder, tax=0.0, cap=None, exogenous=0.0, captured="co2_captured", dac_max=2.0):
    """One region, one period of one year (r = 0), one step of 1000 h.
    "grid": 100 GW of existing electricity at 50 CNY/MWh; electricity demand 1 GW.
    DAC: electricity -> captured CO2, efficiency 0.5 t/MWh (2 MWh per t), capex 2000 CNY per kg/h,
    lifetime 10, wacc 0 -> 200 CNY per kg/h per year = 200 CNY/t at 1000 h; at most ``dac_max`` kt/h.
    Storage: vom 50 CNY/t, no capex, no limit.
    Levelised cost of DAC + storage = 200 (capital) + 2 x 50 (electricity) + 50 (storage) = 350 CNY/t.
    """
    return write_case(
        folder,
        settings={"co2_captured_carrier": captured},
        periods=[{"period": 2020, "co2_tax_CNY_per_t": tax, "co2_cap_Mt": cap, "exogenous_emissions_Mt": exogenous}],
        regions=[{"region": "A"}],
        carriers=[{"carrier": "electricity"}] + co2_carriers(captured),
        technologies=[
            {"technology": "grid", "type": "conversion", "carrier_out": "electricity", "lifetime_years": 50, "expandable": False},
            {"technology": "dac", "type": "conversion", "carrier_out": captured, "carrier_in": "electricity", "lifetime_years": 10, "wacc": 0.0},
            store_tech(captured=captured),
        ],
        technology_periods=[
            {"technology": "grid", "period": 2020, "vom_CNY_per_MWh": 50},
            {"technology": "dac", "period": 2020, "capex_CNY_per_kW": 2000, "efficiency": 0.5},
            {"technology": "co2_storage", "period": 2020, "vom_CNY_per_MWh": 50},
        ],
        capacities=[{"technology": "grid", "region": "A", "build_year": 2000, "capacity_GW": 100}],
        capacity_limits=[{"technology": "dac", "region": "A", "capacity_max_GW": dac_max}],
        time_steps=hourly(1, weight_h=1000),
        demand=[{"carrier": "electricity", "region": "A", "period": 2020, "demand_TWh": 1}],
    )


def test_dac_not_built_when_tax_below_levelised_cost(tmp_path):
    """Tax 300 CNY/t < 350 CNY/t: no DAC.  Cost: electricity 1 GW x 1000 h x 50 = 0.05 bn."""
    ds, _, solution = solve_case(_dac_case(tmp_path / "dac300", tax=300))
    assert cell(ds, "capacity", technology="dac", region="A", period=2020) == approx(0)
    assert cell(ds, "co2_removed", region="A", period=2020) == approx(0)
    assert cell(ds, "co2_emissions", region="A", period=2020) == approx(0)
    assert solution.objective == approx(0.05)


def test_dac_built_to_its_limit_when_tax_above_levelised_cost(tmp_path):
    """Tax 400 CNY/t > 350 CNY/t: DAC built to its limit of 2 kt/h, removing 2 Mt/yr.
    DAC draws 2 / 0.5 = 4 GW: grid 5 GW, electricity price still 50 CNY/MWh.
    co2_emissions = -2 (factor -1 t/t), co2_removed = co2_captured = co2_stored = 2 Mt/yr;
    carbon balance: sequestration end -2 (DAC counts there by default), power 0, consumption 0.
    Cost: capex 2 x 0.2 = 0.4; electricity 5 GW x 1000 h x 50 = 0.25; storage 2000 kt x 50 = 0.1;
    tax -2 x 400 = -0.8; total -0.05 bn (= 0.05 for demand + 2 Mt x (350 - 400) CNY/t).
    """
    ds, _, solution = solve_case(_dac_case(tmp_path / "dac400", tax=400))
    assert cell(ds, "capacity", technology="dac", region="A", period=2020) == approx(2)
    assert cell(ds, "generation", technology="grid", region="A", period=2020, time=0) == approx(5)
    assert cell(ds, "co2_emissions", region="A", period=2020) == approx(-2)
    assert cell(ds, "co2_removed", region="A", period=2020) == approx(2)
    assert cell(ds, "co2_captured", region="A", period=2020) == approx(2)
    assert cell(ds, "co2_stored", region="A", period=2020) == approx(2)
    assert ds["carbon_balance"].sel(period=2020).values.tolist() == [approx(0), approx(0), approx(-2)]
    assert cost(ds, "co2_tax", 2020) == approx(-0.8)
    assert cost(ds, "capex", 2020) == approx(0.4)
    assert solution.objective == approx(-0.05)
    assert float(ds["price_co2"].sel(period=2020)) == approx(0)  # a tax is not a shadow price


def test_dac_sets_the_co2_price_under_a_net_negative_cap(tmp_path):
    """Exogenous emissions 10 Mt, national cap 8 Mt, no tax: the modelled system must reach
    8 - 10 = -2 Mt, which only DAC can do (limit raised to 5 kt/h so it is not binding).
    DAC 2 kt/h; the marginal tonne is removed by DAC at 350 CNY/t: price_co2 = 350.
    Captured CO2 price = -(storage vom) = -50 CNY/t.
    Carbon balance: consumption 10 (exogenous), sequestration -2, net 8 = cap.
    Cost: 0.05 + 2 x (200 + 100 + 50) CNY/t = 0.05 + 0.7 = 0.75 bn.
    """
    ds, _, solution = solve_case(_dac_case(tmp_path / "dac_cap", cap=8, exogenous=10, dac_max=5))
    assert cell(ds, "capacity", technology="dac", region="A", period=2020) == approx(2)
    assert float(ds["price_co2"].sel(period=2020)) == approx(350)
    assert ds["price_co2"].attrs["units"] == "CNY/t CO2"
    assert ds["price_co2_captured"].sel(region="A", period=2020).values.tolist() == [approx(-50)]
    assert ds["carbon_balance"].sel(period=2020).values.tolist() == [approx(0), approx(10), approx(-2)]
    assert float(ds["co2_net_emissions"].sel(period=2020)) == approx(8)
    assert solution.objective == approx(0.75)


def test_captured_carrier_named_co2_keeps_its_price_variable(tmp_path):
    """The DAC cap case with the captured carrier called "co2": both prices must survive under
    distinct names: the carrier price (-50 CNY/t, by region, period, time) and the CO2 shadow
    price (350 CNY/t by period)."""
    ds, _, _ = solve_case(_dac_case(tmp_path / "dac_co2", cap=8, exogenous=10, dac_max=5, captured="co2"))
    assert float(ds["price"].sel(carrier="co2", region="A", period=2020, time=0)) == approx(-50)
    carrier_price = [
        name for name, v in ds.data_vars.items()
        if name.startswith("price_") and set(v.dims) == {"region", "period", "time"}
        and np.allclose(v.sel(region="A", period=2020).values, -50) and v.attrs.get("units") == "CNY/t"
    ]
    shadow_price = [
        name for name, v in ds.data_vars.items()
        if v.dims == ("period",) and v.dtype.kind == "f" and np.allclose(v.values, 350) and v.attrs.get("units") == "CNY/t CO2"
    ]
    assert carrier_price and shadow_price


# --------------------------------------------------------------------------- 4 BECCS


def test_beccs_counts_negative_and_as_removal(tmp_path):
    """One region, one period of one year (r = 0), one step of 1000 h; electricity demand 3 GW.
    Coal: 10 GW existing, efficiency 0.4, coal 100 CNY/MWh at 0.34 t/MWh
        -> 250 CNY/MWh_el and 0.34 / 0.4 = 0.85 t/MWh_el.
    BECCS: 1 GW existing, efficiency 0.4, capture 0.9, biomass 20 CNY/MWh at 0.40 t/MWh (biogenic)
        -> 50 CNY/MWh_el; per MWh_el 2.5 MWh biomass = 1.0 t CO2 of which 0.9 t captured:
        net factor 0 (biogenic) - 0.9 = -0.9 t/MWh_el.
    Storage: free, cumulative capacity 10 Mt.  Exogenous emissions 5 Mt, ecosystem sink 2 Mt.
    Dispatch: BECCS 1 GW (cheaper), coal 2 GW.
        coal 2 TWh x 0.85 = +1.7 Mt; BECCS 1 TWh x -0.9 = -0.9 Mt; co2_emissions = 0.8 Mt.
        co2_captured = co2_stored = co2_removed = 0.9 Mt; store remaining 10 - 0.9 = 9.1 Mt.
        carbon balance: power 1.7 - 0.9 = 0.8; consumption 5 (exogenous); sequestration 0 - 2 = -2;
        net 0.8 + 5 - 2 = 3.8 Mt.
    Electricity price: coal is marginal -> 250 CNY/MWh.
    Cost: coal 2000 GWh x 250 = 0.5 bn; biomass 1000 GWh x 2.5 x 20 = 0.05 bn; total 0.55 bn.
    """
    path = write_case(
        tmp_path / "beccs",
        settings={"co2_captured_carrier": "co2_captured"},
        periods=[{"period": 2020, "exogenous_emissions_Mt": 5, "ecosystem_sink_Mt": 2}],
        regions=[{"region": "A"}],
        carriers=[
            {"carrier": "electricity"},
            {"carrier": "coal", "balance": False, "co2_content_t_per_MWh": 0.34},
            {"carrier": "biomass", "balance": False, "co2_content_t_per_MWh": 0.40, "biogenic": True},
        ] + co2_carriers(),
        fuel_prices=[
            {"carrier": "coal", "period": 2020, "price_CNY_per_MWh": 100},
            {"carrier": "biomass", "period": 2020, "price_CNY_per_MWh": 20},
        ],
        technologies=[
            {"technology": "coal", "type": "conversion", "carrier_out": "electricity", "carrier_in": "coal", "lifetime_years": 50, "expandable": False},
            {"technology": "beccs", "type": "conversion", "carrier_out": "electricity", "carrier_in": "biomass", "lifetime_years": 50, "expandable": False},
            store_tech(),
        ],
        technology_periods=[
            {"technology": "coal", "period": 2020, "efficiency": 0.4},
            {"technology": "beccs", "period": 2020, "efficiency": 0.4, "capture_rate": 0.9},
            {"technology": "co2_storage", "period": 2020},
        ],
        capacities=[
            {"technology": "coal", "region": "A", "build_year": 2000, "capacity_GW": 10},
            {"technology": "beccs", "region": "A", "build_year": 2000, "capacity_GW": 1},
        ],
        cumulative_limits=[{"technology": "co2_storage", "region": "A", "cumulative_max_TWh": 10}],
        time_steps=hourly(1, weight_h=1000),
        demand=[{"carrier": "electricity", "region": "A", "period": 2020, "demand_TWh": 3}],
    )
    ds, _, solution = solve_case(path)
    by_tech = ds["co2_emissions_by_technology"].sel(region="A", period=2020)
    assert float(by_tech.sel(technology="coal")) == approx(1.7)
    assert float(by_tech.sel(technology="beccs")) == approx(-0.9)
    assert float(by_tech.sel(technology="co2_storage")) == approx(0)
    assert cell(ds, "co2_emissions", region="A", period=2020) == approx(0.8)
    assert cell(ds, "co2_captured", region="A", period=2020) == approx(0.9)
    assert cell(ds, "co2_stored", region="A", period=2020) == approx(0.9)
    assert cell(ds, "co2_removed", region="A", period=2020) == approx(0.9)
    assert cell(ds, "co2_storage_remaining", region="A", period=2020) == approx(9.1)
    assert cell(ds, "generation", technology="co2_storage", region="A", period=2020, time=0) == approx(0.9)  # kt/h
    balance = ds["carbon_balance"].sel(period=2020)
    assert balance.sel(end="power").item() == approx(0.8)
    assert balance.sel(end="consumption").item() == approx(5)
    assert balance.sel(end="sequestration").item() == approx(-2)
    assert float(ds["co2_net_emissions"].sel(period=2020)) == approx(3.8)
    assert ds["price_electricity"].sel(region="A", period=2020).values.tolist() == [approx(250)]
    assert solution.objective == approx(0.55)


def test_biomass_to_hydrogen_with_capture_is_a_removal(tmp_path):
    """Biomass gasification to hydrogen: efficiency 0.5, capture 0.9, biomass 0.40 t/MWh (biogenic);
    per MWh of hydrogen 2 MWh biomass = 0.8 t CO2, 0.9 x 0.8 = 0.72 t captured, net 0 - 0.72.
    Hydrogen demand 1 TWh (1 GW for 1000 h): co2_emissions = -0.72 Mt, co2_captured = 0.72 Mt,
    and, biogenic CO2 being taken from the air, co2_removed = 0.72 Mt."""
    path = write_case(
        tmp_path / "bio_h2",
        settings={"co2_captured_carrier": "co2_captured"},
        periods=[{"period": 2020}],
        regions=[{"region": "A"}],
        carriers=[
            {"carrier": "hydrogen"},
            {"carrier": "biomass", "balance": False, "co2_content_t_per_MWh": 0.40, "biogenic": True},
        ] + co2_carriers(),
        fuel_prices=[{"carrier": "biomass", "period": 2020, "price_CNY_per_MWh": 20}],
        technologies=[
            {"technology": "bio_h2_ccs", "type": "conversion", "carrier_out": "hydrogen", "carrier_in": "biomass", "lifetime_years": 50, "expandable": False},
            store_tech(),
        ],
        technology_periods=[
            {"technology": "bio_h2_ccs", "period": 2020, "efficiency": 0.5, "capture_rate": 0.9},
            {"technology": "co2_storage", "period": 2020},
        ],
        capacities=[{"technology": "bio_h2_ccs", "region": "A", "build_year": 2000, "capacity_GW": 10}],
        time_steps=hourly(1, weight_h=1000),
        demand=[{"carrier": "hydrogen", "region": "A", "period": 2020, "demand_TWh": 1}],
    )
    ds, _, _ = solve_case(path)
    assert cell(ds, "co2_emissions", region="A", period=2020) == approx(-0.72)
    assert cell(ds, "co2_captured", region="A", period=2020) == approx(0.72)
    assert cell(ds, "co2_removed", region="A", period=2020) == approx(0.72)


# --------------------------------------------------------------------------- 5 cumulative budget


def _budget_case(folder, caps, budget):
    """Two periods 2020 and 2030 of 10 years, discount rate 5 %, base year 2020:
        w_2020 = sum_{k=0..9} 1.05^-k = 8.1078217, w_2030 = 1.05^-10 x w_2020 = 4.9774992.
    Coal (10 GW, 250 CNY/MWh_el, 0.85 t/MWh_el) and gas (20 GW, 400 CNY/MWh_el, 0.40 t/MWh_el),
    existing; demand 10 TWh/yr (10 GW for 1000 h).  Annual emissions lie in [4, 8.5] Mt and each
    tonne abated (coal -> gas) costs (400 - 250) / (0.85 - 0.40) = 333.33 CNY/t, so the annual
    cost is C(E) = 4 - (E - 4) / 3 bn/yr (all gas: 10 TWh x 400 = 4 bn).
    """
    return write_case(
        folder,
        settings={"discount_rate": 0.05, "base_year": 2020, "last_period_years": 10, "co2_budget_Mt": budget},
        periods=[{"period": p, "co2_cap_Mt": c} for p, c in zip((2020, 2030), caps)],
        regions=[{"region": "A"}],
        carriers=[
            {"carrier": "electricity"},
            {"carrier": "coal", "balance": False, "co2_content_t_per_MWh": 0.34},
            {"carrier": "gas", "balance": False, "co2_content_t_per_MWh": 0.20},
        ],
        fuel_prices=[
            {"carrier": "coal", "period": 2020, "price_CNY_per_MWh": 100},
            {"carrier": "gas", "period": 2020, "price_CNY_per_MWh": 200},
        ],
        technologies=[
            {"technology": t, "type": "conversion", "carrier_out": "electricity", "carrier_in": t, "lifetime_years": 50, "expandable": False}
            for t in ("coal", "gas")
        ],
        technology_periods=[
            {"technology": "coal", "period": 2020, "efficiency": 0.4},
            {"technology": "gas", "period": 2020, "efficiency": 0.5},
        ],
        capacities=[
            {"technology": "coal", "region": "A", "build_year": 2000, "capacity_GW": 10},
            {"technology": "gas", "region": "A", "build_year": 2000, "capacity_GW": 20},
        ],
        time_steps=hourly(1, weight_h=1000),
        demand=[{"carrier": "electricity", "region": "A", "period": p, "demand_TWh": 10} for p in (2020, 2030)],
    )


def test_loose_budget_leaves_annual_caps_binding(tmp_path):
    """Caps 6 Mt in both periods, budget 150 Mt > 10 x 6 + 10 x 6 = 120 Mt: the caps bind, the
    budget does not (dual 0).  Each period: coal x with 0.85 x + 0.4 (10 - x) = 6 -> x = 4.4444 TWh;
    price_co2 = 333.33 CNY/t in both periods; electricity 250 + 0.85 x 333.33 = 533.33 CNY/MWh.
    Cost: C(6) = 4 - 2/3 = 3.3333 bn/yr x (8.1078217 + 4.9774992) = 43.6177362 bn.
    """
    ds, model, solution = solve_case(_budget_case(tmp_path / "loose", caps=(6, 6), budget=150))
    assert ds["co2_emissions"].sel(region="A").values.tolist() == [approx(6), approx(6)]
    assert float(model.lp.values(model.con("co2_budget"), solution.row_dual)[0]) == approx(0)
    assert ds["price_co2"].values.tolist() == [approx(1000 / 3), approx(1000 / 3)]
    assert ds["generation"].sel(technology="coal", region="A", time=0).values.tolist() == [approx(40 / 9), approx(40 / 9)]
    assert ds["price_electricity"].sel(region="A", time=0).values.tolist() == [approx(1600 / 3), approx(1600 / 3)]
    assert solution.objective == approx(43.6177362)


def test_binding_budget_gives_a_hotelling_co2_price(tmp_path):
    """Caps 9 Mt (never binding: at most 8.5 Mt), budget 120 Mt over 2 x 10 years.  Abating costs
    333.33 CNY/t undiscounted in both periods but less in present value in 2030, so 2030 abates
    all it can (all gas: 4 Mt/yr -> 40 Mt) and 2020 emits the rest: (120 - 40) / 10 = 8 Mt/yr
    (coal x: 0.45 x = 4 -> x = 8.8889 TWh; both plants run, so 2020 is at the margin).
    Budget dual = -(w_2020 / 10) x 1/3 bn/Mt = -0.2702607 bn/Mt.
    price_co2_p = -dual x Y_p x 1000 / w_p:
        2020: 333.33 CNY/t (the marginal abatement cost);
        2030: 333.33 x w_2020 / w_2030 = 333.33 x 1.05^10 = 542.96488 CNY/t (Hotelling: the
        undiscounted price grows with the discount factor, price_p proportional to Y_p / w_p).
    2030 electricity: gas marginal -> 400 + 0.40 x 542.96488 = 617.18595 CNY/MWh
        (coal would cost 250 + 0.85 x 542.96 = 711.5 > 617.2: it stays off).
    Cost: 8.1078217 x C(8) + 4.9774992 x C(4) = 8.1078217 x 2.6666667 + 4.9774992 x 4 = 41.5308545 bn.
    """
    ds, model, solution = solve_case(_budget_case(tmp_path / "tight", caps=(9, 9), budget=120))
    assert ds["co2_emissions"].sel(region="A").values.tolist() == [approx(8), approx(4)]
    assert ds["generation"].sel(technology="coal", region="A", time=0).values.tolist() == [approx(80 / 9), approx(0)]
    assert model.lp.values(model.con("co2_cap"), solution.row_dual).tolist() == [approx(0), approx(0)]
    assert float(model.lp.values(model.con("co2_budget"), solution.row_dual)[0]) == approx(-0.2702607)
    prices = ds["price_co2"].values
    assert prices.tolist() == [approx(1000 / 3), approx(542.96488)]
    assert prices[1] / prices[0] == approx(1.05**10)
    years, weight = ds["period_years"].values, ds["period_weight"].values
    assert prices[1] / prices[0] == approx((years[1] / weight[1]) / (years[0] / weight[0]))
    assert ds["price_electricity"].sel(region="A", time=0).values.tolist() == [approx(1600 / 3), approx(617.18595)]
    assert float((ds["co2_net_emissions"] * ds["period_years"]).sum()) == approx(120)
    assert solution.objective == approx(41.5308545)


# --------------------------------------------------------------------------- 6 hydrogen pipeline


def test_hydrogen_pipeline_from_the_cheap_power_region(tmp_path):
    """One period of one year (r = 0), one step of 1000 h.  N: electricity 100 CNY/MWh (20 GW
    existing); S: 500 CNY/MWh (20 GW existing); electricity demand 1 GW in each.  Electrolysis
    in both: efficiency 0.5, capex 1000 CNY/kW, lifetime 10, wacc 0 -> 100 CNY/kW/yr = 100 CNY/MWh
    at 1000 h: hydrogen costs 100 / 0.5 + 100 = 300 CNY/MWh in N, 500 / 0.5 + 100 = 1100 in S.
    Hydrogen pipeline N-S: 1000 km, losses 2 %/1000 km -> efficiency 0.98; capex 0.1 CNY/kW/km
    -> 100 CNY/kW, lifetime 10, wacc 0 -> 10 CNY/kW/yr = 10 CNY/MWh sent at 1000 h.
    Hydrogen demand 4.9 TWh in S only: S imports 4.9 GW, N sends 4.9 / 0.98 = 5 GW.
        electrolysis N 5 GW (capacity 5 GW), S 0; pipeline 5 GW; N electricity 1 + 10 = 11 GW.
    Prices: hydrogen N 300; S (300 + 10) / 0.98 = 316.32653 CNY/MWh (< 1100: S never produces);
        electricity N 100, S 500.
    Cost: electricity N 11000 GWh x 100 = 1.1; S 1000 GWh x 500 = 0.5; electrolysis 5 GW x 0.1
        = 0.5; pipeline 5 GW x 0.01 = 0.05; total 2.15 bn.
    """
    path = write_case(
        tmp_path / "h2_pipe",
        periods=[{"period": 2020}],
        regions=[{"region": "N"}, {"region": "S"}],
        carriers=[{"carrier": "electricity"}, {"carrier": "hydrogen"}, {"carrier": "heat", "balance": False}],
        # one plant type whose running cost differs by region through a regional fuel price
        fuel_prices=[
            {"carrier": "heat", "period": 2020, "region": "N", "price_CNY_per_MWh": 100},
            {"carrier": "heat", "period": 2020, "region": "S", "price_CNY_per_MWh": 500},
        ],
        technologies=[
            {"technology": "power", "type": "conversion", "carrier_out": "electricity", "carrier_in": "heat", "lifetime_years": 50, "expandable": False},
            {"technology": "electrolysis", "type": "conversion", "carrier_out": "hydrogen", "carrier_in": "electricity", "lifetime_years": 10, "wacc": 0.0},
        ],
        technology_periods=[
            {"technology": "power", "period": 2020},
            {"technology": "electrolysis", "period": 2020, "capex_CNY_per_kW": 1000, "efficiency": 0.5},
        ],
        capacities=[{"technology": "power", "region": r, "build_year": 2000, "capacity_GW": 20} for r in ("N", "S")],
        time_steps=hourly(1, weight_h=1000),
        demand=[
            {"carrier": "electricity", "region": "N", "period": 2020, "demand_TWh": 1},
            {"carrier": "electricity", "region": "S", "period": 2020, "demand_TWh": 1},
            {"carrier": "hydrogen", "region": "S", "period": 2020, "demand_TWh": 4.9},
        ],
        corridors=[
            {"corridor": "h2_NS", "carrier": "hydrogen", "region_from": "N", "region_to": "S", "length_km": 1000,
             "loss_per_1000km": 0.02, "capex_CNY_per_kW_km": 0.1, "lifetime_years": 10, "wacc": 0.0}
        ],
    )
    ds, _, solution = solve_case(path)
    electrolysis = ds["hydrogen_production"].sel(technology="electrolysis", period=2020, time=0)
    assert electrolysis.values.tolist() == [approx(5), approx(0)]
    assert ds["capacity"].sel(technology="electrolysis", period=2020).values.tolist() == [approx(5), approx(0)]
    assert cell(ds, "corridor_capacity", corridor="h2_NS", period=2020) == approx(5)
    assert ds["flow"].sel(corridor="h2_NS", period=2020).values.tolist() == [approx(5)]
    assert ds["price_hydrogen"].sel(period=2020, time=0).values.tolist() == [approx(300), approx(310 / 0.98)]
    assert ds["price_electricity"].sel(period=2020, time=0).values.tolist() == [approx(100), approx(500)]
    assert solution.objective == approx(2.15)


# --------------------------------------------------------------------------- 7 carbon balance


def test_exogenous_emissions_and_sinks_enter_the_cap(tmp_path):
    """The coal/gas system (demand 10 TWh, coal 250 CNY/MWh & 0.85 t/MWh, gas 400 & 0.40; both
    10 GW) plus steam methane reforming (gas 200 CNY/MWh, efficiency 0.8 -> 250 CNY/MWh_H2,
    0.2 / 0.8 = 0.25 t/MWh_H2; 10 GW existing) for a hydrogen demand of 1 TWh: +0.25 Mt.
    National cap 8 Mt, exogenous emissions 3 Mt, ecosystem sink 1 Mt: the modelled system may
    emit 8 - 3 + 1 = 6 Mt, so power may emit 6 - 0.25 = 5.75 Mt:
        0.85 x + 0.40 (10 - x) = 5.75 -> x = 1.75 / 0.45 = 3.8889 TWh coal, gas 6.1111 TWh.
    price_co2 = 333.33 CNY/t (coal -> gas switch at the margin);
    electricity 250 + 0.85 x 333.33 = 533.33 CNY/MWh; hydrogen 250 + 0.25 x 333.33 = 333.33 CNY/MWh.
    Carbon balance: power 5.75; consumption 0.25 (SMR) + 3 (exogenous) = 3.25; sequestration -1
    (sink); sum 8 = co2_net_emissions = cap.
    Cost: 3888.9 GWh x 250 + 6111.1 GWh x 400 + 1000 GWh x 250 = 0.97222 + 2.44444 + 0.25 = 3.66667 bn.
    """
    path = write_case(
        tmp_path / "balance",
        periods=[{"period": 2020, "co2_cap_Mt": 8, "exogenous_emissions_Mt": 3, "ecosystem_sink_Mt": 1}],
        regions=[{"region": "A"}],
        carriers=[
            {"carrier": "electricity"},
            {"carrier": "hydrogen"},
            {"carrier": "coal", "balance": False, "co2_content_t_per_MWh": 0.34},
            {"carrier": "gas", "balance": False, "co2_content_t_per_MWh": 0.20},
        ],
        fuel_prices=[
            {"carrier": "coal", "period": 2020, "price_CNY_per_MWh": 100},
            {"carrier": "gas", "period": 2020, "price_CNY_per_MWh": 200},
        ],
        technologies=[
            {"technology": "coal", "type": "conversion", "carrier_out": "electricity", "carrier_in": "coal", "lifetime_years": 50, "expandable": False},
            {"technology": "gas", "type": "conversion", "carrier_out": "electricity", "carrier_in": "gas", "lifetime_years": 50, "expandable": False},
            {"technology": "smr", "type": "conversion", "carrier_out": "hydrogen", "carrier_in": "gas", "lifetime_years": 50, "expandable": False},
        ],
        technology_periods=[
            {"technology": "coal", "period": 2020, "efficiency": 0.4},
            {"technology": "gas", "period": 2020, "efficiency": 0.5},
            {"technology": "smr", "period": 2020, "efficiency": 0.8},
        ],
        capacities=[{"technology": t, "region": "A", "build_year": 2000, "capacity_GW": 10} for t in ("coal", "gas", "smr")],
        time_steps=hourly(1, weight_h=1000),
        demand=[
            {"carrier": "electricity", "region": "A", "period": 2020, "demand_TWh": 10},
            {"carrier": "hydrogen", "region": "A", "period": 2020, "demand_TWh": 1},
        ],
    )
    ds, _, solution = solve_case(path)
    assert cell(ds, "co2_emissions", region="A", period=2020) == approx(6)
    assert cell(ds, "generation", technology="coal", region="A", period=2020, time=0) == approx(1.75 / 0.45)
    assert float(ds["price_co2"].sel(period=2020)) == approx(1000 / 3)
    assert ds["price_electricity"].sel(region="A", period=2020).values.tolist() == [approx(1600 / 3)]
    assert ds["price_hydrogen"].sel(region="A", period=2020).values.tolist() == [approx(1000 / 3)]
    balance = ds["carbon_balance"].sel(period=2020)
    assert [balance.sel(end=e).item() for e in ("power", "consumption", "sequestration")] == [approx(5.75), approx(3.25), approx(-1)]
    assert float(ds["co2_net_emissions"].sel(period=2020)) == approx(8)
    assert float(balance.sum()) == approx(float(ds["co2_net_emissions"].sel(period=2020)))
    assert float(ds["exogenous_emissions"].sel(period=2020)) == approx(3)
    assert float(ds["ecosystem_sink"].sel(period=2020)) == approx(1)
    assert solution.objective == approx(11 / 3)


# --------------------------------------------------------------------------- 8 the worked example

CARBON_AND_H2_RESULTS = {
    "co2_captured": "Mt CO2/yr",
    "co2_stored": "Mt CO2/yr",
    "co2_storage_capacity": "Mt CO2",
    "co2_storage_remaining": "Mt CO2",
    "co2_removed": "Mt CO2/yr",
    "co2_emissions": "Mt CO2/yr",
    "co2_emissions_by_technology": "Mt CO2/yr",
    "hydrogen_production": "GW",
    "hydrogen_storage_level": "GWh",
    "price_hydrogen": "CNY/MWh",
    "price_electricity": "CNY/MWh",
    "carbon_balance": "Mt CO2/yr",
    "co2_net_emissions": "Mt CO2/yr",
    "exogenous_emissions": "Mt CO2/yr",
    "ecosystem_sink": "Mt CO2/yr",
    "price_co2": "CNY/t CO2",
    "co2_cap": "Mt CO2/yr",
}


@pytest.fixture(scope="module")
def h2_ccus_results():
    start = time.perf_counter()
    ds, model, solution = solve_case(H2_CCUS)
    return ds, model, solution, time.perf_counter() - start


def test_example_h2_ccus_solves_with_every_result_and_unit(h2_ccus_results):
    """The worked variant solves (the only test here above 3 s: it is the full example).
    Every hydrogen/CCUS result carries its units; the carbon balance adds up; caps hold."""
    ds, model, solution, seconds = h2_ccus_results
    assert solution.optimal
    assert seconds < 120, f"example_h2_ccus took {seconds:.1f} s"
    for name, unit in CARBON_AND_H2_RESULTS.items():
        assert name in ds, name
        assert ds[name].attrs.get("units") == unit, (name, ds[name].attrs.get("units"))
    for name, variable in ds.data_vars.items():
        if variable.dtype.kind == "f":
            assert "units" in variable.attrs, name
    # carbon balance sums to national net emissions = modelled + exogenous - sinks
    net = ds["co2_emissions"].sum("region") + ds["exogenous_emissions"] - ds["ecosystem_sink"]
    assert np.allclose(ds["carbon_balance"].sum("end"), ds["co2_net_emissions"], atol=1e-6)
    assert np.allclose(ds["co2_net_emissions"], net, atol=1e-5)
    capped = np.isfinite(ds["co2_cap"].values)
    assert (ds["co2_net_emissions"].values[capped] <= ds["co2_cap"].values[capped] + 1e-5).all()
    # captured CO2 is conserved nationally (CO2 pipelines are lossless): captured - stored =
    # the CO2 demand of demand.csv (5 Mt in central in 2040, none before)
    used = (ds["co2_captured"] - ds["co2_stored"]).sum("region").values
    assert used.tolist() == [approx(0, abs=1e-5), approx(0, abs=1e-5), approx(5, abs=1e-5)]
    # 2040: cap 0 - exogenous 300 + sink 250 -> the modelled system must be at or below -50 Mt
    assert float(ds["co2_emissions"].sel(period=2040).sum()) <= -50 + 1e-5
    assert float(ds["co2_removed"].min()) >= 0
    assert float(ds["co2_storage_remaining"].min()) >= -1e-6
    assert float(ds["hydrogen_production"].sum()) > 0
    assert (ds["price_co2"].values >= -1e-6).all()
    assert np.isclose(float(ds["cost"].sum()), solution.objective, rtol=1e-6)


# --------------------------------------------------------------------------- bad data


def _small_valid(folder, **overrides):
    """A tiny valid case with captured CO2 and a store; ``overrides`` replace whole tables."""
    tables = dict(
        settings={"co2_captured_carrier": "co2_captured"},
        periods=[{"period": 2020}],
        regions=[{"region": "A"}, {"region": "B"}],
        carriers=[{"carrier": "electricity"}] + co2_carriers(),
        technologies=[
            {"technology": "grid", "type": "conversion", "carrier_out": "electricity", "lifetime_years": 50},
            {"technology": "battery", "type": "storage", "carrier_out": "electricity", "lifetime_years": 15},
            {"technology": "capture", "type": "conversion", "carrier_out": "co2_captured", "lifetime_years": 50, "end": "consumption"},
            store_tech(),
        ],
        technology_periods=[{"technology": t, "period": 2020} for t in ("grid", "battery", "capture", "co2_storage")],
        time_steps=hourly(2),
        demand=[{"carrier": "electricity", "region": "A", "period": 2020, "demand_TWh": 1}],
    )
    tables.update(overrides)
    return write_case(folder, **tables)


def _issues(path):
    with pytest.raises(InputError) as caught:
        load_case(path)
    return caught.value.issues


def test_small_valid_case_loads(tmp_path):
    assert load_case(_small_valid(tmp_path / "ok")).regions == ["A", "B"]


def test_corridor_for_a_carrier_without_balance_is_rejected(tmp_path):
    path = _small_valid(
        tmp_path / "corridor",
        corridors=[{"corridor": "stored_AB", "carrier": "co2_stored", "region_from": "A", "region_to": "B", "length_km": 100}],
    )
    issues = _issues(path)
    assert [(i.file, i.row, i.column, i.value) for i in issues] == [("corridors.csv", 2, "carrier", "co2_stored")]
    assert "balance" in issues[0].expected


def test_negative_storage_energy_capacity_is_rejected(tmp_path):
    path = _small_valid(
        tmp_path / "energy",
        capacities=[
            {"technology": "battery", "region": "A", "build_year": 2015, "capacity_GW": 1, "energy_capacity_GWh": 4},
            {"technology": "battery", "region": "B", "build_year": 2015, "capacity_GW": 1, "energy_capacity_GWh": -4},
        ],
    )
    issues = _issues(path)
    assert [(i.file, i.row, i.column) for i in issues] == [("capacities.csv", 3, "energy_capacity_GWh")]
    assert float(issues[0].value) == -4
    assert ">= 0" in issues[0].expected


@pytest.mark.parametrize(
    "cap, exogenous, sink",
    [
        (-1.0, 0.0, 0.0),  # a negative national cap: the modelled system would have to reach -1 Mt
        (2.0, 5.0, 1.0),  # cap 2 below exogenous 5 - sink 1 = 4: modelled system needs -2 Mt
    ],
)
def test_cap_below_exogenous_minus_sinks_without_removal_is_rejected(tmp_path, cap, exogenous, sink):
    """Without BECCS or anything whose output is the captured carrier (the captured-CO2 chain is
    dropped from the small case) the modelled system cannot go net negative."""
    path = _small_valid(
        tmp_path / "cap",
        settings={},
        periods=[{"period": 2020, "co2_cap_Mt": cap, "exogenous_emissions_Mt": exogenous, "ecosystem_sink_Mt": sink}],
        carriers=[{"carrier": "electricity"}],
        technologies=[{"technology": "grid", "type": "conversion", "carrier_out": "electricity", "lifetime_years": 50}],
        technology_periods=[{"technology": "grid", "period": 2020}],
    )
    issues = _issues(path)
    assert [(i.file, i.row, i.column) for i in issues] == [("periods.csv", 2, "co2_cap_Mt")]
    assert float(issues[0].value) == cap
    assert "removal" in issues[0].expected


def test_cap_below_exogenous_minus_sinks_with_dac_is_accepted(tmp_path):
    """The same cap (2 < 5 - 1) with a technology whose output is the captured carrier: valid."""
    path = _small_valid(
        tmp_path / "cap_dac",
        periods=[{"period": 2020, "co2_cap_Mt": 2.0, "exogenous_emissions_Mt": 5.0, "ecosystem_sink_Mt": 1.0}],
    )
    assert load_case(path).periods == [2020]
