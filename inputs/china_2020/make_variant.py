"""Write the tables of the 2020 calibration variant from the China case (run from anywhere).

    python inputs/china_2020/make_variant.py

* ``technologies.csv``: ``../china/technologies.csv`` with ``expandable = false`` for every technology,
  so that only the 2020 fleet of ``../china/capacities.csv`` operates;
* ``corridors.csv``: ``../china/corridors.csv`` with ``expandable = false`` (the 2020 grid, no new lines);
* ``periods.csv``: the single period 2020 of ``../china/periods.csv`` (no CO2 cap, tax 0);
* every other table of ``../china`` with a ``period`` column (``technology_periods.csv``,
  ``fuel_prices.csv``, ``demand.csv``, ``capacity_limits.csv``, ``energy_budgets.csv``): its 2020 rows and
  its rows with a blank period (the loader rejects rows for periods the case does not have).  Every
  technology has a 2020 row in ``technology_periods.csv`` with every value the later rows give, so
  dropping the later rows changes no 2020 parameter.

Every other table is inherited from ``../china`` (``base_case`` in ``settings.yaml``).  Rerun this
script after ``inputs/china/build/build_all.py`` so that the variant stays in sync with the base case.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

HERE = Path(__file__).resolve().parent
BASE = HERE.parent / "china"
YEAR = 2020


def _read(name: str) -> pd.DataFrame:
    return pd.read_csv(BASE / name, dtype=str, keep_default_na=False)


def main() -> None:
    technologies = _read("technologies.csv")
    technologies["expandable"] = "false"
    technologies.to_csv(HERE / "technologies.csv", index=False)

    corridors = _read("corridors.csv")
    corridors["expandable"] = "false"
    corridors.to_csv(HERE / "corridors.csv", index=False)

    periods = _read("periods.csv")
    periods = periods[periods["period"].astype(float) == YEAR].copy()
    if len(periods) != 1 or periods["co2_cap_Mt"].iloc[0] != "":
        raise SystemExit("expected one 2020 row without a CO2 cap in ../china/periods.csv")
    periods.to_csv(HERE / "periods.csv", index=False)
    written = ["technologies.csv", "corridors.csv", "periods.csv"]

    from optimiser import schema

    for spec in schema.TABLES:  # the case tables with a period column (other files in ../china are not tables)
        path = BASE / f"{spec.name}.csv"
        if path.name in written or not path.exists() or "period" not in [c.name for c in spec.columns]:
            continue
        table = _read(path.name)
        keep = table["period"].map(lambda value: value.strip() == "" or float(value) == YEAR)
        table[keep].to_csv(HERE / path.name, index=False)
        written.append(path.name)
    print("wrote " + ", ".join(written))


if __name__ == "__main__":
    main()
