"""Synthetic hourly availability profiles for the China case (31 provinces, 8760 h).

Writes ``inputs/china/availability.csv.gz`` (technology, region, time, availability) and
``inputs/china/build/profile_calibration.csv``.  Run from the repository root:

    python inputs/china/build/profiles.py

No hourly provincial capacity factors with a usable licence are available offline, so the
profiles are *generated*: physical models (sun position + clear-sky irradiance + plane-of-array
transposition for PV, Weibull wind speeds + an aggregated power curve for wind, a monsoon-shaped
flow regime for run-of-river hydro) driven by autocorrelated, spatially correlated random
weather with a fixed seed, then calibrated province by province so that the annual capacity
factor equals a published value (China Electricity Council utilisation hours, see PROFILES.md).
The method, parameters, sources and limits are documented in ``PROFILES.md`` next to this file.
Nothing outside the repository is read: every number used is in this file.

Time convention: ``time`` = 0..8759, hour 0 = 1 January 00:00-01:00 Beijing time (UTC+8) of a
non-leap year; the value of hour t is the mean over [t, t+1).
"""

from __future__ import annotations

import math
import time as _time
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
CASE = HERE.parent
OUT_AVAILABILITY = CASE / "availability.csv.gz"
OUT_CALIBRATION = HERE / "profile_calibration.csv"

SEED = 20200101
HOURS = 8760
DAYS = 365
UTC_OFFSET_H = 8.0
SUBSTEPS = 4  # sun position is evaluated 4 times per hour and averaged
DECIMALS = 4

# ---------------------------------------------------------------------------------------------
# Representative site of each province.
# lat/lon: capacity-weighted mean position of the operating onshore wind farms of the province in
# the Global Wind Power Tracker (Global Energy Monitor, May 2023 release, CC BY 4.0), rounded to
# 0.1 degree (derivation in PROFILES.md).  It stands for "where the wind and solar fleet is", which
# is close to the geographic centroid except in large provinces (NM, XJ, GS, QH, SC, XZ).
# elev_m: approximate elevation of that site (rounded; used only for the air mass in the
# clear-sky model).  Regimes (seasonal shapes) are defined further below.
# code: (lat, lon, elev_m, wind regime, solar regime, hydro regime)
SITES: dict[str, tuple[float, float, float, str, str, str]] = {
    "AH": (32.0, 117.4, 50, "central", "yangtze", "central"),
    "BJ": (40.3, 115.7, 500, "north", "north", "north"),
    "CQ": (30.0, 108.1, 800, "central", "yangtze", "southwest"),
    "FJ": (25.6, 118.5, 100, "coast", "south", "south"),
    "GD": (22.7, 113.2, 100, "coast", "south", "south"),
    "GS": (39.1, 99.9, 1600, "northwest", "northwest", "north"),
    "GX": (24.0, 109.4, 500, "coast", "south", "south"),
    "GZ": (26.6, 106.2, 1500, "southwest", "yangtze", "southwest"),
    "HA": (34.1, 114.0, 200, "north", "north", "north"),
    "HB": (31.2, 112.9, 300, "central", "yangtze", "central"),
    "HE": (40.9, 115.8, 1200, "north", "north", "north"),
    "HI": (19.5, 109.3, 50, "coast", "south", "south"),
    "HL": (46.8, 128.0, 200, "north", "north", "north"),
    "HN": (26.9, 111.6, 600, "central", "yangtze", "central"),
    "JL": (44.5, 123.9, 200, "north", "north", "north"),
    "JS": (33.2, 119.9, 10, "central", "yangtze", "central"),
    "JX": (27.4, 115.5, 300, "central", "yangtze", "central"),
    "LN": (42.0, 122.3, 150, "north", "north", "north"),
    "NM": (43.0, 114.9, 1200, "north", "north", "north"),
    "NX": (37.4, 106.4, 1500, "northwest", "northwest", "north"),
    "QH": (36.7, 97.5, 2900, "northwest", "northwest", "southwest"),
    "SC": (28.2, 103.2, 2500, "southwest", "monsoon_plateau", "southwest"),
    "SD": (36.5, 119.0, 50, "north", "north", "north"),
    "SH": (32.1, 121.4, 5, "coast", "yangtze", "central"),
    "SN": (37.3, 108.7, 1200, "northwest", "north", "north"),
    "SX": (38.0, 112.4, 1400, "north", "north", "north"),
    "TJ": (39.0, 117.5, 5, "north", "north", "north"),
    "XJ": (43.6, 90.4, 1000, "northwest", "northwest", "north"),
    "XZ": (30.6, 91.9, 3800, "southwest", "monsoon_plateau", "southwest"),
    "YN": (24.9, 102.7, 2200, "southwest", "monsoon_plateau", "southwest"),
    "ZJ": (29.5, 121.0, 50, "coast", "yangtze", "south"),
}
REGIONS = sorted(SITES)

