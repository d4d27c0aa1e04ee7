"""The command line, run as a user would: ``python -m optimiser run | validate | info``.

Exit codes: 0 success, 1 no optimum (diagnosis on stderr), 2 bad input, 3 bad results file.

Interpreter start-up (Pyomo, xarray, HiGHS) dominates the cost of each command, so the
``commands`` fixture prepares every case first and starts all the subprocesses at once;
each test then waits for its own command.  Every subprocess runs in a temporary folder
so that nothing is written into the repository.
"""

from __future__ import annotations

import math
import subprocess
import sys
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import pandas as pd
import pytest
import xarray as xr
import yaml

from casebuilder import EXAMPLE, append, copy_example, replace

import optimiser
from optimiser.cli import main
from optimiser.results import ResultsFileError

TIMEOUT_S = 300
WORKERS = 4


def cli(*args, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "optimiser", *map(str, args)],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=TIMEOUT_S,
    )


def no_traceback(result: subprocess.CompletedProcess) -> None:
    assert "Traceback" not in result.stderr, result.stderr
    assert "Traceback" not in result.stdout, result.stdout


def line_of(path: Path, start: str) -> int:
    """1-based line number of the only line of ``path`` that starts with ``start``."""
    found = [n for n, line in enumerate(path.read_text().splitlines(), start=1) if line.startswith(start)]
    assert len(found) == 1, found
    return found[0]


# --------------------------------------------------------------------------- the cases


def broken_case(folder: Path) -> Path:
    """Four errors in four files: negative capacity, non-numeric demand, unknown setting, missing table."""
    case = copy_example(folder)
    replace(case, "capacities.csv", "coal,central,2015,25", "coal,central,2015,-25")
    replace(case, "demand.csv", "electricity,central,2030,660", "electricity,central,2030,lots")
    replace(case, "settings.yaml", "discount_rate:", "discount_rat:")
    (case / "time_steps.csv").unlink()
    return case


def minimum_capacity_case(folder: Path) -> Path:
    """No CO2 at all in 2040 (feasible on its own), and 35 GW of nuclear in the south although
    8 GW exist and at most 8 GW may be built per period (8 + 3 x 8 = 32 GW)."""
    case = copy_example(folder)
    replace(case, "periods.csv", "2040,500,", "2040,0,")
    append(case, "capacity_limits.csv", "nuclear,south,2040,35,,")
    return case


def demand_and_co2_case(folder: Path) -> Path:
    """A hydrogen demand no technology can supply, and a zero CO2 cap in 2040 with a southern
    electricity demand far beyond every clean potential."""
    case = copy_example(folder)
    append(case, "carriers.csv", "hydrogen,GW,true,0,false,no technology makes it")
    append(case, "demand.csv", "hydrogen,north,2040,10")
    replace(case, "periods.csv", "2040,500,", "2040,0,")
    demand = pd.read_csv(case / "demand.csv")
    south = (demand["carrier"] == "electricity") & (demand["region"] == "south") & (demand["period"] == 2040)
    assert south.sum() == 1
    demand.loc[south, "demand_TWh"] = 5000
    demand.to_csv(case / "demand.csv", index=False)
    return case


@pytest.fixture(scope="module")
def commands(tmp_path_factory):
    """Start every CLI command of this module at once; name -> (Future of the result, its folder)."""
    jobs: dict[str, tuple[Future, Path]] = {}
    pool = ThreadPoolExecutor(max_workers=WORKERS)

    def submit(name: str, function, *args) -> None:
        where = tmp_path_factory.mktemp(name)
        args = [arg(where) if callable(arg) else arg for arg in args]  # build cases inside the folder
        jobs[name] = (pool.submit(function, *args, cwd=where), where)

    def run_then_info(*args, cwd: Path):
        out = cwd / "out" / "example_run.nc"
        ran = cli("run", *args, "--out", out, cwd=cwd)
        return ran, (cli("info", out, cwd=cwd) if out.exists() else None)

    # the longest first
    submit("solved", run_then_info, EXAMPLE, "--solver-option", "threads=1", "--solver-option", "solver=ipm")
    submit("min_capacity", cli, "run", minimum_capacity_case, "--out", lambda where: where / "infeasible.nc")
    submit("demand_co2", cli, "run", demand_and_co2_case, "--out", lambda where: where / "h2.nc")
    submit("bad_option", cli, "run", EXAMPLE, "--out", lambda where: where / "never.nc", "--solver-option", "no_such_option=1")
    submit("validate_example", cli, "validate", EXAMPLE)
    submit("validate_broken", cli, "validate", broken_case)
    submit("info_text", cli, "info", notes_file)
    pool.shutdown(wait=False)
    yield jobs
    for future, _ in jobs.values():
        future.cancel()


