"""The load options, in one place, and the typed wrappers of the public frame functions.

:class:`LoadOptions` is the single list of the keyword options that ``insert``, ``update``,
``upsert``, ``delete`` (sync and async) and the ``df.sfbulk`` accessors take; a test checks that
every public signature lists exactly these keywords with these defaults. Adding an option is a
field here and one keyword line per public signature.

:class:`FrameFunction` (and :class:`AsyncFrameFunction`) wrap a function written once with
explicit keywords. They tell the type checker that a pandas frame gives
``BulkResult[pandas.DataFrame]`` and a polars ``DataFrame`` or ``LazyFrame`` gives
``BulkResult[polars.DataFrame]``, keep the function's signature for ``help()`` and IDEs, and turn
a mistyped keyword into an :class:`~sfbulk_frames.InvalidArgumentError` listing the valid ones
(:mod:`sfbulk_frames._signatures`).
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
from sfbulk_frames._signatures import check_keywords, keywords_of
from sfbulk_frames.frames.encode import DEFAULT_MAX_BYTES

if TYPE_CHECKING:
    import pandas as pd
    import polars as pl

    from sfbulk_frames.frames.result import BulkResult
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

    @classmethod
    def names(cls) -> tuple[str, ...]:
        return tuple(f.name for f in fields(cls))

    @classmethod
    def pick(cls, arguments: Mapping[str, Any]) -> LoadOptions:
        """The options among ``arguments`` (e.g. a function's ``locals()``); others ignored."""
        return cls(**{name: arguments[name] for name in cls.names() if name in arguments})


class _Wrapper:
    __name__: str
    __qualname__: str

    def __init__(self, fn: Callable[..., Any]) -> None:
        for name in ("__module__", "__name__", "__qualname__", "__doc__"):
            setattr(self, name, getattr(fn, name))
        self._fn = fn
        self._valid = keywords_of(fn)

    def __repr__(self) -> str:
        return f"<function {self.__module__}.{self.__qualname__}>"

    def _check(self, kwargs: Mapping[str, Any]) -> None:
        check_keywords(f"sfbulk_frames.{self._fn.__name__}", kwargs, self._valid)


class FrameFunction(_Wrapper, Generic[P]):
    """A sync frame function: pandas in, ``BulkResult[pandas.DataFrame]`` out; polars
    (``DataFrame`` or ``LazyFrame``) in, ``BulkResult[polars.DataFrame]`` out."""

    def __init__(self, fn: Callable[Concatenate[Any, P], BulkResult[Any]]) -> None:
        super().__init__(fn)
        self.__wrapped__ = fn

    @overload
    def __call__(
        self, df: pd.DataFrame, /, *args: P.args, **kwargs: P.kwargs
    ) -> BulkResult[pd.DataFrame]: ...

    @overload
    def __call__(
        self, df: pl.DataFrame | pl.LazyFrame, /, *args: P.args, **kwargs: P.kwargs
    ) -> BulkResult[pl.DataFrame]: ...

    def __call__(self, df: Any, /, *args: P.args, **kwargs: P.kwargs) -> BulkResult[Any]:
        self._check(kwargs)
        return self.__wrapped__(df, *args, **kwargs)


class AsyncFrameFunction(_Wrapper, Generic[P]):
    """The ``await``able twin of :class:`FrameFunction` (``sfbulk_frames.aio``)."""

    def __init__(self, fn: Callable[Concatenate[Any, P], Coroutine[Any, Any, BulkResult[Any]]]):
        super().__init__(fn)
        self.__wrapped__ = fn

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
        self._check(kwargs)
        return self.__wrapped__(df, *args, **kwargs)
