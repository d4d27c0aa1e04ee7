"""The Pyomo model is the model: labelled components, user extensions that the solve respects, any Pyomo solver.

The hand-worked case is the screening curve of test_hand_worked.py (one region, one period of one year, r = 0):
    base  : capex 12000 CNY/kW over 20 years = 0.6 bn CNY per GW and year, running 100 CNY/MWh = 1e-4 bn CNY/GWh
    peaker: capex  2000 CNY/kW over 20 years = 0.1 bn CNY per GW and year, running 500 CNY/MWh = 5e-4 bn CNY/GWh
    load-duration curve: 10 GW for 1000 h, 6 GW for 3000 h, 4 GW for 4760 h.
Break-even 1250 h: base 6 GW, peaker 4 GW. Objective (bn CNY):
    base 6 x 0.6 = 3.6 + (6 x 1000 + 6 x 3000 + 4 x 4760 = 43040 GWh) x 1e-4 = 4.304
    peaker 4 x 0.1 = 0.4 + (4 x 1000 = 4000 GWh) x 5e-4 = 2.0                       total 10.304
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import highspy
import numpy as np
import pyomo.environ as pyo
import pytest
import xarray as xr
import yaml
from pyomo.repn.plugins.standard_form import LinearStandardFormCompiler
from pytest import approx

import optimiser
from casebuilder import EXAMPLE, screening_case
from optimiser.model.program import ExtensionError
from optimiser.pyomo_solvers import solve_pyomo

BASE_OBJECTIVE = 10.304

CAP_BASE_EXTENSION = """
import pyomo.environ as pyo


def extend(model):
    m = model.pyomo
    m.base_cap = pyo.Constraint(expr=m.capacity["base", "A", 2020] <= 5)
"""


@pytest.fixture
def screening(tmp_path):
    model = optimiser.build_model(optimiser.load_case(screening_case(tmp_path / "screening")))
    return model, model.pyomo


def capacity(m, technology):
    return pyo.value(m.capacity[technology, "A", 2020])


# ----------------------------------------------------------------------------------------------- labels


def test_components_are_labelled_and_made_on_demand():
    model = optimiser.build_model(optimiser.load_case(EXAMPLE))
    m = model.pyomo
    assert list(m.regions) == ["north", "central", "south"] and list(m.periods) == [2020, 2030, 2040]
    assert "wind" in m.technologies and len(m.time) == model.data.n_time
    # nothing is made before it is used
    assert len(m.generation._data) == 0 and len(m.balance._data) == 0
    assert ("wind", "north", 2040) in m.capacity_index and ("wind", "north", 2040) in m.capacity
    wind = m.capacity["wind", "north", 2040]
    assert (wind.lb, wind.ub) == (0.0, 300.0)  # the example's capacity_max_GW of wind in the north
    assert len(m.capacity._data) == 1
    coal = m.generation["coal", "central", 2030, 5]
    assert coal.lb == 0.0 and coal.ub is None
    with pytest.raises(KeyError):
        m.capacity["wind", "atlantis", 2040]
    # a balance row is a real Pyomo constraint over labelled variables: supply - uses == demand (GW)
    row = m.balance["electricity", "central", 2030, 5]
    assert row.equality
    terms = {var.name: coef for coef, var in zip(row.body.linear_coefs, row.body.linear_vars)}
    assert terms["generation[coal,central,2030,5]"] == 1.0
    assert terms["storage_charge[battery,central,2030,5]"] == -1.0
    demand = model.data.parameter("demand").loc[("electricity", "central", 2030, 5)]
    assert row.upper == approx(demand) and demand > 0
    # every element is there when a component is iterated, in the family's order
    assert len(list(m.generation.values())) == len(m.generation) == model.lp.variables["generation"].size
    # slices work as in any Pyomo model
    assert len(list(m.generation["coal", :, 2030, :])) == 3 * len(m.time)


def test_parameters_by_label():
    model = optimiser.build_model(optimiser.load_case(EXAMPLE), pyomo=False)
    availability = model.data.parameter("availability")
    raw = optimiser.load_case(EXAMPLE)["availability"]
    first = raw.iloc[0]
    assert availability.loc[(first["technology"], first["region"], int(first["time"]))] == approx(first["availability"])
    capex = model.data.parameter("capex_CNY_per_kW")
    given = optimiser.load_case(EXAMPLE)["technology_periods"].set_index(["technology", "period"])["capex_CNY_per_kW"]
    assert capex.loc[("solar", 2020)] == approx(given.loc[("solar", 2020)])
    with pytest.raises(KeyError, match="availability, capex_CNY_per_kW"):
        model.data.parameter("nonsense")


def test_the_pyomo_model_is_the_programme_handed_to_highs():
    """Pyomo's own standard-form compiler, applied to model.pyomo, gives the arrays HiGHS solves (plus the cost rows)."""
    model = optimiser.build_model(optimiser.load_case(EXAMPLE))
    finished = model.lp.finish()
    form = LinearStandardFormCompiler().write(model.pyomo, mixed_form=True)
    n_cost = len(model.pyomo.cost)
    assert form.A.shape == (finished.matrix.shape[0] + n_cost, finished.matrix.shape[1] + n_cost)
    columns = {id(v): i for i, v in enumerate(form.columns)}
    position = np.array([columns[id(v)] for name in model.lp.variables for v in getattr(model.pyomo, name).values()])
    cost_position = np.array([columns[id(v)] for v in model.pyomo.cost.values()])
    A = form.A.tocsr()
    # the model's rows are equal
    ours = A[: finished.matrix.shape[0]]
    np.testing.assert_array_equal(ours[:, position].toarray(), finished.matrix.toarray())
    assert ours[:, cost_position].nnz == 0
    # the objective is the sum of the cost variables; each is defined by its row of cost terms, which sum to c
    c = np.asarray(form.c.todense()).ravel()
    assert (c[cost_position] == 1).all() and np.count_nonzero(c) == n_cost
    definitions = A[finished.matrix.shape[0] :]
    np.testing.assert_array_equal(definitions[:, cost_position].toarray(), np.eye(n_cost))
    np.testing.assert_allclose(-np.asarray(definitions[:, position].sum(axis=0)).ravel(), finished.cost, rtol=1e-12, atol=1e-15)


