"""Rebuild the China default case (inputs/china/) from the raw files in inputs/china/sources/.

    python inputs/china/build/build_all.py

Runs, in order, the three builders (each documented in its own notes file):

* ``profiles.py``        wind, solar and run-of-river availability (PROFILES.md)
* ``demand_network.py``  regions, periods and carbon path, demand, corridors, CO2 storage, hydro budgets (NETWORK.md)
* ``technologies.py``    carriers, fuel prices, technologies and costs, 2020 capacities, potentials (TECHNOLOGIES.md)
* ``operation.py``       monthly reservoir budgets, heat-led CHP must-run, reserve margins (OPERATION.md)
* ``history.py``         capacity built or under construction since 2020 (HISTORY.md)
* ``references.py``      the record, milestones and study ranges of the credibility table (HISTORY.md)

then merges the industrial-capture budgets into ``energy_budgets.csv`` and writes the hourly
``time_steps.csv`` (8760 one-hour steps of the profile year). ``settings.yaml`` is kept by hand.
"""

from __future__ import annotations

import os
import runpy
import sys
from pathlib import Path

import pandas as pd

BUILD = Path(__file__).resolve().parent
CASE = BUILD.parent


def main() -> None:
    # --inland-nuclear-from YEAR: first period in which inland nuclear sites may stand (technologies.py, default 2035)
    if "--inland-nuclear-from" in sys.argv:
        os.environ["CHINA_INLAND_NUCLEAR_FROM"] = str(int(sys.argv[sys.argv.index("--inland-nuclear-from") + 1]))
    for script in ("profiles.py", "demand_network.py", "technologies.py"):
        run(script)
    merge_budgets()
    write_time_steps()
    for script in ("operation.py", "history.py", "references.py"):
        run(script)


def run(script: str) -> None:
    print(f"running {script}", flush=True)
    sys.argv = [str(BUILD / script)]
    runpy.run_path(str(BUILD / script), run_name="__main__")


def merge_budgets() -> None:
    """energy_budgets.csv = hydro and CO2-injection rows (demand_network.py) + industrial capture (technologies.py)."""
    budgets = pd.read_csv(CASE / "energy_budgets.csv", dtype=str, keep_default_na=False)
    # technologies.py writes a fresh energy_budgets_industry.csv into the case folder; it is moved to build/
    # after the merge (the copy kept in build/ is only used when the case folder has none)
    industry_file = CASE / "energy_budgets_industry.csv"
    if not industry_file.exists():
        industry_file = BUILD / "energy_budgets_industry.csv"
    if industry_file.exists():
        industry = pd.read_csv(industry_file, dtype=str, keep_default_na=False)
        budgets = budgets[~budgets["technology"].isin(set(industry["technology"]))]
        budgets = pd.concat([budgets, industry], ignore_index=True)
        if industry_file.parent == CASE:
            industry.to_csv(BUILD / "energy_budgets_industry.csv", index=False)
            industry_file.unlink()
    budgets.to_csv(CASE / "energy_budgets.csv", index=False)


def write_time_steps() -> None:
    steps = pd.DataFrame({"time": range(8760), "weight_h": 1.0, "duration_h": 1.0, "representative_period": 0})
    steps.to_csv(CASE / "time_steps.csv", index=False)


if __name__ == "__main__":
    main()
