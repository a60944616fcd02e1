"""``df.sfbulk`` on pandas.DataFrame, polars.DataFrame and polars.LazyFrame.

One accessor class serves all three: each method is a thin wrapper of the public function.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import polars as pl

from sfbulk_frames import _api
from sfbulk_frames.frames.result import BulkResult

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
