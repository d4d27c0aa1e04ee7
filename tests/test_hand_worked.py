"""Hand-worked cases: tiny systems whose optimum, prices and costs are computed by hand.

Every expected number below is derived in the comments next to it from the inputs
of the case (never read back from a model run).  Unit reminders:

* generation in GW per time step; a step of ``weight_h`` hours turns 1 GW into
  ``weight_h`` GWh of the year; 1 GWh x 1 CNY/MWh = 1000 CNY = 1e-6 billion CNY;
* capacity in GW; 1 GW x 1 CNY/kW = 1e6 CNY = 1e-3 billion CNY;
* the objective is in billion CNY discounted to the base year: each period's
  annual cost times its weight w_p = sum over its years of (1 + r)^-(year - base);
  with r = 0 and periods spaced 10 years apart, w_p = 10 (a single period stands
  for 1 year unless ``last_period_years`` is set);
* ``price_electricity`` is undiscounted CNY/MWh; ``price_co2`` CNY/t.
"""

from __future__ import annotations

import pytest

from casebuilder import hourly, screening_case, solve_case, write_case

ELEC = [{"carrier": "electricity"}]


def approx(value, rel=1e-6, abs=1e-6):
    return pytest.approx(value, rel=rel, abs=abs)


def gen(ds, tech, period, region="A"):
    """Generation of ``tech`` as a list over time steps (GW)."""
    return ds["generation"].sel(technology=tech, region=region, period=period).values.tolist()


def price(ds, period, region="A"):
    return ds["price_electricity"].sel(region=region, period=period).values.tolist()


def cost(ds, component, period):
    return float(ds["cost"].sel(component=component, period=period))


# --------------------------------------------------------------------------- 1


def test_merit_order_dispatch_and_marginal_price(tmp_path):
    """Three fixed plants; demand 5, 15, 25 GW; each hour the cheapest plants run and the
    marginal one sets the price.

    Running costs (fuel price / efficiency + vom), CNY/MWh of electricity:
        base: 20 / 0.5 + 5  =  45
        mid : 100 / 0.4 + 10 = 260
        peak: 200 / 0.5 + 20 = 420
    Capacities 10 GW each (expandable = false, built 2000, lifetime 50, so standing in 2020).
    Time steps weigh 1000 h, 2000 h, 1000 h; demand 60 TWh with profile 5, 15, 25 gives
    GW = profile x 60000 GWh / (5*1000 + 15*2000 + 25*1000 = 60000 GWh) = 5, 15, 25 GW.
    """
    path = write_case(
        tmp_path / "merit",
        periods=[{"period": 2020}],
        regions=[{"region": "A"}],
        carriers=[
            {"carrier": "electricity"},
            {"carrier": "fuel_base", "balance": False},
            {"carrier": "fuel_mid", "balance": False},
            {"carrier": "fuel_peak", "balance": False},
        ],
        fuel_prices=[
            {"carrier": "fuel_base", "period": 2020, "price_CNY_per_MWh": 20},
            {"carrier": "fuel_mid", "period": 2020, "price_CNY_per_MWh": 100},
            {"carrier": "fuel_peak", "period": 2020, "price_CNY_per_MWh": 200},
        ],
        technologies=[
            {"technology": t, "type": "conversion", "carrier_out": "electricity", "carrier_in": f"fuel_{t}", "lifetime_years": 50, "expandable": False}
            for t in ("base", "mid", "peak")
        ],
        technology_periods=[
            {"technology": "base", "period": 2020, "efficiency": 0.5, "vom_CNY_per_MWh": 5},
            {"technology": "mid", "period": 2020, "efficiency": 0.4, "vom_CNY_per_MWh": 10},
            {"technology": "peak", "period": 2020, "efficiency": 0.5, "vom_CNY_per_MWh": 20},
        ],
        capacities=[{"technology": t, "region": "A", "build_year": 2000, "capacity_GW": 10} for t in ("base", "mid", "peak")],
        time_steps=[
            {"time": 0, "weight_h": 1000, "duration_h": 1},
            {"time": 1, "weight_h": 2000, "duration_h": 1},
            {"time": 2, "weight_h": 1000, "duration_h": 1},
        ],
        demand=[{"carrier": "electricity", "region": "A", "period": 2020, "demand_TWh": 60}],
        demand_profiles=[{"carrier": "electricity", "region": "A", "time": t, "profile": p} for t, p in enumerate((5, 15, 25))],
    )
    ds, _, solution = solve_case(path)
    # dispatch: hour 0 base 5; hour 1 base 10 + mid 5; hour 2 base 10 + mid 10 + peak 5
    assert gen(ds, "base", 2020) == [approx(5), approx(10), approx(10)]
    assert gen(ds, "mid", 2020) == [approx(0), approx(5), approx(10)]
    assert gen(ds, "peak", 2020) == [approx(0), approx(0), approx(5)]
    # price = running cost of the marginal (partly loaded) plant, per MWh despite weights of 1000/2000 h
    assert price(ds, 2020) == [approx(45), approx(260), approx(420)]
    # costs (one period of 1 year, r = 0 -> weight 1):
    #   base energy 5*1000 + 10*2000 + 10*1000 = 35000 GWh; mid 5*2000 + 10*1000 = 20000 GWh; peak 5*1000 = 5000 GWh
    #   fuel: 35000*40 + 20000*250 + 5000*400 = 1.4e6 + 5.0e6 + 2.0e6 thousand CNY = 8.4 bn
    #   vom : 35000*5 + 20000*10 + 5000*20 = 175000 + 200000 + 100000 thousand CNY = 0.475 bn
    assert cost(ds, "fuel", 2020) == approx(8.4)
    assert cost(ds, "variable_om", 2020) == approx(0.475)
    assert solution.objective == approx(8.875)
    # annual output in TWh/yr: 35, 20, 5
    assert ds["generation_annual"].sel(region="A", period=2020).sel(technology=["base", "mid", "peak"]).values.tolist() == [
        approx(35), approx(20), approx(5)
    ]


