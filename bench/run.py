"""Benchmark sfbulk_frames against simple-salesforce and aiosalesforce, in one run.

    python -m bench --rows 1000000 --reps 2          # the full run (writes bench/RESULTS.md)
    python -m bench --rows 20000 --reps 3            # a smoke check in a minute or two

One ``sfbulk emulator`` server process (TLS, instant processing) serves every scenario; the org
is reset between runs. Each client runs in its own process (``bench/scenarios/``) on the same
parquet data; the harness checks the counts each run returns and the org's record count, and
marks a run FAILED instead of hiding it.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import platform
import resource
import shlex
import signal
import subprocess
import sys
import tempfile
import time
from importlib import metadata
from pathlib import Path
from types import FrameType
from typing import Any

import polars as pl

from bench import report
from bench.data import COLUMNS, OBJECT, SOQL, write_dataset
from bench.emulator_process import EmulatorProcess, cpu_count, cpu_description, memory_gb
from bench.results_md import render
from bench.scenarios._common import RESULT_PREFIX

CLIENT_MODULES = {
    "sfbulk_frames (polars)": "ours_polars",
    "sfbulk_frames (pandas)": "ours_pandas",
    "simple-salesforce": "simple_salesforce",
    "aiosalesforce": "aiosalesforce",
    "polars write_csv (floor)": "floor",
}
OFFERS = {
    "sfbulk_frames (polars)": ("serialize", "insert", "upsert", "query"),
    "sfbulk_frames (pandas)": ("serialize", "insert", "upsert", "query"),
    "simple-salesforce": ("serialize", "insert", "upsert", "query"),
    "aiosalesforce": ("serialize", "insert", "upsert"),
    "polars write_csv (floor)": ("serialize",),
}
OPS = ("serialize", "insert", "upsert", "query")
PACKAGES = ("sfbulk-frames", "polars", "pandas", "pyarrow", "numpy", "httpx", "uvicorn",
            "simple-salesforce", "requests", "aiosalesforce")
BENCH_DIR = Path(__file__).resolve().parent
DEFAULT_WORKDIR = Path(tempfile.gettempdir()) / "sfbulk-bench"


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="rows per scenario")
    parser.add_argument("--reps", type=int, default=3, help="repetitions of every scenario")
    parser.add_argument("--ops", nargs="+", choices=OPS, default=list(OPS))
    parser.add_argument("--clients", nargs="+", choices=list(CLIENT_MODULES),
                        default=list(CLIENT_MODULES), metavar="CLIENT")
    parser.add_argument("--seed", type=int, default=42, help="data seed")
    parser.add_argument("--workdir", type=Path, default=DEFAULT_WORKDIR,
                        help=f"data, raw runs.json and profiles (default: {DEFAULT_WORKDIR})")
    parser.add_argument("--out", type=Path, default=BENCH_DIR / "RESULTS.md")
    parser.add_argument("--profile-ops", nargs="*", choices=OPS,
                        default=["query", "serialize", "insert"],
                        help="after the measured runs, profile sfbulk_frames (polars) once in "
                             "these scenarios (CPU of all threads; none: no profiling)")
    return parser.parse_args(argv)


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _run_child(client: str, op: str, rows: int, data: Path, server: EmulatorProcess,
               profile: Path | None = None) -> dict[str, Any]:
    command = [sys.executable, "-m", f"bench.scenarios.{CLIENT_MODULES[client]}", "--op", op,
               "--rows", str(rows), "--data", str(data), "--url", server.url,
               "--token", server.token]
    if server.cert:
        command += ["--cert", server.cert]
    if profile is not None:
        command += ["--profile", str(profile)]
    cpu0, wall0 = _children_cpu(), time.perf_counter()
    try:
        done = subprocess.run(command, capture_output=True, text=True, cwd=BENCH_DIR.parent,
                              timeout=max(600.0, rows / 500), check=False)
        stdout, stderr = done.stdout, done.stderr
    except subprocess.TimeoutExpired as exc:
        stdout = exc.stdout.decode() if isinstance(exc.stdout, bytes) else (exc.stdout or "")
        stderr = "timed out"
    proc_wall, proc_cpu = time.perf_counter() - wall0, _children_cpu() - cpu0
    lines = [ln for ln in stdout.splitlines() if ln.startswith(RESULT_PREFIX)]
    if lines:
        result: dict[str, Any] = json.loads(lines[-1][len(RESULT_PREFIX):])
    else:
        result = {"client": client, "op": op, "ok": False, "error": "no result printed"}
    result.update(client=client, op=op, proc_wall_s=proc_wall, proc_cpu_s=proc_cpu)
    if not result.get("ok"):
        result["stderr_tail"] = stderr[-2000:]
    return result


def _check(run: dict[str, Any], rows: int, org_count: int | None) -> list[str]:
    """Correctness problems of one run (empty when it is right)."""
    if not run.get("ok"):
        return [f"error: {run.get('error')}"]
    counts = run.get("counts") or {}
    problems: list[str] = []
    if run["op"] in ("insert", "upsert"):
        total = sum(counts.get(k, 0) for k in ("successful", "failed", "unprocessed"))
        if total != rows:
            problems.append(f"successful+failed+unprocessed = {total:,}, expected {rows:,}")
        if counts.get("failed") or counts.get("unprocessed"):
            problems.append(f"{counts.get('failed', 0):,} failed and "
                            f"{counts.get('unprocessed', 0):,} unprocessed rows (valid data)")
        if run.get("distinct_keys") != counts.get("successful"):
            problems.append(f"{run.get('distinct_keys')} distinct external ids among "
                            f"{counts.get('successful')} successful rows")
        if org_count is not None and org_count != rows:
            problems.append(f"org holds {org_count:,} {OBJECT} records, expected {rows:,}")
    elif run["op"] == "query":
        if counts.get("rows") != rows or run.get("distinct_keys") != rows:
            problems.append(f"{counts.get('rows')} rows / {run.get('distinct_keys')} distinct "
                            f"external ids returned, expected {rows:,}")
    elif counts.get("rows") != rows or not run.get("bytes_out"):
        problems.append(f"serialized {counts.get('rows')} rows, expected {rows:,}")
    return problems


class Bench:
    """One benchmark run: data, server, measured runs, emulator timings, profiles."""

    def __init__(self, args: argparse.Namespace, workdir: Path) -> None:
        self.args = args
        self.workdir = workdir
        self.data = write_dataset(workdir, args.rows, args.seed)
        self.frame = pl.read_parquet(self.data)
        self.server = EmulatorProcess()
        self.runs: list[dict[str, Any]] = []
        self.emulator: dict[str, Any] = {}
        self.profiles: dict[str, str] = {}

    def _prepare(self, op: str) -> None:
        if op in ("insert", "upsert"):
            self.server.reset()
        if op == "upsert":  # half the rows exist already: the upsert updates them, inserts the rest
            self.server.load(self.frame.head(self.args.rows // 2), OBJECT)

    def measure(self, op: str, client: str, rep: int) -> None:
        """One measured run with its correctness checks."""
        self._prepare(op)
        run = _run_child(client, op, self.args.rows, self.data, self.server)
        org_count = self.server.count(OBJECT) if op in ("insert", "upsert") and run.get("ok") \
            else None
        run.update(rep=rep, org_count=org_count,
                   problems=_check(run, self.args.rows, org_count))
        self.runs.append(run)
        status = "ok" if not run["problems"] else "FAILED: " + "; ".join(run["problems"])
        print(f"  [{op:9}] {client:26} rep {rep}: wall {run.get('wall_s', 0):7.2f}s  "
              f"cpu {run.get('cpu_s', 0):7.2f}s  peak {run.get('peak_rss_mb', 0):6.0f} MB  "
              f"{status}", flush=True)

    def load_org_for_query(self) -> None:
        """Reset, insert the N rows with bare httpx and query them back: the org the query
        scenarios read, and the emulator's own ingest and query speed."""
        self.server.reset()
        load = self.server.load(self.frame, OBJECT)
        query = self.server.time_query(SOQL)
        self.emulator = {
            "ingest_rows_per_s": load.rows_per_s, "ingest_total_s": load.total_s,
            "ingest_process_s": load.process_s, "upload_s": load.upload_s,
            "query_rows_per_s": query.rows_per_s, "query_total_s": query.total_s,
            "query_pages": query.pages, "query_rows": query.rows,
        }
        print(f"  emulator: ingest {load.rows_per_s:,.0f} rows/s, "
              f"query {query.rows_per_s:,.0f} rows/s ({query.pages} pages)", flush=True)

    def profile(self, op: str) -> None:
        """Profile sfbulk_frames (polars) once in ``op``; keep the top functions as text."""
        client = "sfbulk_frames (polars)"
        if client not in self.args.clients or op not in OFFERS[client]:
            return
        self._prepare(op)
        path = self.workdir / f"profile_{op}.txt"
        run = _run_child(client, op, self.args.rows, self.data, self.server, profile=path)
        if not run.get("ok") or not path.exists():
            self.profiles[op] = f"(profiled run failed: {run.get('error')})"
            return
        self.profiles[op] = path.read_text()

    def run(self) -> None:
        """Every scenario, every client, every repetition; then emulator timings, profiles."""
        self.server.start()
        try:
            for op in self.args.ops:
                print(f"{op}:", flush=True)
                if op == "query":
                    self.load_org_for_query()
                for rep in range(1, self.args.reps + 1):
                    for client in self.args.clients:
                        if op in OFFERS[client]:
                            self.measure(op, client, rep)
            if "query" not in self.args.ops:
                self.load_org_for_query()
            # query first: the org still holds the N rows it reads
            for op in ("query", "serialize", "insert", "upsert"):
                if op in self.args.profile_ops and op in self.args.ops:
                    self.profile(op)
            self.emulator["server_peak_rss_mb"] = self.server.peak_rss_mb()
        finally:
            self.server.stop()


