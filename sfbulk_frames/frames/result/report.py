"""The text (repr) and notebook (HTML) views of a BulkResult: rows per status, errors per code
and field, the jobs that failed as a whole with their errorMessage, and the first rows that did
not succeed. They read a :class:`ResultView`, never the BulkResult class."""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from typing import Any, Protocol

import polars as pl

from sfbulk_frames._models import readable_job_error
from sfbulk_frames.frames.errors import error_code, error_field

__all__ = [
    "SAMPLE_ROWS",
    "ResultView",
    "error_table",
    "failed_jobs",
    "failure_message",
    "job_state",
    "job_states",
    "result_html",
    "result_repr",
    "shortened",
]

SAMPLE_ROWS = 5
PREVIEW_CELL_CHARS = 50
PREVIEW_ERROR_CHARS = 100  # sf__Error keeps more: it is what the preview is for


class ResultView(Protocol):
    """What the views read of a result (BulkResult has it all)."""

    @property
    def backend(self) -> str: ...

    @property
    def object(self) -> str: ...

    @property
    def operation(self) -> str: ...

    @property
    def jobs(self) -> Sequence[Any]: ...

    @property
    def complete(self) -> bool: ...

    @property
    def attempts(self) -> Sequence[Any]: ...

    @property
    def ok(self) -> bool: ...

    def counts(self) -> dict[str, int]: ...

    def summary(self) -> dict[str, Any]: ...


def job_state(job: Any) -> str:
    """The state of a job as text (``"JobComplete"``)."""
    state = getattr(job, "state", None)
    return str(getattr(state, "value", state))


def job_states(jobs: Sequence[Any]) -> dict[str, int]:
    """Jobs per state, in the order the states first occur."""
    states: dict[str, int] = {}
    for job in jobs:
        states[job_state(job)] = states.get(job_state(job), 0) + 1
    return states


def failed_jobs(jobs: Sequence[Any]) -> list[dict[str, Any]]:
    """Id, state and readable error message of each job that failed or was aborted as a whole."""
    return [
        {"id": job.id, "state": job_state(job),
         "error_message": readable_job_error(job.error_message)}
        for job in jobs
        if job_state(job) in ("Failed", "Aborted")
    ]


def error_table(parts: Sequence[pl.DataFrame], by: Sequence[str]) -> pl.DataFrame:
    """Rows per error ``by`` ("code" and/or "field") of the ``sf__Error`` of ``parts``, most
    first, with a ``count`` column."""
    errors = (  # one line per problem (preflight lists every problem of a row)
        pl.concat(part.select("sf__Error") for part in parts)
        .drop_nulls().select(pl.col("sf__Error").str.split("\n")).explode("sf__Error")
    )
    columns = {"code": error_code(pl.col("sf__Error")),
               "field": error_field(pl.col("sf__Error"))}
    return (
        errors.select(*(columns[name].alias(name) for name in by))
        .group_by(*by)
        .agg(pl.len().cast(pl.Int64).alias("count"))
        .sort(["count", *by], descending=[True, *(False for _ in by)], nulls_last=True)
    )


def failure_message(summary: Mapping[str, Any]) -> str:
    """The message of the JobFailedError for a result whose :meth:`summary` is ``summary``."""
    bad_jobs = [f"{j['id']} {j['state']}: {j['error_message'] or 'no message'}"
                for j in summary["failed_jobs"]]
    errors = ", ".join(f"{code} x{n}" for code, n in list(summary["errors"].items())[:5])
    return (
        f"{summary['object']} {summary['operation']}: {summary['failed']} failed, "
        f"{summary['unprocessed']} unprocessed of {summary['rows']} "
        f"{'row' if summary['rows'] == 1 else 'rows'}"
        + (f"; errors: {errors}" if errors else "")
        + (f"; jobs: {'; '.join(bad_jobs)}" if bad_jobs else "")
        + (f"; {summary['unmatched']} result rows matched no input row"
           if summary["unmatched"] else "")
        + " — inspect res.failed, res.unprocessed, res.error_counts() or res.annotate()"
    )


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


def _cell(value: Any) -> str:
    text = "" if value is None else f"{value:,}" if isinstance(value, int) else str(value)
    return f"<td>{html.escape(text)}</td>"


def _table(headers: list[str], rows: list[list[Any]]) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(_cell(v) for v in row) + "</tr>" for row in rows)
    return f"<table><tr>{head}</tr>{body}</table>"


def _sample(backend: str, part: str, head: Any) -> str:
    table = shortened(head).to_html(max_rows=SAMPLE_ROWS) if backend == "pandas" else (
        head._repr_html_()
    )
    return f"<p>First {part} rows:</p>{table}"


def result_html(result: ResultView, errors: pl.DataFrame, samples: Mapping[str, Any]) -> str:
    """The HTML shown for ``result`` in a notebook; ``errors`` is its error counts (code, field,
    count) and ``samples`` the first rows (input's kind) of each part that has any, by part."""
    esc = html.escape
    summary = result.summary()
    statuses = _table(["status", "rows"], [[k, v] for k, v in result.counts().items()])
    error_rows = [list(row) for row in errors.iter_rows()]
    jobs = [[j["id"], j["state"], j["error_message"] or ""] for j in summary["failed_jobs"]]
    partial = "" if result.complete else " (partial: the load stopped part-way)"
    return (
        f"<div><p><b>BulkResult</b> {esc(result.object)} {esc(result.operation)} — "
        f"{len(result.jobs):,} job{'' if len(result.jobs) == 1 else 's'}"
        f"{f' in {len(result.attempts)} attempts' if len(result.attempts) > 1 else ''}, "
        f"ok={result.ok}{partial}</p>"
        + statuses
        + (_table(["error code", "field", "rows"], error_rows) if error_rows else "")
        + (
            "<p>Jobs that failed as a whole:</p>" + _table(["job", "state", "errorMessage"], jobs)
            if jobs
            else ""
        )
        + "".join(_sample(result.backend, part, head) for part, head in samples.items())
        + "</div>"
    )


def result_repr(result: ResultView) -> str:
    """The one-line repr of ``result``: rows per status, jobs per state, ``ok``."""
    counts = result.counts()
    rows = counts["successful"] + counts["failed"] + counts["unprocessed"]
    states = ", ".join(f"{n} {s}" for s, n in result.summary()["job_states"].items())
    jobs = f"{len(result.jobs)} job{'s' if len(result.jobs) != 1 else ''}" + (
        f" in {len(result.attempts)} attempts" if len(result.attempts) > 1 else "")
    unmatched = f", {counts['unmatched']:,} unmatched" if counts["unmatched"] else ""
    return (
        f"<BulkResult {result.object} {result.operation}: {rows:,} row{'s' if rows != 1 else ''} — "
        f"{counts['successful']:,} successful, {counts['failed']:,} failed, "
        f"{counts['unprocessed']:,} unprocessed{unmatched}; "
        f"{jobs}{f' ({states})' if states else ''}; ok={result.ok}"
        f"{'' if result.complete else ' (partial: the load stopped part-way)'}>"
    )