def notes_file(folder: Path) -> Path:
    path = folder / "notes.txt"
    path.write_text("not a results file\n")
    return path


def result_of(commands, name):
    future, where = commands[name]
    return future.result(timeout=TIMEOUT_S), where


# --------------------------------------------------------------------------- validate


def test_validate_example_prints_sizes(commands):
    result, _ = result_of(commands, "validate_example")
    assert result.returncode == 0, result.stderr
    assert "is valid" in result.stdout
    for size in ("3 regions", "3 periods", "72 time_steps", "corridors"):
        assert size in result.stdout, result.stdout
    assert "model size:" in result.stdout and "variables" in result.stdout and "constraints" in result.stdout
    no_traceback(result)


def test_validate_broken_case_lists_every_error(commands):
    result, where = result_of(commands, "validate_broken")
    assert result.returncode == 2, result.stdout + result.stderr
    no_traceback(result)
    assert "is valid" not in result.stdout
    stderr = result.stderr
    assert "4 error(s)" in stderr, stderr
    capacity_line = line_of(where / "example" / "capacities.csv", "coal,central,2015")
    demand_line = line_of(where / "example" / "demand.csv", "electricity,central,2030")
    assert f"capacities.csv, line {capacity_line}, column 'capacity_GW': got '-25'; expected a number >= 0" in stderr
    assert f"demand.csv, line {demand_line}, column 'demand_TWh': got 'lots'; expected a number" in stderr
    settings_line = line_of(where / "example" / "settings.yaml", "discount_rat:")
    assert f"settings.yaml, line {settings_line}, setting 'discount_rat'" in stderr and "did you mean 'discount_rate'?" in stderr
    assert "time_steps.csv" in stderr


def test_run_broken_case_and_missing_folder_in_process(tmp_path, capsys):
    """The same paths through cli.main (no interpreter start-up): exit 2, nothing written."""
    case = broken_case(tmp_path)
    out = tmp_path / "broken.nc"
    assert main(["run", str(case), "--out", str(out)]) == 2
    assert "4 error(s)" in capsys.readouterr().err
    assert not out.exists() and not out.with_suffix(".highs.log").exists()
    assert main(["validate", str(tmp_path / "nowhere")]) == 2
    assert "expected a case folder" in capsys.readouterr().err


# --------------------------------------------------------------------------- run and the results file


def test_run_writes_results_and_highs_log(commands):
    (result, _), where = result_of(commands, "solved")
    out = where / "out" / "example_run.nc"
    assert result.returncode == 0, result.stderr
    no_traceback(result)
    assert out.is_file()
    log = out.with_suffix(".highs.log")
    assert log.is_file() and log.stat().st_size > 0
    assert "objective:" in result.stdout
    # no temporary file of the atomic write is left behind; the schedule folder sits beside the results
    assert sorted(p.name for p in out.parent.iterdir()) == sorted([out.name, log.name, out.stem])
    assert (out.parent / out.stem / "report.html").is_file()


def test_results_file_reopens_with_provenance(commands):
    (result, _), where = result_of(commands, "solved")
    assert result.returncode == 0, result.stderr
    case = optimiser.load_case(EXAMPLE)
    with optimiser.open_results(where / "out" / "example_run.nc") as ds:
        attrs = dict(ds.attrs)
        assert "capacity" in ds and ds["capacity"].attrs["units"] == "GW"
    for name in ("objective", "status", "solver_version", "input_hash", "package_version", "settings"):
        assert name in attrs, name
    assert attrs["status"] == "Optimal"
    assert math.isfinite(float(attrs["objective"])) and float(attrs["objective"]) > 0
    assert f"{float(attrs['objective']):.6g}" in result.stdout
    assert attrs["solver_version"]
    assert attrs["input_hash"] == case.input_hash
    assert attrs["package_version"] == optimiser.__version__
    settings = yaml.safe_load(attrs["settings"])
    assert settings["name"] == "example"
    assert settings["discount_rate"] == pytest.approx(0.05)
    # the command-line options reached HiGHS
    options = yaml.safe_load(attrs["solver_options"])
    assert options["solver"] == "ipm"
    assert str(options["threads"]) == "1"


