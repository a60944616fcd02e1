"""BulkResult: the outcome of a load, as frames of the input's kind that join back to it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import cached_property
from typing import TYPE_CHECKING, Any, Generic, TypeVar, cast

import polars as pl

from sfbulk_frames._config import PollPolicy
from sfbulk_frames._exceptions import ConfigurationError, JobFailedError
from sfbulk_frames._models import JobInfo
from sfbulk_frames.frames.backend import (
    Backend,
    backend_of,
    frame_schema,
    from_polars,
    to_pandas_frame,
)
from sfbulk_frames.frames.result.part_files import PartFiles
from sfbulk_frames.frames.result.parts import (
    PART_KINDS,
    ROW,
    SF_COLUMNS,
    STATUSES,
    conform,
    payload_schema,
)
from sfbulk_frames.frames.result.report import (
    SAMPLE_ROWS,
    error_table,
    failed_jobs,
    failure_message,
    job_state,
    job_states,
    result_html,
    result_repr,
)
from sfbulk_frames.frames.result.retry import (
    KEEP,
    Keep,
    NullsOption,
    ProgressOption,
    Resend,
    RetryOptions,
    combined_parts,
    retry_frame,
)

if TYPE_CHECKING:  # pandas is imported only for pandas input
    from pathlib import Path

    import pandas as pd

__all__ = ["BulkResult", "FrameT", "Resend"]

#: The frame type of a result's parts: ``pandas.DataFrame`` for pandas input,
#: ``polars.DataFrame`` for a polars ``DataFrame`` or ``LazyFrame``.
FrameT = TypeVar("FrameT")


class BulkResult(Generic[FrameT]):
    """What happened to every input row of a load.

    ``successful``, ``failed`` and ``unprocessed`` are frames of the input's kind with the
    input's own values and dtypes, the ``sf__*`` columns and ``sf__Row`` (the input row
    position); pandas parts keep the input's index labels. Every input row is in exactly one.
    ``BulkResult[pandas.DataFrame]`` or ``BulkResult[polars.DataFrame]`` to a type checker.

    A load with ``results_dir=`` keeps no part in memory: each access of ``successful``,
    ``failed`` or ``unprocessed`` reads that part from its parquet files (not cached: keep the
    frame you get), :meth:`scan` gives it as a ``polars.LazyFrame``, and :meth:`counts` reads
    nothing. Without it the parts are frames in memory, converted once.
    """

    def __init__(
        self,
        *,
        backend: Backend,
        parts: Mapping[str, pl.DataFrame],
        unmatched: pl.DataFrame,
        jobs: Sequence[JobInfo],
        object: str,
        operation: str,
        input_columns: list[str],
        pandas_index: Any = None,
        pandas_dtypes: Mapping[str, Any] | None = None,
        pandas_source: pd.DataFrame | None = None,
        resend: Resend[BulkResult[Any]] | None = None,
        attempts: Sequence[BulkResult[FrameT]] | None = None,
        ok_jobs: Sequence[JobInfo] | None = None,
        complete: bool = True,
        files: PartFiles | None = None,
    ) -> None:
        self.backend: Backend = backend
        self._files = files
        # with ``files`` the parts are read from parquet on each access and never held
        self._parts: Mapping[str, pl.DataFrame] = files if files is not None else dict(parts)
        self._converted: dict[str, FrameT] = {}
        self._unmatched = unmatched
        self.jobs: list[JobInfo] = list(jobs)
        self.object = object
        self.operation = operation
        self.input_columns = list(input_columns)
        self._pandas_index = pandas_index
        self._pandas_dtypes = pandas_dtypes
        self._pandas_source = pandas_source
        self.resend = resend
        """How :meth:`retry` sends rows again (attached by the pipeline), or None."""
        self._attempts = list(attempts) if attempts is not None else None
        self._ok_jobs = list(ok_jobs) if ok_jobs is not None else None
        self.complete = complete
        """False for the partial result of a load that stopped part-way (``e.result``): it
        holds only the rows read before the load stopped, and is never :attr:`ok`."""

    @classmethod
    def from_parts(
        cls,
        *,
        backend: Backend,
        successful: pl.DataFrame | None,
        failed: pl.DataFrame | None,
        unprocessed: pl.DataFrame | None,
        jobs: Sequence[JobInfo],
        object: str,
        operation: str,
        input_columns: list[str],
        unmatched: pl.DataFrame | None = None,
        pandas_index: Any = None,
        pandas_dtypes: Any = None,
        pandas_source: pd.DataFrame | None = None,
    ) -> BulkResult[Any]:
        """Build from polars parts (payload + sf__ columns + sf__Row); None means no rows.

        For pandas input pass ``pandas_source`` (the input frame: exact values, dtypes and index
        labels) or ``pandas_index`` and ``pandas_dtypes``.
        """
        given = (successful, failed, unprocessed)
        payload = payload_schema(given, input_columns)
        parts = {kind: conform(part, kind, payload)
                 for kind, part in zip(PART_KINDS, given, strict=True)}
        return cls(
            backend=backend,
            parts=parts,
            unmatched=unmatched if unmatched is not None else pl.DataFrame(),
            jobs=jobs,
            object=object,
            operation=operation,
            input_columns=input_columns,
            pandas_index=pandas_index,
            pandas_dtypes=dict(pandas_dtypes) if pandas_dtypes is not None else None,
            pandas_source=pandas_source,
        )

    @classmethod
    def empty(cls, df: Any, object: str, operation: str) -> BulkResult[Any]:
        """The result of loading a frame with no rows: nothing was sent, no job was created."""
        backend = backend_of(df)
        schema = dict(frame_schema(df))
        parts = {
            kind: pl.DataFrame(schema={**schema, **SF_COLUMNS[kind], ROW: pl.Int64()})
            for kind in SF_COLUMNS
        }
        return cls(
            backend=backend, parts=parts, unmatched=pl.DataFrame(), jobs=[], object=object,
            operation=operation, input_columns=list(schema),
            pandas_index=df.index if backend == "pandas" else None,
            pandas_dtypes=dict(df.dtypes) if backend == "pandas" else None,
            pandas_source=df if backend == "pandas" else None,
        )

    # --- the parts ------------------------------------------------------------------------

    def _convert(self, part: pl.DataFrame) -> FrameT:
        converted = from_polars(
            part, self.backend, pandas_index=self._pandas_index,
            pandas_dtypes=self._pandas_dtypes, pandas_source=self._pandas_source,
        )
        return cast(FrameT, converted)

    @property
    def successful(self) -> FrameT:
        """Input rows that succeeded + ``sf__Id``, ``sf__Created``, ``sf__Row``."""
        return self._part("successful")

    @property
    def failed(self) -> FrameT:
        """Input rows that failed + ``sf__Id``, ``sf__Error``, ``sf__Row``."""
        return self._part("failed")

    @property
    def unprocessed(self) -> FrameT:
        """Input rows never attempted + ``sf__Error`` (null unless explained), ``sf__Row``."""
        return self._part("unprocessed")

    def _part(self, kind: str) -> FrameT:
        if self._files is not None:  # read from its files on every access, never cached
            return self._convert(self._files[kind])
        if kind not in self._converted:
            self._converted[kind] = self._convert(self._parts[kind])
        return self._converted[kind]

    @property
    def results_dir(self) -> Path | None:
        """The folder holding the parts as parquet files (``results_dir=`` of the load), or
        None when the parts are in memory."""
        return None if self._files is None else self._files.directory

    def scan(self, part: str) -> pl.LazyFrame:
        """``part`` ("successful", "failed" or "unprocessed") as a polars LazyFrame in input
        (``sf__Row``) order, whatever the input's backend: over its parquet files for a load
        with ``results_dir=`` (nothing is read until you collect), else over the frame in
        memory. Columns as in the polars part: input columns, sf__ columns, ``sf__Row``."""
        if part not in ("successful", "failed", "unprocessed"):
            raise ConfigurationError(
                f"scan({part!r}): the parts are 'successful', 'failed' and 'unprocessed'"
            )
        if self._files is not None:
            return self._files.scan(part)
        return self._parts[part].lazy()

    @cached_property
    def unmatched(self) -> FrameT:
        """Result rows that matched no input row (raw text, with the result set they were in)."""
        if self.backend == "polars":
            return cast(FrameT, self._unmatched)
        return cast(FrameT, to_pandas_frame(self._unmatched))

    def counts(self) -> dict[str, int]:
        """Rows per part: successful, failed, unprocessed, unmatched (result rows)."""
        return {
            "successful": self._height("successful"),
            "failed": self._height("failed"),
            "unprocessed": self._height("unprocessed"),
            "unmatched": self._unmatched.height,
        }

    def _height(self, kind: str) -> int:
        return self._files.height(kind) if self._files is not None else self._parts[kind].height

    @property
    def ok(self) -> bool:
        """True when every row succeeded and every job ended JobComplete."""
        counts = self.counts()
        return (
            self.complete
            and counts["failed"] == 0
            and counts["unprocessed"] == 0
            and counts["unmatched"] == 0
            and all(job_state(job) == "JobComplete" for job in self._jobs_for_ok())
        )

    def _jobs_for_ok(self) -> list[JobInfo]:
        # after a retry, a job that failed in an earlier attempt no longer spoils ``ok``
        return self.jobs if self._ok_jobs is None else self._ok_jobs

    @property
    def attempts(self) -> list[BulkResult[FrameT]]:
        """The result of every load that built this one, first load first (``[self]`` for a
        result no :meth:`retry` made)."""
        return [self] if self._attempts is None else list(self._attempts)

    # --- reports --------------------------------------------------------------------------

    def _error_counts(self, by: Sequence[str] = ("code", "field")) -> pl.DataFrame:
        return error_table([self._parts[kind] for kind in ("failed", "unprocessed")], by)

    def error_counts(self) -> FrameT:
        """Rows per error code and field, most first: columns ``code`` (the text of
        ``sf__Error`` before the first ':'), ``field`` (the field Salesforce's message names,
        null when it names none) and ``count`` (a row preflight held back for several problems
        counts once for each)."""
        counts = self._error_counts()
        return cast(FrameT, counts if self.backend == "polars" else to_pandas_frame(counts))

    def summary(self) -> dict[str, Any]:
        """Counts of rows per status, jobs per state, errors per code."""
        counts = self.counts()
        return {
            "object": self.object,
            "operation": self.operation,
            "rows": counts["successful"] + counts["failed"] + counts["unprocessed"],
            **counts,
            "ok": self.ok,
            "jobs": len(self.jobs),
            "job_states": job_states(self.jobs),
            "failed_jobs": failed_jobs(self._jobs_for_ok()),
            "errors": dict(self._error_counts(("code",)).iter_rows()),
            "errors_by_field": [
                {"code": code, "field": field, "count": n}
                for code, field, n in self._error_counts().iter_rows()
            ],
        }

    def annotate(self) -> FrameT:
        """The input rows in input order with ``sf__Id``, ``sf__Created``, ``sf__Error`` and
        ``status`` ("success", "failed" or "unprocessed")."""
        frames = [
            part.with_columns(pl.lit(status).alias("status"))
            for status, part in zip(STATUSES, self._parts.values(), strict=True)
        ]
        columns = [*self.input_columns, "sf__Id", "sf__Created", "sf__Error", "status", ROW]
        annotated = pl.concat(frames, how="diagonal_relaxed").sort(ROW).select(columns)
        converted: Any = self._convert(annotated)
        if self.backend == "pandas":
            return cast(FrameT, converted.drop(columns=[ROW]))
        return cast(FrameT, converted.drop(ROW))

    def raise_for_failures(self) -> BulkResult[FrameT]:
        """Return self when :attr:`ok`; else raise JobFailedError with the counts and job ids."""
        if self.ok:
            return self
        job_ids = [job.id for job in self.jobs]
        raise JobFailedError(failure_message(self.summary()), job_ids=job_ids)

    def retry(
        self,
        fixed: Any = None,
        *,
        client: Any = None,
        nulls: NullsOption | Keep = KEEP,
        max_concurrent_jobs: int | Keep = KEEP,
        max_records: int | Keep | None = KEEP,
        max_bytes: int | Keep = KEEP,
        timeout: float | Keep | None = KEEP,
        poll: PollPolicy | Keep | None = KEEP,
        progress: ProgressOption | Keep = KEEP,
        delete_jobs: bool | Keep = KEEP,
        raise_on_failure: bool | Keep = KEEP,
    ) -> BulkResult[FrameT]:
        """Send the rows that did not succeed again and return the result over the original
        input.

        Without ``fixed`` every failed and unprocessed row goes again as it was; ``fixed`` is a
        corrected frame of any subset of them (e.g. ``res.failed`` edited), its ``sf__Row``
        naming each row's input row (``sf__*`` columns are not sent). Object, operation, key,
        options and client are the original load's unless given here. Rows that succeeded stay
        successful, retried rows take their new outcome, every row keeps its ``sf__Row`` and
        input values (by position, never by key); :attr:`attempts` lists every attempt.
        Returns ``self`` when nothing is left to retry. Raises FrameError for a ``fixed``
        without ``sf__Row`` or naming rows that succeeded or do not exist, ConfigurationError
        when this result cannot be retried.
        """
        if self.resend is None:
            raise ConfigurationError(
                f"this {self.object} {self.operation} result does not know how its rows were "
                "sent (it was not built by a load, resume or retry), so it cannot retry them: "
                "send res.failed with sfbulk_frames.insert/update/upsert/delete instead"
            )
        frame, positions = retry_frame(self._parts, self.input_columns, self._convert, fixed)
        if positions.len() == 0:
            return self
        options = RetryOptions(
            nulls=nulls, max_concurrent_jobs=max_concurrent_jobs, max_records=max_records,
            max_bytes=max_bytes, timeout=timeout, poll=poll, progress=progress,
            delete_jobs=delete_jobs, raise_on_failure=raise_on_failure,
        )
        attempt = self.resend(frame, client=client, options=options)
        combined = self._combined(attempt, positions)
        if raise_on_failure is True or (raise_on_failure is KEEP and self.resend.raise_on_failure):
            combined.raise_for_failures()
        return combined

    def _combined(self, attempt: BulkResult[Any], positions: pl.Series) -> BulkResult[FrameT]:
        """This result with the rows at ``positions`` (sent as rows 0.. of ``attempt``) taking
        their outcome in ``attempt``; payload values, sf__Row and index labels stay this one's.
        """
        return type(self)(
            backend=self.backend,
            parts=combined_parts(self._parts, attempt._parts, self.input_columns, positions),
            unmatched=pl.concat([self._unmatched, attempt._unmatched], how="diagonal_relaxed"),
            jobs=[*self.jobs, *attempt.jobs],
            object=self.object,
            operation=self.operation,
            input_columns=self.input_columns,
            pandas_index=self._pandas_index,
            pandas_dtypes=self._pandas_dtypes,
            pandas_source=self._pandas_source,
            resend=self.resend,
            attempts=[*self.attempts, attempt],
            ok_jobs=attempt.jobs,
            complete=self.complete,
        )

    def __repr__(self) -> str:
        return result_repr(self)

    def _repr_html_(self) -> str:
        samples = {
            part: self._convert(self._parts[part].head(SAMPLE_ROWS))
            for part in ("failed", "unprocessed")
            if self._parts[part].height
        }
        return result_html(self, self._error_counts(), samples)
