"""Benders decomposition with budget variables and level-set regularisation (setting ``method: benders``;
docs/model.md, section 13).

The programme the monolithic solve would hand to HiGHS is split (:mod:`.partition`) into a master of investment,
retirement, corridor and budget decisions and one operational subproblem per (period, block of representative
periods); subproblems stay resident on their workers (:mod:`.executors`) and return values and subgradients that
become multi-cuts in the master (:mod:`.master`). The loop stops when the relative gap between the best feasible
point's cost (upper bound) and the master's optimum (lower bound) is at most ``gap``. Cuts and bounds are written
atomically every iteration (:mod:`.checkpoint`); a run of the same programme resumes from them.

The final point is assembled into a solution of the whole programme (the same results dataset as a monolithic run:
column values from the master and the blocks, row duals from the blocks' rows and the master's rows).
"""

from __future__ import annotations

from .settings import DEFAULTS, EXECUTORS, METHODS, method, options_of, setting_issues


class BendersError(ValueError):
    """The case cannot be solved by decomposition as asked."""


def solve_benders(*args, **kwargs):
    """:func:`.loop.solve_benders` (imported on use: this package's settings are read without importing HiGHS)."""
    from .loop import solve_benders as run

    return run(*args, **kwargs)


def annotate(ds, solution) -> None:
    """:func:`.loop.annotate`."""
    from .loop import annotate as run

    run(ds, solution)


__all__ = ["BendersError", "DEFAULTS", "EXECUTORS", "METHODS", "annotate", "method", "options_of", "setting_issues", "solve_benders"]
