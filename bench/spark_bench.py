"""Spark write/read through ``sfbulk_frames.spark`` against the single-process functions.

    python -m bench.spark_bench --rows 100000

One ``sfbulk emulator`` server process (TLS, instant processing), one ``local[2]`` Spark
session, the same Widget__c rows (from one parquet file) for every scenario; the org is reset
before each load and counted after it. Prints a markdown table of wall time and rows/s, and the
per-partition overhead of the Spark shapes (a tiny load cut into 1 vs 8 partitions, one job
each). Needs the ``spark`` extra and Java.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import polars as pl

import sfbulk_frames as sfb
from bench.emulator_process import EmulatorProcess

SOQL = "SELECT Sku__c, Name, Weight__c, Quantity__c, InStock__c, LaunchDate__c FROM Widget__c"


def widgets(rows: int, seed: int = 0) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    return pl.DataFrame(
        {
            "Sku__c": [f"sku-{i}" for i in range(rows)],
            "Name": [f'Widget, {i} "q"' for i in range(rows)],
            "Weight__c": rng.random(rows).round(3),
            "Quantity__c": rng.integers(0, 1000, rows),
            "InStock__c": rng.random(rows) < 0.5,
            "LaunchDate__c": np.datetime64("2020-01-01") + (np.arange(rows) % 365),
        }
    )


def timed(fn: Callable[[], object]) -> tuple[float, object]:
    start = time.perf_counter()
    out = fn()
    return time.perf_counter() - start, out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--jobs", type=int, default=4, help="max_concurrent_jobs everywhere")
    args = parser.parse_args(argv)
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)

    from pyspark.sql import SparkSession

    import sfbulk_frames.spark as sfs

    work = Path(tempfile.mkdtemp(prefix="sfbulk-spark-bench-"))
    data = widgets(args.rows)
    data.write_parquet(work / "widgets.parquet", row_group_size=max(1, args.rows // 8))
    emu = EmulatorProcess()
    emu.start()
    results: list[tuple[str, int, float, str]] = []
    try:
        client = sfb.Client(emu.url, emu.token, verify=emu.cert or True)
        creds = sfs.SparkCredentials(emu.url, emu.token, verify=emu.cert or True)
        spark = (
            SparkSession.builder.master("local[2]")
            .config("spark.ui.enabled", "false")
            .config("spark.sql.shuffle.partitions", "2")
            .config("spark.sql.session.timeZone", "UTC")
            .getOrCreate()
        )
        spark.sparkContext.setLogLevel("ERROR")
        sfs.register(spark, credentials=creds, work_dir=str(work / "ds"))
        sdf = spark.read.parquet(str(work / "widgets.parquet")).repartition(8).cache()
        sdf.count()

        def check(label: str, seconds: float, expect: int) -> None:
            got = emu.count("Widget__c")
            note = "ok" if got == expect else f"ORG HAS {got} (expected {expect})"
            results.append((label, args.rows, seconds, note))

        emu.reset()
        s, _ = timed(
            lambda: sfb.upsert(
                data,
                "Widget__c",
                "Sku__c",
                client=client,
                max_concurrent_jobs=args.jobs,
                progress=False,
            )
        )
        check("single process: sfbulk_frames.upsert (polars)", s, args.rows)
        emu.reset()
        s, _ = timed(
            lambda: sfs.upsert(
                sdf,
                "Widget__c",
                "Sku__c",
                credentials=creds,
                work_dir=str(work / "fn"),
                max_concurrent_jobs=args.jobs,
            )
        )
        check("Spark: sfbulk_frames.spark.upsert (8 input partitions)", s, args.rows)
        emu.reset()
        s, _ = timed(
            lambda: (
                sdf.write.format("sfbulk")
                .option("object", "Widget__c")
                .option("operation", "upsert")
                .option("externalIdField", "Sku__c")
                .option("maxConcurrentJobs", str(args.jobs))
                .mode("append")
                .save()
            )
        )
        check("Spark: df.write.format('sfbulk') (8 partitions)", s, args.rows)

        s, frame = timed(lambda: sfb.query(SOQL, client=client, progress=False))
        assert isinstance(frame, pl.DataFrame)
        results.append(("single process: sfbulk_frames.query", frame.height, s, "ok"))
        load = spark.read.format("sfbulk").option("query", SOQL)
        s, count = timed(lambda: load.load().count())
        n = int(str(count))
        note = "ok" if n == args.rows else "ROWS MISMATCH"
        results.append(("Spark: spark.read.format('sfbulk') + count()", n, s, note))

        overhead = []
        tiny = sdf.limit(800).localCheckpoint(eager=True)
        for parts in (1, 8):
            emu.reset()
            s, _ = timed(
                lambda parts=parts: (
                    tiny.repartition(parts)
                    .write.format("sfbulk")
                    .option("object", "Widget__c")
                    .option("operation", "upsert")
                    .option("externalIdField", "Sku__c")
                    .option("maxConcurrentJobs", "8")
                    .mode("append")
                    .save()
                )
            )
            overhead.append(s)
        spark.stop()
    finally:
        emu.stop()
    print(
        f"\n{args.rows:,} Widget__c rows, emulator in its own process, local[2]; "
        f"max_concurrent_jobs={args.jobs}\n"
    )
    print("| scenario | rows | seconds | rows/s | check |\n|---|---:|---:|---:|---|")
    for label, rows, seconds, note in results:
        print(f"| {label} | {rows:,} | {seconds:.1f} | {rows / seconds:,.0f} | {note} |")
    per_partition = (overhead[1] - overhead[0]) / 7
    print(
        f"\nper-partition overhead (800 rows as 1 vs 8 partitions, one job each): "
        f"{overhead[0]:.1f} s vs {overhead[1]:.1f} s -> {per_partition:.2f} s per extra partition"
    )
    return 0 if all(r[3] == "ok" for r in results) else 1


if __name__ == "__main__":
    raise SystemExit(main())