# Offshore wind: coastal provinces and the capacity-weighted position of their operating offshore
# farms in the same tracker (provinces without one use a point just off their coast).
OFFSHORE_SITES: dict[str, tuple[float, float, str]] = {
    "LN": (39.5, 123.2, "north"),
    "HE": (39.1, 118.8, "north"),
    "TJ": (38.9, 117.9, "north"),
    "SD": (37.3, 119.9, "north"),
    "JS": (33.0, 121.2, "coast"),
    "SH": (31.0, 121.9, "coast"),
    "ZJ": (29.6, 121.5, "coast"),
    "FJ": (25.5, 119.6, "coast"),
    "GD": (21.7, 113.0, "coast"),
    "GX": (21.4, 108.8, "coast"),
    "HI": (19.9, 109.1, "coast"),
}

# ---------------------------------------------------------------------------------------------
# Published annual utilisation hours (full-load hours) per province.
# Source: China Electricity Council (CEC) statistics, "Average Utilization Hours of Power
# Generation Equipment" (wind) and "Average Utilization Hours: Solar Power Generation", annual
# (December year-to-date) values, as compiled (CEIC series) in the CREA China tracker data file
# energyandcleanair/china_co2 : inst/csv/wind_solar_utilization_capacity_by_province.csv.
# The 2019 wind values are identical to the NEA table "2019年风电并网运行情况" (see PROFILES.md).
# Wind: 2019, 2020, 2021;  solar: 2019, 2020 (the 2021 solar column is empty in that file).
WIND_HOURS: dict[str, tuple[int, int, int]] = {
    "BJ": (1816, 2005, 2057), "TJ": (1965, 1769, 1883), "HE": (2144, 2145, 2208),
    "SX": (1918, 1680, 2348), "NM": (2305, 2375, 2429), "LN": (2300, 2244, 2292),
    "JL": (2216, 2309, 2298), "HL": (2323, 2266, 2209), "SH": (2065, 2289, 2189),
    "JS": (1973, 2001, 2390), "ZJ": (2090, 2131, 2111), "AH": (1809, 1819, 2259),
    "FJ": (2639, 2880, 2703), "JX": (2028, 2104, 2012), "SD": (1863, 1798, 2250),
    "HA": (1480, 1536, 2120), "HB": (1960, 1881, 2132), "HN": (1960, 2028, 2080),
    "GD": (1612, 1826, 1877), "GX": (2385, 2745, 2327), "HI": (1645, 1984, 1743),
    "CQ": (1996, 2108, 2144), "SC": (2553, 2537, 2377), "GZ": (1861, 2049, 1861),
    "YN": (2808, 2837, 2618), "XZ": (2173, 1890, 1545), "SN": (1931, 1748, 2143),
    "GS": (1787, 1904, 2022), "QH": (1743, 1474, 1519), "NX": (1811, 1653, 2018),
    "XJ": (2147, 2184, 2309),
}
SOLAR_HOURS: dict[str, tuple[int, int]] = {
    "BJ": (1323, 1242), "TJ": (1144, 1265), "HE": (1379, 1336), "SX": (1307, 1277),
    "NM": (1593, 1654), "LN": (1396, 1453), "JL": (1504, 1531), "HL": (1566, 1604),
    "SH": (867, 861), "JS": (1192, 1165), "ZJ": (1104, 998), "AH": (1102, 1071),
    "FJ": (1040, 1063), "JX": (1004, 917), "SD": (1284, 1225), "HA": (1061, 1055),
    "HB": (1103, 1013), "HN": (905, 902), "GD": (826, 993), "GX": (1097, 1103),
    "HI": (1059, 1063), "CQ": (606, 653), "SC": (1554, 1466), "GZ": (1092, 1032),
    "YN": (1350, 1332), "XZ": (1210, 1116), "SN": (1273, 1392), "GS": (1422, 1511),
    "QH": (1487, 1376), "NX": (1371, 1393), "XJ": (1294, 1416),
}
# Utilisation hours count what was *generated*; availability is what the resource allows.  Where
# curtailment was material the published hours are divided by (1 - curtailment rate).
# Wind: NEA, 2019年风电并网运行情况 (annual 2019); solar: NEA, 2019年前三季度光伏发电并网运行情况.
WIND_CURTAILMENT: dict[str, float] = {
    "HE": 0.048, "SX": 0.011, "NM": 0.071, "LN": 0.004, "JL": 0.025, "HL": 0.013,
    "SD": 0.001, "HN": 0.018, "GS": 0.076, "XJ": 0.140,
}
SOLAR_CURTAILMENT: dict[str, float] = {"XZ": 0.206, "XJ": 0.089, "QH": 0.058}
# Offshore wind: "about 2500 h, about 500 h more than onshore" (industry statistics quoted for
# 2020/21); applied as onshore target + 500 h per coastal province (an estimate, see PROFILES.md).
OFFSHORE_EXTRA_HOURS = 500.0
# Run-of-river: 2020 average utilisation of hydropower plants >= 6 MW = 3827 h (NEA/CEC, Jan 2021).
HYDRO_HOURS = 3827.0

