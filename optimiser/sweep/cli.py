"""Command line of scenario sweeps: ``optimiser sweep plan | run | task | merge | status``.

:func:`add_sweep_commands` registers them on the main command line's subparsers; on its own::

    python -m optimiser.sweep plan inputs/example_sweep.yaml
    python -m optimiser.sweep run inputs/example_sweep.yaml --jobs 2
    python -m optimiser.sweep.cli run inputs/example_sweep.yaml --executor slurm --time 00:30:00 --dry-run

Exit codes:

* 0 success (``merge``: the merged file says whether it is complete);
* 1 some scenario failed (see the manifest), or nothing to merge;
* 2 bad parameter file, scenario or case (every problem listed);
* 3 SLURM or Dask could not be used (``merge``: a result could not be read);
* 4 another sweep holds the output folder;
* 5 the sweep is not finished: ``merge`` refuses it without ``--partial``, ``status`` says so (listing the failed
  and not-run scenarios);
* 130, 143, 129: ``run`` or ``task`` stopped by SIGINT (Ctrl-C), SIGTERM or SIGHUP (128 + the signal number). It
  ended its workers, kept what they finished, discarded what they were running and printed one line: what
  finished, what did not, and the command that resumes (:mod:`optimiser.sweep.interrupt`).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import shlex
import sys
from pathlib import Path

EXIT_OK, EXIT_FAILED, EXIT_INPUT, EXIT_EXECUTOR, EXIT_LOCKED, EXIT_INCOMPLETE = 0, 1, 2, 3, 4, 5
#: set by the SLURM array script: the `sweep run` command that resumes the sweep, printed by a task that is stopped
RESUME_ENV = "OPTIMISER_SWEEP_RESUME"


def _input_errors():
    from ..inputs import InputError
    from ..scenarios import ScenarioError

    return (InputError, ScenarioError)


def _report(error) -> None:
    print(error.report() if hasattr(error, "report") else str(error), file=sys.stderr)


def _cmd_plan(args) -> int:
    from ..scenarios import check_scenarios, load_sweep_file
    from ..inputs import load_case
    from .store import SweepStore

    try:
        sweep = load_sweep_file(args.file)
        problems = [] if args.no_check else check_scenarios(sweep, load_case(sweep.case_path))
    except _input_errors() as error:
        _report(error)
        return EXIT_INPUT
    store = SweepStore.for_sweep(sweep, args.out)
    statuses = store.statuses()
    rows = []
    for s in sweep.scenarios:
        status = (statuses.get(s.id) or {}).get("status", "pending")
        rows.append({"index": s.index, "id": s.id, "name": s.name, "kind": s.kind, "status": status, "parameters": s.parameters,
                     "overrides": [o.describe() for o in s.overrides]})
    if args.json:
        print(json.dumps({"file": str(sweep.path), "case": str(sweep.case_path), "output": str(store.root), "count": len(rows),
                          "scenarios": rows, "problems": problems, "notes": sweep.notes}, indent=1, default=str))
    else:
        print(f"{sweep.path}: {len(rows)} scenario(s) of case {sweep.case_path}")
        print(f"output: {store.root}")
        for name, parameter in sweep.parameters.items():
            targets = "; ".join(
                f"setting {t['setting']}" if "setting" in t else
                f"{t['table']}[{', '.join(f'{k}={v}' for k, v in (t.get('where') or {}).items()) or 'all rows'}]" + (f".{t['column']}" if t.get("column") else "")
                for t in parameter.targets
            )
            base = f", base {parameter.base}" if parameter.base is not None else ""
            print(f"parameter {name}: {parameter.operation} {targets}{base}")
        width = max([len(r["name"]) for r in rows] + [4])
        print(f"{'#':>4}  {'id':10}  {'kind':15}  {'status':7}  {'name':{width}}  parameters / overrides")
        for r in rows:
            detail = ", ".join(f"{k}={v}" for k, v in r["parameters"].items()) or "; ".join(r["overrides"]) or "(base case)"
            print(f"{r['index']:>4}  {r['id']:10}  {r['kind']:15}  {r['status']:7}  {r['name']:{width}}  {detail}")
        for note in sweep.notes:
            print(f"note: {note}")
        if args.no_check:
            print("not checked against the base case (--no-check)")
        elif not problems:
            print(f"all {len(rows)} scenario(s) checked against the base case: no problems")
    if problems:
        print(f"{len(problems)} problem(s) in {sweep.path}:", file=sys.stderr)
        for problem in problems:
            print(f"  - {problem}", file=sys.stderr)
        return EXIT_INPUT
    return EXIT_OK


def _slurm_overrides(args) -> dict:
    return {
        "time": args.time, "mem": args.mem, "cpus_per_task": args.cpus_per_task, "partition": args.partition,
        "account": args.account, "chunk_size": args.chunk_size, "signal_before": args.signal_before,
    }


def _stopped(interrupted) -> int:
    """Print the one line of a sweep stopped by a signal; return its exit status (128 + signal number)."""
    text = interrupted.summary or f"sweep stopped by {interrupted.name} before it started: nothing ran"
    with contextlib.suppress(OSError):  # after SIGHUP the terminal may be gone
        print(text, file=sys.stderr, flush=True)
    return interrupted.status


def _cmd_run(args) -> int:
    from .interrupt import StopSignals, SweepInterrupted

    with StopSignals() as stop:  # from here on SIGTERM, SIGINT and SIGHUP stop the sweep cleanly
        try:
            return _run(args, stop)
        except SweepInterrupted as interrupted:
            return _stopped(interrupted)


def _run(args, stop) -> int:
    from .runner import run_sweep
    from .slurm import SlurmError
    from .store import SweepLocked

    try:
        outcome = run_sweep(
            args.file, executor=args.executor, jobs=args.jobs, threads=args.threads, retry_failed=args.retry_failed,
            dry_run=args.dry_run, out=args.out, slurm=_slurm_overrides(args), scheduler=args.scheduler,
            solver_option_pairs=args.solver_option, stop=stop,
        )
    except _input_errors() as error:
        _report(error)
        return EXIT_INPUT
    except SweepLocked as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_LOCKED
    except (SlurmError, RuntimeError, OSError) as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_EXECUTOR
    submission = outcome.submission
    if submission is not None:
        print(f"array script: {submission.array_script} ({submission.tasks} task(s), --array={submission.array_spec})")
        print(f"merge script: {submission.merge_script}")
        if outcome.dry_run:
            print("dry run, nothing submitted; to submit:")
            for command in submission.commands:
                print(f"  {command}")
        else:
            print(f"submitted array job {submission.array_job} and merge job {submission.merge_job} (afterok:{submission.array_job})")
            print(f"follow with: squeue -j {submission.array_job},{submission.merge_job}   or   scontrol show job {submission.array_job}")
        return EXIT_OK
    if outcome.dry_run:
        return EXIT_OK
    failed_before = len(outcome.selection.failed_skipped)
    return EXIT_FAILED if outcome.failed or failed_before else EXIT_OK


def _cmd_task(args) -> int:
    from .interrupt import StopSignals, SweepInterrupted

    with StopSignals() as stop:  # SLURM's warning signal (--signal=B:TERM@...), scancel, the time limit
        try:
            return _task(args, stop)
        except SweepInterrupted as interrupted:
            return _stopped(interrupted)


def _task(args, stop) -> int:
    """One SLURM array task: its scenarios, in a worker process it supervises (:func:`optimiser.sweep.task.run_chunk`)."""
    import os

    from ..scenarios import load_sweep_file
    from .runner import _parse_pairs, command_prefix
    from .store import SweepStore
    from .task import run_chunk, solver_options

    try:
        sweep = load_sweep_file(args.file)
        options = solver_options(sweep, args.threads, _parse_pairs(args.solver_option or []))
    except _input_errors() as error:
        _report(error)
        return EXIT_INPUT
    store = SweepStore.for_sweep(sweep, args.out)
    chunk = max(1, args.chunk_size or 1)
    indices = [i for i in range(args.index * chunk, (args.index + 1) * chunk) if i < len(sweep.scenarios)]
    if not indices:
        print(f"error: task index {args.index} (chunk size {chunk}) is beyond the {len(sweep.scenarios)} scenario(s) of {args.file}", file=sys.stderr)
        return EXIT_INPUT
    # printed if a signal stops the task: the array script's `sweep run`, else this very command
    resume = os.environ.get(RESUME_ENV) or shlex.join([
        *command_prefix(), "sweep", "task", str(Path(args.file).absolute()), "--index", str(args.index), "--out", str(store.root),
        *(["--chunk-size", str(chunk)] if chunk > 1 else []), *(["--threads", str(args.threads)] if args.threads else []),
        *(["--retry-failed"] if args.retry_failed else []), *[w for o in args.solver_option or [] for w in ("--solver-option", o)]])
    job = os.environ.get("SLURM_ARRAY_JOB_ID")
    label = f"task {args.index}" + (f" (SLURM job {job}_{os.environ.get('SLURM_ARRAY_TASK_ID', args.index)})" if job else "")
    try:
        run_chunk(sweep, store, indices, options, retry_failed=args.retry_failed, stop=stop, resume=resume, label=label,
                  worker_name=f"task-{args.index}")
    except _input_errors() as error:
        _report(error)
        return EXIT_INPUT
    return EXIT_OK


def _sweep_and_store(args):
    """The parameter file and its output store, or None after reporting why the file cannot be read."""
    from ..scenarios import load_sweep_file
    from .store import SweepStore

    try:
        sweep = load_sweep_file(args.file)
    except _input_errors() as error:
        _report(error)
        return None
    return sweep, SweepStore.for_sweep(sweep, args.out)


#: at most this many missing scenarios are listed by `sweep merge` and `sweep status` (the manifest has all)
LIST_LIMIT = 50


def _cmd_merge(args) -> int:
    from .merge import MergeError, SweepIncomplete, merge

    loaded = _sweep_and_store(args)
    if loaded is None:
        return EXIT_INPUT
    sweep, store = loaded
    try:
        merged, figures = merge(sweep, store, partial=args.partial)
    except SweepIncomplete as incomplete:
        print(f"error: {incomplete}; nothing merged:", file=sys.stderr)
        for line in incomplete.state.lines(LIST_LIMIT):
            print(line, file=sys.stderr)
        where = f"{shlex.quote(str(args.file))}" + (f" --out {shlex.quote(str(args.out))}" if args.out else "")
        retry = " (--retry-failed to solve the failed ones again)" if incomplete.state.failed else ""
        print(f"finish it with `optimiser sweep run {where}`{retry}, or merge what there is with "
              f"`optimiser sweep merge {where} --partial` (the file then lists what is missing)", file=sys.stderr)
        return EXIT_INCOMPLETE
    except MergeError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_EXECUTOR
    if merged is None:
        return EXIT_FAILED
    with _attributes(merged) as attrs:
        print(f"merged: {merged} ({attrs.get('completeness', '')})")
        missing = [] if attrs.get("complete") else str(attrs.get("missing_scenarios", "")).splitlines()
    for line in missing[:LIST_LIMIT]:
        print(f"  missing {line}")
    if len(missing) > LIST_LIMIT:
        print(f"  ... and {len(missing) - LIST_LIMIT} more (attribute missing_scenarios of {merged.name})")
    print(f"key figures: {figures}")
    return EXIT_OK


@contextlib.contextmanager
def _attributes(path):
    """The global attributes of a netCDF file."""
    import xarray as xr

    with xr.open_dataset(path) as ds:
        yield dict(ds.attrs)


def _cmd_status(args) -> int:
    from .store import completeness

    loaded = _sweep_and_store(args)
    if loaded is None:
        return EXIT_INPUT
    sweep, store = loaded
    manifest = store.write_manifest(sweep) if store.root.is_dir() else store.manifest(sweep, {})
    state = completeness(sweep, manifest)
    print(f"{sweep.path}: {state.headline()}")
    for line in state.lines(LIST_LIMIT):
        print(line)
    if state.failed:
        return EXIT_FAILED
    return EXIT_INCOMPLETE if not state.complete else EXIT_OK


def add_sweep_commands(subparsers) -> argparse.ArgumentParser:
    """Register ``sweep plan | run | task | merge | status`` on an argparse subparsers object; returns the sweep parser."""
    sweep = subparsers.add_parser(
        "sweep",
        help="scenario sweeps: plan, run (local processes, SLURM or Dask), merge",
        description="Scenario sweeps over a parameter file (see docs/scenarios.md).",
    )
    commands = sweep.add_subparsers(dest="sweep_command", required=True, metavar="{plan,run,task,merge,status}")

    def common(parser):
        parser.add_argument("file", type=Path, help="parameter file (YAML)")
        parser.add_argument("--out", type=Path, help="output folder (default: the file's 'output', else results/sweeps/<file stem>)")

    plan = commands.add_parser("plan", help="list the scenarios (count, names, ids, parameters) and check them against the case")
    common(plan)
    plan.add_argument("--json", action="store_true", help="machine-readable output")
    plan.add_argument("--no-check", action="store_true", help="do not apply the scenarios to the base case")
    plan.set_defaults(func=_cmd_plan)

    run = commands.add_parser("run", help="solve the scenarios that are not finished (resumes an interrupted sweep)")
    common(run)
    run.add_argument("--executor", choices=("local", "slurm", "dask"), default="local", help="where to run (default: local)")
    run.add_argument("--jobs", type=int, help="scenarios at a time (local: processes, default CPUs/threads; dask: LocalCluster workers; slurm: array throttle %%N)")
    run.add_argument("--threads", type=int, help="HiGHS threads per scenario (solver option threads; default: the file's solver.threads, else 1)")
    run.add_argument("--retry-failed", action="store_true", help="also run scenarios that failed before")
    run.add_argument("--dry-run", action="store_true", help="show what would run; slurm: write the sbatch scripts without submitting")
    run.add_argument("--solver-option", action="append", metavar="NAME=VALUE", help="HiGHS option for every scenario, repeatable")
    slurm = run.add_argument_group("slurm executor (defaults from the file's slurm: mapping)")
    slurm.add_argument("--time", help="time limit per array task, e.g. 01:00:00")
    slurm.add_argument("--mem", help="memory per array task, e.g. 4G")
    slurm.add_argument("--cpus-per-task", type=int, help="CPUs per array task (default: --threads)")
    slurm.add_argument("--partition")
    slurm.add_argument("--account")
    slurm.add_argument("--chunk-size", type=int, help="scenarios per array task (default 1)")
    slurm.add_argument("--signal-before", type=int, metavar="SECONDS",
                       help="ask SLURM for SIGTERM this long before the time limit, so that a task stops cleanly and records "
                            "its progress (#SBATCH --signal=B:TERM@SECONDS; default 60, 0: none)")
    dask = run.add_argument_group("dask executor")
    dask.add_argument("--scheduler", metavar="ADDRESS", help="address of a running Dask scheduler (default: a LocalCluster with --jobs workers)")
    run.set_defaults(func=_cmd_run)

    task = commands.add_parser("task", help="run one scenario (or one chunk) by index: what each SLURM array task runs")
    common(task)
    task.add_argument("--index", type=int, required=True, help="scenario index (with --chunk-size K: chunk index)")
    task.add_argument("--chunk-size", type=int, default=1)
    task.add_argument("--threads", type=int)
    task.add_argument("--retry-failed", action="store_true")
    task.add_argument("--solver-option", action="append", metavar="NAME=VALUE")
    task.set_defaults(func=_cmd_task)

    merge = commands.add_parser("merge", help="merge finished results into merged.nc (scenario dimension) and key_figures.csv")
    common(merge)
    merge.add_argument("--partial", action="store_true",
                       help="merge even if scenarios failed or have not run (refused otherwise, exit 5); the file's attributes "
                            "complete, completeness, missing_ids and missing_scenarios say what is missing and why")
    merge.set_defaults(func=_cmd_merge)

    status = commands.add_parser("status", help="rebuild the manifest from the status files, summarise it, list the failed "
                                                 "and not-run scenarios (exit 0 complete, 1 some failed, 5 some not run)")
    common(status)
    status.set_defaults(func=_cmd_status)
    return sweep


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="optimiser", description="Scenario sweeps of the optimiser.")
    add_sweep_commands(top.add_subparsers(dest="command", required=True))
    return top


def main(argv: list[str] | None = None) -> int:
    """``python -m optimiser.sweep [sweep] COMMAND ...`` (the leading 'sweep' is optional)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] != "sweep":
        argv = ["sweep", *argv]
    args = parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
