"""The local executor: N worker processes on this machine (``--executor local --jobs N``).

Each worker (:mod:`optimiser.sweep.worker`) is a separate Python process that imports the package once and runs
scenarios one after the other, as the parent hands them out over a pipe. A worker that dies (killed, out of
memory, crashed solver) costs only its current scenario, which is recorded as failed, and is replaced. The
parent is the only process that writes the manifest; the workers write their scenarios' status files. Workers are
killed by the kernel if the parent dies (``PR_SET_PDEATHSIG``), so a killed sweep leaves nothing running.

Stopping (SIGTERM, SIGINT, SIGHUP; :mod:`optimiser.sweep.interrupt`): the workers start with SIGINT and SIGHUP
blocked, so Ctrl-C in a terminal (sent to the whole process group) reaches only the parent. The parent ends the
workers with SIGTERM, keeps the scenarios they had finished, writes ``=== interrupted`` into the logs of those
they were running (no status is written for them: they are still due) and removes the temporary files the
workers leave, so nothing half-written remains.
"""

from __future__ import annotations

import contextlib
import json
import os
import selectors
import signal
import subprocess
import sys
import time
from collections import deque

from ..scenarios import Scenario, SweepFile
from .interrupt import STOP_SIGNALS, StopSignals, SweepInterrupted, signal_name, terminal_signals_blocked
from .progress import Progress
from .store import FAILED, SweepStore, now
from .worker import PARENT_ENV

MANIFEST_INTERVAL_S = 1.0
#: on a stop, how long a worker may take to end after SIGTERM before it is killed (it normally ends at once)
STOP_GRACE_S = 5.0
#: a worker that died of a stop signal: how long to wait for the parent's own signal before calling it a failure
STOP_SIGNAL_WAIT_S = 0.5


class _Worker:
    def __init__(self, number: int, process: subprocess.Popen):
        self.number = number
        self.process = process
        self.scenario: Scenario | None = None
        self.assigned_at = ""


def _death_status(store: SweepStore, scenario: Scenario, code: int, since: str, worker_log: str = "") -> dict:
    """The status of a scenario whose worker died: what the worker wrote, if it got that far, else failed."""
    status = store.read_status(scenario.id)
    if status and status.get("finished", "") >= since:
        return status
    reason = f"killed by signal {signal.Signals(-code).name}" if code < 0 else f"exited with code {code}"
    previous = status or {}
    status = {
        "index": scenario.index, "id": scenario.id, "name": scenario.name, "kind": scenario.kind,
        "parameters": scenario.parameters, "status": FAILED, "objective": None, "solver_status": "", "solve_s": None,
        "wall_s": None, "result": store.relative(store.result_path(scenario.id)), "log": store.relative(store.log_path(scenario.id)),
        "error": f"worker process {reason} while running the scenario (see {store.relative(store.log_path(scenario.id))}"
                 + (f" and {worker_log}" if worker_log else "") + ")",
        "attempt": int(previous.get("attempt", 0)) + 1, "started": since, "finished": now(), "host": os.uname().nodename,
        "inputs_key": "", "input_hash": "",
    }
    store.write_status(status)
    with open(store.log_path(scenario.id), "a") as log:
        log.write(f"=== failed: {status['error']}\n")
    return status


def run_local(sweep: SweepFile, store: SweepStore, todo: list[Scenario], *, jobs: int, options: dict,
              progress: Progress, on_finish=None, stop: StopSignals | None = None, worker_name: str = "worker") -> dict[str, dict]:
    """Run ``todo`` on ``jobs`` worker processes; returns the statuses by scenario id.

    A worker's own output (not a scenario's) goes to ``logs/<worker_name>-<n>.log``.

    With ``stop`` (entered, see :mod:`optimiser.sweep.interrupt`), a stop signal ends the workers, records what
    they had finished, marks the scenarios they were running as interrupted in their logs, removes the temporary
    files they leave and raises :class:`SweepInterrupted`.
    """
    stop = stop if stop is not None else StopSignals()  # not entered: never requests a stop
    pool = _Pool(sweep, store, todo, options, progress, on_finish, stop, worker_name)
    try:
        with stop.deferred():
            for _ in range(min(jobs, len(pool.queue))):
                pool.start_worker()
            pool.serve()
            if stop.requested:
                pool.stop_workers(stop.signum)
                raise SweepInterrupted(stop.signum)
    finally:
        pool.close()
    return pool.statuses


