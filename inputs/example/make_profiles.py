"""Regenerate the hourly tables of the example case (time_steps, availability, demand_profiles).

The example holds three representative days (winter, spring/autumn, summer) of hourly
data, each standing for a third of the year.  The shapes are synthetic and smooth,
chosen to be easy to reason about: solar follows a half-sine between 6:00 and 18:00,
wind is stronger at night and in winter, demand has a morning and an evening peak.
Run from anywhere: ``python inputs/example/make_profiles.py``.
"""

from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
DAYS = {"winter": (0.30, 1.10, 0.75), "shoulder": (0.25, 0.95, 1.00), "summer": (0.18, 1.05, 1.15)}
REGIONS = {"north": (1.2, 0.9), "central": (0.8, 1.0), "south": (0.6, 1.1)}  # wind, solar scale


def main() -> None:
    hours = np.arange(24)
    steps = len(DAYS) * 24
    weight = 8760.0 / steps
    time = pd.DataFrame(
        {
            "time": np.arange(steps),
            "weight_h": np.round(np.full(steps, weight), 6),
            "duration_h": 1.0,
            "representative_period": np.repeat(np.arange(len(DAYS)), 24),
        }
    )
    availability, demand = [], []
    for day, (wind_mean, demand_level, solar_scale) in enumerate(DAYS.values()):
        solar_shape = np.clip(np.sin(np.pi * (hours - 6) / 12), 0, None)
        wind_shape = wind_mean * (1 + 0.35 * np.cos(2 * np.pi * hours / 24))
        load_shape = demand_level * (0.8 + 0.15 * np.exp(-((hours - 10) ** 2) / 8) + 0.25 * np.exp(-((hours - 19) ** 2) / 6))
        for region, (wind_scale, solar_region) in REGIONS.items():
            for hour in hours:
                t = day * 24 + hour
                availability.append(("wind", region, t, round(float(min(1, wind_shape[hour] * wind_scale)), 4)))
                availability.append(("solar", region, t, round(float(min(1, 0.75 * solar_shape[hour] * solar_scale * solar_region)), 4)))
                demand.append(("electricity", region, t, round(float(load_shape[hour]), 4)))
    time.to_csv(HERE / "time_steps.csv", index=False)
    pd.DataFrame(availability, columns=["technology", "region", "time", "availability"]).to_csv(HERE / "availability.csv", index=False)
    pd.DataFrame(demand, columns=["carrier", "region", "time", "profile"]).to_csv(HERE / "demand_profiles.csv", index=False)


if __name__ == "__main__":
    main()
