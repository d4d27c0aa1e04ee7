"""Vectorised construction of a linear programme over labelled, sparse index sets.

A *family* is a block of variables or constraints sharing a name, a table of keys
(one row per element, e.g. technology x region x period) and optionally the time
dimension: a timed family holds ``len(keys) x n_time`` elements laid out key-major,
so that element ``(k, t)`` sits at position ``k * n_time + t``.  The model files
(generation, storage, ...) never loop over elements: they locate keys in bulk
(pandas joins on small key tables) and pass coefficient arrays to
:meth:`ConstraintFamily.add`, which expands them over time with numpy.

:mod:`.pyomo_model` makes the labelled Pyomo model of the finished programme (one ``Var`` per variable
family, one ``Constraint`` per constraint family), whose elements are made from these same arrays.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import scipy.sparse as sp

SENSES = ("<=", ">=", "==")


class KeyIndex:
    """Positions of labelled rows among the unique rows of a key table (one column per dimension).

    Each dimension's labels are coded against the table's own (one hash lookup per column) and the codes
    combined into one integer per row, so a lookup never builds a MultiIndex of the rows sought.
    """

    def __init__(self, keys: pd.DataFrame):
        self.dims = list(keys.columns)
        factorized = [pd.factorize(keys[dim]) for dim in self.dims]
        self.levels = [pd.Index(labels) for _, labels in factorized]
        self.index = pd.Index(self._combine([codes for codes, _ in factorized]))

    def positions(self, frame: pd.DataFrame) -> np.ndarray:
        """Row of the key table holding each row of ``frame`` (which has the key columns); -1 where none does."""
        codes = [level.get_indexer(frame[dim]) for level, dim in zip(self.levels, self.dims)]
        positions = self.index.get_indexer(self._combine(codes))
        if codes:
            positions[np.any(np.array(codes) < 0, axis=0)] = -1
        return positions

    def _combine(self, codes: list[np.ndarray]) -> np.ndarray:
        combined = np.zeros(len(codes[0]) if codes else 0, dtype=np.int64)
        for level, code in zip(self.levels, codes):
            combined = combined * (len(level) + 1) + code
        return combined


@dataclass
class Family:
    """Common part of variable and constraint families."""

    name: str
    keys: pd.DataFrame
    timed: bool
    n_time: int
    units: str
    doc: str
    offset: int = 0
    _index: KeyIndex | None = field(default=None, repr=False)

    @property
    def n_keys(self) -> int:
        return len(self.keys)

    @property
    def size(self) -> int:
        return self.n_keys * (self.n_time if self.timed else 1)

    @property
    def dims(self) -> list[str]:
        return list(self.keys.columns)

    def locate(self, frame: pd.DataFrame, strict: bool = True) -> np.ndarray:
        """Positions of the rows of ``frame`` (columns = this family's dims) among the keys.

        Returns -1 where a row is absent (only allowed with ``strict=False``).
        """
        if self._index is None:
            self._index = KeyIndex(self.keys)
        positions = self._index.positions(frame)
        if strict and (positions < 0).any():
            missing = frame[self.dims][positions < 0].head(3).to_dict("records")
            raise KeyError(f"{self.name}: keys not found, e.g. {missing}")
        return positions

    def flat(self, key_pos: np.ndarray) -> np.ndarray:
        """Global positions of the elements of the given keys: shape (n,) or (n, n_time)."""
        key_pos = np.asarray(key_pos, dtype=np.int64)
        if self.timed:
            return self.offset + key_pos[:, None] * self.n_time + np.arange(self.n_time)[None, :]
        return self.offset + key_pos


@dataclass
class VariableFamily(Family):
    lower: np.ndarray | None = None
    upper: np.ndarray | None = None


@dataclass
class ConstraintFamily(Family):
    sense: str = "=="
    rhs: np.ndarray | None = None
    #: for infeasibility diagnosis: may this family be relaxed with penalised slacks?
    elastic: bool = False
    rows: list = field(default_factory=list, repr=False)
    cols: list = field(default_factory=list, repr=False)
    vals: list = field(default_factory=list, repr=False)

    def add(self, variable: VariableFamily, var_keys, row_keys, coef=1.0, time_map=None) -> None:
        """Add ``coef * variable[var_keys]`` to rows ``row_keys`` (one term per pair, expanded over time).

        ``coef`` broadcasts to shape (n,) for two untimed families and (n, n_time) otherwise.
        A timed variable entering an untimed row is summed over time (with ``coef`` as weights).
        ``time_map`` (timed variable and rows) makes row time ``t`` take the variable at
        time ``time_map[t]`` (for example the previous step of a cyclic sequence).
        """
        var_keys = np.asarray(var_keys, dtype=np.int64)
        row_keys = np.asarray(row_keys, dtype=np.int64)
        n = len(var_keys)
        if n == 0:
            return
        if len(row_keys) != n:
            raise ValueError(f"{self.name}: {n} variable keys but {len(row_keys)} row keys")
        timed = self.timed or variable.timed
        shape = (n, self.n_time) if timed else (n,)
        coef = np.broadcast_to(np.asarray(coef, dtype=float), shape)
        cols = variable.flat(var_keys)
        if time_map is not None:
            cols = cols[:, np.asarray(time_map, dtype=np.int64)]
        rows = self.flat(row_keys) - self.offset
        if timed:
            cols = np.broadcast_to(cols if variable.timed else cols[:, None], shape)
            rows = np.broadcast_to(rows if self.timed else rows[:, None], shape)
        keep = coef != 0
        self.rows.append(rows[keep])
        self.cols.append(cols[keep])
        self.vals.append(coef[keep])

    def matrix(self, n_cols: int) -> sp.csr_matrix:
        """The family's rows as a CSR matrix over all columns (duplicate entries summed)."""
        if self.rows:
            rows = np.concatenate(self.rows)
            cols = np.concatenate(self.cols)
            vals = np.concatenate(self.vals)
        else:
            rows = cols = np.zeros(0, dtype=np.int64)
            vals = np.zeros(0)
        matrix = sp.csr_matrix((vals, (rows, cols)), shape=(self.size, n_cols))
        matrix.sum_duplicates()
        return matrix

    def bounds(self) -> tuple[np.ndarray, np.ndarray]:
        rhs = np.broadcast_to(np.asarray(self.rhs, dtype=float).reshape(-1), (self.size,)).copy()
        if self.sense == "<=":
            return np.full(self.size, -np.inf), rhs
        if self.sense == ">=":
            return rhs, np.full(self.size, np.inf)
        return rhs, rhs.copy()


class LinearProgram:
    """A linear programme assembled family by family: ``min c'x  s.t.  l <= Ax <= u, lb <= x <= ub``."""

    def __init__(self, n_time: int, time_labels=None):
        self.n_time = n_time
        self.time_labels = time_labels if time_labels is not None else np.arange(n_time)
        self.variables: dict[str, VariableFamily] = {}
        self.constraints: dict[str, ConstraintFamily] = {}
        self.n_cols = 0
        self.n_rows = 0
        self._cost_cols: list[np.ndarray] = []
        self._cost_vals: list[np.ndarray] = []
        #: objective split into named components (for reporting): name -> list of (cols, vals)
        self.cost_components: dict[str, list[tuple[np.ndarray, np.ndarray]]] = {}
        self.objective_offset = 0.0
        self._finished = None

    # ----------------------------------------------------------------- families
    def add_variables(self, name, keys: pd.DataFrame, timed=False, lower=0.0, upper=np.inf, units="", doc="") -> VariableFamily:
        if name in self.variables:
            raise ValueError(f"variable family {name} exists")
        keys = keys.reset_index(drop=True)
        family = VariableFamily(name, keys, timed, self.n_time, units, doc, offset=self.n_cols)
        size = family.size
        family.lower = np.broadcast_to(np.asarray(lower, dtype=float).reshape(-1) if np.ndim(lower) else lower, (size,)).astype(float)
        family.upper = np.broadcast_to(np.asarray(upper, dtype=float).reshape(-1) if np.ndim(upper) else upper, (size,)).astype(float)
        self.n_cols += size
        self.variables[name] = family
        return family

    def add_constraints(self, name, keys: pd.DataFrame, sense: str, rhs=0.0, timed=False, units="", doc="", elastic=False) -> ConstraintFamily:
        if sense not in SENSES:
            raise ValueError(sense)
        if name in self.constraints:
            raise ValueError(f"constraint family {name} exists")
        keys = keys.reset_index(drop=True)
        family = ConstraintFamily(name, keys, timed, self.n_time, units, doc, offset=self.n_rows, sense=sense, elastic=elastic)
        family.rhs = np.broadcast_to(np.asarray(rhs, dtype=float), (len(keys), self.n_time) if timed else (len(keys),)).copy()
        self.n_rows += family.size
        self.constraints[name] = family
        return family

    def add_cost(self, component: str, variable: VariableFamily, var_keys, coef) -> None:
        """Add ``coef * variable[var_keys]`` to the objective, booked under ``component``."""
        var_keys = np.asarray(var_keys, dtype=np.int64)
        if len(var_keys) == 0:
            return
        shape = (len(var_keys), self.n_time) if variable.timed else (len(var_keys),)
        coef = np.broadcast_to(np.asarray(coef, dtype=float), shape)
        cols = variable.flat(var_keys)
        keep = coef != 0
        self.cost_components.setdefault(component, []).append((cols[keep].ravel(), coef[keep].ravel()))

    # ----------------------------------------------------------------- assembly
    def finish(self):
        """Assemble the column costs, bounds, row bounds and the sparse matrix (cached)."""
        if self._finished is not None:
            return self._finished
        cost = np.zeros(self.n_cols)
        for parts in self.cost_components.values():
            for cols, vals in parts:
                np.add.at(cost, cols, vals)
        col_lower = np.concatenate([v.lower for v in self.variables.values()]) if self.variables else np.zeros(0)
        col_upper = np.concatenate([v.upper for v in self.variables.values()]) if self.variables else np.zeros(0)
        blocks = [c.matrix(self.n_cols) for c in self.constraints.values()]
        matrix = sp.vstack(blocks, format="csr") if blocks else sp.csr_matrix((0, self.n_cols))
        lowers, uppers = zip(*[c.bounds() for c in self.constraints.values()]) if blocks else ((), ())
        row_lower = np.concatenate(lowers) if blocks else np.zeros(0)
        row_upper = np.concatenate(uppers) if blocks else np.zeros(0)
        self._finished = FinishedProgram(cost, col_lower, col_upper, matrix, row_lower, row_upper, self.objective_offset)
        return self._finished

    def component_cost(self, x: np.ndarray) -> dict[str, float]:
        """Value of each objective component at the solution ``x``."""
        return {name: float(sum(np.dot(vals, x[cols]) for cols, vals in parts)) for name, parts in self.cost_components.items()}

    def values(self, family: Family, vector: np.ndarray) -> np.ndarray:
        """Slice a solution vector (columns or rows) for one family: shape (n_keys,) or (n_keys, n_time)."""
        block = vector[family.offset : family.offset + family.size]
        return block.reshape(family.n_keys, family.n_time) if family.timed else block

    def row_labels(self, row: int) -> tuple[str, dict]:
        """Family name and key (with time) of a global row position."""
        for family in self.constraints.values():
            if family.offset <= row < family.offset + family.size:
                local = row - family.offset
                key_pos, t = divmod(local, family.n_time) if family.timed else (local, None)
                labels = family.keys.iloc[key_pos].to_dict()
                if t is not None:
                    labels["time"] = self.time_labels[t]
                return family.name, labels
        raise IndexError(row)

    def statistics(self) -> dict[str, int]:
        finished = self.finish()
        return {"variables": int(self.n_cols), "constraints": int(self.n_rows), "nonzeros": int(finished.matrix.nnz)}


@dataclass
class FinishedProgram:
    cost: np.ndarray
    col_lower: np.ndarray
    col_upper: np.ndarray
    matrix: sp.csr_matrix
    row_lower: np.ndarray
    row_upper: np.ndarray
    objective_offset: float = 0.0