# --------------------------------------------------------------------------- 2


def test_screening_curve_capacity_expansion(tmp_path):
    """Peaker vs baseload against a load-duration curve (one period of 1 year, r = wacc = 0).

    Annualised fixed cost = capex / lifetime (crf = 1/L when wacc = 0):
        base  : 12000 CNY/kW / 20 yr = 600 CNY/kW/yr, running 100 CNY/MWh
        peaker:  2000 CNY/kW / 20 yr = 100 CNY/kW/yr, running 500 CNY/MWh
    Break-even hours = (600 - 100) CNY/kW/yr / ((500 - 100) CNY/MWh = 0.4 CNY/kWh) = 1250 h.
    Load-duration curve: 10 GW for 1000 h, 6 GW for 3000 h, 4 GW for 4760 h (8760 h).
    The slice 6..10 GW is needed 1000 h < 1250 h -> peaker; the slice 0..6 GW is needed
    at least 4000 h > 1250 h -> base.  So base = 6 GW, peaker = 4 GW.
    """
    path = screening_case(tmp_path / "screening")
    ds, _, solution = solve_case(path)
    capacity = ds["capacity"].sel(region="A", period=2020)
    assert float(capacity.sel(technology="base")) == approx(6)
    assert float(capacity.sel(technology="peaker")) == approx(4)
    assert float(ds["capacity_new"].sel(technology="base", region="A", period=2020)) == approx(6)
    assert gen(ds, "base", 2020) == [approx(6), approx(6), approx(4)]
    assert gen(ds, "peaker", 2020) == [approx(4), approx(0), approx(0)]
    # prices (dual reasoning):
    #   peak step: peaker marginal and at capacity: 500 + 100 CNY/kW/yr / 1000 h = 500 + 100 = 600 CNY/MWh
    #   base capacity: 600 CNY/kW/yr = (600 - 100)*1000 h + (p1 - 100)*3000 h  [kWh terms, /1000]
    #       -> 600000 = 500000 + 3000 (p1 - 100) -> p1 = 133.333 CNY/MWh
    #   off-peak step: base below capacity -> 100 CNY/MWh
    assert price(ds, 2020) == [approx(600), approx(100 + 100 / 3), approx(100)]
    # costs: capex 6 GW*600 + 4 GW*100 CNY/kW/yr = 3.6 + 0.4 = 4.0 bn
    #        energy base (6*1000 + 6*3000 + 4*4760) = 43040 GWh * 100 = 4.304 bn; peaker 4000 GWh * 500 = 2.0 bn
    assert cost(ds, "capex", 2020) == approx(4.0)
    assert cost(ds, "variable_om", 2020) == approx(6.304)
    assert solution.objective == approx(10.304)


# --------------------------------------------------------------------------- 3


def _storage_case(folder, expensive_cost, standing_loss=0.0):
    """Two 1-h steps each standing for 1000 h; cheap plant 10 GW at 100 CNY/MWh, dear plant
    20 GW at ``expensive_cost``; demand 5 GW then 15 GW; an existing storage of 2 GW power
    and 0.5 h duration (1 GWh), charge efficiency 0.9, discharge efficiency 0.8."""
    return write_case(
        folder,
        periods=[{"period": 2020}],
        regions=[{"region": "A"}],
        carriers=ELEC,
        technologies=[
            {"technology": "cheap", "type": "conversion", "carrier_out": "electricity", "lifetime_years": 50, "expandable": False},
            {"technology": "dear", "type": "conversion", "carrier_out": "electricity", "lifetime_years": 50, "expandable": False},
            {
                "technology": "store", "type": "storage", "carrier_out": "electricity", "lifetime_years": 50, "expandable": False,
                "duration_h": 0.5, "efficiency_charge": 0.9, "efficiency_discharge": 0.8, "standing_loss_per_h": standing_loss,
            },
        ],
        technology_periods=[
            {"technology": "cheap", "period": 2020, "vom_CNY_per_MWh": 100},
            {"technology": "dear", "period": 2020, "vom_CNY_per_MWh": expensive_cost},
            {"technology": "store", "period": 2020},
        ],
        capacities=[
            {"technology": "cheap", "region": "A", "build_year": 2000, "capacity_GW": 10},
            {"technology": "dear", "region": "A", "build_year": 2000, "capacity_GW": 20},
            {"technology": "store", "region": "A", "build_year": 2000, "capacity_GW": 2},
        ],
        time_steps=hourly(2, weight_h=1000),
        # 5*1000 + 15*1000 = 20000 GWh = 20 TWh
        demand=[{"carrier": "electricity", "region": "A", "period": 2020, "demand_TWh": 20}],
        demand_profiles=[{"carrier": "electricity", "region": "A", "time": t, "profile": p} for t, p in enumerate((5, 15))],
    )


