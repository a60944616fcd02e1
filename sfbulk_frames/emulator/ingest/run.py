"""Running jobs: ingest uploads in 10,000-row batches, query materialisation, and the three
processing modes (``instant``, ``background``, ``polls:N``)."""

from __future__ import annotations

import csv
import itertools
import queue
import random
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

from sfbulk_frames.emulator.ingest.batches import CsvRowBatches, LineBatches
from sfbulk_frames.emulator.ingest.columns import HeaderError, plan_columns
from sfbulk_frames.emulator.ingest.processor import BatchProcessor
from sfbulk_frames.emulator.ingest.reader import ReadChunk, UploadReader, UploadScan
from sfbulk_frames.emulator.models.csvfmt import (
    DELIMITERS,
    LINE_ENDINGS,
    header_line_problem,
    plain_lines,
    quoted_line,
)
from sfbulk_frames.emulator.models.faults import FaultPlan
from sfbulk_frames.emulator.models.jobs import Job, JobStore
from sfbulk_frames.emulator.models.org import Org

BATCH_SIZE = 10_000
_SNAPSHOT = ("state", "processed", "failed", "retries", "total_ms", "api_ms", "error_message")


class IngestRun:
    """Processes one ingest job: :meth:`start` checks the whole upload, :meth:`step` applies one
    internal batch, :meth:`stop` leaves the rest unprocessed."""

    def __init__(
        self,
        org: Org,
        store: JobStore,
        job: Job,
        faults: FaultPlan,
        rng: random.Random,
        on_batch: Callable[[], None],
    ) -> None:
        self.org, self.store, self.job, self.faults, self.rng = org, store, job, faults, rng
        self.on_batch = on_batch
        self.delimiter = DELIMITERS[job.column_delimiter]
        self.line_ending = LINE_ENDINGS[job.line_ending]
        self._batches: CsvRowBatches | LineBatches = CsvRowBatches(iter(()))
        self.total_rows = 0
        self.fail_after = faults.fail_after_rows

    def start(self) -> bool:
        """Validate the upload; on a job-level problem mark the job Failed and return False.

        The upload is streamed from storage: one cheap byte scan, a full CSV pass only when the
        data has quotes (to find unparseable CSV before any row is written, as Salesforce does)
        or duplicate upsert keys must be found, then the rows batch by batch in :meth:`step`
        (quote-free data parsed by polars into columns, see :mod:`.ingest_batches`).
        """
        size = self.store.data_size(self.job)
        if size is None:
            return self._fail("InvalidBatch : No content found for job", None)
        read = self.store.data_reader(self.job)
        scan = UploadScan(read, size)
        reader = UploadReader(read, self.delimiter, quote_free=not scan.has_quotes)
        mangled = header_line_problem(reader.head_text(), self.job.line_ending)
        if mangled is not None:
            return self._fail(f"InvalidBatch : Field name not found : {mangled}", read)
        try:
            rows = reader.rows()
            header = next(rows, None)
            if not header:
                return self._fail("InvalidBatch : No content found for job", read)
            self.job.header = header
            obj = self.org.schema.get(self.job.object)
            assert obj is not None
            columns = plan_columns(self.org.schema, obj, self.job.operation, header)
            duplicates = self._count_rows(rows, header, scan)
        except HeaderError as exc:
            return self._fail(str(exc), read)
        except csv.Error as exc:
            return self._fail(f"InvalidBatch : Failed to parse CSV. {_csv_reason(exc)}", read)
        self.processor = BatchProcessor(
            self.org,
            obj,
            self.job.operation,
            self.job.external_id_field,
            columns,
            delimiter=self.delimiter,
            line_ending=self.line_ending,
            rng=self.rng,
            lock_share=self.faults.lock_share,
            duplicate_keys=duplicates,
            quote_free=not scan.has_quotes,
        )
        if self.faults.lock_share:
            self.faults.record("lock_rows", job=self.job.id, share=self.faults.lock_share)
        if scan.has_quotes or scan.bare_cr:
            rows = reader.rows()
            next(rows)
            self._batches = CsvRowBatches(rows)
        else:
            self._batches = LineBatches(reader.texts(), self.delimiter, len(header))
        return True

    def _count_rows(
        self, rows: Iterator[list[str]], header: list[str], scan: UploadScan
    ) -> frozenset[str]:
        key = (self.job.external_id_field or "").lower()
        if self.job.operation != "upsert" or key == "id":
            if scan.has_quotes:
                self.total_rows = sum(1 for _ in rows)
            else:  # one row per line, and no CSV error is possible without quotes
                self.total_rows = max(0, scan.lines - 1)
            return frozenset()
        index = next((i for i, h in enumerate(header) if h.lower() == key), None)
        seen: set[str] = set()
        duplicates: set[str] = set()
        count = 0
        for row in rows:
            count += 1
            if index is not None and index < len(row) and (value := row[index]):
                folded = value.lower()  # external IDs match case-insensitively
                if folded in seen:
                    duplicates.add(folded)
                seen.add(folded)
        self.total_rows = count
        return frozenset(duplicates)

    def _fail(self, message: str, read: ReadChunk | None) -> bool:
        self.job.error_message = message
        self.job.set_state("Failed")
        if read is not None:  # the whole upload is unprocessed: keep it, as decoded text
            reader = UploadReader(read, self.delimiter, quote_free=False)
            for text in reader.texts():
                self.store.append_result(self.job, "unprocessed_raw", text)
        return False

    def step(self) -> bool:
        """Apply the next internal batch; returns True while rows remain."""
        limit = BATCH_SIZE
        if self.fail_after is not None:
            limit = min(limit, self.fail_after - self.job.processed)
            if limit <= 0:
                self.faults.record("fail_partway", job=self.job.id, after_rows=self.fail_after)
                self.stop("Failed", self.faults.fail_message)
                return False
        batch = self._batches.take(limit)
        if batch is None:
            return False
        began = time.perf_counter()
        conn = self.org.conn
        conn.execute("BEGIN")
        try:
            outcome = self.processor.process(batch)
            self.store.append_result(self.job, "successful", outcome.successful)
            self.store.append_result(self.job, "failed", outcome.failed)
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
        elapsed = int((time.perf_counter() - began) * 1000)
        self.job.processed += outcome.processed
        self.job.failed += outcome.failed_count
        self.job.total_ms += elapsed + 1
        self.job.api_ms += elapsed
        self.job.system_modstamp = self.job.system_modstamp
        self.on_batch()
        return self._batches.has_more()

    def stop(self, state: str, message: str | None = None) -> None:
        """End the job in ``state``; rows never attempted go to unprocessedrecords."""
        rest = self._batches.rest()
        while batch := list(itertools.islice(rest, BATCH_SIZE)):
            self.store.append_result(
                self.job, "unprocessed", plain_lines(batch, self.delimiter, self.line_ending)
            )
        if message:
            self.job.error_message = message
        self.job.set_state(state)

    def finish(self) -> None:
        self.job.set_state("JobComplete")


