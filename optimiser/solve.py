"""Solving with HiGHS in memory: the model's arrays are handed to ``highspy`` in one
``passModel`` call (no LP file), options pass through, the log goes to a file, and a
model that is not optimal gets a diagnosis."""

from __future__ import annotations

import difflib
import functools
import math
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import highspy
import numpy as np

from .model import Model
from .model.program import Extensions, attach_solution, compile_program

DEFAULT_OPTIONS = {"solver": "choose"}
OPTIONS_URL = "https://ergo-code.github.io/HiGHS/stable/options/definitions/"
#: penalty per unit of slack in the feasibility re-solve
SLACK_PENALTY = 1.0
#: slacks below this are not reported
SLACK_TOLERANCE = 1e-6


class SolverOptionError(ValueError):
    """An unknown HiGHS option or a value of the wrong type."""


class SolverFallbackWarning(UserWarning):
    """The solver a case asks for is not installed; another one is used (the results record which)."""


def hipo_fallback_message() -> str:
    """What a run that asks for HiPO without it does, what that costs, and how to mend the install."""
    from importlib import metadata

    def version(name):
        try:
            return metadata.version(name)
        except metadata.PackageNotFoundError:
            return "not installed"

    return (
        f"HiPO is not available (highspy {version('highspy')}, highspy-extras {version('highspy-extras')}; they must share their "
        "minor version): solving with IPX instead, about 2.4x slower on the China case (benchmarks/RESULTS.md). "
        "Install the locked environment: pip install -c lock.txt -e .   (optimiser doctor checks it)"
    )


@dataclass
class Solution:
    status: str
    optimal: bool
    objective: float
    x: np.ndarray | None
    row_dual: np.ndarray | None
    solver: str
    solver_version: str
    options: dict
    timings: dict = field(default_factory=dict)
    log_file: str | None = None
    diagnosis: list[str] = field(default_factory=list)
    info: dict = field(default_factory=dict)
    #: what the user added to or changed in the Pyomo model (rows and columns after the model's own)
    extensions: Extensions = field(default_factory=Extensions)

    def message(self) -> str:
        lines = [f"HiGHS status: {self.status}"]
        lines += [f"  {line}" for line in self.diagnosis]
        return "\n".join(lines)


@functools.cache
def option_names() -> tuple[str, ...]:
    """Names of HiGHS's options (for "did you mean")."""
    highs = highspy.Highs()
    return tuple(name for name in dir(highs.getOptions()) if not name.startswith("_") and highs.getOptionType(name)[0] == highspy.HighsStatus.kOk)


def parse_option_value(highs: highspy.Highs, name: str, value):
    """Convert a (possibly string) option value to the type HiGHS expects for ``name``."""
    status, kind = highs.getOptionType(name)
    if status != highspy.HighsStatus.kOk:
        close = difflib.get_close_matches(str(name), option_names(), n=3, cutoff=0.6)
        hint = f"; did you mean {' or '.join(repr(c) for c in close)}?" if close else f" (the options are listed at {OPTIONS_URL})"
        raise SolverOptionError(f"unknown HiGHS option '{name}'{hint}")
    try:
        if kind == highspy.HighsOptionType.kBool:
            if isinstance(value, str):
                lowered = value.strip().lower()
                if lowered not in ("true", "false", "1", "0", "on", "off"):
                    raise ValueError(value)
                return lowered in ("true", "1", "on")
            return bool(value)
        if kind == highspy.HighsOptionType.kInt:
            if isinstance(value, bool) or (isinstance(value, float) and not value.is_integer()):
                raise ValueError(value)  # int() would silently make 2.5 threads 2
            return int(value)
        if kind == highspy.HighsOptionType.kDouble:
            if isinstance(value, bool) or not math.isfinite(float(value)):
                raise ValueError(value)
            return float(value)
        return str(value)
    except (TypeError, ValueError):
        noun = {"kBool": "true or false", "kInt": "an integer", "kDouble": "a number"}.get(kind.name, "text")
        raise SolverOptionError(f"HiGHS option '{name}' expects {noun}, got {value!r}") from None


def option_problems(options: dict) -> list[tuple[str, object, str]]:
    """(option, value, what is wrong) for each option HiGHS does not know or whose value is of the wrong type."""
    highs = highspy.Highs()
    highs.setOptionValue("output_flag", False)
    problems = []
    for name, value in options.items():
        try:
            parse_option_value(highs, str(name), value)
        except SolverOptionError as error:
            problems.append((str(name), value, f"a HiGHS option and value: {error}"))
    return problems


