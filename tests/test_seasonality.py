"""Monthly energy budgets (inflow seasonality) and monthly minimum loads (heat-led must-run), worked out by hand.

A chronological year of 365 daily steps (24 h each, weight = duration), one region, one period of one year, r = 0,
demand 1 GW flat (8.76 TWh/yr). Month lengths: 31 28 31 30 31 30 31 31 30 31 30 31 days.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest
from pytest import approx

import optimiser
from casebuilder import solve_case, write_case
from optimiser.model.data import ModelData
from optimiser.model.generation import minimum_load

DAYS = 365


def year_case(folder, technologies, technology_periods, capacities, **extra):
    return write_case(
        folder, settings={"last_period_years": 1},
        periods=[{"period": 2030}], regions=[{"region": "A"}], carriers=[{"carrier": "electricity"}],
        technologies=technologies, technology_periods=technology_periods, capacities=capacities,
        time_steps=[{"time": d, "weight_h": 24, "duration_h": 24, "representative_period": d} for d in range(DAYS)],
        demand=[{"carrier": "electricity", "region": "A", "period": 2030, "demand_TWh": 8.76}],
        **extra,
    )


def fixed(name, **attributes):
    return {"technology": name, "type": "conversion", "carrier_out": "electricity", "lifetime_years": 50, "expandable": False, **attributes}


def test_monthly_budgets_hold_hydro_to_its_season(tmp_path):
    """Hydro (2 GW, free) with 4.38 TWh a year, gas (2 GW) at 500 CNY/MWh = 5e-4 bn/GWh for the rest.
    Annual budget only: hydro 4.38 TWh, gas 4.38 TWh = 2.19 bn. With monthly budgets of 1.5 TWh in June to September
    and none in the other months, hydro can only serve demand in those 122 days: 122 x 24 GWh = 2.928 TWh;
    gas 8.76 - 2.928 = 5.832 TWh = 2.916 bn."""
    technologies = [fixed("hydro"), fixed("gas")]
    technology_periods = [{"technology": "gas", "period": 2030, "vom_CNY_per_MWh": 500}, {"technology": "hydro", "period": 2030}]
    capacities = [{"technology": t, "region": "A", "build_year": 2000, "capacity_GW": 2} for t in ("hydro", "gas")]
    annual = [{"technology": "hydro", "region": "A", "energy_max_TWh": 4.38}]
    _, _, solution = solve_case(year_case(tmp_path / "annual", technologies, technology_periods, capacities, energy_budgets=annual))
    assert solution.objective == approx(2.19)
    monthly = annual + [{"technology": "hydro", "region": "A", "month": m, "energy_max_TWh": 1.5 if 6 <= m <= 9 else 0.0} for m in range(1, 13)]
    ds, model, solution = solve_case(year_case(tmp_path / "monthly", technologies, technology_periods, capacities, energy_budgets=monthly))
    assert solution.objective == approx(2.916)
    hydro = ds["generation"].sel(technology="hydro", region="A", period=2030).to_numpy()
    june_to_september = np.arange(151, 273)  # days 151 (1 June) to 272 (30 September)
    assert hydro[june_to_september] == pytest.approx(np.ones(122)) and hydro.sum() == approx(122)
    assert len(model.lp.constraints["energy_budget_month"].keys) == 12


def test_heat_led_minimum_in_the_heating_months(tmp_path):
    """Free solar (2 GW, availability 1) covers all demand; coal CHP (2 GW) at 300 CNY/MWh = 3e-4 bn/GWh must run at a
    quarter of its capacity in January and February (59 days): 0.5 GW x 59 x 24 h = 708 GWh = 0.2124 bn."""
    technologies = [fixed("solar"), fixed("coal_chp")]
    technology_periods = [{"technology": "coal_chp", "period": 2030, "vom_CNY_per_MWh": 300}, {"technology": "solar", "period": 2030}]
    capacities = [{"technology": t, "region": "A", "build_year": 2000, "capacity_GW": 2} for t in ("solar", "coal_chp")]
    minimum = [{"technology": "coal_chp", "region": "A", "month": m, "min_load_fraction": 0.25} for m in (1, 2)]
    ds, _, solution = solve_case(year_case(tmp_path / "chp", technologies, technology_periods, capacities, minimum_loads=minimum))
    assert solution.objective == approx(0.2124)
    chp = ds["generation"].sel(technology="coal_chp", region="A", period=2030).to_numpy()
    assert chp[:59] == pytest.approx(np.full(59, 0.5)) and chp[59:].sum() == approx(0)


def test_a_step_standing_for_several_months_takes_the_weighted_minimum(tmp_path):
    """Two representative days of one 24-h step: day 0 stands for January (31 days) and March (31 days), day 1 for the
    other 303 days (February among them, 28 days). January's minimum 0.6 and February's 0.3 give day 0
    31/62 x 0.6 = 0.3 and day 1 28/303 x 0.3 = 0.02772."""
    technologies = [fixed("solar"), fixed("coal_chp")]
    both = [{"technology": t, "period": 2030} for t in ("solar", "coal_chp")]
    path = year_case(tmp_path / "blend", technologies, both, [{"technology": "coal_chp", "region": "A", "build_year": 2000, "capacity_GW": 2}],
                     minimum_loads=[{"technology": "coal_chp", "region": "A", "month": 1, "min_load_fraction": 0.6},
                                    {"technology": "coal_chp", "region": "A", "month": 2, "min_load_fraction": 0.3}])
    case = optimiser.load_case(path)
    day = np.arange(DAYS)
    january_march = (day < 31) | ((day >= 59) & (day < 90))
    sequence = pd.DataFrame({"day": day, "time": day, "representative_period": np.where(january_march, 0, 1)})
    steps = pd.DataFrame({"time": [0, 1], "weight_h": [62 * 24.0, 303 * 24.0], "duration_h": [24.0, 24.0], "representative_period": [0, 1]})
    case = dataclasses.replace(case, tables={**case.tables, "time_steps": steps}, period_sequence=sequence, time_aggregation={"method": "test"})
    data = ModelData.from_case(case)
    assert data.month_hours.sum(axis=1) == pytest.approx([62 * 24, 303 * 24])
    keys = pd.DataFrame({"technology": ["coal_chp"], "region": ["A"], "period": [2030]})
    assert minimum_load(data, keys)[0] == pytest.approx([0.3, 28 / 303 * 0.3])


def test_monthly_inputs_need_a_calendar(tmp_path):
    technologies = [fixed("solar"), fixed("coal_chp")]
    path = write_case(
        tmp_path / "nocalendar", periods=[{"period": 2030}], regions=[{"region": "A"}], carriers=[{"carrier": "electricity"}],
        technologies=technologies, technology_periods=[{"technology": t, "period": 2030} for t in ("solar", "coal_chp")], capacities=[],
        time_steps=[{"time": 0, "weight_h": 8760, "duration_h": 1}],
        demand=[{"carrier": "electricity", "region": "A", "period": 2030, "demand_TWh": 8.76}],
        minimum_loads=[{"technology": "coal_chp", "region": "A", "month": 1, "min_load_fraction": 0.6}],
    )
    with pytest.raises(optimiser.InputError, match="calendar"):
        optimiser.load_case(path)