def test_lp_file_written_by_pyomo_gives_the_same_optimum(tmp_path):
    model = optimiser.build_model(optimiser.load_case(EXAMPLE))
    in_memory = optimiser.solve(model)
    lp_file = tmp_path / "example.lp"
    model.pyomo.write(str(lp_file), io_options={"symbolic_solver_labels": True})
    highs = highspy.Highs()
    highs.setOptionValue("output_flag", False)
    highs.readModel(str(lp_file))
    highs.run()
    assert highs.getModelStatus() == highspy.HighsModelStatus.kOptimal
    assert highs.getInfo().objective_function_value == approx(in_memory.objective, rel=1e-7)


# ----------------------------------------------------------------------------------------------- extensions


def test_a_user_constraint_that_binds_changes_the_optimum_as_computed_by_hand(screening):
    model, m = screening
    base = optimiser.solve(model)
    assert base.objective == approx(BASE_OBJECTIVE)
    assert (capacity(m, "base"), capacity(m, "peaker")) == (approx(6), approx(4))
    # base <= 5 GW: the slice 5..6 GW, needed 1000 + 3000 = 4000 h, moves to the peaker:
    #   as base 0.6 + 4000 GWh x 1e-4 = 1.0 bn, as peaker 0.1 + 4000 x 5e-4 = 2.1 bn: +1.1 bn CNY, dual -1.1 bn CNY/GW
    m.base_cap = pyo.Constraint(expr=m.capacity["base", "A", 2020] <= 5)
    m.dual = pyo.Suffix(direction=pyo.Suffix.IMPORT)
    solution = optimiser.solve(model)
    assert solution.objective == approx(BASE_OBJECTIVE + 1.1)
    assert (capacity(m, "base"), capacity(m, "peaker")) == (approx(5), approx(5))
    assert m.dual[m.base_cap] == approx(-1.1)
    assert pyo.value(m.total_cost) == approx(solution.objective)
    results = optimiser.extract(model, solution)
    assert list(results["user_constraint"].values) == ["base_cap"]
    assert float(results["user_constraint_dual"][0]) == approx(-1.1)
    assert float(results["user_constraint_value"][0]) == approx(5)
    assert "constraint base_cap added (1 rows)" in results.attrs["model_changes"]
    # the model's own results follow the constrained optimum
    assert float(results["capacity"].sel(technology="peaker", region="A", period=2020)) == approx(5)