@pytest.mark.parametrize(
    "expensive_cost, charges",
    [
        # round trip 0.9 * 0.8 = 0.72: one MWh delivered costs 100 / 0.72 = 138.89 CNY/MWh of cheap energy
        (300, True),
        (140, True),  # 140 > 138.89: arbitrage still pays, barely
        (130, False),  # 130 < 138.89: the spread does not cover the losses
    ],
)
def test_storage_arbitrage_with_losses(tmp_path, expensive_cost, charges):
    path = _storage_case(tmp_path / f"storage{expensive_cost}", expensive_cost)
    ds, _, solution = solve_case(path)
    charge = ds["storage_charge"].sel(technology="store", region="A", period=2020).values.tolist()
    discharge = ds["storage_discharge"].sel(technology="store", region="A", period=2020).values.tolist()
    # price: hour 0 the cheap plant is marginal (at most 5 + 1.11 < 10 GW), hour 1 the dear plant
    assert price(ds, 2020) == [approx(100), approx(expensive_cost)]
    no_storage_cost = (5 + 10) * 1000 * 100 * 1e-6 + 5 * 1000 * expensive_cost * 1e-6  # 1.5 bn + dear 5000 GWh
    if charges:
        # the 1 GWh energy capacity binds (power 2 GW does not): fill 1 GWh in hour 0 and empty it in hour 1
        #   charge = 1 / 0.9 = 1.1111 GW; discharge = 1 * 0.8 = 0.8 GW; level 1 GWh after hour 0, 0 after hour 1
        assert charge == [approx(1 / 0.9), approx(0)]
        assert discharge == [approx(0), approx(0.8)]
        level = ds["storage_level"].sel(technology="store", region="A", period=2020).values.tolist()
        assert level == [approx(1.0), approx(0.0)]
        assert gen(ds, "cheap", 2020) == [approx(5 + 1 / 0.9), approx(10)]
        assert gen(ds, "dear", 2020) == [approx(0), approx(5 - 0.8)]
        # saving = 0.8 GW * 1000 h * cost - 1.1111 GW * 1000 h * 100; e.g. for 300: 0.24 - 0.11111 = 0.12889 bn
        expected = no_storage_cost - (0.8 * 1000 * expensive_cost - (1 / 0.9) * 1000 * 100) * 1e-6
        # 300 -> 3.0 - 0.128889 = 2.871111 bn ; 140 -> 2.2 - 0.000889 = 2.199111 bn
        assert expected == approx({300: 2.8711111, 140: 2.1991111}[expensive_cost])
    else:
        assert charge == [approx(0), approx(0)]
        assert discharge == [approx(0), approx(0)]
        expected = no_storage_cost  # 1.5 + 0.65 = 2.15 bn
        assert expected == approx(2.15)
    assert solution.objective == approx(expected, rel=1e-8)


def test_storage_standing_loss(tmp_path):
    """As above (dear plant 300 CNY/MWh) with 10 %/h standing loss: the stored 1 GWh shrinks to
    0.9 GWh over hour 1 before leaving at 80 %, so discharge = 0.9 * 0.8 = 0.72 GW.
    Keeping energy at the end of hour 1 never pays (profit per GWh kept is negative:
    d(profit)/dL1 = -240 + 100 = -140 CNY/MWh x weight), so the level is 1 then 0."""
    path = _storage_case(tmp_path / "standing", 300, standing_loss=0.1)
    ds, _, solution = solve_case(path)
    sel = dict(technology="store", region="A", period=2020)
    assert ds["storage_charge"].sel(**sel).values.tolist() == [approx(1 / 0.9), approx(0)]
    assert ds["storage_discharge"].sel(**sel).values.tolist() == [approx(0), approx(0.72)]
    assert ds["storage_level"].sel(**sel).values.tolist() == [approx(1.0), approx(0.0)]
    # cheap 6.1111 + 10 GW, dear 15 - 10 - 0.72 = 4.28 GW, 1000 h each:
    #   16111.1 GWh * 100 + 4280 GWh * 300 = 1.611111 + 1.284 = 2.895111 bn
    assert solution.objective == approx(2.8951111)


# --------------------------------------------------------------------------- 4


def _corridor_case(folder, corridor_GW):
    """A: cheap plant (100 CNY/MWh, 100 GW), demand 10 GW; B: dear plant (400 CNY/MWh, 100 GW),
    demand 20 GW; one 1000-km corridor A->B losing 5 %/1000 km (efficiency 0.95), not expandable.
    One step standing for 1000 h."""
    return write_case(
        folder,
        periods=[{"period": 2020}],
        regions=[{"region": "A"}, {"region": "B"}],
        carriers=ELEC,
        technologies=[
            {"technology": t, "type": "conversion", "carrier_out": "electricity", "lifetime_years": 50, "expandable": False}
            for t in ("cheap", "dear")
        ],
        technology_periods=[
            {"technology": "cheap", "period": 2020, "vom_CNY_per_MWh": 100},
            {"technology": "dear", "period": 2020, "vom_CNY_per_MWh": 400},
        ],
        capacities=[
            {"technology": "cheap", "region": "A", "build_year": 2000, "capacity_GW": 100},
            {"technology": "dear", "region": "B", "build_year": 2000, "capacity_GW": 100},
        ],
        time_steps=hourly(1, weight_h=1000),
        demand=[
            {"carrier": "electricity", "region": "A", "period": 2020, "demand_TWh": 10},  # 10 GW x 1000 h
            {"carrier": "electricity", "region": "B", "period": 2020, "demand_TWh": 20},  # 20 GW x 1000 h
        ],
        corridors=[
            {
                "corridor": "AB", "carrier": "electricity", "region_from": "A", "region_to": "B", "length_km": 1000,
                "capacity_GW": corridor_GW, "loss_per_1000km": 0.05, "expandable": False,
                # build_year blank = base year; the column is written explicitly because omitting
                # it crashes the loader (see test_optional_integer_columns_may_be_omitted)
                "build_year": None,
            }
        ],
    )


def test_transmission_bottleneck_congestion_rent(tmp_path):
    path = _corridor_case(tmp_path / "congested", corridor_GW=5)
    ds, model, solution = solve_case(path)
    # the corridor is full: 5 GW sent from A, 0.95 * 5 = 4.75 GW arrive in B
    assert float(ds["flow"].sel(corridor="AB", period=2020).values[0]) == approx(5)
    assert gen(ds, "cheap", 2020, "A") == [approx(15)]
    assert gen(ds, "dear", 2020, "B") == [approx(20 - 4.75)]
    # prices: A set by its cheap plant, B by its dear plant
    assert price(ds, 2020, "A") == [approx(100)]
    assert price(ds, 2020, "B") == [approx(400)]
    # congestion rent per MWh sent = 0.95 * p_B - p_A = 380 - 100 = 280 CNY/MWh,
    # i.e. minus the dual of flow_forward_limit per MWh (period weight 1, step weight 1000 h)
    dual = model.lp.values(model.con("flow_forward_limit"), solution.row_dual)
    rent = -dual[0, 0] * 1e6 / (1.0 * 1000.0)
    assert rent == approx(280)
    assert 0.95 * 400 - 100 == approx(rent)
    # cost: 15 GW*1000 h*100 + 15.25 GW*1000 h*400 = 1.5 + 6.1 = 7.6 bn
    assert solution.objective == approx(7.6)


