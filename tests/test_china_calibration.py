"""The China case reproduces 2020: the 2020 calibration variant (inputs/china_2020, 2020 fleet fixed)
against the 2020 statistics, within the tolerances of the issue: total generation within 3 %, the
shares of coal, gas, hydro, nuclear, wind and solar within 3 percentage points, power-sector CO2
within 10 %.  Statistics, sources and the model side: inputs/china_2020/calibrate.py.

* ``test_calibration_at_12_days`` solves the variant at 12 representative days (about 25 s, 1 GB;
  the shares differ by < 0.01 points from the 120 days the variant itself uses) and checks the
  tolerances and that no demand is lost;
* ``test_stored_calibration_table`` checks that ``inputs/china_2020/calibration.csv`` (written by
  ``python inputs/china_2020/calibrate.py`` at the variant's own resolution) holds the tolerances and was
  produced from the current inputs (same input hash); after any change to ``inputs/china`` rerun that
  script.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pandas as pd
import pytest
import yaml

import optimiser

ROOT = Path(__file__).resolve().parent.parent
VARIANT = ROOT / "inputs" / "china_2020"


def _calibrate():
    spec = importlib.util.spec_from_file_location("china_2020_calibrate", VARIANT / "calibrate.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _failures(table: pd.DataFrame) -> list[str]:
    return [f"{r.statistic}: model {r.model_value} vs {r.statistic_value} ({r.difference}, tolerance {r.tolerance})"
            for r in table.itertuples() if not r.within]


def test_variant_is_in_sync_with_the_china_case():
    """technologies.csv of the variant = the China one with nothing expandable (make_variant.py)."""
    base = pd.read_csv(ROOT / "inputs" / "china" / "technologies.csv", dtype=str, keep_default_na=False)
    variant = pd.read_csv(VARIANT / "technologies.csv", dtype=str, keep_default_na=False)
    assert (variant["expandable"] == "false").all()
    pd.testing.assert_frame_equal(base.drop(columns="expandable"), variant.drop(columns="expandable"))
    periods = pd.read_csv(VARIANT / "periods.csv")
    assert periods["period"].tolist() == [2020] and periods["co2_cap_Mt"].isna().all()


def test_calibration_at_12_days(tmp_path):
    calibrate = _calibrate()
    case = tmp_path / "china_2020_12d"
    case.mkdir()
    (case / "settings.yaml").write_text(yaml.safe_dump({
        "base_case": str(VARIANT),
        "name": "china_2020_12d",
        "time_aggregation": {"method": "representative_days", "days": 12, "seed": 0},
    }))
    ds, _ = optimiser.run(case, out=tmp_path / "china_2020_12d.nc", log=lambda *a: None)
    assert ds.attrs["optimal"], ds.attrs.get("status")
    figures = calibrate.model_figures(ds)
    assert figures["lost load TWh"] < 1e-4 * figures["total TWh"], figures  # less than 0.01 % of demand unserved
    table = calibrate.compare(ds)
    assert len(table) == len(calibrate.STATISTICS)
    assert not _failures(table), "\n".join(_failures(table))


def test_stored_calibration_table():
    calibrate = _calibrate()
    table, meta = calibrate.read_table(VARIANT / "calibration.csv")
    current = optimiser.load_case(VARIANT).input_hash
    assert meta.get("input_hash") == current, (
        "inputs/china_2020/calibration.csv was produced from other inputs; "
        "rerun `python inputs/china_2020/make_variant.py && python inputs/china_2020/calibrate.py`"
    )
    assert set(table["statistic"]) == {row[0] for row in calibrate.STATISTICS}
    assert table["source"].str.len().gt(10).all()
    assert table["within"].astype(bool).all(), "\n".join(_failures(table))


@pytest.mark.parametrize("name", ["coal share", "gas share", "hydro share", "nuclear share", "wind share", "solar share"])
def test_share_tolerances_are_the_issue_ones(name):
    calibrate = _calibrate()
    row = next(r for r in calibrate.STATISTICS if r[0] == name)
    assert row[3:5] == ("points", 3.0)