# ---------------------------------------------------------------------------------------------
# Model parameters (see PROFILES.md for the reasoning).
SOLAR = dict(
    linke_turbidity=3.0,
    albedo=0.2,
    pr_utility=0.80,        # performance ratio on DC rating, fixed tilt = latitude, south-facing
    pr_distributed=0.75,    # rooftop: more soiling/heat/mismatch losses
    tilt_distributed=20.0,  # degrees
    kmin=0.10, kmax=1.00,   # daily clear-sky index range of the logistic link
    sigma_daily=1.5,        # spread of the latent daily cloud variable
    phi_daily=0.65,         # day-to-day autocorrelation of the latent cloud variable
    corr_len_km=600.0,      # spatial correlation length of daily cloudiness
    sigma_hourly=0.35,      # intra-day variability (scaled by 4k(1-k): largest on broken-cloud days)
    phi_hourly=0.70,
)
# Seasonal offset of the latent cloud variable: a1*cos(2pi(doy-d1)/365) + a2*cos(4pi(doy-d2)/365);
# positive = clearer.  Tuned so that each regime's monthly pattern follows the regime average of the
# CEC 2020 monthly utilisation hours (see PROFILES.md).
SOLAR_REGIMES: dict[str, tuple[float, float, float, float]] = {
    "north": (0.42, 26.0, 0.40, 110.0),            # dry clear winters, cloudy monsoon summer
    "northwest": (0.20, 32.0, 0.06, 109.0),        # arid: weak seasonality of cloud
    "yangtze": (0.35, 186.0, 0.33, 90.0),          # overcast winters, clear midsummer after the plum rains
    "south": (0.46, 230.0, 0.12, 179.0),           # drizzly Feb-Apr, clear late summer/autumn
    "monsoon_plateau": (0.90, 29.0, 0.36, 169.0),  # clear dry season, cloudy Jun-Sep monsoon
}
WIND = dict(
    weibull_k_on=2.0,
    weibull_k_off=2.2,
    cut_in=3.0, rated=11.5, cut_out=25.0,
    smoothing_a=0.6, smoothing_b=0.2,  # multi-turbine power curve: Gaussian sigma = a + b*v (m/s)
    losses=0.95,                       # availability, wake and electrical losses
    phi_synoptic=0.98, phi_meso=0.85, weight_synoptic=0.8,
    corr_len_synoptic_km=800.0, corr_len_meso_km=250.0,
    subsites_on=4, subsite_corr_on=0.5,     # a province = mean of 4 sub-sites sharing half their variance
    subsites_off=2, subsite_corr_off=0.7,
    offshore_onshore_corr=0.8,
)
# Seasonal multiplier of wind speed: 1 + b1*cos(2pi(doy-e1)/365) + b2*cos(4pi(doy-e2)/365);
# diurnal multiplier: 1 + amp*cos(2pi(h_solar-peak)/24).  Seasonal parameters tuned on the CEC 2020
# monthly utilisation hours (regime averages); diurnal ones are assumptions (PROFILES.md).
WIND_REGIMES: dict[str, dict[str, float]] = {
    "north": dict(b1=0.131, e1=57.0, b2=0.108, e2=110.0, amp=0.08, peak=23.0),      # spring max, summer min
    "northwest": dict(b1=0.116, e1=164.0, b2=0.028, e2=97.0, amp=0.08, peak=23.0),  # spring-summer max, winter min
    "coast": dict(b1=0.126, e1=356.0, b2=0.101, e2=136.0, amp=0.04, peak=15.0),     # NE monsoon Oct-Jan max
    "southwest": dict(b1=0.207, e1=47.0, b2=0.041, e2=170.0, amp=0.10, peak=16.0),  # dry-season (Dec-Apr) max
    "central": dict(b1=0.077, e1=104.0, b2=0.040, e2=112.0, amp=0.05, peak=22.0),   # weak, spring max
}
OFFSHORE_DIURNAL = dict(amp=0.03, peak=15.0)
HYDRO = dict(phi_daily=0.90, sigma_daily=0.05, corr_len_km=800.0)
# Monthly shape of run-of-river availability: 1 + amp*cos(2pi(doy-peak)/365) + amp2*cos(4pi(...)).
HYDRO_REGIMES: dict[str, tuple[float, float, float]] = {
    "north": (0.60, 205.0, 0.10),      # short late-summer rainy season, peak late July
    "central": (0.50, 195.0, 0.10),    # Yangtze: plum rains June-July, peak mid-July
    "south": (0.50, 185.0, 0.10),      # pre-summer (May-June) and typhoon rains, peak early July
    "southwest": (0.60, 200.0, 0.15),  # monsoon + snow and glacier melt, peak mid/late July
}