def test_transmission_uncongested_prices_differ_by_losses(tmp_path):
    path = _corridor_case(tmp_path / "free", corridor_GW=50)
    ds, model, solution = solve_case(path)
    # B is supplied entirely over the line: sent = 20 / 0.95 = 21.0526 GW < 50 GW
    assert float(ds["flow"].sel(corridor="AB", period=2020).values[0]) == approx(20 / 0.95)
    assert gen(ds, "dear", 2020, "B") == [approx(0)]
    assert gen(ds, "cheap", 2020, "A") == [approx(10 + 20 / 0.95)]
    # no congestion rent; the price in B covers only the losses: 100 / 0.95 = 105.263 CNY/MWh
    assert price(ds, 2020, "A") == [approx(100)]
    assert price(ds, 2020, "B") == [approx(100 / 0.95)]
    dual = model.lp.values(model.con("flow_forward_limit"), solution.row_dual)
    assert dual[0, 0] == approx(0)
    # cost: 31.0526 GW * 1000 h * 100 CNY/MWh = 3.10526 bn
    assert solution.objective == approx(3.1052632)


# --------------------------------------------------------------------------- 5


def _co2_case(folder, cap_Mt, tax=0.0):
    """Coal (fuel 100 CNY/MWh, 0.34 t/MWh, efficiency 0.4) vs gas (fuel 200 CNY/MWh, 0.2 t/MWh,
    efficiency 0.5), both 10 GW existing; demand 10 GW for one step of 1000 h (10 TWh).
        coal: 250 CNY/MWh_el, 0.34 / 0.4 = 0.85 t/MWh_el
        gas : 400 CNY/MWh_el, 0.20 / 0.5 = 0.40 t/MWh_el
    """
    return write_case(
        folder,
        periods=[{"period": 2020, "co2_cap_Mt": cap_Mt, "co2_tax_CNY_per_t": tax}],
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
        capacities=[{"technology": t, "region": "A", "build_year": 2000, "capacity_GW": 10} for t in ("coal", "gas")],
        time_steps=hourly(1, weight_h=1000),
        demand=[{"carrier": "electricity", "region": "A", "period": 2020, "demand_TWh": 10}],
    )


def test_binding_co2_cap_price_equals_abatement_cost(tmp_path):
    path = _co2_case(tmp_path / "cap", cap_Mt=6)
    ds, _, solution = solve_case(path)
    # unconstrained: all coal, 10 TWh * 0.85 = 8.5 Mt > 6 Mt.  With coal x TWh:
    #   0.85 x + 0.40 (10 - x) = 6  ->  0.45 x = 2  ->  x = 4.4444 TWh (4.4444 GW over 1000 h)
    assert gen(ds, "coal", 2020) == [approx(40 / 9)]
    assert gen(ds, "gas", 2020) == [approx(50 / 9)]
    assert float(ds["co2_emissions"].sel(region="A", period=2020)) == approx(6)
    # abatement cost of the switch: (400 - 250) CNY/MWh / (0.85 - 0.40) t/MWh = 333.33 CNY/t
    assert float(ds["price_co2"].sel(period=2020)) == approx(1000 / 3)
    # electricity price: both plants marginal: 250 + 0.85 * 333.33 = 400 + 0.40 * 333.33 = 533.33 CNY/MWh
    assert price(ds, 2020) == [approx(1600 / 3)]
    # cost: 4444.4 GWh * 250 + 5555.6 GWh * 400 = 1.1111 + 2.2222 = 3.3333 bn (all fuel)
    assert cost(ds, "fuel", 2020) == approx(10 / 3)
    assert solution.objective == approx(10 / 3)


def test_slack_co2_cap_has_zero_price(tmp_path):
    path = _co2_case(tmp_path / "slack", cap_Mt=9)
    ds, _, solution = solve_case(path)
    # 8.5 Mt < 9 Mt: all coal, price of electricity 250, CO2 price 0; cost 10000 GWh * 250 = 2.5 bn
    assert gen(ds, "coal", 2020) == [approx(10)]
    assert float(ds["co2_emissions"].sel(region="A", period=2020)) == approx(8.5)
    assert float(ds["price_co2"].sel(period=2020)) == approx(0)
    assert price(ds, 2020) == [approx(250)]
    assert solution.objective == approx(2.5)


# --------------------------------------------------------------------------- 6


