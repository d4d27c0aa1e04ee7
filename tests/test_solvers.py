"""HiGHS's LP solvers give the same optimum on the example (the fallback of HiPO to IPX: test_environment.py)."""

from __future__ import annotations

import importlib

import pytest
from pytest import approx

import optimiser
from casebuilder import EXAMPLE

solve_module = importlib.import_module("optimiser.solve")  # the module (optimiser.solve is also the function)


@pytest.fixture(scope="module")
def example_model():
    return optimiser.build_model(optimiser.load_case(EXAMPLE), pyomo=False)


@pytest.fixture(scope="module")
def reference(example_model):
    solution = optimiser.solve(example_model, {"solver": "simplex", "threads": 1})
    assert solution.optimal
    return solution


@pytest.mark.parametrize(
    "options",
    [
        {"solver": "ipx", "run_crossover": "on"},
        {"solver": "ipx", "run_crossover": "off"},
        {"solver": "hipo", "run_crossover": "off"},
        {"solver": "hipo", "run_crossover": "on"},
    ],
    ids=lambda options: f"{options['solver']}-crossover-{options['run_crossover']}",
)
def test_interior_point_solvers_match_simplex(example_model, reference, options):
    solution = optimiser.solve(example_model, {**options, "threads": 1})
    assert solution.optimal, solution.message()
    assert solution.objective == approx(reference.objective, rel=1e-7)
    assert solution.info["solver_used"] == solve_module.effective_solver(options)
    assert solution.info["ipm_iterations"] > 0
    # the interior solution prices electricity like the vertex one wherever the dual is unique enough
    # to matter: the demand-weighted mean price agrees
    balance = example_model.con("balance")
    rows = slice(balance.offset, balance.offset + balance.size)
    assert abs(solution.row_dual[rows]).sum() == approx(abs(reference.row_dual[rows]).sum(), rel=1e-3)


def _foreign_highs_solve(threads: int) -> None:
    """A HiGHS solve made outside our code in this process (as tsam's k-medoids makes), with its own thread count."""
    import highspy
    import numpy as np

    highspy.Highs.resetGlobalScheduler(True)  # the pool is started by this solve, as by tsam's in a fresh process
    other = highspy.Highs()
    other.setOptionValue("output_flag", False)
    other.setOptionValue("threads", threads)
    other.addVars(1, np.zeros(1), np.ones(1))
    other.run()


@pytest.mark.parametrize("foreign_threads", [1, 3])
def test_a_thread_pool_started_elsewhere_does_not_stop_the_solve(example_model, reference, foreign_threads):
    """HiGHS keeps one thread pool per process; a solve asking for another count than the pool was started with
    ends at once with 'Not Set' unless the pool is restarted (it happened after tsam's k-medoids, 2026-12-04)."""
    solve_module.forget_threads()  # as the time aggregation says after k-medoids
    _foreign_highs_solve(foreign_threads)
    solution = optimiser.solve(example_model, {"solver": "simplex", "threads": 2})
    assert solution.optimal, solution.message()
    assert solution.objective == approx(reference.objective, rel=1e-9)


def test_kmedoids_aggregation_then_a_two_thread_solve(tmp_path):
    """The path that failed: representative days by tsam's k-medoids (a HiGHS MILP in this process), then our solve
    with 2 threads."""
    from optimiser import timeagg

    case = timeagg.aggregate(optimiser.load_case(EXAMPLE), {"method": "representative_days", "days": 3, "cluster": "kmedoids"})
    model = optimiser.build_model(case, pyomo=False)
    solution = optimiser.solve(model, {"solver": "simplex", "threads": 2})
    assert solution.optimal, solution.message()


def test_a_solve_that_highs_refuses_is_diagnosed_with_its_error(example_model, tmp_path):
    """Where HiGHS stops before solving (status 'Not Set'), the diagnosis quotes the ERROR of its log, not only the
    status: here a pool of 1 thread that our record wrongly believes to run 2."""
    _foreign_highs_solve(1)
    solve_module._scheduler_threads[0] = 2  # a stale record: no restart before the solve
    try:
        solution = optimiser.solve(example_model, {"solver": "simplex", "threads": 2}, log_file=tmp_path / "highs.log")
    finally:
        solve_module.forget_threads()
    assert not solution.optimal and solution.status == "Not Set"
    assert "global scheduler has already been initialized" in solution.diagnosis[0]
