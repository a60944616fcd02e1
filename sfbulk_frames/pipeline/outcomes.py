"""What a load knows about its rows, and the BulkResult assembled from it.

* the rows of a job that failed as a whole get the job's ``errorMessage``;
* when a load stops part-way (Ctrl-C, timeout, a source error, a crash, the network), every row
  read so far still gets one status: the finished chunks their results, rows no job received
  ``NOT_SENT:...``, rows of uploaded jobs whose results were not collected ``PENDING:...``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Iterator, Mapping
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any

import polars as pl

from sfbulk_frames._models import JobInfo
from sfbulk_frames.frames.backend import backend_of
from sfbulk_frames.frames.encode import Chunk
from sfbulk_frames.frames.errors import job_reason, not_sent, pending
from sfbulk_frames.frames.joinback import NO_RESULT, MatchOutcome
from sfbulk_frames.frames.result import BulkResult, sorted_by_row

__all__ = [
    "ChunkRun",
    "Parts",
    "SourceRows",
    "Stopped",
    "assemble",
    "explain_job_failure",
    "explain_resumed",
    "indexed",
    "settle",
]

ROW = "sf__Row"


class Stopped(Exception):
    """Raised inside a worker's poll callback when the load is being stopped."""


def explain_job_failure(outcome: MatchOutcome, info: JobInfo) -> MatchOutcome:
    """``outcome`` with the job's reason on rows without one when the job failed as a whole."""
    state = str(info.state)
    if state not in ("Failed", "Aborted"):
        return outcome
    reason = job_reason(info.id, state, info.error_message)
    unexplained = pl.col("sf__Error").is_null() | (pl.col("sf__Error") == NO_RESULT)
    fill = pl.when(unexplained).then(pl.lit(reason)).otherwise(pl.col("sf__Error"))
    return dataclasses.replace(
        outcome,
        failed=outcome.failed.with_columns(fill.alias("sf__Error")),
        unprocessed=outcome.unprocessed.with_columns(fill.alias("sf__Error")),
    )


class SourceRows:
    """The input batches, remembering the rows read that no submitted chunk holds yet, so a
    load that stops part-way can report them as not sent. Holds only batches the chunk being
    filled holds too (no extra copy)."""

    def __init__(self, batches: Iterable[pl.DataFrame]) -> None:
        self._batches = batches
        self._held: list[tuple[int, pl.DataFrame]] = []
        self.read = 0
        self.sent = 0

    def __iter__(self) -> Iterator[pl.DataFrame]:
        for batch in self._batches:
            self._held.append((self.read, batch))
            self.read += batch.height
            yield batch

    def mark_sent(self, stop: int) -> None:
        """Rows before ``stop`` are in a submitted chunk."""
        self.sent = max(self.sent, stop)
        self._held = [(start, b) for start, b in self._held if start + b.height > self.sent]

    def unsent(self) -> pl.DataFrame | None:
        """The rows read but in no submitted chunk, with ``sf__Row`` (None when there are none)."""
        if not self._held or self.read <= self.sent:
            return None
        first = self._held[0][0]
        rows = pl.concat([b for _, b in self._held], how="vertical_relaxed")
        rows = rows.slice(self.sent - first)
        return rows.with_row_index(ROW, offset=self.sent).with_columns(pl.col(ROW).cast(pl.Int64))


@dataclass
class ChunkRun:
    """A submitted chunk and the future of its job."""

    chunk: Chunk
    future: Future[tuple[pl.DataFrame, MatchOutcome, list[JobInfo]]]


def _unanswered(rows: pl.DataFrame, reason: str) -> MatchOutcome:
    positions = rows.select(ROW)
    empty = positions.clear()
    return MatchOutcome(
        successful=empty.with_columns(
            pl.lit(None, pl.String).alias("sf__Id"), pl.lit(None, pl.Boolean).alias("sf__Created")
        ),
        failed=empty.with_columns(
            pl.lit(None, pl.String).alias("sf__Id"), pl.lit(None, pl.String).alias("sf__Error")
        ),
        unprocessed=positions.with_columns(pl.lit(reason).alias("sf__Error")),
        unmatched=pl.DataFrame(schema={ROW: pl.Int64, "sf__Result": pl.String}),
    )


