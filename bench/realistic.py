"""A Salesforce that takes its time: every client against the emulator's performance model.

    python -m bench.realistic                      # both presets, writes bench/RESULTS.md
    python -m bench.realistic --rows 20000 --presets busy --ops insert   # a smoke check

One ``sfbulk emulator --performance <preset> --time-scale <s>`` server process per preset
(TLS); each client runs in its own process (``bench/scenarios/``) on the same parquet data, as
in ``python -m bench``. Every wall time is reported next to the modelled lower bound of the
preset (:meth:`PerformanceModel.lower_bound`). Then the lock-contention scenario: Contacts of
shared Accounts loaded with and without ``group_by_parent``.

Scale: 1,000,000 rows under the presets take 1.5-5 minutes per client and operation (about 90
minutes for every client under both presets on a shared 2-core machine), so the default is
``--rows`` 100,000 (a tenth) and, for the busy preset, ``time_scale`` 0.4 (every modelled
duration x0.4). The bound is computed from the same scaled model, so wall/bound and
client/client ratios keep their meaning.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from bench.data import COLUMNS, OBJECT, SOQL, write_dataset
from bench.emulator_process import EmulatorProcess
from bench.realistic_md import render_section, write_section
from bench.run import _check
from bench.scenarios._common import RESULT_PREFIX
from sfbulk_frames.emulator.models.performance import PRESETS, PerformanceModel
from sfbulk_frames.frames.sizing import records_per_job

BENCH_DIR = Path(__file__).resolve().parent
DEFAULT_SCALES = {"fast": 1.0, "busy": 0.4}
CONCURRENCY = 4  # sfbulk_frames' default max_concurrent_jobs


@dataclass(frozen=True)
class Row:
    """One line of a table: a client module run with a variant."""

    label: str
    module: str
    variant: str
    peer: bool
    ops: tuple[str, ...]


ROWS = (
    Row("sfbulk_frames (polars)", "ours_polars", "defaults", False, ("insert", "upsert", "query")),
    Row("sfbulk_frames (pandas)", "ours_pandas", "defaults", False, ("insert", "upsert", "query")),
    Row(
        "simple-salesforce (defaults)",
        "simple_salesforce",
        "defaults",
        True,
        ("insert", "upsert", "query"),
    ),
    Row(
        "simple-salesforce (tuned)",
        "simple_salesforce",
        "tuned",
        True,
        ("insert", "upsert", "query"),
    ),
    Row("aiosalesforce (defaults)", "aiosalesforce", "defaults", True, ("insert", "upsert")),
    Row("aiosalesforce (tuned)", "aiosalesforce", "tuned", True, ("insert", "upsert")),
)


class ModelledEmulator(EmulatorProcess):
    """The benchmark's server with a performance preset."""

    def __init__(self, preset: str, scale: float) -> None:
        super().__init__()
        self.preset, self.scale = preset, scale

    def command(self) -> list[str]:
        # background: the emulator applies batches in its worker, so its own processing does
        # not hold up other requests; the model decides when each job is shown done
        command = [("background" if part == "instant" else part) for part in super().command()]
        return [*command, "--performance", self.preset, "--time-scale", str(self.scale)]


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.realistic", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--presets", nargs="+", choices=sorted(PRESETS), default=["fast", "busy"])
    parser.add_argument(
        "--scale",
        nargs="*",
        default=[],
        metavar="PRESET=S",
        help="time scale per preset (default: fast=1.0 busy=0.4)",
    )
    parser.add_argument(
        "--ops",
        nargs="+",
        default=["insert", "upsert", "query", "lock"],
        choices=["insert", "upsert", "query", "lock"],
    )
    parser.add_argument("--lock-rows", type=int, default=40_000)
    parser.add_argument("--accounts", type=int, default=400)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/sfbulk-bench-realistic"))
    parser.add_argument("--out", type=Path, default=BENCH_DIR / "RESULTS.md")
    parser.add_argument(
        "--render-only",
        action="store_true",
        help="rewrite the section from the last run's realistic.json (same workdir), with "
        "the bounds computed again by this version of the formulas; measures nothing",
    )
    parser.add_argument(
        "--rerun-failed",
        action="store_true",
        help="run again only the FAILED runs of the last run's realistic.json "
        "(same workdir) and rewrite the section with the rest kept",
    )
    return parser.parse_args(argv)


