"""Post-processing of results: schedule tables, roadmap, plots, an HTML report and IAMC export.

Python API (every function takes a results ``xarray.Dataset``, a single run or several runs
concatenated along a ``scenario`` dimension)::

    from optimiser import postprocess as pp

    ds = pp.load("results/example.nc")                  # checked; time dimension summarised away
    table = pp.make_schedule(ds, by="national")         # one row per technology and period
    credibility = pp.make_credibility(ds)               # the results beside the case's references.csv
    roadmap = pp.make_roadmap(ds)                       # first built, reaches scale, peak, phase-out, term
    tables = pp.make_tables(ds)                         # every table, by name
    pp.write_tables(tables, "results/example", formats=("csv", "xlsx", "md"))
    plots = pp.make_plots(ds, "results/example/plots")  # PNG and SVG
    pp.write_report(ds, "results/example/report.html")  # self-contained HTML
    pp.export_iamc(ds, "results/example_iamc.csv")      # IAMC long format (.csv or .xlsx)

    both = pp.combine(["results/a.nc", "results/b.nc"])  # scenario dimension

Command line: ``optimiser schedule``, ``optimiser compare``, ``optimiser export`` (see ``docs/postprocess.md``).
Bad input raises :class:`PostprocessError` (a :class:`optimiser.results.ResultsFileError`).
"""

from __future__ import annotations

from .common import PostprocessError, combine, load, prepare, summarise
from .credibility import make_credibility
from .iamc import TECHNOLOGY_MAP, export_iamc, mapping_table, to_iamc, write_iamc
from .milestones import MILESTONES, compare_milestones
from .palette import colour, colours
from .roadmap import make_roadmap, phases, term_of
from .schedule import (
    make_carbon_balance,
    make_ccus,
    make_corridor_expansion,
    make_corridors,
    make_costs,
    make_headline,
    make_hydrogen_pipelines,
    make_hydrogen_production,
    make_hydrogen_storage,
    make_schedule,
    make_tables,
    write_tables,
)
from .time_representation import make_time_representation


def make_plots(ds, out_dir=None, formats=("png", "svg"), dpi: int = 100, names=None):
    """Draw the plots (see :mod:`optimiser.postprocess.plots`); matplotlib is imported only here."""
    from .plots import make_plots as _make_plots

    return _make_plots(ds, out_dir, formats=formats, dpi=dpi, names=names)


def write_report(ds, path, tables=None, plots=None):
    """Write the self-contained HTML report (see :mod:`optimiser.postprocess.report`)."""
    from .report import write_report as _write_report

    return _write_report(ds, path, tables=tables, plots=plots)


def postprocess(ds, out_dir, by: str = "national", formats=("csv",), plots: bool = True, report: bool = True):
    """Tables, plots and report of ``ds`` into ``out_dir``; returns the files written."""
    from .report import postprocess as _postprocess

    return _postprocess(ds, out_dir, by=by, formats=formats, plots=plots, report=report)


__all__ = [
    "MILESTONES",
    "TECHNOLOGY_MAP",
    "PostprocessError",
    "colour",
    "colours",
    "combine",
    "compare_milestones",
    "export_iamc",
    "load",
    "make_carbon_balance",
    "make_ccus",
    "make_corridor_expansion",
    "make_corridors",
    "make_credibility",
    "make_costs",
    "make_headline",
    "make_hydrogen_pipelines",
    "make_hydrogen_production",
    "make_hydrogen_storage",
    "make_plots",
    "make_roadmap",
    "make_schedule",
    "make_time_representation",
    "make_tables",
    "mapping_table",
    "phases",
    "postprocess",
    "prepare",
    "summarise",
    "term_of",
    "to_iamc",
    "write_iamc",
    "write_report",
    "write_tables",
]
