"""``sweep run``: plan, validate, choose what to run (resume), dispatch to an executor, keep the manifest."""

from __future__ import annotations

import contextlib
import os
import shlex
import shutil
import sys
from dataclasses import dataclass, field
from pathlib import Path

from ..inputs import Case, load_case
from ..scenarios import Scenario, ScenarioError, SweepFile, check_scenarios, inputs_key, load_sweep_file
from .interrupt import StopSignals, SweepInterrupted, signal_name
from .progress import Progress
from .store import FAILED, OK, SweepStore, completeness
from .task import solver_options as _solver_options

EXECUTORS = ("local", "slurm", "dask")


@dataclass
class Prepared:
    sweep: SweepFile
    store: SweepStore
    base: Case
    keys: dict[str, str]


@dataclass
class Selection:
    todo: list[Scenario] = field(default_factory=list)
    finished: list[Scenario] = field(default_factory=list)
    failed_skipped: list[Scenario] = field(default_factory=list)


@dataclass
class SweepOutcome:
    executor: str
    selection: Selection
    statuses: dict = field(default_factory=dict)
    removed_temporaries: int = 0
    submission: object = None
    dry_run: bool = False

    @property
    def failed(self) -> int:
        return sum(1 for s in self.statuses.values() if s.get("status") != OK)


def prepare(file: str | Path, out: str | Path | None = None, *, check: bool = True) -> Prepared:
    """Read the parameter file, load the base case, check every scenario against it (raises on any problem)."""
    sweep = load_sweep_file(file)
    base = load_case(sweep.case_path)
    if check:
        problems = check_scenarios(sweep, base)
        if problems:
            raise ScenarioError(problems, sweep.path)
    keys = {s.id: inputs_key(base.input_hash, s.overrides) for s in sweep.scenarios}
    return Prepared(sweep, SweepStore.for_sweep(sweep, out), base, keys)


def select(prepared: Prepared, retry_failed: bool = False) -> Selection:
    """Finished scenarios (ok, same inputs, valid result) are skipped; failed ones too unless ``retry_failed``."""
    statuses = prepared.store.statuses()
    selection = Selection()
    for scenario in prepared.sweep.scenarios:
        status = statuses.get(scenario.id)
        if prepared.store.is_finished(scenario, status, prepared.keys[scenario.id]):
            selection.finished.append(scenario)
        elif status and status.get("status") == FAILED and not retry_failed and status.get("inputs_key") in ("", prepared.keys[scenario.id]):
            selection.failed_skipped.append(scenario)
        else:
            selection.todo.append(scenario)
    return selection