_scheduler_threads: list = [None]  # thread count of HiGHS's process-wide scheduler, once started


def _new_highs(options: dict, log_file: str | None) -> highspy.Highs:
    # HiGHS keeps one thread pool per process: a solve asking for another thread count than the
    # pool was started with ends with status 'Not Set' unless the pool is restarted first
    threads = options.get("threads")
    if threads is not None:
        threads = parse_option_value(highspy.Highs(), "threads", threads)
        if _scheduler_threads[0] is not None and _scheduler_threads[0] != threads:
            highspy.Highs.resetGlobalScheduler(True)
        _scheduler_threads[0] = threads
    highs = highspy.Highs()
    highs.setOptionValue("output_flag", True)
    highs.setOptionValue("log_to_console", False)
    if log_file:
        Path(log_file).parent.mkdir(parents=True, exist_ok=True)
        highs.setOptionValue("log_file", str(log_file))
    else:
        highs.setOptionValue("output_flag", False)
    for name, value in options.items():
        value = parse_option_value(highs, name, value)
        if name == "solver" and value == "hipo" and not hipo_available():
            # HiPO needs highspy-extras (BLAS and orderings); IPX is HiGHS's other interior-point solver
            warnings.warn(hipo_fallback_message(), SolverFallbackWarning, stacklevel=3)
            value = "ipx"
        status = highs.setOptionValue(name, value)
        if status != highspy.HighsStatus.kOk:
            raise SolverOptionError(f"HiGHS rejected option {name}={value!r}")
    return highs


@functools.cache
def hipo_available() -> bool:
    """Whether this HiGHS can run its HiPO interior-point solver (``highspy-extras`` of the same minor version as ``highspy``, pinned in lock.txt)."""
    probe = highspy.Highs()
    probe.setOptionValue("output_flag", False)
    return probe.setOptionValue("solver", "hipo") == highspy.HighsStatus.kOk


def effective_solver(options: dict) -> str:
    """The HiGHS solver a run with ``options`` uses (``hipo`` falls back to ``ipx`` without highspy-extras)."""
    solver = str(options.get("solver", "choose"))
    return "ipx" if solver == "hipo" and not hipo_available() else solver


def _pass(highs: highspy.Highs, cost, col_lower, col_upper, matrix_csc, row_lower, row_upper, offset=0.0) -> None:
    status = highs.passModel(
        int(matrix_csc.shape[1]),
        int(matrix_csc.shape[0]),
        int(matrix_csc.nnz),
        1,  # column-wise
        1,  # minimise
        float(offset),
        np.ascontiguousarray(cost, dtype=np.float64),
        np.ascontiguousarray(col_lower, dtype=np.float64),
        np.ascontiguousarray(col_upper, dtype=np.float64),
        np.ascontiguousarray(row_lower, dtype=np.float64),
        np.ascontiguousarray(row_upper, dtype=np.float64),
        matrix_csc.indptr.astype(np.int32),
        matrix_csc.indices.astype(np.int32),
        matrix_csc.data.astype(np.float64),
        np.zeros(int(matrix_csc.shape[1]), dtype=np.int32),  # all columns continuous
    )
    if status == highspy.HighsStatus.kError:
        raise RuntimeError("HiGHS refused the model (passModel returned an error)")


