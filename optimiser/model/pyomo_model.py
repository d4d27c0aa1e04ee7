"""The Pyomo model: labelled sets, variables and constraints over the families of the linear programme.

Every variable family of :class:`.linear.LinearProgram` becomes a Pyomo ``Var`` and every constraint family a
Pyomo ``Constraint``, indexed by its labels: the family's sparse key set (``m.capacity_index``, tuples of
technology, region and period that exist) and, for families with a time dimension, the time steps::

    m.capacity['wind', 'north', 2040]            # GW
    m.generation['coal', 'central', 2030, 5]     # GW in time step 5
    m.balance['electricity', 'north', 2030, 5]   # a ConstraintData with a real Pyomo expression

The objective ``total_cost`` is the sum of ``cost[component, period]`` (billion CNY, discounted), each defined by
a row of ``cost_definition`` (``cost[c, p] - sum_j coef_j x_j = 0``), so that a user adds objective terms with
``m.total_cost.expr += ...`` without touching a million-term expression, and may constrain the costs themselves.

The components are *sparse and lazy*, as Pyomo's own components with ``dense=False`` are: a ``VarData`` or
``ConstraintData`` is created when first indexed, and all of a family's are created in bulk when the component
is iterated (``values()``, ``items()``, a writer or a solver interface walking the model). Building the model
therefore costs the index sets only; a solve through any Pyomo interface sees the complete model. Each element
is made from the same arrays that :func:`optimiser.solve` hands to HiGHS, so both routes solve the same
programme (the in-memory route substitutes ``cost_definition`` into the objective, which is exact).
"""

from __future__ import annotations

import numpy as np
import pyomo.environ as pyo
from pyomo.common.gc_manager import PauseGC
from pyomo.common.modeling import NOTSET
from pyomo.core.base.enums import SortComponents
from pyomo.core.base.constraint import IndexedConstraint
from pyomo.core.base.var import IndexedVar
from pyomo.core.expr.numeric_expr import LinearExpression
from pyomo.core.expr.relational_expr import EqualityExpression, InequalityExpression, RangedExpression
from scipy import sparse as sp

from .linear import Family, LinearProgram

#: objective sense and units of the cost variables
COST_UNITS = "billion CNY (discounted to the base year)"


def _plain(values: np.ndarray) -> list:
    """numpy values as plain Python scalars (Pyomo index labels must hash and compare like the user's literals)."""
    return np.asarray(values).tolist()


class FamilyIndex:
    """Positions of a family's labelled elements: ``position(index)`` is the element's offset within the family
    (key-major, time-minor, as in :class:`.linear.Family`)."""

    def __init__(self, family: Family, time_labels):
        self.family = family
        self.time_labels = time_labels
        self._keys: dict | None = None
        self._time: dict | None = None
        self._labels: list | None = None

    def key_labels(self) -> list:
        """The family's keys as Pyomo index labels (tuples, or scalars for one-column keys)."""
        columns = [_plain(self.family.keys[dim].to_numpy()) for dim in self.family.dims]
        return columns[0] if len(columns) == 1 else list(zip(*columns))

    def labels(self) -> list:
        """Every element's index label, in the family's order (made once, then kept)."""
        if self._labels is None:
            self._labels = self._make_labels()
        return self._labels

    def _make_labels(self) -> list:
        keys = self.key_labels()
        if not self.family.timed:
            return keys
        times = _plain(self.time_labels)
        if self.family.n_keys and not isinstance(keys[0], tuple):
            keys = [(key,) for key in keys]
        return [key + (t,) for key in keys for t in times]

    def position(self, index) -> int:
        if self._keys is None:
            self._keys = {key: position for position, key in enumerate(self.key_labels())}
            self._time = {t: position for position, t in enumerate(_plain(self.time_labels))}
        if not self.family.timed:
            return self._keys[index]
        key = index[:-1] if len(index) > 2 else index[0]
        return self._keys[key] * self.family.n_time + self._time[index[-1]]


