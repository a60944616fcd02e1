"""What every client scenario process shares: arguments, measurement and the JSON it prints.

A scenario process loads the benchmark data into the client's natural input (not measured in
the ratios), then runs one operation under measurement: wall time (``perf_counter``), CPU time
(``getrusage(RUSAGE_SELF)`` user+sys, all threads) and, at the end, the process's peak RSS
(``ru_maxrss``). The last line of stdout is ``BENCH_RESULT {json}``; the harness reads it.
A scenario that raises still prints a result, with ``ok: false`` and the error.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import resource
import sys
import time
import traceback
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from bench.scenarios._sampler import CpuSampler

__all__ = [
    "Args",
    "Outcome",
    "Scenario",
    "main",
    "rss_mb",
]

RESULT_PREFIX = "BENCH_RESULT "
OPERATIONS = ("insert", "upsert", "query", "serialize")


@dataclass(frozen=True)
class Args:
    """The command line of a scenario process."""

    op: str
    url: str
    token: str
    cert: str | None
    rows: int
    data: Path
    profile: Path | None
    variant: str = "bench"
    records_per_job: int | None = None


@dataclass
class Outcome:
    """What an operation produced, for the harness's correctness checks.

    ``counts``: successful/failed/unprocessed for ingest, rows for query, bytes for serialize.
    ``distinct_keys``: distinct external ids among successful (ingest) or returned (query) rows.
    """

    counts: dict[str, int]
    distinct_keys: int | None = None
    bytes_out: int | None = None
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Scenario:
    """One client: how it loads its input, and the operations it offers."""

    client: str
    load: Callable[[Args], Any]
    operations: dict[str, Callable[[Any, Args], Outcome]]


def rss_mb() -> float:
    """The current resident set size in MB (Linux ``/proc``; 0 where unavailable)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def _peak_rss_mb() -> float:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 1024 / 1024 if sys.platform == "darwin" else peak / 1024


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _parse(argv: list[str] | None) -> Args:
    parser = argparse.ArgumentParser(description="Run one benchmark scenario in this process.")
    parser.add_argument("--op", choices=OPERATIONS, required=True)
    parser.add_argument("--url", default="", help="instance URL of the emulator server")
    parser.add_argument("--token", default="", help="access token of the emulator server")
    parser.add_argument("--cert", default=None, help="CA certificate of the TLS server")
    parser.add_argument("--rows", type=int, required=True, help="rows in the data file")
    parser.add_argument("--data", type=Path, required=True, help="the parquet data file")
    parser.add_argument("--profile", type=Path, default=None,
                        help="write a CPU profile (all threads) here")
    parser.add_argument("--variant", choices=("bench", "defaults", "tuned"), default="bench",
                        help="peers: bench (the CPU benchmark's settings), defaults (their "
                             "documented defaults) or tuned (their best settings)")
    parser.add_argument("--records-per-job", type=int, default=None,
                        help="tuned peers: records per job")
    ns = parser.parse_args(argv)
    return Args(op=ns.op, url=ns.url, token=ns.token, cert=ns.cert, rows=ns.rows,
                data=ns.data, profile=ns.profile, variant=ns.variant,
                records_per_job=ns.records_per_job)


def _run_measured(scenario: Scenario, args: Args, state: Any) -> tuple[Outcome, float, float]:
    operation = scenario.operations[args.op]
    sampler = CpuSampler() if args.profile else None
    cpu0, wall0 = _cpu_seconds(), time.perf_counter()
    with sampler or contextlib.nullcontext():
        outcome = operation(state, args)
    wall, cpu = time.perf_counter() - wall0, _cpu_seconds() - cpu0
    if sampler is not None and args.profile is not None:
        args.profile.write_text(f"operation: wall {wall:.2f} s, process CPU {cpu:.2f} s\n"
                                + sampler.report())
    return outcome, wall, cpu


def main(scenario: Scenario, argv: list[str] | None = None) -> int:
    """Parse the command line, load, run the operation measured, print ``BENCH_RESULT``."""
    args = _parse(argv)
    result: dict[str, Any] = {"client": scenario.client, "op": args.op, "rows": args.rows,
                              "ok": False, "error": None, "rss_baseline_mb": rss_mb()}
    try:
        if args.op not in scenario.operations:
            raise NotImplementedError(f"{scenario.client} offers no {args.op!r} operation")
        wall0 = time.perf_counter()
        state = scenario.load(args)
        result["load_s"] = time.perf_counter() - wall0
        result["rss_after_load_mb"] = rss_mb()
        outcome, wall, cpu = _run_measured(scenario, args, state)
        result.update(ok=True, wall_s=wall, cpu_s=cpu, **asdict(outcome))
    except Exception as exc:
        traceback.print_exc(file=sys.stderr)
        result["error"] = f"{type(exc).__name__}: {exc}"[:500]
    result["peak_rss_mb"] = _peak_rss_mb()
    sys.stdout.write(RESULT_PREFIX + json.dumps(result) + "\n")
    sys.stdout.flush()
    return 0 if result["ok"] else 1
