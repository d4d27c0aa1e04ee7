"""Running one scenario of a sweep: the code every executor (local, SLURM, Dask) calls.

A task applies the scenario to the base case (validated), writes the scenario's case folder (only what changes,
inheriting the rest from the base case), solves it with :func:`optimiser.run.run` exactly like ``optimiser run``,
and records the outcome in ``status/<id>.json``. It never raises for a failed scenario: bad inputs, a solve
without optimum and unexpected errors are all recorded as ``failed`` with a message (the traceback goes to the
scenario's log).
"""

from __future__ import annotations

import contextlib
import inspect
import os
import socket
import sys
import time
import traceback
from pathlib import Path

from ..inputs import Case, InputError, _case_chain, hash_case, load_case
from ..scenarios import Scenario, ScenarioError, SweepFile, apply_overrides, inputs_key, scenario_case_name, write_scenario_case
from .store import FAILED, OK, SweepStore, now, result_is_valid

_BASE_CASES: dict[str, tuple[str, Case]] = {}
#: one warm solver per worker process: scenarios that change only numbers re-solve in place
_WARM: list = []


def warm_solver():
    """This process's :class:`optimiser.warm.WarmSolver` (created on first use)."""
    if not _WARM:
        from ..warm import WarmSolver

        _WARM.append(WarmSolver())
    return _WARM[0]


def base_case(path: Path) -> Case:
    """The base case, loaded once per process (reloaded if its files change)."""
    key = str(Path(path).resolve())
    digest, _ = hash_case(_case_chain(Path(key), []))
    cached = _BASE_CASES.get(key)
    if cached is None or cached[0] != digest:
        _BASE_CASES[key] = (digest, load_case(key))
    return _BASE_CASES[key][1]


def current_inputs_key(sweep: SweepFile, scenario: Scenario, base_hash: str | None = None) -> str:
    """The inputs key a current result of ``scenario`` carries in its status file (see :func:`inputs_key`)."""
    if base_hash is None:
        base_hash, _ = hash_case(_case_chain(Path(sweep.case_path), []))
    return inputs_key(base_hash, scenario.overrides)


def solver_options(sweep: SweepFile, threads: int | None = None, extra: dict | None = None) -> dict:
    """HiGHS options of every run: the file's ``solver`` mapping, then ``--solver-option``, then ``--threads``."""
    options = dict(sweep.solver)
    options.update(extra or {})
    if threads:
        options["threads"] = int(threads)
    return options


@contextlib.contextmanager
def _redirect_fds(stream):
    """Send this process's stdout and stderr (also of C code: HiGHS, netCDF) to ``stream`` for a while."""
    sys.stdout.flush()
    sys.stderr.flush()
    saved = os.dup(1), os.dup(2)
    os.dup2(stream.fileno(), 1)
    os.dup2(stream.fileno(), 2)
    try:
        yield
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os.dup2(saved[0], 1)
        os.dup2(saved[1], 2)
        os.close(saved[0])
        os.close(saved[1])


def _one_line(text: str, limit: int = 600) -> str:
    text = " | ".join(line.strip() for line in str(text).splitlines() if line.strip())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def run_task(sweep: SweepFile, scenario: Scenario, store: SweepStore, options: dict | None = None, *, redirect_output: bool = False) -> dict:
    """Solve one scenario and write its status file; return the status (a dict, also on failure)."""
    from ..run import run

    store.prepare()
    start = time.perf_counter()
    previous = store.read_status(scenario.id) or {}
    result = store.result_path(scenario.id)
    status = {
        "index": scenario.index,
        "id": scenario.id,
        "name": scenario.name,
        "kind": scenario.kind,
        "parameters": scenario.parameters,
        "status": FAILED,
        "objective": None,
        "solver_status": "",
        "solve_s": None,
        "wall_s": None,
        "result": store.relative(result),
        "log": store.relative(store.log_path(scenario.id)),
        "error": "",
        "attempt": int(previous.get("attempt", 0)) + 1,
        "started": now(),
        "finished": "",
        "host": socket.gethostname(),
        "pid": os.getpid(),
        "inputs_key": "",
        "input_hash": "",
    }
    with open(store.log_path(scenario.id), "a", buffering=1) as log_stream:

        def log(message: str) -> None:
            log_stream.write(f"[{time.strftime('%H:%M:%S')}] {message}\n")

        log(f"=== scenario {scenario.name} (id {scenario.id}, index {scenario.index}), attempt {status['attempt']}, "
            f"host {status['host']}, pid {status['pid']}")
        log("overrides: " + ("; ".join(o.describe() for o in scenario.overrides) or "none (the base case)"))
        redirect = _redirect_fds(log_stream) if redirect_output else contextlib.nullcontext()
        try:
            with redirect:
                base = base_case(sweep.case_path)
                applied = apply_overrides(base, scenario.overrides, scenario=scenario.name, file=sweep.path)
                status["inputs_key"] = applied.case.input_hash
                folder = write_scenario_case(sweep.case_path, applied, store.case_dir(scenario.id), scenario_case_name(base.name, scenario))
                input_hash, _ = hash_case(_case_chain(folder, []))
                if result_is_valid(result, input_hash):
                    # solved before, but the process was killed before it wrote the status file
                    log(f"{store.relative(result)} is already a valid result for these inputs; not solved again")
                    status.update(_from_results(result))
                else:
                    kwargs = {"log": log} if "log" in inspect.signature(run).parameters else {}
                    if os.environ.get("OPTIMISER_WARM", "1") != "0":  # OPTIMISER_WARM=0 solves every scenario cold
                        kwargs["warm"] = warm_solver()
                    log(f"solving with options {options or {}}")
                    results, _ = run(folder, result, dict(options or {}), **kwargs)
                    status.update(_summary(results.attrs))
                status["input_hash"] = input_hash
                if status["status"] != OK:
                    status["error"] = _one_line(f"no optimal solution: {status['solver_status']}")
                    log(status["error"])
        except (ScenarioError, InputError) as error:
            text = error.report()
            log(text)
            status["error"] = _one_line(text)
        except Exception as error:  # anything else: record it, keep the traceback in the log
            log(traceback.format_exc())
            status["error"] = _one_line(f"{type(error).__name__}: {error}")
        status["wall_s"] = round(time.perf_counter() - start, 3)
        status["finished"] = now()
        log(f"=== {status['status']}" + (f": objective {status['objective']:.9g}" if status["objective"] is not None else "")
            + (f"; {status['error']}" if status["error"] else "") + f" ({status['wall_s']:.1f} s)")
    store.write_status(status)
    return status


