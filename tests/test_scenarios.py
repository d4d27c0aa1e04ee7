"""Scenarios without solving: override operations and errors, parameter files, expansion, names and ids.

Nothing here solves a model; the sweeps and single scenario runs are in test_sweep.py.
"""

from __future__ import annotations

import io
import json
import re
from contextlib import redirect_stdout
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from casebuilder import EXAMPLE

import optimiser
from optimiser.scenarios import (
    ScenarioError,
    apply_overrides,
    apply_scenario,
    check_scenarios,
    load_sweep_file,
    resolve_scenario,
    write_scenario_case,
)

EXAMPLE_SWEEP = EXAMPLE.parent / "example_sweep.yaml"
SOLAR_CAPEX = {"table": "technology_periods", "where": {"technology": "solar"}, "column": "capex_CNY_per_kW"}


@pytest.fixture(scope="module")
def case():
    return optimiser.load_case(EXAMPLE)


def solar_capex(c) -> list[float]:
    tp = c["technology_periods"]
    return tp.loc[tp["technology"] == "solar", "capex_CNY_per_kW"].tolist()


def write_sweep(folder: Path, name: str = "sweep.yaml", **content) -> Path:
    data = {"case": str(EXAMPLE)}
    data.update(content)
    path = Path(folder) / name
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def problems_of(call) -> list[str]:
    with pytest.raises(ScenarioError) as info:
        call()
    return info.value.problems


# --------------------------------------------------------------------------- operations


def test_scale_set_add_on_table_cells(case):
    assert solar_capex(case) == [4000, 2600, 2000]
    scaled = apply_scenario(case, [{**SOLAR_CAPEX, "scale": 0.5}])
    assert solar_capex(scaled) == [2000, 1300, 1000]
    added = apply_scenario(case, [{**SOLAR_CAPEX, "where": {"technology": "solar", "period": [2030, 2040]}, "add": -500}])
    assert solar_capex(added) == [4000, 2100, 1500]
    set_ = apply_scenario(case, [{**SOLAR_CAPEX, "where": {"technology": "solar", "period": 2020}, "set": 3333}])
    assert solar_capex(set_) == [3333, 2600, 2000]
    # the original case is untouched, other rows too
    assert solar_capex(case) == [4000, 2600, 2000]
    wind = lambda c: c["technology_periods"].query("technology == 'wind'")["capex_CNY_per_kW"].tolist()  # noqa: E731
    assert wind(scaled) == wind(case)
    # overrides apply in order
    both = apply_scenario(case, [{**SOLAR_CAPEX, "scale": 0.5}, {**SOLAR_CAPEX, "add": 100}])
    assert solar_capex(both) == [2100, 1400, 1100]


def test_set_blank_and_typed_columns(case):
    no_cap = apply_scenario(case, [{"table": "periods", "where": {"period": 2040}, "column": "co2_cap_Mt", "set": None}])
    caps = no_cap["periods"].set_index("period")["co2_cap_Mt"]
    assert np.isnan(caps[2040]) and caps[2030] == 900
    # an integer column stays integer, a boolean column boolean
    changed = apply_scenario(case, [{"table": "capacities", "where": {"technology": "coal", "region": "north", "build_year": 1995},
                                     "column": "build_year", "set": 2000},
                                    {"table": "technologies", "where": {"technology": "nuclear"}, "column": "expandable", "set": False}])
    capacities = changed["capacities"]
    assert capacities["build_year"].dtype == np.int64
    assert capacities.query("technology == 'coal' and region == 'north'")["build_year"].tolist() == [2000, 2010]
    techs = changed["technologies"].set_index("technology")
    assert not techs.loc["nuclear", "expandable"] and changed["technologies"]["expandable"].dtype == bool


