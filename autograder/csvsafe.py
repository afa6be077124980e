"""CSV files a spreadsheet cannot turn into formulas (OWASP "CSV Injection").

Every CSV the kit writes (grades, tests, the collection report, LMS exports) holds
text a student chose: a folder name, a notebook's error message, a display name.
A spreadsheet (Excel, LibreOffice Calc, Google Sheets) runs a cell as a formula
when it begins with one of a few characters, so such a cell is neutralised here as
OWASP's CSV Injection page recommends:

* the characters: equals (``=``), plus (``+``), minus (``-``), at (``@``),
  tab (0x09) and carriage return (0x0D) (OWASP, "CSV Injection",
  https://owasp.org/www-community/attacks/CSV_Injection; Symfony's CVE-2021-41270
  advisory summarises the same list and the switch to the single quote); the line
  feed (0x0A) was added to OWASP's list in 2025 (OWASP/www-community pull request
  1116) and is neutralised too;
* the fix: prefix the cell with a single quote (``'``), which spreadsheets read as
  "this cell is text" and do not show;
* embedded double quotes are doubled and cells holding the separator, a quote or
  a line break are quoted: Python's ``csv`` module does that (RFC 4180).

Numbers the kit computes (``int``/``float``, e.g. a score of ``-0.5``) are not
text anyone typed and are written as numbers, so an LMS still reads them as
grades; everything else goes through `safe_cell`. Reading back a file the kit
wrote, `unsafe_cell` removes the quote again.
"""

from __future__ import annotations

import csv
import logging
import math
import os
import pathlib
import tempfile
from collections.abc import Iterable, Sequence

from .paths import UsageError

log = logging.getLogger(__name__)

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")


def safe_cell(value) -> str:
    """The text of one CSV cell, with a leading single quote when it would start a formula.

    `None` is the empty cell; `bool` is "true"/"false"; `int` and `float` are written as
    numbers (`%g`-style, no quote: a computed number is not a formula); any other value is
    `str(value)`, prefixed with `'` when it begins with = + - @ tab CR or LF.
    """
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            return ""
        return f"{value:.10g}"
    text = str(value)
    if text.startswith(FORMULA_STARTS):
        return "'" + text
    return text


def unsafe_cell(text: str) -> str:
    """Undo `safe_cell` on a cell read back from a file the kit wrote."""
    if len(text) >= 2 and text[0] == "'" and text[1] in FORMULA_STARTS:
        return text[1:]
    return text


def safe_row(row: Iterable) -> list[str]:
    """`safe_cell` applied to every cell of a row."""
    return [safe_cell(v) for v in row]


def write_csv(path: pathlib.Path | str, header: Sequence, rows: Iterable[Sequence]) -> pathlib.Path:
    """Write `header` and `rows` to `path` atomically (temp file +
    os.replace), UTF-8, every cell safe.

    The file appears complete or not at all: a reader never sees half a table. The parent
    folder is created when missing.
    """
    path = pathlib.Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.chmod(tmp, 0o644)  # mkstemp makes 0600; a results table is meant to be read
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
            writer = csv.writer(f)
            writer.writerow(safe_row(header))
            for row in rows:
                writer.writerow(safe_row(row))
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError as exc:
            log.debug("cannot remove the unfinished %s: %s", tmp, exc)
        raise
    return path


def read_person_csv(
    path: pathlib.Path, label: str, missing_hint: str = "", reader=csv.reader
) -> list:
    """The rows of a CSV a person gives (a roster, LMS times; a spreadsheet's BOM dropped), read by
    `reader` (`csv.reader` or `csv.DictReader`), or a one-line `UsageError` saying what to do:
    `label` names the file in it, `missing_hint` follows "does not exist"."""
    try:
        with open(path, encoding="utf-8-sig", newline="") as f:
            return list(reader(f))
    except FileNotFoundError:
        raise UsageError(f"{label} {path} does not exist{missing_hint}") from None
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise UsageError(f"{label} {path} cannot be read ({exc}): save it as a UTF-8 CSV") from None
