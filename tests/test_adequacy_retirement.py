"""Economic early retirement and capacity adequacy (reserve margins), on cases worked out by hand.

Common case: one region A, r = 0, one time step standing for 8760 h, periods of 10 years, demand 8 GW flat.
    coal: 10 GW existing (built 2000, lifetime 50), fixed O&M 500 CNY/kW/yr = 0.5 bn CNY per GW-yr, running 300 CNY/MWh
    wind: capex 10000 CNY/kW over 20 years = 0.5 bn/GW-yr, availability 0.5, no running cost, no firm credit
Wind is built to cover all demand (a GW of wind saves 0.5 x 8760 x 3e-4 = 1.314 bn/yr of coal fuel for 0.5 bn/yr):
16 GW. Coal then only costs its fixed O&M: 10 x 0.5 = 5 bn/yr, which retiring it saves.
"""

from __future__ import annotations

import pytest
from pytest import approx

from casebuilder import solve_case, write_case
from optimiser.postprocess import make_tables
from optimiser.postprocess.adequacy import make_adequacy


def case(folder, periods=(2020, 2030), early=True, reserve=None, **extra):
    tables = dict(
        periods=[{"period": p} for p in periods],
        regions=[{"region": "A"}],
        carriers=[{"carrier": "electricity"}],
        technologies=[
            {"technology": "coal", "type": "conversion", "carrier_out": "electricity", "lifetime_years": 50, "wacc": 0.0,
             "early_retirement": early, "firm_capacity_credit": 1.0, "expandable": False},
            {"technology": "wind", "type": "conversion", "carrier_out": "electricity", "lifetime_years": 20, "wacc": 0.0,
             "availability_max": 0.5, "firm_capacity_credit": 0.0},
        ],
        technology_periods=[
            {"technology": "coal", "period": periods[0], "fom_CNY_per_kW_yr": 500, "vom_CNY_per_MWh": 300},
            {"technology": "wind", "period": periods[0], "capex_CNY_per_kW": 10000},
        ],
        capacities=[{"technology": "coal", "region": "A", "build_year": 2000, "capacity_GW": 10}],
        time_steps=[{"time": 0, "weight_h": 8760, "duration_h": 1}],
        demand=[{"carrier": "electricity", "region": "A", "period": p, "demand_TWh": 70.08} for p in periods],
    )
    if reserve is not None:
        tables["reserve_margins"] = reserve
    tables.update(extra)
    return write_case(folder, settings={"last_period_years": 10}, **tables)


def coal(ds, variable, period):
    return float(ds[variable].sel(technology="coal", region="A", period=period))


def test_without_early_retirement_the_fleet_pays_its_fixed_costs(tmp_path):
    ds, _, solution = solve_case(case(tmp_path / "keep", early=False))
    # wind 16 GW x 0.5 x 20 years = 160; coal fixed O&M 10 x 0.5 x 20 years = 100
    assert solution.objective == approx(260.0)
    assert coal(ds, "capacity", 2030) == approx(10)


def test_early_retirement_saves_the_fixed_costs_of_idle_plants(tmp_path):
    ds, _, solution = solve_case(case(tmp_path / "retire"))
    assert solution.objective == approx(160.0)  # 260 - 100 of fixed O&M saved
    assert coal(ds, "capacity", 2020) == approx(0) and coal(ds, "capacity", 2030) == approx(0)
    assert coal(ds, "capacity_retired_early", 2020) == approx(10)


def test_no_early_retirement_in_a_historical_period(tmp_path):
    path = case(tmp_path / "history")
    text = (path / "settings.yaml").read_text() + "historical_periods: [2020]\n"
    (path / "settings.yaml").write_text(text)
    ds, _, solution = solve_case(path)
    # 2020 is the record: coal runs all 8 GW (70,080 GWh x 3e-4 = 21.024 bn/yr) and pays fixed O&M (5 bn/yr), 10 years;
    # 2030: 16 GW of wind (80) and coal retired: 260.24 + 0 = 21.024 x 10 + 5 x 10 + 80
    assert solution.objective == approx(210.24 + 50 + 80)
    assert coal(ds, "capacity", 2020) == approx(10) and coal(ds, "capacity", 2030) == approx(0)


