"""The notebook (HTML) view of a BulkResult: rows per status, errors per code and field, the
jobs that failed as a whole with their errorMessage, and the first rows that did not succeed."""

from __future__ import annotations

import html
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sfbulk_frames.frames.result import BulkResult

__all__ = ["result_html"]

SAMPLE_ROWS = 5


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
    table = (head.to_html(max_rows=SAMPLE_ROWS) if result.backend == "pandas"
             else head._repr_html_())
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
        f"{len(result.jobs)} job(s), {len(result.attempts)} attempt(s), "
        f"ok={result.ok}{partial}</p>"
        + statuses
        + (_table(["error code", "field", "rows"], errors) if errors else "")
        + ("<p>Jobs that failed as a whole:</p>"
           + _table(["job", "state", "errorMessage"], jobs) if jobs else "")
        + _sample(result, "failed")
        + _sample(result, "unprocessed")
        + "</div>"
    )
