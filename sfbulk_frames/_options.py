"""The load options, in one place, and the typed wrappers of the public frame functions.

:class:`LoadOptions` is the single list of the keyword options that ``insert``, ``update``,
``upsert``, ``delete`` (sync and async) and the ``df.sfbulk`` accessors take; a test checks that
every public signature lists exactly these keywords with these defaults. Adding an option is a
field here and one keyword line per public signature.

``@FrameFunction`` (and ``@AsyncFrameFunction``) decorate a function written once with
explicit keywords. They tell the type checker that a pandas frame gives
``BulkResult[pandas.DataFrame]`` and a polars ``DataFrame`` or ``LazyFrame`` gives
``BulkResult[polars.DataFrame]``, keep the function's signature for ``help()`` and IDEs, and turn
a mistyped keyword into an :class:`~sfbulk_frames.InvalidArgumentError` listing the valid ones
(:func:`sfbulk_frames._signatures.keyword_checked`; at run time the function stays a function).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Coroutine, Mapping
from dataclasses import dataclass, fields
from typing import (
    TYPE_CHECKING,
    Any,
    Concatenate,
    Generic,
    Literal,
    ParamSpec,
    overload,
)

from sfbulk_frames._config import PollPolicy
from sfbulk_frames._signatures import keyword_checked
from sfbulk_frames.frames.encode import DEFAULT_MAX_BYTES

if TYPE_CHECKING:
    import pandas as pd
    import polars as pl

    from sfbulk_frames.frames.result import BulkResult
    from sfbulk_frames.pipeline.preflight import PreflightMode
    from sfbulk_frames.pipeline.progress import ProgressLike

__all__ = [
    "AsyncFrameFunction",
    "FrameFunction",
    "LoadOptions",
    "Nulls",
]

P = ParamSpec("P")

NullMode = Literal["skip", "set_null"]
Nulls = NullMode | Mapping[str, NullMode]


@dataclass(frozen=True, kw_only=True)
class LoadOptions:
    """The keyword options of a load, with their defaults (the README's options table)."""

    nulls: Nulls = "skip"
    column_delimiter: str = "COMMA"
    line_ending: str = "LF"
    max_bytes: int = DEFAULT_MAX_BYTES
    max_records: int | None = None
    max_concurrent_jobs: int = 4
    assignment_rule_id: str | None = None
    timeout: float | None = None
    poll: PollPolicy | None = None
    progress: ProgressLike = "auto"
    delete_jobs: bool = False
    raise_on_failure: bool = False
    results_dir: str | os.PathLike[str] | None = None
    preflight: PreflightMode = "columns"
    group_by_parent: bool | str | None = None

    @classmethod
    def names(cls) -> tuple[str, ...]:
        return tuple(f.name for f in fields(cls))

    @classmethod
    def pick(cls, arguments: Mapping[str, Any]) -> LoadOptions:
        """The options among ``arguments`` (e.g. a function's ``locals()``); others ignored."""
        return cls(**{name: arguments[name] for name in cls.names() if name in arguments})


if TYPE_CHECKING:

    class FrameFunction(Generic[P]):
        """A sync frame function, to a type checker: pandas in, ``BulkResult[pandas.DataFrame]``
        out; polars (``DataFrame`` or ``LazyFrame``) in, ``BulkResult[polars.DataFrame]`` out."""

        __name__: str
        __wrapped__: Callable[Concatenate[Any, P], BulkResult[Any]]

        def __init__(self, fn: Callable[Concatenate[Any, P], BulkResult[Any]]) -> None: ...

        @overload
        def __call__(
            self, df: pd.DataFrame, /, *args: P.args, **kwargs: P.kwargs
        ) -> BulkResult[pd.DataFrame]: ...

        @overload
        def __call__(
            self, df: pl.DataFrame | pl.LazyFrame, /, *args: P.args, **kwargs: P.kwargs
        ) -> BulkResult[pl.DataFrame]: ...

        def __call__(self, df: Any, /, *args: P.args, **kwargs: P.kwargs) -> BulkResult[Any]:
            return self.__wrapped__(df, *args, **kwargs)

    class AsyncFrameFunction(Generic[P]):
        """The ``await``able twin of :class:`FrameFunction` (``sfbulk_frames.aio``)."""

        __name__: str
        __wrapped__: Callable[Concatenate[Any, P], Coroutine[Any, Any, BulkResult[Any]]]

        def __init__(
            self, fn: Callable[Concatenate[Any, P], Coroutine[Any, Any, BulkResult[Any]]]
        ) -> None: ...

        @overload
        def __call__(
            self, df: pd.DataFrame, /, *args: P.args, **kwargs: P.kwargs
        ) -> Coroutine[Any, Any, BulkResult[pd.DataFrame]]: ...

        @overload
        def __call__(
            self, df: pl.DataFrame | pl.LazyFrame, /, *args: P.args, **kwargs: P.kwargs
        ) -> Coroutine[Any, Any, BulkResult[pl.DataFrame]]: ...

        def __call__(
            self, df: Any, /, *args: P.args, **kwargs: P.kwargs
        ) -> Coroutine[Any, Any, BulkResult[Any]]:
            return self.__wrapped__(df, *args, **kwargs)

else:
    # At run time the decorated function stays a plain function (help(), inspect, pickling)
    # whose keywords are checked; only type checkers see the overloads above.
    FrameFunction = AsyncFrameFunction = keyword_checked