def test_reserve_margin_keeps_firm_capacity(tmp_path):
    # 15 % over the 8 GW peak: 9.2 GW firm; only coal is firm, so 9.2 GW stay (0.8 GW retire):
    # 160 + 9.2 x 0.5 x 20 = 252; the margin's dual is coal's fixed O&M, 0.5 bn CNY per GW-yr x 10 years per period
    reserve = [{"area": "A", "margin": 0.15}]
    ds, model, solution = solve_case(case(tmp_path / "margin", reserve=reserve))
    assert solution.objective == approx(252.0)
    assert coal(ds, "capacity", 2030) == approx(9.2)
    rows = model.lp.constraints["reserve_margin"]
    assert list(rows.keys["period"]) == [2020, 2030]
    assert solution.row_dual[rows.offset : rows.offset + rows.size] == pytest.approx([5.0, 5.0])
    # reported: peak 8 GW, 9.2 GW required and credited, capacity price = coal's fixed O&M, 500 CNY/kW-yr
    margin = ds[["reserve_peak", "reserve_required", "reserve_firm_capacity", "reserve_imports", "price_capacity"]].sel(area="A", period=2030)
    assert {name: float(value) for name, value in margin.items()} == approx(
        {"reserve_peak": 8.0, "reserve_required": 9.2, "reserve_firm_capacity": 9.2, "reserve_imports": 0.0, "price_capacity": 500.0}
    )
    assert ds["price_capacity"].attrs["units"] == "CNY/kW/yr"
    table = make_adequacy(ds)
    assert table[["area", "period", "binding"]].values.tolist() == [["A", 2020, True], ["A", 2030, True]]
    assert table["margin_share"].tolist() == approx([0.15, 0.15])
    assert "adequacy" in make_tables(ds)


def test_what_was_retired_stays_retired(tmp_path):
    # a reserve margin only in 2040: coal retired in 2020 and 2030 cannot come back, so 9.2 GW must stand through
    # (retiring it for 2020-2039 and finding it again in 2040 is not allowed): 0.8 GW retire from 2020 on, 9.2 GW
    # pay fixed O&M over 30 years = 138; wind 16 GW x 0.5 x 30 = 240; total 378
    reserve = [{"area": "A", "period": 2040, "margin": 0.15}]
    ds, _, solution = solve_case(case(tmp_path / "once", periods=(2020, 2030, 2040), reserve=reserve))
    assert solution.objective == approx(378.0)
    assert [coal(ds, "capacity", p) for p in (2020, 2030, 2040)] == [approx(9.2)] * 3


def test_credited_imports_count_towards_the_margin(tmp_path):
    """A needs 9.2 GW firm for its 8 GW peak; a 5 GW corridor from B counts at 0.5 (2.5 GW), so A keeps 6.7 GW of
    coal (3.3 retired early) instead of 9.2: 2.5 GW less fixed O&M, 2.5 x 0.5 x 20 = 25 bn saved. B has no demand
    and nothing to run, its region is outside the area."""
    corridor = [{"corridor": "B-A", "carrier": "electricity", "region_from": "B", "region_to": "A", "length_km": 100,
                 "capacity_GW": 5, "build_year": 2000, "expandable": False}]
    reserve = [{"area": "A", "margin": 0.15, "import_credit": 0.5}]
    ds, _, solution = solve_case(case(tmp_path / "imports", reserve=reserve, regions=[{"region": "A"}, {"region": "B"}], corridors=corridor))
    assert solution.objective == approx(252.0 - 25.0)
    assert coal(ds, "capacity", 2030) == approx(6.7)
    assert float(ds["reserve_firm_capacity"].sel(area="A", period=2030)) == approx(6.7)
    assert float(ds["reserve_imports"].sel(area="A", period=2030)) == approx(2.5)
    assert make_adequacy(ds).query("period == 2030")["margin_share"].tolist() == approx([0.15])  # (6.7 + 2.5) / 8 - 1


