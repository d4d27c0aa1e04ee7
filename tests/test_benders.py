"""Benders decomposition (optimiser/benders): cuts worked out by hand, the monolithic optimum on cases with each
coupling type, resume after a kill, and the local-process and Dask executors.

The hand-worked case ``two_blocks`` (discount rate 0, periods 2020 and 2030 of 10 years each, so every period
weighs w = 10 years):

* one technology "plant": capex 2000 CNY/kW, lifetime 20 years, wacc 0 -> annuity 0.1 bn CNY/GW/yr, 1 bn per GW
  in each period a vintage stands (a 2020 GW stands in 2020 and 2030: 2 bn); vom 10 CNY/MWh; at least 0.5 GW
  installed in each period (capacity_limits);
* two representative periods per year, one step each of 4380 h: demand 2 GW (block 0, "peak") and 1 GW (block 1, "base");
* unserved energy at 1000 CNY/MWh.

Subproblem (period p, block b) with capacity c fixed: generation g <= c, g + lost = d_b, cost over the period
w x 4380 h x (1e-5 g + 1e-3 lost) bn CNY (10 CNY/MWh = 1e-5 bn/GWh), i.e. for 0 <= c <= d_b:

    Q_b(c) = 0.438 c + 43.8 (d_b - c),  slope dQ/dc = 0.438 - 43.8 = -43.362 bn CNY/GW.

Optimum: every GW up to 2 GW saves 43.362 per period in the peak block alone, more than its 1 bn per period, so
2 GW are built in 2020 (capex 2 x 2 = 4 bn); running cost per period 0.438 x (2 + 1) = 1.314 -> objective
4 + 2 x 1.314 = 6.628 bn CNY.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import xarray as xr
import yaml

from casebuilder import EXAMPLE, write_case

import optimiser
from optimiser.benders import setting_issues
from optimiser.benders.partition import decompose
from optimiser.inputs import InputError

H2_CCUS = EXAMPLE.parent / "example_h2_ccus"
SERIAL = {"executor": "serial", "checkpoint": False}


def two_blocks(folder: Path, settings: dict | None = None) -> Path:
    return write_case(
        folder,
        settings={"last_period_years": 10, "value_of_lost_load_CNY_per_MWh": 1000, **(settings or {})},
        periods=[{"period": 2020}, {"period": 2030}],
        regions=[{"region": "A"}],
        carriers=[{"carrier": "electricity"}],
        technologies=[{"technology": "plant", "type": "conversion", "carrier_out": "electricity", "lifetime_years": 20, "wacc": 0.0}],
        technology_periods=[{"technology": "plant", "period": 2020, "capex_CNY_per_kW": 2000, "vom_CNY_per_MWh": 10}],
        capacity_limits=[{"technology": "plant", "region": "A", "period": p, "capacity_min_GW": 0.5} for p in (2020, 2030)],
        time_steps=[
            {"time": 0, "weight_h": 4380, "duration_h": 1, "representative_period": 0},
            {"time": 1, "weight_h": 4380, "duration_h": 1, "representative_period": 1},
        ],
        # (2 + 1) GW x 4380 h = 13.14 TWh a year; the profile is in GW
        demand=[{"carrier": "electricity", "region": "A", "period": p, "demand_TWh": 13.14} for p in (2020, 2030)],
        demand_profiles=[{"carrier": "electricity", "region": "A", "time": t, "profile": d} for t, d in ((0, 2.0), (1, 1.0))],
    )


def run(path, tmp_path, tag, method="benders", benders=None, **settings):
    overrides = {"method": method, **settings}
    if method == "benders":
        overrides["benders"] = {**SERIAL, **(benders or {})}
    ds, _ = optimiser.run(path, tmp_path / f"{tag}.nc", settings=overrides, log=lambda *_: None)
    return ds


# --------------------------------------------------------------------------- by hand


def test_partition_of_the_hand_worked_case(tmp_path):
    """Four subproblems (2 periods x 2 blocks); each takes its period's capacity from the master; no coupling row (each
    balance and availability row lies in one block; the CO2 accounting has no emitting technology)."""
    case = optimiser.load_case(two_blocks(tmp_path / "case"))
    model = optimiser.build_model(case, pyomo=False)
    dec = decompose(model.lp.finish(), model.lp, model.data.time, list(model.data.periods))
    assert [(b.period, b.representative_periods) for b in dec.blocks] == [(2020, [0]), (2020, [1]), (2030, [0]), (2030, [1])]
    capacity = model.lp.variables["capacity"]
    master_capacity = np.searchsorted(dec.master_columns, capacity.offset + np.arange(2))
    for block in dec.blocks:
        period_index = 0 if block.period == 2020 else 1
        assert block.linking.tolist() == [master_capacity[period_index]]
    assert len(dec.coupling_rows) == 0


def test_first_cuts_are_the_hand_worked_tangents(tmp_path):
    """Without the aggregated copies (relaxation: none). Iteration 1: the master has no cut, so it builds the cheapest
    fleet meeting the 0.5 GW minimum (0.5 GW in 2020, standing in both periods). There, Q_peak(0.5) = 0.438 x 0.5 +
    43.8 x 1.5 = 65.919 and Q_base(0.5) = 0.219 + 21.9 = 22.119, both with slope -43.362. As rows theta_b + 43.362 c_p >= Q_b(0.5) + 43.362 x 0.5: rhs 87.6 (peak) and
    43.8 (base). The point's cost: capex 0.5 x 2 = 1 bn + 2 x (65.919 + 22.119) = 177.076 bn."""
    path = two_blocks(tmp_path / "case")
    ds = run(path, tmp_path, "one", benders={"max_iterations": 1, "regularisation": "none", "checkpoint": True, "relaxation": "none"})
    assert ds.attrs["status"] == "Iteration limit reached"
    assert float(ds["benders_point_cost"][0]) == pytest.approx(177.076, rel=1e-9)
    saved = np.load(tmp_path / "one.benders.npz")
    assert saved["cut_lengths"].tolist() == [2, 2, 2, 2]
    assert saved["cut_rhs"].tolist() == pytest.approx([87.6, 43.8, 87.6, 43.8], rel=1e-9)
    coefficients = saved["cut_values"].reshape(4, 2)
    assert coefficients[:, 0].tolist() == pytest.approx([43.362] * 4, rel=1e-9)  # -gradient on the capacity
    assert coefficients[:, 1].tolist() == [1.0] * 4  # theta_b


