"""Warm re-solves: keep one HiGHS instance and change numbers in place.

Scenarios that differ only in numbers (costs, caps, demand levels, efficiencies, availability
scaling) give linear programmes with the same rows, columns and sparsity pattern.  A
:class:`WarmSolver` solves the first one from scratch and every later one by changing the
costs, bounds, right-hand sides and matrix coefficients of the HiGHS model in place, then
re-running the simplex method from an optimal basis already found: by default the basis of that
cold solve (the *reference*, usually the sweep's base case), or the previous model's
(``start="previous"``).  A programme whose
structure differs (another technology, corridor, period or time step; a coefficient that became
exactly zero) is passed whole and solved cold, so the answer never depends on the route.
Re-solves need the cold solve's basis: with an interior-point solver and ``run_crossover: off``
(the China default) every model is solved cold.

    solver = WarmSolver({"threads": 1})
    for case in variants:
        model = build_model(case, pyomo=False, previous=solver.model)   # reuses unchanged preparation steps
        solution = solver.solve(model)        # solution.info["route"] is "cold" or "warm"
"""

from __future__ import annotations

import time

import highspy
import numpy as np

from .model import Model
from .model.program import attach_solution, compile_program
from .solve import DEFAULT_OPTIONS, Solution, _new_highs, _pass, _solution, use_threads