def _versions() -> str:
    found = []
    for name in PACKAGES:
        try:
            found.append(f"{name} {metadata.version(name)}")
        except metadata.PackageNotFoundError:
            found.append(f"{name} (not installed)")
    return ", ".join(found)


def _git_state() -> str:
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True,
                              text=True, cwd=BENCH_DIR, check=False).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain"], capture_output=True, text=True,
                               cwd=BENCH_DIR, check=False).stdout.strip()
    except OSError:
        return "unknown"
    return f"{head}{' + uncommitted changes' if dirty else ''}" if head else "unknown"


def _exit_on_sigterm(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(128 + signum)


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and write the results file; 1 when any run FAILED."""
    args = _parse(argv)
    signal.signal(signal.SIGTERM, _exit_on_sigterm)  # so the server and children are stopped
    command = "python -m bench " + " ".join(shlex.quote(a) for a in (argv or sys.argv[1:]))
    started = dt.datetime.now(dt.UTC)
    bench = Bench(args, args.workdir)
    print(f"{args.rows:,} rows x {len(COLUMNS)} columns, {args.reps} rep(s); "
          f"data {bench.data}", flush=True)
    bench.run()
    (args.workdir / "runs.json").write_text(json.dumps(bench.runs, indent=1, default=str))
    previous = args.out.read_text() if args.out.exists() else ""
    text = render(
        bench=bench, command=command, started=started, previous=previous,
        machine={"cpu": cpu_description(), "cores": cpu_count(), "ram_gb": memory_gb(),
                 "python": platform.python_version(), "os": platform.platform(),
                 "versions": _versions(), "git": _git_state()},
        input_frame_mb=bench.frame.estimated_size() / 1e6,
    )
    args.out.write_text(text)
    print(text)
    print(f"written to {args.out}")
    summaries = report.summarize(bench.runs)
    return 0 if all(s.ok for s in summaries.values()) else 1
