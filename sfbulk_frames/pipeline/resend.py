"""The :class:`~sfbulk_frames.frames.result.retry.Resend` the pipeline attaches to its results, so
that ``res.retry()`` sends rows again as the original load did."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sfbulk_frames.frames.encode import EncodeOptions
from sfbulk_frames.frames.result.retry import RetryOptions
from sfbulk_frames.pipeline.progress import ProgressLike

if TYPE_CHECKING:
    from sfbulk_frames.client.clients import Client
    from sfbulk_frames.frames.result import BulkResult
    from sfbulk_frames.pipeline.ingest import IngestSpec

__all__ = ["PipelineResend", "encode_nulls"]


def encode_nulls(encode: EncodeOptions, nulls: Any) -> EncodeOptions:
    """``encode`` with the null policy ``nulls`` (``"skip"``, ``"set_null"`` or a per-column
    mapping whose ``"*"`` entry is the default)."""
    if isinstance(nulls, str):
        return dataclasses.replace(encode, nulls=nulls, nulls_by_column={})  # type: ignore[arg-type]
    per_column = dict(nulls) if isinstance(nulls, Mapping) else {}
    default = per_column.pop("*", "skip")
    return dataclasses.replace(encode, nulls=default, nulls_by_column=per_column)


@dataclass(frozen=True)
class PipelineResend:
    """Re-sends rows with the spec (object, operation, key, options) and client of a load.

    Holds a reference to the client object, never its credentials in any text form; its repr
    shows the object and operation only.
    """

    spec: IngestSpec
    progress: ProgressLike
    client: Client | None = dataclasses.field(default=None, repr=False)

    @property
    def object(self) -> str:
        return self.spec.object

    @property
    def operation(self) -> str:
        return self.spec.operation

    @property
    def key(self) -> str | None:
        return self.spec.key

    @property
    def raise_on_failure(self) -> bool:
        return self.spec.raise_on_failure

    def __call__(self, frame: Any, *, client: Any, options: RetryOptions) -> BulkResult[Any]:
        from sfbulk_frames.pipeline.ingest import run_ingest

        changed = options.changed()
        encode = self.spec.encode
        if "nulls" in changed:
            encode = encode_nulls(encode, changed.pop("nulls"))
        encode = dataclasses.replace(
            encode, **{k: changed.pop(k) for k in ("max_records", "max_bytes") if k in changed}
        )
        progress = changed.pop("progress", self.progress)
        changed.pop("raise_on_failure", None)  # the combined result decides, not the attempt
        # an attempt's result stays in memory: the load's results_dir holds the first one's
        spec = dataclasses.replace(self.spec, encode=encode, raise_on_failure=False,
                                   results_dir=None, **changed)
        return run_ingest(frame, spec, client=client or self.client, progress=progress)
