"""The local executor: N worker processes on this machine (``--executor local --jobs N``).

Each worker (:mod:`optimiser.sweep.worker`) is a separate Python process that imports the package once and runs
scenarios one after the other, as the parent hands them out over a pipe. A worker that dies (killed, out of
memory, crashed solver) costs only its current scenario, which is recorded as failed, and is replaced. The
parent is the only process that writes the manifest; the workers write their scenarios' status files. Workers are
killed by the kernel if the parent dies (``PR_SET_PDEATHSIG``), so a killed sweep leaves nothing running.
"""

from __future__ import annotations

import json
import os
import selectors
import signal
import subprocess
import sys
import time
from collections import deque

from ..scenarios import Scenario, SweepFile
from .progress import Progress
from .store import FAILED, SweepStore, now
from .worker import PARENT_ENV

MANIFEST_INTERVAL_S = 1.0


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
              progress: Progress, on_finish=None) -> dict[str, dict]:
    """Run ``todo`` on ``jobs`` worker processes; returns the statuses by scenario id."""
    env = dict(os.environ)
    env[PARENT_ENV] = str(os.getpid())
    threads = str(options.get("threads", 1))
    for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        env.setdefault(name, threads)
    command = [sys.executable, "-m", "optimiser.sweep.worker", str(sweep.path.resolve()), "--out", str(store.root),
               "--options", json.dumps(options)]
    queue = deque(todo)
    selector = selectors.DefaultSelector()
    workers: list[_Worker] = []
    statuses: dict[str, dict] = {}
    started = 0
    last_manifest = 0.0

    def start_worker() -> None:
        nonlocal started
        started += 1
        errors = open(store.logs_dir / f"worker-{started}.log", "a")
        process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=errors, env=env, text=True, bufsize=1)
        errors.close()
        worker = _Worker(started, process)
        workers.append(worker)
        selector.register(process.stdout, selectors.EVENT_READ, worker)
        assign(worker)

    def assign(worker: _Worker) -> None:
        if queue:
            scenario = queue.popleft()
            worker.scenario, worker.assigned_at = scenario, now()
            progress.started(scenario)
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

    def finished(scenario: Scenario, status: dict) -> None:
        nonlocal last_manifest
        statuses[scenario.id] = status
        progress.finished(scenario, status)
        if on_finish is not None and time.monotonic() - last_manifest >= MANIFEST_INTERVAL_S:
            on_finish()
            last_manifest = time.monotonic()

    try:
        for _ in range(min(jobs, len(queue))):
            start_worker()
        while any(w.scenario is not None for w in workers):
            for key, _ in selector.select(timeout=1.0):
                worker: _Worker = key.data
                line = worker.process.stdout.readline()
                if line:
                    scenario = worker.scenario
                    worker.scenario = None
                    finished(scenario, json.loads(line))
                    assign(worker)
                    continue
                # end of the worker's output: it exited
                selector.unregister(worker.process.stdout)
                code = worker.process.wait()
                workers.remove(worker)
                if worker.scenario is not None:
                    finished(worker.scenario, _death_status(store, worker.scenario, code, worker.assigned_at, f"logs/worker-{worker.number}.log"))
                    worker.scenario = None
                    if queue:
                        start_worker()
    finally:
        for worker in workers:  # normally all idle already; after an error in this process, stop them all
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
        selector.close()
        if on_finish is not None:
            on_finish()
    return statuses