def test_changes_to_the_model_elements_and_the_objective_are_respected(screening):
    model, m = screening
    # fixing the peaker at 2 GW: base must cover 8 GW; the slice 6..8 GW runs 1000 h as base (0.6 + 0.1 = 0.7 bn/GW)
    # instead of as peaker (0.1 + 0.5 = 0.6 bn/GW): +2 x 0.1 = +0.2 bn CNY
    m.capacity["peaker", "A", 2020].fix(2)
    assert optimiser.solve(model).objective == approx(BASE_OBJECTIVE + 0.2)
    assert capacity(m, "base") == approx(8)
    m.capacity["peaker", "A", 2020].unfix()
    assert optimiser.solve(model).objective == approx(BASE_OBJECTIVE)
    # no demand in step 0 (its balance row deactivated): the peak is 6 GW for 3000 h > 1250 h, all base:
    #   6 x 0.6 + (6 x 3000 + 4 x 4760 = 37040 GWh) x 1e-4 = 7.304 bn CNY
    m.balance["electricity", "A", 2020, 0].deactivate()
    solution = optimiser.solve(model)
    assert solution.objective == approx(7.304)
    assert (capacity(m, "base"), capacity(m, "peaker")) == (approx(6), approx(0))
    assert "balance[electricity,A,2020,0] deactivated" in solution.extensions.changes
    m.balance["electricity", "A", 2020, 0].activate()
    # a levy of 1.2 bn CNY per GW of base added to the objective: base costs 1.8 + 1e-4 h per GW against the peaker's
    # 0.1 + 5e-4 h, break-even 4250 h: the 4..6 GW slice (4000 h) goes to the peaker. Base 4 GW: 4 x (0.6 + 1.2) = 7.2
    # + 35040 GWh x 1e-4 = 3.504; peaker 6 GW: 0.6 + (6 x 1000 + 2 x 3000 = 12000 GWh) x 5e-4 = 6.0; total 17.304
    m.total_cost.expr += 1.2 * m.capacity["base", "A", 2020]
    solution = optimiser.solve(model)
    assert solution.objective == approx(17.304)
    assert (capacity(m, "base"), capacity(m, "peaker")) == (approx(4), approx(6))
    # a free import of at most 1 GW in step 0 (a user variable, its own row replacing that step's balance), priced at
    # 0.1 bn CNY per GW in the objective: it replaces 1 GW of peaker (0.1 bn) and its 1000 h (0.5 bn): 17.304 - 0.6 + 0.1
    m.imports = pyo.Var(bounds=(0, 1))
    m.balance["electricity", "A", 2020, 0].deactivate()
    m.peak_with_import = pyo.Constraint(expr=m.generation["peaker", "A", 2020, 0] + m.generation["base", "A", 2020, 0] + m.imports >= 10)
    m.total_cost.expr += 0.1 * m.imports
    solution = optimiser.solve(model)
    assert solution.objective == approx(16.804)
    assert pyo.value(m.imports) == approx(1) and capacity(m, "peaker") == approx(5)


def test_a_constraint_on_a_cost_component(screening):
    model, m = screening
    # capex in 2020 is 6 x 0.6 + 4 x 0.1 = 4.0 bn CNY; at most 3.9: each GW moved from base to peaker saves 0.5 bn of capex
    # and costs 1.1 bn in all (first test), so 0.2 GW move: +0.22 bn, and the dual is -1.1 / 0.5 = -2.2 (bn per bn of capex)
    m.capex_budget = pyo.Constraint(expr=m.cost["capex", 2020] <= 3.9)
    m.dual = pyo.Suffix(direction=pyo.Suffix.IMPORT)
    solution = optimiser.solve(model)
    assert solution.objective == approx(BASE_OBJECTIVE + 0.22)
    assert capacity(m, "base") == approx(5.8)
    assert m.dual[m.capex_budget] == approx(-2.2)
    assert pyo.value(m.cost["capex", 2020]) == approx(3.9)


