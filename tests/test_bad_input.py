"""Bad input, one class of mistake per test, as a new user makes it: ``optimiser validate`` (and ``run``) must exit
with status 2 (or 0 with a warning, where the value is only implausible), print no traceback, and name the file,
the line and the column (or the setting) and what was expected.

The commands run in-process through :func:`optimiser.cli.main` (``python -m optimiser`` is ``main()`` and nothing
else), so an exception escaping the command would fail the test; the output is also checked for a traceback.
Line numbers are computed from the edited file itself.
"""

from __future__ import annotations

import gzip
import zipfile
from pathlib import Path

import pytest

from casebuilder import EXAMPLE, copy_example, replace

from optimiser import load_case
from optimiser.cli import main

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def case(tmp_path) -> Path:
    return copy_example(tmp_path)


def command(capsys, *args) -> tuple[int, str, str]:
    """Exit status, stdout and stderr of ``optimiser ARGS``; fails if it raised or printed a traceback."""
    status = main([str(arg) for arg in args])
    captured = capsys.readouterr()
    assert "Traceback" not in captured.out + captured.err, captured.err
    return status, captured.out, captured.err


def line_of(path: Path, start: str, encoding: str = "utf-8") -> int:
    found = [n for n, line in enumerate(path.read_text(encoding=encoding).splitlines(), start=1) if line.startswith(start)]
    assert len(found) == 1, found
    return found[0]


def reported(stderr: str, where: str, *expected: str) -> str:
    """The one line of stderr that starts (after '- ') with ``where`` and contains every fragment of ``expected``."""
    lines = [line.strip()[2:] for line in stderr.splitlines() if line.strip().startswith(f"- {where}")]
    assert len(lines) == 1, f"expected one line starting {where!r} in:\n{stderr}"
    for fragment in expected:
        assert fragment in lines[0], f"{fragment!r} not in {lines[0]!r}"
    return lines[0]


def invalid(capsys, case: Path, n_errors: int = 1) -> str:
    status, out, err = command(capsys, "validate", case)
    assert status == 2, out + err
    assert f"{n_errors} error(s) in input case" in err, err
    assert "is valid" not in out
    return err


# --------------------------------------------------------------------------- files that are not CSV text


def test_non_utf8_bytes_name_line_column_and_encoding(case, capsys):
    """A name typed in a Latin-1 (Windows) editor: the bytes are not UTF-8."""
    path = case / "regions.csv"
    path.write_text(path.read_text().replace("Central (load centre)", "Centre-Est (zone de démand)"), encoding="latin-1")
    err = invalid(capsys, case)
    line = line_of(path, "central,", encoding="latin-1")
    reported(err, f"regions.csv, line {line}, column 'name': got 'Centre-Est (zone de démand)'", "expected UTF-8 text", "0xE9",
             "Windows-1252", "'é'", "CSV UTF-8", "1 line(s)")


def test_byte_order_mark_is_tolerated(case):
    """Excel's 'CSV UTF-8' starts the file with a byte-order mark: read as UTF-8, the first column keeps its name."""
    path = case / "regions.csv"
    path.write_text(path.read_text(), encoding="utf-8-sig")
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")
    assert load_case(case).regions == ["north", "central", "south"]


@pytest.mark.parametrize(
    "content, found, fix",
    [
        ("xlsx", "a zip archive, such as an Excel workbook (.xlsx)", "save it as 'CSV UTF-8 (comma delimited)'"),
        ("utf16", "UTF-16 text", "CSV UTF-8"),
        ("nul", "binary data", "CSV UTF-8"),
        ("gzip", "gzip-compressed data", ".csv.gz"),
    ],
)
def test_file_that_is_not_text(case, capsys, content, found, fix):
    """An Excel workbook saved with a .csv name (and other binary content) is named as what it is."""
    path = case / "demand.csv"
    if content == "xlsx":
        with zipfile.ZipFile(path, "w") as workbook:
            workbook.writestr("xl/workbook.xml", "<workbook/>")
    elif content == "utf16":
        path.write_text(path.read_text(), encoding="utf-16")
    elif content == "nul":
        path.write_bytes(b"carrier,region\x00\x00\x01\x02")
    else:
        path.write_bytes(gzip.compress(path.read_bytes()))
    err = invalid(capsys, case)
    reported(err, f"demand.csv: got '{found}", "expected a CSV text file", fix)


def test_semicolon_separated_file_says_so(case, capsys):
    """European Excel writes ';' between values (and ',' as decimal mark)."""
    path = case / "demand.csv"
    path.write_text(path.read_text().replace(",", ";"))
    err = invalid(capsys, case)
    reported(err, "demand.csv, line 1: got 'carrier;region;period;demand_TWh'", "separated by ','", "';' (semicolon) as separator",
             "decimal mark")


