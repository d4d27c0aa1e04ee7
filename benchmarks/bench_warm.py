"""Warm re-solves against cold build-and-solve for cost-and-cap variants of a case.

    python benchmarks/bench_warm.py [CASE] [--variants 20] [--threads 1] [--days D --hours H] [--start reference|previous]
    python benchmarks/bench_warm.py inputs/china --days 1 --hours 6 --variants 20

``--days``/``--hours`` override the case's time aggregation (representative days of H-hour steps).

Each variant scales the capex of every technology by a factor in [0.7, 1.3] (seeded) and
sets the CO2 cap of the last period between 40 % and 100 % of the base value. Both routes
rebuild the model arrays of each variant (pyomo=False); the cold route builds from scratch and
passes the whole model to a new HiGHS instance, the warm route builds with
``previous=warm.model`` (data-preparation steps whose inputs did not change are reused), changes
the numbers of the kept HiGHS model in place and re-solves from the basis of its cold solve (``--start reference``,
the default) or of the previous variant. Objectives must agree
to 1e-7 relative. Prints one line per variant and the totals.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

import optimiser
from optimiser.scenarios import apply_scenario
from optimiser.warm import WarmSolver

ROOT = Path(__file__).resolve().parent.parent


def variants(case, count: int, seed: int = 0) -> list[list[dict]]:
    rng = np.random.default_rng(seed)
    technologies = sorted(set(case["technology_periods"]["technology"]))
    periods = case["periods"]
    capped = periods[periods["co2_cap_Mt"].notna()]
    out = [[]]
    for _ in range(count - 1):
        overrides = []
        for tech in technologies:
            if (case["technology_periods"].loc[case["technology_periods"]["technology"] == tech, "capex_CNY_per_kW"].fillna(0) > 0).any():
                overrides.append({"table": "technology_periods", "where": {"technology": tech}, "column": "capex_CNY_per_kW", "scale": float(rng.uniform(0.7, 1.3))})
        if len(capped):
            last = int(capped["period"].iloc[-1])
            base = float(capped["co2_cap_Mt"].iloc[-1])
            overrides.append({"table": "periods", "where": {"period": last}, "column": "co2_cap_Mt", "set": round(base * float(rng.uniform(0.4, 1.0)), 3)})
        out.append(overrides)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("case", nargs="?", default=str(ROOT / "inputs" / "example"))
    parser.add_argument("--variants", type=int, default=20)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--days", type=int, help="representative days (overrides the case's time aggregation)")
    parser.add_argument("--hours", type=int, default=1, help="hours per time step with --days")
    parser.add_argument("--start", choices=["reference", "previous"], default="reference", help="basis warm re-solves start from")
    args = parser.parse_args()
    base = optimiser.load_case(args.case)
    if args.days:
        base.settings["time_aggregation"] = {"method": "representative_days", "days": args.days, "hours": args.hours, "seed": 0}
    cases = [apply_scenario(base, v) if v else base for v in variants(base, args.variants)]
    options = {"threads": args.threads}
    warm = WarmSolver(options, start=args.start)
    totals = {"cold": 0.0, "warm": 0.0}
    builds = {"cold": 0.0, "warm": 0.0}
    worst = 0.0
    print(f"case {base.name}: {len(cases)} variants, threads={args.threads}")
    print(f"{'#':>3} {'cold s':>8} {'warm s':>8} {'route':>6} {'objective':>14} {'rel diff':>9}")
    for index, case in enumerate(cases):
        start = time.perf_counter()
        model = optimiser.build_model(case, pyomo=False)
        builds["cold"] += time.perf_counter() - start
        cold = optimiser.solve(model, options)
        cold_s = time.perf_counter() - start
        start = time.perf_counter()
        model = optimiser.build_model(case, pyomo=False, previous=warm.model)
        builds["warm"] += time.perf_counter() - start
        hot = warm.solve(model)
        warm_s = time.perf_counter() - start
        assert cold.optimal and hot.optimal
        diff = abs(hot.objective - cold.objective) / abs(cold.objective)
        worst = max(worst, diff)
        totals["cold"] += cold_s
        totals["warm"] += warm_s
        print(f"{index:>3} {cold_s:>8.2f} {warm_s:>8.2f} {hot.info['route']:>6} {cold.objective:>14.6f} {diff:>9.1e}")
    print(f"model builds: cold route {builds['cold']:.2f} s, warm route {builds['warm']:.2f} s")
    print(f"total cold {totals['cold']:.2f} s, warm {totals['warm']:.2f} s, ratio cold/warm {totals['cold'] / totals['warm']:.2f}; "
          f"largest objective difference {worst:.1e} (routes: {warm.solves})")
    assert worst <= 1e-7


if __name__ == "__main__":
    main()
