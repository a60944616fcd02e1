"""What the load and query commands print besides results: progress, logs, ``--quiet``,
``--json``, and a quiet end when stdout is a closed pipe (``sfbulk … | head``).

* ``--quiet``: no progress and no summary; errors only (stderr), the exit status says the rest.
* ``--json``: one JSON object on stdout (counts, job ids, result files, exit status) instead of
  the human summary; progress still goes to stderr unless ``--quiet``.
* Progress: a bar on a terminal; on a pipe or a file (cron, CI) plain log lines — one per
  phase and a heartbeat at most every 30 s — never ``\\r`` frames.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path
from typing import Any

from sfbulk_frames.cli.common import Printer, silence_stdout
from sfbulk_frames.pipeline.progress import Progress

__all__ = [
    "add_output_flags",
    "configure_logging",
    "count_input_rows",
    "print_json",
    "progress_for",
    "silence_stdout",
]

_LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def add_output_flags(group: Any) -> None:
    """``--no-progress``, ``--quiet`` and ``--json`` on an argument group."""
    group.add_argument("--no-progress", action="store_true", help="no progress bar or lines")
    group.add_argument(
        "-q",
        "--quiet",
        action="store_true",
        help="no progress and no summary: only errors, and the exit status",
    )
    group.add_argument(
        "--json",
        action="store_true",
        help="print a machine-readable summary (counts, job ids, files, exit "
        "status) on stdout instead of the human one",
    )


def progress_for(args: argparse.Namespace, total_rows: int | None = None) -> Progress | bool:
    """The ``progress=`` value the flags ask for (with the input's row total when known)."""
    if getattr(args, "quiet", False) or getattr(args, "no_progress", False):
        return False
    return Progress("auto", total_rows=total_rows)


def configure_logging(args: argparse.Namespace) -> None:
    """Send the library's INFO lines (progress phases, heartbeats, retries) to stderr when
    stderr is not a terminal and progress is wanted; a terminal gets the bar instead."""
    if not hasattr(args, "quiet"):  # only the commands with progress (loads, query, resume)
        return
    if args.quiet or getattr(args, "no_progress", False):
        return
    try:
        if sys.stderr.isatty():
            return
    except (AttributeError, ValueError):
        return
    library = logging.getLogger("sfbulk_frames")
    if any(getattr(h, "_sfbulk_cli", False) for h in library.handlers):
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter(_LOG_FORMAT))
    handler._sfbulk_cli = True  # type: ignore[attr-defined]
    library.addHandler(handler)
    library.setLevel(logging.INFO)


def count_input_rows(path: Path, fmt: str, separator: str = ",") -> int | None:
    """Rows in an input file, cheaply: parquet from its metadata, CSV with polars' quote-aware
    row count, NDJSON by its non-empty lines; None when the file cannot be counted."""
    import polars as pl

    try:
        if fmt == "parquet":
            return int(pl.scan_parquet(path).select(pl.len()).collect().item())
        if fmt == "csv":
            scan = pl.scan_csv(path, infer_schema=False, separator=separator)
            return int(scan.select(pl.len()).collect().item())
        lines = 0
        with path.open("rb") as handle:
            for line in handle:
                lines += bool(line.strip())
        return lines
    except (OSError, pl.exceptions.PolarsError):
        return None


def print_json(printer: Printer, payload: dict[str, Any]) -> None:
    """One JSON object on stdout (paths as strings)."""
    printer.out(json.dumps(payload, default=str))
    printer.json_written = True


