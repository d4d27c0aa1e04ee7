"""Helpers for tests: write small cases from Python rows and solve them.

    path = write_case(tmp_path, periods=[{"period": 2020}], regions=[{"region": "A"}], ...)
    ds = solve_case(path)          # xarray Dataset of results (asserts optimality)

Every table is given as a list of dicts (one dict per CSV row) or a DataFrame.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import yaml

import optimiser

EXAMPLE = Path(__file__).resolve().parent.parent / "inputs" / "example"


def write_case(folder: Path, settings: dict | None = None, **tables) -> Path:
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    base = {"name": folder.name, "discount_rate": 0.0}
    base.update(settings or {})
    (folder / "settings.yaml").write_text(yaml.safe_dump(base))
    for name, rows in tables.items():
        frame = rows if isinstance(rows, pd.DataFrame) else pd.DataFrame(rows)
        frame.to_csv(folder / f"{name}.csv", index=False)
    return folder


def screening_case(folder: Path, settings: dict | None = None) -> Path:
    """The screening-curve case (test_hand_worked.py): one region, one period of one year (r = wacc = 0), base
    (12000 CNY/kW over 20 years, 100 CNY/MWh) and peaker (2000 CNY/kW, 500 CNY/MWh) against a load-duration curve of
    10 GW for 1000 h, 6 GW for 3000 h and 4 GW for 4760 h (47.04 TWh): base 6 GW, peaker 4 GW."""
    return write_case(
        folder,
        settings={"last_period_years": 1, **(settings or {})},
        periods=[{"period": 2020}],
        regions=[{"region": "A"}],
        carriers=[{"carrier": "electricity"}],
        technologies=[
            {"technology": t, "type": "conversion", "carrier_out": "electricity", "lifetime_years": 20, "wacc": 0.0} for t in ("base", "peaker")
        ],
        technology_periods=[
            {"technology": "base", "period": 2020, "capex_CNY_per_kW": 12000, "vom_CNY_per_MWh": 100},
            {"technology": "peaker", "period": 2020, "capex_CNY_per_kW": 2000, "vom_CNY_per_MWh": 500},
        ],
        time_steps=[
            {"time": 0, "weight_h": 1000, "duration_h": 1},
            {"time": 1, "weight_h": 3000, "duration_h": 1},
            {"time": 2, "weight_h": 4760, "duration_h": 1},
        ],
        # 10*1000 + 6*3000 + 4*4760 = 47040 GWh = 47.04 TWh, so the profile is in GW
        demand=[{"carrier": "electricity", "region": "A", "period": 2020, "demand_TWh": 47.04}],
        demand_profiles=[{"carrier": "electricity", "region": "A", "time": t, "profile": p} for t, p in enumerate((10, 6, 4))],
    )


def hourly(n: int, weight_h: float = 1.0, group: int = 0) -> list[dict]:
    """time_steps rows: n steps of 1 h, each standing for ``weight_h`` hours, one cyclic group."""
    return [{"time": t, "weight_h": weight_h, "duration_h": 1.0, "representative_period": group} for t in range(n)]


def replace(case: Path, file: str, old: str, new: str) -> None:
    """Replace the first occurrence of ``old`` in ``case/file`` (which must contain it)."""
    path = Path(case) / file
    text = path.read_text()
    assert old in text, f"{old!r} not in {file}: the example changed, update the test"
    path.write_text(text.replace(old, new, 1))


def append(case: Path, file: str, *lines: str) -> None:
    """Append CSV lines to ``case/file``."""
    path = Path(case) / file
    text = path.read_text()
    if not text.endswith("\n"):
        text += "\n"
    path.write_text(text + "".join(line + "\n" for line in lines))


def copy_example(folder: Path) -> Path:
    """A writable copy of inputs/example (for breaking it in validation tests)."""
    target = Path(folder) / "example"
    shutil.copytree(EXAMPLE, target)
    return target


def solve_case(path: Path, options: dict | None = None, expect_optimal: bool = True):
    """Load, build, solve and extract; returns (dataset, model, solution)."""
    case = optimiser.load_case(path)
    model = optimiser.build_model(case)
    solution = optimiser.solve(model, options)
    if expect_optimal:
        assert solution.optimal, solution.message()
    return optimiser.extract(model, solution), model, solution
