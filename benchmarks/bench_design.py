"""The fleet of one run as a floor at another time resolution: what a coarse design lacks, and what it costs.

    python benchmarks/bench_design.py --design results/china.nc --days 32 --variant segments4+extremes --mode myopic

A representation of the year is judged by what its design does in a finer year (Teichgraeber and Brandt, Applied
Energy 239, 2019, section 2.4: "operational validation" of the design at full resolution; Hoffmann, Kotzur,
Stolten and Robinius, Energies 13(3) 641, 2020). Here the finer year is the reference resolution of the
resolution study (benchmarks/RESULTS.md) and the design enters as a floor, so the run stays as feasible as the
reference: every (technology, region, period) must keep at least the design's installed capacity (``capacity_min_GW``
of capacity_limits.csv, 1 MW below it for the interior-point tolerance), and every corridor at least the design's
builds (committed_corridors.csv rows in the period they were built). The optimiser may add capacity on top and
chooses storage energy freely (there is no floor for it in the inputs). What it adds is what the coarse year did
not show was needed.

Committed corridor capacity is sunk (no capex in the objective, docs/model.md), so the floored run's objective lacks
the design's corridor capex. Run the floor also at the design's own resolution: that run reproduces the design
(nothing to add) and its objective falls short of the design's by exactly that capex. The design's cost in the finer
year is then floored_fine + (design objective - floored_own), against the finer year's own optimum (the reference).
Use ``--empty corridor_build_limits`` (or any table) to floor a design made before a table was added.

The case folder inherits inputs/china (``base_case``) and sets only the time aggregation, the foresight and these
two tables; the run is ``optimiser run`` under ``/usr/bin/time -v`` as in bench_foresight, recorded in
``benchmarks/out/foresight/designs.jsonl`` with the design's path and objective.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_foresight import OUT, aggregation, commit, foresight_settings, load_average, summary, time_v  # noqa: E402

RECORDS = OUT / "designs.jsonl"
MARGIN_GW = 1e-3  # the floor sits 1 MW below the design (interior-point solutions are optimal to ~1e-6 GW)


def historical_periods(case: Path) -> set:
    """The case's historical periods (their fleet is the recorded one: no floor there)."""
    return set((yaml.safe_load((case / "settings.yaml").read_text()) or {}).get("historical_periods") or [])


def capacity_floors(case: Path, design) -> pd.DataFrame:
    """capacity_limits.csv of ``case`` with every (technology, region, period) of ``design`` floored at its capacity."""
    limits = pd.read_csv(case / "capacity_limits.csv")
    periods = pd.read_csv(case / "periods.csv")["period"].astype(int).tolist()
    blank = limits["period"].isna()
    expanded = pd.concat([limits[~blank], limits[blank].drop(columns="period").merge(pd.DataFrame({"period": periods}), how="cross")])
    expanded = expanded.drop_duplicates(["technology", "region", "period"], keep="first")  # a period's own row wins
    expanded["period"] = expanded["period"].astype(int)
    built = design["capacity"].to_dataframe(name="design_GW").reset_index()
    built = built.loc[(built["design_GW"] > MARGIN_GW) & ~built["period"].isin(historical_periods(case))]
    merged = expanded.merge(built, on=["technology", "region", "period"], how="outer")
    floor = merged["design_GW"] - MARGIN_GW
    merged["capacity_min_GW"] = np.fmax(merged["capacity_min_GW"], floor)
    merged["capacity_max_GW"] = np.where(merged["capacity_max_GW"] < merged["capacity_min_GW"], merged["capacity_min_GW"], merged["capacity_max_GW"])
    merged["source"] = np.where(merged["design_GW"].notna(), merged["source"].fillna("") + "; floor: the design's capacity", merged["source"])
    return merged.drop(columns="design_GW")[limits.columns]


def corridor_floors(case: Path, design) -> pd.DataFrame:
    """committed_corridors.csv of ``case`` plus the design's corridor builds, each in service in its period."""
    committed = pd.read_csv(case / "committed_corridors.csv")
    built = design["corridor_capacity_new"].to_dataframe(name="capacity_GW").reset_index()
    built = built.loc[(built["capacity_GW"] > MARGIN_GW) & ~built["period"].isin(historical_periods(case))]
    rows = pd.DataFrame({"corridor": built["corridor"], "build_year": built["period"].astype(int),
                         "capacity_GW": built["capacity_GW"] - MARGIN_GW, "status": "under_construction",
                         "source": "floor: the design's build"})
    return pd.concat([committed, rows], ignore_index=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--design", required=True, type=Path, help="results file whose fleet is the floor")
    parser.add_argument("--case", type=Path, default=ROOT / "inputs" / "china")
    parser.add_argument("--days", type=int, default=32)
    parser.add_argument("--variant", default="segments4+extremes")
    parser.add_argument("--mode", default="myopic")
    parser.add_argument("--tag", default="design", help="name of the run's case folder and results")
    parser.add_argument("--empty", action="append", default=[], metavar="TABLE",
                        help="replace a table of the base case by an empty one (e.g. corridor_build_limits, for a model without it)")
    args = parser.parse_args()

    import optimiser

    with optimiser.open_results(args.design) as ds:
        design_objective = float(ds.attrs["objective"])
        capacity = capacity_floors(args.case, ds)
        corridors = corridor_floors(args.case, ds)
    tag = f"china_{args.days}d_{args.variant.replace('+', '_')}_{args.mode}_{args.tag}"
    folder = OUT / "cases" / tag
    folder.mkdir(parents=True, exist_ok=True)
    settings = {"name": tag, "base_case": str(args.case.resolve()), "time_aggregation": aggregation(args.days, args.variant),
                **foresight_settings(args.mode)}
    (folder / "settings.yaml").write_text(yaml.safe_dump(settings, sort_keys=False))
    capacity.to_csv(folder / "capacity_limits.csv", index=False)
    corridors.to_csv(folder / "committed_corridors.csv", index=False)
    for table in args.empty:
        header = pd.read_csv(args.case / f"{table}.csv", nrows=0)
        header.to_csv(folder / f"{table}.csv", index=False)

    results = OUT / f"{tag}.nc"
    command = ["/usr/bin/time", "-v", sys.executable, "-m", "optimiser", "run", str(folder), "--out", str(results), "--no-schedule", "--quiet"]
    before, started = load_average(), time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime())
    process = subprocess.run(command, capture_output=True, text=True, cwd=ROOT)
    record = {"design": str(args.design), "design_objective": design_objective, "days": args.days, "variant": args.variant, "empty": args.empty,
              "mode": args.mode, "tag": args.tag, "started": started, "commit": commit(), "load_before": before,
              "load_after": load_average(), "returncode": process.returncode, **time_v(process.stderr)}
    (OUT / f"{tag}.log").write_text(process.stdout + "\n" + process.stderr)
    if results.exists():
        record.update(summary(results))
    with RECORDS.open("a") as stream:
        stream.write(json.dumps(record) + "\n")
    print(json.dumps({k: record.get(k) for k in ("objective", "wall_s", "returncode")}))


if __name__ == "__main__":
    main()