def solve(model: Model, options: dict | None = None, log_file: str | Path | None = None, diagnose: bool = True) -> Solution:
    """Solve the model with HiGHS in memory; on infeasibility, diagnose which constraint families conflict.

    The programme is the model's arrays plus whatever the user added to or changed in ``model.pyomo``
    (:mod:`.model.program`); the solution is given back to the Pyomo model's variables (and to an IMPORT ``dual``
    Suffix, if the model has one).
    """
    merged = {**DEFAULT_OPTIONS, **(model.case.settings.get("solver") or {}), **(options or {})}
    timings = {}
    start = time.perf_counter()
    finished, extensions = compile_program(model)
    csc = finished.matrix.tocsc()
    highs = _new_highs(merged, str(log_file) if log_file else None)
    _pass(highs, finished.cost, finished.col_lower, finished.col_upper, csc, finished.row_lower, finished.row_upper, finished.objective_offset)
    timings["transfer_s"] = time.perf_counter() - start
    start = time.perf_counter()
    highs.run()
    timings["solve_s"] = time.perf_counter() - start
    solution = _solution(highs, merged, timings, str(log_file) if log_file else None)
    solution.extensions = extensions
    if extensions.sense == -1:  # a maximised user objective: HiGHS minimised its negative
        solution.objective = -solution.objective
    attach_solution(model, extensions, solution.x, solution.row_dual)
    status = highs.getModelStatus()
    status_text = solution.status
    if not solution.optimal and diagnose:
        if status in (highspy.HighsModelStatus.kInfeasible, highspy.HighsModelStatus.kUnboundedOrInfeasible):
            solution.diagnosis = diagnose_infeasibility(model, merged)
        elif status == highspy.HighsModelStatus.kUnbounded:
            solution.diagnosis = diagnose_unbounded(model, merged)
        elif status == highspy.HighsModelStatus.kTimeLimit:
            solution.diagnosis = ["the time limit was reached before an optimum was proven; raise time_limit or try solver=ipm"]
        else:
            solution.diagnosis = [f"HiGHS stopped with status '{status_text}'; see the log {log_file}"]
    highs.clear()
    return solution


def _solution(highs: highspy.Highs, options: dict, timings: dict, log_file: str | None) -> Solution:
    """The status, objective, primal values and row duals of a HiGHS instance that has run."""
    status = highs.getModelStatus()
    info = highs.getInfo()
    optimal = status == highspy.HighsModelStatus.kOptimal
    solution = Solution(
        status=highs.modelStatusToString(status),
        optimal=optimal,
        objective=float(info.objective_function_value) if optimal else float("nan"),
        x=None,
        row_dual=None,
        solver="highs",
        solver_version=highs.version(),
        options={k: str(v) for k, v in options.items()},
        timings=timings,
        log_file=log_file,
        info={
            "simplex_iterations": int(info.simplex_iteration_count),
            "ipm_iterations": int(info.ipm_iteration_count),
            "primal_infeasibility": float(info.max_primal_infeasibility),
            "dual_infeasibility": float(info.max_dual_infeasibility),
            "solver_used": effective_solver(options),
            "solver_requested": str(options.get("solver", "choose")),
            "solver_warnings": hipo_fallback_message() if effective_solver(options) != str(options.get("solver", "choose")) else "",
        },
    )
    if optimal:
        values = highs.getSolution()
        solution.x = np.asarray(values.col_value, dtype=float)
        solution.row_dual = np.asarray(values.row_dual, dtype=float)
    return solution


def _describe(labels: dict) -> str:
    return ", ".join(f"{k}={v}" for k, v in labels.items())


