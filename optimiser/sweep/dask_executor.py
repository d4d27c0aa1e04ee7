"""The Dask executor (``--executor dask``): scenarios as tasks on a ``dask.distributed`` cluster.

By default a :class:`distributed.LocalCluster` with ``--jobs`` single-threaded worker processes; with
``--scheduler ADDRESS`` (or ``dask: {scheduler: ...}`` in the parameter file) an existing cluster, for example
one started by ``dask-jobqueue`` on PBS or SLURM (see docs/scenarios.md). Workers must see the same files
(parameter file, case, output folder) and have the package installed. Each task writes its scenario's results and
status file itself; the client (this process) is the only writer of the manifest.
"""

from __future__ import annotations

import logging

from ..scenarios import Scenario, SweepFile
from .progress import Progress
from .store import FAILED, SweepStore, now


def dask_task(file: str, index: int, out: str, options: dict) -> dict:
    """Run one scenario on a Dask worker (imported by reference, so workers need the package)."""
    from .task import run_index

    # the client chose what to run (including retries of failed scenarios)
    return run_index(file, index, out, options, redirect_output=False, retry_failed=True)


def run_dask(sweep: SweepFile, store: SweepStore, todo: list[Scenario], *, jobs: int, options: dict, progress: Progress,
             scheduler: str | None = None, on_finish=None) -> dict[str, dict]:
    try:
        from distributed import Client, LocalCluster, as_completed
    except ImportError as error:  # pragma: no cover - depends on the installation
        raise RuntimeError("the dask executor needs dask.distributed: pip install -c lock.txt -e '.[sweep]' (or 'dask[distributed]')") from error

    scheduler = scheduler or sweep.dask.get("scheduler")
    cluster = None
    if scheduler:
        client = Client(scheduler)
    else:
        cluster = LocalCluster(n_workers=jobs, threads_per_worker=1, processes=True, dashboard_address=None, silence_logs=logging.ERROR)
        client = Client(cluster)
    statuses: dict[str, dict] = {}
    try:
        by_key = {}
        futures = []
        for scenario in todo:
            future = client.submit(dask_task, str(sweep.path.resolve()), scenario.index, str(store.root), options,
                                   key=f"optimiser-scenario-{scenario.id}-{now()}", pure=False)
            by_key[future.key] = scenario
            futures.append(future)
        workers = len(client.scheduler_info().get("workers", {})) or jobs
        progress.running = min(workers, len(todo))
        for future in as_completed(futures):
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
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
    return statuses
