"""The high-level ingest pipeline: frame → chunks → one job per chunk → results joined back.

Chunk n+1 is encoded while earlier chunks upload and run; at most ``max_concurrent_jobs``
chunks are held in memory. A chunk whose upload breaks midway has its job aborted (by the
client) and is sent again on a new job, so no row is processed twice and none is lost.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Iterator, Mapping
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait
from dataclasses import dataclass, field, replace
from functools import partial
from typing import TYPE_CHECKING, Any

import polars as pl

from sfbulk_frames._config import PollPolicy
from sfbulk_frames._context import resolve_client
from sfbulk_frames._exceptions import (
    JobInterruptedError,
    JobTimeoutError,
    LoadIncompleteError,
    ServerError,
    SfBulkError,
    TransportError,
)
from sfbulk_frames._models import COLUMN_DELIMITERS, JobInfo
from sfbulk_frames.frames.backend import DEFAULT_BATCH_ROWS, iter_batches, to_polars
from sfbulk_frames.frames.decode import read_result_csv
from sfbulk_frames.frames.encode import Chunk, EncodeOptions, iter_chunks, validate_frame
from sfbulk_frames.frames.joinback import MatchOutcome, ResultSource, column_kinds, match_encoded
from sfbulk_frames.frames.result import BulkResult
from sfbulk_frames.frames.result.part_files import PartFiles
from sfbulk_frames.pipeline.outcomes import (
    ChunkRun,
    Parts,
    SourceRows,
    Stopped,
    assemble,
    explain_job_failure,
    indexed,
    settle,
)
from sfbulk_frames.pipeline.preflight import PreflightMode, RowGate, prepare
from sfbulk_frames.pipeline.progress import ProgressLike, Reporter
from sfbulk_frames.pipeline.reporting import make_reporter
from sfbulk_frames.pipeline.spill import assemble_files, release_freed_memory, spill_chunk

if TYPE_CHECKING:
    from sfbulk_frames.client.clients import Client
    from sfbulk_frames.client.jobs import IngestJob

__all__ = [
    "IngestSpec",
    "Parts",
    "assemble",
    "fetch_results",
    "indexed",
    "join_kinds",
    "result_readers",
    "run_ingest",
]

logger = logging.getLogger("sfbulk_frames")

UPLOAD_ATTEMPTS = 3
_PUBLIC_NAME = {"hardDelete": "delete"}  # the public function of an operation, for errors


@dataclass(frozen=True)
class IngestSpec:
    """Everything a load needs besides the frame and the client."""

    object: str
    operation: str
    external_id_field: str | None = None
    assignment_rule_id: str | None = None
    encode: EncodeOptions = field(default_factory=EncodeOptions)
    max_concurrent_jobs: int = 4
    timeout: float | None = None
    poll: PollPolicy | None = None
    delete_jobs: bool = False
    raise_on_failure: bool = False
    results_dir: str | os.PathLike[str] | None = None
    """Write each job's parts to parquet there as they arrive (see frames/result/part_files.py)."""
    preflight: PreflightMode = "columns"

    @property
    def key(self) -> str | None:
        if self.operation == "upsert":
            return self.external_id_field
        if self.operation in ("update", "delete", "hardDelete"):
            return "Id"
        return None