def test_tab_separated_file_says_so(case, capsys):
    path = case / "capacities.csv"
    path.write_text(path.read_text().replace(",", "\t"))
    err = invalid(capsys, case)
    reported(err, "capacities.csv, line 1", "tabs as separator")


def test_row_longer_than_the_header(case, capsys):
    """A decimal comma (or an unquoted comma in a note) adds a value the header has no column for."""
    replace(case, "demand.csv", "electricity,central,2030,660", "electricity,central,2030,660,5")
    err = invalid(capsys, case)
    line = line_of(case / "demand.csv", "electricity,central,2030")
    reported(err, f"demand.csv, line {line}: got 'electricity,central,2030,660,5'", "at most 4 values", "got 5", "decimal comma", "quote")


def test_trailing_comma_on_every_line_is_not_a_shifted_table(case, capsys):
    """pandas would read the first column as an index and shift the others: a blank column name is reported."""
    path = case / "capacities.csv"
    path.write_text("".join(line + ",\n" for line in path.read_text().splitlines()))
    err = invalid(capsys, case)
    reported(err, "capacities.csv, line 1", "a name for every column", "trailing ','")


def test_header_line_missing(case, capsys):
    """The first line is data: one error saying so, not one per 'unknown column'."""
    path = case / "demand.csv"
    path.write_text("\n".join(path.read_text().splitlines()[1:]) + "\n")
    err = invalid(capsys, case)
    reported(err, "demand.csv, line 1: got 'electricity,north,2020,300'", "a header line naming the columns", "none of them")


def test_column_name_twice_in_the_header(case, capsys):
    """pandas would rename the second 'period' to 'period.1' and read on."""
    replace(case, "demand.csv", "carrier,region,period,demand_TWh", "carrier,region,period,period")
    err = invalid(capsys, case)
    reported(err, "demand.csv, line 1, column 'period'", "each column name once", "2 times")


def test_empty_file(case, capsys):
    (case / "technologies.csv").write_text("")
    err = invalid(capsys, case)
    reported(err, "technologies.csv", "a header line")


# --------------------------------------------------------------------------- numbers


@pytest.mark.parametrize(
    "bad, expected",
    [("1e400", "too large for a double"), ("1e300", "smaller than 1e+15 in magnitude")],
)
def test_number_too_large_is_caught_before_the_solver(case, capsys, bad, expected):
    """1e400 is infinity as a double; 1e300 is one, but HiGHS would take it for infinity (or refuse the model)."""
    replace(case, "demand.csv", "electricity,central,2030,660", f"electricity,central,2030,{bad}")
    err = invalid(capsys, case)
    line = line_of(case / "demand.csv", "electricity,central,2030")
    reported(err, f"demand.csv, line {line}, column 'demand_TWh': got '{bad}'", "expected a number >= 0", expected)


def test_implausible_value_is_a_warning_naming_file_line_column_and_range(case, capsys):
    """Demand in GWh instead of TWh: accepted (exit 0), with a warning naming the plausible range of the column."""
    replace(case, "demand.csv", "electricity,central,2030,660", "electricity,central,2030,660000")
    status, out, err = command(capsys, "validate", case)
    assert status == 0, err
    assert "is valid" in out
    assert "1 warning(s)" in err
    line = line_of(case / "demand.csv", "electricity,central,2030")
    reported(err, f"demand.csv, line {line}, column 'demand_TWh': got '660000'", "plausible range [0, 1e5] TWh/yr", "check the unit")
    assert [w.column for w in load_case(case).warnings] == ["demand_TWh"]


def test_shipped_cases_have_no_warnings():
    """The plausible ranges of the schema hold every value of the shipped cases (China included)."""
    for name in ("example", "example_h2_ccus", "china", "china_2020"):
        assert load_case(ROOT / "inputs" / name).warnings == [], name


# --------------------------------------------------------------------------- settings


@pytest.mark.parametrize(
    "line_text, setting, expected",
    [
        ("base_year: twenty-twenty", "base_year", "expected an integer"),
        ("base_year: 2020.5", "base_year", "expected an integer"),
        ("discount_rate: 1.5", "discount_rate", "expected a number in [0.0, 1.0)"),
        ("discount_rate: five percent", "discount_rate", "expected a number in [0.0, 1.0)"),
        ("discount_rate: .inf", "discount_rate", "finite"),
        ("last_period_years: 0", "last_period_years", "expected a number > 0"),
        ("description: no", "description", "put the text in quotes"),
        ("time_aggregation: 8", "time_aggregation", "expected a mapping"),
        ("historical_periods: first", "historical_periods", "expected a list of periods"),
    ],
)
def test_setting_of_the_wrong_type_or_range(case, capsys, line_text, setting, expected):
    key = line_text.split(":")[0]
    path = case / "settings.yaml"
    lines = [line for line in path.read_text().splitlines() if not line.startswith(f"{key}:")]
    path.write_text("\n".join(lines[:3] + [line_text] + lines[3:]) + "\n")
    err = invalid(capsys, case)
    reported(err, f"settings.yaml, line {line_of(path, line_text)}, setting '{setting}'", expected)