def test_multi_period_annuity_and_discounting(tmp_path):
    """Two periods (2020, 2030), discount rate 5 %, base year 2020, last period 10 years;
    one technology with wacc 8 %, lifetime 20 years, capex 1000 CNY/kW (2020) and 800 CNY/kW (2030),
    fixed O&M 20 CNY/kW/yr, vom 10 CNY/MWh; demand 10 GW (2020) and 15 GW (2030), one step of 8760 h.

    Weights: w_2020 = sum_{k=0..9} 1.05^-k = (1 - 1.05^-10) / (1 - 1/1.05) = 8.1078217
             w_2030 = 1.05^-10 * w_2020 = 0.6139133 * 8.1078217 = 4.9774992
    crf(8 %, 20) = 0.08 / (1 - 1.08^-20) = 0.08 / (1 - 0.2145482) = 0.1018522
    Builds: 10 GW in 2020 (stands 2020 and 2030), 5 GW in 2030.
    Annual costs (bn CNY/yr):
        capex 2020: 10 GW * 1000 * 0.1018522 * 1e-3 = 1.0185221
        capex 2030: 1.0185221 + 5 GW * 800 * 0.1018522 * 1e-3 = 1.0185221 + 0.4074088 = 1.4259309
        fom   2020: 10 * 20e-3 = 0.2 ; 2030: 15 * 20e-3 = 0.3
        vom   2020: 87.6 TWh * 10 CNY/MWh = 0.876 ; 2030: 131.4 TWh * 10 = 1.314
    Discounted:
        capex: 1.0185221 * 8.1078217 = 8.2579955 ; 1.4259309 * 4.9774992 = 7.0975700
        fom  : 0.2 * 8.1078217 = 1.6215643 ; 0.3 * 4.9774992 = 1.4932498
        vom  : 0.876 * 8.1078217 = 7.1024518 ; 1.314 * 4.9774992 = 6.5404339
        total = 32.1132653
    """
    path = write_case(
        tmp_path / "annuity",
        settings={"discount_rate": 0.05, "base_year": 2020, "last_period_years": 10},
        periods=[{"period": 2020}, {"period": 2030}],
        regions=[{"region": "A"}],
        carriers=ELEC,
        technologies=[{"technology": "plant", "type": "conversion", "carrier_out": "electricity", "lifetime_years": 20, "wacc": 0.08}],
        technology_periods=[
            {"technology": "plant", "period": 2020, "capex_CNY_per_kW": 1000, "fom_CNY_per_kW_yr": 20, "vom_CNY_per_MWh": 10},
            {"technology": "plant", "period": 2030, "capex_CNY_per_kW": 800, "fom_CNY_per_kW_yr": 20, "vom_CNY_per_MWh": 10},
        ],
        time_steps=hourly(1, weight_h=8760),
        demand=[
            {"carrier": "electricity", "region": "A", "period": 2020, "demand_TWh": 87.6},
            {"carrier": "electricity", "region": "A", "period": 2030, "demand_TWh": 131.4},
        ],
    )
    ds, _, solution = solve_case(path)
    assert ds["period_weight"].values.tolist() == [approx(8.1078217), approx(4.9774992)]
    new = ds["capacity_new"].sel(technology="plant", region="A")
    assert new.values.tolist() == [approx(10), approx(5)]
    assert ds["capacity"].sel(technology="plant", region="A").values.tolist() == [approx(10), approx(15)]
    assert cost(ds, "capex", 2020) == approx(8.2579955)
    assert cost(ds, "capex", 2030) == approx(7.0975700)
    assert cost(ds, "fixed_om", 2020) == approx(1.6215643)
    assert cost(ds, "fixed_om", 2030) == approx(1.4932498)
    assert cost(ds, "variable_om", 2020) == approx(7.1024518)
    assert cost(ds, "variable_om", 2030) == approx(6.5404339)
    for component in ("fuel", "co2_tax", "lost_load"):
        assert cost(ds, component, 2020) == approx(0) and cost(ds, component, 2030) == approx(0)
    assert float(ds["cost_annual"].sel(component="capex", period=2020)) == approx(1.0185221)
    assert float(ds["cost_annual"].sel(component="capex", period=2030)) == approx(1.4259309)
    assert solution.objective == approx(32.1132653)
    assert float(ds["cost"].sum()) == approx(32.1132653)


# --------------------------------------------------------------------------- 7


def test_retirement_of_existing_capacity_and_replacement(tmp_path):
    """Periods 2020 and 2030 (r = 0, each weighs 10 years).  Coal (lifetime 30, wacc 0, capex
    1000 CNY/kW -> 1000/30 = 33.333 CNY/kW/yr, fom 10 CNY/kW/yr, vom 50 CNY/MWh) has 6 GW built
    in 2000 (standing while 2000 <= p < 2030: retires before 2030) and 3 GW built in 2001
    (standing while p < 2031: still there in 2030).  Demand 8 GW flat (one step of 8760 h).

    2020: 9 GW standing, nothing built.  2030: 3 GW standing, 5 GW built; 6 GW retired
    (capacity_retired = 9 + 5 - 8 = 6).  Building in 2020 instead would pay the annuity in
    both periods, so the replacement is built in 2030.
    Costs (bn): capex 2030 = 5 GW * 33.333 * 10 yr * 1e-3 = 1.6666667
                fom 2020 = 9 * 10 * 10 * 1e-3 = 0.9 ; 2030 = 8 * 10 * 10 * 1e-3 = 0.8
                vom per period = 8 GW * 8760 h * 50 * 10 yr * 1e-6 = 35.04
                total = 1.6666667 + 1.7 + 70.08 = 73.4466667
    """
    path = write_case(
        tmp_path / "retire",
        periods=[{"period": 2020}, {"period": 2030}],
        regions=[{"region": "A"}],
        carriers=ELEC,
        technologies=[{"technology": "coal", "type": "conversion", "carrier_out": "electricity", "lifetime_years": 30, "wacc": 0.0}],
        technology_periods=[{"technology": "coal", "period": 2020, "capex_CNY_per_kW": 1000, "fom_CNY_per_kW_yr": 10, "vom_CNY_per_MWh": 50}],
        capacities=[
            {"technology": "coal", "region": "A", "build_year": 2000, "capacity_GW": 6},
            {"technology": "coal", "region": "A", "build_year": 2001, "capacity_GW": 3},
        ],
        time_steps=hourly(1, weight_h=8760),
        demand=[
            {"carrier": "electricity", "region": "A", "period": p, "demand_TWh": 70.08} for p in (2020, 2030)
        ],
    )
    ds, _, solution = solve_case(path)
    sel = dict(technology="coal", region="A")
    assert ds["capacity"].sel(**sel).values.tolist() == [approx(9), approx(8)]
    assert ds["capacity_new"].sel(**sel).values.tolist() == [approx(0), approx(5)]
    assert ds["capacity_retired"].sel(**sel).values.tolist() == [approx(0), approx(6)]
    assert gen(ds, "coal", 2020) == [approx(8)]
    assert gen(ds, "coal", 2030) == [approx(8)]
    assert cost(ds, "capex", 2020) == approx(0)
    assert cost(ds, "capex", 2030) == approx(5 / 3)
    assert cost(ds, "fixed_om", 2020) == approx(0.9)
    assert cost(ds, "fixed_om", 2030) == approx(0.8)
    assert cost(ds, "variable_om", 2020) == approx(35.04)
    assert cost(ds, "variable_om", 2030) == approx(35.04)
    assert solution.objective == approx(73.4466667)


