"""The typed public functions: insert, update, upsert, delete and resume.

The ``df.sfbulk`` accessors are thin wrappers of these.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal

import polars as pl

from sfbulk_frames._config import PollPolicy
from sfbulk_frames._context import resolve_client
from sfbulk_frames._exceptions import ConfigurationError
from sfbulk_frames.frames.backend import to_polars
from sfbulk_frames.frames.encode import DEFAULT_MAX_BYTES, EncodeOptions, encode_batch
from sfbulk_frames.frames.joinback import match_results
from sfbulk_frames.frames.result import BulkResult
from sfbulk_frames.pipeline.ingest import (
    IngestSpec,
    Parts,
    assemble,
    fetch_results,
    indexed,
    join_kinds,
    run_ingest,
)
from sfbulk_frames.pipeline.preflight import PreflightMode, check_mode
from sfbulk_frames.pipeline.progress import ProgressLike, make_reporter

if TYPE_CHECKING:
    from sfbulk_frames._models import JobInfo
    from sfbulk_frames.client.clients import Client

__all__ = ["delete", "insert", "resume", "update", "upsert"]

Nulls = Literal["skip", "set_null"] | Mapping[str, Literal["skip", "set_null"]]


def _encode_options(
    nulls: Nulls, column_delimiter: str, line_ending: str, max_bytes: int, max_records: int | None
) -> EncodeOptions:
    if isinstance(nulls, str):
        default, per_column = nulls, {}
    else:
        per_column = dict(nulls)
        default = per_column.pop("*", "skip")
    return EncodeOptions(
        nulls=default,
        nulls_by_column=per_column,
        column_delimiter=column_delimiter,
        line_ending=line_ending,
        max_bytes=max_bytes,
        max_records=max_records,
    )


def _load(
    df: Any,
    object: str,
    operation: str,
    *,
    external_id_field: str | None = None,
    client: Client | None = None,
    nulls: Nulls = "skip",
    column_delimiter: str = "COMMA",
    line_ending: str = "LF",
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_records: int | None = None,
    max_concurrent_jobs: int = 4,
    assignment_rule_id: str | None = None,
    timeout: float | None = None,
    poll: PollPolicy | None = None,
    progress: ProgressLike = "auto",
    delete_jobs: bool = False,
    raise_on_failure: bool = False,
    group_by_parent: bool | str | None = None,
    preflight: PreflightMode = "columns",
) -> BulkResult:
    if max_concurrent_jobs < 1:
        raise ConfigurationError("max_concurrent_jobs must be at least 1")
    spec = IngestSpec(
        object=object,
        operation=operation,
        external_id_field=external_id_field,
        assignment_rule_id=assignment_rule_id,
        encode=_encode_options(nulls, column_delimiter, line_ending, max_bytes, max_records),
        max_concurrent_jobs=max_concurrent_jobs,
        timeout=timeout,
        poll=poll,
        delete_jobs=delete_jobs,
        raise_on_failure=raise_on_failure,
        group_by_parent=group_by_parent,
        preflight=check_mode(preflight),
    )
    return run_ingest(df, spec, client=client, progress=progress)


def insert(df: Any, object: str, **options: Any) -> BulkResult:
    """Insert every row of ``df`` into ``object``. See the README for the options."""
    return _load(df, object, "insert", **options)


def update(df: Any, object: str, **options: Any) -> BulkResult:
    """Update the records named by the ``Id`` column of ``df``."""
    return _load(df, object, "update", **options)


def upsert(df: Any, object: str, external_id_field: str, **options: Any) -> BulkResult:
    """Insert or update by ``external_id_field`` (an External ID field, or ``Id``)."""
    return _load(df, object, "upsert", external_id_field=external_id_field, **options)


def delete(df: Any, object: str, *, hard: bool = False, **options: Any) -> BulkResult:
    """Delete the records named by the ``Id`` column (``hard=True``: bypass the Recycle Bin)."""
    return _load(df, object, "hardDelete" if hard else "delete", **options)


def resume(
    df: Any,
    job_ids: Sequence[str],
    *,
    client: Client | None = None,
    nulls: Nulls = "skip",
    timeout: float | None = None,
    poll: PollPolicy | None = None,
    progress: ProgressLike = "auto",
    delete_jobs: bool = False,
    raise_on_failure: bool = False,
) -> BulkResult:
    """Re-attach to ``job_ids`` (after a timeout, Ctrl-C or a restart), wait for them and build
    the same :class:`BulkResult` as the original call, matched against ``df``.

    Input rows that none of the jobs reported on land in ``unprocessed`` with an explanation.
    Raises JobTimeoutError if the jobs are still running when ``timeout`` passes.
    """
    if not job_ids:
        raise ConfigurationError("resume() needs the job ids printed by the interrupted call")
    client = resolve_client(client)
    frame = to_polars(df)
    if isinstance(frame, pl.LazyFrame):
        frame = frame.collect()
    reporter = make_reporter(progress, desc="resume")
    reporter.emit("start", "resume", total_rows=frame.height)
    reporter.emit("uploads_done", "resume")  # the rows were sent by the interrupted call
    jobs: list[JobInfo] = []
    texts: dict[str, list[pl.DataFrame]] = {"successful": [], "failed": [], "unprocessed": []}
    try:
        for job_id in job_ids:
            job = client.ingest_job(job_id)
            info = job.wait(
                timeout=timeout,
                poll=poll,
                on_poll=lambda i: reporter.emit(
                    "job_state", "resume", job_id=i.id, state=str(i.state),
                    processed=i.number_records_processed, failed=i.number_records_failed,
                ),
            )
            reporter.emit(
                "job_done",
                str(info.operation),
                object=info.object,
                job_id=info.id,
                state=str(info.state),
                processed=info.number_records_processed,
                failed=info.number_records_failed,
            )
            for name, part in fetch_results(job, info).items():
                texts[name].append(part)
            reporter.emit("results_downloaded", "resume", job_id=info.id,
                          rows=info.number_records_processed or 0)
            jobs.append(info)
            if delete_jobs:
                job.delete()
    finally:
        reporter.emit("finish", "resume", message="" if len(jobs) == len(job_ids) else "stopped")
        reporter.close()
    first = jobs[0]
    options = _encode_options(
        nulls, first.column_delimiter or "COMMA", first.line_ending or "LF", DEFAULT_MAX_BYTES, None
    )
    cells = encode_batch(frame, options)
    key = (
        first.external_id_field_name
        if str(first.operation) == "upsert"
        else ("Id" if str(first.operation) in ("update", "delete", "hardDelete") else None)
    )
    outcome = match_results(
        cells,
        start=0,
        key=key,
        kinds=join_kinds(client, first.object or "", dict(frame.schema)),
        **{name: pl.concat(parts, how="diagonal_relaxed") for name, parts in texts.items()},
    )
    parts = Parts()
    parts.add(indexed(frame, 0), outcome, jobs)
    result = assemble(parts, df, first.object or "", str(first.operation), list(frame.columns))
    if raise_on_failure:
        result.raise_for_failures()
    return result