class _LazyComponent:
    """Creation of a family's component data on demand (indexing) and in bulk (iteration).

    Mixed into a Pyomo ``IndexedVar`` / ``IndexedConstraint``. ``_make(positions, labels)`` creates the data of the
    given elements; the component counts, contains and iterates over its whole index set.
    """

    _family_index: FamilyIndex

    def _materialise(self) -> None:
        if len(self._data) == len(self._index_set):
            return
        labels = self._family_index.labels()
        with PauseGC():
            missing = [(position, label) for position, label in enumerate(labels) if label not in self._data]
            if missing:
                positions, labels = zip(*missing)
                self._make(np.asarray(positions), list(labels))

    def keys(self, sort=SortComponents.UNSORTED, ordered=NOTSET):
        self._materialise()
        return super().keys(sort, ordered)

    def __len__(self):
        return len(self._index_set)

    def __contains__(self, index):
        return index in self._index_set

    def _getitem_when_not_present(self, index):
        self._make(np.array([self._family_index.position(index)]), [index])
        return self._data[index]

    @property
    def position(self):
        """Element offset within the family of an index label."""
        return self._family_index.position


class FamilyVar(_LazyComponent, IndexedVar):
    """A variable family as a Pyomo ``Var`` indexed by its labels (continuous; bounds from the family's arrays)."""

    def __init__(self, index_set, family: Family, time_labels, **kwargs):
        super().__init__(index_set, dense=False, **kwargs)
        self._family_index = FamilyIndex(family, time_labels)
        self._family = family
        #: the solution vector of the family once solved in memory (VarData made later take their value from it)
        self._solution: np.ndarray | None = None

    @property
    def family(self) -> Family:
        return self._family

    def column(self, index) -> int:
        """Column of the linear programme that an index label stands for."""
        return self._family.offset + self._family_index.position(index)

    def _make(self, positions: np.ndarray, labels: list) -> None:
        family = self._family
        lower = np.where(np.isfinite(family.lower[positions]), family.lower[positions], np.nan).tolist()
        upper = np.where(np.isfinite(family.upper[positions]), family.upper[positions], np.nan).tolist()
        values = self._solution[positions].tolist() if self._solution is not None else [None] * len(labels)
        data_class, reals, data = self._ComponentDataClass, pyo.Reals, self._data
        for label, lo, up, value in zip(labels, lower, upper, values):
            var = data_class(component=self)
            var._index = label
            var._domain = reals
            var._lb = None if lo != lo else lo
            var._ub = None if up != up else up
            var._value = value
            data[label] = var

    def attach_solution(self, x: np.ndarray) -> None:
        """Give every element (made or still to be made) its value in the solution ``x`` of the whole programme."""
        family = self._family
        self._solution = x[family.offset : family.offset + family.size]
        for label, var in self._data.items():
            var._value = float(self._solution[self._family_index.position(label)])

    def values_array(self) -> np.ndarray:
        """The family's values as an array in column order (``nan`` where an element has none): the route back from
        a solve through a Pyomo solver interface."""
        self._materialise()
        values = [var._value for var in self.values()]
        return np.array([np.nan if value is None else value for value in values], dtype=float)


class RowBlock:
    """The rows of one constraint family (or of the cost definitions): CSR matrix, bounds and the variable of each column."""

    def __init__(self, matrix: sp.csr_matrix, lower: np.ndarray, upper: np.ndarray, column_var):
        self.matrix = matrix
        self.lower = lower
        self.upper = upper
        #: column -> VarData (made on demand by its FamilyVar)
        self.column_var = column_var


