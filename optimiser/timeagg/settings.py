"""The ``time_aggregation`` setting: its options and their validation (docs/inputs.md, section 6.5)."""

from __future__ import annotations

import numpy as np
import pandas as pd

METHODS = ("none", "representative_days", "downsample")
#: clustering of the ordinary days (tsam): Ward-hierarchical (default) or exact k-medoids (a MILP, HiGHS)
CLUSTER_METHODS = ("hierarchical", "kmedoids")
#: what stands for a cluster of ordinary days (tsam): its medoid, a real day (default), or ``distribution``: every
#: profile's values over the cluster's days, sorted and averaged into 24 hours ordered as the cluster's mean day
#: (tsam's duration representation, Hoffmann et al. 2022): each cluster keeps its profiles' duration curves
REPRESENTATIONS = ("medoid", "distribution")
#: capacity behind the national wind-and-solar output of the net load (see optimiser.timeagg.national)
FLEETS = ("potential", "installed")
EXTREMES = ("peak_net_load", "low_renewables")
NET_LOAD_OPTIONS = ("fleet", "technologies")
HOURS_PER_DAY = 24
#: the options each method accepts
ALLOWED = {
    "none": {"method", "seed"},
    "representative_days": {"method", "days", "hours", "segments", "extreme_days", "cluster", "representation", "net_load", "seed"},
    "downsample": {"method", "hours", "net_load", "seed"},
}
OPTIONS = set().union(*ALLOWED.values())
DEFAULT_CLUSTER = "hierarchical"
DEFAULT_REPRESENTATION = "medoid"
DEFAULT_FLEET = "potential"
EXAMPLE = "a mapping such as {method: representative_days, days: 8} or {method: downsample, hours: 3}"


def _is_int(value) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool)


def _count(value) -> bool:
    return _is_int(value) and value >= 0


def extreme_counts(setting) -> dict[str, int]:
    """{peak_net_load: n, low_renewables: n} of a valid setting (0 where not asked)."""
    extremes = (setting or {}).get("extreme_days") or {}
    return {name: int(extremes.get(name, 0)) for name in EXTREMES}


def setting_issues(value) -> list[tuple[str, object, str]]:
    """Problems with a ``time_aggregation`` setting as (column, value, expected) triples."""
    if value is None:
        return []
    if not isinstance(value, dict):
        return [("time_aggregation", value, EXAMPLE)]
    issues = []
    for key in value:
        if key not in OPTIONS:
            issues.append((f"time_aggregation.{key}", value[key], "one of the options " + ", ".join(sorted(OPTIONS))))
    method = value.get("method")
    if method not in METHODS:
        issues.append(("time_aggregation.method", method, "one of " + ", ".join(repr(m) for m in METHODS)))
        return issues
    for key in sorted(set(value) & OPTIONS - ALLOWED[method]):
        issues.append((f"time_aggregation.{key}", value[key], f"no '{key}' with method {method}"))

    def positive(option, meaning, required=False, most=None):
        given = value.get(option)
        if given is None and not required:
            return
        if not _is_int(given) or given < 1 or (most is not None and given > most):
            bound = f"an integer from 1 to {most}" if most is not None else "an integer >= 1"
            issues.append((f"time_aggregation.{option}", given, f"{bound} ({meaning})"))

    if method == "representative_days":
        positive("days", "required by method representative_days: representative days, extreme days included", required=True)
        positive("hours", "hours per step within each representative day")
        positive("segments", "time steps of unequal length within each representative day", most=HOURS_PER_DAY)
        if value.get("hours") is not None and value.get("segments") is not None:
            issues.append(("time_aggregation.segments", value["segments"],
                           "no 'segments' together with 'hours': equal blocks of hours or tsam's segments, not both"))
        cluster = value.get("cluster", DEFAULT_CLUSTER)
        if cluster not in CLUSTER_METHODS:
            issues.append(("time_aggregation.cluster", cluster, "one of " + ", ".join(CLUSTER_METHODS)))
        representation = value.get("representation", DEFAULT_REPRESENTATION)
        if representation not in REPRESENTATIONS:
            issues.append(("time_aggregation.representation", representation, "one of " + ", ".join(REPRESENTATIONS)))
        issues += _extreme_issues(value)
    elif method == "downsample":
        positive("hours", "required by method downsample", required=True)
    if "net_load" in value and method != "none":
        issues += _net_load_issues(value["net_load"])
    if "seed" in value and not _is_int(value["seed"]):
        issues.append(("time_aggregation.seed", value["seed"], "an integer"))
    return issues