def test_converges_to_the_hand_worked_optimum(tmp_path):
    """6.628 bn CNY with 2 GW built in 2020, within a gap of 1e-6, and the same dataset as a monolithic run."""
    path = two_blocks(tmp_path / "case")
    ds = run(path, tmp_path, "tight", benders={"gap": 1e-6})
    assert ds.attrs["optimal"] == 1 and ds.attrs["method"] == "benders"
    assert ds.attrs["objective"] == pytest.approx(6.628, rel=1e-6)
    # the gap bounds the cost: 1e-6 x 6.628 bn at 2 bn per GW built in 2020 (less the 0.876 it saves) allows ~6e-6 GW
    assert ds["capacity_new"].sel(technology="plant", region="A").values.tolist() == pytest.approx([2.0, 0.0], abs=1e-5)
    assert ds.attrs["benders_lower_bound"] <= 6.628 * (1 + 1e-12) and 6.628 <= ds.attrs["benders_upper_bound"] * (1 + 1e-12)
    mono = run(path, tmp_path, "mono", method="monolithic")
    assert mono.attrs["method"] == "monolithic"
    assert set(mono.data_vars) <= set(ds.data_vars)
    # prices are the subproblems' duals at the fixed capacities: short-run marginal costs. In the base blocks the plant
    # is not at its capacity (1 of 2 GW), so both runs price at its vom, 10 CNY/MWh. In a peak block the capacity binds
    # and the price is degenerate: any value in [10, 1000] CNY/MWh (vom to unserved energy) is a dual; the monolithic
    # LP puts the 2020 vintage's capacity rent there (55.66 in 2020), Benders finds the capacity a hair above 2 GW and 10
    price = ds["price"].sel(carrier="electricity", region="A")
    assert price.sel(time=1).values.tolist() == pytest.approx([10.0, 10.0], rel=1e-6)
    assert mono["price"].sel(carrier="electricity", region="A", time=1).values.tolist() == pytest.approx([10.0, 10.0], rel=1e-6)
    assert ((price.sel(time=0) >= 10 - 1e-6) & (price.sel(time=0) <= 1000 + 1e-6)).all()


