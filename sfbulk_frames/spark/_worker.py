"""Executor side: one client per Python worker, which records every job it creates.

Spark runs one task at a time in a Python worker, so the client (and its connection pool) is
shared by every task the worker runs, and the ledger it records to is bound per task slice.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Generator
from typing import Any

from sfbulk_frames import Client, IngestJob, JobInfo, SfBulkError

from ._credentials import SparkCredentials
from ._ledger import AttemptSupersededError, PartitionLedger

__all__ = ["LedgerClient", "worker_client"]


class LedgerClient(Client):
    """A :class:`~sfbulk_frames.Client` that writes each new job id to the bound ledger
    before any row is uploaded, and stops (aborting that job) once a newer attempt owns the
    partition."""

    _ledger: PartitionLedger | None = None
    _slice: int = 0

    def bind(self, ledger: PartitionLedger | None, slice_index: int = 0) -> None:
        self._ledger = ledger
        self._slice = slice_index

    # The client's job-creation flow (a sans-I/O generator); only closed here, never stepped,
    # so it is typed by its shape rather than by the client's private Flow alias.
    def _start_ingest_job(self, flow: Generator[Any, Any, JobInfo]) -> IngestJob:
        ledger = self._ledger
        if ledger is not None and not ledger.still_owner():
            flow.close()  # nothing was sent
            raise AttemptSupersededError(
                f"partition {ledger.partition}: task attempt {ledger.attempt} was superseded by "
                f"a newer attempt ({ledger.owner()}); it creates no more jobs"
            )
        job = super()._start_ingest_job(flow)
        if ledger is not None:
            ledger.record(job.id, self._slice)
            if not ledger.still_owner():
                with contextlib.suppress(SfBulkError):
                    job.abort()  # still Open: nothing of it is processed
                raise AttemptSupersededError(
                    f"partition {ledger.partition}: attempt {ledger.attempt} was superseded "
                    f"while creating job {job.id}; the job was aborted before any upload"
                )
        return job


_CLIENTS: dict[tuple[object, ...], LedgerClient] = {}
_LOCK = threading.Lock()


def worker_client(credentials: SparkCredentials) -> LedgerClient:
    """The Python worker's client for ``credentials`` (built on first use)."""
    key = credentials.key()
    with _LOCK:
        client = _CLIENTS.get(key)
        if client is None:
            built = credentials.build_client(LedgerClient)
            assert isinstance(built, LedgerClient)
            client = _CLIENTS[key] = built
        return client