class FamilyConstraint(_LazyComponent, IndexedConstraint):
    """A constraint family as a Pyomo ``Constraint`` indexed by its labels: ``lower <= sum_j a_ij x_j <= upper``."""

    def __init__(self, index_set, family: Family, time_labels, rows: RowBlock, **kwargs):
        super().__init__(index_set, **kwargs)
        self._family_index = FamilyIndex(family, time_labels)
        self._family = family
        self._rows = rows
        #: the expression each made element was given: an element whose expression differs was changed by the user
        self._built: dict = {}

    @property
    def family(self) -> Family:
        return self._family

    def construct(self, data=None):
        # elements are made on demand (see _LazyComponent), never all at construction
        self._constructed = True

    def row(self, index) -> int:
        """Row of the family (0-based within it) that an index label stands for."""
        return self._family_index.position(index)

    def _make(self, positions: np.ndarray, labels: list) -> None:
        rows = self._rows
        matrix = rows.matrix
        lower = rows.lower[positions].tolist()
        upper = rows.upper[positions].tolist()
        indptr, indices, coefs = matrix.indptr, matrix.indices, matrix.data
        columns = np.concatenate([indices[indptr[p] : indptr[p + 1]] for p in positions]) if len(positions) else np.zeros(0, int)
        variables = dict(zip(np.unique(columns).tolist(), rows.column_var(np.unique(columns))))
        data_class, data, built = self._ComponentDataClass, self._data, self._built
        for position, label, lo, up in zip(positions.tolist(), labels, lower, upper):
            start, end = indptr[position], indptr[position + 1]
            body = LinearExpression(
                constant=0, linear_coefs=coefs[start:end].tolist(), linear_vars=[variables[j] for j in indices[start:end].tolist()]
            )
            if lo == up:
                expr = EqualityExpression((body, lo))
            elif lo == -np.inf:
                expr = InequalityExpression((body, up), False)
            elif up == np.inf:
                expr = InequalityExpression((lo, body), False)
            else:
                expr = RangedExpression((lo, body, up), (False, False))
            con = data_class(component=self)
            con._index = label
            con._expr = expr
            data[label] = con
            built[label] = expr


def _index_set(model: pyo.ConcreteModel, name: str, family: Family):
    """The Pyomo Set of a family's keys, ``m.<name>_index``; timed families are indexed by it times ``m.time``."""
    labels = FamilyIndex(family, None).key_labels()
    keys = pyo.Set(initialize=labels, dimen=len(family.dims), ordered=pyo.Set.InsertionOrder, doc=f"Keys of {name}: {', '.join(family.dims)}")
    model.add_component(f"{name}_index", keys)
    return keys * model.time if family.timed else keys


def build(lp: LinearProgram, data, name: str) -> pyo.ConcreteModel:
    """The labelled, lazily materialised Pyomo model of ``lp`` (see the module docstring)."""
    finished = lp.finish()
    case = data.case
    m = pyo.ConcreteModel(name=name)
    with PauseGC():
        m.technologies = pyo.Set(initialize=list(case.technologies), ordered=pyo.Set.InsertionOrder, doc="Technologies")
        m.regions = pyo.Set(initialize=list(case.regions), ordered=pyo.Set.InsertionOrder, doc="Regions")
        m.carriers = pyo.Set(initialize=list(case.carriers), ordered=pyo.Set.InsertionOrder, doc="Carriers")
        m.periods = pyo.Set(initialize=_plain(data.periods), ordered=pyo.Set.InsertionOrder, doc="Investment periods (first year)")
        m.time = pyo.Set(initialize=_plain(lp.time_labels), ordered=pyo.Set.InsertionOrder, doc="Time steps of a model year")
        corridors = case["corridors"]
        m.corridors = pyo.Set(initialize=corridors["corridor"].tolist(), ordered=pyo.Set.InsertionOrder, doc="Corridors")

        variables: dict[str, FamilyVar] = {}
        for family in lp.variables.values():
            var = FamilyVar(_index_set(m, family.name, family), family, lp.time_labels, doc=f"{family.doc} [{family.units}]")
            m.add_component(family.name, var)
            variables[family.name] = var
        families = list(lp.variables.values())
        offsets = np.array([family.offset for family in families])

        def column_var(columns: np.ndarray) -> list:
            """The VarData of each column (those not made yet are made in bulk, per family)."""
            owner = np.searchsorted(offsets, columns, side="right") - 1
            out = [None] * len(columns)
            for f in np.unique(owner).tolist():
                var = variables[families[f].name]
                chosen = np.flatnonzero(owner == f)
                positions = (columns[chosen] - families[f].offset).tolist()
                if len(chosen) > 64:
                    labels = var._family_index.labels()
                    labels = [labels[position] for position in positions]
                else:
                    labels = [_label_at(var._family_index, position) for position in positions]
                data = var._data
                missing = [(position, label) for position, label in zip(positions, labels) if label not in data]
                if missing:
                    var._make(np.array([m[0] for m in missing]), [m[1] for m in missing])
                for i, label in zip(chosen.tolist(), labels):
                    out[i] = data[label]
            return out

        start = 0
        for family in lp.constraints.values():
            block = finished.matrix[start : start + family.size]
            lower = finished.row_lower[start : start + family.size]
            upper = finished.row_upper[start : start + family.size]
            start += family.size
            constraint = FamilyConstraint(
                _index_set(m, family.name, family), family, lp.time_labels, RowBlock(block, lower, upper, column_var),
                doc=f"{family.doc} [{family.units}]",
            )
            m.add_component(family.name, constraint)

        # objective: total_cost = sum of cost[component, period], cost_definition: cost[c, p] = sum_j coef_j x_j
        labels = sorted(lp.cost_components, key=lambda key: (key[1], str(key[0])))
        m.cost_index = pyo.Set(initialize=[(str(c), int(p)) for c, p in labels], dimen=2, ordered=pyo.Set.InsertionOrder,
                               doc="Cost components and periods")
        m.cost = pyo.Var(m.cost_index, domain=pyo.Reals, doc=f"Discounted cost of a component in a period [{COST_UNITS}]")
        definition = cost_definition_matrix(lp, labels)
        cost_family = Family("cost_definition", _cost_keys(labels), False, lp.n_time, COST_UNITS, "Cost of a component in a period")
        m.cost_definition = CostDefinition(m.cost_index, cost_family, lp.time_labels,
                                           RowBlock(definition, np.zeros(len(labels)), np.zeros(len(labels)), column_var),
                                           cost_var=m.cost, doc=f"cost[c, p] = sum of its terms [{COST_UNITS}]")
        m.total_cost = pyo.Objective(
            expr=LinearExpression(constant=float(finished.objective_offset), linear_coefs=[1.0] * len(labels), linear_vars=list(m.cost.values())),
            sense=pyo.minimize, doc=f"Discounted total system cost [{COST_UNITS}]",
        )
    # what the model's own components are (anything else is the user's), and the objective as built
    m._optimiser = {
        "components": {component.local_name: component for component in m.component_objects(descend_into=False)},
        "variables": variables,
        "cost_labels": labels,
        "cost_matrix": definition,
        "objective_expr": m.total_cost.expr,
    }
    return m


