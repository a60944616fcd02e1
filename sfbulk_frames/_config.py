"""Policies (polling, retries) as frozen values with ``DEFAULT_*`` constants, and testing mode.

Testing mode (:func:`sfbulk_frames.testing.fast_polling`) is a context variable read by every
wait loop and retry loop: when it is on, they sleep at most :data:`FAST_SLEEP` seconds but make
exactly the same requests.
"""

from __future__ import annotations

import contextvars
import random
from dataclasses import dataclass

from sfbulk_frames._exceptions import ConfigurationError

__all__ = [
    "DEFAULT_API_VERSION",
    "DEFAULT_POLL",
    "DEFAULT_RETRY",
    "DEFAULT_TIMEOUT",
    "FAST_SLEEP",
    "PollPolicy",
    "RetryPolicy",
    "fast_polling_enabled",
]

DEFAULT_API_VERSION = "62.0"
DEFAULT_TIMEOUT = 120.0
FAST_SLEEP = 0.001


@dataclass(frozen=True)
class PollPolicy:
    """How ``wait()`` polls a job: ``initial`` seconds, times ``factor`` each poll, capped.

    ``timeout`` (seconds, ``None`` = forever) bounds the whole wait; when it passes, ``wait()``
    raises :class:`~sfbulk_frames.JobTimeoutError` and the job keeps running.
    """

    initial: float = 0.5
    factor: float = 1.5
    max_interval: float = 15.0
    timeout: float | None = None

    def __post_init__(self) -> None:
        if self.initial < 0 or self.max_interval < 0 or self.factor < 1:
            raise ConfigurationError(
                "PollPolicy needs initial >= 0, max_interval >= 0 and factor >= 1, "
                f"got {self!r}"
            )

    def interval(self, poll_number: int) -> float:
        """Seconds to sleep after poll ``poll_number`` (0-based)."""
        return min(self.initial * self.factor**poll_number, self.max_interval)

    def interval_toward(self, poll_number: int, finish_in: float | None) -> float:
        """Like :meth:`interval`, but no later than ``finish_in`` (seconds until the job should
        be done, from :class:`ProcessingRate`), and never sooner than ``initial``: a finished
        job is noticed within ``initial`` seconds of its predicted end instead of up to
        ``max_interval`` late."""
        backoff = self.interval(poll_number)
        if finish_in is None:
            return backoff
        return min(backoff, max(finish_in, self.initial))


@dataclass
class ProcessingRate:
    """How fast a job of ``expected`` records is processed, from the ``numberRecordsProcessed``
    of its polls (Salesforce raises it as internal batches of up to 10,000 records finish).

    The rate is measured from the first poll that saw progress; until two polls differ there
    is no prediction (None) and polling backs off as usual.
    """

    expected: int
    first: tuple[float, int] | None = None

    def finish_in(self, now: float, processed: int) -> float | None:
        """Seconds from ``now`` until every expected record should be processed, or None."""
        if processed <= 0:
            return None
        if self.first is None:
            self.first = (now, processed)
            return None
        since, seen = self.first
        if processed <= seen or now <= since:
            return None
        rate = (processed - seen) / (now - since)
        return max(0.0, (self.expected - processed) / rate)


@dataclass(frozen=True)
class RetryPolicy:
    """Which failed requests are repeated, how often, and how long to wait in between.

    Only idempotent requests (GET, DELETE, PATCH of a job state) are retried after connection
    errors and ``retry_statuses``; 429 is retried for every request (the server refused it
    before doing anything). ``max_attempts`` counts the first try.
    """

    max_attempts: int = 5
    backoff_initial: float = 0.5
    backoff_max: float = 30.0
    jitter: bool = True
    retry_statuses: tuple[int, ...] = (500, 502, 503, 504)
    respect_retry_after: bool = True
    max_retry_after: float = 300.0

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ConfigurationError(
                f"RetryPolicy.max_attempts must be >= 1, got {self.max_attempts}"
            )

    def backoff(self, attempt: int, retry_after: float | None = None) -> float:
        """Seconds to wait before attempt ``attempt + 1`` (``attempt`` is 1-based).

        A server's ``Retry-After`` wins (capped at ``max_retry_after``) when it is respected.
        """
        if retry_after is not None and self.respect_retry_after:
            return min(max(retry_after, 0.0), self.max_retry_after)
        delay = min(self.backoff_initial * 2 ** (attempt - 1), self.backoff_max)
        if self.jitter:
            delay *= random.uniform(0.5, 1.0)
        return float(delay)


DEFAULT_POLL = PollPolicy()
DEFAULT_RETRY = RetryPolicy()

# Testing mode: a context variable (per thread / per asyncio task). Where it is unset (worker
# threads that did not copy the caller's context), the process-wide state decides: on while any
# ``fast_polling()`` block is active, or after ``set_fast_polling(True)``.
_FAST_POLLING: contextvars.ContextVar[bool | None] = contextvars.ContextVar(
    "sfbulk_frames_fast_polling", default=None
)
_process_fast_polling = False
_active_fast_blocks = 0


def fast_polling_enabled() -> bool:
    """True inside :func:`sfbulk_frames.testing.fast_polling` (or when switched on globally)."""
    value = _FAST_POLLING.get()
    if value is not None:
        return value
    return _process_fast_polling or _active_fast_blocks > 0


def effective_sleep(seconds: float) -> float:
    """``seconds``, or at most :data:`FAST_SLEEP` in testing mode."""
    return min(seconds, FAST_SLEEP) if fast_polling_enabled() else seconds
