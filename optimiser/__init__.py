"""optimiser: least-cost capacity expansion and dispatch of multi-carrier energy systems.

Python entry points::

    case = optimiser.load_case("inputs/example")      # validated inputs (InputError lists every problem)
    model = optimiser.build_model(case)                 # Pyomo model + the arrays passed to HiGHS
    solution = optimiser.solve(model, {"threads": 2})   # HiGHS in memory
    results = optimiser.extract(model, solution)        # xarray.Dataset with units
    optimiser.write_results(results, "results/example.nc")
    results = optimiser.open_results("results/example.nc")

or all at once: ``optimiser.run("inputs/example")``.
"""

__version__ = "0.1.0"

from .inputs import Case, InputError, load_case  # noqa: E402
from .model import Model, build_model  # noqa: E402
from .solve import Solution, solve  # noqa: E402
from .results import extract, open_results, write_results  # noqa: E402
from .run import run  # noqa: E402

__all__ = [
    "Case",
    "InputError",
    "Model",
    "Solution",
    "build_model",
    "extract",
    "load_case",
    "open_results",
    "run",
    "solve",
    "write_results",
]
