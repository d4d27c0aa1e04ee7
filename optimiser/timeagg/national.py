"""National sums over the regions: electricity demand, wind-and-solar output and net load (GW).

Net load is what the rest of the system must supply once wind and solar have produced:

    net_load[t] = sum_r demand[r, t] - sum_(v, r) C[v, r] * availability[v, r, t]        (GW)

over the regions r and the variable renewable technologies v (``net_load.technologies``; by default every
conversion technology producing the electricity carrier that has an availability profile).  The capacities
C[v, r] (GW) are the ``net_load.fleet``:

``potential`` (default)
    The resource potentials ``capacity_max_GW`` of capacity_limits.csv in the last period, scaled by one
    national factor so that the fleet produces the last period's annual electricity demand
    (sum_t sum_(v,r) C * availability * weight_h = sum_r demand_TWh x 1000).  The potentials say where and
    with which technologies wind and solar can grow; their absolute size (for China about twice the 2060
    demand) is no fleet anyone builds, and the scaling removes that arbitrariness with one rule: a system
    whose wind and solar supply its annual demand, the regime of a carbon-neutral end year.  The peak net
    load is then the hour in which such a system most needs firm capacity and storage; demand is the last
    period's.
``installed``
    The capacity of the existing fleet (capacities.csv) standing in the first period, unscaled, with the
    first period's demand: the net load of today's system (close to demand where little wind and solar
    stands).

Demand in GW per region is the model's: demand_TWh x 1000 x profile / (profile . weight_h), flat where a
region has no profile.  The same factors apply to the aggregated profiles, whose weighted sums are the
original ones, so the series of the full and of the aggregated year are comparable.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .profiles import Profiles
from .settings import DEFAULT_FLEET


@dataclass(frozen=True)
class NetLoadBasis:
    """Weights that turn wide profiles into national series.  ``problem`` says why there is no net load
    (then the series are not defined)."""

    fleet: str
    period: int | None
    technologies: list[str]
    capacity_GW: np.ndarray = field(repr=False)  # per availability profile row: C[v, r] (0 outside the fleet)
    constant_renewables_GW: float  # fleet capacity without a profile x availability_max
    demand_GW: np.ndarray = field(repr=False)  # per demand profile row: GW per unit of profile (0 for other carriers)
    constant_demand_GW: float  # regions with electricity demand and no profile: flat GW
    scale: float  # potential fleet: the national factor applied to the potentials
    total_capacity_GW: float  # the whole fleet, with and without profiles
    problem: str | None = None

    def demand(self, profiles: Profiles) -> np.ndarray:
        return self.demand_GW @ profiles.demand + self.constant_demand_GW

    def renewables(self, profiles: Profiles) -> np.ndarray:
        return self.capacity_GW @ profiles.availability + self.constant_renewables_GW

    def net_load(self, profiles: Profiles) -> np.ndarray:
        return self.demand(profiles) - self.renewables(profiles)

    def describe(self) -> dict:
        """What the aggregation records about the net load."""
        info = {"fleet": self.fleet, "period": self.period, "technologies": list(self.technologies)}
        if self.problem:
            info["problem"] = self.problem
        else:
            info["capacity_GW"] = round(self.total_capacity_GW, 6)
            if self.fleet == "potential":
                info["potential_scale"] = round(self.scale, 9)
        return info


def renewable_technologies(case, setting) -> list[str]:
    """The wind and solar technologies of the net load: as set, or every conversion technology producing the
    electricity carrier that has an availability profile (in the order of technologies.csv)."""
    given = (setting.get("net_load") or {}).get("technologies")
    if given:
        return list(given)
    techs = case["technologies"]
    carrier = case.settings.get("electricity_carrier") or "electricity"
    profiled = set(case["availability"]["technology"].unique())
    chosen = techs[(techs["type"] == "conversion") & (techs["carrier_out"] == carrier) & techs["technology"].isin(profiled)]
    return chosen["technology"].tolist()


def net_load_basis(case, profiles: Profiles, setting) -> NetLoadBasis:
    """The national series of ``case`` as ``setting['net_load']`` defines them (see the module doc)."""
    fleet = (setting.get("net_load") or {}).get("fleet", DEFAULT_FLEET)
    techs = renewable_technologies(case, setting)
    periods = sorted(int(p) for p in case.periods)
    period = periods[-1] if fleet == "potential" else periods[0]
    carrier = case.settings.get("electricity_carrier") or "electricity"
    weight = profiles.weight_h
    hours = float(weight.sum())

    # demand (GW): the model's spreading of the annual energy over the profile
    demand = case["demand"]
    demand = demand[(demand["carrier"] == carrier) & (demand["period"] == period) & (demand["demand_TWh"] > 0)]
    energy_GWh = demand.set_index("region")["demand_TWh"].astype(float) * 1e3
    keys = profiles.demand_keys
    has_profile = (keys["carrier"] == carrier).to_numpy() & keys["region"].isin(energy_GWh.index).to_numpy()
    totals = profiles.demand @ weight
    totals = np.where(totals > 0, totals, 1.0)  # as the model: a profile summing to 0 gives 0 demand
    demand_rows = np.where(has_profile, energy_GWh.reindex(keys["region"]).fillna(0.0).to_numpy() / totals, 0.0)
    flat_regions = sorted(set(energy_GWh.index) - set(keys.loc[has_profile, "region"]))
    constant_demand = float(energy_GWh.reindex(flat_regions).sum() / hours) if flat_regions else 0.0

    # fleet (GW) per (technology, region)
    capacity, problem = _fleet(case, profiles, techs, fleet, period)
    avail_keys = profiles.availability_keys
    on = ["technology", "region"]
    row = pd.MultiIndex.from_frame(avail_keys[on]).get_indexer(pd.MultiIndex.from_frame(capacity[on])) if len(capacity) else np.array([], dtype=int)
    capacity_rows = np.zeros(len(avail_keys))
    np.add.at(capacity_rows, row[row >= 0], capacity["capacity_GW"].to_numpy(dtype=float)[row >= 0])
    availability_max = case["technologies"].set_index("technology")["availability_max"]
    unprofiled = capacity[row < 0]
    constant_renewables = float((unprofiled["capacity_GW"].to_numpy(dtype=float) * availability_max.reindex(unprofiled["technology"]).to_numpy(dtype=float)).sum())

    scale = 1.0
    total = float(capacity["capacity_GW"].sum())
    if fleet == "potential" and problem is None:
        output_GWh = capacity_rows @ (profiles.availability @ weight) + constant_renewables * hours
        if energy_GWh.sum() <= 0:
            problem = f"no {carrier} demand in {period} to size the potential fleet by"
        elif output_GWh <= 0:
            problem = f"the potentials of {', '.join(techs)} produce nothing"
        else:
            scale = float(energy_GWh.sum() / output_GWh)
            capacity_rows = capacity_rows * scale
            constant_renewables *= scale
            total *= scale
    if not techs:
        problem = problem or f"no technology produces {carrier} with an availability profile"
    if energy_GWh.sum() <= 0:
        problem = problem or f"no {carrier} demand in {period}"
    return NetLoadBasis(fleet, period, techs, capacity_rows, constant_renewables, demand_rows, constant_demand, scale, total, problem)


def _fleet(case, profiles: Profiles, techs: list[str], fleet: str, period: int) -> tuple[pd.DataFrame, str | None]:
    """(technology, region, capacity_GW) of the fleet, and a problem that makes it unusable (or None)."""
    from ..model.data import _active_existing, period_lookup

    technologies = case["technologies"].set_index("technology", drop=False)
    if fleet == "installed":
        standing = _active_existing(case["capacities"].copy(), technologies, np.array([period]))
        standing = standing[standing["technology"].isin(techs)]
        return standing.groupby(["technology", "region"], as_index=False)["capacity_GW"].sum(), None
    # potential: every region of every technology; a pair with a profile must have a potential
    pairs = pd.DataFrame({"technology": np.repeat(techs, len(case.regions)), "region": np.tile(np.asarray(case.regions, dtype=object), len(techs))})
    pairs["period"] = period
    potential = period_lookup(case["capacity_limits"], pairs, "capacity_max_GW", ["technology", "region"])
    profiled = pd.MultiIndex.from_frame(pairs[["technology", "region"]]).isin(pd.MultiIndex.from_frame(profiles.availability_keys[["technology", "region"]]))
    missing = profiled & np.isnan(potential)
    problem = None
    if missing.any():
        names = [f"{t}/{r}" for t, r in pairs.loc[missing, ["technology", "region"]].itertuples(index=False)]
        problem = (f"net_load fleet 'potential' needs capacity_max_GW in capacity_limits.csv for every profiled wind and solar "
                   f"technology and region ({len(names)} without: {', '.join(names[:5])}{', ...' if len(names) > 5 else ''}); "
                   "give them, or set time_aggregation.net_load.fleet: installed")
    pairs["capacity_GW"] = np.nan_to_num(potential)
    return pairs.loc[pairs["capacity_GW"] > 0, ["technology", "region", "capacity_GW"]].reset_index(drop=True), problem
