"""Model building: one module per subsystem, each adding its variables, constraints,
balance terms and costs to a shared :class:`Model` (see docs/model.md for the maths).

Order of assembly (:func:`build_model`):

1. :mod:`.balance` creates the carrier balances (rows known from the data) and the demand;
2. :mod:`.policy` creates the CO2 accounting rows;
3. :mod:`.investment` adds capacity and its vintages for technologies;
4. :mod:`.generation`, :mod:`.storage`, :mod:`.transmission` add operation, their terms
   in the balances and CO2 rows, and their costs;
5. :mod:`.adequacy` adds reserve margins (firm capacity over peak demand);
6. :mod:`.policy` adds caps and taxes.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from ..inputs import Case
from ..schema import python_strings
from .data import ModelData
from .linear import ConstraintFamily, LinearProgram, VariableFamily


@dataclass
class Model:
    """A built optimisation model: the data, the linear programme and its Pyomo form."""

    case: Case
    data: ModelData
    lp: LinearProgram
    pyomo: object = None
    timings: dict = field(default_factory=dict)
    #: extension files applied to the Pyomo model: path and SHA-256 of each (settings ``extensions``)
    extensions: list = field(default_factory=list)

    def var(self, name: str) -> VariableFamily:
        return self.lp.variables[name]

    def con(self, name: str) -> ConstraintFamily:
        return self.lp.constraints[name]

    def has_var(self, name: str) -> bool:
        return name in self.lp.variables

    def statistics(self) -> dict:
        return self.lp.statistics()


def build_model(case: Case, pyomo: bool = True, previous: Model | None = None) -> Model:
    """Build the optimisation model of a validated case.

    ``pyomo=False`` skips creating the Pyomo components (the HiGHS model is passed from the same arrays either
    way); sweeps and benchmarks use it. A case with ``extensions`` always gets them, and its extension files are
    applied to them (:mod:`.extensions`).
    The case's ``time_aggregation`` setting is applied first if the case is not
    aggregated yet (:func:`optimiser.timeagg.aggregate`; ``model.case`` is the aggregated case).
    ``previous`` (the model of the last build, e.g. ``WarmSolver.model`` in a sweep worker) lets
    data-preparation steps whose inputs did not change take its results (:class:`.data.Reuse`);
    the model is the same either way.
    """
    from ..timeagg import aggregate
    from . import adequacy, balance, extensions, generation, investment, policy, pyomo_model, storage, transmission

    start = time.perf_counter()
    with python_strings():
        case = aggregate(case)
        data = ModelData.from_case(case, previous.data if previous is not None else None)
        lp = LinearProgram(data.n_time, data.time["time"].to_numpy())
        model = Model(case, data, lp)
        balance.add_balances(model)
        policy.add_emission_accounting(model)
        investment.add_capacity(model)
        generation.add_conversion(model)
        storage.add_storage(model)
        transmission.add_corridors(model)
        adequacy.add_reserve_margins(model)
        policy.add_caps_and_taxes(model)
        lp.finish()
    model.timings["build_arrays_s"] = time.perf_counter() - start
    extension_files, problems = extensions.resolve(case.settings, case.folders or [case.path])
    if problems:
        raise extensions.ExtensionError("settings.yaml, extensions: " + "; ".join(problems))
    if pyomo or extension_files:
        start = time.perf_counter()
        model.pyomo = pyomo_model.build(lp, data, case.name)
        model.extensions = extensions.apply(model, extension_files)
        model.timings["build_pyomo_s"] = time.perf_counter() - start
    return model
