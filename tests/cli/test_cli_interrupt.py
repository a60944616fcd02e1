"""Ctrl-C while ``sfbulk`` waits for a job: exit 130 and the resume command is shown.

Synchronised on an event: the emulator's request handler signals the first status request
of the ingest job (the CLI is then waiting for it); no sleeps.
"""

from __future__ import annotations

import re
import signal
import threading
from collections.abc import Iterator
from pathlib import Path

import polars as pl
import pytest

from sfbulk_frames.emulator import Emulator, Request, Response

from .harness import Org, popen_sfbulk, serve_org

EVENT_TIMEOUT = 120.0  # a bound for a hung CLI, not a synchronisation delay
_JOB_STATUS = re.compile(r"/services/data/v[\d.]+/jobs/ingest/(750\w+)$")


class StatusPolled:
    """Wraps the emulator's handler: ``event`` is set at the first GET of an ingest job."""

    def __init__(self, emulator: Emulator) -> None:
        self.event = threading.Event()
        self.job_id = ""
        self._handle = emulator.handle

    def __call__(self, request: Request) -> Response:
        response = self._handle(request)
        match = _JOB_STATUS.search(request.path)
        if request.method == "GET" and match and not self.event.is_set():
            self.job_id = match[1]
            self.event.set()
        return response


@pytest.fixture
def stuck_org() -> Iterator[tuple[Org, StatusPolled]]:
    """Jobs never finish during the test: they wait for 1000 status requests."""
    emulator = Emulator(seed=3, processing="polls:1000")
    polled = StatusPolled(emulator)
    with serve_org(emulator, handler=polled) as org:
        yield org, polled


def test_ctrl_c_while_waiting_exits_130_and_prints_the_resume_command(
    stuck_org: tuple[Org, StatusPolled], contacts_frame: pl.DataFrame, tmp_path: Path
) -> None:
    org, polled = stuck_org
    source = tmp_path / "contacts.csv"
    contacts_frame.write_csv(source)
    process = popen_sfbulk("insert", "Contact", source, "--no-progress", org=org)
    try:
        assert polled.event.wait(EVENT_TIMEOUT), "the CLI never waited for its job"
        process.send_signal(signal.SIGINT)
        stdout, stderr = process.communicate(timeout=EVENT_TIMEOUT)
    finally:
        if process.poll() is None:
            process.kill()

    assert process.returncode == 130, stderr
    assert "interrupted" in stderr
    assert f"sfbulk jobs resume {source} {polled.job_id}" in stderr
    assert org.token not in stdout + stderr
    assert "Traceback" not in stderr
    assert not (tmp_path / "contacts.successful.csv").exists()
