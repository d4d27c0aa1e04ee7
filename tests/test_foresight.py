"""Foresight modes (optimiser/foresight.py): hand-worked pathways under perfect, myopic and rolling foresight.

Every expected number is derived in the comments from the inputs. Conventions of the small cases:

* discount rate 0 and periods 10 years apart (the last one too), so every period weighs w_p = Y_p = 10 years;
* one time step of 8760 h, so 1 GW held all year is 8760 GWh = 8.76 TWh;
* 1 GWh x 1 CNY/MWh = 1e-6 bn CNY; 1 GW x 1 CNY/kW = 1e-3 bn CNY; wacc 0, so the annuity is capex / lifetime;
* a vintage built in period v with lifetime L stands (and pays its annuity) in every period p with v <= p < v + L.

"Window objectives" are what each window minimised: its own periods, without the annuities of vintages built
before it (sunk there). Summing them is the accounting error of TemoaProject/temoa#364; the reported objective is
the full horizon's cost of the stitched pathway.
"""

from __future__ import annotations

import pytest
import yaml

from casebuilder import EXAMPLE, write_case

import optimiser
from optimiser.cli import main
from optimiser.foresight import plan_windows, setting_issues
from optimiser.inputs import InputError

H2_CCUS = EXAMPLE.parent / "example_h2_ccus"
STEP = [{"time": 0, "weight_h": 8760, "duration_h": 1, "representative_period": 0}]
ONE_GW_TWH = 8.76
#: coal is free: its running cost is the vom
COAL_PRICE = [{"carrier": "coal", "period": 2020, "price_CNY_per_MWh": 0}]


def approx(value, rel=1e-6, abs=1e-6):
    return pytest.approx(value, rel=rel, abs=abs)


def solve(path, tmp_path, foresight="perfect", window=None, step=None):
    settings = {"foresight": foresight} | ({"foresight_window": window} if window else {}) | ({"foresight_step": step} if step else {})
    tag = f"{path.name}_{foresight}{window or ''}{step or ''}"
    ds, _ = optimiser.run(path, tmp_path / f"{tag}.nc", settings=settings, log=lambda *_: None)
    assert ds.attrs["optimal"] == 1, ds.attrs.get("diagnosis")
    return ds


def windows(ds) -> list[dict]:
    return yaml.safe_load(ds.attrs["foresight_windows"])


def built(ds, technology, region="A") -> list[float]:
    return ds["capacity_new"].sel(technology=technology, region=region).values.tolist()


def cost(ds, component) -> list[float]:
    return ds["cost"].sel(component=component).values.tolist()


# --------------------------------------------------------------------------- settings and windows


def test_windows_of_each_mode():
    """Windows solve ``size`` periods and keep ``step``; the last window keeps all it solves."""
    periods = [2020, 2030, 2040, 2050, 2060]
    assert [(w.periods, w.kept) for w in plan_windows(periods, 1, 1)] == [((p,), (p,)) for p in periods]
    assert [(w.periods, w.kept) for w in plan_windows(periods, 2, 1)] == [
        ((2020, 2030), (2020,)), ((2030, 2040), (2030,)), ((2040, 2050), (2040,)), ((2050, 2060), (2050, 2060)),
    ]
    assert [(w.periods, w.kept) for w in plan_windows(periods, 3, 2)] == [
        ((2020, 2030, 2040), (2020, 2030)), ((2040, 2050, 2060), (2040, 2050, 2060)),
    ]
    assert [(w.periods, w.kept) for w in plan_windows(periods, 9, 1)] == [(tuple(periods), tuple(periods))]


@pytest.mark.parametrize("settings, bad", [
    ({"foresight": "clairvoyant"}, "foresight"),
    ({"foresight": "rolling"}, "foresight_window"),
    ({"foresight": "rolling", "foresight_window": 0}, "foresight_window"),
    ({"foresight": "rolling", "foresight_window": 2.5}, "foresight_window"),
    ({"foresight": "rolling", "foresight_window": 2, "foresight_step": 3}, "foresight_step"),
    ({"foresight": "myopic", "foresight_window": 3}, "foresight_window"),
    ({"foresight": "perfect", "foresight_step": 2}, "foresight_step"),
])
def test_bad_foresight_settings_are_named(settings, bad):
    issues = setting_issues({"foresight_step": 1} | settings)
    assert [name for name, _, _ in issues] == [bad]


def test_good_foresight_settings():
    for settings in ({"foresight": "perfect"}, {"foresight": "myopic"}, {"foresight": "myopic", "foresight_window": 1},
                     {"foresight": "rolling", "foresight_window": 2}, {"foresight": "rolling", "foresight_window": 3, "foresight_step": 3}):
        assert setting_issues({"foresight_step": 1} | settings) == []


def test_settings_file_with_a_bad_mode_is_an_input_error(tmp_path):
    path = growing_demand(tmp_path)
    settings = yaml.safe_load((path / "settings.yaml").read_text()) | {"foresight": "rolling"}
    (path / "settings.yaml").write_text(yaml.safe_dump(settings))
    with pytest.raises(InputError, match="foresight_window"):
        optimiser.load_case(path)