def settle(
    runs: list[ChunkRun],
    source: SourceRows,
    uploaded: Mapping[int, str],
    *,
    why: str,
    resume_ids: list[str],
) -> tuple[list[tuple[pl.DataFrame, MatchOutcome, list[JobInfo]]], BaseException | None]:
    """Every row read, as (rows, outcome, jobs) per chunk: finished chunks as their jobs said,
    the others ``PENDING`` (the job got the rows: ``uploaded`` maps chunk start -> job id) or
    ``NOT_SENT`` (``why`` says what stopped the load). Returns the first worker error too.

    Call only once every future is done (or cancelled).
    """
    settled: list[tuple[pl.DataFrame, MatchOutcome, list[JobInfo]]] = []
    first_error: BaseException | None = None
    for run in runs:
        error: BaseException | None
        if run.future.cancelled():
            error = None
        else:
            error = run.future.exception()
            if error is None:
                settled.append(run.future.result())
                continue
            if first_error is None and not isinstance(error, Stopped):
                first_error = error
        rows = indexed(run.chunk.rows, run.chunk.start)
        job_id = uploaded.get(run.chunk.start)
        cause = (
            why
            if error is None or isinstance(error, Stopped)
            else (f"{type(error).__name__}: {error}")
        )
        if job_id is not None:
            reason = pending(
                f"job {job_id} received this row but its result was not collected ({cause}); "
                f"sfbulk_frames.resume(df, {resume_ids!r}) collects it"
            )
        else:
            reason = not_sent(
                f"{cause} before this row was uploaded"
                if error is None or isinstance(error, Stopped)
                else f"its upload failed ({cause})"
            )
        settled.append((rows, _unanswered(rows, reason), []))
    # every recorded run's rows are accounted for above, even when Ctrl-C landed between
    # recording a run and marking its rows sent
    source.mark_sent(max((run.chunk.stop for run in runs), default=0))
    rest = source.unsent()
    if rest is not None and rest.height:
        settled.append(
            (rest, _unanswered(rest, not_sent(f"{why} before this row was uploaded")), [])
        )
    return settled, first_error


def explain_resumed(outcome: MatchOutcome, jobs: list[JobInfo]) -> MatchOutcome:
    """The outcome of :func:`resume` (the results of ``jobs`` matched to the whole input): rows
    of a job that failed as a whole get its reason, rows that no job mentions ``NOT_SENT``
    (no job of the load received them) when every result row matched an input row."""
    failed_jobs = [job for job in jobs if str(job.state) in ("Failed", "Aborted")]
    unprocessed = outcome.unprocessed
    if len(failed_jobs) == 1:
        outcome = explain_job_failure(outcome, failed_jobs[0])
        unprocessed = outcome.unprocessed
    elif failed_jobs:
        reasons = "; ".join(job_reason(j.id, str(j.state), j.error_message) for j in failed_jobs)
        unprocessed = unprocessed.with_columns(
            pl.when(pl.col("sf__Error").is_null())
            .then(pl.lit(f"one of: {reasons}"))
            .otherwise(pl.col("sf__Error"))
            .alias("sf__Error")
        )
    if outcome.unmatched.height == 0:
        ids = [job.id for job in jobs]
        unprocessed = unprocessed.with_columns(
            pl.when(pl.col("sf__Error") == NO_RESULT)
            .then(
                pl.lit(
                    not_sent(
                        f"this row is in none of the jobs {ids} (the load stopped before it was "
                        "uploaded); a retry sends it"
                    )
                )
            )
            .otherwise(pl.col("sf__Error"))
            .alias("sf__Error")
        )
    return dataclasses.replace(outcome, unprocessed=unprocessed)


@dataclass
class Parts:
    successful: list[pl.DataFrame] = field(default_factory=list)
    failed: list[pl.DataFrame] = field(default_factory=list)
    unprocessed: list[pl.DataFrame] = field(default_factory=list)
    unmatched: list[pl.DataFrame] = field(default_factory=list)
    jobs: list[JobInfo] = field(default_factory=list)

    def add(self, rows: pl.DataFrame, outcome: MatchOutcome, infos: list[JobInfo]) -> None:
        """Attach the input rows to each outcome part (``rows`` from :func:`indexed`)."""
        for target, matched in (
            (self.successful, outcome.successful),
            (self.failed, outcome.failed),
            (self.unprocessed, outcome.unprocessed),
        ):
            if matched.height:
                target.append(_with_rows(rows, matched))
        if outcome.unmatched.height:
            self.unmatched.append(outcome.unmatched)
        self.jobs.extend(infos)


def _with_rows(rows: pl.DataFrame, matched: pl.DataFrame) -> pl.DataFrame:
    """The input rows of ``matched`` (sorted by unique sf__Row) followed by its sf__ columns.

    Rows are taken by position; when ``matched`` covers every row of the chunk they are the
    input's own slices (no copy).
    """
    extra = matched.drop("sf__Row")
    if matched.height == rows.height:  # unique positions in the chunk's range: all, in order
        return rows.hstack(extra)
    first = rows.get_column("sf__Row")[0]
    picked: pl.DataFrame = rows[matched.get_column("sf__Row") - first]
    return picked.hstack(extra)


def indexed(rows: pl.DataFrame, start: int) -> pl.DataFrame:
    return rows.with_row_index("sf__Row", offset=start).with_columns(
        pl.col("sf__Row").cast(pl.Int64)
    )


def assemble(
    parts: Parts, df: Any, object: str, operation: str, columns: list[str]
) -> BulkResult[Any]:
    """The BulkResult of a load (or a resume) from its per-chunk parts."""

    def cat(frames: list[pl.DataFrame]) -> pl.DataFrame | None:
        return sorted_by_row(pl.concat(frames, how="diagonal_relaxed")) if frames else None

    backend = backend_of(df)
    meta = {"pandas_source": df} if backend == "pandas" else {}
    return BulkResult.from_parts(
        backend=backend,
        successful=cat(parts.successful),
        failed=cat(parts.failed),
        unprocessed=cat(parts.unprocessed),
        unmatched=cat(parts.unmatched),
        jobs=parts.jobs,
        object=object,
        operation=operation,
        input_columns=columns,
        **meta,
    )
