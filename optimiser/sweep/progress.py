"""Progress of a sweep: done / failed / running / remaining and an estimate of the time left.

On a terminal a tqdm bar (the estimate is tqdm's, from the rate of finished scenarios); otherwise, e.g. in CI
logs or under SLURM, one plain line per finished scenario with the same counts and estimate.
"""

from __future__ import annotations

import sys
import time


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "?"
    seconds = int(round(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{seconds:02d}" if hours else f"{minutes}:{seconds:02d}"


class Progress:
    def __init__(self, total: int, *, skipped: int = 0, stream=None, bar: bool | None = None, label: str = "sweep"):
        self.total = total
        self.skipped = skipped
        self.ok = 0
        self.failed = 0
        self.running = 0
        self.start = time.monotonic()
        self.stream = stream if stream is not None else sys.stderr
        use_bar = bar if bar is not None else bool(getattr(self.stream, "isatty", lambda: False)())
        self._bar = None
        if use_bar:
            try:
                from tqdm import tqdm

                self._bar = tqdm(total=total, desc=label, unit="scenario", file=self.stream, dynamic_ncols=True)
                self._update_postfix()
            except ImportError:
                self._bar = None

    @property
    def done(self) -> int:
        return self.ok + self.failed

    @property
    def remaining(self) -> int:
        return self.total - self.done

    def eta(self) -> float | None:
        if not self.done:
            return None
        elapsed = time.monotonic() - self.start
        return elapsed / self.done * self.remaining

    def counts(self) -> str:
        return f"ok={self.ok} failed={self.failed} running={self.running} remaining={self.remaining}"

    def _update_postfix(self) -> None:
        if self._bar is not None:
            self._bar.set_postfix_str(self.counts(), refresh=True)

    def write(self, text: str) -> None:
        if self._bar is not None:
            self._bar.write(text, file=self.stream)
        else:
            print(text, file=self.stream, flush=True)

    def started(self, scenario) -> None:
        self.running += 1
        self._update_postfix()

    def finished(self, scenario, status: dict) -> None:
        self.running = max(0, self.running - 1)
        if status.get("status") == "ok":
            self.ok += 1
        else:
            self.failed += 1
        objective = status.get("objective")
        detail = f"objective {objective:.6g}" if objective is not None else (status.get("error") or "")[:200]
        line = f"{status.get('status', '?'):6} {scenario.name} ({scenario.id}): {detail} [{(status.get('wall_s') or 0):.1f} s]"
        if self._bar is not None:
            self._bar.write(line, file=self.stream)
            self._bar.update(1)
            self._update_postfix()
        else:
            print(f"[{self.done}/{self.total}] {line}; {self.counts()}, about {_duration(self.eta())} left", file=self.stream, flush=True)

    def close(self, summary: bool = True) -> None:
        """End the bar; print the summary line unless ``summary`` is False (a stopped sweep prints its own)."""
        if self._bar is not None:
            self._bar.close()
        if not summary:
            return
        elapsed = time.monotonic() - self.start
        skipped = f", {self.skipped} already finished" if self.skipped else ""
        print(f"sweep: {self.ok} ok, {self.failed} failed, {self.remaining} not run{skipped} in {_duration(elapsed)}",
              file=self.stream, flush=True)
