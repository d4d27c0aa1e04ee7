"""The Benders loop: bounds, level-set steps, cuts, checkpoints and the final point (see the package doc)."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from . import BendersError
from .checkpoint import Checkpoint
from .executors import make_executor
from .master import Master
from .partition import Decomposition, decompose
from .relaxation import relaxations
from .settings import options_of
from .subproblem import SLACK_TOLERANCE

#: largest violation of a row or bound of the whole programme (in its units) that the assembled point may show
VIOLATION_TOLERANCE = 1e-4
#: the automatic slack penalty: this many times the largest cost coefficient of a master column (bn CNY per unit)
PENALTY_FACTOR = 100.0


@dataclass
class Iteration:
    iteration: int
    lower_bound: float
    upper_bound: float
    point_cost: float
    gap: float
    slack: float
    master_s: float
    subproblems_s: float
    subproblem_max_s: float
    subproblem_sum_s: float
    cuts: int


def automatic_penalty(decomposition: Decomposition) -> float:
    """PENALTY_FACTOR x the largest cost of a master column per unit (at least 1 bn CNY per unit)."""
    cost = decomposition.master.cost
    largest = float(np.max(np.abs(cost))) if len(cost) else 0.0
    return PENALTY_FACTOR * max(1.0, largest)


def solve_benders(model, options: dict | None = None, out: Path | str | None = None, log=print, executor_override: dict | None = None):
    """Solve ``model`` by Benders decomposition; returns a :class:`optimiser.solve.Solution` of the whole programme
    (``info['benders']`` holds the iterations, for :func:`annotate`)."""
    from ..model.program import attach_solution, compile_program

    start = time.perf_counter()
    finished, extensions = compile_program(model)
    loop = _Loop(model, finished, options, out, log, executor_override, start)
    try:
        loop.prepare()
        status, lower = loop.iterate()
        final, master_duals = loop.final_point(status)
    finally:
        loop.executor.close()
    solution = loop.solution(final, master_duals, lower)
    solution.extensions = extensions
    attach_solution(model, extensions, solution.x, solution.row_dual)
    return solution


class _Loop:
    """One Benders run: the decomposition, its workers and master, the best points, the iterations."""

    def __init__(self, model, finished, options, out, log, executor_override, start: float):
        from ..solve import DEFAULT_OPTIONS

        self.model, self.finished, self.options, self.out, self.log, self.start = model, finished, options, out, log, start
        self.settings = options_of(model.case.settings) | (executor_override or {})
        self.merged = {**DEFAULT_OPTIONS, **(model.case.settings.get("solver") or {}), **(options or {})}
        self.decomposition = decompose(finished, model.lp, model.data.time, list(model.data.periods), int(self.settings["days_per_block"]),
                                       relax=bool(self.settings.get("relax", True)))
        self.partition_s = time.perf_counter() - start
        self.penalty = float(self.settings["penalty"] or automatic_penalty(self.decomposition))
        self._log_partition()
        path = Path(out).with_suffix(".benders.npz") if (out and self.settings["checkpoint"]) else None
        self.checkpoint = Checkpoint(path, self.decomposition.fingerprint())
        self.executor = make_executor(self.settings["executor"], [b.spec() for b in self.decomposition.blocks], self.penalty, None,
                                      int(self.settings["workers"]), self.settings.get("scheduler"))
        self.master: Master | None = None
        self.history: list[Iteration] = []
        self.warnings: list[str] = []
        self.best_upper, self.best_point = np.inf, None
        # the level set is centred on the best penalised cost (slack allowed): an upper bound of the penalised
        # programme the cuts describe, available from the first iteration
        self.best_penalised, self.center = np.inf, None
        self.start_point = None

    def _log_partition(self) -> None:
        d = self.decomposition
        self.log(f"benders: {len(d.blocks)} subproblems (periods x blocks of {self.settings['days_per_block']} representative "
                 f"period(s)); master {len(d.master_columns)} columns + {len(d.budget_row)} budgets over {len(d.coupling_rows)} "
                 f"coupling rows ({len(d.relaxed_rows)} equalities held one-sided); slack penalty {self.penalty:.4g} bn CNY/unit; "
                 f"partitioned in {self.partition_s:.2f} s")

    def warn(self, message: str) -> None:
        self.warnings.append(message)
        self.log(f"benders warning: {message}")

    # ------------------------------------------------------------------ before the loop
    def prepare(self) -> None:
        """Floors, the master, a checkpoint's cuts and bounds, and the start point."""
        floors = self.executor.lower_bounds()
        self.master = Master(self.decomposition, np.array([floors[b.index] for b in self.decomposition.blocks]),
                             {"threads": self.merged.get("threads"), "level_solver": self.settings["level_solver"]}, self._relaxations())
        resumed = self.checkpoint.load()
        if resumed is not None:
            self.master.restore(resumed)
            self.history = [Iteration(**row) for row in resumed["history"]]
            self.best_upper = float(resumed["best_upper"])
            self.best_point = resumed["best_point"] if np.isfinite(self.best_upper) else None
            self.best_penalised = float(resumed["best_penalised"])
            self.center = resumed["center"] if len(resumed["center"]) else None
            self.log(f"benders: resuming from {self.checkpoint.path} after iteration {len(self.history)} ({self.master.n_cuts} cuts, "
                     f"best upper bound {self.best_upper:.8g})")
        if self.settings.get("start") and not self.history:
            self.start_point = myopic_start(self.model, self.decomposition, self.finished, self.options, self.out, self.log, self.warnings)

    def _relaxations(self) -> list:
        """The blocks' aggregated copies for the master (``benders.relaxation``), with their sizes logged."""
        grouping = self.settings.get("relaxation") or "none"
        if grouping == "none":
            return []
        begin = time.perf_counter()
        try:
            copies = relaxations(self.decomposition, self.model.lp, self.model.data.time, grouping)
        except ValueError as error:
            raise BendersError(f"benders.relaxation: {grouping}: {error}") from None
        merged, projected = sum(c.merged_columns for c in copies), sum(c.projected_columns for c in copies)
        rows = sum(c.matrix.shape[0] for c in copies)
        own = sum(len(b.columns) for b in self.decomposition.blocks)
        self.log(f"benders: aggregated copies of the blocks in the master (relaxation: {grouping}): {merged} columns and {rows} rows for "
                 f"the blocks' {own} columns ({projected} projected out with their bounds), built in {time.perf_counter() - begin:.2f} s")
        return copies

    # ------------------------------------------------------------------ the loop
    def iterate(self) -> tuple[str, float]:
        """Iterations until the gap, the iteration limit or the time limit: (status, last lower bound)."""
        limit, offset = self.settings["time_limit"], self.decomposition.master.objective_offset
        status, lower = "Iteration limit reached", -np.inf
        while True:
            iteration = len(self.history) + 1
            if iteration > int(self.settings["max_iterations"]):
                return status, lower
            if limit is not None and time.perf_counter() - self.start > float(limit):
                return "Time limit reached", lower
            master_start = time.perf_counter()
            lower, point = self.master.solve_lower()
            lower += offset
            gap = _relative_gap(self.best_upper, lower)
            if np.isfinite(self.best_upper) and gap <= float(self.settings["gap"]):
                self.log(f"benders: converged: lower bound {lower:.8g}, upper bound {self.best_upper:.8g}, gap {gap:.2e}")
                return "Optimal", lower
            point = self.next_point(iteration, lower - offset, point)
            self.evaluate(iteration, point[: self.master.n_y], lower, time.perf_counter() - master_start)

    def next_point(self, iteration: int, lower: float, point: np.ndarray) -> np.ndarray:
        """The point to evaluate: the start's first, then the level-set step (or the master LP's point)."""
        if self.start_point is not None:  # the master LP still gives the lower bound
            point, self.start_point = np.r_[self.start_point, point[self.master.n_y :]], None
            return point
        if self.settings["regularisation"] != "level_set" or self.center is None:
            return point
        level = lower + float(self.settings["level"]) * (self.best_penalised - lower - self.decomposition.master.objective_offset)
        interior = self.master.solve_level(level, self.center, point)
        if interior is None:
            self.warn(f"iteration {iteration}: the level-set step ended '{self.master.level_status}'; the master LP's point was used")
            return point
        return interior

    def evaluate(self, iteration: int, y: np.ndarray, lower: float, master_s: float) -> None:
        """Subproblems at ``y``: bounds, cuts, the iteration's record and the checkpoint."""
        blocks, master = self.decomposition.blocks, self.master
        sub_start = time.perf_counter()
        # in block order, whatever worker answered first: sums are then the same to the last digit on any executor
        results = sorted(self.executor.evaluate({b.index: y[b.linking] for b in blocks}), key=lambda r: r["index"])
        subproblems_s = time.perf_counter() - sub_start
        retried = [blocks[r["index"]].label for r in results if r["retried"]]
        if retried:
            self.warn(f"iteration {iteration}: subproblem(s) {', '.join(retried)} solved again from scratch after a warm start failed")
        point_cost = float(self.decomposition.master.cost @ y + sum(r["value"] for r in results) + self.decomposition.master.objective_offset)
        slack = max((r["slack_max"] for r in results), default=0.0)
        if slack <= SLACK_TOLERANCE and point_cost < self.best_upper:
            self.best_upper, self.best_point = point_cost, y.copy()
        if point_cost < self.best_penalised:
            self.best_penalised, self.center = point_cost, y.copy()
        master.add_cuts([(b.index, *master.cut(b.index, b.linking, y[b.linking], r["value"], r["gradient"])) for b, r in zip(blocks, results)])
        gap = _relative_gap(self.best_upper, lower)
        seconds = [r["seconds"] for r in results]
        self.history.append(Iteration(iteration, lower, self.best_upper, point_cost, gap, slack, master_s, subproblems_s, max(seconds),
                                      sum(seconds), master.n_cuts))
        self.log(f"benders {iteration:4d}: lower {lower:.8g}  upper {self.best_upper:.8g}  gap {gap:.2e}  point {point_cost:.8g}"
                 + (f"  slack {slack:.3g}" if slack > SLACK_TOLERANCE else "") + f"  master {master_s:.2f} s  subproblems {subproblems_s:.2f} s")
        self.checkpoint.save(master.state(), self.history, self.best_upper, self.best_point, self.best_penalised, self.center)

    # ------------------------------------------------------------------ after the loop
    def final_point(self, status: str) -> tuple[dict, np.ndarray]:
        """Each block's operation and duals at the best point, and the master's duals from its LP."""
        self.status = status
        if self.best_point is None:
            # no point met the master's values without slack yet: report the best penalised one (not optimal), so that
            # the run's iterations are kept and its checkpoint lets a longer run go on
            if self.center is None:
                raise BendersError("Benders stopped before its first iteration (benders.max_iterations or time_limit)")
            self.status, self.best_point = f"{status}; no point without slack yet", self.center
        final = {r["index"]: r for r in self.executor.evaluate({b.index: self.best_point[b.linking] for b in self.decomposition.blocks},
                                                               solution=True)}
        self.master.solve_lower()
        return final, self.master.duals

    def solution(self, final: dict, master_duals: np.ndarray, lower: float):
        """The whole programme's solution at the best point, with the run's record in ``info['benders']``."""
        from ..solve import Solution

        d, finished = self.decomposition, self.finished
        x, row_dual = _assemble(d, finished, self.best_point, final, master_duals)
        objective = float(finished.cost @ x + finished.objective_offset)
        violation = _largest_violation(finished, x)
        total_s = time.perf_counter() - self.start
        gap = _relative_gap(self.best_upper, lower) if np.isfinite(lower) else np.inf
        status = self.status
        optimal = status == "Optimal" and violation <= VIOLATION_TOLERANCE
        if status == "Optimal" and not optimal:
            status = "Infeasible point"
        self.log(f"benders: {status} after {len(self.history)} iteration(s) in {total_s:.1f} s: objective {objective:.8g} bn CNY, gap {gap:.2e}, "
                 f"largest violation {violation:.2e}")
        solution = Solution(
            status=status, optimal=optimal, objective=objective, x=x, row_dual=row_dual, solver="highs", solver_version=self.master.lp.version(),
            options={k: str(v) for k, v in self.merged.items()},
            timings={"transfer_s": self.partition_s + self.executor.startup_s, "solve_s": total_s - self.partition_s - self.executor.startup_s},
            info={
                "simplex_iterations": 0, "ipm_iterations": 0, "primal_infeasibility": violation, "dual_infeasibility": float("nan"),
                "solver_used": "benders", "solver_requested": str(self.merged.get("solver", "choose")), "solver_warnings": "; ".join(self.warnings),
                "benders": {
                    "history": self.history, "settings": {k: v for k, v in self.settings.items() if v is not None}, "penalty": self.penalty,
                    "blocks": len(d.blocks), "budgets": len(d.budget_row), "coupling_rows": len(d.coupling_rows),
                    "master_columns": len(d.master_columns), "workers": self.executor.workers, "executor": self.executor.name,
                    "lower_bound": lower, "upper_bound": self.best_upper, "gap": gap, "violation": violation, "startup_s": self.executor.startup_s,
                    "partition_s": self.partition_s, "block_seconds": [final[b.index]["seconds"] for b in d.blocks],
                    "block_labels": [b.label for b in d.blocks],
                },
            },
        )
        if not optimal:
            solution.diagnosis = [f"Benders stopped: {status} (gap {gap:.2e} against benders.gap {self.settings['gap']}, largest violation "
                                  f"{violation:.2e}); the best point found is reported; the same command resumes from the checkpoint "
                                  "(raise benders.max_iterations or time_limit)"]
        return solution


