"""How a run's progress is shown: a bar (terminal or notebook widget) or plain log lines.

Both read the same :class:`~sfbulk_frames.pipeline.progress.RunProgress`; every count is an
integer with thousands separators. The bar uses tqdm only to draw (``\\r`` on a terminal, a
widget in Jupyter); the text is composed here, so elapsed time, job states and the ETA are
the run's own, not tqdm's guesses.
"""

from __future__ import annotations

import importlib.util
import logging
import os
import sys
import time
from typing import TYPE_CHECKING, Any, cast

if TYPE_CHECKING:
    from sfbulk_frames.pipeline.progress import Mode, Progress, ProgressEvent, RunProgress

__all__ = [
    "ENV_MODES",
    "PROGRESS_ENV",
    "in_notebook",
    "log_line",
    "renderer_for",
    "status_text",
    "widget_style",
]

logger = logging.getLogger("sfbulk_frames")
PROGRESS_ENV = "SFBULK_PROGRESS"
"""Environment variable naming the mode ``progress="auto"`` resolves to (see ENV_MODES)."""
ENV_MODES = ("bar", "log", "notebook", "off")


def in_notebook() -> bool:
    """True inside a Jupyter kernel (not a plain IPython terminal)."""
    ipython = sys.modules.get("IPython")
    if ipython is None:
        return False
    try:
        shell = ipython.get_ipython()
    except Exception:
        return False
    return shell is not None and "IPKernelApp" in getattr(shell, "config", {})


def _has_ipywidgets() -> bool:
    return importlib.util.find_spec("ipywidgets") is not None


def _stderr_is_terminal() -> bool:
    try:
        return bool(sys.stderr.isatty())
    except (AttributeError, ValueError):
        return False


def _mode_from_environment() -> Mode | None:
    """The mode ``SFBULK_PROGRESS`` gives ``"auto"`` (None when unset or empty).

    Raises ConfigurationError for a value that is no mode.
    """
    from sfbulk_frames._exceptions import ConfigurationError

    value = os.environ.get(PROGRESS_ENV, "").strip().lower()
    if not value:
        return None
    if value not in ENV_MODES:
        raise ConfigurationError(
            f"{PROGRESS_ENV}={value!r} is no progress mode: set it to one of "
            f"{', '.join(ENV_MODES)}, or unset it to let progress='auto' choose"
        )
    return cast("Mode", value)


def renderer_for(settings: Progress) -> Any:
    """The renderer of a :class:`Progress` setting (``auto`` decided here, once).

    ``auto`` takes the mode in the ``SFBULK_PROGRESS`` environment variable when it is set
    (e.g. ``bar`` for a text bar in a notebook even with ipywidgets installed).
    """
    from sfbulk_frames.pipeline.progress import _Silent

    mode = settings.mode
    if mode == "auto":
        mode = _mode_from_environment() or "auto"
    if mode == "auto":
        if in_notebook():
            mode = "notebook" if _has_ipywidgets() else "bar"
        else:
            mode = "bar" if _stderr_is_terminal() else "log"
    if mode == "off":
        return _Silent()
    if mode == "log":
        return LogLines(settings.heartbeat)
    if mode == "notebook" and not _has_ipywidgets():
        mode = "bar"
    return Bar(notebook=mode == "notebook")


# -- text ---------------------------------------------------------------------------------


def clock(seconds: float) -> str:
    """``83.2`` -> ``01:23``; ``3723`` -> ``1:02:03``."""
    whole = int(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes:02d}:{secs:02d}"


def _seconds(seconds: float) -> str:
    """Elapsed time for log lines: ``12.3s``, ``2m05s``, ``1h02m``."""
    if seconds < 60:
        return f"{seconds:.1f}s"
    minutes = int(seconds) // 60
    if minutes < 60:
        return f"{minutes}m{int(seconds) % 60:02d}s"
    return f"{minutes // 60}h{minutes % 60:02d}m"


