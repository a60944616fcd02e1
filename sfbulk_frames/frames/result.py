"""BulkResult: the outcome of a load, as frames of the input's kind that join back to it."""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from functools import cached_property
from typing import TYPE_CHECKING, Any

import polars as pl

from sfbulk_frames._exceptions import JobFailedError
from sfbulk_frames._models import readable_job_error
from sfbulk_frames.frames.backend import (
    Backend,
    backend_of,
    frame_schema,
    from_polars,
    to_pandas_frame,
)

if TYPE_CHECKING:
    import pandas as pd

    from sfbulk_frames._models import JobInfo

__all__ = ["BulkResult", "sorted_by_row"]

ROW = "sf__Row"
STATUSES = ("success", "failed", "unprocessed")
_SF_COLUMNS: dict[str, dict[str, pl.DataType]] = {
    "successful": {"sf__Id": pl.String(), "sf__Created": pl.Boolean()},
    "failed": {"sf__Id": pl.String(), "sf__Error": pl.String()},
    "unprocessed": {"sf__Error": pl.String()},
}
_HTML_FAILED_ROWS = 5


PREVIEW_CELL_CHARS = 50
PREVIEW_ERROR_CHARS = 100  # sf__Error keeps more: it is what the preview is for


def _cut(value: Any, limit: int) -> Any:
    if isinstance(value, str) and len(value) > limit:
        return value[: limit - 1] + "…"
    return value


def shortened(frame: Any) -> Any:
    """A copy of a (small) pandas preview with text cells cut to PREVIEW_CELL_CHARS and '…',
    so one long Title does not push sf__Error off the screen (polars' repr does the same)."""
    from pandas.api.types import is_object_dtype, is_string_dtype

    preview = frame.copy()
    for column in preview.columns:
        dtype = preview[column].dtype
        if is_object_dtype(dtype) or is_string_dtype(dtype):
            limit = PREVIEW_ERROR_CHARS if column == "sf__Error" else PREVIEW_CELL_CHARS
            cut = preview[column].map(lambda v, n=limit: _cut(v, n), na_action="ignore")
            preview[column] = cut.astype(dtype)
    return preview


def _state(job: Any) -> str:
    state = getattr(job, "state", None)
    return str(getattr(state, "value", state))


def _payload_schema(
    parts: Sequence[pl.DataFrame | None], input_columns: list[str]
) -> dict[str, pl.DataType]:
    schema: dict[str, pl.DataType] = {name: pl.Null() for name in input_columns}
    for part in parts:
        if part is None:
            continue
        for name in input_columns:
            if isinstance(schema[name], pl.Null) and name in part.columns:
                schema[name] = part.schema[name]
    return schema


def sorted_by_row(frame: pl.DataFrame) -> pl.DataFrame:
    """``frame`` sorted by sf__Row; parts of a load usually already are, and are then kept."""
    rows = frame.get_column(ROW)
    if rows.is_sorted():
        return frame
    return frame.sort(ROW)


def _conform(
    part: pl.DataFrame | None, kind: str, payload: Mapping[str, pl.DataType]
) -> pl.DataFrame:
    """One part with the columns payload..., sf__ columns, sf__Row (missing ones as nulls)."""
    wanted = {**payload, **_SF_COLUMNS[kind], ROW: pl.Int64()}
    if part is None:
        return pl.DataFrame(schema=wanted)
    exprs = [
        pl.col(name) if name in part.columns else pl.lit(None, dtype=dtype).alias(name)
        for name, dtype in wanted.items()
    ]
    return sorted_by_row(part.select(exprs).with_columns(pl.col(ROW).cast(pl.Int64)))


def _error_code(error: pl.Expr) -> pl.Expr:
    return error.str.split_exact(":", 1).struct.field("field_0").str.strip_chars()