def myopic_start(model, decomposition: Decomposition, finished, options, out, log, warnings_given: list) -> np.ndarray | None:
    """The master values of the case's myopic pathway (``benders.start: myopic``): its capacities and each block's
    share of the coupling rows. A feasible point of the whole programme, so the first iteration gives an upper bound
    and the level set is centred on a sensible plan from the start. None, with a warning, where it cannot be had."""
    import dataclasses

    from ..foresight import ForesightError, WindowCheckpoint, solve_pathway

    case = model.case
    case = dataclasses.replace(case, settings={**case.settings, "foresight": "myopic", "method": "monolithic"})
    begin = time.perf_counter()
    start_out = Path(out).with_suffix(".start.nc") if out else None
    try:
        _, solution = solve_pathway(case, options, start_out, log=lambda *_: None)
    except ForesightError as error:
        warnings_given.append(f"benders.start: myopic not used: {error}")
        log(f"benders warning: {warnings_given[-1]}")
        return None
    if not solution.optimal or solution.x is None or len(solution.x) != decomposition.n_cols:
        warnings_given.append(f"benders.start: myopic not used: the myopic pathway ended {solution.status}"
                              + ("" if solution.x is None or len(solution.x) == decomposition.n_cols else " on another programme"))
        log(f"benders warning: {warnings_given[-1]}")
        return None
    if start_out is not None:
        WindowCheckpoint.remove(start_out)
    log(f"benders: start from the myopic pathway ({solution.objective:.8g} bn CNY, {time.perf_counter() - begin:.1f} s)")
    return decomposition.master_point(solution.x, finished.matrix.tocsr())


