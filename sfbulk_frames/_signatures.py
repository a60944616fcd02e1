"""Keyword checking for the public functions: a mistyped option names the valid ones.

Python's own ``TypeError`` for an unknown keyword names the function but not what it takes;
here the error is an :class:`~sfbulk_frames.InvalidArgumentError` (a ``TypeError`` and a
``SfBulkError``) with a did-you-mean and the sorted list of valid keywords.
"""

from __future__ import annotations

import difflib
import functools
import inspect
from collections.abc import Callable, Iterable
from typing import Any, ParamSpec, TypeVar

from sfbulk_frames._exceptions import InvalidArgumentError

__all__ = ["check_keywords", "keyword_checked", "keywords_of"]

P = ParamSpec("P")
R = TypeVar("R")


def keywords_of(fn: Callable[..., Any]) -> list[str]:
    """The names ``fn`` accepts as keywords."""
    return [
        p.name
        for p in inspect.signature(fn).parameters.values()
        if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)
    ]


def check_keywords(function: str, given: Iterable[str], valid: Iterable[str]) -> None:
    """Raise InvalidArgumentError for a keyword not in ``valid``, with a did-you-mean."""
    valid = list(valid)
    unknown = [name for name in given if name not in valid]
    if not unknown:
        return
    name = unknown[0]
    close = difflib.get_close_matches(name, valid, n=1)
    hint = f" Did you mean {close[0]}=?" if close else ""
    raise InvalidArgumentError(
        f"{function}() got an unexpected keyword argument {name!r}.{hint} "
        f"Valid keywords: {', '.join(sorted(valid))}."
    )


def keyword_checked(fn: Callable[P, R]) -> Callable[P, R]:
    """Decorator: a mistyped keyword raises InvalidArgumentError (see :func:`check_keywords`).
    The signature is kept (ParamSpec; ``inspect.signature`` follows ``__wrapped__``)."""
    valid = keywords_of(fn)
    package = "sfbulk_frames.aio" if fn.__module__.endswith(".aio") else "sfbulk_frames"
    name = f"{package}.{fn.__name__}"

    @functools.wraps(fn)
    def checked(*args: P.args, **kwargs: P.kwargs) -> R:
        check_keywords(name, kwargs, valid)
        return fn(*args, **kwargs)

    return checked
