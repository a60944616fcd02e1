"""Timeouts and killed processes: nothing is aborted or lost, and ``resume()`` from the job ids
(plus re-sending what no job covered) completes the load with every record exactly once."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import polars as pl
import pytest

import sfbulk_frames as sfb

from .conftest import Served, _served, assert_clear_error, assert_no_job_got_data_twice, to_pl
from .loads import (
    INGEST_OPERATIONS,
    assert_org_matches,
    assert_result_sound,
    frame_for,
    run,
    seed_contacts,
)

pytestmark = pytest.mark.server

N_ROWS = 45
MAX_RECORDS = 15

CHILD = textwrap.dedent(
    """
    import sys
    import polars as pl
    import sfbulk_frames as sfb
    from sfbulk_frames.testing import fast_polling

    url, token, operation, path = sys.argv[1:5]
    df = pl.read_parquet(path)

    def progress(event):
        if event.kind == "chunk_uploaded":
            print("JOB", event.job_id, flush=True)

    options = dict(client=sfb.Client(url, token), max_records=int(sys.argv[5]),
                   max_concurrent_jobs=1, progress=progress)
    with fast_polling():
        if operation == "upsert":
            sfb.upsert(df, "Contact", "ExternalId__c", **options)
        else:
            getattr(sfb, operation)(df, "Contact", **options)
    print("DONE", flush=True)
    """
)


@pytest.fixture
def slow_served() -> Iterator[Served]:
    """Background processing: jobs stay InProgress while a fault makes them slow."""
    yield from _served(processing="background", processing_delay=0.01)


def _prepare(operation: str, served: Served) -> tuple[pl.DataFrame, int]:
    seeded = seed_contacts(served.emulator, N_ROWS) if operation in ("update", "delete") else None
    served.recorder.clear()
    return frame_for(operation, N_ROWS, seeded), 0 if seeded is None else seeded.height


def _resend_unprocessed(operation: str, res: sfb.BulkResult, df: pl.DataFrame,
                        served: Served) -> sfb.BulkResult | None:
    """What a user does after resume(): send the rows no job processed, once."""
    rest = to_pl(res.unprocessed)
    if rest.height == 0:
        return None
    with served.client() as client:
        return run(operation, rest.select(df.columns), client)


@pytest.mark.parametrize("operation", INGEST_OPERATIONS)
def test_poll_timeout_then_resume_completes_the_load(operation: str, slow_served: Served) -> None:
    served = slow_served
    df, seeded = _prepare(operation, served)
    served.emulator.faults.slow(0.8)
    with served.client() as client, pytest.raises(sfb.JobTimeoutError) as err:
        run(operation, df, client, max_records=MAX_RECORDS, max_concurrent_jobs=3, timeout=0.2)
    assert_clear_error(err.value, served)
    job_ids = err.value.job_ids
    assert job_ids
    assert all(j in str(err.value) for j in job_ids)
    assert "resume" in str(err.value)
    served.emulator.faults.clear()
    with served.client() as client:
        res = sfb.resume(df, job_ids, client=client, progress=False)
    assert_result_sound(operation, res, df)
    assert_org_matches(operation, served.emulator, df, res, seeded)
    assert_no_job_got_data_twice(served.recorder)
    assert res.summary()["successful"] + to_pl(res.unprocessed).height == N_ROWS


def _run_child_until_first_job(served: Served, operation: str, df: pl.DataFrame,
                               tmp_path: Path) -> list[str]:
    data = tmp_path / "input.parquet"
    df.write_parquet(data)
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, served.url, served.token, operation, str(data),
         str(MAX_RECORDS)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    job_ids: list[str] = []
    try:
        deadline = time.monotonic() + 60
        assert child.stdout is not None
        for line in child.stdout:
            if line.startswith("JOB "):
                job_ids.append(line.split()[1])
                break
            assert time.monotonic() < deadline
    finally:
        child.kill()
        _, stderr = child.communicate(timeout=30)
    assert job_ids, f"the child never reported a job: {stderr[-2000:]}"
    return job_ids


@pytest.mark.parametrize("operation", INGEST_OPERATIONS)
def test_killed_process_resumes_from_printed_job_ids(operation: str, slow_served: Served,
                                                      tmp_path: Path) -> None:
    served = slow_served
    df, seeded = _prepare(operation, served)
    served.emulator.faults.slow(1.5)
    job_ids = _run_child_until_first_job(served, operation, df, tmp_path)
    served.emulator.faults.clear()
    with served.client() as client:
        res = sfb.resume(df, job_ids, client=client, progress=False)
    assert_result_sound(operation, res, df)
    assert_org_matches(operation, served.emulator, df, res, seeded)
    resent = _resend_unprocessed(operation, res, df, served)
    assert_no_job_got_data_twice(served.recorder)
    done = to_pl(res.successful).height + (0 if resent is None else to_pl(resent.successful).height)
    assert done == N_ROWS, "after resume and re-sending the unprocessed rows, every row is in"
    if operation == "insert":
        names = [r[0] for r in served.emulator.sql('SELECT LastName FROM "Contact"')]
        assert sorted(names) == sorted(df["LastName"].to_list()), "a row was lost or doubled"
    elif operation == "upsert":
        assert served.emulator.count("Contact") == N_ROWS
    elif operation == "delete":
        assert served.emulator.count("Contact") == seeded - N_ROWS
