"""The input schema: every table of a case, its columns, types, units and checks.

This module is the single source of truth for the input format.  The loader
(:mod:`optimiser.inputs`) validates against it, and ``docs/inputs.md`` documents
it table by table (``python -m optimiser.schema`` prints the tables in Markdown).

Checks.  ``bounds`` are hard: a value outside them is an error.  ``plausible`` ranges are soft: a value
outside is accepted with a warning (it is usually a unit slip, such as MW for GW or a percentage for a
fraction).  Every number must be finite and smaller in magnitude than :data:`MAX_MAGNITUDE`.

Units.  Energy carriers flow in GW and are counted in GWh per time step and TWh
per year; mass carriers (captured CO2) flow in kt/h, counted in kt and Mt.  A
column named for an energy unit carries the mass analogue for a mass carrier:
kW <-> kg/h, MWh <-> t, GW <-> kt/h, TWh <-> Mt.  Money is CNY of the case's
price year in the inputs, billion CNY in the model.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd


def python_strings():
    """Context in which case tables are read and models built: pandas' Python-backed ``str`` storage.

    Keys and column labels are short strings in small tables; joined and indexed thousands of times
    per model build, they cost about 40 % less with the Python storage than with the Arrow one pandas
    picks by default (same dtype, same values; measured in benchmarks/RESULTS.md).
    """
    return pd.option_context("mode.string_storage", "python")


#: largest magnitude of any number in a case: beyond it HiGHS no longer tells a number from infinity (it treats bounds
#: >= 1e20 as infinite and refuses matrix coefficients >= 1e15), and 1e400 is not even a double
MAX_MAGNITUDE = 1e15

YEARS = (1900, 2200)  # plausible calendar years
LIFETIMES = (1, 150)  # plausible lifetimes, years
RATES = (0, 0.3)  # plausible discount rates and costs of capital, 1/yr


def describe(kind: str, bounds: tuple | None = None, choices: tuple | None = None) -> str:
    """Human-readable description of a valid value of a column or setting."""
    if choices:
        return "one of " + ", ".join(repr(c) for c in choices)
    if kind == "bool":
        return "true or false"
    if kind in ("int", "float") and bounds:
        low, low_inc, high, high_inc = bounds
        noun = "an integer" if kind == "int" else "a number"
        if low is not None and high is not None:
            return f"{noun} in {'[' if low_inc else '('}{low}, {high}{']' if high_inc else ')'}"
        if low is not None:
            return f"{noun} {'>=' if low_inc else '>'} {low}"
        return f"{noun} {'<=' if high_inc else '<'} {high}"
    return {
        "int": "an integer",
        "float": "a number",
        "str": "a non-empty name",
        "text": "text",
        "mapping": "a mapping (indented 'key: value' lines below the setting)",
        "periods": "a list of periods, e.g. [2020]",
        "files": "a list of file paths, e.g. [my_rules.py]",
    }[kind]


def outside(values, bounds: tuple):
    """Where numeric ``values`` (scalar or array) lie outside ``bounds`` = (low, low_inclusive, high, high_inclusive)."""
    low, low_inc, high, high_inc = bounds
    out = False
    if low is not None:
        out = out | ((values < low) if low_inc else (values <= low))
    if high is not None:
        out = out | ((values > high) if high_inc else (values >= high))
    return out


def short_number(value: float) -> str:
    """1e+05 -> '1e5', 8784.0 -> '8784', 0.3 -> '0.3' (for ranges in messages and docs)."""
    if value and abs(value) >= 1e4:
        exponent = math.floor(math.log10(abs(value)))
        mantissa = value / 10**exponent
        if mantissa == round(mantissa):
            return f"{int(round(mantissa))}e{exponent}"
    return f"{value:g}"


def plausible_text(plausible: tuple | None, unit: str = "") -> str:
    if not plausible:
        return ""
    low, high = plausible
    unit = "" if unit in ("", "1") else f" {unit}"
    return f"[{short_number(low)}, {short_number(high)}]{unit}"


@dataclass(frozen=True)
class Column:
    """One column of an input table."""

    name: str
    kind: str  # "str", "int", "float" or "bool"
    doc: str
    unit: str = ""
    required: bool = True
    default: object = None
    #: numeric range as (low, low_inclusive, high, high_inclusive); None = open
    bounds: tuple | None = None
    #: name of the set the value must belong to ("region", "technology", ...)
    ref: str | None = None
    #: allowed values for a string column
    choices: tuple | None = None
    #: blanks stay missing on loading and are interpolated across periods; ``default`` fills what remains
    interpolated: bool = False
    #: plausible range (low, high), both inclusive: a value outside is accepted with a warning; None = no warning
    plausible: tuple | None = None

    def expected(self) -> str:
        """Human-readable description of a valid value."""
        return describe(self.kind, self.bounds, self.choices)


@dataclass(frozen=True)
class Table:
    """One CSV table of a case."""

    name: str
    doc: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    required: bool = True

    @property
    def file(self) -> str:
        return f"{self.name}.csv"

    def column(self, name: str) -> Column:
        for column in self.columns:
            if column.name == name:
                return column
        raise KeyError(name)


NONNEGATIVE = (0.0, True, None, False)
POSITIVE = (0.0, False, None, False)
FRACTION = (0.0, True, 1.0, True)  # [0, 1]
EFFICIENCY = (0.0, False, 1.0, True)  # (0, 1]
LOSS = (0.0, True, 1.0, False)  # [0, 1)

TECHNOLOGY_TYPES = ("conversion", "storage")
CARRIER_UNITS = ("GW", "kt/h")
CARBON_ENDS = ("power", "consumption", "sequestration")

TABLES: tuple[Table, ...] = (
    Table(
        "periods",
        "Investment periods. Each period stands for the years until the next one "
        "(the last one for `last_period_years` of the settings).",
        (
            Column("period", "int", "First year of the investment period; strictly increasing.", "year", plausible=YEARS),
            Column(
                "co2_cap_Mt",
                "float",
                "Cap on national net annual CO2 emissions (modelled technologies + exogenous emissions - "
                "ecosystem sinks; removals by BECCS and DAC count negative); blank = no cap.",
                "Mt CO2/yr",
                required=False, plausible=(-1e4, 1e5),
            ),
            Column(
                "exogenous_emissions_Mt",
                "float",
                "CO2 emitted by sectors outside the model (industry processes, transport, buildings); counted "
                "against the cap.",
                "Mt CO2/yr",
                required=False,
                default=0.0,
                bounds=NONNEGATIVE, plausible=(0, 1e5),
            ),
            Column(
                "ecosystem_sink_Mt",
                "float",
                "CO2 taken up by ecosystem sinks (forests, soils, ...); subtracted from emissions under the cap.",
                "Mt CO2/yr",
                required=False,
                default=0.0,
                bounds=NONNEGATIVE, plausible=(0, 1e5),
            ),
            Column(
                "co2_tax_CNY_per_t",
                "float",
                "Tax on net CO2 emissions.",
                "CNY/t CO2",
                required=False,
                default=0.0,
                bounds=NONNEGATIVE, plausible=(0, 1e4),
            ),
        ),
        key=("period",),
    ),
    Table(
        "regions",
        "Regions (nodes). Every carrier with a balance has one balance per region and time step.",
        (
            Column("region", "str", "Region code."),
            Column("name", "str", "Full name.", required=False, default=""),
            Column("latitude", "float", "Centroid latitude.", "degrees north", required=False, bounds=(-90, True, 90, True)),
            Column("longitude", "float", "Centroid longitude.", "degrees east", required=False, bounds=(-180, True, 180, True)),
        ),
        key=("region",),
    ),
    Table(
        "carriers",
        "Carriers (electricity, fuels, hydrogen, captured CO2, ...).",
        (
            Column("carrier", "str", "Carrier name."),
            Column(
                "unit",
                "str",
                "Flow unit: `GW` for energy carriers, `kt/h` for mass carriers.",
                required=False,
                default="GW",
                choices=CARRIER_UNITS,
            ),
            Column(
                "balance",
                "bool",
                "true: the carrier has a supply = demand balance in every region and time step; "
                "false: it is bought from outside the model at `fuel_prices` (coal, gas, uranium, biomass).",
                required=False,
                default=True,
            ),
            Column(
                "co2_content_t_per_MWh",
                "float",
                "CO2 released when one MWh of the carrier is consumed as an input (t/MWh; t/t for mass carriers).",
                "t CO2/MWh",
                required=False,
                default=0.0,
                bounds=NONNEGATIVE, plausible=(0, 5),
            ),
            Column(
                "biogenic",
                "bool",
                "true: the CO2 content was taken from the air (biomass); burning it emits nothing net and "
                "capturing it is a removal.",
                required=False,
                default=False,
            ),
        ),
        key=("carrier",),
    ),
    Table(
        "fuel_prices",
        "Prices of carriers without a balance, by period (and optionally by region).",
        (
            Column("carrier", "str", "Carrier without a balance.", ref="carrier"),
            Column("period", "int", "Investment period.", "year", ref="period"),
            Column("region", "str", "Region; blank = every region.", required=False, default="", ref="region"),
            Column("price_CNY_per_MWh", "float", "Price of the carrier.", "CNY/MWh", bounds=NONNEGATIVE, plausible=(0, 1e4)),
        ),
        key=("carrier", "period", "region"),
        required=False,
    ),
    Table(
        "technologies",
        "Technologies: static attributes. A `conversion` technology turns its input carrier (if any) "
        "into its output carrier; its capacity and activity are measured on the output. A `storage` "
        "technology stores its output carrier, with power capacity on discharge.",
        (
            Column("technology", "str", "Technology name."),
            Column("type", "str", "Technology type.", choices=TECHNOLOGY_TYPES),
            Column(
                "carrier_out",
                "str",
                "Output carrier (stored carrier for storage, which must have a balance). A conversion output "
                "without a balance leaves the modelled system (for example CO2 injected into geological storage).",
                ref="carrier",
            ),
            Column(
                "carrier_in",
                "str",
                "Input carrier of a conversion technology; blank = an ambient resource (wind, sun, water).",
                required=False,
                default="",
                ref="carrier",
            ),
            Column("lifetime_years", "float", "Technical and economic lifetime.", "years", bounds=POSITIVE, plausible=LIFETIMES),
            Column(
                "wacc",
                "float",
                "Weighted average cost of capital for the annuity; blank = the settings' discount rate.",
                "1/yr",
                required=False,
                bounds=(0.0, True, 1.0, False), plausible=RATES,
            ),
            Column("expandable", "bool", "May new capacity be built?", required=False, default=True),
            Column(
                "min_load_fraction",
                "float",
                "Minimum output as a fraction of installed capacity in every time step (LP must-run).",
                "1",
                required=False,
                default=0.0,
                bounds=FRACTION,
            ),
            Column(
                "availability_max",
                "float",
                "Constant availability for technologies without an `availability` profile.",
                "1",
                required=False,
                default=1.0,
                bounds=FRACTION,
            ),
            Column(
                "duration_h",
                "float",
                "Storage only: fixed energy-to-power ratio; blank = energy capacity chosen freely.",
                "h",
                required=False,
                bounds=POSITIVE, plausible=(0, 1e4),
            ),
            Column(
                "efficiency_charge",
                "float",
                "Storage only: charging efficiency.",
                "1",
                required=False,
                default=1.0,
                bounds=EFFICIENCY, plausible=(0.1, 1),
            ),
            Column(
                "efficiency_discharge",
                "float",
                "Storage only: discharging efficiency.",
                "1",
                required=False,
                default=1.0,
                bounds=EFFICIENCY, plausible=(0.1, 1),
            ),
            Column(
                "standing_loss_per_h",
                "float",
                "Storage only: fraction of the stored energy lost per hour.",
                "1/h",
                required=False,
                default=0.0,
                bounds=LOSS, plausible=(0, 0.1),
            ),
            Column(
                "seasonal",
                "bool",
                "Storage only: true = long-duration storage whose state of charge is carried across the chronological "
                "sequence of representative periods (days), see `time_aggregation`; false = it cycles within each "
                "representative period.",
                required=False,
                default=False,
            ),
            Column(
                "end",
                "str",
                "End of the carbon balance the technology's emissions count in; blank = power if it outputs "
                "electricity, sequestration if it outputs captured CO2, else consumption.",
                required=False,
                default="",
                choices=CARBON_ENDS,
            ),
            Column(
                "early_retirement",
                "bool",
                "May existing capacity (capacities.csv, committed_capacity.csv) be retired before the end of its life when "
                "keeping it costs more than it is worth (it then saves its fixed O&M)? Never in a historical period.",
                required=False,
                default=False,
            ),
            Column(
                "firm_capacity_credit",
                "float",
                "Share of installed (power) capacity that counts as firm towards a reserve margin (reserve_margins.csv); "
                "blank = none.",
                "1",
                required=False,
                default=0.0,
                bounds=FRACTION,
            ),
            Column("description", "str", "Free text.", required=False, default=""),
        ),
        key=("technology",),
    ),
    Table(
        "technology_periods",
        "Technology parameters by period. Capital costs apply to capacity built in that period; "
        "O&M, efficiency and capture rate to operation in that period. Periods missing for a "
        "technology, and blank cells, are interpolated linearly between the periods given and held constant "
        "beyond the first and last; a column left blank for every period takes its default.",
        (
            Column("technology", "str", "Technology.", ref="technology"),
            Column("period", "int", "Investment period.", "year", ref="period"),
            Column("capex_CNY_per_kW", "float", "Overnight capital cost of power capacity.", "CNY/kW", required=False, default=0.0, bounds=NONNEGATIVE, interpolated=True, plausible=(0, 1e6)),
            Column(
                "capex_energy_CNY_per_kWh",
                "float",
                "Storage only: overnight capital cost of energy capacity.",
                "CNY/kWh",
                required=False,
                default=0.0,
                bounds=NONNEGATIVE,
                interpolated=True, plausible=(0, 1e5),
            ),
            Column("fom_CNY_per_kW_yr", "float", "Fixed operation and maintenance cost.", "CNY/kW/yr", required=False, default=0.0, bounds=NONNEGATIVE, interpolated=True, plausible=(0, 1e5)),
            Column("vom_CNY_per_MWh", "float", "Variable O&M cost per MWh of output.", "CNY/MWh", required=False, default=0.0, bounds=NONNEGATIVE, interpolated=True, plausible=(0, 1e4)),
            Column(
                "efficiency",
                "float",
                "Output per unit of input (conversion with an input carrier); must lie in (0, 1] when "
                "input and output share a unit.",
                "MWh/MWh",
                required=False,
                default=1.0,
                bounds=POSITIVE,
                interpolated=True, plausible=(0.01, 100),
            ),
            Column(
                "capture_rate",
                "float",
                "Share of the CO2 content of the inputs that is captured into the captured-CO2 carrier.",
                "1",
                required=False,
                default=0.0,
                bounds=FRACTION,
                interpolated=True,
            ),
        ),
        key=("technology", "period"),
    ),
    Table(
        "technology_flows",
        "Additional flows of a conversion technology per unit of its output: positive = a further "
        "output (a by-product), negative = a further input.",
        (
            Column("technology", "str", "Technology.", ref="technology"),
            Column("carrier", "str", "Carrier of the additional flow.", ref="carrier"),
            Column("flow_per_output", "float", "Flow per unit of output (signed).", "MWh/MWh", plausible=(-10, 10)),
        ),
        key=("technology", "carrier"),
        required=False,
    ),
    Table(
        "capacities",
        "Existing capacity by build year; it retires at build_year + lifetime_years.",
        (
            Column("technology", "str", "Technology.", ref="technology"),
            Column("region", "str", "Region.", ref="region"),
            Column("build_year", "int", "Commissioning year.", "year", plausible=YEARS),
            Column("capacity_GW", "float", "Power capacity (output flow).", "GW", bounds=NONNEGATIVE, plausible=(0, 1e4)),
            Column(
                "energy_capacity_GWh",
                "float",
                "Storage only: energy capacity; blank = duration_h x capacity.",
                "GWh",
                required=False,
                bounds=NONNEGATIVE, plausible=(0, 1e5),
            ),
        ),
        key=("technology", "region", "build_year"),
        required=False,
    ),
    Table(
        "committed_capacity",
        "Capacity already built or under construction after the fleet of `capacities.csv` (e.g. the record since the "
        "base year, units under construction): it stands like existing capacity, from the first period at or after its "
        "build year until build_year + lifetime_years, and the optimiser cannot un-build it; new capacity is added on top. "
        "Every row names its source.",
        (
            Column("technology", "str", "Technology.", ref="technology"),
            Column("region", "str", "Region.", ref="region"),
            Column("build_year", "int", "Year in service (expected year for capacity under construction).", "year", plausible=YEARS),
            Column("capacity_GW", "float", "Power capacity (output flow).", "GW", bounds=NONNEGATIVE, plausible=(0, 1e4)),
            Column("energy_capacity_GWh", "float", "Storage only: energy capacity; blank = duration_h x capacity.", "GWh",
                   required=False, bounds=NONNEGATIVE, plausible=(0, 1e5)),
            Column("status", "str", "in_service or under_construction.", choices=("in_service", "under_construction")),
            Column("source", "str", "Where the figure comes from (publisher, document, table or page)."),
        ),
        key=("technology", "region", "build_year", "status"),
        required=False,
    ),
    Table(
        "capacity_limits",
        "Limits on installed and newly built capacity. Blank period = every period. A technology whose "
        "`capacity_max_GW` is 0 in a region in every period does not exist there.",
        (
            Column("technology", "str", "Technology.", ref="technology"),
            Column("region", "str", "Region.", ref="region"),
            Column("period", "int", "Period; blank = every period.", "year", required=False, ref="period"),
            Column("capacity_min_GW", "float", "Minimum installed capacity.", "GW", required=False, bounds=NONNEGATIVE, plausible=(0, 1e5)),
            Column("capacity_max_GW", "float", "Maximum installed capacity (potential).", "GW", required=False, bounds=NONNEGATIVE, plausible=(0, 1e5)),
            Column("capacity_new_max_GW", "float", "Maximum capacity built in the period (build rate).", "GW", required=False, bounds=NONNEGATIVE, plausible=(0, 1e5)),
        ),
        key=("technology", "region", "period"),
        required=False,
    ),
    Table(
        "time_steps",
        "Time steps of one model year (the same in every period). `weight_h` is the number of hours of "
        "the year a step stands for (weights normally sum to the 8760 hours of a year; another total, as in a hand-made test system, scales operation against the annualised investment); `duration_h` its chronological "
        "length for storage; steps in the same `representative_period` form one cyclic sequence.",
        (
            Column("time", "int", "Time step number, increasing in chronological order."),
            Column("weight_h", "float", "Hours of the year the step stands for.", "h", bounds=POSITIVE, plausible=(0, 8784)),
            Column("duration_h", "float", "Chronological length of the step.", "h", required=False, default=1.0, bounds=POSITIVE, plausible=(0, 8784)),
            Column(
                "representative_period",
                "int",
                "Cyclic group (for example a representative day).",
                required=False,
                default=0,
            ),
        ),
        key=("time",),
    ),
    Table(
        "demand",
        "Exogenous annual demand of a carrier per region and period.",
        (
            Column("carrier", "str", "Carrier with a balance.", ref="carrier"),
            Column("region", "str", "Region.", ref="region"),
            Column("period", "int", "Period.", "year", ref="period"),
            Column("demand_TWh", "float", "Annual demand.", "TWh/yr", bounds=NONNEGATIVE, plausible=(0, 1e5)),
        ),
        key=("carrier", "region", "period"),
    ),
    Table(
        "demand_profiles",
        "Shape of demand over the time steps (relative; normalised so that the weighted sum over the "
        "year gives the annual demand). Missing = flat.",
        (
            Column("carrier", "str", "Carrier.", ref="carrier"),
            Column("region", "str", "Region.", ref="region"),
            Column("time", "int", "Time step.", ref="time"),
            Column("profile", "float", "Relative demand.", "1", bounds=NONNEGATIVE),
        ),
        key=("carrier", "region", "time"),
        required=False,
    ),
    Table(
        "availability",
        "Hourly availability (capacity factor) of variable technologies per region.",
        (
            Column("technology", "str", "Technology.", ref="technology"),
            Column("region", "str", "Region.", ref="region"),
            Column("time", "int", "Time step.", ref="time"),
            Column("availability", "float", "Available output per unit of capacity.", "1", bounds=FRACTION),
        ),
        key=("technology", "region", "time"),
        required=False,
    ),
    Table(
        "energy_budgets",
        "Output budget (reservoir hydro inflow, biomass supply) per technology, region and period: for the year, or, "
        "with a `month`, for that calendar month (inflow seasonality; needs time steps with a calendar: a chronological "
        "year or a time aggregation).",
        (
            Column("technology", "str", "Technology.", ref="technology"),
            Column("region", "str", "Region.", ref="region"),
            Column("period", "int", "Period; blank = every period.", "year", required=False, ref="period"),
            Column("month", "int", "Calendar month 1-12; blank = the whole year.", required=False, bounds=(1, True, 12, True)),
            Column("energy_max_TWh", "float", "Maximum output in the year (or in the month).", "TWh", bounds=NONNEGATIVE, plausible=(0, 1e5)),
        ),
        key=("technology", "region", "period", "month"),
        required=False,
    ),
    Table(
        "minimum_loads",
        "Seasonal must-run: minimum output as a share of installed capacity in the time steps of a calendar month (e.g. "
        "heat-led combined heat and power in the heating season). A time step standing for days of several months gets "
        "the hours-weighted mean of their minima; the larger of this and `min_load_fraction` applies.",
        (
            Column("technology", "str", "Technology.", ref="technology"),
            Column("region", "str", "Region.", ref="region"),
            Column("month", "int", "Calendar month 1-12.", bounds=(1, True, 12, True)),
            Column("min_load_fraction", "float", "Minimum output / installed capacity.", "1", bounds=FRACTION),
            Column("source", "str", "Where the figure comes from.", required=False, default=""),
        ),
        key=("technology", "region", "month"),
        required=False,
    ),
    Table(
        "reserve_margins",
        "Capacity adequacy: in each area and period, firm capacity (installed capacity x `firm_capacity_credit` of "
        "technologies.csv, in the area's regions, plus firm capacity moved in from other areas over electricity corridors, "
        "less what it sends out; at most `import_credit` x a corridor's capacity) at least (1 + margin) x the area's "
        "coincident peak of exogenous electricity demand over the hours of the full year (also when the time is aggregated: "
        "representative days and segments flatten peaks, the planning rule holds against the year's highest load).",
        (
            Column("area", "str", "Area name: a region, or a group of regions named in `regions`."),
            Column("regions", "str", "Regions of the area, separated by spaces; blank = the area is the region of that name.",
                   required=False, default=""),
            Column("period", "int", "Period; blank = every period.", "year", required=False, ref="period"),
            Column("margin", "float", "Reserve margin over the peak.", "1", bounds=(0.0, True, 1.0, True), plausible=(0, 0.5)),
            Column("import_credit", "float", "Share of a corridor's capacity over which firm capacity may move into or out of the area.", "1",
                   required=False, default=0.0, bounds=FRACTION),
            Column("source", "str", "Where the margin comes from.", required=False, default=""),
        ),
        key=("area", "period"),
        required=False,
    ),
    Table(
        "cumulative_limits",
        "Limits on a technology's output summed over the whole horizon (each period's annual output x the "
        "years it stands for), e.g. the capacity of a geological CO2 store (Mt) or a finite fuel resource.",
        (
            Column("technology", "str", "Technology.", ref="technology"),
            Column("region", "str", "Region.", ref="region"),
            Column("cumulative_max_TWh", "float", "Maximum total output over the horizon (Mt for mass carriers).", "TWh", bounds=NONNEGATIVE, plausible=(0, 1e7)),
        ),
        key=("technology", "region"),
        required=False,
    ),
    Table(
        "regional_co2_caps",
        "Caps on the net CO2 emissions of the modelled technologies in one region.",
        (
            Column("region", "str", "Region.", ref="region"),
            Column("period", "int", "Period.", "year", ref="period"),
            Column("co2_cap_Mt", "float", "Cap on the region's net emissions of modelled technologies.", "Mt CO2/yr", plausible=(-1e4, 1e5)),
        ),
        key=("region", "period"),
        required=False,
    ),
    Table(
        "corridors",
        "Transmission corridors of any carrier with a balance; flows both ways, losses at the receiving end.",
        (
            Column("corridor", "str", "Corridor name."),
            Column("carrier", "str", "Carrier transported.", ref="carrier"),
            Column("region_from", "str", "One end.", ref="region"),
            Column("region_to", "str", "Other end.", ref="region"),
            Column("length_km", "float", "Route length.", "km", bounds=POSITIVE, plausible=(0, 2e4)),
            Column("capacity_GW", "float", "Existing capacity (each direction).", "GW", required=False, default=0.0, bounds=NONNEGATIVE, plausible=(0, 1e4)),
            Column("build_year", "int", "Commissioning year of the existing capacity; blank = base year.", "year", required=False, plausible=YEARS),
            Column("loss_per_1000km", "float", "Share of the flow lost per 1000 km.", "1/1000 km", required=False, default=0.0, bounds=LOSS, plausible=(0, 0.2)),
            Column("capex_CNY_per_kW_km", "float", "Overnight cost of new capacity.", "CNY/kW/km", required=False, default=0.0, bounds=NONNEGATIVE, plausible=(0, 1e3)),
            Column("fom_fraction", "float", "Fixed O&M as a share of capex per year.", "1/yr", required=False, default=0.0, bounds=FRACTION, plausible=(0, 0.2)),
            Column("lifetime_years", "float", "Lifetime of corridor capacity.", "years", required=False, default=40.0, bounds=POSITIVE, plausible=LIFETIMES),
            Column("wacc", "float", "Cost of capital; blank = the settings' discount rate.", "1/yr", required=False, bounds=(0.0, True, 1.0, False), plausible=RATES),
            Column("expandable", "bool", "May the corridor be expanded?", required=False, default=True),
            Column("capacity_max_GW", "float", "Maximum capacity.", "GW", required=False, bounds=NONNEGATIVE, plausible=(0, 1e4)),
        ),
        key=("corridor",),
        required=False,
    ),
    Table(
        "committed_corridors",
        "Corridor capacity already built or under construction after the capacity of `corridors.csv`: it stands from "
        "the first period at or after its build year for the corridor's lifetime, and cannot be un-built.",
        (
            Column("corridor", "str", "Corridor of corridors.csv.", ref="corridor"),
            Column("build_year", "int", "Year in service (expected year for capacity under construction).", "year", plausible=YEARS),
            Column("capacity_GW", "float", "Capacity added (each direction).", "GW", bounds=NONNEGATIVE, plausible=(0, 1e4)),
            Column("status", "str", "in_service or under_construction.", choices=("in_service", "under_construction")),
            Column("source", "str", "Where the figure comes from (publisher, document, table or page)."),
        ),
        key=("corridor", "build_year", "status"),
        required=False,
    ),
    Table(
        "corridor_build_limits",
        "Build rate of corridors: the capacity of one carrier's corridors built in a period, all corridors together "
        "(a national transmission plan, or what an industry can build in five years). Blank period = every period; a "
        "row with a period overrides it. Historical periods build nothing anyway.",
        (
            Column("carrier", "str", "Carrier of the corridors.", ref="carrier"),
            Column("period", "int", "Period; blank = every period.", "year", required=False, ref="period"),
            Column("capacity_new_max_GW", "float", "Most corridor capacity built in the period, summed over the carrier's corridors (each direction).",
                   "GW", bounds=NONNEGATIVE, plausible=(0, 1e5)),
            Column("source", "str", "Where the figure comes from (publisher, document, table or page)."),
        ),
        key=("carrier", "period"),
        required=False,
    ),
    Table(
        "references",
        "Figures the results are held against in the report's credibility table (not model inputs): statistics of the "
        "record, milestones, ranges of published studies. The model's value of `quantity` over `technologies` in "
        "`period` is set beside `value` (or the range `low`..`high`) and checked against `tolerance` where one is given.",
        (
            Column("quantity", "str", "What is compared.", choices=(
                "capacity", "generation", "generation_share", "co2_power", "co2_net", "co2_captured", "co2_stored",
                "hydrogen_production", "price_co2", "generation_total",
            )),
            Column("technologies", "str", "Technologies summed, separated by spaces (capacity, generation, generation_share); "
                   "blank = all that make electricity.", required=False, default=""),
            Column("period", "int", "Period.", "year", ref="period"),
            Column("value", "float", "The reference figure (or the middle of a range).", required=False),
            Column("low", "float", "Low end of a range; alone: the model should reach at least this.", required=False),
            Column("high", "float", "High end of a range; alone: the model should stay at or below this.", required=False),
            Column("unit", "str", "Unit: GW, TWh/yr, %, Mt CO2/yr, Mt H2/yr, CNY/t.", choices=("GW", "TWh/yr", "%", "Mt CO2/yr", "Mt H2/yr", "CNY/t")),
            Column("tolerance", "float", "Accepted difference, in the unit for % (percentage points) and in per cent of the value "
                   "otherwise; blank = no check, shown only.", required=False, bounds=NONNEGATIVE),
            Column("kind", "str", "record (statistics), milestone (policy target) or study (published pathway).",
                   choices=("record", "milestone", "study")),
            Column("label", "str", "Short name of the reference (e.g. 'NEA 2024', 'Tsinghua ICCSD 2°C').", required=False, default=""),
            Column("source", "str", "Citation a reader can check (publisher, document, table or page, URL)."),
        ),
        key=("quantity", "technologies", "period", "kind", "label"),
        required=False,
    ),
)

TABLE_BY_NAME = {table.name: table for table in TABLES}


@dataclass(frozen=True)
class Setting:
    """One key of settings.yaml, checked by type and range like a column (:func:`describe`).

    The same vocabulary as the columns (kind, bounds, plausible) rather than a second mechanism such as a pydantic
    model: one checker, messages in the tables' format (file, line, setting, value, expected), and warnings, which
    pydantic has no notion of."""

    name: str
    doc: str
    default: object = None
    unit: str = ""
    #: "text", "int", "float", "mapping", "periods" (an integer or a list of them) or "files" (a path or a list of them)
    kind: str = "text"
    #: hard range as for :class:`Column` (an error outside)
    bounds: tuple | None = None
    #: soft range (low, high): a warning outside
    plausible: tuple | None = None

    def expected(self) -> str:
        return describe(self.kind, self.bounds)


SETTINGS: tuple[Setting, ...] = (
    Setting("name", "Case name (used for result file names).", "case"),
    Setting("description", "Free text.", ""),
    Setting(
        "base_case",
        "Folder (relative to this case) whose settings and tables this case inherits; tables present here replace "
        "the base's tables whole, settings here override the base's.",
        None,
    ),
    Setting("currency", "Currency and price year of all money inputs.", "CNY (2020)"),
    Setting("base_year", "Year to which costs are discounted; default = first period.", None, "year", kind="int", plausible=YEARS),
    Setting("discount_rate", "Social discount rate.", 0.05, "1/yr", kind="float", bounds=(0.0, True, 1.0, False), plausible=RATES),
    Setting(
        "last_period_years",
        "Years the last period stands for; default = the spacing of the last two periods.",
        None,
        "years",
        kind="float",
        bounds=(0.0, False, None, False),
        plausible=(1, 100),
    ),
    Setting(
        "value_of_lost_load_CNY_per_MWh",
        "If set, demand may go unserved at this cost (per carrier with a balance); blank = demand must be met.",
        None,
        "CNY/MWh",
        kind="float",
        bounds=(0.0, True, None, False),
        plausible=(1e3, 1e6),
    ),
    Setting(
        "lost_load_periods",
        "Where `value_of_lost_load_CNY_per_MWh` lets demand go unserved: `all` periods, or only the `historical` ones "
        "(`historical_periods`: the recorded fleet may have fallen short, as it did in rationing; in the pathway demand "
        "must be met).",
        "all",
    ),
    Setting(
        "tie_break_capex_CNY_per_kW",
        "Capex (annuitised like any other) given to capacity that has neither capex nor fixed O&M, so that "
        "interior-point solutions without crossover report the capacity needed instead of an arbitrary point of a "
        "cost-free range; 0 = none.",
        0.0,
        "CNY/kW",
        kind="float",
        bounds=(0.0, True, None, False),
        plausible=(0, 100),
    ),
    Setting("co2_captured_carrier", "Carrier that receives captured CO2 (needed if any capture_rate > 0).", None),
    Setting(
        "co2_budget_Mt",
        "Cumulative cap on national net CO2 emissions over the horizon (sum of annual net emissions x period years); blank = none.",
        None,
        "Mt CO2",
        kind="float",
        plausible=(-1e5, 1e7),
    ),
    Setting("electricity_carrier", "Name of the electricity carrier (for the power end of the carbon balance).", "electricity"),
    Setting("hydrogen_carrier", "Name of the hydrogen carrier (for hydrogen results).", "hydrogen"),
    Setting(
        "time_aggregation",
        "Aggregation of an hourly year before solving: `{method: representative_days, days: 8}` (days clustered "
        "by tsam; options `hours` or `segments`, `extreme_days: {peak_net_load, low_renewables}`, `net_load: {fleet, "
        "technologies}`, `cluster: hierarchical|kmedoids`, `representation: medoid|distribution`, `seed`; section 6.5), `{method: downsample, hours: 3}` "
        "(average consecutive hours) or `{method: none}`; blank = the time steps as given.",
        None,
        kind="mapping",
    ),
    Setting("solver", "HiGHS options (for example threads, solver, time_limit).", None, kind="mapping"),
    Setting(
        "historical_periods",
        "Leading periods that are history (e.g. `[2020]`): their capacity is the recorded fleet (no investment, no "
        "retirement but by lifetime), their dispatch is optimised on it, and their costs are reported apart "
        "(`objective_historical`); blank = none.",
        None,
        kind="periods",
    ),
    Setting(
        "foresight",
        "`perfect`: all periods solved at once; `myopic`: one period at a time, each seeing only its own; `rolling`: "
        "windows of `foresight_window` periods, each keeping the decisions of its first `foresight_step` periods. Capacity "
        "built by earlier windows stands by vintage; the objective is that of the stitched pathway over the whole horizon "
        "(docs/model.md, section 12).",
        "perfect",
    ),
    Setting(
        "foresight_window",
        "Periods each window solves with `foresight: rolling` (required there; blank otherwise).",
        None,
        "periods",
        kind="int",
        bounds=(1, True, None, False),
    ),
    Setting(
        "foresight_step",
        "Periods whose decisions each window keeps with `foresight: rolling` (at most `foresight_window`; the last window "
        "keeps all it solves); blank = 1.",
        1,
        "periods",
        kind="int",
        bounds=(1, True, None, False),
    ),
    Setting(
        "method",
        "`monolithic`: the whole programme in one HiGHS solve; `benders`: Benders decomposition into a master of "
        "investment and budget decisions and one operational subproblem per period and block of representative periods, "
        "solved in parallel (options in `benders`; docs/model.md, section 13). Needs `foresight: perfect`.",
        "monolithic",
    ),
    Setting(
        "benders",
        "Options of `method: benders`: `gap` (relative, default 0.001), `max_iterations` (500), `time_limit` (s), "
        "`level` (level-set parameter in (0, 1), 0.5), `regularisation` (`level_set` or `none`), `days_per_block` (1), "
        "`executor` (`processes`, `serial` or `dask`), `workers` (2), `scheduler` (a Dask scheduler address), `penalty` "
        "(bn CNY per unit of a master value a block cannot meet; default 100 x the largest master cost), `checkpoint` "
        "(true: cuts written beside the results each iteration, and a rerun resumes from them), `level_solver` (ipx), "
        "`relax` (true: an equality coupling row is held one-sided where a master column provably takes up its slack), "
        "`start` (`myopic`: the first point is the case's myopic pathway, a feasible plan, so the first iteration gives an "
        "upper bound; blank: the master LP's first vertex), `relaxation` (`day`, the default, `block` or `typical_day`: a "
        "copy of each block's operation aggregated in time, one step per representative day, per block or one typical day, "
        "kept in the master as a lower bound of the block's cost; `none`: the floors and cuts only).",
        None,
        kind="mapping",
    ),
    Setting(
        "extensions",
        "Python files (paths relative to the case folder) whose function `extend(model)` adds constraints, variables "
        "or objective terms to the Pyomo model before it is solved (docs/extending.md); blank = none.",
        None,
        kind="files",
    ),
)


def markdown() -> str:
    """Render the schema as Markdown (used for docs/inputs.md)."""
    lines = []
    for table in TABLES:
        lines.append(f"### `{table.file}`{'' if table.required else ' (optional)'}\n")
        lines.append(table.doc + "\n")
        lines.append(f"Key: {', '.join('`' + k + '`' for k in table.key)}.\n")
        lines.append("| column | type | unit | required | default | valid values | plausible (warning outside) | meaning |")
        lines.append("|---|---|---|---|---|---|---|---|")
        for c in table.columns:
            valid = c.expected()
            if c.ref:
                valid = f"a {c.ref} of the case"
            default = "" if c.default in (None, "") else str(c.default)
            if c.interpolated:
                default += " (blanks interpolated)"
            lines.append(
                f"| `{c.name}` | {c.kind} | {c.unit} | {'yes' if c.required else 'no'} | {default} | {valid} | {plausible_text(c.plausible)} | {c.doc} |"
            )
        lines.append("")
    return "\n".join(lines)


def settings_markdown() -> str:
    """The settings of settings.yaml as a Markdown table."""
    rows = ["| setting | unit | default | valid values | plausible (warning outside) | meaning |", "|---|---|---|---|---|---|"]
    for setting in SETTINGS:
        default = "the folder name" if setting.name == "name" else ("" if setting.default in (None, "") else f"`{setting.default}`")
        rows.append(
            f"| `{setting.name}` | {setting.unit} | {default} | {setting.expected()} | {plausible_text(setting.plausible)} | {setting.doc} |"
        )
    return "\n".join(rows)


def refresh_inputs_doc(text: str) -> str:
    """docs/inputs.md with its generated parts (between BEGIN/END markers) rebuilt from this schema."""
    import re

    text = re.sub(
        r"(<!-- BEGIN settings[^\n]*-->\n).*?(<!-- END settings -->)", lambda m: m.group(1) + settings_markdown() + "\n" + m.group(2), text, flags=re.S
    )
    return re.sub(
        r"(<!-- BEGIN tables[^\n]*-->\n).*?(<!-- END tables -->)", lambda m: m.group(1) + "\n" + markdown().rstrip() + "\n\n" + m.group(2), text, flags=re.S
    )


if __name__ == "__main__":
    import sys
    from pathlib import Path

    if sys.argv[1:2] == ["--write"]:  # python -m optimiser.schema --write docs/inputs.md
        target = Path(sys.argv[2])
        target.write_text(refresh_inputs_doc(target.read_text()))
    else:
        print(markdown())
