"""Shared harness of the reliability suite: an emulator served over loopback, a recorder of what
the server really received, fast retry/poll settings, and the invariants every case asserts.

The recorder wraps the emulator's own ``handle`` (it does not answer anything itself): it notes
every request and the status the emulator answered, so a test can prove that no job received
data twice and that nothing was sent when an error was raised up front.
"""

from __future__ import annotations

import json
import re
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

import pandas as pd
import polars as pl
import pytest
from harness import served_emulator

import sfbulk_frames as sfb
from sfbulk_frames import testing
from sfbulk_frames.emulator import Emulator, EmulatorServer, Request, Response

# Retries that are fast but real: several attempts, no sleeping beyond a millisecond.
FAST_RETRY = sfb.RetryPolicy(max_attempts=4, backoff_initial=0.001, backoff_max=0.002,
                             jitter=False, max_retry_after=0.01)
FAST_POLL = sfb.PollPolicy(initial=0.001, factor=1.0, max_interval=0.001)

_JOB_PATH = re.compile(
    r"/services/data/v[\d.]+/jobs/(ingest|query)(?:/([A-Za-z0-9]{15,18}))?(/.*)?$"
)


@dataclass(frozen=True)
class Seen:
    """One request the emulator answered (never the headers: they hold the token)."""

    method: str
    path: str
    status: int
    dropped: str | None

    @property
    def job_kind(self) -> str | None:
        match = _JOB_PATH.search(self.path)
        return match.group(1) if match else None

    @property
    def job_id(self) -> str | None:
        match = _JOB_PATH.search(self.path)
        return match.group(2) if match else None

    @property
    def suffix(self) -> str:
        match = _JOB_PATH.search(self.path)
        return (match.group(3) or "") if match else ""


_SECRET_FORM_FIELDS = ("password", "client_secret", "refresh_token", "assertion")
_SOAP_SECRETS = re.compile(rb"<(?:[a-z]+:)?(?:sessionId|password)>([^<]+)<")


def _credentials_in(request: Request, response: Response) -> set[str]:
    found: set[str] = set()
    authorization = request.headers.get("authorization", "")
    if " " in authorization:
        found.add(authorization.split(" ", 1)[1].strip())
    if request.path.endswith("/oauth2/token"):
        form = dict(parse_qsl(request.body.decode("utf-8", "replace")))
        found.update(v for k, v in form.items() if k in _SECRET_FORM_FIELDS and v)
        try:
            answer = json.loads(response.body)
        except ValueError:
            answer = {}
        if isinstance(answer, dict):
            found.update(str(answer[k]) for k in ("access_token", "refresh_token") if answer.get(k))
    if "/Soap/" in request.path:
        for body in (request.body, response.body):
            found.update(m.decode("utf-8", "replace") for m in _SOAP_SECRETS.findall(body))
    return {f for f in found if len(f) >= 6}


