"""Result parts on disk: one parquet file per job and part, read back on demand.

Layout under ``results_dir`` (what ``results_dir=`` of the load functions and the CLI's
``--output-dir`` write)::

    results_dir/successful/part-<first row>-<job id>.parquet
    results_dir/failed/part-<first row>-<job id>.parquet
    results_dir/unprocessed/part-<first row>-<job id>.parquet

``<first row>`` is the chunk's first input row position, zero-padded to 12 digits, so the
files sort in input order; rows no job reported on (a load that stopped part-way) are in
``part-<first row>-nojob.parquet``. Every file holds the input's own columns and dtypes, the
part's ``sf__`` columns and ``sf__Row``, rows in ``sf__Row`` order; a part with no rows in a job
has no file. Reading the files of a part in name order gives the part in input order.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator, Mapping
from pathlib import Path

import polars as pl

from sfbulk_frames._exceptions import ConfigurationError
from sfbulk_frames.frames.result.parts import PART_KINDS, ROW, SF_COLUMNS

__all__ = ["PART_KINDS", "PartFiles"]


class PartFiles(Mapping[str, pl.DataFrame]):
    """The parquet files of a load's parts; ``files["successful"]`` reads that part (every
    time: nothing is cached) and :meth:`scan` gives it lazily. Counts are kept as files are
    written, so :meth:`height` reads nothing."""

    def __init__(self, directory: str | os.PathLike[str], payload: Mapping[str, pl.DataType]):
        self.directory = Path(directory)
        self.schemas = {
            kind: {**payload, **SF_COLUMNS[kind], ROW: pl.Int64()} for kind in PART_KINDS
        }
        self._paths: dict[str, list[Path]] = {kind: [] for kind in PART_KINDS}
        self._heights = dict.fromkeys(PART_KINDS, 0)
        self._lock = threading.Lock()

    def prepare(self) -> None:
        """Create the folders; raise ConfigurationError when they hold another load's files."""
        for kind in PART_KINDS:
            folder = self.directory / kind
            try:
                folder.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise ConfigurationError(
                    f"results_dir {self.directory}: cannot create {folder} ({exc}); give a "
                    "directory this process may write to"
                ) from None
            if any(folder.glob("part-*.parquet")):
                raise ConfigurationError(
                    f"results_dir {self.directory} already holds result files in {folder}; "
                    "give an empty or new directory (or move the earlier load's files away)"
                )

    def write(self, kind: str, first_row: int, job: str | None, part: pl.DataFrame) -> None:
        """Write one job's rows of ``kind`` (input columns, sf__ columns, sf__Row)."""
        if part.height == 0:
            return
        wanted = self.schemas[kind]
        conformed = part.select(
            pl.col(name).cast(dtype)
            if name in part.columns
            else pl.lit(None, dtype=dtype).alias(name)
            for name, dtype in wanted.items()
        )
        path = self.directory / kind / f"part-{first_row:012d}-{job or 'nojob'}.parquet"
        conformed.write_parquet(path)
        with self._lock:  # jobs finish on several worker threads
            self._paths[kind].append(path)
            self._heights[kind] += part.height

    def paths(self, kind: str) -> list[Path]:
        """The files of ``kind`` in input order."""
        return sorted(self._paths[kind])

    def height(self, kind: str) -> int:
        return self._heights[kind]

    def scan(self, kind: str) -> pl.LazyFrame:
        """The part as a LazyFrame over its files, in input (``sf__Row``) order."""
        paths = self.paths(kind)
        if not paths:
            return pl.LazyFrame(schema=self.schemas[kind])
        return pl.scan_parquet(paths)

    def __getitem__(self, kind: str) -> pl.DataFrame:
        return self.scan(kind).collect()

    def __iter__(self) -> Iterator[str]:
        return iter(PART_KINDS)

    def __len__(self) -> int:
        return len(PART_KINDS)