# --------------------------------------------------------------------------- a case where foresight does not matter


def growing_demand(tmp_path):
    """Demand 1, 2, 3 GW in 2020, 2030, 2040; one technology, capex 2000 CNY/kW, lifetime 20 years, vom 10 CNY/MWh.

    Annuity 2000 / 20 = 100 CNY/kW/yr = 0.1 bn CNY/GW/yr, so 1 bn per GW in each period a vintage stands.
    A vintage stands in its own period and the next (v + 20 > p): the 2020 vintage retires in 2040.
    Whatever the foresight, each period builds what it lacks, since a GW built early pays for a period it is
    not needed in: 2020 builds 1 GW; 2030 has the 2020 GW and builds 1; 2040 has the 2030 GW and builds 2.
    """
    return write_case(
        tmp_path / "growing",
        periods=[{"period": p} for p in (2020, 2030, 2040)],
        regions=[{"region": "A"}],
        carriers=[{"carrier": "electricity"}],
        technologies=[{"technology": "plant", "type": "conversion", "carrier_out": "electricity", "lifetime_years": 20, "wacc": 0.0}],
        technology_periods=[{"technology": "plant", "period": 2020, "capex_CNY_per_kW": 2000, "vom_CNY_per_MWh": 10}],
        time_steps=STEP,
        demand=[{"carrier": "electricity", "region": "A", "period": p, "demand_TWh": n * ONE_GW_TWH} for n, p in enumerate((2020, 2030, 2040), 1)],
    )


@pytest.mark.parametrize("foresight, window, step, window_objectives", [
    # perfect: one window, the whole objective
    ("perfect", None, None, None),
    # myopic, window objectives (own vintages only, a period's annuity is 1 bn per GW, vom 0.0876 bn per GW-yr x 10):
    #   2020: 1 GW x 1 + 0.876 = 1.876;  2030: 1 GW x 1 + 1.752 = 2.752;  2040: 2 GW x 1 + 2.628 = 4.628
    ("myopic", None, None, [1.876, 2.752, 4.628]),
    # rolling 2 keeping 1: {2020, 2030}: 2020 GW pays 2 periods (2) + 2030 GW pays 1 + vom 0.876 + 1.752 = 5.628;
    #   {2030, 2040}: 2030 GW pays 2 + 2040's 2 GW pay 2 + vom 1.752 + 2.628 = 8.38 (the 2020 GW is sunk)
    ("rolling", 2, 1, [5.628, 8.38]),
    # rolling 2 keeping 2: {2020, 2030} as above 5.628; {2040}: 2 GW x 1 + 2.628 = 4.628
    ("rolling", 2, 2, [5.628, 4.628]),
])
def test_foresight_does_not_matter_when_each_period_builds_what_it_lacks(tmp_path, foresight, window, step, window_objectives):
    """Identical pathway and cost in every mode.

    Capex by period: 2020: the 2020 GW (1); 2030: the 2020 and 2030 GW (2); 2040: the 2030 GW and the two 2040 GW (3).
    Vom by period: 1, 2, 3 GW x 8760 GWh x 10 CNY/MWh x 10 years = 0.876, 1.752, 2.628 bn.
    Objective: 6 + 5.256 = 11.256 bn CNY.
    """
    ds = solve(growing_demand(tmp_path), tmp_path, foresight, window, step)
    assert ds.attrs["foresight"] == foresight
    assert built(ds, "plant") == [approx(1), approx(1), approx(2)]
    assert ds["capacity"].sel(technology="plant", region="A").values.tolist() == [approx(1), approx(2), approx(3)]
    assert cost(ds, "capex") == [approx(1), approx(2), approx(3)]
    assert cost(ds, "variable_om") == [approx(0.876), approx(1.752), approx(2.628)]
    assert ds.attrs["objective"] == approx(11.256)
    assert float(ds["cost"].sum()) == approx(11.256)
    if window_objectives is not None:
        assert [w["objective"] for w in windows(ds)] == [approx(v) for v in window_objectives]
        assert ds.attrs["foresight_largest_violation"] < 1e-9


def test_annuities_of_a_window_1_vintage_are_paid_in_later_windows(tmp_path):
    """Myopic on the growing-demand case: the 2020 GW is built by window 1 and stands in 2030 (window 2).

    Window 2's own objective has no capex for it (sunk: 2.752 = 2030 GW 1 + vom 1.752), but the pathway's cost of 2030
    does: capex 2030 = 2020 GW 1 bn + 2030 GW 1 bn = 2 bn. Likewise the 2030 GW's 1 bn in 2040. So the windows' own
    objectives sum to 1.876 + 2.752 + 4.628 = 9.256 bn, 2 bn short of the pathway's 11.256 bn: the two annuity
    payments of earlier windows' vintages that a sum of window objectives would drop (TemoaProject/temoa#364).
    """
    ds = solve(growing_demand(tmp_path), tmp_path, "myopic")
    assert cost(ds, "capex") == [approx(1), approx(2), approx(3)]
    assert ds.attrs["foresight_window_objective_sum"] == approx(9.256)
    assert ds.attrs["objective"] == approx(11.256)
    # the 2020 vintage retires at 2020 + 20 = 2040: capacity 2040 = 2030 GW + 2040's 2 GW = 3, retired 1
    assert float(ds["capacity_retired"].sel(technology="plant", region="A", period=2040)) == approx(1)


