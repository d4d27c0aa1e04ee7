"""Command-line interface: ``optimiser run | validate | info | doctor | schedule | compare | export | sweep`` (also ``python -m optimiser``).

Exit codes: 0 success, 1 the solve ended without an optimum (results and diagnosis
are still written), 2 bad input (every problem listed), 3 a results file could not be read.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from . import __version__

EXIT_OK, EXIT_NOT_OPTIMAL, EXIT_INPUT, EXIT_RESULTS = 0, 1, 2, 3


def _solver_options(pairs: list[str]) -> dict:
    from .solve import SolverOptionError

    options = {}
    for pair in pairs or []:
        if "=" not in pair:
            raise SolverOptionError(f"--solver-option expects NAME=VALUE, got {pair!r}")
        name, value = pair.split("=", 1)
        options[name.strip()] = value.strip()
    return options


def _setting_overrides(args) -> dict:
    """Settings given on the command line (they replace the case's): the foresight mode and its window."""
    given = {"foresight": args.foresight, "foresight_window": args.foresight_window, "foresight_step": args.foresight_step,
             "method": getattr(args, "method", None)}
    overrides = {name: value for name, value in given.items() if value is not None}
    benders = {}
    for pair in getattr(args, "benders_option", None) or []:
        import yaml

        if "=" not in pair:
            raise ValueError(f"--benders-option expects NAME=VALUE, got {pair!r}")
        name, value = pair.split("=", 1)
        parsed = yaml.safe_load(value.strip())
        if isinstance(parsed, str):  # YAML 1.1 reads 1e-4 (no '.') as text
            try:
                parsed = float(parsed)
            except ValueError:
                pass
        benders[name.strip()] = parsed
    if benders:
        overrides["benders"] = benders
    return overrides


def _cmd_run(args) -> int:
    from .inputs import InputError, warnings_report
    from .run import DEFAULT_CASE, run
    from .scenarios import ScenarioError
    from .solve import SolverOptionError, option_problems

    from .benders import BendersError
    from .foresight import ForesightError
    from .model.program import ExtensionError

    case = args.case or DEFAULT_CASE
    try:
        options = _solver_options(args.solver_option)
        problems = option_problems(options) if args.solver is None else []  # HiGHS options, before the case is read
        if problems:
            raise SolverOptionError("; ".join(what for _, _, what in problems))
        if not args.quiet and args.solver is None:
            # a long solve shows its progress (and HiPO writes its iterations to the log file only when echoing)
            options = {"log_to_console": True, **options}
        settings = _setting_overrides(args)
        if args.scenario:
            from .scenarios import run_scenario

            results, out = run_scenario(case, args.scenario, args.out, options, scenario_file=args.scenario_file, solver=args.solver,
                                        settings=settings)
        else:
            results, out = run(case, args.out, options, schedule=not args.no_schedule, solver=args.solver, settings=settings)
    except ScenarioError as error:
        print(error.report(), file=sys.stderr)
        return EXIT_INPUT
    except InputError as error:
        print(error.report(), file=sys.stderr)
        if error.warnings:
            print(warnings_report(error.warnings), file=sys.stderr)
        return EXIT_INPUT
    except SolverOptionError as error:
        print(f"solver option error: {error}", file=sys.stderr)
        return EXIT_INPUT
    except ExtensionError as error:
        print(f"extension error: {error}", file=sys.stderr)
        return EXIT_INPUT
    except ForesightError as error:
        print(f"foresight error: {error}", file=sys.stderr)
        return EXIT_INPUT
    except BendersError as error:
        print(f"benders error: {error}", file=sys.stderr)
        return EXIT_INPUT
    if not results.attrs.get("optimal"):
        print(f"no optimal solution: {results.attrs.get('status')}", file=sys.stderr)
        if results.attrs.get("diagnosis"):
            print(results.attrs["diagnosis"], file=sys.stderr)
        return EXIT_NOT_OPTIMAL
    print(f"objective: {results.attrs['objective']:.6g} {results.attrs['objective_units']}")
    return EXIT_OK


def _cmd_validate(args) -> int:
    from .inputs import InputError, load_case, warnings_report
    from .model import build_model
    from .run import check_output_path

    try:
        case = load_case(args.case)
        if args.out is not None:
            check_output_path(args.out, schedule=True)
    except InputError as error:
        print(error.report(), file=sys.stderr)
        if error.warnings:
            print(warnings_report(error.warnings), file=sys.stderr)
        return EXIT_INPUT
    if case.warnings:
        print(warnings_report(case.warnings), file=sys.stderr)
    print(f"case {case.name} is valid: " + ", ".join(f"{v} {k}" for k, v in case.summary().items()))
    from .model.program import ExtensionError, compile_program

    try:
        model = build_model(case, pyomo=False)  # applies the case's extension files, if any
        if model.extensions:
            _, extensions = compile_program(model)
            print("extensions: " + "; ".join(extensions.changes))
    except ExtensionError as error:
        print(f"extension error: {error}", file=sys.stderr)
        return EXIT_INPUT
    stats = model.statistics()
    print(f"model size: {stats['variables']} variables, {stats['constraints']} constraints, {stats['nonzeros']} non-zeros")
    return EXIT_OK


def _cmd_info(args) -> int:
    from .results import ResultsFileError, headline, open_results

    try:
        with open_results(args.results) as ds:
            print("\n".join(headline(ds)))
    except ResultsFileError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_RESULTS
    return EXIT_OK


def _cmd_doctor(args) -> int:
    from .doctor import main as doctor

    return doctor()


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="optimiser", description="Least-cost energy-system pathways (Pyomo + HiGHS).")
    top.add_argument("--version", action="version", version=f"optimiser {__version__}")
    commands = top.add_subparsers(dest="command", required=True)

    run = commands.add_parser("run", help="solve a case and write results/<case>.nc")
    run.add_argument("case", nargs="?", type=Path, help="case folder (default: the embedded default case)")
    run.add_argument("--out", type=Path, help="results file (default: results/<case name>.nc)")
    run.add_argument(
        "--solver-option",
        action="append",
        metavar="NAME=VALUE",
        help="HiGHS option, repeatable (threads=2, solver=ipm|simplex|pdlp, time_limit=600, run_crossover=off, ...)",
    )
    run.add_argument(
        "--solver", metavar="NAME",
        help="solve the Pyomo model with Pyomo's solver interface NAME (appsi_highs, highs, glpk, cbc, gurobi, cplex, xpress; "
        "optimiser doctor lists those available) instead of HiGHS in memory (the default); --solver-option then goes to it",
    )
    run.add_argument(
        "--foresight", choices=["perfect", "myopic", "rolling"],
        help="solve all periods at once (perfect), one at a time (myopic) or in windows (rolling, with --foresight-window); "
        "replaces the case's setting foresight (docs/model.md, section 12)",
    )
    run.add_argument("--foresight-window", type=int, metavar="N", help="periods per window with --foresight rolling")
    run.add_argument("--foresight-step", type=int, metavar="N", help="periods each rolling window keeps (default 1)")
    run.add_argument(
        "--method", choices=["monolithic", "benders"],
        help="solve the whole programme at once (monolithic) or by Benders decomposition with subproblems in parallel "
        "(benders); replaces the case's setting method (docs/model.md, section 13)",
    )
    run.add_argument(
        "--benders-option", action="append", metavar="NAME=VALUE",
        help="an option of method: benders, e.g. workers=4, gap=1e-3, executor=dask, scheduler=tcp://host:8786 (repeatable; "
        "replaces the case's benders setting)",
    )
    run.add_argument("--no-schedule", action="store_true", help="skip the deployment schedule, plots and report after the solve")
    run.add_argument("--quiet", action="store_true", help="do not echo HiGHS's progress log on the terminal (it is always written to results/<case>.highs.log)")
    run.add_argument("--scenario", metavar="FILE:NAME", help="solve a scenario of a parameter file (FILE:NAME, or NAME with --scenario-file or CASE/scenarios.yaml); see docs/scenarios.md")
    run.add_argument("--scenario-file", type=Path, metavar="FILE", help="parameter file for --scenario NAME")
    run.set_defaults(func=_cmd_run)

    validate = commands.add_parser("validate", help="check a case, print its size; exit 2 on errors")
    validate.add_argument("case", type=Path)
    validate.add_argument("--out", type=Path, help="also check that results could be written there (as optimiser run --out)")
    validate.set_defaults(func=_cmd_validate)

    info = commands.add_parser("info", help="status, objective and headline figures of a results file")
    info.add_argument("results", type=Path)
    info.set_defaults(func=_cmd_info)

    doctor = commands.add_parser(
        "doctor", help="HiGHS version, HiPO, threads, Pyomo solvers and package versions against lock.txt; exit 1 on a problem"
    )
    doctor.set_defaults(func=_cmd_doctor)

    from .postprocess.cli import add_commands  # schedule, compare, export

    add_commands(commands)

    from .sweep.cli import add_sweep_commands  # sweep plan | run | task | merge | status

    add_sweep_commands(commands)
    return top


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
