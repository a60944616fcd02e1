"""Scheduling jobs in the three processing modes: ``instant`` (processed when closed),
``polls:N`` (processed when closed, revealed on the N-th info GET) and ``background`` (a daemon
worker processes each job after a delay, batch by batch, honouring ``slow`` and aborts).

With a :class:`~.models.performance.PerformanceModel` a job is admitted to the model when it is
closed (a query job when it is created) and processed at once (``instant``, ``polls:N``) or by
the worker batch by batch (``background``, so uploads and polls of other jobs are not held up
by the emulator's own work); the model decides what its info GET shows when: the job stays
``UploadComplete`` while queued, ``InProgress`` with the records of its finished internal
batches, and ``JobComplete`` at its modelled finish (:meth:`JobRunner.shape_view`). Rows whose
parent record is held by an overlapping batch of another job may fail ``UNABLE_TO_LOCK_ROW``."""

from __future__ import annotations

import math
import queue
import random
import sqlite3
import threading
import time
from collections.abc import Callable

from sfbulk_frames._exceptions import ConfigurationError
from sfbulk_frames.emulator.ingest.run import BATCH_SIZE, IngestRun
from sfbulk_frames.emulator.models.faults import FaultPlan
from sfbulk_frames.emulator.models.jobs import Job, JobStore, hide_until_polled
from sfbulk_frames.emulator.models.org import Org
from sfbulk_frames.emulator.models.performance import (
    JobTimeline,
    LockLedger,
    OrgSchedule,
    PerformanceModel,
)
from sfbulk_frames.emulator.soql.runs import run_query_job


def parse_processing_mode(processing: str) -> int | None:
    """Polls before a job shows its final state (1 for ``instant``), ``None`` for background;
    raises ``ValueError`` for anything else."""
    if processing == "instant":
        return 1
    if processing == "background":
        return None
    if processing.startswith("polls:") and processing[6:].isdigit() and int(processing[6:]) > 0:
        return int(processing[6:])
    raise ConfigurationError(
        f"processing must be 'instant', 'background' or 'polls:N' (N >= 1), got {processing!r}"
    )


