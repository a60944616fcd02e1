"""Memory that stays flat: peak client RSS of a parquet load with ``results_dir=`` and of a
``query(..., out=...)`` at a small and a 10x larger size.

    python -m bench.flat_memory --sizes 1000000 10000000
    python -m bench.flat_memory --sizes 50000 500000          # a smoke check

One ``sfbulk emulator`` server process (TLS, instant processing, org in an SQLite file so the
server's own memory does not limit the size); each measured call runs in a fresh client process
that samples its own RSS with psutil every 10 ms (and reads its ``VmHWM``). The input is a
folder of parquet files scanned lazily (``pl.scan_parquet``), never a frame in memory.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl

from bench.data import COLUMNS, OBJECT, SOQL, generate
from bench.emulator_process import EmulatorProcess

DEFAULT_WORKDIR = Path(tempfile.gettempdir()) / "sfbulk-flat-memory"
PIECE_ROWS = 250_000
RESULT = "FLAT-MEMORY-RESULT "


@dataclass
class DiskEmulator(EmulatorProcess):
    """The benchmark server with its org in an SQLite file."""

    db: str = ""

    def command(self) -> list[str]:
        return [*super().command(), "--db", self.db]


def write_source(folder: Path, rows: int, seed: int) -> None:
    """``rows`` benchmark rows as parquet files of PIECE_ROWS rows, with unique external ids."""
    folder.mkdir(parents=True, exist_ok=True)
    for n, start in enumerate(range(0, rows, PIECE_ROWS)):
        size = min(PIECE_ROWS, rows - start)
        piece = generate(size, seed=seed + n).with_columns(
            pl.format(
                "EXT-{}", pl.int_range(start, start + size).cast(pl.String).str.zfill(9)
            ).alias("ExternalId__c")
        )
        piece.select(COLUMNS).write_parquet(folder / f"piece-{n:05d}.parquet")


# --- the measured client process ---------------------------------------------------------


class RssSampler:
    """Samples this process's RSS every ``interval`` seconds in a thread; ``peak`` in MB."""

    def __init__(self, interval: float = 0.01) -> None:
        import psutil

        self._process = psutil.Process()
        self._interval = interval
        self._stop = threading.Event()
        self.peak = self.now()
        self.timeline: list[tuple[float, float]] = []  # (seconds, MB) once a second
        self._thread = threading.Thread(target=self._run, daemon=True)

    def now(self) -> float:
        return float(self._process.memory_info().rss) / 2**20

    def _run(self) -> None:
        start = next_mark = time.perf_counter()
        while not self._stop.wait(self._interval):
            now = self.now()
            self.peak = max(self.peak, now)
            if time.perf_counter() >= next_mark:
                self.timeline.append((round(time.perf_counter() - start, 1), round(now)))
                next_mark += 1.0

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self.now())


