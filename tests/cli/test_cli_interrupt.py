"""Ctrl-C while ``sfbulk`` waits for a job: exit 130 and the resume command is shown."""

from __future__ import annotations

import signal
import time
from collections.abc import Iterator
from pathlib import Path

import polars as pl
import pytest

from .harness import Org, popen_sfbulk, serve_org

WAIT_FOR_UPLOAD = 60.0


@pytest.fixture
def stuck_org() -> Iterator[Org]:
    """Jobs sit in UploadComplete for a long time after their upload."""
    yield from serve_org(processing="background", processing_delay=120.0)


def _wait_for_uploaded_job(org: Org, process: object) -> str:
    deadline = time.monotonic() + WAIT_FOR_UPLOAD
    client = org.client()
    while time.monotonic() < deadline:
        jobs = [j for j in client.list_jobs(kind="ingest") if j.state == "UploadComplete"]
        if jobs:
            return str(jobs[0].id)
        time.sleep(0.1)
    raise AssertionError("the CLI never uploaded its job")


def test_ctrl_c_while_waiting_exits_130_and_prints_the_resume_command(
    stuck_org: Org, contacts_frame: pl.DataFrame, tmp_path: Path
) -> None:
    source = tmp_path / "contacts.csv"
    contacts_frame.write_csv(source)
    process = popen_sfbulk("insert", "Contact", source, "--no-progress", org=stuck_org)
    try:
        job_id = _wait_for_uploaded_job(stuck_org, process)
        time.sleep(0.3)  # let the CLI enter its polling loop
        process.send_signal(signal.SIGINT)
        stdout, stderr = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()

    assert process.returncode == 130, stderr
    assert "interrupted" in stderr
    assert f"sfbulk jobs resume {source} {job_id}" in stderr
    assert stuck_org.token not in stdout + stderr
    assert "Traceback" not in stderr
    assert not (tmp_path / "contacts.successful.csv").exists()
