"""The notebook (HTML) view of a BulkResult: rows per status, errors per code and field, the
jobs that failed as a whole with their errorMessage, and the first rows that did not succeed."""

from __future__ import annotations

import html
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sfbulk_frames.frames.result import BulkResult

__all__ = ["result_html", "shortened"]

SAMPLE_ROWS = 5
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


def _cell(value: Any) -> str:
    text = "" if value is None else f"{value:,}" if isinstance(value, int) else str(value)
    return f"<td>{html.escape(text)}</td>"


def _table(headers: list[str], rows: list[list[Any]]) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(_cell(v) for v in row) + "</tr>" for row in rows)
    return f"<table><tr>{head}</tr>{body}</table>"


def _sample(result: BulkResult[Any], part: str) -> str:
    rows = result._parts[part]
    if not rows.height:
        return ""
    head = result._convert(rows.head(SAMPLE_ROWS))
    pandas = result.backend == "pandas"
    table = shortened(head).to_html(max_rows=SAMPLE_ROWS) if pandas else head._repr_html_()
    return f"<p>First {part} rows:</p>{table}"


def result_html(result: BulkResult[Any]) -> str:
    """The HTML shown for ``result`` in a notebook."""
    esc = html.escape
    summary = result.summary()
    statuses = _table(["status", "rows"], [[k, v] for k, v in result.counts().items()])
    errors = [list(row) for row in result._error_counts().iter_rows()]
    jobs = [[j["id"], j["state"], j["error_message"] or ""] for j in summary["failed_jobs"]]
    partial = "" if result.complete else " (partial: the load stopped part-way)"
    return (
        f"<div><p><b>BulkResult</b> {esc(result.object)} {esc(result.operation)} — "
        f"{len(result.jobs):,} job{'' if len(result.jobs) == 1 else 's'}"
        f"{f' in {len(result.attempts)} attempts' if len(result.attempts) > 1 else ''}, "
        f"ok={result.ok}{partial}</p>"
        + statuses
        + (_table(["error code", "field", "rows"], errors) if errors else "")
        + (
            "<p>Jobs that failed as a whole:</p>" + _table(["job", "state", "errorMessage"], jobs)
            if jobs
            else ""
        )
        + _sample(result, "failed")
        + _sample(result, "unprocessed")
        + "</div>"
    )
