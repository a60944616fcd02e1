"""How many records go into one job, and which rows share a job (lock-aware chunking).

Salesforce processes a Bulk API 2.0 job in internal batches of 10,000 records, several at a
time per job and in the org, and counts every internal batch against the org's 15,000 daily
batches. So a load is cut into jobs of whole internal batches (multiples of 10,000 records,
at least one), :data:`JOBS_PER_SLOT` job per concurrency slot, so that every job of the load is
in flight at once and the org's own queue keeps all its slots busy — instead of one huge job
whose batches queue behind each other while the other slots sit idle.

Rows that reference the same parent record (``AccountId``, ``Account.ExternalId__c``, ...)
fight for that parent's lock when parallel jobs process them (``UNABLE_TO_LOCK_ROW``):
:func:`parent_groups` orders the rows by parent and cuts chunks only between parents. All of it
is vectorised polars; no Python loop over rows.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass

import polars as pl

__all__ = [
    "INTERNAL_BATCH_RECORDS",
    "JOBS_PER_SLOT",
    "UNKNOWN_SIZE_RECORDS",
    "ParentGroups",
    "parent_groups",
    "records_per_job",
]

INTERNAL_BATCH_RECORDS = 10_000
"""Records per internal batch of a Bulk API 2.0 job (Salesforce's own split)."""

JOBS_PER_SLOT = 1
"""Jobs per concurrency slot. A slot is held from job creation to the download of the job's
results, so a second wave of jobs would only start when a first-wave job is done and its org
slots may sit idle meanwhile (measured with the emulator's performance model: 100,000 rows in
5 jobs over 4 slots took two processing waves under the ``fast`` preset, in 4 jobs one)."""

UNKNOWN_SIZE_RECORDS = 100_000
"""Records per job when the row count is not known up front (a LazyFrame): ten batches."""


def records_per_job(n_rows: int | None, concurrency: int) -> int:
    """Records per job for ``n_rows`` rows loaded by ``concurrency`` jobs at a time: at most
    ``JOBS_PER_SLOT * concurrency`` jobs, each a whole number (at least one) of 10,000-record
    internal batches."""
    if n_rows is None:
        return UNKNOWN_SIZE_RECORDS
    target = math.ceil(n_rows / max(1, concurrency * JOBS_PER_SLOT))
    batches = max(1, math.ceil(target / INTERNAL_BATCH_RECORDS))
    return batches * INTERNAL_BATCH_RECORDS


@dataclass(frozen=True)
class ParentGroups:
    """A frame reordered so each parent's rows are contiguous, and where to cut it.

    ``order[i]`` is the input position of row ``i`` of ``frame``; ``sizes`` are the rows of
    each chunk in order (they add up to the frame's height).
    """

    frame: pl.DataFrame
    order: pl.Series
    sizes: list[int]

    def slices(self) -> Iterator[tuple[int, pl.DataFrame]]:
        """(start, rows) of each chunk of :attr:`frame`."""
        start = 0
        for size in self.sizes:
            yield start, self.frame.slice(start, size)
            start += size

    def input_positions(self, rows: pl.Series) -> pl.Series:
        """Input positions of the given positions in :attr:`frame`."""
        return self.order.gather(rows).alias(rows.name)


def parent_groups(frame: pl.DataFrame, column: str, chunk_records: int) -> ParentGroups:
    """Order ``frame`` by ``column`` (stable; rows without a parent last) and cut it into
    chunks of about ``chunk_records`` rows, only between two parents: a chunk holds the parents
    whose first row falls in its stretch of ``chunk_records`` rows, so a parent with more rows
    than that makes its chunk longer rather than being split."""
    positions = pl.int_range(pl.len(), dtype=pl.Int64)
    ordered = frame.with_columns(positions.alias("__sf_pos")).sort(
        column, nulls_last=True, maintain_order=True
    )
    key = pl.col(column)
    # a row starts a group when its parent differs from the row before; rows without a parent
    # are groups of one (they lock nothing)
    starts = ordered.select(
        pl.when(key.is_null() | key.ne_missing(key.shift(1)) | (positions == 0))
        .then(positions)
        .otherwise(None)
        .forward_fill()
        .floordiv(chunk_records)
        .alias("chunk")
    ).get_column("chunk")
    sizes = starts.rle().struct.field("len").to_list()
    return ParentGroups(
        frame=ordered.drop("__sf_pos"),
        order=ordered.get_column("__sf_pos"),
        sizes=[int(s) for s in sizes],
    )