def _child(
    row: Row, op: str, rows: int, data: Path, server: EmulatorProcess, per_job: int
) -> dict[str, Any]:
    command = [
        sys.executable,
        "-m",
        f"bench.scenarios.{row.module}",
        "--op",
        op,
        "--rows",
        str(rows),
        "--data",
        str(data),
        "--url",
        server.url,
        "--token",
        server.token,
        "--variant",
        row.variant,
        "--records-per-job",
        str(per_job),
    ]
    if server.cert:
        command += ["--cert", server.cert]
    done = subprocess.run(
        command, capture_output=True, text=True, cwd=BENCH_DIR.parent, timeout=900, check=False
    )
    lines = [ln for ln in done.stdout.splitlines() if ln.startswith(RESULT_PREFIX)]
    result: dict[str, Any] = (
        json.loads(lines[-1][len(RESULT_PREFIX) :])
        if lines
        else {"ok": False, "error": "no result printed"}
    )
    result.update(client=row.label, op=op, peer=row.peer)
    if not result.get("ok"):
        result["stderr_tail"] = done.stderr[-1500:]
    return result


def bound(model: PerformanceModel, op: str, rows: int, csv_bytes: int) -> float:
    """The modelled lower bound of one operation, plus the round trips that cannot overlap
    (ingest: create, upload, close, a poll, three result sets; query: create, a poll, the
    first page).

    Ingest: the queue wait, then the slower of uploading the bytes and processing the records
    with every slot busy (later chunks upload while earlier jobs process). Query: the queue
    wait, the materialisation, *then* the download — Bulk API 2.0 serves a query's result
    pages only once the job is JobComplete, so the two cannot overlap."""
    queue = model.queue_delay * model.time_scale
    if op == "query":
        transfer = model.download_seconds(csv_bytes)
        processing = rows / model.query_records_per_second * model.time_scale
        return queue + processing + transfer + 3 * model.request_seconds
    return queue + model.lower_bound(rows, csv_bytes, 0, round_trips=7)


def batch_bound(model: PerformanceModel, op: str, rows: int, csv_bytes: int) -> float:
    """Like :func:`bound`, but processing counts whole waves of internal batches: N records
    are at least ceil(N / 10,000) batches, and the org runs ``parallel_batches_org`` of them
    at a time (100,000 records over 4 slots: 3 waves, not 2.5)."""
    if op == "query":
        return bound(model, op, rows, csv_bytes)
    batches = math.ceil(rows / model.batch_records)
    waves = math.ceil(batches / model.parallel_batches_org)
    processing = waves * model.batch_duration(model.batch_records)
    transfer = model.upload_seconds(csv_bytes)
    queue = model.queue_delay * model.time_scale
    return queue + max(processing, transfer) + 7 * model.request_seconds


