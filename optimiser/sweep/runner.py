"""``sweep run``: plan, validate, choose what to run (resume), dispatch to an executor, keep the manifest."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from pathlib import Path

from ..inputs import Case, load_case
from ..scenarios import Scenario, ScenarioError, SweepFile, check_scenarios, inputs_key, load_sweep_file
from .progress import Progress
from .store import FAILED, OK, SweepStore
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
) -> SweepOutcome:
    """Run (or resume) a sweep; see ``docs/scenarios.md``. Raises ScenarioError/InputError before running anything."""
    stream = stream if stream is not None else sys.stderr
    if executor not in EXECUTORS:
        raise ValueError(f"unknown executor {executor!r}; expected one of {', '.join(EXECUTORS)}")
    prepared = prepare(file, out)
    sweep, store = prepared.sweep, prepared.store
    extra = _parse_pairs(solver_option_pairs or [])
    options = _solver_options(sweep, threads, extra)
    threads = int(options.get("threads", 1) or 1)

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
            submission = _slurm.write_scripts(sweep, store, selection.todo, settings, threads=threads, jobs=jobs,
                                              retry_failed=retry_failed, solver_options=list(solver_option_pairs or []))
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

                outcome.statuses = run_local(sweep, store, selection.todo, jobs=jobs, options=options, progress=progress, on_finish=on_finish)
            else:
                from .dask_executor import run_dask

                outcome.statuses = run_dask(sweep, store, selection.todo, jobs=jobs, options=options, progress=progress,
                                            scheduler=scheduler, on_finish=on_finish)
        finally:
            progress.close()
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
