"""Query CPU against its floor: our typed polars ``query()`` next to the same result pages
downloaded with bare httpx and read with ``polars.read_csv`` using the final schema.

    python -m bench.query_floor --rows 1000000 --reps 3
    python -m bench.query_floor --rows 100000 --reps 2 --profile   # + cProfile of ours

One ``sfbulk emulator`` server process (TLS, instant processing) holds the rows; both readers
run in this process, alternating, and the CPU time of this process (every thread) is measured
from the job's creation to the final frame. The floor's frame must equal ours.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import time
from collections.abc import Callable
from typing import Any

import polars as pl
from polars.testing import assert_frame_equal

from bench.data import OBJECT, SOQL, generate
from bench.emulator_process import API, EmulatorProcess


def _cpu() -> float:
    return time.process_time()


def floor_query(
    server: EmulatorProcess, schema: dict[str, pl.DataType], keep: list[bytes] | None = None
) -> pl.DataFrame:
    """The job run and its pages read as simply as possible: the typed-query floor. The page
    bodies are appended to ``keep`` when given."""
    with server.http() as http:
        job = http.post(
            f"/services/data/{API}/jobs/query", json={"operation": "query", "query": SOQL}
        ).json()
        path = f"/services/data/{API}/jobs/query/{job['id']}"
        delay = 0.05
        while http.get(path).json()["state"] != "JobComplete":
            time.sleep(delay)
            delay = min(delay * 2, 0.5)
        frames = []
        locator: str | None = None
        while True:
            page = http.get(f"{path}/results", params={"locator": locator} if locator else {})
            page.raise_for_status()
            frames.append(pl.read_csv(page.content, schema=schema))
            if keep is not None:
                keep.append(page.content)
            locator = page.headers.get("Sforce-Locator")
            if not locator or locator == "null":
                break
        http.delete(path)
    return pl.concat(frames)


def _measured(run: Callable[[], pl.DataFrame]) -> tuple[pl.DataFrame, float, float]:
    cpu, wall = _cpu(), time.perf_counter()
    frame = run()
    return frame, _cpu() - cpu, time.perf_counter() - wall


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.query_floor", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument(
        "--profile",
        action="store_true",
        help="also profile one run of ours with cProfile (top 25 by own time)",
    )
    args = parser.parse_args(argv)

    import sfbulk_frames as sfb

    server = EmulatorProcess()
    server.start()
    try:
        server.load(generate(args.rows, seed=args.seed), OBJECT)
        client = sfb.Client(server.url, server.token, verify=server.cert or True)

        def ours() -> pl.DataFrame:
            return sfb.query(SOQL, client=client, progress=False)

        first = ours()  # warm-up (describe cache, imports); gives the final schema
        schema = dict(first.schema)
        del first
        runs: dict[str, list[tuple[float, float]]] = {
            "floor": [],
            "ours": [],
            "parse floor": [],
            "parse ours": [],
        }
        for _ in range(args.reps):
            floor_frame, cpu, wall = _measured(lambda: floor_query(server, schema))
            runs["floor"].append((cpu, wall))
            our_frame, cpu, wall = _measured(ours)
            runs["ours"].append((cpu, wall))
            # Salesforce writes a null text field as "", which read_csv keeps as "": the floor
            # does not pay for turning it into null (ours does); compare after doing it here
            assert_frame_equal(
                our_frame,
                floor_frame.with_columns(
                    pl.when(pl.col(pl.String) != "").then(pl.col(pl.String)).name.keep()
                ),
            )
            del floor_frame, our_frame
        # parsing alone, on the same page bodies: read_csv with the final schema vs ours
        from sfbulk_frames.frames.decode import parse_query_page
        from sfbulk_frames.pipeline.query import ColumnTyper

        pages: list[bytes] = []
        floor_query(server, schema, keep=pages)
        columns = ColumnTyper(client, OBJECT).columns(list(schema))
        for _ in range(args.reps):
            _, cpu, wall = _measured(
                lambda: pl.concat([pl.read_csv(p, schema=schema) for p in pages])
            )
            runs["parse floor"].append((cpu, wall))
            _, cpu, wall = _measured(
                lambda: pl.concat([parse_query_page(p, columns) for p in pages])
            )
            runs["parse ours"].append((cpu, wall))
        if args.profile:
            profiler = cProfile.Profile()
            profiler.runcall(ours)
            out = io.StringIO()
            pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(25)
            print(out.getvalue())
    finally:
        server.stop()

    best: dict[str, Any] = {name: min(values) for name, values in runs.items()}
    print(
        f"Run {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}: python -m bench.query_floor "
        f"--rows {args.rows} --reps {args.reps} (best of {args.reps}; CPU of this process, "
        "all threads)"
    )
    print()
    print("| reader | CPU s | wall s | CPU vs floor |")
    print("|---|---:|---:|---:|")
    for name, label, floor in (
        ("floor", "job + pages with httpx + polars.read_csv(schema=final) (floor)", "floor"),
        ("ours", "sfbulk_frames.query() (polars, typed)", "floor"),
        ("parse floor", "parsing only: read_csv(schema=final) of the same pages", "parse floor"),
        ("parse ours", "parsing only: our parse_query_page of the same pages", "parse floor"),
    ):
        cpu, wall = best[name]
        print(f"| {label} | {cpu:.2f} | {wall:.2f} | {cpu / best[floor][0]:.2f}x |")
    print()
    print(
        "all runs (CPU s, wall s): "
        + "; ".join(
            f"{name} " + ", ".join(f"({c:.2f}, {w:.2f})" for c, w in values)
            for name, values in runs.items()
        )
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