def _hwm_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def child(argv: list[str]) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("op", choices=("insert", "query"))
    parser.add_argument("--url", required=True)
    parser.add_argument("--token", required=True)
    parser.add_argument("--cert")
    parser.add_argument("--source", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--rows", type=int, required=True)
    parser.add_argument("--max-records", type=int, required=True)
    args = parser.parse_args(argv)

    import sfbulk_frames as sfb

    client = sfb.Client(args.url, args.token, verify=args.cert or True)
    baseline = RssSampler().now()
    started = time.perf_counter()
    with RssSampler() as sampler:
        if args.op == "insert":
            res = sfb.insert(
                pl.scan_parquet(args.source / "*.parquet"),
                OBJECT,
                client=client,
                results_dir=args.out,
                max_records=args.max_records,
                delete_jobs=True,
                progress=False,
            )
            counts = res.counts()
            rows = counts["successful"]
            check = pl.scan_parquet(args.out / "successful" / "*.parquet").select(pl.len())
            on_disk = int(check.collect().item())
            jobs = len(res.jobs)
        else:
            args.out.mkdir(parents=True, exist_ok=True)
            path = sfb.query(SOQL, client=client, out=args.out / "query.parquet", progress=False)
            rows = on_disk = int(pl.scan_parquet(path).select(pl.len()).collect().item())
            counts, jobs = {"rows": rows}, 1
    result = {
        "op": args.op,
        "rows": rows,
        "rows_on_disk": on_disk,
        "counts": counts,
        "jobs": jobs,
        "wall_s": time.perf_counter() - started,
        "baseline_mb": baseline,
        "peak_mb": sampler.peak,
        "vmhwm_mb": _hwm_mb(),
        "timeline": sampler.timeline,
    }
    print(RESULT + json.dumps(result), flush=True)
    return 0


# --- the harness --------------------------------------------------------------------------


def _measure(
    server: EmulatorProcess, op: str, source: Path, out: Path, rows: int, max_records: int
) -> dict[str, Any]:
    command = [
        sys.executable,
        "-m",
        "bench.flat_memory",
        "child",
        op,
        "--url",
        server.url,
        "--token",
        server.token,
        "--source",
        str(source),
        "--out",
        str(out),
        "--rows",
        str(rows),
        "--max-records",
        str(max_records),
    ]
    if server.cert:
        command += ["--cert", server.cert]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    for line in done.stdout.splitlines():
        if line.startswith(RESULT):
            result: dict[str, Any] = json.loads(line[len(RESULT) :])
            if result["rows"] != rows or result["rows_on_disk"] != rows:
                raise RuntimeError(f"{op} of {rows:,} rows returned {result}")
            return result
    raise RuntimeError(
        f"{op} of {rows:,} rows failed:\n{done.stdout[-2000:]}\n{done.stderr[-4000:]}"
    )


def _table(runs: list[dict[str, Any]], sizes: list[int]) -> str:
    lines = [
        "| call | rows | jobs | wall s | RSS after imports MB | peak RSS MB (psutil) "
        "| VmHWM MB | peak vs smaller size |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for run in runs:
        first = next(r for r in runs if r["op"] == run["op"] and r["rows"] == sizes[0])
        ratio = run["peak_mb"] / first["peak_mb"]
        call = (
            "insert(scan_parquet, results_dir=)" if run["op"] == "insert" else "query(out=.parquet)"
        )
        lines.append(
            f"| {call} | {run['rows']:,} | {run['jobs']} | {run['wall_s']:.1f} | "
            f"{run['baseline_mb']:.0f} | {run['peak_mb']:.0f} | {run['vmhwm_mb']:.0f} | "
            f"{ratio:.2f}x |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "child":
        return child(argv[1:])
    parser = argparse.ArgumentParser(
        prog="python -m bench.flat_memory", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--sizes", type=int, nargs=2, default=[1_000_000, 10_000_000])
    parser.add_argument(
        "--max-records",
        type=int,
        default=100_000,
        help="rows per job (default 100,000: several jobs at both sizes)",
    )
    parser.add_argument(
        "--ops", nargs="+", choices=("insert", "query"), default=["insert", "query"]
    )
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--workdir", type=Path, default=DEFAULT_WORKDIR)
    args = parser.parse_args(argv)

    shutil.rmtree(args.workdir, ignore_errors=True)
    args.workdir.mkdir(parents=True)
    server = DiskEmulator(db=str(args.workdir / "org.sqlite3"))
    server.start()
    runs: list[dict[str, Any]] = []
    try:
        for rows in args.sizes:
            source = args.workdir / f"source-{rows}"
            write_source(source, rows, args.seed)
            server.reset()
            for op in args.ops:
                out = args.workdir / f"{op}-{rows}"
                run = _measure(server, op, source, out, rows, args.max_records)
                runs.append(run)
                print(
                    f"{op} {rows:,} rows: peak {run['peak_mb']:.0f} MB "
                    f"(VmHWM {run['vmhwm_mb']:.0f} MB), {run['wall_s']:.1f}s; RSS MB by "
                    f"second: {[mb for _, mb in run['timeline']]}",
                    flush=True,
                )
                shutil.rmtree(out, ignore_errors=True)
            shutil.rmtree(source, ignore_errors=True)
        emulator_peak = server.peak_rss_mb()
    finally:
        server.stop()
    print()
    print(
        f"Run {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}: python -m bench.flat_memory "
        f"--sizes {args.sizes[0]} {args.sizes[1]} --max-records {args.max_records}"
    )
    print()
    print(_table(runs, args.sizes))
    print()
    print(f"emulator server peak RSS (its own process, not measured above): {emulator_peak:.0f} MB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
