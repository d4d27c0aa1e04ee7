"""The China case is the default of `optimiser run`, at the size whose solve time benchmarks/RESULTS.md records.

The full solve (about 4 minutes) is not run here; this guards what makes it fit the 10-minute target:
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
    assert case.settings["time_aggregation"] == {"method": "representative_days", "days": 4, "hours": 6, "seed": 0}
    assert case.settings["solver"] == {"solver": "hipo", "run_crossover": "off", "threads": 2}
    assert case.settings["tie_break_capex_CNY_per_kW"] == 0.1
    model = optimiser.build_model(case, pyomo=False)
    stats = model.statistics()
    # benchmarks/RESULTS.md, "China case": 210,897 variables, 255,531 constraints, 874,865 non-zeros -> 204-233 s of HiPO
    recorded = {"variables": 210_897, "constraints": 255_531, "nonzeros": 874_865}
    for key, value in recorded.items():
        assert stats[key] <= 1.05 * value, (
            f"the default China LP grew to {stats[key]:,} {key} (recorded {value:,}): re-measure the default run "
            "(benchmarks/bench_china.py --days 4 --hours 6 --solver hipo-nocross) and update RESULTS.md and README.md"
        )
    assert model.data.n_time == 16 and len(model.case.period_sequence) == 365
    # seasonal (cavern) storage carries its state over the checkpoint days only
    sequence = model.case.period_sequence["representative_period"].to_numpy()
    seasonal_keys = model.var("storage_level_intra").n_keys
    assert model.var("storage_level_inter").n_keys == seasonal_keys * len(checkpoint_days(sequence)[0]) < seasonal_keys * 365
