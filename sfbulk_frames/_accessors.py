"""``df.sfbulk`` on pandas.DataFrame, polars.DataFrame and polars.LazyFrame.

One accessor class serves all three: each method is a thin wrapper of the public function.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Literal, overload

import pandas as pd
import polars as pl

from sfbulk_frames import _api
from sfbulk_frames._config import PollPolicy
from sfbulk_frames.frames.encode import DEFAULT_MAX_BYTES
from sfbulk_frames.frames.result import BulkResult
from sfbulk_frames.frames.sync_result import SyncPlan, SyncResult
from sfbulk_frames.pipeline import sync as _sync
from sfbulk_frames.pipeline.progress import ProgressLike

if TYPE_CHECKING:
    from sfbulk_frames.client.clients import Client

__all__ = ["SfBulkAccessor", "register_accessors"]


class SfBulkAccessor:
    """Salesforce Bulk API 2.0 loads for this frame: ``df.sfbulk.upsert("Contact", "Ext__c")``."""

    def __init__(self, frame: Any) -> None:
        self._frame = frame

    def insert(self, object: str, **options: Any) -> BulkResult:
        """Insert the rows into ``object``; see :func:`sfbulk_frames.insert`."""
        return _api.insert(self._frame, object, **options)

    def update(self, object: str, **options: Any) -> BulkResult:
        """Update records by ``Id``; see :func:`sfbulk_frames.update`."""
        return _api.update(self._frame, object, **options)

    def upsert(self, object: str, external_id_field: str, **options: Any) -> BulkResult:
        """Upsert by ``external_id_field``; see :func:`sfbulk_frames.upsert`."""
        return _api.upsert(self._frame, object, external_id_field, **options)

    def delete(self, object: str, *, hard: bool = False, **options: Any) -> BulkResult:
        """Delete records by ``Id``; see :func:`sfbulk_frames.delete`."""
        return _api.delete(self._frame, object, hard=hard, **options)

    def resume(self, job_ids: list[str], **options: Any) -> BulkResult:
        """Collect the results of earlier jobs for this frame; see :func:`sfbulk_frames.resume`."""
        return _api.resume(self._frame, job_ids, **options)

    @overload
    def sync(self, object: str, key: str, *, where: str | None = ...,
             delete_missing: bool = ..., confirm_delete_all: bool = ...,
             compare: Sequence[str] | None = ..., dry_run: Literal[True],
             send_columns: _sync.SendColumns = ..., client: Client | None = ...,
             max_bytes: int = ..., max_records: int | None = ...,
             max_concurrent_jobs: int = ..., timeout: float | None = ...,
             poll: PollPolicy | None = ..., progress: ProgressLike = ...,
             delete_jobs: bool = ..., raise_on_failure: bool = ...) -> SyncPlan: ...
    @overload
    def sync(self, object: str, key: str, *, where: str | None = ...,
             delete_missing: bool = ..., confirm_delete_all: bool = ...,
             compare: Sequence[str] | None = ..., dry_run: Literal[False] = ...,
             send_columns: _sync.SendColumns = ..., client: Client | None = ...,
             max_bytes: int = ..., max_records: int | None = ...,
             max_concurrent_jobs: int = ..., timeout: float | None = ...,
             poll: PollPolicy | None = ..., progress: ProgressLike = ...,
             delete_jobs: bool = ..., raise_on_failure: bool = ...) -> SyncResult: ...
    def sync(self, object: str, key: str, *, where: str | None = None,
             delete_missing: bool = False, confirm_delete_all: bool = False,
             compare: Sequence[str] | None = None, dry_run: bool = False,
             send_columns: _sync.SendColumns = "all", client: Client | None = None,
             max_bytes: int = DEFAULT_MAX_BYTES, max_records: int | None = None,
             max_concurrent_jobs: int = 4, timeout: float | None = None,
             poll: PollPolicy | None = None, progress: ProgressLike = "auto",
             delete_jobs: bool = False, raise_on_failure: bool = False
             ) -> SyncPlan | SyncResult:
        """Send only what changed (``dry_run=True``: the plan); see :func:`sfbulk_frames.sync`."""
        return _sync.sync(
            self._frame, object, key, where=where, delete_missing=delete_missing,
            confirm_delete_all=confirm_delete_all, compare=compare, dry_run=dry_run,
            send_columns=send_columns, client=client, max_bytes=max_bytes,
            max_records=max_records, max_concurrent_jobs=max_concurrent_jobs, timeout=timeout,
            poll=poll, progress=progress, delete_jobs=delete_jobs,
            raise_on_failure=raise_on_failure,
        )


_registered = False


def register_accessors() -> None:
    """Register ``sfbulk`` on the three frame types (idempotent)."""
    global _registered
    if _registered:
        return
    pd.api.extensions.register_dataframe_accessor("sfbulk")(SfBulkAccessor)
    pl.api.register_dataframe_namespace("sfbulk")(SfBulkAccessor)
    pl.api.register_lazyframe_namespace("sfbulk")(SfBulkAccessor)
    _registered = True