def default_jobs(threads: int, todo: int) -> int:
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return max(1, min(todo, cpus // max(threads, 1)))


def run_sweep(
    file: str | Path,
    *,
    executor: str = "local",
    jobs: int | None = None,
    threads: int | None = None,
    retry_failed: bool = False,
    dry_run: bool = False,
    out: str | Path | None = None,
    slurm: dict | None = None,
    scheduler: str | None = None,
    solver_option_pairs: list[str] | None = None,
    stream=None,
    bar: bool | None = None,
    stop: StopSignals | None = None,
) -> SweepOutcome:
    """Run (or resume) a sweep; see ``docs/scenarios.md``. Raises ScenarioError/InputError before running anything.

    SIGTERM, SIGINT and SIGHUP stop it cleanly (:mod:`optimiser.sweep.interrupt`): the workers are ended, what
    they finished is kept, the rest stays due, and :class:`SweepInterrupted` is raised with a one-line
    ``summary`` (finished, not finished, the command that resumes). ``stop``: an entered :class:`StopSignals`
    to use; by default run_sweep installs its own (main thread only).
    """
    own = stop is None
    stop = StopSignals() if own else stop
    with stop if own else contextlib.nullcontext():
        try:
            return _run_sweep(file, executor=executor, jobs=jobs, threads=threads, retry_failed=retry_failed, dry_run=dry_run,
                              out=out, slurm=slurm, scheduler=scheduler, solver_option_pairs=solver_option_pairs, stream=stream,
                              bar=bar, stop=stop)
        except SweepInterrupted as interrupted:
            resume = resume_command(file, out, executor=executor, jobs=jobs, threads=threads, retry_failed=retry_failed,
                                    slurm=slurm, scheduler=scheduler, solver_option_pairs=solver_option_pairs)
            interrupted.summary = stop_summary(file, out, interrupted.signum, resume)
            raise


def _run_sweep(
    file: str | Path,
    *,
    executor: str = "local",
    jobs: int | None = None,
    threads: int | None = None,
    retry_failed: bool = False,
    dry_run: bool = False,
    out: str | Path | None = None,
    slurm: dict | None = None,
    scheduler: str | None = None,
    solver_option_pairs: list[str] | None = None,
    stream=None,
    bar: bool | None = None,
    stop: StopSignals,
) -> SweepOutcome:
    stream = stream if stream is not None else sys.stderr
    if executor not in EXECUTORS:
        raise ValueError(f"unknown executor {executor!r}; expected one of {', '.join(EXECUTORS)}")
    prepared = prepare(file, out)
    sweep, store = prepared.sweep, prepared.store
    extra = _parse_pairs(solver_option_pairs or [])
    options = _solver_options(sweep, threads, extra)
    requested_threads, threads = threads, int(options.get("threads", 1) or 1)

    with store.lock():
        store.prepare()
        removed = [] if executor == "slurm" else store.clean_temporaries()
        selection = select(prepared, retry_failed)
        outcome = SweepOutcome(executor, selection, removed_temporaries=len(removed), dry_run=dry_run)
        print(f"sweep {sweep.path}: {len(sweep.scenarios)} scenario(s); {len(selection.finished)} finished, "
              f"{len(selection.failed_skipped)} failed before (not retried{'' if retry_failed else '; use --retry-failed'}), "
              f"{len(selection.todo)} to run" + (f"; removed {len(removed)} temporary file(s)" if removed else ""),
              file=stream, flush=True)
        if not dry_run:
            store.write_plan(sweep)
            store.write_manifest(sweep)
        if not selection.todo:
            return outcome
        if executor == "slurm":
            from . import slurm as _slurm

            settings = _slurm.settings(sweep, slurm or {})
            if dry_run and not store.plan_path.exists():
                store.write_plan(sweep)
            # printed by a stopped task into its SLURM output, maybe read in another shell: the interpreter in full
            resume = resume_command(file, out, executor="slurm", jobs=jobs, threads=requested_threads, retry_failed=retry_failed,
                                    slurm=slurm, solver_option_pairs=solver_option_pairs, prefix=[sys.executable, "-m", "optimiser"])
            submission = _slurm.write_scripts(sweep, store, selection.todo, settings, threads=threads, jobs=jobs,
                                              retry_failed=retry_failed, solver_options=list(solver_option_pairs or []), resume=resume)
            if not dry_run:
                _slurm.submit(submission)
            outcome.submission = submission
            return outcome
        if dry_run:
            for scenario in selection.todo:
                print(f"would run {scenario.index:4d} {scenario.id} {scenario.name}", file=stream)
            return outcome
        jobs = jobs or default_jobs(threads, len(selection.todo))
        progress = Progress(len(selection.todo), skipped=len(selection.finished) + len(selection.failed_skipped), stream=stream, bar=bar)

        def on_finish() -> None:
            store.write_manifest(sweep)

        try:
            if executor == "local":
                from .local import run_local

                outcome.statuses = run_local(sweep, store, selection.todo, jobs=jobs, options=options, progress=progress,
                                             on_finish=on_finish, stop=stop)
            else:
                from .dask_executor import run_dask

                outcome.statuses = run_dask(sweep, store, selection.todo, jobs=jobs, options=options, progress=progress,
                                            scheduler=scheduler, on_finish=on_finish, stop=stop)
        finally:
            progress.close(summary=not stop.requested)  # a stop is summed up in one line by stop_summary()
            store.write_manifest(sweep)
    return outcome


def _parse_pairs(pairs: list[str]) -> dict:
    options = {}
    for pair in pairs:
        if "=" not in pair:
            raise ScenarioError([f"--solver-option expects NAME=VALUE, got {pair!r}"])
        name, value = pair.split("=", 1)
        options[name.strip()] = value.strip()
    return options


def command_prefix() -> list[str]:
    """How to start the command line in a command a user can paste: ``optimiser`` when this process is the console
    script found on PATH, else ``python -m optimiser`` (the full path of the interpreter unless it is ``python``)."""
    argv0 = sys.argv[0] if sys.argv else ""
    if Path(argv0).name == "optimiser":
        found = shutil.which("optimiser")
        return ["optimiser"] if found and Path(found).absolute() == Path(argv0).absolute() else [str(Path(argv0).absolute())]
    python = shutil.which("python")
    return ["python" if python and Path(python).absolute() == Path(sys.executable).absolute() else sys.executable, "-m", "optimiser"]


def resume_command(file, out=None, *, executor: str = "local", jobs: int | None = None, threads: int | None = None,
                   retry_failed: bool = False, slurm: dict | None = None, scheduler: str | None = None,
                   solver_option_pairs: list[str] | None = None, prefix: list[str] | None = None) -> str:
    """The ``sweep run`` command that resumes a sweep: the same options, absolute paths (works from any folder).

    ``prefix``: how to start the command line (default :func:`command_prefix`).
    """
    try:
        root = SweepStore.for_sweep(load_sweep_file(file), out).root
    except Exception:  # noqa: BLE001 - the file cannot be read (stop_summary says why): the output folder as given
        root = Path(out).absolute() if out is not None else None
    words = [*(prefix or command_prefix()), "sweep", "run", str(Path(file).absolute()), *(["--out", str(root)] if root else [])]
    if executor != "local":
        words += ["--executor", executor]
    for flag, value in (("--jobs", jobs), ("--threads", threads), ("--scheduler", scheduler)):
        if value is not None:
            words += [flag, str(value)]
    for key, value in (slurm or {}).items():
        if value is not None:
            words += [f"--{key.replace('_', '-')}", str(value)]
    if retry_failed:
        words.append("--retry-failed")
    for pair in solver_option_pairs or []:
        words += ["--solver-option", pair]
    return shlex.join(words)


def stop_summary(file, out, signum: int, resume: str, *, scenarios=None, what: str = "sweep", limit: int = 10) -> str:
    """The one line printed when a sweep (or a sweep task: ``scenarios``, ``what``) stops on a signal: what finished,
    what did not, how to resume."""
    head = f"{what} stopped by {signal_name(signum)}"
    try:
        sweep = load_sweep_file(file)
        store = SweepStore.for_sweep(sweep, out)
        state = completeness(sweep, store.manifest(sweep))
    except Exception as error:  # noqa: BLE001 - the parameter file itself cannot be read: say so, still say how to go on
        said = " ".join(str(error).split())
        said = said if len(said) <= 300 else said[:297] + "..."
        return f"{head} before any scenario ran ({type(error).__name__}: {said}); run again with: {resume}"
    if scenarios is not None:
        ids = {s.id for s in scenarios}
        state.total = len(ids)
        state.ok = [i for i in state.ok if i in ids]
        state.missing = [m for m in state.missing if m.id in ids]
    failed = len(state.failed)
    finished = len(state.ok) + failed
    names = ", ".join(f"{m.name} ({m.id})" for m in state.not_run[:limit])
    more = f" and {len(state.not_run) - limit} more" if len(state.not_run) > limit else ""
    not_finished = f"; not finished: {names}{more}" if state.not_run else "; every scenario has an outcome"
    retry = " (failed ones run again only with --retry-failed)" if failed and "--retry-failed" not in resume else ""
    return (f"{head}: {finished} of {state.total} scenario(s) finished ({len(state.ok)} ok, {failed} failed){not_finished}; "
            f"resume with: {resume}{retry}")