def test_settings_set_scale_add_and_nested(case):
    assert apply_scenario(case, [{"setting": "discount_rate", "set": 0.03}]).settings["discount_rate"] == 0.03
    assert apply_scenario(case, [{"setting": "discount_rate", "scale": 2}]).settings["discount_rate"] == pytest.approx(0.10)
    assert apply_scenario(case, [{"setting": "discount_rate", "add": 0.01}]).settings["discount_rate"] == pytest.approx(0.06)
    nested = apply_scenario(case, [{"setting": "solver.time_limit", "set": 60}])
    assert nested.settings["solver"] == {"threads": 1, "time_limit": 60}
    assert case.settings["solver"] == {"threads": 1}
    budget = apply_scenario(case, [{"setting": "co2_budget_Mt", "set": 15000}])
    assert budget.settings["co2_budget_Mt"] == 15000


def test_replace_table_from_file(case, tmp_path):
    demand = case["demand"].copy()
    demand["demand_TWh"] *= 1.2
    demand.to_csv(tmp_path / "demand_high.csv", index=False)
    path = write_sweep(tmp_path, scenarios={"high_demand": [{"table": "demand", "file": "demand_high.csv"}]})
    high = apply_scenario(case, f"{path}:high_demand")
    assert high["demand"]["demand_TWh"].sum() == pytest.approx(1.2 * case["demand"]["demand_TWh"].sum())


def test_scenario_case_folder_loads_like_the_applied_case(case, tmp_path):
    overrides = [{**SOLAR_CAPEX, "scale": 0.7}, {"setting": "discount_rate", "set": 0.03}]
    scenario, _ = resolve_scenario(overrides)
    applied = apply_overrides(case, scenario.overrides, scenario="test")
    folder = write_scenario_case(EXAMPLE, applied, tmp_path / "scenario_case", "example__test")
    assert sorted(p.name for p in folder.iterdir()) == ["settings.yaml", "technology_periods.csv"]
    loaded = optimiser.load_case(folder)
    assert loaded.name == "example__test"
    assert loaded.settings["discount_rate"] == 0.03
    assert solar_capex(loaded) == pytest.approx([2800, 1820, 1400])
    pd.testing.assert_frame_equal(loaded["demand"], case["demand"])
    pd.testing.assert_frame_equal(loaded["technology_periods"], applied.case["technology_periods"])


# --------------------------------------------------------------------------- errors


@pytest.mark.parametrize(
    "override, message",
    [
        ({"table": "technology_period", "column": "capex_CNY_per_kW", "scale": 0.7}, "unknown table 'technology_period'"),
        ({"table": "technology_periods", "column": "capex", "scale": 0.7}, "unknown column 'capex' in table technology_periods"),
        ({"table": "technology_periods", "where": {"tech": "solar"}, "column": "capex_CNY_per_kW", "scale": 0.7}, "unknown column 'tech' in 'where'"),
        ({"table": "technology_periods", "column": "capex_CNY_per_kW", "multiply": 0.7}, "unknown key(s) 'multiply'"),
        ({"table": "technology_periods", "column": "capex_CNY_per_kW", "scale": 0.7, "add": 1}, "exactly one operation"),
        ({"table": "technology_periods", "column": "capex_CNY_per_kW"}, "exactly one operation"),
        ({"table": "technology_periods", "setting": "discount_rate", "set": 1}, "exactly one of 'table' or 'setting'"),
        ({"table": "technologies", "column": "carrier_out", "scale": 2}, "needs a numeric column"),
        ({"table": "technology_periods", "column": "capex_CNY_per_kW", "scale": "a lot"}, "needs a number"),
        ({"table": "technology_periods", "column": "capex_CNY_per_kW", "set": [1, 2]}, "needs a single value"),
        ({"table": "demand", "file": "nowhere.csv"}, "not found"),
        ({"setting": "discount_rat", "set": 0.03}, "unknown setting 'discount_rat'"),
        ({"setting": "name", "set": "other"}, "cannot be changed"),
        ({"setting": "discount_rate", "scale": "twice"}, "needs a number"),
        ("not a mapping", "expected a mapping"),
    ],
)
def test_override_syntax_errors(case, override, message):
    problems = problems_of(lambda: apply_scenario(case, [override]))
    assert any(message in p for p in problems), problems
    assert all(p.startswith("override 1") for p in problems), problems


