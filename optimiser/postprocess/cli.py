"""The post-processing subcommands of ``optimiser``: schedule, compare, export.

    optimiser schedule RESULTS [--by national|region] [--format csv|xlsx|md] [--out DIR]
    optimiser compare A.nc B.nc [...] [--name A --name B] [--out DIR]
    optimiser export RESULTS [...] --format iamc [--out FILE.csv|FILE.xlsx]

Exit code 3 (with a one-line message, no traceback) when a file is not a results file, the run
has no solution or a variable is missing.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

EXIT_OK, EXIT_RESULTS = 0, 3
TABLE_FORMATS = ("csv", "xlsx", "md")


def _format_arg(value: str) -> str:
    """argparse type of --format: csv, xlsx, md (comma-separated allowed); exit 2 otherwise."""
    import argparse

    items = [item.strip().lower() for item in str(value).split(",") if item.strip()]
    bad = [item for item in items if item not in TABLE_FORMATS]
    if bad or not items:
        raise argparse.ArgumentTypeError(f"unknown table format {', '.join(bad) or repr(value)}: choose from {', '.join(TABLE_FORMATS)}")
    return ",".join(items)


def _formats(values) -> tuple:
    out = ["csv"]
    for value in values or []:
        for item in str(value).split(","):
            item = item.strip().lower()
            if item and item not in out:
                out.append(item)
    return tuple(out)


def _report(written, start, out=None):
    out = out or sys.stdout  # looked up at call time: sys.stdout may be replaced (tests, notebooks)
    for path in written:
        print(f"  {path}", file=out)
    print(f"{len(written)} files written in {time.perf_counter() - start:.1f} s", file=out)


def _fail(error) -> int:
    print(f"error: {error}", file=sys.stderr)
    return EXIT_RESULTS


def _cmd_schedule(args) -> int:
    from ..results import ResultsFileError
    from . import load, postprocess

    start = time.perf_counter()
    try:
        ds = load(args.results)
        out = args.out or Path("results") / str(ds.attrs.get("case") or Path(args.results).stem)
        written = postprocess(ds, out, by=args.by, formats=_formats(args.format), plots=not args.no_plots, report=not args.no_report)
    except ResultsFileError as error:
        return _fail(error)
    print(f"schedule of {args.results} ({args.by}) in {out}:")
    _report(written, start)
    return EXIT_OK


def _cmd_compare(args) -> int:
    from ..results import ResultsFileError
    from . import combine, postprocess

    start = time.perf_counter()
    if args.name and len(args.name) != len(args.results):
        return _fail(f"{len(args.name)} --name for {len(args.results)} results files")
    try:
        ds = combine(args.results, names=args.name or None)
        out = args.out or Path("results") / "compare"
        written = postprocess(ds, out, by=args.by, formats=_formats(args.format), plots=not args.no_plots, report=not args.no_report)
    except ResultsFileError as error:
        return _fail(error)
    print(f"comparison of {', '.join(map(str, args.results))} in {out}:")
    _report(written, start)
    return EXIT_OK


def _cmd_export(args) -> int:
    from ..results import ResultsFileError
    from . import combine, load
    from .iamc import export_iamc

    start = time.perf_counter()
    try:
        if len(args.results) == 1:
            ds = load(args.results[0])
        else:
            ds = combine(args.results)
        out = args.out or Path("results") / f"{ds.attrs.get('case') if len(args.results) == 1 else 'compare'}_iamc.csv"
        written = export_iamc(ds, out, model=args.model, scenario=args.scenario, national_region=args.region_name)
    except ResultsFileError as error:
        return _fail(error)
    print(f"IAMC export of {', '.join(map(str, args.results))}:")
    _report(written, start)
    return EXIT_OK


def add_commands(commands) -> None:
    """Add ``schedule``, ``compare`` and ``export`` to the ``optimiser`` argument parser."""
    schedule = commands.add_parser(
        "schedule",
        help="tables (CSV; xlsx, Markdown on request), plots and report.html of a results file",
        description="Technology schedule, roadmap, corridor, CCUS and hydrogen tables, plots (PNG, SVG) and a "
        "self-contained report.html. Default output folder: results/<case>/.",
    )
    schedule.add_argument("results", type=Path, help="results file (netCDF written by 'optimiser run')")
    compare = commands.add_parser(
        "compare",
        help="the schedule, plots and report of several results side by side (scenario dimension)",
        description="Concatenate results along a 'scenario' dimension; tables get a scenario column and plots "
        "overlay or facet the scenarios. Default output folder: results/compare/.",
    )
    compare.add_argument("results", type=Path, nargs="+", help="results files")
    compare.add_argument("--name", action="append", metavar="NAME", help="scenario name of each file, in order (default: case names)")
    for sub in (schedule, compare):
        sub.add_argument("--by", choices=("national", "region"), default="national", help="technology tables national or per region")
        sub.add_argument("--format", action="append", metavar="csv|xlsx|md", type=_format_arg,
                         help="table formats besides CSV (repeatable or comma-separated: xlsx = one sheet per table, md = Markdown)")
        sub.add_argument("--out", type=Path, help="output folder")
        sub.add_argument("--no-plots", action="store_true", help="do not write the PNG and SVG plots")
        sub.add_argument("--no-report", action="store_true", help="do not write report.html")
    schedule.set_defaults(func=_cmd_schedule)
    compare.set_defaults(func=_cmd_compare)

    export = commands.add_parser(
        "export",
        help="export results in the IAMC format (CSV or xlsx, AR6 variable names)",
        description="IAMC long format: model, scenario, region, variable, unit, year, value. The file type follows "
        "the --out suffix (.csv or .xlsx); the technology-to-variable mapping is written beside it.",
    )
    export.add_argument("results", type=Path, nargs="+", help="results file(s); several become scenarios")
    export.add_argument("--format", choices=("iamc",), default="iamc", help="export format (iamc)")
    export.add_argument("--out", type=Path, help="output file (default: results/<case>_iamc.csv)")
    export.add_argument("--model", help="model name (default: 'optimiser <version>')")
    export.add_argument("--scenario", help="scenario name (default: the case name)")
    export.add_argument("--region-name", help="region name of the national totals (default: settings 'country' or 'National')")
    export.set_defaults(func=_cmd_export)


__all__ = ["add_commands", "TABLE_FORMATS"]
