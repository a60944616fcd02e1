"""``sfbulk sync OBJECT FILE --key FIELD``: send only what changed, or show the plan."""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any

import polars as pl

from sfbulk_frames._exceptions import (
    ConfigurationError,
    JobInterruptedError,
    JobTimeoutError,
    SyncScopeError,
)
from sfbulk_frames.cli.common import Printer, add_subcommand, human_int
from sfbulk_frames.cli.connect import make_client
from sfbulk_frames.cli.files import FileFormat, write_frame
from sfbulk_frames.cli.load import (
    input_arguments,
    open_input,
    output_arguments,
    parse_size,
    report_unfinished,
)
from sfbulk_frames.cli.summary import load_exit_code, print_load_summary

__all__ = ["add_sync_command"]

_EXAMPLES = """\
  sfbulk sync Contact nightly.parquet --key ExternalId__c --where "LeadSource = 'Web'" --dry-run
  sfbulk sync Contact nightly.parquet --key ExternalId__c --where "LeadSource = 'Web'" \\
      --delete-missing
  sfbulk sync Account accounts.csv --key Id --compare Name,Phone"""
PLAN_PARTS = ("create", "update", "changes", "missing", "conflicts")
RESULT_PARTS = ("successful", "failed", "unprocessed")


def add_sync_command(subparsers: Any, parents: list[argparse.ArgumentParser]) -> None:
    parser = add_subcommand(
        subparsers, "sync", help="send only the rows that changed (creates, updates, deletes)",
        description="Compare FILE with the OBJECT records in scope (--where), per field type as "
        "Salesforce stores values, and send only the new and changed rows (with "
        "--delete-missing, also delete the records FILE no longer has). Writes the plan "
        "(FILE.create/.update/.changes/.missing/.conflicts) and, unless --dry-run, the results "
        "(FILE.successful/.failed/.unprocessed). Conflicts (a missing or repeated key, a key "
        "shared by several records) are never sent and count as failed rows for the exit code.",
        examples=_EXAMPLES, parents=parents,
    )
    parser.add_argument("object", metavar="OBJECT", help="sObject API name, e.g. Contact")
    input_arguments(parser)
    group = parser.add_argument_group("sync")
    group.add_argument("--key", required=True, metavar="FIELD",
                       help="the External ID field (or Id) that matches rows to records")
    group.add_argument("--where", metavar="SOQL",
                       help="SOQL condition: the records this FILE owns (default: all)")
    group.add_argument("--compare", metavar="F1,F2",
                       help="compare only these columns (default: every column but the key)")
    group.add_argument("--delete-missing", action="store_true",
                       help="delete the records in scope that FILE does not have")
    group.add_argument("--confirm-delete-all", action="store_true",
                       help="allow --delete-missing without --where (scope: the whole object)")
    group.add_argument("--dry-run", action="store_true",
                       help="write the plan only; send nothing")
    group.add_argument("--send-columns", choices=("all", "changed"), default="all",
                       help="updates carry every column (all, the default) or only each row's "
                            "changed fields (changed)")
    group.add_argument("--max-bytes", type=parse_size, metavar="SIZE",
                       help="upload size per job, e.g. 10MB")
    group.add_argument("--max-records", type=int, metavar="N", help="rows per job at most")
    group.add_argument("--concurrency", type=int, default=4, metavar="N",
                       help="jobs running at the same time (default 4)")
    output_arguments(parser)
    parser.set_defaults(handler=run_sync)


def _paths(args: argparse.Namespace, fmt: FileFormat, parts: tuple[str, ...]) -> dict[str, Path]:
    directory = args.output_dir if args.output_dir is not None else args.file.parent
    suffix = {"csv": ".csv", "parquet": ".parquet", "ndjson": ".ndjson"}[fmt]
    return {part: directory / f"{args.file.stem}.{part}{suffix}" for part in parts}