def _relative_gap(upper: float, lower: float) -> float:
    if not np.isfinite(upper) or not np.isfinite(lower):
        return np.inf
    return float((upper - lower) / max(abs(upper), 1e-9))


def _assemble(decomposition: Decomposition, finished, y: np.ndarray, final: dict, master_duals: np.ndarray):
    matrix = finished.matrix.tocsr()
    x = decomposition.assemble(y, {index: result["x"] for index, result in final.items()})
    x = decomposition.tighten(x, matrix, finished.row_lower, finished.row_upper)
    row_dual = np.zeros(decomposition.n_rows)
    n_master_rows = len(decomposition.master_rows)
    row_dual[decomposition.master_rows] = master_duals[:n_master_rows]
    row_dual[decomposition.coupling_rows] = master_duals[n_master_rows:]
    for block in decomposition.blocks:
        row_dual[block.rows] = final[block.index]["row_dual"][: len(block.rows)]
    return x, row_dual


def _largest_violation(finished, x: np.ndarray) -> float:
    activity = finished.matrix @ x
    rows = np.maximum(finished.row_lower - activity, activity - finished.row_upper)
    columns = np.maximum(finished.col_lower - x, x - finished.col_upper)
    return float(max(rows.max(initial=0.0), columns.max(initial=0.0), 0.0))


