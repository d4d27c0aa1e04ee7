"""The output folder of a sweep: per-scenario results, status files, logs and the manifest.

Layout (``<out>`` defaults to ``results/sweeps/<parameter file stem>``)::

    <out>/plan.json              the expanded scenarios (index, id, name, parameters) of the last `sweep run`
    <out>/manifest.csv           one row per scenario, rebuilt from the status files (atomic writes)
    <out>/status/<id>.json       outcome of a scenario, written atomically by whoever ran it
    <out>/results/<id>.nc        results (optimiser.results.write_results: temporary file + rename)
    <out>/results/<id>.highs.log HiGHS log
    <out>/logs/<id>.log          the scenario's log (appended, one block per attempt)
    <out>/cases/<id>/            the scenario as a case folder: changed tables + settings, base_case = the base
    <out>/slurm/                 sbatch scripts and SLURM output of --executor slurm
    <out>/merged.nc, key_figures.csv   written by `sweep merge`

Concurrency: each scenario's files are written by one process at a time (the one running it); the manifest is
written only by one process (the parent of a local or dask sweep, or `sweep merge`), from the status files, so
concurrent workers never write the same file. Every file is written to a temporary name (``.NAME.XXXX.tmp``) in
the same folder and renamed over the target, so a killed process leaves either the old file, the new file or
an ignored temporary file, which the next `sweep run` removes.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import fcntl
import json
import os
import socket
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from ..scenarios import Scenario, SweepFile
from ..atomic import atomic_write_text

OK, FAILED, PENDING = "ok", "failed", "pending"
#: how a scenario that has no outcome yet is described to users ("pending" in the manifest)
NOT_RUN = "not run"
INVALID = "invalid"
MANIFEST_COLUMNS = [
    "index", "id", "name", "kind", "parameters", "status", "objective", "solver_status", "solve_s", "wall_s",
    "result", "log", "error", "attempt", "started", "finished", "host",
]


def now() -> str:
    return _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")


class SweepLocked(RuntimeError):
    """Another `sweep run` is using the output folder."""


class SweepStore:
    """Paths and file operations of one sweep output folder."""

    def __init__(self, root: str | Path):
        self.root = Path(root).resolve()
        self.results_dir = self.root / "results"
        self.status_dir = self.root / "status"
        self.logs_dir = self.root / "logs"
        self.cases_dir = self.root / "cases"
        self.slurm_dir = self.root / "slurm"
        self.manifest_path = self.root / "manifest.csv"
        self.plan_path = self.root / "plan.json"
        self.merged_path = self.root / "merged.nc"
        self.key_figures_path = self.root / "key_figures.csv"
        self.lock_path = self.root / ".sweep.lock"

    @classmethod
    def for_sweep(cls, sweep: SweepFile, out: str | Path | None = None) -> "SweepStore":
        return cls(out if out is not None else sweep.default_output())

    def prepare(self) -> None:
        for folder in (self.root, self.results_dir, self.status_dir, self.logs_dir, self.cases_dir):
            folder.mkdir(parents=True, exist_ok=True)

    # per scenario
    def result_path(self, scenario_id: str) -> Path:
        return self.results_dir / f"{scenario_id}.nc"

    def status_path(self, scenario_id: str) -> Path:
        return self.status_dir / f"{scenario_id}.json"

    def log_path(self, scenario_id: str) -> Path:
        return self.logs_dir / f"{scenario_id}.log"

    def case_dir(self, scenario_id: str) -> Path:
        return self.cases_dir / scenario_id

    def relative(self, path: Path) -> str:
        try:
            return str(Path(path).relative_to(self.root))
        except ValueError:
            return str(path)

    # status files
    def write_status(self, status: dict) -> None:
        atomic_write_text(self.status_path(status["id"]), json.dumps(status, indent=1, default=str))

    def read_status(self, scenario_id: str) -> dict | None:
        path = self.status_path(scenario_id)
        try:
            return json.loads(path.read_text())
        except (OSError, ValueError):
            return None

    def statuses(self) -> dict[str, dict]:
        out = {}
        if self.status_dir.is_dir():
            for path in self.status_dir.glob("*.json"):
                status = self.read_status(path.stem)
                if status is not None:
                    out[path.stem] = status
        return out

    def is_finished(self, scenario: Scenario, status: dict | None, inputs_key: str | None = None) -> bool:
        """A scenario is finished if its status says ok, for the same inputs, and its results file is valid."""
        if not status or status.get("status") != OK:
            return False
        if inputs_key is not None and status.get("inputs_key") != inputs_key:
            return False
        return result_is_valid(self.result_path(scenario.id), status.get("input_hash"))

    # temporary files, lock
    def temporaries(self) -> list[Path]:
        found = []
        for folder in (self.root, self.results_dir, self.status_dir, self.logs_dir, self.slurm_dir):
            if folder.is_dir():
                found += [p for p in folder.iterdir() if p.is_file() and p.name.startswith(".") and p.name.endswith(".tmp")]
        if self.cases_dir.is_dir():
            found += [p for p in self.cases_dir.glob("*/.*.tmp") if p.is_file()]
        return found

    def clean_temporaries(self) -> list[Path]:
        """Remove temporary files left by killed processes (call only while no other process writes here)."""
        removed = []
        for path in self.temporaries():
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
                removed.append(path)
        return removed

    @contextlib.contextmanager
    def lock(self):
        """Exclusive lock of the output folder for one `sweep run` (released by the kernel if the process dies)."""
        self.root.mkdir(parents=True, exist_ok=True)
        handle = open(self.lock_path, "a+")
        try:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                handle.seek(0)
                holder = handle.read().strip()
                raise SweepLocked(f"another sweep is running on {self.root} ({holder or 'unknown process'}); wait for it or stop it") from None
            handle.seek(0)
            handle.truncate()
            handle.write(f"pid {os.getpid()} on {socket.gethostname()} since {now()}\n")
            handle.flush()
            yield
        finally:
            handle.close()

    # plan and manifest
    def write_plan(self, sweep: SweepFile) -> None:
        plan = {
            "parameter_file": str(sweep.path.resolve()),
            "case": str(sweep.case_path),
            "written": now(),
            "scenarios": [
                {"index": s.index, "id": s.id, "name": s.name, "kind": s.kind, "parameters": s.parameters,
                 "overrides": [o.describe() for o in s.overrides]}
                for s in sweep.scenarios
            ],
        }
        atomic_write_text(self.plan_path, json.dumps(plan, indent=1, default=str))

    def planned_id(self, index: int) -> str | None:
        """The scenario id at ``index`` in plan.json (None if there is no plan)."""
        try:
            plan = json.loads(self.plan_path.read_text())
        except (OSError, ValueError):
            return None
        scenarios = plan.get("scenarios", [])
        return scenarios[index]["id"] if 0 <= index < len(scenarios) else ""

    def manifest(self, sweep: SweepFile, statuses: dict[str, dict] | None = None) -> pd.DataFrame:
        statuses = self.statuses() if statuses is None else statuses
        rows = []
        for scenario in sweep.scenarios:
            status = statuses.get(scenario.id) or {}
            state = status.get("status", PENDING)
            if state == OK and not self.result_path(scenario.id).exists():
                state = PENDING
            rows.append(
                {
                    "index": scenario.index,
                    "id": scenario.id,
                    "name": scenario.name,
                    "kind": scenario.kind,
                    "parameters": json.dumps(scenario.parameters, sort_keys=False, default=str),
                    "status": state,
                    "objective": status.get("objective"),
                    "solver_status": status.get("solver_status", ""),
                    "solve_s": status.get("solve_s"),
                    "wall_s": status.get("wall_s"),
                    "result": status.get("result", self.relative(self.result_path(scenario.id))) if state != PENDING else "",
                    "log": self.relative(self.log_path(scenario.id)),
                    "error": status.get("error", ""),
                    "attempt": status.get("attempt", 0),
                    "started": status.get("started", ""),
                    "finished": status.get("finished", ""),
                    "host": status.get("host", ""),
                }
            )
        return pd.DataFrame(rows, columns=MANIFEST_COLUMNS)

    def write_manifest(self, sweep: SweepFile, statuses: dict[str, dict] | None = None) -> pd.DataFrame:
        frame = self.manifest(sweep, statuses)
        atomic_write_text(self.manifest_path, frame.to_csv(index=False))
        return frame

    # interrupted scenarios
    def note_interrupted(self, scenario_id: str, reason: str) -> bool:
        """Close the log of a scenario whose attempt was cut off (its worker stopped on a signal).

        Appends ``=== interrupted: REASON`` if the log's last attempt has no outcome line yet; returns whether it did.
        """
        path = self.log_path(scenario_id)
        try:
            with open(path, "rb") as stream:
                stream.seek(max(0, path.stat().st_size - 65536))
                tail = stream.read().decode(errors="replace")
        except OSError:
            return False
        outcomes = [line for line in tail.splitlines() if "=== " in line]
        if not outcomes or "=== scenario " not in outcomes[-1]:
            return False  # no attempt started, or the last one ended with its outcome
        with open(path, "a") as log:
            log.write(f"=== interrupted: {reason}\n")
        return True

    def remove_scenario_temporaries(self, scenario_id: str) -> list[Path]:
        """Remove the temporary files of one scenario (safe while other scenarios are being written)."""
        removed = []
        for folder, stem in ((self.results_dir, f"{scenario_id}."), (self.status_dir, f"{scenario_id}.")):
            for path in folder.glob(f".{stem}*.tmp") if folder.is_dir() else []:
                with contextlib.suppress(FileNotFoundError):
                    path.unlink()
                    removed.append(path)
        case = self.case_dir(scenario_id)
        for path in case.glob(".*.tmp") if case.is_dir() else []:
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
                removed.append(path)
        return removed


@dataclass
class Missing:
    """A scenario without a usable result: ``state`` is ``failed`` (``error`` says why), ``not run`` or ``invalid``
    (its status says ok but its results file is missing or does not open)."""

    id: str
    name: str
    state: str
    error: str = ""

    def reason(self) -> str:
        if self.state == FAILED:
            return f"failed: {self.error or 'no error recorded'}"
        if self.state == INVALID:
            return "result file missing or invalid"
        return NOT_RUN


@dataclass
class Completeness:
    """Which scenarios of a sweep have a usable result (``ok``: ids) and which do not (``missing``), in sweep order."""

    total: int
    ok: list[str] = field(default_factory=list)
    missing: list[Missing] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        return not self.missing

    @property
    def failed(self) -> list[Missing]:
        return [m for m in self.missing if m.state == FAILED]

    @property
    def not_run(self) -> list[Missing]:
        return [m for m in self.missing if m.state != FAILED]

    def headline(self) -> str:
        """``9 of 9 scenario(s) ok: complete`` or ``5 of 9 scenario(s) ok; 4 missing (1 failed, 3 not run)``."""
        if self.complete:
            return f"{len(self.ok)} of {self.total} scenario(s) ok: complete"
        return (f"{len(self.ok)} of {self.total} scenario(s) ok; {len(self.missing)} missing "
                f"({len(self.failed)} failed, {len(self.not_run)} not run)")

    def lines(self, limit: int | None = None) -> list[str]:
        """One line per missing scenario (``  failed  NAME (ID): ERROR``, ``  not run NAME (ID)``), at most ``limit``."""
        shown = self.missing if limit is None else self.missing[:limit]
        out = []
        for m in shown:
            detail = {FAILED: m.error or "no error recorded", INVALID: "result file missing or invalid"}.get(m.state)
            out.append(f"  {m.state:7} {m.name} ({m.id})" + (f": {detail}" if detail else ""))
        if len(shown) < len(self.missing):
            out.append(f"  ... and {len(self.missing) - len(shown)} more (see manifest.csv)")
        return out


def completeness(sweep: SweepFile, manifest: pd.DataFrame, merged: set[str] | None = None) -> Completeness:
    """The :class:`Completeness` of a sweep from its manifest (:meth:`SweepStore.manifest`).

    ``merged``: the ids that really have a valid result (as a merge checks); default: the manifest's ok rows.
    """
    result = Completeness(total=len(sweep.scenarios))
    rows = {row["id"]: row for row in manifest.to_dict("records")}
    for scenario in sweep.scenarios:
        row = rows.get(scenario.id) or {}
        state = row.get("status", PENDING)
        error = row.get("error") if isinstance(row.get("error"), str) else ""
        if scenario.id in merged if merged is not None else state == OK:
            result.ok.append(scenario.id)
        elif state == FAILED:
            result.missing.append(Missing(scenario.id, scenario.name, FAILED, error))
        elif state == OK:
            result.missing.append(Missing(scenario.id, scenario.name, INVALID))
        else:
            result.missing.append(Missing(scenario.id, scenario.name, NOT_RUN))
    return result


def result_is_valid(path: Path, input_hash: str | None = None) -> bool:
    """The file opens as an optimiser results file with an optimal solution (and the given input hash)."""
    from ..results import ResultsFileError, open_results

    if not Path(path).is_file():
        return False
    try:
        with open_results(path) as ds:
            if not int(ds.attrs.get("optimal", 0)):
                return False
            return input_hash is None or ds.attrs.get("input_hash") == input_hash
    except (ResultsFileError, OSError, ValueError):
        return False