# --------------------------------------------------------------------------- a case where it does


def stranded_coal(tmp_path):
    """Demand 1 GW in 2020 and 2030; the 2030 CO2 cap is 0.

    coal : capex 2000 CNY/kW / 20 yr = 0.1 bn/GW/yr; vom 20 CNY/MWh -> 8760 GWh x 20 = 0.1752 bn/yr; 1 t CO2/MWh.
    clean: capex 6000 CNY/kW / 20 yr = 0.3 bn/GW/yr; no running cost.
    Both stand in 2020 and 2030 if built in 2020 (lifetime 20).
    """
    return write_case(
        tmp_path / "stranded",
        periods=[{"period": 2020}, {"period": 2030, "co2_cap_Mt": 0}],
        regions=[{"region": "A"}],
        carriers=[{"carrier": "electricity"}, {"carrier": "coal", "balance": False, "co2_content_t_per_MWh": 1.0}],
        fuel_prices=COAL_PRICE,
        technologies=[
            {"technology": "coal", "type": "conversion", "carrier_out": "electricity", "carrier_in": "coal", "lifetime_years": 20, "wacc": 0.0},
            {"technology": "clean", "type": "conversion", "carrier_out": "electricity", "lifetime_years": 20, "wacc": 0.0},
        ],
        technology_periods=[
            {"technology": "coal", "period": 2020, "capex_CNY_per_kW": 2000, "vom_CNY_per_MWh": 20, "efficiency": 1.0},
            {"technology": "clean", "period": 2020, "capex_CNY_per_kW": 6000},
        ],
        time_steps=STEP,
        demand=[{"carrier": "electricity", "region": "A", "period": p, "demand_TWh": ONE_GW_TWH} for p in (2020, 2030)],
    )


def test_myopic_builds_coal_that_the_cap_strands(tmp_path):
    """Perfect foresight: clean in 2020, standing in both periods: 0.3 x 20 years = 6.0 bn CNY.
    (x GW of coal in 2020 instead would cost x (0.1 x 20 + 0.1752 x 10) for coal + (1 - x) 0.3 x 20 + x 0.3 x 10 for
    clean = 6 + 0.752 x: none.)

    Myopic, window 2020 alone: coal (0.1 + 0.1752) x 10 = 2.752 < clean 0.3 x 10 = 3.0, so 1 GW of coal. Window 2030:
    the cap of 0 stops the coal, which stands there by its vintage (stranded), and 1 GW of clean costs 3.0 there.
    Pathway: coal annuity 2 x 1.0 + coal vom 1.752 + clean annuity 3.0 = 6.752 bn, 0.752 above perfect foresight.
    The windows' own objectives sum to 2.752 + 3.0 = 5.752, *below* perfect foresight: the stranded coal's 2030
    annuity (1.0) is missing from it.
    """
    perfect = solve(stranded_coal(tmp_path), tmp_path, "perfect")
    myopic = solve(stranded_coal(tmp_path), tmp_path, "myopic")
    assert perfect.attrs["objective"] == approx(6.0)
    assert built(perfect, "clean") == [approx(1), approx(0)]
    assert built(perfect, "coal") == [approx(0), approx(0)]

    assert myopic.attrs["objective"] == approx(6.752)
    assert myopic.attrs["objective"] - perfect.attrs["objective"] == approx(0.752)
    assert built(myopic, "coal") == [approx(1), approx(0)]
    assert built(myopic, "clean") == [approx(0), approx(1)]
    assert myopic["capacity"].sel(technology="coal", region="A").values.tolist() == [approx(1), approx(1)]
    # coal runs in 2020 (1 GW x 8760 h x 1 t/MWh = 8.76 Mt/yr) and not in 2030
    assert myopic["co2_emissions"].sel(region="A").values.tolist() == [approx(8.76), approx(0)]
    assert cost(myopic, "capex") == [approx(1.0), approx(1.0 + 3.0)]
    assert [w["objective"] for w in windows(myopic)] == [approx(2.752), approx(3.0)]
    assert myopic.attrs["foresight_window_objective_sum"] == approx(5.752)
    # rolling with a window of both periods is perfect foresight
    assert solve(stranded_coal(tmp_path), tmp_path, "rolling", 2).attrs["objective"] == approx(6.0)


# --------------------------------------------------------------------------- cumulative limits carried over


