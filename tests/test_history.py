"""A historical first period, committed capacity and period labels, on a case worked out by hand.

One region, periods 2020 and 2030 of 10 years each, r = 0, one time step standing for the whole year (8760 h),
demand 8 GW flat (70.08 TWh/yr) in both periods.
    coal: 10 GW built 2000 (lifetime 50, stands throughout), no capex paid (existing), running 300 CNY/MWh = 3e-4 bn/GWh
    wind: capex 10000 CNY/kW over 20 years = 0.5 bn CNY per GW and year (r = 0), availability 0.5, no running cost
A GW of wind saves 0.5 x 8760 GWh x 3e-4 = 1.314 bn/yr of coal and costs 0.5 bn/yr: wind is built until it covers
all demand, 8 GW / 0.5 = 16 GW.
* Free 2020: 16 GW of wind built in 2020 (stands 2020-2039): 16 x 0.5 x 20 years = 160 bn CNY; coal idle.
* 2020 historical: no investment in 2020, coal serves 70,080 GWh x 3e-4 = 21.024 bn/yr x 10 = 210.24 bn; 16 GW of
  wind built in 2030: 16 x 0.5 x 10 = 80 bn. Total 290.24 bn, 130.24 more than the free case.
* Plus 4 GW of wind committed (under construction, in service 2025): it stands in 2030 at no capital cost, so only
  12 GW are built in 2030: 210.24 + 12 x 0.5 x 10 = 270.24 bn.
"""

from __future__ import annotations

import numpy as np
import pytest
from pytest import approx

import optimiser
from casebuilder import solve_case, write_case

FREE, HISTORICAL, COMMITTED = 160.0, 290.24, 270.24


def history_case(folder, settings=None, **extra):
    tables = dict(
        periods=[{"period": 2020}, {"period": 2030}],
        regions=[{"region": "A"}],
        carriers=[{"carrier": "electricity"}],
        technologies=[
            {"technology": "coal", "type": "conversion", "carrier_out": "electricity", "lifetime_years": 50, "wacc": 0.0},
            {"technology": "wind", "type": "conversion", "carrier_out": "electricity", "lifetime_years": 20, "wacc": 0.0, "availability_max": 0.5},
        ],
        technology_periods=[
            {"technology": "coal", "period": 2020, "capex_CNY_per_kW": 5000, "vom_CNY_per_MWh": 300},
            {"technology": "wind", "period": 2020, "capex_CNY_per_kW": 10000},
        ],
        capacities=[{"technology": "coal", "region": "A", "build_year": 2000, "capacity_GW": 10}],
        time_steps=[{"time": 0, "weight_h": 8760, "duration_h": 1}],
        demand=[{"carrier": "electricity", "region": "A", "period": p, "demand_TWh": 70.08} for p in (2020, 2030)],
    )
    tables.update(extra)
    return write_case(folder, settings={"last_period_years": 10, **(settings or {})}, **tables)


def wind(ds, variable, period):
    return float(ds[variable].sel(technology="wind", region="A", period=period))


def test_free_first_period_invests_at_once(tmp_path):
    ds, _, solution = solve_case(history_case(tmp_path / "free"))
    assert solution.objective == approx(FREE)
    assert wind(ds, "capacity_new", 2020) == approx(16)


def test_historical_first_period_keeps_the_recorded_fleet(tmp_path):
    ds, model, solution = solve_case(history_case(tmp_path / "history", settings={"historical_periods": [2020]}))
    # no investment variable exists for the historical period, its capacities are the input's
    assert 2020 not in set(model.lp.variables["capacity_new"].keys["period"])
    assert ("wind", "A", 2020) not in model.pyomo.capacity_new_index
    assert float(ds["capacity"].sel(technology="coal", region="A", period=2020)) == approx(10)
    assert wind(ds, "capacity", 2020) == approx(0)
    assert wind(ds, "capacity_new", 2030) == approx(16)
    # the objective differs from the free case by what was worked out by hand
    assert solution.objective == approx(HISTORICAL)
    assert solution.objective - FREE == approx(130.24)
    # the historical period's costs are reported apart
    assert ds.attrs["objective_historical"] == approx(210.24)
    assert ds.attrs["objective_pathway"] == approx(80.0)
    assert list(ds["period_historical"].values) == [1, 0]
    # period labels say which years a period stands for
    assert list(ds["period_label"].values) == ["2020-2029", "2030-2039"]


