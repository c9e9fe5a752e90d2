"""Spreadsheet cells from untrusted strings, and files written whole or not at all.

Student ids become CSV and XLSX cells. A cell that starts with ``=``, ``+``,
``-``, ``@``, a tab or a carriage return is a formula to Excel, LibreOffice
and Google Sheets (``=HYPERLINK(...)``, ``=cmd|...``): OWASP's CSV-injection
advice is to prefix such a cell with ``'`` so that it stays text.
:func:`cell` does that (a string that is a finite real number, like ``-3.5``,
is left alone) and shows hidden and XLSX-illegal characters as escapes
(:func:`grader.visible.make_visible`); :func:`frame` applies it to a
DataFrame's index, column names and text values. :func:`write_atomic` writes
through a temporary file in the target folder, so that a failed export never
leaves a partial file.
"""

from __future__ import annotations

import math
import os
import re
import tempfile
from pathlib import Path
from typing import Any, Callable

import pandas as pd

from .visible import make_visible

__all__ = ["FORMULA_PREFIXES", "cell", "frame", "sheet_name", "write_atomic"]

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
_REAL = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")


def _is_real(text: str) -> bool:
    return bool(_REAL.fullmatch(text)) and math.isfinite(float(text))


def cell(value: Any) -> Any:
    """One spreadsheet cell: strings are neutralised, anything else is returned as is.

    A string gets hidden characters as visible escapes: every control (XLSX cannot
    hold most; a CR or newline would split a CSV row for some readers, and a tab
    or CR in front starts a formula), zero-width and bidi characters. Then it
    gets a leading ``'`` if it starts with one of :data:`FORMULA_PREFIXES` and is
    not a finite real number. ``cell("=1+1") == "'=1+1"``, ``cell("\\t=1") ==
    "\\\\x09=1"``, ``cell("-3.5") == "-3.5"``. Never raises.
    """
    if not isinstance(value, str):
        return value
    text = make_visible(value)
    if text.startswith(FORMULA_PREFIXES) and not _is_real(text):
        return "'" + text
    return text


def frame(df: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``df`` whose index, index name, column names and string values went
    through :func:`cell`; numeric columns are untouched (numbers are never formulas)."""
    out = df.copy()
    out.index = pd.Index([cell(v) for v in out.index], name=cell(out.index.name))
    out.columns = [cell(str(c)) for c in out.columns]
    for col in range(out.shape[1]):
        series = out.iloc[:, col]
        if series.dtype == object or pd.api.types.is_string_dtype(series.dtype):
            out.isetitem(col, series.map(cell).astype(object))
    return out


def sheet_name(name: str, default: str = "Sheet1") -> str:
    """``name`` as a valid worksheet title: hidden characters escaped, ``[]:*?/\\``
    replaced by ``_``, no leading or trailing ``'``, at most 31 characters."""
    text = re.sub(r"[][:*?/\\]", "_", make_visible(name)).strip("'")[:31]
    return text or default


def write_atomic(path: str | Path, write: Callable[[Path], Any]) -> Path:
    """Call ``write(tmp)`` on a temporary file in ``path``'s folder, then move it onto
    ``path`` (:func:`os.replace`), so that ``path`` is either the old file or the
    complete new one. The temporary file is removed if ``write`` raises.

    Raises:
        OSError: the folder cannot be written; whatever ``write`` raises.
    """
    path = Path(path)
    fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}.", suffix=path.suffix)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        write(tmp)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path
