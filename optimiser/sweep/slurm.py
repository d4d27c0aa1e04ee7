"""The SLURM executor (``--executor slurm``): an sbatch job array plus a merge job that depends on it.

``sweep run FILE --executor slurm`` writes two scripts into ``<out>/slurm/``:

* ``array.sbatch``: a job array, one task per scenario still to run (or per chunk of ``--chunk-size``
  scenarios); task ``i`` runs ``python -m optimiser sweep task FILE --index i`` with the Python that ran
  ``sweep run`` (so the same virtual environment), in the folder where ``sweep run`` was started;
* ``merge.sbatch``: ``sweep merge FILE``, submitted with ``--dependency=afterok:<array job id>`` (and
  ``--kill-on-invalid-dep=yes``), so it starts after every array task has ended successfully.

Then it submits both (``sbatch --parsable``), unless ``--dry-run``, and prints the job ids. ``--time``,
``--mem``, ``--cpus-per-task``, ``--partition`` and ``--account`` come from the command line or the
parameter file's ``slurm:`` mapping (command line wins); ``--jobs N`` limits the array to N tasks at a time
(``--array=...%N``). A task exits with status 0 once it has recorded the outcome of its scenarios, failed solves
included (see the manifest); it exits non-zero only if it could not, and then the merge job is not started.

A task runs its scenarios in a worker process and supervises it, so it can stop at once on a signal even while
HiGHS solves. ``#SBATCH --signal=B:TERM@60`` (``signal_before`` in the file's ``slurm:`` mapping or
``--signal-before``; 0 leaves it out) asks SLURM for SIGTERM 60 s before the time limit: the task then ends its
worker, keeps what it finished, prints what it did not and the `sweep run` command that resumes the sweep, and
exits 143, so the merge job is not started. The merge job runs ``sweep merge --partial``: after every task has
recorded an outcome the only scenarios missing are failed ones, and the merged file lists them.
"""

from __future__ import annotations

import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from ..scenarios import Scenario, SweepFile
from ..atomic import atomic_write_text
from .store import SweepStore

SLURM_KEYS = ("time", "mem", "cpus_per_task", "partition", "account", "chunk_size", "extra", "merge_time", "merge_mem", "job_name",
              "signal_before")
#: seconds before its time limit that SLURM sends an array task SIGTERM (``--signal=B:TERM@S``), so that it stops
#: cleanly and records its progress; SLURM may send it up to 60 s earlier than asked
SIGNAL_BEFORE_S = 60


class SlurmError(RuntimeError):
    """sbatch is missing or refused a script."""


@dataclass
class SlurmSubmission:
    array_script: Path
    merge_script: Path
    array_spec: str
    tasks: int
    array_job: str | None = None
    merge_job: str | None = None
    commands: tuple = ()


def entry_command() -> list[str]:
    """``python -m optimiser sweep`` if the main command line has the sweep commands, else ``python -m optimiser.sweep``."""
    try:
        from ..cli import parser

        actions = [a for a in parser()._subparsers._group_actions if hasattr(a, "choices")]  # noqa: SLF001
        if any("sweep" in (a.choices or {}) for a in actions):
            return [sys.executable, "-m", "optimiser", "sweep"]
    except Exception:  # any problem with the main CLI: the sweep package's own entry point works regardless
        pass
    return [sys.executable, "-m", "optimiser.sweep"]


def compress(indices: list[int]) -> str:
    """0,1,2,3,7,9,10 -> '0-3,7,9-10' (the syntax of sbatch --array)."""
    parts = []
    indices = sorted(set(indices))
    start = previous = None
    for index in indices + [None]:
        if start is None:
            start = previous = index
        elif index is not None and index == previous + 1:
            previous = index
        else:
            parts.append(str(start) if start == previous else f"{start}-{previous}")
            start = previous = index
    return ",".join(parts)


def settings(sweep: SweepFile, overrides: dict) -> dict:
    """The SLURM settings: the file's ``slurm:`` mapping updated with the non-empty command-line values."""
    unknown = sorted(set(sweep.slurm) - set(SLURM_KEYS))
    if unknown:
        raise SlurmError(f"{sweep.path}: unknown key(s) in slurm: {', '.join(unknown)}; allowed: {', '.join(SLURM_KEYS)}")
    merged = dict(sweep.slurm)
    merged.update({k: v for k, v in overrides.items() if v is not None})
    return merged


def _directives(options: dict, *, job_name: str, output: str, time_key: str = "time", mem_key: str = "mem") -> list[str]:
    lines = [f"#SBATCH --job-name={job_name}", f"#SBATCH --output={output}"]
    if options.get(time_key):
        lines.append(f"#SBATCH --time={options[time_key]}")
    if options.get(mem_key):
        lines.append(f"#SBATCH --mem={options[mem_key]}")
    for key in ("partition", "account"):
        if options.get(key):
            lines.append(f"#SBATCH --{key}={options[key]}")
    for extra in options.get("extra") or []:
        lines.append(f"#SBATCH {extra}")
    return lines


