"""The :class:`Emulator`: one emulated Salesforce org (records, jobs, auth, faults) with an
in-process httpx transport and a real loopback server.

It composes the parts and owns the org's counters: :class:`~.models.org.Org` (SQLite records),
:class:`~.models.jobs.JobStore`, :class:`~.models.auth.AuthService`,
:class:`~.models.faults.FaultPlan`, the :class:`~.runner.JobRunner` that processes jobs and the
:class:`~.web.dispatch.Dispatcher` that answers HTTP requests."""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

from sfbulk_frames.emulator.connect import client_for
from sfbulk_frames.emulator.models.auth import AuthService
from sfbulk_frames.emulator.models.faults import FaultPlan
from sfbulk_frames.emulator.models.jobs import Job, JobStore
from sfbulk_frames.emulator.models.objects.builtin import builtin_schema
from sfbulk_frames.emulator.models.objects.standard import StandardObjects
from sfbulk_frames.emulator.models.org import Org
from sfbulk_frames.emulator.models.performance import PerformanceModel, resolve_performance
from sfbulk_frames.emulator.runner import JobRunner
from sfbulk_frames.emulator.soql.cursors import QueryCursors
from sfbulk_frames.emulator.web.dispatch import Dispatcher
from sfbulk_frames.emulator.web.transport import EmulatorTransport
from sfbulk_frames.emulator.wire import Request, Response

if TYPE_CHECKING:
    from sfbulk_frames import Client, PollPolicy, RetryPolicy
    from sfbulk_frames.emulator.web.server import EmulatorServer

DEFAULT_INSTANCE_URL = "https://emulator.sfbulk.local"


@dataclass(frozen=True)
class PutRecord:
    """One ``PUT …/batches`` the emulator received (accepted or not)."""

    job_id: str
    size: int
    status: int


