"""Settings of the decomposition: ``method`` and the ``benders`` mapping (checked with the other settings)."""

from __future__ import annotations

import difflib

import numpy as np

EXECUTORS = ("serial", "processes", "dask")
METHODS = ("monolithic", "benders")
DEFAULTS = {
    "gap": 1e-3, "max_iterations": 500, "level": 0.5, "regularisation": "level_set", "days_per_block": 1,
    "executor": "processes", "workers": 2, "scheduler": None, "penalty": None, "checkpoint": True, "time_limit": None,
    "level_solver": "ipx", "relax": True, "start": None, "relaxation": "day",
}
#: where the first point comes from: the master LP's vertex (blank) or the myopic pathway of the same case (its
#: capacities and each block's share of the coupling rows), a feasible point that gives an upper bound at once
STARTS = ("myopic",)
#: the blocks' aggregated copies in the master (relaxation.py): none, one step per block, one per representative day,
#: one typical day per block
RELAXATIONS = ("none", "block", "day", "typical_day")


def method(case) -> str:
    return str(case.settings.get("method") or "monolithic")


def options_of(settings: dict) -> dict:
    """The ``benders`` settings merged over the defaults."""
    return {**DEFAULTS, **(settings.get("benders") or {})}


def setting_issues(settings: dict) -> list[tuple[str, object, str]]:
    """Problems with ``method`` and ``benders`` as (setting, value, expected) triples."""
    issues = []
    chosen = settings.get("method")
    if chosen is not None and chosen not in METHODS:
        issues.append(("method", chosen, "one of " + ", ".join(repr(m) for m in METHODS)))
    if chosen == "benders" and settings.get("foresight") not in (None, "perfect"):
        issues.append(("method", chosen, f"monolithic with foresight: {settings.get('foresight')} (Benders decomposes the perfect-foresight "
                                         "programme; windows are solved whole)"))
    given = settings.get("benders")
    if given is None:
        return issues
    if not isinstance(given, dict):
        return issues + [("benders", given, "a mapping such as {gap: 0.001, workers: 2}")]
    for key, value in given.items():
        if key not in DEFAULTS:
            close = difflib.get_close_matches(str(key), DEFAULTS, n=1)
            issues.append((f"benders.{key}", value, "one of " + ", ".join(DEFAULTS) + (f" (did you mean {close[0]}?)" if close else "")))
            continue
        if value is None and DEFAULTS[key] is None:
            continue
        expected = {
            "gap": ("a relative gap > 0 and < 1", lambda v: _number(v) and 0 < v < 1),
            "max_iterations": ("an integer >= 1", lambda v: _integer(v) and v >= 1),
            "level": ("a number in (0, 1)", lambda v: _number(v) and 0 < v < 1),
            "regularisation": ("level_set or none", lambda v: v in ("level_set", "none")),
            "days_per_block": ("an integer >= 1", lambda v: _integer(v) and v >= 1),
            "executor": ("one of " + ", ".join(EXECUTORS), lambda v: v in EXECUTORS),
            "workers": ("an integer >= 1", lambda v: _integer(v) and v >= 1),
            "scheduler": ("a Dask scheduler address such as tcp://host:8786", lambda v: isinstance(v, str)),
            "penalty": ("a number > 0 (bn CNY per unit of a master value a block cannot meet), or blank", lambda v: _number(v) and v > 0),
            "checkpoint": ("true or false", lambda v: isinstance(v, bool)),
            "time_limit": ("seconds > 0, or blank", lambda v: _number(v) and v > 0),
            "level_solver": ("ipx, ipm or hipo", lambda v: v in ("ipx", "ipm", "hipo")),
            "relax": ("true or false", lambda v: isinstance(v, bool)),
            "start": ("myopic, or blank (the master's own first point)", lambda v: v in STARTS),
            "relaxation": ("none, block, day or typical_day (a copy of each block's operation aggregated per block, per representative "
                           "day or into one typical day, kept in the master as a lower bound of its cost)", lambda v: v in RELAXATIONS),
        }[key]
        if not expected[1](value):
            issues.append((f"benders.{key}", value, expected[0]))
    return issues


def _number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and np.isfinite(value)


def _integer(value) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool)