def write_scripts(sweep: SweepFile, store: SweepStore, todo: list[Scenario], options: dict, *, threads: int, jobs: int | None,
                  retry_failed: bool, solver_options: list[str], workdir: Path | None = None, resume: str = "") -> SlurmSubmission:
    """Write array.sbatch and merge.sbatch for the scenarios in ``todo``.

    ``resume``: the `sweep run` command that resumes the sweep, which a task stopped by a signal prints.
    """
    store.slurm_dir.mkdir(parents=True, exist_ok=True)
    workdir = Path(workdir or Path.cwd()).resolve()
    chunk = int(options.get("chunk_size") or 1)
    cpus = int(options.get("cpus_per_task") or threads or 1)
    tasks = sorted({s.index // chunk for s in todo})
    if not tasks:
        raise SlurmError("nothing to submit: every scenario is finished")
    spec = compress(tasks) + (f"%{jobs}" if jobs else "")
    signal_before = int(options["signal_before"] if options.get("signal_before") is not None else SIGNAL_BEFORE_S)
    name = options.get("job_name") or f"sweep-{sweep.path.stem}"
    file = shlex.quote(str(sweep.path.resolve()))
    entry = " ".join(shlex.quote(part) for part in entry_command())
    task_args = [f"--out {shlex.quote(str(store.root))}", f"--threads {threads}"]
    if chunk > 1:
        task_args.append(f"--chunk-size {chunk}")
    if retry_failed:
        task_args.append("--retry-failed")
    task_args += [f"--solver-option {shlex.quote(o)}" for o in solver_options]
    array = [
        "#!/bin/bash",
        f"# written by optimiser sweep run --executor slurm for {sweep.path.resolve()}",
        f"# {len(todo)} scenario(s) in {len(tasks)} task(s), {chunk} scenario(s) per task",
        *_directives(options, job_name=name, output=str(store.slurm_dir / "array-%A_%a.out")),
        f"#SBATCH --array={spec}",
        "#SBATCH --nodes=1",
        "#SBATCH --ntasks=1",
        f"#SBATCH --cpus-per-task={cpus}",
        f"#SBATCH --chdir={workdir}",
        *([f"#SBATCH --signal=B:TERM@{signal_before}"] if signal_before > 0 else []),
        "set -euo pipefail",
        f"export OMP_NUM_THREADS={cpus} OPENBLAS_NUM_THREADS={cpus} MKL_NUM_THREADS={cpus}",
        *([f"export OPTIMISER_SWEEP_RESUME={shlex.quote(resume)}"] if resume else []),
        "# exec: this shell becomes the task, which SLURM's SIGTERM (--signal above, scancel, the time limit) stops cleanly",
        f"exec {entry} task {file} --index \"$SLURM_ARRAY_TASK_ID\" {' '.join(task_args)}",
        "",
    ]
    merge_options = dict(options)
    merge_options["time"] = options.get("merge_time") or options.get("time")
    merge_options["mem"] = options.get("merge_mem") or options.get("mem")
    merge = [
        "#!/bin/bash",
        f"# written by optimiser sweep run --executor slurm: merges the results of the array job into {store.merged_path}",
        *_directives(merge_options, job_name=f"{name}-merge", output=str(store.slurm_dir / "merge-%j.out")),
        "#SBATCH --nodes=1",
        "#SBATCH --ntasks=1",
        "#SBATCH --cpus-per-task=1",
        f"#SBATCH --chdir={workdir}",
        "set -euo pipefail",
        "# --partial: the tasks have all recorded an outcome (afterok); scenarios that failed are listed in merged.nc's attributes",
        f"exec {entry} merge {file} --out {shlex.quote(str(store.root))} --partial",
        "",
    ]
    array_path = store.slurm_dir / "array.sbatch"
    merge_path = store.slurm_dir / "merge.sbatch"
    atomic_write_text(array_path, "\n".join(array))
    atomic_write_text(merge_path, "\n".join(merge))
    array_path.chmod(0o755)
    merge_path.chmod(0o755)
    commands = (
        f"sbatch --parsable {array_path}",
        f"sbatch --parsable --dependency=afterok:<array job id> --kill-on-invalid-dep=yes {merge_path}",
    )
    return SlurmSubmission(array_path, merge_path, spec, len(tasks), commands=commands)


def _sbatch(arguments: list[str]) -> str:
    sbatch = shutil.which("sbatch")
    if sbatch is None:
        raise SlurmError("sbatch not found: is SLURM installed here? (use --dry-run to write the scripts only)")
    result = subprocess.run([sbatch, "--parsable", *arguments], capture_output=True, text=True)
    if result.returncode != 0:
        raise SlurmError(f"sbatch {' '.join(arguments)} failed ({result.returncode}): {result.stderr.strip() or result.stdout.strip()}")
    return result.stdout.strip().split(";")[0]


def submit(submission: SlurmSubmission) -> SlurmSubmission:
    """Submit the array, then the merge job depending on it."""
    submission.array_job = _sbatch([str(submission.array_script)])
    try:
        submission.merge_job = _sbatch([f"--dependency=afterok:{submission.array_job}", "--kill-on-invalid-dep=yes", str(submission.merge_script)])
    except SlurmError:
        subprocess.run(["scancel", submission.array_job], capture_output=True)
        raise
    return submission

