"""The master: investment, retirement, corridor and budget decisions, one cost estimate θ_b per block, and the cuts.

    lower bound    L = min  c'y + sum_b θ_b   s.t.  master rows, θ_b >= floor_b, cuts,      (LP, dual simplex)
                                                  θ_b >= c_X'X_b + const_b over block b's aggregated copy (relaxation.py)
    next point     ŷ ∈ {y : master rows, cuts, c'y + sum_b θ_b <= L + level x (U - L)}      (interior point)

The level-set step (Pecci and Jenkins, IEEE Trans. Power Systems 40(4), 2025) asks the interior-point solver for
a point of the level set with no objective and without crossover: it returns a point in the interior of the set
(near its analytic centre), away from the extreme vertices the plain cutting-plane master jumps between. Without
an upper bound yet (the first iteration) the lower-bound LP's own point is used.
"""

from __future__ import annotations

import highspy
import numpy as np
import scipy.sparse as sp

from ..solve import _pass, use_threads
from .partition import Decomposition

#: cut coefficients smaller than this (in cost per unit of the linking column) are dropped
CUT_TOLERANCE = 1e-10
#: margin (in the column's units: GW, GWh, TWh, Mt) of the level-set step's box on columns without finite bounds
BOX_MARGIN = 1.0


class MasterError(RuntimeError):
    """The master has no optimum: the investment constraints alone conflict, or a cost runs to -infinity."""


