"""Time aggregation (optimiser.timeagg, with tsam) and seasonal storage linked across representative days.

(a) representative days (plain, segmented, with extreme days) and downsampling preserve annual energies
    exactly, have the right counts and weights, and are deterministic; settings are validated; extreme days
    known by construction are kept as representative periods of their own; segments of unequal length
    cycle storage as worked by hand; the representation error of a tiny year is the one worked by hand;
(b) on a synthetic solar year where seasonal storage is worth building, 10 representative days with
    inter-day linking come within 5 % of the full-hourly objective, while the same days without
    linking (the storage cycles within each day) are off by more than 10 %;
(c) linking is exact: with no standing loss, a chronological year cut into days and linked day by day
    has the same optimum as the same year as one cyclic sequence.
"""

from __future__ import annotations

import dataclasses
import time

import numpy as np
import pandas as pd
import pytest
import yaml
from pytest import approx

import optimiser
from optimiser import timeagg
from optimiser.model.data import ModelData
from optimiser.model import storage as storage_module
from optimiser.model.storage import checkpoint_days
from optimiser.timeagg.error import duration_curve_error

from casebuilder import write_case

HOURS = 8760
DAYS = 365


def solar_year(days: int = DAYS, seed: int = 1, first_day: int = 0) -> np.ndarray:
    """Hourly solar capacity factor: long strong summer days, short weak winter days, random daily clouds."""
    day = first_day + np.arange(days)[:, None]
    hour = np.arange(24)[None, :]
    season = np.cos(2 * np.pi * (day - 172) / 365)
    half_day = 6 + 2 * season  # 4 h (winter) .. 8 h (summer) either side of noon
    shape = np.clip(np.cos(np.pi * (hour + 0.5 - 12) / (2 * half_day)), 0, None)
    clouds = np.random.default_rng(seed).uniform(0.4, 1.0, size=(days, 1))
    return np.clip(shape * (0.55 + 0.45 * season) * clouds, 0, 1).reshape(-1)


def wind_year(days: int = DAYS, seed: int = 2) -> np.ndarray:
    """Hourly wind capacity factor: windier winters, random weather lasting a few days."""
    rng = np.random.default_rng(seed)
    n = days * 24
    weather = np.convolve(rng.normal(size=n + 72), np.ones(72) / np.sqrt(72), mode="valid")[:n]
    season = 0.35 + 0.1 * np.cos(2 * np.pi * (np.arange(n) / 24 - 15) / 365)
    return np.clip(season + 0.15 * weather, 0, 1)


