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
