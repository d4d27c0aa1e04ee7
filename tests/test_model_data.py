"""Data preparation helpers of the model builder, against values worked out by hand."""

import numpy as np
import pandas as pd
import pytest

from optimiser.model.data import interpolate_by_period, period_lookup
from optimiser.model.linear import KeyIndex


def test_interpolation_between_given_periods_constant_beyond_and_per_column():
    frame = pd.DataFrame(
        {
            "technology": ["a", "a", "a", "b", "b", "c", "d"],
            "period": [2020, 2040, 2060, 2030, 2050, 2035, 2020],
            "cost": [1.0, np.nan, 3.0, 10.0, 20.0, 5.0, np.nan],
            "efficiency": [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7],
        }
    )
    out = interpolate_by_period(frame, "technology", [2020, 2030, 2040, 2050, 2060], ["cost", "efficiency"])
    assert list(out["technology"].unique()) == ["a", "b", "c", "d"]  # order of first appearance
    cost = out.pivot(index="technology", columns="period", values="cost")
    # a: 2040 missing in this column only -> straight line from 1 (2020) to 3 (2060)
    np.testing.assert_allclose(cost.loc["a"], [1.0, 1.5, 2.0, 2.5, 3.0])
    # b: constant before 2030 and after 2050, linear between
    np.testing.assert_allclose(cost.loc["b"], [10.0, 10.0, 15.0, 20.0, 20.0])
    # c: one given period (not a model period) -> constant everywhere
    np.testing.assert_allclose(cost.loc["c"], [5.0] * 5)
    assert cost.loc["d"].isna().all()  # nothing given -> missing (filled by the schema default later)
    efficiency = out.pivot(index="technology", columns="period", values="efficiency")
    np.testing.assert_allclose(efficiency.loc["a"], [0.1, 0.15, 0.2, 0.25, 0.3])
    assert out["period"].dtype == np.int64


def test_key_index_finds_rows_and_reports_absent_ones():
    keys = pd.DataFrame({"technology": ["solar", "solar", "wind"], "region": ["north", "south", "north"], "period": [2030, 2030, 2040]})
    index = KeyIndex(keys)
    wanted = pd.DataFrame(
        {"technology": ["wind", "solar", "solar", "coal", "wind"], "region": ["north", "south", "north", "north", "south"], "period": [2040.0, 2030, 2040, 2030, 2040]}
    )
    # float periods match integer keys; an unknown label or an unknown combination of known labels gives -1
    assert index.positions(wanted).tolist() == [2, 1, -1, -1, -1]


def test_period_specific_rows_override_rows_for_every_period():
    limits = pd.DataFrame(
        {
            "technology": ["solar", "solar", "wind"],
            "region": ["north", "north", "north"],
            "period": [np.nan, 2040.0, 2030.0],
            "capacity_max_GW": [100.0, 150.0, np.nan],
        }
    )
    keys = pd.DataFrame({"technology": ["solar", "solar", "wind", "wind"], "region": ["north"] * 4, "period": [2030, 2040, 2030, 2040]})
    out = period_lookup(limits, keys, "capacity_max_GW", ["technology", "region"])
    assert out[:2].tolist() == [100.0, 150.0]
    assert np.isnan(out[2:]).all()  # wind: a row without a value for this column sets no limit


def test_key_index_rejects_duplicate_keys():
    with pytest.raises(pd.errors.InvalidIndexError):
        KeyIndex(pd.DataFrame({"a": ["x", "x"], "b": [1, 1]})).positions(pd.DataFrame({"a": ["x"], "b": [1]}))
