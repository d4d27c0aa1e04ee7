"""Time aggregation: representative days (tsam) or downsampling of an hourly year.

``aggregate(case)`` maps a loaded, validated :class:`~optimiser.inputs.Case` to a new case whose
time-indexed tables (``time_steps``, ``availability``, ``demand_profiles``) are aggregated as the
setting ``time_aggregation`` asks (docs/inputs.md, section 6.5):

``{method: representative_days, days: K, cluster: hierarchical, seed: 0}``
    The year (a multiple of 24 one-hour steps, e.g. 8760) is cut into days.  Every day is described by
    the 24 hourly values of *every* availability and demand profile of *every* region, each profile
    scaled to [0, 1] over the year; tsam clusters the days (``cluster``: ``hierarchical``, Ward's method,
    the default, or ``kmedoids``, exact k-medoids solved as a MILP, slow on a full year; both are
    deterministic, so ``seed`` changes nothing and is kept for old settings), each cluster represented by
    its medoid, a real day (or, with ``representation: distribution``, by tsam's duration representation:
    each profile's values over the cluster's days, sorted and averaged into 24 hours ordered as the cluster's
    mean day; the medoid still gives the time labels).  The new time steps are the representative days' hours
    (``representative_period`` = 0..K-1 in calendar order of the days, ``time`` = the day's hour's original
    label), each standing for ``weight_h`` = the hours of all days of its cluster at that hour, so the
    weights sum to the year's hours.  Profiles are then rescaled so that the weighted annual sums equal the
    original ones exactly (availability is clipped at 1 and the remainder spread over the unclipped hours).
    The chronological sequence *original day -> representative day* is kept on the case as
    ``case.period_sequence`` (columns ``day``, ``time``, ``representative_period``) for seasonal storage
    (:mod:`optimiser.model.storage`).

``extreme_days: {peak_net_load: n, low_renewables: m}``
    Before clustering, the n days of highest national net load and the m consecutive days of least national
    wind-and-solar energy (:mod:`.extremes`, with the net load of :mod:`.national`, set by ``net_load:
    {fleet, technologies}``) are taken out; each becomes a representative period of its own, standing for
    itself only, at its place in the sequence.  ``days`` counts them: days - (extreme days) are clustered.

``segments: S``
    tsam's segmentation: each representative day becomes S steps of unequal length (Ward clustering of
    adjacent hours), ``duration_h`` = the segment's hours, ``weight_h`` = its hours x the days the period
    stands for, profiles averaged over the hours (weighted sums kept).  ``hours: H`` instead merges equal
    blocks of H hours.

``{method: downsample, hours: H}``
    Consecutive blocks of ``H`` steps inside each representative period are merged into one step:
    ``weight_h`` and ``duration_h`` are summed, profiles are averaged weighted by ``weight_h`` (annual
    sums preserved exactly).  The last block of a representative period may be shorter.

absent or ``{method: none}``
    The time steps are used as given.

Every aggregation reports its representation error (:mod:`.error`: duration curves of demand, wind and
solar output, net load and availability, aggregated year against the full year) in
``case.time_aggregation["representation_error"]``, which also records what was applied.  Aggregating an
aggregated case returns it unchanged, so :func:`optimiser.build_model` can call :func:`aggregate` on every
case it receives.

Modules: :mod:`.settings` (options, validation), :mod:`.profiles` (wide profiles, rescaling, merging),
:mod:`.national` (national demand, wind and solar, net load), :mod:`.extremes` (extreme days),
:mod:`.clustering` (tsam), :mod:`.error` (representation error), :mod:`.pipeline` (the whole).
"""

from .pipeline import aggregate, time_since
from .error import COLUMNS as ERROR_COLUMNS
from .settings import HOURS_PER_DAY, METHODS, OPTIONS, setting_issues, table_issues

__all__ = ["ERROR_COLUMNS", "HOURS_PER_DAY", "METHODS", "OPTIONS", "aggregate", "setting_issues", "table_issues", "time_since"]