# --------------------------------------------------------------------------- aggregated copies in the master


def one_block(folder: Path, settings: dict | None = None) -> Path:
    """``two_blocks`` with both steps (2 GW and 1 GW, 4380 h each) in one representative period: one block a period."""
    path = two_blocks(folder, settings)
    steps = path / "time_steps.csv"
    steps.write_text(steps.read_text().replace("4380,1,1", "4380,1,0"))
    return path


def test_aggregated_copy_by_hand(tmp_path):
    """relaxation: block merges each period's two steps: generation G = 4380 (g_0 + g_1) GWh <= 8760 c, G + L = 13140 GWh.
    Relaxed running cost per period (w = 10 years): 10 x (1e-5 G + 1e-3 L), i.e. 10 x (13.14 - 8.6724 c) for c <= 1.5 GW,
    1.314 above. Its slope (-86.724 bn per GW and period) beats 1 bn per GW and period, so the first master builds
    1.5 GW in 2020 (the mean demand, not the 2 GW peak): lower bound 1.5 x 2 + 2 x 1.314 = 5.628 bn CNY. Without the
    copy the master knows only the floors, 1.314 a period at any capacity (the capacity standing in a period reaches only
    its block's rows, so it joins the block with its 0.5 GW minimum, and the master builds nothing): 2.628. The
    optimum (2 GW) is 6.628, as in ``two_blocks``; both reach it."""
    from optimiser.benders.relaxation import relaxations

    path = one_block(tmp_path / "case")
    assert (path / "time_steps.csv").read_text().count(",0\n") == 2
    model = optimiser.build_model(optimiser.load_case(path), pyomo=False)
    dec = decompose(model.lp.finish(), model.lp, model.data.time, list(model.data.periods))
    assert len(dec.blocks) == 2
    copies = relaxations(dec, model.lp, model.data.time, "block")
    for copy in copies:
        assert copy.projected_columns == 0 and copy.constant == 0.0
        dense = copy.matrix.toarray()
        # the power balance summed as energy: one row G + L = 13140 GWh
        balance = [i for i in range(dense.shape[0]) if copy.row_lower[i] == copy.row_upper[i] == pytest.approx(13140.0)]
        assert len(balance) == 1
    without = run(path, tmp_path, "plain", benders={"gap": 1e-6, "relaxation": "none"})
    with_copy = run(path, tmp_path, "copy", benders={"gap": 1e-6, "relaxation": "block"})
    assert float(without["benders_lower_bound"][0]) == pytest.approx(2.628, rel=1e-9)
    assert float(with_copy["benders_lower_bound"][0]) == pytest.approx(5.628, rel=1e-9)
    for ds in (without, with_copy):
        assert ds.attrs["optimal"] == 1 and ds.attrs["objective"] == pytest.approx(6.628, rel=1e-6)
        assert (np.diff(ds["benders_lower_bound"].values) >= -1e-9).all()


def test_aggregated_copy_of_single_step_blocks_is_exact(tmp_path):
    """Blocks of one step each (``two_blocks``) aggregate to themselves: the first lower bound is the optimum 6.628."""
    path = two_blocks(tmp_path / "case")
    ds = run(path, tmp_path, "exact", benders={"gap": 1e-6, "relaxation": "day"})
    assert float(ds["benders_lower_bound"][0]) == pytest.approx(6.628, rel=1e-9)
    assert ds.attrs["optimal"] == 1 and ds.attrs["objective"] == pytest.approx(6.628, rel=1e-6)


# --------------------------------------------------------------------------- against the monolithic optimum


def seasonal_case(folder: Path) -> Path:
    """Seasonal storage linked across 6 tsam days of a 60-day hourly year (test_time_aggregation's small case)."""
    from test_time_aggregation import _small_case

    path = _small_case(folder, days=60)
    settings = yaml.safe_load((path / "settings.yaml").read_text())
    settings["time_aggregation"] = {"method": "representative_days", "days": 6}
    (path / "settings.yaml").write_text(yaml.safe_dump(settings))
    return path


