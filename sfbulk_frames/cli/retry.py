"""``sfbulk retry RESULT_DIR [--fixed FILE]``: re-send the rows of an earlier load that did not
succeed and rewrite its result files as one report over the original input.

The load's manifest (``<name>.sfbulk.json``, written next to the result files) says what was
loaded and how; the result files say each input row's outcome (``sf__Row``). Without
``--fixed`` every failed and unprocessed row goes again with its original values; with it, the
corrected rows (an edited copy of the ``.failed`` file, any subset of it) go instead.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any

import polars as pl

from sfbulk_frames._exceptions import (
    ConfigurationError,
    FrameError,
    JobInterruptedError,
    JobTimeoutError,
    LoadIncompleteError,
)
from sfbulk_frames.cli.common import (
    EXIT_INTERRUPTED,
    EXIT_SALESFORCE,
    EXIT_TIMEOUT,
    Printer,
    add_subcommand,
)
from sfbulk_frames.cli.connect import make_client
from sfbulk_frames.cli.files import FORMATS, FileFormat, detect_format, scan_input, write_frame
from sfbulk_frames.cli.load import without_result_columns
from sfbulk_frames.cli.manifest import Manifest, find_manifest
from sfbulk_frames.cli.output import add_output_flags, print_json, progress_for
from sfbulk_frames.cli.summary import (
    load_exit_code,
    part_frames,
    print_load_summary,
    summary_payload,
)
from sfbulk_frames.frames.encode import DEFAULT_MAX_BYTES, EncodeOptions
from sfbulk_frames.frames.result import BulkResult
from sfbulk_frames.pipeline.ingest import IngestSpec, PipelineResend, encode_nulls
from sfbulk_frames.pipeline.preflight import check_mode

__all__ = ["add_retry_command", "run_retry"]

ROW = "sf__Row"
_EXAMPLES = """\
  sfbulk retry results/                       # re-send every failed and unprocessed row
  sfbulk retry results/ --fixed fixed.csv     # send corrected rows (keep their sf__Row)
  sfbulk retry results/contacts.sfbulk.json   # when the directory holds several loads"""


def add_retry_command(subparsers: Any, parents: list[argparse.ArgumentParser]) -> None:
    parser = add_subcommand(
        subparsers,
        "retry",
        help="re-send the rows of an earlier load that did not succeed",
        description="Re-send the failed and unprocessed rows of an earlier insert, update, "
        "upsert or delete (or the corrected rows of --fixed) with its object, operation and "
        "options, then rewrite its result files: rows that succeeded stay successful, retried "
        "rows take their new outcome, and every row keeps its sf__Row.",
        examples=_EXAMPLES,
        parents=parents,
    )
    parser.add_argument(
        "results",
        type=Path,
        metavar="RESULT_DIR",
        help="the directory of the load's result files (its --output-dir, or "
        "the input's directory), or the load's .sfbulk.json manifest",
    )
    parser.add_argument(
        "--fixed",
        type=Path,
        metavar="FILE",
        help="corrected rows to send instead, e.g. an edited copy of the "
        ".failed file: the sf__Row column says which input row each is",
    )
    parser.add_argument(
        "--fixed-format", choices=FORMATS, help="format of --fixed (default: from its suffix)"
    )
    group = parser.add_argument_group("results")
    group.add_argument(
        "--fail-on",
        choices=("failed", "unprocessed", "never"),
        default="failed",
        help="exit 1 when rows still failed or were unprocessed (see insert)",
    )
    add_output_flags(group)
    group.add_argument(
        "--timeout",
        type=float,
        metavar="SECONDS",
        help="stop waiting after this long (the jobs keep running)",
    )
    parser.set_defaults(handler=run_retry)


def _read(path: Path, fmt: FileFormat) -> pl.DataFrame:
    frame = scan_input(path, fmt, infer_types=False).collect()
    if ROW in frame.columns:
        try:
            frame = frame.with_columns(pl.col(ROW).cast(pl.Int64))
        except pl.exceptions.PolarsError:
            raise FrameError(
                f"{path}: sf__Row must hold whole numbers (the input row positions)", column=ROW
            ) from None
    return frame


def _outcomes(manifest: Manifest, directory: Path) -> dict[str, pl.DataFrame]:
    """The sf__ columns of each result file, with sf__Row and sf__Created typed."""
    parts = {}
    for part, name in manifest.results.items():
        path = directory / name
        if not path.is_file():
            raise ConfigurationError(f"{path} is missing: the result files of the load are needed")
        frame = _read(path, manifest.output_format)
        if frame.height and ROW not in frame.columns:
            raise ConfigurationError(f"{path} has no sf__Row column: it is not an sfbulk result")
        sf = frame.select(pl.col(r"^sf__.*$"))
        if "sf__Created" in sf.columns and sf.schema["sf__Created"] == pl.String:
            sf = sf.with_columns(pl.col("sf__Created").str.to_lowercase() == "true")
        parts[part] = sf
    return parts


