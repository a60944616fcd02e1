"""Low-level job handles: :class:`IngestJob`, :class:`QueryJob` and their async twins.

A handle is just a client and a job id (no request is made to create one), so a job can be
resumed by id after a timeout or a restart: ``client.ingest_job("750…").wait()``. Every method
runs one flow of :mod:`sfbulk_frames.client.protocol`; sync and async handles differ only
by ``await``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import ClassVar, Protocol, TypeVar

from sfbulk_frames._config import PollPolicy
from sfbulk_frames._models import JobInfo, JobState, QueryPage
from sfbulk_frames.client.protocol import (
    JobKind,
    PageCursor,
    PollCallback,
    delete_job_flow,
    first_cursor,
    get_job_flow,
    ingest_result_flow,
    job_path,
    page_batch_flow,
    query_page_flow,
    set_state_flow,
    upload_flow,
    wait_flow,
)
from sfbulk_frames.client.session import Flow, Session

__all__ = ["AsyncIngestJob", "AsyncQueryJob", "AsyncRunner", "IngestJob", "QueryJob", "SyncRunner"]

T = TypeVar("T")


class _ClientState(Protocol):
    """What every handle needs of its client to build a flow: the session and the default
    poll policy."""

    _session: Session
    poll: PollPolicy


class SyncRunner(_ClientState, Protocol):
    """What a sync handle needs of its client (:class:`~sfbulk_frames.Client`): the session,
    the default poll policy, and a driver that runs flows."""

    def _run(self, flow: Flow[T]) -> T: ...


class AsyncRunner(_ClientState, Protocol):
    """What an async handle needs of its client (:class:`~sfbulk_frames.AsyncClient`)."""

    async def _run(self, flow: Flow[T]) -> T: ...


class _Handle:
    kind: ClassVar[JobKind]
    client: _ClientState

    def __init__(self, job_id: str, info: JobInfo | None = None) -> None:
        job_path(self.kind, job_id)  # validates the id before any request
        self.id = job_id
        self.last_info = info  # the latest JobInfo this handle saw (None until a request)

    def __repr__(self) -> str:
        state = f", state={self.last_info.state.value!r}" if self.last_info else ""
        return f"{type(self).__name__}(id={self.id!r}{state})"

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and other.id == self.id

    def __hash__(self) -> int:
        return hash((type(self).__name__, self.id))

    def _seen(self, info: JobInfo) -> JobInfo:
        self.last_info = info
        return info

    def _wait_flow(
        self,
        timeout: float | None,
        poll: PollPolicy | None,
        on_poll: PollCallback | None,
        expected_records: int | None = None,
    ) -> Flow[JobInfo]:
        return wait_flow(
            self.client._session,
            self.kind,
            self.id,
            timeout=timeout,
            poll=poll or self.client.poll,
            on_poll=on_poll,
            expected_records=expected_records,
        )


class _SyncJob(_Handle):
    client: SyncRunner

    def __init__(self, client: SyncRunner, job_id: str, info: JobInfo | None = None) -> None:
        super().__init__(job_id, info)
        self.client = client

    def info(self) -> JobInfo:
        """The job's current JobInfo. Raises NotFoundError if the job does not exist."""
        return self._seen(self.client._run(get_job_flow(self.client._session, self.kind, self.id)))

    def abort(self) -> JobInfo:
        """Abort the job. Raises InvalidJobStateError if it already finished."""
        flow = set_state_flow(self.client._session, self.kind, self.id, JobState.ABORTED)
        return self._seen(self.client._run(flow))

    def delete(self) -> None:
        """Delete the job and its results (only when it is not Open/InProgress)."""
        self.client._run(delete_job_flow(self.client._session, self.kind, self.id))

    def wait(
        self,
        *,
        timeout: float | None = None,
        poll: PollPolicy | None = None,
        on_poll: PollCallback | None = None,
        expected_records: int | None = None,
    ) -> JobInfo:
        """Poll until the job is JobComplete, Failed or Aborted and return its JobInfo.

        ``expected_records`` (the rows uploaded to an ingest job) lets the wait also poll when
        the processing rate seen so far says the job should be done, instead of backing off
        past its end. Raises JobTimeoutError (with this job's id) after ``timeout`` seconds;
        the job keeps running and can be waited for again.
        """
        flow = self._wait_flow(timeout, poll, on_poll, expected_records)
        return self._seen(self.client._run(flow))


class IngestJob(_SyncJob):
    """Handle to an ingest job: ``upload`` once, ``close``, ``wait``, then the results."""

    kind = "ingest"

    def upload(self, data: bytes) -> None:
        """PUT the CSV (header + rows) once.

        A connection error or 5xx is never retried: the job is aborted and TransportError /
        ServerError is raised naming this job; send the chunk again on a new job.
        """
        self.client._run(upload_flow(self.client._session, self.id, data))

    def close(self) -> JobInfo:
        """Mark the upload complete so Salesforce starts processing."""
        flow = set_state_flow(self.client._session, "ingest", self.id, JobState.UPLOAD_COMPLETE)
        return self._seen(self.client._run(flow))

    def successful_results(self) -> bytes:
        """CSV of processed rows: ``sf__Id``, ``sf__Created`` + the uploaded columns."""
        return self.client._run(
            ingest_result_flow(self.client._session, self.id, "successfulResults")
        )

    def failed_results(self) -> bytes:
        """CSV of failed rows: ``sf__Id``, ``sf__Error`` + the uploaded columns."""
        return self.client._run(ingest_result_flow(self.client._session, self.id, "failedResults"))

    def unprocessed_records(self) -> bytes:
        """CSV of the rows that were never attempted (job aborted or failed)."""
        return self.client._run(
            ingest_result_flow(self.client._session, self.id, "unprocessedrecords")
        )


