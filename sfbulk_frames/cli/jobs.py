"""``sfbulk jobs list|show|abort|delete|results|resume``."""

from __future__ import annotations

import argparse
import io
import json
import time
from pathlib import Path
from typing import Any

import polars as pl

from sfbulk_frames._exceptions import (
    JobInterruptedError,
    JobTimeoutError,
    LoadIncompleteError,
    NotFoundError,
)
from sfbulk_frames.cli.common import Printer, add_subcommand, human_int, plural
from sfbulk_frames.cli.connect import make_client
from sfbulk_frames.cli.load import (
    input_arguments,
    open_input,
    output_arguments,
    report_unfinished,
    send_arguments,
    write_results,
)
from sfbulk_frames.cli.output import progress_for

__all__ = ["add_jobs_command"]

_EXAMPLES = """\
  sfbulk jobs list --kind ingest
  sfbulk jobs show 750xx0000000001AAA
  sfbulk jobs abort 750xx0000000001AAA
  sfbulk jobs results 750xx0000000001AAA --output-dir results/
  sfbulk jobs resume contacts.csv 750xx0000000001AAA 750xx0000000002AAA"""

# The list endpoint carries no record counters (only `jobs show` has them).
_LIST_COLUMNS = ("id", "operation", "object", "state", "created")


def add_jobs_command(subparsers: Any, parents: list[argparse.ArgumentParser]) -> None:
    jobs = add_subcommand(subparsers, "jobs", help="list, inspect, abort, delete or resume jobs",
                          description="Work with the org's Bulk API 2.0 jobs.",
                          examples=_EXAMPLES)
    actions = jobs.add_subparsers(dest="jobs_action", metavar="ACTION", required=True)

    def action(name: str, help: str, examples: str) -> argparse.ArgumentParser:
        return add_subcommand(actions, name, help=help, examples=examples, parents=parents,
                              description=help[0].upper() + help[1:] + ".")

    listing = action("list", "list the org's jobs, newest last", "  sfbulk jobs list --kind query")
    listing.add_argument("--kind", choices=("ingest", "query"), default="ingest")
    listing.add_argument("--json", action="store_true", help="print the raw job info as JSON lines")
    listing.set_defaults(handler=run_list)

    for name, help, handler in (
        ("show", "show everything Salesforce says about a job", run_show),
        ("abort", "abort a job that has not finished", run_abort),
        ("delete", "delete a finished or aborted job and its results", run_delete),
    ):
        parser = action(name, help, f"  sfbulk jobs {name} 750xx0000000001AAA")
        parser.add_argument("job_id", metavar="ID")
        parser.add_argument("--kind", choices=("ingest", "query"),
                            help="the job's kind (default: try ingest, then query)")
        if name == "show":
            parser.add_argument("--json", action="store_true", help="print the raw JSON")
        parser.set_defaults(handler=handler)

    results = action("results", "save the three raw result CSVs of an ingest job",
                     "  sfbulk jobs results 750xx0000000001AAA --output-dir results/")
    results.add_argument("job_id", metavar="ID")
    results.add_argument("--output-dir", type=Path, default=Path("."), metavar="DIR")
    results.set_defaults(handler=run_results)

    resume = action("resume", "re-attach to the jobs of an earlier load of FILE and write its "
                    "result files", "  sfbulk jobs resume contacts.csv 750xx0000000001AAA")
    input_arguments(resume)
    resume.add_argument("job_ids", nargs="+", metavar="ID")
    send_arguments(resume.add_argument_group(
        "options of the original load (recorded for sfbulk retry)"))
    output_arguments(resume)
    resume.set_defaults(handler=run_resume)


def _handle(client: Any, job_id: str, kind: str | None) -> Any:
    """The ingest or query job handle for ``job_id``; raises NotFoundError when neither exists."""
    if kind == "query":
        return client.query_job(job_id)
    if kind == "ingest":
        return client.ingest_job(job_id)
    try:
        handle = client.ingest_job(job_id)
        handle.info()
        return handle
    except NotFoundError:
        return client.query_job(job_id)


def _count_rows(data: bytes) -> int:
    if not data.strip():
        return 0
    return pl.read_csv(io.BytesIO(data), infer_schema=False).height


def _created(info: Any) -> str:
    created = getattr(info, "created_date", None)
    return created.strftime("%Y-%m-%d %H:%M:%S") if created else "-"


def run_list(args: argparse.Namespace, printer: Printer) -> int:
    client = make_client(args, printer)
    infos = list(client.list_jobs(kind=args.kind))
    if args.json:
        for info in infos:
            printer.out(json.dumps(dict(info.raw), default=str))
        return 0
    rows = [(info.id, str(info.operation or "-"), info.object or "-", str(info.state),
             _created(info)) for info in infos]
    widths = [max([len(c)] + [len(r[i]) for r in rows]) for i, c in enumerate(_LIST_COLUMNS)]
    printer.out("  ".join(c.ljust(w) for c, w in zip(_LIST_COLUMNS, widths, strict=True)))
    for row in rows:
        printer.out("  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)))
    printer.out(plural(len(rows), f"{args.kind} job"))
    return 0


def run_show(args: argparse.Namespace, printer: Printer) -> int:
    info = _handle(make_client(args, printer), args.job_id, args.kind).info()
    if args.json:
        printer.out(json.dumps(dict(info.raw), indent=2, default=str))
        return 0
    width = max((len(k) for k in info.raw), default=0)
    for key, value in info.raw.items():
        printer.out(f"{key:<{width}}  {value}")
    return 0


def run_abort(args: argparse.Namespace, printer: Printer) -> int:
    info = _handle(make_client(args, printer), args.job_id, args.kind).abort()
    state = getattr(info, "state", "Aborted")
    printer.out(f"job {args.job_id}: {state}")
    return 0


def run_delete(args: argparse.Namespace, printer: Printer) -> int:
    _handle(make_client(args, printer), args.job_id, args.kind).delete()
    printer.out(f"job {args.job_id}: deleted")
    return 0


def run_results(args: argparse.Namespace, printer: Printer) -> int:
    job = make_client(args, printer).ingest_job(args.job_id)
    info = job.info()
    args.output_dir.mkdir(parents=True, exist_ok=True)
    for name, fetch in (("successful", job.successful_results), ("failed", job.failed_results),
                        ("unprocessed", job.unprocessed_records)):
        path = args.output_dir / f"{args.job_id}.{name}.csv"
        data = fetch()
        path.write_bytes(data)
        rows = _count_rows(data)
        printer.out(f"{name:<12} {human_int(rows):>8} {'row ' if rows == 1 else 'rows'}  {path}")
    printer.out(f"job {info.id}: {info.operation} {info.object}, {info.state}")
    return 0


def run_resume(args: argparse.Namespace, printer: Printer) -> int:
    from sfbulk_frames import _api

    started = time.monotonic()
    frame, fmt = open_input(args, printer)
    client = make_client(args, printer)
    try:
        result = _api.resume(frame, list(args.job_ids), client=client, nulls=args.nulls,
                             timeout=args.timeout, progress=progress_for(args))
    except (JobTimeoutError, JobInterruptedError, LoadIncompleteError) as exc:
        return report_unfinished(args, exc, printer)
    return write_results(args, result, fmt, printer,
                         title=f"resume {plural(len(args.job_ids), 'job')} for {args.file.name}",
                         started=started)
