"""``sfbulk insert|update|upsert|delete OBJECT FILE`` and the shared result writing."""

from __future__ import annotations

import argparse
import re
import time
from pathlib import Path
from typing import Any

import polars as pl

from sfbulk_frames._exceptions import (
    ConfigurationError,
    JobInterruptedError,
    JobTimeoutError,
    LoadIncompleteError,
)
from sfbulk_frames._models import COLUMN_DELIMITERS
from sfbulk_frames.cli.common import (
    EXIT_INTERRUPTED,
    EXIT_SALESFORCE,
    EXIT_TIMEOUT,
    Printer,
    add_subcommand,
)
from sfbulk_frames.cli.connect import make_client, reconnect_hint
from sfbulk_frames.cli.files import (
    FORMATS,
    FileFormat,
    detect_format,
    result_paths,
    scan_input,
    write_frame,
)
from sfbulk_frames.cli.manifest import Manifest, manifest_path
from sfbulk_frames.cli.output import (
    add_output_flags,
    count_input_rows,
    print_json,
    progress_for,
)
from sfbulk_frames.cli.summary import (
    load_exit_code,
    part_frames,
    print_load_summary,
    summary_payload,
)

__all__ = [
    "add_load_commands",
    "input_arguments",
    "open_input",
    "output_arguments",
    "parts_dir",
    "report_unfinished",
    "send_arguments",
    "write_results",
]

_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kKmMgG]?)[bB]?\s*$")

_EXAMPLES = {
    "insert": "  sfbulk insert Account accounts.csv --emulator\n"
              "  sfbulk insert Contact contacts.parquet --output-dir results/ --format csv",
    "update": "  sfbulk update Contact contacts.csv          # needs an Id column\n"
              "  sfbulk update Account accounts.ndjson --nulls set_null",
    "upsert": "  sfbulk upsert Contact contacts.csv --external-id ExternalId__c\n"
              "  sfbulk upsert Account big.parquet --external-id ExternalId__c --max-bytes 50MB",
    "delete": "  sfbulk delete Contact ids.csv               # needs an Id column\n"
              "  sfbulk delete Contact ids.csv --hard",
}
_HELP = {
    "insert": "insert the rows of FILE as new records",
    "update": "update the records named by the Id column of FILE",
    "upsert": "insert or update by an external ID field (--external-id)",
    "delete": "delete the records named by the Id column of FILE",
}


def parse_size(text: str) -> int:
    """``"10MB"`` -> 10485760, ``"5000"`` -> 5000 (for --max-bytes)."""
    match = _SIZE.match(text)
    if match is None:
        raise argparse.ArgumentTypeError(f"{text!r} is not a size; use e.g. 50000, 512k or 10MB")
    factor = {"": 1, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30}[match.group(2).lower()]
    return int(float(match.group(1)) * factor)


def input_arguments(parser: argparse.ArgumentParser) -> None:
    """FILE and the options describing how to read it."""
    parser.add_argument("file", type=Path, metavar="FILE",
                        help="input file: .csv, .parquet or .ndjson")
    group = parser.add_argument_group("input")
    group.add_argument("--input-format", choices=FORMATS,
                       help="override the format from the suffix")
    group.add_argument("--separator", default=",", metavar="CHAR",
                       help="field separator of an input CSV (default ',')")
    group.add_argument("--infer-types", action="store_true",
                       help="infer CSV column types (default: every column is sent as written)")


def output_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("results")
    group.add_argument("--output-dir", type=Path, metavar="DIR",
                       help="where to write FILE.successful/.failed/.unprocessed (default: next "
                            "to FILE); with it, each job's rows also go to "
                            "DIR/FILE.parts/<part>/part-*.parquet as the job finishes, so "
                            "memory stays flat however big FILE is")
    group.add_argument("--format", choices=FORMATS, dest="output_format",
                       help="format of the result files (default: the input's)")
    group.add_argument("--fail-on", choices=("failed", "unprocessed", "never"), default="failed",
                       help="exit 1 when rows failed or were unprocessed (failed, the default), "
                            "only when rows were unprocessed, or never")
    add_output_flags(group)
    group.add_argument("--timeout", type=float, metavar="SECONDS",
                       help="stop waiting after this long (jobs keep running; exit 4 with the "
                            "resume command)")


def _job_arguments(parser: argparse.ArgumentParser, operation: str) -> None:
    parser.add_argument("object", metavar="OBJECT", help="sObject API name, e.g. Contact")
    input_arguments(parser)
    group = parser.add_argument_group("job")
    if operation == "upsert":
        group.add_argument("--external-id", required=True, metavar="FIELD",
                           help="the External ID field to match on (or Id)")
    if operation == "delete":
        group.add_argument("--hard", action="store_true",
                           help="hard delete: bypass the Recycle Bin")
    send_arguments(group)
    output_arguments(parser)


