"""``sfbulk query`` and ``sfbulk describe``."""

from __future__ import annotations

import argparse
import errno
import json
import sys
import time
from pathlib import Path
from typing import Any

import polars as pl

from sfbulk_frames._exceptions import ConfigurationError, JobInterruptedError, JobTimeoutError
from sfbulk_frames.cli.common import (
    EXIT_INTERRUPTED,
    EXIT_TIMEOUT,
    Printer,
    add_subcommand,
    plural,
)
from sfbulk_frames.cli.connect import make_client
from sfbulk_frames.cli.output import add_output_flags, print_json, progress_for, silence_stdout

__all__ = ["add_describe_command", "add_query_command"]

_QUERY_EXAMPLES = """\
  sfbulk query "SELECT Id, Name, Account.Name FROM Contact" -o contacts.parquet
  sfbulk query "SELECT Id, Email FROM Contact WHERE CreatedDate = LAST_N_DAYS:7" -o new.csv
  sfbulk query "SELECT Id FROM Contact" --include-deleted -o all_ids.parquet
  sfbulk query "SELECT Id, Name FROM Account LIMIT 10"            # CSV on stdout"""

_DESCRIBE_EXAMPLES = """\
  sfbulk describe Contact
  sfbulk describe Account Contact --save org-schema.json
  sfbulk emulator --schema org-schema.json      # an emulator that mirrors those objects"""

_STREAMED = {".parquet": "parquet", ".pq": "parquet", ".csv": "csv"}


def add_query_command(subparsers: Any, parents: list[argparse.ArgumentParser]) -> None:
    parser = add_subcommand(
        subparsers, "query", help="run a SOQL query and save the typed result",
        description="Run SOQL as a Bulk API 2.0 query job. Column types come from the org's "
        "metadata. Parquet and CSV outputs are streamed page by page (bounded memory); NDJSON "
        "is collected first. Without -o the result is printed as CSV.",
        examples=_QUERY_EXAMPLES, parents=parents,
    )
    parser.add_argument("soql", metavar="SOQL")
    parser.add_argument("-o", "--output", type=Path, metavar="FILE",
                        help="write to FILE (.parquet, .csv or .ndjson)")
    parser.add_argument("--include-deleted", action="store_true",
                        help="queryAll: include deleted and archived records")
    parser.add_argument("--page-size", type=int, metavar="N",
                        help="records per result page (maxRecords)")
    parser.add_argument("--timeout", type=float, metavar="SECONDS")
    add_output_flags(parser)
    parser.set_defaults(handler=run_query)


def _count_rows(path: Path) -> int:
    scan = pl.scan_parquet(path) if path.suffix.lower() in (".parquet", ".pq") else (
        pl.scan_csv(path, infer_schema=False))
    return int(scan.select(pl.len()).collect().item())


def run_query(args: argparse.Namespace, printer: Printer) -> int:
    from sfbulk_frames.pipeline.query import query

    out: Path | None = args.output
    if out is not None and out.suffix.lower() not in (*_STREAMED, ".ndjson", ".jsonl"):
        raise ConfigurationError(f"-o {out}: use a .parquet, .csv or .ndjson file name")
    if out is None and args.json:
        raise ConfigurationError("--json needs -o FILE: without it stdout carries the CSV rows")
    started = time.monotonic()
    client = make_client(args, printer)
    options: dict[str, Any] = {
        "client": client,
        "include_deleted": args.include_deleted,
        "max_records_per_page": args.page_size,
        "timeout": args.timeout,
        "progress": progress_for(args),
    }
    try:
        if out is not None and out.suffix.lower() in _STREAMED:
            out.parent.mkdir(parents=True, exist_ok=True)
            query(args.soql, out=out, **options)
            return _wrote(args, printer, _count_rows(out), out, started)
        frame: pl.DataFrame = query(args.soql, **options)
    except (JobTimeoutError, JobInterruptedError) as exc:
        code = EXIT_INTERRUPTED if isinstance(exc, JobInterruptedError) else EXIT_TIMEOUT
        printer.err(str(exc))
        printer.err(f"query jobs: {', '.join(exc.job_ids) or '-'}; run the query again later")
        if args.json:
            print_json(printer, {"command": "query", "exit_status": code,
                                 "job_ids": list(exc.job_ids), "error": str(exc)})
        return code
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        frame.write_ndjson(out)
        return _wrote(args, printer, frame.height, out, started)
    if not printer.stdout_closed:
        try:
            frame.write_csv(sys.stdout)
            sys.stdout.flush()
        except OSError as exc:  # polars reports a closed pipe (| head) as a plain OSError
            if getattr(exc, "errno", None) != errno.EPIPE and "Broken pipe" not in str(exc):
                raise
            silence_stdout()
    return 0


def _wrote(args: argparse.Namespace, printer: Printer, rows: int, out: Path,
           started: float) -> int:
    if args.json:
        print_json(printer, {"command": "query", "rows": rows, "file": str(out),
                             "elapsed_seconds": round(time.monotonic() - started, 3),
                             "exit_status": 0})
    elif not args.quiet:
        printer.err(f"wrote {plural(rows, 'row')} to {out}")
    return 0


def add_describe_command(subparsers: Any, parents: list[argparse.ArgumentParser]) -> None:
    parser = add_subcommand(
        subparsers, "describe", help="show an object's fields (and save its describe JSON)",
        description="Show the fields of one or more objects. --save writes the describe JSON "
        "that `sfbulk emulator --schema FILE` loads, so the emulator mirrors your org.",
        examples=_DESCRIBE_EXAMPLES, parents=parents,
    )
    parser.add_argument("objects", nargs="+", metavar="OBJECT")
    parser.add_argument("--save", type=Path, metavar="FILE", help="write the describe JSON here")
    parser.set_defaults(handler=run_describe)


def _flags(field: dict[str, Any]) -> str:
    flags = []
    if not field.get("nillable", True) and field.get("createable") and not field.get(
            "defaultedOnCreate"):
        flags.append("required")
    for key, label in (("externalId", "external id"), ("unique", "unique"),
                       ("restrictedPicklist", "restricted")):
        if field.get(key):
            flags.append(label)
    if not field.get("createable", True) and not field.get("updateable", True):
        flags.append("read-only")
    if field.get("referenceTo"):
        flags.append("-> " + "|".join(field["referenceTo"]))
    return ", ".join(flags)


def _print_describe(printer: Printer, describe: dict[str, Any]) -> None:
    fields = describe.get("fields") or []
    printer.out(f"{describe.get('name')} (key prefix {describe.get('keyPrefix') or '-'}): "
                f"{plural(len(fields), 'field')}")
    width = max((len(str(f.get("name", ""))) for f in fields), default=4)
    for field in fields:
        kind = str(field.get("type", ""))
        if field.get("length"):
            kind += f"({field['length']})"
        printer.out(f"  {field.get('name', ''):<{width}}  {kind:<18} {_flags(field)}")


def run_describe(args: argparse.Namespace, printer: Printer) -> int:
    client = make_client(args, printer)
    describes = [dict(client.describe(name)) for name in args.objects]
    if args.save is not None:  # saved first: a reader that stops early (| head) loses nothing
        payload: Any = describes[0] if len(describes) == 1 else describes
        args.save.parent.mkdir(parents=True, exist_ok=True)
        args.save.write_text(json.dumps(payload, indent=2), encoding="utf-8")
    for describe in describes:
        _print_describe(printer, describe)
    if args.save is not None:
        printer.out(f"saved {plural(len(describes), 'describe')} to {args.save}")
    return 0
