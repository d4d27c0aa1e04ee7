"""Extension files named in ``settings.yaml``: a user's own constraints, variables and objective terms.

    extensions: [my_rules.py]        # paths relative to the case folder (or to the base case that names them)

Each file defines ``extend(model)``, which receives the built :class:`optimiser.Model` (``model.pyomo`` is the
labelled Pyomo model, ``model.data`` the prepared inputs) and adds Pyomo components to ``model.pyomo``, like
PyPSA's ``extra_functionality``. Whatever it adds is solved (:mod:`.program`). A scenario of a sweep switches
extensions with ``{setting: extensions, set: []}``. The files' bytes enter the case's input hash, so results and
sweeps know when an extension changed. See docs/extending.md.
"""

from __future__ import annotations

import hashlib
import importlib.util
import sys
import traceback
from pathlib import Path

from .program import ExtensionError

FUNCTION = "extend"


def resolve(settings: dict, folders: list[Path]) -> tuple[list[Path], list[str]]:
    """The extension files of ``settings['extensions']``, each looked up in the case folder and then its base cases
    (``folders``, nearest first), and the problems found (not a list of strings, a file that does not exist)."""
    entries = settings.get("extensions")
    if entries is None:
        return [], []
    if isinstance(entries, str):
        entries = [entries]
    if not isinstance(entries, list) or not all(isinstance(entry, str) and entry.strip() for entry in entries):
        return [], [f"expected a list of Python files (paths relative to the case folder), got {entries!r}"]
    paths, problems = [], []
    for entry in entries:
        candidates = [Path(entry)] if Path(entry).is_absolute() else [folder / entry for folder in folders]
        found = next((path for path in candidates if path.is_file()), None)
        if found is None:
            problems.append(f"{entry}: no such file (looked in {', '.join(str(c.parent) for c in candidates)})")
        elif found.suffix != ".py":
            problems.append(f"{entry}: expected a Python file (.py)")
        else:
            paths.append(found.resolve())
    return paths, problems


def apply(model, paths: list[Path]) -> list[dict]:
    """Run ``extend(model)`` of every file in order; return what was applied (path and SHA-256 of each file).

    A file that does not load, has no ``extend`` or fails inside it raises :class:`ExtensionError` naming the file
    and the line.
    """
    applied = []
    for number, path in enumerate(paths):
        source = path.read_bytes()
        name = f"optimiser_extension_{number}_{path.stem}"
        spec = importlib.util.spec_from_file_location(name, path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        try:
            spec.loader.exec_module(module)
        except Exception as error:
            raise ExtensionError(f"extension {path} does not load: {_where(error, path)}") from None
        function = getattr(module, FUNCTION, None)
        if not callable(function):
            raise ExtensionError(f"extension {path} defines no function {FUNCTION}(model)")
        try:
            function(model)
        except ExtensionError:
            raise
        except Exception as error:
            raise ExtensionError(f"extension {path}: {FUNCTION}(model) failed: {_where(error, path)}") from None
        applied.append({"path": str(path), "sha256": hashlib.sha256(source).hexdigest()})
    return applied


def _where(error: Exception, path: Path) -> str:
    """``line N: ErrorType: message``, the line being the deepest frame in the extension file."""
    frames = [frame for frame in traceback.extract_tb(error.__traceback__) if Path(frame.filename).resolve() == path]
    if isinstance(error, SyntaxError) and error.lineno:
        return f"line {error.lineno}: SyntaxError: {error.msg}"
    line = f"line {frames[-1].lineno}: " if frames else ""
    return f"{line}{type(error).__name__}: {error}"