def test_an_area_of_several_regions(tmp_path):
    """Area 'north' = A and B; B has 4 GW of demand and nothing to build (wind 0 there), a line A-B carries it. Peak of
    the area 12 GW, margin 15 %: 13.8 GW firm. Keeping coal costs its fixed O&M, 0.5 bn/GW-yr, less than a new firm
    'peaker' in B (capex 20000 CNY/kW / 20 years = 1.0 bn/GW-yr, firm credit 1), so all 10 GW of A's coal stay and
    3.8 GW of peaker are built: 3.8 x 1.0 x 20 = 76; wind in A 24 GW (12 GW of demand at 0.5) x 0.5 x 20 = 240; coal
    10 x 0.5 x 20 = 100. Total 416. (With a peaker at 1000 CNY/kW, 0.05 bn/GW-yr, coal would all retire instead.)"""
    technologies = [
        {"technology": "coal", "type": "conversion", "carrier_out": "electricity", "lifetime_years": 50, "wacc": 0.0,
         "early_retirement": True, "firm_capacity_credit": 1.0, "expandable": False},
        {"technology": "wind", "type": "conversion", "carrier_out": "electricity", "lifetime_years": 20, "wacc": 0.0, "availability_max": 0.5},
        {"technology": "peaker", "type": "conversion", "carrier_out": "electricity", "lifetime_years": 20, "wacc": 0.0,
         "firm_capacity_credit": 1.0},
    ]
    periods = [
        {"technology": "coal", "period": 2020, "fom_CNY_per_kW_yr": 500, "vom_CNY_per_MWh": 300},
        {"technology": "wind", "period": 2020, "capex_CNY_per_kW": 10000},
        {"technology": "peaker", "period": 2020, "capex_CNY_per_kW": 20000, "vom_CNY_per_MWh": 1000},
    ]
    path = case(
        tmp_path / "area", reserve=[{"area": "north", "regions": "A B", "margin": 0.15}],
        regions=[{"region": "A"}, {"region": "B"}], technologies=technologies, technology_periods=periods,
        demand=[{"carrier": "electricity", "region": r, "period": p, "demand_TWh": 70.08 if r == "A" else 35.04}
                for p in (2020, 2030) for r in ("A", "B")],
        corridors=[{"corridor": "A-B", "carrier": "electricity", "region_from": "A", "region_to": "B", "length_km": 100,
                    "capacity_GW": 10, "build_year": 2000, "expandable": False}],
        capacity_limits=[{"technology": t, "region": r, "capacity_max_GW": 0} for t, r in (("wind", "B"), ("peaker", "A"))],
    )
    ds, _, solution = solve_case(path)
    assert solution.objective == approx(416.0)
    assert float(ds["capacity"].sel(technology="peaker", region="B", period=2030)) == approx(3.8)
    assert coal(ds, "capacity", 2030) == approx(10)


