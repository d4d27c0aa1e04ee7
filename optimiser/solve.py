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
import pandas as pd

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


#: values of HiGHS's ``solver`` option (for "did you mean")
SOLVER_VALUES = ("choose", "simplex", "ipm", "ipx", "hipo", "pdlp", "qpasm")


def option_problems(options: dict) -> list[tuple[str, object, str]]:
    """(option, value, what is wrong) for each option HiGHS does not know, whose value is of the wrong type, or (text
    options) whose value HiGHS refuses, such as solver=ipmx; file options are not tried, and solver=hipo falls back
    to IPX where HiPO is missing (``_new_highs``)."""
    highs = highspy.Highs()
    highs.setOptionValue("output_flag", False)
    problems = []
    for name, value in options.items():
        try:
            parsed = parse_option_value(highs, str(name), value)
        except SolverOptionError as error:
            problems.append((str(name), value, str(error)))
            continue
        tried = isinstance(parsed, str) and not str(name).endswith("_file") and not (name == "solver" and parsed == "hipo")
        if tried and highs.setOptionValue(str(name), parsed) != highspy.HighsStatus.kOk:
            close = difflib.get_close_matches(parsed, SOLVER_VALUES, n=2, cutoff=0.6) if name == "solver" else []
            hint = f" (did you mean {' or '.join(repr(c) for c in close)}?)" if close else (f": one of {', '.join(SOLVER_VALUES)}" if name == "solver" else "")
            problems.append((str(name), value, f"HiGHS refuses {name}={parsed!r}{hint}"))
    return problems


#: thread count of HiGHS's process-wide scheduler as we last started it; UNKNOWN until our first start, and again
#: after code outside ours may have started it (tsam's k-medoids solves its MILP with HiGHS in this process)
UNKNOWN = object()
_scheduler_threads: list = [UNKNOWN]


def use_threads(threads) -> None:
    """Make HiGHS's process-wide thread pool run ``threads`` threads before a solve that asks for them.

    HiGHS keeps one pool per process, started by the first solve with that solve's ``threads``; a later solve
    asking for another count ends at once with status 'Not Set' ("global scheduler has already been initialized")
    unless the pool is restarted first. It is restarted whenever the count differs from ours or is unknown."""
    if threads is None:
        return
    if not isinstance(threads, int) or isinstance(threads, bool):  # a setting's text: parsed as HiGHS would
        threads = parse_option_value(highspy.Highs(), "threads", threads)
    if _scheduler_threads[0] is UNKNOWN or _scheduler_threads[0] != threads:
        highspy.Highs.resetGlobalScheduler(True)
    _scheduler_threads[0] = threads


def forget_threads() -> None:
    """Say that code outside ours may have started HiGHS's thread pool (the next solve restarts it)."""
    _scheduler_threads[0] = UNKNOWN


def _new_highs(options: dict, log_file: str | None) -> highspy.Highs:
    use_threads(options.get("threads"))
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


class PostsolveWarning(UserWarning):
    """HiGHS's postsolve of an interior-point solution failed its optimality check; the LP is solved again without
    presolve (the results record it in ``solver_warnings``)."""


def _resolve_without_presolve(highs: highspy.Highs, options: dict) -> str:
    """Solve again without presolve when an interior-point solve without crossover ended 'Unknown': HiGHS then found
    the presolved LP optimal, but postsolve (which recovers the duals of the rows presolve removed, exactly only from a
    vertex) left dual residuals above tolerance and HiGHS downgraded the status. Without presolve there is no postsolve;
    the interior-point solution is checked as it is. Returns the warning given ('' if none)."""
    if highs.getModelStatus() != highspy.HighsModelStatus.kUnknown:
        return ""
    solver = effective_solver(options)
    if solver not in ("ipm", "ipx", "hipo") or str(options.get("run_crossover", "on")) != "off" or str(options.get("presolve", "choose")) == "off":
        return ""
    info = highs.getInfo()
    message = (
        f"HiGHS's postsolve of the {solver} solution left errors above tolerance (status 'Unknown' after an optimal "
        f"presolved LP, objective {info.objective_function_value:.10g}): solving again with presolve off. This doubles "
        "the solve time of this run; options solver: simplex, or run_crossover: 'on', avoid it, as may another time "
        "aggregation (benchmarks/RESULTS.md, 'Postsolve')"
    )
    warnings.warn(message, PostsolveWarning, stacklevel=3)
    highs.setOptionValue("presolve", "off")
    highs.clearSolver()
    highs.run()
    highs.setOptionValue("presolve", str(options.get("presolve", "choose")))
    status = highs.modelStatusToString(highs.getModelStatus())
    return message + f"; without presolve: {status}"


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
    resolved = _resolve_without_presolve(highs, merged)
    timings["solve_s"] = time.perf_counter() - start
    solution = _solution(highs, merged, timings, str(log_file) if log_file else None)
    if resolved:
        solution.info["solver_warnings"] = "; ".join(filter(None, [solution.info["solver_warnings"], resolved]))
        solution.info["presolve_retry"] = True
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
            errors = _log_errors(log_file)
            solution.diagnosis = [f"HiGHS stopped with status '{status_text}'" + (f": {errors}" if errors else "") + f"; see the log {log_file}"]
    highs.clear()
    return solution