def send_arguments(group: Any) -> None:
    """The options that say how rows are sent (recorded in the manifest for ``sfbulk retry``)."""
    group.add_argument("--nulls", choices=("skip", "set_null"), default="skip",
                       help="empty cells: leave the field unchanged (skip) or clear it (set_null)")
    group.add_argument("--delimiter", choices=list(COLUMN_DELIMITERS), default="COMMA",
                       help="column delimiter of the uploaded CSV")
    group.add_argument("--line-ending", choices=("LF", "CRLF"), default="LF")
    group.add_argument("--max-bytes", type=parse_size, metavar="SIZE",
                       help="upload size per job, e.g. 10MB (default: a margin under 100 MB)")
    group.add_argument("--max-records", type=int, metavar="N", help="rows per job at most")
    group.add_argument("--concurrency", type=int, default=4, metavar="N",
                       help="jobs running at the same time (default 4)")
    group.add_argument("--assignment-rule-id", metavar="ID")
    group.add_argument("--delete-jobs", action="store_true",
                       help="delete the jobs in Salesforce once their results are saved")
    group.add_argument("--preflight", choices=("columns", "rows", "off"), default="columns",
                       help="check against describe before sending: the columns (default), "
                            "also hold back the rows that would fail (rows: they go to the "
                            "failed file, marked PREFLIGHT), or off")


def add_load_commands(subparsers: Any, parents: list[argparse.ArgumentParser]) -> None:
    for operation in ("insert", "update", "upsert", "delete"):
        summary = _HELP[operation]
        parser = add_subcommand(
            subparsers, operation, help=summary,
            description=f"{summary[0].upper()}{summary[1:]} with the Bulk API 2.0. The result "
            "files (successful, failed, unprocessed) hold your input rows plus sf__Id, "
            "sf__Created / sf__Error and sf__Row (the row's position in FILE).",
            examples=_EXAMPLES[operation], parents=parents,
        )
        _job_arguments(parser, operation)
        parser.set_defaults(handler=run_load, operation=operation)


def _load_options(args: argparse.Namespace, total_rows: int | None) -> dict[str, Any]:
    options: dict[str, Any] = {
        "nulls": args.nulls,
        "column_delimiter": args.delimiter,
        "line_ending": args.line_ending,
        "max_records": args.max_records,
        "max_concurrent_jobs": args.concurrency,
        "timeout": args.timeout,
        "progress": progress_for(args, total_rows),
        "delete_jobs": args.delete_jobs,
        "preflight": False if args.preflight == "off" else args.preflight,
    }
    if args.max_bytes is not None:
        options["max_bytes"] = args.max_bytes
    if args.assignment_rule_id:
        options["assignment_rule_id"] = args.assignment_rule_id
    return options


def without_result_columns(frame: pl.LazyFrame, printer: Printer | None) -> pl.LazyFrame:
    """``frame`` without the ``sf__*`` columns of an earlier load's result file (one notice)."""
    names = frame.collect_schema().names()
    result_columns = [name for name in names if name.startswith("sf__")]
    if not result_columns:
        return frame
    if printer is not None:
        printer.err(f"note: not sending the result columns {', '.join(result_columns)} of an "
                    "earlier load (to keep each row's outcome, use sfbulk retry RESULT_DIR)")
    return frame.drop(result_columns)


def parts_dir(args: argparse.Namespace, printer: Printer) -> Path:
    """``--output-dir``: the folder where each job's parts go as parquet while the load runs
    (``OUTPUT_DIR/FILE.parts/successful/part-*.parquet``, ...), so the load's memory stays
    flat; the part files of an earlier run of the same FILE are replaced, as the result files
    are."""
    folder: Path = args.output_dir / f"{args.file.stem}.parts"
    old = sorted(folder.glob("*/part-*.parquet"))
    if old:
        printer.err(f"note: replacing the {len(old)} part files of an earlier load in {folder}")
        for path in old:
            path.unlink()
    return folder


def open_input(args: argparse.Namespace,
               printer: Printer | None = None) -> tuple[pl.LazyFrame, FileFormat]:
    """Scan FILE as the options say, without the ``sf__*`` columns of a result file. Raises
    FrameError for unreadable or non-UTF-8 files."""
    fmt = detect_format(args.file, args.input_format)
    frame = scan_input(args.file, fmt, infer_types=args.infer_types, separator=args.separator)
    return without_result_columns(frame, printer), fmt


def write_results(args: argparse.Namespace, result: Any, input_format: FileFormat,
                  printer: Printer, *, title: str, started: float) -> int:
    """Write the three result files, print the summary and return the exit code."""
    out_format: FileFormat = args.output_format or input_format
    paths = result_paths(args.file, out_format, args.output_dir, input_format)
    frames = part_frames(result)
    for part, frame in frames.items():
        write_frame(frame, paths[part], out_format)
    Manifest.from_args(args, result, input_format, out_format, paths).write(manifest_path(paths))
    jobs = list(getattr(result, "jobs", []))
    elapsed = time.monotonic() - started
    code = load_exit_code(frames, args.fail_on)
    if args.json:
        print_json(printer, summary_payload(
            command=getattr(args, "operation", None) or args.command,
            object_name=str(getattr(result, "object", "") or getattr(args, "object", "")),
            frames=frames, jobs=jobs, paths=paths, elapsed=elapsed, exit_status=code))
    elif not args.quiet:
        print_load_summary(printer, title=title, frames=frames, jobs=jobs, paths=paths,
                           elapsed=elapsed)
    return code


