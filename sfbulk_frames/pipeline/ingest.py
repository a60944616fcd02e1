"""The high-level ingest pipeline: frame → chunks → one job per chunk → results joined back.

Chunk n+1 is encoded while earlier chunks upload and run; at most ``max_concurrent_jobs``
chunks are held in memory. A chunk whose upload breaks midway has its job aborted (by the
client) and is sent again on a new job, so no row is processed twice and none is lost.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
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
from sfbulk_frames.frames.backend import backend_of, to_polars
from sfbulk_frames.frames.decode import read_result_csv
from sfbulk_frames.frames.encode import Chunk, EncodeOptions, validate_frame
from sfbulk_frames.frames.joinback import MatchOutcome, ResultSource, column_kinds, match_encoded
from sfbulk_frames.frames.result import BulkResult, sorted_by_row
from sfbulk_frames.pipeline.plan import default_poll, plan_load
from sfbulk_frames.pipeline.preflight import PreflightMode, RowGate, prepare
from sfbulk_frames.pipeline.progress import ProgressLike, Reporter, make_reporter

if TYPE_CHECKING:
    from sfbulk_frames.client.clients import Client
    from sfbulk_frames.client.jobs import IngestJob

__all__ = [
    "IngestSpec",
    "assemble",
    "fetch_results",
    "indexed",
    "join_kinds",
    "result_readers",
    "run_ingest",
]

logger = logging.getLogger("sfbulk_frames")

UPLOAD_ATTEMPTS = 3
BATCH_ROWS = 50_000


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
    group_by_parent: bool | str | None = None
    preflight: PreflightMode = "columns"

    @property
    def key(self) -> str | None:
        if self.operation == "upsert":
            return self.external_id_field
        if self.operation in ("update", "delete", "hardDelete"):
            return "Id"
        return None


class _Stop(Exception):
    """Raised inside a worker's poll callback when the load is being interrupted."""


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


@dataclass
class Parts:
    successful: list[pl.DataFrame] = field(default_factory=list)
    failed: list[pl.DataFrame] = field(default_factory=list)
    unprocessed: list[pl.DataFrame] = field(default_factory=list)
    unmatched: list[pl.DataFrame] = field(default_factory=list)
    jobs: list[JobInfo] = field(default_factory=list)

    def add(self, rows: pl.DataFrame, outcome: MatchOutcome, infos: list[JobInfo]) -> None:
        """Attach the input rows to each outcome part (``rows`` from :func:`indexed`)."""
        for target, matched in (
            (self.successful, outcome.successful),
            (self.failed, outcome.failed),
            (self.unprocessed, outcome.unprocessed),
        ):
            if matched.height:
                target.append(_with_rows(rows, matched))
        if outcome.unmatched.height:
            self.unmatched.append(outcome.unmatched)
        self.jobs.extend(infos)


def _with_rows(rows: pl.DataFrame, matched: pl.DataFrame) -> pl.DataFrame:
    """The input rows of ``matched`` (sorted by unique sf__Row) followed by its sf__ columns.

    Rows are taken by position; when ``matched`` covers every row of the chunk they are the
    input's own slices (no copy).
    """
    extra = matched.drop("sf__Row")
    if matched.height == rows.height:  # unique positions in the chunk's range: all, in order
        return rows.hstack(extra)
    first = rows.get_column("sf__Row")[0]
    return rows[matched.get_column("sf__Row") - first].hstack(extra)


def indexed(rows: pl.DataFrame, start: int) -> pl.DataFrame:
    return rows.with_row_index("sf__Row", offset=start).with_columns(
        pl.col("sf__Row").cast(pl.Int64)
    )


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
        # a load's own polling unless the load or the client chose one (see LOAD_POLL)
        self.poll = default_poll(client, spec.poll)
        self._counts = threading.Lock()
        self._submitted: int | None = None  # known once every chunk has been handed out
        self._uploaded = 0

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
            raise _Stop
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
            timeout=_deadline_left(self.deadline), poll=self.poll, on_poll=self._on_poll
        )
        self._emit(
            "job_done",
            job_id=info.id,
            state=str(info.state),
            processed=info.number_records_processed,
            failed=info.number_records_failed,
        )
        readers = result_readers(job, info)
        self._emit("results_downloaded", job_id=info.id, rows=info.number_records_processed or 0)
        outcome = match_encoded(
            chunk.rows, chunk.cells_of, start=chunk.start, key=self.spec.key, kinds=self.kinds,
            **readers,
        )
        if self.spec.delete_jobs:
            job.delete()
        return indexed(chunk.rows, chunk.start), outcome, [info]

    def resume_hint(self) -> str:
        ids = self.ledger.closed
        return f"call sfbulk_frames.resume(df, {ids!r}) to collect their results"

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


def _drain(futures: list[Future[Any]], parts: Parts) -> None:
    for fut in futures:
        # Wait in short slices: a bare result() is not woken by Ctrl-C once polars has
        # installed its own SIGINT handler, so the interrupt would only arrive at the end.
        while True:
            try:
                rows, outcome, infos = fut.result(timeout=0.2)
                break
            except FutureTimeout:
                continue
        parts.add(rows, outcome, infos)