@dataclass
class Recorder:
    """Wraps ``Emulator.handle``; ``after`` hooks may act on the emulator after a request."""

    emulator: Emulator
    seen: list[Seen] = field(default_factory=list)
    hooks: list[Callable[[Request, Response], None]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    # Every credential that crossed the wire (tokens, passwords, secrets, assertions): the
    # secrets tests assert none of them shows up anywhere a user or a log can see.
    credentials: set[str] = field(default_factory=set)

    def __call__(self, request: Request) -> Response:
        response = self.emulator.handle(request)
        with self.lock:
            self.seen.append(Seen(request.method, request.path, response.status, response.drop))
            self.credentials.update(_credentials_in(request, response))
            hooks = list(self.hooks)
        for hook in hooks:
            hook(request, response)
        return response

    def clear(self) -> None:
        with self.lock:
            self.seen.clear()

    def uploads_per_job(self) -> Counter[str]:
        """Job id -> how many PUTs of data the emulator accepted (processed the body) for it."""
        with self.lock:
            return Counter(
                s.job_id for s in self.seen
                if s.method == "PUT" and s.suffix == "/batches" and s.status < 300
                and s.dropped != "before" and s.job_id
            )

    def created_jobs(self, kind: str = "ingest") -> list[str]:
        """Ids of the jobs created (from the first request that names them)."""
        with self.lock:
            ids = [s.job_id for s in self.seen if s.job_kind == kind and s.job_id]
        return list(dict.fromkeys(i for i in ids if i))

    def job_requests(self) -> list[Seen]:
        with self.lock:
            return [s for s in self.seen if s.job_kind is not None]


@dataclass
class Served:
    """An emulator, the recorder around it and the loopback server in front of both."""

    emulator: Emulator
    recorder: Recorder
    server: EmulatorServer

    @property
    def url(self) -> str:
        return self.server.url

    @property
    def token(self) -> str:
        return str(self.emulator.token)

    def client(self, **kwargs: Any) -> sfb.Client:
        kwargs.setdefault("retry", FAST_RETRY)
        kwargs.setdefault("poll", FAST_POLL)
        return sfb.Client(self.url, self.token, **kwargs)

    def login_client(self, **kwargs: Any) -> sfb.Client:
        """A client with a refreshable login (password flow against this server)."""
        kwargs.setdefault("retry", FAST_RETRY)
        kwargs.setdefault("poll", FAST_POLL)
        return sfb.Client.password_login(
            "admin@example.com", "password", client_id="reliability-app",
            client_secret="app-secret", domain=self.url, **kwargs,
        )


def _served(**emulator_options: Any) -> Iterator[Served]:
    emulator_options.setdefault("seed", 11)
    with Emulator(**emulator_options) as emu:
        recorder = Recorder(emu)
        with served_emulator(emu, handler=recorder) as server, testing.fast_polling():
            yield Served(emu, recorder, server)


@pytest.fixture
def served() -> Iterator[Served]:
    """An instant-processing emulator behind a loopback server."""
    yield from _served()


@pytest.fixture
def served_background() -> Iterator[Served]:
    """An emulator that processes jobs in the background (jobs stay InProgress a while)."""
    yield from _served(processing="background", processing_delay=0.05)


@pytest.fixture
def emulator() -> Iterator[Emulator]:
    """An in-process emulator (no server) in testing mode."""
    with Emulator(seed=5) as emu, testing.fast_polling():
        yield emu


# ----------------------------------------------------------------------------- invariants
def to_pl(frame: Any) -> pl.DataFrame:
    """A result part as polars (pandas parts are converted without their index)."""
    if isinstance(frame, pd.DataFrame):
        return pl.from_pandas(frame.reset_index(drop=True))
    return frame


def assert_no_job_got_data_twice(recorder: Recorder) -> None:
    """Checked twice: by what the server answered, and by the emulator's own PUT record."""
    twice = {job: n for job, n in recorder.uploads_per_job().items() if n > 1}
    assert not twice, f"jobs that accepted data more than once: {twice}"
    twice = {job: n for job, n in recorder.emulator.jobs_seen().items() if n > 1}
    assert not twice, f"the emulator recorded data twice for jobs {twice}"


def assert_clear_error(err: BaseException, served: Served | None = None) -> None:
    """A typed error with a next step; it names every job that holds data and was not aborted
    (so the user can resume it)."""
    assert isinstance(err, sfb.SfBulkError), f"untyped error {type(err).__name__}: {err}"
    text = str(err)
    hints = ("resume", "retry", "try again", "run again", "wait", "check", "call", "pass ",
             "use ", "fix", "send", "set ")
    assert any(h in text.lower() for h in hints), f"no next step in: {text}"
    if served is None:
        return
    named = set(getattr(err, "job_ids", []) or [])
    unnamed = [
        job_id for job_id in served.recorder.uploads_per_job()
        if job_id not in text and job_id not in named
        and served.emulator.job(job_id).state != "Aborted"
    ]
    assert not unnamed, f"the error does not name the jobs holding data {unnamed}: {text}"
