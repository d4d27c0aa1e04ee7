"""A coarse copy of each block's operation kept in the master: a lower bound on the block's cost that depends on the
master's values (``benders.relaxation``; docs/model.md, section 13).

Without it the master knows a block only through its floor (its least cost over every master value) and the cuts;
on China the floors are 42 % of the optimum and thousands of linking columns need thousands of cuts before the
lower bound moves. Keeping a relaxation of each subproblem in the master is *partial Benders decomposition*
(Crainic, Hewitt, Maggioni and Rei, Transportation Science 55(2), 2021); the relaxation here is the block's own
programme aggregated in time, in the spirit of Bahl et al. (Computers & Chemical Engineering 112, 2018), who bound
energy-system syntheses from below by aggregating time series.

Aggregation (on the block's rows and columns, so it holds for whatever the programme contains)
    The block's time steps are grouped (``block``: all of them; ``day``: each representative period;
    ``typical_day``: the steps at the same position of each representative period). Rows of one
    constraint and key in one group are summed with positive weights w_i (ranged rows: bounds summed too). Columns
    of one variable and key in one group are merged into X = sum_c α_c x_c (α: the hours each step stands for)
    where the summed rows see them alike: every aggregated row's coefficient and the cost per unit α are equal over
    the group. A feasible operation of the block then gives a feasible X of equal cost, so the aggregated programme
    costs no more than the block at any master values:

        θ_b >= min { c_X'X + const : aggregated rows (with the master's columns as in the block) }  <=  Q_b(y)

    A column that cannot be merged is projected out with its bounds (each row's bounds widen by the range of
    a x_c over [lb_c, ub_c]; its cost adds its least value to ``const``): still a relaxation, only weaker. The row
    weights only decide how much merges: w_i makes the row's coefficient of its first own column at its own step
    equal to that column's α (so a power balance becomes an energy balance and a storage balance sums its steps).

What it keeps: energy balances per region and group, availabilities, fuel and CO2 by group, the block's share of
coupling rows. What it loses: what happens inside a group (peaks, storage cycles within it), which the cuts add.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

#: relative difference under which two merged columns' coefficients count as equal
MERGE_TOLERANCE = 1e-9


@dataclass
class Relaxation:
    """The aggregated copy of one block: merged columns X, rows over X and the block's linking columns."""

    block: int
    cost: np.ndarray
    col_lower: np.ndarray
    col_upper: np.ndarray
    #: rows over the merged columns, then the block's linking columns (positions in the master: ``linking``)
    matrix: sp.csr_matrix
    linking: np.ndarray
    row_lower: np.ndarray
    row_upper: np.ndarray
    #: least cost of the columns projected out (bn CNY)
    constant: float
    projected_columns: int

    @property
    def merged_columns(self) -> int:
        return len(self.cost)


def identities(lp, n_cols: int, n_rows: int, time_group: np.ndarray):
    """For every column and row of the programme: a group label (same variable or constraint, same key, same time
    group) and the step's time index (-1 untimed). Columns and rows the model's families do not hold (a user's
    additions) are each a group of their own."""
    n_time = lp.n_time
    n_groups = int(time_group.max()) + 1 if len(time_group) else 1

    def labels(families, n):
        label = -1 - np.arange(n, dtype=np.int64)  # own group: negative, unique
        step = np.full(n, -1, dtype=np.int64)
        base = 0
        for family in families:
            if family.size == 0:
                continue
            index = np.arange(family.size, dtype=np.int64)
            if family.timed:
                key, t = np.divmod(index, n_time)
                label[family.offset : family.offset + family.size] = base + key * n_groups + time_group[t]
                step[family.offset : family.offset + family.size] = t
                base += family.n_keys * n_groups
            else:
                label[family.offset : family.offset + family.size] = base + index
                base += family.size
        return label, step

    column_label, column_step = labels(lp.variables.values(), n_cols)
    row_label, row_step = labels(lp.constraints.values(), n_rows)
    return column_label, column_step, row_label, row_step


def time_groups(time, grouping: str) -> np.ndarray:
    """Group of each time step: one for the block (``block``), one per representative period (``day``), or one per
    position in the representative period (``typical_day``: the block's days merged into one, its hours kept)."""
    if grouping == "block":
        return np.zeros(len(time["time"]), dtype=np.int64)
    period = time["representative_period"].to_numpy()
    if grouping == "typical_day":
        starts = np.r_[True, period[1:] != period[:-1]]
        first = np.maximum.accumulate(np.where(starts, np.arange(len(period)), 0))
        return (np.arange(len(period)) - first).astype(np.int64)
    return np.unique(period, return_inverse=True)[1].astype(np.int64)


