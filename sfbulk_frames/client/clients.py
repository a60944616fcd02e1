"""``Client`` and ``AsyncClient``: one shared base, differing only by the driver and ``await``.

Every method builds a flow (:mod:`sfbulk_frames.client.protocol`) and runs it with the client's
driver. Tokens never appear in ``repr``, logs or exceptions.
"""

from __future__ import annotations

import asyncio
from types import TracebackType
from typing import Any, Protocol, Self, TypeVar

import httpx

from sfbulk_frames._config import (
    DEFAULT_API_VERSION,
    DEFAULT_POLL,
    DEFAULT_RETRY,
    DEFAULT_TIMEOUT,
    PollPolicy,
    RetryPolicy,
)
from sfbulk_frames._models import JobInfo, Operation
from sfbulk_frames.client.auth import Authenticator
from sfbulk_frames.client.base import _BaseClient, _verify_setting
from sfbulk_frames.client.http import AsyncDriver, LoopDriver, SyncDriver
from sfbulk_frames.client.jobs import AsyncIngestJob, AsyncQueryJob, IngestJob, QueryJob
from sfbulk_frames.client.protocol import JobKind
from sfbulk_frames.client.session import Flow

__all__ = ["AsyncClient", "Client"]

T = TypeVar("T")


class _FlowDriver(Protocol):
    def run(self, flow: Flow[T]) -> T: ...


class Client(_BaseClient):
    """Synchronous client (thread-safe; no asyncio, so it works inside Jupyter's loop).

    Login constructors log in right away and raise AuthenticationError when refused.
    """

    def __init__(
        self,
        instance_url: str,
        access_token: str | None = None,
        *,
        api_version: str = DEFAULT_API_VERSION,
        auth: Authenticator | None = None,
        transport: httpx.BaseTransport | None = None,
        http_client: httpx.Client | None = None,
        retry: RetryPolicy = DEFAULT_RETRY,
        poll: PollPolicy = DEFAULT_POLL,
        timeout: float = DEFAULT_TIMEOUT,
        verify: bool | str = True,
        client_name: str | None = None,
        gzip_threshold: int | None = None,
    ) -> None:
        super().__init__(
            instance_url, access_token, api_version=api_version, auth=auth, retry=retry,
            poll=poll, client_name=client_name, gzip_threshold=gzip_threshold,
        )
        self._owns_http = http_client is None
        self._http = http_client or httpx.Client(
            transport=transport, timeout=timeout, verify=_verify_setting(verify)
        )
        self._driver: _FlowDriver = SyncDriver(self._http)

    @classmethod
    def _bridged(cls, other: AsyncClient, loop: asyncio.AbstractEventLoop) -> Client:
        """A Client that makes its requests through ``other`` on ``loop`` (called from another
        thread): the same session (token, re-login), HTTP connections, transport, poll policy
        and describe cache. :mod:`sfbulk_frames.aio` runs the sync pipeline in a worker thread
        with it, so the async functions share the sync functions' code. Closing it is a no-op.
        """
        twin = cls.__new__(cls)
        twin._session = other._session
        twin.poll = other.poll
        twin._describe_cache = other._describe_cache
        twin._owns_http = False
        twin._driver = LoopDriver(other._driver, loop)
        return twin

    @classmethod
    def _with_auth(cls, auth: Authenticator, **kw: Any) -> Self:
        client = super()._with_auth(auth, **kw)
        try:
            client.login()
        except BaseException:
            client.close()
            raise
        return client

    def _run(self, flow: Flow[T]) -> T:
        return self._driver.run(flow)

    def login(self) -> None:
        """Log in (again) with the authenticator. Raises AuthenticationError when refused."""
        self._run(self._session.login())

    def create_ingest_job(
        self,
        object: str,
        operation: str | Operation,
        *,
        external_id_field: str | None = None,
        column_delimiter: str = "COMMA",
        line_ending: str = "LF",
        assignment_rule_id: str | None = None,
    ) -> IngestJob:
        """Create an ingest job (state Open). Never retried blindly (only after a 429)."""
        flow = self._create_ingest_job_flow(
            object, operation, external_id_field, column_delimiter, line_ending, assignment_rule_id
        )
        return self._start_ingest_job(flow)

    def _start_ingest_job(self, flow: Flow[JobInfo]) -> IngestJob:
        """Run a job-creating flow (the seam where Spark's ``LedgerClient`` records the job)."""
        info = self._run(flow)
        return IngestJob(self, info.id, info)

    def ingest_job(self, job_id: str) -> IngestJob:
        """Handle to an existing ingest job (no request is made)."""
        return IngestJob(self, job_id)

    def create_query_job(
        self,
        soql: str,
        *,
        include_deleted: bool = False,
        column_delimiter: str = "COMMA",
        line_ending: str = "LF",
    ) -> QueryJob:
        """Create a query (or queryAll) job. Raises a QueryError subclass for rejected SOQL."""
        flow = self._create_query_job_flow(soql, include_deleted, column_delimiter, line_ending)
        info = self._run(flow)
        return QueryJob(self, info.id, info)

    def query_job(self, job_id: str) -> QueryJob:
        """Handle to an existing query job (no request is made)."""
        return QueryJob(self, job_id)

    def list_jobs(
        self,
        kind: JobKind = "ingest",
        *,
        job_type: str | None = None,
        concurrency_mode: str | None = None,
        is_pk_chunking_enabled: bool | None = None,
    ) -> list[JobInfo]:
        """All jobs of ``kind`` (every page), e.g. ``list_jobs("query", job_type="V2Query")``;
        a filter left at None is not sent."""
        flow = self._list_jobs_flow(kind, job_type, concurrency_mode, is_pk_chunking_enabled)
        return self._run(flow)

    def describe(self, object: str, *, refresh: bool = False) -> dict[str, Any]:
        """The sObject's describe (cached per client). Raises NotFoundError if unknown."""
        return self._run(self._describe_flow(object, refresh))

    def limits(self) -> dict[str, Any]:
        """The org's ``/limits`` (e.g. ``DailyApiRequests``: ``{"Max", "Remaining"}``)."""
        return self._run(self._limits_flow())

    def close(self) -> None:
        """Close the HTTP connections (not an ``http_client=`` passed in)."""
        if self._owns_http:
            self._http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


