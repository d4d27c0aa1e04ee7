"""Stopping a sweep with signals, resuming it, and merging an unfinished one.

Each signal test starts ``optimiser sweep run`` on a 3-scenario sweep of inputs/example in a subprocess (its own
process group, as a shell job), waits until the first scenario has written its status file, sends the signal and
checks what a user sees: the exit status (128 + signal), one line saying what finished, what did not and how to
resume, no traceback anywhere (terminal, worker logs), nothing half-written and no process left. The resumed
sweep must then give the results of an uninterrupted run. No fixed sleeps: every wait is for a file or a process.
"""

from __future__ import annotations

import io
import os
import re
import shlex
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
import xarray as xr
import yaml

from casebuilder import EXAMPLE

from optimiser.scenarios import load_sweep_file
from optimiser.sweep import cli as sweep_cli
from optimiser.sweep import run_sweep
from optimiser.sweep.interrupt import SweepInterrupted
from optimiser.sweep.store import SweepStore

TIMEOUT_S = 180
SOLAR_CAPEX = {"table": "technology_periods", "where": {"technology": "solar"}, "column": "capex_CNY_per_kW", "operation": "scale", "base": 1}
POINTS = [{"solar_capex": 0.7}, {"solar_capex": 0.85}]


def write_sweep(path: Path) -> Path:
    path.write_text(yaml.safe_dump({
        "case": str(EXAMPLE), "include_base": True, "solver": {"threads": 1},
        "parameters": {"solar_capex": SOLAR_CAPEX}, "sweeps": [{"list": POINTS}],
    }, sort_keys=False))
    return path


def children(pid: int) -> set[int]:
    """All live descendants of ``pid`` (Linux /proc)."""
    found, todo = set(), [pid]
    while todo:
        parent = todo.pop()
        for task in Path(f"/proc/{parent}/task").glob("*"):
            try:
                kids = [int(k) for k in (task / "children").read_text().split()]
            except OSError:
                continue
            for kid in kids:
                if kid not in found:
                    found.add(kid)
                    todo.append(kid)
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def wait_until(condition, process: subprocess.Popen, what: str) -> None:
    deadline = time.monotonic() + TIMEOUT_S
    while not condition():
        if process.poll() is not None:
            out, err = process.communicate()
            pytest.fail(f"the sweep ended before {what}: exit {process.returncode}\n{out}\n{err}")
        assert time.monotonic() < deadline, f"no {what} within {TIMEOUT_S} s"
        time.sleep(0.02)


def interrupt(command: list[str], store: SweepStore, signum: int, *, group: bool = False, cwd: Path | None = None,
              env: dict | None = None, workers: int = 1) -> dict:
    """Start ``command``, wait for the first status file (and ``workers`` worker processes), send ``signum``.

    Returns exit status, output, the seconds from the signal to the exit and the descendants that outlived it.
    """
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=cwd, env=env,
                               process_group=0)
    try:
        wait_until(lambda: any(store.status_dir.glob("*.json")) if store.status_dir.is_dir() else False, process, "a status file")
        wait_until(lambda: len(children(process.pid)) >= workers, process, f"{workers} worker process(es)")
        descendants = children(process.pid)
        sent = time.monotonic()
        if group:
            os.killpg(process.pid, signum)  # as Ctrl-C in a terminal does: the whole foreground process group
        else:
            process.send_signal(signum)
        out, err = process.communicate(timeout=60)
        seconds = time.monotonic() - sent
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    deadline = time.monotonic() + 10
    while any(alive(p) for p in descendants) and time.monotonic() < deadline:
        time.sleep(0.05)
    return {"code": process.returncode, "out": out, "err": err, "seconds": seconds,
            "survivors": sorted(p for p in descendants if alive(p))}


def stop_line(result: dict) -> str:
    lines = [line for line in result["err"].splitlines() if " stopped by " in line]
    assert len(lines) == 1, result["err"]
    return lines[0]


def assert_clean(result: dict, store: SweepStore, signame: str, code: int) -> str:
    """Exit status, the one line, no traceback, no survivor, nothing half-written, nothing recorded as failed."""
    assert result["code"] == code, result
    line = stop_line(result)
    assert f"stopped by {signame}: " in line
    assert "Traceback" not in result["out"] + result["err"], result["err"]
    for log in store.logs_dir.glob("*.log"):
        assert "Traceback" not in log.read_text(), f"{log.name}:\n{log.read_text()}"
    assert result["survivors"] == [], "processes outlived the stopped sweep"
    assert [p for p in store.root.rglob("*") if p.name.endswith(".tmp")] == []
    statuses = store.statuses()
    assert statuses and all(s["status"] == "ok" for s in statuses.values()), statuses
    return line


