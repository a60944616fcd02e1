"""Fixtures of the emulator tests: an emulator per test and a thin plain-httpx API helper
(these tests check the emulator itself, so they do not use sfbulk_frames' client)."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from harness import served_emulator

from sfbulk_frames.emulator import Emulator

VERSION = "62.0"
BASE = f"/services/data/v{VERSION}"


def parse_csv(text: str, delimiter: str = ",") -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text, newline=""), delimiter=delimiter))


@dataclass
class IngestOutcome:
    job_id: str
    info: dict[str, Any]
    successful: list[dict[str, str]]
    failed: list[dict[str, str]]
    unprocessed_text: str


class Api:
    """Bulk 2.0 calls over a plain ``httpx.Client``."""

    def __init__(self, http: httpx.Client, emu: Emulator) -> None:
        self.http = http
        self.emu = emu

    def create_ingest(self, **spec: Any) -> httpx.Response:
        return self.http.post(f"{BASE}/jobs/ingest", json=spec)

    def new_ingest(self, obj: str, operation: str, **spec: Any) -> str:
        response = self.create_ingest(object=obj, operation=operation, **spec)
        assert response.status_code == 200, response.text
        return str(response.json()["id"])

    def upload(
        self, job_id: str, data: bytes | str, content_type: str = "text/csv"
    ) -> httpx.Response:
        body = data.encode() if isinstance(data, str) else data
        return self.http.put(
            f"{BASE}/jobs/ingest/{job_id}/batches",
            content=body,
            headers={"Content-Type": content_type},
        )

    def start_ingest(self, obj: str, operation: str, data: bytes | str) -> str:
        """Create a job, upload ``data`` and close it; the job's id."""
        job_id = self.new_ingest(obj, operation)
        assert self.upload(job_id, data).status_code == 201
        assert self.patch(job_id, "UploadComplete").status_code == 200
        return job_id

    def patch(self, job_id: str, state: str, kind: str = "ingest") -> httpx.Response:
        return self.http.patch(f"{BASE}/jobs/{kind}/{job_id}", json={"state": state})

    def info(self, job_id: str, kind: str = "ingest") -> httpx.Response:
        return self.http.get(f"{BASE}/jobs/{kind}/{job_id}")

    def result(self, job_id: str, kind: str) -> httpx.Response:
        return self.http.get(f"{BASE}/jobs/ingest/{job_id}/{kind}")

    def ingest(self, obj: str, operation: str, data: str | bytes, **spec: Any) -> IngestOutcome:
        """Create, upload, close, read info once (instant mode) and fetch the three results."""
        job_id = self.new_ingest(obj, operation, **spec)
        assert self.upload(job_id, data).status_code == 201
        assert self.patch(job_id, "UploadComplete").status_code == 200
        info = self.info(job_id).json()
        delimiter = {
            "TAB": "\t",
            "PIPE": "|",
            "SEMICOLON": ";",
            "CARET": "^",
            "BACKQUOTE": "`",
        }.get(spec.get("columnDelimiter", "COMMA"), ",")
        return IngestOutcome(
            job_id,
            info,
            parse_csv(self.result(job_id, "successfulResults").text, delimiter),
            parse_csv(self.result(job_id, "failedResults").text, delimiter),
            self.result(job_id, "unprocessedrecords").text,
        )

    def query(self, soql: str, operation: str = "query", **spec: Any) -> str:
        response = self.http.post(
            f"{BASE}/jobs/query", json={"operation": operation, "query": soql, **spec}
        )
        assert response.status_code == 200, response.text
        return str(response.json()["id"])


@pytest.fixture
def emu() -> Iterator[Emulator]:
    with Emulator(seed=7) as emulator:
        yield emulator


def make_http(emu: Emulator, base_url: str | None = None) -> httpx.Client:
    if base_url is None:
        return httpx.Client(
            transport=emu.transport(),
            base_url=emu.instance_url,
            headers={"Authorization": f"Bearer {emu.token}"},
        )
    return httpx.Client(
        base_url=base_url, headers={"Authorization": f"Bearer {emu.token}"}, timeout=30
    )


@pytest.fixture
def http(emu: Emulator) -> Iterator[httpx.Client]:
    with make_http(emu) as client:
        yield client


@pytest.fixture
def api(http: httpx.Client, emu: Emulator) -> Api:
    return Api(http, emu)


@pytest.fixture
def api_factory() -> type[Api]:
    return Api


@pytest.fixture
def open_api() -> Callable[[Emulator], AbstractContextManager[Api]]:
    """``with open_api(emu) as api:`` — the helper, in-process, for an Emulator a test built."""

    @contextmanager
    def opened(emu: Emulator) -> Iterator[Api]:
        with make_http(emu) as client:
            yield Api(client, emu)

    return opened


@pytest.fixture(params=["inprocess", pytest.param("server", marks=pytest.mark.server)])
def any_api(request: pytest.FixtureRequest, emu: Emulator) -> Iterator[Api]:
    """The same API helper in-process and over a real loopback server."""
    if request.param == "inprocess":
        with make_http(emu) as client:
            yield Api(client, emu)
        return
    with served_emulator(emu) as server, make_http(emu, server.url) as client:
        yield Api(client, emu)


CONTACTS_CSV = (
    "FirstName,LastName,Email,ExternalId__c\n"
    "Ann,Lee,ann@example.com,C-1\n"
    "Bo,Wong,bo@example.com,C-2\n"
)