class Emulator:
    """A local Salesforce org speaking the Bulk API 2.0.

    ``processing``: ``"instant"`` (jobs finish during close; the next info GET shows the final
    state), ``"background"`` (a daemon worker processes after ``processing_delay`` seconds,
    batch by batch) or ``"polls:N"`` (the N-th info GET shows the final state). Use as a context
    manager or call :meth:`close` to stop the worker. Raises ``ValueError`` for a bad mode.

    ``performance``: off by default (every answer is immediate). A
    :class:`~.models.performance.PerformanceModel` or a preset name (``"fast"``, ``"busy"``)
    makes jobs take the modelled time (their info GET shows the model's progress, read from
    ``clock``) and lets concurrent jobs that touch the same parent record fail rows with
    ``UNABLE_TO_LOCK_ROW``; :meth:`serve` then also adds the model's latency and bandwidth.
    The in-process :meth:`transport` never sleeps. Jobs are processed when closed.
    """

    def __init__(
        self,
        *,
        schema_files: Iterable[str | Path] = (),
        db: str | None = None,
        seed: int = 0,
        processing: str = "instant",
        processing_delay: float = 0.0,
        api_limit: int = 15000,
        token: str | None = None,
        users: dict[str, str] | None = None,
        client_id: str | None = None,
        client_secret: str | None = None,
        jwt_public_key: str | None = None,
        instance_url: str | None = None,
        performance: PerformanceModel | str | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.performance = resolve_performance(performance)
        self._clock = clock
        self._arrival = threading.local()
        self.processing = processing
        self.processing_delay = processing_delay
        self.seed = seed
        schema = builtin_schema()
        schema.source = StandardObjects()  # other standard objects, loaded on first use
        for path in schema_files:
            schema.load_file(path)
        self.org = Org(schema, db=db, seed=seed)
        self.store = JobStore(self.org.conn)
        self.faults = FaultPlan(seed)
        self.rng = random.Random(seed)
        self.api_limit = api_limit
        self.instance_url = (instance_url or DEFAULT_INSTANCE_URL).rstrip("/")
        self.list_page_size = 1000
        self.default_page_size = 10_000
        self.usage_api = self.usage_batches = self.usage_query_jobs = 0
        self.puts: list[PutRecord] = []
        self.auth = AuthService(
            users=users,
            client_id=client_id,
            client_secret=client_secret,
            jwt_public_key=jwt_public_key,
            fixed_token=token,
            rng=random.Random(seed + 1),
            user_id=self.org.user_id,
            org_id=self.org.org_id,
        )
        self._seed_users()
        self.cursors = QueryCursors()
        self._token: str | None = None
        self._runner = JobRunner(
            self.org,
            lambda: self.store,
            self.faults,
            processing=processing,
            delay=processing_delay,
            seed=seed,
            on_batch=self._count_batch,
            performance=self.performance,
            clock=self._request_time,
        )
        self._dispatcher = Dispatcher(self)

    def __repr__(self) -> str:
        model = f" performance={self.performance.name!r}" if self.performance else ""
        return (f"<Emulator {self.instance_url} processing={self.processing!r} "
                f"seed={self.seed}{model}>")

    # -- public helpers ----------------------------------------------------------------------
    @property
    def token(self) -> str:
        """A ready access token for the default user (issued once, re-issued after expiry)."""
        if self._token is None or not self.auth.check(f"Bearer {self._token}"):
            self._token = self.auth.issue_token()
        return self._token

    def handle(self, request: Request) -> Response:
        """Answer one HTTP request in-process (thread-safe; never raises for bad input)."""
        self._arrival.time = self._clock()
        try:
            return self._dispatcher.handle(request)
        finally:
            self._arrival.time = None

    def _request_time(self) -> float:
        """When the request being answered arrived (before it waited for the org's lock), so
        the performance model dates a close by its arrival, not by the emulator's own work."""
        arrived: float | None = getattr(self._arrival, "time", None)
        return self._clock() if arrived is None else arrived

    def transport(self) -> EmulatorTransport:
        """An httpx transport (sync and async) that answers in-process."""
        return EmulatorTransport(self.handle)

    def serve(
        self, port: int = 0, host: str = "127.0.0.1", tls: bool = False, verbose: bool = False
    ) -> EmulatorServer:
        """A real HTTP server on loopback, already accepting: a context manager with ``.url``,
        ``.cert_path`` (with ``tls=True``) and ``.client()``. ``verbose=True`` logs method,
        path, status and duration of every request to the ``sfbulk_frames.emulator`` logger
        (never tokens, headers or query strings)."""
        from sfbulk_frames.emulator.web.server import serve

        return serve(
            self.handle, host=host, port=port, tls=tls, token=self.token, verbose=verbose,
            performance=self.performance,
        )

    def client(
        self,
        *,
        api_version: str | None = None,
        retry: RetryPolicy | None = None,
        poll: PollPolicy | None = None,
        timeout: float | None = None,
    ) -> Client:
        """A ``sfbulk_frames.Client`` wired to this emulator in-process (a setting left ``None``
        keeps the ``Client`` default)."""
        return client_for(
            self.instance_url,
            self.token,
            transport=self.transport(),
            api_version=api_version,
            retry=retry,
            poll=poll,
            timeout=timeout,
        )

    def expire_tokens(self) -> None:
        """Expire every access token: the next API call answers 401 INVALID_SESSION_ID."""
        self.auth.expire_all()
        self.faults.record("expire_tokens")

    def count(self, object_name: str, include_deleted: bool = False) -> int:
        return self.org.count(object_name, include_deleted=include_deleted)

    def sql(self, query: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """Read-only SQL on the org's SQLite database (tables named like the objects).

        SQLite itself refuses every write (``INSERT``, ``UPDATE``, ``DELETE`` also inside
        ``WITH``, DDL, ``ATTACH``, writing ``PRAGMA``s): raises
        :class:`~.models.org.ReadOnlySqlError` (a ``ValueError``)."""
        return self.org.sql(query, params)

    def jobs_seen(self) -> dict[str, int]:
        """Accepted data uploads per job id (a value above 1 would mean data sent twice)."""
        seen: dict[str, int] = {}
        for put in self.puts:
            if put.status == 201:
                seen[put.job_id] = seen.get(put.job_id, 0) + 1
        return seen

    def record_put(self, job_id: str, size: int, status: int) -> None:
        self.puts.append(PutRecord(job_id, size, status))

    def job(self, job_id: str) -> Job:
        """The job record (ingest or query); raises ``KeyError`` when unknown."""
        with self.org.lock:
            found = self.store.jobs.get(job_id)
        if found is None:
            raise KeyError(f"no job {job_id!r} in this emulator")
        return found

    def api_max(self) -> int:
        """The daily API request limit in force (``api_limit`` or a lower fault)."""
        fault = self.faults.api_call_limit
        return self.api_limit if fault is None else min(self.api_limit, fault)

    def schedule(self, job: Job) -> None:
        """Start processing a closed ingest job or a new query job (caller holds the lock)."""
        self._runner.schedule(job)

    def shape_view(self, job: Job, view: dict[str, Any]) -> dict[str, Any]:
        """A job's info view as the performance model shows it now (as is without a model)."""
        self._runner.shape_view(job, view)
        return view

    def reset(self) -> None:
        """Delete every record and job; clear faults, counters and upload records."""
        with self.org.lock:
            self.org.reset_records()
            self.store = JobStore(self.org.conn)
            self.faults.clear()
            self.faults.fired.clear()
            self.usage_api = self.usage_batches = self.usage_query_jobs = 0
            self.puts.clear()
            self._runner.reset_model()
            self.cursors.clear()
            self._seed_users()

    def close(self) -> None:
        """Stop the background worker and close the database."""
        self._runner.close()
        self.org.close()

    def __enter__(self) -> Emulator:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def _seed_users(self) -> None:
        """A User record for every configured user besides the default one (whose record the
        org keeps), so ``sobjects/User/{id}`` answers for whoever logged in."""
        for account in self.auth.accounts()[1:]:
            first, _, last = account.full_name.rpartition(" ")
            self.org.ensure_user(
                account.user_id,
                {
                    "FirstName": first or None,
                    "LastName": last,
                    "Name": account.full_name,
                    "Username": account.username,
                    "Email": account.username,
                    "Alias": account.username.split("@", 1)[0][:8],
                    "IsActive": 1,
                },
            )

    def _count_batch(self) -> None:
        self.usage_batches += 1


__all__ = ["DEFAULT_INSTANCE_URL", "Emulator", "PutRecord"]
