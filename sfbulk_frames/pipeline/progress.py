"""Progress events and their renderers (tqdm bar/widget, log lines, a user callable, nothing).

``progress=`` accepts ``"auto"`` (tqdm.auto: a widget in notebooks, a bar in terminals),
``"log"`` (INFO lines on the ``sfbulk_frames`` logger), ``False``/``None`` (silent) or a
callable that receives every :class:`ProgressEvent`. Events never carry secrets.
"""

from __future__ import annotations

import logging
import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal, Protocol

from sfbulk_frames._exceptions import ConfigurationError

__all__ = ["ProgressEvent", "ProgressLike", "Reporter", "make_reporter"]

logger = logging.getLogger("sfbulk_frames")

EventKind = Literal[
    "start", "chunk_uploaded", "job_state", "job_done", "query_page", "finish", "retry_chunk"
]


@dataclass(frozen=True)
class ProgressEvent:
    """One thing that happened in a load or query.

    ``rows`` counts the rows this event is about (uploaded in a chunk, parsed in a page);
    ``processed``/``failed`` are the job's counters when the event is about a job.
    """

    kind: EventKind
    operation: str
    object: str | None = None
    job_id: str | None = None
    state: str | None = None
    rows: int = 0
    total_rows: int | None = None
    processed: int | None = None
    failed: int | None = None
    message: str = ""


ProgressLike = Literal["auto", "log"] | bool | None | Callable[[ProgressEvent], Any]


class _Sink(Protocol):
    def __call__(self, event: ProgressEvent) -> None: ...


class Reporter:
    """Collects events from worker threads and forwards them to one renderer."""

    def __init__(self, sink: _Sink, closer: Callable[[], None] | None = None) -> None:
        self._sink = sink
        self._closer = closer
        self._lock = threading.Lock()

    def emit(self, kind: EventKind, operation: str, **fields: Any) -> None:
        event = ProgressEvent(kind=kind, operation=operation, **fields)
        with self._lock:
            self._sink(event)

    def close(self) -> None:
        if self._closer is not None:
            with self._lock:
                self._closer()


class _TqdmSink:
    """Rows uploaded as the bar; job states and processed/failed counters as its postfix."""

    def __init__(self, desc: str) -> None:
        from tqdm.auto import tqdm

        self._bar = tqdm(total=None, desc=desc, unit="row", unit_scale=True, dynamic_ncols=True)
        self._states: dict[str, str] = {}
        self._processed: dict[str, int] = {}
        self._failed: dict[str, int] = {}

    def __call__(self, event: ProgressEvent) -> None:
        if event.kind == "start" and event.total_rows is not None:
            self._bar.total = event.total_rows
            self._bar.refresh()
        if event.kind in ("chunk_uploaded", "query_page"):
            self._bar.update(event.rows)
        if event.job_id and event.state:
            self._states[event.job_id] = event.state
        if event.job_id and event.processed is not None:
            self._processed[event.job_id] = event.processed
            self._failed[event.job_id] = event.failed or 0
        counts = Counter(self._states.values())
        # strings: tqdm would print large numbers as 2e+05
        postfix = {state: str(n) for state, n in sorted(counts.items())}
        if self._processed:
            postfix["processed"] = f"{sum(self._processed.values()):,}"
            postfix["failed"] = f"{sum(self._failed.values()):,}"
        self._bar.set_postfix(postfix, refresh=False)
        if event.kind == "finish":
            self._bar.refresh()

    def close(self) -> None:
        self._bar.close()


def _log_sink(event: ProgressEvent) -> None:
    if event.kind == "query_page":
        logger.info("%s: page of %d rows (job %s)", event.operation, event.rows, event.job_id)
        return
    parts = [f"{event.operation} {event.object or ''}".strip(), event.kind]
    if event.job_id:
        parts.append(f"job {event.job_id}")
    if event.state:
        parts.append(event.state)
    if event.rows:
        parts.append(f"{event.rows} rows")
    if event.processed is not None:
        parts.append(f"processed={event.processed} failed={event.failed or 0}")
    if event.message:
        parts.append(event.message)
    logger.info(": ".join(parts[:2]) + (" " + ", ".join(parts[2:]) if parts[2:] else ""))


def make_reporter(progress: ProgressLike, *, desc: str) -> Reporter:
    """Build the reporter for a ``progress=`` argument.

    Raises ConfigurationError for a value it does not understand.
    """
    if progress is None or progress is False:
        return Reporter(lambda event: None)
    if progress is True or progress == "auto":
        sink = _TqdmSink(desc)
        return Reporter(sink, sink.close)
    if progress == "log":
        return Reporter(_log_sink)
    if callable(progress):
        user = progress
        return Reporter(lambda event: user(event))
    raise ConfigurationError(
        f"progress={progress!r} is not understood; use 'auto', 'log', False or a callable"
    )
