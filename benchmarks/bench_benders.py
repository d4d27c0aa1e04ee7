"""Benders decomposition against the monolithic solve (issue 15): agreement, iterations, time per iteration, the
share of master and subproblems, and the wall time projected on more workers from the measured subproblem times.

    python benchmarks/bench_benders.py inputs/example inputs/example_h2_ccus
    python benchmarks/bench_benders.py inputs/china --days 4 --time-limit 300 --no-monolithic

Projection: an iteration's subproblem time (the mean over iterations of their summed solve times) is shared among the
subproblems as their times at the final point are (``benders_block_s``), scheduled longest-first onto N workers, plus
the mean master time; communication is not counted. Prints one Markdown row per run.
"""

from __future__ import annotations

import argparse
import heapq
import platform
import time

import numpy as np


def china_aggregation(days: int) -> dict:
    return {"method": "representative_days", "days": days, "segments": 4, "extreme_days": {"peak_net_load": 1, "low_renewables": 2},
            "net_load": {"fleet": "potential", "technologies": ["onwind", "offwind", "solar_utility", "solar_distributed"]}}


def projected(block_seconds: list[float], workers: int) -> float:
    """Longest-processing-time schedule of the subproblems on ``workers``: the makespan (s)."""
    loads = [0.0] * workers
    heapq.heapify(loads)
    for seconds in sorted(block_seconds, reverse=True):
        heapq.heappush(loads, heapq.heappop(loads) + seconds)
    return max(loads)


def main() -> None:
    import optimiser

    parser = argparse.ArgumentParser()
    parser.add_argument("cases", nargs="+")
    parser.add_argument("--days", type=int, help="tsam days with segments and extreme days (China)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--gap", type=float, default=1e-3)
    parser.add_argument("--time-limit", type=float)
    parser.add_argument("--no-monolithic", action="store_true")
    args = parser.parse_args()
    print(f"# {time.strftime('%Y-%m-%d')} {platform.processor() or platform.machine()}, {args.workers} workers")
    print("| case | monolithic (bn CNY, s) | Benders (bn CNY) | status | iterations | gap | total s | master s/it | subproblems s/it | sum of subproblems s/it | projected s/it on 8 / 32 / 128 workers |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for path in args.cases:
        settings = {"foresight": "perfect"}
        if args.days:
            settings["time_aggregation"] = china_aggregation(args.days)
        mono_text = "-"
        if not args.no_monolithic:
            start = time.perf_counter()
            mono, _ = optimiser.run(path, f"results/bench_benders/{_name(path)}_mono.nc", settings=settings, log=lambda *_: None)
            mono_text = f"{mono.attrs['objective']:.6g}, {time.perf_counter() - start:.1f}"
        options = {"gap": args.gap, "workers": args.workers, "checkpoint": False}
        if args.time_limit:
            options["time_limit"] = args.time_limit
        start = time.perf_counter()
        ds, _ = optimiser.run(path, f"results/bench_benders/{_name(path)}.nc", settings={**settings, "method": "benders", "benders": options},
                              log=lambda *_: None)
        total = time.perf_counter() - start
        master = float(np.mean(ds["benders_master_s"].values))
        subs = float(np.mean(ds["benders_subproblems_s"].values))
        sub_sum = float(np.mean(ds["benders_subproblem_sum_s"].values))
        final = ds["benders_block_s"].values
        shares = final / final.sum() if final.sum() > 0 else np.full(len(final), 1 / len(final))
        per_block = list(sub_sum * shares)
        projection = " / ".join(f"{master + projected(per_block, n):.2f}" for n in (8, 32, 128))
        print(f"| {_name(path)}{f' {args.days} days' if args.days else ''} | {mono_text} | {ds.attrs['objective']:.6g} | {ds.attrs['status']} | "
              f"{int(ds.attrs['benders_iterations'])} | {ds.attrs['benders_gap']:.2e} | {total:.1f} | {master:.2f} | {subs:.2f} | {sub_sum:.2f} | {projection} |",
              flush=True)


def _name(path: str) -> str:
    return str(path).rstrip("/").split("/")[-1]


if __name__ == "__main__":
    main()
