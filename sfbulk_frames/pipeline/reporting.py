"""The ``progress=`` argument of the public functions, turned into a :class:`Reporter`.

Here, not in :mod:`~sfbulk_frames.pipeline.progress`, because it joins the model (progress) and
the renderers (progress_views), and each of those two must not import the other back.
"""

from __future__ import annotations

from dataclasses import replace

from sfbulk_frames._exceptions import ConfigurationError
from sfbulk_frames.pipeline import progress_views as views
from sfbulk_frames.pipeline.progress import Progress, ProgressLike, Reporter, _Callback

__all__ = ["make_reporter"]


def make_reporter(progress: ProgressLike, *, desc: str = "") -> Reporter:
    """Build the reporter for a ``progress=`` argument. Raises ConfigurationError (a
    ``ValueError``) for a value it does not understand.

    ``desc`` is kept for callers that name the run; the title comes from the events.
    """
    if progress is None or progress is False:
        return Reporter()
    if isinstance(progress, Progress):
        settings = progress
    elif progress is True or progress == "auto":
        settings = Progress("auto")
    elif progress == "log":
        settings = Progress("log")
    elif callable(progress) and not isinstance(progress, str):
        return Reporter(_Callback(progress))
    else:
        raise ConfigurationError(
            f"progress={progress!r} is not understood; use 'auto', 'log', False, a callable "
            "or sfbulk_frames.pipeline.progress.Progress(...)"
        )
    renderer = views.renderer_for(settings)
    reporter = Reporter(renderer, redraw=settings.redraw)
    if settings.total_rows is not None:
        reporter.run = replace(reporter.run, total_rows=int(settings.total_rows))
    return reporter