def test_capacity_reaching_the_end_of_its_life_is_rebuilt_when_it_pays(tmp_path):
    """Nuclear (firm, running 50 CNY/MWh) built 1990 with a 40-year life stands in 2020 only (1990 + 40 = 2030). Demand
    8 GW flat and a 15 % reserve margin: 9.2 GW firm needed in 2030, and wind (no firm credit) cannot give it, so 9.2 GW
    of nuclear are rebuilt in 2030 (capex 20000 CNY/kW / 40 years = 0.5 bn/GW-yr, r = 0, the same as wind per GW;
    running 50 CNY/MWh = 5e-5 bn/GWh against wind's 0.5 bn per 4.38 TWh = 1.14e-4 bn/GWh): nuclear is the cheaper
    energy too, so it is rebuilt at 9.2 GW and runs 8 GW flat: 2030 costs 9.2 x 0.5 x 10 + 70,080 GWh x 5e-5 x 10 = 81.04."""
    technologies = [
        {"technology": "nuclear", "type": "conversion", "carrier_out": "electricity", "lifetime_years": 40, "wacc": 0.0,
         "firm_capacity_credit": 1.0},
        {"technology": "wind", "type": "conversion", "carrier_out": "electricity", "lifetime_years": 20, "wacc": 0.0, "availability_max": 0.5},
    ]
    periods = [
        {"technology": "nuclear", "period": 2020, "capex_CNY_per_kW": 20000, "vom_CNY_per_MWh": 50},
        {"technology": "wind", "period": 2020, "capex_CNY_per_kW": 10000},
    ]
    path = case(tmp_path / "rebuild", reserve=[{"area": "A", "margin": 0.15}], technologies=technologies, technology_periods=periods,
                capacities=[{"technology": "nuclear", "region": "A", "build_year": 1990, "capacity_GW": 10}])
    text = (path / "settings.yaml").read_text() + "historical_periods: [2020]\n"
    (path / "settings.yaml").write_text(text)
    ds, _, _ = solve_case(path)
    nuclear = ds["capacity"].sel(technology="nuclear", region="A")
    assert float(nuclear.sel(period=2020)) == approx(10) and float(nuclear.sel(period=2030)) == approx(9.2)
    assert float(ds["capacity_new"].sel(technology="nuclear", region="A", period=2030)) == approx(9.2)
    assert float(ds["cost"].sel(period=2030).sum()) == approx(81.04)


def test_committed_capacity_does_not_retire_early(tmp_path):
    """2 GW of coal committed (in service 2025) stand in 2030 and pay their fixed O&M (2 x 0.5 x 10 = 10) although the
    old fleet, idle too, retires early: 160 + 10 = 170. Only the fleet of capacities.csv may retire before its end."""
    committed = [{"technology": "coal", "region": "A", "build_year": 2025, "capacity_GW": 2, "status": "in_service", "source": "test"}]
    ds, _, solution = solve_case(case(tmp_path / "committed", committed_capacity=committed))
    assert solution.objective == approx(170.0)
    assert coal(ds, "capacity", 2020) == approx(0) and coal(ds, "capacity", 2030) == approx(2)
    assert coal(ds, "capacity_retired_early", 2030) == approx(10)


def test_firm_capacity_moved_between_areas_is_not_counted_twice(tmp_path):
    """Areas A (8 GW peak) and B (4 GW, nothing firm of its own), a 5 GW line, import credit 1, margin 12 %.
    B needs 4 x 1.12 = 4.48 GW firm, which must come from A over the line; A then needs 8 x 1.12 + 4.48 = 13.44 GW of
    its own firm capacity: its 10 GW of coal (kept, fixed O&M 0.5 x 10 x 20 = 100) and 3.44 GW of a peaker built in A
    (20000 CNY/kW / 20 years = 1.0 bn/GW-yr: 3.44 x 1.0 x 20 = 68.8). Energy: 24 GW of wind in A for 12 GW of demand,
    24 x 0.5 x 20 = 240. Total 408.8 (counting the line for B without debiting A would need no peaker: 340)."""
    technologies = [
        {"technology": "coal", "type": "conversion", "carrier_out": "electricity", "lifetime_years": 50, "wacc": 0.0,
         "firm_capacity_credit": 1.0, "expandable": False},
        {"technology": "wind", "type": "conversion", "carrier_out": "electricity", "lifetime_years": 20, "wacc": 0.0, "availability_max": 0.5},
        {"technology": "peaker", "type": "conversion", "carrier_out": "electricity", "lifetime_years": 20, "wacc": 0.0, "firm_capacity_credit": 1.0},
    ]
    periods = [
        {"technology": "coal", "period": 2020, "fom_CNY_per_kW_yr": 500, "vom_CNY_per_MWh": 300},
        {"technology": "wind", "period": 2020, "capex_CNY_per_kW": 10000},
        {"technology": "peaker", "period": 2020, "capex_CNY_per_kW": 20000, "vom_CNY_per_MWh": 1000},
    ]
    path = case(
        tmp_path / "two_areas", reserve=[{"area": r, "margin": 0.12, "import_credit": 1.0} for r in ("A", "B")],
        regions=[{"region": "A"}, {"region": "B"}], technologies=technologies, technology_periods=periods,
        demand=[{"carrier": "electricity", "region": r, "period": p, "demand_TWh": 70.08 if r == "A" else 35.04}
                for p in (2020, 2030) for r in ("A", "B")],
        corridors=[{"corridor": "A-B", "carrier": "electricity", "region_from": "A", "region_to": "B", "length_km": 100,
                    "capacity_GW": 5, "build_year": 2000, "expandable": False}],
        capacity_limits=[{"technology": t, "region": "B", "capacity_max_GW": 0} for t in ("wind", "peaker")],
    )
    ds, model, solution = solve_case(path)
    assert solution.objective == approx(408.8)
    assert float(ds["capacity"].sel(technology="peaker", region="A", period=2030)) == approx(3.44)
    transfer = model.lp.values(model.lp.variables["reserve_transfer"], solution.x)
    assert transfer == pytest.approx([4.48, 4.48])


