"""Retrying a load: which rows go again, and one result over the original input afterwards.

:meth:`BulkResult.retry` sends the rows that did not succeed (or the user's corrected rows,
matched by ``sf__Row``) through a ``Resend`` that the pipeline attached to the result it
built — frames never import the pipeline or the client. The retried rows' latest outcome then
replaces their earlier one, by row position (``sf__Row``), never by key: duplicate keys and rows
with identical payloads keep one status each. The functions here take a result's parts
(``successful``/``failed``/``unprocessed`` frames with ``sf__Row``), never the result.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal, Protocol, TypeVar

import polars as pl

from sfbulk_frames._config import PollPolicy
from sfbulk_frames._exceptions import ConfigurationError, FrameError
from sfbulk_frames.frames.backend import to_polars
from sfbulk_frames.frames.errors import PENDING
from sfbulk_frames.frames.result.parts import ROW

__all__ = ["KEEP", "Keep", "NullsOption", "ProgressOption", "Resend", "RetryOptions",
           "combined_parts", "retry_frame"]

_ATTEMPT_ROW = "__sfbulk_attempt_row"
_SF_COLUMNS = ("sf__Id", "sf__Created", "sf__Error")
_RETRIED = ("failed", "unprocessed")
_PREVIEW = 10


class Keep(enum.Enum):
    """The type of :data:`KEEP`."""

    KEEP = "as the original load"

    def __repr__(self) -> str:
        return "KEEP"


KEEP = Keep.KEEP
"""A retry option left at KEEP takes the value the original load used."""

NullsOption = Literal["skip", "set_null"] | Mapping[str, Literal["skip", "set_null"]]
ProgressOption = Literal["auto", "log"] | bool | Callable[[Any], None] | None


@dataclass(frozen=True)
class RetryOptions:
    """The load options a retry may change; each one left at :data:`KEEP` is the original's."""

    nulls: NullsOption | Keep = KEEP
    max_concurrent_jobs: int | Keep = KEEP
    max_records: int | Keep | None = KEEP
    max_bytes: int | Keep = KEEP
    timeout: float | Keep | None = KEEP
    poll: PollPolicy | Keep | None = KEEP
    progress: ProgressOption | Keep = KEEP
    delete_jobs: bool | Keep = KEEP
    raise_on_failure: bool | Keep = KEEP

    def changed(self) -> dict[str, Any]:
        """The options given a value (not KEEP)."""
        return {name: value for name, value in vars(self).items() if value is not KEEP}


ResultT_co = TypeVar("ResultT_co", covariant=True)


class Resend(Protocol[ResultT_co]):
    """Sends rows again the way the load that built a result did (same object, operation, key
    and options, minus :class:`RetryOptions` changes) and gives the result of that attempt. The
    pipeline attaches one to every result it builds; it holds no secret (the client is
    resolved when it is called)."""

    @property
    def object(self) -> str: ...

    @property
    def operation(self) -> str: ...

    @property
    def key(self) -> str | None: ...

    @property
    def raise_on_failure(self) -> bool: ...

    def __call__(self, frame: Any, *, client: Any, options: RetryOptions) -> ResultT_co: ...


Parts = Mapping[str, pl.DataFrame]


def _positions_not_retriable(parts: Parts, positions: pl.Series) -> tuple[list[int], list[int]]:
    """Of ``positions``, those that already succeeded and those that are no input row."""
    succeeded = parts["successful"].get_column(ROW)
    known = pl.concat([parts[kind].get_column(ROW) for kind in _RETRIED])
    done = positions.filter(positions.is_in(succeeded.implode())).to_list()
    unknown = positions.filter(
        ~positions.is_in(known.implode()) & ~positions.is_in(succeeded.implode())
    ).to_list()
    return done, unknown


def _check_pending(parts: Parts, positions: pl.Series) -> None:
    rows = pl.concat([parts[kind].select(ROW, "sf__Error") for kind in _RETRIED])
    waiting = rows.filter(
        pl.col(ROW).is_in(positions.implode()) & pl.col("sf__Error").str.starts_with(PENDING)
    )
    if waiting.height:
        example = waiting.get_column("sf__Error")[0]
        raise ConfigurationError(
            f"{waiting.height} row(s) (sf__Row {waiting.get_column(ROW).head(_PREVIEW).to_list()}"
            f"...) were received by a job whose result was not collected ({example}); sending "
            "them again could create duplicates. Call sfbulk_frames.resume(df, job_ids) first "
            "and retry its result"
        )


