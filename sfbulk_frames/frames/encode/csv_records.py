"""The CSV bytes of an upload: polars' writer settings and finding records in what it wrote."""

from __future__ import annotations

import io

import numpy as np
import polars as pl

__all__ = ["DATETIME_FORMAT", "DATE_FORMAT", "TIME_FORMAT", "record_offsets", "write_csv"]

# the cells of dates, datetimes (UTC) and times; polars' CSV writer takes the same formats
DATETIME_FORMAT = "%Y-%m-%dT%H:%M:%S%.3fZ"
DATE_FORMAT = "%Y-%m-%d"
TIME_FORMAT = "%H:%M:%S%.3fZ"


def write_csv(
    frame: pl.DataFrame, *, delimiter: str, eol: str, header: bool, into: io.BytesIO | None = None
) -> bytes:
    """Write ``frame`` as CSV records; appended to ``into`` (returns b"") or returned.

    Quotes only where needed; nulls are empty; dates, datetimes and times use the formats
    above. Raises polars' ComputeError for nested columns (cast them first).
    """
    buffer = io.BytesIO() if into is None else into
    frame.write_csv(
        buffer,
        include_header=header,
        separator=delimiter,
        line_terminator=eol,
        quote_style="necessary",
        null_value="",
        datetime_format=DATETIME_FORMAT,
        date_format=DATE_FORMAT,
        time_format=TIME_FORMAT,
    )
    return buffer.getvalue() if into is None else b""


_QUOTE = ord('"')
_NEWLINE = ord("\n")


def record_offsets(body: bytes | memoryview, n_records: int) -> np.ndarray:
    """Start offsets of the records in ``body`` and its length (``n_records + 1`` values).

    ``body`` is ``n_records`` records as polars' CSV writer writes them, each ending with LF
    (so when there are exactly ``n_records`` LFs, they all end records). Otherwise a record
    ends at a LF that lies outside quotes: with quote_style="necessary" every '"' is a field's
    opening or closing quote or one of a doubled pair, so a LF ends a record when an even
    number of '"' precede it (the parity is taken per line, then accumulated). Raises
    RuntimeError when the count is not ``n_records`` (a writer behaviour this scan does not
    know: the chunk is never cut blind).
    """
    raw = np.frombuffer(body, dtype=np.uint8)
    ends = np.flatnonzero(raw == _NEWLINE)
    if ends.size > n_records:  # some LFs are inside quoted values
        quotes = (raw == _QUOTE).view(np.uint8)
        line_starts = np.empty(ends.size, dtype=np.intp)
        line_starts[0] = 0
        line_starts[1:] = ends[:-1] + 1
        odd_before = np.bitwise_xor.accumulate(np.bitwise_xor.reduceat(quotes, line_starts))
        ends = ends[odd_before == 0]
    if ends.size != n_records or (n_records and int(ends[-1]) != len(body) - 1):
        raise RuntimeError(
            f"sfbulk_frames bug: found {ends.size} record ends for {n_records} rows in the CSV "
            f"polars wrote; please report it with the polars version ({pl.__version__})"
        )
    offsets = np.empty(n_records + 1, dtype=np.int64)
    offsets[0] = 0
    offsets[1:] = ends + 1
    return offsets
