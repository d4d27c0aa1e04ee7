"""Foresight modes on the China case: objective, 2030/2060 capacity mix, wall time and peak memory.

    python benchmarks/bench_foresight.py --days 4 --hours 6 --modes perfect rolling3 rolling2 myopic
    python benchmarks/bench_foresight.py --days 8 --hours 6 --modes myopic rolling2
    python benchmarks/bench_foresight.py --table            # the Markdown table of everything recorded

Each run is ``optimiser run`` of a case folder that inherits inputs/china (``base_case``) and sets only the time
aggregation (``days`` representative days of ``hours``-hour steps, seed 0) and the foresight settings, under
``/usr/bin/time -v`` in a fresh process, one run at a time. Modes: ``perfect``, ``myopic``, ``rollingN`` (windows
of N periods keeping 1), ``rollingN-S`` (keeping S). The load average (``/proc/loadavg``) is read before and after
each run. One JSON line per run goes to ``benchmarks/out/foresight/runs.jsonl`` with the results file's objective,
windows and installed capacity by technology (summed over provinces) in 2030 and 2060; ``--table`` compares every
run with the perfect-foresight run of the same resolution.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "benchmarks" / "out" / "foresight"
RUNS = OUT / "runs.jsonl"
MIX_PERIODS = (2030, 2060)


def foresight_settings(mode: str) -> dict:
    match = re.fullmatch(r"rolling(\d+)(?:-(\d+))?", mode)
    if match:
        return {"foresight": "rolling", "foresight_window": int(match.group(1)), "foresight_step": int(match.group(2) or 1)}
    if mode in ("perfect", "myopic"):
        return {"foresight": mode}
    raise SystemExit(f"unknown mode {mode!r}: perfect, myopic, rollingN or rollingN-S")


def case_folder(case: Path, days: int, hours: int, mode: str) -> Path:
    tag = f"china_{days}d{hours}h_{mode}"
    folder = OUT / "cases" / tag
    folder.mkdir(parents=True, exist_ok=True)
    settings = {"name": tag, "base_case": str(case.resolve()),
                "time_aggregation": {"method": "representative_days", "days": days, "hours": hours, "seed": 0}, **foresight_settings(mode)}
    (folder / "settings.yaml").write_text(yaml.safe_dump(settings, sort_keys=False))
    return folder


def load_average() -> float:
    return float(Path("/proc/loadavg").read_text().split()[0])


def time_v(stderr: str) -> dict:
    """Peak memory and wall time from /usr/bin/time -v."""
    peak = re.search(r"Maximum resident set size \(kbytes\): (\d+)", stderr)
    wall = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (?:(\d+):)?(\d+):([\d.]+)", stderr)
    seconds = None
    if wall:
        seconds = int(wall.group(1) or 0) * 3600 + int(wall.group(2)) * 60 + float(wall.group(3))
    return {"peak_rss_MiB": int(peak.group(1)) / 1024 if peak else None, "wall_s": seconds}


def summary(results: Path) -> dict:
    import optimiser

    with optimiser.open_results(results) as ds:
        record = {key: ds.attrs.get(key) for key in ("status", "optimal", "objective", "solve_s", "total_s", "foresight",
                                                       "foresight_largest_violation", "foresight_window_objective_sum")}
        record = {key: (value.item() if hasattr(value, "item") else value) for key, value in record.items()}
        record["windows"] = yaml.safe_load(ds.attrs["foresight_windows"]) if "foresight_windows" in ds.attrs else None
        record["model_variables"] = int(ds.attrs.get("model_variables", 0))
        if int(ds.attrs.get("optimal", 0)):
            capacity = ds["capacity"].sum("region")
            periods = [p for p in MIX_PERIODS if p in capacity["period"].values]
            record["capacity_GW"] = {int(p): {str(t): round(float(v), 3) for t, v in capacity.sel(period=p).to_pandas().items()} for p in periods}
    return record


def one_run(case: Path, days: int, hours: int, mode: str) -> dict:
    folder = case_folder(case, days, hours, mode)
    results = OUT / f"{folder.name}.nc"
    command = ["/usr/bin/time", "-v", sys.executable, "-m", "optimiser", "run", str(folder), "--out", str(results), "--no-schedule", "--quiet"]
    before = load_average()
    started = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime())
    process = subprocess.run(command, capture_output=True, text=True, cwd=ROOT)
    record = {"days": days, "hours": hours, "mode": mode, "started": started, "load_before": before, "load_after": load_average(),
              "returncode": process.returncode, **time_v(process.stderr)}
    (OUT / f"{folder.name}.log").write_text(process.stdout + "\n" + process.stderr)
    if results.exists():
        record.update(summary(results))
    with RUNS.open("a") as stream:
        stream.write(json.dumps(record) + "\n")
    return record


def mix_difference(run: dict, reference: dict, period: int) -> tuple[float, str]:
    """Sum over technologies of |installed GW - perfect's| in ``period``, and the three largest differences."""
    if str(period) not in run["capacity_GW"]:
        return 0.0, "no such period"
    mine, theirs = run["capacity_GW"][str(period)], reference["capacity_GW"][str(period)]
    diffs = {tech: mine.get(tech, 0.0) - theirs.get(tech, 0.0) for tech in set(mine) | set(theirs)}
    largest = sorted(diffs.items(), key=lambda item: -abs(item[1]))[:3]
    return sum(abs(v) for v in diffs.values()), ", ".join(f"{tech} {value:+.0f}" for tech, value in largest)


