"""Frame -> CSV chunks: record-boundary chunking of the encoded batches.

The text cells of every column are defined in :mod:`.cells` (:func:`encode_batch`); a batch is
written once, straight into the chunk being filled. Records are cut at the newlines that lie
outside quotes (a vectorised scan of the written bytes), so a quoted multi-line value is always
one record; the scan must find exactly one record per row.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import numpy as np
import polars as pl

from sfbulk_frames._exceptions import FrameError
from sfbulk_frames.frames.encode.cells import (
    EncodeOptions,
    encode_batch,
    encode_for_writer,
)
from sfbulk_frames.frames.encode.csv_records import record_offsets, write_csv

__all__ = ["Chunk", "iter_chunks"]


@dataclass
class Chunk:
    """One upload: CSV bytes (header + records) and the input rows they came from.

    ``data`` is emptied by the pipeline once the upload succeeded (:meth:`release_data`);
    the sent text cells are re-derived from ``rows`` on demand (:attr:`cells`,
    :meth:`cells_of`), so a chunk never holds a second copy of its values.
    """

    data: bytes
    start: int
    n_rows: int
    rows: pl.DataFrame
    options: EncodeOptions

    @property
    def stop(self) -> int:
        """Position after the last input row of the chunk."""
        return self.start + self.n_rows

    @property
    def cells(self) -> pl.DataFrame:
        """The text cells that were sent (:func:`encode_batch` of :attr:`rows`)."""
        return self.cells_of(self.rows)

    def cells_of(self, rows: pl.DataFrame) -> pl.DataFrame:
        """The sent text cells of ``rows`` (this chunk's rows, or a subset of its columns)."""
        return encode_batch(rows, self.options, row_offset=self.start)

    def release_data(self) -> None:
        """Drop the CSV bytes (after a successful upload) so they can be freed."""
        self.data = b""


class _Pending:
    """The next chunk being filled: its CSV (header first) in one growing buffer, and rows."""

    def __init__(self, start: int, header: bytes) -> None:
        self.start = start
        self.out = io.BytesIO()
        self.out.write(header)
        self.header_size = len(header)
        self.rows: list[pl.DataFrame] = []
        self.n_rows = 0

    @property
    def n_bytes(self) -> int:
        """Bytes of records so far (header excluded)."""
        return self.out.tell() - self.header_size

    def add_rows(self, rows: pl.DataFrame) -> None:
        self.rows.append(rows)
        self.n_rows += rows.height

    def to_chunk(self, options: EncodeOptions) -> Chunk:
        return Chunk(
            data=self.out.getvalue(),  # the buffer's own bytes: no copy
            start=self.start,
            n_rows=self.n_rows,
            rows=pl.concat(self.rows, rechunk=False),
            options=options,
        )


def _writable(batch: pl.DataFrame, options: EncodeOptions, *, row_offset: int) -> pl.DataFrame:
    """The batch as polars' CSV writer must see it to write exactly its cells."""
    if batch.width == 1:
        # a lone empty cell would be a blank line, which CSV readers skip: write it as ""
        return encode_batch(batch, options, row_offset=row_offset).fill_null("")
    return encode_for_writer(batch, options, row_offset=row_offset)


def _checked_offsets(body: memoryview, n_rows: int, room: int, position: int,
                     options: EncodeOptions) -> np.ndarray:
    offsets = record_offsets(body, n_rows)
    sizes = np.diff(offsets)
    if (sizes > room).any():
        row = int(np.argmax(sizes > room))
        raise FrameError(
            f"row {position + row} is {int(sizes[row]):,} bytes as CSV, more than "
            f"max_bytes={options.max_bytes:,} allows with the header; shorten its values "
            "or raise max_bytes"
        )
    return offsets


def iter_chunks(
    batches: Iterable[pl.DataFrame], options: EncodeOptions, *, start: int = 0
) -> Iterator[Chunk]:
    """Encode the batches once and pack their records into chunks cut at record boundaries.

    Each chunk holds its header, at most ``options.max_bytes`` bytes and ``max_records``
    records. A batch is written straight into the chunk's buffer; its records are located
    (:func:`record_offsets`) only when the chunk must be cut inside it. Raises FrameError
    (naming the row position) for a record that alone exceeds ``max_bytes``, and whatever
    :func:`encode_batch` raises. ``start`` is the position of the first row (chunks of one
    frame encoded in several calls keep their positions in the frame).
    """
    header: bytes | None = None
    max_records = options.max_records or np.iinfo(np.int64).max
    position = start
    pending: _Pending | None = None
    for batch in batches:
        if batch.height == 0:
            continue
        writable = _writable(batch, options, row_offset=position)
        if header is None:
            names_only = pl.DataFrame(schema=dict.fromkeys(batch.columns, pl.String))
            header = write_csv(names_only, delimiter=options.delimiter, eol=options.eol,
                               header=True)
        room = options.max_bytes - len(header)
        if pending is None:
            pending = _Pending(position, header)
        mark = pending.out.tell()
        write_csv(writable, delimiter=options.delimiter, eol=options.eol, header=False,
                  into=pending.out)
        n = batch.height
        if pending.n_bytes <= room and pending.n_rows + n <= max_records:
            pending.add_rows(batch)  # the whole batch fits: no need to find its records
            if pending.n_rows >= max_records:
                yield pending.to_chunk(options)
                pending = None
            position += n
            continue
        # the chunk is cut inside this batch: take its bytes back out and place each record
        with pending.out.getbuffer() as written:
            body = bytes(written[mark:])
        pending.out.truncate(mark)
        pending.out.seek(mark)
        view = memoryview(body)
        offsets = _checked_offsets(view, n, room, position, options)
        i = 0
        while i < n:
            if pending is None:
                pending = _Pending(position + i, header)
            fits = int(np.searchsorted(offsets, offsets[i] + room - pending.n_bytes, "right")) - 1
            j = min(fits, i + max_records - pending.n_rows, n)
            if j > i:
                pending.out.write(view[offsets[i] : offsets[j]])
                pending.add_rows(batch.slice(i, j - i))
            if j < n or pending.n_rows >= max_records:
                yield pending.to_chunk(options)
                pending = None
            i = j
        position += n
    if pending is not None and pending.n_rows:
        yield pending.to_chunk(options)