class JobRunner:
    """Runs the jobs of one org. ``store`` is read through a callable because a reset replaces
    it; ``on_batch`` counts each ingest batch (the ``DailyBulkApiBatches`` usage)."""

    def __init__(
        self,
        org: Org,
        store: Callable[[], JobStore],
        faults: FaultPlan,
        *,
        processing: str,
        delay: float,
        seed: int,
        on_batch: Callable[[], None],
        performance: PerformanceModel | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._polls = parse_processing_mode(processing)
        self.org, self._store, self.faults = org, store, faults
        self.delay, self.seed, self.on_batch = delay, seed, on_batch
        self.performance, self.clock = performance, clock
        self.timelines: dict[str, JobTimeline] = {}
        self._plan = OrgSchedule(performance) if performance else None
        self._locks = LockLedger()
        self._modelled_runs: dict[str, IngestRun] = {}
        self._worker: BackgroundWorker | None = None
        if self._polls is None:  # background: the worker applies the batches
            step = self._run_in_background if performance is None else self._step_modelled
            self._worker = BackgroundWorker(step)

    def reset_model(self) -> None:
        """Forget every modelled timeline and lock (the org was reset)."""
        self.timelines.clear()
        self._plan = OrgSchedule(self.performance) if self.performance else None
        self._locks = LockLedger()

    def shape_view(self, job: Job, view: dict[str, object]) -> dict[str, object]:
        """The info view of ``job`` as the model shows it now (unchanged without a model or
        once the modelled finish has passed)."""
        timeline = self.timelines.get(job.id)
        if timeline is None or job.state == "Aborted":
            return view
        now = self.clock()
        if now >= timeline.finish:
            return view
        processed = min(job.processed, timeline.processed_at(now))
        view["state"] = timeline.state_at(now)
        if "numberRecordsProcessed" in view:
            view["numberRecordsProcessed"] = processed
        if "numberRecordsFailed" in view:
            view["numberRecordsFailed"] = min(job.failed, processed)
        view.pop("errorMessage", None)
        return view

    def schedule(self, job: Job) -> None:
        """Start processing a closed ingest job or a new query job (caller holds the lock)."""
        if self._polls is None and self._plan is None:
            assert self._worker is not None
            self._worker.submit(job.id, self.delay)
            return
        store = self._store()
        if job.kind == "query":
            self._run_query(job)
            if self._plan is not None:
                self.timelines[job.id] = self._plan.admit_query(job.processed, self.clock())
        elif self._plan is not None:
            self._start_modelled(job)
            if self._polls is not None:  # instant/polls: applied now, shown when modelled
                self._step_modelled(job.id)
        else:
            run = self._ingest_run(job)
            if run.start():
                while run.step():
                    pass
                if job.state not in ("Failed", "Aborted"):
                    run.finish()
        if self._plan is None and self._polls is not None:
            hide_until_polled(job, self._polls)
        store.save(job)
        self.org.save_id_state()

    def _start_modelled(self, job: Job) -> None:
        """Check the upload and admit the job to the model now; its batches are applied by
        the worker one at a time, so other requests are not held up by the emulator's own
        processing (which the model's times are meant to hide)."""
        run = self._ingest_run(job)
        job.set_state("InProgress")
        if not run.start():
            return
        self._model_locks(job, run)
        self._modelled_runs[job.id] = run
        if self._polls is None:
            assert self._worker is not None
            self._worker.submit(job.id, 0.0)

    def _step_modelled(self, job_id: str) -> None:
        run = self._modelled_runs.pop(job_id, None)
        if run is None:
            return
        job, more = run.job, True
        while more:
            with self.org.lock:
                if job.id not in self._store().jobs or job.state == "Aborted":
                    if job.state == "Aborted":
                        run.stop("Aborted")
                        self._store().save(job)
                    return
                more = run.step()
                if not more and job.state == "InProgress":
                    run.finish()
                self._store().save(job)
                self.org.save_id_state()

    def _model_locks(self, job: Job, run: IngestRun) -> None:
        """Admit the job to the model and let each batch fail the rows whose parent another
        job's overlapping batch holds (a share of them, drawn from the job's seeded rng)."""
        assert self._plan is not None
        assert self.performance is not None
        now = self.clock()
        timeline = self._plan.admit(run.total_rows, now)
        self.timelines[job.id] = timeline
        self._locks.forget_before(now)
        share = self.performance.lock_failure_share
        ledger, rng, batches = self._locks, random.Random(f"{self.seed}:lock:{job.id}"), iter(
            timeline.batches
        )
        last = timeline.batches[-1] if timeline.batches else None

        def locked_rows(parents: list[str]) -> list[bool]:
            batch = next(batches, last)
            if batch is None:
                return [False] * len(parents)
            held = ledger.locked(job.id, batch, parents)
            ledger.record(job.id, batch, parents)
            return [bool(held) and p in held and rng.random() < share for p in parents]

        run.processor.locked_rows = locked_rows

    def close(self) -> None:
        """Stop the background worker (if any)."""
        if self._worker is not None:
            self._worker.close()
            self._worker = None

    def _run_query(self, job: Job) -> None:
        """Materialise a query job; a database error fails the job instead of the worker."""
        try:
            run_query_job(self.org, job)
        except sqlite3.Error as exc:  # materialize() leaves no result table behind
            job.error_message = (
                f"InternalServerError : the query of job {job.id} failed in the emulator's "
                f"database ({type(exc).__name__}: {exc}); simplify the query or report it"
            )
            job.set_state("Failed")

    def _ingest_run(self, job: Job) -> IngestRun:
        rng = random.Random(f"{self.seed}:{job.id}")
        return IngestRun(self.org, self._store(), job, self.faults, rng, self.on_batch)

    def _run_in_background(self, job_id: str) -> None:
        worker = self._worker
        with self.org.lock:
            store = self._store()
            job = store.jobs.get(job_id)
            if job is None or job.terminal:
                return
            job.set_state("InProgress")
            if job.kind == "query":
                self._run_query(job)
                store.save(job)
                return
            run = self._ingest_run(job)
            started = run.start()
            store.save(job)
        if not started:
            return
        slow = self.faults.slow_seconds
        began = time.monotonic()
        batches = max(1, math.ceil(run.total_rows / BATCH_SIZE))
        pause = slow / batches if slow else 0.0
        if pause:
            self.faults.record("slow", job=job_id, seconds=slow)
        more = True
        while more:
            if worker is not None and pause and worker.sleep(pause):
                return
            with self.org.lock:
                store = self._store()
                if job.id not in store.jobs:
                    return  # deleted while running
                if job.state == "Aborted":
                    run.stop("Aborted")
                    store.save(job)
                    return
                more = run.step()
                if not more and job.state == "InProgress":
                    rest = self.faults.slow_seconds - (time.monotonic() - began)
                    if rest <= 0:
                        run.finish()
                store.save(job)
        rest = self.faults.slow_seconds - (time.monotonic() - began)
        if job.state == "InProgress":
            if rest > 0 and worker is not None and worker.sleep(rest):
                return
            with self.org.lock:
                if job.state == "InProgress":
                    run.finish()
                    self._store().save(job)


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
