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
GROUPINGS = ("none", "block", "day", "typical_day")


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
    merged_columns: int
    projected_columns: int


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
    matrix = block.matrix.tocsr()
    n_rows, n_own = matrix.shape[0], len(block.columns)
    n_block_rows = len(block.rows)
    own = matrix[:, :n_own]
    alpha = np.where(column_step[block.columns] >= 0, hours[np.maximum(column_step[block.columns], 0)], 1.0)

    # rows: groups and weights (the coupling parts at the end stay rows of their own, weight 1)
    labels = np.r_[row_label[block.rows], -1 - np.arange(n_rows - n_block_rows) - len(row_label)]
    row_group = np.unique(labels, return_inverse=True)[1]
    weight = _row_weights(own, alpha, column_step[block.columns], np.r_[row_step[block.rows], np.full(n_rows - n_block_rows, -1)], hours)
    summing = sp.csr_matrix((weight, (row_group, np.arange(n_rows))), shape=(int(row_group.max()) + 1 if n_rows else 0, n_rows))
    summed = (summing @ matrix).tocsc()
    summed_own, summed_link = summed[:, :n_own], summed[:, n_own:]
    lower = summing @ np.where(np.isfinite(block.row_lower), block.row_lower, 0.0)
    upper = summing @ np.where(np.isfinite(block.row_upper), block.row_upper, 0.0)
    lower[(summing @ ~np.isfinite(block.row_lower)) > 0] = -np.inf
    upper[(summing @ ~np.isfinite(block.row_upper)) > 0] = np.inf

    # columns: merge where the summed rows and the cost see the group's members alike
    column_group = np.unique(column_label[block.columns], return_inverse=True)[1]
    n_column_groups = int(column_group.max()) + 1 if n_own else 0
    first = np.full(n_column_groups, n_own, dtype=np.int64)
    np.minimum.at(first, column_group, np.arange(n_own))
    scaled = (summed_own @ sp.diags(1.0 / alpha)).tocsc()
    difference = scaled - scaled[:, first[column_group]]
    size = np.maximum(abs(scaled).max(axis=0).toarray().ravel(), abs(scaled[:, first[column_group]]).max(axis=0).toarray().ravel())
    mismatch = abs(difference).max(axis=0).toarray().ravel() > MERGE_TOLERANCE * np.maximum(size, 1e-300)
    unit_cost = block.cost[:n_own] / alpha
    mismatch |= np.abs(unit_cost - unit_cost[first[column_group]]) > MERGE_TOLERANCE * np.maximum(np.abs(unit_cost), 1e-300)
    bad = np.bincount(column_group, weights=mismatch.astype(float), minlength=n_column_groups) > 0
    merged = ~bad[column_group]

    # merged columns X_g = sum alpha_c x_c: the first member's scaled column, summed bounds
    groups = np.flatnonzero(~bad)
    new_index = np.full(n_column_groups, -1, dtype=np.int64)
    new_index[groups] = np.arange(len(groups))
    with np.errstate(invalid="ignore"):
        low_terms, high_terms = alpha * block.col_lower[:n_own], alpha * block.col_upper[:n_own]
    col_lower = np.bincount(column_group[merged], weights=low_terms[merged], minlength=n_column_groups)[groups]
    col_upper = np.bincount(column_group[merged], weights=high_terms[merged], minlength=n_column_groups)[groups]
    col_lower[np.bincount(column_group[merged], weights=np.isneginf(low_terms[merged]), minlength=n_column_groups)[groups] > 0] = -np.inf
    col_upper[np.bincount(column_group[merged], weights=np.isposinf(high_terms[merged]), minlength=n_column_groups)[groups] > 0] = np.inf
    merged_matrix = scaled[:, first[groups]]
    cost = unit_cost[first[groups]]

    # projected columns: each row's bounds widen by the range of its term; the cost's least value is a constant
    projected = np.flatnonzero(~merged)
    constant = 0.0
    if len(projected):
        part = summed_own[:, projected].tocoo()
        lb, ub = block.col_lower[:n_own][projected][part.col], block.col_upper[:n_own][projected][part.col]
        with np.errstate(invalid="ignore"):
            at_low, at_high = part.data * lb, part.data * ub
        np.add.at(lower, part.row, -np.maximum(at_low, at_high))
        np.add.at(upper, part.row, -np.minimum(at_low, at_high))
        c = block.cost[:n_own][projected]
        with np.errstate(invalid="ignore"):
            least = np.where(c > 0, c * block.col_lower[:n_own][projected], np.where(c < 0, c * block.col_upper[:n_own][projected], 0.0))
        constant = float(least.sum())
        if not np.isfinite(constant):
            raise ValueError(f"block {block.label}: a column that cannot be merged has a cost without a bound in its cheap direction, so its "
                             "aggregated copy bounds nothing; use benders.relaxation: none")

    full = sp.hstack([merged_matrix, summed_link], format="csr")
    full.eliminate_zeros()
    keep = (np.diff(full.indptr) > 0) & ~(np.isneginf(lower) & np.isposinf(upper))
    empty = np.diff(full.indptr) == 0
    if np.any(empty & ((lower > 1e-9) | (upper < -1e-9))):
        raise ValueError(f"block {block.label}: an aggregated row without columns cannot hold (the block has no feasible operation)")
    return Relaxation(
        block=block.index, cost=cost, col_lower=col_lower, col_upper=col_upper, matrix=full[keep], linking=block.linking,
        row_lower=lower[keep], row_upper=upper[keep], constant=constant, merged_columns=len(groups), projected_columns=len(projected),
    )


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
    """The aggregated copy of every block (``grouping`` of :data:`GROUPINGS` other than none)."""
    hours = time["weight_h"].to_numpy(dtype=float)
    column_label, column_step, row_label, row_step = identities(lp, decomposition.n_cols, decomposition.n_rows, time_groups(time, grouping))
    return [relax_block(block, column_label, column_step, row_label, row_step, hours) for block in decomposition.blocks]