# --------------------------------------------------------------------------- 8


def test_build_rate_and_potential_limits(tmp_path):
    """Periods 2020 and 2030 (r = 0, 10 years each), demand 10 GW flat (one step of 8760 h).
        cheap: capex 1000 CNY/kW, lifetime 20, wacc 0 -> 50 CNY/kW/yr; vom 10 CNY/MWh;
               at most 4 GW built per period (capacity_new_max_GW), at most 6 GW installed (capacity_max_GW)
        dear : capex 500 CNY/kW, lifetime 20 -> 25 CNY/kW/yr; vom 100 CNY/MWh
    Per kW-yr at full load: cheap 50 + 87.6 = 137.6 CNY, dear 25 + 876 = 901 CNY: cheap is preferred.
    2020: cheap builds 4 (rate limit), dear fills 6.
    2030: cheap builds 2 more (potential 6 binds before the rate limit of 4); the 2020 dear
          plant (6 GW, standing until 2040) runs at 4 GW.  Building 2 GW of cheap in 2030 pays:
          50 CNY/kW/yr vs a saving of (100 - 10) * 8.76 = 788.4 CNY/kW/yr.
    Prices: 2030 dear below capacity -> 100 CNY/MWh.  2020 dear at capacity: its vintage pays
    25 CNY/kW/yr * (10 + 10) yr = 500 CNY/kW, recovered only in 2020 over 10 yr * 8760 h:
    100 + 500000 CNY/MW / 87600 h = 105.70776 CNY/MWh.
    Costs (bn): capex 2020 = (4*50 + 6*25) * 10 * 1e-3 = 3.5 ; 2030 = (6*50 + 6*25) * 10 * 1e-3 = 4.5
                vom 2020 = (4*10 + 6*100) * 8760 * 10 * 1e-6 = 56.064 ; 2030 = (6*10 + 4*100) * 87600e-6 = 40.296
                total = 104.36
    """
    path = write_case(
        tmp_path / "limits",
        periods=[{"period": 2020}, {"period": 2030}],
        regions=[{"region": "A"}],
        carriers=ELEC,
        technologies=[
            {"technology": t, "type": "conversion", "carrier_out": "electricity", "lifetime_years": 20, "wacc": 0.0}
            for t in ("cheap", "dear")
        ],
        technology_periods=[
            {"technology": "cheap", "period": 2020, "capex_CNY_per_kW": 1000, "vom_CNY_per_MWh": 10},
            {"technology": "dear", "period": 2020, "capex_CNY_per_kW": 500, "vom_CNY_per_MWh": 100},
        ],
        # blank period = every period (the column is written explicitly: see test_optional_integer_columns_may_be_omitted)
        capacity_limits=[{"technology": "cheap", "region": "A", "period": None, "capacity_max_GW": 6, "capacity_new_max_GW": 4}],
        time_steps=hourly(1, weight_h=8760),
        demand=[{"carrier": "electricity", "region": "A", "period": p, "demand_TWh": 87.6} for p in (2020, 2030)],
    )
    ds, _, solution = solve_case(path)
    cheap = dict(technology="cheap", region="A")
    dear = dict(technology="dear", region="A")
    assert ds["capacity_new"].sel(**cheap).values.tolist() == [approx(4), approx(2)]
    assert ds["capacity"].sel(**cheap).values.tolist() == [approx(4), approx(6)]
    assert ds["capacity_new"].sel(**dear).values.tolist() == [approx(6), approx(0)]
    assert ds["capacity"].sel(**dear).values.tolist() == [approx(6), approx(6)]
    assert gen(ds, "cheap", 2020) == [approx(4)] and gen(ds, "cheap", 2030) == [approx(6)]
    assert gen(ds, "dear", 2020) == [approx(6)] and gen(ds, "dear", 2030) == [approx(4)]
    assert price(ds, 2020) == [approx(100 + 500e3 / 87600)]
    assert price(ds, 2030) == [approx(100)]
    assert cost(ds, "capex", 2020) == approx(3.5)
    assert cost(ds, "capex", 2030) == approx(4.5)
    assert cost(ds, "variable_om", 2020) == approx(56.064)
    assert cost(ds, "variable_om", 2030) == approx(40.296)
    assert solution.objective == approx(104.36)


# --------------------------------------------------------------------------- extras


def test_co2_tax_switches_coal_to_gas(tmp_path):
    """The CO2 case without a cap and a tax of 400 CNY/t:
        coal 250 + 0.85 * 400 = 590 CNY/MWh ; gas 400 + 0.40 * 400 = 560 CNY/MWh -> all gas.
    Price 560 CNY/MWh; emissions 10 TWh * 0.4 = 4 Mt; cost fuel 10000 GWh * 400 = 4.0 bn,
    co2_tax 4 Mt * 400 CNY/t = 1.6 bn; total 5.6 bn."""
    path = _co2_case(tmp_path / "tax", cap_Mt=None, tax=400)
    ds, _, solution = solve_case(path)
    assert gen(ds, "gas", 2020) == [approx(10)]
    assert gen(ds, "coal", 2020) == [approx(0)]
    assert price(ds, 2020) == [approx(560)]
    assert float(ds["co2_emissions"].sel(region="A", period=2020)) == approx(4)
    assert float(ds["price_co2"].sel(period=2020)) == approx(0)  # no cap
    assert cost(ds, "fuel", 2020) == approx(4.0)
    assert cost(ds, "co2_tax", 2020) == approx(1.6)
    assert solution.objective == approx(5.6)


