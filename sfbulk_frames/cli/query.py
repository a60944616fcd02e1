"""``sfbulk query`` and ``sfbulk describe``."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import polars as pl

from sfbulk_frames._exceptions import ConfigurationError, JobInterruptedError, JobTimeoutError
from sfbulk_frames.cli.common import (
    EXIT_INTERRUPTED,
    EXIT_TIMEOUT,
    Printer,
    add_subcommand,
    human_int,
)
from sfbulk_frames.cli.connect import make_client

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
    parser.add_argument("--no-progress", action="store_true")
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
    client = make_client(args, printer)
    options: dict[str, Any] = {
        "client": client,
        "include_deleted": args.include_deleted,
        "max_records_per_page": args.page_size,
        "timeout": args.timeout,
        "progress": False if args.no_progress or out is None else "auto",
    }
    try:
        if out is not None and out.suffix.lower() in _STREAMED:
            out.parent.mkdir(parents=True, exist_ok=True)
            query(args.soql, out=out, **options)
            printer.err(f"wrote {human_int(_count_rows(out))} rows to {out}")
            return 0
        frame: pl.DataFrame = query(args.soql, **options)
    except (JobTimeoutError, JobInterruptedError) as exc:
        printer.err(str(exc))
        printer.err(f"query job(s): {', '.join(exc.job_ids) or '-'}; run the query again later")
        return EXIT_INTERRUPTED if isinstance(exc, JobInterruptedError) else EXIT_TIMEOUT
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        frame.write_ndjson(out)
        printer.err(f"wrote {human_int(frame.height)} rows to {out}")
    else:
        frame.write_csv(sys.stdout)
        sys.stdout.flush()
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
                f"{len(fields)} fields")
    width = max((len(str(f.get("name", ""))) for f in fields), default=4)
    for field in fields:
        kind = str(field.get("type", ""))
        if field.get("length"):
            kind += f"({field['length']})"
        printer.out(f"  {field.get('name', ''):<{width}}  {kind:<18} {_flags(field)}")


def run_describe(args: argparse.Namespace, printer: Printer) -> int:
    client = make_client(args, printer)
    describes = [dict(client.describe(name)) for name in args.objects]
    for describe in describes:
        _print_describe(printer, describe)
    if args.save is not None:
        payload: Any = describes[0] if len(describes) == 1 else describes
        args.save.parent.mkdir(parents=True, exist_ok=True)
        args.save.write_text(json.dumps(payload, indent=2), encoding="utf-8")
        printer.out(f"saved {len(describes)} describe(s) to {args.save}")
    return 0
