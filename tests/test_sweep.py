"""Sweeps on inputs/example: local processes (killed and resumed), individual runs, Dask, merge.

Work is shared to keep the time down: one 4-scenario sweep is started in a subprocess, SIGKILLed as soon as
its first result appears, and resumed; the resumed sweep is then checked against individual runs of the same
scenarios and merged.
"""

from __future__ import annotations

import io
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

from optimiser.scenarios import load_sweep_file, run_scenario
from optimiser.sweep import merge_sweep, prepare, run_sweep, select
from optimiser.sweep.progress import Progress
from optimiser.sweep.store import SweepStore

TIMEOUT_S = 300
SOLAR_CAPEX = {"table": "technology_periods", "where": {"technology": "solar"}, "column": "capex_CNY_per_kW", "operation": "scale", "base": 1}


def write_sweep(path: Path, points: list[dict], include_base: bool = True) -> Path:
    path.write_text(yaml.safe_dump({
        "case": str(EXAMPLE),
        "include_base": include_base,
        "solver": {"threads": 1},
        "parameters": {"solar_capex": SOLAR_CAPEX, "discount": {"setting": "discount_rate", "operation": "set", "base": 0.05}},
        "sweeps": [{"list": points}],
    }, sort_keys=False))
    return path


def processes_mentioning(text: str) -> list[int]:
    """PIDs of live processes whose command line contains ``text`` (Linux /proc)."""
    found = []
    for entry in Path("/proc").glob("[0-9]*"):
        try:
            if text in entry.joinpath("cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace"):
                state = entry.joinpath("stat").read_text().split(")")[-1].split()[0]
                if state != "Z":
                    found.append(int(entry.name))
        except OSError:
            continue
    return found