def budget_case(tmp_path):
    """A cumulative CO2 budget over 2020-2040 (3 x 10 years) on a fixed fleet; demand 1 GW in every period.

    coal : 1 GW existing, vom 10 CNY/MWh, 1 t CO2/MWh (8.76 Mt/yr at full output);
    clean: 1 GW existing, vom 100, 50, 20 CNY/MWh in 2020, 2030, 2040.
    Exogenous emissions 1 Mt/yr in every period; budget 161.4 Mt, so the modelled system may emit
    161.4 - 3 x 10 x 1 = 131.4 Mt = 1.5 full-output years of coal x 10 years... i.e. 15 coal-GW-years of 8.76 Mt.
    A tonne of coal CO2 saves clean - coal running cost: 90, 40, 10 CNY/t in 2020, 2030, 2040.
    """
    fleet = [{"technology": t, "region": "A", "build_year": 2000, "capacity_GW": 1} for t in ("coal", "clean")]
    return write_case(
        tmp_path / "budget",
        settings={"co2_budget_Mt": 161.4},
        periods=[{"period": p, "exogenous_emissions_Mt": 1.0} for p in (2020, 2030, 2040)],
        regions=[{"region": "A"}],
        carriers=[{"carrier": "electricity"}, {"carrier": "coal", "balance": False, "co2_content_t_per_MWh": 1.0}],
        fuel_prices=COAL_PRICE,
        technologies=[
            {"technology": "coal", "type": "conversion", "carrier_out": "electricity", "carrier_in": "coal", "lifetime_years": 100, "expandable": False},
            {"technology": "clean", "type": "conversion", "carrier_out": "electricity", "lifetime_years": 100, "expandable": False},
        ],
        technology_periods=[
            {"technology": "coal", "period": 2020, "vom_CNY_per_MWh": 10, "efficiency": 1.0},
            *({"technology": "clean", "period": p, "vom_CNY_per_MWh": v} for p, v in ((2020, 100), (2030, 50), (2040, 20))),
        ],
        capacities=fleet,
        time_steps=STEP,
        demand=[{"carrier": "electricity", "region": "A", "period": p, "demand_TWh": ONE_GW_TWH} for p in (2020, 2030, 2040)],
    )


@pytest.mark.parametrize("foresight, window, coal_GW, objective, co2_price", [
    # perfect: coal where it saves most: 2020 at full output (87.6 Mt), the remaining 131.4 - 87.6 = 43.8 Mt in 2030
    # (0.5 GW). Costs: 2020 8760 GWh x 10 = 0.0876/yr; 2030 4380 x 10 + 4380 x 50 = 0.2628/yr; 2040 8760 x 20 = 0.1752/yr;
    # x 10 years: 0.876 + 2.628 + 1.752 = 5.256 bn. The marginal tonne is 2030's: 40 CNY/t in every period (r = 0).
    ("perfect", None, [1.0, 0.5, 0.0], 5.256, [40, 40, 40]),
    # myopic, budget shared pro rata to years: window 2020 gets 161.4 x 10/30 = 53.8 Mt, of which 10 x 1 exogenous:
    # 43.8 Mt = 0.5 GW of coal; it uses 10 x (4.38 + 1) = 53.8. Window 2030: (161.4 - 53.8) x 10/20 = 53.8, the same;
    # window 2040: all that is left, 53.8, the same. Costs per year: 2020 4380 x (10 + 100) = 0.4818; 2030
    # 4380 x (10 + 50) = 0.2628; 2040 4380 x (10 + 20) = 0.1314; x 10: 4.818 + 2.628 + 1.314 = 8.76 bn, 3.504 above
    # perfect. Each window's budget binds at its own period's saving: 90, 40, 10 CNY/t.
    ("myopic", None, [0.5, 0.5, 0.5], 8.76, [90, 40, 10]),
    # rolling 2 keeping 1: window {2020, 2030} gets 161.4 x 20/30 = 107.6 Mt, 20 exogenous: 87.6 Mt, all in 2020 (saves
    # 90 > 40), so 2020 coal at full output, using 10 x (8.76 + 1) = 97.6. Window {2030, 2040}: 161.4 - 97.6 = 63.8,
    # 20 exogenous: 43.8 Mt, in 2030 (40 > 10): 0.5 GW. The perfect pathway, 5.256 bn; both windows' marginal tonne is 2030's.
    ("rolling", 2, [1.0, 0.5, 0.0], 5.256, [40, 40, 40]),
])
def test_co2_budget_carries_over_between_windows(tmp_path, foresight, window, coal_GW, objective, co2_price):
    ds = solve(budget_case(tmp_path), tmp_path, foresight, window)
    coal = ds["generation"].sel(technology="coal", region="A", time=0).values.tolist()
    assert coal == [approx(g) for g in coal_GW]
    assert ds.attrs["objective"] == approx(objective)
    # cumulative net emissions: 10 x (8.76 x coal GW + 1) summed = the whole budget in every mode
    assert float(((ds["co2_emissions"].sum("region") + ds["exogenous_emissions"]) * ds["period_years"]).sum()) == approx(161.4)
    assert ds["price_co2"].values.tolist() == [approx(p) for p in co2_price]


