"""Progress of a load or a query: events, one tracker of the whole run, and the reporter.

``progress=`` accepts:

* ``"auto"`` (default): a widget in a notebook (a text bar when ipywidgets is missing), a bar
  on a terminal, and plain ``logging`` lines when stderr is neither (cron, CI, Airflow); the
  ``SFBULK_PROGRESS`` environment variable (``bar``, ``log``, ``notebook`` or ``off``)
  overrides that choice, e.g. ``SFBULK_PROGRESS=bar`` for a text bar in a notebook;
* ``"log"``: INFO lines on the ``sfbulk_frames`` logger — one per phase change and a heartbeat
  at most every :data:`HEARTBEAT_SECONDS`;
* ``False``/``None``: silent; a callable: receives every :class:`ProgressEvent`;
* a :class:`Progress` value: one of the modes above plus the row total of a lazy input and
  the redraw / heartbeat intervals.

While jobs run, the bar is redrawn on a timer (a background thread, stopped by ``close()``),
so elapsed time, job states and processed counts move even when no event arrives. Events and
rendered lines never carry secrets.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from sfbulk_frames._exceptions import ConfigurationError

__all__ = [
    "HEARTBEAT_SECONDS",
    "JOB_STATES",
    "REDRAW_SECONDS",
    "Progress",
    "ProgressEvent",
    "ProgressLike",
    "Reporter",
    "RunProgress",
]

logger = logging.getLogger("sfbulk_frames")

HEARTBEAT_SECONDS = 30.0
"""At most one heartbeat log line this often (``progress="log"`` and non-terminal ``"auto"``)."""
REDRAW_SECONDS = 0.5
"""The bar is redrawn at least this often while a run is in progress."""

JOB_STATES = ("Open", "UploadComplete", "InProgress", "JobComplete", "Failed", "Aborted")
_TERMINAL = frozenset({"JobComplete", "Failed", "Aborted"})

EventKind = Literal[
    "start",
    "chunk_encoded",
    "job_created",
    "chunk_uploaded",
    "retry_chunk",
    "uploads_done",
    "job_state",
    "job_done",
    "results_downloaded",
    "query_page",
    "finish",
]


@dataclass(frozen=True)
class ProgressEvent:
    """One thing that happened in a load or query.

    ``rows`` counts the rows this event is about (encoded or uploaded in a chunk, parsed in a
    page, in a job's downloaded results); ``processed``/``failed`` are the job's counters when
    the event is about a job; ``message`` is ``"stopped"`` on the ``finish`` of a run that
    ended with an error or an interrupt.
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


Mode = Literal["auto", "log", "bar", "notebook", "off"]


@dataclass(frozen=True)
class Progress:
    """How to report progress, with the details a bare mode cannot carry.

    ``mode``: ``"auto"``, ``"log"``, ``"bar"`` (a text bar on stderr), ``"notebook"`` (the
    widget) or ``"off"``. ``total_rows``: rows of a lazy input when you know them (a
    DataFrame's are counted), for a percentage and an ETA. ``heartbeat``/``redraw``: seconds
    between heartbeat log lines and between redraws of a bar.
    """

    mode: Mode = "auto"
    total_rows: int | None = None
    heartbeat: float = HEARTBEAT_SECONDS
    redraw: float = REDRAW_SECONDS

    def __post_init__(self) -> None:
        if self.mode not in ("auto", "log", "bar", "notebook", "off"):
            raise ConfigurationError(
                f"Progress(mode={self.mode!r}): use 'auto', 'log', 'bar', 'notebook' or 'off'"
            )
        if self.heartbeat <= 0 or self.redraw <= 0:
            raise ConfigurationError("Progress heartbeat and redraw must be positive seconds")


ProgressLike = Literal["auto", "log"] | bool | None | Progress | Callable[[ProgressEvent], Any]


@dataclass
class RunProgress:
    """Everything known about one run, from its events: rows, jobs, states, counters, phase."""

    operation: str = ""
    object: str | None = None
    kind: Literal["ingest", "query"] = "ingest"
    started: float = field(default_factory=time.monotonic)
    total_rows: int | None = None
    rows_encoded: int = 0
    rows_uploaded: int = 0
    uploads_done: bool = False
    states: dict[str, str] = field(default_factory=dict)
    processed: dict[str, int] = field(default_factory=dict)
    failed: dict[str, int] = field(default_factory=dict)
    results: dict[str, int] = field(default_factory=dict)
    rows_downloaded: int = 0
    superseded: set[str] = field(default_factory=set)
    finished: bool = False
    stopped: bool = False

    def apply(self, event: ProgressEvent) -> None:
        self.operation = self.operation or event.operation
        self.object = self.object or event.object
        if event.kind == "start":
            self.kind = "query" if event.operation == "query" else "ingest"
            self.uploads_done = self.kind == "query"
            if event.total_rows is not None:
                self.total_rows = event.total_rows
        elif event.kind == "chunk_encoded":
            self.rows_encoded += event.rows
        elif event.kind == "chunk_uploaded":
            self.rows_uploaded += event.rows
        elif event.kind == "retry_chunk" and event.job_id:
            self.superseded.add(event.job_id)
        elif event.kind == "uploads_done":
            self.uploads_done = True
        elif event.kind == "results_downloaded" and event.job_id:
            self.results[event.job_id] = event.rows
        elif event.kind == "query_page":
            self.rows_downloaded += event.rows
        elif event.kind == "finish":
            self.finished = True
            self.stopped = event.message == "stopped"
        if event.job_id and event.state:
            self.states[event.job_id] = event.state
        if event.job_id and event.processed is not None:
            self.processed[event.job_id] = int(event.processed)
            self.failed[event.job_id] = int(event.failed or 0)
        if self.kind == "query" and event.state in _TERMINAL and event.processed is not None:
            self.total_rows = int(event.processed)  # the rows the result pages will hold

    # -- derived values ------------------------------------------------------------------
    @property
    def title(self) -> str:
        return f"{self.operation} {self.object or ''}".strip()

    def elapsed(self, now: float | None = None) -> float:
        return max(0.0, (time.monotonic() if now is None else now) - self.started)

    def _jobs(self) -> dict[str, str]:
        return {j: s for j, s in self.states.items() if j not in self.superseded}

    def job_ids(self) -> list[str]:
        """The run's jobs in the order they were created (superseded uploads left out)."""
        return list(self._jobs())

    def state_counts(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for state in self._jobs().values():
            counts[state] = counts.get(state, 0) + 1
        return {s: counts[s] for s in (*JOB_STATES, *sorted(counts)) if s in counts}

    @property
    def records_processed(self) -> int:
        return sum(n for j, n in self.processed.items() if j not in self.superseded)

    @property
    def records_failed(self) -> int:
        return sum(n for j, n in self.failed.items() if j not in self.superseded)

    @property
    def jobs_failed(self) -> int:
        return sum(1 for s in self._jobs().values() if s == "Failed")

    @property
    def phase(self) -> str:
        jobs = self._jobs()
        if self.finished:
            return "stopped" if self.stopped else "done"
        if not self.uploads_done:
            return "uploading" if self.kind == "ingest" else "processing"
        if not jobs or any(state not in _TERMINAL for state in jobs.values()):
            return "processing"
        return "downloading"

    def measure(self) -> tuple[int, int | None, str]:
        """The bar of the current phase: (count, total or None, what is counted)."""
        phase = self.phase
        known = self.total_rows
        if self.kind == "ingest" and self.uploads_done:
            known = self.rows_uploaded if known is None else known
        if phase == "uploading":
            return self.rows_uploaded, known, "rows uploaded"
        if phase == "processing":
            return self.records_processed, known, "processed"
        if self.kind == "query":
            return self.rows_downloaded, known, "rows downloaded"
        if phase == "downloading":
            done = sum(self.results.values())
            return done, self.records_processed or known, "results downloaded"
        return self.records_processed, known, "processed"


class _Renderer(Protocol):
    ticking: bool

    def update(self, run: RunProgress, event: ProgressEvent) -> None: ...

    def tick(self, run: RunProgress) -> None: ...

    def close(self, run: RunProgress) -> None: ...


class _Silent:
    ticking = False

    def update(self, run: RunProgress, event: ProgressEvent) -> None:
        pass

    def tick(self, run: RunProgress) -> None:
        pass

    def close(self, run: RunProgress) -> None:
        pass


class _Callback(_Silent):
    def __init__(self, user: Callable[[ProgressEvent], Any]) -> None:
        self._user = user

    def update(self, run: RunProgress, event: ProgressEvent) -> None:
        self._user(event)


class Reporter:
    """Collects events from worker threads into one :class:`RunProgress` and one renderer.

    A renderer that draws a bar is redrawn every ``redraw`` seconds by a daemon thread until
    :meth:`close` (which stops and joins it).
    """

    def __init__(
        self, renderer: _Renderer | None = None, *, redraw: float = REDRAW_SECONDS
    ) -> None:
        self.run = RunProgress()
        self._renderer: _Renderer = renderer or _Silent()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._redraw = redraw
        self._ticker: threading.Thread | None = None
        self._closed = False

    def emit(self, kind: EventKind, operation: str, **fields: Any) -> None:
        event = ProgressEvent(kind=kind, operation=operation, **fields)
        with self._lock:
            if self._closed:
                return
            self.run.apply(event)
            self._renderer.update(self.run, event)
        if self._renderer.ticking and self._ticker is None and not self.run.finished:
            self._start_ticker()

    def _start_ticker(self) -> None:
        with self._lock:
            if self._ticker is not None or self._closed:
                return
            self._ticker = threading.Thread(
                target=self._tick_loop, name="sfbulk-progress", daemon=True
            )
            self._ticker.start()

    def _tick_loop(self) -> None:
        while not self._stop.wait(self._redraw):
            with self._lock:
                if self._closed:
                    return
                try:
                    self._renderer.tick(self.run)
                except Exception as exc:  # a display problem must not break the load
                    logger.debug("progress redraw failed: %s", exc)

    def close(self) -> None:
        """Stop the redraw thread and draw the final state (idempotent)."""
        self._stop.set()
        ticker = self._ticker
        if ticker is not None and ticker is not threading.current_thread():
            ticker.join()
        with self._lock:
            if self._closed:
                return
            self._closed = True
            self._renderer.close(self.run)
