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
"""

from __future__ import annotations

import contextlib
import contextvars
import threading
from types import TracebackType

from sfbulk_frames import _config

__all__ = ["fast_polling", "fast_polling_enabled", "set_fast_polling"]

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
