"""Internal batches of an ingest upload (up to 10,000 rows each), handed to the processor as
columns where possible.

Quote-free uploads whose lines end in ``\\n`` or ``\\r\\n`` (every line is then exactly one row)
are cut into batches of whole lines and each batch is parsed by polars' CSV reader (all
columns as text). A batch polars refuses, or whose shape the ``csv`` module would read
differently (blank lines, rows of another width), is read by the ``csv`` module instead, so
the rows are always exactly those of the ``csv`` module (:func:`..models.csvfmt.csv_rows`).
Uploads with quotes or bare ``\\r`` line ends are read row by row by the ``csv`` module (see
:mod:`.reader`)."""

from __future__ import annotations

import io
import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sfbulk_frames.emulator.models.csvfmt import csv_rows

if TYPE_CHECKING:
    import polars as pl



@dataclass
class RowBatch:
    """One internal batch: ``columns`` (every row as wide as the header) or ``rows`` (as the
    ``csv`` module split them, possibly ragged)."""

    count: int
    columns: list[list[str]] | None = None
    rows: list[list[str]] | None = None
    frame: pl.DataFrame | None = None  # the columns as polars read them

    def as_rows(self) -> list[list[str]]:
        if self.rows is not None:
            return self.rows
        assert self.columns is not None
        return [list(row) for row in zip(*self.columns, strict=True)] if self.count else []


class CsvRowBatches:
    """Batches of rows from a ``csv`` reader (header already consumed)."""

    def __init__(self, rows: Iterator[list[str]]) -> None:
        self._rows = rows
        self._pending: list[list[str]] = []

    def take(self, limit: int) -> RowBatch | None:
        """The next batch of at most ``limit`` rows, ``None`` at the end; raises ``csv.Error``
        on unparseable CSV."""
        batch = self._pending[:limit]
        self._pending = self._pending[limit:]
        batch += itertools.islice(self._rows, limit - len(batch))
        return RowBatch(len(batch), rows=batch) if batch else None

    def has_more(self) -> bool:
        if self._pending:
            return True
        row = next(self._rows, None)
        if row is None:
            return False
        self._pending.append(row)
        return True

    def rest(self) -> Iterator[list[str]]:
        """Every row not yet taken."""
        pending, self._pending = self._pending, []
        return itertools.chain(pending, self._rows)


def _nth_line_end(text: str, start: int, n: int, total: int) -> int:
    """The index just after the ``n``-th ``\\n`` at or after ``start``, given the ``total``
    number of them there (``n <= total``)."""
    if total == n:
        return text.rindex("\n") + 1
    # jump to an estimate from the average line length, then walk to the exact line end
    pos = start + (len(text) - start) * n // total
    seen = text.count("\n", start, pos)  # line ends in text[start:pos]
    while seen < n:
        pos = text.index("\n", pos) + 1
        seen += 1
    while seen > n:  # drop the line ends past the n-th one
        pos = text.rindex("\n", start, pos)
        seen -= 1
    return text.rindex("\n", start, pos) + 1


class LineBatches:
    """Batches of a quote-free upload without bare ``\\r`` line ends (one line = one row),
    parsed column-wise by polars; the header line is skipped."""

    def __init__(self, texts: Iterator[str], delimiter: str, width: int) -> None:
        self._texts = texts
        self.delimiter, self.width = delimiter, width
        self._buffer = ""
        self._pos = 0
        self._lines = 0  # line ends in the buffer past the position
        self._exhausted = False
        self._cut(1)  # the header

    def _fill(self, lines: int) -> None:
        """Read pieces until the buffer holds ``lines`` line ends past the position."""
        while not self._exhausted and self._lines < lines:
            piece = next(self._texts, None)
            if piece is None:
                self._exhausted = True
                break
            self._buffer = self._buffer[self._pos :] + piece
            self._pos = 0
            self._lines += piece.count("\n")

    def _cut(self, rows: int) -> tuple[str, int]:
        """The text of the next ``rows`` rows (fewer at the end of the upload) and its number
        of line ends."""
        self._fill(rows)
        if self._lines >= rows:
            end = _nth_line_end(self._buffer, self._pos, rows, self._lines)
            line_ends = rows
        else:
            end = len(self._buffer)
            line_ends = self._lines
        self._lines -= line_ends
        text = self._buffer[self._pos : end]
        self._pos = end
        return text, line_ends

    def take(self, limit: int) -> RowBatch | None:
        """The next batch of at most ``limit`` rows, ``None`` at the end."""
        text, line_ends = self._cut(limit)
        if not text:
            return None
        count = line_ends + (not text.endswith("\n"))
        frame = self._parse(text, count)
        if frame is None:
            rows = list(csv_rows(io.StringIO(text, newline=""), self.delimiter, strict=False))
            return RowBatch(len(rows), rows=rows)
        columns = [series.to_list() for series in frame.get_columns()]
        return RowBatch(count, columns=columns, frame=frame)

    def _parse(self, text: str, count: int) -> pl.DataFrame | None:
        """``text`` as polars reads it (text columns), ``None`` when the ``csv`` module must read
        it (blank lines, rows of another width than the header's, or a refusal)."""
        import polars as pl  # lazy: importing the emulator loads no polars
        d, width = self.delimiter, self.width
        if "\n\n" in text or "\n\r\n" in text or text.startswith(("\n", "\r\n")):
            return None  # a blank line is an empty row for the csv module
        if text.count(d) != count * (width - 1):
            return None  # some row is narrower or wider than the header
        # polars refuses a row with more fields than the header (so, with the count above, no
        # row has fewer either) but only when the row ends in a line end: give it one
        ended = text if text.endswith("\n") else text + "\n"
        # a header line of our own first: polars never sees the data's first bytes as the
        # magic number of a compressed stream (text starting "x^" reads as zlib otherwise)
        names = [f"c{k}" for k in range(width)]
        try:
            frame = pl.read_csv(
                (d.join(names) + "\n" + ended).encode(),
                has_header=True,
                infer_schema=False,
                separator=d,
                quote_char=None,
                eol_char="\n",
                empty_string_is_null=False,
                raise_if_empty=False,
                truncate_ragged_lines=False,
            )
        except (pl.exceptions.PolarsError, ValueError, OSError):
            return None
        return frame if frame.shape == (count, width) else None

    def has_more(self) -> bool:
        self._fill(1)
        return self._pos < len(self._buffer)

    def rest(self) -> Iterator[list[str]]:
        """Every row not yet taken, as the ``csv`` module reads them."""
        while (batch := self.take(10_000)) is not None:
            yield from batch.as_rows()
