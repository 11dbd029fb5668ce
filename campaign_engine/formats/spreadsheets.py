"""CSV that spreadsheet programs open safely and correctly.

A cell that starts with = + - @ (or a tab or carriage return) is a formula to Excel and its
kin, so a signer named "=HYPERLINK(...)" could run something on an official's or a
campaigner's computer. Such a cell gets a leading apostrophe, which spreadsheets show as text.
The file starts with a UTF-8 byte order mark, which Excel needs to read anything but ASCII.
"""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncGenerator, Iterable, Sequence
from contextlib import aclosing

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: str) -> str:
    return f"'{value}" if value.startswith(FORMULA_STARTS) else value


def csv_bytes(header: Sequence[str], rows: Iterable[Sequence[str]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([safe_cell(cell) for cell in header])
    writer.writerows([safe_cell(cell) for cell in row] for row in rows)
    return "\ufeff".encode() + buffer.getvalue().encode()


BYTE_ORDER_MARK = "\ufeff".encode()


async def csv_chunks(
    header: Sequence[str], batches: AsyncGenerator[Iterable[Sequence[str]], None]
) -> AsyncGenerator[bytes, None]:
    """The same file as `csv_bytes`, written a batch of rows at a time, so that an export of a
    million rows never sits in memory whole: first the mark and the header, then one chunk per
    batch. Closing it closes `batches`."""
    async with aclosing(batches):
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow([safe_cell(cell) for cell in header])
        yield BYTE_ORDER_MARK + _take(buffer)
        async for rows in batches:
            writer.writerows([safe_cell(cell) for cell in row] for row in rows)
            yield _take(buffer)


def _take(buffer: io.StringIO) -> bytes:
    """What was written since the last take, encoded; the buffer starts again empty."""
    written = buffer.getvalue().encode()
    buffer.seek(0)
    buffer.truncate()
    return written