def _extreme_issues(value) -> list[tuple[str, object, str]]:
    extremes = value.get("extreme_days")
    if extremes is None:
        return []
    if not isinstance(extremes, dict):
        return [("time_aggregation.extreme_days", extremes, "a mapping such as {peak_net_load: 1, low_renewables: 3}")]
    issues = [(f"time_aggregation.extreme_days.{k}", v, "one of " + ", ".join(EXTREMES)) for k, v in extremes.items() if k not in EXTREMES]
    issues += [(f"time_aggregation.extreme_days.{k}", extremes[k], "an integer >= 0 (days)") for k in EXTREMES if k in extremes and not _count(extremes[k])]
    days = value.get("days")
    if not issues and _is_int(days):
        wanted = sum(int(extremes.get(k, 0)) for k in EXTREMES)
        if days <= wanted:
            issues.append(("time_aggregation.days", days,
                           f"more than the {wanted} extreme days asked (days counts every representative day, extreme ones included)"))
    return issues


def _net_load_issues(net_load) -> list[tuple[str, object, str]]:
    if not isinstance(net_load, dict):
        return [("time_aggregation.net_load", net_load, "a mapping such as {fleet: potential, technologies: [onwind, solar]}")]
    issues = [(f"time_aggregation.net_load.{k}", v, "one of " + ", ".join(NET_LOAD_OPTIONS)) for k, v in net_load.items() if k not in NET_LOAD_OPTIONS]
    if net_load.get("fleet", DEFAULT_FLEET) not in FLEETS:
        issues.append(("time_aggregation.net_load.fleet", net_load.get("fleet"), "one of " + ", ".join(FLEETS)))
    techs = net_load.get("technologies")
    if techs is not None and (not isinstance(techs, list) or not techs or not all(isinstance(t, str) for t in techs)):
        issues.append(("time_aggregation.net_load.technologies", techs, "a non-empty list of technology names"))
    return issues


def table_issues(tables: dict[str, pd.DataFrame], setting) -> list[tuple[str, str, object, str]]:
    """Problems of the case's tables for a (valid) setting, as (file, column, value, expected)."""
    if not setting or setting.get("method") == "none":
        return []
    issues = []
    techs = (setting.get("net_load") or {}).get("technologies") or []
    unknown = sorted(set(techs) - set(tables["technologies"]["technology"]))
    if unknown:
        issues.append(("settings.yaml", "time_aggregation.net_load.technologies", unknown, "technologies of technologies.csv"))
    if setting.get("method") != "representative_days":
        return issues
    steps = tables["time_steps"]
    if not (steps["duration_h"] == 1.0).all():
        issues.append(("time_steps.csv", "duration_h", sorted(set(steps["duration_h"]) - {1.0})[:3],
                       "1-hour steps (duration_h = 1) for time_aggregation method representative_days"))
    n = len(steps)
    if n % HOURS_PER_DAY:
        issues.append(("time_steps.csv", "time", f"{n} steps", f"a whole number of days ({HOURS_PER_DAY} steps each) for representative_days"))
    elif setting["days"] > n // HOURS_PER_DAY:
        issues.append(("settings.yaml", "time_aggregation.days", setting["days"], f"at most the {n // HOURS_PER_DAY} days of the time steps"))
    return issues
