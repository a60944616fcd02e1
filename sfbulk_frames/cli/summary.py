"""The one-screen summary of a load and the result files it wrote."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import polars as pl

from sfbulk_frames._models import JobInfo, readable_job_error
from sfbulk_frames.cli.common import Printer, human_int, plural
from sfbulk_frames.frames.errors import error_code, error_field

__all__ = [
    "error_detail",
    "load_exit_code",
    "part_frames",
    "print_load_summary",
    "summary_payload",
    "top_errors",
]

TOP_ERRORS = 5
MAX_JOB_IDS = 8


def part_frames(result: Any) -> dict[str, pl.DataFrame]:
    """The three parts of a BulkResult as polars frames (empty frames when absent)."""
    frames: dict[str, pl.DataFrame] = {}
    for part in ("successful", "failed", "unprocessed"):
        frame = getattr(result, part, None)
        if frame is None:
            frame = pl.DataFrame()
        elif not isinstance(frame, pl.DataFrame):
            frame = pl.from_pandas(frame)
        frames[part] = frame
    return frames


def top_errors(*parts: pl.DataFrame, limit: int = TOP_ERRORS) -> pl.DataFrame:
    """Errors of the rows of ``parts`` (failed, unprocessed) by code and field, most frequent
    first, with one example message each.

    Columns: ``code``, ``field`` (null when the message names none), ``rows``, ``example``.
    """
    with_errors = [p.select("sf__Error") for p in parts if p.height and "sf__Error" in p.columns]
    if not with_errors:
        return pl.DataFrame(schema={"code": pl.String, "field": pl.String, "rows": pl.UInt32,
                                    "example": pl.String})
    error = pl.col("sf__Error").cast(pl.String)
    lines = pl.concat(with_errors, how="vertical_relaxed").filter(error.is_not_null())
    lines = lines.select(error.str.split("\n")).explode("sf__Error")  # a line per problem
    errors = lines.select(
        error_code(error).fill_null("(other)").alias("code"),
        error_field(error).alias("field"),
        error.alias("message"),
    )
    return (
        errors.group_by("code", "field")
        .agg(pl.len().alias("rows"), pl.col("message").first().alias("example"))
        .sort(["rows", "code", "field"], descending=[True, False, False], nulls_last=True)
        .head(limit)
    )


def error_detail(error: str) -> str:
    """``CODE:message:Field --`` -> ``message:Field`` (the code is shown in its own column)."""
    detail = error.split(":", 1)[1] if ":" in error else error
    return detail.removesuffix("--").strip()


def _short(text: str, width: int = 70) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


def print_load_summary(
    printer: Printer,
    *,
    title: str,
    frames: Mapping[str, pl.DataFrame],
    jobs: Sequence[JobInfo],
    paths: Mapping[str, Path],
    elapsed: float,
) -> None:
    """Counts, top error codes, job ids and where the result files are."""
    total = sum(frame.height for frame in frames.values())
    printer.out(f"{title}: {plural(total, 'row')}, {plural(len(jobs), 'job')}, {elapsed:.1f} s")
    for part in ("successful", "failed", "unprocessed"):
        where = paths.get(part)
        printer.out(f"  {part:<12} {human_int(frames[part].height):>10}   {where or ''}")
    errors = top_errors(frames["failed"], frames["unprocessed"])
    if errors.height:
        printer.out("top errors:")
        for code, field, rows, example in errors.iter_rows():
            label = f"{code} {field}" if field else code
            printer.out(f"  {human_int(rows):>8}  {label:<40} {_short(error_detail(example))}")
    if jobs:
        states = Counter(str(job.state) for job in jobs)
        state_text = ", ".join(f"{n} {state}" for state, n in sorted(states.items()))
        ids = [str(job.id) for job in jobs]
        shown = ", ".join(ids[:MAX_JOB_IDS])
        more = f" … and {len(ids) - MAX_JOB_IDS} more" if len(ids) > MAX_JOB_IDS else ""
        printer.out(f"jobs ({state_text}): {shown}{more}")
        for job in jobs:
            message = readable_job_error(job.error_message)
            if message:
                printer.out(f"  job {job.id}: {_short(str(message), 100)}")


def summary_payload(
    *,
    command: str,
    object_name: str,
    frames: Mapping[str, pl.DataFrame],
    jobs: Sequence[JobInfo],
    paths: Mapping[str, Path],
    elapsed: float,
    exit_status: int,
) -> dict[str, Any]:
    """The ``--json`` summary of a load: counts, jobs (id, state, counters), files, status."""
    return {
        "command": command,
        "object": object_name,
        "rows": sum(frame.height for frame in frames.values()),
        **{part: frames[part].height for part in ("successful", "failed", "unprocessed")},
        "jobs": [
            {
                "id": str(job.id),
                "state": str(job.state),
                "records_processed": job.number_records_processed,
                "records_failed": job.number_records_failed,
                "error_message": job.error_message,
            }
            for job in jobs
        ],
        "files": {part: str(path) for part, path in paths.items()},
        "elapsed_seconds": round(elapsed, 3),
        "exit_status": exit_status,
    }


def load_exit_code(frames: Mapping[str, pl.DataFrame], fail_on: str) -> int:
    """1 when rows failed (``failed``: failed or unprocessed rows; ``unprocessed``: only
    unprocessed rows; ``never``), else 0."""
    failed = frames["failed"].height
    unprocessed = frames["unprocessed"].height
    if fail_on == "failed" and (failed or unprocessed):
        return 1
    if fail_on == "unprocessed" and unprocessed:
        return 1
    return 0