def hourly_year(days: int = DAYS, group_by_day: bool = False) -> list[dict]:
    return [{"time": t, "weight_h": 1.0, "duration_h": 1.0, "representative_period": t // 24 if group_by_day else 0} for t in range(days * 24)]


# --------------------------------------------------------------------------- (a) aggregation


@pytest.fixture(scope="module")
def three_region_case(tmp_path_factory):
    """3 regions, solar + wind profiles (wind left blank in region C's first week), demand profiles."""
    regions = ["A", "B", "C"]
    rows, demand_rows = [], []
    for i, region in enumerate(regions):
        for tech, profile in (("solar", solar_year(seed=10 + i)), ("wind", wind_year(seed=20 + i))):
            frame = pd.DataFrame({"technology": tech, "region": region, "time": np.arange(HOURS), "availability": profile})
            if region == "C" and tech == "wind":
                frame = frame[frame["time"] >= 168]  # blank steps take availability_max
            rows.append(frame)
        hours = np.arange(HOURS)
        shape = 1.0 + 0.3 * np.sin(2 * np.pi * (hours % 24 - 8) / 24) + 0.2 * np.cos(2 * np.pi * hours / HOURS) + 0.1 * i
        demand_rows.append(pd.DataFrame({"carrier": "electricity", "region": region, "time": hours, "profile": shape}))
    path = write_case(
        tmp_path_factory.mktemp("agg") / "three",
        settings={"time_aggregation": {"method": "representative_days", "days": 8}},
        periods=[{"period": 2030}],
        regions=[{"region": r} for r in regions],
        carriers=[{"carrier": "electricity"}],
        technologies=[
            {"technology": "solar", "type": "conversion", "carrier_out": "electricity", "lifetime_years": 25},
            {"technology": "wind", "type": "conversion", "carrier_out": "electricity", "lifetime_years": 25, "availability_max": 0.9},
            {"technology": "gas", "type": "conversion", "carrier_out": "electricity", "lifetime_years": 30},
            {"technology": "battery", "type": "storage", "carrier_out": "electricity", "lifetime_years": 15, "duration_h": 4},
            {"technology": "h2_store", "type": "storage", "carrier_out": "electricity", "lifetime_years": 30, "seasonal": True,
             "efficiency_charge": 0.7, "efficiency_discharge": 0.6, "standing_loss_per_h": 1e-5},
        ],
        technology_periods=[
            {"technology": "solar", "period": 2030, "capex_CNY_per_kW": 2500},
            {"technology": "wind", "period": 2030, "capex_CNY_per_kW": 5000},
            {"technology": "gas", "period": 2030, "capex_CNY_per_kW": 3000, "vom_CNY_per_MWh": 600},
            {"technology": "battery", "period": 2030, "capex_CNY_per_kW": 1000, "capex_energy_CNY_per_kWh": 800},
            {"technology": "h2_store", "period": 2030, "capex_CNY_per_kW": 4000, "capex_energy_CNY_per_kWh": 10},
        ],
        time_steps=hourly_year(),
        demand=[{"carrier": "electricity", "region": r, "period": 2030, "demand_TWh": 50 + 10 * i} for i, r in enumerate(regions)],
        demand_profiles=pd.concat(demand_rows, ignore_index=True),
        availability=pd.concat(rows, ignore_index=True),
        # wind and solar potentials (the default net-load fleet) and a small installed fleet
        capacity_limits=[{"technology": t, "region": r, "capacity_max_GW": gw} for r in regions for t, gw in (("solar", 40.0), ("wind", 20.0))],
        capacities=[{"technology": "wind", "region": r, "build_year": 2025, "capacity_GW": 2.0 + i} for i, r in enumerate(regions)],
    )
    return optimiser.load_case(path)


def _wide(frame: pd.DataFrame, key: str, value: str) -> pd.DataFrame:
    return frame.pivot_table(index=[key, "region"], columns="time", values=value, aggfunc="first")


def test_representative_days_counts_weights_and_sequence(three_region_case):
    case = three_region_case
    start = time.perf_counter()
    aggregated = timeagg.aggregate(case)
    seconds = time.perf_counter() - start
    steps = aggregated["time_steps"]
    assert len(steps) == 8 * 24
    assert steps["representative_period"].tolist() == np.repeat(np.arange(8), 24).tolist()
    assert (steps["duration_h"] == 1.0).all()
    assert steps["time"].is_monotonic_increasing and steps["time"].is_unique
    # each representative hour stands for the days of its cluster; the weights make up the year
    assert steps["weight_h"].sum() == approx(HOURS, rel=1e-12)
    sequence = aggregated.period_sequence
    assert sequence["day"].tolist() == list(range(DAYS))
    assert sequence["time"].tolist() == list(range(0, HOURS, 24))
    sizes = np.bincount(sequence["representative_period"], minlength=8)
    assert (sizes > 0).all() and sizes.sum() == DAYS
    assert steps.groupby("representative_period")["weight_h"].sum().tolist() == approx((24 * sizes).tolist())
    # the representative days are real days (medoids), each in its own cluster, labelled by their hours
    medoids = aggregated.time_aggregation["period_days"]
    assert steps["time"].to_numpy()[::24].tolist() == [24 * d for d in medoids]
    assert sequence["representative_period"].to_numpy()[medoids].tolist() == list(range(8))
    assert aggregated.time_aggregation["method"] == "representative_days"
    assert aggregated.time_aggregation["cluster"] == "hierarchical"  # tsam's Ward clustering, the default
    assert aggregated.time_aggregation["cluster_sizes"] == sizes.tolist()
    assert seconds < 10


@pytest.mark.parametrize(
    "setting",
    [
        None,  # the case's: 8 days of 24 hours
        {"method": "representative_days", "days": 8, "segments": 5},
        {"method": "representative_days", "days": 10, "hours": 4},
        {"method": "representative_days", "days": 9, "segments": 7, "extreme_days": {"peak_net_load": 2, "low_renewables": 3},
         "net_load": {"fleet": "installed"}},
        {"method": "representative_days", "days": 9, "segments": 4, "representation": "distribution", "extreme_days": {"peak_net_load": 1}},
    ],
)
def test_representative_days_preserve_energy_and_mean_availability(three_region_case, setting):
    case = three_region_case
    aggregated = timeagg.aggregate(case, setting)
    weight = aggregated["time_steps"].set_index("time")["weight_h"]
    # availability: the hours-weighted annual sum (mean capacity factor) of every profile is kept, values in [0, 1]
    original = _wide(case["availability"], "technology", "availability").reindex(columns=range(HOURS))
    new = _wide(aggregated["availability"], "technology", "availability")
    assert set(new.index) == set(original.index)
    assert np.isfinite(new.to_numpy()).all()
    assert new.to_numpy().min() >= 0 and new.to_numpy().max() <= 1
    for key in original.index:
        annual = original.loc[key].fillna({"solar": 1.0, "wind": 0.9}[key[0]]).sum()  # blank steps: availability_max
        assert float(new.loc[key] @ weight.reindex(new.columns)) == approx(float(annual), rel=1e-10), key
    # demand profiles: annual weighted sum kept, and the model's annual demand energy is exact
    original = _wide(case["demand_profiles"], "carrier", "profile")
    new = _wide(aggregated["demand_profiles"], "carrier", "profile")
    for key in original.index:
        assert float(new.loc[key] @ weight.reindex(new.columns)) == approx(float(original.loc[key].sum()), rel=1e-10)
    data = ModelData.from_case(aggregated)
    demand = data.demand()
    energy = demand.attrs["GW"] @ data.time["weight_h"].to_numpy()
    assert energy.tolist() == approx((demand["demand_TWh"] * 1e3).tolist(), rel=1e-12)


def test_aggregation_is_deterministic_and_idempotent(three_region_case):
    case = three_region_case
    one, two = timeagg.aggregate(case), timeagg.aggregate(case)
    for name in ("time_steps", "availability", "demand_profiles"):
        pd.testing.assert_frame_equal(one[name], two[name])
    pd.testing.assert_frame_equal(one.period_sequence, two.period_sequence)
    assert timeagg.aggregate(one) is one  # already aggregated: unchanged
    other = timeagg.aggregate(case, {"method": "representative_days", "days": 12, "seed": 3})
    assert len(other["time_steps"]) == 12 * 24
    assert other.settings["time_aggregation"] == {"method": "representative_days", "days": 12, "seed": 3}
    assert timeagg.aggregate(case, {"method": "none"}) is case


def test_downsample_preserves_energy(three_region_case):
    case = three_region_case
    aggregated = timeagg.aggregate(case, {"method": "downsample", "hours": 7})  # 8760 = 1251 x 7 + 3
    steps = aggregated["time_steps"]
    assert len(steps) == 1252
    assert steps["duration_h"].tolist() == [7.0] * 1251 + [3.0]
    assert steps["weight_h"].sum() == approx(HOURS)
    assert steps["time"].tolist() == list(range(0, HOURS, 7))
    assert aggregated.period_sequence is None
    weight = steps.set_index("time")["weight_h"]
    original = _wide(case["availability"], "technology", "availability")
    new = _wide(aggregated["availability"], "technology", "availability")
    assert float(new.loc[("solar", "A")] @ weight.reindex(new.columns)) == approx(float(original.loc[("solar", "A")].sum()), rel=1e-12)
    first = case["availability"].query("technology == 'solar' and region == 'B' and time < 7")["availability"].mean()
    assert float(new.loc[("solar", "B"), 0]) == approx(first)
    # blank steps of C's wind profile count as availability_max (0.9) in the averages
    assert float(new.loc[("wind", "C"), 0]) == approx(0.9)


def test_build_model_applies_the_setting(three_region_case):
    model = optimiser.build_model(three_region_case, pyomo=False)
    assert model.case.time_aggregation is not None
    assert model.data.n_time == 8 * 24
    # battery cycles daily; the seasonal store has inter-day states at the first and last day of every run
    # of days with the same representative day (3 periods x the checkpoints of the 365-day sequence)
    assert model.var("storage_level").keys["technology"].unique().tolist() == ["battery"]
    sequence = model.case.period_sequence["representative_period"].to_numpy()
    runs = 1 + int((sequence[1:] != sequence[:-1]).sum())
    checkpoints, _ = checkpoint_days(sequence)
    assert runs < len(checkpoints) <= 2 * runs and len(checkpoints) < DAYS
    assert model.var("storage_level_inter").n_keys == 3 * len(checkpoints)
    assert model.con("storage_linking").n_keys == 3 * len(checkpoints)


def test_checkpoint_days_by_hand():
    # runs: [0 0 0] [1] [2 2] [0 0]  -> first and last day of each run
    checkpoints, steps = checkpoint_days(np.array([0, 0, 0, 1, 2, 2, 0, 0]))
    assert checkpoints.tolist() == [0, 2, 3, 4, 5, 6, 7]
    assert steps.tolist() == [2, 1, 1, 1, 1, 1, 1]  # 7 -> 0 wraps around the year
    assert [c.tolist() for c in checkpoint_days(np.array([4, 4, 4, 4]))] == [[0, 3], [3, 1]]
    assert [c.tolist() for c in checkpoint_days(np.array([5]))] == [[0], [1]]


@pytest.mark.parametrize("loss", [0.0, 1e-3])
def test_checkpoint_chain_equals_the_daily_chain(tmp_path, monkeypatch, loss):
    """The reduced chain (states only at the ends of runs of equal days) gives the optimum of Kotzur's chain over every day."""
    case = timeagg.aggregate(
        optimiser.load_case(_small_case(tmp_path / "c", days=60, loss=loss, first_day=120)), {"method": "representative_days", "days": 3}
    )
    sequence = case.period_sequence["representative_period"].to_numpy()
    assert 1 + (sequence[1:] != sequence[:-1]).sum() < 50  # there are runs of equal days to compress
    reduced_model, reduced, reduced_ds, _ = _solve(case)
    every_day = lambda seq: (np.arange(len(seq)), np.ones(len(seq), dtype=np.int64))  # noqa: E731
    monkeypatch.setattr(storage_module, "checkpoint_days", every_day)
    daily_model, daily, daily_ds, _ = _solve(case)
    assert daily_model.var("storage_level_inter").n_keys == 60 > reduced_model.var("storage_level_inter").n_keys
    assert reduced.objective == approx(daily.objective, rel=1e-8)
    sel = dict(technology="store", region="A", period=2020)
    capacity = float(daily_ds["storage_energy_capacity"].sel(**sel))
    # the daily states rebuilt from the checkpoints stay within [0, E] on every day
    rebuilt = reduced_ds["storage_level_daily"].sel(**sel).to_numpy()
    assert rebuilt.shape == (60,)
    assert rebuilt.min() >= -1e-6 * capacity and rebuilt.max() <= float(reduced_ds["storage_energy_capacity"].sel(**sel)) * (1 + 1e-6)


@pytest.mark.parametrize(
    "setting, column",
    [
        ({"method": "clusters", "days": 8}, "time_aggregation.method"),
        ({"method": "representative_days"}, "time_aggregation.days"),
        ({"method": "representative_days", "days": 0}, "time_aggregation.days"),
        ({"method": "representative_days", "days": 8, "hours": 0}, "time_aggregation.hours"),
        ({"method": "downsample", "hours": 2.5}, "time_aggregation.hours"),
        ({"method": "downsample", "hours": 3, "typo": 1}, "time_aggregation.typo"),
        ({"method": "representative_days", "days": 8, "seed": "x"}, "time_aggregation.seed"),
        ("representative_days", "time_aggregation"),
        ({"method": "representative_days", "days": 30}, "time_aggregation.days"),  # only 20 days of steps
        ({"method": "representative_days", "days": 8, "segments": 25}, "time_aggregation.segments"),
        ({"method": "representative_days", "days": 8, "hours": 6, "segments": 6}, "time_aggregation.segments"),
        ({"method": "representative_days", "days": 8, "cluster": "kmeans"}, "time_aggregation.cluster"),
        ({"method": "representative_days", "days": 8, "representation": "mean"}, "time_aggregation.representation"),
        ({"method": "downsample", "hours": 3, "representation": "distribution"}, "time_aggregation.representation"),
        ({"method": "representative_days", "days": 3, "extreme_days": {"peak_net_load": 1, "low_renewables": 2}}, "time_aggregation.days"),
        ({"method": "representative_days", "days": 8, "extreme_days": {"windless": 2}}, "time_aggregation.extreme_days.windless"),
        ({"method": "representative_days", "days": 8, "extreme_days": {"low_renewables": -1}}, "time_aggregation.extreme_days.low_renewables"),
        ({"method": "representative_days", "days": 8, "extreme_days": [1, 2]}, "time_aggregation.extreme_days"),
        ({"method": "downsample", "hours": 3, "segments": 4}, "time_aggregation.segments"),
        ({"method": "representative_days", "days": 8, "net_load": {"fleet": "planned"}}, "time_aggregation.net_load.fleet"),
        ({"method": "representative_days", "days": 8, "net_load": {"technologies": "solar"}}, "time_aggregation.net_load.technologies"),
        ({"method": "representative_days", "days": 8, "net_load": {"technologies": ["nuclear"]}}, "time_aggregation.net_load.technologies"),
    ],
)
def test_bad_settings_are_reported(tmp_path, setting, column):
    path = _small_case(tmp_path / "bad", days=20, settings={"time_aggregation": setting})
    with pytest.raises(optimiser.InputError) as error:
        optimiser.load_case(path)
    assert [issue.column for issue in error.value.issues] == [column]


def test_representative_days_need_whole_hourly_days(tmp_path):
    setting = {"time_aggregation": {"method": "representative_days", "days": 1}}
    path = _small_case(tmp_path / "short", days=2, settings=setting, time_steps=hourly_year(days=2)[:-1])  # 47 steps
    with pytest.raises(optimiser.InputError, match="whole number of days"):
        optimiser.load_case(path)
    steps = [dict(row, duration_h=2.0, weight_h=2.0) for row in hourly_year(days=2)]
    path = _small_case(tmp_path / "two_hourly", days=2, settings=setting, time_steps=steps)
    with pytest.raises(optimiser.InputError, match="1-hour steps"):
        optimiser.load_case(path)


def test_seasonal_is_for_storage_only(tmp_path):
    path = _small_case(tmp_path / "conv", days=2, seasonal_solar=True)
    with pytest.raises(optimiser.InputError, match="seasonal"):
        optimiser.load_case(path)


# --------------------------------------------------------------------------- (a2) segments, extreme days, error report


def test_segments_have_unequal_hours_summing_to_the_day(three_region_case):
    aggregated = timeagg.aggregate(three_region_case, {"method": "representative_days", "days": 8, "segments": 6})
    steps, info = aggregated["time_steps"], aggregated.time_aggregation
    assert len(steps) == 8 * 6
    durations = steps["duration_h"].to_numpy().reshape(8, 6)
    assert durations.sum(axis=1).tolist() == [24.0] * 8  # every representative day is still 24 hours
    assert durations.tolist() == info["segment_hours"]
    assert len({tuple(d) for d in info["segment_hours"]}) > 1 and (durations != 4).any()  # unequal: not blocks of 4 h
    # weight = hours of the segment x the days its period stands for
    sizes = np.bincount(aggregated.period_sequence["representative_period"], minlength=8)
    assert steps["weight_h"].to_numpy() == approx((durations * sizes[:, None]).reshape(-1))
    assert steps["weight_h"].sum() == approx(HOURS, rel=1e-12)
    # each segment is labelled by its first hour in its representative day
    starts = np.cumsum(durations, axis=1) - durations
    assert steps["time"].tolist() == (np.array(info["period_days"])[:, None] * 24 + starts).reshape(-1).tolist()
    # the same days as without segments
    assert info["period_days"] == timeagg.aggregate(three_region_case)["time_steps"]["time"].to_numpy()[::24].__floordiv__(24).tolist()


def _tiny_year(folder, **settings):
    """One region, 4 flat days of demand 0.9, 1.0, 1.1, 3.0 (x 1 GW), solar availability 0.5 at every hour,
    solar potential 10 GW; demand 0.144 TWh = 24 h x (0.9 + 1.0 + 1.1 + 3.0) GW, so demand in GW = the profile."""
    days = [0.9, 1.0, 1.1, 3.0]
    return optimiser.load_case(write_case(
        folder,
        settings=settings,
        periods=[{"period": 2030}],
        regions=[{"region": "A"}],
        carriers=[{"carrier": "electricity"}],
        technologies=[
            {"technology": "solar", "type": "conversion", "carrier_out": "electricity", "lifetime_years": 25},
            {"technology": "gas", "type": "conversion", "carrier_out": "electricity", "lifetime_years": 30},
        ],
        technology_periods=[{"technology": "solar", "period": 2030, "capex_CNY_per_kW": 2500},
                            {"technology": "gas", "period": 2030, "capex_CNY_per_kW": 3000, "vom_CNY_per_MWh": 600}],
        time_steps=hourly_year(days=4),
        demand=[{"carrier": "electricity", "region": "A", "period": 2030, "demand_TWh": 0.144}],
        demand_profiles=pd.DataFrame({"carrier": "electricity", "region": "A", "time": np.arange(96), "profile": np.repeat(days, 24)}),
        availability=pd.DataFrame({"technology": "solar", "region": "A", "time": np.arange(96), "availability": 0.5}),
        capacity_limits=[{"technology": "solar", "region": "A", "capacity_max_GW": 10.0}],
        capacities=[{"technology": "solar", "region": "A", "build_year": 2020, "capacity_GW": 4.0}],
    ))


@pytest.mark.parametrize("extremes, cluster", [(None, "hierarchical"), ({"peak_net_load": 1}, "hierarchical"), (None, "kmedoids")])
def test_representation_error_of_a_tiny_year_by_hand(tmp_path, extremes, cluster):
    """Two representative days of the tiny year: {0.9, 1.0, 1.1} by its medoid 1.0 (the cluster's mean), and 3.0.

    Weighted sums: 3 days x 24 h x 1.0 + 24 h x 3.0 = 144 = 24 h x 6.0, so nothing is rescaled.
    Duration curves (GW over the 96 hours): full 3.0 (24 h), 1.1 (24 h), 1.0 (24 h), 0.9 (24 h);
    aggregated 3.0 (24 h), 1.0 (72 h): errors 0, -0.1, 0, +0.1 for 24 h each, so
    RMSE = sqrt((24 x 0.01 + 24 x 0.01) / 96) = sqrt(0.005) = 0.0707107, max error 0.1, range 3.0 - 0.9 = 2.1.
    Potential fleet: 10 GW x 0.5 x 96 h = 480 GWh against 144 GWh of demand: scale 0.3, 3 GW of solar
    producing 1.5 GW at every hour; net load = demand - 1.5: the same errors, peak 1.5, min -0.6 vs -0.5.
    With peak_net_load: 1 the peak day (day 3, net load 1.5) is taken out first and days 0-2 clustered into one
    (medoid day 1): the same representation.  Exact k-medoids (tsam's MILP) finds the same days: medoids {1, 3}
    cost |0.9 - 1.0| + |1.1 - 1.0| = 0.2 (x the scaling), {0, 3} and {2, 3} 0.3, {1, 2} 1.9 + 0.1 = 2.0.
    """
    setting = {"method": "representative_days", "days": 2, "cluster": cluster}
    if extremes:
        setting["extreme_days"] = extremes
    aggregated = timeagg.aggregate(_tiny_year(tmp_path / "tiny"), setting)
    info = aggregated.time_aggregation
    assert info["period_days"] == [1, 3] and info["cluster_sizes"] == [3, 1]
    assert info.get("extreme_days") == ({"peak_net_load": [3]} if extremes else None)
    assert info["net_load"] == {"fleet": "potential", "period": 2030, "technologies": ["solar"], "capacity_GW": approx(3.0), "potential_scale": approx(0.3)}
    rows = {row["series"]: row for row in info["representation_error"]}
    assert list(rows) == ["demand", "wind_and_solar", "net_load", "availability solar"]
    assert rows["demand"] == approx({
        "series": "demand", "unit": "GW", "full_peak": 3.0, "aggregated_peak": 3.0, "peak_error": 0.0, "full_min": 0.9, "aggregated_min": 1.0,
        "min_error": 0.1, "full_mean": 1.5, "aggregated_mean": 1.5, "duration_rmse": 0.0707107, "duration_nrmse": 0.0707107 / 2.1,
        "duration_max_error": 0.1,
    }, abs=1e-6)
    assert rows["net_load"] == approx(dict(rows["demand"], series="net_load", full_peak=1.5, aggregated_peak=1.5, full_min=-0.6, aggregated_min=-0.5,
                                           full_mean=0.0, aggregated_mean=0.0), abs=1e-6)
    for flat in ("wind_and_solar", "availability solar"):  # constant: represented exactly
        assert rows[flat]["duration_rmse"] == 0 and rows[flat]["duration_max_error"] == 0 and rows[flat]["peak_error"] == 0
    assert rows["wind_and_solar"]["full_peak"] == approx(1.5) and rows["availability solar"]["full_peak"] == 0.5


def test_distribution_representation_of_a_tiny_year_by_hand(tmp_path):
    """The cluster {0.9, 1.0, 1.1} (flat days) by its duration curve instead of its medoid: the 72 hourly values
    sorted and averaged in threes into 24 hours, 8 h each of 0.9, 1.0 and 1.1 GW, standing for 3 days each; with the
    peak day 3.0 the aggregated duration curve is the full year's: errors 0, minimum 0.9 (the medoid gave 1.0,
    RMSE 0.0707, see above).  The medoid (day 1) still places the cluster in the calendar."""
    aggregated = timeagg.aggregate(_tiny_year(tmp_path / "tiny"), {"method": "representative_days", "days": 2, "representation": "distribution"})
    info = aggregated.time_aggregation
    assert info["period_days"] == [1, 3] and info["cluster_sizes"] == [3, 1] and info["representation"] == "distribution"
    profile = aggregated["demand_profiles"]["profile"].to_numpy().reshape(2, 24)
    assert sorted(profile[0].tolist()) == approx([0.9] * 8 + [1.0] * 8 + [1.1] * 8) and profile[1].tolist() == approx([3.0] * 24)
    assert aggregated["time_steps"]["weight_h"].tolist() == [3.0] * 24 + [1.0] * 24
    rows = {row["series"]: row for row in info["representation_error"]}
    assert rows["demand"]["aggregated_min"] == approx(0.9) and rows["demand"]["duration_rmse"] == approx(0.0, abs=1e-12)
    assert rows["net_load"]["aggregated_min"] == approx(-0.6) and rows["net_load"]["duration_max_error"] == approx(0.0, abs=1e-12)


def test_installed_fleet_by_hand(tmp_path):
    """Installed fleet: the 4 GW of solar built in 2020 (25 years) stand in 2030, unscaled: 4 x 0.5 = 2 GW at every
    hour; net load = demand - 2: peak 3.0 - 2 = 1.0 on day 3, min 0.9 - 2 = -1.1."""
    case = _tiny_year(tmp_path / "tiny")
    aggregated = timeagg.aggregate(case, {"method": "representative_days", "days": 2, "net_load": {"fleet": "installed"}})
    assert aggregated.time_aggregation["net_load"] == {"fleet": "installed", "period": 2030, "technologies": ["solar"], "capacity_GW": 4.0}
    net = {row["series"]: row for row in aggregated.time_aggregation["representation_error"]}["net_load"]
    assert (net["full_peak"], net["full_min"], net["aggregated_min"]) == approx((1.0, -1.1, -1.0))


def test_duration_curve_error_by_hand():
    # full 4, 3, 2, 1 (1 h each; hour middles 0.5, 1.5, 2.5, 3.5); aggregated 3.5 for 2 h, 1.5 for 2 h:
    # read at the middles 3.5, 3.5, 1.5, 1.5 -> errors -0.5, +0.5, -0.5, +0.5: RMSE 0.5, max 0.5
    assert duration_curve_error(np.array([4.0, 1, 2, 3]), np.ones(4), np.array([1.5, 3.5]), np.array([2.0, 2.0])) == approx((0.5, 0.5))
    # unequal weights: full 2 for 1.5 h, 1 for 0.5 h (middles 0.75, 1.75); aggregated 1.75 for 2 h:
    # errors -0.25 (1.5 h), +0.75 (0.5 h): RMSE = sqrt((1.5 x 0.0625 + 0.5 x 0.5625) / 2) = sqrt(0.1875) = 0.4330127
    assert duration_curve_error(np.array([2.0, 1.0]), np.array([1.5, 0.5]), np.array([1.75]), np.array([2.0])) == approx((0.4330127, 0.75))


def _extreme_year(folder, setting):
    """Two regions, a year of wind (100 GW potential each) and solar (20 GW each) built so that
    - days 40-46 are windless (wind 0.02; elsewhere a 5-day weather cycle between 0.2 and 0.4): the 7 consecutive
      days of least wind-and-solar energy, whatever the solar;
    - demand (1 +- 0.2 over the day) jumps to 4x at hour 19 of day 200 in both regions: the peak of net load
      (demand - wind and solar is at most 1.2 D elsewhere, and 4 D - (at most 0.4 of the fleet) there)."""
    hours = np.arange(HOURS)
    wind = 0.3 + 0.1 * np.sin(2 * np.pi * hours / (24 * 5))
    wind[40 * 24:47 * 24] = 0.02
    demand = 1.0 + 0.2 * np.sin(2 * np.pi * (hours % 24 - 8) / 24)
    demand[200 * 24 + 19] *= 4.0
    regions = ["A", "B"]
    availability = pd.concat(
        [pd.DataFrame({"technology": tech, "region": r, "time": hours, "availability": profile})
         for i, r in enumerate(regions) for tech, profile in (("wind", wind), ("solar", solar_year(seed=30 + i)))],
        ignore_index=True,
    )
    path = write_case(
        folder,
        settings={"time_aggregation": setting},
        periods=[{"period": 2030}],
        regions=[{"region": r} for r in regions],
        carriers=[{"carrier": "electricity"}],
        technologies=[
            {"technology": "solar", "type": "conversion", "carrier_out": "electricity", "lifetime_years": 25},
            {"technology": "wind", "type": "conversion", "carrier_out": "electricity", "lifetime_years": 25},
            {"technology": "gas", "type": "conversion", "carrier_out": "electricity", "lifetime_years": 30},
        ],
        technology_periods=[{"technology": t, "period": 2030, "capex_CNY_per_kW": 1000} for t in ("solar", "wind", "gas")],
        time_steps=hourly_year(),
        demand=[{"carrier": "electricity", "region": r, "period": 2030, "demand_TWh": 80.0} for r in regions],
        demand_profiles=pd.concat([pd.DataFrame({"carrier": "electricity", "region": r, "time": hours, "profile": demand}) for r in regions]),
        availability=availability,
        capacity_limits=[{"technology": t, "region": r, "capacity_max_GW": gw} for r in regions for t, gw in (("wind", 100.0), ("solar", 20.0))],
    )
    return optimiser.load_case(path)


def test_extreme_days_are_kept_as_their_own_periods(tmp_path):
    setting = {"method": "representative_days", "days": 12, "extreme_days": {"peak_net_load": 1, "low_renewables": 7}}
    case = _extreme_year(tmp_path / "extreme", setting)
    aggregated = timeagg.aggregate(case)
    info, steps, sequence = aggregated.time_aggregation, aggregated["time_steps"], aggregated.period_sequence
    assert info["extreme_days"] == {"peak_net_load": [200], "low_renewables": [40, 41, 42, 43, 44, 45, 46]}
    assert info["representative_days"] == 12 and len(steps) == 12 * 24  # 4 clustered days + 8 extreme days
    period = sequence["representative_period"].to_numpy()
    sizes = np.bincount(period, minlength=12)
    for day in [200, *range(40, 47)]:
        p = period[day]
        assert sizes[p] == 1 and info["period_days"][p] == day  # a period of its own, standing for that day only
        own = steps[steps["representative_period"] == p]
        assert own["time"].tolist() == list(range(24 * day, 24 * day + 24))
        assert own["weight_h"].tolist() == [1.0] * 24  # its weight: itself
    # the windless week stays a chronological run of consecutive periods, for seasonal storage
    assert np.diff(period[40:47]).tolist() == [1] * 6
    # the extreme days keep their own values (only the ordinary days are rescaled) and annual sums are exact
    new = aggregated["demand_profiles"].set_index(["region", "time"])["profile"]
    old = case["demand_profiles"].set_index(["region", "time"])["profile"]
    assert new[("A", 200 * 24 + 19)] == old[("A", 200 * 24 + 19)]
    weight = steps.set_index("time")["weight_h"]
    for region in ("A", "B"):
        assert float(new.loc[region] @ weight.reindex(new.loc[region].index)) == approx(float(old.loc[region].sum()), rel=1e-12)
    # so the peak of net load is represented exactly
    net = {row["series"]: row for row in info["representation_error"]}["net_load"]
    assert net["peak_error"] == approx(0.0, abs=1e-9)
    # without extreme days the peak hour is lost in a cluster of ordinary days
    plain = timeagg.aggregate(case, {"method": "representative_days", "days": 12})
    plain_net = {row["series"]: row for row in plain.time_aggregation["representation_error"]}["net_load"]
    assert plain_net["peak_error"] < -0.2 * net["full_peak"]


def test_extreme_days_need_a_net_load(tmp_path):
    case = _tiny_year(tmp_path / "tiny")
    # no potential for a profiled technology: say which, and how to do without
    bare = dataclasses.replace(case, tables={**case.tables, "capacity_limits": case["capacity_limits"].iloc[:0]})
    with pytest.raises(optimiser.InputError, match="capacity_max_GW.*solar/A.*fleet: installed"):
        timeagg.aggregate(bare, {"method": "representative_days", "days": 2, "extreme_days": {"peak_net_load": 1}})
    # without extreme days the aggregation goes on and the report leaves the net load out, saying why
    aggregated = timeagg.aggregate(bare, {"method": "representative_days", "days": 2})
    assert "capacity_max_GW" in aggregated.time_aggregation["net_load"]["problem"]
    assert [row["series"] for row in aggregated.time_aggregation["representation_error"]] == ["demand", "availability solar"]
    # no installed wind and solar: no low-renewables days to find
    empty = dataclasses.replace(case, tables={**case.tables, "capacities": case["capacities"].iloc[:0]})
    with pytest.raises(optimiser.InputError, match="low_renewables"):
        timeagg.aggregate(empty, {"method": "representative_days", "days": 2, "extreme_days": {"low_renewables": 1}, "net_load": {"fleet": "installed"}})


def _sunny_days(folder, setting):
    """365 identical days: solar availability 1 from 05:00 to 17:00 (12 h), 0 otherwise; flat demand 10 GW;
    solar and a battery (efficiency 0.9 each way, no standing loss, energy capacity its own decision)."""
    hour = np.arange(HOURS) % 24
    return optimiser.load_case(write_case(
        folder,
        settings={"time_aggregation": setting},
        periods=[{"period": 2030}],
        regions=[{"region": "A"}],
        carriers=[{"carrier": "electricity"}],
        technologies=[
            {"technology": "solar", "type": "conversion", "carrier_out": "electricity", "lifetime_years": 25},
            {"technology": "battery", "type": "storage", "carrier_out": "electricity", "lifetime_years": 15,
             "efficiency_charge": 0.9, "efficiency_discharge": 0.9},
        ],
        technology_periods=[{"technology": "solar", "period": 2030, "capex_CNY_per_kW": 3000},
                            {"technology": "battery", "period": 2030, "capex_CNY_per_kW": 500, "capex_energy_CNY_per_kWh": 800}],
        time_steps=hourly_year(),
        demand=[{"carrier": "electricity", "region": "A", "period": 2030, "demand_TWh": 87.6}],  # 10 GW x 8760 h
        availability=pd.DataFrame({"technology": "solar", "region": "A", "time": np.arange(HOURS),
                                   "availability": ((hour >= 5) & (hour < 17)).astype(float)}),
    ))


def test_storage_cycles_over_segments_by_hand(tmp_path):
    """One representative day in 3 segments: night 00-05 (5 h), sun 05-17 (12 h), night 17-24 (7 h).

    The battery serves the 12 night hours (17:00 to 05:00, cyclic): 10 GW x 12 h / 0.9 = 133.33 GWh out of
    storage, refilled in the 12 sunny hours at 0.9: charge = 133.33 / (0.9 x 12) = 12.346 GW; solar =
    10 + 12.346 = 22.346 GW; energy capacity 133.33 GWh; power capacity max(12.346, 10) = 12.346 GW.
    State of charge (duration_h per segment): end of 00-05: 133.33 - 10 x 5 / 0.9 - 10 x 7 / 0.9 = 0;
    end of 05-17: 0 + 12 x 0.9 x 12.346 = 133.33; end of 17-24: 133.33 - 10 x 7 / 0.9 = 55.56 GWh.
    Each segment stands for 365 days: weight_h = 365 x its hours.
    """
    case = timeagg.aggregate(_sunny_days(tmp_path / "sun", {"method": "representative_days", "days": 1, "segments": 3}))
    steps = case["time_steps"]
    assert steps["duration_h"].tolist() == [5.0, 12.0, 7.0]
    assert steps["weight_h"].tolist() == [365 * 5.0, 365 * 12.0, 365 * 7.0]
    assert (steps["time"] % 24).tolist() == [0, 5, 17]
    ds, _, _ = _solved(case)
    sel = dict(technology="battery", region="A", period=2030)
    night, charge = 10 * 12 / 0.9, 10 * 12 / 0.9 / (0.9 * 12)
    assert float(ds["storage_energy_capacity"].sel(**sel)) == approx(night, rel=1e-6)
    assert float(ds["capacity"].sel(**sel)) == approx(charge, rel=1e-6)
    assert float(ds["capacity"].sel(technology="solar", region="A", period=2030)) == approx(10 + charge, rel=1e-6)
    assert ds["storage_discharge"].sel(**sel).to_numpy() == approx([10, 0, 10], abs=1e-6)
    assert ds["storage_charge"].sel(**sel).to_numpy() == approx([0, charge, 0], abs=1e-6)
    assert ds["storage_level"].sel(**sel).to_numpy() == approx([0, night, night - 10 * 7 / 0.9], abs=1e-5)


def _solved(case):
    model = optimiser.build_model(case, pyomo=False)
    solution = optimiser.solve(model)
    assert solution.optimal, solution.message()
    return optimiser.extract(model, solution), model, solution


# --------------------------------------------------------------------------- (b) seasonal storage


def _small_case(folder, days=DAYS, settings=None, seasonal=True, loss=1e-5, time_steps=None, seasonal_solar=False, first_day=0):
    """One region, one period: solar (seasonal), a cheap long-duration store, unserved energy at 1500 CNY/MWh
    as the expensive firm backup, flat demand of 10 GW; ``days`` of hourly steps (capital costs scaled by days/365)."""
    base = {"discount_rate": 0.05, "last_period_years": 1, "value_of_lost_load_CNY_per_MWh": 1500}
    base.update(settings or {})
    solar = {"technology": "solar", "type": "conversion", "carrier_out": "electricity", "lifetime_years": 25}
    if seasonal_solar:
        solar["seasonal"] = True
    time_steps = time_steps if time_steps is not None else hourly_year(days)
    times = [row["time"] for row in time_steps]
    return write_case(
        folder,
        settings=base,
        periods=[{"period": 2020}],
        regions=[{"region": "A"}],
        carriers=[{"carrier": "electricity"}],
        technologies=[
            solar,
            {"technology": "store", "type": "storage", "carrier_out": "electricity", "lifetime_years": 30, "seasonal": seasonal,
             "efficiency_charge": 0.8, "efficiency_discharge": 0.8, "standing_loss_per_h": loss},
        ],
        technology_periods=[
            # capital costs scaled to the length of the modelled year (days / 365)
            {"technology": "solar", "period": 2020, "capex_CNY_per_kW": 2500 * days / DAYS},
            {"technology": "store", "period": 2020, "capex_CNY_per_kW": 3000 * days / DAYS, "capex_energy_CNY_per_kWh": 10 * days / DAYS},
        ],
        time_steps=time_steps,
        demand=[{"carrier": "electricity", "region": "A", "period": 2020, "demand_TWh": 10 * 24 * days / 1000}],
        availability=pd.DataFrame({"technology": "solar", "region": "A", "time": times, "availability": solar_year(days, first_day=first_day)[: len(times)]}),
    )


def _solve(case):
    start = time.perf_counter()
    model = optimiser.build_model(case, pyomo=False)
    solution = optimiser.solve(model)  # default options: HiGHS keeps one global thread pool per process
    assert solution.optimal, solution.message()
    return model, solution, optimiser.extract(model, solution), time.perf_counter() - start


def test_linked_representative_days_match_the_full_year(tmp_path):
    seasonal_case = optimiser.load_case(_small_case(tmp_path / "seasonal", seasonal=True))
    daily_case = optimiser.load_case(_small_case(tmp_path / "daily", seasonal=False))
    setting = {"method": "representative_days", "days": 10}

    # full hourly year: one cyclic sequence of 8760 steps (seasonal or not makes no difference here)
    _, full, full_ds, full_s = _solve(seasonal_case)
    linked_model, linked, linked_ds, linked_s = _solve(timeagg.aggregate(seasonal_case, setting))
    daily_model, unlinked, unlinked_ds, unlinked_s = _solve(timeagg.aggregate(daily_case, setting))
    pd.testing.assert_frame_equal(linked_model.case["time_steps"], daily_model.case["time_steps"])  # the same days

    gap_linked = linked.objective / full.objective - 1
    gap_unlinked = unlinked.objective / full.objective - 1
    print(
        f"\nobjective (bn CNY): full {full.objective:.4f} ({full_s:.1f} s), linked {linked.objective:.4f} "
        f"({gap_linked:+.2%}, {linked_s:.1f} s), unlinked {unlinked.objective:.4f} ({gap_unlinked:+.2%}, {unlinked_s:.1f} s)"
    )
    assert abs(gap_linked) < 0.05
    assert gap_unlinked > 0.10

    # the seasonal store is sized like in the full year with linking, and barely built without it
    energy = {name: float(ds["storage_energy_capacity"].sel(technology="store", region="A", period=2020))
              for name, ds in (("full", full_ds), ("linked", linked_ds), ("unlinked", unlinked_ds))}
    print("store energy capacity (GWh):", {k: round(v) for k, v in energy.items()})
    assert energy["linked"] == approx(energy["full"], rel=0.15)
    assert energy["unlinked"] < 0.05 * energy["full"]

    # results: absolute levels within [0, E]; daily states; the linking equation holds on the solution
    sel = dict(technology="store", region="A", period=2020)
    capacity = energy["linked"]
    daily = linked_ds["storage_level_daily"].sel(**sel).to_numpy()
    level = linked_ds["storage_level"].sel(**sel).to_numpy()
    assert linked_ds["storage_level_daily"].attrs["units"] == "GWh"
    assert daily.shape == (DAYS,) and level.shape == (10 * 24,)
    assert daily.min() >= -1e-6 and daily.max() <= capacity * (1 + 1e-6)
    assert level.min() >= -1e-6 * capacity and level.max() <= capacity * (1 + 1e-6)
    assert 150 < int(np.argmax(daily)) < 330  # full after the summer
    assert linked_ds["day_representative_period"].to_numpy().tolist() == linked_model.case.period_sequence["representative_period"].tolist()
    intra = linked_model.lp.values(linked_model.var("storage_level_intra"), linked.x)[0]
    change = intra.reshape(10, 24)[:, -1]  # net change over each representative day
    rep = linked_ds["day_representative_period"].to_numpy()
    assert np.roll(daily, -1) == approx(daily * (1 - 1e-5) ** 24 + change[rep], abs=1e-6 * capacity)
    # the first day of each representative period: level at the end of its first hour
    first = [int(np.flatnonzero(rep == g)[0]) for g in range(10)]
    assert level[::24] == approx(daily[first] * (1 - 1e-5) + intra[::24], abs=1e-9 * capacity)


def test_linking_is_exact_without_losses(tmp_path):
    """20 summer days: one cyclic sequence vs the same days as 20 chronological groups linked by the seasonal formulation."""
    by_day_steps = hourly_year(20, group_by_day=True)
    cyclic = optimiser.load_case(_small_case(tmp_path / "cyclic", days=20, loss=0.0, first_day=150))
    by_day = optimiser.load_case(_small_case(tmp_path / "days", days=20, loss=0.0, first_day=150, time_steps=by_day_steps))
    no_link = optimiser.load_case(_small_case(tmp_path / "nolink", days=20, loss=0.0, first_day=150, seasonal=False, time_steps=by_day_steps))
    _, one, _, _ = _solve(cyclic)
    model, linked, ds, _ = _solve(by_day)
    _, daily, _, _ = _solve(no_link)
    assert model.var("storage_level_inter").n_keys == 20  # implied sequence: the days follow each other
    assert linked.objective == approx(one.objective, rel=1e-7)
    assert daily.objective > linked.objective * 1.1  # cycling within each day misses the cloudy-day shifts
    # with losses the min/max bounds are conservative: never cheaper than the cyclic year, and close to it
    lossy_cyclic = optimiser.load_case(_small_case(tmp_path / "lc", days=20, loss=1e-3, first_day=150))
    lossy_days = optimiser.load_case(_small_case(tmp_path / "ld", days=20, loss=1e-3, first_day=150, time_steps=by_day_steps))
    _, a, _, _ = _solve(lossy_cyclic)
    _, b, _, _ = _solve(lossy_days)
    assert a.objective * (1 - 1e-7) <= b.objective <= a.objective * 1.01


def test_run_applies_aggregation_and_writes_daily_levels(tmp_path):
    path = _small_case(tmp_path / "run", days=30, settings={"time_aggregation": {"method": "representative_days", "days": 4}})
    messages = []
    results, out = optimiser.run(path, tmp_path / "run.nc", log=messages.append)
    assert any("time aggregation representative_days: 720 -> 96 time steps" in m for m in messages)
    with optimiser.open_results(out) as ds:
        assert ds.sizes["time"] == 96 and ds.sizes["day"] == 30
        assert ds["storage_level_daily"].attrs["units"] == "GWh"
        assert "representative_days" in ds.attrs["time_aggregation"]
        assert float(ds["time_weight_h"].sum()) == approx(720)
        # the representation error reaches the results and the post-processor's time_representation.csv
        stored = yaml.safe_load(ds.attrs["time_aggregation"])["representation_error"]
        assert [row["series"] for row in stored] == ["demand", "availability solar"]  # no potentials: no net load
        assert any("demand: peak" in m for m in messages)
        from optimiser import postprocess as pp

        written = pp.write_tables(pp.make_tables(ds), tmp_path / "tables")
    table = pd.read_csv(tmp_path / "tables" / "time_representation.csv")
    assert tmp_path / "tables" / "time_representation.csv" in written
    assert table["series"].tolist() == ["demand", "availability solar"]
    assert table["duration_rmse"].to_numpy() == approx([row["duration_rmse"] for row in stored], abs=1e-6)
    # flat demand of 10 GW: represented exactly
    assert table.set_index("series").loc["demand", ["full_peak", "aggregated_peak", "duration_rmse"]].tolist() == approx([10.0, 10.0, 0.0])
