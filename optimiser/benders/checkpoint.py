"""Benders checkpoints: the cuts, the bounds of every iteration and the best point, written atomically after each
iteration beside the results (``<out>.benders.npz``). A run of the same programme (same fingerprint: same
decomposition, same numbers) resumes from it; another programme's checkpoint is ignored with a note in the log."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np

from ..atomic import atomic_path


class Checkpoint:
    def __init__(self, path: Path | None, fingerprint: str):
        self.path = Path(path) if path else None
        self.fingerprint = fingerprint

    def load(self) -> dict | None:
        """The saved state, if the file exists and belongs to this programme."""
        if self.path is None or not self.path.exists():
            return None
        with np.load(self.path, allow_pickle=False) as saved:
            if str(saved["fingerprint"]) != self.fingerprint:
                return None
            state = {key: saved[key] for key in saved.files}
        names = [str(n) for n in state["history_names"]]
        state["history"] = [dict(zip(names, row)) for row in state["history_values"].tolist()]
        for row in state["history"]:
            row["iteration"], row["cuts"] = int(row["iteration"]), int(row["cuts"])
        return state

    def save(self, cuts: dict, history: list, best_upper: float, best_point: np.ndarray | None, best_penalised: float,
             center: np.ndarray | None) -> None:
        if self.path is None:
            return
        names = [f.name for f in dataclasses.fields(history[0])] if history else []
        values = np.array([[float(getattr(h, n)) for n in names] for h in history], dtype=float).reshape(len(history), len(names))
        with atomic_path(self.path) as temporary:
            with open(temporary, "wb") as stream:
                np.savez(stream, fingerprint=np.array(self.fingerprint), history_names=np.array(names), history_values=values,
                         best_upper=np.array(best_upper), best_point=np.zeros(0) if best_point is None else best_point,
                         best_penalised=np.array(best_penalised), center=np.zeros(0) if center is None else center, **cuts)
