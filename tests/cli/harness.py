"""Harness of the CLI tests: ``sfbulk`` run as a real subprocess (``python -m sfbulk_frames``)
against an emulator served on loopback by the suite's one server harness (``tests/harness.py``).

Every run checks that the access token appears in neither stdout nor stderr.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import polars as pl
from harness import Handler, served_emulator

from sfbulk_frames.client.clients import Client
from sfbulk_frames.emulator import Emulator, EmulatorServer

RUN_TIMEOUT = 120


@dataclass
class Org:
    """An emulator and its loopback server, as one test sees them."""

    emulator: Emulator
    server: EmulatorServer

    @property
    def url(self) -> str:
        return str(self.server.url)

    @property
    def token(self) -> str:
        return str(self.server.token)

    def connection(self) -> list[str]:
        return ["--instance-url", self.url, "--access-token", self.token]

    def client(self) -> Client:
        return Client(self.url, self.token)


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SF_")}
    env["PYTHONIOENCODING"] = "utf-8"
    env["COLUMNS"] = "100"
    return env


def sfbulk(*args: str | Path, org: Org | None = None, cwd: Path | None = None,
           timeout: float = RUN_TIMEOUT) -> subprocess.CompletedProcess[str]:
    """Run ``sfbulk ARGS [connection options]`` in a subprocess; asserts no token leaked."""
    command = [sys.executable, "-m", "sfbulk_frames", *map(str, args)]
    if org is not None:
        command += org.connection()
    done = subprocess.run(command, capture_output=True, text=True, encoding="utf-8",
                          timeout=timeout, cwd=cwd, env=_env(), check=False)
    if org is not None:
        assert org.token not in done.stdout, "the access token was printed on stdout"
        assert org.token not in done.stderr, "the access token was printed on stderr"
    return done


def _default_sigint() -> None:
    # A shell starts background jobs with SIGINT ignored and children inherit that, so Python
    # would not turn Ctrl-C into KeyboardInterrupt: give the child a terminal's default.
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def popen_sfbulk(*args: str | Path, org: Org | None = None) -> subprocess.Popen[str]:
    """Start ``sfbulk ARGS [connection options]`` with Ctrl-C enabled, stdout/stderr piped."""
    command = [sys.executable, "-m", "sfbulk_frames", *map(str, args)]
    if org is not None:
        command += org.connection()
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            encoding="utf-8", env=_env(), preexec_fn=_default_sigint)


@contextmanager
def serve_org(emulator: Emulator, *, handler: Handler | None = None) -> Iterator[Org]:
    """``emulator`` served on loopback for the block, then closed (the org is the test's)."""
    with emulator, served_emulator(emulator, handler=handler) as server:
        yield Org(emulator, server)


def read_any(path: Path) -> pl.DataFrame:
    """A result file of any of the three formats, every CSV column as text."""
    if path.suffix == ".parquet":
        return pl.read_parquet(path)
    if path.suffix in (".ndjson", ".jsonl"):
        return pl.read_ndjson(path)
    return pl.read_csv(path, infer_schema=False)
