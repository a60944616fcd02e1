"""Public testing mode: wait loops and retry backoffs that do not sleep.

Use it with the in-process emulator so tests of code that loads or queries data run in
milliseconds::

    from sfbulk_frames.emulator import Emulator
    from sfbulk_frames.testing import fast_polling

    with Emulator() as emu, fast_polling():
        client = emu.client()
        ...

The same requests are made (every poll is still a ``GET`` of the job), only the sleeps between
them shrink to about a millisecond. It works for the sync and async clients: the switch is a
context variable, so it follows ``asyncio`` tasks and threads started with a copied context.
Worker threads that did not copy the context (e.g. a ``ThreadPoolExecutor`` of the ingest
pipeline) are fast too while any ``fast_polling()`` block is active; :func:`set_fast_polling`
switches the mode for the whole process. It can also decorate a function: ``@fast_polling()``.

:func:`assert_partition` checks the invariant every load keeps: each input row is in exactly
one of ``successful``, ``failed`` and ``unprocessed``.
"""

from __future__ import annotations

import contextlib
import contextvars
import threading
from collections import Counter
from types import TracebackType
from typing import TYPE_CHECKING, Any

from sfbulk_frames import _config

if TYPE_CHECKING:
    from sfbulk_frames.frames.result import BulkResult

__all__ = ["assert_partition", "fast_polling", "fast_polling_enabled", "set_fast_polling"]

fast_polling_enabled = _config.fast_polling_enabled
_counter_lock = threading.Lock()


def _count_block(delta: int) -> None:
    with _counter_lock:
        _config._active_fast_blocks += delta


class fast_polling(contextlib.ContextDecorator):
    """Context manager (and decorator) that turns the testing mode on (or off with ``False``)."""

    def __init__(self, enabled: bool = True) -> None:
        self._enabled = enabled
        self._tokens: list[contextvars.Token[bool | None]] = []

    def __enter__(self) -> fast_polling:
        self._tokens.append(_config._FAST_POLLING.set(self._enabled))
        if self._enabled:
            _count_block(+1)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        _config._FAST_POLLING.reset(self._tokens.pop())
        if self._enabled:
            _count_block(-1)


def set_fast_polling(enabled: bool) -> None:
    """Switch the testing mode on or off for the whole process (all threads and tasks).

    A surrounding :class:`fast_polling` block still wins inside its own context.
    """
    _config._process_fast_polling = enabled


def assert_partition(result: BulkResult[Any], rows: int) -> None:
    """Assert that each input row position ``0..rows-1`` is in exactly one of
    ``result.successful``, ``failed`` and ``unprocessed`` (by their ``sf__Row`` column).

    Raises AssertionError naming the rows found in no part or in more than one.
    """
    positions = [
        int(value)
        for part in (result.successful, result.failed, result.unprocessed)
        for value in part["sf__Row"].to_list()
    ]
    twice = sorted(row for row, n in Counter(positions).items() if n > 1)
    assert not twice, f"rows in more than one part: {twice[:10]} ({len(twice)} in all)"
    missing = sorted(set(range(rows)) - set(positions))
    assert not missing, f"rows in no part: {missing[:10]} ({len(missing)} in all)"
    extra = sorted(set(positions) - set(range(rows)))
    assert not extra, f"rows that are not input positions: {extra[:10]}"