@pytest.mark.parametrize(
    "override, message",
    [
        ({**SOLAR_CAPEX, "where": {"technology": "solar_utility"}, "scale": 0.7},
         "where technology=solar_utility matches no row of table technology_periods (technology in the table: battery, coal"),
        ({**SOLAR_CAPEX, "where": {"technology": "solar", "period": 2025}, "scale": 0.7}, "matches no row"),
        ({"table": "technology_periods", "where": {"technology": "solar"}, "column": "capture_rate", "scale": 2},
         "every matched cell is blank"),
        ({"setting": "co2_budget_Mt", "add": 10}, "operation 'add' needs a number there (use set)"),
        ({"table": "periods", "where": {"period": "2040"}, "column": "co2_cap_Mt", "set": 1}, "is not a number"),
    ],
)
def test_override_errors_against_the_case(case, override, message):
    problems = problems_of(lambda: apply_scenario(case, [override]))
    assert any(message in p for p in problems), problems


@pytest.mark.parametrize(
    "override, message",
    [
        ({**SOLAR_CAPEX, "add": -5000},
         "technology_periods.csv, row technology=solar, period=2020, column 'capex_CNY_per_kW': got -1000; expected a number >= 0.0"),
        ({"setting": "discount_rate", "set": -0.1}, "settings.yaml, column 'discount_rate': got -0.1; expected a number in [0.0, 1.0)"),
        ({"table": "technology_periods", "where": {"technology": "coal"}, "column": "efficiency", "set": 1.2},
         "row technology=coal, period=2020, column 'efficiency': got 1.2; expected a number in (0, 1]"),
        ({"table": "capacities", "where": {"technology": "coal"}, "column": "build_year", "add": 0.5}, "expected an integer"),
        ({"table": "technology_periods", "where": {"technology": "wind"}, "column": "technology", "set": "solar"}, "duplicated key"),
        ({"table": "demand", "where": {"region": "north"}, "column": "region", "set": "west"}, "a region defined in regions.csv"),
    ],
)
def test_invalid_results_of_overrides_are_caught(case, override, message):
    problems = problems_of(lambda: apply_scenario(case, [override]))
    assert any(message in p for p in problems), problems
    assert all("the overrides give invalid inputs" in p for p in problems)


def test_errors_name_file_scenario_and_entry(case, tmp_path):
    path = write_sweep(
        tmp_path,
        scenarios={
            "fine": [{**SOLAR_CAPEX, "scale": 0.7}],
            "typo": [{**SOLAR_CAPEX, "scale": 0.7}, {**SOLAR_CAPEX, "where": {"technology": "solar_utility"}, "scale": 0.7}],
        },
    )
    sweep = load_sweep_file(path)
    problems = check_scenarios(sweep, case)
    assert len(problems) == 1
    assert problems[0].startswith(f"{path}: scenario 'typo', entry 2 (technology_periods[technology=solar_utility]")
    assert "matches no row" in problems[0]
    # syntax errors are found when the file is read, all at once
    bad = write_sweep(tmp_path, "bad.yaml", scenarios={"one": [{"table": "nope", "column": "x", "set": 1}],
                                                       "two": [{"setting": "discount_rate", "times": 2}]})
    problems = problems_of(lambda: load_sweep_file(bad))
    assert problems[0].startswith(f"{bad}: scenario 'one', entry 1: unknown table 'nope'")
    assert any(p.startswith(f"{bad}: scenario 'two', entry 1: unknown key(s) 'times'") for p in problems)


def test_parameter_errors_name_the_parameter(case, tmp_path):
    path = write_sweep(
        tmp_path,
        parameters={"pv": {**SOLAR_CAPEX, "where": {"technology": "pv"}, "operation": "scale"}},
        sweeps=[{"grid": {"pv": [0.5, 0.7, 0.9]}}],
    )
    problems = check_scenarios(load_sweep_file(path), case)
    assert len(problems) == 1, problems  # grouped over the three scenarios
    assert problems[0].startswith(f"{path}: scenario 'pv=0.5', entry 1 (parameter 'pv') (technology_periods[technology=pv]")
    assert "also in 2 more scenario(s): pv=0.7, pv=0.9" in problems[0]