def test_what_an_lp_cannot_hold_is_refused_by_name(screening):
    model, m = screening
    m.square = pyo.Constraint(expr=m.capacity["base", "A", 2020] ** 2 <= 30)
    with pytest.raises(ExtensionError, match="square is not linear"):
        optimiser.solve(model)
    m.square.deactivate()
    m.units = pyo.Var(domain=pyo.Integers, bounds=(0, 3))
    m.whole_units = pyo.Constraint(expr=m.capacity["peaker", "A", 2020] == 2 * m.units)
    with pytest.raises(ExtensionError, match="units is Integers"):
        optimiser.solve(model)
    m.whole_units.deactivate()
    m.second = pyo.Objective(expr=m.capacity["base", "A", 2020])
    with pytest.raises(ExtensionError, match="exactly one active objective; it has 2"):
        optimiser.solve(model)


def test_extension_file_named_in_settings(tmp_path):
    case = screening_case(tmp_path / "case", settings={"extensions": ["cap_base.py"]})
    (case / "cap_base.py").write_text(CAP_BASE_EXTENSION)
    out = tmp_path / "capped.nc"
    process = subprocess.run([sys.executable, "-m", "optimiser", "run", str(case), "--out", str(out), "--no-schedule", "--quiet"],
                             capture_output=True, text=True, timeout=300)
    assert process.returncode == 0, process.stderr
    assert "extensions applied: cap_base.py" in process.stdout
    with optimiser.open_results(out) as results:
        assert results.attrs["objective"] == approx(BASE_OBJECTIVE + 1.1)
        assert float(results["user_constraint_dual"].sel(user_constraint="base_cap")) == approx(-1.1)
        assert "cap_base.py" in results.attrs["extensions"] and "sha256" in results.attrs["extensions"]
    # the extension's bytes are part of the inputs: a changed file is a changed case
    before = optimiser.load_case(case).input_hash
    (case / "cap_base.py").write_text(CAP_BASE_EXTENSION.replace("<= 5", "<= 5.5"))
    assert optimiser.load_case(case).input_hash != before
    validate = subprocess.run([sys.executable, "-m", "optimiser", "validate", str(case)], capture_output=True, text=True, timeout=300)
    assert validate.returncode == 0 and "extensions: constraint base_cap added (1 rows)" in validate.stdout
    # a broken extension names its file and line, exit 2, no traceback (run and validate)
    (case / "cap_base.py").write_text("def extend(model):\n    model.pyomo.nothing_here.deactivate()\n")
    for command in (["run", str(case), "--out", str(out), "--no-schedule", "--quiet"], ["validate", str(case)]):
        process = subprocess.run([sys.executable, "-m", "optimiser", *command], capture_output=True, text=True, timeout=300)
        assert process.returncode == 2
        assert "cap_base.py: extend(model) failed: line 2: AttributeError" in process.stderr and "Traceback" not in process.stderr
    # a missing file is an input error of the setting
    yaml_text = (case / "settings.yaml").read_text().replace("cap_base.py", "missing.py")
    (case / "settings.yaml").write_text(yaml_text)
    with pytest.raises(optimiser.InputError, match="extensions.*missing.py: no such file"):
        optimiser.load_case(case)


def test_a_sweep_switches_an_extension_on_and_off(tmp_path):
    import io

    from optimiser.sweep import run_sweep
    from optimiser.sweep.store import SweepStore
    from optimiser.scenarios import load_sweep_file

    case = screening_case(tmp_path / "case", settings={"extensions": ["cap_base.py"]})
    (case / "cap_base.py").write_text(CAP_BASE_EXTENSION)
    file = tmp_path / "sweep.yaml"
    file.write_text(yaml.safe_dump({
        "case": str(case), "include_base": True, "solver": {"threads": 1},
        "scenarios": {"without_cap": [{"setting": "extensions", "set": []}]},
    }))
    outcome = run_sweep(file, jobs=1, out=tmp_path / "out", stream=io.StringIO())
    assert outcome.failed == 0
    store = SweepStore.for_sweep(load_sweep_file(file), tmp_path / "out")
    objectives = {}
    for path in store.results_dir.glob("*.nc"):
        with xr.open_dataset(path) as ds:
            objectives[ds.attrs["case"]] = ds.attrs["objective"]
    assert sorted(objectives.values()) == [approx(BASE_OBJECTIVE), approx(BASE_OBJECTIVE + 1.1)]


