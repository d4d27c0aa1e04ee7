"""The Pyomo model is the LP that HiGHS solves.

The default path hands HiGHS the arrays the Pyomo components hold. These tests take
the independent route through Pyomo's own writers: Pyomo writes an LP file of
``model.pyomo`` which HiGHS reads and solves, and Pyomo's standard-form compiler
reproduces the constraint matrix. Both must agree with the in-memory solve.
"""

import highspy
import numpy as np
from pyomo.repn.plugins.standard_form import LinearStandardFormCompiler

import optimiser
from casebuilder import EXAMPLE


def test_pyomo_lp_file_gives_the_same_optimum(tmp_path):
    case = optimiser.load_case(EXAMPLE)
    model = optimiser.build_model(case)
    in_memory = optimiser.solve(model)
    assert in_memory.optimal

    lp_file = tmp_path / "example.lp"
    model.pyomo.write(str(lp_file), io_options={"symbolic_solver_labels": False})
    highs = highspy.Highs()
    highs.setOptionValue("output_flag", False)
    highs.readModel(str(lp_file))
    highs.run()
    assert highs.getModelStatus() == highspy.HighsModelStatus.kOptimal
    from_file = highs.getInfo().objective_function_value
    assert np.isclose(from_file, in_memory.objective, rtol=1e-7)


def test_standard_form_compiler_matches_the_arrays():
    case = optimiser.load_case(EXAMPLE)
    model = optimiser.build_model(case)
    finished = model.lp.finish()
    form = LinearStandardFormCompiler().write(model.pyomo, mixed_form=True)
    # same number of rows and columns, same non-zeros and same objective vector (up to column order)
    assert form.A.shape == finished.matrix.shape
    assert form.A.nnz == finished.matrix.nnz
    columns = {id(v): i for i, v in enumerate(form.columns)}
    varmap = [v for family in model.lp.variables.values() for v in getattr(model.pyomo, family.name).values()]
    position = np.array([columns[id(v)] for v in varmap])
    np.testing.assert_allclose(np.asarray(form.c.todense()).ravel()[position], finished.cost, rtol=1e-12, atol=1e-15)
    # rows come in the same order (families in order, rows 0..n-1 within each): the matrices are equal
    dense_ours = finished.matrix.toarray()
    dense_pyomo = form.A.toarray()[:, position]
    np.testing.assert_allclose(dense_pyomo, dense_ours, rtol=1e-12, atol=0)
