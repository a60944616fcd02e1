"""Render ``bench/RESULTS.md`` from one run.

A hand-written analysis between ``<!-- analysis -->`` and ``<!-- /analysis -->`` in the
previous file is carried over (it says which run it was written for).
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from bench import report
from bench.data import COLUMNS, OBJECT

__all__ = ["render"]

_ANALYSIS = re.compile(r"<!-- analysis -->.*?<!-- /analysis -->", re.DOTALL)
_SYNC = re.compile(r"<!-- sync -->.*?<!-- /sync -->", re.DOTALL)  # bench/sync_bench.py's section
_CLIENT_ORDER = (*report.OURS, *report.PEERS, report.FLOOR)

_METHOD = """\
* **One server.** `python -m sfbulk_frames.emulator --tls --processing instant` on loopback
  (https: simple-salesforce and aiosalesforce only speak https); every client talks to it over
  the same TLS socket. The org is emptied between ingest runs ({reset}).
* **One process per client run** (`python -m bench.scenarios.<client> --op <op> ...`). It
  first loads the parquet file into its natural input (polars frame for sfbulk_frames (polars),
  pandas frame for everyone else) — *not* measured — then runs the operation measured:
  **wall s** (perf_counter) and **CPU s** (user+sys of the whole process during the operation,
  all threads, `getrusage(RUSAGE_SELF)`). **process CPU s** is the whole child process
  (interpreter start, imports, data load) from `getrusage(RUSAGE_CHILDREN)` in the harness.
  **peak RSS MB** is the child's `ru_maxrss` at exit (includes the imported libraries and the
  loaded input). Medians over the repetitions, (min–max) in brackets.
* **Ratios** are computed in this run: a client's median CPU (or peak RSS) divided by the best
  peer's median in the same scenario (`0.10x` = ten times lower); serialization also against
  `polars.DataFrame.write_csv` of the same frame (the floor).
* **Correctness** is checked on every run: successful+failed+unprocessed = N with no failed or
  unprocessed rows (the data is valid), as many distinct external ids as successful rows, and
  the org holding exactly N {object} records afterwards (a query job's count); queries must
  return N rows with N distinct external ids; serializers must emit N rows. A run that misses
  any check is **FAILED** in its table and listed below.
* **What each client does** (documented usage, from a pandas or polars frame):
  sfbulk_frames — `insert/upsert(df, ...)` → `BulkResult` frames joined back to the input,
  `query(soql, backend=...)` → typed frame; simple-salesforce — `df.to_csv(file)` +
  `sf.bulk2.Contact.insert/upsert(csv_file=..., batch_size=250_000, wait=0.5)` (its default
  batching fails on this data at 1M rows, see bench/README.md) + `get_successful/failed/
  unprocessed_records` per job read with `pandas.read_csv`; `bulk2.Contact.query()` pages read
  with `pandas.read_csv` and concatenated; aiosalesforce — records streamed as dicts (converted
  100,000 rows at a time) into `bulk_v2.ingest.perform_operation(..., fieldnames=...,
  polling_interval=0.5)`, results kept as its lists of dicts (no frame), no Bulk query in 0.6.
  Serialization: our encoder as the pipeline runs it (`iter_chunks(iter_batches(df))`);
  simple-salesforce `df.to_csv` + its `_split_csv` re-chunking (what its upload path runs);
  aiosalesforce `serialize_ingest_data` over the record stream.
* **Upsert** runs on an org that already holds the first half of the rows (loaded by the
  harness, not measured): half the rows update, half insert.
"""


def _machine(machine: dict[str, Any]) -> list[str]:
    return [
        f"* CPU: {machine['cpu']}, {machine['cores']} cores available to the run; "
        f"RAM {machine['ram_gb']:.1f} GB; {machine['os']}",
        f"* Python {machine['python']}; {machine['versions']}",
        f"* Repository state: {machine['git']}",
        "* Shared machine: other work ran at the same time, so spreads matter.",
    ]


def _failures(summaries: dict[tuple[str, str], report.Summary]) -> list[str]:
    lines = []
    for (op, client), summary in summaries.items():
        for problem in summary.problems:
            lines.append(f"* {op} / {client}: {problem}")
        for run in summary.runs:
            if run.get("stderr_tail"):
                tail = run["stderr_tail"].strip().splitlines()[-3:]
                lines.append(f"  * rep {run.get('rep')} stderr: `{' | '.join(tail)[:400]}`")
    return lines or ["* none"]


def _emulator(emulator: dict[str, Any], rows: int) -> list[str]:
    if not emulator:
        return ["* not measured"]
    return [
        f"* ingest ({rows:,} rows inserted with bare httpx, 250,000-row jobs, instant "
        f"processing): **{emulator['ingest_rows_per_s']:,.0f} rows/s** of processing "
        f"(close requests {emulator['ingest_process_s']:.1f} s; uploads "
        f"{emulator['upload_s']:.1f} s; end to end {emulator['ingest_total_s']:.1f} s)",
        f"* query (`{OBJECT}` SOQL of the 8 columns, every page downloaded with bare httpx): "
        f"**{emulator['query_rows_per_s']:,.0f} rows/s** ({emulator['query_rows']:,} rows, "
        f"{emulator['query_pages']} pages, {emulator['query_total_s']:.1f} s)",
        f"* emulator server peak RSS over the whole run: "
        f"{emulator.get('server_peak_rss_mb', 0):.0f} MB",
    ]


def render(*, bench: Any, command: str, started: dt.datetime, previous: str,
           machine: dict[str, Any], input_frame_mb: float) -> str:
    """The full RESULTS.md text."""
    args = bench.args
    summaries = report.summarize(bench.runs)
    lines = [
        "# sfbulk_frames vs simple-salesforce vs aiosalesforce — benchmark results",
        "",
        f"Run {started:%Y-%m-%d %H:%M} UTC: **{args.rows:,} rows** x {len(COLUMNS)} columns "
        f"({', '.join(COLUMNS)}), {args.reps} repetition(s) per client and scenario; input "
        f"frame {input_frame_mb:.0f} MB in polars. Reproduce from the repository root with",
        "",
        "```",
        f"pip install -e '.[bench]'\n{command}",
        "```",
        "",
        "## Targets (issue 8)",
        "",
        "| target | measured | verdict |",
        "|---|---|---|",
    ]
    lines += [f"| {t} | {m} | {v} |" for t, m, v in report.target_rows(summaries, input_frame_mb)]
    for op in args.ops:
        lines += ["", f"## {report.SCENARIO_TITLES[op].replace('N', f'{args.rows:,}', 1)}", ""]
        lines += report.markdown_table(summaries, op, _CLIENT_ORDER)
    lines += ["", "## The emulator itself", "", *_emulator(bench.emulator, args.rows)]
    lines += ["", "## FAILED runs and errors", "", *_failures(summaries)]
    found = _ANALYSIS.search(previous)
    lines += ["", "## Analysis", "",
              found.group(0) if found else "<!-- analysis -->\n(not written yet)\n"
              "<!-- /analysis -->"]
    if bench.profiles:
        lines += ["", "## Profiles of sfbulk_frames (polars), one extra run each, by own time",
                  ""]
        for op, text in bench.profiles.items():
            lines += [f"### {op}", "", "```", text.strip(), "```", ""]
    lines += ["", "## Method", "",
              _METHOD.format(reset=bench.server.reset_method, object=OBJECT).rstrip(), "",
              "## Machine", "", *_machine(machine), ""]
    kept = _SYNC.search(previous)
    if kept:
        lines += [kept.group(0), ""]
    return "\n".join(lines) + "\n"