def resume_words(line: str) -> list[str]:
    return shlex.split(line.split("resume with: ", 1)[1].split(" (failed ones", 1)[0])


@pytest.fixture(scope="module")
def sweep_file(tmp_path_factory) -> Path:
    return write_sweep(tmp_path_factory.mktemp("signals") / "three.yaml")


@pytest.fixture(scope="module")
def uninterrupted(sweep_file, tmp_path_factory):
    """The same sweep run to the end without a signal: its folder, and objectives and capacities by scenario id."""
    out = tmp_path_factory.mktemp("uninterrupted") / "out"
    outcome = run_sweep(sweep_file, jobs=2, out=out, stream=io.StringIO())
    assert outcome.failed == 0 and len(outcome.statuses) == 3
    store = SweepStore(out)
    return {"out": out, "results": {sid: load(store, sid) for sid in outcome.statuses}}


def load(store: SweepStore, scenario_id: str) -> dict:
    with xr.open_dataset(store.result_path(scenario_id)) as ds:
        return {"objective": float(ds.attrs["objective"]), "capacity": ds["capacity"].sum("region").load()}


def assert_same_results(store: SweepStore, uninterrupted: dict) -> None:
    for scenario_id, expected in uninterrupted["results"].items():
        got = load(store, scenario_id)
        assert got["objective"] == pytest.approx(expected["objective"], rel=1e-9), scenario_id
        xr.testing.assert_allclose(got["capacity"], expected["capacity"], rtol=1e-6, atol=1e-6)


#: signal, to the whole process group?, exit status, workers, resume afterwards? (resuming does not depend on the
#: signal: twice is enough; one worker where two add nothing: this keeps the tests fast on two cores)
MODES = {
    "SIGTERM to the parent": (signal.SIGTERM, False, 143, 2, True),
    "SIGINT to the parent": (signal.SIGINT, False, 130, 1, False),
    "SIGINT to the process group (Ctrl-C)": (signal.SIGINT, True, 130, 2, True),
    # a batch system's time limit or a container stop: SIGTERM to every process, the workers die of it at once
    "SIGTERM to the process group": (signal.SIGTERM, True, 143, 1, False),
}


@pytest.mark.parametrize("mode", list(MODES))
def test_local_sweep_stops_on_signal_and_resumes(mode, sweep_file, uninterrupted, tmp_path, capsys):
    signum, group, code, jobs, resume = MODES[mode]
    out = tmp_path / "out"
    store = SweepStore(out)
    command = [sys.executable, "-m", "optimiser", "sweep", "run", str(sweep_file), "--jobs", str(jobs), "--out", str(out)]
    result = interrupt(command, store, signum, group=group, cwd=tmp_path, workers=jobs)
    line = assert_clean(result, store, signal.Signals(signum).name, code)
    assert result["seconds"] < 10, f"{result['seconds']:.1f} s from the signal to the exit"
    sweep = load_sweep_file(sweep_file)
    done = set(store.statuses())
    not_done = [s for s in sweep.scenarios if s.id not in done]
    assert not_done, "every scenario finished before the signal: nothing was interrupted"
    assert re.search(rf"{len(done)} of 3 scenario\(s\) finished \({len(done)} ok, 0 failed\); not finished: ", line), line
    for scenario in not_done:
        assert f"{scenario.name} ({scenario.id})" in line
    # the scenarios cut off say so in their logs; no status was written for them: they are still due
    for scenario in [s for s in not_done if store.log_path(s.id).exists()]:
        assert store.log_path(scenario.id).read_text().rstrip().splitlines()[-1].startswith(f"=== interrupted: the sweep stopped on {signal.Signals(signum).name}")
    manifest = pd.read_csv(store.manifest_path).set_index("id")
    assert (manifest.loc[[s.id for s in not_done], "status"] == "pending").all()
    # an unfinished sweep is not merged
    assert sweep_cli.main(["merge", str(sweep_file), "--out", str(out)]) == sweep_cli.EXIT_INCOMPLETE
    assert f"the sweep is not finished: {len(done)} of 3 scenario(s) ok" in capsys.readouterr().err
    # the printed command resumes the sweep, from any folder, and finishes it with the uninterrupted results
    words = resume_words(line)
    assert words[:3] in (["python", "-m", "optimiser"], [sys.executable, "-m", "optimiser"]), words
    assert words[3:6] == ["sweep", "run", str(sweep_file)] and words[6:] == ["--out", str(store.root), "--jobs", str(jobs)], words
    if not resume:
        return
    assert sweep_cli.main(words[3:]) == sweep_cli.EXIT_OK  # the same arguments, in this process (saves an import)
    resumed = capsys.readouterr().err
    assert f"{len(done)} finished, 0 failed before" in resumed and f"{len(not_done)} to run" in resumed
    assert (pd.read_csv(store.manifest_path)["status"] == "ok").all()
    assert_same_results(store, uninterrupted)


