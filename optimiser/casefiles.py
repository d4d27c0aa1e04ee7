"""Reading the files of a case folder as a user may have saved them: text encoding, files that are not text,
wrong separators, rows longer than the header, YAML with duplicate keys, and file names that miss a table's name.

Nothing here raises on bad content: every reader returns what it read and the problems it found, each a
:class:`Problem` (line, column, value, what was expected and how to fix it), which :mod:`optimiser.inputs`
turns into input issues naming the file.
"""

from __future__ import annotations

import csv
import difflib
import gzip
import zlib
from dataclasses import dataclass
from pathlib import Path

import yaml

#: (leading bytes, what the file is, how to fix it) of files that are not CSV text
SIGNATURES = (
    (b"PK\x03\x04", "a zip archive, such as an Excel workbook (.xlsx) or an OpenDocument spreadsheet (.ods)",
     "open it in the spreadsheet program and save it as 'CSV UTF-8 (comma delimited)'"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "an Excel 97-2003 workbook (.xls)",
     "open it in the spreadsheet program and save it as 'CSV UTF-8 (comma delimited)'"),
    (b"%PDF", "a PDF document", "export the table as CSV"),
    (b"\x1f\x8b", "gzip-compressed data", "name it with the extension .csv.gz (compressed tables are read by that name)"),
    (b"\xff\xfe", "UTF-16 text (as Excel saves Unicode Text)", "save it as 'CSV UTF-8 (comma delimited)'"),
    (b"\xfe\xff", "UTF-16 text", "save it as UTF-8"),
)
#: separators a spreadsheet may write instead of ','
OTHER_SEPARATORS = ((";", "';' (semicolon)"), ("\t", "tabs"), ("|", "'|'"))
#: extensions of files that may be a table saved under the wrong name (compared without case)
TABLE_LIKE = ("csv", "csv.gz", "gz", "txt", "tsv", "xlsx", "xls", "ods", "csv.csv", "csv.txt", "")
#: similarity (difflib ratio) from which a file name is taken for a misspelt table name
CLOSE_NAME = 0.8


@dataclass(frozen=True)
class Problem:
    """Something wrong with a file: where (line as an editor shows it, column name), what was found, what was expected."""

    line: int | None
    column: str | None
    value: object
    expected: str


# --------------------------------------------------------------------------- text


def read_text(path: Path, header_columns: bool = False) -> tuple[str | None, Problem | None]:
    """The file as text (UTF-8, a byte-order mark tolerated; ``.gz`` files decompressed), or the problem that stops it.

    ``header_columns``: the file is CSV, so an encoding problem names the column of the bad byte from the header.
    """
    compressed = path.name.endswith(".gz")
    try:
        if compressed:
            with gzip.open(path, "rb") as stream:
                data = stream.read()
        else:
            data = path.read_bytes()
    except (OSError, EOFError, zlib.error) as error:
        what = "a readable gzip-compressed file (the name ends in .gz)" if compressed else "a readable file"
        return None, Problem(None, None, f"{type(error).__name__}: {error}", what)
    problem = _not_text(data, "a CSV text file" if header_columns else "a text file")
    if problem is not None:
        return None, problem
    try:
        return data.decode("utf-8-sig"), None
    except UnicodeDecodeError as error:
        return None, _encoding_problem(data, error, header_columns)


def _not_text(data: bytes, wanted: str) -> Problem | None:
    for signature, what, fix in SIGNATURES:
        if data.startswith(signature):
            return Problem(None, None, what, f"{wanted}: {fix}")
    if b"\x00" in data[:65536]:
        return Problem(None, None, "binary data (NUL bytes)", f"{wanted}: export the table as 'CSV UTF-8 (comma delimited)'")
    return None


def _encoding_problem(data: bytes, error: UnicodeDecodeError, header_columns: bool) -> Problem:
    """The first line with bytes that are not UTF-8, its column (CSV), how it reads in Windows-1252, and how many lines."""
    start = data.rfind(b"\n", 0, error.start) + 1
    end = data.find(b"\n", error.start)
    line_bytes = data[start : end if end >= 0 else len(data)].rstrip(b"\r")
    line = data.count(b"\n", 0, error.start) + 1
    bad_byte = data[error.start]
    as_windows = bytes([bad_byte]).decode("cp1252", errors="replace")
    affected = sum(1 for chunk in data.split(b"\n") if not _is_utf8(chunk))
    column, value = None, line_bytes.decode("cp1252", errors="replace")
    if header_columns:
        prefix = data[start : error.start].decode("cp1252", errors="replace")
        position = len(next(csv.reader([prefix]), [""])) - 1
        header = _first_data_line(data.decode("cp1252", errors="replace"))
        names = next(csv.reader([header]), []) if header else []
        if 0 <= position < len(names):
            column = names[position].strip()
            fields = next(csv.reader([value]), [])
            value = fields[position] if position < len(fields) else value
    return Problem(
        line,
        column,
        value,
        f"UTF-8 text: byte 0x{bad_byte:02X} is not UTF-8 (read as Windows-1252 it is {as_windows!r}; "
        f"{affected} line(s) affected), so the file was saved in another encoding: save it as 'CSV UTF-8' "
        "(Excel: Save As, CSV UTF-8) or convert it, e.g. iconv -f cp1252 -t utf-8",
    )