@pytest.mark.parametrize("name, families", [
    # energy budgets (hydro) across blocks; CO2 accounting held one-sided
    ("example", {"energy_budget", "co2_accounting"}),
    # CO2 cap with CCUS, energy budgets and cumulative CO2 storage across periods
    ("example_h2_ccus", {"energy_budget", "co2_accounting", "cumulative_limit"}),
    # seasonal storage: states at the checkpoint days between blocks in the master, linking rows in the blocks
    ("seasonal", set()),
])
def test_benders_reaches_the_monolithic_optimum(tmp_path, name, families):
    path = {"example": EXAMPLE, "example_h2_ccus": H2_CCUS}.get(name) or seasonal_case(tmp_path / "seasonal")
    case = optimiser.timeagg.aggregate(optimiser.load_case(path))
    model = optimiser.build_model(case, pyomo=False)
    dec = decompose(model.lp.finish(), model.lp, model.data.time, list(model.data.periods))
    coupled = {f.name for f in model.lp.constraints.values() if np.isin(dec.coupling_rows, np.arange(f.offset, f.offset + f.size)).any()}
    assert coupled == families
    if name == "seasonal":
        # a state between two checkpoint days of different blocks is a master column; one whose rows lie in one
        # block (both neighbouring days in the same representative period) stays inside that block
        inter = model.lp.variables["storage_level_inter"]
        in_master = np.isin(inter.offset + np.arange(inter.size), dec.master_columns)
        assert 0 < in_master.sum() < inter.size
    mono = run(path, tmp_path, f"{name}_mono", method="monolithic")
    ds = run(path, tmp_path, name, benders={"gap": 1e-4})
    assert ds.attrs["optimal"] == 1
    # the default day-aggregated copies are relaxations: no lower bound above the optimum
    assert (ds["benders_lower_bound"].values <= mono.attrs["objective"] * (1 + 1e-9) + 1e-9).all()
    gap = ds.attrs["benders_gap"]
    assert gap <= 1e-4
    # the reported objective is a feasible point's cost: at least the optimum, and within the gap of it
    assert mono.attrs["objective"] - 1e-6 <= ds.attrs["objective"] <= mono.attrs["objective"] * (1 + 1e-4) + 1e-6
    assert ds.attrs["benders_largest_violation"] < 1e-4


def test_time_groups_of_the_aggregated_copies():
    """Steps of two representative periods (3 and 2 steps): one group, one per period, or one per position in the period."""
    import pandas as pd

    from optimiser.benders.relaxation import time_groups

    time = pd.DataFrame({"time": range(5), "representative_period": [7, 7, 7, 9, 9]})
    assert time_groups(time, "block").tolist() == [0, 0, 0, 0, 0]
    assert time_groups(time, "day").tolist() == [0, 0, 0, 1, 1]
    assert time_groups(time, "typical_day").tolist() == [0, 1, 2, 0, 1]


@pytest.mark.parametrize("name, relaxation", [("example_h2_ccus", "none"), ("seasonal", "block"), ("seasonal", "typical_day")])
def test_other_relaxations_reach_the_monolithic_optimum(tmp_path, name, relaxation):
    """The other copies (the default ``day`` is the one of test_benders_reaches_the_monolithic_optimum), with seasonal
    storage linked across days, cumulative CO2 storage and energy budgets: every lower bound stays below the monolithic
    optimum (the copies are relaxations), and the run ends at the optimum within the gap."""
    path = H2_CCUS if name == "example_h2_ccus" else seasonal_case(tmp_path / "seasonal")
    mono = run(path, tmp_path, f"{name}_mono", method="monolithic")
    ds = run(path, tmp_path, name, benders={"gap": 1e-4, "relaxation": relaxation})
    assert ds.attrs["optimal"] == 1 and ds.attrs["benders_gap"] <= 1e-4
    assert (ds["benders_lower_bound"].values <= mono.attrs["objective"] * (1 + 1e-9) + 1e-9).all()
    assert mono.attrs["objective"] - 1e-6 <= ds.attrs["objective"] <= mono.attrs["objective"] * (1 + 1e-4) + 1e-6


