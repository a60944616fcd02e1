"""What preflight costs next to the encoder, on the same frame in the same run.

    python bench/preflight_cost.py [rows]

Builds the benchmark's Contact frame (``bench.data.generate``, default 1,000,000 rows x 8
columns) in three shapes: as generated (typed polars), pandas-style (dates as midnight
datetimes and integers as floats, so the date and whole-number conversions run) and all text
(a CSV read as text, as the CLI does). For each shape it times, best of 5:

* the encoder: ``iter_chunks`` over 100k-row batches (cells, CSV bytes, 95 MB chunks) with the
  conversions preflight chose;
* preflight "columns": :func:`sfbulk_frames.pipeline.preflight.prepare` (describe from the
  client's cache, the column plan, the midnight check of datetime columns bound for date
  fields: ``prepare s``) plus what the conversions add to the encoder (``encoder s`` minus
  ``no-conv s``, the encoder without them; clipped at 0);
* preflight "rows": the same plus the row checks of every batch (:class:`RowGate` filtering).

Describe comes from an in-process emulator; its first (uncached) call is timed separately
because it is one HTTP request per object, whatever the frame size.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import polars as pl

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.data import generate
from sfbulk_frames.emulator import Emulator
from sfbulk_frames.frames.backend import iter_batches
from sfbulk_frames.frames.encode import EncodeOptions, iter_chunks
from sfbulk_frames.pipeline.preflight import PreflightMode, prepare

BATCH_ROWS = 100_000
REPEAT = 5
PLAIN = EncodeOptions()


def best_of(fn: Callable[[], object], repeat: int = 3) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def best_of_pair(
    first: Callable[[], object], second: Callable[[], object], repeat: int
) -> tuple[float, float]:
    """Best times of two functions run alternately ``repeat`` times each."""
    a, b = [], []
    for _ in range(repeat):
        for fn, times in ((first, a), (second, b)):
            t0 = time.perf_counter()
            fn()
            times.append(time.perf_counter() - t0)
    return min(a), min(b)


def shapes(rows: int) -> dict[str, pl.DataFrame]:
    typed = generate(rows)
    pandas_style = typed.with_columns(
        pl.col("Birthdate").cast(pl.Datetime("ns")),
        pl.col("NumberOfChildren__c").cast(pl.Float64),
    )
    text = typed.select(pl.all().cast(pl.String))
    return {"typed polars": typed, "pandas-style": pandas_style, "all text (CSV)": text}


def encode(frame: pl.DataFrame, options: EncodeOptions) -> int:
    return sum(len(c.data) for c in iter_chunks(iter_batches(frame, BATCH_ROWS), options))


def main() -> None:
    rows = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    print(f"{rows:,} rows x 8 columns, upsert Contact by ExternalId__c (polars {pl.__version__})")
    with Emulator() as emu, emu.client() as client:
        t0 = time.perf_counter()
        client.describe("Contact")
        took = time.perf_counter() - t0
        print(f"describe Contact (first call, in-process emulator): {took:.3f} s")
        header = (
            f"{'frame':<15} {'encoder s':>9} {'no-conv s':>9} {'prepare s':>9} "
            f"{'columns s':>9} {'columns %':>9} {'rows s':>7} {'rows %':>7}"
        )
        print(header)
        print("-" * len(header))

        def upsert_preflight(frame: pl.DataFrame, schema: dict, mode: PreflightMode) -> Any:
            return prepare(
                client,
                frame,
                schema,
                object_name="Contact",
                operation="upsert",
                external_id_field="ExternalId__c",
                options=PLAIN,
                mode=mode,
            )

        for name, frame in shapes(rows).items():
            schema = dict(frame.schema)

            def columns(frame: pl.DataFrame = frame, schema: dict = schema) -> EncodeOptions:
                options, _, _ = upsert_preflight(frame, schema, "columns")
                return options

            converted = columns()

            def rows_pass(frame: pl.DataFrame = frame, schema: dict = schema) -> int:
                _, _, gate = upsert_preflight(frame, schema, "rows")
                assert gate is not None
                return sum(b.height for b in gate.filter(iter_batches(frame, BATCH_ROWS)))

            if converted.conversions:  # interleaved, so load changes hit both alike
                encoder_s, unconverted_s = best_of_pair(
                    lambda f=frame, o=converted: encode(f, o),
                    lambda f=frame: encode(f, PLAIN),
                    REPEAT,
                )
            else:
                encoder_s = unconverted_s = best_of(lambda f=frame: encode(f, PLAIN), REPEAT)
            conversion_s = max(0.0, encoder_s - unconverted_s)
            prepare_s = best_of(columns, REPEAT)
            columns_s = prepare_s + conversion_s
            rows_s = best_of(rows_pass, REPEAT) + conversion_s
            print(
                f"{name:<15} {encoder_s:9.3f} {unconverted_s:9.3f} {prepare_s:9.3f} "
                f"{columns_s:9.3f} {100 * columns_s / encoder_s:8.1f}% {rows_s:7.3f} "
                f"{100 * rows_s / encoder_s:6.1f}%"
            )
            if converted.conversions:
                print(f"{'':<15} conversions: {dict(converted.conversions)}")


if __name__ == "__main__":
    main()