def test_committed_capacity_stands_from_its_year_and_cannot_be_unbuilt(tmp_path):
    committed = [{"technology": "wind", "region": "A", "build_year": 2025, "capacity_GW": 4, "status": "under_construction",
                  "source": "test: a 4 GW wind farm under construction"}]
    ds, model, solution = solve_case(history_case(tmp_path / "committed", settings={"historical_periods": [2020]}, committed_capacity=committed))
    assert wind(ds, "capacity", 2020) == approx(0)  # not yet built in 2020
    assert wind(ds, "capacity", 2030) == approx(16) and wind(ds, "capacity_new", 2030) == approx(12)
    assert solution.objective == approx(COMMITTED)
    # it is a lower bound of installed capacity in 2030: the optimiser cannot un-build it
    assert model.pyomo.capacity["wind", "A", 2030].lb == approx(4)


def test_committed_capacity_retires_by_its_lifetime(tmp_path):
    # wind lives 20 years: a unit in service in 2025 stands in 2030 and 2040, not in 2045 (2025 + 20)
    committed = [{"technology": "wind", "region": "A", "build_year": 2025, "capacity_GW": 4, "status": "in_service", "source": "test"}]
    path = history_case(tmp_path / "lifetime", periods=[{"period": p} for p in (2020, 2030, 2040, 2045)], committed_capacity=committed,
                        demand=[{"carrier": "electricity", "region": "A", "period": p, "demand_TWh": 70.08} for p in (2020, 2030, 2040, 2045)])
    model = optimiser.build_model(optimiser.load_case(path), pyomo=False)
    standing = model.data.existing.query("technology == 'wind'").set_index("period")["capacity_GW"]
    assert standing.to_dict() == {2030: 4.0, 2040: 4.0}


def test_committed_rows_need_a_source_and_history_must_lead(tmp_path):
    committed = [{"technology": "wind", "region": "A", "build_year": 2025, "capacity_GW": 4, "status": "in_service", "source": ""}]
    with pytest.raises(optimiser.InputError) as error:
        optimiser.load_case(history_case(tmp_path / "nosource", committed_capacity=committed))
    assert "committed_capacity.csv" in error.value.report() and "source" in error.value.report()
    with pytest.raises(optimiser.InputError, match="historical_periods"):
        optimiser.load_case(history_case(tmp_path / "late", settings={"historical_periods": [2030]}))
    with pytest.raises(optimiser.InputError, match="capacity_min_GW"):
        optimiser.load_case(history_case(tmp_path / "minimum", settings={"historical_periods": [2020]},
                                         capacity_limits=[{"technology": "wind", "region": "A", "period": 2020, "capacity_min_GW": 1}]))


def test_committed_corridor_capacity(tmp_path):
    """Two regions: B has demand 8 GW in 2030 and may build nothing; a committed 5 GW line (in service 2025) joins them.
    In 2030 the line stands at 5 GW without capital cost; 3 GW more are built (capex 100 CNY/kW/km over 100 km,
    lifetime 40: 10000 CNY/kW / 40 years = 0.25 bn CNY per GW and year x 10 years = 2.5 bn per GW): 7.5 bn."""
    path = history_case(
        tmp_path / "corridor", settings={"historical_periods": [2020]},
        regions=[{"region": "A"}, {"region": "B"}],
        demand=[{"carrier": "electricity", "region": r, "period": p, "demand_TWh": 70.08 if r == "B" else 0.0} for p in (2030,) for r in ("A", "B")]
        + [{"carrier": "electricity", "region": "A", "period": 2020, "demand_TWh": 70.08}],
        corridors=[{"corridor": "A-B", "carrier": "electricity", "region_from": "A", "region_to": "B", "length_km": 100,
                    "capex_CNY_per_kW_km": 100, "wacc": 0.0, "lifetime_years": 40}],
        committed_corridors=[{"corridor": "A-B", "build_year": 2025, "capacity_GW": 5, "status": "in_service", "source": "test"}],
        capacity_limits=[{"technology": t, "region": "B", "capacity_max_GW": 0} for t in ("coal", "wind")],
    )
    ds, model, solution = solve_case(path)
    assert float(ds["corridor_capacity"].sel(corridor="A-B", period=2020)) == approx(0)
    assert float(ds["corridor_capacity"].sel(corridor="A-B", period=2030)) == approx(8)
    assert float(ds["corridor_capacity_new"].sel(corridor="A-B", period=2030)) == approx(3)
    assert float(ds["cost"].sel(component="capex", period=2030)) - 16 * 0.5 * 10 == approx(7.5)
    assert np.all(model.lp.variables["corridor_capacity_new"].keys["period"] == 2030)