class WarmSolver:
    """Solve a sequence of models, re-using the HiGHS instance and basis when only numbers change."""

    def __init__(
        self, options: dict | None = None, log_file: str | None = None, resolve_solver: str = "simplex", adaptive: bool = True,
        start: str = "reference",
    ):
        if start not in ("reference", "previous"):
            raise ValueError(f"start must be 'reference' or 'previous', not {start!r}")
        self.options = {**DEFAULT_OPTIONS, **(options or {})}
        self.log_file = log_file
        #: solver for re-solves: the simplex method starts from the kept basis
        self.resolve_solver = resolve_solver
        self.highs: highspy.Highs | None = None
        self._last = None  # (cost, col_lower, col_upper, row_lower, row_upper, indptr, indices, data) of the model in HiGHS
        self.solves = {"cold": 0, "warm": 0}
        #: False once a warm re-solve took longer than the cold solve before it, or the cold solve left no basis
        #: (interior point without crossover): later models are solved cold (on large cases an interior-point
        #: cold solve can beat the simplex method restarted from a basis)
        self.warm_pays = True
        self.adaptive = adaptive
        self._cold_seconds: float | None = None
        #: where re-solves start: the optimal basis of the last cold solve ("reference") or of the previous model.
        #: Sweeps vary parameters around a base case (one at a time, grids, Latin hypercubes), so two variants are on
        #: average further apart than a variant and the base: on 9 random cost-and-cap variants of the example, 10,961
        #: simplex iterations from the reference against 14,199 from the previous model.
        self.start = start
        self._reference_basis: highspy.HighsBasis | None = None
        #: the last model solved: pass it to ``build_model(case, previous=solver.model)`` so that the next build
        #: reuses the data-preparation steps whose inputs did not change
        self.model: Model | None = None

    def _same_structure(self, finished, csc) -> bool:
        if self._last is None:
            return False
        cost, *_rest, indptr, indices, _data = self._last
        return (
            len(cost) == len(finished.cost)
            and len(_rest[2]) == len(finished.row_lower)
            and np.array_equal(indptr, csc.indptr)
            and np.array_equal(indices, csc.indices)
        )

    def solve(self, model: Model) -> Solution:
        merged = {**self.options, **(model.case.settings.get("solver") or {})}
        finished, extensions = compile_program(model)  # the model's arrays and what extensions added
        start = time.perf_counter()
        csc = finished.matrix.tocsc()
        csc.sort_indices()
        timings = {}
        if self.warm_pays and self._same_structure(finished, csc):
            route = "warm"
            self._change_in_place(finished, csc)
            if self.start == "reference" and self._reference_basis is not None:
                self.highs.setBasis(self._reference_basis)
            self.highs.setOptionValue("solver", self.resolve_solver)
            # HiGHS's time limit counts from the creation of the instance: give this run its own budget
            self.highs.setOptionValue("time_limit", self.highs.getRunTime() + self._warm_budget(merged))
            if self.log_file:
                self.highs.setOptionValue("log_file", self.log_file)
        else:
            route = "cold"
            if self.highs is not None:
                self.highs.clear()
            self.highs = _new_highs(merged, self.log_file)
            _pass(self.highs, finished.cost, finished.col_lower, finished.col_upper, csc, finished.row_lower, finished.row_upper, finished.objective_offset)
        timings["transfer_s"] = time.perf_counter() - start
        start = time.perf_counter()
        use_threads(merged.get("threads"))  # code run between two solves may have restarted HiGHS's thread pool
        self.highs.run()
        timings["solve_s"] = time.perf_counter() - start
        self.solves[route] += 1
        if route == "cold":
            self._cold_seconds = timings["solve_s"]
            basis = self.highs.getBasis()
            self._reference_basis = basis if basis.valid else None
            if not basis.valid:
                # an interior-point solve without crossover leaves no basis to restart the simplex method from;
                # crossover is not forced, since on the large cases that turn it off it costs more than it saves
                self.warm_pays = False
        elif self.adaptive and (timings["solve_s"] > self._cold_seconds or self.highs.getModelStatus() == highspy.HighsModelStatus.kTimeLimit):
            self.warm_pays = False  # slower than the cold solve, or stopped by its budget: warm starts do not pay here
        solution = _solution(self.highs, merged, timings, self.log_file)
        solution.info["route"] = route
        solution.extensions = extensions
        if extensions.sense == -1:
            solution.objective = -solution.objective
        attach_solution(model, extensions, solution.x, solution.row_dual)
        if not solution.optimal and route == "warm":
            # never trust a failed warm start: solve the same model cold
            self._last = None
            return self.solve(model)
        self._last = (
            finished.cost.copy(), finished.col_lower.copy(), finished.col_upper.copy(),
            finished.row_lower.copy(), finished.row_upper.copy(), csc.indptr.copy(), csc.indices.copy(), csc.data.copy(),
        )
        self.model = model
        return solution

    def _warm_budget(self, options: dict) -> float:
        """Seconds a warm re-solve may run: the user's time limit and, when adaptive, the cold solve's time
        (at least 1 s), beyond which it cannot pay; a re-solve stopped there is solved cold, so a sweep loses
        at most one cold solve's time to a warm start that does not pay."""
        budget = float(options.get("time_limit", np.inf))
        if self.adaptive and self._cold_seconds is not None:
            budget = min(budget, max(self._cold_seconds, 1.0))
        return budget

    def _change_in_place(self, finished, csc) -> None:
        """Send HiGHS only what differs from the model it holds: costs, bounds, row bounds, coefficients."""
        highs = self.highs
        cost, col_lower, col_upper, row_lower, row_upper, _indptr, indices, data = self._last
        changed = np.flatnonzero(cost != finished.cost)
        if len(changed):
            highs.changeColsCost(len(changed), changed.astype(np.int32), finished.cost[changed])
        changed = np.flatnonzero((col_lower != finished.col_lower) | (col_upper != finished.col_upper))
        if len(changed):
            highs.changeColsBounds(len(changed), changed.astype(np.int32), finished.col_lower[changed], finished.col_upper[changed])
        changed = np.flatnonzero((row_lower != finished.row_lower) | (row_upper != finished.row_upper))
        if len(changed):
            highs.changeRowsBounds(len(changed), changed.astype(np.int32), finished.row_lower[changed], finished.row_upper[changed])
        changed = np.flatnonzero(data != csc.data)
        if len(changed):
            columns = np.searchsorted(csc.indptr, changed, side="right") - 1
            for row, column, value in zip(indices[changed].tolist(), columns.tolist(), csc.data[changed].tolist()):
                highs.changeCoeff(row, column, value)
        if finished.objective_offset != 0.0:
            highs.changeObjectiveOffset(float(finished.objective_offset))