class AsyncClient(_BaseClient):
    """Asynchronous client: the same surface as :class:`Client`, awaited.

    Login constructors do not log in yet: the first request (or ``await client.login()``) does.
    """

    def __init__(
        self,
        instance_url: str,
        access_token: str | None = None,
        *,
        api_version: str = DEFAULT_API_VERSION,
        auth: Authenticator | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        http_client: httpx.AsyncClient | None = None,
        retry: RetryPolicy = DEFAULT_RETRY,
        poll: PollPolicy = DEFAULT_POLL,
        timeout: float = DEFAULT_TIMEOUT,
        verify: bool | str = True,
        client_name: str | None = None,
        gzip_threshold: int | None = None,
    ) -> None:
        super().__init__(
            instance_url, access_token, api_version=api_version, auth=auth, retry=retry,
            poll=poll, client_name=client_name, gzip_threshold=gzip_threshold,
        )
        self._owns_http = http_client is None
        self._http = http_client or httpx.AsyncClient(
            transport=transport, timeout=timeout, verify=_verify_setting(verify)
        )
        self._driver = AsyncDriver(self._http)

    async def _run(self, flow: Flow[T]) -> T:
        return await self._driver.run(flow)

    async def login(self) -> None:
        """Log in (again) with the authenticator. Raises AuthenticationError when refused."""
        await self._run(self._session.login())

    async def create_ingest_job(
        self,
        object: str,
        operation: str | Operation,
        *,
        external_id_field: str | None = None,
        column_delimiter: str = "COMMA",
        line_ending: str = "LF",
        assignment_rule_id: str | None = None,
    ) -> AsyncIngestJob:
        """Create an ingest job (state Open). Never retried blindly (only after a 429)."""
        flow = self._create_ingest_job_flow(
            object, operation, external_id_field, column_delimiter, line_ending, assignment_rule_id
        )
        info = await self._run(flow)
        return AsyncIngestJob(self, info.id, info)

    def ingest_job(self, job_id: str) -> AsyncIngestJob:
        """Handle to an existing ingest job (no request is made)."""
        return AsyncIngestJob(self, job_id)

    async def create_query_job(
        self,
        soql: str,
        *,
        include_deleted: bool = False,
        column_delimiter: str = "COMMA",
        line_ending: str = "LF",
    ) -> AsyncQueryJob:
        """Create a query (or queryAll) job. Raises a QueryError subclass for rejected SOQL."""
        flow = self._create_query_job_flow(soql, include_deleted, column_delimiter, line_ending)
        info = await self._run(flow)
        return AsyncQueryJob(self, info.id, info)

    def query_job(self, job_id: str) -> AsyncQueryJob:
        """Handle to an existing query job (no request is made)."""
        return AsyncQueryJob(self, job_id)

    async def list_jobs(
        self,
        kind: JobKind = "ingest",
        *,
        job_type: str | None = None,
        concurrency_mode: str | None = None,
        is_pk_chunking_enabled: bool | None = None,
    ) -> list[JobInfo]:
        """All jobs of ``kind`` (every page); see :meth:`Client.list_jobs`."""
        flow = self._list_jobs_flow(kind, job_type, concurrency_mode, is_pk_chunking_enabled)
        return await self._run(flow)

    async def describe(self, object: str, *, refresh: bool = False) -> dict[str, Any]:
        """The sObject's describe (cached per client). Raises NotFoundError if unknown."""
        return await self._run(self._describe_flow(object, refresh))

    async def limits(self) -> dict[str, Any]:
        """The org's ``/limits``."""
        return await self._run(self._limits_flow())

    async def aclose(self) -> None:
        """Close the HTTP connections (not an ``http_client=`` passed in)."""
        if self._owns_http:
            await self._http.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()