def _label_at(index: FamilyIndex, position: int):
    family = index.family
    key_position, t = divmod(position, family.n_time) if family.timed else (position, None)
    key = tuple(_plain(family.keys.iloc[key_position].to_numpy()))
    key = key[0] if len(key) == 1 else key
    if t is None:
        return key
    return (key if isinstance(key, tuple) else (key,)) + (_plain(index.time_labels[t : t + 1])[0],)


def _cost_keys(labels):
    import pandas as pd

    return pd.DataFrame({"component": [str(c) for c, _ in labels], "period": [int(p) for _, p in labels]})


def cost_definition_matrix(lp: LinearProgram, labels: list) -> sp.csr_matrix:
    """Row i holds the objective coefficients of cost component ``labels[i]`` (billion CNY per unit of each column)."""
    rows, cols, vals = [], [], []
    for i, label in enumerate(labels):
        for columns, values in lp.cost_components[label]:
            rows.append(np.full(len(columns), i))
            cols.append(columns)
            vals.append(values)
    if not rows:
        return sp.csr_matrix((len(labels), lp.n_cols))
    matrix = sp.csr_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))), shape=(len(labels), lp.n_cols))
    matrix.sum_duplicates()
    return matrix


class CostDefinition(FamilyConstraint):
    """``cost[c, p] - sum_j coef_j x_j = 0`` (billion CNY): the rows that define each cost component."""

    def __init__(self, index_set, family, time_labels, rows, cost_var, **kwargs):
        super().__init__(index_set, family, time_labels, rows, **kwargs)
        self._cost_var = cost_var

    def _make(self, positions: np.ndarray, labels: list) -> None:
        super()._make(positions, labels)
        for label in labels:
            con = self._data[label]
            body = con._expr.args[0]
            new_body = LinearExpression(
                constant=0, linear_coefs=[1.0] + [-c for c in body.linear_coefs], linear_vars=[self._cost_var[label]] + list(body.linear_vars)
            )
            con._expr = EqualityExpression((new_body, 0.0))
            self._built[label] = con._expr