def test_lost_load_sets_the_price(tmp_path):
    """8 GW of fixed capacity at 100 CNY/MWh against 10 GW of demand for 1000 h, value of lost
    load 1000 CNY/MWh: 2 GW go unserved and the price is the VOLL.
    Cost: vom 8000 GWh * 100 = 0.8 bn; lost load 2000 GWh * 1000 = 2.0 bn."""
    path = write_case(
        tmp_path / "voll",
        settings={"value_of_lost_load_CNY_per_MWh": 1000},
        periods=[{"period": 2020}],
        regions=[{"region": "A"}],
        carriers=ELEC,
        technologies=[{"technology": "plant", "type": "conversion", "carrier_out": "electricity", "lifetime_years": 50, "expandable": False}],
        technology_periods=[{"technology": "plant", "period": 2020, "vom_CNY_per_MWh": 100}],
        capacities=[{"technology": "plant", "region": "A", "build_year": 2000, "capacity_GW": 8}],
        time_steps=hourly(1, weight_h=1000),
        demand=[{"carrier": "electricity", "region": "A", "period": 2020, "demand_TWh": 10}],
    )
    ds, _, solution = solve_case(path)
    assert gen(ds, "plant", 2020) == [approx(8)]
    assert ds["lost_load"].sel(carrier="electricity", region="A", period=2020).values.tolist() == [approx(2)]
    assert price(ds, 2020) == [approx(1000)]
    assert cost(ds, "lost_load", 2020) == approx(2.0)
    assert cost(ds, "variable_om", 2020) == approx(0.8)
    assert solution.objective == approx(2.8)


def test_corridor_expansion_screening(tmp_path):
    """A: cheap plant (100 CNY/MWh, ample), no demand.  B: dear plant (400 CNY/MWh, ample) and
    demand 20 GW for 100 h, 10 GW for 1000 h, 5 GW for 7660 h.  Lossless 1000-km corridor,
    expandable, 1 CNY/kW/km -> 1000 CNY/kW overnight, lifetime 40, wacc 0 -> 25 CNY/kW/yr,
    fixed O&M 1 % of capex -> 10 CNY/kW/yr: 35 CNY/kW/yr in all (one period of 1 year, r = 0).
    A kW of corridor saves 300 CNY/MWh in every hour it is full: break-even 35 / 0.3 = 116.7 h.
    The slice 10..20 GW is needed 100 h (< 116.7) -> not built; 0..10 GW needed 1100 h -> built.
    Corridor = 10 GW.  Prices in B: 400 (100 h); 105 (1000 h: 35 = 0.3 * 100 + (p - 100) * 1000 / 1000);
    100 (7660 h).  Cost: corridor 10 GW * 25 = 0.25 bn capex, 10 GW * 10 = 0.1 bn fixed O&M;
    cheap (10*100 + 10*1000 + 5*7660) = 49300 GWh * 100 = 4.93 bn; dear 10 GW * 100 h * 400 = 0.4 bn;
    total 5.68 bn."""
    ds, _, solution = solve_case(_corridor_expansion_case(tmp_path / "corridor_expansion", ["AB"]))
    assert float(ds["corridor_capacity"].sel(corridor="AB", period=2020)) == approx(10)
    assert float(ds["corridor_capacity_new"].sel(corridor="AB", period=2020)) == approx(10)
    assert ds["flow"].sel(corridor="AB", period=2020).values.tolist() == [approx(10), approx(10), approx(5)]
    assert gen(ds, "dear", 2020, "B") == [approx(10), approx(0), approx(0)]
    assert price(ds, 2020, "B") == [approx(400), approx(105), approx(100)]
    assert price(ds, 2020, "A") == [approx(100), approx(100), approx(100)]
    assert cost(ds, "capex", 2020) == approx(0.25)
    assert cost(ds, "fixed_om", 2020) == approx(0.1)
    assert cost(ds, "variable_om", 2020) == approx(5.33)
    assert solution.objective == approx(5.68)


def test_corridor_build_rate(tmp_path):
    """The case above with two identical corridors A->B and a build rate of 4 GW a period for electricity corridors
    together (corridor_build_limits.csv).  Unlimited, 10 GW would be built; the limit binds: 4 GW in all, full in
    every hour (B needs at least 5 GW).  B's dear plant makes up 16, 6 and 1 GW, so it is marginal and B's price is
    400 CNY/MWh in every hour.  Cost: corridors 4 GW * 25 = 0.1 bn capex, 4 GW * 10 = 0.04 bn fixed O&M; cheap
    4 GW * 8760 h = 35040 GWh * 100 = 3.504 bn; dear (16*100 + 6*1000 + 1*7660) = 15260 GWh * 400 = 6.104 bn;
    total 9.748 bn."""
    limits = [{"carrier": "electricity", "period": None, "capacity_new_max_GW": 4.0, "source": "hand-worked"}]
    ds, _, solution = solve_case(_corridor_expansion_case(tmp_path / "corridor_build_rate", ["AB", "AB2"], corridor_build_limits=limits))
    built = ds["corridor_capacity_new"].sel(period=2020)
    assert float(built.sum()) == approx(4)
    assert ds["flow"].sel(period=2020).sum("corridor").values.tolist() == [approx(4), approx(4), approx(4)]
    assert gen(ds, "dear", 2020, "B") == [approx(16), approx(6), approx(1)]
    assert price(ds, 2020, "B") == [approx(400), approx(400), approx(400)]
    assert cost(ds, "capex", 2020) == approx(0.1)
    assert cost(ds, "fixed_om", 2020) == approx(0.04)
    assert solution.objective == approx(9.748)