def test_settings_are_checked():
    assert setting_issues({"method": "benders", "benders": {"gap": 0.001, "workers": 4, "executor": "dask"}}) == []
    assert [i[0] for i in setting_issues({"method": "decomposed"})] == ["method"]
    assert [i[0] for i in setting_issues({"method": "benders", "foresight": "myopic"})] == ["method"]
    assert [i[0] for i in setting_issues({"benders": {"gap": 2}})] == ["benders.gap"]
    assert [i[0] for i in setting_issues({"benders": {"relaxation": "week"}})] == ["benders.relaxation"]
    assert setting_issues({"benders": {"relaxation": "typical_day"}}) == []
    issues = setting_issues({"benders": {"wrokers": 2}})
    assert issues[0][0] == "benders.wrokers" and "did you mean workers" in issues[0][2]


def test_bad_benders_setting_is_an_input_error_with_its_line(tmp_path):
    path = two_blocks(tmp_path / "case", {"method": "benders", "benders": {"executor": "mpi"}})
    with pytest.raises(InputError) as error:
        optimiser.load_case(path)
    assert "benders.executor" in error.value.report() and "settings.yaml" in error.value.report()


# --------------------------------------------------------------------------- executors and checkpoints


def test_processes_and_dask_give_the_serial_iterations(tmp_path):
    """The executors only move subproblems: the same cuts in the same order, so the same iterations to the last digit."""
    serial = run(EXAMPLE, tmp_path, "serial", benders={"max_iterations": 8})
    processes = run(EXAMPLE, tmp_path, "processes", benders={"max_iterations": 8, "executor": "processes", "workers": 2})
    dask = run(EXAMPLE, tmp_path, "dask", benders={"max_iterations": 8, "executor": "dask", "workers": 2})
    for other in (processes, dask):
        assert other["benders_point_cost"].values.tolist() == serial["benders_point_cost"].values.tolist()
        assert other["benders_lower_bound"].values.tolist() == serial["benders_lower_bound"].values.tolist()
    assert processes.attrs["benders_workers"] == 2 and dask.attrs["benders_executor"] == "dask"


def test_a_killed_run_resumes_from_its_last_iteration(tmp_path):
    """SIGKILL mid-run (after iteration 3 was written), then the same command: the log says where it resumes, the
    iterations continue from there, and the result is the optimum within the gap."""
    out = tmp_path / "killed.nc"
    command = [sys.executable, "-m", "optimiser", "run", str(EXAMPLE), "--out", str(out), "--no-schedule", "--method", "benders",
               "--benders-option", "executor=serial", "--benders-option", "gap=1e-4"]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    checkpoint = out.with_suffix(".benders.npz")
    deadline = time.time() + 120
    iterations = 0
    while time.time() < deadline and process.poll() is None:
        if checkpoint.exists():
            try:
                iterations = len(np.load(checkpoint)["history_values"])
            except (OSError, ValueError, KeyError):  # never half a file (atomic), but the rename may race the read
                iterations = 0
            if iterations >= 3:
                break
        time.sleep(0.05)
    assert process.poll() is None, "the run ended before it could be killed: " + (process.stdout.read() if process.stdout else "")
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    kept = len(np.load(checkpoint)["history_values"])
    assert kept >= 3
    resumed = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    assert f"resuming from {checkpoint} after iteration {kept}" in resumed.stdout
    assert f"benders {kept + 1:4d}:" in resumed.stdout
    ds = xr.open_dataset(out)
    assert int(ds["benders_iteration"][0]) == 1 and int(ds["benders_iteration"][-1]) > kept
    mono = run(EXAMPLE, tmp_path, "mono", method="monolithic")
    assert mono.attrs["objective"] - 1e-6 <= ds.attrs["objective"] <= mono.attrs["objective"] * (1 + 1e-4) + 1e-6


def test_serial_master_and_subproblems_with_their_own_thread_counts(tmp_path):
    """In one process the master asks for the case's threads (2) and the subproblems for 1: HiGHS's single thread
    pool is restarted between them (the master ended 'Not Set' before)."""
    ds = run(EXAMPLE, tmp_path, "threads", benders={"max_iterations": 3}, solver={"threads": 2})
    assert int(ds.attrs["benders_iterations"]) == 3
    assert np.isfinite(ds["benders_lower_bound"].values).all()