class Master:
    def __init__(self, decomposition: Decomposition, floors: np.ndarray, options: dict | None = None, relaxations: list | None = None):
        program = decomposition.master
        self.n_y = decomposition.n_master
        self.n_blocks = len(decomposition.blocks)
        self.options = options or {}
        relaxations = relaxations or []
        #: columns of the blocks' aggregated copies (after the estimates θ)
        self.n_relaxed = sum(len(r.cost) for r in relaxations)
        self.n_total = self.n_y + self.n_blocks + self.n_relaxed
        self.cost = np.r_[program.cost, np.ones(self.n_blocks), np.zeros(self.n_relaxed)]
        self.col_lower = np.r_[program.col_lower, np.asarray(floors, dtype=float), *[r.col_lower for r in relaxations]]
        self.col_upper = np.r_[program.col_upper, np.full(self.n_blocks, np.inf), *[r.col_upper for r in relaxations]]
        base = program.matrix
        self.base = sp.csr_matrix((base.data, base.indices, base.indptr), shape=(base.shape[0], self.n_total))
        self.relaxed, relaxed_lower, relaxed_upper = self._relaxation_rows(relaxations)
        self.row_lower, self.row_upper = np.r_[program.row_lower, relaxed_lower], np.r_[program.row_upper, relaxed_upper]
        # cuts as CSR pieces: theta_b - g'z >= rhs
        self.cut_block: list[int] = []
        self.cut_columns: list[np.ndarray] = []
        self.cut_values: list[np.ndarray] = []
        self.cut_rhs: list[float] = []
        self.lp = self._new_highs(simplex=True)
        _pass(self.lp, self.cost, self.col_lower, self.col_upper, sp.vstack([self.base, self.relaxed]).tocsc(), self.row_lower, self.row_upper)
        self.duals = None
        #: HiGHS's status of the last level-set step
        self.level_status = ""

    def _relaxation_rows(self, relaxations: list) -> tuple[sp.csr_matrix, np.ndarray, np.ndarray]:
        """Each block's aggregated rows (its merged columns and the master columns it links to) and the row
        θ_b - c_X'X >= const that makes the copy a lower bound of θ_b."""
        pieces, lower, upper = [], [], []
        start = self.n_y + self.n_blocks
        for relaxation in relaxations:
            n_x = len(relaxation.cost)
            columns = np.r_[start + np.arange(n_x), relaxation.linking]
            rows = relaxation.matrix.tocoo()
            pieces.append(sp.csr_matrix((rows.data, (rows.row, columns[rows.col])), shape=(rows.shape[0], self.n_total)))
            estimate = np.r_[-relaxation.cost, 1.0]
            where = np.r_[start + np.arange(n_x), self.n_y + relaxation.block]
            keep = estimate != 0
            pieces.append(sp.csr_matrix((estimate[keep], (np.zeros(int(keep.sum()), dtype=np.int64), where[keep])), shape=(1, self.n_total)))
            lower += [relaxation.row_lower, [relaxation.constant]]
            upper += [relaxation.row_upper, [np.inf]]
            start += n_x
        if not pieces:
            return sp.csr_matrix((0, self.n_total)), np.zeros(0), np.zeros(0)
        return sp.vstack(pieces, format="csr"), np.concatenate(lower), np.concatenate(upper)

    # ---------------------------------------------------------------- HiGHS
    def _new_highs(self, simplex: bool) -> highspy.Highs:
        highs = highspy.Highs()
        highs.setOptionValue("output_flag", False)
        threads = self.options.get("threads")
        if threads is not None:
            highs.setOptionValue("threads", int(threads))
        if simplex:
            highs.setOptionValue("solver", "simplex")
        else:
            solver = str(self.options.get("level_solver", "ipx"))
            highs.setOptionValue("solver", solver)
            highs.setOptionValue("run_crossover", "off")
        return highs

    def _threads(self) -> None:
        """HiGHS's thread pool at the master's count (subproblems solved in this process use 1 thread)."""
        if self.options.get("threads") is not None:
            use_threads(int(self.options["threads"]))

    # ---------------------------------------------------------------- cuts
    def cut(self, block: int, linking: np.ndarray, point: np.ndarray, value: float, gradient: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
        """The cut θ_block >= value + gradient'(z - point) as (columns, coefficients, rhs) of a >= row."""
        keep = np.abs(gradient) > CUT_TOLERANCE
        columns = np.r_[linking[keep], self.n_y + block].astype(np.int64)
        coefficients = np.r_[-gradient[keep], 1.0]
        rhs = float(value - gradient[keep] @ point[keep])
        return columns, coefficients, rhs

    def add_cuts(self, cuts: list[tuple[int, np.ndarray, np.ndarray, float]]) -> None:
        """Append cuts (block, columns, coefficients, rhs) to the master."""
        if not cuts:
            return
        starts = np.cumsum([0] + [len(c[1]) for c in cuts[:-1]]).astype(np.int32)
        columns = np.concatenate([c[1] for c in cuts]).astype(np.int32)
        values = np.concatenate([c[2] for c in cuts]).astype(np.float64)
        lower = np.array([c[3] for c in cuts], dtype=np.float64)
        self.lp.addRows(len(cuts), lower, np.full(len(cuts), np.inf), len(columns), starts, columns, values)
        for block, cols, vals, rhs in cuts:
            self.cut_block.append(int(block))
            self.cut_columns.append(np.asarray(cols, dtype=np.int64))
            self.cut_values.append(np.asarray(vals, dtype=float))
            self.cut_rhs.append(float(rhs))

    @property
    def n_cuts(self) -> int:
        return len(self.cut_rhs)

    def _cut_matrix(self) -> sp.csr_matrix:
        if not self.cut_rhs:
            return sp.csr_matrix((0, self.n_total))
        lengths = [len(c) for c in self.cut_columns]
        indptr = np.r_[0, np.cumsum(lengths)]
        return sp.csr_matrix((np.concatenate(self.cut_values), np.concatenate(self.cut_columns), indptr), shape=(len(lengths), self.n_total))

    # ---------------------------------------------------------------- solves
    def solve_lower(self) -> tuple[float, np.ndarray]:
        """The master LP: its optimum (a lower bound of the whole programme) and its point (y, θ)."""
        self._threads()
        self.lp.run()
        status = self.lp.getModelStatus()
        if status != highspy.HighsModelStatus.kOptimal:
            self.lp.clearSolver()
            self.lp.run()
            status = self.lp.getModelStatus()
        if status != highspy.HighsModelStatus.kOptimal:
            raise MasterError(f"the Benders master LP ended {self.lp.modelStatusToString(status)}")
        solution = self.lp.getSolution()
        self.duals = np.asarray(solution.row_dual)[: self.base.shape[0]].copy()
        return float(self.lp.getInfo().objective_function_value), np.asarray(solution.col_value).copy()

    def solve_level(self, level: float, center: np.ndarray, lower_point: np.ndarray) -> np.ndarray | None:
        """An interior point of the level set {master rows, cuts, c'y + sum θ <= level}; None if the interior-point
        solve gives none (the caller then keeps the lower-bound point).

        Columns without a finite bound (budgets, net emissions) are boxed around the level set's centre (the best
        point so far) for this step only, so that the set has an interior point: a box holding the centre and the
        lower-bound LP's point, each side max(1, |centre|, |LP point - centre|) wide (Marsten's box step, 1975).
        A budget of an inequality row can otherwise grow without limit at no cost, and the centre of an unbounded
        set does not exist."""
        highs = self._new_highs(simplex=False)
        cuts = self._cut_matrix()
        objective_row = sp.csr_matrix(self.cost.reshape(1, -1))
        matrix = sp.vstack([self.base, self.relaxed, cuts, objective_row], format="csr")
        row_lower = np.r_[self.row_lower, np.asarray(self.cut_rhs), -np.inf]
        row_upper = np.r_[self.row_upper, np.full(self.n_cuts, np.inf), level]
        lower, upper = self.col_lower.copy(), self.col_upper.copy()
        # the box around the centre and the LP point; the aggregated copies' columns (operation, no centre of theirs)
        # get a box as wide as their LP value, so that the copy does not pin the step to the LP's operation
        lp_point = lower_point.copy()
        anchor = np.r_[center, lp_point[self.n_y :]]
        unbounded = ~np.isfinite(lower) | ~np.isfinite(upper)
        unbounded[self.n_y : self.n_y + self.n_blocks] = False
        margin = np.full(len(lp_point), BOX_MARGIN)
        margin[self.n_y + self.n_blocks :] = np.maximum(BOX_MARGIN, np.abs(lp_point[self.n_y + self.n_blocks :]))
        box_lower, box_upper = np.minimum(anchor, lp_point) - margin, np.maximum(anchor, lp_point) + margin
        lower = np.where(unbounded, np.maximum(lower, box_lower), lower)
        upper = np.where(unbounded, np.minimum(upper, box_upper), upper)
        _pass(highs, np.zeros(len(self.cost)), lower, upper, matrix.tocsc(), row_lower, row_upper)
        self._threads()
        highs.run()
        status = highs.getModelStatus()
        self.level_status = highs.modelStatusToString(status)
        if status not in (highspy.HighsModelStatus.kOptimal, highspy.HighsModelStatus.kUnknown):
            return None
        point = np.asarray(highs.getSolution().col_value).copy()
        if len(point) != len(self.cost) or not np.all(np.isfinite(point)):
            self.level_status += " (no finite point)"
            return None
        return np.clip(point, lower, upper)

    def state(self) -> dict:
        """The cuts as flat arrays (for a checkpoint)."""
        lengths = np.array([len(c) for c in self.cut_columns], dtype=np.int64)
        return {
            "cut_block": np.asarray(self.cut_block, dtype=np.int64), "cut_lengths": lengths,
            "cut_columns": np.concatenate(self.cut_columns) if self.cut_columns else np.zeros(0, dtype=np.int64),
            "cut_values": np.concatenate(self.cut_values) if self.cut_values else np.zeros(0),
            "cut_rhs": np.asarray(self.cut_rhs, dtype=float),
        }

    def restore(self, state: dict) -> None:
        """Add the cuts of a checkpoint."""
        bounds = np.r_[0, np.cumsum(state["cut_lengths"])]
        cuts = [(int(b), state["cut_columns"][bounds[i] : bounds[i + 1]], state["cut_values"][bounds[i] : bounds[i + 1]], float(r))
                for i, (b, r) in enumerate(zip(state["cut_block"], state["cut_rhs"]))]
        self.add_cuts(cuts)
