"""The main job: load, build, solve, extract and write a case's results."""

from __future__ import annotations

import os
import time
from pathlib import Path

import xarray as xr

from . import benders, foresight
from .inputs import InputError, InputIssue, load_case
from .model import build_model
from .pyomo_solvers import IN_MEMORY, solve_pyomo
from .results import extract, write_results
from .solve import solve
from .timeagg import aggregate

DEFAULT_CASE = Path(__file__).resolve().parent.parent / "inputs" / "china"


def default_output(case_name: str) -> Path:
    return Path("results") / f"{case_name}.nc"


class OutputPathError(InputError):
    """The results cannot be written where asked (found before anything is solved)."""

    def report(self) -> str:
        return "\n".join([f"cannot write the results to {self.case_path}:"] + [f"  - {issue.expected}" for issue in self.issues])


def check_output_path(out: Path, schedule: bool = False) -> None:
    """Raise :class:`OutputPathError` unless the results file ``out``, its HiGHS log and (``schedule``) the folder of
    the deployment schedule beside it can be written: checked before the solve, so that a long run never fails at
    its end."""
    out = Path(out)
    problems = []
    if out.is_dir():
        problems.append(f"{out} is a folder: --out takes a file name, e.g. {out / 'case.nc'}")
    existing = out.parent
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if existing.exists() and not existing.is_dir():
        problems.append(f"{existing} is a file, so the folder {out.parent} cannot be made for the results")
    elif not os.access(existing, os.W_OK | os.X_OK):
        problems.append(f"the folder {existing} is not writable")
    if out.with_suffix(".highs.log").is_dir():
        problems.append(f"{out.with_suffix('.highs.log')} is a folder, so the HiGHS log cannot be written")
    if schedule:
        folder = out.with_suffix("")
        if folder == out:
            problems.append(f"{out} has no extension, but the schedule folder beside it takes the name without one: use e.g. {out}.nc")
        elif folder.exists() and not folder.is_dir():
            problems.append(f"{folder} is a file, but the deployment schedule, plots and report go into a folder of that name")
    if problems:
        raise OutputPathError([InputIssue(str(out), None, None, None, problem) for problem in problems], out)


def run(
    case_path=DEFAULT_CASE, out=None, options: dict | None = None, log=print, schedule: bool = False, warm=None, solver: str | None = None,
    settings: dict | None = None,
) -> tuple[xr.Dataset, Path]:
    """Solve a case and write its results atomically; returns the dataset and the file written.

    ``solver`` names a Pyomo solver interface (``appsi_highs``, ``highs``, ``glpk``, ``cbc``, ``gurobi``, ...) that
    solves ``model.pyomo`` instead of HiGHS in memory (the default, ``None``); ``options`` then go to that solver.

    ``schedule=True`` then writes the deployment schedule, plots and report.html into the folder
    beside the results file named after it (results/<case>/), as ``optimiser run`` does.
    ``warm`` (an :class:`optimiser.warm.WarmSolver`) re-solves in place when only numbers changed
    since its previous model (sweeps); the Pyomo objects are then not built.
    ``settings`` override the case's settings (validated like settings.yaml), e.g. ``{"foresight": "myopic"}``.
    With ``foresight: myopic`` or ``rolling`` the case is solved window by window and the results are the stitched
    pathway (:mod:`optimiser.foresight`); ``warm`` is then not used (windows differ in structure). With
    ``method: benders`` the programme is solved by decomposition (:mod:`optimiser.benders`), also without ``warm``.
    """
    start = time.perf_counter()
    case = load_case(case_path)
    if settings:
        if isinstance(settings.get("benders"), dict):  # options given one by one (--benders-option) add to the case's
            settings = {**settings, "benders": {**(case.settings.get("benders") or {}), **settings["benders"]}}
        case = override_settings(case, settings)
    log(f"case {case.name}: " + ", ".join(f"{v} {k}" for k, v in case.summary().items()))
    for warning in case.warnings:
        log(f"warning: {warning}")
    out = Path(out) if out else default_output(case.name)
    check_output_path(out, schedule)
    case = aggregate(case)
    if case.time_aggregation is not None:
        info = case.time_aggregation
        log(f"time aggregation {info['method']}: {info['original_steps']} -> {info['steps']} time steps in {info['seconds']:.2f} s")
        for row in info["representation_error"]:
            if row["series"] in ("demand", "net_load"):
                log(f"  {row['series']}: peak {row['aggregated_peak']:.1f} {row['unit']} (full year {row['full_peak']:.1f}), "
                    f"duration-curve RMSE {row['duration_rmse']:.1f} {row['unit']}")
    pyomo_route = solver not in (None, IN_MEMORY)
    if foresight.mode(case) != "perfect":
        if warm is not None:
            log(f"foresight {foresight.mode(case)}: windows are solved cold (a warm re-solve needs a model of the same structure)")
        model, solution = foresight.solve_pathway(case, options, out=out, solver=solver if pyomo_route else None, log=log)
    elif benders.method(case) == "benders":
        model, solution = _solve_benders(case, out, options, log, solver if pyomo_route else None)
    else:
        model, solution = _solve_whole(case, out, options, log, warm, solver if pyomo_route else None)
    extract_start = time.perf_counter()
    results = extract(model, solution)
    foresight.annotate(results, model, solution)
    benders.annotate(results, solution)
    results.attrs["extract_s"] = time.perf_counter() - extract_start
    results.attrs["total_s"] = time.perf_counter() - start
    write_results(results, out)
    log(f"results written to {out}")
    if foresight.mode(case) != "perfect" and results.attrs.get("optimal"):
        foresight.WindowCheckpoint.remove(out)  # the pathway is in the results now
    if schedule and results.attrs.get("optimal"):
        from .postprocess import postprocess

        folder = out.with_suffix("")
        written = postprocess(results, folder)
        log(f"deployment schedule, plots and report ({len(written)} files) written to {folder}/ (report: {folder / 'report.html'})")
    return results, out