class QueryJob(_SyncJob):
    """Handle to a query job: ``wait``, then ``results`` pages or ``iter_pages``."""

    kind = "query"

    def results(self, *, locator: str | None = None, max_records: int | None = None) -> QueryPage:
        """One result page (header row included). Raises if the job is not complete."""
        path = job_path("query", self.id, "/results")
        flow = query_page_flow(self.client._session, path, locator=locator, max_records=max_records)
        return self.client._run(flow)

    def iter_pages(
        self, *, max_records: int | None = None, parallel: bool = False, max_workers: int = 4
    ) -> Iterator[QueryPage]:
        """Every result page in result order: serial locator paging, or with ``parallel=True``
        the ``resultPages`` URLs fetched ``max_workers`` at a time (API 58.0+; falls back to
        serial paging when unavailable)."""
        cursor: PageCursor | None = first_cursor(self.client._session, self.id, parallel)
        while cursor is not None:
            flow = page_batch_flow(
                self.client._session, self.id, cursor,
                max_records=max_records, max_workers=max_workers,
            )
            pages, cursor = self.client._run(flow)
            yield from pages


class _AsyncJob(_Handle):
    client: AsyncRunner

    def __init__(self, client: AsyncRunner, job_id: str, info: JobInfo | None = None) -> None:
        super().__init__(job_id, info)
        self.client = client

    async def info(self) -> JobInfo:
        """The job's current JobInfo. Raises NotFoundError if the job does not exist."""
        flow = get_job_flow(self.client._session, self.kind, self.id)
        return self._seen(await self.client._run(flow))

    async def abort(self) -> JobInfo:
        """Abort the job. Raises InvalidJobStateError if it already finished."""
        flow = set_state_flow(self.client._session, self.kind, self.id, JobState.ABORTED)
        return self._seen(await self.client._run(flow))

    async def delete(self) -> None:
        """Delete the job and its results (only when it is not Open/InProgress)."""
        await self.client._run(delete_job_flow(self.client._session, self.kind, self.id))

    async def wait(
        self,
        *,
        timeout: float | None = None,
        poll: PollPolicy | None = None,
        on_poll: PollCallback | None = None,
        expected_records: int | None = None,
    ) -> JobInfo:
        """Like :meth:`IngestJob.wait`: raises JobTimeoutError after ``timeout``, never aborts."""
        flow = self._wait_flow(timeout, poll, on_poll, expected_records)
        return self._seen(await self.client._run(flow))


class AsyncIngestJob(_AsyncJob):
    """Async handle to an ingest job (same methods as :class:`IngestJob`)."""

    kind = "ingest"

    async def upload(self, data: bytes) -> None:
        """PUT the CSV once; on failure the job is aborted and the error raised (see IngestJob)."""
        await self.client._run(upload_flow(self.client._session, self.id, data))

    async def close(self) -> JobInfo:
        flow = set_state_flow(self.client._session, "ingest", self.id, JobState.UPLOAD_COMPLETE)
        return self._seen(await self.client._run(flow))

    async def successful_results(self) -> bytes:
        return await self.client._run(
            ingest_result_flow(self.client._session, self.id, "successfulResults")
        )

    async def failed_results(self) -> bytes:
        return await self.client._run(
            ingest_result_flow(self.client._session, self.id, "failedResults")
        )

    async def unprocessed_records(self) -> bytes:
        return await self.client._run(
            ingest_result_flow(self.client._session, self.id, "unprocessedrecords")
        )


class AsyncQueryJob(_AsyncJob):
    """Async handle to a query job (same methods as :class:`QueryJob`)."""

    kind = "query"

    async def results(
        self, *, locator: str | None = None, max_records: int | None = None
    ) -> QueryPage:
        path = job_path("query", self.id, "/results")
        flow = query_page_flow(self.client._session, path, locator=locator, max_records=max_records)
        return await self.client._run(flow)

    async def iter_pages(
        self, *, max_records: int | None = None, parallel: bool = False, max_workers: int = 4
    ) -> AsyncIterator[QueryPage]:
        """``async for page in job.iter_pages(...)``: see :meth:`QueryJob.iter_pages`."""
        cursor: PageCursor | None = first_cursor(self.client._session, self.id, parallel)
        while cursor is not None:
            flow = page_batch_flow(
                self.client._session, self.id, cursor,
                max_records=max_records, max_workers=max_workers,
            )
            pages, cursor = await self.client._run(flow)
            for page in pages:
                yield page
