"""Where the subproblems live and run: in this process, in local worker processes, or on a Dask cluster.

Each worker holds a fixed group of subproblems (:class:`.subproblem.SubproblemGroup`) built once from plain arrays;
an iteration sends each worker the master's values for its blocks and receives values and subgradients: only
capacities, budgets and cuts travel. Groups are balanced by the subproblems' sizes (largest first onto the least
loaded worker).

* ``serial``: one group in this process (tests, one core).
* ``processes`` (default): ``workers`` local processes (spawned, so HiGHS's thread pool of this process is not
  inherited), each single-threaded.
* ``dask``: one Dask actor per worker of a cluster: a ``LocalCluster`` of ``workers`` single-threaded processes, or
  the scheduler at ``scheduler`` (for SLURM or PBS, start the cluster with dask-jobqueue and pass its address;
  docs/model.md, section 13).
"""

from __future__ import annotations

import logging
import multiprocessing
import time

import numpy as np

from .subproblem import SubproblemGroup

from .settings import EXECUTORS  # noqa: F401 (re-exported)


def balance(specs: list[dict], workers: int) -> list[list[dict]]:
    """Split subproblem specs into ``workers`` groups of similar total size (non-zeros): longest first, onto the
    least loaded group."""
    workers = max(1, min(int(workers), len(specs)))
    groups: list[list[dict]] = [[] for _ in range(workers)]
    load = np.zeros(workers)
    for spec in sorted(specs, key=lambda s: -s["matrix"].nnz):
        target = int(np.argmin(load))
        groups[target].append(spec)
        load[target] += spec["matrix"].nnz + 1
    return [group for group in groups if group]


def _worker(connection, specs, penalty, options):
    """A local worker process: build the group, then answer requests until told to stop."""
    try:
        group = SubproblemGroup(specs, penalty, options)
        connection.send(("ready", None))
    except Exception as error:  # noqa: BLE001 (sent back to the parent, which raises it)
        connection.send(("error", f"{type(error).__name__}: {error}"))
        return
    while True:
        try:
            request = connection.recv()
        except EOFError:
            return
        kind, payload = request
        if kind == "stop":
            return
        try:
            if kind == "lower_bounds":
                connection.send(("ok", group.lower_bounds()))
            else:
                values, solution = payload
                connection.send(("ok", group.evaluate(values, solution)))
        except Exception as error:  # noqa: BLE001
            connection.send(("error", f"{type(error).__name__}: {error}"))


class SerialExecutor:
    name = "serial"

    def __init__(self, specs: list[dict], penalty: float, options: dict | None = None, workers: int = 1, **_):
        self.groups = [SubproblemGroup(specs, penalty, options)]
        self.workers = 1
        self.owner = {spec["index"]: 0 for spec in specs}

    def lower_bounds(self) -> dict[int, float]:
        return self.groups[0].lower_bounds()

    def evaluate(self, values: dict[int, np.ndarray], solution: bool = False) -> list[dict]:
        return self.groups[0].evaluate(values, solution)

    def close(self) -> None:
        self.groups = []


class ProcessExecutor:
    name = "processes"

    def __init__(self, specs: list[dict], penalty: float, options: dict | None = None, workers: int = 2, **_):
        context = multiprocessing.get_context("spawn")
        groups = balance(specs, workers)
        self.workers = len(groups)
        self.owner = {spec["index"]: w for w, group in enumerate(groups) for spec in group}
        self.connections, self.processes = [], []
        for group in groups:
            parent, child = context.Pipe()
            process = context.Process(target=_worker, args=(child, group, penalty, options), daemon=True)
            process.start()
            child.close()
            self.connections.append(parent)
            self.processes.append(process)
        for connection in self.connections:
            self._receive(connection)

    def _receive(self, connection):
        try:
            kind, payload = connection.recv()
        except EOFError:
            self.close()
            raise RuntimeError("a Benders worker process ended unexpectedly") from None
        if kind == "error":
            self.close()
            raise RuntimeError(f"Benders worker: {payload}")
        return payload

    def lower_bounds(self) -> dict[int, float]:
        for connection in self.connections:
            connection.send(("lower_bounds", None))
        bounds = {}
        for connection in self.connections:
            bounds.update(self._receive(connection))
        return bounds

    def evaluate(self, values: dict[int, np.ndarray], solution: bool = False) -> list[dict]:
        parts = [dict() for _ in self.connections]
        for index, v in values.items():
            parts[self.owner[index]][index] = v
        for connection, part in zip(self.connections, parts):
            connection.send(("evaluate", (part, solution)))
        results = []
        for connection in self.connections:
            results.extend(self._receive(connection))
        return results

    def close(self) -> None:
        for connection in self.connections:
            try:
                connection.send(("stop", None))
            except (BrokenPipeError, OSError):
                pass
        for process in self.processes:
            process.join(timeout=5)
            if process.is_alive():
                process.kill()
        self.connections, self.processes = [], []


class DaskExecutor:
    """One :class:`SubproblemGroup` actor per Dask worker."""

    name = "dask"

    def __init__(self, specs: list[dict], penalty: float, options: dict | None = None, workers: int = 2, scheduler: str | None = None, **_):
        from distributed import Client, LocalCluster

        self.cluster = None
        if scheduler:
            self.client = Client(scheduler)
        else:
            self.cluster = LocalCluster(n_workers=int(workers), threads_per_worker=1, processes=True, dashboard_address=None,
                                        silence_logs=logging.ERROR)
            self.client = Client(self.cluster)
        addresses = sorted(self.client.scheduler_info()["workers"])
        if not addresses:
            self.close()
            raise RuntimeError(f"the Dask scheduler {scheduler} has no workers")
        groups = balance(specs, len(addresses))
        self.workers = len(groups)
        self.owner = {spec["index"]: w for w, group in enumerate(groups) for spec in group}
        futures = [self.client.submit(SubproblemGroup, group, penalty, options, actor=True, workers=[address], pure=False)
                   for group, address in zip(groups, addresses)]
        self.actors = [future.result() for future in futures]

    def lower_bounds(self) -> dict[int, float]:
        bounds = {}
        for future in [actor.lower_bounds() for actor in self.actors]:
            bounds.update(future.result())
        return bounds

    def evaluate(self, values: dict[int, np.ndarray], solution: bool = False) -> list[dict]:
        parts = [dict() for _ in self.actors]
        for index, v in values.items():
            parts[self.owner[index]][index] = v
        futures = [actor.evaluate(part, solution) for actor, part in zip(self.actors, parts)]
        results = []
        for future in futures:
            results.extend(future.result())
        return results

    def close(self) -> None:
        self.actors = []
        try:
            self.client.close()
        finally:
            if self.cluster is not None:
                self.cluster.close()


def make_executor(name: str, specs: list[dict], penalty: float, options: dict | None, workers: int, scheduler: str | None = None):
    start = time.perf_counter()
    kind = {"serial": SerialExecutor, "processes": ProcessExecutor, "dask": DaskExecutor}[name]
    executor = kind(specs, penalty, options, workers=workers, scheduler=scheduler)
    executor.startup_s = time.perf_counter() - start
    return executor
