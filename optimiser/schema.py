"""The input schema: every table of a case, its columns, types, units and checks.

This module is the single source of truth for the input format.  The loader
(:mod:`optimiser.inputs`) validates against it, and ``docs/inputs.md`` documents
it table by table (``python -m optimiser.schema`` prints the tables in Markdown).

Units.  Energy carriers flow in GW and are counted in GWh per time step and TWh
per year; mass carriers (captured CO2) flow in kt/h, counted in kt and Mt.  A
column named for an energy unit carries the mass analogue for a mass carrier:
kW <-> kg/h, MWh <-> t, GW <-> kt/h, TWh <-> Mt.  Money is CNY of the case's
price year in the inputs, billion CNY in the model.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd


def python_strings():
    """Context in which case tables are read and models built: pandas' Python-backed ``str`` storage.

    Keys and column labels are short strings in small tables; joined and indexed thousands of times
    per model build, they cost about 40 % less with the Python storage than with the Arrow one pandas
    picks by default (same dtype, same values; measured in benchmarks/RESULTS.md).
    """
    return pd.option_context("mode.string_storage", "python")


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

    def expected(self) -> str:
        """Human-readable description of a valid value."""
        if self.choices:
            return "one of " + ", ".join(repr(c) for c in self.choices)
        if self.kind == "bool":
            return "true or false"
        if self.kind in ("int", "float") and self.bounds:
            low, low_inc, high, high_inc = self.bounds
            noun = "an integer" if self.kind == "int" else "a number"
            if low is not None and high is not None:
                return f"{noun} in {'[' if low_inc else '('}{low}, {high}{']' if high_inc else ')'}"
            if low is not None:
                return f"{noun} {'>=' if low_inc else '>'} {low}"
            return f"{noun} {'<=' if high_inc else '<'} {high}"
        return {"int": "an integer", "float": "a number", "str": "a non-empty name"}[self.kind]


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
            Column("period", "int", "First year of the investment period; strictly increasing.", "year"),
            Column(
                "co2_cap_Mt",
                "float",
                "Cap on national net annual CO2 emissions (modelled technologies + exogenous emissions - "
                "ecosystem sinks; removals by BECCS and DAC count negative); blank = no cap.",
                "Mt CO2/yr",
                required=False,
            ),
            Column(
                "exogenous_emissions_Mt",
                "float",
                "CO2 emitted by sectors outside the model (industry processes, transport, buildings); counted "
                "against the cap.",
                "Mt CO2/yr",
                required=False,
                default=0.0,
                bounds=NONNEGATIVE,
            ),
            Column(
                "ecosystem_sink_Mt",
                "float",
                "CO2 taken up by ecosystem sinks (forests, soils, ...); subtracted from emissions under the cap.",
                "Mt CO2/yr",
                required=False,
                default=0.0,
                bounds=NONNEGATIVE,
            ),
            Column(
                "co2_tax_CNY_per_t",
                "float",
                "Tax on net CO2 emissions.",
                "CNY/t CO2",
                required=False,
                default=0.0,
                bounds=NONNEGATIVE,
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
                bounds=NONNEGATIVE,
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
            Column("price_CNY_per_MWh", "float", "Price of the carrier.", "CNY/MWh", bounds=NONNEGATIVE),
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
            Column("lifetime_years", "float", "Technical and economic lifetime.", "years", bounds=POSITIVE),
            Column(
                "wacc",
                "float",
                "Weighted average cost of capital for the annuity; blank = the settings' discount rate.",
                "1/yr",
                required=False,
                bounds=(0.0, True, 1.0, False),
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
                bounds=POSITIVE,
            ),
            Column(
                "efficiency_charge",
                "float",
                "Storage only: charging efficiency.",
                "1",
                required=False,
                default=1.0,
                bounds=EFFICIENCY,
            ),
            Column(
                "efficiency_discharge",
                "float",
                "Storage only: discharging efficiency.",
                "1",
                required=False,
                default=1.0,
                bounds=EFFICIENCY,
            ),
            Column(
                "standing_loss_per_h",
                "float",
                "Storage only: fraction of the stored energy lost per hour.",
                "1/h",
                required=False,
                default=0.0,
                bounds=LOSS,
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
            Column("capex_CNY_per_kW", "float", "Overnight capital cost of power capacity.", "CNY/kW", required=False, default=0.0, bounds=NONNEGATIVE, interpolated=True),
            Column(
                "capex_energy_CNY_per_kWh",
                "float",
                "Storage only: overnight capital cost of energy capacity.",
                "CNY/kWh",
                required=False,
                default=0.0,
                bounds=NONNEGATIVE,
                interpolated=True,
            ),
            Column("fom_CNY_per_kW_yr", "float", "Fixed operation and maintenance cost.", "CNY/kW/yr", required=False, default=0.0, bounds=NONNEGATIVE, interpolated=True),
            Column("vom_CNY_per_MWh", "float", "Variable O&M cost per MWh of output.", "CNY/MWh", required=False, default=0.0, bounds=NONNEGATIVE, interpolated=True),
            Column(
                "efficiency",
                "float",
                "Output per unit of input (conversion with an input carrier); must lie in (0, 1] when "
                "input and output share a unit.",
                "MWh/MWh",
                required=False,
                default=1.0,
                bounds=POSITIVE,
                interpolated=True,
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
            Column("flow_per_output", "float", "Flow per unit of output (signed).", "MWh/MWh"),
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
            Column("build_year", "int", "Commissioning year.", "year"),
            Column("capacity_GW", "float", "Power capacity (output flow).", "GW", bounds=NONNEGATIVE),
            Column(
                "energy_capacity_GWh",
                "float",
                "Storage only: energy capacity; blank = duration_h x capacity.",
                "GWh",
                required=False,
                bounds=NONNEGATIVE,
            ),
        ),
        key=("technology", "region", "build_year"),
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
            Column("capacity_min_GW", "float", "Minimum installed capacity.", "GW", required=False, bounds=NONNEGATIVE),
            Column("capacity_max_GW", "float", "Maximum installed capacity (potential).", "GW", required=False, bounds=NONNEGATIVE),
            Column("capacity_new_max_GW", "float", "Maximum capacity built in the period (build rate).", "GW", required=False, bounds=NONNEGATIVE),
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
            Column("weight_h", "float", "Hours of the year the step stands for.", "h", bounds=POSITIVE),
            Column("duration_h", "float", "Chronological length of the step.", "h", required=False, default=1.0, bounds=POSITIVE),
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
            Column("demand_TWh", "float", "Annual demand.", "TWh/yr", bounds=NONNEGATIVE),
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
        "Annual output budget (reservoir hydro inflow, biomass supply) per technology, region and period.",
        (
            Column("technology", "str", "Technology.", ref="technology"),
            Column("region", "str", "Region.", ref="region"),
            Column("period", "int", "Period; blank = every period.", "year", required=False, ref="period"),
            Column("energy_max_TWh", "float", "Maximum annual output.", "TWh/yr", bounds=NONNEGATIVE),
        ),
        key=("technology", "region", "period"),
        required=False,
    ),
    Table(
        "cumulative_limits",
        "Limits on a technology's output summed over the whole horizon (each period's annual output x the "
        "years it stands for), e.g. the capacity of a geological CO2 store (Mt) or a finite fuel resource.",
        (
            Column("technology", "str", "Technology.", ref="technology"),
            Column("region", "str", "Region.", ref="region"),
            Column("cumulative_max_TWh", "float", "Maximum total output over the horizon (Mt for mass carriers).", "TWh", bounds=NONNEGATIVE),
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
            Column("co2_cap_Mt", "float", "Cap on the region's net emissions of modelled technologies.", "Mt CO2/yr"),
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
            Column("length_km", "float", "Route length.", "km", bounds=POSITIVE),
            Column("capacity_GW", "float", "Existing capacity (each direction).", "GW", required=False, default=0.0, bounds=NONNEGATIVE),
            Column("build_year", "int", "Commissioning year of the existing capacity; blank = base year.", "year", required=False),
            Column("loss_per_1000km", "float", "Share of the flow lost per 1000 km.", "1/1000 km", required=False, default=0.0, bounds=LOSS),
            Column("capex_CNY_per_kW_km", "float", "Overnight cost of new capacity.", "CNY/kW/km", required=False, default=0.0, bounds=NONNEGATIVE),
            Column("fom_fraction", "float", "Fixed O&M as a share of capex per year.", "1/yr", required=False, default=0.0, bounds=FRACTION),
            Column("lifetime_years", "float", "Lifetime of corridor capacity.", "years", required=False, default=40.0, bounds=POSITIVE),
            Column("wacc", "float", "Cost of capital; blank = the settings' discount rate.", "1/yr", required=False, bounds=(0.0, True, 1.0, False)),
            Column("expandable", "bool", "May the corridor be expanded?", required=False, default=True),
            Column("capacity_max_GW", "float", "Maximum capacity.", "GW", required=False, bounds=NONNEGATIVE),
        ),
        key=("corridor",),
        required=False,
    ),
)

TABLE_BY_NAME = {table.name: table for table in TABLES}


@dataclass(frozen=True)
class Setting:
    name: str
    doc: str
    default: object = None
    unit: str = ""


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
    Setting("base_year", "Year to which costs are discounted; default = first period.", None, "year"),
    Setting("discount_rate", "Social discount rate.", 0.05, "1/yr"),
    Setting("last_period_years", "Years the last period stands for; default = the spacing of the last two periods.", None, "years"),
    Setting(
        "value_of_lost_load_CNY_per_MWh",
        "If set, demand may go unserved at this cost (per carrier with a balance); blank = demand must be met.",
        None,
        "CNY/MWh",
    ),
    Setting(
        "tie_break_capex_CNY_per_kW",
        "Capex (annuitised like any other) given to capacity that has neither capex nor fixed O&M, so that "
        "interior-point solutions without crossover report the capacity needed instead of an arbitrary point of a "
        "cost-free range; 0 = none.",
        0.0,
        "CNY/kW",
    ),
    Setting("co2_captured_carrier", "Carrier that receives captured CO2 (needed if any capture_rate > 0).", None),
    Setting(
        "co2_budget_Mt",
        "Cumulative cap on national net CO2 emissions over the horizon (sum of annual net emissions x period years); blank = none.",
        None,
        "Mt CO2",
    ),
    Setting("electricity_carrier", "Name of the electricity carrier (for the power end of the carbon balance).", "electricity"),
    Setting("hydrogen_carrier", "Name of the hydrogen carrier (for hydrogen results).", "hydrogen"),
    Setting(
        "time_aggregation",
        "Aggregation of an hourly year before solving: `{method: representative_days, days: 8, seed: 0}` (k-medoids "
        "days), `{method: downsample, hours: 3}` (average consecutive hours) or `{method: none}`; blank = the time "
        "steps as given.",
        None,
    ),
    Setting(
        "foresight",
        "`perfect`: all periods solved at once; `myopic`: one period at a time, each seeing only its own; `rolling`: "
        "windows of `foresight_window` periods, each keeping the decisions of its first `foresight_step` periods. Capacity "
        "built by earlier windows stands by vintage; the objective is that of the stitched pathway over the whole horizon "
        "(docs/model.md, section 12).",
        "perfect",
    ),
    Setting("foresight_window", "Periods each window solves with `foresight: rolling` (required there; blank otherwise).", None, "periods"),
    Setting(
        "foresight_step",
        "Periods whose decisions each window keeps with `foresight: rolling` (at most `foresight_window`; the last window "
        "keeps all it solves); blank = 1.",
        1,
        "periods",
    ),
    Setting("solver", "HiGHS options (for example threads, solver, time_limit).", None),
    Setting(
        "extensions",
        "Python files (paths relative to the case folder) whose function `extend(model)` adds constraints, variables "
        "or objective terms to the Pyomo model before it is solved (docs/extending.md); blank = none.",
        None,
    ),
)


def markdown() -> str:
    """Render the schema as Markdown (used for docs/inputs.md)."""
    lines = []
    for table in TABLES:
        lines.append(f"### `{table.file}`{'' if table.required else ' (optional)'}\n")
        lines.append(table.doc + "\n")
        lines.append(f"Key: {', '.join('`' + k + '`' for k in table.key)}.\n")
        lines.append("| column | type | unit | required | default | valid values | meaning |")
        lines.append("|---|---|---|---|---|---|---|")
        for c in table.columns:
            valid = c.expected()
            if c.ref:
                valid = f"a {c.ref} of the case"
            default = "" if c.default in (None, "") else str(c.default)
            if c.interpolated:
                default += " (blanks interpolated)"
            lines.append(
                f"| `{c.name}` | {c.kind} | {c.unit} | {'yes' if c.required else 'no'} | {default} | {valid} | {c.doc} |"
            )
        lines.append("")
    return "\n".join(lines)


def settings_markdown() -> str:
    """The settings of settings.yaml as a Markdown table."""
    rows = ["| setting | unit | default | meaning |", "|---|---|---|---|"]
    for setting in SETTINGS:
        default = "the folder name" if setting.name == "name" else ("" if setting.default in (None, "") else f"`{setting.default}`")
        rows.append(f"| `{setting.name}` | {setting.unit} | {default} | {setting.doc} |")
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
