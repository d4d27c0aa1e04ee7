"""The case's time profiles as wide arrays (one row per profile, one column per time step) and back,
exact rescaling to annual sums, and merging of consecutive steps into longer ones."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class Profiles:
    """Availability (technology, region) and demand (carrier, region) profiles of a case, wide.

    ``availability``: (n_avail, T), share of capacity (1); ``demand``: (n_demand, T), relative shape (1).
    Steps a profile leaves blank take the model's meaning: availability_max; demand 0.
    """

    availability_keys: pd.DataFrame
    demand_keys: pd.DataFrame
    availability: np.ndarray
    demand: np.ndarray
    time: np.ndarray  # labels of the time steps
    weight_h: np.ndarray  # hours each step stands for (h)
    duration_h: np.ndarray  # length of each step (h)

    def stacked(self) -> np.ndarray:
        """Every profile, availability first: (n_avail + n_demand, T)."""
        return np.vstack([self.availability, self.demand])

    def with_values(self, availability, demand, time, weight_h, duration_h) -> "Profiles":
        return Profiles(self.availability_keys, self.demand_keys, availability, demand, np.asarray(time), np.asarray(weight_h, dtype=float),
                        np.asarray(duration_h, dtype=float))

    def tables(self, case) -> dict[str, pd.DataFrame]:
        """The long ``availability`` and ``demand_profiles`` tables of these values (those the case has)."""
        out = {}
        if len(case["availability"]):
            out["availability"] = long_table(self.availability_keys, self.availability, self.time, "availability")
        if len(case["demand_profiles"]):
            out["demand_profiles"] = long_table(self.demand_keys, self.demand, self.time, "profile")
        return out


def wide_profiles(case) -> Profiles:
    """The availability and demand profiles of ``case`` over its time steps."""
    steps = case["time_steps"]
    labels = pd.Index(steps["time"].to_numpy())
    n_time = len(labels)
    out_keys, out_values = [], []
    fills = {
        "availability": lambda keys: case["technologies"].set_index("technology")["availability_max"].reindex(keys["technology"]).to_numpy(dtype=float),
        "demand_profiles": lambda keys: np.zeros(len(keys)),
    }
    for table, key, column in (("availability", "technology", "availability"), ("demand_profiles", "carrier", "profile")):
        frame = case[table]
        # factorise (key, region) pairs column by column (a MultiIndex of a million rows is slow)
        first, first_names = pd.factorize(frame[key].to_numpy())
        second, second_names = pd.factorize(frame["region"].to_numpy())
        n_second = max(len(second_names), 1)
        pairs, codes = np.unique(first.astype(np.int64) * n_second + second, return_inverse=True)
        keys = pd.DataFrame(
            {key: np.asarray(first_names, dtype=object)[pairs // n_second], "region": np.asarray(second_names, dtype=object)[pairs % n_second]}
        )
        values = np.full((len(keys), n_time), np.nan)
        if len(frame):
            values[codes, labels.get_indexer(frame["time"].to_numpy())] = frame[column].to_numpy(dtype=float)
            values = np.where(np.isnan(values), fills[table](keys)[:, None], values)
        out_keys.append(keys)
        out_values.append(values)
    return Profiles(out_keys[0], out_keys[1], out_values[0], out_values[1], steps["time"].to_numpy(),
                    steps["weight_h"].to_numpy(dtype=float), steps["duration_h"].to_numpy(dtype=float))


def long_table(keys: pd.DataFrame, values: np.ndarray, times: np.ndarray, column: str) -> pd.DataFrame:
    """Back to the long table format: one row per profile and time step."""
    n_keys, n_time = values.shape
    frame = keys.loc[keys.index.repeat(n_time)].reset_index(drop=True)
    frame["time"] = np.tile(np.asarray(times, dtype=np.int64), n_keys)
    frame[column] = values.reshape(-1)
    return frame


def rescale(values: np.ndarray, weights: np.ndarray, target: np.ndarray, upper: float | None = None) -> np.ndarray:
    """Scale each row so that ``values @ weights == target``, values clipped at ``upper`` (the excess
    is spread over the unclipped entries, repeatedly, until nothing exceeds ``upper``; as tsam's
    rescaling does, but to the exact sum rather than to a tolerance)."""
    out = values.astype(float).copy()
    fixed = np.zeros(out.shape, dtype=bool)
    for _ in range(out.shape[1] + 1):
        fixed_sum = np.where(fixed, out, 0.0) @ weights
        free_sum = np.where(fixed, 0.0, out) @ weights
        free_weight = np.where(fixed, 0.0, 1.0) @ weights
        rest = target - fixed_sum
        scale = np.divide(rest, free_sum, out=np.ones_like(rest), where=free_sum > 0)
        flat = (free_sum <= 0) & (rest > 0) & (free_weight > 0)  # nothing to scale: spread evenly
        out = np.where(fixed, out, out * scale[:, None])
        if flat.any():
            out[flat] = np.where(fixed[flat], out[flat], (rest[flat] / free_weight[flat])[:, None])
        if upper is None:
            break
        over = (out > upper) & ~fixed
        if not over.any():
            break
        out[over] = upper
        fixed |= over
    if upper is not None:
        np.minimum(out, upper, out=out)
    return out


def block_starts(group: np.ndarray, hours: int) -> np.ndarray:
    """First step of each block of ``hours`` consecutive steps inside each run of equal ``group`` values
    (the last block of a run may be shorter)."""
    n = len(group)
    run_start = np.r_[True, group[1:] != group[:-1]]
    run_id = np.cumsum(run_start) - 1
    position = np.arange(n) - np.flatnonzero(run_start)[run_id]
    return np.flatnonzero(run_start | (position % hours == 0))


def merge_blocks(profiles: Profiles, group: np.ndarray, starts: np.ndarray) -> tuple[Profiles, np.ndarray]:
    """Merge the steps from each of ``starts`` to the next into one step: ``weight_h`` and ``duration_h``
    are summed, profiles averaged weighted by ``weight_h`` (so weighted annual sums are kept exactly),
    labelled by the block's first step.  Returns the merged profiles and the group of each block."""
    weight = profiles.weight_h
    block_weight = np.add.reduceat(weight, starts)

    def average(values):
        if not values.size:
            return values[:, : len(starts)]
        return np.add.reduceat(values * weight[None, :], starts, axis=1) / block_weight[None, :]

    merged = profiles.with_values(
        np.minimum(average(profiles.availability), 1.0), average(profiles.demand), profiles.time[starts], block_weight,
        np.add.reduceat(profiles.duration_h, starts),
    )
    return merged, group[starts]
