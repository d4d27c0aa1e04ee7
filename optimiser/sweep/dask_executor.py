"""The Dask executor (``--executor dask``): scenarios as tasks on a ``dask.distributed`` cluster.

By default a :class:`distributed.LocalCluster` with ``--jobs`` single-threaded worker processes; with
``--scheduler ADDRESS`` (or ``dask: {scheduler: ...}`` in the parameter file) an existing cluster, for example
one started by ``dask-jobqueue`` on PBS or SLURM (see docs/scenarios.md). Workers must see the same files
(parameter file, case, output folder) and have the package installed. Each task writes its scenario's results and
status file itself; the client (this process) is the only writer of the manifest.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import threading

from ..scenarios import Scenario, SweepFile
from .interrupt import TERMINAL_SIGNALS, StopSignals, SweepInterrupted, signal_name
from .progress import Progress
from .store import FAILED, SweepStore, now

#: how often the client looks for finished tasks (a stop signal wakes it at once)
POLL_S = 0.2


def dask_task(file: str, index: int, out: str, options: dict) -> dict:
    """Run one scenario on a Dask worker (imported by reference, so workers need the package)."""
    from .task import run_index

    # the client chose what to run (including retries of failed scenarios)
    return run_index(file, index, out, options, redirect_output=False, retry_failed=True)


def run_dask(sweep: SweepFile, store: SweepStore, todo: list[Scenario], *, jobs: int, options: dict, progress: Progress,
             scheduler: str | None = None, on_finish=None, stop: StopSignals | None = None) -> dict[str, dict]:
    """Run ``todo`` as Dask tasks; returns the statuses by scenario id.

    With ``stop`` (entered, see :mod:`optimiser.sweep.interrupt`), a stop signal cancels the tasks, closes the
    client and the LocalCluster this function started (its worker processes end, with the scenarios they were
    running), closes the logs of the scenarios cut off, removes their temporary files and raises
    :class:`SweepInterrupted`. The workers of a cluster given by ``scheduler`` are not ours to stop: a scenario
    already running there may still finish and record its result, which the next `sweep run` then keeps.
    """
    try:
        from distributed import Client, LocalCluster, as_completed
    except ImportError as error:  # pragma: no cover - depends on the installation
        raise RuntimeError("the dask executor needs dask.distributed: pip install -c lock.txt -e '.[sweep]' (or 'dask[distributed]')") from error

    stop = stop if stop is not None else StopSignals()  # not entered: never requests a stop
    scheduler = scheduler or sweep.dask.get("scheduler")
    cluster = client = None
    statuses: dict[str, dict] = {}
    futures = []
    try:
        with stop.deferred():
            if scheduler:
                client = Client(scheduler)
            else:
                cluster = LocalCluster(n_workers=jobs, threads_per_worker=1, processes=True, dashboard_address=None,
                                       silence_logs=logging.ERROR, plugins={LeaveTerminalSignals()})
                client = Client(cluster)
            by_key = {}
            for scenario in todo:
                future = client.submit(dask_task, str(sweep.path.resolve()), scenario.index, str(store.root), options,
                                       key=f"optimiser-scenario-{scenario.id}-{now()}", pure=False)
                by_key[future.key] = scenario
                futures.append(future)
            workers = len(client.scheduler_info().get("workers", {})) or jobs
            progress.running = min(workers, len(todo))
            completed = as_completed(futures)
            while not completed.is_empty() and not stop.requested:
                batch = completed.next_batch(block=False)
                if not batch:
                    stop.wait(POLL_S)
                    continue
                for future in batch:
                    scenario = by_key[future.key]
                    try:
                        status = future.result()
                    except Exception as error:  # the task itself records failures; this is a lost worker or similar
                        status = store.read_status(scenario.id) or {}
                        if status.get("status") not in ("ok", FAILED):
                            status = {"id": scenario.id, "name": scenario.name, "status": FAILED, "error": f"dask: {type(error).__name__}: {error}"}
                            store.write_status({**status, "index": scenario.index, "finished": now()})
                    statuses[scenario.id] = status
                    progress.running = min(workers, len(todo) - len(statuses)) + 1  # finished() counts this one off
                    progress.finished(scenario, status)
                    if on_finish is not None:
                        on_finish()
            if stop.requested:
                _stop(client, cluster, futures, by_key, statuses, store, stop.signum)
                client = cluster = None
                raise SweepInterrupted(stop.signum)
    finally:
        if client is not None:
            client.close()
        if cluster is not None:
            cluster.close()
    return statuses


def _stop(client, cluster, futures, by_key, statuses, store: SweepStore, signum: int) -> None:
    """End the scenarios in flight and leave nothing half-written of them.

    A LocalCluster of ours: its worker processes are killed first (SIGKILL, like the local executor's workers), so
    that no task records a failure while the cluster shuts down, then closed. A cluster given by address: the
    tasks are cancelled (one already running there may still finish and record its result).
    """
    with _teardown_logs_silenced():
        if cluster is not None:
            for nanny in list(cluster.workers.values()):
                with contextlib.suppress(ProcessLookupError, TypeError, AttributeError):  # gone already, or no process
                    os.kill(nanny.pid, signal.SIGKILL)
        else:
            with contextlib.suppress(Exception):  # a scheduler that is gone already cannot cancel anything: nothing runs
                client.cancel([f for f in futures if not f.done()])
        reason = (f"the sweep stopped on {signal_name(signum)} before this scenario finished; nothing of this attempt "
                  f"is kept and the next `sweep run` solves it again")
        for scenario in by_key.values():
            if scenario.id not in statuses:  # writes only into a log whose last attempt has no outcome
                store.note_interrupted(scenario.id, reason)
            if cluster is not None:  # our workers are gone: their temporary files can go
                store.remove_scenario_temporaries(scenario.id)
        client.close()
        if cluster is not None:
            cluster.close()


@contextlib.contextmanager
def _teardown_logs_silenced():
    """While the sweep tears down the cluster on a stop, this process's ``distributed`` and ``tornado`` loggers stay
    quiet: the closed connections they would report, with tracebacks, are the shutdown itself, which the sweep's
    one line reports. Their levels are restored afterwards."""
    names = [n for n in list(logging.root.manager.loggerDict) if n.split(".")[0] in ("distributed", "tornado")]
    loggers = [logging.getLogger(n) for n in ["distributed", "tornado", *names]]
    saved = [(logger, logger.level) for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.CRITICAL + 1)
    try:
        yield
    finally:
        for logger, level in saved:
            logger.setLevel(level)


try:
    from distributed import WorkerPlugin as _WorkerPlugin
except ImportError:  # pragma: no cover - without distributed, run_dask says what to install
    _WorkerPlugin = object


class LeaveTerminalSignals(_WorkerPlugin):
    """Dask worker plugin: the worker process ignores SIGINT and SIGHUP, which a terminal sends to the whole process
    group (Ctrl-C, hang-up); the client handles them and stops the cluster (see :mod:`optimiser.sweep.interrupt`)."""

    name = "optimiser-leave-terminal-signals"

    def setup(self, worker) -> None:
        if threading.current_thread() is threading.main_thread():  # the worker's event loop runs in the main thread
            for signum in TERMINAL_SIGNALS:
                signal.signal(signum, signal.SIG_IGN)
