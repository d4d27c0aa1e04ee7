"""Foresight modes and time resolutions on the China case: objective, 2030/2060 mix, wall time and peak memory.

    python benchmarks/bench_foresight.py --days 4 --hours 6 --modes perfect rolling3 rolling2 myopic
    python benchmarks/bench_foresight.py --days 8 --hours 6 --modes myopic rolling2
    python benchmarks/bench_foresight.py --days 8 --variants segments4+extremes --modes perfect myopic
    python benchmarks/bench_foresight.py --table            # the Markdown table of everything recorded
    python benchmarks/bench_foresight.py --resolution-table 8:segments4+extremes:perfect   # groups vs a reference

``--setting NAME=VALUE`` adds a case setting to every run (recorded in the run's JSON line), e.g.
``value_of_lost_load_CNY_per_MWh=100000``.

``--variants`` describe each representative day as ``benchmarks/bench_timeagg.py`` does (``hours6``, ``segments4``,
``24h``, each with ``+extremes``: 1 peak-net-load day and the 2 consecutive days of least wind and solar); without
it, ``--hours`` gives equal blocks.

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


def aggregation(days: int, variant: str) -> dict:
    """The time_aggregation setting of ``days`` representative days described by ``variant`` (bench_timeagg's names)."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from bench_timeagg import setting

    return setting(days, variant)


def variant_of(days: int, hours: int, variant: str | None) -> str:
    return variant or f"hours{hours}"


def case_folder(case: Path, days: int, variant: str, mode: str, extra: dict | None = None) -> Path:
    tag = f"china_{days}d_{variant.replace('+', '_')}_{mode}"
    folder = OUT / "cases" / tag
    folder.mkdir(parents=True, exist_ok=True)
    settings = {"name": tag, "base_case": str(case.resolve()), "time_aggregation": aggregation(days, variant), **foresight_settings(mode), **(extra or {})}
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
        record["steps"] = int(ds.sizes.get("time", 0))
        if int(ds.attrs.get("optimal", 0)):
            capacity = ds["capacity"].sum("region")
            periods = [p for p in MIX_PERIODS if p in capacity["period"].values]
            record["capacity_GW"] = {int(p): {str(t): round(float(v), 3) for t, v in capacity.sel(period=p).to_pandas().items()} for p in periods}
            record["figures"] = figures(ds, periods)
    return record


def figures(ds, periods) -> dict:
    """Per period: non-carbon share of electricity, national CO2 price (CNY/t), storage energy capacity (GWh, batteries,
    pumped hydro and hydrogen stores alike), hydrogen produced (TWh/yr LHV), CO2 stored (Mt/yr)."""
    from optimiser.postprocess.schedule import electricity_shares

    shares = electricity_shares(ds)
    out = {}
    for p in periods:
        one = {"non_carbon_share": round(float(shares.sel(period=p)), 4)}
        if "price_co2" in ds:
            one["co2_price_CNY_per_t"] = float(ds["price_co2"].sel(period=p))
        if "storage_energy_capacity" in ds:
            one["storage_energy_GWh"] = round(float(ds["storage_energy_capacity"].sel(period=p).sum()), 1)
        if "hydrogen_production" in ds:  # GW per time step -> TWh/yr (LHV)
            one["hydrogen_TWh"] = round(float((ds["hydrogen_production"].sel(period=p) * ds["time_weight_h"]).sum()) / 1e3, 1)
        if "co2_stored" in ds:
            one["co2_stored_Mt"] = round(float(ds["co2_stored"].sel(period=p).sum()), 1)
        if "lost_load" in ds:  # GW per time step -> TWh/yr
            one["lost_load_TWh"] = round(float((ds["lost_load"].sel(period=p) * ds["time_weight_h"]).sum()) / 1e3, 4)
        out[int(p)] = one
    return out


def commit() -> str:
    """The git commit the run is made with (``+changes`` when the work tree differs from it)."""
    head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=ROOT).stdout.strip()
    dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], capture_output=True, text=True, cwd=ROOT).stdout.strip()
    return head + ("+changes" if dirty else "")