def _states(run: RunProgress) -> str:
    counts = run.state_counts()
    return ", ".join(f"{n:,} {state}" for state, n in counts.items())


def _job_word(n: int) -> str:
    return f"{n:,} job" if n == 1 else f"{n:,} jobs"


def status_text(run: RunProgress, sep: str = " · ") -> str:
    """Jobs and their states, failed records and downloaded results (no rows, no time)."""
    parts = []
    jobs = run.state_counts()
    if jobs:
        parts.append(f"{_job_word(sum(jobs.values()))}: {_states(run)}")
    if run.kind == "ingest" and run.processed:
        parts.append(f"failed {run.records_failed:,}")
    if run.kind == "ingest" and run.results:
        parts.append(f"results {len(run.results):,}/{sum(jobs.values()):,}")
    return sep.join(parts)


class _Eta:
    """Seconds left in the current phase, from that phase's own rate."""

    def __init__(self) -> None:
        self._phase = ""
        self._t0 = 0.0
        self._n0 = 0

    def __call__(self, phase: str, n: int, total: int | None, now: float) -> float | None:
        if phase != self._phase:
            self._phase, self._t0, self._n0 = phase, now, n
            return None
        if total is None or n >= total:
            return 0.0 if total is not None else None
        done, spent = n - self._n0, now - self._t0
        if done <= 0 or spent <= 0:
            return None
        return (total - n) * spent / done


def log_line(run: RunProgress, *, heartbeat: bool = False) -> str:
    """One plain line: phase, rows, jobs and states, counters, elapsed time."""
    n, total, what = run.measure()
    rows = f"{what} {n:,}" + (f"/{total:,}" if total is not None else "")
    pieces = [rows]
    status = status_text(run, sep="; ")
    if status:
        pieces.append(status)
    pieces.append(f"elapsed {_seconds(run.elapsed())}")
    if run.phase == "processing" and not heartbeat and run.kind == "ingest":
        # once, when every chunk is uploaded: what sfbulk_frames.resume() needs after a crash
        pieces.append("job ids " + ", ".join(run.job_ids()))
    phase = f"still {run.phase}" if heartbeat else run.phase
    return f"{run.title}: {phase}; " + "; ".join(pieces)


# -- renderers ----------------------------------------------------------------------------


class LogLines:
    """One INFO line per phase change and at most one heartbeat line every ``heartbeat`` s."""

    ticking = True

    def __init__(self, heartbeat: float) -> None:
        self.heartbeat = heartbeat
        self._phase: str | None = None
        self._last = time.monotonic()

    def _line(self, run: RunProgress, *, heartbeat: bool) -> None:
        logger.info("%s", log_line(run, heartbeat=heartbeat))
        self._last = time.monotonic()

    def update(self, run: RunProgress, event: ProgressEvent) -> None:
        if event.kind == "start":
            self._last = time.monotonic()
        if run.phase != self._phase:
            self._phase = run.phase
            self._line(run, heartbeat=False)

    def tick(self, run: RunProgress) -> None:
        if run.finished or self._phase is None:
            return
        if time.monotonic() - self._last >= self.heartbeat:
            self._line(run, heartbeat=True)

    def close(self, run: RunProgress) -> None:
        if run.phase != self._phase and self._phase is not None:
            self._line(run, heartbeat=False)


def widget_style(run: RunProgress, total: int | None) -> str:
    """The notebook bar's colour: red when a job failed or the run stopped, orange when
    records failed, green only when a finished run had no failure."""
    if run.jobs_failed or run.stopped:
        return "danger"
    if run.records_failed:
        return "warning"
    if run.finished:
        return "success"
    return "info" if total is None else ""


def _escape(text: str) -> str:
    return text.replace("{", "{{").replace("}", "}}")