class BulkResult:
    """What happened to every input row of a load.

    ``successful``, ``failed`` and ``unprocessed`` are frames of the input's kind with the
    input's own values and dtypes, the ``sf__*`` columns and ``sf__Row`` (the input row
    position); pandas parts keep the input's index labels. Every input row is in exactly one.
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
    ) -> None:
        self.backend: Backend = backend
        self._parts = dict(parts)
        self._unmatched = unmatched
        self.jobs: list[JobInfo] = list(jobs)
        self.object = object
        self.operation = operation
        self.input_columns = list(input_columns)
        self._pandas_index = pandas_index
        self._pandas_dtypes = pandas_dtypes
        self._pandas_source = pandas_source

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
    ) -> BulkResult:
        """Build from polars parts (payload + sf__ columns + sf__Row); None means no rows.

        For pandas input pass ``pandas_source`` (the input frame: exact values, dtypes and index
        labels) or ``pandas_index`` and ``pandas_dtypes``.
        """
        given = (successful, failed, unprocessed)
        payload = _payload_schema(given, input_columns)
        parts = {
            kind: _conform(part, kind, payload)
            for kind, part in zip(("successful", "failed", "unprocessed"), given, strict=True)
        }
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
    def empty(cls, df: Any, object: str, operation: str) -> BulkResult:
        """The result of loading a frame with no rows: nothing was sent, no job was created."""
        backend = backend_of(df)
        schema = dict(frame_schema(df))
        parts = {
            kind: pl.DataFrame(schema={**schema, **_SF_COLUMNS[kind], ROW: pl.Int64()})
            for kind in _SF_COLUMNS
        }
        return cls(
            backend=backend, parts=parts, unmatched=pl.DataFrame(), jobs=[], object=object,
            operation=operation, input_columns=list(schema),
            pandas_index=df.index if backend == "pandas" else None,
            pandas_dtypes=dict(df.dtypes) if backend == "pandas" else None,
            pandas_source=df if backend == "pandas" else None,
        )

    # --- the parts ------------------------------------------------------------------------

    def _convert(self, part: pl.DataFrame) -> Any:
        return from_polars(
            part, self.backend, pandas_index=self._pandas_index,
            pandas_dtypes=self._pandas_dtypes, pandas_source=self._pandas_source,
        )

    @cached_property
    def successful(self) -> Any:
        """Input rows that succeeded + ``sf__Id``, ``sf__Created``, ``sf__Row``."""
        return self._convert(self._parts["successful"])

    @cached_property
    def failed(self) -> Any:
        """Input rows that failed + ``sf__Id``, ``sf__Error``, ``sf__Row``."""
        return self._convert(self._parts["failed"])

    @cached_property
    def unprocessed(self) -> Any:
        """Input rows never attempted + ``sf__Error`` (null unless explained), ``sf__Row``."""
        return self._convert(self._parts["unprocessed"])

    @cached_property
    def unmatched(self) -> Any:
        """Result rows that matched no input row (raw text, with the result set they were in)."""
        if self.backend == "polars":
            return self._unmatched
        return to_pandas_frame(self._unmatched)

    def counts(self) -> dict[str, int]:
        """Rows per part: successful, failed, unprocessed, unmatched (result rows)."""
        return {
            "successful": self._parts["successful"].height,
            "failed": self._parts["failed"].height,
            "unprocessed": self._parts["unprocessed"].height,
            "unmatched": self._unmatched.height,
        }

    @property
    def ok(self) -> bool:
        """True when every row succeeded and every job ended JobComplete."""
        counts = self.counts()
        return (
            counts["failed"] == 0
            and counts["unprocessed"] == 0
            and counts["unmatched"] == 0
            and all(_state(job) == "JobComplete" for job in self.jobs)
        )

    # --- reports --------------------------------------------------------------------------

    def _error_counts(self) -> pl.DataFrame:
        errors = pl.concat(
            self._parts[kind].select("sf__Error") for kind in ("failed", "unprocessed")
        ).drop_nulls()
        return (
            errors.select(_error_code(pl.col("sf__Error")).alias("code"))
            .group_by("code")
            .agg(pl.len().cast(pl.Int64).alias("count"))
            .sort(["count", "code"], descending=[True, False])
        )

    def error_counts(self) -> Any:
        """Rows per error code (the text of ``sf__Error`` before the first ':'), most first."""
        counts = self._error_counts()
        return counts if self.backend == "polars" else to_pandas_frame(counts)

    def summary(self) -> dict[str, Any]:
        """Counts of rows per status, jobs per state, errors per code."""
        counts = self.counts()
        states: dict[str, int] = {}
        for job in self.jobs:
            states[_state(job)] = states.get(_state(job), 0) + 1
        return {
            "object": self.object,
            "operation": self.operation,
            "rows": counts["successful"] + counts["failed"] + counts["unprocessed"],
            **counts,
            "ok": self.ok,
            "jobs": len(self.jobs),
            "job_states": states,
            "failed_jobs": [
                {
                    "id": job.id,
                    "state": _state(job),
                    "error_message": readable_job_error(job.error_message),
                }
                for job in self.jobs
                if _state(job) in ("Failed", "Aborted")
            ],
            "errors": dict(self._error_counts().iter_rows()),
        }

    def annotate(self) -> Any:
        """The input rows in input order with ``sf__Id``, ``sf__Created``, ``sf__Error`` and
        ``status`` ("success", "failed" or "unprocessed")."""
        frames = [
            part.with_columns(pl.lit(status).alias("status"))
            for status, part in zip(STATUSES, self._parts.values(), strict=True)
        ]
        columns = [*self.input_columns, "sf__Id", "sf__Created", "sf__Error", "status", ROW]
        annotated = pl.concat(frames, how="diagonal_relaxed").sort(ROW).select(columns)
        converted = self._convert(annotated)
        return converted.drop(columns=[ROW]) if self.backend == "pandas" else converted.drop(ROW)

    def raise_for_failures(self) -> BulkResult:
        """Return self when :attr:`ok`; else raise JobFailedError with the counts and job ids."""
        if self.ok:
            return self
        summary = self.summary()
        bad_jobs = [f"{j['id']} {j['state']}: {j['error_message'] or 'no message'}"
                    for j in summary["failed_jobs"]]
        errors = ", ".join(f"{code} x{n}" for code, n in list(summary["errors"].items())[:5])
        raise JobFailedError(
            f"{self.object} {self.operation}: {summary['failed']} failed, "
            f"{summary['unprocessed']} unprocessed of {summary['rows']} "
            f"{'row' if summary['rows'] == 1 else 'rows'}"
            + (f"; errors: {errors}" if errors else "")
            + (f"; jobs: {'; '.join(bad_jobs)}" if bad_jobs else "")
            + (f"; {summary['unmatched']} result rows matched no input row"
               if summary["unmatched"] else "")
            + " — inspect res.failed, res.unprocessed, res.error_counts() or res.annotate()",
            job_ids=[job.id for job in self.jobs],
        )

    def __repr__(self) -> str:
        counts = self.counts()
        rows = counts["successful"] + counts["failed"] + counts["unprocessed"]
        states = ", ".join(f"{n} {s}" for s, n in self.summary()["job_states"].items())
        jobs = f"{len(self.jobs)} job{'s' if len(self.jobs) != 1 else ''}"
        unmatched = f", {counts['unmatched']:,} unmatched" if counts["unmatched"] else ""
        return (
            f"<BulkResult {self.object} {self.operation}: {rows:,} row{'s' if rows != 1 else ''} — "
            f"{counts['successful']:,} successful, {counts['failed']:,} failed, "
            f"{counts['unprocessed']:,} unprocessed{unmatched}; "
            f"{jobs}{f' ({states})' if states else ''}; ok={self.ok}>"
        )

    def _repr_html_(self) -> str:
        counts = self.counts()
        esc = html.escape
        status_rows = "".join(
            f"<tr><td>{esc(name)}</td><td>{n:,}</td></tr>" for name, n in counts.items()
        )
        codes = "".join(
            f"<tr><td>{esc(str(code))}</td><td>{n:,}</td></tr>"
            for code, n in self._error_counts().iter_rows()
        )
        failed = self._parts["failed"]
        sample = ""
        if failed.height:
            head = self._convert(failed.head(_HTML_FAILED_ROWS))
            table = (
                shortened(head).to_html(max_rows=_HTML_FAILED_ROWS)
                if self.backend == "pandas"
                else head._repr_html_()
            )
            sample = f"<p>First failed rows:</p>{table}"
        return (
            f"<div><p><b>BulkResult</b> {esc(self.object)} {esc(self.operation)} — "
            f"{len(self.jobs):,} job{'' if len(self.jobs) == 1 else 's'}, ok={self.ok}</p>"
            f"<table><tr><th>status</th><th>rows</th></tr>{status_rows}</table>"
            + (f"<table><tr><th>error code</th><th>rows</th></tr>{codes}</table>" if codes else "")
            + sample
            + "</div>"
        )
