"""Scenarios: named sets of changes (*overrides*) to an input case, and parameter files that define them.

A parameter file (YAML) names a base case and its scenarios; see ``docs/scenarios.md``::

    case: example                       # base case folder, relative to this file
    parameters:                         # swept quantities: where a value goes and how it is applied
      solar_capex: {table: technology_periods, where: {technology: solar}, column: capex_CNY_per_kW, operation: scale, base: 1}
      discount: {setting: discount_rate, operation: set, base: 0.05}
    scenarios:                          # named scenarios: lists of overrides
      cheap_solar:
        - {table: technology_periods, where: {technology: solar}, column: capex_CNY_per_kW, scale: 0.7}
    sweeps:                             # generated scenarios
      - grid: {solar_capex: [0.7, 1.0], discount: [0.03, 0.05]}

An *override* changes one input: ``set``, ``scale`` or ``add`` on the cells of a table column selected by
``where``, replaces a whole table by another CSV file (``file``), or changes a setting. Overrides are applied to
a loaded :class:`~optimiser.inputs.Case` and the result is validated with the loader's own checks (value ranges,
references, consistency), so an override that matches no row, names an unknown table, column or setting, or
produces a negative cost is reported before anything is solved, naming the parameter file, the scenario and the
entry.

Every scenario has a readable ``name`` (``solar_capex=0.7__discount=0.03``) and a short stable ``id`` (a hash of
its overrides), which the sweep machinery (:mod:`optimiser.sweep`) uses for file names.

Python::

    case = optimiser.load_case("inputs/example")
    cheap = apply_scenario(case, "inputs/example_sweep.yaml:cheap_solar")     # a validated Case
    cheap = apply_scenario(case, [{"setting": "discount_rate", "set": 0.03}])
    results, path = run_scenario("inputs/example", "inputs/example_sweep.yaml:cheap_solar")

Modules: :mod:`.model` (what an override, a parameter, a scenario and a parameter file are), :mod:`.parameter_file`
(parsing and expanding parameter files), :mod:`.apply` (applying overrides to a case, scenario case folders,
running a scenario).
"""

from ..inputs import InputError
from .apply import (
    AppliedScenario, apply_overrides, apply_scenario, check_scenarios, inputs_key, run_scenario, scenario_case_name, write_scenario_case,
)
from .model import BASE_NAME, SCENARIOS_FILE, Override, Parameter, Scenario, ScenarioError, SweepFile, parse_override, scenario_id
from .parameter_file import load_sweep_file, resolve_scenario

__all__ = [
    "AppliedScenario",
    "BASE_NAME",
    "InputError",
    "Override",
    "Parameter",
    "SCENARIOS_FILE",
    "Scenario",
    "ScenarioError",
    "SweepFile",
    "apply_overrides",
    "apply_scenario",
    "check_scenarios",
    "inputs_key",
    "load_sweep_file",
    "parse_override",
    "resolve_scenario",
    "run_scenario",
    "scenario_case_name",
    "scenario_id",
    "write_scenario_case",
]