# ---------------------------------------------------------------------------------------------
# Helpers
def norm_cdf(x: np.ndarray) -> np.ndarray:
    """Standard normal CDF (Abramowitz & Stegun 7.1.26 erf approximation, |error| < 1.5e-7)."""
    z = np.abs(x) / math.sqrt(2.0)
    t = 1.0 / (1.0 + 0.3275911 * z)
    poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))))
    erf = 1.0 - poly * np.exp(-z * z)
    return 0.5 * (1.0 + np.sign(x) * erf)


def distances_km(lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    la, lo = np.radians(lat), np.radians(lon)
    dlat = la[:, None] - la[None, :]
    dlon = lo[:, None] - lo[None, :]
    a = np.sin(dlat / 2) ** 2 + np.cos(la[:, None]) * np.cos(la[None, :]) * np.sin(dlon / 2) ** 2
    return 2 * 6371.0 * np.arcsin(np.sqrt(np.clip(a, 0, 1)))


def correlated_ar1(rng: np.random.Generator, n: int, dist: np.ndarray, corr_len: float, phi: float) -> np.ndarray:
    """AR(1) series (n x regions) with unit variance, lag-1 correlation phi and innovations whose
    cross-correlation between two regions decays as exp(-distance / corr_len)."""
    chol = np.linalg.cholesky(np.exp(-dist / corr_len) + 1e-9 * np.eye(len(dist)))
    return _ar1_filter(rng.standard_normal((n, len(dist))) @ chol.T, phi)


def harmonic(doy: np.ndarray, a1: float, d1: float, a2: float, d2: float) -> np.ndarray:
    return a1 * np.cos(2 * np.pi * (doy - d1) / 365.0) + a2 * np.cos(4 * np.pi * (doy - d2) / 365.0)


def bisect(f, lo: float, hi: float, target: float, iters: int = 60) -> float:
    """Solve f(x) = target for an increasing f on [lo, hi]."""
    for _ in range(iters):
        mid = 0.5 * (lo + hi)
        if f(mid) < target:
            lo = mid
        else:
            hi = mid
    return 0.5 * (lo + hi)


# ---------------------------------------------------------------------------------------------
# Solar
def sun_and_clearsky(lat: float, lon: float, elev: float, tilt: float):
    """Hourly means (8760) of DNI*cos(AOI)+, DNI*cos(z) and GHI under clear sky (W/m2) for a
    south-facing plane at `tilt` degrees, and whether the sun is up during any part of the hour.

    Sun position: NOAA / Spencer (1971) series for declination and equation of time; true solar
    time from longitude; clear sky: Ineichen & Perez (2002) with Linke turbidity TL and the
    Kasten & Young (1989) air mass corrected for site pressure."""
    t_local = (np.arange(HOURS * SUBSTEPS) + 0.5) / SUBSTEPS  # hours since 1 Jan 00:00 local
    t_utc = t_local - UTC_OFFSET_H
    gamma = 2 * np.pi / 365.0 * (np.floor(t_utc / 24.0) + (np.mod(t_utc, 24.0) - 12.0) / 24.0)
    eot = 229.18 * (0.000075 + 0.001868 * np.cos(gamma) - 0.032077 * np.sin(gamma)
                    - 0.014615 * np.cos(2 * gamma) - 0.040849 * np.sin(2 * gamma))  # minutes
    decl = (0.006918 - 0.399912 * np.cos(gamma) + 0.070257 * np.sin(gamma) - 0.006758 * np.cos(2 * gamma)
            + 0.000907 * np.sin(2 * gamma) - 0.002697 * np.cos(3 * gamma) + 0.00148 * np.sin(3 * gamma))
    tst = np.mod(t_utc, 24.0) * 60.0 + eot + 4.0 * lon  # true solar time, minutes
    omega = np.radians(tst / 4.0 - 180.0)  # hour angle
    phi = math.radians(lat)
    cosz = math.sin(phi) * np.sin(decl) + math.cos(phi) * np.cos(decl) * np.cos(omega)
    beta = math.radians(tilt)
    cos_aoi = np.sin(decl) * math.sin(phi - beta) + np.cos(decl) * np.cos(omega) * math.cos(phi - beta)
    day = cosz > 0.01
    cz = np.where(day, cosz, 1.0)
    zen_deg = np.degrees(np.arccos(np.clip(cz, -1, 1)))
    am_rel = 1.0 / (cz + 0.50572 * (96.07995 - zen_deg) ** -1.6364)
    pressure = 101325.0 * (1 - 2.25577e-5 * elev) ** 5.25588
    am = am_rel * pressure / 101325.0
    doy = np.floor(t_local / 24.0) + 1
    i0 = 1367.7 * (1 + 0.033 * np.cos(2 * np.pi * doy / 365.0))
    tl = SOLAR["linke_turbidity"]
    fh1, fh2 = math.exp(-elev / 8000.0), math.exp(-elev / 1250.0)
    cg1, cg2 = 5.09e-5 * elev + 0.868, 3.92e-5 * elev + 0.0387
    ghi = cg1 * i0 * cz * np.exp(-cg2 * am * (fh1 + fh2 * (tl - 1))) * np.exp(0.01 * am ** 1.8)
    b = 0.664 + 0.163 / fh1
    dni1 = i0 * b * np.exp(-0.09 * am * (tl - 1))
    dni2 = ghi * (1 - (0.1 - 0.2 * math.exp(-tl)) / (0.1 + 0.882 / fh1)) / cz
    dni = np.minimum(dni1, np.maximum(dni2, 0))
    ghi, dni = np.where(day, ghi, 0.0), np.where(day, dni, 0.0)
    beam_poa = dni * np.clip(cos_aoi, 0, None)
    beam_h = dni * cz * day

    def hourly(x):
        return x.reshape(HOURS, SUBSTEPS).mean(axis=1)

    return hourly(beam_poa), hourly(beam_h), hourly(ghi), day.reshape(HOURS, SUBSTEPS).any(axis=1)


def beam_fraction(k: np.ndarray) -> np.ndarray:
    """Share of the clear-sky beam left at clear-sky index k (<= k, so diffuse stays >= 0)."""
    return np.clip((k - 0.15) / 0.85, 0.0, 1.0) ** 1.5


def pv_output(k, beam_poa, beam_h, ghi, tilt, pr):
    """AC output per unit DC capacity from the hourly clear-sky index k (isotropic sky)."""
    cb = math.cos(math.radians(tilt))
    fb = beam_fraction(k)
    diffuse_h = np.maximum(k * ghi - fb * beam_h, 0.0)
    poa = fb * beam_poa + diffuse_h * (1 + cb) / 2 + k * ghi * SOLAR["albedo"] * (1 - cb) / 2
    return np.minimum(pr * poa / 1000.0, 1.0)


def clear_sky_index(offset: float, seasonal_daily: np.ndarray, z_daily: np.ndarray, e_hourly: np.ndarray) -> np.ndarray:
    kmin, kmax = SOLAR["kmin"], SOLAR["kmax"]
    kd = kmin + (kmax - kmin) / (1 + np.exp(-(offset + seasonal_daily + SOLAR["sigma_daily"] * z_daily)))
    kd_h = np.repeat(kd, 24)
    sig = SOLAR["sigma_hourly"] * 4 * kd_h * (1 - kd_h)
    k = kd_h * np.exp(sig * e_hourly - 0.5 * sig * sig)
    return np.clip(k, 0.03, 1.10)


# ---------------------------------------------------------------------------------------------
# Wind
def power_curve_table():
    """Multi-turbine (smoothed) power curve: generic cubic curve between cut-in and rated speed,
    convolved with a Gaussian of sigma = a + b*v to represent the spread of speeds over the wind
    farms of a province (Norgaard & Holttinen 2004), times a loss factor."""
    w = WIND
    grid = np.linspace(0.0, 40.0, 801)
    single = np.where(grid < w["cut_in"], 0.0,
                      np.where(grid < w["rated"], (grid ** 3 - w["cut_in"] ** 3) / (w["rated"] ** 3 - w["cut_in"] ** 3),
                               np.where(grid < w["cut_out"], 1.0, 0.0)))
    smooth = np.empty_like(grid)
    for i, v in enumerate(grid):
        s = w["smoothing_a"] + w["smoothing_b"] * v
        kern = np.exp(-0.5 * ((grid - v) / s) ** 2)
        smooth[i] = np.sum(kern * single) / np.sum(kern)
    return grid, w["losses"] * smooth


def wind_cf(scale, bases, grid, curve):
    """Provincial capacity factor: mean over sub-sites of the power curve at scale * base speed."""
    return np.mean([np.interp(scale * b, grid, curve) for b in bases], axis=0)


def latent_wind(rng: np.random.Generator, n: int, cols: int) -> np.ndarray:
    """Independent latent wind series (n x cols): synoptic + mesoscale AR(1), unit variance."""
    ws = WIND["weight_synoptic"]
    syn = _ar1_block(rng, n, cols, WIND["phi_synoptic"])
    meso = _ar1_block(rng, n, cols, WIND["phi_meso"])
    out = (ws * syn + (1 - ws) * meso) / math.sqrt(ws ** 2 + (1 - ws) ** 2)
    return out


def _ar1_block(rng: np.random.Generator, n: int, cols: int, phi: float) -> np.ndarray:
    return _ar1_filter(rng.standard_normal((n, cols)), phi)


def _ar1_filter(eps: np.ndarray, phi: float) -> np.ndarray:
    """x[0] = eps[0], x[t] = phi x[t-1] + sqrt(1 - phi^2) eps[t]: unit variance if eps has it."""
    x = np.empty_like(eps)
    x[0] = eps[0]
    s = math.sqrt(1.0 - phi * phi)
    for t in range(1, len(eps)):
        x[t] = phi * x[t - 1] + s * eps[t]
    return x


def wind_bases(common: np.ndarray, own: np.ndarray, rho: float, k: float, shape: np.ndarray) -> list[np.ndarray]:
    """Normalised sub-site speeds (Weibull with scale 1 and shape k) times the seasonal/diurnal shape.
    Sub-site latent = sqrt(rho) * provincial common part + sqrt(1 - rho) * own part."""
    bases = []
    for m in range(own.shape[1]):
        x = math.sqrt(rho) * common + math.sqrt(1 - rho) * own[:, m]
        u = np.clip(norm_cdf(x), 1e-12, 1 - 1e-12)
        bases.append((-np.log1p(-u)) ** (1 / k) * shape)
    return bases


def wind_shape(doy_h: np.ndarray, solar_hour: np.ndarray, seasonal: dict, amp: float, peak: float) -> np.ndarray:
    return (1 + harmonic(doy_h, seasonal["b1"], seasonal["e1"], seasonal["b2"], seasonal["e2"])) * \
        (1 + amp * np.cos(2 * np.pi * (solar_hour - peak) / 24.0))


# ---------------------------------------------------------------------------------------------
def weather(rng: np.random.Generator, dist: np.ndarray) -> dict[str, np.ndarray]:
    """All random inputs, drawn in a fixed order from one seeded generator."""
    n = len(dist)
    w = {}
    w["z_cloud"] = correlated_ar1(rng, DAYS, dist, SOLAR["corr_len_km"], SOLAR["phi_daily"])  # days x n
    w["e_cloud"] = _ar1_block(rng, HOURS, n, SOLAR["phi_hourly"])  # hours x n, independent
    syn = correlated_ar1(rng, HOURS, dist, WIND["corr_len_synoptic_km"], WIND["phi_synoptic"])
    meso = correlated_ar1(rng, HOURS, dist, WIND["corr_len_meso_km"], WIND["phi_meso"])
    ws = WIND["weight_synoptic"]
    w["x_wind"] = (ws * syn + (1 - ws) * meso) / math.sqrt(ws ** 2 + (1 - ws) ** 2)  # provincial common part
    w["x_sub_on"] = latent_wind(rng, HOURS, n * WIND["subsites_on"]).reshape(HOURS, n, WIND["subsites_on"])
    w["x_off"] = latent_wind(rng, HOURS, n)
    w["x_sub_off"] = latent_wind(rng, HOURS, n * WIND["subsites_off"]).reshape(HOURS, n, WIND["subsites_off"])
    w["z_hydro"] = correlated_ar1(rng, DAYS, dist, HYDRO["corr_len_km"], HYDRO["phi_daily"])
    return w


HOUR = np.arange(HOURS)
DOY_H = HOUR // 24 + (HOUR % 24 + 0.5) / 24.0  # day of year (0-based, fractional) of each hour
DOY_D = np.arange(DAYS) + 0.5


def solar_profiles(r: str, z_daily: np.ndarray, e_hourly: np.ndarray, target: float, regime=None):
    """Utility and distributed PV profiles of region r calibrated (utility) to the annual CF target."""
    la, lo, elev, _, s_reg, _ = SITES[r]
    seas = harmonic(DOY_D, *(regime or SOLAR_REGIMES[s_reg]))
    bp_u, bh, ghi, daylight = sun_and_clearsky(la, lo, elev, tilt=la)
    bp_d, _, _, _ = sun_and_clearsky(la, lo, elev, tilt=SOLAR["tilt_distributed"])

    def k_of(c):
        return clear_sky_index(c, seas, z_daily, e_hourly)

    c = bisect(lambda c: pv_output(k_of(c), bp_u, bh, ghi, la, SOLAR["pr_utility"]).mean(), -10.0, 10.0, target)
    k = k_of(c)
    pu = np.where(daylight, pv_output(k, bp_u, bh, ghi, la, SOLAR["pr_utility"]), 0.0)
    pd_ = np.where(daylight, pv_output(k, bp_d, bh, ghi, SOLAR["tilt_distributed"], SOLAR["pr_distributed"]), 0.0)
    return pu, pd_, float(k[ghi > 0].mean())


def wind_profile(lon: float, seasonal: dict, amp: float, peak: float, common: np.ndarray, own: np.ndarray,
                 rho: float, k: float, target: float, grid: np.ndarray, curve: np.ndarray):
    solar_hour = np.mod(HOUR + 0.5 - UTC_OFFSET_H + lon / 15.0, 24.0)
    bases = wind_bases(common, own, rho, k, wind_shape(DOY_H, solar_hour, seasonal, amp, peak))
    lam = bisect(lambda L: wind_cf(L, bases, grid, curve).mean(), 0.5, 30.0, target, iters=45)
    return wind_cf(lam, bases, grid, curve), lam


def hydro_profile(r: str, z_daily: np.ndarray, target: float):
    amp, peak, amp2 = HYDRO_REGIMES[SITES[r][5]]
    daily = (1 + amp * np.cos(2 * np.pi * (DOY_D - peak) / 365.0) + amp2 * np.cos(4 * np.pi * (DOY_D - peak) / 365.0)) \
        * np.exp(HYDRO["sigma_daily"] * z_daily - 0.5 * HYDRO["sigma_daily"] ** 2)
    scale = bisect(lambda a: np.minimum(a * daily, 1.0).mean(), 0.0, 5.0, target)
    return np.repeat(np.minimum(scale * daily, 1.0), 24)


def targets() -> list[tuple[str, str, float, str]]:
    """(technology, region, target annual CF, source) for every calibrated profile."""
    out = []
    for r in REGIONS:
        h = float(np.mean(SOLAR_HOURS[r]))
        c = SOLAR_CURTAILMENT.get(r, 0.0)
        src = f"CEC solar utilisation hours, mean 2019-2020 = {h:.0f} h"
        src += f"; / (1 - {c:.3f}) NEA 2019 Q1-Q3 curtailment" if c else ""
        out.append(("solar_utility", r, h / (1 - c) / HOURS, src))
        h = float(np.mean(WIND_HOURS[r]))
        c = WIND_CURTAILMENT.get(r, 0.0)
        src = f"CEC wind utilisation hours, mean 2019-2021 = {h:.0f} h"
        src += f"; / (1 - {c:.3f}) NEA 2019 curtailment" if c else ""
        won = h / (1 - c) / HOURS
        out.append(("onwind", r, won, src))
        if r in OFFSHORE_SITES:
            out.append(("offwind", r, won + OFFSHORE_EXTRA_HOURS / HOURS,
                        f"estimate: onshore target + {OFFSHORE_EXTRA_HOURS:.0f} h (offshore ~2500 h, ~500 h above onshore)"))
        out.append(("hydro_ror", r, HYDRO_HOURS / HOURS,
                    "national hydropower utilisation 2020 = 3827 h (NEA/CEC, plants >= 6 MW)"))
    return out


def build() -> tuple[pd.DataFrame, pd.DataFrame]:
    lat = np.array([SITES[r][0] for r in REGIONS])
    lon = np.array([SITES[r][1] for r in REGIONS])
    w = weather(np.random.default_rng(SEED), distances_km(lat, lon))
    grid, curve = power_curve_table()
    tg = {(t, r): (v, src) for t, r, v, src in targets()}
    series: dict[tuple[str, str], np.ndarray] = {}
    calib = []
    for j, r in enumerate(REGIONS):
        la, lo, elev, w_reg, s_reg, h_reg = SITES[r]
        target, src = tg[("solar_utility", r)]
        pu, pdist, _ = solar_profiles(r, w["z_cloud"][:, j], w["e_cloud"][:, j], target)
        series[("solar_utility", r)] = pu
        series[("solar_distributed", r)] = pdist
        calib.append(("solar_utility", r, target, src))
        calib.append(("solar_distributed", r, float(pdist.mean()),
                      "derived (not published): solar_utility cloud series on a 20 deg tilt with PR 0.75 instead of 0.80"))

        reg = WIND_REGIMES[w_reg]
        target, src = tg[("onwind", r)]
        series[("onwind", r)], _ = wind_profile(lo, reg, reg["amp"], reg["peak"], w["x_wind"][:, j], w["x_sub_on"][:, j, :],
                                                WIND["subsite_corr_on"], WIND["weibull_k_on"], target, grid, curve)
        calib.append(("onwind", r, target, src))

        if r in OFFSHORE_SITES:
            ola, olo, oreg = OFFSHORE_SITES[r]
            rho = WIND["offshore_onshore_corr"]
            common = rho * w["x_wind"][:, j] + math.sqrt(1 - rho * rho) * w["x_off"][:, j]
            target, src = tg[("offwind", r)]
            series[("offwind", r)], _ = wind_profile(olo, WIND_REGIMES[oreg], OFFSHORE_DIURNAL["amp"], OFFSHORE_DIURNAL["peak"],
                                                     common, w["x_sub_off"][:, j, :], WIND["subsite_corr_off"],
                                                     WIND["weibull_k_off"], target, grid, curve)
            calib.append(("offwind", r, target, src))

        target, src = tg[("hydro_ror", r)]
        series[("hydro_ror", r)] = hydro_profile(r, w["z_hydro"][:, j], target)
        calib.append(("hydro_ror", r, target, src))

    techs = ["solar_utility", "solar_distributed", "onwind", "offwind", "hydro_ror"]
    keys = [(t, r) for t in techs for r in REGIONS if (t, r) in series]
    values = np.round(np.clip(np.concatenate([series[k] for k in keys]), 0.0, 1.0), DECIMALS)
    values[values == 0] = 0.0  # no negative zeros
    frame = pd.DataFrame({
        "technology": np.repeat([k[0] for k in keys], HOURS),
        "region": np.repeat([k[1] for k in keys], HOURS),
        "time": np.tile(HOUR, len(keys)),
        "availability": values,
    })
    achieved = frame.groupby(["technology", "region"], sort=False)["availability"].mean()
    cal = pd.DataFrame(
        [(t, r, round(v, 4), round(float(achieved[(t, r)]), 4), src) for t, r, v, src in calib],
        columns=["technology", "region", "target_cf", "achieved_cf", "source"],
    )
    cal["technology"] = pd.Categorical(cal["technology"], techs)
    cal = cal.sort_values(["technology", "region"]).reset_index(drop=True)
    cal["technology"] = cal["technology"].astype(str)
    return frame, cal


def validate(frame: pd.DataFrame, cal: pd.DataFrame) -> None:
    v = frame["availability"].to_numpy()
    assert np.all((v >= 0) & (v <= 1)), "availability outside [0, 1]"
    assert not frame.duplicated(["technology", "region", "time"]).any()
    worst = (cal["achieved_cf"] - cal["target_cf"]).abs().max()
    assert worst < 0.005, f"calibration error {worst:.4f} above 0.5 percentage points"
    # solar is zero whenever the sun is below the horizon during the whole hour
    for r in REGIONS:
        la, lo, elev = SITES[r][:3]
        *_, daylight = sun_and_clearsky(la, lo, elev, la)
        sol = frame[(frame.technology == "solar_utility") & (frame.region == r)]["availability"].to_numpy()
        assert np.all(sol[~daylight] == 0), f"solar output at night in {r}"
    print(f"checks passed: {len(frame):,} rows, values in [0, 1], max |achieved - target| = {worst:.5f}, solar 0 at night")

    month = pd.to_datetime("2019-01-01") + pd.to_timedelta(frame["time"], unit="h")
    monthly = frame.assign(month=month.dt.month).groupby(["technology", "month"])["availability"].mean().unstack()
    print("\nmonthly mean availability, unweighted over provinces (columns = months):")
    print(monthly.round(3).to_string())
    sol = frame[frame.technology == "solar_utility"].copy()
    sol["hour"] = sol["time"] % 24
    print("\nsolar_utility mean by hour of day (Beijing time), all provinces:")
    print(sol.groupby("hour")["availability"].mean().round(3).to_string())
    examples = [("onwind", "NM"), ("onwind", "YN"), ("offwind", "FJ"), ("solar_utility", "HE"),
                ("solar_utility", "YN"), ("solar_utility", "HN"), ("hydro_ror", "SC")]
    sub = frame.assign(month=month.dt.month).set_index(["technology", "region"]).loc[examples]
    print("\nmonthly means, examples:")
    print(sub.groupby(["technology", "region", "month"])["availability"].mean().unstack().round(3).to_string())
    w = frame[frame.technology == "onwind"].pivot(index="time", columns="region", values="availability")
    lag1 = np.mean([np.corrcoef(w[c].to_numpy()[1:], w[c].to_numpy()[:-1])[0, 1] for c in w])
    print(f"\nonwind: mean hourly lag-1 autocorrelation {lag1:.3f}; "
          f"correlation BJ-HE {w['BJ'].corr(w['HE']):.2f}, HE-NM {w['HE'].corr(w['NM']):.2f}, "
          f"NM-YN {w['NM'].corr(w['YN']):.2f}, XJ-FJ {w['XJ'].corr(w['FJ']):.2f}")


def main() -> None:
    t0 = _time.perf_counter()
    frame, cal = build()
    t1 = _time.perf_counter()
    frame.to_csv(OUT_AVAILABILITY, index=False, compression={"method": "gzip", "compresslevel": 6, "mtime": 0})
    cal.to_csv(OUT_CALIBRATION, index=False)
    t2 = _time.perf_counter()
    print(f"generated {frame.groupby(['technology', 'region']).ngroups} profiles in {t1 - t0:.1f} s, "
          f"wrote {OUT_AVAILABILITY.relative_to(CASE.parent.parent)} "
          f"({OUT_AVAILABILITY.stat().st_size / 1e6:.1f} MB) and {OUT_CALIBRATION.name} in {t2 - t1:.1f} s")
    validate(frame, cal)
    print(f"total {(_time.perf_counter() - t0):.1f} s")


if __name__ == "__main__":
    main()
