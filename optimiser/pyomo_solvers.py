"""Solving ``model.pyomo`` with any of Pyomo's solver interfaces (``optimiser run --solver NAME``).

HiGHS in memory (:func:`optimiser.solve`) is the default and the fast route. This one hands the Pyomo model as it
stands, the user's additions included, to ``pyomo.environ.SolverFactory(name)``: ``appsi_highs`` or ``highs``
(HiGHS through Pyomo), ``glpk`` and ``cbc`` (through Pyomo's LP writer), ``gurobi``, ``cplex``, ``xpress`` where
installed. The values and duals come back from the Pyomo components into a :class:`Solution` laid out like the
in-memory one (columns and rows of the model's families first, then the user's), so that
:func:`optimiser.extract` gives the same dataset.
"""

from __future__ import annotations

import time

import numpy as np
import pyomo.environ as pyo
from pyomo.opt import TerminationCondition

from .model import Model
from .model.program import compile_program
from .model.pyomo_model import FamilyConstraint, FamilyVar
from .solve import Solution, SolverOptionError, use_threads

#: the name of the in-memory route (``--solver highs-inmemory`` is the same as no --solver)
IN_MEMORY = "highs-inmemory"


def solve_pyomo(model: Model, solver: str, options: dict | None = None, log_file: str | None = None) -> Solution:
    """Solve ``model.pyomo`` with ``pyomo.environ.SolverFactory(solver)``; duals come back where the solver gives them."""
    m = model.pyomo
    if m is None:
        raise SolverOptionError("the model was built without its Pyomo components (build_model(case, pyomo=True))")
    try:
        opt = pyo.SolverFactory(solver)
        available = bool(opt.available(exception_flag=False))
    except Exception as error:  # an unknown name gives an UnknownSolver that raises on use
        raise SolverOptionError(f"Pyomo has no solver interface '{solver}' ({error})") from None
    if not available:
        raise SolverOptionError(f"Pyomo's solver interface '{solver}' is not available on this machine (optimiser doctor lists those that are)")
    # the same check of the user's additions as the in-memory route: what it cannot hold is refused the same way
    _, extensions = compile_program(model)
    if m.component("dual") is None:
        m.dual = pyo.Suffix(direction=pyo.Suffix.IMPORT)
    timings = {}
    start = time.perf_counter()
    kwargs = {"load_solutions": False} if not solver.startswith(("appsi", "highs")) else {}
    if log_file:
        kwargs["logfile"] = str(log_file)
    for name, value in (options or {}).items():
        opt.options[name] = value
    if solver.startswith(("appsi_highs", "highs")):
        use_threads((options or {}).get("threads"))  # in-process HiGHS shares the thread pool with our solves
    try:
        results = opt.solve(m, **kwargs)
    except Exception as error:
        raise SolverOptionError(f"{solver} failed: {type(error).__name__}: {error}") from None
    timings["solve_s"] = time.perf_counter() - start
    condition = results.solver.termination_condition
    optimal = condition == TerminationCondition.optimal
    if optimal and "load_solutions" in kwargs:
        m.solutions.load_from(results)
    version = opt.version()
    solution = Solution(
        status=str(condition),
        optimal=optimal,
        objective=float(pyo.value(_active_objective(m))) if optimal else float("nan"),
        x=None,
        row_dual=None,
        solver=solver,
        solver_version=".".join(map(str, version)) if isinstance(version, tuple) else str(version),
        options={k: str(v) for k, v in (options or {}).items()},
        timings=timings,
        log_file=str(log_file) if log_file else None,
        info={"solver_used": solver, "solver_requested": solver, "solver_warnings": ""},
        extensions=extensions,
    )
    if not optimal:
        solution.diagnosis = [f"{solver} stopped with termination condition '{condition}'"]
        return solution
    solution.x, solution.row_dual = _vectors(model, extensions)
    return solution


def _active_objective(m):
    return next(m.component_data_objects(pyo.Objective, active=True))


def _vectors(model: Model, extensions) -> tuple[np.ndarray, np.ndarray | None]:
    """Column values and row duals in the in-memory route's layout (the model's families, then the user's)."""
    m = model.pyomo
    own = m._optimiser["components"]
    x = np.concatenate(
        [own[name].values_array() for name in model.lp.variables]
        + [np.array([np.nan if v.value is None else v.value for v in extensions.columns], dtype=float)]
    )
    suffix = m.component("dual")
    if not isinstance(suffix, pyo.Suffix) or len(suffix) == 0:
        return x, None
    duals = []
    for name in model.lp.constraints:
        component = own[name]
        assert isinstance(component, FamilyConstraint)
        duals.append(np.array([suffix.get(data, 0.0) for data in component.values()], dtype=float))
    duals.append(np.array([suffix.get(data, 0.0) if data.ctype is pyo.Constraint else 0.0 for data in extensions.rows], dtype=float))
    sense = extensions.sense
    return x, sense * np.concatenate(duals)


__all__ = ["IN_MEMORY", "FamilyVar", "solve_pyomo"]