def test_credibility_table_sets_the_results_beside_the_references(tmp_path):
    """references.csv rows and what the hand-worked historical case gives for them:
    coal's share of 2020 generation is 100 % (the record says 97 %, tolerance 3 pp: within), 2020 generation 70.08 TWh
    (record 74, tolerance 5 %: -5.3 %, not within), wind capacity 2030 16 GW (a study's range 10..12 GW: above)."""
    from optimiser import postprocess as pp

    references = [
        {"quantity": "generation_share", "technologies": "coal", "period": 2020, "value": 97, "unit": "%", "tolerance": 3, "kind": "record",
         "label": "stats", "source": "test record"},
        {"quantity": "generation_total", "technologies": "", "period": 2020, "value": 74, "unit": "TWh/yr", "tolerance": 5, "kind": "record",
         "label": "stats", "source": "test record"},
        {"quantity": "capacity", "technologies": "wind", "period": 2030, "low": 10, "high": 12, "unit": "GW", "kind": "study",
         "label": "a study", "source": "test study"},
        # what stood at the end of the record: the period should have at least 20 GW of wind (it has 16)
        {"quantity": "capacity", "technologies": "wind", "period": 2030, "low": 20, "unit": "GW", "kind": "record",
         "label": "year-end", "source": "test record"},
    ]
    path = history_case(tmp_path / "refs", settings={"historical_periods": [2020]}, references=references)
    ds, _, _ = solve_case(path)
    table = pp.make_credibility(pp.prepare(ds)).set_index("quantity")
    assert table.loc["generation_share", "model"] == approx(100) and table.loc["generation_share", "difference"] == "+3.0 pp"
    assert table.loc["generation_share", "within"] == True  # noqa: E712 (a numpy bool in the frame)
    assert table.loc["generation_total", "model"] == approx(70.08) and table.loc["generation_total", "difference"] == "-5.3 %"
    assert table.loc["generation_total", "within"] == False  # noqa: E712
    study, record = table.loc["capacity"].iloc[0], table.loc["capacity"].iloc[1]
    assert study["model"] == approx(16) and study["difference"] == "above the range" and study["within"] == False  # noqa: E712
    assert record["reference"] == ">= 20" and record["difference"] == "below the reference" and record["within"] == False  # noqa: E712
    written = pp.postprocess(ds, tmp_path / "report", plots=False)
    assert (tmp_path / "report" / "credibility.csv") in written
    report = (tmp_path / "report" / "report.html").read_text()
    assert "Credibility" in report and "2020 stands for 2020-2029" in report and "reported apart" in report
    schedule = (tmp_path / "report" / "schedule_national.csv").read_text()
    assert "2030-2039" in schedule


