"""The frame functions for ``asyncio``: ``await aio.upsert(df, "Contact", "Ext__c", client=ac)``.

Same arguments, same pipeline, same :class:`~sfbulk_frames.BulkResult` as the sync functions:
each call runs the sync pipeline in a worker thread (``asyncio.to_thread``), so the event loop
stays free. With an :class:`~sfbulk_frames.AsyncClient`, the worker's requests are made by that
client on the caller's event loop (its session, connections, transport and token refresh; see
``Client._bridged``). ``client=None`` resolves like the sync functions: ``use_client()`` /
``set_default_client()`` (an ``AsyncClient`` or a ``Client``), else ``Client.from_env()``.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, TypeVar, overload

from sfbulk_frames import _api
from sfbulk_frames._config import PollPolicy
from sfbulk_frames._context import current_client
from sfbulk_frames._options import AsyncFrameFunction, LoadOptions, Nulls
from sfbulk_frames._signatures import keyword_checked
from sfbulk_frames.client.clients import AsyncClient, Client
from sfbulk_frames.frames.encode import DEFAULT_MAX_BYTES
from sfbulk_frames.frames.result import BulkResult
from sfbulk_frames.pipeline.preflight import PreflightMode
from sfbulk_frames.pipeline.progress import ProgressLike
from sfbulk_frames.pipeline.query import query as _sync_query
from sfbulk_frames.pipeline.sync import SendColumns
from sfbulk_frames.pipeline.sync import sync as _sync_sync

if TYPE_CHECKING:
    import pandas as pd
    import polars as pl

    from sfbulk_frames._api import Frame, FrameResult
    from sfbulk_frames.frames.sync_result import SyncPlan, SyncResult

__all__ = ["delete", "insert", "query", "resume", "sync", "update", "upsert"]

T = TypeVar("T")


async def _in_thread(client: AsyncClient | Client | None, body: Callable[[Client | None], T]) -> T:
    """Run ``body`` in a worker thread with a sync Client: the bridged twin of an AsyncClient
    (given or from ``use_client()``), a given Client, or None (resolved by the sync code)."""
    chosen = client if client is not None else current_client()
    if isinstance(chosen, AsyncClient):
        return await asyncio.to_thread(body, Client._bridged(chosen, asyncio.get_running_loop()))
    return await asyncio.to_thread(body, chosen)


async def _load(
    df: Frame,
    object: str,
    operation: str,
    client: AsyncClient | Client | None,
    options: LoadOptions,
    external_id_field: str | None = None,
) -> BulkResult[Any]:
    return await _in_thread(
        client,
        lambda sync: _api.load(
            df, object, operation, sync, options, external_id_field=external_id_field
        ),
    )


@AsyncFrameFunction
async def insert(
    df: Frame,
    object: str,
    *,
    client: AsyncClient | Client | None = None,
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
    """``await``able :func:`sfbulk_frames.insert`."""
    return await _load(df, object, "insert", client, LoadOptions.pick(locals()))


@AsyncFrameFunction
async def update(
    df: Frame,
    object: str,
    *,
    client: AsyncClient | Client | None = None,
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
    """``await``able :func:`sfbulk_frames.update`."""
    return await _load(df, object, "update", client, LoadOptions.pick(locals()))


@AsyncFrameFunction
async def upsert(
    df: Frame,
    object: str,
    external_id_field: str,
    *,
    client: AsyncClient | Client | None = None,
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
    """``await``able :func:`sfbulk_frames.upsert`."""
    options = LoadOptions.pick(locals())
    return await _load(df, object, "upsert", client, options, external_id_field)


@AsyncFrameFunction
async def delete(
    df: Frame,
    object: str,
    *,
    hard: bool = False,
    client: AsyncClient | Client | None = None,
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
    """``await``able :func:`sfbulk_frames.delete`."""
    operation = "hardDelete" if hard else "delete"
    return await _load(df, object, operation, client, LoadOptions.pick(locals()))


@AsyncFrameFunction
async def resume(
    df: Frame,
    job_ids: Sequence[str],
    *,
    client: AsyncClient | Client | None = None,
    nulls: Nulls = "skip",
    timeout: float | None = None,
    poll: PollPolicy | None = None,
    progress: ProgressLike = "auto",
    delete_jobs: bool = False,
    raise_on_failure: bool = False,
) -> FrameResult:
    """``await``able :func:`sfbulk_frames.resume`."""
    options = LoadOptions.pick(locals())
    return await _in_thread(client, lambda sync: _api.resume_jobs(df, job_ids, sync, options))


@overload
async def query(
    soql: str,
    *,
    client: AsyncClient | Client | None = ...,
    backend: Literal["polars"] = ...,
    include_deleted: bool = ...,
    max_records_per_page: int | None = ...,
    parallel: bool = ...,
    out: None = ...,
    progress: ProgressLike = ...,
    timeout: float | None = ...,
    poll: PollPolicy | None = ...,
    delete_job: bool = ...,
) -> pl.DataFrame: ...


@overload
async def query(
    soql: str,
    *,
    client: AsyncClient | Client | None = ...,
    backend: Literal["pandas"],
    include_deleted: bool = ...,
    max_records_per_page: int | None = ...,
    parallel: bool = ...,
    out: None = ...,
    progress: ProgressLike = ...,
    timeout: float | None = ...,
    poll: PollPolicy | None = ...,
    delete_job: bool = ...,
) -> pd.DataFrame: ...


@overload
async def query(
    soql: str,
    *,
    client: AsyncClient | Client | None = ...,
    backend: Literal["polars", "pandas"] = ...,
    include_deleted: bool = ...,
    max_records_per_page: int | None = ...,
    parallel: bool = ...,
    out: str | Path,
    progress: ProgressLike = ...,
    timeout: float | None = ...,
    poll: PollPolicy | None = ...,
    delete_job: bool = ...,
) -> Path: ...


@keyword_checked
async def query(
    soql: str,
    *,
    client: AsyncClient | Client | None = None,
    backend: Literal["polars", "pandas"] = "polars",
    include_deleted: bool = False,
    max_records_per_page: int | None = None,
    parallel: bool = True,
    out: str | Path | None = None,
    progress: ProgressLike = "auto",
    timeout: float | None = None,
    poll: PollPolicy | None = None,
    delete_job: bool = True,
) -> pl.DataFrame | pd.DataFrame | Path:
    """``await``able :func:`sfbulk_frames.query`."""

    def run(sync: Client | None) -> pl.DataFrame | pd.DataFrame | Path:
        return _sync_query(
            soql,
            client=sync,
            backend=backend,
            include_deleted=include_deleted,
            max_records_per_page=max_records_per_page,
            parallel=parallel,
            out=out,
            progress=progress,
            timeout=timeout,
            poll=poll,
            delete_job=delete_job,
        )

    return await _in_thread(client, run)


@overload
async def sync(df: Frame, object: str, key: str, *, where: str | None = ...,
               delete_missing: bool = ..., confirm_delete_all: bool = ...,
               compare: Sequence[str] | None = ..., dry_run: Literal[True],
               send_columns: SendColumns = ..., client: AsyncClient | Client | None = ...,
               max_bytes: int = ..., max_records: int | None = ..., max_concurrent_jobs: int = ...,
               timeout: float | None = ..., poll: PollPolicy | None = ...,
               progress: ProgressLike = ..., delete_jobs: bool = ...,
               raise_on_failure: bool = ...) -> SyncPlan: ...
@overload
async def sync(df: Frame, object: str, key: str, *, where: str | None = ...,
               delete_missing: bool = ..., confirm_delete_all: bool = ...,
               compare: Sequence[str] | None = ..., dry_run: Literal[False] = ...,
               send_columns: SendColumns = ..., client: AsyncClient | Client | None = ...,
               max_bytes: int = ..., max_records: int | None = ..., max_concurrent_jobs: int = ...,
               timeout: float | None = ..., poll: PollPolicy | None = ...,
               progress: ProgressLike = ..., delete_jobs: bool = ...,
               raise_on_failure: bool = ...) -> SyncResult: ...
@overload
async def sync(df: Frame, object: str, key: str, *, where: str | None = ...,
               delete_missing: bool = ..., confirm_delete_all: bool = ...,
               compare: Sequence[str] | None = ..., dry_run: bool,
               send_columns: SendColumns = ..., client: AsyncClient | Client | None = ...,
               max_bytes: int = ..., max_records: int | None = ..., max_concurrent_jobs: int = ...,
               timeout: float | None = ..., poll: PollPolicy | None = ...,
               progress: ProgressLike = ..., delete_jobs: bool = ...,
               raise_on_failure: bool = ...) -> SyncPlan | SyncResult: ...


@keyword_checked
async def sync(
    df: Frame,
    object: str,
    key: str,
    *,
    where: str | None = None,
    delete_missing: bool = False,
    confirm_delete_all: bool = False,
    compare: Sequence[str] | None = None,
    dry_run: bool = False,
    send_columns: SendColumns = "all",
    client: AsyncClient | Client | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_records: int | None = None,
    max_concurrent_jobs: int = 4,
    timeout: float | None = None,
    poll: PollPolicy | None = None,
    progress: ProgressLike = "auto",
    delete_jobs: bool = False,
    raise_on_failure: bool = False,
) -> SyncPlan | SyncResult:
    """``await``able :func:`sfbulk_frames.sync`: the plan (``dry_run=True``) or the sync."""

    def run(sync: Client | None) -> SyncPlan | SyncResult:
        return _sync_sync(
            df, object, key, where=where, delete_missing=delete_missing,
            confirm_delete_all=confirm_delete_all, compare=compare, dry_run=dry_run,
            send_columns=send_columns, client=sync, max_bytes=max_bytes,
            max_records=max_records, max_concurrent_jobs=max_concurrent_jobs, timeout=timeout,
            poll=poll, progress=progress, delete_jobs=delete_jobs,
            raise_on_failure=raise_on_failure,
        )

    return await _in_thread(client, run)
