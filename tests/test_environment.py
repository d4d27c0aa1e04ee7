"""The locked environment: HiPO is there, ``optimiser doctor`` tells what is installed, and a run that asks for a
solver it cannot have says so loudly and records it in the results."""

from __future__ import annotations

import importlib
import subprocess
import sys

import pytest
from pytest import approx

import optimiser
from casebuilder import EXAMPLE
from optimiser import doctor

solve_module = importlib.import_module("optimiser.solve")


def test_locked_environment_has_hipo():
    # the China default asks for HiPO; without it every run falls back to IPX, about 2.4x slower
    assert solve_module.hipo_available(), solve_module.hipo_fallback_message()


def test_doctor_reports_a_locked_environment():
    process = subprocess.run([sys.executable, "-m", "optimiser", "doctor"], capture_output=True, text=True, timeout=120)
    assert process.returncode == 0, process.stdout + process.stderr
    out = process.stdout
    assert "HiPO (highspy-extras): available" in out
    assert "HiGHS: 1.15." in out and "highspy-extras 1.15." in out
    assert "lock:" in out and "(matches)" in out
    assert "Traceback" not in process.stderr


def test_doctor_finds_packages_that_differ_from_the_lock(tmp_path):
    installed = doctor.installed_version("numpy")
    lock = tmp_path / "lock.txt"
    lock.write_text(
        "# a lock\n"
        "numpy==0.0.1 ; python_full_version >= '3.0'   # applies here: differs\n"
        "pandas==0.0.2 ; python_full_version < '3.0'   # a marker that does not apply here: ignored\n"
        f"highspy=={doctor.installed_version('highspy')}   # equal\n"
        "not-a-package-we-have==1.0\n"
    )
    assert doctor.locked_versions(lock) == {"numpy": "0.0.1", "highspy": doctor.installed_version("highspy"), "not-a-package-we-have": "1.0"}
    assert doctor.lock_mismatches(lock) == [("numpy", installed, "0.0.1")]
    report = doctor.diagnose(lock)
    assert any("not the locked environment: numpy" in problem for problem in report.problems)


def test_missing_hipo_warns_and_is_recorded_in_the_results(monkeypatch):
    monkeypatch.setattr(solve_module, "hipo_available", lambda: False)
    assert solve_module.effective_solver({"solver": "hipo"}) == "ipx"
    assert solve_module.effective_solver({"solver": "simplex"}) == "simplex"
    model = optimiser.build_model(optimiser.load_case(EXAMPLE), pyomo=False)
    reference = optimiser.solve(model, {"solver": "simplex", "threads": 1})
    with pytest.warns(solve_module.SolverFallbackWarning, match=r"HiPO is not available .* IPX .* 2\.4x slower .* pip install -c lock.txt"):
        solution = optimiser.solve(model, {"solver": "hipo", "threads": 1})
    assert solution.optimal and solution.objective == approx(reference.objective, rel=1e-7)
    results = optimiser.extract(model, solution)
    assert results.attrs["solver_requested"] == "hipo"
    assert results.attrs["solver_algorithm"] == "ipx" and results.attrs["ipm_iterations"] > 0
    assert "HiPO is not available" in results.attrs["solver_warnings"]
    # a run that got what it asked for records no warning
    assert optimiser.extract(model, reference).attrs["solver_warnings"] == ""


def test_an_interior_point_solution_that_postsolve_spoils_is_solved_again_without_presolve(recwarn):
    """HiGHS downgrades an optimal presolved interior-point solution to 'Unknown' when postsolve leaves dual residuals
    above tolerance (seen on the China case with some time aggregations); the run then solves again without presolve,
    warns, and says so in the results' solver_warnings. Here HiGHS is a stand-in that reports 'Unknown' once."""
    import highspy

    from optimiser.solve import PostsolveWarning, _resolve_without_presolve

    class Stand_in:
        def __init__(self):
            self.status, self.options, self.runs = highspy.HighsModelStatus.kUnknown, {}, 0

        def getModelStatus(self):
            return self.status

        def getInfo(self):
            return type("Info", (), {"objective_function_value": 29889.1})()

        def setOptionValue(self, name, value):
            self.options[name] = value

        def clearSolver(self):
            pass

        def run(self):
            self.runs += 1
            assert self.options["presolve"] == "off"
            self.status = highspy.HighsModelStatus.kOptimal

        def modelStatusToString(self, status):
            return "Optimal" if status == highspy.HighsModelStatus.kOptimal else "Unknown"

    highs = Stand_in()
    message = _resolve_without_presolve(highs, {"solver": "ipx", "run_crossover": "off"})
    assert highs.runs == 1 and highs.status == highspy.HighsModelStatus.kOptimal
    assert "presolve off" in message and message.endswith("without presolve: Optimal")
    assert any(isinstance(w.message, PostsolveWarning) for w in recwarn)
    # not with crossover (a vertex postsolves exactly), nor when presolve is already off, nor after another status
    for options in ({"solver": "ipx", "run_crossover": "on"}, {"solver": "ipx", "run_crossover": "off", "presolve": "off"}):
        assert _resolve_without_presolve(Stand_in(), options) == ""
    done = Stand_in()
    done.status = highspy.HighsModelStatus.kInfeasible
    assert _resolve_without_presolve(done, {"solver": "ipx", "run_crossover": "off"}) == ""
