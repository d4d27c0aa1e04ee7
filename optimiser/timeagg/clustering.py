"""tsam (Kotzur, Hoffmann et al., FZ Juelich) clusters the days and segments the representative days.

tsam scales every column to [0, 1] over the data it is given.  We give it a subset of the year's days
(the year without its extreme days; the representative days to segment), so each column c gets the tsam
weight range_subset(c) / range_year(c): weighted, the subset's scaled values differ from the year's
scaling only by a constant per column, which distances ignore.  Clustering and segmentation thus see
every profile scaled to [0, 1] over the whole year, as documented.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from .settings import HOURS_PER_DAY


def _frame(values: np.ndarray) -> pd.DataFrame:
    """(steps, profiles) frame of (profiles, steps) ``values``, hourly, with tsam-friendly column names."""
    return pd.DataFrame(values.T, columns=[f"p{i}" for i in range(values.shape[0])])


def _year_scaling_weights(subset: np.ndarray, year_span: np.ndarray) -> dict[str, float]:
    """tsam column weights that scale the subset's columns as over the whole year (see the module doc)."""
    import tsam

    span = np.ptp(subset, axis=1)
    ratio = np.divide(span, year_span, out=np.ones_like(span), where=(year_span > 0) & (span > 0))
    ratio = np.maximum(ratio, tsam.options.min_weight)
    return {f"p{i}": float(w) for i, w in enumerate(ratio)}


def _run(values: np.ndarray, n_clusters: int, method: str, year_span: np.ndarray, n_segments: int | None = None,
         representation: str = "medoid"):
    import tsam

    config = tsam.ClusterConfig(method=method, representation=representation)
    segments = tsam.SegmentConfig(n_segments=n_segments) if n_segments else None
    with warnings.catch_warnings():
        # tsam says when a column is constant over the subset; its weight is then irrelevant
        warnings.filterwarnings("ignore", message=".*minimal tolerable weighting.*")
        result = tsam.aggregate(
            _frame(values), n_clusters, period_duration=HOURS_PER_DAY, temporal_resolution=1.0, cluster=config, segments=segments,
            weights=_year_scaling_weights(values, year_span), preserve_column_means=False,
        )
    if method == "kmedoids":
        from ..solve import forget_threads

        forget_threads()  # tsam's MILP ran HiGHS in this process, which may have started its thread pool
    return result


def cluster_days(year: np.ndarray, days: np.ndarray, k: int, method: str, representation: str = "medoid"):
    """Cluster ``days`` (day numbers) of the (profiles, hours) ``year`` into ``k`` groups by tsam's ``method``.

    Returns each day's cluster (0..k-1), each cluster's medoid (a day number: where the cluster stands in the
    calendar) and, with ``representation="distribution"``, the (profiles, k, 24) values that stand for each
    cluster (tsam's duration representation, in the profiles' units; None for medoids, whose own values stand)."""
    days = np.asarray(days)
    hours = (days[:, None] * HOURS_PER_DAY + np.arange(HOURS_PER_DAY)[None, :]).reshape(-1)
    subset, span = year[:, hours], np.ptp(year, axis=1)
    result = _run(subset, k, method, span).clustering
    assign = np.asarray(result.cluster_assignments, dtype=np.int64)
    medoids = days[np.asarray(result.cluster_centers, dtype=np.int64)]
    if representation == "medoid":
        return assign, medoids, None
    # the representation does not change the clustering: same days, same cluster numbers (checked)
    other = _run(subset, k, method, span, representation=representation)
    if not np.array_equal(np.asarray(other.clustering.cluster_assignments, dtype=np.int64), assign):
        raise RuntimeError(f"tsam clustered the days differently for the {representation} representation")
    values = other.cluster_representatives.to_numpy().reshape(k, HOURS_PER_DAY, -1).transpose(2, 0, 1)
    return assign, medoids, values


def segment_days(year: np.ndarray, day_values: np.ndarray, n_segments: int) -> np.ndarray:
    """tsam's segmentation (Ward clustering of adjacent hours) of each representative day of the
    (profiles, days x 24) ``day_values``: the (days, n_segments) hours of each segment, in order."""
    n_days = day_values.shape[1] // HOURS_PER_DAY
    # every day is its own cluster (n_clusters = days); only the segmentation is used
    result = _run(day_values, n_days, "hierarchical", np.ptp(year, axis=1), n_segments).clustering
    durations = np.asarray(result.segment_durations, dtype=np.int64)  # per cluster
    return durations[np.asarray(result.cluster_assignments, dtype=np.int64)]
