"""Time aggregation (optimiser.timeagg) and seasonal storage linked across representative days.

(a) representative days and downsampling preserve annual energies exactly, have the right counts and
    weights, and are deterministic; settings are validated;
(b) on a synthetic solar year where seasonal storage is worth building, 10 representative days with
    inter-day linking come within 5 % of the full-hourly objective, while the same days without
    linking (the storage cycles within each day) are off by more than 10 %;
(c) linking is exact: with no standing loss, a chronological year cut into days and linked day by day
    has the same optimum as the same year as one cyclic sequence.
"""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
import pytest
from pytest import approx

import optimiser
from optimiser import timeagg
from optimiser.model.data import ModelData
from optimiser.model import storage as storage_module
from optimiser.model.storage import checkpoint_days

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
    medoids = aggregated.time_aggregation["medoid_days"]
    assert steps["time"].to_numpy()[::24].tolist() == [24 * d for d in medoids]
    assert sequence["representative_period"].to_numpy()[medoids].tolist() == list(range(8))
    assert aggregated.time_aggregation["method"] == "representative_days"
    assert seconds < 10


def test_representative_days_preserve_energy_and_mean_availability(three_region_case):
    case = three_region_case
    aggregated = timeagg.aggregate(case)
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
