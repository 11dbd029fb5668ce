"""CSV that spreadsheet programs open safely and correctly.

A cell that starts with = + - @ (or a tab or carriage return) is a formula to Excel and its
kin, so a signer named "=HYPERLINK(...)" could run something on an official's or a
campaigner's computer. Such a cell gets a leading apostrophe, which spreadsheets show as text.
The file starts with a UTF-8 byte order mark, which Excel needs to read anything but ASCII.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence

_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: str) -> str:
    return f"'{value}" if value.startswith(_FORMULA_STARTS) else value


def csv_bytes(header: Sequence[str], rows: Iterable[Sequence[str]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([safe_cell(cell) for cell in header])
    writer.writerows([safe_cell(cell) for cell in row] for row in rows)
    return "\ufeff".encode() + buffer.getvalue().encode()
