"""The China case is the default of `optimiser run`, at the size whose solve time benchmarks/RESULTS.md records.

The full solve (about 7 minutes, 9 myopic windows) is not run here; this guards what makes it fit the 10-minute target:
the default case, its time resolution and solver settings, and the size of the LP they give.
"""

from __future__ import annotations

from pathlib import Path

import optimiser
from optimiser.model.storage import checkpoint_days
from optimiser.run import DEFAULT_CASE

ROOT = Path(__file__).resolve().parent.parent


def test_default_case_is_china_at_the_benchmarked_size():
    assert DEFAULT_CASE == ROOT / "inputs" / "china"
    case = optimiser.load_case(DEFAULT_CASE)
    assert case.settings["time_aggregation"] == {
        "method": "representative_days", "days": 16, "segments": 3, "extreme_days": {"peak_net_load": 1, "low_renewables": 2},
        "net_load": {"fleet": "potential", "technologies": ["onwind", "offwind", "solar_utility", "solar_distributed"]},
    }
    assert case.settings["foresight"] == "myopic"
    assert case.settings["solver"] == {"solver": "hipo", "run_crossover": "off", "presolve": "off", "threads": 2}
    assert case.settings["tie_break_capex_CNY_per_kW"] == 0.1
    model = optimiser.build_model(case, pyomo=False)
    stats = model.statistics()
    # benchmarks/RESULTS.md, "Time resolution": the full horizon 561,791 variables, 692,139 constraints, 2,352,758
    # non-zeros, solved as 9 myopic windows of up to 66,051 variables in 403 s wall
    recorded = {"variables": 561_791, "constraints": 692_139, "nonzeros": 2_352_758}
    for key, value in recorded.items():
        assert stats[key] <= 1.05 * value, (
            f"the default China LP grew to {stats[key]:,} {key} (recorded {value:,}): re-measure the default run "
            "(benchmarks/bench_foresight.py --days 16 --variants segments3+extremes --modes myopic) and update RESULTS.md and README.md"
        )
    assert model.data.n_time == 48 and len(model.case.period_sequence) == 365
    # seasonal (cavern) storage carries its state over the checkpoint days only
    sequence = model.case.period_sequence["representative_period"].to_numpy()
    seasonal_keys = model.var("storage_level_intra").n_keys
    assert model.var("storage_level_inter").n_keys == seasonal_keys * len(checkpoint_days(sequence)[0]) < seasonal_keys * 365