def stock_case(tmp_path):
    """A cumulative limit of 100 TWh on a 'stock' technology (1 GW existing, no running cost) over 2020 and 2030;
    a 'backup' (1 GW existing) costs 50 CNY/MWh in 2020 and 100 in 2030; demand 1 GW (8.76 TWh/yr)."""
    return write_case(
        tmp_path / "stock",
        periods=[{"period": 2020}, {"period": 2030}],
        regions=[{"region": "A"}],
        carriers=[{"carrier": "electricity"}],
        technologies=[
            {"technology": t, "type": "conversion", "carrier_out": "electricity", "lifetime_years": 100, "expandable": False}
            for t in ("stock", "backup")
        ],
        technology_periods=[
            {"technology": "stock", "period": 2020, "vom_CNY_per_MWh": 0},
            {"technology": "backup", "period": 2020, "vom_CNY_per_MWh": 50},
            {"technology": "backup", "period": 2030, "vom_CNY_per_MWh": 100},
        ],
        capacities=[{"technology": t, "region": "A", "build_year": 2000, "capacity_GW": 1} for t in ("stock", "backup")],
        cumulative_limits=[{"technology": "stock", "region": "A", "cumulative_max_TWh": 100}],
        time_steps=STEP,
        demand=[{"carrier": "electricity", "region": "A", "period": p, "demand_TWh": ONE_GW_TWH} for p in (2020, 2030)],
    )


def test_cumulative_limit_carries_over_between_windows(tmp_path):
    """Perfect foresight spends the stock where backup is dearer: all 2030 (87.6 TWh), the other 12.4 TWh in 2020
    (1.24 TWh/yr); backup 2020: 7.52 TWh/yr x 10 x 50 CNY/MWh = 3.76 bn.

    Myopic: window 2020 sees all 100 TWh and covers 2020 with it (87.6 TWh); window 2030 sees 100 - 87.6 = 12.4 TWh
    (1.24 TWh/yr) and buys 7.52 TWh/yr x 10 x 100 CNY/MWh = 7.52 bn of backup: 3.76 bn more.
    """
    perfect = solve(stock_case(tmp_path), tmp_path, "perfect")
    myopic = solve(stock_case(tmp_path), tmp_path, "myopic")
    assert perfect["generation_annual"].sel(technology="stock", region="A").values.tolist() == [approx(1.24), approx(8.76)]
    assert perfect.attrs["objective"] == approx(3.76)
    assert myopic["generation_annual"].sel(technology="stock", region="A").values.tolist() == [approx(8.76), approx(1.24)]
    assert myopic["generation_annual"].sel(technology="backup", region="A").values.tolist() == [approx(0), approx(7.52)]
    assert myopic.attrs["objective"] == approx(7.52)
    # the stock is used up exactly: 10 x (8.76 + 1.24) = 100 TWh
    assert float((myopic["generation_annual"].sel(technology="stock", region="A") * myopic["period_years"]).sum()) == approx(100)


# --------------------------------------------------------------------------- shipped cases


@pytest.mark.parametrize("case", [EXAMPLE, H2_CCUS], ids=["example", "example_h2_ccus"])
def test_limited_foresight_never_beats_perfect_foresight(tmp_path, case):
    """The stitched pathway is feasible for the full-horizon programme (largest violation at solver tolerance), so
    its cost cannot be below the optimum; rolling with a window of every period is perfect foresight itself."""
    perfect = solve(case, tmp_path, "perfect").attrs["objective"]
    for foresight, window in (("myopic", None), ("rolling", 2)):
        ds = solve(case, tmp_path, foresight, window)
        assert ds.attrs["foresight_largest_violation"] < 1e-6
        assert ds.attrs["objective"] >= perfect * (1 - 1e-9)
        # the same variables as a perfect-foresight run
        assert {"capacity", "capacity_new", "generation", "price", "cost", "co2_emissions"} <= set(ds.data_vars)
    assert solve(case, tmp_path, "rolling", 3).attrs["objective"] == approx(perfect, rel=1e-9)


# --------------------------------------------------------------------------- command line and sweeps


def test_cli_foresight_flags(tmp_path, capsys):
    path = stranded_coal(tmp_path)
    out = tmp_path / "cli.nc"
    assert main(["run", str(path), "--out", str(out), "--foresight", "myopic", "--no-schedule", "--quiet"]) == 0
    with optimiser.open_results(out) as ds:
        assert ds.attrs["foresight"] == "myopic"
        assert ds.attrs["objective"] == approx(6.752)  # test_myopic_builds_coal_that_the_cap_strands
    assert (tmp_path / "cli.window2.highs.log").exists()
    capsys.readouterr()
    assert main(["info", str(out)]) == 0
    assert "foresight: myopic, 2 window(s)" in capsys.readouterr().out
    assert main(["run", str(path), "--out", str(out), "--foresight", "rolling", "--foresight-window", "2", "--no-schedule", "--quiet"]) == 0
    with optimiser.open_results(out) as ds:
        assert ds.attrs["objective"] == approx(6.0)
    capsys.readouterr()
    assert main(["run", str(path), "--out", str(out), "--foresight", "rolling", "--no-schedule", "--quiet"]) == 2
    assert "foresight_window" in capsys.readouterr().err


