"""One colour per technology, in one place, so that every plot uses the same colours.

Known names (the generic ones of ``inputs/example`` and ``inputs/example_h2_ccus`` and those
of ``inputs/china/build/CONVENTIONS.md``) have fixed colours; any other name gets the colour
of the family its name points to (``coal``, ``gas``, ``wind``, ...) or, failing that, a colour
derived from a hash of the name: the same name always gets the same colour.
"""

from __future__ import annotations

import hashlib

#: fixed colours (hex) of known technology names
TECHNOLOGY_COLOURS = {
    # fossil
    "coal": "#4d4d4d",
    "coal_ccs": "#8c6d62",
    "gas_ccgt": "#e07b39",
    "gas_ocgt": "#f2a65a",
    "gas_ccs": "#b85c2b",
    "gas": "#e07b39",
    "oil": "#7f3b08",
    # nuclear and renewables
    "nuclear": "#9467bd",
    "hydro": "#1f5fa8",
    "hydro_reservoir": "#1f5fa8",
    "hydro_ror": "#5b9bd5",
    "wind": "#5fb8d6",
    "onwind": "#5fb8d6",
    "offwind": "#1b7f9e",
    "solar": "#f5c518",
    "solar_utility": "#f5c518",
    "solar_distributed": "#ffe680",
    "csp": "#e6a100",
    "geothermal": "#a05195",
    "biomass": "#6a9a3a",
    "beccs": "#2f6b2f",
    # storage
    "battery": "#e377c2",
    "pumped_hydro": "#17becf",
    "compressed_air": "#9edae5",
    "h2_tank": "#b5a1d6",
    "h2_cavern": "#7b68b5",
    # hydrogen and CCUS
    "electrolysis": "#00a087",
    "smr_ccs": "#c49c94",
    "smr": "#d9b8a8",
    "h2_turbine": "#3c5488",
    "dac": "#8dd3c7",
    "industry_capture": "#bcbd22",
    "co2_storage": "#6b6ecf",
}

#: colours of name families, for names not in TECHNOLOGY_COLOURS (first matching keyword wins)
FAMILY_COLOURS = (
    ("ccs", "#8c6d62"),
    ("coal", "#4d4d4d"),
    ("lignite", "#5c4033"),
    ("gas", "#e07b39"),
    ("oil", "#7f3b08"),
    ("nuclear", "#9467bd"),
    ("hydro", "#1f5fa8"),
    ("offwind", "#1b7f9e"),
    ("offshore", "#1b7f9e"),
    ("wind", "#5fb8d6"),
    ("solar", "#f5c518"),
    ("pv", "#f5c518"),
    ("bio", "#6a9a3a"),
    ("batter", "#e377c2"),
    ("h2", "#7b68b5"),
    ("hydrogen", "#7b68b5"),
    ("electroly", "#00a087"),
    ("co2", "#6b6ecf"),
    ("storage", "#17becf"),
)

#: stacking order: fossil at the bottom, then firm low-carbon, variable renewables, storage, the rest
ORDER = [
    "coal", "coal_ccs", "lignite", "oil", "gas_ccgt", "gas_ocgt", "gas", "gas_ccs",
    "nuclear", "hydro", "hydro_reservoir", "hydro_ror", "geothermal", "biomass", "beccs",
    "wind", "onwind", "offwind", "solar", "solar_utility", "solar_distributed", "csp",
    "h2_turbine", "battery", "pumped_hydro", "compressed_air",
    "electrolysis", "smr", "smr_ccs", "h2_tank", "h2_cavern",
    "dac", "industry_capture", "co2_storage",
]

#: qualitative colours for unknown names (tab20 without the greys)
_FALLBACK = (
    "#1f77b4", "#aec7e8", "#ff7f0e", "#ffbb78", "#2ca02c", "#98df8a", "#d62728", "#ff9896",
    "#9467bd", "#c5b0d5", "#8c564b", "#c49c94", "#e377c2", "#f7b6d2", "#bcbd22", "#dbdb8d",
    "#17becf", "#9edae5",
)

#: colours of the three ends of the carbon balance (seed 000)
END_COLOURS = {"power": "#4d4d4d", "consumption": "#e07b39", "sequestration": "#2f6b2f"}
#: line styles for scenarios overlaid in one plot
SCENARIO_STYLES = ("-", "--", ":", "-.")
SCENARIO_COLOURS = ("#1f5fa8", "#d62728", "#2ca02c", "#9467bd", "#e07b39", "#17becf", "#8c564b", "#bcbd22")


def _shade(hex_colour: str, name: str) -> str:
    """A slightly lighter or darker variant of a family colour, fixed by the name."""
    digest = int(hashlib.md5(name.encode()).hexdigest(), 16)
    factor = 0.75 + 0.5 * ((digest % 97) / 96.0)  # 0.75 .. 1.25
    rgb = [int(hex_colour[i:i + 2], 16) for i in (1, 3, 5)]
    if factor > 1:
        rgb = [int(c + (255 - c) * (factor - 1)) for c in rgb]
    else:
        rgb = [int(c * factor) for c in rgb]
    return "#" + "".join(f"{max(0, min(255, c)):02x}" for c in rgb)


def colour(technology: str) -> str:
    """The colour of a technology (hex string), the same in every plot."""
    name = str(technology)
    if name in TECHNOLOGY_COLOURS:
        return TECHNOLOGY_COLOURS[name]
    lower = name.lower()
    for keyword, family in FAMILY_COLOURS:
        if keyword in lower:
            return _shade(family, name)
    digest = int(hashlib.md5(name.encode()).hexdigest(), 16)
    return _FALLBACK[digest % len(_FALLBACK)]


def colours(technologies) -> dict:
    return {t: colour(t) for t in technologies}


def order(technologies) -> list:
    """Technologies sorted in stacking order (known names first, in ORDER; then alphabetically)."""
    rank = {name: i for i, name in enumerate(ORDER)}
    return sorted((str(t) for t in technologies), key=lambda t: (rank.get(t, len(rank)), t))


def region_colour(region: str, regions) -> str:
    """Colour of a region in plots by region (stable for a given list of regions)."""
    regions = sorted(str(r) for r in regions)
    i = regions.index(str(region)) if str(region) in regions else 0
    return _FALLBACK[i % len(_FALLBACK)]


def scenario_style(i: int) -> dict:
    return {"color": SCENARIO_COLOURS[i % len(SCENARIO_COLOURS)], "linestyle": SCENARIO_STYLES[(i // len(SCENARIO_COLOURS)) % len(SCENARIO_STYLES)]}
