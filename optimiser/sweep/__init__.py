"""Scenario sweeps: run the scenarios of a parameter file on local processes, SLURM or Dask, resume, merge.

See ``docs/scenarios.md``. Python::

    from optimiser.sweep import run_sweep, merge_sweep
    run_sweep("inputs/example_sweep.yaml", executor="local", jobs=2)
    merge_sweep("inputs/example_sweep.yaml")
"""

from __future__ import annotations

from .runner import prepare, run_sweep, select
from .store import SweepStore


def merge_sweep(file, out=None, progress=print, partial: bool = False):
    """Merge the results of a sweep; returns (merged.nc or None, key_figures.csv).

    Raises :class:`optimiser.sweep.merge.SweepIncomplete` if scenarios failed or have not run, unless ``partial``
    (the merged file's attributes then list the missing scenarios and why).
    """
    from ..scenarios import load_sweep_file
    from .merge import merge

    sweep = load_sweep_file(file)
    return merge(sweep, SweepStore.for_sweep(sweep, out), progress=progress, partial=partial)


__all__ = ["SweepStore", "merge_sweep", "prepare", "run_sweep", "select"]
