"""Input validation: broken copies of inputs/example must fail with precise, complete messages.

Every test breaks a copy of the example case (``copy_example``) and checks that
:func:`optimiser.load_case` raises :class:`optimiser.InputError` whose issues name
the file, the CSV line (header = line 1), the column, the bad value and a sensible
expectation.  Line numbers are computed from the edited file itself, so the tests
check the loader's arithmetic instead of repeating it.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import yaml

from casebuilder import append, copy_example, replace

from optimiser import InputError, load_case


# --------------------------------------------------------------------------- helpers


def line_of(case: Path, file: str, start: str) -> int:
    """1-based line number of the only line of ``file`` that starts with ``start``."""
    lines = (case / file).read_text().splitlines()
    found = [number for number, line in enumerate(lines, start=1) if line.startswith(start)]
    assert len(found) == 1, f"{start!r} found on lines {found} of {file}"
    return found[0]


def issues_of(case: Path) -> list:
    with pytest.raises(InputError) as caught:
        load_case(case)
    error = caught.value
    assert error.issues, "InputError without issues"
    # the report names every issue, one per line, and says how many there are
    report = error.report()
    assert report.startswith(f"{len(error.issues)} error(s)")
    assert len(report.splitlines()) == len(error.issues) + 1
    return error.issues


def listing(issues) -> str:
    return "\n".join(f"  {issue!r}" for issue in issues)


def find(issues, file: str, column: str | None = None, row: int | None = None, **kwargs):
    """The one issue of ``file`` (and ``column``/``row`` if given); fails with the full list otherwise."""
    matches = [
        issue
        for issue in issues
        if issue.file == file
        and (column is None or issue.column == column)
        and (row is None or issue.row == row)
    ]
    assert len(matches) == 1, f"expected one issue for {file}, column {column}, row {row}; got:\n{listing(issues)}"
    return matches[0]


def check(issue, *, row="any", value="any", expected: tuple[str, ...] = ()) -> None:
    if row != "any":
        assert issue.row == row, f"row {issue.row} != {row}: {issue}"
    if value != "any":
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            assert float(issue.value) == pytest.approx(value), f"value {issue.value!r} != {value!r}: {issue}"
        else:
            assert issue.value == value, f"value {issue.value!r} != {value!r}: {issue}"
    for fragment in expected:
        assert fragment in issue.expected, f"{fragment!r} not in expectation {issue.expected!r}"


@pytest.fixture
def case(tmp_path) -> Path:
    return copy_example(tmp_path)


# --------------------------------------------------------------------------- the example itself


def test_example_is_valid(case):
    loaded = load_case(case)
    assert loaded.summary()["regions"] == 3
    assert loaded.periods == [2020, 2030, 2040]


def test_documentation_columns_are_accepted(case):
    frame = pd.read_csv(case / "technologies.csv", dtype=str, keep_default_na=False)
    frame["source"] = "a report"
    frame["Notes"] = "free text, any case"
    frame.to_csv(case / "technologies.csv", index=False)
    loaded = load_case(case)
    assert "source" not in loaded["technologies"].columns  # documentation only, never read by the model


# --------------------------------------------------------------------------- unknown names


def test_unknown_region(case):
    replace(case, "capacities.csv", "coal,central,2015,25", "coal,centrl,2015,25")
    issues = issues_of(case)
    assert len(issues) == 1, listing(issues)
    issue = find(issues, "capacities.csv", "region")
    check(issue, row=line_of(case, "capacities.csv", "coal,centrl"), value="centrl", expected=("region", "regions.csv"))


def test_unknown_technology(case):
    replace(case, "technology_periods.csv", "solar,2030,", "solr,2030,")
    issue = find(issues_of(case), "technology_periods.csv", "technology")
    check(issue, row=line_of(case, "technology_periods.csv", "solr,2030"), value="solr", expected=("technology", "technologies.csv"))


def test_unknown_carriers_in_two_tables_are_reported_together(case):
    replace(case, "technologies.csv", "gas_ccgt,conversion,electricity,gas,", "gas_ccgt,conversion,electricity,lng,")
    replace(case, "demand.csv", "electricity,south,2030,", "electrcity,south,2030,")
    issues = issues_of(case)
    assert len(issues) == 2, listing(issues)
    check(
        find(issues, "technologies.csv", "carrier_in"),
        row=line_of(case, "technologies.csv", "gas_ccgt,"),
        value="lng",
        expected=("carrier", "carriers.csv"),
    )
    check(
        find(issues, "demand.csv", "carrier"),
        row=line_of(case, "demand.csv", "electrcity,"),
        value="electrcity",
        expected=("carrier", "carriers.csv"),
    )


# --------------------------------------------------------------------------- missing columns and tables


def test_missing_required_column(case):
    frame = pd.read_csv(case / "demand.csv", dtype=str, keep_default_na=False)
    frame.drop(columns="demand_TWh").to_csv(case / "demand.csv", index=False)
    issues = issues_of(case)
    assert len(issues) == 1, listing(issues)
    check(find(issues, "demand.csv", "demand_TWh"), row=1, value=None, expected=("demand_TWh",))


def test_missing_required_table(case):
    (case / "time_steps.csv").unlink()
    issues = issues_of(case)
    assert len(issues) == 1, listing(issues)
    issue = find(issues, "time_steps.csv")
    check(issue, row=None, value=None, expected=("required", "exist"))
    assert issue.column is None


def test_missing_optional_table_is_fine(case):
    (case / "energy_budgets.csv").unlink()
    load_case(case)


def test_column_typo_in_optional_column(case):
    replace(case, "capacity_limits.csv", "capacity_new_max_GW", "capacity_new_max_gw")
    issues = issues_of(case)
    assert len(issues) == 1, listing(issues)
    # the expectation lists the valid spelling
    check(find(issues, "capacity_limits.csv", "capacity_new_max_gw"), row=1, value=None, expected=("capacity_new_max_GW", "note"))


def test_column_typo_in_required_column_names_both_spellings(case):
    replace(case, "technologies.csv", "lifetime_years", "lifetime_yaers")
    issues = issues_of(case)
    check(find(issues, "technologies.csv", "lifetime_yaers"), row=1, expected=("lifetime_years",))
    check(find(issues, "technologies.csv", "lifetime_years"), row=1, expected=("lifetime_years",))


# --------------------------------------------------------------------------- bounds


def test_negative_capacity(case):
    replace(case, "capacities.csv", "coal,central,2015,25", "coal,central,2015,-25")
    issues = issues_of(case)
    assert len(issues) == 1, listing(issues)
    check(
        find(issues, "capacities.csv", "capacity_GW"),
        row=line_of(case, "capacities.csv", "coal,central,2015"),
        value="-25",
        expected=(">= 0",),
    )


def test_negative_cost(case):
    replace(case, "technology_periods.csv", "solar,2030,2600,", "solar,2030,-2600,")
    replace(case, "fuel_prices.csv", "gas,2040,,250", "gas,2040,,-250")
    issues = issues_of(case)
    assert len(issues) == 2, listing(issues)
    check(
        find(issues, "technology_periods.csv", "capex_CNY_per_kW"),
        row=line_of(case, "technology_periods.csv", "solar,2030"),
        value="-2600",
        expected=(">= 0",),
    )
    check(
        find(issues, "fuel_prices.csv", "price_CNY_per_MWh"),
        row=line_of(case, "fuel_prices.csv", "gas,2040"),
        value="-250",
        expected=(">= 0",),
    )


def test_efficiency_above_one_for_same_unit_conversion(case):
    replace(case, "technology_periods.csv", "coal,2040,3500,,110,20,0.42,", "coal,2040,3500,,110,20,1.2,")
    issues = issues_of(case)
    assert len(issues) == 1, listing(issues)
    check(
        find(issues, "technology_periods.csv", "efficiency"),
        row=line_of(case, "technology_periods.csv", "coal,2040"),
        value=1.2,
        expected=("(0, 1]", "coal", "electricity"),
    )


@pytest.mark.parametrize("bad", ["0", "-0.4"])
def test_efficiency_not_positive(case, bad):
    replace(case, "technology_periods.csv", "gas_ccgt,2040,2500,,90,15,0.60,", f"gas_ccgt,2040,2500,,90,15,{bad},")
    issues = issues_of(case)
    assert len(issues) == 1, listing(issues)
    check(
        find(issues, "technology_periods.csv", "efficiency"),
        row=line_of(case, "technology_periods.csv", "gas_ccgt,2040"),
        value=bad,
        expected=("> 0",),
    )


def test_availability_outside_unit_interval(case):
    replace(case, "availability.csv", "wind,north,1,0.4817", "wind,north,1,1.4817")
    replace(case, "availability.csv", "wind,north,2,0.4691", "wind,north,2,-0.1")
    issues = issues_of(case)
    assert len(issues) == 2, listing(issues)
    for start, value in (("wind,north,1,", "1.4817"), ("wind,north,2,", "-0.1")):
        row = line_of(case, "availability.csv", start)
        check(find(issues, "availability.csv", "availability", row=row), value=value, expected=("[0", "1"))


def test_capacity_min_above_capacity_max_in_one_row(case):
    replace(case, "capacity_limits.csv", "solar,north,,,200,", "solar,north,,250,200,")
    issues = issues_of(case)
    assert len(issues) == 1, listing(issues)
    check(
        find(issues, "capacity_limits.csv", "capacity_min_GW"),
        row=line_of(case, "capacity_limits.csv", "solar,north"),
        value=250,
        expected=("at most", "max", "200"),
    )


def test_capacity_min_above_capacity_max_across_rows(case):
    """A period-specific minimum above the every-period maximum that applies in the same period."""
    append(case, "capacity_limits.csv", "solar,north,2030,250,,")
    issues = issues_of(case)
    assert len(issues) == 1, listing(issues)
    check(
        find(issues, "capacity_limits.csv", "capacity_min_GW"),
        row=line_of(case, "capacity_limits.csv", "solar,north,2030"),
        value=250,
        expected=("at most", "max", "2030", "200"),
    )


# --------------------------------------------------------------------------- order, keys, blanks, types


def test_periods_not_increasing(case):
    # swap the 2030 and 2040 rows: every reference still resolves, only the order is wrong
    lines = (case / "periods.csv").read_text().splitlines()
    i2030 = next(i for i, line in enumerate(lines) if line.startswith("2030,"))
    i2040 = next(i for i, line in enumerate(lines) if line.startswith("2040,"))
    lines[i2030], lines[i2040] = lines[i2040], lines[i2030]
    (case / "periods.csv").write_text("\n".join(lines) + "\n")
    issues = issues_of(case)
    assert len(issues) == 1, listing(issues)
    check(
        find(issues, "periods.csv", "period"),
        row=line_of(case, "periods.csv", "2030,"),
        value=2030,
        expected=("2040", "increasing"),
    )


def test_duplicated_key(case):
    append(case, "technology_periods.csv", "coal,2020,3600,,110,20,0.40,")
    issues = issues_of(case)
    assert len(issues) == 1, listing(issues)
    issue = issues[0]
    assert issue.file == "technology_periods.csv"
    # the second occurrence is reported (the last line of the file)
    assert issue.row == len((case / "technology_periods.csv").read_text().splitlines())
    assert "technology" in issue.column and "period" in issue.column
    assert [str(v) for v in issue.value] == ["coal", "2020"]
    assert "duplicated" in issue.expected


def test_duplicated_period(case):
    append(case, "periods.csv", "2040,400,0")
    issues = issues_of(case)
    assert len(issues) == 1, listing(issues)
    check(issues[0], row=5, expected=("once", "duplicated"))
    assert issues[0].file == "periods.csv"


def test_blank_in_required_numeric_column(case):
    replace(case, "demand.csv", "electricity,central,2030,660", "electricity,central,2030,")
    issues = issues_of(case)
    assert len(issues) == 1, listing(issues)
    check(
        find(issues, "demand.csv", "demand_TWh"),
        row=line_of(case, "demand.csv", "electricity,central,2030"),
        value="",
        expected=("required", "number"),
    )


def test_blank_in_required_name_column(case):
    replace(case, "capacities.csv", "gas_ccgt,central,2015,10", "gas_ccgt,,2015,10")
    issues = issues_of(case)
    assert len(issues) == 1, listing(issues)
    check(
        find(issues, "capacities.csv", "region"),
        row=line_of(case, "capacities.csv", "gas_ccgt,"),
        value="",
        expected=("required",),
    )


@pytest.mark.parametrize("bad", ["NaN", "nan", "inf"])
def test_nan_or_infinite_in_required_column(case, bad):
    replace(case, "demand.csv", "electricity,central,2030,660", f"electricity,central,2030,{bad}")
    issues = issues_of(case)
    assert len(issues) == 1, listing(issues)
    check(
        find(issues, "demand.csv", "demand_TWh"),
        row=line_of(case, "demand.csv", "electricity,central,2030"),
        value=bad,
        expected=("number",),
    )


def test_non_numeric_value(case):
    replace(case, "demand.csv", "electricity,central,2030,660", "electricity,central,2030,lots")
    replace(case, "capacities.csv", "coal,south,2005,30", "coal,south,2005,30GW")
    issues = issues_of(case)
    assert len(issues) == 2, listing(issues)
    check(
        find(issues, "demand.csv", "demand_TWh"),
        row=line_of(case, "demand.csv", "electricity,central,2030"),
        value="lots",
        expected=("number",),
    )
    check(
        find(issues, "capacities.csv", "capacity_GW"),
        row=line_of(case, "capacities.csv", "coal,south"),
        value="30GW",
        expected=("number",),
    )


def test_fractional_year(case):
    replace(case, "capacities.csv", "coal,central,2015,25", "coal,central,2015.5,25")
    check(
        find(issues_of(case), "capacities.csv", "build_year"),
        row=line_of(case, "capacities.csv", "coal,central,2015.5"),
        value="2015.5",
        expected=("integer",),
    )


def test_bad_choice_and_bool(case):
    replace(case, "technologies.csv", "battery,storage,", "battery,storge,")
    replace(case, "carriers.csv", "gas,GW,false,", "gas,GW,maybe,")
    issues = issues_of(case)
    assert len(issues) == 2, listing(issues)
    check(find(issues, "technologies.csv", "type"), value="storge", expected=("'conversion'", "'storage'"))
    check(find(issues, "carriers.csv", "balance"), value="maybe", expected=("true or false",))


# --------------------------------------------------------------------------- settings


def test_unknown_setting(case):
    replace(case, "settings.yaml", "discount_rate:", "discount_rat:")
    issues = issues_of(case)
    assert len(issues) == 1, listing(issues)
    issue = find(issues, "settings.yaml", "discount_rat")
    check(issue, row=line_of(case, "settings.yaml", "discount_rat:"), value=0.05, expected=("did you mean 'discount_rate'?", "known setting"))


def test_bad_setting_value(case):
    settings = yaml.safe_load((case / "settings.yaml").read_text())
    settings["discount_rate"] = -0.01
    settings["solver"] = "fast"
    (case / "settings.yaml").write_text(yaml.safe_dump(settings))
    issues = issues_of(case)
    assert len(issues) == 2, listing(issues)
    check(find(issues, "settings.yaml", "discount_rate"), row=line_of(case, "settings.yaml", "discount_rate:"), value=-0.01, expected=("[0.0, 1.0)",))
    check(find(issues, "settings.yaml", "solver"), row=line_of(case, "settings.yaml", "solver:"), value="fast", expected=("mapping",))


# --------------------------------------------------------------------------- consistency between tables


def test_corridor_carrier_without_balance(case):
    replace(case, "corridors.csv", "south-central,electricity,", "south-central,gas,")
    issues = issues_of(case)
    assert len(issues) == 1, listing(issues)
    check(
        find(issues, "corridors.csv", "carrier"),
        row=line_of(case, "corridors.csv", "south-central"),
        value="gas",
        expected=("balance",),
    )


def test_technology_consuming_unpriced_fuel(case):
    lines = (case / "fuel_prices.csv").read_text().splitlines()
    (case / "fuel_prices.csv").write_text("\n".join(line for line in lines if not line.startswith("uranium")) + "\n")
    issues = issues_of(case)
    assert len(issues) == 1, listing(issues)
    issue = find(issues, "fuel_prices.csv", "carrier")
    check(issue, row=None, value="uranium", expected=("uranium", "price", "balance"))


def test_no_fuel_prices_table_at_all(case):
    (case / "fuel_prices.csv").unlink()
    issues = issues_of(case)
    assert sorted(issue.value for issue in issues) == ["coal", "gas", "uranium"], listing(issues)
    assert all(issue.file == "fuel_prices.csv" for issue in issues)


def test_regional_fuel_price_leaves_other_regions_unpriced(case):
    """Region-specific prices only: the other regions would silently get the fuel for free."""
    replace(case, "fuel_prices.csv", "uranium,2020,,25", "uranium,2020,south,25")
    issues = issues_of(case)
    assert len(issues) == 1, listing(issues)
    issue = find(issues, "fuel_prices.csv", "carrier")
    check(issue, value="uranium", expected=("central", "north"))
    assert "south" not in issue.expected.split("none for")[-1].split(";")[0], issue.expected


# --------------------------------------------------------------------------- several errors at once


def test_several_errors_in_several_files_are_reported_together(case):
    replace(case, "capacities.csv", "coal,central,2015,25", "coal,central,2015,-25")
    replace(case, "demand.csv", "electricity,central,2030,660", "electricity,central,2030,lots")
    replace(case, "availability.csv", "wind,north,1,0.4817", "wind,north,1,1.4817")
    replace(case, "settings.yaml", "discount_rate:", "discount_rat:")
    (case / "time_steps.csv").unlink()
    issues = issues_of(case)
    assert len(issues) == 5, listing(issues)
    find(issues, "capacities.csv", "capacity_GW", row=line_of(case, "capacities.csv", "coal,central,2015"))
    find(issues, "demand.csv", "demand_TWh", row=line_of(case, "demand.csv", "electricity,central,2030"))
    find(issues, "availability.csv", "availability", row=line_of(case, "availability.csv", "wind,north,1,"))
    find(issues, "settings.yaml", "discount_rat")
    find(issues, "time_steps.csv")


def test_report_renders_file_line_column_value_and_expectation(case):
    replace(case, "capacities.csv", "coal,central,2015,25", "coal,central,2015,-25")
    with pytest.raises(InputError) as caught:
        load_case(case)
    line = line_of(case, "capacities.csv", "coal,central,2015")
    text = str(caught.value)
    assert str(case) in text
    assert f"capacities.csv, line {line}, column 'capacity_GW': got '-25'; expected a number >= 0" in text


def test_not_a_folder(tmp_path):
    with pytest.raises(InputError) as caught:
        load_case(tmp_path / "no_such_case")
    assert "case folder" in caught.value.issues[0].expected


def test_errors_of_different_kinds_are_reported_together(case):
    """A bad value in one table does not hide an unknown name in another."""
    replace(case, "capacities.csv", "coal,central,2015,25", "coal,central,2015,-25")
    replace(case, "demand.csv", "electricity,north,2030,", "electricity,nrth,2030,")
    issues = issues_of(case)
    assert len(issues) == 2, listing(issues)
    find(issues, "capacities.csv", "capacity_GW", row=line_of(case, "capacities.csv", "coal,central,2015"))
    check(find(issues, "demand.csv", "region"), row=line_of(case, "demand.csv", "electricity,nrth"), value="nrth")


def test_missing_table_does_not_cascade(case):
    """Without time_steps.csv every time in availability and demand_profiles is unknown: one issue, not hundreds."""
    (case / "time_steps.csv").unlink()
    replace(case, "demand.csv", "electricity,north,2030,", "electricity,nrth,2030,")
    issues = issues_of(case)
    assert len(issues) == 2, listing(issues)
    find(issues, "time_steps.csv")
    find(issues, "demand.csv", "region")


def test_line_numbers_count_comment_and_blank_lines(case):
    """Comment and blank lines count: the reported line is the line an editor shows."""
    replace(case, "capacities.csv", "coal,north,1995", "# existing fleet, 2020\n\ncoal,north,1995")
    replace(case, "capacities.csv", "coal,central,2015,25", "coal,central,2015,-25")
    issue = find(issues_of(case), "capacities.csv", "capacity_GW")
    check(issue, row=line_of(case, "capacities.csv", "coal,central,2015"), value="-25")


# --------------------------------------------------------------------------- silent gaps (validation misses them)


def test_hash_inside_a_value_keeps_the_rest_of_the_line(case):
    frame = pd.read_csv(case / "technologies.csv", dtype=str, keep_default_na=False)
    frame.insert(list(frame.columns).index("min_load_fraction"), "note", "")
    frame.loc[frame["technology"] == "nuclear", "note"] = "PWR #2"
    frame.to_csv(case / "technologies.csv", index=False)
    assert "PWR #2," in (case / "technologies.csv").read_text()  # unquoted, as a spreadsheet writes it
    nuclear = load_case(case)["technologies"].set_index("technology").loc["nuclear"]
    assert nuclear["min_load_fraction"] == pytest.approx(0.5)
    assert nuclear["availability_max"] == pytest.approx(0.9)


def test_minimum_capacity_where_the_technology_cannot_exist(case):
    append(case, "capacity_limits.csv", "hydro,north,2030,5,,")
    issues = issues_of(case)
    check(
        find(issues, "capacity_limits.csv", "capacity_min_GW"),
        row=line_of(case, "capacity_limits.csv", "hydro,north"),
        value=5,
    )


def test_all_zero_demand_profile_with_positive_demand(case):
    frame = pd.read_csv(case / "demand_profiles.csv", dtype=str, keep_default_na=False)
    frame.loc[frame["region"] == "north", "profile"] = "0"
    frame.to_csv(case / "demand_profiles.csv", index=False)
    issues = issues_of(case)
    issue = next((i for i in issues if i.file in ("demand_profiles.csv", "demand.csv")), None)
    assert issue is not None, listing(issues)
    assert "north" in str(issue.value) + issue.expected


def test_value_errors_do_not_hide_consistency_errors(case):
    replace(case, "capacities.csv", "coal,central,2015,25", "coal,central,2015,-25")
    replace(case, "corridors.csv", "south-central,electricity,", "south-central,gas,")
    issues = issues_of(case)
    find(issues, "capacities.csv", "capacity_GW")
    find(issues, "corridors.csv", "carrier")


def test_issue_in_inherited_table_names_the_base_folder(tmp_path):
    base = copy_example(tmp_path)
    replace(base, "capacities.csv", "coal,central,2015,25", "coal,central,2015,-25")
    derived = tmp_path / "derived"
    derived.mkdir()
    (derived / "settings.yaml").write_text("base_case: ../example\nname: derived\n")
    issues = issues_of(derived)
    assert len(issues) == 1, listing(issues)
    assert issues[0].row == line_of(base, "capacities.csv", "coal,central,2015")
    assert "example/capacities.csv" in str(issues[0]), str(issues[0])


def test_inherited_case_without_errors_loads(tmp_path):
    copy_example(tmp_path)
    derived = tmp_path / "derived"
    derived.mkdir()
    (derived / "settings.yaml").write_text("base_case: ../example\nname: derived\n")
    (derived / "periods.csv").write_text("period,co2_cap_Mt\n2020,\n2030,800\n2040,300\n")
    case = load_case(derived)
    assert case.name == "derived"
    assert case["periods"]["co2_cap_Mt"].tolist()[1:] == [800, 300]
    assert case.summary()["technologies"] == load_case(tmp_path / "example").summary()["technologies"]


def test_docs_inputs_md_matches_the_schema():
    """docs/inputs.md's generated tables are up to date (refresh: python -m optimiser.schema --write docs/inputs.md)."""
    from pathlib import Path

    from optimiser.schema import refresh_inputs_doc

    path = Path(__file__).resolve().parent.parent / "docs" / "inputs.md"
    text = path.read_text()
    assert refresh_inputs_doc(text) == text, "run: python -m optimiser.schema --write docs/inputs.md"
