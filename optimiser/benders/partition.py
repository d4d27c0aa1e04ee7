"""Splitting the programme into a master and operational subproblems (docs/model.md, section 13).

The programme ``min c'x  s.t.  l <= Ax <= u, lb <= x <= ub`` is the one the monolithic solve hands to HiGHS (the
model's families plus what the user added to the Pyomo model), so the subproblems are slices of the same rows and
columns: there is no second formulation of the maths.

Columns
    A timed column belongs to the *block* of its period and of its time step's block of representative periods
    (``days_per_block`` consecutive ones). An untimed column whose rows reach timed columns of one block only joins
    that block (e.g. the highest intra-day deviation of a seasonal store on one representative day). Every other
    column is a *master* column: capacities, builds, retirements, corridors, the CO2 accounting variables, the states
    of seasonal storage at the checkpoint days, and any variable a user added.
Rows
    A row whose columns are all master columns is a master row. A row with the columns of one block (and any master
    columns) is a row of that block's subproblem, where the master columns are fixed. A row reaching several blocks
    (an annual CO2 or energy total, a monthly minimum) is a *coupling* row; it gets one *budget* variable per block
    it reaches (Jacobson et al. 2024, arXiv 2302.10037):

        sum_b a_b x_b + m'y  in [l, u]   becomes   m'y + sum_b budget_b in [l, u]   (master)
                                                   a_b x_b <= budget_b  (or >=, ==)  (subproblem b)

    An equality coupling row is relaxed to an inequality where a master column of it can always take up the slack
    at no cost (``_relaxable``): co2_emissions[r,p] = sum of emissions becomes co2_emissions >= sum, because
    co2_emissions only enters caps from below and a non-negative tax. The column is moved back onto the row at the
    end (:meth:`Decomposition.tighten`), so the reported values are those of the equality.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

from ..model.linear import FinishedProgram

MASTER = -1


@dataclass
class Block:
    """One operational subproblem: (period, block of representative periods) and its slice of the programme."""

    index: int
    period: object
    representative_periods: list
    #: original columns of the block (its own operation), in order
    columns: np.ndarray
    #: original rows of the block
    rows: np.ndarray
    #: master-side columns the subproblem takes as fixed values: original master columns and budget columns
    #: (positions in the master's column vector, :attr:`Decomposition.master_columns` then budgets)
    linking: np.ndarray
    #: coupling rows reaching this block (original row index) and their budget column (position in the master)
    coupling_rows: np.ndarray
    budget_columns: np.ndarray
    #: subproblem arrays (columns: own, then linking; rows: own, then one per coupling row)
    cost: np.ndarray = field(repr=False, default=None)
    col_lower: np.ndarray = field(repr=False, default=None)
    col_upper: np.ndarray = field(repr=False, default=None)
    matrix: sp.csc_matrix = field(repr=False, default=None)
    row_lower: np.ndarray = field(repr=False, default=None)
    row_upper: np.ndarray = field(repr=False, default=None)

    @property
    def label(self) -> str:
        days = self.representative_periods
        span = str(days[0]) if len(days) == 1 else f"{days[0]}..{days[-1]}"
        return f"{self.period}/{span}"

    def spec(self) -> dict:
        """What a worker needs to build this subproblem (plain arrays: pickles small, no model objects)."""
        return {
            "index": self.index, "label": self.label, "n_own": len(self.columns), "cost": self.cost, "col_lower": self.col_lower,
            "col_upper": self.col_upper, "matrix": self.matrix, "row_lower": self.row_lower, "row_upper": self.row_upper,
            "n_linking": len(self.linking),
        }


@dataclass
class Decomposition:
    n_cols: int
    n_rows: int
    #: original index of each master column (budget columns come after them in the master)
    master_columns: np.ndarray
    #: original rows that are master rows, and the coupling rows (both kept in the master, coupling rows with budgets)
    master_rows: np.ndarray
    coupling_rows: np.ndarray
    #: coupling row (position in coupling_rows) and block of each budget column
    budget_row: np.ndarray
    budget_block: np.ndarray
    #: senses the coupling rows are held to: the original bounds, or an equality relaxed to one side
    coupling_lower: np.ndarray
    coupling_upper: np.ndarray
    #: for a relaxed equality: the master column (position among master columns) that takes up the slack, and the row
    relaxed_rows: np.ndarray
    relaxed_columns: np.ndarray
    blocks: list[Block]
    #: the master's programme without the block estimates (columns: master columns then budgets; rows: master rows
    #: then coupling rows; the objective's constant)
    master: FinishedProgram

    @property
    def n_master(self) -> int:
        """Columns of the master without the subproblem estimates: master columns and budgets."""
        return len(self.master_columns) + len(self.budget_row)

    def fingerprint(self) -> str:
        """Identifies the decomposition (for checkpoints): sizes, the master's arrays and each block's columns."""
        digest = hashlib.sha256()
        master = self.master
        for array in (self.master_columns, self.budget_row, self.budget_block, master.cost, master.col_lower, master.col_upper,
                      master.row_lower, master.row_upper, master.matrix.data, master.matrix.indices):
            digest.update(np.ascontiguousarray(array).tobytes())
        for block in self.blocks:
            digest.update(np.ascontiguousarray(block.columns).tobytes())
            digest.update(np.ascontiguousarray(block.cost).tobytes())
            digest.update(np.ascontiguousarray(block.matrix.data).tobytes())
            digest.update(np.ascontiguousarray(block.row_lower).tobytes())
            digest.update(np.ascontiguousarray(block.row_upper).tobytes())
        return digest.hexdigest()[:16]

    def assemble(self, y: np.ndarray, block_x: dict[int, np.ndarray]) -> np.ndarray:
        """The full column vector from master values ``y`` and each block's own columns."""
        x = np.zeros(self.n_cols)
        x[self.master_columns] = y[: len(self.master_columns)]
        for block in self.blocks:
            x[block.columns] = block_x[block.index]
        return x

    def master_point(self, x: np.ndarray, matrix: sp.csr_matrix) -> np.ndarray:
        """The master values (master columns, then budgets) of a point ``x`` of the whole programme: its master
        columns, and as each budget the block's own share a_b x_b of the coupling row (what the block used)."""
        y = np.zeros(self.n_master)
        y[: len(self.master_columns)] = x[self.master_columns]
        for block in self.blocks:
            if len(block.coupling_rows):
                y[block.budget_columns] = matrix[block.coupling_rows][:, block.columns] @ x[block.columns]
        return y

    def tighten(self, x: np.ndarray, matrix: sp.csr_matrix, row_lower: np.ndarray, row_upper: np.ndarray) -> np.ndarray:
        """Move each relaxed equality's slack column so that its row holds with equality again (see the module doc)."""
        x = x.copy()
        for row, column in zip(self.relaxed_rows, self.relaxed_columns):
            start, end = matrix.indptr[row], matrix.indptr[row + 1]
            columns, values = matrix.indices[start:end], matrix.data[start:end]
            own = columns == column
            # solved from the other terms (not corrected by the slack: the master may have left the column far off)
            x[column] = (row_lower[row] - float(values[~own] @ x[columns[~own]])) / float(values[own][0])
        return x


