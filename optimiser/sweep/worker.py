"""A worker process of the local executor: ``python -m optimiser.sweep.worker FILE --out DIR --options JSON``.

It reads scenario indices from stdin, one per line, runs each (:func:`optimiser.sweep.task.run_task`, with the
process's stdout and stderr sent to the scenario's log) and answers with the status as one JSON line on the
original stdout. It exits at the end of stdin, and is killed with its parent (Linux: ``PR_SET_PDEATHSIG``), so a
killed sweep leaves no solver running.

Signals: the parent starts it with SIGINT and SIGHUP blocked (:func:`optimiser.sweep.interrupt.terminal_signals_blocked`),
so Ctrl-C in a terminal, sent to the whole process group, does not interrupt it (no ``KeyboardInterrupt``
traceback in its log); the parent stops it with SIGTERM, whose default action ends it at once, even inside HiGHS.
Whatever it was writing then is a temporary file, which the parent removes.
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys

PARENT_ENV = "OPTIMISER_SWEEP_PARENT"


def die_with_parent() -> None:
    """Ask the kernel to SIGKILL this process when the parent named in the environment dies (Linux only)."""
    parent = int(os.environ.get(PARENT_ENV, "0") or 0)
    if not parent:
        return
    if sys.platform.startswith("linux"):
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(1, int(signal.SIGKILL), 0, 0, 0)  # PR_SET_PDEATHSIG
        except (OSError, AttributeError):
            pass
    if os.getppid() != parent:  # the parent died before the request took effect
        os._exit(1)


def main(argv: list[str] | None = None) -> int:
    die_with_parent()
    import argparse
    import json

    # keep the real stdout for answers; anything else printed goes to stderr (the worker log)
    answers = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)

    parser = argparse.ArgumentParser(prog="optimiser.sweep.worker")
    parser.add_argument("file")
    parser.add_argument("--out", required=True)
    parser.add_argument("--options", default="{}", help="HiGHS options as JSON")
    args = parser.parse_args(argv)

    from ..scenarios import load_sweep_file
    from .store import SweepStore
    from .task import run_task

    sweep = load_sweep_file(args.file)
    store = SweepStore(args.out)
    options = json.loads(args.options)
    for line in sys.stdin:
        line = line.strip()
        if not line:
            continue
        scenario = sweep.scenarios[int(line)]
        status = run_task(sweep, scenario, store, options, redirect_output=True)
        answers.write(json.dumps(status, default=str) + "\n")
        answers.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