def test_corridor_costs_follow_their_corridor_when_history_has_no_builds(tmp_path):
    """Regions B and C each need 8 GW in 2030 and can build nothing; A builds wind. A-B is 100 km, A-C 200 km long,
    capex 100 CNY/kW/km, lifetime 40, r = 0: 0.25 and 0.5 bn CNY per GW and year. 8 GW on each over 10 years:
    (8 x 0.25 + 8 x 0.5) x 10 = 60 bn CNY of corridor capex in 2030 (a historical 2020 has no corridor builds, so the
    builds of each corridor must still carry that corridor's cost)."""
    regions = ("A", "B", "C")
    path = history_case(
        tmp_path / "two_corridors", settings={"historical_periods": [2020]},
        regions=[{"region": r} for r in regions],
        demand=[{"carrier": "electricity", "region": "A", "period": 2020, "demand_TWh": 70.08}]
        + [{"carrier": "electricity", "region": r, "period": 2030, "demand_TWh": 70.08} for r in ("B", "C")],
        corridors=[{"corridor": f"A-{r}", "carrier": "electricity", "region_from": "A", "region_to": r, "length_km": km,
                    "capex_CNY_per_kW_km": 100, "wacc": 0.0, "lifetime_years": 40} for r, km in (("B", 100), ("C", 200))],
        capacity_limits=[{"technology": t, "region": r, "capacity_max_GW": 0} for t in ("coal", "wind") for r in ("B", "C")],
    )
    ds, _, solution = solve_case(path)
    assert float(ds["corridor_capacity_new"].sel(corridor="A-C", period=2030)) == approx(8)
    wind_capex = 32 * 0.5 * 10  # 32 GW of wind in A for 16 GW of demand
    assert float(ds["cost"].sel(component="capex", period=2030)) - wind_capex == approx(60.0)


# Lost load in history only (lost_load_periods: historical). Demand 12 GW flat in both periods, the recorded 10 GW of
# coal, value of lost load 1,000 CNY/MWh = 1e-3 bn CNY/GWh (above coal's 3e-4 and wind's 0.5 / 4,380 = 1.14e-4).
#   2020 (historical): coal runs flat out, 10 x 8760 x 3e-4 = 26.28 bn/yr; 2 GW unserved, 2 x 8760 x 1e-3 = 17.52 bn/yr;
#                      43.80 bn/yr x 10 years = 438.0 bn.
#   2030 with wind: 12 GW / 0.5 = 24 GW of wind, 24 x 0.5 x 10 = 120.0 bn (cheaper than coal or lost load). Total 558.0.
#   2030 with no new wind or coal allowed: coal 26.28 + 2 GW unserved 17.52 = 43.80 bn/yr, 438.0 bn if lost load is allowed there
#                      (total 876.0); infeasible if lost load is for history only.
VOLL = {"historical_periods": [2020], "value_of_lost_load_CNY_per_MWh": 1000}
SHORT = [{"carrier": "electricity", "region": "A", "period": p, "demand_TWh": 105.12} for p in (2020, 2030)]


def lost_TWh(ds, period):
    return float((ds["lost_load"].sel(carrier="electricity", region="A", period=period) * ds["time_weight_h"]).sum()) / 1e3


def test_lost_load_in_history_only(tmp_path):
    ds, model, solution = solve_case(history_case(tmp_path / "h", settings={**VOLL, "lost_load_periods": "historical"}, demand=SHORT))
    assert solution.objective == approx(558.0)
    assert ds.attrs["objective_historical"] == approx(438.0)
    assert lost_TWh(ds, 2020) == approx(17.52)  # 2 GW x 8760 h
    assert set(model.lp.variables["lost_load"].keys["period"]) == {2020}  # no lost load variable in the pathway
    assert wind(ds, "capacity_new", 2030) == approx(24)


def test_lost_load_everywhere_or_in_history_only_when_the_pathway_cannot_meet_demand(tmp_path):
    no_wind = [{"technology": "wind", "region": "A", "period": 2030, "capacity_max_GW": 0},
               {"technology": "coal", "region": "A", "period": 2030, "capacity_max_GW": 10}]  # nothing new
    ds, _, solution = solve_case(history_case(tmp_path / "all", settings=VOLL, demand=SHORT, capacity_limits=no_wind))
    assert solution.objective == approx(876.0)
    assert lost_TWh(ds, 2030) == approx(17.52)
    path = history_case(tmp_path / "hist", settings={**VOLL, "lost_load_periods": "historical"}, demand=SHORT, capacity_limits=no_wind)
    _, _, solution = solve_case(path, expect_optimal=False)
    assert solution.status == "Infeasible"
    assert any("supply short of demand" in line and "period=2030" in line for line in solution.diagnosis), solution.diagnosis


def test_lost_load_periods_must_be_all_or_historical(tmp_path):
    with pytest.raises(optimiser.InputError, match="lost_load_periods.*'all' or 'historical'"):
        optimiser.load_case(history_case(tmp_path / "bad", settings={**VOLL, "lost_load_periods": "pathway"}))