def time_blocks(time, days_per_block: int) -> tuple[np.ndarray, list[list]]:
    """Block of each time step (consecutive runs of ``days_per_block`` representative periods) and the
    representative periods of each block."""
    group = time["representative_period"].to_numpy()
    starts = np.r_[True, group[1:] != group[:-1]]
    run = np.cumsum(starts) - 1  # index of the run of each step
    block = run // max(int(days_per_block), 1)
    labels = group[starts]
    members = [list(labels[b * days_per_block : (b + 1) * days_per_block]) for b in range(int(block.max()) + 1)]
    return block, members


def column_blocks(lp, n_cols: int, periods, step_block: np.ndarray, n_time_blocks: int) -> np.ndarray:
    """Block of each timed column (period x time block), MASTER for untimed ones and columns the user added."""
    blocks = np.full(n_cols, MASTER, dtype=np.int64)
    period_index = {p: i for i, p in enumerate(periods)}
    for family in lp.variables.values():
        if not family.timed or family.size == 0:
            continue
        if "period" in family.keys.columns:
            period = np.array([period_index.get(p, 0) for p in family.keys["period"].to_numpy()], dtype=np.int64)
        else:
            period = np.zeros(family.n_keys, dtype=np.int64)
        ids = period[:, None] * n_time_blocks + step_block[None, :]
        blocks[family.offset : family.offset + family.size] = ids.ravel()
    return blocks


