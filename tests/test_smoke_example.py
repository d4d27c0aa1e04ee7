"""The example case solves, and its results carry every required variable with units."""

import numpy as np

REQUIRED = [
    "capacity", "capacity_new", "capacity_retired", "storage_energy_capacity", "generation", "storage_level",
    "flow", "corridor_capacity", "co2_emissions", "cost", "price_electricity", "price_co2",
]


def test_example_has_required_variables_with_units(example_results):
    ds, model, solution = example_results
    assert solution.optimal
    for name in REQUIRED:
        assert name in ds, name
        assert ds[name].attrs.get("units"), name
    # the cost split adds up to the objective
    assert np.isclose(float(ds["cost"].sum()), solution.objective, rtol=1e-6)
    # every balance has a finite price
    assert np.isfinite(ds["price_electricity"]).all()
