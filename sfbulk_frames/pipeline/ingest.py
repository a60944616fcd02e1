"""The high-level ingest pipeline: frame → chunks → one job per chunk → results joined back.

Chunk n+1 is encoded while earlier chunks upload and run; at most ``max_concurrent_jobs``
chunks are held in memory. A chunk whose upload breaks midway has its job aborted (by the
client) and is sent again on a new job, so no row is processed twice and none is lost.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import polars as pl

from sfbulk_frames._context import resolve_client
from sfbulk_frames._exceptions import (
    JobInterruptedError,
    JobTimeoutError,
    LoadIncompleteError,
    SfBulkError,
)
from sfbulk_frames.frames.backend import DEFAULT_BATCH_ROWS, to_polars
from sfbulk_frames.frames.encode import validate_frame
from sfbulk_frames.frames.joinback import column_kinds
from sfbulk_frames.frames.result import BulkResult
from sfbulk_frames.frames.result.part_files import PartFiles
from sfbulk_frames.frames.result.retry import RetryOptions
from sfbulk_frames.pipeline.chunk_runner import (
    ChunkRunner,
    cancel_unstarted,
    fetch_results,
    submit_all,
    wait_all,
)
from sfbulk_frames.pipeline.outcomes import (
    ChunkRun,
    Parts,
    SourceRows,
    assemble,
    indexed,
    settle,
)
from sfbulk_frames.pipeline.plan import plan_load
from sfbulk_frames.pipeline.preflight import RowGate, prepare
from sfbulk_frames.pipeline.progress import ProgressLike
from sfbulk_frames.pipeline.reporting import make_reporter
from sfbulk_frames.pipeline.spec import IngestSpec, encode_nulls
from sfbulk_frames.pipeline.spill import assemble_files

if TYPE_CHECKING:
    from sfbulk_frames.client.clients import Client

__all__ = [
    "IngestSpec",
    "Parts",
    "PipelineResend",
    "assemble",
    "encode_nulls",
    "fetch_results",
    "indexed",
    "join_kinds",
    "run_ingest",
]

logger = logging.getLogger("sfbulk_frames")

_PUBLIC_NAME = {"hardDelete": "delete"}  # the public function of an operation, for errors


_KIND_OF_FIELD_TYPE = {
    "int": "number",
    "long": "number",
    "double": "number",
    "currency": "number",
    "percent": "number",
    "boolean": "boolean",
    "date": "date",
    "datetime": "datetime",
    "time": "time",
}


def join_kinds(
    client: Client, object_name: str, schema: Mapping[str, pl.DataType]
) -> dict[str, str]:
    """How to compare each column's sent and echoed values.

    Typed columns follow their dtype. Text columns (e.g. a CSV read as text) are compared by
    the Salesforce field's type, because Salesforce echoes ``912260031`` sent to a double field
    as ``9.12260031E8``; when describe is not available they are compared as text.
    """
    kinds = column_kinds(schema)
    if all(kind != "text" for kind in kinds.values()):
        return kinds
    try:
        fields = {f["name"].lower(): f["type"] for f in client.describe(object_name)["fields"]}
    except SfBulkError as exc:
        logger.info("describe %s failed (%s); text columns are matched as text", object_name, exc)
        return kinds
    for column, kind in kinds.items():
        field_kind = _KIND_OF_FIELD_TYPE.get(fields.get(column.lower(), ""))
        if kind == "text" and field_kind is not None:
            kinds[column] = field_kind
    return kinds


@dataclass(frozen=True)
class PipelineResend:
    """Re-sends rows with the spec (object, operation, key, options) and client of a load.

    Holds a reference to the client object, never its credentials in any text form; its repr
    shows the object and operation only.
    """

    spec: IngestSpec
    progress: ProgressLike
    client: Client | None = dataclasses.field(default=None, repr=False)

    @property
    def object(self) -> str:
        return self.spec.object

    @property
    def operation(self) -> str:
        return self.spec.operation

    @property
    def key(self) -> str | None:
        return self.spec.key

    @property
    def raise_on_failure(self) -> bool:
        return self.spec.raise_on_failure

    def __call__(self, frame: Any, *, client: Any, options: RetryOptions) -> BulkResult[Any]:
        changed = options.changed()
        encode = self.spec.encode
        if "nulls" in changed:
            encode = encode_nulls(encode, changed.pop("nulls"))
        encode = dataclasses.replace(
            encode, **{k: changed.pop(k) for k in ("max_records", "max_bytes") if k in changed}
        )
        progress = changed.pop("progress", self.progress)
        changed.pop("raise_on_failure", None)  # the combined result decides, not the attempt
        # an attempt's result stays in memory: the load's results_dir holds the first one's
        spec = dataclasses.replace(self.spec, encode=encode, raise_on_failure=False,
                                   results_dir=None, **changed)
        return run_ingest(frame, spec, client=client or self.client, progress=progress)


def _add_held(parts: Parts, gate: RowGate) -> None:
    """Positions of sent rows back to input positions; the held-back rows join ``failed``."""
    for group in (parts.successful, parts.failed, parts.unprocessed):
        group[:] = [gate.remap(part) for part in group]
    parts.failed.extend(gate.held)


def run_ingest(
    df: Any,
    spec: IngestSpec,
    *,
    client: Client | None = None,
    progress: ProgressLike = "auto",
    batch_rows: int = DEFAULT_BATCH_ROWS,
) -> BulkResult[Any]:
    """Load ``df`` with one job per chunk and return the joined-back result.

    Raises FrameError (PreflightError when describe proves a column cannot be loaded) before
    any job is created when the frame cannot be sent, JobTimeoutError (with job ids) when
    ``spec.timeout`` passes, JobInterruptedError on Ctrl-C, and LoadIncompleteError for any
    other error after a job received data. Each carries the partial result (``.result``) in
    which rows no job received are ``NOT_SENT``.
    """
    frame = to_polars(df)
    schema = frame.collect_schema()
    validate_frame(
        list(schema.names()),
        dict(schema),
        operation=spec.operation,
        external_id_field=spec.external_id_field,
    )
    if isinstance(frame, pl.DataFrame) and frame.height == 0:
        empty = BulkResult.empty(df, spec.object, spec.operation)
        empty.resend = PipelineResend(spec, progress, client)  # nothing sent: no client needed
        return empty
    client = resolve_client(client, function=_PUBLIC_NAME.get(spec.operation, spec.operation))
    resend = PipelineResend(spec, progress, client)
    files = None
    if spec.results_dir is not None:
        files = PartFiles(spec.results_dir, dict(schema))
        files.prepare()
    encode, converted_kinds, gate = prepare(
        client, frame, schema, object_name=spec.object, operation=spec.operation,
        external_id_field=spec.external_id_field, options=spec.encode, mode=spec.preflight,
    )
    spec = replace(spec, encode=encode)
    kinds = {**join_kinds(client, spec.object, dict(schema)), **converted_kinds}
    # job sizing and lock-aware grouping (pipeline/plan.py); preflight's gate filters first
    plan = plan_load(
        frame, spec, client, batch_rows=batch_rows,
        group_by_parent=spec.group_by_parent if files is None else False,
        row_filter=gate.filter if gate is not None else None,  # rows describe proves would fail
    )
    spec = replace(spec, max_concurrent_jobs=plan.concurrency)
    reporter = make_reporter(progress, desc=f"{spec.operation} {spec.object}")
    total = frame.height if isinstance(frame, pl.DataFrame) else _parquet_height(frame)
    load = ChunkRunner(client, spec, kinds, reporter)
    load.files = files
    reporter.emit("start", spec.operation, object=spec.object, total_rows=total)
    source = SourceRows(plan.batches)
    runs: list[ChunkRun] = []
    pool = ThreadPoolExecutor(max_workers=spec.max_concurrent_jobs, thread_name_prefix="sfbulk")
    columns = list(schema.names())
    completed = False

    def outcome(why: str) -> tuple[BulkResult[Any], BaseException | None]:
        """The result of every row read (see settle) and the first error of a job."""
        settled, error = settle(runs, source, load.uploaded, why=why,
                                resume_ids=list(load.ledger.closed))
        parts = Parts()
        for rows, chunk_outcome, infos in settled:
            parts.add(rows, chunk_outcome, infos)
        plan.restore_positions(parts)  # grouped order -> sent rows
        if gate is not None:
            _add_held(parts, gate)
        result = (
            assemble(parts, df, spec.object, spec.operation, columns) if load.files is None
            else assemble_files(load.files, parts, df, spec.object, spec.operation, columns)
        )
        result.resend = resend
        return result, error

    try:
        # a source error stops the sending; the jobs already sent are waited for all the same
        source_error = submit_all(load, plan.chunk(source), pool, source, runs)
        wait_all(runs)
        result, error = outcome(
            "the load stopped" if source_error is None
            else f"the load stopped ({type(source_error).__name__}: {source_error})"
        )
        error = source_error or error
        result.complete = completed = error is None
    except KeyboardInterrupt:
        load.stop.set()
        aborted = load.abort_open_jobs()
        pool.shutdown(wait=True, cancel_futures=True)
        cancel_unstarted(runs)
        result, _ = outcome("load interrupted (Ctrl-C)")
        result.complete = False
        raise JobInterruptedError(
            f"interrupted: aborted open jobs {aborted}; uploaded jobs keep running — "
            + load.resume_hint(),
            job_ids=load.ledger.closed,
            result=result,
        ) from None
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
        reporter.emit(
            "finish", spec.operation, object=spec.object, message="" if completed else "stopped"
        )
        reporter.close()
    if error is not None:
        _raise_incomplete(spec, load, result, error)
    if spec.raise_on_failure:
        result.raise_for_failures()
    return result


def _parquet_height(frame: pl.LazyFrame) -> int | None:
    """The row count of a lazy frame that is a plain parquet scan (from the files' metadata),
    else None: counting any other lazy input would mean reading it twice. A file that cannot
    be read is not counted (the load reports it when it reaches it)."""
    try:
        lines = [line.strip() for line in frame.explain().strip().splitlines()]
        if not lines or not lines[0].startswith("Parquet SCAN"):
            return None
        if any(not line.startswith(("PROJECT", "ESTIMATED ROWS")) for line in lines[1:]):
            return None
        return int(frame.select(pl.len()).collect().item())
    except pl.exceptions.PolarsError:
        return None


def _raise_incomplete(
    spec: IngestSpec, load: ChunkRunner, result: BulkResult[Any], error: BaseException
) -> None:
    """Raise the error that stopped a load, with the partial result and how to resume."""
    if isinstance(error, JobTimeoutError):
        raise JobTimeoutError(
            f"{spec.operation} {spec.object}: jobs did not finish within {spec.timeout}s; "
            f"nothing was aborted — {load.resume_hint()}",
            job_ids=load.ledger.closed,
            result=result,
        ) from None
    if not load.ledger.closed:
        raise error  # nothing reached Salesforce: the error says what to fix
    reason = (
        f"{spec.operation} {spec.object} stopped part-way ({type(error).__name__}: {error}); "
        f"jobs {load.ledger.closed} were already uploaded and keep running"
    )
    raise LoadIncompleteError(
        f"{reason} — {load.resume_hint()}",
        job_ids=load.ledger.closed,
        result=result,
        reason=reason,
        resume_hint=load.resume_hint(),
    ) from error
