"""One job per chunk: create the job, upload the chunk (again on a fresh job when the upload
breaks midway), wait for it, download its results and join them back to the chunk's rows.

:class:`ChunkRunner` runs the chunks of one load on worker threads; :mod:`.ingest` feeds it the
chunks and assembles the result.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator, Mapping
from concurrent.futures import FIRST_EXCEPTION, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING, Any

import polars as pl

from sfbulk_frames._exceptions import ServerError, TransportError
from sfbulk_frames._models import COLUMN_DELIMITERS, JobInfo
from sfbulk_frames.frames.decode import read_result_csv
from sfbulk_frames.frames.encode import Chunk
from sfbulk_frames.frames.joinback import MatchOutcome, ResultSource, match_encoded
from sfbulk_frames.frames.result.part_files import PartFiles
from sfbulk_frames.pipeline.outcomes import (
    ChunkRun,
    SourceRows,
    Stopped,
    explain_job_failure,
    indexed,
)
from sfbulk_frames.pipeline.plan import default_poll
from sfbulk_frames.pipeline.progress import EventKind, Reporter
from sfbulk_frames.pipeline.spec import IngestSpec
from sfbulk_frames.pipeline.spill import release_freed_memory, spill_chunk

if TYPE_CHECKING:
    from sfbulk_frames.client.clients import Client
    from sfbulk_frames.client.jobs import IngestJob

__all__ = [
    "ChunkRunner", "cancel_unstarted", "fetch_results", "result_readers", "submit_all", "wait_all",
]

logger = logging.getLogger("sfbulk_frames")

UPLOAD_ATTEMPTS = 3


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


class ChunkRunner:
    """The jobs of one run of the pipeline (one call of insert/update/upsert/delete)."""

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

    def _emit_job(self, kind: EventKind, info: JobInfo) -> None:
        """A ``job_state`` or ``job_done`` event with the job's counters."""
        self._emit(
            kind,
            job_id=info.id,
            state=str(info.state),
            processed=info.number_records_processed,
            failed=info.number_records_failed,
        )

    def _on_poll(self, info: JobInfo) -> None:
        if self.stop.is_set():
            raise Stopped
        self._emit_job("job_state", info)

    def run_chunk(self, chunk: Chunk) -> tuple[pl.DataFrame, MatchOutcome, list[JobInfo]]:
        job = self._create_and_upload(chunk)
        info = job.wait(
            timeout=_deadline_left(self.deadline), poll=self.poll, on_poll=self._on_poll,
            expected_records=chunk.n_rows,
        )
        self._emit_job("job_done", info)
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


def _run_into(load: ChunkRunner, run: ChunkRun) -> None:
    """Run ``run``'s chunk on a worker thread and settle its future."""
    if not run.future.set_running_or_notify_cancel():
        return
    try:
        run.future.set_result(load.run_chunk(run.chunk))
    except BaseException as exc:  # the future carries it to the main thread
        run.future.set_exception(exc)


def cancel_unstarted(runs: list[ChunkRun]) -> None:
    """Cancel the runs no worker started (call after the pool has shut down)."""
    for run in runs:
        run.future.cancel()


def wait_all(runs: list[ChunkRun]) -> None:
    """Wait until every job has finished (or failed). Waits in short slices: a bare wait is not
    woken by Ctrl-C once polars has installed its own SIGINT handler."""
    pending = {run.future for run in runs}
    while pending:
        _done, pending = wait(pending, timeout=0.2, return_when=FIRST_EXCEPTION)


def submit_all(
    load: ChunkRunner, chunks: Iterator[Chunk], pool: ThreadPoolExecutor, source: SourceRows,
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
            # The run is on record before a worker can start it: a Ctrl-C landing anywhere
            # here leaves either a run that never started (settled as NOT_SENT, see
            # cancel_unstarted) or one whose upload is in ``load.uploaded`` (PENDING).
            run = ChunkRun(chunk, Future())
            run.future.add_done_callback(lambda _f: slots.release())
            runs.append(run)
            source.mark_sent(chunk.stop)
            try:
                pool.submit(_run_into, load, run)
            except BaseException:
                run.future.cancel()  # never started: its rows were not sent
                raise
    except Exception as exc:  # reading or encoding the input failed part-way
        return exc
    load.count_upload(submitted=len(runs))
    return None