def annotate(ds, solution) -> None:
    """Add the decomposition's attributes and its iterations (dimension ``benders_iteration``) to a results dataset."""
    info = solution.info.get("benders")
    ds.attrs["method"] = "benders" if info else "monolithic"
    if not info:
        return
    import xarray as xr

    ds.attrs.update({
        "benders_iterations": len(info["history"]), "benders_lower_bound": float(info["lower_bound"]),
        "benders_upper_bound": float(info["upper_bound"]), "benders_gap": float(info["gap"]), "benders_blocks": int(info["blocks"]),
        "benders_budgets": int(info["budgets"]), "benders_coupling_rows": int(info["coupling_rows"]),
        "benders_master_columns": int(info["master_columns"]), "benders_workers": int(info["workers"]),
        "benders_executor": info["executor"], "benders_penalty": float(info["penalty"]), "benders_largest_violation": float(info["violation"]),
        "benders_settings": repr(info["settings"]),
    })
    history = info["history"]
    iterations = [h.iteration for h in history]
    units = {"lower_bound": "bn CNY", "upper_bound": "bn CNY", "point_cost": "bn CNY", "gap": "1", "slack": "unit of the linking column",
             "master_s": "s", "subproblems_s": "s", "subproblem_max_s": "s", "subproblem_sum_s": "s", "cuts": "1"}
    for name, unit in units.items():
        ds[f"benders_{name}"] = xr.DataArray([getattr(h, name) for h in history], dims="benders_iteration",
                                             coords={"benders_iteration": iterations}, attrs={"units": unit})
    ds["benders_block_s"] = xr.DataArray(info["block_seconds"], dims="benders_block", coords={"benders_block": info["block_labels"]},
                                         attrs={"units": "s", "description": "Solve time of each subproblem (period/representative periods) at the final point"})