def _csv_reason(exc: csv.Error) -> str:
    text = str(exc)
    if "expected after" in text or "unexpected end" in text:
        return "Found unescaped quote. A value with quote should be within a quote"
    return text


def result_header(job: Job, kind: str) -> str:
    """The header line of a result file (empty when the job never got a header)."""
    header = job.header
    if header is None:
        return ""
    d, le = DELIMITERS[job.column_delimiter], LINE_ENDINGS[job.line_ending]
    if kind == "successful":
        return quoted_line(["sf__Id", "sf__Created", *header], d, le)
    if kind == "failed":
        return quoted_line(["sf__Id", "sf__Error", *header], d, le)
    return plain_lines([header], d, le)


def snapshot(job: Job) -> dict[str, Any]:
    return {name: getattr(job, name) for name in _SNAPSHOT}


def hide_until_polled(job: Job, polls: int) -> None:
    """Keep a finished job looking ``UploadComplete`` until it is polled ``polls`` times."""
    job.pending = snapshot(job)
    job.polls_left = job.poll_total = polls
    job.state, job.processed, job.failed, job.total_ms, job.api_ms = "UploadComplete", 0, 0, 0, 0
    job.error_message = None


def reveal_on_poll(job: Job) -> None:
    """An info GET of a hidden job: one poll closer to revealing its final state."""
    if job.pending is None:
        return
    job.polls_left -= 1
    if job.polls_left <= 0:
        reveal(job)
        return
    done = job.poll_total - job.polls_left
    job.state = "InProgress"
    job.processed = job.pending["processed"] * done // job.poll_total
    job.failed = min(job.failed, job.processed)


def reveal(job: Job, *, state: str | None = None) -> None:
    if job.pending is None:
        return
    for name, value in job.pending.items():
        setattr(job, name, value)
    job.pending = None
    job.set_state(state or job.state)


class BackgroundWorker:
    """A daemon thread running queued jobs after a delay; :meth:`close` stops it."""

    def __init__(self, run: Callable[[str], None]) -> None:
        self._run = run
        self._queue: queue.Queue[tuple[float, str] | None] = queue.Queue()
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=self._loop, name="sfbulk-emulator-worker", daemon=True
        )
        self._thread.start()

    def submit(self, job_id: str, delay: float) -> None:
        self._queue.put((time.monotonic() + delay, job_id))

    def _loop(self) -> None:
        while not self._stop.is_set():
            item = self._queue.get()
            if item is None:
                return
            due, job_id = item
            if self._stop.wait(max(0.0, due - time.monotonic())):
                return
            self._run(job_id)

    @property
    def stopping(self) -> bool:
        return self._stop.is_set()

    def sleep(self, seconds: float) -> bool:
        """Sleep unless closing; returns True when the worker should stop."""
        return self._stop.wait(seconds)

    def close(self) -> None:
        self._stop.set()
        self._queue.put(None)
        self._thread.join(timeout=5)