def test_extensions_are_refused_with_limited_foresight(tmp_path, capsys):
    """What extend(model) adds could not be stitched onto the full horizon: a clear error, not a silent drop."""
    path = stranded_coal(tmp_path)
    (path / "cap.py").write_text("def extend(model):\n    model.pyomo.coal_cap = __import__('pyomo.environ').environ.Constraint("
                                 "expr=model.pyomo.capacity['coal', 'A', 2020] <= 5)\n")
    settings = yaml.safe_load((path / "settings.yaml").read_text()) | {"extensions": ["cap.py"]}
    (path / "settings.yaml").write_text(yaml.safe_dump(settings))
    assert main(["run", str(path), "--out", str(tmp_path / "x.nc"), "--foresight", "myopic", "--no-schedule", "--quiet"]) == 2
    assert "foresight: myopic cannot be combined with extensions" in capsys.readouterr().err


def test_sweep_varies_the_foresight_mode(tmp_path):
    from optimiser.sweep import run_sweep
    from optimiser.sweep.store import SweepStore

    path = stranded_coal(tmp_path)
    file = tmp_path / "modes.yaml"
    file.write_text(yaml.safe_dump({
        "case": str(path),
        "output": str(tmp_path / "sweep"),
        "parameters": {"mode": {"setting": "foresight", "operation": "set", "base": "perfect"}},
        "sweeps": [{"list": [{"mode": "perfect"}, {"mode": "myopic"}]}],
        "scenarios": {"rolling_2": [{"setting": "foresight", "set": "rolling"}, {"setting": "foresight_window", "set": 2}]},
    }, sort_keys=False))
    outcome = run_sweep(file, jobs=1, bar=False)
    store = SweepStore(tmp_path / "sweep")
    objectives = {status["name"]: status["objective"] for status in store.statuses().values()}
    # test_myopic_builds_coal_that_the_cap_strands: perfect 6.0, myopic 6.752; rolling over both periods 6.0
    assert len(objectives) == 3, outcome
    assert sorted(objectives.values()) == [approx(6.0), approx(6.0), approx(6.752)]


# --------------------------------------------------------------------------- early retirement and history carried over


def retiring_fleet(tmp_path, historical=False, hydro=False):
    """10 GW of old coal that may retire early, demand 8 GW flat, a 15 % reserve margin in 2040 only (periods 2020,
    2030, 2040 of 10 years, r = 0, one time step of 8760 h).

    coal : existing 10 GW (2000, lifetime 50), fixed O&M 500 CNY/kW/yr = 0.5 bn/GW-yr, running 300 CNY/MWh, firm 1;
    wind : capex 10000 CNY/kW / 20 yr = 0.5 bn/GW-yr, availability 0.5, firm 0; covers demand with 16 GW (a GW saves
           0.5 x 8760 x 3e-4 = 1.314 bn/yr of coal fuel for 0.5);
    ocgt : capex 40000 CNY/kW / 20 yr = 2 bn/GW-yr, firm 1, never runs (vom 1e4 CNY/MWh).
    The 2040 margin needs 1.15 x 8 = 9.2 GW firm: keeping 9.2 GW of coal from 2020 costs 0.5 bn/GW-yr over the years
    until 2040 too, a new OCGT 2 bn/GW-yr in 2040 alone.
    """
    periods = (2020, 2030, 2040)
    extra_technology, extra_cost, extra_fleet = [], [], []
    if hydro:  # an old fleet that stays: see test_a_kept_fleet_does_not_bring_back_a_retired_one
        extra_technology = [{"technology": "hydro", "type": "conversion", "carrier_out": "electricity", "lifetime_years": 100,
                             "wacc": 0.0, "early_retirement": True, "firm_capacity_credit": 0.0, "expandable": False, "availability_max": 0.1}]
        extra_cost = [{"technology": "hydro", "period": 2020, "fom_CNY_per_kW_yr": 1, "vom_CNY_per_MWh": 0}]
        extra_fleet = [{"technology": "hydro", "region": "A", "build_year": 2000, "capacity_GW": 2}]
    return write_case(
        tmp_path / ("retiring_history" if historical else "retiring_hydro" if hydro else "retiring"),
        settings={"last_period_years": 10} | ({"historical_periods": [2020]} if historical else {}),
        periods=[{"period": p} for p in periods],
        regions=[{"region": "A"}],
        carriers=[{"carrier": "electricity"}],
        technologies=[
            {"technology": "coal", "type": "conversion", "carrier_out": "electricity", "lifetime_years": 50, "wacc": 0.0,
             "early_retirement": True, "firm_capacity_credit": 1.0, "expandable": False},
            {"technology": "wind", "type": "conversion", "carrier_out": "electricity", "lifetime_years": 20, "wacc": 0.0,
             "availability_max": 0.5, "firm_capacity_credit": 0.0},
            {"technology": "ocgt", "type": "conversion", "carrier_out": "electricity", "lifetime_years": 20, "wacc": 0.0,
             "firm_capacity_credit": 1.0},
        ] + extra_technology,
        technology_periods=[
            {"technology": "coal", "period": 2020, "fom_CNY_per_kW_yr": 500, "vom_CNY_per_MWh": 300},
            {"technology": "wind", "period": 2020, "capex_CNY_per_kW": 10000},
            {"technology": "ocgt", "period": 2020, "capex_CNY_per_kW": 40000, "vom_CNY_per_MWh": 10000},
        ] + extra_cost,
        capacities=[{"technology": "coal", "region": "A", "build_year": 2000, "capacity_GW": 10}] + extra_fleet,
        time_steps=[{"time": 0, "weight_h": 8760, "duration_h": 1}],
        demand=[{"carrier": "electricity", "region": "A", "period": p, "demand_TWh": 70.08} for p in periods],
        reserve_margins=[{"area": "A", "period": 2040, "margin": 0.15}],
    )