# ----------------------------------------------------------------------------------------------- any Pyomo solver


@pytest.mark.parametrize("solver", ["appsi_highs", "highs", "glpk", "cbc"])
def test_pyomo_solver_interfaces_give_the_in_memory_optimum(solver):
    if not pyo.SolverFactory(solver).available(exception_flag=False):
        pytest.fail(f"Pyomo's '{solver}' is not available: install GLPK and CBC (apt-get install glpk-utils coinor-cbc; .ci/run does)")
    case = optimiser.load_case(EXAMPLE)
    reference_model = optimiser.build_model(case)
    reference = optimiser.solve(reference_model)
    reference_results = optimiser.extract(reference_model, reference)
    model = optimiser.build_model(case)
    solution = solve_pyomo(model, solver)
    assert solution.optimal
    assert solution.objective == approx(reference.objective, rel=1e-7)
    results = optimiser.extract(model, solution)
    assert results.attrs["solver"] == solver
    assert float(results["cost"].sum()) == approx(reference.objective, rel=1e-7)
    # duals come back where the solver gives them: the demand-weighted electricity price agrees
    demand = reference_results["demand"].sel(carrier="electricity")
    weights = demand * reference_results["time_weight_h"]
    for ds in (results, reference_results):
        ds.attrs["mean_price"] = float((ds["price_electricity"] * weights).sum() / weights.sum())
    assert results.attrs["mean_price"] == approx(reference_results.attrs["mean_price"], rel=1e-6)


def test_run_with_a_pyomo_solver_from_the_command_line(tmp_path):
    case = screening_case(tmp_path / "case", settings={"extensions": ["cap_base.py"]})
    (case / "cap_base.py").write_text(CAP_BASE_EXTENSION)
    out = tmp_path / "glpk.nc"
    process = subprocess.run([sys.executable, "-m", "optimiser", "run", str(case), "--solver", "glpk", "--out", str(out), "--no-schedule"],
                             capture_output=True, text=True, timeout=300)
    assert process.returncode == 0, process.stderr
    with optimiser.open_results(out) as results:
        assert results.attrs["solver"] == "glpk"
        assert results.attrs["objective"] == approx(BASE_OBJECTIVE + 1.1)
        assert float(results["user_constraint_dual"].sel(user_constraint="base_cap")) == approx(-1.1)
    process = subprocess.run([sys.executable, "-m", "optimiser", "run", str(case), "--solver", "no_such_solver", "--out", str(out)],
                             capture_output=True, text=True, timeout=300)
    assert process.returncode == 2 and "no_such_solver" in process.stderr and "Traceback" not in process.stderr


def test_extending_doc_example_runs(tmp_path):
    """docs/extending.md's worked example, copied from the page, runs and does what the page says."""
    text = (Path(__file__).resolve().parent.parent / "docs" / "extending.md").read_text()
    code = text.split("```python\n# my_rules.py\n", 1)[1].split("```", 1)[0]
    folder = tmp_path / "example"
    import shutil

    shutil.copytree(EXAMPLE, folder)
    (folder / "my_rules.py").write_text(code)
    settings = yaml.safe_load((folder / "settings.yaml").read_text())
    settings["extensions"] = ["my_rules.py"]
    (folder / "settings.yaml").write_text(yaml.safe_dump(settings))
    results, _ = optimiser.run(folder, out=tmp_path / "extended.nc", log=lambda *a: None)
    assert results.attrs["optimal"]
    generation = results["generation_annual"].sum("region")
    share = generation.sel(technology="nuclear") / generation.sum("technology")
    assert float(share.sel(period=2040)) >= 0.10 - 1e-6
    assert textwrap.dedent(code).strip()