def _writable(frame: pl.DataFrame, fmt: FileFormat) -> pl.DataFrame:
    """Lists (sf__Changed) as ``a;b`` text in CSV, which has no list type."""
    if fmt != "csv":
        return frame
    return frame.with_columns(pl.col(name).list.join(";") for name, dtype in frame.schema.items()
                              if isinstance(dtype, pl.List))


def _print_plan(printer: Printer, plan: Any, paths: dict[str, Path], title: str) -> None:
    counts = plan.counts()
    rows = plan.source_frame.height
    printer.out(f"{title}: {human_int(rows)} source rows")
    for name in ("create", "update", "unchanged", "missing", "conflicts"):
        printer.out(f"  {name:<12} {human_int(counts[name]):>10}   {paths.get(name, '')}")
    fields = plan.changed_fields()
    if fields:
        text = ", ".join(f"{f} {human_int(n)}" for f, n in fields.items())
        printer.out(f"changed fields: {text}")


def run_sync(args: argparse.Namespace, printer: Printer) -> int:
    from sfbulk_frames.pipeline.sync import sync

    if args.concurrency < 1:
        raise ConfigurationError("--concurrency must be at least 1")
    if args.delete_missing and not args.where and not args.confirm_delete_all:
        raise SyncScopeError(
            f"--delete-missing without --where would delete every {args.object} record that "
            f"{args.file.name} does not hold; pass --where SOQL (the records this file owns) or "
            "--confirm-delete-all"
        )
    started = time.monotonic()
    frame, fmt = open_input(args)
    out_format: FileFormat = args.output_format or fmt
    client = make_client(args, printer)
    options: dict[str, Any] = {}
    if args.max_bytes is not None:
        options["max_bytes"] = args.max_bytes
    compare = [c.strip() for c in args.compare.split(",") if c.strip()] if args.compare else None
    try:
        outcome = sync(frame, args.object, args.key, where=args.where,
                       delete_missing=args.delete_missing,
                       confirm_delete_all=args.confirm_delete_all, compare=compare,
                       dry_run=args.dry_run, send_columns=args.send_columns, client=client,
                       max_records=args.max_records, max_concurrent_jobs=args.concurrency,
                       timeout=args.timeout, progress=False if args.no_progress else "auto",
                       **options)
    except (JobTimeoutError, JobInterruptedError) as exc:
        return report_unfinished(args, exc, printer)
    plan = outcome if args.dry_run else outcome.plan
    plan_paths = _paths(args, out_format, PLAN_PARTS)
    for part, path in plan_paths.items():
        write_frame(_writable(getattr(plan, part), out_format), path, out_format)
    title = f"sync {args.object} from {args.file.name}" + (" (dry run)" if args.dry_run else "")
    _print_plan(printer, plan, plan_paths, title)
    conflicts = plan.counts()["conflicts"]
    if args.dry_run:
        printer.out("dry run: nothing was sent")
        return 1 if conflicts and args.fail_on == "failed" else 0
    annotated = outcome.annotate()
    frames = {part: annotated.filter(pl.col("status") == status).drop("status")
              for part, status in zip(RESULT_PARTS, ("success", "failed", "unprocessed"),
                                      strict=True)}
    result_paths = _paths(args, out_format, RESULT_PARTS)
    for part, path in result_paths.items():
        write_frame(frames[part], path, out_format)
    deleted = outcome.counts()["deleted"]
    print_load_summary(printer, title="sent", frames=frames, jobs=outcome.jobs,
                       paths=result_paths, elapsed=time.monotonic() - started)
    if args.delete_missing:
        printer.out(f"deleted {human_int(deleted)} missing record(s)")
    code = load_exit_code(frames, args.fail_on)
    delete = outcome.writes.get("delete")
    if delete is not None and not delete.ok and args.fail_on != "never":
        code = 1
    return 1 if conflicts and args.fail_on == "failed" else code
