"""The one ``sfbulk emulator`` server process of a benchmark run, and plain-httpx helpers.

The harness talks to the server with bare httpx (not our client) for the things that are not
measured: resetting the org, loading the rows an upsert or query needs, counting records. Those
same requests give the emulator's own throughput (ingest and query rows/s).
"""

from __future__ import annotations

import io
import os
import signal
import ssl
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import httpx
import polars as pl

__all__ = [
    "EmulatorProcess",
    "LoadTiming",
    "QueryTiming",
    "cpu_count",
    "cpu_description",
    "memory_gb",
]

API = "v62.0"
_STARTUP_TIMEOUT = 60.0
_JOB_TIMEOUT = 900.0
_UPLOAD_ROWS = 250_000


@dataclass
class LoadTiming:
    """How long the emulator took to take in ``rows`` rows (upload, close+process, total)."""

    rows: int
    upload_s: float = 0.0
    process_s: float = 0.0
    total_s: float = 0.0

    @property
    def rows_per_s(self) -> float:
        """Rows processed per second of the close+processing requests (instant mode)."""
        return self.rows / self.process_s if self.process_s else 0.0


@dataclass
class QueryTiming:
    """How long a full query of ``rows`` rows took (job, then every page downloaded)."""

    rows: int = 0
    pages: int = 0
    total_s: float = 0.0

    @property
    def rows_per_s(self) -> float:
        """Rows delivered per second, from job creation to the last page."""
        return self.rows / self.total_s if self.total_s else 0.0