def _log_errors(log_file) -> str:
    """The ERROR lines HiGHS wrote to ``log_file`` in its last run (the file collects every run of a case)."""
    try:
        text = Path(log_file).read_text(errors="replace") if log_file else ""
    except OSError:
        return ""
    last_run = text.rsplit("Running HiGHS", 1)[-1]
    return " ".join(line.strip() for line in last_run.splitlines() if line.lstrip().startswith("ERROR"))


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


#: Elastic constraint families by class, in the order the diagnosis relaxes them, with the factor on their slack
#: penalty. A limit a modeller sets is relaxed before any demand goes unserved or supply is dumped (a balance costs a
#: thousand times more): resource estimates first (what a store, a reservoir or a fuel can give), then requirements
#: (minimum capacities, reserve margins), then policy limits; the small steps between the three only break ties.
RELAXATION_ORDER = (
    ("resource limit", ("cumulative_limit", "energy_budget", "energy_budget_month"), 1.0),
    ("requirement", ("capacity_minimum", "reserve_margin"), 1.1),
    ("policy limit", ("co2_cap", "regional_co2_cap", "co2_budget"), 1.2),
    ("balance", ("balance",), 1e3),
)
#: factor of an elastic family not listed above (treated as a policy limit)
DEFAULT_RELAXATION = 1.2
#: re-solves that each hold the limits named so far, to report the alternatives to relaxing them
MAX_ALTERNATIVES = 2
#: time limit of each of those re-solves: this many times the first elastic re-solve's time, at least the minimum (s)
ALTERNATIVE_TIME_FACTOR, ALTERNATIVE_MIN_S = 2.0, 10.0
#: where each limit is set, for the diagnosis
LIMIT_SOURCES = {
    "cumulative_limit": "cumulative_max_TWh in cumulative_limits.csv",
    "energy_budget": "energy_max_TWh in energy_budgets.csv",
    "energy_budget_month": "energy_max_TWh (with a month) in energy_budgets.csv",
    "capacity_minimum": "capacity_min_GW in capacity_limits.csv",
    "reserve_margin": "margin in reserve_margins.csv",
    "co2_cap": "co2_cap_Mt in periods.csv",
    "regional_co2_cap": "co2_cap_Mt in regional_co2_caps.csv",
    "co2_budget": "co2_budget_Mt in settings.yaml",
}


def _relaxation_factor(name: str) -> float:
    return next((factor for _, names, factor in RELAXATION_ORDER if name in names), DEFAULT_RELAXATION)


def _is_balance(name: str) -> bool:
    return name in RELAXATION_ORDER[-1][1]


def _slack_penalty(model: Model, family) -> np.ndarray:
    """Penalty per unit of slack of each row of ``family``: the amount it stands for over the horizon (an annual
    quantity of a period counts once per year of the period, a cumulative one once, a time step of a balance per TWh
    of the year it weighs), times the family's relaxation factor. Limits of one kind so weigh alike whether they are
    annual or cumulative: a 10-year period's cap relaxed by 1 Mt/yr weighs as a budget relaxed by 10 Mt."""
    data = model.data
    years = np.ones(family.n_keys)
    if "period" in family.keys.columns:
        position = pd.Index(data.periods).get_indexer(family.keys["period"].to_numpy())
        years = np.where(position >= 0, data.years[np.maximum(position, 0)], 1.0)
    per_key = years * _relaxation_factor(family.name) * SLACK_PENALTY
    if family.timed:
        return np.outer(per_key, data.time["weight_h"].to_numpy() * 1e-3).ravel()
    return per_key


