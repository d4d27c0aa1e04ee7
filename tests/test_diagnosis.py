"""Infeasibility diagnosis: when a cumulative or policy limit is what makes a case infeasible, the diagnosis names
that limit (family, region, period and amount) before any demand or supply balance, then the alternatives.

One hand-worked case per coupling type. Every expected number is derived in the comments from the inputs; the
diagnosis weighs each slack by what it stands for over the horizon (an annual quantity once per year of its
period, a cumulative one once) times its class factor (optimiser.solve.RELAXATION_ORDER: resource limits 1,
requirements 1.1, policy limits 1.2, balances 1000).

Units: 1 TWh of gas-fired electricity at efficiency 0.5 burns 2 TWh of gas; gas carries 0.2 t CO2/MWh, so
0.4 Mt CO2 per TWh of electricity. A mass carrier (kt/h) counts in Mt.
"""

from __future__ import annotations

from pathlib import Path

from casebuilder import hourly, write_case

import optimiser
from optimiser.cli import main

ROOT = Path(__file__).resolve().parent.parent


def diagnosis(path) -> list[str]:
    case = optimiser.load_case(path)
    solution = optimiser.solve(optimiser.build_model(case, pyomo=False), {"threads": 1})
    assert solution.status == "Infeasible", solution.message()
    return solution.diagnosis


def section(lines: list[str], heading: str | None = None) -> list[str]:
    """The violation lines of the first relaxation (heading None) or of the alternative whose heading starts so."""
    if heading is None:
        start = 1
    else:
        start = next(i for i, line in enumerate(lines) if line.startswith(heading)) + 1
    out = []
    for line in lines[start:]:
        if not line.lstrip().startswith("- ") or line.startswith("- limits binding"):
            break
        out.append(line.strip())
    return out


def gas_case(folder, *, regions=("N", "S"), periods=(2030, 2040), demand_TWh=100.0, **tables):
    """Regions each with a flat electricity demand served by gas plants (efficiency 0.5, 0.4 Mt CO2/TWh), one time
    step of 8760 h, periods 10 years apart (the last one standing for 10 years too), no discounting."""
    settings = tables.pop("settings", {})
    base = dict(
        periods=tables.pop("periods_rows", [{"period": p} for p in periods]),
        regions=[{"region": r} for r in regions],
        carriers=[{"carrier": "electricity"}, {"carrier": "gas", "balance": False, "co2_content_t_per_MWh": 0.2}]
        + tables.pop("more_carriers", []),
        fuel_prices=[{"carrier": "gas", "period": periods[0], "price_CNY_per_MWh": 100}],
        technologies=[{"technology": "gas", "type": "conversion", "carrier_out": "electricity", "carrier_in": "gas", "lifetime_years": 40}]
        + tables.pop("more_technologies", []),
        technology_periods=[{"technology": "gas", "period": periods[0], "capex_CNY_per_kW": 3000, "efficiency": 0.5}]
        + tables.pop("more_technology_periods", []),
        time_steps=hourly(1, weight_h=8760),
        demand=[{"carrier": "electricity", "region": r, "period": p, "demand_TWh": demand_TWh} for r in regions for p in periods],
    )
    base.update(tables)
    return write_case(folder, {"last_period_years": 10, **settings}, **base)


# --------------------------------------------------------------------------- 1. CO2 storage against a net-zero cap


