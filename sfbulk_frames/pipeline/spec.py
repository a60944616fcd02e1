"""What a load is asked to do besides the frame and the client: :class:`IngestSpec`, and the
null policy of its encoding."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sfbulk_frames._config import PollPolicy
from sfbulk_frames.frames.encode import EncodeOptions
from sfbulk_frames.pipeline.preflight import PreflightMode

__all__ = ["IngestSpec", "encode_nulls"]


@dataclass(frozen=True)
class IngestSpec:
    """Everything a load needs besides the frame and the client."""

    object: str
    operation: str
    external_id_field: str | None = None
    assignment_rule_id: str | None = None
    encode: EncodeOptions = field(default_factory=EncodeOptions)
    max_concurrent_jobs: int = 4
    timeout: float | None = None
    poll: PollPolicy | None = None
    delete_jobs: bool = False
    raise_on_failure: bool = False
    results_dir: str | os.PathLike[str] | None = None
    """Write each job's parts to parquet there as they arrive (see frames/result/part_files.py)."""
    group_by_parent: bool | str | None = None
    """Rows of one parent record in one job (pipeline/plan.py); not with ``results_dir``."""
    preflight: PreflightMode = "columns"

    @property
    def key(self) -> str | None:
        if self.operation == "upsert":
            return self.external_id_field
        if self.operation in ("update", "delete", "hardDelete"):
            return "Id"
        return None


def encode_nulls(encode: EncodeOptions, nulls: Any) -> EncodeOptions:
    """``encode`` with the null policy ``nulls`` (``"skip"``, ``"set_null"`` or a per-column
    mapping whose ``"*"`` entry is the default)."""
    if isinstance(nulls, str):
        return dataclasses.replace(encode, nulls=nulls, nulls_by_column={})  # type: ignore[arg-type]
    per_column = dict(nulls) if isinstance(nulls, Mapping) else {}
    default = per_column.pop("*", "skip")
    return dataclasses.replace(encode, nulls=default, nulls_by_column=per_column)