@pytest.mark.parametrize("signum, code", [(signal.SIGINT, 130), (signal.SIGTERM, 143), (signal.SIGHUP, 129)])
def test_signal_before_the_sweep_runs_anything(signum, code, sweep_file, tmp_path):
    """A stop while the parameter file and the case are loaded: nothing runs, the same kind of line and status."""
    out = tmp_path / "out"

    class Loader:
        """The parameter file's path, which sends this process the signal whenever it is read: the first time while
        run_sweep loads the file (its handler raises there), then while the summary is written (ignored)."""

        def __fspath__(self):
            os.kill(os.getpid(), signum)
            return str(sweep_file)

    with pytest.raises(SweepInterrupted) as raised:
        run_sweep(Loader(), out=out, jobs=2, stream=io.StringIO())
    assert raised.value.status == code
    assert raised.value.summary.startswith(f"sweep stopped by {signum.name}: 0 of 3 scenario(s) finished (0 ok, 0 failed); not finished: base")
    assert raised.value.summary.endswith(f"--out {SweepStore(out).root} --jobs 2")
    assert not SweepStore(out).logs_dir.exists(), "something ran"


@pytest.fixture
def half_done(sweep_file, uninterrupted, tmp_path):
    """An output folder where only the base scenario has finished (copied from the uninterrupted sweep)."""
    source, store = SweepStore(uninterrupted["out"]), SweepStore(tmp_path / "out")
    store.prepare()
    base = load_sweep_file(sweep_file).scenarios[0]
    for path in (source.status_path(base.id), source.result_path(base.id), source.log_path(base.id)):
        target = store.root / path.relative_to(source.root)
        target.write_bytes(path.read_bytes())
    return store


def test_merge_of_an_unfinished_sweep_is_refused_and_partial_is_labelled(sweep_file, half_done, capsys):
    store = half_done
    sweep = load_sweep_file(sweep_file)
    ok = sorted(store.statuses())
    missing = [s for s in sweep.scenarios if s.id not in ok]
    # a failed scenario is missing too, with its error
    failed = missing[0]
    store.write_status({"index": failed.index, "id": failed.id, "name": failed.name, "status": "failed",
                        "error": "no optimal solution: Infeasible", "finished": "2026-01-01T00:00:00+00:00"})
    not_run = missing[1:]
    args = [str(sweep_file), "--out", str(store.root)]

    assert sweep_cli.main(["merge", *args]) == sweep_cli.EXIT_INCOMPLETE
    err = capsys.readouterr().err
    assert f"the sweep is not finished: {len(ok)} of 3 scenario(s) ok; {len(missing)} missing (1 failed, {len(not_run)} not run)" in err
    assert f"failed  {failed.name} ({failed.id}): no optimal solution: Infeasible" in err
    for scenario in not_run:
        assert f"not run {scenario.name} ({scenario.id})" in err
    assert "--partial" in err
    assert not store.merged_path.exists() and not store.key_figures_path.exists()

    assert sweep_cli.main(["status", *args]) == sweep_cli.EXIT_FAILED  # failed takes precedence over not run
    shown = capsys.readouterr().out
    assert f"{len(ok)} of 3 scenario(s) ok; {len(missing)} missing (1 failed, {len(not_run)} not run)" in shown
    assert f"failed  {failed.name} ({failed.id}): no optimal solution: Infeasible" in shown
    for scenario in not_run:
        assert f"not run {scenario.name} ({scenario.id})" in shown

    assert sweep_cli.main(["merge", *args, "--partial"]) == sweep_cli.EXIT_OK
    out = capsys.readouterr().out
    assert "(PARTIAL: " in out and f"missing {failed.name} ({failed.id}): failed: no optimal solution: Infeasible" in out
    with xr.open_dataset(store.merged_path) as ds:
        assert list(ds["scenario"].values) == ok
        assert ds.attrs["complete"] == 0 and ds.attrs["scenarios"] == len(ok) and ds.attrs["scenarios_total"] == 3
        assert ds.attrs["completeness"].startswith(f"PARTIAL: {len(ok)} of 3 scenarios merged; {len(missing)} missing (1 failed, {len(not_run)} not run)")
        assert ds.attrs["missing_ids"].split() == [s.id for s in missing]
        lines = ds.attrs["missing_scenarios"].splitlines()
        assert lines[0] == f"{failed.name} ({failed.id}): failed: no optimal solution: Infeasible"
        assert lines[1:] == [f"{s.name} ({s.id}): not run" for s in not_run]
        assert "PARTIAL" in ds.attrs["title"]
    figures = pd.read_csv(store.key_figures_path).set_index("id")
    assert figures.loc[failed.id, "status"] == "failed" and (figures.loc[[s.id for s in not_run], "status"] == "pending").all()

    store.status_path(failed.id).unlink()
    assert sweep_cli.main(["status", *args]) == sweep_cli.EXIT_INCOMPLETE
    assert f"{len(missing)} missing (0 failed, {len(missing)} not run)" in capsys.readouterr().out