class Realistic:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        args.workdir.mkdir(parents=True, exist_ok=True)
        self.data = write_dataset(args.workdir, args.rows, args.seed)
        self.frame = pl.read_parquet(self.data)
        self.csv_bytes = len(self.frame.write_csv())
        self.per_job = records_per_job(args.rows, CONCURRENCY)
        self.scales = dict(DEFAULT_SCALES)
        for item in args.scale:
            name, _, value = item.partition("=")
            self.scales[name] = float(value)
        self.runs: list[dict[str, Any]] = []
        self.locks: list[dict[str, Any]] = []

    def run_preset(self, preset: str) -> None:
        scale = self.scales.get(preset, 1.0)
        model = PRESETS[preset].scaled(scale)
        server = ModelledEmulator(preset, scale)
        server.start()
        try:
            for op in [o for o in ("insert", "upsert", "query") if o in self.args.ops]:
                if op == "query":
                    server.reset()
                    server.load(self.frame, OBJECT)
                for row in ROWS:
                    if op not in row.ops:
                        continue
                    self._measure(server, model, preset, row, op)
            if "lock" in self.args.ops:
                for grouped in (True, False):
                    self.locks.append(self._lock_run(server, preset, grouped))
        finally:
            server.stop()

    def recompute_bounds(self) -> None:
        """The bounds of the stored runs, from the current formulas (they depend only on the
        preset, its time scale, the operation and the data size)."""
        for run in self.runs:
            model = PRESETS[run["preset"]].scaled(self.scales.get(run["preset"], 1.0))
            run["bound_s"] = bound(model, run["op"], self.args.rows, self.csv_bytes)
            run["batch_bound_s"] = batch_bound(model, run["op"], self.args.rows, self.csv_bytes)

    def rerun_failed(self, previous: dict[str, Any]) -> None:
        """Measure again the runs that FAILED last time, keeping every other run."""
        self.runs = [r for r in previous["runs"] if not r["problems"]]
        failed = [r for r in previous["runs"] if r["problems"]]
        for preset in sorted({r["preset"] for r in failed}):
            scale = self.scales.get(preset, 1.0)
            server = ModelledEmulator(preset, scale)
            server.start()
            try:
                for old in (r for r in failed if r["preset"] == preset):
                    row = next(x for x in ROWS if x.label == old["client"])
                    if old["op"] == "query":
                        server.reset()
                        server.load(self.frame, OBJECT)
                    self._measure(server, PRESETS[preset].scaled(scale), preset, row, old["op"])
            finally:
                server.stop()
        order = {(r["preset"], r["op"], r["client"]): i for i, r in enumerate(previous["runs"])}
        self.runs.sort(key=lambda r: order.get((r["preset"], r["op"], r["client"]), 0))
        self.locks = previous["locks"]

    def _measure(
        self, server: EmulatorProcess, model: PerformanceModel, preset: str, row: Row, op: str
    ) -> None:
        if op in ("insert", "upsert"):
            server.reset()
        if op == "upsert":
            server.load(self.frame.head(self.args.rows // 2), OBJECT)
        run = _child(row, op, self.args.rows, self.data, server, self.per_job)
        count = server.count(OBJECT) if op != "query" and run.get("ok") else None
        run.update(
            preset=preset,
            bound_s=bound(model, op, self.args.rows, self.csv_bytes),
            batch_bound_s=batch_bound(model, op, self.args.rows, self.csv_bytes),
            problems=_check(run, self.args.rows, count),
        )
        self.runs.append(run)
        status = "ok" if not run["problems"] else "FAILED: " + "; ".join(run["problems"])
        print(
            f"  [{preset} {op:6}] {row.label:30} wall {run.get('wall_s', 0):7.2f}s "
            f"(bound {run['bound_s']:.2f}s) cpu {run.get('cpu_s', 0):6.2f}s "
            f"rss {run.get('peak_rss_mb', 0):5.0f} MB {status}",
            flush=True,
        )

    def _lock_run(self, server: EmulatorProcess, preset: str, grouped: bool) -> dict[str, Any]:
        """Contacts of ``--accounts`` shared Accounts (by the Account's external id), loaded
        with ``group_by_parent`` on (the default) or off."""
        from sfbulk_frames import Client, insert

        server.reset()
        rng = np.random.default_rng(self.args.seed)
        accounts = pl.DataFrame(
            {
                "Name": [f"Account {i}" for i in range(self.args.accounts)],
                "ExternalId__c": [f"ACC-{i:05d}" for i in range(self.args.accounts)],
            }
        )
        server.load(accounts, "Account")
        n = self.args.lock_rows
        picks = rng.integers(0, self.args.accounts, n)
        contacts = pl.DataFrame(
            {
                "LastName": [f"Contact {i}" for i in range(n)],
                "Account.ExternalId__c": [f"ACC-{int(i):05d}" for i in picks],
            }
        )
        with Client(server.url, server.token, verify=server.cert or True) as client:
            began = time.perf_counter()
            result = insert(
                contacts,
                OBJECT,
                client=client,
                progress=False,
                group_by_parent=None if grouped else False,
            )
            wall = time.perf_counter() - began
        failed = result.failed
        locks = (
            int(failed.get_column("sf__Error").str.starts_with("UNABLE_TO_LOCK_ROW").sum())
            if failed.height
            else 0
        )
        run = {
            "preset": preset,
            "grouped": grouped,
            "rows": n,
            "wall_s": wall,
            "failed": failed.height,
            "lock_failures": locks,
            "jobs": len(result.jobs),
        }
        print(
            f"  [{preset} lock  ] group_by_parent={'auto' if grouped else 'False':5} "
            f"wall {wall:6.2f}s failed {failed.height:,} ({locks:,} UNABLE_TO_LOCK_ROW) "
            f"in {len(result.jobs)} jobs",
            flush=True,
        )
        return run

    def encoder_ratio(self) -> dict[str, float]:
        """Encoder vs ``polars.write_csv`` and client CPU of the serializers (no server)."""
        timings: dict[str, float] = {}
        for module in ("ours_polars", "floor"):
            command = [
                sys.executable,
                "-m",
                f"bench.scenarios.{module}",
                "--op",
                "serialize",
                "--rows",
                str(self.args.rows),
                "--data",
                str(self.data),
            ]
            done = subprocess.run(
                command,
                capture_output=True,
                text=True,
                cwd=BENCH_DIR.parent,
                timeout=600,
                check=False,
            )
            lines = [ln for ln in done.stdout.splitlines() if ln.startswith(RESULT_PREFIX)]
            if lines:
                timings[module] = float(json.loads(lines[-1][len(RESULT_PREFIX) :])["wall_s"])
        return timings


def main(argv: list[str] | None = None) -> int:
    args = _parse(argv)
    command = "python -m bench.realistic " + " ".join(argv if argv is not None else sys.argv[1:])
    saved = args.workdir / "realistic.json"
    if args.render_only:  # the stored run's size and scales, whatever the command line says
        stored = json.loads(saved.read_text())
        args.rows = stored.get("rows", args.rows)
        args.scale = [f"{k}={v}" for k, v in stored.get("scales", {}).items()] or args.scale
    bench = Realistic(args)
    print(
        f"{args.rows:,} rows x {len(COLUMNS)} columns, {bench.csv_bytes / 1e6:.1f} MB as CSV; "
        f"{bench.per_job:,} records per job by default",
        flush=True,
    )
    began = time.perf_counter()
    finished = None
    if args.render_only:
        previous = json.loads(saved.read_text())
        bench.runs, bench.locks = previous["runs"], previous["locks"]
        bench.recompute_bounds()
        encoder, total = previous["encoder"], previous["total_s"]
        command = previous["command"]
        finished = dt.datetime.fromtimestamp(saved.stat().st_mtime, dt.UTC)
    elif args.rerun_failed:
        previous = json.loads(saved.read_text())
        bench.rerun_failed(previous)
        encoder = previous["encoder"]
        total = previous.get("total_s", time.perf_counter() - began)
        first = previous.get("command", "python -m bench.realistic")
        command = f"{first}\n{command}"
    else:
        for preset in args.presets:
            print(f"{preset} (time scale {bench.scales.get(preset, 1.0)}):", flush=True)
            bench.run_preset(preset)
        encoder = bench.encoder_ratio()
        total = time.perf_counter() - began
    if not args.render_only:  # keep the stored run (and its time) as it was
        saved.write_text(
            json.dumps(
                {
                    "runs": bench.runs,
                    "locks": bench.locks,
                    "encoder": encoder,
                    "total_s": total,
                    "command": command,
                    "rows": args.rows,
                    "scales": bench.scales,
                },
                indent=1,
                default=str,
            )
        )
    presets = sorted({r["preset"] for r in bench.runs}, key=args.presets.index)
    section = render_section(
        command=command,
        rows=args.rows,
        csv_bytes=bench.csv_bytes,
        per_job=bench.per_job,
        scales={p: bench.scales.get(p, 1.0) for p in presets},
        runs=bench.runs,
        locks=bench.locks,
        encoder=encoder,
        total_s=total,
        soql=SOQL,
        finished=finished,
    )
    write_section(args.out, section)
    print(section)
    ok = all(not r["problems"] for r in bench.runs)
    return 0 if ok and math.isfinite(total) else 1


if __name__ == "__main__":
    raise SystemExit(main())
