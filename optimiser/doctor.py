"""``optimiser doctor``: what this installation can do, and whether it is the locked one.

Prints the HiGHS version, whether HiGHS's HiPO interior-point solver is available (``highspy-extras``),
the threads the machine offers, the Pyomo solver interfaces that answer, and the versions of the
packages that decide a result. If the package sits in a checkout with ``lock.txt`` (an editable install,
as the README does it), every installed package is compared with its pin: a run is reproducible only
in the locked environment.
"""

from __future__ import annotations

import os
import platform
import sys
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

#: packages whose versions decide a result or its reading; reported by name
KEY_PACKAGES = [
    "highspy", "highspy-extras", "pyomo", "numpy", "scipy", "pandas", "xarray", "netcdf4", "tsam", "scikit-learn",
    "pyyaml", "dask", "distributed", "tqdm", "pypsa", "pyam-iamc", "ixmp4",
]
#: the lock, beside the package in a checkout (``pip install -c lock.txt -e .``)
LOCK_FILE = Path(__file__).resolve().parent.parent / "lock.txt"
#: measured on the China default case (benchmarks/RESULTS.md, "China case"): IPX took 483 s where HiPO took 204 s
HIPO_SPEEDUP = 2.4


@dataclass
class Report:
    facts: dict = field(default_factory=dict)
    versions: dict = field(default_factory=dict)
    #: (package, installed, locked) where the installed version is not the locked one
    lock_mismatches: list = field(default_factory=list)
    #: locked packages that this environment needs but has not installed are not listed: extras are optional
    problems: list = field(default_factory=list)

    def lines(self) -> list[str]:
        out = [f"{name}: {value}" for name, value in self.facts.items()]
        out.append("packages: " + ", ".join(f"{name} {version}" for name, version in self.versions.items()))
        out += [f"PROBLEM: {problem}" for problem in self.problems]
        if not self.problems:
            out.append("OK: this environment can run every case as locked")
        return out


def installed_version(name: str) -> str | None:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def locked_versions(lock_file: Path = LOCK_FILE) -> dict[str, str]:
    """``name -> version`` of the pins in a uv/pip constraints file that apply to this Python and platform."""
    from packaging.markers import Marker
    from packaging.utils import canonicalize_name

    pins = {}
    for raw in lock_file.read_text(encoding="utf-8").splitlines():
        line = raw.split("#", 1)[0].strip()
        if "==" not in line:
            continue
        requirement, _, marker = line.partition(";")
        if marker.strip() and not Marker(marker.strip()).evaluate():
            continue
        name, _, version = requirement.partition("==")
        pins[canonicalize_name(name.strip())] = version.strip()
    return pins


def lock_mismatches(lock_file: Path = LOCK_FILE) -> list[tuple[str, str, str]]:
    """Installed distributions whose version differs from the lock's pin (distributions not installed are skipped)."""
    from packaging.utils import canonicalize_name

    installed = {canonicalize_name(dist.metadata["Name"]): dist.version for dist in metadata.distributions() if dist.metadata["Name"]}
    return [(name, installed[name], pin) for name, pin in sorted(locked_versions(lock_file).items()) if name in installed and installed[name] != pin]


def pyomo_solvers() -> dict[str, bool]:
    """Which Pyomo solver interfaces answer on this machine (``optimiser run --solver NAME``)."""
    import pyomo.environ as pyo

    answers = {}
    for name in ("appsi_highs", "glpk", "cbc", "gurobi", "cplex", "xpress"):
        try:
            answers[name] = bool(pyo.SolverFactory(name).available(exception_flag=False))
        except Exception:  # a broken plugin is as good as none
            answers[name] = False
    return answers


def diagnose(lock_file: Path = LOCK_FILE) -> Report:
    import highspy

    from . import __version__
    from .solve import hipo_available

    report = Report()
    probe = highspy.Highs()
    report.facts = {
        "optimiser": f"{__version__} ({Path(__file__).resolve().parent})",
        "python": f"{platform.python_version()} ({sys.executable})",
        "machine": f"{platform.system()} {platform.machine()}, {os.cpu_count()} logical CPUs",
        "HiGHS": f"{probe.version()} (highspy {installed_version('highspy')})",
        "HiPO (highspy-extras)": "available" if hipo_available() else "NOT available",
        "threads": f"HiGHS may use up to {os.cpu_count()} (set solver: threads in settings.yaml)",
        "Pyomo solvers": ", ".join(f"{name} {'yes' if ok else 'no'}" for name, ok in pyomo_solvers().items()),
    }
    report.versions = {name: installed_version(name) or "not installed" for name in KEY_PACKAGES}
    if not hipo_available():
        extras = installed_version("highspy-extras")
        report.problems.append(
            f"HiPO is missing (highspy {installed_version('highspy')}, highspy-extras {extras or 'not installed'}; the two must share "
            f"their minor version): cases asking for solver=hipo fall back to IPX, about {HIPO_SPEEDUP}x slower on the China case. "
            "Fix: pip install -c lock.txt -e ."
        )
    if lock_file.exists():
        report.lock_mismatches = lock_mismatches(lock_file)
        report.facts["lock"] = f"{lock_file} ({'matches' if not report.lock_mismatches else f'{len(report.lock_mismatches)} packages differ'})"
        if report.lock_mismatches:
            listed = ", ".join(f"{name} {have} (locked {pin})" for name, have, pin in report.lock_mismatches[:12])
            more = len(report.lock_mismatches) - 12
            report.problems.append(
                f"not the locked environment: {listed}{f' and {more} more' if more > 0 else ''}. Results may differ from a locked run. "
                f"Fix: pip install -c {lock_file} -e ."
            )
    else:
        report.facts["lock"] = "no lock.txt beside the package (installed from a wheel?): versions not checked against a lock"
    return report


def main() -> int:
    """Print the report; exit 1 if a problem was found."""
    report = diagnose()
    print("\n".join(report.lines()))
    return 1 if report.problems else 0