def test_coal_retired_early_by_a_myopic_window_stays_retired(tmp_path):
    """Perfect foresight keeps 9.2 GW of coal through (0.5 x 9.2 x 30 = 138) rather than an OCGT in 2040
    (2 x 9.2 x 10 = 184); wind 16 GW x 0.5 x 30 = 240: 378 bn CNY.

    Myopic: window 2020 sees no margin and retires all the coal (saves its fixed O&M), window 2030 finds none, and
    window 2040 must not find it again (the full horizon's capacity_existing_retired rows forbid it): 9.2 GW of OCGT,
    184. Pathway 240 + 184 = 424 bn CNY, 46 above perfect foresight, and no row of the full horizon violated.
    """
    path = retiring_fleet(tmp_path)
    perfect = solve(path, tmp_path, "perfect")
    assert perfect.attrs["objective"] == approx(378.0)
    myopic = solve(path, tmp_path, "myopic")
    assert myopic.attrs["objective"] == approx(424.0)
    assert myopic["capacity"].sel(technology="coal", region="A").values.tolist() == [approx(0)] * 3
    assert float(myopic["capacity_retired_early"].sel(technology="coal", region="A", period=2020)) == approx(10)
    assert built(myopic, "ocgt") == [approx(0), approx(0), approx(9.2)]
    assert myopic.attrs["foresight_largest_violation"] < 1e-6


def test_a_historical_period_stays_history_in_its_window(tmp_path):
    """With 2020 historical, coal stands whole and runs in 2020: 8 GW x 8760 h x 300 CNY/MWh = 21.024 bn/yr plus
    fixed O&M 5 bn/yr, 10 years: 260.24; wind is built from 2030 (16 GW, 2 periods: 160).

    Perfect: 9.2 GW of coal kept in 2030 and 2040 (0.5 x 9.2 x 20 = 92): 512.24. Myopic: window 2030 retires the
    coal, window 2040 builds 9.2 GW of OCGT (184): 604.24. Windows 2030 and 2040 are not historical.
    """
    path = retiring_fleet(tmp_path, historical=True)
    assert solve(path, tmp_path, "perfect").attrs["objective"] == approx(512.24)
    myopic = solve(path, tmp_path, "myopic")
    assert myopic.attrs["objective"] == approx(604.24)
    assert myopic.attrs["objective_historical"] == approx(260.24)
    assert built(myopic, "wind") == [approx(0), approx(16), approx(0)]
    assert myopic["capacity"].sel(technology="coal", region="A").values.tolist() == [approx(10), approx(0), approx(0)]
    assert myopic.attrs["foresight_largest_violation"] < 1e-6


def test_a_kept_fleet_does_not_bring_back_a_retired_one(tmp_path):
    """The retiring fleet plus 2 GW of old hydro (availability 0.1, fixed O&M 1 CNY/kW/yr = 0.002 bn/yr for the 2 GW,
    no firm credit) that every window keeps: it saves 0.4 GW of wind (0.2 bn/yr) for 0.002. Wind needs
    (8 - 0.2) / 0.5 = 15.6 GW.

    Perfect: coal 9.2 GW x 0.5 x 30 = 138, wind 15.6 x 0.5 x 30 = 234, hydro 0.06: 372.06. Myopic: window 2030 has
    the hydro fleet but no coal left (window 2020 retired it); window 2040 must still find no coal: OCGT 9.2 GW (184),
    wind 234, hydro 0.06: 418.06.
    """
    path = retiring_fleet(tmp_path, hydro=True)
    assert solve(path, tmp_path, "perfect").attrs["objective"] == approx(372.06)
    myopic = solve(path, tmp_path, "myopic")
    assert myopic.attrs["objective"] == approx(418.06)
    assert myopic["capacity"].sel(technology="coal", region="A").values.tolist() == [approx(0)] * 3
    assert myopic["capacity"].sel(technology="hydro", region="A").values.tolist() == [approx(2)] * 3
    assert myopic.attrs["foresight_largest_violation"] < 1e-6


