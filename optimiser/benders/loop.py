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
    from ..solve import DEFAULT_OPTIONS, Solution

    settings = options_of(model.case.settings) | (executor_override or {})
    merged = {**DEFAULT_OPTIONS, **(model.case.settings.get("solver") or {}), **(options or {})}
    start = time.perf_counter()
    finished, extensions = compile_program(model)
    decomposition = decompose(finished, model.lp, model.data.time, list(model.data.periods), int(settings["days_per_block"]),
                              relax=bool(settings.get("relax", True)))
    partition_s = time.perf_counter() - start
    penalty = float(settings["penalty"] or automatic_penalty(decomposition))
    log(f"benders: {len(decomposition.blocks)} subproblems (periods x blocks of {settings['days_per_block']} representative "
        f"period(s)); master {len(decomposition.master_columns)} columns + {len(decomposition.budget_row)} budgets over "
        f"{len(decomposition.coupling_rows)} coupling rows ({len(decomposition.relaxed_rows)} equalities held one-sided); "
        f"slack penalty {penalty:.4g} bn CNY/unit; partitioned in {partition_s:.2f} s")
    checkpoint = Checkpoint(Path(out).with_suffix(".benders.npz") if (out and settings["checkpoint"]) else None, decomposition.fingerprint())
    executor = make_executor(settings["executor"], [b.spec() for b in decomposition.blocks], penalty, None, int(settings["workers"]),
                             settings.get("scheduler"))
    history: list[Iteration] = []
    warnings_given: list[str] = []
    try:
        floors = executor.lower_bounds()
        master = Master(decomposition, np.array([floors[b.index] for b in decomposition.blocks]),
                        {"threads": merged.get("threads"), "level_solver": settings["level_solver"]})
        best_upper, best_point = np.inf, None
        # the level set is centred on the best penalised cost (slack allowed): an upper bound of the penalised
        # programme the cuts describe, available from the first iteration
        best_penalised, center = np.inf, None
        resumed = checkpoint.load()
        if resumed is not None:
            master.restore(resumed)
            history = [Iteration(**row) for row in resumed["history"]]
            best_upper = float(resumed["best_upper"])
            best_point = resumed["best_point"] if np.isfinite(best_upper) else None
            best_penalised = float(resumed["best_penalised"])
            center = resumed["center"] if len(resumed["center"]) else None
            log(f"benders: resuming from {checkpoint.path} after iteration {len(history)} ({master.n_cuts} cuts, "
                f"best upper bound {best_upper:.8g})")
        limit = settings["time_limit"]
        status, lower = "Iteration limit reached", -np.inf
        start_point = None
        if settings.get("start") and not history:
            start_point = myopic_start(model, decomposition, finished, options, out, log, warnings_given)
        while True:
            iteration = len(history) + 1
            if iteration > int(settings["max_iterations"]):
                break
            if limit is not None and time.perf_counter() - start > float(limit):
                status = "Time limit reached"
                break
            master_start = time.perf_counter()
            lower, point = master.solve_lower()
            lower += decomposition.master.objective_offset
            if np.isfinite(best_upper) and _relative_gap(best_upper, lower) <= float(settings["gap"]):
                status = "Optimal"
                log(f"benders: converged: lower bound {lower:.8g}, upper bound {best_upper:.8g}, gap {_relative_gap(best_upper, lower):.2e}")
                break
            if start_point is not None:  # the first point is the start's (the master LP still gives the lower bound)
                point, start_point = np.r_[start_point, point[master.n_y :]], None
            elif settings["regularisation"] == "level_set" and center is not None:
                level = lower - decomposition.master.objective_offset + float(settings["level"]) * (best_penalised - lower)
                interior = master.solve_level(level, center, point)
                if interior is not None:
                    point = interior
                else:
                    warnings_given.append(f"iteration {iteration}: the level-set step ended '{master.level_status}'; the master LP's point was used")
                    log(f"benders warning: {warnings_given[-1]}")
            master_s = time.perf_counter() - master_start
            y = point[: master.n_y]
            sub_start = time.perf_counter()
            # in block order, whatever worker answered first: sums are then the same to the last digit on any executor
            results = sorted(executor.evaluate({b.index: y[b.linking] for b in decomposition.blocks}), key=lambda r: r["index"])
            subproblems_s = time.perf_counter() - sub_start
            by_block = {r["index"]: r for r in results}
            retried = [decomposition.blocks[r["index"]].label for r in results if r["retried"]]
            if retried:
                warnings_given.append(f"iteration {iteration}: subproblem(s) {', '.join(retried)} solved again from scratch after a warm start failed")
                log(f"benders warning: {warnings_given[-1]}")
            point_cost = float(decomposition.master.cost @ y + sum(r["value"] for r in results) + decomposition.master.objective_offset)
            slack = max((r["slack_max"] for r in results), default=0.0)
            if slack <= SLACK_TOLERANCE and point_cost < best_upper:
                best_upper, best_point = point_cost, y.copy()
            if point_cost < best_penalised:
                best_penalised, center = point_cost, y.copy()
            master.add_cuts([(b.index, *master.cut(b.index, b.linking, y[b.linking], by_block[b.index]["value"], by_block[b.index]["gradient"]))
                             for b in decomposition.blocks])
            gap = _relative_gap(best_upper, lower)
            seconds = [r["seconds"] for r in results]
            history.append(Iteration(iteration, lower, best_upper, point_cost, gap, slack, master_s, subproblems_s, max(seconds), sum(seconds), master.n_cuts))
            log(f"benders {iteration:4d}: lower {lower:.8g}  upper {best_upper:.8g}  gap {gap:.2e}  point {point_cost:.8g}"
                + (f"  slack {slack:.3g}" if slack > SLACK_TOLERANCE else "") + f"  master {master_s:.2f} s  subproblems {subproblems_s:.2f} s")
            checkpoint.save(master.state(), history, best_upper, best_point, best_penalised, center)
        if best_point is None:
            # no point met the master's values without slack yet: report the best penalised one (not optimal), so that
            # the run's iterations are kept and its checkpoint lets a longer run go on
            if center is None:
                raise BendersError("Benders stopped before its first iteration (benders.max_iterations or time_limit)")
            status, best_point = f"{status}; no point without slack yet", center
        # the final point: each block's operation and duals at the best point; the master's duals from its LP
        final = {r["index"]: r for r in executor.evaluate({b.index: best_point[b.linking] for b in decomposition.blocks}, solution=True)}
        master.solve_lower()
        master_duals = master.duals
    finally:
        executor.close()
    x, row_dual = _assemble(decomposition, finished, best_point, final, master_duals)
    objective = float(finished.cost @ x + finished.objective_offset)
    violation = _largest_violation(finished, x)
    total_s = time.perf_counter() - start
    gap = _relative_gap(best_upper, lower) if np.isfinite(lower) else np.inf
    optimal = status == "Optimal" and violation <= VIOLATION_TOLERANCE
    if status == "Optimal" and not optimal:
        status = "Infeasible point"
    log(f"benders: {status} after {len(history)} iteration(s) in {total_s:.1f} s: objective {objective:.8g} bn CNY, gap {gap:.2e}, "
        f"largest violation {violation:.2e}")
    solution = Solution(
        status=status, optimal=optimal, objective=objective, x=x, row_dual=row_dual, solver="highs", solver_version=master.lp.version(),
        options={k: str(v) for k, v in merged.items()},
        timings={"transfer_s": partition_s + executor.startup_s, "solve_s": total_s - partition_s - executor.startup_s},
        info={
            "simplex_iterations": 0, "ipm_iterations": 0, "primal_infeasibility": violation, "dual_infeasibility": float("nan"),
            "solver_used": "benders", "solver_requested": str(merged.get("solver", "choose")), "solver_warnings": "; ".join(warnings_given),
            "benders": {
                "history": history, "settings": {k: v for k, v in settings.items() if v is not None}, "penalty": penalty,
                "blocks": len(decomposition.blocks), "budgets": len(decomposition.budget_row), "coupling_rows": len(decomposition.coupling_rows),
                "master_columns": len(decomposition.master_columns), "workers": executor.workers, "executor": executor.name,
                "lower_bound": lower, "upper_bound": best_upper, "gap": gap, "violation": violation, "startup_s": executor.startup_s,
                "partition_s": partition_s, "block_seconds": [final[b.index]["seconds"] for b in decomposition.blocks],
                "block_labels": [b.label for b in decomposition.blocks],
            },
        },
    )
    if not optimal:
        solution.diagnosis = [f"Benders stopped: {status} (gap {gap:.2e} against benders.gap {settings['gap']}, largest violation {violation:.2e}); "
                              "the best point found is reported; the same command resumes from the checkpoint (raise benders.max_iterations "
                              "or time_limit)"]
    solution.extensions = extensions
    attach_solution(model, extensions, x, row_dual)
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