def _solve_whole(case, out: Path, options, log, warm, solver):
    """Build and solve all periods at once (perfect foresight): in memory, warm, or through Pyomo's ``solver``."""
    model = build_model(case, pyomo=warm is None or solver is not None, previous=warm.model if warm is not None else None)
    stats = model.statistics()
    log(f"model: {stats['variables']} variables, {stats['constraints']} constraints, {stats['nonzeros']} non-zeros "
        f"(built in {sum(model.timings.values()):.2f} s)")
    log_file = out.with_suffix(".highs.log")
    if model.extensions:
        log("extensions applied: " + ", ".join(Path(e["path"]).name for e in model.extensions))
    if solver is not None:
        solution = solve_pyomo(model, solver, options, log_file=log_file)
    elif warm is None:
        solution = solve(model, options, log_file=log_file)
    else:
        warm.options.update(options or {})
        warm.log_file = str(log_file)
        solution = warm.solve(model)
        log(f"{solution.info['route']} solve")
    for change in solution.extensions.changes:
        log(f"  solved with the Pyomo model's {change}")
    log(f"{solver or 'HiGHS'} {solution.solver_version}: {solution.status} in {solution.timings['solve_s']:.2f} s (log: {log_file})")
    return model, solution


def _solve_benders(case, out: Path, options, log, solver):
    """Build the whole programme and solve it by Benders decomposition (:mod:`optimiser.benders`)."""
    if solver is not None:
        raise benders.BendersError(f"method: benders solves with HiGHS in memory; --solver {solver} needs method: monolithic")
    model = build_model(case, pyomo=False)
    stats = model.statistics()
    log(f"model: {stats['variables']} variables, {stats['constraints']} constraints, {stats['nonzeros']} non-zeros "
        f"(built in {sum(model.timings.values()):.2f} s)")
    if model.extensions:
        log("extensions applied: " + ", ".join(Path(e["path"]).name for e in model.extensions))
    return model, benders.solve_benders(model, options, out=out, log=log)


def override_settings(case, settings: dict):
    """``case`` with ``settings`` (name: value) replacing its own, validated like settings.yaml (ScenarioError if not)."""
    from .scenarios import apply_scenario

    return apply_scenario(case, [{"setting": name, "set": value} for name, value in settings.items()])