class Bar:
    """A tqdm bar on stderr (``\\r`` frames) or a tqdm.notebook widget, redrawn on a timer.

    The widget turns red when a job failed or the run stopped, orange when records failed,
    green only when nothing failed.
    """

    ticking = True
    MIN_EVENT_REDRAW = 0.1
    MIN_BAR = 10

    def __init__(self, *, notebook: bool) -> None:
        self.notebook = notebook
        self._bar: Any = None
        self._eta = _Eta()
        self._drawn = 0.0
        self._phase = ""

    def _make(self, total: int | None) -> Any:
        if self.notebook:
            from tqdm.notebook import tqdm as notebook_tqdm

            return notebook_tqdm(total=total, bar_format="{desc}{bar}", leave=True)
        from tqdm import tqdm

        return tqdm(
            total=total,
            file=sys.stderr,
            dynamic_ncols=True,
            leave=True,
            bar_format="{desc}{bar}",
            mininterval=0,
        )

    def _texts(self, run: RunProgress) -> tuple[str, str, int, int | None]:
        """The text left and right of the bar; the right part's pieces, most important first,
        are dropped from the end when the terminal is too narrow to keep a bar."""
        n, total, what = run.measure()
        total = total or None
        now = time.monotonic()
        eta = self._eta(run.phase, n, total, now)
        left = f"{run.title} · {run.phase} {clock(run.elapsed(now))} "
        pieces = [f"{n:,}/{total:,}" if total is not None else f"{n:,} {what}"]
        jobs = run.state_counts()
        if jobs:
            pieces.append("jobs " + _states(run))
        if total is not None and not run.finished:
            pieces.append(f"ETA {clock(eta)}" if eta is not None else "ETA --:--")
        if run.kind == "ingest" and run.processed:
            pieces.append(f"failed {run.records_failed:,}")
        if run.kind == "ingest" and run.results:
            pieces.append(f"results {len(run.results):,}/{sum(jobs.values()):,}")
        if run.kind == "ingest" and run.phase == "uploading" and run.rows_encoded > n:
            pieces.append(f"encoded {run.rows_encoded:,}")
        room = self._width() - len(left) - (self.MIN_BAR + 2 if total is not None else 3)
        while len(pieces) > 1 and len(" · ".join(pieces)) + 1 > room:
            pieces.pop()
        return left, " " + " · ".join(pieces), n, total

    def _width(self) -> int:
        if self.notebook:
            return 10_000
        try:
            return os.get_terminal_size(sys.stderr.fileno()).columns or 100
        except (OSError, ValueError, AttributeError):
            return 100

    def draw(self, run: RunProgress) -> None:
        left, right, n, total = self._texts(run)
        if self._bar is None:
            self._bar = self._make(total)
        bar = self._bar
        bar.total = total
        bar.n = min(n, total) if total is not None else n
        if total is not None:
            bar.bar_format = _escape(left) + "|{bar}|" + _escape(right)
        else:
            bar.bar_format = _escape(left + "·" + right)
        if self.notebook:
            self._style_widget(run, total)
        bar.refresh()
        self._drawn = time.monotonic()

    def _style_widget(self, run: RunProgress, total: int | None) -> None:
        widget = self._bar.container.children[1]
        widget.max = total if total is not None else 1
        if total is None:
            widget.value = 1
        widget.bar_style = widget_style(run, total)

    def update(self, run: RunProgress, event: ProgressEvent) -> None:
        if event.kind == "start" and self._bar is None:
            self.draw(run)
            return
        changed = run.phase != self._phase
        self._phase = run.phase
        if changed or time.monotonic() - self._drawn >= self.MIN_EVENT_REDRAW:
            self.draw(run)

    def tick(self, run: RunProgress) -> None:
        if self._bar is not None:
            self.draw(run)

    def close(self, run: RunProgress) -> None:
        if self._bar is None:
            return
        self.draw(run)
        self._bar.close()
        if self.notebook:  # tqdm.notebook paints "success" whenever n == total
            self._style_widget(run, self._bar.total or None)