@pytest.fixture(scope="module")
def resumed(tmp_path_factory):
    """A 4-scenario sweep SIGKILLed after its first result, then resumed to the end."""
    folder = tmp_path_factory.mktemp("sweep")
    file = write_sweep(folder / "four.yaml", [{"solar_capex": 0.7}, {"discount": 0.03}, {"solar_capex": 0.8, "discount": 0.04}])
    out = folder / "out"
    store = SweepStore(out)
    process = subprocess.Popen([sys.executable, "-m", "optimiser.sweep", "run", str(file), "--jobs", "2", "--out", str(out)],
                               cwd=folder, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    deadline = time.monotonic() + TIMEOUT_S

    def finished() -> list[str]:
        """Results whose ok status is written too (the result file lands a moment before its status)."""
        statuses = store.statuses()
        return [p.stem for p in store.results_dir.glob("*.nc") if (statuses.get(p.stem) or {}).get("status") == "ok"]

    while not finished():
        assert process.poll() is None, f"the sweep ended before any result: {process.stdout.read()}"
        assert time.monotonic() < deadline, "no result within the time limit"
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    process.wait()
    first_output = process.stdout.read()
    killed_at = time.time()
    # the workers die with their parent
    for _ in range(100):
        if not processes_mentioning(str(out)):
            break
        time.sleep(0.1)
    leftover_workers = processes_mentioning(str(out))
    # the results that were finished (result and ok status) when the sweep died: a result whose status was not yet
    # written when the kill came (a second worker finishing at that moment) is solved again, as it must be
    statuses = store.statuses()
    before = {p.name: p.stat().st_mtime_ns for p in store.results_dir.glob("*.nc") if (statuses.get(p.stem) or {}).get("status") == "ok"}
    # what a process killed while writing leaves behind
    (store.results_dir / ".fake.nc.abc123.tmp").write_bytes(b"half a netCDF file")
    stream = io.StringIO()
    outcome = run_sweep(file, jobs=2, out=out, stream=stream)
    return {
        "file": file, "out": out, "store": store, "before": before, "killed_at": killed_at, "first_output": first_output,
        "leftover_workers": leftover_workers, "outcome": outcome, "log": stream.getvalue(),
    }


def test_resume_after_kill_loses_and_duplicates_nothing(resumed):
    store, outcome = resumed["store"], resumed["outcome"]
    sweep = load_sweep_file(resumed["file"])
    assert len(sweep.scenarios) == 4
    assert resumed["before"], "the kill came before the first result"
    assert resumed["leftover_workers"] == [], "worker processes survived their killed parent"
    # finished results were kept, not solved again
    assert len(outcome.selection.finished) == len(resumed["before"]) >= 1
    for name, mtime in resumed["before"].items():
        assert (store.results_dir / name).stat().st_mtime_ns == mtime
    assert len(outcome.selection.todo) == 4 - len(resumed["before"])
    assert outcome.failed == 0, resumed["log"]
    # one result and one status per scenario, all ok; no temporary file anywhere
    ids = sorted(s.id for s in sweep.scenarios)
    assert sorted(p.stem for p in store.results_dir.glob("*.nc")) == ids
    assert sorted(p.stem for p in store.status_dir.glob("*.json")) == ids
    assert outcome.removed_temporaries >= 1
    assert [p for p in resumed["out"].rglob("*") if p.name.endswith(".tmp")] == []
    manifest = pd.read_csv(store.manifest_path)
    assert sorted(manifest["id"]) == ids and (manifest["status"] == "ok").all()
    assert manifest["attempt"].tolist() == [1, 1, 1, 1]
    assert manifest["objective"].notna().all() and manifest["solve_s"].gt(0).all()
    for log in manifest["log"]:
        assert "=== ok: objective" in (store.root / log).read_text()
    # a third run has nothing to do
    again = run_sweep(resumed["file"], jobs=2, out=resumed["out"], stream=io.StringIO())
    assert len(again.selection.finished) == 4 and again.selection.todo == []


def test_objectives_match_individual_runs(resumed, tmp_path):
    sweep = load_sweep_file(resumed["file"])
    manifest = pd.read_csv(resumed["store"].manifest_path).set_index("id")
    objectives = set()
    for scenario in sweep.scenarios:
        # optimiser.run on the case with the scenario applied, as `optimiser run CASE --scenario FILE:NAME` does
        results, path = run_scenario(EXAMPLE, f"{resumed['file']}:{scenario.name}", out=tmp_path / f"{scenario.id}.nc", log=lambda *a: None)
        assert results.attrs["optimal"]
        assert manifest.loc[scenario.id, "objective"] == pytest.approx(results.attrs["objective"], rel=1e-9)
        assert (path.with_suffix(".case") / "settings.yaml").exists()
        objectives.add(round(results.attrs["objective"], 3))
    assert len(objectives) == 4  # the scenarios do differ


def test_failed_scenarios_are_retried_only_on_request(resumed):
    prepared = prepare(resumed["file"], resumed["out"])
    victim = prepared.sweep.scenarios[1]
    status = prepared.store.read_status(victim.id)
    prepared.store.write_status({**status, "status": "failed", "error": "simulated failure"})
    try:
        plain = select(prepared)
        assert victim in plain.failed_skipped and plain.todo == []
        retry = select(prepared, retry_failed=True)
        assert retry.todo == [victim]
        # changed inputs (another key) make a finished scenario due again
        prepared.keys[victim.id] = "other"
        assert victim in select(prepared).todo
    finally:
        prepared.store.write_status(status)


def test_merged_dataset(resumed):
    sweep = load_sweep_file(resumed["file"])
    merged, figures = merge_sweep(resumed["file"], resumed["out"], progress=lambda *a: None)
    assert merged == resumed["store"].merged_path
    manifest = pd.read_csv(resumed["store"].manifest_path).set_index("id")
    with xr.open_dataset(merged, chunks={}) as ds:
        assert ds.sizes["scenario"] == 4
        assert list(ds["scenario"].values) == [s.id for s in sweep.scenarios]
        assert list(ds["scenario_name"].values) == [s.name for s in sweep.scenarios]
        assert ds["solar_capex"].dims == ("scenario",) and ds["discount"].dims == ("scenario",)
        assert ds["solar_capex"].values.tolist() == [1.0, 0.7, 1.0, 0.8]  # base value where not swept
        assert ds["discount"].values.tolist() == [0.05, 0.05, 0.03, 0.04]
        # lazily read, one scenario per chunk on disk
        assert ds["capacity"].chunks is not None
        assert ds["capacity"].dims[0] == "scenario" and set(ds["capacity"].dims[1:]) == {"technology", "region", "period"}
        assert ds["capacity"].encoding["chunksizes"][0] == 1
        assert ds["generation"].dims[0] == "scenario" and "time" in ds["generation"].dims
        objective = ds["objective"].values
        assert objective.tolist() == pytest.approx([manifest.loc[s.id, "objective"] for s in sweep.scenarios])
        # each slice is that scenario's result
        one = sweep.scenarios[2]
        with xr.open_dataset(resumed["store"].result_path(one.id)) as single:
            xr.testing.assert_allclose(ds["capacity"].sel(scenario=one.id).reset_coords(drop=True).load(), single["capacity"].load())
    with xr.open_mfdataset([merged], combine="nested", concat_dim="file") as lazily:
        assert lazily["generation"].chunks is not None
    table = pd.read_csv(figures)
    assert len(table) == 4 and (table["status"] == "ok").all()
    assert {"solar_capex", "discount", "objective_bn_CNY", "capacity_solar_GW_2040", "co2_price_CNY_per_t_2040", "ccus_stored_Mt_2040"} <= set(table.columns)
    cheap = table.set_index("name")
    assert cheap.loc["solar_capex=0.7", "capacity_solar_GW_2040"] > cheap.loc["base", "capacity_solar_GW_2040"]


def test_dask_local_cluster(resumed, tmp_path):
    pytest.importorskip("distributed")
    file = write_sweep(tmp_path / "two.yaml", [{"solar_capex": 0.7}])
    outcome = run_sweep(file, executor="dask", jobs=2, out=tmp_path / "out", stream=io.StringIO())
    assert len(outcome.statuses) == 2 and outcome.failed == 0
    local = pd.read_csv(resumed["store"].manifest_path).set_index("id")
    for scenario_id, status in outcome.statuses.items():
        assert status["objective"] == pytest.approx(local.loc[scenario_id, "objective"], rel=1e-9)
    store = SweepStore(tmp_path / "out")
    assert sorted(p.stem for p in store.results_dir.glob("*.nc")) == sorted(outcome.statuses)
    assert (pd.read_csv(store.manifest_path)["status"] == "ok").all()


def test_progress_lines_show_counts_and_time_left():
    stream = io.StringIO()
    progress = Progress(3, skipped=1, stream=stream, bar=False)
    scenario = type("S", (), {"name": "a", "id": "0123456789"})()
    progress.started(scenario)
    progress.finished(scenario, {"status": "ok", "objective": 12.5, "wall_s": 2.0})
    progress.started(scenario)
    progress.finished(scenario, {"status": "failed", "error": "no optimal solution: Infeasible", "wall_s": 1.0})
    progress.close()
    lines = stream.getvalue().splitlines()
    assert lines[0].startswith("[1/3] ok     a (0123456789): objective 12.5") and "remaining=2" in lines[0] and "left" in lines[0]
    assert "failed=1" in lines[1] and "Infeasible" in lines[1]
    assert lines[2].startswith("sweep: 1 ok, 1 failed, 1 not run, 1 already finished")


def test_locked_output_refuses_a_second_sweep(tmp_path):
    from optimiser.sweep.store import SweepLocked

    store = SweepStore(tmp_path / "out")
    with store.lock():
        # flock locks belong to an open file: a second open, even in this process, is refused
        with pytest.raises(SweepLocked, match="another sweep is running"):
            with SweepStore(tmp_path / "out").lock():
                pass
    with store.lock():  # released
        pass