_REPEATED = (  # (destination, flag) of the options a resume command repeats
    ("input_format", "--input-format"), ("separator", "--separator"),
    ("infer_types", "--infer-types"), ("nulls", "--nulls"), ("delimiter", "--delimiter"),
    ("line_ending", "--line-ending"), ("max_bytes", "--max-bytes"),
    ("max_records", "--max-records"), ("concurrency", "--concurrency"),
    ("assignment_rule_id", "--assignment-rule-id"), ("delete_jobs", "--delete-jobs"),
    ("output_dir", "--output-dir"), ("output_format", "--format"), ("fail_on", "--fail-on"),
    ("no_progress", "--no-progress"), ("quiet", "--quiet"), ("json", "--json"),
    ("preflight", "--preflight"),
)
# not --timeout: the jobs may need longer than the load waited
_DEFAULTS = {"separator": ",", "nulls": "skip", "delimiter": "COMMA", "line_ending": "LF",
             "concurrency": 4, "fail_on": "failed", "preflight": "columns"}


def _quoted(value: object) -> str:
    text = str(value)
    return text if text and all(c.isalnum() or c in "-_./:=@+," for c in text) else repr(text)


def original_options(args: argparse.Namespace) -> list[str]:
    """The options of this command that differ from their defaults, as command-line words."""
    words: list[str] = []
    for dest, flag in _REPEATED:
        value = getattr(args, dest, None)
        if value is None or value is False or value == _DEFAULTS.get(dest):
            continue
        words.append(flag if value is True else f"{flag} {_quoted(value)}")
    return words


def resume_command(args: argparse.Namespace, job_ids: list[str]) -> str:
    connection = reconnect_hint(args)
    parts = ["sfbulk jobs resume", _quoted(args.file), *job_ids, *original_options(args)]
    if connection:
        parts.append(connection)
    return " ".join(parts)


def report_unfinished(
    args: argparse.Namespace,
    exc: JobTimeoutError | JobInterruptedError | LoadIncompleteError,
    printer: Printer,
) -> int:
    """Print why the load stopped and how to collect its results; returns the exit code."""
    interrupted = isinstance(exc, JobInterruptedError)
    if isinstance(exc, LoadIncompleteError):
        prefix = "error"
        printer.err(f"error: {exc.reason}")
        code = EXIT_SALESFORCE
    else:
        prefix = "interrupted" if interrupted else "timeout"
        message = str(exc).split(" — call res = sfbulk_frames.resume(")[0]
        printer.err(message if message.lower().startswith(prefix) else f"{prefix}: {message}")
        code = EXIT_INTERRUPTED if interrupted else EXIT_TIMEOUT
    if getattr(args, "json", False):
        print_json(printer, {"exit_status": code, "error": prefix, "job_ids": list(exc.job_ids),
                             "resume": resume_command(args, list(exc.job_ids))
                             if exc.job_ids else None})
    if exc.job_ids:
        printer.err("to collect the results of the uploaded jobs and write the result files, "
                    "run:")
        printer.err("  " + resume_command(args, list(exc.job_ids)))
        printer.err("then send the rows no job received with: sfbulk retry "
                    + _quoted(args.output_dir or args.file.parent or "."))
    else:
        printer.err("no job had received its data yet: run the same command again")
    return code


def run_load(args: argparse.Namespace, printer: Printer) -> int:
    from sfbulk_frames import _api

    if args.concurrency < 1:
        raise ConfigurationError("--concurrency must be at least 1")
    started = time.monotonic()
    frame, fmt = open_input(args, printer)
    client = make_client(args, printer)
    total = None if progress_for(args) is False else count_input_rows(args.file, fmt,
                                                                      args.separator)
    options = _load_options(args, total)
    if args.output_dir is not None:
        options["results_dir"] = parts_dir(args, printer)
    try:
        if args.operation == "upsert":
            result = _api.upsert(frame, args.object, args.external_id, client=client, **options)
        elif args.operation == "delete":
            result = _api.delete(frame, args.object, hard=args.hard, client=client, **options)
        else:
            result = getattr(_api, args.operation)(frame, args.object, client=client, **options)
    except (JobTimeoutError, JobInterruptedError, LoadIncompleteError) as exc:
        return report_unfinished(args, exc, printer)
    operation = "hard delete" if args.operation == "delete" and args.hard else args.operation
    return write_results(args, result, fmt, printer, title=f"{operation} {args.object} from "
                         f"{args.file.name}", started=started)
