"""Size, build and solve times of the China case at several time resolutions and HiGHS solvers.

    python benchmarks/bench_china.py --days 4 8 16 32 --hours 4 --solver hipo --threads 2 --time-limit 1800
    python benchmarks/bench_china.py --days 4 --hours 4 --solver ipx hipo simplex pdlp --time-limit 900
    python benchmarks/bench_china.py --days 4 8 16 32 --no-solve       # sizes and build times only
    python benchmarks/bench_china.py --days 8 --aggregation '{"segments": 4, "extreme_days": {"peak_net_load": 1, "low_renewables": 2}}'

Each (days, hours, solver) runs in a fresh subprocess: load the case, aggregate the year to
``days`` representative days of ``hours``-hour steps, build the model (arrays and Pyomo
objects), hand it to HiGHS, solve (with ``--time-limit`` seconds), extract the results and
write the netCDF file. ``--aggregation`` adds time_aggregation options (JSON; with ``segments`` the
``hours`` are dropped); the record then has the representation error (``net_load_peak_error_GW`` ...).
One JSON line per run is appended to ``benchmarks/out/china.jsonl``
(with the load average at the end of the run) and a Markdown table row is printed.
Solver names: ``ipx`` (IPX, crossover on), ``ipx-nocross`` (crossover off), ``hipo`` (HiPO,
needs ``highspy-extras``; crossover on), ``hipo-nocross``, ``simplex`` (dual simplex), ``pdlp``.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "benchmarks" / "out"

SOLVERS = {
    "ipx": {"solver": "ipm", "run_crossover": "on"},
    "ipx-nocross": {"solver": "ipm", "run_crossover": "off"},
    "hipo": {"solver": "hipo", "run_crossover": "on"},
    "hipo-nocross": {"solver": "hipo", "run_crossover": "off"},
    "simplex": {"solver": "simplex"},
    "pdlp": {"solver": "pdlp"},
}


def one_run(case_dir: str, days: int, hours: int, solver: str, threads: int, time_limit: float, solve_it: bool, extra: dict | None = None) -> dict:
    """Everything `optimiser run` does but the schedule, timed step by step."""
    import optimiser
    from optimiser.timeagg import aggregate

    timings = {}
    start = time.perf_counter()
    case = optimiser.load_case(case_dir)
    timings["load_s"] = time.perf_counter() - start
    start = time.perf_counter()
    setting = {"method": "representative_days", "days": days, "hours": hours, "seed": 0, **(extra or {})}
    if "segments" in setting:
        setting.pop("hours")
    case = aggregate(case, setting)
    timings["aggregate_s"] = time.perf_counter() - start
    model = optimiser.build_model(case, pyomo=True)
    timings.update(model.timings)
    record = {"days": days, "hours": hours if "hours" in setting else None, "segments": setting.get("segments"), "steps": model.data.n_time,
              "solver": solver, "threads": threads, "aggregation": extra or {}, **model.statistics()}
    for error in case.time_aggregation["representation_error"]:
        if error["series"] in ("net_load", "demand"):
            record.update({f"{error['series']}_peak_error_GW": error["peak_error"], f"{error['series']}_rmse_GW": error["duration_rmse"]})
    if solve_it:
        # log_to_console: HiPO writes its iterations to the log file only when it also echoes them
        options = {**SOLVERS[solver], "threads": threads, "time_limit": time_limit, "log_to_console": True}
        OUT.mkdir(parents=True, exist_ok=True)
        tag = f"china_{days}d{hours}h_{solver}"
        solution = optimiser.solve(model, options, log_file=OUT / f"{tag}.highs.log", diagnose=False)
        timings.update(solution.timings)
        record.update(status=solution.status, objective=solution.objective, **solution.info)
        if solution.optimal:
            start = time.perf_counter()
            results = optimiser.extract(model, solution)
            timings["extract_s"] = time.perf_counter() - start
            start = time.perf_counter()
            optimiser.write_results(results, OUT / f"{tag}.nc")
            timings["write_s"] = time.perf_counter() - start
    record.update(timings)
    record["total_s"] = sum(timings.values())
    record["peak_rss_MiB"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    record["load_average_1min"] = os.getloadavg()[0]
    record["date"] = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    return record


def row(record: dict) -> str:
    def number(key, fmt="{:.1f}"):
        value = record.get(key)
        return "–" if value is None else fmt.format(value)

    step = f"{record['hours']} h" if record.get("hours") else f"{record['segments']} seg"
    return (
        f"| {record['days']} x {step} ({record['steps']}) | {record['solver']} | {record['variables']:,} | {record['constraints']:,} | "
        f"{record['nonzeros']:,} | {number('aggregate_s')} | {number('build_arrays_s')} | {number('build_pyomo_s')} | {number('solve_s')} | "
        f"{record.get('status', 'not solved')} | {number('objective', '{:.1f}')} | {record.get('ipm_iterations', '–')} | "
        f"{number('total_s')} | {number('peak_rss_MiB', '{:.0f}')} | {record['load_average_1min']:.1f} |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--case", default=str(ROOT / "inputs" / "china"))
    parser.add_argument("--days", type=int, nargs="+", default=[4, 8, 16, 32])
    parser.add_argument("--hours", type=int, default=4)
    parser.add_argument("--solver", nargs="+", default=["hipo"], choices=sorted(SOLVERS))
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--time-limit", type=float, default=1800.0)
    parser.add_argument("--no-solve", action="store_true")
    parser.add_argument("--aggregation", default="{}", help="more time_aggregation options, JSON (e.g. segments, extreme_days)")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        days, hours, solver = args.child.split(",")
        record = one_run(args.case, int(days), int(hours), solver, args.threads, args.time_limit, not args.no_solve, json.loads(args.aggregation))
        print(json.dumps(record))
        return
    OUT.mkdir(parents=True, exist_ok=True)
    print("| days x step (steps) | solver | variables | constraints | non-zeros | aggregate s | build arrays s | build Pyomo s | "
          "HiGHS s | status | objective bn CNY | IPM iterations | total s | peak RSS MiB | load avg |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for days in args.days:
        for solver in args.solver:
            command = [sys.executable, __file__, "--child", f"{days},{args.hours},{solver}", "--case", args.case,
                       "--threads", str(args.threads), "--time-limit", str(args.time_limit), "--aggregation", args.aggregation] + (["--no-solve"] if args.no_solve else [])
            done = subprocess.run(command, capture_output=True, text=True)
            if done.returncode != 0:
                print(f"| {days} x {args.hours} h | {solver} | failed: {done.stderr.strip().splitlines()[-1:]} |")
                continue
            record = json.loads(done.stdout.strip().splitlines()[-1])
            with open(OUT / "china.jsonl", "a") as handle:
                handle.write(json.dumps(record) + "\n")
            print(row(record), flush=True)
            if args.no_solve:
                break


if __name__ == "__main__":
    main()