def test_co2_storage_capacity_against_a_net_zero_cap(tmp_path):
    """Net zero in 2040 needs every tonne of CO2 captured and stored; N's store is too small.

    Both regions burn gas with capture (capture rate 1: no emission, 0.4 Mt CO2 captured per TWh) or without.
    2030 has no cap, so gas runs unabated there and stores nothing. 2040: cap 0, nothing removes CO2, so both
    regions capture all: N stores 100 TWh x 0.4 = 40 Mt/yr for the 10 years of the period = 400 Mt. N's store
    holds 300 Mt (cumulative_limits.csv); S's store is unlimited, and no corridor carries CO2 from N to S.

    Relaxations (penalty per Mt over the horizon x class factor):
    - the store at N by 400 - 300 = 100 Mt: 100 x 1.0 = 100 (resource limit);
    - the 2040 cap by the 100 Mt N cannot store, 100 / 10 years = 10 Mt CO2/yr: 10 x 10 x 1.2 = 120 (policy);
    - dumping 10 Mt/yr of captured CO2 (the co2 balance) or leaving 25 TWh/yr of demand unserved: x 1000.
    So the diagnosis names the cumulative limit at technology=co2_storage, region=N by 100 Mt; holding it, the
    alternative is the CO2 cap in period 2040, exceeded by 10 Mt CO2/yr; holding both, only balances remain.
    """
    path = gas_case(
        tmp_path / "storage",
        settings={"co2_captured_carrier": "co2"},
        periods_rows=[{"period": 2030}, {"period": 2040, "co2_cap_Mt": 0}],
        more_carriers=[{"carrier": "co2", "unit": "kt/h"}, {"carrier": "co2_stored", "unit": "kt/h", "balance": False}],
        more_technologies=[
            {"technology": "gas_ccs", "type": "conversion", "carrier_out": "electricity", "carrier_in": "gas", "lifetime_years": 40},
            {"technology": "co2_storage", "type": "conversion", "carrier_out": "co2_stored", "carrier_in": "co2", "lifetime_years": 40},
        ],
        more_technology_periods=[
            {"technology": "gas_ccs", "period": 2030, "capex_CNY_per_kW": 6000, "efficiency": 0.5, "capture_rate": 1.0},
            {"technology": "co2_storage", "period": 2030, "capex_CNY_per_kW": 100, "efficiency": 1.0},
        ],
        cumulative_limits=[{"technology": "co2_storage", "region": "N", "cumulative_max_TWh": 300}],
    )
    lines = diagnosis(path)
    assert section(lines) == [
        "- cumulative limit exceeded at technology=co2_storage, region=N by 100 Mt over the horizon (cumulative_max_TWh in cumulative_limits.csv)"
    ], "\n".join(lines)
    alternative = section(lines, "alternatively, keeping cumulative_limit")
    assert alternative == ["- CO2 cap exceeded in period=2040 by 10 Mt CO2/yr (co2_cap_Mt in periods.csv)"], "\n".join(lines)
    # holding the store and the cap, only balances are left: N dumps its captured CO2 or leaves demand unserved
    last = section(lines, "alternatively, keeping co2_cap")
    assert last and all(line.startswith("- supply") and "region=N, period=2040" in line for line in last), "\n".join(lines)


# --------------------------------------------------------------------------- 2. a cumulative CO2 budget


def test_cumulative_co2_budget_below_what_the_fleet_can_reach(tmp_path):
    """A national CO2 budget over 2030-2040 that gas and a limited wind potential cannot meet.

    Each region: 100 TWh/yr of demand; wind (availability 0.5) limited to 10 GW, 10 GW x 0.5 x 8760 h = 43.8 TWh/yr;
    gas supplies the other 56.2 TWh/yr, emitting 56.2 x 0.4 = 22.48 Mt/yr. Two regions, two periods of 10 years:
    least emissions over the horizon = 2 x 2 x 10 x 22.48 = 899.2 Mt. Budget 599.2 Mt: 300 Mt too little.

    Relaxations: the budget by 300 Mt (x 1.2 = 360), or demand left unserved: each TWh/yr unserved in a 10-year
    period saves 4 Mt of budget at a penalty of 10 x 1000 = 10 000 per TWh/yr. The diagnosis names the CO2 budget,
    national, over the horizon 2030-2040, exceeded by 300 Mt, and not demand; the wind potentials bind.
    """
    path = gas_case(
        tmp_path / "budget",
        settings={"co2_budget_Mt": 599.2},
        more_technologies=[{"technology": "wind", "type": "conversion", "carrier_out": "electricity", "lifetime_years": 40,
                            "availability_max": 0.5}],
        more_technology_periods=[{"technology": "wind", "period": 2030, "capex_CNY_per_kW": 5000}],
        capacity_limits=[{"technology": "wind", "region": r, "capacity_max_GW": 10} for r in ("N", "S")],
    )
    lines = diagnosis(path)
    assert section(lines) == [
        "- CO2 budget exceeded by 300 Mt CO2 over the horizon 2030-2040, national (co2_budget_Mt in settings.yaml)"
    ], "\n".join(lines)
    assert not any("supply short of demand" in line for line in section(lines)), "\n".join(lines)
    for region in ("N", "S"):
        for period in (2030, 2040):
            assert f"  capacity at its upper limit 10 GW: technology=wind, region={region}, period={period}" in lines, "\n".join(lines)
    # the only alternative to relaxing the budget is to leave demand unserved
    alternative = section(lines, "alternatively, keeping co2_budget")
    assert alternative and all(line.startswith("- supply short of demand at carrier=electricity") for line in alternative)


# --------------------------------------------------------------------------- 3. an energy budget against demand