def test_budget_share_leaves_out_what_the_model_cannot_change():
    """Budget 310 Mt over 2020, 2030, 2040 (10 years each); exogenous emissions 20, 10, 0 Mt/yr outside the model.

    Outside the model the periods take 200 + 100 + 0 = 300 Mt, so the modelled sectors have 10 Mt over 30 years.
    Window 2020 gets a third of it plus its own 200 Mt outside: 203.33 Mt (a plain share of the 310 Mt, 103.3 Mt, is
    below the 200 Mt the window cannot avoid). After it used 200 + 2 = 202 Mt, window 2030 gets half of
    310 - 202 - 100 = 8, plus 100: 104 Mt. The last window gets all that is left.
    """
    from optimiser.foresight import budget_allocation

    years = {2020: 10.0, 2030: 10.0, 2040: 10.0}
    outside = {2020: 20.0, 2030: 10.0, 2040: 0.0}
    assert budget_allocation(310.0, 0.0, [2020], years, outside) == approx(203.3333333)
    assert budget_allocation(310.0, 202.0, [2030], years, outside) == approx(104.0)
    assert budget_allocation(310.0, 300.0, [2040], years, outside) == approx(10.0)
    assert budget_allocation(310.0, 0.0, [2020], years) == approx(103.3333333)  # nothing outside: years alone


def test_lost_load_in_windows_of_different_demand_rows(tmp_path):
    """Lost load allowed everywhere (1,000 CNY/MWh, dearer than wind's 0.5 bn/GW/yr / 4,380 h = 114 CNY/MWh, so unused)
    and demand rows that differ by window (A in 2020; A and B in 2030): the windows' pieces stitch back (a regression:
    pandas compared the demand arrays the pieces' keys carried and failed on their different shapes).

    Wind only (10,000 CNY/kW over 20 years, r = 0: 0.5 bn CNY per GW and year; availability 0.5). 2020: 8 GW in A ->
    16 GW of wind, 16 x 0.5 x 10 = 80; 2030: they stand (80 more), B's 1 GW needs 2 GW of wind (10). Total 170 in both
    modes."""
    path = write_case(
        tmp_path / "two_regions",
        settings={"last_period_years": 10, "value_of_lost_load_CNY_per_MWh": 1000},
        periods=[{"period": 2020}, {"period": 2030}],
        regions=[{"region": "A"}, {"region": "B"}],
        carriers=[{"carrier": "electricity"}],
        technologies=[{"technology": "wind", "type": "conversion", "carrier_out": "electricity", "lifetime_years": 20, "wacc": 0.0,
                       "availability_max": 0.5}],
        technology_periods=[{"technology": "wind", "period": 2020, "capex_CNY_per_kW": 10000}],
        time_steps=STEP,
        demand=[{"carrier": "electricity", "region": r, "period": p, "demand_TWh": twh} for r, p, twh in (("A", 2020, 70.08), ("A", 2030, 70.08), ("B", 2030, 8.76))],
    )
    for mode in ("perfect", "myopic"):
        ds = solve(path, tmp_path, mode)
        assert ds.attrs["objective"] == approx(170.0)
        assert float(ds["lost_load"].sum()) == approx(0.0)
        assert float(ds["capacity"].sel(technology="wind", region="B", period=2030)) == approx(2.0)


def test_a_run_that_fails_after_its_windows_resumes_from_their_checkpoint(tmp_path, monkeypatch):
    """Each solved window is checkpointed beside the results; a run stopped after them (here: the stitch raises)
    resumes without solving any window again and gives the fresh run's answer (604.24, as worked out above)."""
    import optimiser.foresight as foresight

    path = retiring_fleet(tmp_path, historical=True)
    out = tmp_path / "resumed.nc"
    settings = {"foresight": "myopic"}
    real_stitch, real_window = foresight._stitched, foresight._solve_window

    def broken_stitch(*args, **kwargs):
        raise RuntimeError("killed after the last window")

    monkeypatch.setattr(foresight, "_stitched", broken_stitch)
    with pytest.raises(RuntimeError, match="killed"):
        optimiser.run(path, out, settings=settings, log=lambda *_: None)
    checkpoint = out.with_suffix(".foresight.pkl")
    assert checkpoint.exists()

    solved = []
    monkeypatch.setattr(foresight, "_stitched", real_stitch)
    monkeypatch.setattr(foresight, "_solve_window", lambda case, window, *a, **k: solved.append(window.number) or real_window(case, window, *a, **k))
    lines = []
    ds, _ = optimiser.run(path, out, settings=settings, log=lines.append)
    assert solved == []  # every window came from the checkpoint
    assert any("resuming after window 3" in line for line in lines)
    assert ds.attrs["objective"] == approx(604.24)
    assert not checkpoint.exists()  # removed once the results are written

    # a checkpoint of other options is another run's: not used
    monkeypatch.setattr(foresight, "_stitched", broken_stitch)
    with pytest.raises(RuntimeError, match="killed"):
        optimiser.run(path, out, settings=settings, log=lambda *_: None)
    monkeypatch.setattr(foresight, "_stitched", real_stitch)
    solved.clear()
    lines.clear()
    ds, _ = optimiser.run(path, out, settings=settings, options={"ipm_optimality_tolerance": 1e-9}, log=lines.append)
    assert solved == [1, 2, 3]
    assert any("is not used (another case, settings, options or version)" in line for line in lines)
    assert ds.attrs["objective"] == approx(604.24)