@pytest.mark.parametrize(
    "content, message",
    [
        ({"sweeps": [{"grid": {"nope": [1, 2]}}]}, "unknown parameter 'nope'"),
        ({"cases": "x"}, "unknown key(s) 'cases'"),
        ({"parameters": {"p": {"setting": "discount_rate"}}}, "'operation' must be one of"),
        ({"parameters": {"p": {"setting": "discount_rate", "operation": "scale", "colour": 1}}}, "unknown key(s) 'colour'"),
        ({"parameters": {"p": {"table": "demand", "column": "demand_TWh", "operation": "multiply"}}}, "'operation' must be one of"),
        ({"parameters": {"p": {"setting": "discount_rate", "operation": "set"}}, "sweeps": [{"grid": {"p": 0.03}}]}, "needs a non-empty list"),
        ({"parameters": {"p": {"setting": "discount_rate", "operation": "set"}},
          "sweeps": [{"latin_hypercube": {"samples": 3, "parameters": {"p": [0.01, 0.05]}}}]}, "'seed' must be an integer"),
        ({"parameters": {"p": {"setting": "discount_rate", "operation": "set"}},
          "sweeps": [{"latin_hypercube": {"samples": 3, "seed": 1, "parameters": {"p": [0.05, 0.01]}}}]}, "low < high"),
        ({"sweeps": [{"grid": {}, "list": []}]}, "exactly one of grid, list, one_at_a_time, latin_hypercube"),
        ({"case": "no_such_case"}, "case folder 'no_such_case' not found"),
    ],
)
def test_parameter_file_errors(tmp_path, content, message):
    path = write_sweep(tmp_path, **content)
    problems = problems_of(lambda: load_sweep_file(path))
    assert any(message in p and p.startswith(str(path)) for p in problems), problems


# --------------------------------------------------------------------------- expansion, names, ids


def test_example_sweep_expansion():
    sweep = load_sweep_file(EXAMPLE_SWEEP)
    kinds = [s.kind for s in sweep.scenarios]
    assert len(sweep.scenarios) == 1 + 3 + 4 + 4 + 4 == 16
    assert kinds.count("base") == 1 and kinds.count("named") == 3
    assert kinds.count("grid") == 4 and kinds.count("one_at_a_time") == 4 and kinds.count("latin_hypercube") == 4
    names = [s.name for s in sweep.scenarios]
    assert names[:8] == [
        "base", "cheap_solar", "cheap_storage_low_discount", "deep_cut_2040",
        "solar_capex=0.7__discount=0.03", "solar_capex=0.7__discount=0.05", "solar_capex=1__discount=0.03", "solar_capex=1__discount=0.05",
    ]
    assert names[8:12] == ["wind_capex=0.8", "wind_capex=1.2", "co2_cap_2040=300", "co2_cap_2040=700"]
    assert [s.index for s in sweep.scenarios] == list(range(16))
    ids = [s.id for s in sweep.scenarios]
    assert len(set(ids)) == 16 and all(re.fullmatch(r"[0-9a-f]{10}", i) for i in ids)
    # stable: the same file gives the same names and ids; the id depends only on the overrides
    again = load_sweep_file(EXAMPLE_SWEEP)
    assert [(s.name, s.id) for s in again.scenarios] == list(zip(names, ids))
    assert sweep.scenario("base").id == load_sweep_file(EXAMPLE_SWEEP).scenario(ids[0]).id
    # one-at-a-time varies one parameter, the others stay at the base
    oat = [s for s in sweep.scenarios if s.kind == "one_at_a_time"]
    assert all(len(s.parameters) == 1 for s in oat)
    assert sweep.parameter_value(oat[0], "solar_capex") == 1 and sweep.parameter_value(oat[0], "wind_capex") == 0.8