def _row_block_range(matrix: sp.csr_matrix, col_block: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Lowest and highest block among each row's block columns (MASTER, MASTER where it has none)."""
    entry_block = col_block[matrix.indices]
    high_key = np.where(entry_block >= 0, entry_block, -1)
    low_key = np.where(entry_block >= 0, entry_block, np.iinfo(np.int64).max)
    n_rows = matrix.shape[0]
    low = np.full(n_rows, np.iinfo(np.int64).max, dtype=np.int64)
    high = np.full(n_rows, -1, dtype=np.int64)
    rows = np.repeat(np.arange(n_rows), np.diff(matrix.indptr))
    np.minimum.at(low, rows, low_key)
    np.maximum.at(high, rows, high_key)
    low[high < 0] = MASTER
    return low, high


def absorb(matrix_csc: sp.csc_matrix, matrix_csr: sp.csr_matrix, col_block: np.ndarray, candidates: np.ndarray) -> np.ndarray:
    """Give each candidate (untimed) column whose rows reach timed columns of one block only to that block; repeated
    until nothing changes (a column absorbed may bring another's rows into one block)."""
    col_block = col_block.copy()
    while True:
        low, high = _row_block_range(matrix_csr, col_block)
        one = (low == high) & (high >= 0)
        none = high < 0
        changed = False
        entries_row = matrix_csc.indices
        entries_col = np.repeat(np.arange(matrix_csc.shape[1]), np.diff(matrix_csc.indptr))
        for_candidates = np.isin(entries_col, candidates[col_block[candidates] == MASTER])
        rows, cols = entries_row[for_candidates], entries_col[for_candidates]
        # per candidate column: lowest and highest block over its rows that have block columns; -2 marks a row
        # reaching several blocks
        row_block = np.where(one[rows], high[rows], np.where(none[rows], MASTER, -2))
        reaching = row_block != MASTER
        if reaching.any():
            c, b = cols[reaching], row_block[reaching]
            lowest = np.full(matrix_csc.shape[1], np.iinfo(np.int64).max, dtype=np.int64)
            highest = np.full(matrix_csc.shape[1], -3, dtype=np.int64)
            np.minimum.at(lowest, c, b)
            np.maximum.at(highest, c, b)
            take = np.flatnonzero((lowest == highest) & (lowest >= 0))
            take = take[col_block[take] == MASTER]
            if len(take):
                col_block[take] = lowest[take]
                changed = True
        if not changed:
            return col_block


def _relaxable(matrix_csc: sp.csc_matrix, row: int, master_cols: np.ndarray, cost: np.ndarray, col_lower, col_upper,
               row_lower, row_upper, is_equality: np.ndarray) -> tuple[int, int] | None:
    """For an equality coupling row: (side, column) if moving a master column of it can always close the row's slack
    at no cost and without leaving another row or bound; side -1: relax to <= (the column raises the row's
    activity), +1: relax to >=. None if no column can."""
    for column in master_cols:
        col_start, col_end = matrix_csc.indptr[column], matrix_csc.indptr[column + 1]
        rows, values = matrix_csc.indices[col_start:col_end], matrix_csc.data[col_start:col_end]
        own = values[rows == row]
        if len(own) != 1 or own[0] == 0:
            continue
        others, coefficients = rows[rows != row], values[rows != row]
        for side in (-1, 1):
            # side -1 (row relaxed to <=): the repair raises the row's activity, moving the column by sign(own)
            direction = np.sign(own[0]) * (1 if side == -1 else -1)
            if cost[column] * direction > 0:
                continue
            if (direction > 0 and np.isfinite(col_upper[column])) or (direction < 0 and np.isfinite(col_lower[column])):
                continue
            change = coefficients * direction
            ok = True
            for other, delta in zip(others, change):
                if is_equality[other] or (delta > 0 and np.isfinite(row_upper[other])) or (delta < 0 and np.isfinite(row_lower[other])):
                    ok = False
                    break
            if ok:
                return side, int(column)
    return None


def budget_ranges(sub: sp.csr_matrix, entry_row: np.ndarray, entry_block: np.ndarray, pairs: np.ndarray, col_lower: np.ndarray,
                  col_upper: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Bounds of each budget (coupling row, block): the range of the block's part a_b x_b over its columns' bounds,
    sum_j min(a_j lb_j, a_j ub_j) to sum_j max(...) (infinite where a column is unbounded that way).

    They cut off no optimum: a budget outside the range of what its block can use is either one the block cannot
    meet, or more room than it can take, which the coupling row is as well off without. Without them a budget whose
    cut has slope 0 (the block does not use all of it) can be moved without limit in the master, which lets the master's
    LP shift the other budgets of the row to where every block costs its floor."""
    keep = entry_block >= 0
    coefficient = sub.data[keep]
    column = sub.indices[keep]
    with np.errstate(invalid="ignore"):
        at_lower, at_upper = coefficient * col_lower[column], coefficient * col_upper[column]
    low, high = np.minimum(at_lower, at_upper), np.maximum(at_lower, at_upper)
    low[coefficient == 0], high[coefficient == 0] = 0.0, 0.0  # a stored zero: 0 x an infinite bound is nothing
    if not len(pairs):
        return np.zeros(0), np.zeros(0)
    width = int(max(pairs[:, 1].max(), entry_block.max())) + 1
    budget = np.searchsorted(pairs[:, 0] * width + pairs[:, 1], entry_row[keep] * width + entry_block[keep])
    lower, upper = np.zeros(len(pairs)), np.zeros(len(pairs))
    np.add.at(lower, budget, low)
    np.add.at(upper, budget, high)
    return lower, upper


def decompose(finished, lp, time, periods, days_per_block: int = 1, relax: bool = True) -> Decomposition:
    """Partition the programme (``finished``: arrays incl. user additions; ``lp``: the model's families) into master
    and blocks, and build the master's and each subproblem's arrays."""
    matrix = finished.matrix.tocsr()
    csc = matrix.tocsc()
    n_rows, n_cols = matrix.shape
    step_block, members = time_blocks(time, days_per_block)
    n_time_blocks = len(members)
    col_block = column_blocks(lp, n_cols, list(periods), step_block, n_time_blocks)
    untimed = np.flatnonzero(col_block == MASTER)
    col_block = absorb(csc, matrix, col_block, untimed)

    low, high = _row_block_range(matrix, col_block)
    master_row = high < 0
    single = (low == high) & ~master_row
    coupling = ~master_row & ~single
    master_columns = np.flatnonzero(col_block == MASTER)
    master_position = np.full(n_cols, -1, dtype=np.int64)
    master_position[master_columns] = np.arange(len(master_columns))

    coupling_rows = np.flatnonzero(coupling)
    # budgets: one per (coupling row, block it reaches)
    sub = matrix[coupling_rows]
    entry_row = np.repeat(np.arange(len(coupling_rows)), np.diff(sub.indptr))
    entry_block = col_block[sub.indices]
    pairs = np.unique(np.stack([entry_row[entry_block >= 0], entry_block[entry_block >= 0]], axis=1), axis=0) if len(entry_row) else np.zeros((0, 2), dtype=np.int64)
    budget_row, budget_block = pairs[:, 0].astype(np.int64), pairs[:, 1].astype(np.int64)
    n_budget = len(budget_row)
    budget_position = len(master_columns) + np.arange(n_budget)
    budget_lower, budget_upper = budget_ranges(sub, entry_row, entry_block, pairs, finished.col_lower, finished.col_upper)

    # senses of coupling rows: equalities relaxed to one side where a master column can take up the slack
    is_equality = (finished.row_lower == finished.row_upper)
    coupling_lower = finished.row_lower[coupling_rows].copy()
    coupling_upper = finished.row_upper[coupling_rows].copy()
    relaxed_rows, relaxed_columns = [], []
    for k, row in enumerate(coupling_rows):
        if not relax or not is_equality[row]:
            continue
        start, end = matrix.indptr[row], matrix.indptr[row + 1]
        cols = matrix.indices[start:end]
        found = _relaxable(csc, row, cols[col_block[cols] == MASTER], finished.cost, finished.col_lower, finished.col_upper,
                           finished.row_lower, finished.row_upper, is_equality)
        if found is None:
            continue
        side, column = found
        if side == -1:
            coupling_lower[k] = -np.inf
        else:
            coupling_upper[k] = np.inf
        relaxed_rows.append(row)
        relaxed_columns.append(column)

    # master: master rows (master columns only) and the coupling rows' master parts with their budgets
    master_part = matrix[np.r_[np.flatnonzero(master_row), coupling_rows]][:, master_columns].tocoo()
    n_master_rows = int(master_row.sum())
    budget_entries = sp.coo_matrix(
        (np.ones(n_budget), (n_master_rows + budget_row, budget_position)), shape=(n_master_rows + len(coupling_rows), len(master_columns) + n_budget)
    )
    master_matrix = (sp.coo_matrix((master_part.data, (master_part.row, master_part.col)), shape=budget_entries.shape) + budget_entries).tocsr()
    master_cost = np.r_[finished.cost[master_columns], np.zeros(n_budget)]
    master_lower = np.r_[finished.col_lower[master_columns], budget_lower]
    master_upper = np.r_[finished.col_upper[master_columns], budget_upper]
    row_lower = np.r_[finished.row_lower[master_row], coupling_lower]
    row_upper = np.r_[finished.row_upper[master_row], coupling_upper]

    # blocks
    n_periods = len(periods)
    order = np.argsort(col_block, kind="stable")
    sorted_blocks = col_block[order]
    row_order = np.argsort(np.where(single, low, MASTER), kind="stable")
    sorted_row_blocks = np.where(single, low, MASTER)[row_order]
    blocks, position_of = [], {}
    for b in range(n_periods * n_time_blocks):
        columns = order[np.searchsorted(sorted_blocks, b, "left") : np.searchsorted(sorted_blocks, b, "right")]
        rows = row_order[np.searchsorted(sorted_row_blocks, b, "left") : np.searchsorted(sorted_row_blocks, b, "right")]
        mine = np.flatnonzero(budget_block == b)
        if len(columns) == 0 and len(rows) == 0 and len(mine) == 0:
            continue
        block_coupling = coupling_rows[budget_row[mine]]
        own_rows = matrix[rows]
        # master columns the block's rows touch
        touched = np.unique(own_rows.indices[col_block[own_rows.indices] == MASTER])
        linking = np.r_[master_position[touched], budget_position[mine]].astype(np.int64)
        position_of[b] = len(blocks)
        blocks.append(Block(
            index=len(blocks), period=periods[b // n_time_blocks], representative_periods=members[b % n_time_blocks], columns=columns,
            rows=rows, linking=linking, coupling_rows=block_coupling, budget_columns=budget_position[mine],
        ))
        _subproblem_arrays(blocks[-1], finished, matrix, touched, budget_row[mine], coupling_lower, coupling_upper)

    return Decomposition(
        n_cols=n_cols, n_rows=n_rows, master_columns=master_columns, master_rows=np.flatnonzero(master_row), coupling_rows=coupling_rows,
        budget_row=budget_row, budget_block=np.array([position_of[b] for b in budget_block], dtype=np.int64),
        coupling_lower=coupling_lower, coupling_upper=coupling_upper, relaxed_rows=np.array(relaxed_rows, dtype=np.int64),
        relaxed_columns=np.array(relaxed_columns, dtype=np.int64), blocks=blocks,
        master=FinishedProgram(master_cost, master_lower, master_upper, master_matrix, row_lower, row_upper, finished.objective_offset),
    )


def _subproblem_arrays(block: Block, finished, matrix: sp.csr_matrix, touched: np.ndarray, budget_rows: np.ndarray,
                       coupling_lower: np.ndarray, coupling_upper: np.ndarray) -> None:
    """Columns: the block's own, then the linking ones (master columns it touches, then its budgets), fixed by the
    caller. Rows: the block's own, then for each coupling row its part ``a_b x_b - budget_b`` held like the row."""
    own, rows = block.columns, block.rows
    n_own, n_touched, n_budget = len(own), len(touched), len(budget_rows)
    columns = np.r_[own, touched]
    position = np.full(matrix.shape[1], -1, dtype=np.int64)
    position[columns] = np.arange(len(columns))
    own_part = matrix[rows].tocoo()
    coupling_part = matrix[block.coupling_rows].tocoo()
    in_block = position[coupling_part.col]
    keep = (in_block >= 0) & (in_block < n_own)  # only the block's own columns enter its part of a coupling row
    n_sub_rows = len(rows) + n_budget
    entries_row = np.r_[own_part.row, len(rows) + coupling_part.row[keep], len(rows) + np.arange(n_budget)]
    entries_col = np.r_[position[own_part.col], in_block[keep], n_own + n_touched + np.arange(n_budget)]
    entries_val = np.r_[own_part.data, coupling_part.data[keep], -np.ones(n_budget)]
    block.matrix = sp.csc_matrix((entries_val, (entries_row, entries_col)), shape=(n_sub_rows, n_own + n_touched + n_budget))
    block.cost = np.r_[finished.cost[own], np.zeros(n_touched + n_budget)]
    block.col_lower = np.r_[finished.col_lower[own], finished.col_lower[touched], np.full(n_budget, -np.inf)]
    block.col_upper = np.r_[finished.col_upper[own], finished.col_upper[touched], np.full(n_budget, np.inf)]
    low = np.where(np.isfinite(coupling_lower[budget_rows]), 0.0, -np.inf)
    high = np.where(np.isfinite(coupling_upper[budget_rows]), 0.0, np.inf)
    block.row_lower = np.r_[finished.row_lower[rows], low]
    block.row_upper = np.r_[finished.row_upper[rows], high]
