"""How a load is cut into jobs: records per job from the data size, how many jobs run at once,
whether rows are grouped by their parent record, and how jobs are polled.

See :mod:`sfbulk_frames.frames.sizing` for the reasoning and README "Job sizing" for the
benchmark numbers behind the defaults.
"""

from __future__ import annotations

import dataclasses
import logging
import math
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING

import polars as pl

from sfbulk_frames._config import PollPolicy
from sfbulk_frames._exceptions import ConfigurationError, SfBulkError
from sfbulk_frames.frames.backend import iter_batches
from sfbulk_frames.frames.encode import Chunk, EncodeOptions, iter_chunks
from sfbulk_frames.frames.sizing import ParentGroups, parent_groups, records_per_job

if TYPE_CHECKING:
    from sfbulk_frames.client.clients import Client
    from sfbulk_frames.pipeline.outcomes import Parts
    from sfbulk_frames.pipeline.spec import IngestSpec

__all__ = ["LOAD_POLL", "LoadPlan", "default_poll", "parent_column", "plan_load"]

logger = logging.getLogger("sfbulk_frames")

LOAD_POLL = PollPolicy(initial=0.5, factor=1.1, max_interval=15.0)
"""Polling of a load's jobs when neither the load nor the client sets one: each wait grows by
10%, so a finished job waits for its results at most ~10% of its run time (plus 0.5 s), at
the cost of a few more status requests than the client's default (factor 1.5)."""


def default_poll(client: Client, poll: PollPolicy | None) -> PollPolicy | None:
    """``poll`` if given, else :data:`LOAD_POLL` unless the client sets its own policy."""
    if poll is not None:
        return poll
    return LOAD_POLL if client.poll == PollPolicy() else None


RowFilter = Callable[[Iterable[pl.DataFrame]], Iterator[pl.DataFrame]]

_NOT_PARENTS = frozenset({"id", "ownerid", "recordtypeid", "createdbyid", "lastmodifiedbyid"})
_PARENT_NAMES = ("accountid", "parentid", "whatid", "whoid", "contactid")


@dataclass
class LoadPlan:
    """The input batches of a load (``batches``, to read once), how to cut them into chunks
    (``chunk``), the jobs it runs at once and, when grouped, the row order."""

    batches: Iterator[pl.DataFrame]
    chunk: Callable[[Iterable[pl.DataFrame]], Iterator[Chunk]]
    concurrency: int
    records_per_job: int | None
    groups: ParentGroups | None = None
    parent: str | None = None

    def restore_positions(self, parts: Parts) -> None:
        """Turn the grouped order's sf__Row back into input positions (vectorised)."""
        if self.groups is None:
            return
        groups = self.groups
        for frames in (parts.successful, parts.failed, parts.unprocessed, parts.unmatched):
            for i, part in enumerate(frames):
                if "sf__Row" in part.columns and part.height:
                    frames[i] = part.with_columns(
                        groups.input_positions(part.get_column("sf__Row"))
                    ).sort("sf__Row")


def parent_column(
    client: Client, object_name: str, columns: Sequence[str], choice: bool | str | None
) -> str | None:
    """The column naming each row's parent record, or ``None``.

    ``choice``: ``False`` (never), a column name (that one), ``None``/``True`` (the first
    relationship column like ``Account.ExternalId__c``, else the first reference field per
    describe, else a standard parent field name like ``AccountId``). Raises
    ConfigurationError for a name not in the frame, or ``True`` when no column qualifies.
    """
    if choice is False:
        return None
    if isinstance(choice, str):
        if choice not in columns:
            raise ConfigurationError(
                f"group_by_parent={choice!r} is not a column of the frame; use one of "
                f"{list(columns)} or group_by_parent=False"
            )
        return choice
    found = next((c for c in columns if "." in c), None)
    candidates = [
        c for c in columns if c.lower().endswith(("id", "__c")) and c.lower() not in _NOT_PARENTS
    ]
    if found is None and candidates:
        try:
            fields = client.describe(object_name)["fields"]
            references = {f["name"].lower() for f in fields if f.get("type") == "reference"}
        except SfBulkError as exc:
            logger.info("describe %s failed (%s); parents found by name", object_name, exc)
            references = set(_PARENT_NAMES)
        found = next((c for c in candidates if c.lower() in references), None)
    if found is None and choice is True:
        raise ConfigurationError(
            f"group_by_parent=True but no column of {list(columns)} references a parent record "
            "(a lookup field such as AccountId or a relationship column such as "
            "Account.ExternalId__c); name the column: group_by_parent='<column>'"
        )
    return found


def plan_load(
    frame: pl.DataFrame | pl.LazyFrame,
    spec: IngestSpec,
    client: Client,
    *,
    batch_rows: int,
    group_by_parent: bool | str | None,
    row_filter: RowFilter | None = None,
) -> LoadPlan:
    """The batches to read, how to cut them into chunks, and how many jobs run at once. An
    explicit ``max_records`` is kept; otherwise :func:`records_per_job` decides from the row
    count. Grouping by parent needs an in-memory frame (a LazyFrame is chunked in order).
    ``row_filter`` (preflight) drops rows from the input batches first; positions then count
    the rows sent, in the grouped order when grouped (see :meth:`LoadPlan.restore_positions`)."""
    n_rows = frame.height if isinstance(frame, pl.DataFrame) else None
    explicit = spec.encode.max_records
    per_job = explicit or records_per_job(n_rows, spec.max_concurrent_jobs)
    jobs = math.ceil(n_rows / per_job) if n_rows is not None else spec.max_concurrent_jobs
    concurrency = max(1, min(spec.max_concurrent_jobs, jobs))
    parent = None
    if isinstance(frame, pl.DataFrame) and frame.height > per_job:
        parent = parent_column(client, spec.object, frame.columns, group_by_parent)
    batches: Iterator[pl.DataFrame] = iter_batches(frame, batch_rows)
    if row_filter is not None:
        batches = row_filter(batches)
    if parent is None or not isinstance(frame, pl.DataFrame):
        options = dataclasses.replace(spec.encode, max_records=per_job)
        return LoadPlan(batches, partial(_chunks, options=options), concurrency, per_job)
    if row_filter is not None:  # group the rows that will be sent
        kept = list(batches)
        frame = pl.concat(kept) if kept else frame.clear()
    groups = parent_groups(frame, parent, per_job)
    # a parent's rows stay together unless the caller capped the records per job
    options = dataclasses.replace(spec.encode, max_records=explicit)
    grouped = (part for _, rows in groups.slices() for part in rows.iter_slices(batch_rows))

    def chunk(source: Iterable[pl.DataFrame]) -> Iterator[Chunk]:
        read, start = iter(source), 0
        for size in groups.sizes:  # each group's batches, cut into chunks on their own
            yield from iter_chunks(_take(read, size), options, start=start)
            start += size

    return LoadPlan(grouped, chunk, concurrency, per_job, groups, parent)


def _chunks(source: Iterable[pl.DataFrame], *, options: EncodeOptions) -> Iterator[Chunk]:
    return iter_chunks(source, options)


def _take(batches: Iterator[pl.DataFrame], rows: int) -> Iterator[pl.DataFrame]:
    """The next batches of ``batches`` holding ``rows`` rows (batches never straddle)."""
    taken = 0
    while taken < rows:
        batch = next(batches)
        taken += batch.height
        yield batch