def _without_sf_columns(frame: Any) -> Any:
    columns = [str(c) for c in frame.columns if str(c).startswith("sf__")]
    if isinstance(frame, pl.DataFrame):
        return frame.drop(columns)
    return frame.drop(columns=columns)


def retry_frame(
    parts: Parts,
    input_columns: list[str],
    convert: Callable[[pl.DataFrame], Any],
    fixed: Any,
) -> tuple[Any, pl.Series]:
    """The frame to send for a retry of a result with ``parts`` and the input positions of its
    rows (``convert`` turns a polars part into the input's kind).

    Without ``fixed``: every failed and unprocessed row, with the input's own values. With
    ``fixed``: its rows (``sf__Row`` names each one's input row; the ``sf__*`` columns are not
    sent). Raises FrameError for a ``fixed`` without ``sf__Row`` or naming rows that succeeded
    or do not exist, ConfigurationError for rows whose job result is still pending.
    """
    if fixed is None:
        part = pl.concat([parts[kind] for kind in _RETRIED], how="diagonal_relaxed").sort(ROW)
        positions = part.get_column(ROW)
        _check_pending(parts, positions)
        frame = _without_sf_columns(convert(part.select(*input_columns, ROW)))
        return frame, positions
    if isinstance(fixed, pl.LazyFrame):
        fixed = fixed.collect()
    names = [str(c) for c in fixed.columns]
    if ROW not in names:
        raise FrameError(
            "the corrected frame has no sf__Row column: start from res.failed or "
            "res.unprocessed (they carry sf__Row, each row's position in the input) and keep it",
            column=ROW,
        )
    rows = to_polars(
        fixed.loc[:, [ROW]] if not isinstance(fixed, pl.DataFrame) else fixed.select(ROW)
    )
    assert isinstance(rows, pl.DataFrame)
    positions = rows.get_column(ROW)
    if positions.null_count() or not positions.dtype.is_integer():
        raise FrameError(
            "sf__Row of the corrected frame must be whole numbers without nulls", column=ROW
        )
    positions = positions.cast(pl.Int64)
    duplicated = positions.filter(positions.is_duplicated()).unique().sort()
    if duplicated.len():
        raise FrameError(
            f"sf__Row {duplicated.head(_PREVIEW).to_list()} appear more than once in the "
            "corrected frame; give each failed row at most once",
            column=ROW,
        )
    done, unknown = _positions_not_retriable(parts, positions)
    if done or unknown:
        what = []
        if done:
            what.append(f"sf__Row {done[:_PREVIEW]} already succeeded")
        if unknown:
            what.append(f"sf__Row {unknown[:_PREVIEW]} are no input row of this result")
        raise FrameError(
            f"the corrected frame has rows that cannot be retried: {'; '.join(what)}. Keep only "
            "rows of res.failed / res.unprocessed",
            column=ROW,
        )
    _check_pending(parts, positions)
    return _without_sf_columns(fixed), positions


def combined_parts(
    original: Parts, attempt: Parts, input_columns: list[str], positions: pl.Series
) -> dict[str, pl.DataFrame]:
    """The ``original`` parts with the rows at ``positions`` (sent as rows 0.. of the attempt
    whose parts are ``attempt``) taking their outcome in ``attempt``; payload values and sf__Row
    stay the original's."""
    mapping = pl.DataFrame(
        {
            _ATTEMPT_ROW: pl.int_range(positions.len(), dtype=pl.Int64, eager=True),
            ROW: positions.cast(pl.Int64),
        }
    )
    payload = pl.concat([part.select(*input_columns, ROW) for part in original.values()])
    parts: dict[str, pl.DataFrame] = {}
    for kind, part in original.items():
        kept = part.join(mapping.select(ROW), on=ROW, how="anti")
        new = attempt[kind]
        sf_columns = [c for c in _SF_COLUMNS if c in part.columns]
        mapped = (
            new.select(*sf_columns, pl.col(ROW).alias(_ATTEMPT_ROW))
            .join(mapping, on=_ATTEMPT_ROW, how="inner")
            .join(payload, on=ROW, how="inner")
            .select(part.columns)
        )
        parts[kind] = pl.concat([kept, mapped.cast(part.schema)]).sort(ROW)
    return parts
