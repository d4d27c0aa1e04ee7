"""The programme the in-memory route hands to HiGHS: the model's arrays plus everything the user added to or
changed in the Pyomo model.

The model's own families are solved from their arrays (they are the Pyomo components' source). Only what the user
did to ``model.pyomo`` is compiled, with Pyomo's linear-representation visitor (the machinery of its LP writer and
standard-form compiler):

* constraints added anywhere in the model (also in sub-blocks) become rows appended after the model's rows;
* variables of the user's become columns appended after the model's columns;
* a changed objective (``m.total_cost.expr += ...``, or another active objective) gives the cost vector: each
  ``cost[c, p]`` term is replaced by the terms it stands for (its ``cost_definition`` row), which is exact;
* a model element the user changed counts as changed: bounds or ``fix()`` of a variable, ``deactivate()`` of a
  constraint element or family (the row is freed), a new expression for a constraint element (the row is freed and
  the new one appended).

Components that an LP cannot hold (nonlinear expressions, integer variables, disjunctions, SOS) are refused with
a message that names them. Nothing the user adds is ignored.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pyomo.environ as pyo
import scipy.sparse as sp
from pyomo.repn.linear import LinearRepnVisitor

from .linear import FinishedProgram
from .pyomo_model import FamilyConstraint, FamilyVar

#: Pyomo component types that hold no rows or columns of their own
PASSIVE_TYPES = (pyo.Set, pyo.RangeSet, pyo.Param, pyo.Expression, pyo.Suffix, pyo.Block)


class ExtensionError(ValueError):
    """Something added to the Pyomo model that the linear programme cannot hold, or a broken extension file."""


@dataclass
class Extensions:
    """What the user added to or changed in the Pyomo model, as it enters the programme."""

    #: constraint data of the appended rows, in order (row ``n_rows + i``)
    rows: list = field(default_factory=list)
    #: user variables of the appended columns, in order (column ``n_cols + j``)
    columns: list = field(default_factory=list)
    #: objective sense: 1 minimise, -1 maximise (the programme always minimises sense x objective)
    sense: int = 1
    #: the active objective's data, when it is not the model's own total_cost
    objective: object = None
    #: human-readable lines: what was changed or added
    changes: list = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not self.changes


class _Recorder:
    """Records only the variables an expression uses (Pyomo's default recorder adds every index of a variable's
    component, which would make all elements of a model family)."""

    def __init__(self):
        self.var_map = {}

    def add(self, var):
        self.var_map[id(var)] = var


def compile_program(model) -> tuple[FinishedProgram, Extensions]:
    """The base arrays of ``model.lp`` with what the user did to ``model.pyomo`` (see the module docstring)."""
    finished = model.lp.finish()
    m = model.pyomo
    if m is None:
        return finished, Extensions()
    return _Compiler(model, finished).run()


class _Compiler:
    def __init__(self, model, finished: FinishedProgram):
        self.model, self.finished, self.m = model, finished, model.pyomo
        self.registry = self.m._optimiser
        self.n_cols, self.n_rows = finished.matrix.shape[1], finished.matrix.shape[0]
        self.ext = Extensions()
        self.col_lower = finished.col_lower
        self.col_upper = finished.col_upper
        self.row_lower = finished.row_lower
        self.row_upper = finished.row_upper
        self.user_columns: dict[int, int] = {}  # id(var) -> column
        self.user_lower, self.user_upper = [], []
        self.rows, self.cols, self.vals, self.lower, self.upper = [], [], [], [], []
        self.visitor = LinearRepnVisitor({}, var_recorder=_Recorder())
        self.cost_rows = {id(var): i for i, var in enumerate(self.m.cost.values())}
        self.cost_matrix = self.registry["cost_matrix"]

    # ------------------------------------------------------------------ driver
    def run(self) -> tuple[FinishedProgram, Extensions]:
        m = self.m
        own = self.registry["components"]
        for name, component in own.items():
            if m.component(name) is not component:
                raise ExtensionError(f"the model's component '{name}' was deleted or replaced: deactivate it or add constraints instead")
        objectives = []
        for component in m.component_objects(descend_into=True):
            if component.ctype is pyo.Objective:
                objectives.extend(data for data in component.values() if data.active)
            elif component.ctype is pyo.Var:
                if isinstance(component, FamilyVar):
                    self._changed_bounds(component)
                elif component is m.cost:
                    self._cost_bounds(component)
            elif component.ctype is pyo.Constraint:
                if isinstance(component, FamilyConstraint) and component.local_name == "cost_definition" and component is own.get("cost_definition"):
                    if not component.active or any(not data.active or data._expr is not component._built[label] for label, data in component._data.items()):
                        raise ExtensionError("cost_definition defines the objective's terms: change m.total_cost instead")
                elif isinstance(component, FamilyConstraint):
                    self._changed_rows(component)
                elif component.active:
                    self._user_constraint(component)
            elif not isinstance(component, PASSIVE_TYPES) and getattr(component, "active", False):
                raise ExtensionError(
                    f"'{component.name}' ({component.ctype.__name__}) cannot be part of a linear programme solved in memory; "
                    "solve with a Pyomo solver that supports it (optimiser run --solver NAME)"
                )
        cost, offset = self._objective(objectives)
        return self._assemble(cost, offset), self.ext

    # ------------------------------------------------------------------ model elements changed by the user
    def _changed_bounds(self, component: FamilyVar) -> None:
        if not component._data:
            return
        family = component.family
        labels, lower, upper = [], [], []
        for label, var in component._data.items():
            if var._domain is not pyo.Reals and not var.is_continuous():
                raise ExtensionError(f"{var.name} was made {var.domain}: the in-memory route solves linear programmes only")
            lb, ub = (var.value, var.value) if var.fixed else (var.lb, var.ub)
            labels.append(label)
            lower.append(-np.inf if lb is None else lb)
            upper.append(np.inf if ub is None else ub)
        positions = family.offset + np.array([component.position(label) for label in labels])
        lower, upper = np.array(lower, dtype=float), np.array(upper, dtype=float)
        changed = (lower != self.col_lower[positions]) | (upper != self.col_upper[positions])
        if changed.any():
            if self.col_lower is self.finished.col_lower:
                self.col_lower, self.col_upper = self.col_lower.copy(), self.col_upper.copy()
            self.col_lower[positions[changed]] = lower[changed]
            self.col_upper[positions[changed]] = upper[changed]
            for i in np.flatnonzero(changed)[:5]:
                self.ext.changes.append(f"bounds of {component.name}[{labels[i]}] set to [{lower[i]:g}, {upper[i]:g}]")
            if changed.sum() > 5:
                self.ext.changes.append(f"... and {int(changed.sum()) - 5} more bounds of {component.name}")

    def _cost_bounds(self, component) -> None:
        for label, var in component.items():
            lb, ub = (var.value, var.value) if var.fixed else (var.lb, var.ub)
            if lb is None and ub is None:
                continue
            row = self.cost_matrix[self.cost_rows[id(var)]].tocoo()
            self._append_row(row.col, row.data, -np.inf if lb is None else lb, np.inf if ub is None else ub, var)
            self.ext.changes.append(f"bounds on {var.name}")

    def _free(self, family, local_rows: np.ndarray) -> None:
        if self.row_lower is self.finished.row_lower:
            self.row_lower, self.row_upper = self.row_lower.copy(), self.row_upper.copy()
        self.row_lower[family.offset + local_rows] = -np.inf
        self.row_upper[family.offset + local_rows] = np.inf

    def _changed_rows(self, component: FamilyConstraint) -> None:
        family = component.family
        if not component.active:
            self._free(family, np.arange(family.size))
            self.ext.changes.append(f"{component.name} deactivated ({family.size} rows freed)")
            return
        for label, data in component._data.items():
            if data.active and data._expr is component._built[label]:
                continue
            self._free(family, np.array([component.row(label)]))
            if data.active:
                self._user_row(data)
                self.ext.changes.append(f"{data.name} given a new expression")
            else:
                self.ext.changes.append(f"{data.name} deactivated")

    # ------------------------------------------------------------------ the user's constraints
    def _user_constraint(self, component) -> None:
        count = 0
        for data in component.values():
            if data.active:
                self._user_row(data)
                count += 1
        if count:
            self.ext.changes.append(f"constraint {component.name} added ({count} rows)")

    def _user_row(self, data) -> None:
        lower, body, upper = data.to_bounded_expression(evaluate_bounds=True)
        columns, coefs, constant = self._linear(body, data.name)
        lower = -np.inf if lower is None else float(lower) - constant
        upper = np.inf if upper is None else float(upper) - constant
        self._append_row(columns, coefs, lower, upper, data)

    def _append_row(self, columns, coefs, lower, upper, data) -> None:
        row = len(self.lower)
        self.rows.append(np.full(len(columns), row))
        self.cols.append(np.asarray(columns, dtype=np.int64))
        self.vals.append(np.asarray(coefs, dtype=float))
        self.lower.append(lower)
        self.upper.append(upper)
        self.ext.rows.append(data)

    def _linear(self, expr, where: str) -> tuple[np.ndarray, np.ndarray, float]:
        """Columns, coefficients and constant of a linear expression; ``cost[c, p]`` expands into its terms."""
        repn = self.visitor.walk_expression(expr)
        if repn.nonlinear is not None:
            raise ExtensionError(f"{where} is not linear: the in-memory route solves linear programmes only")
        var_map = self.visitor.var_map
        columns, coefs = [], []
        for vid, coef in repn.linear.items():
            var = var_map[vid]
            column = self._column(var)
            if column is None:  # a cost variable: its definition row
                row = self.cost_matrix[self.cost_rows[vid]].tocoo()
                columns.extend(row.col.tolist())
                coefs.extend((coef * row.data).tolist())
            else:
                columns.append(column)
                coefs.append(coef)
        return np.array(columns, dtype=np.int64), np.array(coefs, dtype=float), float(repn.constant)

    def _column(self, var) -> int | None:
        component = var.parent_component()
        if isinstance(component, FamilyVar) and component.model() is self.m:
            return component.column(var.index())
        if id(var) in self.cost_rows:
            return None
        column = self.user_columns.get(id(var))
        if column is None:
            if not var.is_continuous():
                raise ExtensionError(f"{var.name} is {var.domain}: the in-memory route solves linear programmes only")
            column = self.n_cols + len(self.user_columns)
            self.user_columns[id(var)] = column
            self.ext.columns.append(var)
            lb, ub = (var.value, var.value) if var.fixed else (var.lb, var.ub)
            self.user_lower.append(-np.inf if lb is None else lb)
            self.user_upper.append(np.inf if ub is None else ub)
        return column

    # ------------------------------------------------------------------ objective
    def _objective(self, objectives: list) -> tuple[np.ndarray, float]:
        base = self.finished.cost
        if len(objectives) != 1:
            names = ", ".join(o.name for o in objectives) or "none"
            raise ExtensionError(f"the model needs exactly one active objective; it has {len(objectives)} ({names})")
        objective = objectives[0]
        own = self.registry["components"]["total_cost"]
        if objective is own and objective.expr is self.registry["objective_expr"] and objective.sense == pyo.minimize:
            return base, self.finished.objective_offset
        self.ext.objective = objective
        self.ext.sense = 1 if objective.sense == pyo.minimize else -1
        self.ext.changes.append(f"objective {objective.name} ({'minimise' if self.ext.sense == 1 else 'maximise'}) compiled from Pyomo")
        columns, coefs, constant = self._linear(objective.expr, objective.name)
        return (columns, coefs * self.ext.sense), constant * self.ext.sense

    # ------------------------------------------------------------------ assembly
    def _assemble(self, cost, offset) -> FinishedProgram:
        finished = self.finished
        n_user = len(self.user_columns)
        n_cols = self.n_cols + n_user
        if isinstance(cost, tuple):
            columns, coefs = cost
            cost = np.zeros(n_cols)
            np.add.at(cost, columns, coefs)
        elif n_user:
            cost = np.concatenate([cost, np.zeros(n_user)])
        col_lower = np.concatenate([self.col_lower, np.array(self.user_lower, dtype=float)])
        col_upper = np.concatenate([self.col_upper, np.array(self.user_upper, dtype=float)])
        matrix = finished.matrix
        if n_user:
            matrix = sp.hstack([matrix, sp.csr_matrix((matrix.shape[0], n_user))], format="csr")
        row_lower, row_upper = self.row_lower, self.row_upper
        if self.lower:
            added = sp.csr_matrix(
                (np.concatenate(self.vals), (np.concatenate(self.rows), np.concatenate(self.cols))), shape=(len(self.lower), n_cols)
            )
            added.sum_duplicates()
            matrix = sp.vstack([matrix, added], format="csr")
            row_lower = np.concatenate([row_lower, np.array(self.lower, dtype=float)])
            row_upper = np.concatenate([row_upper, np.array(self.upper, dtype=float)])
        if self.ext.empty:
            return finished
        return FinishedProgram(cost, col_lower, col_upper, matrix, row_lower, row_upper, offset)


def attach_solution(model, extensions: Extensions, x: np.ndarray | None, row_dual: np.ndarray | None) -> None:
    """Give the Pyomo model the solution of the in-memory solve: variable values (made elements now, the rest when
    made), cost values, user variables, and duals into an IMPORT ``dual`` Suffix if the model has one."""
    m = model.pyomo
    if m is None or x is None:
        return
    n_cols, n_rows = model.lp.n_cols, model.lp.n_rows
    for var in m._optimiser["variables"].values():
        var.attach_solution(x)
    cost_values = m._optimiser["cost_matrix"] @ x[:n_cols]
    for var, value in zip(m.cost.values(), cost_values.tolist()):
        var.set_value(value, skip_validation=True)
    for j, var in enumerate(extensions.columns):
        if not var.fixed:
            var.set_value(float(x[n_cols + j]), skip_validation=True)
    suffix = m.component("dual")
    if row_dual is not None and isinstance(suffix, pyo.Suffix) and suffix.import_enabled():
        sense = extensions.sense
        for component in m._optimiser["components"].values():
            if isinstance(component, FamilyConstraint) and component.local_name != "cost_definition":
                offset = component.family.offset
                for label, data in component._data.items():
                    suffix[data] = sense * float(row_dual[offset + component.row(label)])
        for i, data in enumerate(extensions.rows):
            if data.ctype is pyo.Constraint:  # (rows from bounds on a cost variable belong to no constraint)
                suffix[data] = sense * float(row_dual[n_rows + i])