class _Pool:
    """The worker processes of a local sweep, the queue of scenarios they take from and the statuses they answer."""

    def __init__(self, sweep: SweepFile, store: SweepStore, todo: list[Scenario], options: dict, progress: Progress, on_finish,
                 stop: StopSignals, worker_name: str):
        self.store, self.progress, self.on_finish, self.stop, self.worker_name = store, progress, on_finish, stop, worker_name
        self.env = dict(os.environ)
        self.env[PARENT_ENV] = str(os.getpid())
        threads = str(options.get("threads", 1))
        for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
            self.env.setdefault(name, threads)
        self.command = [sys.executable, "-m", "optimiser.sweep.worker", str(sweep.path.resolve()), "--out", str(store.root),
                        "--options", json.dumps(options)]
        self.queue = deque(todo)
        self.selector = selectors.DefaultSelector()
        if stop.fileno() >= 0:
            self.selector.register(stop.fileno(), selectors.EVENT_READ, None)
        self.workers: list[_Worker] = []
        self.statuses: dict[str, dict] = {}
        self.started = 0
        self.last_manifest = 0.0

    def start_worker(self) -> None:
        self.started += 1
        errors = open(self.store.logs_dir / f"{self.worker_name}-{self.started}.log", "a")
        with terminal_signals_blocked():  # Ctrl-C and hang-up are the parent's to handle (see interrupt.py)
            process = subprocess.Popen(self.command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=errors, env=self.env, text=True,
                                       bufsize=1)
        errors.close()
        worker = _Worker(self.started, process)
        self.workers.append(worker)
        self.selector.register(process.stdout, selectors.EVENT_READ, worker)
        self.assign(worker)

    def assign(self, worker: _Worker) -> None:
        """Hand the worker the next scenario, or close its input (it then exits) when none is left."""
        if self.queue:
            scenario = self.queue.popleft()
            worker.scenario, worker.assigned_at = scenario, now()
            self.progress.started(scenario)
            try:
                worker.process.stdin.write(f"{scenario.index}\n")
                worker.process.stdin.flush()
            except BrokenPipeError:  # the worker died already: its end of output reports the scenario as failed
                pass
        else:
            worker.scenario = None
            try:
                worker.process.stdin.close()
            except BrokenPipeError:
                pass

    def finished(self, scenario: Scenario, status: dict) -> None:
        self.statuses[scenario.id] = status
        self.progress.finished(scenario, status)
        if self.on_finish is not None and time.monotonic() - self.last_manifest >= MANIFEST_INTERVAL_S:
            self.on_finish()
            self.last_manifest = time.monotonic()

    def serve(self) -> None:
        """Hand out scenarios and collect answers until every worker is idle or a stop is requested."""
        while any(w.scenario is not None for w in self.workers) and not self.stop.requested:
            for key, _ in self.selector.select(timeout=1.0):
                if key.data is None:  # the stop signal's wake-up
                    break
                worker: _Worker = key.data
                line = worker.process.stdout.readline()
                if line:
                    scenario = worker.scenario
                    worker.scenario = None
                    self.finished(scenario, json.loads(line))
                    self.assign(worker)
                    continue
                if self._exited(worker):
                    break  # a stop was requested: stop_workers() deals with it

    def _exited(self, worker: _Worker) -> bool:
        """The worker's output ended (it exited): record its scenario as failed and replace it; True if a stop is requested."""
        code = worker.process.wait()
        if -code in STOP_SIGNALS and not self.stop.requested:
            # killed by a stop signal: if it was sent to the whole sweep (a batch system's SIGTERM to every process, a
            # process-group kill), this process's own signal is about to arrive
            self.stop.wait(STOP_SIGNAL_WAIT_S)
        if self.stop.requested:
            return True
        self.selector.unregister(worker.process.stdout)
        self.workers.remove(worker)
        if worker.scenario is not None:
            log = f"logs/{self.worker_name}-{worker.number}.log"
            self.finished(worker.scenario, _death_status(self.store, worker.scenario, code, worker.assigned_at, log))
            worker.scenario = None
            if self.queue:
                self.start_worker()
        return False

    def stop_workers(self, signum: int) -> None:
        """End every worker, keep what they finished, close the logs of what they were running, remove temporaries."""
        for worker in self.workers:
            if worker.process.poll() is None:
                worker.process.terminate()  # SIGTERM: the worker's default action, it ends at once
        deadline = time.monotonic() + STOP_GRACE_S
        for worker in self.workers:
            try:
                worker.process.wait(timeout=max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                worker.process.kill()
                worker.process.wait()
        reason = (f"the sweep stopped on {signal_name(signum)} before this scenario finished; nothing of this attempt "
                  f"is kept and the next `sweep run` solves it again")
        for worker in self.workers:
            if worker.scenario is None:
                continue
            answer = worker.process.stdout.read().strip() if not worker.process.stdout.closed else ""
            status = self.store.read_status(worker.scenario.id)
            if answer:  # it finished and answered just before the stop
                self.finished(worker.scenario, json.loads(answer.splitlines()[-1]))
            elif status and status.get("finished", "") >= worker.assigned_at:  # it wrote its status, then was stopped
                self.finished(worker.scenario, status)
            else:
                self.store.note_interrupted(worker.scenario.id, reason)
                # its worker is gone: what it was writing can go (only its own files: SLURM tasks share the folder)
                self.store.remove_scenario_temporaries(worker.scenario.id)
            worker.scenario = None

    def close(self) -> None:
        """Close pipes and reap the workers (normally all idle or stopped already; after an error here, kill them)."""
        for worker in self.workers:
            try:
                worker.process.stdin.close()
            except (BrokenPipeError, OSError):
                pass
            if worker.process.poll() is None and worker.scenario is not None:
                worker.process.kill()
            try:
                worker.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                worker.process.kill()
                worker.process.wait()
            with contextlib.suppress(OSError):
                worker.process.stdout.close()
        self.selector.close()
        if self.on_finish is not None:
            self.on_finish()