@dataclass
class _Ledger:
    """Every job of a load, so that a timeout or Ctrl-C can say exactly what to resume."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    open_jobs: dict[str, IngestJob] = field(default_factory=dict)
    closed: list[str] = field(default_factory=list)
    superseded: list[str] = field(default_factory=list)

    def opened(self, job: IngestJob) -> None:
        with self.lock:
            self.open_jobs[job.id] = job

    def mark_closed(self, job_id: str) -> None:
        with self.lock:
            self.open_jobs.pop(job_id, None)
            self.closed.append(job_id)

    def mark_superseded(self, job_id: str) -> None:
        with self.lock:
            self.open_jobs.pop(job_id, None)
            self.superseded.append(job_id)


def _deadline_left(deadline: float | None) -> float | None:
    return None if deadline is None else max(0.0, deadline - time.monotonic())


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


def fetch_results(job: IngestJob, info: JobInfo) -> dict[str, pl.DataFrame]:
    """The three result sets of a finished job as all-text frames."""
    delimiter = COLUMN_DELIMITERS[info.column_delimiter or "COMMA"]
    line_ending = info.line_ending or "LF"
    return {
        "successful": read_result_csv(
            job.successful_results(), delimiter=delimiter, line_ending=line_ending
        ),
        "failed": read_result_csv(
            job.failed_results(), delimiter=delimiter, line_ending=line_ending
        ),
        "unprocessed": read_result_csv(
            job.unprocessed_records(), delimiter=delimiter, line_ending=line_ending
        ),
    }


def result_readers(job: IngestJob, info: JobInfo) -> dict[str, ResultSource]:
    """The three result sets of a finished job, downloaded now and parsed on demand (only the
    columns the join-back asks for); the bytes are freed with the readers."""
    read = partial(
        read_result_csv,
        delimiter=COLUMN_DELIMITERS[info.column_delimiter or "COMMA"],
        line_ending=info.line_ending or "LF",
    )
    return {
        "successful": partial(read, job.successful_results()),
        "failed": partial(read, job.failed_results()),
        "unprocessed": partial(read, job.unprocessed_records()),
    }


class _Load:
    """One run of the pipeline (one call of insert/update/upsert/delete)."""

    def __init__(
        self, client: Client, spec: IngestSpec, kinds: Mapping[str, str], reporter: Reporter
    ):
        self.client = client
        self.spec = spec
        self.kinds = kinds
        self.reporter = reporter
        self.ledger = _Ledger()
        self.stop = threading.Event()
        self.deadline = None if spec.timeout is None else time.monotonic() + spec.timeout
        self.uploaded: dict[int, str] = {}
        """Chunk start -> the job that received the chunk's rows."""
        self._counts = threading.Lock()
        self._submitted: int | None = None  # known once every chunk has been handed out
        self._uploaded = 0
        self.files: PartFiles | None = None
        """Where finished chunks' parts go (``results_dir=``); None keeps them in memory."""
        self.collecting = threading.Lock()
        """Held while a chunk's results are downloaded, matched and written (results_dir=)."""

    def _emit(self, kind: Any, **fields: Any) -> None:
        self.reporter.emit(kind, self.spec.operation, object=self.spec.object, **fields)

    def _create_and_upload(self, chunk: Chunk) -> IngestJob:
        spec = self.spec
        for attempt in range(1, UPLOAD_ATTEMPTS + 1):
            job = self.client.create_ingest_job(
                spec.object,
                spec.operation,
                external_id_field=spec.external_id_field,
                column_delimiter=spec.encode.column_delimiter,
                line_ending=spec.encode.line_ending,
                assignment_rule_id=spec.assignment_rule_id,
            )
            self.ledger.opened(job)
            self._emit("job_created", job_id=job.id, state="Open")
            try:
                job.upload(chunk.data)
                chunk.release_data()  # sent: the bytes are not needed again
            except (TransportError, ServerError) as exc:
                # The client aborted this job; the chunk goes again on a fresh job.
                self.ledger.mark_superseded(job.id)
                if attempt == UPLOAD_ATTEMPTS:
                    raise
                logger.warning(
                    "upload of rows %d..%d to job %s failed (%s); sending them on a new job",
                    chunk.start,
                    chunk.start + chunk.n_rows - 1,
                    job.id,
                    type(exc).__name__,
                )
                self._emit("retry_chunk", job_id=job.id, rows=chunk.n_rows, message=str(exc))
                continue
            job.close()
            self.ledger.mark_closed(job.id)
            self.uploaded[chunk.start] = job.id
            self._emit("chunk_uploaded", job_id=job.id, rows=chunk.n_rows, state="UploadComplete")
            self.count_upload()
            return job
        raise AssertionError("unreachable")  # pragma: no cover

    def count_upload(self, submitted: int | None = None) -> None:
        """Count one finished upload (or learn how many chunks there are); emits
        ``uploads_done`` once every chunk has been uploaded."""
        with self._counts:
            if submitted is None:
                self._uploaded += 1
            else:
                self._submitted = submitted
            done = self._submitted is not None and self._uploaded == self._submitted
        if done:
            self._emit("uploads_done")

    def _on_poll(self, info: JobInfo) -> None:
        if self.stop.is_set():
            raise Stopped
        self._emit(
            "job_state",
            job_id=info.id,
            state=str(info.state),
            processed=info.number_records_processed,
            failed=info.number_records_failed,
        )

    def run_chunk(self, chunk: Chunk) -> tuple[pl.DataFrame, MatchOutcome, list[JobInfo]]:
        job = self._create_and_upload(chunk)
        info = job.wait(
            timeout=_deadline_left(self.deadline), poll=self.spec.poll, on_poll=self._on_poll
        )
        self._emit(
            "job_done",
            job_id=info.id,
            state=str(info.state),
            processed=info.number_records_processed,
            failed=info.number_records_failed,
        )
        if self.files is None:
            return *self._joined(chunk, job, info), [info]
        # results_dir=: one chunk's results in memory at a time (jobs still run in parallel)
        with self.collecting:
            rows, outcome = self._joined(chunk, job, info)
            kept = spill_chunk(self.files, rows, outcome, [info])
            chunk.rows = chunk.rows.clear()  # written: the input rows are not needed again
            del rows, outcome
            release_freed_memory()
        return kept

    def _joined(
        self, chunk: Chunk, job: IngestJob, info: JobInfo
    ) -> tuple[pl.DataFrame, MatchOutcome]:
        """The chunk's rows (with sf__Row) and the job's results matched to them."""
        readers = result_readers(job, info)
        self._emit("results_downloaded", job_id=info.id, rows=info.number_records_processed or 0)
        outcome = explain_job_failure(match_encoded(
            chunk.rows, chunk.cells_of, start=chunk.start, key=self.spec.key, kinds=self.kinds,
            **readers,
        ), info)
        if self.spec.delete_jobs:
            job.delete()
        return indexed(chunk.rows, chunk.start), outcome

    def resume_hint(self) -> str:
        ids = self.ledger.closed
        return (
            f"call res = sfbulk_frames.resume(df, {ids!r}) to collect their results, then "
            "res.retry() to send the rows no job received"
        )

    def abort_open_jobs(self) -> list[str]:
        aborted = []
        with self.ledger.lock:
            jobs = list(self.ledger.open_jobs.values())
        for job in jobs:
            try:
                job.abort()
                aborted.append(job.id)
            except Exception as exc:  # best effort while interrupted
                logger.warning("could not abort job %s: %s", job.id, exc)
        return aborted


