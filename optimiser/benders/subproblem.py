"""An operational subproblem: one block's rows and columns, with the master's values fixed, kept resident in HiGHS
between iterations (each solve starts from the previous basis: only the bounds of the fixed columns change). The first
solve is presolved; later ones start from the basis without presolve (a period-long China block: 11 s cold, 0.26 s
warm).

Value function and cut. With the linking columns z fixed at ẑ, the subproblem's optimum Q(ẑ) is convex in ẑ and
the reduced costs of the fixed columns are a subgradient g (the derivative of the optimum in the fixed value), so

    θ >= Q(ẑ) + g'(z - ẑ)

holds for every z. Feasibility: each linking column has a pair of penalised slacks that let the block use
ẑ + s⁺ - s⁻ instead of ẑ at ``penalty`` per unit. The penalised optimum Q_P <= Q everywhere, so its cuts are valid
for Q; where the slacks are zero Q_P = Q. A block never fails, whatever the master tries: a master that offers too
little capacity or too small a budget gets a steep cut, not an infeasible subproblem (docs/model.md, section 13).
"""

from __future__ import annotations

import time

import highspy
import numpy as np
import scipy.sparse as sp

from ..solve import _pass, use_threads

#: slack (in the linking column's units) below which a subproblem counts as meeting the master's values: above the
#: 1e-6 an interior-point start point carries (the myopic pathway of China at 4 days: 1.7e-6 GW), below the 1e-4 the
#: assembled point may violate a row by (loop.VIOLATION_TOLERANCE)
SLACK_TOLERANCE = 1e-5


class SubproblemError(RuntimeError):
    """A block has no optimum for any master values (its own rows conflict)."""


class Subproblem:
    def __init__(self, spec: dict, penalty: float, options: dict | None = None):
        self.index, self.label = spec["index"], spec["label"]
        self.n_own, self.n_linking = spec["n_own"], spec["n_linking"]
        matrix = spec["matrix"].tocsc()
        linking = matrix[:, self.n_own :]
        extended = sp.hstack([matrix, linking, -linking], format="csc")
        self.linking_columns = (self.n_own + np.arange(self.n_linking)).astype(np.int32)
        self.original_lower = spec["col_lower"][self.n_own :].copy()
        self.original_upper = spec["col_upper"][self.n_own :].copy()
        cost = np.r_[spec["cost"], np.full(2 * self.n_linking, float(penalty))]
        lower = np.r_[spec["col_lower"], np.zeros(2 * self.n_linking)]
        upper = np.r_[spec["col_upper"], np.full(2 * self.n_linking, np.inf)]
        self.highs = highspy.Highs()
        self.highs.setOptionValue("output_flag", False)
        self.options = {"solver": "simplex", "threads": 1, **(options or {})}
        for name, value in self.options.items():
            self.highs.setOptionValue(name, value)
        _pass(self.highs, cost, lower, upper, extended, spec["row_lower"], spec["row_upper"])

    def lower_bound(self) -> float:
        """The block's least cost over every master value (linking columns within their own bounds): a floor for its
        estimate in the master before any cut."""
        self.highs.changeColsBounds(self.n_linking, self.linking_columns, self.original_lower, self.original_upper)
        use_threads(self.options["threads"])
        self.highs.run()
        status = self.highs.getModelStatus()
        if status != highspy.HighsModelStatus.kOptimal:
            raise SubproblemError(f"subproblem {self.label} has no optimum even with the master's values free: "
                                  f"{self.highs.modelStatusToString(status)}")
        return float(self.highs.getInfo().objective_function_value)

    def evaluate(self, values: np.ndarray, solution: bool = False) -> dict:
        """Solve with the linking columns fixed at ``values``: optimum, subgradient, slack used (and with
        ``solution`` the block's own column values and row duals)."""
        start = time.perf_counter()
        values = np.asarray(values, dtype=np.float64)
        self.highs.changeColsBounds(self.n_linking, self.linking_columns, values, values)
        use_threads(self.options["threads"])
        self.highs.run()
        status = self.highs.getModelStatus()
        retried = status != highspy.HighsModelStatus.kOptimal
        if retried:
            # a basis the bound change left unusable: solve once more from scratch before giving up (counted and
            # reported by the loop)
            self.highs.clearSolver()
            self.highs.run()
            status = self.highs.getModelStatus()
        if status != highspy.HighsModelStatus.kOptimal:
            raise SubproblemError(f"subproblem {self.label}: {self.highs.modelStatusToString(status)} with the master's values fixed")
        info = self.highs.getInfo()
        result = self.highs.getSolution()
        column_value = np.asarray(result.col_value)
        gradient = np.asarray(result.col_dual)[self.n_own : self.n_own + self.n_linking].copy()
        slack = column_value[self.n_own + self.n_linking :]
        out = {
            "index": self.index, "value": float(info.objective_function_value), "gradient": gradient,
            "slack": float(slack.sum()), "slack_max": float(slack.max()) if len(slack) else 0.0,
            "seconds": time.perf_counter() - start, "iterations": int(info.simplex_iteration_count), "retried": retried,
        }
        if solution:
            out["x"] = column_value[: self.n_own].copy()
            out["row_dual"] = np.asarray(result.row_dual).copy()
        return out


class SubproblemGroup:
    """The subproblems one worker holds (also a Dask actor): built once, evaluated every iteration."""

    def __init__(self, specs: list[dict], penalty: float, options: dict | None = None):
        self.subproblems = {spec["index"]: Subproblem(spec, penalty, options) for spec in specs}

    def lower_bounds(self) -> dict[int, float]:
        return {index: sub.lower_bound() for index, sub in self.subproblems.items()}

    def evaluate(self, values: dict[int, np.ndarray], solution: bool = False) -> list[dict]:
        return [self.subproblems[index].evaluate(v, solution) for index, v in values.items()]
