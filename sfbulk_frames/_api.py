"""The typed public functions: insert, update, upsert, delete and resume.

Each is written once with explicit keywords (the options of :class:`LoadOptions`) and wrapped by
:class:`FrameFunction`, which types the result by the input frame. The ``df.sfbulk`` accessors
and :mod:`sfbulk_frames.aio` call the functions defined here.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, TypeAlias

import polars as pl

from sfbulk_frames._config import PollPolicy
from sfbulk_frames._context import resolve_client
from sfbulk_frames._exceptions import ConfigurationError
from sfbulk_frames._options import FrameFunction, LoadOptions, Nulls
from sfbulk_frames.frames.backend import to_polars
from sfbulk_frames.frames.encode import DEFAULT_MAX_BYTES, EncodeOptions, encode_batch
from sfbulk_frames.frames.joinback import match_results
from sfbulk_frames.frames.result import BulkResult
from sfbulk_frames.pipeline.ingest import (
    IngestSpec,
    Parts,
    PipelineResend,
    assemble,
    fetch_results,
    indexed,
    join_kinds,
    run_ingest,
)
from sfbulk_frames.pipeline.outcomes import explain_resumed
from sfbulk_frames.pipeline.preflight import PreflightMode, check_mode
from sfbulk_frames.pipeline.progress import ProgressLike
from sfbulk_frames.pipeline.reporting import make_reporter

if TYPE_CHECKING:
    import pandas as pd

    from sfbulk_frames._models import JobInfo
    from sfbulk_frames.client.clients import Client

__all__ = [
    "Frame",
    "FrameResult",
    "delete",
    "insert",
    "load",
    "resume",
    "resume_jobs",
    "update",
    "upsert",
]

#: What the frame functions accept.
Frame: TypeAlias = "pd.DataFrame | pl.DataFrame | pl.LazyFrame"
#: What they return (precisely, by input type, through FrameFunction's overloads).
FrameResult: TypeAlias = "BulkResult[pd.DataFrame] | BulkResult[pl.DataFrame]"


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


def load(
    df: Frame,
    object: str,
    operation: str,
    client: Client | None,
    options: LoadOptions,
    *,
    external_id_field: str | None = None,
) -> BulkResult[Any]:
    """One load with validated options: the body of insert/update/upsert/delete (sync and
    async). ``client=None`` is resolved by the pipeline, after the frame is validated."""
    if options.max_concurrent_jobs < 1:
        raise ConfigurationError(
            f"max_concurrent_jobs={options.max_concurrent_jobs}: it must be at least 1"
        )
    spec = IngestSpec(
        object=object,
        operation=operation,
        external_id_field=external_id_field,
        assignment_rule_id=options.assignment_rule_id,
        encode=_encode_options(
            options.nulls,
            options.column_delimiter,
            options.line_ending,
            options.max_bytes,
            options.max_records,
        ),
        max_concurrent_jobs=options.max_concurrent_jobs,
        timeout=options.timeout,
        poll=options.poll,
        delete_jobs=options.delete_jobs,
        raise_on_failure=options.raise_on_failure,
        results_dir=options.results_dir,
        preflight=check_mode(options.preflight),
        group_by_parent=options.group_by_parent,
    )
    return run_ingest(df, spec, client=client, progress=options.progress)


@FrameFunction
def insert(
    df: Frame,
    object: str,
    *,
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
    results_dir: str | os.PathLike[str] | None = None,
    preflight: PreflightMode = "columns",
    group_by_parent: bool | str | None = None,
) -> FrameResult:
    """Insert every row of ``df`` into ``object``; the options are in the README's table.

    Raises FrameError before any request when the frame cannot be sent, JobTimeoutError (with
    the job ids to resume) after ``timeout``, JobFailedError only with ``raise_on_failure``.

    ``results_dir``: write each job's successful/failed/unprocessed rows to parquet files there
    as the job finishes (``<dir>/successful/part-<first row>-<job id>.parquet``, ...) and keep
    none in memory: the result's parts are read from the files on access, ``res.scan(part)``
    gives a ``polars.LazyFrame``. The directory must not hold another load's files.
    """
    return load(df, object, "insert", client, LoadOptions.pick(locals()))


@FrameFunction
def update(
    df: Frame,
    object: str,
    *,
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
    results_dir: str | os.PathLike[str] | None = None,
    preflight: PreflightMode = "columns",
    group_by_parent: bool | str | None = None,
) -> FrameResult:
    """Update the records named by the ``Id`` column of ``df`` (see :func:`insert`)."""
    return load(df, object, "update", client, LoadOptions.pick(locals()))


@FrameFunction
def upsert(
    df: Frame,
    object: str,
    external_id_field: str,
    *,
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
    results_dir: str | os.PathLike[str] | None = None,
    preflight: PreflightMode = "columns",
    group_by_parent: bool | str | None = None,
) -> FrameResult:
    """Insert or update by ``external_id_field`` (an External ID field, or ``Id``)."""
    options = LoadOptions.pick(locals())
    return load(
        df,
        object,
        "upsert",
        client,
        options,
        external_id_field=external_id_field,
    )


@FrameFunction
def delete(
    df: Frame,
    object: str,
    *,
    hard: bool = False,
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
    results_dir: str | os.PathLike[str] | None = None,
    preflight: PreflightMode = "columns",
    group_by_parent: bool | str | None = None,
) -> FrameResult:
    """Delete the records named by the ``Id`` column (``hard=True``: bypass the Recycle Bin)."""
    operation = "hardDelete" if hard else "delete"
    return load(df, object, operation, client, LoadOptions.pick(locals()))


@FrameFunction
def resume(
    df: Frame,
    job_ids: Sequence[str],
    *,
    client: Client | None = None,
    nulls: Nulls = "skip",
    timeout: float | None = None,
    poll: PollPolicy | None = None,
    progress: ProgressLike = "auto",
    delete_jobs: bool = False,
    raise_on_failure: bool = False,
) -> FrameResult:
    """Re-attach to ``job_ids`` (after a timeout, Ctrl-C or a restart), wait for them and build
    the same :class:`BulkResult` as the original call, matched against ``df``.

    Input rows that none of the jobs reported on land in ``unprocessed`` with an explanation.
    Raises JobTimeoutError if the jobs are still running when ``timeout`` passes.
    """
    return resume_jobs(df, job_ids, client, LoadOptions.pick(locals()))


def resume_jobs(
    df: Frame, job_ids: Sequence[str], client: Client | None, options: LoadOptions
) -> BulkResult[Any]:
    """The body of :func:`resume` (and of ``aio.resume``)."""
    if not job_ids:
        raise ConfigurationError("resume() needs the job ids printed by the interrupted call")
    client = resolve_client(client, function="resume")
    frame = to_polars(df)
    if isinstance(frame, pl.LazyFrame):
        frame = frame.collect()
    reporter = make_reporter(options.progress, desc="resume")
    reporter.emit("start", "resume", total_rows=frame.height)
    reporter.emit("uploads_done", "resume")  # the rows were sent by the interrupted call
    jobs: list[JobInfo] = []
    texts: dict[str, list[pl.DataFrame]] = {"successful": [], "failed": [], "unprocessed": []}
    try:
        for job_id in job_ids:
            job = client.ingest_job(job_id)
            info = job.wait(
                timeout=options.timeout,
                poll=options.poll,
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
            if options.delete_jobs:
                job.delete()
    finally:
        reporter.emit("finish", "resume", message="" if len(jobs) == len(job_ids) else "stopped")
        reporter.close()
    first = jobs[0]
    encode = _encode_options(
        options.nulls,
        first.column_delimiter or "COMMA",
        first.line_ending or "LF",
        DEFAULT_MAX_BYTES,
        None,
    )
    cells = encode_batch(frame, encode)
    key = (
        first.external_id_field_name
        if str(first.operation) == "upsert"
        else ("Id" if str(first.operation) in ("update", "delete", "hardDelete") else None)
    )
    outcome = explain_resumed(match_results(
        cells,
        start=0,
        key=key,
        kinds=join_kinds(client, first.object or "", dict(frame.schema)),
        **{name: pl.concat(parts, how="diagonal_relaxed") for name, parts in texts.items()},
    ), jobs)
    parts = Parts()
    parts.add(indexed(frame, 0), outcome, jobs)
    result = assemble(parts, df, first.object or "", str(first.operation), list(frame.columns))
    spec = IngestSpec(
        object=first.object or "",
        operation=str(first.operation),
        external_id_field=first.external_id_field_name,
        encode=encode,
        timeout=options.timeout,
        poll=options.poll,
        delete_jobs=options.delete_jobs,
        raise_on_failure=options.raise_on_failure,
    )
    result.resend = PipelineResend(spec, options.progress, client)
    if options.raise_on_failure:
        result.raise_for_failures()
    return result