def rebuild_result(manifest: Manifest, directory: Path) -> BulkResult[Any]:
    """The load's BulkResult over its input file, from the manifest and the result files."""
    source = Path(manifest.input_path)
    frame = without_result_columns(
        scan_input(
            source,
            manifest.input_format,
            infer_types=manifest.infer_types,
            separator=manifest.separator,
        ),
        None,
    ).collect()
    if frame.height != manifest.input_rows:
        raise ConfigurationError(
            f"{source} has {frame.height:,} rows but the load read {manifest.input_rows:,}: the "
            "input changed since, so its rows no longer match the result files"
        )
    rows = frame.with_row_index(ROW).with_columns(pl.col(ROW).cast(pl.Int64))
    parts = {
        part: rows.join(sf, on=ROW, how="inner").sort(ROW)
        for part, sf in _outcomes(manifest, directory).items()
    }
    return BulkResult.from_parts(
        backend="polars",
        successful=parts["successful"],
        failed=parts["failed"],
        unprocessed=parts["unprocessed"],
        jobs=[],
        object=manifest.object,
        operation=manifest.operation,
        input_columns=frame.columns,
    )


def _spec(manifest: Manifest) -> IngestSpec:
    options = manifest.options
    encode = encode_nulls(
        EncodeOptions(
            column_delimiter=options.get("delimiter") or "COMMA",
            line_ending=options.get("line_ending") or "LF",
            max_bytes=options.get("max_bytes") or DEFAULT_MAX_BYTES,
            max_records=options.get("max_records"),
        ),
        options.get("nulls") or "skip",
    )
    return IngestSpec(
        object=manifest.object,
        operation=manifest.operation,
        external_id_field=manifest.external_id,
        assignment_rule_id=options.get("assignment_rule_id"),
        encode=encode,
        max_concurrent_jobs=options.get("concurrency") or 4,
        delete_jobs=bool(options.get("delete_jobs")),
        preflight=check_mode(False if options.get("preflight") == "off"
                             else options.get("preflight") or "columns"),
    )


def run_retry(args: argparse.Namespace, printer: Printer) -> int:
    started = time.monotonic()
    path = find_manifest(args.results)
    manifest = Manifest.read(path)
    result = rebuild_result(manifest, path.parent)
    fixed = None
    if args.fixed is not None:
        fixed = _read(args.fixed, detect_format(args.fixed, args.fixed_format))
    client = make_client(args, printer)
    result.resend = PipelineResend(_spec(manifest), progress_for(args), client)
    try:
        final = result.retry(fixed, client=client, timeout=args.timeout)
    except (JobTimeoutError, JobInterruptedError, LoadIncompleteError) as exc:
        reason = getattr(exc, "reason", None) or str(exc).split(" — ")[0]
        printer.err(f"the retry stopped: {reason}")
        printer.err(
            f"its jobs {exc.job_ids} keep running; the result files were not changed. "
            "Check them with sfbulk jobs show ID before retrying again"
        )
        if isinstance(exc, JobInterruptedError):
            return EXIT_INTERRUPTED
        return EXIT_TIMEOUT if isinstance(exc, JobTimeoutError) else EXIT_SALESFORCE
    paths = {part: path.parent / name for part, name in manifest.results.items()}
    frames = part_frames(final)
    for part, frame in frames.items():
        write_frame(frame, paths[part], manifest.output_format)
    manifest.jobs += [job.id for job in final.jobs]
    manifest.attempts += len(final.attempts) - 1
    manifest.write(path)
    sent = sum(len(a.jobs) for a in final.attempts[1:])
    elapsed = time.monotonic() - started
    code = load_exit_code(frames, args.fail_on)
    if args.json:
        payload = summary_payload(command="retry", object_name=manifest.object, frames=frames,
                                  jobs=final.jobs, paths=paths, elapsed=elapsed, exit_status=code)
        print_json(printer, {**payload, "attempt": manifest.attempts})
    elif not args.quiet:
        print_load_summary(
            printer,
            title=f"retry {manifest.operation} {manifest.object} (attempt "
            f"{manifest.attempts}, {sent} new job{'' if sent == 1 else 's'})",
            frames=frames,
            jobs=final.jobs,
            paths=paths,
            elapsed=elapsed,
        )
    return code