@dataclass
class _Relaxation:
    """The slacks an elastic re-solve needed (rows, senses: +1 adds to the row, -1 takes away, and values), the
    families they belong to, and the re-solve's solution."""

    rows: np.ndarray
    signs: np.ndarray
    values: np.ndarray
    names: tuple[str, ...]
    x: np.ndarray


def _relax(model: Model, held: set[str], options: dict, time_limit: float | None = None):
    """Solve the model with penalised slacks on its elastic families except ``held``, within ``time_limit`` seconds
    (and the options' own). Returns (the relaxation, or None if there is no optimum; HiGHS's status; seconds)."""
    import scipy.sparse as sp

    lp = model.lp
    finished = lp.finish()
    slack_rows, slack_signs, slack_penalty = [], [], []
    for family in lp.constraints.values():
        if not family.elastic or family.name in held:
            continue
        rows = np.arange(family.offset, family.offset + family.size)
        penalty = _slack_penalty(model, family)
        for sign in {"==": (1.0, -1.0), "<=": (-1.0,), ">=": (1.0,)}[family.sense]:
            slack_rows.append(rows)
            slack_signs.append(np.full(len(rows), sign))
            slack_penalty.append(penalty)
    if not slack_rows:
        return None, highspy.HighsModelStatus.kInfeasible, 0.0
    rows, signs = np.concatenate(slack_rows), np.concatenate(slack_signs)
    n_cols, n_slack = lp.n_cols, len(rows)
    matrix = finished.matrix.tocoo()
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
    options = {k: v for k, v in options.items() if k != "log_file"}
    if time_limit is not None:
        options["time_limit"] = min(float(options.get("time_limit", np.inf)), time_limit)
    highs = _new_highs(options, None)
    _pass(highs, cost, lower, upper, extended, finished.row_lower, finished.row_upper)
    start = time.perf_counter()
    highs.run()
    seconds = time.perf_counter() - start
    status = highs.getModelStatus()
    if status != highspy.HighsModelStatus.kOptimal:
        return None, status, seconds
    x = np.asarray(highs.getSolution().col_value)
    slack = x[n_cols:]
    used = slack > SLACK_TOLERANCE
    names = tuple(sorted(f.name for f in lp.constraints.values() if ((rows[used] >= f.offset) & (rows[used] < f.offset + f.size)).any()))
    return _Relaxation(rows[used], signs[used], slack[used], names, x[:n_cols]), status, seconds


def diagnose_infeasibility(model: Model, options: dict) -> list[str]:
    """Re-solve with penalised slacks on the elastic families and name what had to be relaxed, by how much, where
    and when: the limits a modeller sets (cumulative limits, energy budgets, minimum capacities, CO2 caps and budget)
    before demand and supply balances (RELAXATION_ORDER), then the alternatives, each found by holding the limits
    named so far, and the potentials and build rates that bind."""
    if not any(family.elastic for family in model.lp.constraints.values()):
        return ["the model is infeasible and has no elastic constraint families to relax"]
    first, status, seconds = _relax(model, set(), options)
    if first is None and status == highspy.HighsModelStatus.kTimeLimit:
        return ["the model is infeasible; the elastic re-solve that would name the limits to relax reached the time limit"]
    if first is None:
        return [
            "the model stays infeasible even with balances, CO2 caps and budget, regional caps, cumulative limits, energy "
            "budgets and minimum capacities relaxed: check minimum loads against availability, and storage settings"
        ]
    lines = ["the model is infeasible; the smallest relaxation that makes it feasible (limits before demand and supply balances):"]
    lines += _violation_lines(model, first)
    held: set[str] = set()
    latest, budget = first, max(ALTERNATIVE_MIN_S, ALTERNATIVE_TIME_FACTOR * seconds)
    for _ in range(MAX_ALTERNATIVES):
        limits = {name for name in latest.names if not _is_balance(name)}
        if not limits:
            break
        held |= limits
        latest, status, _ = _relax(model, held, options, budget)
        kept = ", ".join(f"{name} ({LIMIT_SOURCES.get(name, 'as given')})" for name in sorted(held))
        if latest is None and status == highspy.HighsModelStatus.kTimeLimit:
            lines.append(f"alternatives not searched further: the re-solve keeping {kept} reached its time limit ({budget:.0f} s)")
            break
        if latest is None:
            lines.append(f"no alternative: nothing else relaxed makes the case feasible while keeping {kept}")
            break
        lines.append(f"alternatively, keeping {kept} as given:")
        lines += ["  " + line for line in _violation_lines(model, latest)]
    lines += _binding_bounds(model.lp, first.x)
    return lines