# --------------------------------------------------------------------------- a feasible start


def test_master_point_of_the_optimum_costs_the_optimum(tmp_path):
    """The master values of the monolithic optimum (its capacities, and as budgets what each block used of the energy
    budgets, CO2 accounting and cumulative CO2 storage rows) leave every block feasible without slack, and the blocks'
    optima there add up to the monolithic objective."""
    from optimiser.benders.subproblem import SLACK_TOLERANCE, Subproblem

    model = optimiser.build_model(optimiser.timeagg.aggregate(optimiser.load_case(H2_CCUS)), pyomo=False)
    solution = optimiser.solve(model, {"solver": "simplex", "threads": 1})
    finished = model.lp.finish()
    dec = decompose(finished, model.lp, model.data.time, list(model.data.periods))
    assert len(dec.budget_row) > 0
    y = dec.master_point(solution.x, finished.matrix.tocsr())
    # the budgets' ranges (what each block can use of each coupling row) hold the optimum's use
    budgets = slice(len(dec.master_columns), None)
    assert (dec.master.col_lower[budgets] <= y[budgets] + 1e-9).all() and (y[budgets] <= dec.master.col_upper[budgets] + 1e-9).all()
    assert np.isfinite(dec.master.col_lower[budgets]).any()
    results = [Subproblem(block.spec(), penalty=1e4).evaluate(y[block.linking]) for block in dec.blocks]
    assert max(r["slack_max"] for r in results) <= SLACK_TOLERANCE
    cost = float(dec.master.cost @ y + sum(r["value"] for r in results) + dec.master.objective_offset)
    assert cost == pytest.approx(solution.objective, rel=1e-7)


def test_a_myopic_start_gives_an_upper_bound_at_the_first_iteration(tmp_path):
    """benders.start: myopic. On the hand-worked case the myopic pathway is the optimum (2 GW built in 2020 stand
    until 2040; the 2030 window builds nothing), so iteration 1 evaluates 6.628 bn CNY without slack: the upper bound
    is the optimum at once (the plain start's first point cost 177.076, test above)."""
    path = two_blocks(tmp_path / "case")
    ds = run(path, tmp_path, "start", benders={"start": "myopic", "gap": 1e-6})
    assert float(ds["benders_point_cost"][0]) == pytest.approx(6.628, rel=1e-9)
    assert float(ds["benders_upper_bound"][0]) == pytest.approx(6.628, rel=1e-9)
    assert ds.attrs["optimal"] == 1 and ds.attrs["objective"] == pytest.approx(6.628, rel=1e-6)
    assert [i[0] for i in setting_issues({"benders": {"start": "perfect"}})] == ["benders.start"]


def test_budget_ranges_by_hand():
    """Two coupling rows over blocks 0 and 1. Row 0: 2 x0 - x1 (block 0; x0 in [0, 3], x1 in [0, inf)) + x2 (block 1;
    x2 in [1, 4]): block 0 can use 2 x [0, 3] - [0, inf) = (-inf, 6], block 1 [1, 4]. Row 1: x0 + 0 x1 (a stored zero
    on an unbounded column counts nothing): [0, 3]."""
    import scipy.sparse as sp

    from optimiser.benders.partition import budget_ranges

    sub = sp.csr_matrix((np.array([2.0, -1.0, 1.0, 1.0, 0.0]), np.array([0, 1, 2, 0, 1]), np.array([0, 3, 5])), shape=(2, 3))
    entry_row = np.repeat(np.arange(2), np.diff(sub.indptr))
    col_block = np.array([0, 0, 1])
    entry_block = col_block[sub.indices]
    pairs = np.array([[0, 0], [0, 1], [1, 0]])
    lower, upper = budget_ranges(sub, entry_row, entry_block, pairs, np.array([0.0, 0.0, 1.0]), np.array([3.0, np.inf, 4.0]))
    assert lower.tolist() == [-np.inf, 1.0, 0.0] and upper.tolist() == [6.0, 4.0, 3.0]
