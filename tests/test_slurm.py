"""The SLURM executor: sbatch scripts (always), and a real sweep on a running SLURM (if there is one).

Start a single-node SLURM with ``eval "$(bash .ci/slurm.sh start)"`` (root; installs it if missing). Without
``sbatch``, a configuration (``SLURM_CONF``, or the one .ci/slurm.sh writes) or a responding controller, the
real-SLURM test is skipped with the reason.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import re
import shlex
import shutil
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
from optimiser.sweep import run_sweep
from optimiser.sweep.slurm import compress
from optimiser.sweep.store import SweepStore

TIMEOUT_S = 300
CI_CONF = Path(os.environ.get("SLURM_CI_DIR", "/tmp/optimiser-slurm")) / "slurm.conf"
FINAL_STATES = {"COMPLETED", "FAILED", "CANCELLED", "TIMEOUT", "OUT_OF_MEMORY", "NODE_FAIL", "PREEMPTED", "BOOT_FAIL", "DEADLINE"}


def write_sweep(path: Path) -> Path:
    path.write_text(yaml.safe_dump({
        "case": str(EXAMPLE),
        "include_base": True,
        "solver": {"threads": 1},
        "slurm": {"time": "00:15:00", "mem": "1G"},
        "parameters": {
            "solar_capex": {"table": "technology_periods", "where": {"technology": "solar"}, "column": "capex_CNY_per_kW",
                            "operation": "scale", "base": 1},
            "discount": {"setting": "discount_rate", "operation": "set", "base": 0.05},
        },
        "sweeps": [{"list": [{"solar_capex": 0.7}, {"discount": 0.03}]}],
    }, sort_keys=False))
    return path


def slurm_environment() -> tuple[dict | None, str]:
    """(environment for SLURM commands, '') or (None, why SLURM is not usable)."""
    if shutil.which("sbatch") is None or shutil.which("scontrol") is None:
        return None, "SLURM is not installed (no sbatch/scontrol); run: eval \"$(bash .ci/slurm.sh start)\""
    env = dict(os.environ)
    if not env.get("SLURM_CONF"):
        if CI_CONF.exists():
            env["SLURM_CONF"] = str(CI_CONF)
        elif not Path("/etc/slurm/slurm.conf").exists():
            return None, "no SLURM configuration (SLURM_CONF unset, no /etc/slurm/slurm.conf); run: eval \"$(bash .ci/slurm.sh start)\""
    try:
        ping = subprocess.run(["scontrol", "ping"], env=env, capture_output=True, text=True, timeout=20)
    except subprocess.TimeoutExpired:
        return None, "scontrol ping timed out: slurmctld not responding"
    if ping.returncode != 0 or "UP" not in ping.stdout:
        said = (ping.stdout.strip() or ping.stderr.strip()).splitlines()
        return None, f"slurmctld not running (scontrol ping: {said[0] if said else ping.returncode}); run: eval \"$(bash .ci/slurm.sh start)\""
    return env, ""


def job_records(job_id: str, env: dict) -> list[dict]:
    """``scontrol show job ID -o``: one dict per job (one per array task), fields as strings."""
    result = subprocess.run(["scontrol", "show", "job", job_id, "-o"], env=env, capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, result.stderr
    records = []
    for line in result.stdout.splitlines():
        if line.strip():
            records.append(dict(re.findall(r"(\w+(?:/\w+)?)=(\S*)", line)))
    return records


def wait_for(job_ids: list[str], env: dict, timeout_s: float) -> dict[str, list[dict]]:
    deadline = time.monotonic() + timeout_s
    while True:
        records = {job: job_records(job, env) for job in job_ids}
        states = [r["JobState"] for rs in records.values() for r in rs]
        if states and all(s in FINAL_STATES for s in states):
            return records
        assert time.monotonic() < deadline, f"jobs not finished after {timeout_s} s: {states}"
        time.sleep(1.0)


def parse_time(text: str) -> dt.datetime:
    return dt.datetime.strptime(text, "%Y-%m-%dT%H:%M:%S")


def test_sbatch_scripts_dry_run(tmp_path):
    """No SLURM needed: the scripts, their directives and the task command."""
    file = write_sweep(tmp_path / "three.yaml")
    out = tmp_path / "out"
    outcome = run_sweep(file, executor="slurm", dry_run=True, jobs=2, out=out, threads=2,
                        slurm={"partition": "short", "account": "proj42", "time": "00:30:00", "cpus_per_task": None},
                        stream=io.StringIO())
    submission = outcome.submission
    assert submission.array_job is None and submission.tasks == 3 and submission.array_spec == "0-2%2"
    array = submission.array_script.read_text()
    for directive in ("--array=0-2%2", "--time=00:30:00", "--mem=1G", "--partition=short", "--account=proj42", "--cpus-per-task=2",
                      f"--output={SweepStore(out).slurm_dir}/array-%A_%a.out"):
        assert f"#SBATCH {directive}" in array, array
    assert f"{sys.executable} -m optimiser" in array
    assert re.search(r" task \S*three.yaml --index \"\$SLURM_ARRAY_TASK_ID\" --out \S+ --threads 2", array), array
    # SIGTERM 60 s before the time limit to the task (exec: the batch shell is the task), which then stops cleanly
    assert "#SBATCH --signal=B:TERM@60\n" in array and "\nexec " in array
    resume = re.search(r"^export OPTIMISER_SWEEP_RESUME=(.*)$", array, re.M).group(1)
    words = shlex.split(shlex.split(resume)[0])
    assert words == [sys.executable, "-m", "optimiser", "sweep", "run", str(file.absolute()), "--out", str(SweepStore(out).root),
                     "--executor", "slurm", "--jobs", "2", "--threads", "2", "--partition", "short", "--account", "proj42",
                     "--time", "00:30:00"], words
    merge = submission.merge_script.read_text()
    assert " merge " in merge and "#SBATCH --job-name=sweep-three-merge" in merge
    assert merge.rstrip().endswith(" --partial")  # failed scenarios (the only ones missing after afterok) are labelled
    again = run_sweep(file, executor="slurm", dry_run=True, out=out, slurm={"signal_before": 0}, stream=io.StringIO())
    assert "#SBATCH --signal" not in again.submission.array_script.read_text()
    assert "--dependency=afterok:<array job id>" in submission.commands[1]
    assert compress([0, 1, 2, 3, 7, 9, 10]) == "0-3,7,9-10"
    # nothing ran, nothing was submitted
    assert not list(SweepStore(out).results_dir.glob("*.nc"))


def test_slurm_sweep_with_dependent_merge(tmp_path):
    env, reason = slurm_environment()
    if env is None:
        pytest.skip(reason)
    file = write_sweep(tmp_path / "three.yaml")
    out = tmp_path / "out"
    saved = os.environ.get("SLURM_CONF")
    if env.get("SLURM_CONF"):
        os.environ["SLURM_CONF"] = env["SLURM_CONF"]
    try:
        outcome = run_sweep(file, executor="slurm", out=out, stream=io.StringIO())
    finally:
        if saved is None:
            os.environ.pop("SLURM_CONF", None)
        else:
            os.environ["SLURM_CONF"] = saved
    submission = outcome.submission
    assert submission.array_job and submission.merge_job
    # the merge job waits for the array
    merge = job_records(submission.merge_job, env)[0]
    assert f"afterok:{submission.array_job}" in merge.get("Dependency", "") or merge["JobState"] != "PENDING"
    records = wait_for([submission.array_job, submission.merge_job], env, TIMEOUT_S)
    tasks = records[submission.array_job]
    merge = records[submission.merge_job][0]
    assert len(tasks) == 3 and all(t["JobState"] == "COMPLETED" for t in tasks), [(t.get("JobId"), t["JobState"]) for t in tasks]
    assert merge["JobState"] == "COMPLETED", [p.read_text() for p in SweepStore(out).slurm_dir.glob("merge-*.out")]
    assert parse_time(merge["StartTime"]) >= max(parse_time(t["EndTime"]) for t in tasks)
    store = SweepStore(out)
    manifest = pd.read_csv(store.manifest_path)
    assert len(manifest) == 3 and (manifest["status"] == "ok").all(), manifest
    sweep = load_sweep_file(file)
    with xr.open_dataset(store.merged_path, chunks={}) as ds:
        assert ds.sizes["scenario"] == 3 and ds.attrs["complete"] == 1
        assert list(ds["scenario"].values) == [s.id for s in sweep.scenarios]
        assert ds["discount"].values.tolist() == [0.05, 0.05, 0.03]
        assert ds["objective"].values.tolist() == pytest.approx(manifest["objective"].tolist())
    assert store.key_figures_path.exists()
    outputs = sorted(p.name for p in store.slurm_dir.glob("*.out"))
    assert len([o for o in outputs if o.startswith("array-")]) == 3 and len([o for o in outputs if o.startswith("merge-")]) == 1


def test_slurm_task_stopped_by_its_warning_signal_records_progress(tmp_path):
    """SLURM's warning signal before the time limit (#SBATCH --signal=B:TERM@60), sent here at once with
    ``scancel --batch --signal=TERM``: the task keeps what it finished, says what it did not and how to resume, and
    fails (exit 143), so the merge job never starts; `sweep run` again submits only the rest and merges."""
    env, reason = slurm_environment()
    if env is None:
        pytest.skip(reason)
    file = write_sweep(tmp_path / "three.yaml")
    out = tmp_path / "out"
    store = SweepStore(out)
    saved = os.environ.get("SLURM_CONF")
    if env.get("SLURM_CONF"):
        os.environ["SLURM_CONF"] = env["SLURM_CONF"]
    try:
        first = run_sweep(file, executor="slurm", out=out, slurm={"chunk_size": 3}, stream=io.StringIO()).submission
        assert first.tasks == 1
        deadline = time.monotonic() + TIMEOUT_S
        while not list(store.status_dir.glob("*.json")):
            state = job_records(first.array_job, env)[0]["JobState"]
            assert state in ("PENDING", "RUNNING", "CONFIGURING"), f"the task ended before its first result: {state}"
            assert time.monotonic() < deadline, "no result within the time limit"
            time.sleep(0.1)
        signalled = subprocess.run(["scancel", "--batch", "--signal=TERM", first.array_job], env=env, capture_output=True, text=True, timeout=30)
        assert signalled.returncode == 0, signalled.stderr
        records = wait_for([first.array_job, first.merge_job], env, TIMEOUT_S)
        task, merge = records[first.array_job][0], records[first.merge_job][0]
        assert task["JobState"] == "FAILED" and task["ExitCode"] == "143:0", task
        assert merge["JobState"] == "CANCELLED", merge
        output = "\n".join(p.read_text() for p in store.slurm_dir.glob("array-*.out"))
        assert "Traceback" not in output, output
        line = [x for x in output.splitlines() if " stopped by SIGTERM: " in x]
        assert len(line) == 1 and line[0].startswith(f"sweep task 0 (SLURM job {first.array_job}_0) stopped by SIGTERM: "), output
        assert line[0].endswith(f"--out {store.root} --executor slurm --chunk-size 3"), line[0]
        assert [p for p in out.rglob("*") if p.name.endswith(".tmp")] == []
        done = {sid for sid, s in store.statuses().items() if s["status"] == "ok"}
        assert 1 <= len(done) < 3
        # resume: only the rest is submitted, and the merge job runs this time
        second = run_sweep(file, executor="slurm", out=out, slurm={"chunk_size": 3}, stream=io.StringIO()).submission
        records = wait_for([second.array_job, second.merge_job], env, TIMEOUT_S)
        assert records[second.array_job][0]["JobState"] == "COMPLETED" and records[second.merge_job][0]["JobState"] == "COMPLETED"
    finally:
        if saved is None:
            os.environ.pop("SLURM_CONF", None)
        else:
            os.environ["SLURM_CONF"] = saved
    assert {sid for sid, s in store.statuses().items() if s["status"] == "ok"} == {s.id for s in load_sweep_file(file).scenarios}
    with xr.open_dataset(store.merged_path) as ds:
        assert ds.attrs["complete"] == 1 and ds.sizes["scenario"] == 3
