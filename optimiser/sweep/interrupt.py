"""Stopping a sweep on a signal: SIGTERM, SIGINT (Ctrl-C) and SIGHUP become a clean, recorded stop.

``sweep run`` and ``sweep task`` hold a :class:`StopSignals` while they run. The first stop signal is recorded;
the executor stops its workers, discards the scenarios in flight (their files are written atomically, so
discarding one leaves only temporary files, which are removed under the sweep's lock) and raises
:class:`SweepInterrupted`, which the command line turns into one line (what finished, what did not, the command
that resumes) and the exit status ``128 + signal number``:

=========  ======  ==================================================================
signal     exit    sent by
=========  ======  ==================================================================
SIGINT     130     Ctrl-C in the terminal (to the whole foreground process group)
SIGTERM    143     ``kill``, SLURM (time limit, ``scancel``, ``--signal``), container stop
SIGHUP     129     the terminal closing (ssh connection lost)
=========  ======  ==================================================================

Outside an executor's loop (loading and checking the case, before any scenario runs) the handler raises
:class:`SweepInterrupted` at once; inside ``with stop.deferred():`` it only records the signal and wakes the loop
(:meth:`StopSignals.fileno` is readable, :meth:`StopSignals.wait` returns), which then stops in order. Further
signals while stopping are recorded and ignored: stopping takes about a second (the workers are killed, not
waited for).
"""

from __future__ import annotations

import contextlib
import os
import select
import signal
import threading

STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)
#: signals that a terminal sends to the whole foreground process group: the workers leave them to the parent
TERMINAL_SIGNALS = (signal.SIGINT, signal.SIGHUP)


def exit_status(signum: int) -> int:
    """The shell's convention for a process ended by a signal: 128 + the signal number (SIGTERM 143, SIGINT 130)."""
    return 128 + int(signum)


def signal_name(signum: int) -> str:
    return signal.Signals(signum).name


class SweepInterrupted(BaseException):
    """A sweep (or a sweep task) stopped on a signal.

    A ``BaseException`` like KeyboardInterrupt, so that no ``except Exception`` on the way records it as a
    failed scenario. ``summary`` is the one-line report (set by whoever knows the sweep's state), ``status`` the
    exit status to use.
    """

    def __init__(self, signum: int, summary: str = ""):
        super().__init__(summary or f"stopped by {signal_name(signum)}")
        self.signum = int(signum)
        self.summary = summary

    @property
    def status(self) -> int:
        return exit_status(self.signum)

    @property
    def name(self) -> str:
        return signal_name(self.signum)


class StopSignals:
    """Turn SIGTERM, SIGINT and SIGHUP into a stop request while in use (a context manager, main thread only).

    ``signum`` is the first stop signal received (None until then). Off the main thread (where Python cannot
    install handlers) it does nothing and never requests a stop.
    """

    def __init__(self):
        self.signum: int | None = None
        self.received: list[int] = []
        self._deferred = 0
        self._previous: dict[int, object] = {}
        self._read = self._write = -1

    # context manager
    def __enter__(self) -> "StopSignals":
        if threading.current_thread() is not threading.main_thread():
            return self
        self._read, self._write = os.pipe()
        os.set_blocking(self._read, False)
        os.set_blocking(self._write, False)
        for signum in STOP_SIGNALS:
            self._previous[signum] = signal.signal(signum, self._handle)
        return self

    def __exit__(self, *exc) -> None:
        for signum, handler in self._previous.items():
            signal.signal(signum, handler)
        self._previous.clear()
        for fd in (self._read, self._write):
            if fd >= 0:
                os.close(fd)
        self._read = self._write = -1

    @property
    def active(self) -> bool:
        return self._read >= 0

    @property
    def requested(self) -> bool:
        return self.signum is not None

    def _handle(self, signum, frame) -> None:
        first = self.signum is None
        self.received.append(signum)
        if first:
            self.signum = signum
        with contextlib.suppress(OSError):  # a full pipe is awake already
            os.write(self._write, b"!")
        if first and not self._deferred:
            raise SweepInterrupted(signum)

    @contextlib.contextmanager
    def deferred(self):
        """While inside, a stop signal is only recorded (the executor's loop polls :attr:`requested`).

        A signal that came before entering is raised on entry, so that it is not lost.
        """
        if self.signum is not None and not self._deferred:
            raise SweepInterrupted(self.signum)
        self._deferred += 1
        try:
            yield self
        finally:
            self._deferred -= 1

    def fileno(self) -> int:
        """A file descriptor that becomes readable on a stop signal (for a selector); -1 if inactive."""
        return self._read

    def wait(self, timeout: float) -> bool:
        """Sleep up to ``timeout`` seconds or until a stop signal; True if a stop was requested."""
        if self.signum is not None:
            return True
        if self._read < 0:
            threading.Event().wait(timeout)
            return self.signum is not None
        with contextlib.suppress(InterruptedError):
            select.select([self._read], [], [], timeout)
        return self.signum is not None

    def raise_if_requested(self) -> None:
        if self.signum is not None:
            raise SweepInterrupted(self.signum)


@contextlib.contextmanager
def terminal_signals_blocked():
    """Block SIGINT and SIGHUP in this thread while starting a worker process, which inherits the mask.

    A terminal sends Ctrl-C (SIGINT) and a hang-up (SIGHUP) to the whole foreground process group, parent and
    workers alike. Blocked in a worker from its first instruction on (so also while it imports), they never
    interrupt it: the parent, which handles them, stops the workers itself. SIGTERM keeps its default action and
    ends a worker at once. A signal that reaches the parent meanwhile stays pending and is handled right after.
    """
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, TERMINAL_SIGNALS)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


__all__ = ["STOP_SIGNALS", "StopSignals", "SweepInterrupted", "exit_status", "signal_name", "terminal_signals_blocked"]