def test_implausible_setting_is_a_warning(case, capsys):
    """A discount rate of 50 %/yr is accepted (below 1), with a warning giving the plausible range [0, 0.3]."""
    replace(case, "settings.yaml", "discount_rate: 0.05", "discount_rate: 0.5")
    status, out, err = command(capsys, "validate", case)
    assert status == 0, err
    line = line_of(case / "settings.yaml", "discount_rate:")
    reported(err, f"settings.yaml, line {line}, setting 'discount_rate': got 0.5", "plausible range [0, 0.3] 1/yr")


def test_number_written_as_text_in_yaml_is_read(case):
    """YAML 1.1 reads 1e4 (no '.') as text; a setting that must be a number takes it as the number."""
    (case / "settings.yaml").write_text((case / "settings.yaml").read_text() + "co2_budget_Mt: 1e4\n")
    assert load_case(case).settings["co2_budget_Mt"] == 10000.0


def test_duplicate_yaml_key_names_both_lines(case, capsys):
    """YAML keeps the last of two equal keys without a word; the loader reports both lines."""
    path = case / "settings.yaml"
    path.write_text(path.read_text() + "discount_rate: 0.07\n")
    err = invalid(capsys, case)
    first = path.read_text().splitlines().index("discount_rate: 0.05") + 1
    second = path.read_text().splitlines().index("discount_rate: 0.07") + 1
    reported(err, f"settings.yaml, line {second}, setting 'discount_rate'", f"also on line {first}", "each key once")


def test_duplicate_nested_yaml_key(case, capsys):
    path = case / "settings.yaml"
    path.write_text(path.read_text().replace("  threads: 1", "  threads: 1\n  threads: 2"))
    err = invalid(capsys, case)
    reported(err, f"settings.yaml, line {line_of(path, '  threads: 2')}, setting 'threads'", "each key once", f"line {line_of(path, '  threads: 1')}")


def test_yaml_syntax_error_names_the_line(case, capsys):
    path = case / "settings.yaml"
    path.write_text(path.read_text().replace("solver:\n  threads: 1", "solver:\n  threads: 1\n bad indent: 2"))
    err = invalid(capsys, case)
    reported(err, f"settings.yaml, line {line_of(path, ' bad indent')}", "valid YAML")


def test_unknown_highs_option_in_settings_gets_did_you_mean(case, capsys):
    replace(case, "settings.yaml", "  threads: 1", "  thread: 1")
    err = invalid(capsys, case)
    reported(err, f"settings.yaml, line {line_of(case / 'settings.yaml', '  thread:')}, setting 'solver.thread'",
             "unknown HiGHS option 'thread'; did you mean 'threads'?")


def test_highs_option_value_refused_by_highs(case, capsys):
    replace(case, "settings.yaml", "  threads: 1", "  threads: 1\n  solver: ipmx")
    err = invalid(capsys, case)
    reported(err, f"settings.yaml, line {line_of(case / 'settings.yaml', '  solver: ipmx')}, setting 'solver.solver': got 'ipmx'",
             "HiGHS refuses solver='ipmx'", "did you mean 'ipx' or 'ipm'?")


def test_unknown_highs_option_on_the_command_line_gets_did_you_mean(case, capsys, tmp_path):
    status, out, err = command(capsys, "run", case, "--out", tmp_path / "never.nc", "--solver-option", "time_limt=60")
    assert status == 2
    assert "solver option error: unknown HiGHS option 'time_limt'; did you mean 'time_limit'?" in err, err
    assert "case example" not in out  # refused before the case is read, let alone built
    assert not (tmp_path / "never.nc").exists()


def test_misspelt_settings_file_name(case, capsys):
    (case / "settings.yaml").rename(case / "Settings.yaml")
    err = invalid(capsys, case)
    reported(err, "settings.yaml", "found Settings.yaml", "rename it to settings.yaml")


# --------------------------------------------------------------------------- tables and file names