def _wait_all(runs: list[ChunkRun]) -> None:
    """Wait until every job has finished (or failed). Waits in short slices: a bare wait is not
    woken by Ctrl-C once polars has installed its own SIGINT handler."""
    pending = {run.future for run in runs}
    while pending:
        _done, pending = wait(pending, timeout=0.2, return_when=FIRST_EXCEPTION)


def _submit_all(
    load: _Load, chunks: Iterator[Chunk], pool: ThreadPoolExecutor, source: SourceRows,
    runs: list[ChunkRun],
) -> BaseException | None:
    """Submit one job per chunk into ``runs``; stop at the first failed job. Returns the error
    that stopped reading the input (a source or encoding error), else None."""
    slots = threading.BoundedSemaphore(load.spec.max_concurrent_jobs)

    def failed() -> bool:
        return any(r.future.done() and r.future.exception() is not None for r in runs)

    try:
        for chunk in chunks:
            load.reporter.emit(
                "chunk_encoded", load.spec.operation, object=load.spec.object, rows=chunk.n_rows
            )
            while not slots.acquire(timeout=0.05):
                if failed():
                    return None  # stop sending; the error surfaces when the runs settle
            if failed():
                slots.release()
                return None
            fut = pool.submit(load.run_chunk, chunk)
            fut.add_done_callback(lambda _f: slots.release())
            runs.append(ChunkRun(chunk, fut))
            source.mark_sent(chunk.stop)
    except Exception as exc:  # reading or encoding the input failed part-way
        return exc
    load.count_upload(submitted=len(runs))
    return None


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
    from sfbulk_frames.pipeline.resend import PipelineResend

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
    reporter = make_reporter(progress, desc=f"{spec.operation} {spec.object}")
    total = frame.height if isinstance(frame, pl.DataFrame) else _parquet_height(frame)
    load = _Load(client, spec, kinds, reporter)
    load.files = files
    reporter.emit("start", spec.operation, object=spec.object, total_rows=total)
    batches = iter_batches(frame, batch_rows)
    if gate is not None:
        batches = gate.filter(batches)  # rows describe proves would fail are held back
    source = SourceRows(batches)
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
        source_error = _submit_all(load, iter_chunks(source, spec.encode), pool, source, runs)
        _wait_all(runs)
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
    spec: IngestSpec, load: _Load, result: BulkResult[Any], error: BaseException
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