@pytest.mark.parametrize("aggregated", [False, True])
def test_the_margin_holds_against_the_peak_of_the_full_year_also_on_aggregated_time(tmp_path, aggregated):
    """Two hours of 4,380 h each, demand profile 0.8 / 1.0 and 78.84 TWh: 8 and 10 GW (78.84e3 / (4380 x 1.8) = 10).
    Downsampled to one step (``hours: 2``) the demand is 9 GW flat: the peak the planning rule names (10 GW, the year's
    highest load) is gone from the time steps, but the margin still needs 1.15 x 10 = 11.5 GW, not 10.35.
    Coal only: capex 10,000 CNY/kW over 20 years, r = 0 (0.5 bn CNY per GW-yr), 300 CNY/MWh; one period of 10 years:
    (11.5 x 0.5 + 78.84 x 0.3) x 10 = 294.02 bn CNY either way; capacity price = coal's 500 CNY/kW-yr."""
    settings = {"last_period_years": 10}
    if aggregated:
        settings["time_aggregation"] = {"method": "downsample", "hours": 2}
    path = write_case(
        tmp_path / "peak", settings=settings,
        periods=[{"period": 2030}], regions=[{"region": "A"}], carriers=[{"carrier": "electricity"}],
        technologies=[{"technology": "coal", "type": "conversion", "carrier_out": "electricity", "lifetime_years": 20, "wacc": 0.0,
                       "firm_capacity_credit": 1.0}],
        technology_periods=[{"technology": "coal", "period": 2030, "capex_CNY_per_kW": 10000, "vom_CNY_per_MWh": 300}],
        time_steps=[{"time": t, "weight_h": 4380, "duration_h": 1} for t in (0, 1)],
        demand=[{"carrier": "electricity", "region": "A", "period": 2030, "demand_TWh": 78.84}],
        demand_profiles=[{"carrier": "electricity", "region": "A", "time": t, "profile": p} for t, p in ((0, 0.8), (1, 1.0))],
        reserve_margins=[{"area": "A", "margin": 0.15}],
    )
    ds, _, solution = solve_case(path)
    assert len(ds["time"]) == (1 if aggregated else 2)
    assert float(ds["demand"].sel(carrier="electricity", region="A", period=2030).max()) == approx(9.0 if aggregated else 10.0)
    assert solution.objective == approx(294.02)
    assert coal(ds, "capacity", 2030) == approx(11.5)
    assert float(ds["reserve_peak"].sel(area="A", period=2030)) == approx(10.0)
    assert float(ds["price_capacity"].sel(area="A", period=2030)) == approx(500.0)
