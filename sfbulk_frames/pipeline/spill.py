"""``results_dir=``: each finished job's parts go to parquet as they arrive, so a load holds
only the chunks in flight, whatever its size (layout:
:mod:`sfbulk_frames.frames.result.part_files`).
"""

from __future__ import annotations

import ctypes
import dataclasses
import functools
import sys
from collections.abc import Callable
from typing import Any

import polars as pl

from sfbulk_frames._models import JobInfo
from sfbulk_frames.frames.backend import backend_of
from sfbulk_frames.frames.joinback import MatchOutcome
from sfbulk_frames.frames.result import ROW, BulkResult
from sfbulk_frames.frames.result.part_files import PART_KINDS, PartFiles
from sfbulk_frames.pipeline.outcomes import Parts

__all__ = ["assemble_files", "release_freed_memory", "spill_chunk"]


@functools.cache
def _malloc_trim() -> Callable[[int], int] | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        trim: Callable[[int], int] = ctypes.CDLL(None).malloc_trim
    except (OSError, AttributeError):  # not glibc (e.g. musl)
        return None
    return trim


def release_freed_memory() -> None:
    """Hand the C heap's free pages back to the OS (glibc; a no-op elsewhere).

    Each job frees large buffers (its CSV upload, its result downloads) on a worker thread;
    glibc keeps such memory in per-thread arenas, so without this the process's RSS creeps up
    with the number of jobs although the load holds nothing more.
    """
    trim = _malloc_trim()
    if trim is not None:
        trim(0)


def _write_parts(files: PartFiles, parts: Parts, job: str | None, start: int | None) -> None:
    """Write ``parts``; files are named by ``start`` (the chunk's first row), else by each
    frame's first row."""
    for kind in PART_KINDS:
        for frame in getattr(parts, kind):
            first = start if start is not None else int(frame.get_column(ROW)[0])
            files.write(kind, first, job, frame)


def spill_chunk(
    files: PartFiles, rows: pl.DataFrame, outcome: MatchOutcome, infos: list[JobInfo]
) -> tuple[pl.DataFrame, MatchOutcome, list[JobInfo]]:
    """Write one finished chunk's parts (its input rows joined to the job's results) and
    return what the load still keeps of it: no rows, only the result rows that matched no
    input row (``unmatched``, kept in memory) and the job infos."""
    parts = Parts()
    parts.add(rows, outcome, infos)
    start = int(rows.get_column(ROW)[0]) if rows.height else 0
    _write_parts(files, parts, infos[0].id if infos else None, start)
    kept = dataclasses.replace(
        outcome,
        successful=outcome.successful.clear(),
        failed=outcome.failed.clear(),
        unprocessed=outcome.unprocessed.clear(),
    )
    return rows.clear(), kept, infos


def assemble_files(
    files: PartFiles, parts: Parts, df: Any, object: str, operation: str, columns: list[str]
) -> BulkResult[Any]:
    """The BulkResult over ``files``; ``parts`` holds what was not written yet (rows of a load
    that stopped part-way that no job reported on), which is written now."""
    _write_parts(files, parts, None, None)
    backend = backend_of(df)
    unmatched = (
        pl.concat(parts.unmatched, how="diagonal_relaxed") if parts.unmatched else pl.DataFrame()
    )
    return BulkResult(
        backend=backend,
        parts={},
        unmatched=unmatched,
        jobs=parts.jobs,
        object=object,
        operation=operation,
        input_columns=columns,
        pandas_source=df if backend == "pandas" else None,
        files=files,
    )