def _violation_lines(model: Model, relaxation: _Relaxation) -> list[str]:
    """One line per violated constraint (per key; the time steps of a balance together), limits first, largest first."""
    lp = model.lp
    weight = model.data.time["weight_h"].to_numpy()
    grouped: dict = {}
    for row, sign, value in zip(relaxation.rows, relaxation.signs, relaxation.values):
        name, labels = lp.row_labels(int(row))
        time_label = labels.pop("time", None)
        entry = grouped.setdefault((name, tuple(labels.items()), sign), {"max": 0.0, "energy": 0.0, "steps": 0})
        entry["max"] = max(entry["max"], float(value))
        entry["steps"] += 1
        if time_label is not None:
            t = int(np.flatnonzero(lp.time_labels == time_label)[0])
            entry["energy"] += float(value) * weight[t] / 1e3
    order = {name: rank for rank, (_, names, _) in enumerate(RELAXATION_ORDER) for name in names}
    items = sorted(grouped.items(), key=lambda item: (order.get(item[0][0], len(order)), -item[1]["max"]))
    return [_violation_line(model, name, dict(labels), sign, entry) for (name, labels, sign), entry in items]


def _carrier_units(model: Model, carrier: str) -> tuple[str, str]:
    """(flow unit, annual amount unit) of a carrier: GW and TWh, or kt/h and Mt for a mass carrier."""
    carriers = model.case["carriers"].set_index("carrier")
    mass = carrier in carriers.index and carriers.loc[carrier, "unit"] == "kt/h"
    return ("kt/h", "Mt") if mass else ("GW", "TWh")


def _output_amount_unit(model: Model, technology: str) -> str:
    technologies = model.case["technologies"].set_index("technology")
    carrier = technologies.loc[technology, "carrier_out"] if technology in technologies.index else ""
    return _carrier_units(model, carrier)[1]


def _violation_line(model: Model, name: str, labels: dict, sign: float, entry: dict) -> str:
    where, amount = _describe(labels), f"{entry['max']:.4g}"
    source = LIMIT_SOURCES.get(name)
    if name == "balance":
        flow, annual = _carrier_units(model, labels.get("carrier", ""))
        what = "supply short of demand" if sign > 0 else "supply in excess of demand (must-run output with nowhere to go)"
        return f"- {what} at {where}: up to {amount} {flow} in {entry['steps']} time step(s), {entry['energy']:.4g} {annual}/yr"
    if name == "co2_cap":
        return f"- CO2 cap exceeded in {where} by {amount} Mt CO2/yr ({source})"
    if name == "co2_budget":
        periods = model.data.periods
        return f"- CO2 budget exceeded by {amount} Mt CO2 over the horizon {int(periods[0])}-{int(periods[-1])}, national ({source})"
    if name == "regional_co2_cap":
        return f"- regional CO2 cap exceeded at {where} by {amount} Mt CO2/yr ({source})"
    if name == "cumulative_limit":
        return f"- cumulative limit exceeded at {where} by {amount} {_output_amount_unit(model, labels['technology'])} over the horizon ({source})"
    if name in ("energy_budget", "energy_budget_month"):
        per = "/yr" if name == "energy_budget" else " in the month"
        return f"- energy budget exceeded at {where} by {amount} {_output_amount_unit(model, labels['technology'])}{per} ({source})"
    if name == "capacity_minimum":
        return f"- minimum capacity not reachable at {where}: short by {amount} GW ({source})"
    family = model.lp.constraints[name]
    return f"- {family.doc} violated at {where} by {amount} {family.units}" + (f" ({source})" if source else "")


def _binding_bounds(lp, x: np.ndarray) -> list[str]:
    """The potentials and build rates (finite upper bounds of variables) at their limit in the relaxed solution."""
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
    if not binding:
        return []
    return ["- limits binding in the relaxed solution (potentials, build rates):"] + binding


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
