"""Time representation of the China year: aggregation time and representation error, no solves.

    python benchmarks/bench_timeagg.py                           # 4, 8, 16 days x the variants below
    python benchmarks/bench_timeagg.py --days 8 --variants segments4 segments4+extremes
    python benchmarks/bench_timeagg.py --old-code                # also time the hand-written k-medoids of main

Variants (every one also with ``+extremes``: 1 peak-net-load day and the 2 consecutive days of least wind and
solar, counted in ``days``): ``24h`` (24 one-hour steps a day), ``hours6`` (4 equal 6-hour blocks, the
China default's kind), ``segments4`` (4 tsam segments of unequal length: the same LP size as hours6),
``hours3``, ``segments8``.  Net load: wind and solar only (onwind, offwind, solar_utility,
solar_distributed), the potential fleet (docs/inputs.md, section 6.5).  Prints a Markdown table; one JSON
line per aggregation is appended to ``benchmarks/out/timeagg.jsonl``.

``--old-code GITREF`` times ``optimiser/timeagg.py`` as it was at GITREF (the hand-written k-medoids;
default ``main``), loaded from git into the running package, on the China default setting.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "benchmarks" / "out"
WIND_SOLAR = ["onwind", "offwind", "solar_utility", "solar_distributed"]
EXTREMES = {"peak_net_load": 1, "low_renewables": 2}
VARIANTS = {"24h": {}, "hours6": {"hours": 6}, "hours3": {"hours": 3}, **{f"segments{n}": {"segments": n} for n in (2, 3, 4, 6, 8)}}


def setting(days: int, variant: str) -> dict:
    base, _, extremes = variant.partition("+")
    out = {"method": "representative_days", "days": days, **VARIANTS[base], "net_load": {"fleet": "potential", "technologies": WIND_SOLAR}}
    if extremes:
        out["extreme_days"] = dict(EXTREMES)
    return out


def errors(info: dict) -> dict:
    rows = {row["series"]: row for row in info["representation_error"]}
    net, demand = rows["net_load"], rows["demand"]
    return {
        "net_load_peak_GW": net["aggregated_peak"], "net_load_full_peak_GW": net["full_peak"], "net_load_peak_error_GW": net["peak_error"],
        "net_load_rmse_GW": net["duration_rmse"], "demand_peak_error_GW": demand["peak_error"], "demand_rmse_GW": demand["duration_rmse"],
        "wind_solar_rmse_GW": rows["wind_and_solar"]["duration_rmse"],
        "onwind_rmse": rows["availability onwind"]["duration_rmse"], "solar_utility_rmse": rows["availability solar_utility"]["duration_rmse"],
    }


def old_aggregate(ref: str):
    """``aggregate`` of optimiser/timeagg.py at git ``ref`` (a module of the optimiser package)."""
    source = subprocess.run(["git", "show", f"{ref}:optimiser/timeagg.py"], cwd=ROOT, check=True, capture_output=True, text=True).stdout
    path = Path(tempfile.mkdtemp()) / "timeagg_old.py"
    path.write_text(source)
    spec = importlib.util.spec_from_file_location("optimiser._timeagg_old", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module.aggregate


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--case", default=str(ROOT / "inputs" / "china"))
    parser.add_argument("--days", type=int, nargs="+", default=[4, 8, 16])
    parser.add_argument("--variants", nargs="+", default=[v + x for v in ("24h", "hours6", "segments4") for x in ("", "+extremes")])
    parser.add_argument("--old-code", nargs="?", const="main", default=None, metavar="GITREF")
    parser.add_argument("--repeat", type=int, default=3, help="timings: the best of this many aggregations")
    args = parser.parse_args(argv)

    import optimiser
    from optimiser.timeagg import aggregate

    case = optimiser.load_case(args.case)
    OUT.mkdir(parents=True, exist_ok=True)
    default = {"method": "representative_days", "days": 4, "hours": 6, "seed": 0}
    if args.old_code:
        for label, function in ((f"old ({args.old_code})", old_aggregate(args.old_code)), ("new (tsam)", aggregate)):
            seconds = []
            for _ in range(args.repeat):
                start = time.perf_counter()
                result = function(case, default)
                seconds.append(time.perf_counter() - start)
            print(f"{label}: China default {default} -> {len(result['time_steps'])} steps, best of {args.repeat}: {min(seconds):.2f} s "
                  f"(all: {', '.join(f'{s:.2f}' for s in seconds)}); days {result.time_aggregation.get('period_days', result.time_aggregation.get('medoid_days'))}, "
                  f"cluster sizes {result.time_aggregation['cluster_sizes']}")
    print("| days | variant | steps | aggregate s | net-load peak GW (full) | peak error GW | net-load RMSE GW | demand peak error GW | "
          "demand RMSE GW | wind+solar RMSE GW | onwind CF RMSE | solar CF RMSE |")
    print("|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    with open(OUT / "timeagg.jsonl", "a") as log:
        for days in args.days:
            for variant in args.variants:
                s = setting(days, variant)
                start = time.perf_counter()
                result = aggregate(case, s)
                seconds = time.perf_counter() - start
                e = errors(result.time_aggregation)
                record = {"days": days, "variant": variant, "steps": len(result["time_steps"]), "seconds": seconds, **e,
                          "extreme_days": result.time_aggregation.get("extreme_days"), "loadavg": os.getloadavg()[0]}
                log.write(json.dumps(record) + "\n")
                print(f"| {days} | {variant} | {record['steps']} | {seconds:.2f} | {e['net_load_peak_GW']:.0f} ({e['net_load_full_peak_GW']:.0f}) | "
                      f"{e['net_load_peak_error_GW']:+.0f} ({e['net_load_peak_error_GW'] / e['net_load_full_peak_GW']:+.1%}) | {e['net_load_rmse_GW']:.0f} | "
                      f"{e['demand_peak_error_GW']:+.0f} | {e['demand_rmse_GW']:.0f} | {e['wind_solar_rmse_GW']:.0f} | {e['onwind_rmse']:.4f} | "
                      f"{e['solar_utility_rmse']:.4f} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