def table() -> str:
    runs = [json.loads(line) for line in RUNS.read_text().splitlines() if line.strip()]
    latest = {}
    for run in runs:
        latest[(run["days"], run["hours"], run["mode"])] = run
    rows = ["| resolution | mode | windows | objective bn CNY | vs perfect | 2030 sum abs(dGW) (largest) | 2060 sum abs(dGW) (largest) | HiGHS s | wall s | peak RSS MiB | load before/after |",
            "|---|---|---|---|---|---|---|---|---|---|---|"]
    for (days, hours, mode), run in sorted(latest.items(), key=lambda item: (item[0][0], -item[0][1], item[1]["started"])):
        reference = latest.get((days, hours, "perfect"))
        objective = run.get("objective")
        versus, mixes = "", ["", ""]
        if reference and reference.get("capacity_GW") and run.get("capacity_GW") and mode != "perfect":
            versus = f"{100 * (objective / reference['objective'] - 1):+.2f} %"
            mixes = ["{:.0f} ({})".format(*mix_difference(run, reference, period)) for period in MIX_PERIODS]
        windows = len(run["windows"]) if run.get("windows") else 1
        rows.append(f"| {days} d x {hours} h | {mode} | {windows} | {objective:,.1f} | {versus} | {mixes[0]} | {mixes[1]} | "
                    f"{run.get('solve_s', 0):.0f} | {run.get('wall_s') or 0:.0f} | {run.get('peak_rss_MiB') or 0:,.0f} | "
                    f"{run['load_before']:.1f} / {run['load_after']:.1f} |" if objective is not None else
                    f"| {days} d x {hours} h | {mode} | | {run.get('status')} (exit {run['returncode']}) | | | | | {run.get('wall_s') or 0:.0f} | | |")
    return "\n".join(rows)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--case", type=Path, default=ROOT / "inputs" / "china")
    parser.add_argument("--days", type=int, nargs="+", default=[4])
    parser.add_argument("--hours", type=int, nargs="+", default=[6])
    parser.add_argument("--modes", nargs="+", default=["perfect", "rolling3", "rolling2", "myopic"])
    parser.add_argument("--table", action="store_true", help="print the table of the recorded runs and stop")
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    if args.table:
        print(table())
        return 0
    for days in args.days:
        for hours in args.hours:
            for mode in args.modes:
                record = one_run(args.case, days, hours, mode)
                print(json.dumps({k: v for k, v in record.items() if k not in ("capacity_GW", "windows")}), flush=True)
    print(table())
    return 0


if __name__ == "__main__":
    sys.exit(main())
