"""Warm re-solves give the same optima as cold solves, and fall back to cold when structure changes."""

import numpy as np
import pytest

import optimiser
from casebuilder import EXAMPLE
from optimiser.scenarios import apply_scenario
from optimiser.warm import WarmSolver

VARIANTS = [
    [],
    [{"table": "technology_periods", "where": {"technology": "solar"}, "column": "capex_CNY_per_kW", "scale": 0.7}],
    [{"table": "technology_periods", "where": {"technology": "wind"}, "column": "capex_CNY_per_kW", "scale": 1.3}],
    [{"table": "periods", "where": {"period": 2040}, "column": "co2_cap_Mt", "set": 60}],
    [{"table": "fuel_prices", "where": {"carrier": "gas"}, "column": "price_CNY_per_MWh", "scale": 0.5},
     {"table": "periods", "where": {"period": 2030}, "column": "co2_cap_Mt", "set": 150}],
    [{"table": "demand", "where": {"region": "central"}, "column": "demand_TWh", "scale": 1.1}],
    [{"table": "technology_periods", "where": {"technology": "coal"}, "column": "efficiency", "scale": 0.95}],
]


@pytest.mark.parametrize("start", ["reference", "previous"])
def test_warm_resolves_match_cold_solves(start):
    base = optimiser.load_case(EXAMPLE)
    warm = WarmSolver({"threads": 1}, adaptive=False, start=start)
    routes = []
    for overrides in VARIANTS:
        case = apply_scenario(base, overrides) if overrides else base
        cold = optimiser.solve(optimiser.build_model(case, pyomo=False), {"threads": 1})
        again = warm.solve(optimiser.build_model(case, pyomo=False))
        routes.append(again.info["route"])
        assert cold.optimal and again.optimal
        assert again.objective == pytest.approx(cold.objective, rel=1e-7)
    # the first is cold, the others change numbers only
    assert routes[0] == "cold" and set(routes[1:]) == {"warm"}


def test_structure_change_falls_back_to_a_cold_solve():
    base = optimiser.load_case(EXAMPLE)
    warm = WarmSolver({"threads": 1})
    warm.solve(optimiser.build_model(base, pyomo=False))
    # a corridor that may no longer expand removes columns: another structure
    changed = apply_scenario(base, [{"table": "corridors", "where": {"corridor": "north-central"}, "column": "expandable", "set": False}])
    solution = warm.solve(optimiser.build_model(changed, pyomo=False))
    cold = optimiser.solve(optimiser.build_model(changed, pyomo=False), {"threads": 1})
    assert solution.info["route"] == "cold"
    assert np.isclose(solution.objective, cold.objective, rtol=1e-7)


def test_warm_route_is_dropped_once_it_is_slower_than_cold():
    """A warm re-solve slower than the cold solve before it (as on the China case, where HiPO beats the
    simplex method restarted from a basis) makes the solver go cold from then on, with the same optima."""
    base = optimiser.load_case(EXAMPLE)
    warm = WarmSolver({"threads": 1})
    routes = []
    for index, overrides in enumerate(VARIANTS[:4]):
        case = apply_scenario(base, overrides) if overrides else base
        solution = warm.solve(optimiser.build_model(case, pyomo=False))
        if index == 0:
            warm._cold_seconds = 0.0  # pretend the cold solve was instantaneous: any warm one is slower
        routes.append(solution.info["route"])
        cold = optimiser.solve(optimiser.build_model(case, pyomo=False), {"threads": 1})
        assert solution.objective == pytest.approx(cold.objective, rel=1e-7)
    assert routes == ["cold", "warm", "cold", "cold"] and not warm.warm_pays


def test_unknown_start_is_refused():
    with pytest.raises(ValueError, match="reference"):
        WarmSolver(start="best")


def test_warm_resolve_stopped_by_its_budget_is_solved_cold():
    """A warm re-solve gets the cold solve's time (at least 1 s) as its budget; stopped there, the same
    model is solved cold (same optimum) and the sweep goes cold from then on."""
    base = optimiser.load_case(EXAMPLE)
    warm = WarmSolver({"threads": 1})
    warm.solve(optimiser.build_model(base, pyomo=False))
    assert warm._warm_budget({}) == max(warm._cold_seconds, 1.0)
    assert warm._warm_budget({"time_limit": 0.5}) == 0.5
    warm._warm_budget = lambda options: 0.0  # a budget that any re-solve exceeds
    case = apply_scenario(base, VARIANTS[1])
    solution = warm.solve(optimiser.build_model(case, pyomo=False))
    cold = optimiser.solve(optimiser.build_model(case, pyomo=False), {"threads": 1})
    assert solution.info["route"] == "cold" and solution.optimal and not warm.warm_pays
    assert solution.objective == pytest.approx(cold.objective, rel=1e-7)
    assert warm.solves == {"cold": 2, "warm": 1}


def _arrays(model):
    finished = model.lp.finish()
    matrix = finished.matrix.tocsr()
    matrix.sort_indices()
    return [finished.cost, finished.col_lower, finished.col_upper, finished.row_lower, finished.row_upper, matrix.indptr, matrix.indices, matrix.data]


def test_build_reusing_the_previous_model_gives_the_same_programme():
    """Preparation steps reused from the previous build (sweep workers) change nothing: every variant's
    arrays equal those of a fresh build, whichever tables it changed (costs, caps, prices, demand,
    efficiency, a corridor's expandability)."""
    base = optimiser.load_case(EXAMPLE)
    corridor = [{"table": "corridors", "where": {"corridor": "north-central"}, "column": "expandable", "set": False}]
    previous, hits = None, []
    for overrides in VARIANTS + [corridor, []]:
        case = apply_scenario(base, overrides) if overrides else base
        reused = optimiser.build_model(case, pyomo=False, previous=previous)
        fresh = optimiser.build_model(case, pyomo=False)
        for a, b in zip(_arrays(reused), _arrays(fresh)):
            assert a.shape == b.shape and np.array_equal(a, b, equal_nan=True)
        hits.append(set(reused.data.reuse.hits))
        previous = reused
    assert hits[0] == set()
    assert hits[1] == {"existing", "existing_retirable", "capacity_sets", "conversion_flows", "balance_keys", "limits", "vintage_pairs",
                       "availability", "fuel_prices"}
    assert "fuel_prices" not in hits[4]  # the gas price changed: the price table was interpolated again
    assert "conversion_flows" not in hits[6]  # the coal efficiency changed: the flows were computed again


def test_no_basis_no_warm_start():
    """An interior-point cold solve without crossover leaves no basis: the solver stays cold (crossover is
    not forced on the user's settings) and gives the same optima."""
    base = optimiser.load_case(EXAMPLE)
    warm = WarmSolver({"threads": 1, "solver": "ipx", "run_crossover": "off"})
    for overrides in VARIANTS[:3]:
        case = apply_scenario(base, overrides) if overrides else base
        solution = warm.solve(optimiser.build_model(case, pyomo=False, previous=warm.model))
        cold = optimiser.solve(optimiser.build_model(case, pyomo=False), {"threads": 1})
        assert solution.info["route"] == "cold"
        assert solution.objective == pytest.approx(cold.objective, rel=1e-6)
    assert warm.solves == {"cold": 3, "warm": 0} and not warm.warm_pays