def one_run(case: Path, days: int, variant: str, mode: str, extra: dict | None = None) -> dict:
    folder = case_folder(case, days, variant, mode, extra)
    results = OUT / f"{folder.name}.nc"
    command = ["/usr/bin/time", "-v", sys.executable, "-m", "optimiser", "run", str(folder), "--out", str(results), "--no-schedule", "--quiet"]
    before = load_average()
    started = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime())
    process = subprocess.run(command, capture_output=True, text=True, cwd=ROOT)
    record = {"days": days, "variant": variant, "mode": mode, "settings": extra or {}, "started": started, "commit": commit(),
              "load_before": before, "load_after": load_average(),
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
        latest[(run["days"], run.get("variant") or f"hours{run['hours']}", run["mode"])] = run
    rows = ["| resolution | mode | windows | objective bn CNY | vs perfect | 2030 sum abs(dGW) (largest) | 2060 sum abs(dGW) (largest) | HiGHS s | wall s | peak RSS MiB | load before/after |",
            "|---|---|---|---|---|---|---|---|---|---|---|"]
    for (days, variant, mode), run in sorted(latest.items(), key=lambda item: (item[0][0], item[0][1], item[1]["started"])):
        reference = latest.get((days, variant, "perfect"))
        objective = run.get("objective")
        versus, mixes = "", ["", ""]
        if reference and reference.get("capacity_GW") and run.get("capacity_GW") and mode != "perfect":
            versus = f"{100 * (objective / reference['objective'] - 1):+.2f} %"
            mixes = ["{:.0f} ({})".format(*mix_difference(run, reference, period)) for period in MIX_PERIODS]
        windows = len(run["windows"]) if run.get("windows") else 1
        rows.append(f"| {days} d {variant} | {mode} | {windows} | {objective:,.1f} | {versus} | {mixes[0]} | {mixes[1]} | "
                    f"{run.get('solve_s', 0):.0f} | {run.get('wall_s') or 0:.0f} | {run.get('peak_rss_MiB') or 0:,.0f} | "
                    f"{run['load_before']:.1f} / {run['load_after']:.1f} |" if objective is not None else
                    f"| {days} d {variant} | {mode} | | {run.get('status')} (exit {run['returncode']}) | | | | | {run.get('wall_s') or 0:.0f} | | |")
    return "\n".join(rows)


#: technology groups of the resolution study (issue 13), in GW; fossil plants with capture count with their fuel; CCUS is
#: measured by CO2 stored (Mt/yr); biomass, BECCS and DAC are in no group (BECCS and DAC show in the CO2 stored)
GROUPS = {
    "coal": ("coal", "coal_ccs"), "gas": ("gas_ccgt", "gas_ocgt", "gas_ccs"), "nuclear": ("nuclear",), "hydro": ("hydro_reservoir", "hydro_ror"),
    "wind": ("onwind", "offwind"), "solar": ("solar_utility", "solar_distributed"),
    "storage": ("pumped_hydro", "battery", "compressed_air"), "hydrogen": ("electrolysis", "smr_ccs", "h2_turbine"),
}


def groups(run: dict, period: int) -> dict:
    capacity = run["capacity_GW"][str(period)]
    out = {name: sum(capacity.get(t, 0.0) for t in members) for name, members in GROUPS.items()}
    out["ccus_Mt"] = run["figures"][str(period)].get("co2_stored_Mt", 0.0)
    return out


def resolution_table(reference_key: str, since: str = "") -> str:
    """Each run's objective and 2060 groups against the reference run ``days:variant:mode``; only runs started at or
    after ``since`` ("YYYY-MM-DD HH:MM", UTC: the runs of one version of the model). ``coal+gas`` (firm fossil capacity)
    is shown beside the groups, not judged."""
    runs = [json.loads(line) for line in RUNS.read_text().splitlines() if line.strip()]
    latest = {}
    for run in runs:
        if run.get("capacity_GW") and run.get("figures") and run["started"] >= since:
            latest[f"{run['days']}:{run.get('variant') or 'hours' + str(run['hours'])}:{run['mode']}"] = run
    reference = latest[reference_key]
    ref_groups = groups(reference, 2060)
    names = list(ref_groups)
    head = ["run", "steps/yr", "objective bn CNY", "vs ref", *[f"2060 {n}" for n in names], "largest group error", "2060 coal+gas", "non-carbon 2030 / 2060",
            "CO2 price 2030 / 2060 CNY/t", "storage energy 2060 TWh", "H2 produced 2060 TWh", "wall s", "peak RSS MiB"]
    rows = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for key, run in sorted(latest.items(), key=lambda item: (item[1]["days"], item[0])):
        mine = groups(run, 2060)
        errors = {n: (mine[n] / ref_groups[n] - 1) if ref_groups[n] > 1e-6 else (0.0 if mine[n] < 1e-6 else float("inf")) for n in names}
        worst = max(errors, key=lambda n: abs(errors[n]))
        fig30, fig60 = run["figures"].get("2030", {}), run["figures"]["2060"]
        cells = [key + (" (reference)" if key == reference_key else ""), str(run.get("steps", "")),
                 f"{run['objective']:,.0f}", f"{100 * (run['objective'] / reference['objective'] - 1):+.2f} %",
                 *[f"{mine[n]:,.0f} ({100 * errors[n]:+.0f} %)" if key != reference_key else f"{mine[n]:,.0f}" for n in names],
                 f"{worst} {100 * errors[worst]:+.0f} %",
                 f"{mine['coal'] + mine['gas']:,.0f} ({100 * ((mine['coal'] + mine['gas']) / (ref_groups['coal'] + ref_groups['gas']) - 1):+.0f} %)",
                 f"{100 * fig30.get('non_carbon_share', float('nan')):.1f} / {100 * fig60['non_carbon_share']:.1f} %",
                 f"{fig30.get('co2_price_CNY_per_t', float('nan')):.0f} / {fig60.get('co2_price_CNY_per_t', float('nan')):.0f}",
                 f"{fig60.get('storage_energy_GWh', 0) / 1e3:.1f}", f"{fig60.get('hydrogen_TWh', 0):,.0f}",
                 f"{run.get('wall_s') or 0:.0f}", f"{run.get('peak_rss_MiB') or 0:,.0f}"]
        rows.append("| " + " | ".join(cells) + " |")
    return "\n".join(rows)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--case", type=Path, default=ROOT / "inputs" / "china")
    parser.add_argument("--days", type=int, nargs="+", default=[4])
    parser.add_argument("--hours", type=int, nargs="+", default=[6])
    parser.add_argument("--variants", nargs="+", default=None, help="day descriptions as in bench_timeagg (e.g. segments4+extremes)")
    parser.add_argument("--modes", nargs="+", default=["perfect", "rolling3", "rolling2", "myopic"])
    parser.add_argument("--setting", action="append", default=[], metavar="NAME=VALUE",
                        help="a further case setting for every run (YAML value), e.g. value_of_lost_load_CNY_per_MWh=100000")
    parser.add_argument("--table", action="store_true", help="print the table of the recorded runs and stop")
    parser.add_argument("--refigure", action="store_true", help="recompute the recorded runs' figures from their results files and stop")
    parser.add_argument("--resolution-table", metavar="DAYS:VARIANT:MODE", help="print the 2060 groups against this reference run and stop")
    parser.add_argument("--since", default="", metavar="'YYYY-MM-DD HH:MM'", help="with --resolution-table: only runs started since (UTC)")
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    if args.table:
        print(table())
        return 0
    if args.refigure:  # recompute the per-period figures of every recorded run from its results file
        lines = []
        for line in RUNS.read_text().splitlines():
            run = json.loads(line)
            results = OUT / f"{case_folder(args.case, run['days'], run.get('variant') or 'hours' + str(run['hours']), run['mode']).name}.nc"
            if run.get("figures") and results.exists():
                import optimiser

                with optimiser.open_results(results) as ds:
                    run["figures"] = figures(ds, [p for p in MIX_PERIODS if p in ds["period"].values])
            lines.append(json.dumps(run))
        RUNS.write_text("\n".join(lines) + "\n")
        return 0
    if args.resolution_table:
        print(resolution_table(args.resolution_table, args.since))
        return 0
    extra = {name: yaml.safe_load(value) for name, _, value in (item.partition("=") for item in args.setting)}
    variants = args.variants or [f"hours{h}" for h in args.hours]
    for days in args.days:
        for variant in variants:
            for mode in args.modes:
                record = one_run(args.case, days, variant, mode, extra)
                print(json.dumps({k: v for k, v in record.items() if k not in ("capacity_GW", "windows")}), flush=True)
    print(table())
    return 0


if __name__ == "__main__":
    sys.exit(main())