def test_required_table_with_a_header_and_no_rows(case, capsys):
    """demand.csv with only its header used to solve with no demand at all."""
    path = case / "demand.csv"
    path.write_text(path.read_text().splitlines()[0] + "\n")
    err = invalid(capsys, case)
    reported(err, "demand.csv", "at least one row below the header (line 1)", "a row of demand_TWh 0")


@pytest.mark.parametrize(
    "table, wrong_name, why",
    [
        ("capacity_limits.csv", "capacity_limit.csv", "the name differs"),
        ("capacity_limits.csv", "Capacity_Limits.csv", "case-sensitive"),
        ("energy_budgets.csv", "energy_budgets.txt", "the extension must be .csv"),
        ("availability.csv", "availability.xlsx", "save it as CSV"),
    ],
)
def test_misspelt_table_file_name(case, capsys, table, wrong_name, why):
    """An optional table under a wrong name was ignored without a word: the case solved without its limits."""
    (case / table).rename(case / wrong_name)
    err = invalid(capsys, case)
    reported(err, f"{wrong_name}; expected the name of a table file: did you mean {table}?", why, "not read")


def test_stray_copy_beside_the_table_is_a_warning(case, capsys):
    """demands.csv beside demand.csv: the table is read, the other file is not (said in a warning)."""
    (case / "demands.csv").write_text((case / "demand.csv").read_text())
    status, out, err = command(capsys, "validate", case)
    assert status == 0, err
    reported(err, "demands.csv; expected the name of a table file: did you mean demand.csv?", "demand.csv is")


def test_broken_link_to_a_table_is_not_a_missing_table(case, capsys):
    """A symbolic link whose target is gone: the optional table would otherwise be taken as absent (no limits)."""
    (case / "capacity_limits.csv").unlink()
    (case / "capacity_limits.csv").symlink_to(case / "no_such_file.csv")
    err = invalid(capsys, case)
    reported(err, "capacity_limits.csv: got \"FileNotFoundError", "expected a readable file")


def test_reserve_margin_area_of_unknown_regions(case, capsys):
    """Names in reserve_margins.csv's space-separated 'regions' were not checked: an unknown one was left out."""
    (case / "reserve_margins.csv").write_text("area,regions,period,margin\nnorth_plus,north nrth,,0.15\n")
    err = invalid(capsys, case)
    reported(err, "reserve_margins.csv, line 2, column 'regions': got 'north nrth'", "regions of regions.csv (unknown: nrth)")


def test_efficiency_whose_inverse_the_solver_cannot_take(case, capsys):
    """The input per unit of output is 1/efficiency: 1e-16 would put 1e16 in the matrix, which HiGHS refuses."""
    replace(case, "technology_periods.csv", "gas_ccgt,2040,2500,,90,15,0.60,", "gas_ccgt,2040,2500,,90,15,1e-16,")
    status, _, err = command(capsys, "validate", case)
    assert status == 2
    line = line_of(case / "technology_periods.csv", "gas_ccgt,2040")
    reported(err, f"technology_periods.csv, line {line}, column 'efficiency': got 1e-16", "a number above 1e-15", "inverse")


def test_column_name_typo_gets_did_you_mean(case, capsys):
    replace(case, "capacities.csv", "capacity_GW", "capacity_gw")
    err = invalid(capsys, case, n_errors=2)  # the unknown column, and the required one it was meant to be
    reported(err, "capacities.csv, line 1, column 'capacity_gw'", "did you mean 'capacity_GW'?")


# --------------------------------------------------------------------------- output paths


def test_output_path_under_a_file_is_refused_before_the_solve(tmp_path, capsys):
    """--out whose parent is a file failed with FileExistsError at the end of the run; now before the model is built."""
    blocker = tmp_path / "results"
    blocker.write_text("a file where a folder should be\n")
    out = blocker / "example.nc"
    status, stdout, err = command(capsys, "run", EXAMPLE, "--out", out)
    assert status == 2
    assert f"cannot write the results to {out}" in err
    assert f"{blocker} is a file" in err
    assert "model:" not in stdout  # nothing was built or solved
    status, _, err = command(capsys, "validate", EXAMPLE, "--out", out)
    assert status == 2 and f"{blocker} is a file" in err


def test_output_path_that_is_a_folder_or_blocks_the_schedule(tmp_path, capsys):
    (tmp_path / "run.nc").mkdir()
    status, _, err = command(capsys, "validate", EXAMPLE, "--out", tmp_path / "run.nc")
    assert status == 2 and "is a folder: --out takes a file name" in err
    (tmp_path / "other").write_text("")  # where the schedule folder of other.nc goes
    status, _, err = command(capsys, "validate", EXAMPLE, "--out", tmp_path / "other.nc")
    assert status == 2 and f"{tmp_path / 'other'} is a file, but the deployment schedule" in err