def _corridor_expansion_case(folder, names, **tables):
    """The two-region case of test_corridor_expansion_screening, with an expandable corridor A->B per name."""
    return write_case(
        folder,
        periods=[{"period": 2020}],
        regions=[{"region": "A"}, {"region": "B"}],
        carriers=ELEC,
        technologies=[
            {"technology": t, "type": "conversion", "carrier_out": "electricity", "lifetime_years": 50, "expandable": False}
            for t in ("cheap", "dear")
        ],
        technology_periods=[
            {"technology": "cheap", "period": 2020, "vom_CNY_per_MWh": 100},
            {"technology": "dear", "period": 2020, "vom_CNY_per_MWh": 400},
        ],
        capacities=[
            {"technology": "cheap", "region": "A", "build_year": 2000, "capacity_GW": 100},
            {"technology": "dear", "region": "B", "build_year": 2000, "capacity_GW": 100},
        ],
        time_steps=[
            {"time": 0, "weight_h": 100, "duration_h": 1},
            {"time": 1, "weight_h": 1000, "duration_h": 1},
            {"time": 2, "weight_h": 7660, "duration_h": 1},
        ],
        # 20*100 + 10*1000 + 5*7660 = 2000 + 10000 + 38300 = 50300 GWh
        demand=[{"carrier": "electricity", "region": "B", "period": 2020, "demand_TWh": 50.3}],
        demand_profiles=[{"carrier": "electricity", "region": "B", "time": t, "profile": p} for t, p in enumerate((20, 10, 5))],
        corridors=[
            {
                "corridor": name, "carrier": "electricity", "region_from": "A", "region_to": "B", "length_km": 1000,
                "capacity_GW": 0, "build_year": None, "capex_CNY_per_kW_km": 1.0, "fom_fraction": 0.01,
                "lifetime_years": 40, "wacc": 0.0, "expandable": True,
            }
            for name in names
        ],
        **tables,
    )


def test_storage_power_and_energy_expansion(tmp_path):
    """The storage case (cheap 10 GW at 100, dear 20 GW at 300, demand 5 then 15 GW, 1000 h each),
    but the store is new: lossless, energy capacity free (no duration), power capex 500 CNY/kW,
    energy capex 1000 CNY/kWh, lifetime 10, wacc 0 -> 50 + 100 = 150 CNY per kW (with 1 kWh)
    per year.  Each kW (+ 1 kWh) moves 1000 MWh/yr from 300 to 100 CNY/MWh: saves 200 CNY/yr > 150.
    It is built until the dear plant is idle in hour 1 (5 GW), which the cheap plant's headroom
    in hour 0 (10 - 5 = 5 GW) just allows: 5 GW and 5 GWh.
    Cost: capex 5 GW * 150 = 0.75 bn; cheap 10 GW * 2000 h * 100 = 2.0 bn; total 2.75 bn."""
    path = write_case(
        tmp_path / "storage_expansion",
        periods=[{"period": 2020}],
        regions=[{"region": "A"}],
        carriers=ELEC,
        technologies=[
            {"technology": "cheap", "type": "conversion", "carrier_out": "electricity", "lifetime_years": 50, "expandable": False},
            {"technology": "dear", "type": "conversion", "carrier_out": "electricity", "lifetime_years": 50, "expandable": False},
            {"technology": "store", "type": "storage", "carrier_out": "electricity", "lifetime_years": 10, "wacc": 0.0},
        ],
        technology_periods=[
            {"technology": "cheap", "period": 2020, "vom_CNY_per_MWh": 100},
            {"technology": "dear", "period": 2020, "vom_CNY_per_MWh": 300},
            {"technology": "store", "period": 2020, "capex_CNY_per_kW": 500, "capex_energy_CNY_per_kWh": 1000},
        ],
        capacities=[
            {"technology": "cheap", "region": "A", "build_year": 2000, "capacity_GW": 10},
            {"technology": "dear", "region": "A", "build_year": 2000, "capacity_GW": 20},
        ],
        time_steps=hourly(2, weight_h=1000),
        demand=[{"carrier": "electricity", "region": "A", "period": 2020, "demand_TWh": 20}],
        demand_profiles=[{"carrier": "electricity", "region": "A", "time": t, "profile": p} for t, p in enumerate((5, 15))],
    )
    ds, _, solution = solve_case(path)
    sel = dict(technology="store", region="A", period=2020)
    assert float(ds["capacity"].sel(**sel)) == approx(5)
    assert float(ds["storage_energy_capacity"].sel(**sel)) == approx(5)
    assert float(ds["storage_energy_new"].sel(**sel)) == approx(5)
    assert ds["storage_charge"].sel(**sel).values.tolist() == [approx(5), approx(0)]
    assert ds["storage_discharge"].sel(**sel).values.tolist() == [approx(0), approx(5)]
    assert gen(ds, "dear", 2020) == [approx(0), approx(0)]
    assert cost(ds, "capex", 2020) == approx(0.75)
    assert solution.objective == approx(2.75)


def test_optional_integer_columns_may_be_omitted(tmp_path):
    """capacity_limits.csv without a `period` column means 'every period' (the column is optional).
    One plant, demand 10 GW, capacity_max 6 GW and VOLL 1000 CNY/MWh: 6 GW built, 4 GW lost."""
    path = write_case(
        tmp_path / "no_period_column",
        settings={"value_of_lost_load_CNY_per_MWh": 1000},
        periods=[{"period": 2020}],
        regions=[{"region": "A"}],
        carriers=ELEC,
        technologies=[{"technology": "plant", "type": "conversion", "carrier_out": "electricity", "lifetime_years": 20, "wacc": 0.0}],
        technology_periods=[{"technology": "plant", "period": 2020, "capex_CNY_per_kW": 100}],
        capacity_limits=[{"technology": "plant", "region": "A", "capacity_max_GW": 6}],
        time_steps=hourly(1, weight_h=1000),
        demand=[{"carrier": "electricity", "region": "A", "period": 2020, "demand_TWh": 10}],
    )
    ds, _, _ = solve_case(path)
    assert float(ds["capacity"].sel(technology="plant", region="A", period=2020)) == approx(6)
