"""Post-processing: schedule tables, roadmap, plots, report (rendered in headless Chromium), IAMC export.

The example case is solved once per session (``example_results`` in conftest.py); a tiny case
built with casebuilder gives hand-checkable figures; the roadmap is checked on a Dataset made
by hand.  Slow external steps (pyam's import, Chromium) run as subprocesses started early and
collected at the end, so that they overlap with the other tests.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from casebuilder import EXAMPLE, hourly, solve_case, write_case

import optimiser
from optimiser import postprocess as pp
from optimiser.cli import main
from optimiser.postprocess.common import PostprocessError
from optimiser.results import ResultsFileError

CHROMIUM = shutil.which("chromium") or ("/usr/bin/chromium" if os.path.exists("/usr/bin/chromium") else None)


def approx(value, rel=1e-6, abs=1e-6):
    return pytest.approx(value, rel=rel, abs=abs)


# --------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def example_file(example_results, tmp_path_factory) -> Path:
    ds, _, _ = example_results
    return optimiser.write_results(ds, tmp_path_factory.mktemp("pp") / "example.nc")


@pytest.fixture(scope="module")
def example(example_file):
    """The summary dataset of the example results, read back from the file."""
    return pp.load(example_file)


@pytest.fixture(scope="module")
def two_scenarios(example_results):
    """Two runs concatenated by hand along ``scenario``: the example and a copy with every capacity doubled."""
    ds, _, _ = example_results
    other = ds.copy()
    for name in ("capacity", "capacity_new", "capacity_retired", "storage_energy_capacity", "storage_energy_new"):
        other[name] = ds[name] * 2
    return xr.concat([ds, other], dim=pd.Index(["base", "double"], name="scenario"), data_vars="all", coords="minimal", compat="override")


PYAM_SCRIPT = textwrap.dedent(
    """
    import json, sys, warnings
    warnings.simplefilter("ignore")
    try:
        import pyam
    except Exception as error:  # a pyam that does not import (an ixmp4 it does not know): said plainly by the test
        print(json.dumps({"import_error": f"{type(error).__name__}: {error}"}))
        sys.exit(3)
    out = {}
    for path in sys.argv[1:]:
        df = pyam.IamDataFrame(path)
        totals = {}
        for variable in ("Secondary Energy|Electricity", "Capacity|Electricity", "Emissions|CO2", "Investment|Energy Supply",
                         "Emissions|CO2|Energy|Supply", "Price|Carbon"):
            data = df.filter(variable=variable, region="National").data
            totals[variable] = {str(int(y)): float(v) for y, v in zip(data["year"], data["value"])}
        checks = {v: df.check_aggregate(v) is None for v in ("Secondary Energy|Electricity", "Capacity|Electricity", "Emissions|CO2")}
        region_check = df.check_aggregate_region("Secondary Energy|Electricity", region="National") is None
        out[path] = {"models": list(df.model), "scenarios": list(df.scenario), "regions": list(df.region), "totals": totals,
                     "checks": checks, "region_check": region_check, "rows": len(df.data)}
    print(json.dumps(out))
    """
)


@pytest.fixture(scope="module")
def iamc_job(example, tmp_path_factory):
    """IAMC CSV and xlsx of the example, and a pyam subprocess reading them (started now, read later)."""
    folder = tmp_path_factory.mktemp("iamc")
    csv, xlsx = folder / "example_iamc.csv", folder / "example_iamc.xlsx"
    pp.export_iamc(example, csv)
    pp.export_iamc(example, xlsx)
    script = folder / "check.py"
    script.write_text(PYAM_SCRIPT)
    env = dict(os.environ, IAM_UNITS_CACHE=str(folder / "iam-units-cache"))  # pyam's unit cache: never a stale one
    process = subprocess.Popen([sys.executable, str(script), str(csv), str(xlsx)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               cwd=folder, env=env)
    yield {"csv": csv, "xlsx": xlsx, "process": process}
    if process.poll() is None:
        process.kill()


@pytest.fixture(scope="module")
def schedule_out(example_file, iamc_job, tmp_path_factory) -> Path:
    """``optimiser schedule`` of the example (CSV, xlsx, Markdown, plots, report) into a folder."""
    out = tmp_path_factory.mktemp("schedule") / "example"
    assert main(["schedule", str(example_file), "--out", str(out), "--format", "xlsx", "--format", "md"]) == 0
    return out


@pytest.fixture(scope="module")
def tiny():
    """Hand-checkable case, periods 2020/2030/2040 (r = 0, 10 years each), one region, one step of 8760 h,
    demand 8 GW flat (70.08 TWh/yr).  Coal only: 6 GW built 2000 and 3 GW built 2001 (lifetime 30) stand
    in 2020 (9 GW); in 2030 only the 3 GW; in 2040 none.  capex 1000 CNY/kW (2020) and 1200 (2040), so
    1100 in 2030 (interpolated); annuity capex/30 per year (wacc 0).

    Building late is cheaper (it pays for fewer periods): 5 GW are built in 2030 (to reach 8 GW) and
    3 GW in 2040 (the 2001 plant retires): investment 5 x 1100 x 1e-3 = 5.5 bn CNY in 2030 and
    3 x 1200 x 1e-3 = 3.6 bn CNY in 2040.  Retired: 2030: 9 + 5 - 8 = 6 GW; 2040: 8 + 3 - 8 = 3 GW.
    Capacity factor 8/9 in 2020, 1 afterwards.
    """
    import tempfile

    folder = Path(tempfile.mkdtemp(prefix="pp_tiny_"))
    path = write_case(
        folder / "tiny",
        settings={"last_period_years": 10},
        periods=[{"period": p} for p in (2020, 2030, 2040)],
        regions=[{"region": "A"}],
        carriers=[{"carrier": "electricity"}, {"carrier": "coal", "balance": False, "co2_content_t_per_MWh": 0.34}],
        fuel_prices=[{"carrier": "coal", "period": 2020, "price_CNY_per_MWh": 100}],
        technologies=[{"technology": "coal", "type": "conversion", "carrier_out": "electricity", "carrier_in": "coal", "lifetime_years": 30, "wacc": 0.0}],
        technology_periods=[
            {"technology": "coal", "period": 2020, "capex_CNY_per_kW": 1000, "vom_CNY_per_MWh": 50, "efficiency": 0.4},
            {"technology": "coal", "period": 2040, "capex_CNY_per_kW": 1200, "vom_CNY_per_MWh": 50, "efficiency": 0.4},
        ],
        capacities=[
            {"technology": "coal", "region": "A", "build_year": 2000, "capacity_GW": 6},
            {"technology": "coal", "region": "A", "build_year": 2001, "capacity_GW": 3},
        ],
        time_steps=hourly(1, weight_h=8760),
        demand=[{"carrier": "electricity", "region": "A", "period": p, "demand_TWh": 70.08} for p in (2020, 2030, 2040)],
    )
    ds, _, _ = solve_case(path)
    yield ds
    shutil.rmtree(folder, ignore_errors=True)


# --------------------------------------------------------------------------- schedule


def test_tiny_case_by_hand(tiny):
    table = pp.make_schedule(tiny).set_index("period")
    assert list(table.index) == [2020, 2030, 2040]
    assert table["new_capacity"].tolist() == [approx(0), approx(5), approx(3)]
    assert table["installed_capacity"].tolist() == [approx(9), approx(8), approx(8)]
    assert table["retired_capacity"].tolist() == [approx(0), approx(6), approx(3)]
    assert table["investment_bn_CNY"].tolist() == [approx(0), approx(5.5), approx(3.6)]
    assert table["annual_output"].tolist() == [approx(70.08)] * 3
    assert table["capacity_factor"].tolist() == [approx(8 / 9), approx(1), approx(1)]
    assert table["supply_share"].tolist() == [approx(1)] * 3
    assert not table["non_carbon"].any()
    assert set(table["capacity_unit"]) == {"GW"} and set(table["output_unit"]) == {"TWh/yr"}
    roadmap = pp.make_roadmap(tiny).set_index("technology")
    assert roadmap.loc["coal", "first_built"] == 2030
    assert roadmap.loc["coal", "peak_period"] == 2020 and roadmap.loc["coal", "peak_capacity"] == approx(9)
    assert pd.isna(roadmap.loc["coal", "phase_out_period"])
    assert roadmap.loc["coal", "term"] == "near"
    headline = pp.make_headline(tiny).iloc[0]
    assert headline["non_carbon_share_2030"] == approx(0)
    assert headline["peak_emissions_period"] == 2020


def test_schedule_new_capacity_equals_capacity_new(example_results, example):
    ds, _, _ = example_results
    national = pp.make_schedule(example).set_index(["technology", "period"])
    expected = ds["capacity_new"].sum("region").to_series()
    built = expected[expected.abs() > 1e-6]
    for (tech, period), value in built.items():
        assert national.loc[(tech, period), "new_capacity"] == approx(value)
    regional = pp.make_schedule(example, by="region").set_index(["region", "technology", "period"])
    for (tech, region, period), value in ds["capacity_new"].to_series().items():
        if abs(value) > 1e-6:
            assert regional.loc[(region, tech, period), "new_capacity"] == approx(value)
    assert regional["new_capacity"].sum() == approx(float(ds["capacity_new"].sum()))


def test_installed_is_previous_plus_new_minus_retired(example):
    for by in ("national", "region"):
        table = pp.make_schedule(example, by=by)
        keys = ["region", "technology"] if by == "region" else ["technology"]
        for _, group in table.groupby(keys):
            group = group.sort_values("period")
            installed = group["installed_capacity"].to_numpy()
            expected = installed[:-1] + group["new_capacity"].to_numpy()[1:] - group["retired_capacity"].to_numpy()[1:]
            np.testing.assert_allclose(installed[1:], expected, atol=1e-6)


def test_investment_is_new_capacity_times_capex_of_the_inputs(example_results, example):
    """capex_per_kW in the results equals technology_periods.csv (interpolated between given periods),
    and investment = new power x capex + new storage energy x energy capex."""
    ds, _, _ = example_results
    inputs = pd.read_csv(EXAMPLE / "technology_periods.csv").set_index(["technology", "period"])
    for (tech, period), row in inputs.iterrows():
        assert float(ds["capex_per_kW"].sel(technology=tech, period=period)) == approx(row["capex_CNY_per_kW"])
    assert float(ds["capex_per_kW"].sel(technology="gas_ccgt", period=2030)) == approx((2800 + 2500) / 2)
    assert float(ds["capex_energy_per_kWh"].sel(technology="pumped_hydro", period=2040)) == approx(40)
    table = pp.make_schedule(example).set_index(["technology", "period"])
    for (tech, period), row in table.iterrows():
        capex = float(ds["capex_per_kW"].sel(technology=tech, period=period))
        energy = float(ds["capex_energy_per_kWh"].sel(technology=tech, period=period))
        new_energy = row["new_energy_GWh"] if row["type"] == "storage" else 0.0
        assert row["investment_bn_CNY"] == approx((row["new_capacity"] * capex + new_energy * energy) * 1e-3)
    assert table["investment_bn_CNY"].sum() > 0
    assert table.loc[("pumped_hydro", 2040), "new_energy_GWh"] > 0  # energy capex is exercised


def test_output_shares_and_non_carbon(example_results, example):
    ds, _, _ = example_results
    table = pp.make_schedule(example)
    conversion = table[table["type"] == "conversion"]
    for period, group in conversion.groupby("period"):
        assert group["supply_share"].sum() == approx(1.0)
        assert group["annual_output"].sum() == approx(float(ds["generation_annual"].sel(period=period).sum()))
    flags = table.drop_duplicates("technology").set_index("technology")["non_carbon"]
    assert not flags["coal"] and not flags["gas_ccgt"]
    assert flags["wind"] and flags["solar"] and flags["nuclear"] and flags["hydro"]
    share = pp.make_headline(example).iloc[0]["non_carbon_share_2030"]
    electricity = ds["generation_annual"].sel(period=2030).sum("region")
    assert share == approx(float(1 - electricity.sel(technology=["coal", "gas_ccgt"]).sum() / electricity.sum()))


# --------------------------------------------------------------------------- roadmap


def test_roadmap_phases_from_known_capacity_paths():
    periods = list(range(2020, 2065, 5))
    paths = {  # technology: (capacity, new capacity)
        "rise": ([0, 0, 10, 40, 80, 100, 100, 100, 100], [0, 0, 10, 30, 40, 20, 0, 0, 0]),
        "fade": ([100, 90, 60, 40, 20, 4, 2, 0, 0], [0] * 9),
        "late": ([0, 0, 0, 0, 0, 0, 10, 50, 100], [0, 0, 0, 0, 0, 0, 10, 40, 50]),
        "hump": ([0, 20, 60, 100, 70, 30, 10, 4, 3], [0, 20, 40, 40, 0, 0, 0, 0, 0]),
        "never": ([0] * 9, [0] * 9),
    }
    techs = list(paths)
    ds = xr.Dataset(
        {
            "capacity": (("technology", "period"), np.array([paths[t][0] for t in techs], dtype=float)),
            "capacity_new": (("technology", "period"), np.array([paths[t][1] for t in techs], dtype=float)),
        },
        coords={"technology": techs, "period": periods},
    )
    table = pp.make_roadmap(ds).set_index("technology")
    assert "never" not in table.index
    expected = {  # first built, reaches scale, peak period, peak, phase-out, term
        "rise": (2030, 2040, 2045, 100, None, "mid"),
        "fade": (None, 2020, 2020, 100, 2045, "near"),
        "late": (2050, 2055, 2060, 100, None, "long"),
        "hump": (2025, 2030, 2035, 100, 2055, "near"),
    }
    for tech, (first, scale, peak_period, peak, phase_out, term) in expected.items():
        row = table.loc[tech]
        assert (None if pd.isna(row["first_built"]) else int(row["first_built"])) == first, tech
        assert int(row["scale_period"]) == scale, tech
        assert int(row["peak_period"]) == peak_period, tech
        assert row["peak_capacity"] == approx(peak), tech
        assert (None if pd.isna(row["phase_out_period"]) else int(row["phase_out_period"])) == phase_out, tech
        assert row["term"] == term, tech
    assert table.loc["fade", "trend"] == "phased out" and table.loc["rise", "trend"] == "growing"
    assert list(table["term"]) == ["near", "near", "mid", "long"]  # ordered by term, then by reaching scale
    everything = pp.make_roadmap(ds, keep_undeployed=True).set_index("technology")
    assert everything.loc["never", "term"] == "none"
    assert [pp.term_of(y) for y in (2025, 2030, 2035, 2045, 2050, 2060)] == ["near", "near", "mid", "mid", "long", "long"]
    # a regional dimension is summed first
    regional = xr.concat([ds / 2, ds / 2], dim=pd.Index(["a", "b"], name="region"))
    assert pp.make_roadmap(regional).set_index("technology").loc["hump", "peak_capacity"] == approx(100)


# --------------------------------------------------------------------------- scenarios


def test_scenario_dimension_tables(example, two_scenarios):
    table = pp.make_schedule(two_scenarios)
    assert table.columns[0] == "scenario" and set(table["scenario"]) == {"base", "double"}
    base = table[table["scenario"] == "base"].drop(columns="scenario").reset_index(drop=True)
    single = pp.make_schedule(example)
    pd.testing.assert_frame_equal(base[single.columns], single, check_dtype=False, atol=1e-9)
    double = table[table["scenario"] == "double"].set_index(["technology", "period"])
    indexed = single.set_index(["technology", "period"])
    assert np.allclose(double["installed_capacity"], 2 * indexed["installed_capacity"].reindex(double.index))
    roadmap = pp.make_roadmap(two_scenarios)
    assert set(roadmap["scenario"]) == {"base", "double"}
    tables = pp.make_tables(two_scenarios)
    for name in ("headline", "schedule", "roadmap", "corridors", "carbon_balance", "costs"):
        assert "scenario" in tables[name].columns, name


def test_combine_files_as_scenarios(example_file, tmp_path):
    both = pp.combine([example_file, example_file], names=["a", "b"])
    assert list(both["scenario"].values) == ["a", "b"]
    table = pp.make_schedule(both)
    a = table[table["scenario"] == "a"].drop(columns="scenario").reset_index(drop=True)
    b = table[table["scenario"] == "b"].drop(columns="scenario").reset_index(drop=True)
    pd.testing.assert_frame_equal(a, b)
    assert main(["compare", str(example_file), str(example_file), "--out", str(tmp_path / "cmp"), "--no-plots", "--no-report"]) == 0
    written = pd.read_csv(tmp_path / "cmp" / "schedule_national.csv")
    assert list(written["scenario"].unique()) == ["example", "example_2"]


def test_plots_and_report_for_scenarios(two_scenarios, tmp_path):
    plots = pp.make_plots(two_scenarios, tmp_path / "plots", formats=("png",))  # SVG: see the schedule command test
    names = {p.name for p in plots}
    assert {"capacity", "generation", "new_builds", "carbon_balance", "co2_price", "electricity_price", "top_regions", "corridors", "roadmap"} <= names
    for plot in plots:
        for path in plot.paths:
            assert path.stat().st_size > 1000, path
        assert plot.png[:8] == b"\x89PNG\r\n\x1a\n"
    report = pp.write_report(two_scenarios, tmp_path / "report.html", plots=plots)
    text = report.read_text()
    assert "base" in text and "double" in text and text.count("data:image/png;base64,") == len(plots)


# --------------------------------------------------------------------------- command line and outputs


def test_schedule_command_writes_tables_plots_and_report(schedule_out, example):
    expected_csv = ["headline", "milestones", "schedule_national", "roadmap", "corridor_expansion", "corridors", "carbon_balance", "costs"]
    for name in expected_csv:
        assert (schedule_out / f"{name}.csv").stat().st_size > 0, name
    sheets = pd.read_excel(schedule_out / "schedule_national.xlsx", sheet_name=None)
    assert {"schedule_national", "roadmap", "corridors"} <= set(sheets)
    pd.testing.assert_frame_equal(
        sheets["schedule_national"].drop(columns="non_carbon"),
        pd.read_csv(schedule_out / "schedule_national.csv").drop(columns="non_carbon"),
        check_dtype=False,
    )
    markdown = (schedule_out / "schedule_national.md").read_text()
    assert "## Technology schedule" in markdown and "| technology | period |" in markdown
    for name in ("capacity", "generation", "new_builds", "carbon_balance", "co2_price", "electricity_price", "top_regions", "corridors"):
        assert (schedule_out / "plots" / f"{name}.png").stat().st_size > 1000
        assert (schedule_out / "plots" / f"{name}.svg").read_text().lstrip().startswith("<?xml")
    report = (schedule_out / "report.html").read_text()
    assert report.startswith("<!DOCTYPE html>")
    for needle in ("Headline figures", "46 %", "85 %", "0.5-1.0 Gt CO2/yr", "seed 000", "seed 002", "Technology roadmap",
                   "Run metadata", str(example.attrs["input_hash"])[:12]):
        assert needle in report, needle
    assert "http://" not in report and "https://" not in report and "<script" not in report.lower()
    assert report.count("data:image/png;base64,") >= 8
    corridors = pd.read_csv(schedule_out / "corridor_expansion.csv").set_index("corridor")
    ds_capacity = example["corridor_capacity"]
    for corridor, row in corridors.iterrows():
        growth = float(ds_capacity.sel(corridor=corridor).isel(period=-1) - ds_capacity.sel(corridor=corridor).isel(period=0))
        assert row["growth"] == approx(growth)


def test_schedule_by_region_default_folder(example_file, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["schedule", str(example_file), "--by", "region", "--no-plots", "--no-report"]) == 0
    table = pd.read_csv(tmp_path / "results" / "example" / "schedule_region.csv")
    assert table.columns[0] == "region" and set(table["region"]) == {"north", "central", "south"}


def test_iamc_export_loads_with_pyam_and_matches_results(example_results, example_file, iamc_job, tmp_path):
    ds, _, _ = example_results
    table = pd.read_csv(iamc_job["csv"])
    assert list(table.columns) == ["model", "scenario", "region", "variable", "unit", "year", "value"]
    for variable in ("Capacity|Electricity|Wind|Onshore", "Secondary Energy|Electricity|Solar|PV", "Emissions|CO2|Energy|Supply|Electricity",
                     "Price|Carbon", "Capacity|Electricity|Coal|w/o CCS"):
        assert variable in set(table["variable"]), variable
    mapping = pd.read_csv(iamc_job["csv"].with_name("example_iamc_mapping.csv")).set_index("technology")
    assert mapping.loc["wind", "path"] == "Wind|Onshore" and (mapping["matched_by"] == "table").all()
    # totals of the results file
    electricity = ds["generation_annual"].sum(["region", "technology"]).to_series()
    capacity = ds["capacity"].sel(technology=[t for t in ds["technology"].values if str(ds["technology_type"].sel(technology=t).values) == "conversion"])
    invest = (ds["capacity_new"] * ds["capex_per_kW"] + ds["storage_energy_new"] * ds["capex_energy_per_kWh"]).sum(["region", "technology"]) * 1e-3 / ds["period_years"]
    expected = {
        "Secondary Energy|Electricity": electricity,
        "Capacity|Electricity": capacity.sum(["region", "technology"]).to_series(),
        "Emissions|CO2": ds["co2_net_emissions"].to_series(),
        "Emissions|CO2|Energy|Supply": ds["co2_emissions"].sum("region").to_series(),
        "Investment|Energy Supply": invest.to_series(),
        "Price|Carbon": ds["price_co2"].to_series(),
    }
    process = iamc_job["process"]
    stdout, stderr = process.communicate(timeout=300)
    if process.returncode == 3:
        error = json.loads(stdout.strip().splitlines()[-1])["import_error"]
        pytest.fail(f"pyam cannot be imported in this environment ({error}). lock.txt pins a pyam-iamc and ixmp4 that work "
                    "together: install with pip install -c lock.txt -e '.[test]'")
    assert process.returncode == 0, stderr[-3000:]
    report = json.loads(stdout.strip().splitlines()[-1])
    for path in (str(iamc_job["csv"]), str(iamc_job["xlsx"])):
        result = report[path]
        assert result["scenarios"] == ["example"] and "National" in result["regions"] and "north" in result["regions"]
        assert all(result["checks"].values()), result["checks"]
        assert result["region_check"]
        for variable, series in expected.items():
            got = result["totals"][variable]
            for period, value in series.items():
                assert got[str(int(period))] == approx(float(value), rel=1e-6, abs=1e-6), (variable, period)
    # the same through the command line, xlsx
    out = tmp_path / "export.xlsx"
    assert main(["export", str(example_file), "--format", "iamc", "--out", str(out)]) == 0
    data = pd.read_excel(out, sheet_name="data")
    assert len(data) == len(table) and set(pd.read_excel(out, sheet_name="mapping")["technology"]) == set(mapping.index)


def test_iamc_fallback_for_unknown_technology():
    assert pp.iamc.technology_path("wind") == ("Wind|Onshore", "table")
    assert pp.iamc.technology_path("offshore_floating_wind") == ("Wind|Offshore", "keyword")
    assert pp.iamc.technology_path("coal_ultra_ccs") == ("Coal|w/ CCS", "keyword")
    assert pp.iamc.technology_path("tidal") == ("Other|tidal", "fallback")
    # every technology of the China case conventions has a table entry
    china = ["coal", "coal_ccs", "gas_ccgt", "gas_ocgt", "gas_ccs", "nuclear", "hydro_reservoir", "hydro_ror", "onwind", "offwind",
             "solar_utility", "solar_distributed", "biomass", "beccs", "electrolysis", "smr_ccs", "h2_turbine", "dac", "industry_capture",
             "co2_storage", "pumped_hydro", "battery", "compressed_air", "h2_tank", "h2_cavern"]
    assert all(pp.iamc.technology_path(t)[1] == "table" for t in china)


def test_palette_is_one_colour_per_technology():
    from optimiser.postprocess import palette

    assert palette.colour("wind") == palette.colour("wind") == palette.TECHNOLOGY_COLOURS["wind"]
    assert palette.colour("my_new_tech") == palette.colour("my_new_tech")
    known = ["coal", "gas_ccgt", "nuclear", "hydro", "wind", "solar", "battery", "pumped_hydro", "electrolysis", "h2_tank", "dac"]
    assert len({palette.colour(t) for t in known}) == len(known)
    assert palette.order(["solar", "coal", "zzz", "wind"]) == ["coal", "wind", "solar", "zzz"]


# --------------------------------------------------------------------------- bad input


def test_bad_input_gets_clear_errors(example_results, example_file, tmp_path, capsys):
    text = tmp_path / "notes.nc"
    text.write_text("not a netCDF file\n")
    other = tmp_path / "other.nc"
    xr.Dataset({"x": ("a", [1.0, 2.0])}).to_netcdf(other)
    ds, _, _ = example_results
    missing = optimiser.write_results(ds.drop_vars("capacity"), tmp_path / "missing.nc")
    for path, message in ((text, "not a readable netCDF"), (other, "not a results file"), (missing, "capacity"),
                          (tmp_path / "absent.nc", "no such results file")):
        for argv in (["schedule", str(path), "--out", str(tmp_path / "out")], ["export", str(path), "--out", str(tmp_path / "x.csv")],
                     ["compare", str(example_file), str(path), "--out", str(tmp_path / "cmp")]):
            assert main(argv) == 3, argv
            err = capsys.readouterr().err
            assert message in err and "Traceback" not in err, (argv, err)
    with pytest.raises(ResultsFileError, match="capacity"):
        pp.make_schedule(ds.drop_vars("capacity"))
    with pytest.raises(PostprocessError, match="not a results dataset"):
        pp.make_schedule(xr.Dataset({"capacity": ("technology", [1.0])}))
    with pytest.raises(PostprocessError, match="no optimal solution"):
        pp.make_schedule(xr.Dataset(attrs={"optimiser_results": 1, "optimal": 0, "status": "Infeasible"}))
    with pytest.raises(PostprocessError, match="--by"):
        pp.make_schedule(ds, by="province")
    with pytest.raises(SystemExit) as exit_info:
        main(["schedule", str(example_file), "--format", "pdf"])
    assert exit_info.value.code == 2
    assert "unknown table format pdf" in capsys.readouterr().err


# --------------------------------------------------------------------------- browser


def test_report_renders_in_headless_chromium(schedule_out, tmp_path):
    if CHROMIUM is None:
        pytest.skip("chromium is not installed (apt-get install chromium); CI installs it in .ci/run")
    report = schedule_out / "report.html"
    shot = tmp_path / "report.png"
    command = [
        CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", f"--user-data-dir={tmp_path / 'profile'}", "--enable-logging=stderr", "--v=0",
        f"--screenshot={shot}", "--window-size=1280,2000", report.resolve().as_uri(),
    ]
    result = subprocess.run(command, capture_output=True, text=True, timeout=180)
    log = result.stdout + result.stderr
    assert shot.exists() and shot.stat().st_size > 10_000, log[-3000:]
    from matplotlib import image

    pixels = image.imread(str(shot))
    assert pixels.shape[0] >= 1000 and pixels.shape[1] >= 1000
    flat = pixels.reshape(-1, pixels.shape[-1])
    assert np.ptp(flat, axis=0).max() > 0.5  # not blank
    assert len(np.unique((flat[::37] * 255).astype(np.uint8), axis=0)) > 20  # text, tables and a plot, not one colour
    console = [line for line in log.splitlines() if ":CONSOLE" in line or "Uncaught" in line or "net::ERR" in line]
    assert not console, console


def test_milestones_are_judged_as_reported():
    """Net zero is met by an interior-point solution's 2e-5 Mt (reported 0.0 Mt), not by 0.1 Mt; a 2060 non-carbon
    share of 84.96 % (reported 85.0 %) meets 85 %, 84.9 % does not; the peak must be in or before 2030."""
    import pandas as pd

    from optimiser.postprocess.milestones import compare_milestones

    def judged(**row):
        base = dict(peak_emissions_period=2030, non_carbon_share_2030=0.5, non_carbon_share_2030_period=2030,
                    non_carbon_share_2060=0.9, non_carbon_share_2060_period=2060, net_emissions_last_Mt=0.0,
                    last_period=2060, ccus_stored_last_Mt=600.0)
        table = compare_milestones(pd.DataFrame([base | row]))
        return dict(zip(table["indicator"], table["meets"]))

    assert judged(net_emissions_last_Mt=2e-5)["Net CO2 emissions, 2060"]
    assert not judged(net_emissions_last_Mt=0.1)["Net CO2 emissions, 2060"]
    assert judged(non_carbon_share_2060=0.8496)["Non-carbon share of electricity generation, 2060"]
    assert not judged(non_carbon_share_2060=0.849)["Non-carbon share of electricity generation, 2060"]
    assert judged(peak_emissions_period=2030)["CO2 emissions peak"] and not judged(peak_emissions_period=2035)["CO2 emissions peak"]