def relax_block(block, column_label, column_step, row_label, row_step, hours) -> Relaxation:
    """The aggregated copy of ``block`` (its arrays as built by :func:`partition.decompose`)."""
    n_own = len(block.columns)
    alpha = np.where(column_step[block.columns] >= 0, hours[np.maximum(column_step[block.columns], 0)], 1.0)
    summed, lower, upper = _summed_rows(block, alpha, column_step, row_label, row_step, hours)
    summed_own, summed_link = summed[:, :n_own], summed[:, n_own:]
    column_group = np.unique(column_label[block.columns], return_inverse=True)[1]
    merged = _mergeable(summed_own, block.cost[:n_own], alpha, column_group)
    matrix, cost, col_lower, col_upper = _merged_columns(summed_own, block, alpha, column_group, merged)
    projected = np.flatnonzero(~merged)
    constant = _project(summed_own, block, projected, lower, upper)

    full = sp.hstack([matrix, summed_link], format="csr")
    full.eliminate_zeros()
    empty = np.diff(full.indptr) == 0
    if np.any(empty & ((lower > 1e-9) | (upper < -1e-9))):
        raise ValueError(f"block {block.label}: an aggregated row without columns cannot hold (the block has no feasible operation)")
    keep = ~empty & ~(np.isneginf(lower) & np.isposinf(upper))
    return Relaxation(
        block=block.index, cost=cost, col_lower=col_lower, col_upper=col_upper, matrix=full[keep], linking=block.linking,
        row_lower=lower[keep], row_upper=upper[keep], constant=constant, projected_columns=len(projected),
    )


def _summed_rows(block, alpha, column_step, row_label, row_step, hours) -> tuple[sp.csc_matrix, np.ndarray, np.ndarray]:
    """The block's rows summed by group with positive weights, and their summed bounds (infinite where any is). The
    coupling parts at the end of the block's rows stay rows of their own, weight 1."""
    matrix = block.matrix.tocsr()
    n_rows, n_block_rows = matrix.shape[0], len(block.rows)
    labels = np.r_[row_label[block.rows], -1 - np.arange(n_rows - n_block_rows) - len(row_label)]
    row_group = np.unique(labels, return_inverse=True)[1]
    steps = np.r_[row_step[block.rows], np.full(n_rows - n_block_rows, -1)]
    weight = _row_weights(matrix[:, : len(block.columns)], alpha, column_step[block.columns], steps, hours)
    summing = sp.csr_matrix((weight, (row_group, np.arange(n_rows))), shape=(int(row_group.max()) + 1 if n_rows else 0, n_rows))
    lower = summing @ np.where(np.isfinite(block.row_lower), block.row_lower, 0.0)
    upper = summing @ np.where(np.isfinite(block.row_upper), block.row_upper, 0.0)
    lower[(summing @ ~np.isfinite(block.row_lower)) > 0] = -np.inf
    upper[(summing @ ~np.isfinite(block.row_upper)) > 0] = np.inf
    return (summing @ matrix).tocsc(), lower, upper


def _mergeable(summed_own: sp.csc_matrix, cost: np.ndarray, alpha: np.ndarray, column_group: np.ndarray) -> np.ndarray:
    """Whether each column's group can be merged: every member's summed column and cost per unit α equal the first
    member's (within MERGE_TOLERANCE)."""
    n_groups = int(column_group.max()) + 1 if len(column_group) else 0
    first = _first_members(column_group, n_groups)[column_group]
    scaled = (summed_own @ sp.diags(1.0 / alpha)).tocsc()
    size = np.maximum(abs(scaled).max(axis=0).toarray().ravel(), abs(scaled[:, first]).max(axis=0).toarray().ravel())
    mismatch = abs(scaled - scaled[:, first]).max(axis=0).toarray().ravel() > MERGE_TOLERANCE * np.maximum(size, 1e-300)
    unit_cost = cost / alpha
    mismatch |= np.abs(unit_cost - unit_cost[first]) > MERGE_TOLERANCE * np.maximum(np.abs(unit_cost), 1e-300)
    bad = np.bincount(column_group, weights=mismatch.astype(float), minlength=n_groups) > 0
    return ~bad[column_group]


