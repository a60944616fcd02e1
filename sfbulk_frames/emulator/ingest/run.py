"""Running one ingest job: the upload checked as a whole, then applied in 10,000-row batches
(:class:`IngestRun`); the scheduling of jobs lives in :mod:`sfbulk_frames.emulator.runner`."""

from __future__ import annotations

import csv
import itertools
import random
import time
from collections.abc import Callable, Iterator

from sfbulk_frames.emulator.ingest.batches import CsvRowBatches, LineBatches
from sfbulk_frames.emulator.ingest.columns import HeaderError, plan_columns
from sfbulk_frames.emulator.ingest.processor import BatchProcessor
from sfbulk_frames.emulator.ingest.reader import ReadChunk, UploadReader, UploadScan
from sfbulk_frames.emulator.models.csvfmt import (
    DELIMITERS,
    LINE_ENDINGS,
    header_line_problem,
    plain_lines,
)
from sfbulk_frames.emulator.models.faults import FaultPlan
from sfbulk_frames.emulator.models.jobs import Job, JobStore, batch_failure
from sfbulk_frames.emulator.models.org import Org

BATCH_SIZE = 10_000


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
        (quote-free data parsed by polars into columns, see :mod:`.batches`).
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
        self.job.error_message = batch_failure(message)
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