def _is_utf8(chunk: bytes) -> bool:
    try:
        chunk.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _first_data_line(text: str) -> str | None:
    return next((line for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")), None)


# --------------------------------------------------------------------------- CSV


def separator_problem(header: str, known: set[str]) -> Problem | None:
    """A header whose columns are separated by ';', tabs or '|' rather than ',' (``known``: valid column names)."""
    known = {name.lower() for name in known}

    def hits(separator: str) -> int:
        return sum(1 for field in header.split(separator) if field.strip().strip('"').lower() in known)

    comma = hits(",")
    for separator, name in OTHER_SEPARATORS:
        if separator in header and hits(separator) > comma:
            return Problem(
                None,
                None,
                header,
                f"column names separated by ',': this file uses {name} as separator (as Excel writes CSV where the "
                "decimal mark is ','): save it as 'CSV UTF-8 (comma delimited)' with ',' as list separator, or replace "
                f"the separators by ','; numbers need '.' as decimal mark",
            )
    return None


def long_rows(lines: list[str], numbers: list[int], n_columns: int, limit: int = 10) -> list[Problem]:
    """Rows (``lines``, at file line ``numbers``) with more values than the header has columns."""
    problems = []
    for number, row in zip(numbers, csv.reader(lines, skipinitialspace=True)):
        if len(row) > n_columns:
            problems.append(
                Problem(
                    number,
                    None,
                    ",".join(row) if len(",".join(row)) < 120 else ",".join(row)[:117] + "...",
                    f"at most {n_columns} values, one per column of the header, got {len(row)}: a value with an unquoted "
                    "comma (quote it, \"Smith, 2021\"), a decimal comma (use '.') or a trailing comma?",
                )
            )
            if len(problems) == limit:
                break
    return problems


# --------------------------------------------------------------------------- YAML


class _CheckingLoader(yaml.SafeLoader):
    """A safe YAML loader that records duplicate keys (YAML itself keeps the last one without a word)."""

    def __init__(self, stream):
        super().__init__(stream)
        self.duplicates: list[tuple[object, int, int]] = []  # key, first line, repeated line


def _construct_mapping(loader: _CheckingLoader, node, deep=False):
    first: dict = {}
    for key_node, _ in node.value:
        if key_node.tag == "tag:yaml.org,2002:merge":
            continue
        key = loader.construct_object(key_node, deep=True)
        try:
            if key in first:
                loader.duplicates.append((key, first[key], key_node.start_mark.line + 1))
            else:
                first[key] = key_node.start_mark.line + 1
        except TypeError:  # an unhashable key: the constructor below reports it
            pass
    return yaml.SafeLoader.construct_mapping(loader, node, deep)


_CheckingLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def read_yaml(path: Path) -> tuple[object, dict[str, int], list[Problem]]:
    """The YAML document of ``path``, the line of each top-level key, and the problems (not text, not YAML,
    duplicate keys). The document is None when it could not be read."""
    text, problem = read_text(path)
    if problem is not None:
        return None, {}, [problem]
    loader = _CheckingLoader(text)
    try:
        node = loader.get_single_node()
        document = loader.construct_document(node) if node is not None else None
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        what = " ".join(part for part in (error.context, error.problem) if part)
        return None, {}, [Problem(mark.line + 1 if mark else None, None, what, "valid YAML (indent nested keys, 'key: value')")]
    except yaml.YAMLError as error:
        return None, {}, [Problem(None, None, str(error), "valid YAML")]
    finally:
        loader.dispose()
    problems = [
        Problem(line, str(key), None, f"each key once: '{key}' is also on line {first} (YAML would silently keep only the last value)")
        for key, first, line in loader.duplicates
    ]
    return document, _key_lines(node), problems


def _key_lines(node, prefix: str = "") -> dict[str, int]:
    """Line of every key of nested mappings, by dotted path ('solver.threads')."""
    lines: dict[str, int] = {}
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            if isinstance(key_node, yaml.ScalarNode):
                path = f"{prefix}{key_node.value}"
                lines.setdefault(path, key_node.start_mark.line + 1)
                for inner, line in _key_lines(value_node, path + ".").items():
                    lines.setdefault(inner, line)
    return lines


# --------------------------------------------------------------------------- file names


def near_misses(folder: Path, names: list[str]) -> list[tuple[str, str, str]]:
    """Files of ``folder`` whose name misses one of the table ``names`` (a typo, another case, an extension such as
    .xlsx or .csv.txt): (file name, the table file it looks like, what is wrong)."""
    expected = {f"{name}.csv" for name in names} | {f"{name}.csv.gz" for name in names}
    found = []
    for path in sorted(folder.iterdir()):
        if not path.is_file() or path.name in expected:
            continue
        stem, _, extension = path.name.lower().partition(".")
        if extension not in TABLE_LIKE:
            continue
        normalised = stem.strip().replace(" ", "_").replace("-", "_")
        match = difflib.get_close_matches(normalised, names, n=1, cutoff=CLOSE_NAME)
        if not match:
            continue
        target = f"{match[0]}.csv"
        if extension in ("xlsx", "xls", "ods"):
            why = "a spreadsheet is not read: save it as CSV UTF-8"
        elif normalised == match[0] and extension in ("csv", "csv.gz"):
            why = "file names are case-sensitive"
        elif normalised == match[0]:
            why = f"the extension must be .csv (or .csv.gz), not .{extension}" if extension else "the extension .csv is missing"
        else:
            why = "the name differs from the table's"
        found.append((path.name, target, why))
    return found