def _first_members(column_group: np.ndarray, n_groups: int) -> np.ndarray:
    first = np.full(n_groups, len(column_group), dtype=np.int64)
    np.minimum.at(first, column_group, np.arange(len(column_group)))
    return first


def _merged_columns(summed_own, block, alpha, column_group, merged):
    """X_g = sum α_c x_c of each mergeable group: the first member's column and cost per unit α, summed bounds."""
    n_groups = int(column_group.max()) + 1 if len(column_group) else 0
    groups = np.unique(column_group[merged])
    first = _first_members(column_group, n_groups)[groups]
    n_own = len(column_group)
    with np.errstate(invalid="ignore"):
        low_terms, high_terms = alpha * block.col_lower[:n_own], alpha * block.col_upper[:n_own]

    def summed(values):
        return np.bincount(column_group[merged], weights=values[merged], minlength=n_groups)[groups]

    col_lower, col_upper = summed(np.where(np.isfinite(low_terms), low_terms, 0.0)), summed(np.where(np.isfinite(high_terms), high_terms, 0.0))
    col_lower[summed(np.isneginf(low_terms).astype(float)) > 0] = -np.inf
    col_upper[summed(np.isposinf(high_terms).astype(float)) > 0] = np.inf
    matrix = (summed_own[:, first] @ sp.diags(1.0 / alpha[first])).tocsr()
    return matrix, block.cost[first] / alpha[first], col_lower, col_upper


def _project(summed_own, block, projected: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> float:
    """Project the columns that cannot be merged out of the summed rows (in place: each row's bounds widen by the
    range of its term over the column's bounds); returns the least value of their cost (bn CNY)."""
    if not len(projected):
        return 0.0
    n_own = len(block.columns)
    part = summed_own[:, projected].tocoo()
    lb, ub = block.col_lower[:n_own][projected][part.col], block.col_upper[:n_own][projected][part.col]
    with np.errstate(invalid="ignore"):
        at_low, at_high = part.data * lb, part.data * ub
    np.add.at(lower, part.row, -np.maximum(at_low, at_high))
    np.add.at(upper, part.row, -np.minimum(at_low, at_high))
    cost = block.cost[:n_own][projected]
    with np.errstate(invalid="ignore"):
        least = np.where(cost > 0, cost * block.col_lower[:n_own][projected], np.where(cost < 0, cost * block.col_upper[:n_own][projected], 0.0))
    constant = float(least.sum())
    if not np.isfinite(constant):
        raise ValueError(f"block {block.label}: a column that cannot be merged has a cost without a bound in its cheap direction, so its "
                         "aggregated copy bounds nothing; use benders.relaxation: none")
    return constant


def _row_weights(own: sp.csr_matrix, alpha: np.ndarray, column_step: np.ndarray, row_step: np.ndarray, hours: np.ndarray) -> np.ndarray:
    """w_i = α_p / |a_ip| for the row's first own column p at the row's own step (the row then reads in the units
    of α x the column: a power balance in GW becomes energy); rows without one: α of their step, or 1 untimed."""
    n_rows = own.shape[0]
    weight = np.where(row_step >= 0, hours[np.maximum(row_step, 0)], 1.0)
    coo = own.tocoo()
    same_step = (column_step[coo.col] == row_step[coo.row]) & (row_step[coo.row] >= 0) & (coo.data != 0)
    rows, cols, values = coo.row[same_step], coo.col[same_step], coo.data[same_step]
    order = np.lexsort((cols, rows))
    rows, cols, values = rows[order], cols[order], values[order]
    starts = np.r_[True, rows[1:] != rows[:-1]] if len(rows) else np.zeros(0, dtype=bool)
    pivot_rows = rows[starts]
    weight[pivot_rows] = alpha[cols[starts]] / np.abs(values[starts])
    return weight[:n_rows]


def relaxations(decomposition, lp, time, grouping: str) -> list[Relaxation]:
    """The aggregated copy of every block (``grouping``: one of settings.RELAXATIONS other than none)."""
    hours = time["weight_h"].to_numpy(dtype=float)
    column_label, column_step, row_label, row_step = identities(lp, decomposition.n_cols, decomposition.n_rows, time_groups(time, grouping))
    return [relax_block(block, column_label, column_step, row_label, row_step, hours) for block in decomposition.blocks]
