"""Encode throughput: sfbulk_frames' encoder vs plain ``polars.DataFrame.write_csv``.

    python bench/encode_throughput.py [rows]

Builds ``rows`` (default 1,000,000) x 8 columns of mixed types once, then times in the same run
(best of 3): plain ``write_csv`` of the frame, ``encode_batch`` alone (dtype rules -> text
cells), and the full ``iter_chunks`` (cells + CSV bytes + record lengths + 95 MB chunks).
"""

from __future__ import annotations

import datetime as dt
import io
import sys
import time
from collections.abc import Callable

import numpy as np
import polars as pl

from sfbulk_frames.frames.backend import iter_batches
from sfbulk_frames.frames.encode import EncodeOptions, encode_batch, iter_chunks


def mixed_frame(rows: int) -> pl.DataFrame:
    rng = np.random.default_rng(0)
    words = np.array(["alpha", "beta, gamma", 'quote "q"', "line\nbreak", "Ünïcödé", ""])
    start = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)
    return pl.DataFrame({
        "Name": [f"Contact {i}" for i in range(rows)],
        "Description": words[rng.integers(0, len(words), rows)],
        "Employees": pl.Series(rng.integers(0, 10_000, rows)).set(
            pl.Series(rng.random(rows) < 0.1), None),
        "Score": rng.normal(1e6, 1e5, rows),
        "Active": rng.random(rows) < 0.5,
        "Since": pl.date_range(dt.date(2000, 1, 1), dt.date(2000, 1, 1) + dt.timedelta(rows - 1),
                               eager=True),
        "Seen": pl.datetime_range(start, start + dt.timedelta(seconds=rows - 1), "1s",
                                  eager=True, time_zone="UTC"),
        "Stage": pl.Series(rng.choice(["New", "Won", "Lost"], rows)).cast(pl.Categorical),
    })


def best_of(fn: Callable[[], int], repeat: int = 3) -> tuple[float, int]:
    times, size = [], 0
    for _ in range(repeat):
        t0 = time.perf_counter()
        size = fn()
        times.append(time.perf_counter() - t0)
    return min(times), size


def main() -> None:
    rows = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    frame = mixed_frame(rows)
    options = EncodeOptions()

    def plain() -> int:
        buffer = io.BytesIO()
        frame.write_csv(buffer)
        return buffer.getbuffer().nbytes

    def cells_only() -> int:
        encode_batch(frame, options)
        return 0

    def full() -> int:
        return sum(len(c.data) for c in iter_chunks(iter_batches(frame, 100_000), options))

    plain_s, plain_bytes = best_of(plain)
    cells_s, _ = best_of(cells_only)
    full_s, full_bytes = best_of(full)
    mb = 1e6
    print(f"{rows:,} rows x {frame.width} columns (polars {pl.__version__})")
    print(f"plain write_csv      : {plain_s:6.2f} s  {plain_bytes / mb:7.1f} MB  "
          f"{plain_bytes / mb / plain_s:7.1f} MB/s")
    print(f"encode_batch (cells) : {cells_s:6.2f} s")
    print(f"iter_chunks (full)   : {full_s:6.2f} s  {full_bytes / mb:7.1f} MB  "
          f"{full_bytes / mb / full_s:7.1f} MB/s  ({full_s / plain_s:.1f}x write_csv time)")


if __name__ == "__main__":
    main()