def test_merge_of_a_complete_sweep_says_complete(sweep_file, uninterrupted, capsys):
    out = uninterrupted["out"]
    assert sweep_cli.main(["status", str(sweep_file), "--out", str(out)]) == sweep_cli.EXIT_OK
    assert "3 of 3 scenario(s) ok: complete" in capsys.readouterr().out
    assert sweep_cli.main(["merge", str(sweep_file), "--out", str(out)]) == sweep_cli.EXIT_OK
    assert "(complete: all 3 scenarios of the sweep are merged)" in capsys.readouterr().out
    with xr.open_dataset(SweepStore(out).merged_path) as ds:
        assert ds.attrs["complete"] == 1 and ds.attrs["scenarios_total"] == 3 == ds.sizes["scenario"]
        assert ds.attrs["missing_ids"] == "" and ds.attrs["missing_scenarios"] == "none"


def test_dask_local_cluster_stops_on_ctrl_c(sweep_file, tmp_path):
    pytest.importorskip("distributed")
    out = tmp_path / "out"
    store = SweepStore(out)
    command = [sys.executable, "-m", "optimiser", "sweep", "run", str(sweep_file), "--executor", "dask", "--jobs", "2", "--out", str(out)]
    result = interrupt(command, store, signal.SIGINT, group=True, cwd=tmp_path, workers=2)
    line = assert_clean(result, store, "SIGINT", 130)  # the LocalCluster's processes are gone too
    assert result["seconds"] < 15, f"{result['seconds']:.1f} s from the signal to the exit"
    words = resume_words(line)
    assert words[6:] == ["--out", str(store.root), "--executor", "dask", "--jobs", "2"], words


def test_slurm_task_stops_on_sigterm(sweep_file, tmp_path):
    """What an array task does on SLURM's warning signal (#SBATCH --signal=B:TERM@60): the same clean stop."""
    out = tmp_path / "out"
    store = SweepStore(out)
    resume = f"optimiser sweep run {sweep_file} --out {out} --executor slurm --time 00:15:00"
    env = dict(os.environ, OPTIMISER_SWEEP_RESUME=resume, SLURM_ARRAY_JOB_ID="77", SLURM_ARRAY_TASK_ID="0")
    command = [sys.executable, "-m", "optimiser", "sweep", "task", str(sweep_file), "--index", "0", "--chunk-size", "3", "--out", str(out)]
    result = interrupt(command, store, signal.SIGTERM, env=env)
    line = assert_clean(result, store, "SIGTERM", 143)
    assert line.startswith("sweep task 0 (SLURM job 77_0) stopped by SIGTERM: ")
    assert line.endswith(f"resume with: {resume}")
    assert "[1/3] ok     base" in result["out"]