@dataclass
class EmulatorProcess:
    """``python -m sfbulk_frames.emulator --tls --processing instant`` on a free loopback port.

    ``start()`` raises RuntimeError (with the server's output) if it does not come up.
    """

    token: str = "bench-token-not-a-secret"
    seed: int = 0
    url: str = ""
    cert: str | None = None
    restarts: int = 0
    reset_method: str = "none yet"
    _proc: subprocess.Popen[str] | None = None
    _output: list[str] = field(default_factory=list)

    def command(self) -> list[str]:
        """The exact server command line."""
        return [sys.executable, "-m", "sfbulk_frames.emulator", "--host", "127.0.0.1",
                "--port", "0", "--tls", "--processing", "instant", "--seed", str(self.seed),
                "--token", self.token]

    def start(self) -> None:
        """Start the server and wait until it answers."""
        self._output = []
        self._proc = subprocess.Popen(self.command(), stdout=subprocess.PIPE,
                                      stderr=subprocess.STDOUT, text=True, bufsize=1)
        assert self._proc.stdout is not None
        deadline = time.monotonic() + _STARTUP_TIMEOUT
        url, cert = self._read_banner(self._proc.stdout, deadline)
        self.url, self.cert = url, cert
        threading.Thread(target=self._drain, args=(self._proc.stdout,), daemon=True).start()
        while time.monotonic() < deadline:
            try:
                self.http().get("/services/data/").raise_for_status()
                return
            except httpx.HTTPError:
                time.sleep(0.2)
        raise RuntimeError("emulator did not answer:\n" + "".join(self._output[-30:]))

    def _read_banner(self, stdout: IO[str], deadline: float) -> tuple[str, str | None]:
        url: str | None = None
        cert: str | None = None
        while time.monotonic() < deadline:
            line = stdout.readline()
            if not line:
                break
            self._output.append(line)
            label, _, value = line.partition(":")
            if label.strip() == "Instance URL":
                url = value.strip()
            elif label.strip() == "Certificate":
                cert = value.strip().split()[0]
            if url and (cert or "Press Ctrl-C" in line):
                return url, cert
        raise RuntimeError("emulator did not print its URL:\n" + "".join(self._output[-30:]))

    def _drain(self, stdout: IO[str]) -> None:
        for line in stdout:
            self._output.append(line)
            del self._output[:-200]

    def stop(self) -> None:
        """Stop the server (SIGTERM, then SIGKILL after 15 s)."""
        if self._proc is None or self._proc.poll() is not None:
            return
        self._proc.send_signal(signal.SIGTERM)
        try:
            self._proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.wait()

    @property
    def pid(self) -> int | None:
        """The server's process id while it runs."""
        return self._proc.pid if self._proc is not None else None

    def peak_rss_mb(self) -> float:
        """The server process's peak RSS so far (``VmHWM``), 0 if unknown."""
        try:
            status = Path(f"/proc/{self.pid}/status").read_text()
        except (OSError, TypeError):
            return 0.0
        for line in status.splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
        return 0.0

    def http(self) -> httpx.Client:
        """A bare httpx client for the server (bearer token, trusted certificate)."""
        verify: ssl.SSLContext | bool = (
            ssl.create_default_context(cafile=self.cert) if self.cert else True
        )
        return httpx.Client(base_url=self.url, verify=verify, timeout=_JOB_TIMEOUT,
                            headers={"Authorization": f"Bearer {self.token}"})

    def reset(self) -> None:
        """Empty the org: ``POST /__emulator__/reset`` when served, else restart the server."""
        try:
            with self.http() as http:
                response = http.post("/__emulator__/reset")
            if response.status_code < 300:
                self.reset_method = "POST /__emulator__/reset"
                return
        except httpx.HTTPError:
            pass
        self.reset_method = "server restart (no reset endpoint)"
        self.stop()
        self.restarts += 1
        self.start()

    def load(self, frame: pl.DataFrame, object_name: str) -> LoadTiming:
        """Insert ``frame`` (one job per 250,000 rows); raises RuntimeError if a job fails."""
        timing = LoadTiming(rows=frame.height)
        start = time.perf_counter()
        with self.http() as http:
            for part in frame.iter_slices(_UPLOAD_ROWS):
                buffer = io.BytesIO()
                part.write_csv(buffer, datetime_format="%Y-%m-%dT%H:%M:%S.%3fZ")
                job = self._json(http.post(
                    f"/services/data/{API}/jobs/ingest",
                    json={"object": object_name, "operation": "insert", "contentType": "CSV",
                          "lineEnding": "LF", "columnDelimiter": "COMMA"}))
                t0 = time.perf_counter()
                http.put(f"/services/data/{API}/jobs/ingest/{job['id']}/batches",
                         content=buffer.getvalue(),
                         headers={"Content-Type": "text/csv"}).raise_for_status()
                t1 = time.perf_counter()
                http.patch(f"/services/data/{API}/jobs/ingest/{job['id']}",
                           json={"state": "UploadComplete"}).raise_for_status()
                info = self._wait(http, f"/services/data/{API}/jobs/ingest/{job['id']}")
                timing.upload_s += t1 - t0
                timing.process_s += time.perf_counter() - t1
                if info["state"] != "JobComplete" or info.get("numberRecordsFailed"):
                    raise RuntimeError(f"preload job {job['id']} ended {info['state']} with "
                                       f"{info.get('numberRecordsFailed')} failed rows")
        timing.total_s = time.perf_counter() - start
        return timing

    def count(self, object_name: str) -> int:
        """Records of ``object_name`` in the org: a query job's ``numberRecordsProcessed``."""
        with self.http() as http:
            job = self._json(http.post(f"/services/data/{API}/jobs/query",
                                       json={"operation": "query",
                                             "query": f"SELECT Id FROM {object_name}"}))
            info = self._wait(http, f"/services/data/{API}/jobs/query/{job['id']}")
            http.delete(f"/services/data/{API}/jobs/query/{job['id']}")
        return int(info["numberRecordsProcessed"])

    def time_query(self, soql: str) -> QueryTiming:
        """Run ``soql`` and download every page with bare httpx: the emulator's query speed."""
        timing = QueryTiming()
        start = time.perf_counter()
        with self.http() as http:
            job = self._json(http.post(f"/services/data/{API}/jobs/query",
                                       json={"operation": "query", "query": soql}))
            path = f"/services/data/{API}/jobs/query/{job['id']}"
            self._wait(http, path)
            locator: str | None = None
            while True:
                params = {"locator": locator} if locator else {}
                page = http.get(f"{path}/results", params=params)
                page.raise_for_status()
                timing.rows += int(page.headers.get("Sforce-NumberOfRecords", 0))
                timing.pages += 1
                locator = page.headers.get("Sforce-Locator")
                if not locator or locator == "null":
                    break
            http.delete(path)
        timing.total_s = time.perf_counter() - start
        return timing

    @staticmethod
    def _json(response: httpx.Response) -> dict[str, Any]:
        if response.status_code >= 300:
            raise RuntimeError(f"{response.request.method} {response.request.url.path} answered "
                               f"{response.status_code}: {response.text[:300]}")
        data: dict[str, Any] = response.json()
        return data

    def _wait(self, http: httpx.Client, path: str) -> dict[str, Any]:
        deadline = time.monotonic() + _JOB_TIMEOUT
        delay = 0.05
        while time.monotonic() < deadline:
            info = self._json(http.get(path))
            if info["state"] in ("JobComplete", "Failed", "Aborted"):
                return info
            time.sleep(delay)
            delay = min(delay * 2, 1.0)
        raise RuntimeError(f"{path} did not finish within {_JOB_TIMEOUT:.0f}s")


def cpu_description() -> str:
    """The CPU model from /proc/cpuinfo (or the platform's processor string)."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    import platform

    return platform.processor() or "unknown"


def memory_gb() -> float:
    """Total RAM in GB (Linux), 0 if unknown."""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) / 1024 / 1024
    except OSError:
        pass
    return 0.0


def cpu_count() -> int:
    """Cores this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 0
