"""Timeouts, Ctrl-C and resume(): nothing is aborted or lost, and the result can be rebuilt.

Synchronised on events, not on time: jobs finish only after ``POLLS`` status requests
(``processing="polls:N"``), Ctrl-C is sent by the progress callback once every chunk is
uploaded, and ``timeout=0`` gives up after the first status request.
"""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Callable, Iterator

import polars as pl
import pytest

import sfbulk_frames as sfb
from sfbulk_frames import testing
from sfbulk_frames.emulator import Emulator
from sfbulk_frames.testing import assert_partition

POLLS = 50


@pytest.fixture
def emulator() -> Iterator[Emulator]:
    with Emulator(seed=3, processing=f"polls:{POLLS}") as emu, testing.fast_polling():
        yield emu


def _frame(n: int) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "LastName": [f"row {i}" if i % 5 else None for i in range(n)],
            "ExternalId__c": [f"k{i}" for i in range(n)],
        }
    )


def ctrl_c_after_uploads(chunks: int) -> Callable[[sfb.ProgressEvent], None]:
    """A progress callback that presses Ctrl-C once ``chunks`` chunks are uploaded."""
    lock = threading.Lock()
    uploaded = 0

    def on_event(event: sfb.ProgressEvent) -> None:
        nonlocal uploaded
        if event.kind != "chunk_uploaded":
            return
        with lock:
            uploaded += 1
            if uploaded == chunks:
                os.kill(os.getpid(), signal.SIGINT)

    return on_event


def test_ctrl_c_names_every_uploaded_job_aborts_none_and_resume_rebuilds_the_result(emulator):
    df = _frame(40)
    with emulator.client() as client:
        with pytest.raises(sfb.JobInterruptedError) as err:
            sfb.upsert(
                df,
                "Contact",
                "ExternalId__c",
                client=client,
                max_records=15,
                max_concurrent_jobs=3,
                progress=ctrl_c_after_uploads(3),
            )
        assert isinstance(err.value, KeyboardInterrupt)
        ids = err.value.job_ids
        assert len(ids) == 3
        assert f"sfbulk_frames.resume(df, {ids!r})" in str(err.value)
        assert all(client.ingest_job(i).info().state != sfb.JobState.ABORTED for i in ids)
        res = sfb.resume(df, ids, client=client, progress=False)
    assert res.summary()["successful"] == 32
    assert res.summary()["failed"] == 8
    assert_partition(res, 40)
    assert res.annotate()["status"].to_list() == [
        "failed" if i % 5 == 0 else "success" for i in range(40)
    ]
    assert emulator.count("Contact") == 32


def test_timeout_names_the_waiting_job_aborts_nothing_and_resume_reports_the_rest(emulator):
    df = _frame(30)
    with emulator.client() as client:
        with pytest.raises(sfb.JobTimeoutError) as err:
            sfb.upsert(
                df,
                "Contact",
                "ExternalId__c",
                client=client,
                max_records=10,
                max_concurrent_jobs=1,
                timeout=0,
                progress=False,
            )
        ids = err.value.job_ids
        assert len(ids) == 1  # one slot: the second chunk was never sent
        assert "resume" in str(err.value)
        assert ids[0] in str(err.value)
        assert not client.ingest_job(ids[0]).info().state.is_terminal  # still running
        res = sfb.resume(df, ids, client=client, progress=False)
    assert res.summary()["rows"] == 30
    assert (res.summary()["successful"], res.summary()["failed"]) == (8, 2)
    unprocessed = res.unprocessed
    assert unprocessed.height == 20
    assert unprocessed["sf__Row"].to_list() == list(range(10, 30))
    assert unprocessed["sf__Error"].null_count() == 0
    assert_partition(res, 30)