def test_latin_hypercube_is_seeded_and_stratified(tmp_path):
    def sample(seed, samples=8):
        path = write_sweep(
            tmp_path, f"lhs{seed}.yaml",
            parameters={"solar": {**SOLAR_CAPEX, "operation": "scale"}, "rate": {"setting": "discount_rate", "operation": "set"}},
            sweeps=[{"latin_hypercube": {"samples": samples, "seed": seed, "parameters": {"solar": [0.5, 1.5], "rate": [0.01, 0.09]}}}],
        )
        return [s.parameters for s in load_sweep_file(path).scenarios]

    first, again, other = sample(3), sample(3), sample(4)
    assert first == again and first != other
    assert len(first) == 8
    solar = sorted(p["solar"] for p in first)
    rate = sorted(p["rate"] for p in first)
    # one sample in each of the 8 strata of each range
    assert [int((v - 0.5) / 1.0 * 8) for v in solar] == list(range(8))
    assert [int((v - 0.01) / 0.08 * 8) for v in rate] == list(range(8))


def test_duplicates_are_kept_once_and_names_stay_unique(tmp_path):
    path = write_sweep(
        tmp_path,
        include_base=True,
        parameters={"solar": {**SOLAR_CAPEX, "operation": "scale", "base": 1}},
        scenarios={"cheap": [{**SOLAR_CAPEX, "scale": 0.7}]},
        sweeps=[{"grid": {"solar": [0.7, 0.8]}}, {"one_at_a_time": {"solar": [0.8, 0.9]}}, {"list": [{"name": "cheap", "solar": 0.6}]}],
    )
    sweep = load_sweep_file(path)
    names = [s.name for s in sweep.scenarios]
    # solar=0.7 has the overrides of 'cheap' (same id): kept once; solar=0.8 appears in two sweeps: kept once
    assert names == ["base", "cheap", "solar=0.8", "solar=0.9", f"cheap__{sweep.scenarios[-1].id}"]
    assert any("same overrides as 'cheap'" in note for note in sweep.notes)


def test_plan_command_prints_count_names_and_parameters(tmp_path):
    from optimiser.sweep.cli import main

    out = io.StringIO()
    with redirect_stdout(out):
        code = main(["plan", str(EXAMPLE_SWEEP), "--out", str(tmp_path / "out")])
    text = out.getvalue()
    assert code == 0, text
    assert "16 scenario(s)" in text and "no problems" in text
    assert "solar_capex=0.7__discount=0.03" in text and "solar_capex=0.7, discount=0.03" in text
    out = io.StringIO()
    with redirect_stdout(out):
        assert main(["sweep", "plan", str(EXAMPLE_SWEEP), "--json", "--no-check", "--out", str(tmp_path / "out")]) == 0
    plan = json.loads(out.getvalue())
    assert plan["count"] == 16 and plan["scenarios"][4]["parameters"] == {"solar_capex": 0.7, "discount": 0.03}
    assert {s["status"] for s in plan["scenarios"]} == {"pending"}


def test_plan_command_reports_problems_with_exit_2(tmp_path, capsys):
    from optimiser.sweep.cli import main

    path = write_sweep(tmp_path, scenarios={"neg": [{**SOLAR_CAPEX, "add": -9000}]})
    assert main(["plan", str(path), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert f"{path}: scenario 'neg'" in err and "expected a number >= 0.0" in err


# --------------------------------------------------------------------------- named scenarios in single runs


def test_apply_scenario_by_name(case, tmp_path):
    by_file = apply_scenario(case, f"{EXAMPLE_SWEEP}:cheap_solar")
    assert solar_capex(by_file) == pytest.approx([2800, 1820, 1400])
    by_option = apply_scenario(case, "solar_capex=0.7__discount=0.03", scenario_file=EXAMPLE_SWEEP)
    assert by_option.settings["discount_rate"] == 0.03 and solar_capex(by_option) == pytest.approx([2800, 1820, 1400])
    assert by_file.input_hash != case.input_hash != by_option.input_hash
    problems = problems_of(lambda: apply_scenario(case, f"{EXAMPLE_SWEEP}:no_such_scenario"))
    assert "no scenario named 'no_such_scenario'" in problems[0]
    problems = problems_of(lambda: apply_scenario(case, "cheap_solar"))  # no file, no scenarios.yaml in the case
    assert "FILE:NAME" in problems[0]