def test_info_shows_status_and_objective(commands):
    (_, info), where = result_of(commands, "solved")
    assert info is not None, "run wrote no results file"
    assert info.returncode == 0, info.stderr
    no_traceback(info)
    with optimiser.open_results(where / "out" / "example_run.nc") as ds:
        objective = float(ds.attrs["objective"])
    assert "case: example" in info.stdout
    assert "status: Optimal" in info.stdout
    assert f"objective: {objective:.6g}" in info.stdout


# --------------------------------------------------------------------------- solver options


def test_run_with_unknown_solver_option(commands):
    result, where = result_of(commands, "bad_option")
    assert result.returncode == 2, result.stdout + result.stderr
    no_traceback(result)
    assert "solver option error: unknown HiGHS option 'no_such_option'" in result.stderr
    assert not (where / "never.nc").exists()


def test_solver_option_of_wrong_type(tmp_path, capsys):
    out = tmp_path / "never.nc"
    assert main(["run", str(EXAMPLE), "--out", str(out), "--solver-option", "threads=many"]) == 2
    err = capsys.readouterr().err
    assert "solver option error" in err and "'threads'" in err and "'many'" in err
    assert not out.exists()


def test_run_with_solver_option_without_value(tmp_path, capsys):
    """NAME without =VALUE is bad input (exit 2), not 'no optimal solution' (exit 1)."""
    assert main(["run", str(EXAMPLE), "--out", str(tmp_path / "never.nc"), "--solver-option", "threads"]) == 2
    err = capsys.readouterr().err
    assert "NAME=VALUE" in err and "'threads'" in err
    assert not (tmp_path / "never.nc").exists()


# --------------------------------------------------------------------------- info on files that are not results


def test_info_on_text_file(commands):
    result, _ = result_of(commands, "info_text")
    assert result.returncode == 3
    no_traceback(result)
    assert "notes.txt" in result.stderr and "not a readable netCDF file" in result.stderr


def test_info_on_foreign_netcdf_and_missing_file(tmp_path, capsys):
    path = tmp_path / "foreign.nc"
    xr.Dataset({"a": ("x", [1.0, 2.0])}).to_netcdf(path)
    assert main(["info", str(path)]) == 3
    assert "not a results file" in capsys.readouterr().err
    with pytest.raises(ResultsFileError):
        optimiser.open_results(path)
    assert main(["info", str(tmp_path / "missing.nc")]) == 3
    assert "no such results file" in capsys.readouterr().err


# --------------------------------------------------------------------------- infeasible cases


def test_infeasible_minimum_capacity_names_family_region_and_period(commands, capsys):
    result, where = result_of(commands, "min_capacity")
    assert result.returncode == 1, result.stdout + result.stderr
    no_traceback(result)
    stderr = result.stderr
    assert "no optimal solution: Infeasible" in stderr
    assert "minimum capacity not reachable at technology=nuclear, region=south, period=2040: short by 3 GW" in stderr
    # the binding build-rate limit is named too
    assert "capacity_new at its upper limit 8 GW: technology=nuclear, region=south" in stderr
    # the results file is still written, with the status and the diagnosis
    out = where / "infeasible.nc"
    with optimiser.open_results(out) as ds:
        assert ds.attrs["status"] == "Infeasible"
        assert not ds.attrs["optimal"]
        assert "region=south, period=2040" in ds.attrs["diagnosis"]
    assert main(["info", str(out)]) == 0
    assert "status: Infeasible" in capsys.readouterr().out


def test_infeasible_demand_and_co2_cap(commands):
    result, _ = result_of(commands, "demand_co2")
    assert result.returncode == 1, result.stdout + result.stderr
    no_traceback(result)
    assert "supply short of demand at carrier=hydrogen, region=north, period=2040" in result.stderr
    assert "10 TWh/yr" in result.stderr
    assert "CO2 cap exceeded in period=2040" in result.stderr