def _submit_all(
    load: _Load, chunks: Iterator[Chunk], pool: ThreadPoolExecutor
) -> list[Future[Any]]:
    slots = threading.BoundedSemaphore(load.spec.max_concurrent_jobs)
    futures: list[Future[Any]] = []
    for chunk in chunks:
        load.reporter.emit(
            "chunk_encoded", load.spec.operation, object=load.spec.object, rows=chunk.n_rows
        )
        while not slots.acquire(timeout=0.05):
            failed = next((f for f in futures if f.done() and f.exception() is not None), None)
            if failed is not None:
                return futures  # stop sending; the error surfaces in _drain
        fut = pool.submit(load.run_chunk, chunk)
        fut.add_done_callback(lambda _f: slots.release())
        futures.append(fut)
    load.count_upload(submitted=len(futures))
    return futures


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
    batch_rows: int = BATCH_ROWS,
) -> BulkResult:
    """Load ``df`` with one job per chunk and return the joined-back result.

    Raises FrameError (PreflightError when describe proves a column cannot be loaded) before
    any job is created when the frame cannot be sent, JobTimeoutError
    (with job ids) when ``spec.timeout`` passes, JobInterruptedError on Ctrl-C.
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
        return BulkResult.empty(df, spec.object, spec.operation)
    client = resolve_client(client)
    encode, converted_kinds, gate = prepare(
        client, frame, schema, object_name=spec.object, operation=spec.operation,
        external_id_field=spec.external_id_field, options=spec.encode, mode=spec.preflight,
    )
    spec = replace(spec, encode=encode)
    kinds = {**join_kinds(client, spec.object, dict(schema)), **converted_kinds}
    plan = plan_load(frame, spec, client, batch_rows=batch_rows,
                     group_by_parent=spec.group_by_parent,
                     row_filter=gate.filter if gate is not None else None)
    spec = replace(spec, max_concurrent_jobs=plan.concurrency)
    reporter = make_reporter(progress, desc=f"{spec.operation} {spec.object}")
    total = frame.height if isinstance(frame, pl.DataFrame) else _parquet_height(frame)
    load = _Load(client, spec, kinds, reporter)
    reporter.emit("start", spec.operation, object=spec.object, total_rows=total)
    parts = Parts()
    pool = ThreadPoolExecutor(max_workers=spec.max_concurrent_jobs, thread_name_prefix="sfbulk")
    completed = False
    try:
        futures = _submit_all(load, plan.chunks, pool)
        _drain(futures, parts)
        plan.restore_positions(parts)  # grouped order -> sent rows
        if gate is not None:
            _add_held(parts, gate)  # sent rows -> input positions, held rows failed
        completed = True
    except KeyboardInterrupt:
        load.stop.set()
        aborted = load.abort_open_jobs()
        pool.shutdown(wait=True, cancel_futures=True)
        raise JobInterruptedError(
            f"interrupted: aborted open jobs {aborted}; uploaded jobs keep running — "
            + load.resume_hint(),
            job_ids=load.ledger.closed,
        ) from None
    except JobTimeoutError:
        load.stop.set()
        pool.shutdown(wait=True, cancel_futures=True)
        raise JobTimeoutError(
            f"{spec.operation} {spec.object}: jobs did not finish within {spec.timeout}s; "
            f"nothing was aborted — {load.resume_hint()}",
            job_ids=load.ledger.closed,
        ) from None
    except SfBulkError as exc:
        load.stop.set()
        pool.shutdown(wait=True, cancel_futures=True)
        if not load.ledger.closed:
            raise  # nothing reached Salesforce: the error says what to fix
        raise LoadIncompleteError(
            f"{spec.operation} {spec.object} stopped part-way ({type(exc).__name__}: {exc}); "
            f"jobs {load.ledger.closed} were already uploaded and keep running — "
            + load.resume_hint(),
            job_ids=load.ledger.closed,
        ) from exc
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
        reporter.emit(
            "finish", spec.operation, object=spec.object, message="" if completed else "stopped"
        )
        reporter.close()
    result = assemble(parts, df, spec.object, spec.operation, list(schema.names()))
    if spec.raise_on_failure:
        result.raise_for_failures()
    return result


def _parquet_height(frame: pl.LazyFrame) -> int | None:
    """The row count of a lazy frame that is a plain parquet scan (from the files' metadata),
    else None: counting any other lazy input would mean reading it twice."""
    try:
        lines = [line.strip() for line in frame.explain().strip().splitlines()]
    except pl.exceptions.PolarsError:
        return None
    if not lines or not lines[0].startswith("Parquet SCAN"):
        return None
    if any(not line.startswith(("PROJECT", "ESTIMATED ROWS")) for line in lines[1:]):
        return None
    return int(frame.select(pl.len()).collect().item())


def assemble(parts: Parts, df: Any, object: str, operation: str, columns: list[str]) -> BulkResult:
    """The BulkResult of a load (or a resume) from its per-chunk parts."""

    def cat(frames: list[pl.DataFrame]) -> pl.DataFrame | None:
        return sorted_by_row(pl.concat(frames, how="diagonal_relaxed")) if frames else None

    backend = backend_of(df)
    meta = {"pandas_source": df} if backend == "pandas" else {}
    return BulkResult.from_parts(
        backend=backend,
        successful=cat(parts.successful),
        failed=cat(parts.failed),
        unprocessed=cat(parts.unprocessed),
        unmatched=cat(parts.unmatched),
        jobs=parts.jobs,
        object=object,
        operation=operation,
        input_columns=columns,
        **meta,
    )