def _summary(attrs: dict) -> dict:
    optimal = bool(int(attrs.get("optimal", 0)))
    objective = attrs.get("objective")
    return {
        "status": OK if optimal else FAILED,
        "objective": float(objective) if optimal and objective is not None else None,
        "solver_status": str(attrs.get("status", "")),
        "solve_s": float(attrs["solve_s"]) if "solve_s" in attrs else None,
    }


def _from_results(path: Path) -> dict:
    from ..results import open_results

    with open_results(path) as ds:
        return _summary(dict(ds.attrs))


def check_planned(sweep: SweepFile, store: SweepStore, index: int) -> None:
    """Raise ScenarioError if plan.json has another scenario at ``index`` (the file changed after `sweep run`)."""
    scenario = sweep.scenarios[index]
    planned = store.planned_id(index)
    if planned is not None and planned != scenario.id:
        raise ScenarioError([f"{sweep.path}: scenario {index} is '{scenario.name}' ({scenario.id}) but the sweep was planned with "
                             f"{planned}: the parameter file changed after `sweep run`; run it again"], sweep.path)


def skip_reason(sweep: SweepFile, store: SweepStore, scenario: Scenario, retry_failed: bool) -> str:
    """Why a task does not run ``scenario`` again (``"finished"``, ``"failed"`` unless ``retry_failed``), or ``""``."""
    status = store.read_status(scenario.id)
    if store.is_finished(scenario, status, current_inputs_key(sweep, scenario)):
        return "finished"
    if status and status.get("status") == FAILED and not retry_failed:
        return "failed"
    return ""


def run_index(file: str | Path, index: int, out: str | Path | None, options: dict | None = None, *, redirect_output: bool = False,
              retry_failed: bool = True, check_plan: bool = True) -> dict:
    """Run the scenario at ``index`` of a parameter file in this process (the entry point of Dask workers).

    Skips a scenario that is already finished (and a failed one unless ``retry_failed``) and returns its status.
    """
    from ..scenarios import load_sweep_file

    sweep = load_sweep_file(file)
    store = SweepStore.for_sweep(sweep, out)
    if not 0 <= index < len(sweep.scenarios):
        raise IndexError(f"{file}: scenario index {index} out of range (0..{len(sweep.scenarios) - 1})")
    scenario = sweep.scenarios[index]
    if check_plan:
        check_planned(sweep, store, index)
    if skip_reason(sweep, store, scenario, retry_failed):
        return store.read_status(scenario.id)
    return run_task(sweep, scenario, store, options, redirect_output=redirect_output)


def run_chunk(sweep: SweepFile, store: SweepStore, indices: list[int], options: dict, *, retry_failed: bool, stop, resume: str,
              label: str, worker_name: str = "task", stream=None) -> None:
    """Run the scenarios at ``indices`` (one SLURM array task) in a worker process that this process supervises.

    Finished scenarios are skipped, failed ones too unless ``retry_failed``. The worker is the local executor's
    (:func:`optimiser.sweep.local.run_local` with one job), so this process answers a signal at once even while
    HiGHS solves: on a stop it raises :class:`SweepInterrupted` whose summary (prefixed ``label``) says what of
    ``indices`` finished and ends with ``resume``. The worker's own output goes to ``logs/<worker_name>-1.log``.
    Raises ScenarioError if the file changed since `sweep run`.
    """
    from .interrupt import SweepInterrupted
    from .local import run_local
    from .progress import Progress
    from .runner import stop_summary

    stream = stream if stream is not None else sys.stdout
    store.prepare()
    todo = []
    for index in indices:
        check_planned(sweep, store, index)
        scenario = sweep.scenarios[index]
        reason = skip_reason(sweep, store, scenario, retry_failed)
        if reason:
            print(f"scenario {index} {scenario.name} ({scenario.id}): {reason} before, not run again"
                  + (" (--retry-failed runs it)" if reason == "failed" else ""), file=stream, flush=True)
        else:
            todo.append(scenario)
    progress = Progress(len(todo), skipped=len(indices) - len(todo), stream=stream, bar=False, label=label)
    try:
        run_local(sweep, store, todo, jobs=1, options=options, progress=progress, stop=stop, worker_name=worker_name)
    except SweepInterrupted as interrupted:
        interrupted.summary = stop_summary(sweep.path, store.root, interrupted.signum, resume,
                                           scenarios=[sweep.scenarios[i] for i in indices], what=f"sweep {label}")
        raise
    finally:
        progress.close(summary=not stop.requested)
