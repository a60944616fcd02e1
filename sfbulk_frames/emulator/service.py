"""The :class:`Emulator`: one emulated Salesforce org (records, jobs, auth, faults) with an
in-process httpx transport and a real loopback server."""

from __future__ import annotations

import math
import random
import sqlite3
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

from sfbulk_frames.emulator.api import query_jobs as query_api
from sfbulk_frames.emulator.http.responses import ApiError, json_response, not_found
from sfbulk_frames.emulator.http.routes import CoreMixin, control_body
from sfbulk_frames.emulator.http.transport import EmulatorTransport
from sfbulk_frames.emulator.http.wire import Request, Response
from sfbulk_frames.emulator.ingest.run import BackgroundWorker, IngestRun, hide_until_polled
from sfbulk_frames.emulator.models.builtin import builtin_schema
from sfbulk_frames.emulator.models.faults import FaultPlan
from sfbulk_frames.emulator.models.jobs import Job, JobStore
from sfbulk_frames.emulator.models.org import Org

DEFAULT_INSTANCE_URL = "https://emulator.sfbulk.local"


@dataclass(frozen=True)
class PutRecord:
    """One ``PUT …/batches`` the emulator received (accepted or not)."""

    job_id: str
    size: int
    status: int


class Emulator(CoreMixin):
    """A local Salesforce org speaking the Bulk API 2.0.

    ``processing``: ``"instant"`` (jobs finish during close; the next info GET shows the final
    state), ``"background"`` (a daemon worker processes after ``processing_delay`` seconds,
    batch by batch) or ``"polls:N"`` (the N-th info GET shows the final state). Use as a context
    manager or call :meth:`close` to stop the worker. Raises ``ValueError`` for a bad mode.
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
    ) -> None:
        self._polls = self._parse_mode(processing)
        self.processing = processing
        self.processing_delay = processing_delay
        self.seed = seed
        schema = builtin_schema()
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
        from sfbulk_frames.emulator.models.auth import AuthService

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
        self._token: str | None = None
        self._worker = BackgroundWorker(self._run_in_background) if self._polls is None else None

    @staticmethod
    def _parse_mode(processing: str) -> int | None:
        if processing == "instant":
            return 1
        if processing == "background":
            return None
        if processing.startswith("polls:") and processing[6:].isdigit() and int(processing[6:]) > 0:
            return int(processing[6:])
        raise ValueError(
            f"processing must be 'instant', 'background' or 'polls:N' (N >= 1), got {processing!r}"
        )

    def __repr__(self) -> str:
        return f"<Emulator {self.instance_url} processing={self.processing!r} seed={self.seed}>"

    # -- public helpers ----------------------------------------------------------------------
    @property
    def token(self) -> str:
        """A ready access token for the default user (issued once, re-issued after expiry)."""
        if self._token is None or not self.auth.check(f"Bearer {self._token}"):
            self._token = self.auth.issue_token()
        return self._token

    def transport(self) -> EmulatorTransport:
        """An httpx transport (sync and async) that answers in-process."""
        return EmulatorTransport(self.handle)

    def serve(self, port: int = 0, host: str = "127.0.0.1", tls: bool = False) -> Any:
        """A real HTTP server on loopback (context manager with ``.url``, ``.client()``)."""
        from sfbulk_frames.emulator.http.server import serve

        return serve(self.handle, host=host, port=port, tls=tls, token=self.token)

    def client(self, **kwargs: Any) -> Any:
        """A ``sfbulk_frames.Client`` wired to this emulator in-process."""
        from sfbulk_frames import Client  # type: ignore[attr-defined,unused-ignore]

        return Client(self.instance_url, self.token, transport=self.transport(), **kwargs)

    def expire_tokens(self) -> None:
        """Expire every access token: the next API call answers 401 INVALID_SESSION_ID."""
        self.auth.expire_all()
        self.faults.record("expire_tokens")

    def count(self, object_name: str, include_deleted: bool = False) -> int:
        return self.org.count(object_name, include_deleted=include_deleted)

    def sql(self, query: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """Read-only SQL on the org's SQLite database (tables named like the objects)."""
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
        with self._lock():
            found = self.store.jobs.get(job_id)
        if found is None:
            raise KeyError(f"no job {job_id!r} in this emulator")
        return found

    def reset(self) -> None:
        """Delete every record and job; clear faults, counters and upload records."""
        with self._lock():
            self.org.reset_records()
            self.store = JobStore(self.org.conn)
            self.faults.clear()
            self.faults.fired.clear()
            self.usage_api = self.usage_batches = self.usage_query_jobs = 0
            self.puts.clear()

    def close(self) -> None:
        """Stop the background worker and close the database."""
        if self._worker is not None:
            self._worker.close()
            self._worker = None
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

    # -- hooks of the core -------------------------------------------------------------------
    def _lock(self) -> Any:
        return self.org.lock

    def api_max(self) -> int:
        fault = self.faults.api_call_limit
        return self.api_limit if fault is None else min(self.api_limit, fault)

    def pretty(self, req: Request) -> bool:
        return req.headers.get("x-prettyprint", "") in ("1", "true")

    def _auth_check(self, authorization: str | None) -> bool:
        return self.auth.check(authorization)

    def _auth_endpoint(self, req: Request, body: bytes) -> Response | None:
        # ``body`` is already gunzipped: drop the header that says otherwise
        headers = {k: v for k, v in req.headers.items() if k != "content-encoding"}
        plain = Request(req.method, req.path, req.query, headers, body, req.base_url)
        if req.path.rstrip("/") == "/services/oauth2/token":
            return self.auth.handle_token(plain)  # a GET gets Salesforce's 400 invalid_request
        if req.path.startswith(("/services/Soap/u/", "/services/Soap/c/")):
            return self.auth.handle_soap(plain)
        return None

    def _control(self, req: Request, body: bytes) -> Response:
        action = req.path.rstrip("/").rsplit("/", 1)[-1]
        if action == "state" and req.method == "GET":
            with self._lock():
                jobs = {j.id: j.state for j in self.store.jobs.values()}
            return json_response(
                {
                    "jobs": jobs,
                    "apiUsage": self.usage_api,
                    "apiMax": self.api_max(),
                    "faults": self.faults.state(),
                    "uploads": self.jobs_seen(),
                }
            )
        if req.method != "POST":
            raise ApiError(405, "METHOD_NOT_ALLOWED", "control endpoints take POST (state: GET)")
        if action == "faults":
            spec = control_body(body)
            if spec.get("kind") == "expire_tokens":
                self.expire_tokens()
            else:
                try:
                    self.faults.apply_control(spec)
                except ValueError as exc:
                    raise ApiError(400, "INVALID_FAULT", str(exc)) from exc
            return json_response(self.faults.state())
        if action == "reset":
            self.reset()
            return Response(204)
        if action == "expire_tokens":
            self.expire_tokens()
            return Response(204)
        raise not_found()

    # -- processing --------------------------------------------------------------------------
    def schedule(self, job: Job) -> None:
        """Start processing a closed ingest job or a new query job (caller holds the lock)."""
        if self._polls is None:
            assert self._worker is not None
            self._worker.submit(job.id, self.processing_delay)
            return
        if job.kind == "query":
            self._run_query(job)
        else:
            run = self._ingest_run(job)
            if run.start():
                while run.step():
                    pass
                if job.state not in ("Failed", "Aborted"):
                    run.finish()
        hide_until_polled(job, self._polls)
        self.store.save(job)
        self.org.save_id_state()

    def _run_query(self, job: Job) -> None:
        """Materialise a query job; a database error fails the job instead of the worker."""
        try:
            query_api.run(self, job)
        except sqlite3.Error as exc:  # materialize() leaves no result table behind
            job.error_message = (
                f"InternalServerError : the query of job {job.id} failed in the emulator's "
                f"database ({type(exc).__name__}: {exc}); simplify the query or report it"
            )
            job.set_state("Failed")

    def drop_query_results(self, job: Job) -> None:
        from sfbulk_frames.emulator.soql.results import drop

        drop(self.org.conn, query_api.result_table(job))

    def _ingest_run(self, job: Job) -> IngestRun:
        def count_batch() -> None:
            self.usage_batches += 1

        rng = random.Random(f"{self.seed}:{job.id}")
        return IngestRun(self.org, self.store, job, self.faults, rng, count_batch)

    def _run_in_background(self, job_id: str) -> None:
        worker = self._worker
        with self._lock():
            job = self.store.jobs.get(job_id)
            if job is None or job.terminal:
                return
            job.set_state("InProgress")
            if job.kind == "query":
                self._run_query(job)
                self.store.save(job)
                return
            run = self._ingest_run(job)
            started = run.start()
            self.store.save(job)
        if not started:
            return
        began = time.monotonic()
        batches = max(1, math.ceil(run.total_rows / 10_000))
        pause = self.faults.slow_seconds / batches if self.faults.slow_seconds else 0.0
        if pause:
            self.faults.record("slow", job=job_id, seconds=self.faults.slow_seconds)
        more = True
        while more:
            if worker is not None and pause and worker.sleep(pause):
                return
            with self._lock():
                if job.id not in self.store.jobs:
                    return  # deleted while running
                if job.state == "Aborted":
                    run.stop("Aborted")
                    self.store.save(job)
                    return
                more = run.step()
                if not more and job.state == "InProgress":
                    rest = self.faults.slow_seconds - (time.monotonic() - began)
                    if rest <= 0:
                        run.finish()
                self.store.save(job)
        rest = self.faults.slow_seconds - (time.monotonic() - began)
        if job.state == "InProgress":
            if rest > 0 and worker is not None and worker.sleep(rest):
                return
            with self._lock():
                if job.state == "InProgress":
                    run.finish()
                    self.store.save(job)


__all__ = ["DEFAULT_INSTANCE_URL", "Emulator", "PutRecord"]