def hydro_case(folder):
    """A: demand 100 TWh/yr, only hydro with a budget of 80 TWh/yr; B: gas only; one period (2030)."""
    return gas_case(
        folder / "hydro",
        regions=("A", "B"),
        periods=(2030,),
        more_technologies=[{"technology": "hydro", "type": "conversion", "carrier_out": "electricity", "lifetime_years": 80}],
        more_technology_periods=[{"technology": "hydro", "period": 2030, "capex_CNY_per_kW": 12000}],
        capacity_limits=[{"technology": "gas", "region": "A", "capacity_max_GW": 0}, {"technology": "hydro", "region": "B", "capacity_max_GW": 0}],
        energy_budgets=[{"technology": "hydro", "region": "A", "energy_max_TWh": 80}],
    )


def test_energy_budget_against_demand(tmp_path, capsys):
    """Region A has only reservoir hydro, whose yearly inflow (energy_budgets.csv) is smaller than A's demand.

    A: demand 100 TWh/yr in 2030 (one period standing for 10 years), hydro budget 80 TWh/yr; no corridor. B is
    served by gas and is feasible. Relaxing the budget by 100 - 80 = 20 TWh/yr costs 20 x 10 x 1.0 = 200; leaving
    20 TWh/yr of A's demand unserved costs 20 x 10 x 1000. The diagnosis names the energy budget at
    technology=hydro, region=A, period=2030, by 20 TWh/yr; holding it, the alternative is 20 TWh/yr of A's demand
    unserved. Nothing is said about B. Through the command line: exit status 1, the same lines on stderr.
    """
    path = hydro_case(tmp_path)
    lines = diagnosis(path)
    assert section(lines) == [
        "- energy budget exceeded at technology=hydro, region=A, period=2030 by 20 TWh/yr (energy_max_TWh in energy_budgets.csv)"
    ], "\n".join(lines)
    alternative = section(lines, "alternatively, keeping energy_budget")
    assert len(alternative) == 1 and alternative[0].startswith("- supply short of demand at carrier=electricity, region=A, period=2030")
    assert alternative[0].endswith(", 20 TWh/yr"), alternative
    assert not any("region=B" in line for line in lines if line.lstrip().startswith("- ")), "\n".join(lines)

    status = main(["run", str(path), "--out", str(tmp_path / "hydro.nc"), "--no-schedule", "--quiet"])
    err = capsys.readouterr().err
    assert status == 1 and "Traceback" not in err
    assert "energy budget exceeded at technology=hydro, region=A, period=2030 by 20 TWh/yr" in err


def test_alternatives_stop_at_their_time_limit(tmp_path, monkeypatch):
    """A re-solve for an alternative that reaches its time limit (twice the first re-solve, at least 10 s) ends the
    search with a line saying so; the first relaxation is still reported in full."""
    import importlib

    from highspy import HighsModelStatus

    solve = importlib.import_module("optimiser.solve")  # (optimiser.solve is also the name of the function)
    real = solve._relax

    def slow(model, held, options, time_limit=None):
        if held:
            assert time_limit == solve.ALTERNATIVE_MIN_S  # the first re-solve of this tiny case takes far less than 5 s
            return None, HighsModelStatus.kTimeLimit, time_limit
        return real(model, held, options, time_limit)

    monkeypatch.setattr(solve, "_relax", slow)
    lines = diagnosis(hydro_case(tmp_path))
    assert section(lines) == [
        "- energy budget exceeded at technology=hydro, region=A, period=2030 by 20 TWh/yr (energy_max_TWh in energy_budgets.csv)"
    ]
    assert ("alternatives not searched further: the re-solve keeping energy_budget (energy_max_TWh in energy_budgets.csv) "
            "reached its time limit (10 s)") in lines, "\n".join(lines)


def test_ranked_families_are_the_elastic_ones():
    """Every elastic family of a model is ranked and every ranked family in it is elastic: a renamed family would
    otherwise fall back to the default factor, or stop being relaxed, without a word; each limit names its input."""
    from optimiser.solve import LIMIT_SOURCES, RELAXATION_ORDER

    model = optimiser.build_model(optimiser.load_case(ROOT / "inputs" / "example_h2_ccus"), pyomo=False)
    ranked = {name for _, names, _ in RELAXATION_ORDER for name in names}
    elastic = {family.name for family in model.lp.constraints.values() if family.elastic}
    assert elastic == set(model.lp.constraints) & ranked
    assert {"cumulative_limit", "energy_budget", "co2_cap", "balance"} <= elastic
    assert set(LIMIT_SOURCES) == ranked - {"balance"}