def diagnose_infeasibility(model: Model, options: dict) -> list[str]:
    """Re-solve with penalised slacks on the elastic families (carrier balances, CO2 caps and budget,
    regional caps, minimum capacities) and name the ones that had to be violated, by how much, where and when."""
    lp = model.lp
    finished = lp.finish()
    matrix = finished.matrix.tocoo()
    n_cols = lp.n_cols
    slack_rows, slack_signs, slack_penalty = [], [], []
    weight = model.data.time["weight_h"].to_numpy()
    for family in lp.constraints.values():
        if not family.elastic:
            continue
        rows = np.arange(family.offset, family.offset + family.size)
        # a timed slack (GW in one step) is penalised per TWh it stands for; others per unit (Mt, GW)
        penalty = np.tile(weight * 1e-3, family.n_keys) if family.timed else np.ones(family.size)
        signs = {"==": (1.0, -1.0), "<=": (-1.0,), ">=": (1.0,)}[family.sense]
        for sign in signs:
            slack_rows.append(rows)
            slack_signs.append(np.full(len(rows), sign))
            slack_penalty.append(penalty * SLACK_PENALTY)
    if not slack_rows:
        return ["the model is infeasible and has no elastic constraint families to relax"]
    rows = np.concatenate(slack_rows)
    signs = np.concatenate(slack_signs)
    n_slack = len(rows)
    import scipy.sparse as sp

    extended = sp.coo_matrix(
        (
            np.concatenate([matrix.data, signs]),
            (np.concatenate([matrix.row, rows]), np.concatenate([matrix.col, n_cols + np.arange(n_slack)])),
        ),
        shape=(lp.n_rows, n_cols + n_slack),
    ).tocsc()
    cost = np.concatenate([np.zeros(n_cols), np.concatenate(slack_penalty)])
    lower = np.concatenate([finished.col_lower, np.zeros(n_slack)])
    upper = np.concatenate([finished.col_upper, np.full(n_slack, np.inf)])
    highs = _new_highs({k: v for k, v in options.items() if k != "log_file"}, None)
    _pass(highs, cost, lower, upper, extended, finished.row_lower, finished.row_upper)
    highs.run()
    if highs.getModelStatus() != highspy.HighsModelStatus.kOptimal:
        return [
            "the model stays infeasible even with balances, CO2 caps and budget, regional caps and minimum capacities relaxed: "
            "check minimum loads against availability, energy budgets against minimum loads, and storage settings"
        ]
    x = np.asarray(highs.getSolution().col_value)
    slack = x[n_cols:]
    used = np.flatnonzero(slack > SLACK_TOLERANCE)
    lines = ["the model is infeasible; relaxing it needs these violations (minimum total violation):"]
    grouped: dict = {}
    for position in used:
        row = int(rows[position])
        name, labels = lp.row_labels(row)
        time_label = labels.pop("time", None)
        key = (name, tuple(labels.items()), signs[position])
        entry = grouped.setdefault(key, {"max": 0.0, "energy": 0.0, "steps": 0})
        entry["max"] = max(entry["max"], float(slack[position]))
        entry["steps"] += 1
        if time_label is not None:
            t = int(np.flatnonzero(lp.time_labels == time_label)[0])
            entry["energy"] += float(slack[position]) * weight[t] / 1e3
    for (name, labels, sign), entry in sorted(grouped.items(), key=lambda item: -item[1]["max"]):
        where = _describe(dict(labels))
        family = lp.constraints[name]
        if name == "balance":
            what = "supply short of demand" if sign > 0 else "supply in excess of demand (must-run output with nowhere to go)"
            lines.append(f"- {what} at {where}: up to {entry['max']:.4g} GW in {entry['steps']} time step(s), {entry['energy']:.4g} TWh/yr")
        elif name == "co2_cap":
            lines.append(f"- CO2 cap exceeded in {where} by {entry['max']:.4g} Mt CO2/yr")
        elif name == "capacity_minimum":
            lines.append(f"- minimum capacity not reachable at {where}: short by {entry['max']:.4g} GW")
        else:
            lines.append(f"- {family.doc} violated at {where} by {entry['max']:.4g} {family.units}")
    # which potentials and build limits bind in the relaxed solution
    binding = []
    for family in lp.variables.values():
        finite = np.isfinite(family.upper)
        if not finite.any():
            continue
        values = x[family.offset : family.offset + family.size]
        at_bound = finite & (values >= family.upper - 1e-6) & (family.upper > 0)
        for position in np.flatnonzero(at_bound)[:20]:
            key_pos = position // family.n_time if family.timed else position
            binding.append(f"  {family.name} at its upper limit {family.upper[position]:.4g} {family.units}: {_describe(family.keys.iloc[key_pos].to_dict())}")
    if binding:
        lines.append("- limits binding in the relaxed solution (potentials, build rates):")
        lines += binding
    return lines


def diagnose_unbounded(model: Model, options: dict) -> list[str]:
    """Re-solve with every column bounded by 1e6 and name the variables that run to that bound."""
    lp = model.lp
    finished = lp.finish()
    bound = 1e6
    lower = np.maximum(finished.col_lower, -bound)
    upper = np.minimum(finished.col_upper, bound)
    highs = _new_highs(options, None)
    _pass(highs, finished.cost, lower, upper, finished.matrix.tocsc(), finished.row_lower, finished.row_upper)
    highs.run()
    if highs.getModelStatus() != highspy.HighsModelStatus.kOptimal:
        return ["the model is unbounded; bounding all variables did not give an optimum either"]
    x = np.asarray(highs.getSolution().col_value)
    lines = ["the model is unbounded: these variables run away (a negative cost with no limit?):"]
    for family in lp.variables.values():
        values = x[family.offset : family.offset + family.size]
        runaway = np.flatnonzero(np.abs(values) >= bound * 0.999)
        for position in runaway[:10]:
            key_pos = position // family.n_time if family.timed else position
            lines.append(f"- {family.name}: {_describe(family.keys.iloc[key_pos].to_dict())}")
    return lines
