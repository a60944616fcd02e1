"""Timeouts, Ctrl-C and resume(): nothing is aborted or lost, and the result can be rebuilt."""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Iterator

import polars as pl
import pytest

import sfbulk_frames as sfb
from sfbulk_frames import testing
from sfbulk_frames.emulator import Emulator
from sfbulk_frames.testing import assert_partition


@pytest.fixture
def slow_emulator() -> Iterator[Emulator]:
    with (
        Emulator(seed=3, processing="background", processing_delay=1.5) as emu,
        testing.fast_polling(),
    ):
        yield emu


def _frame(n: int) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "LastName": [f"row {i}" if i % 5 else None for i in range(n)],
            "ExternalId__c": [f"k{i}" for i in range(n)],
        }
    )


def test_timeout_raises_with_job_ids_and_resume_rebuilds_the_result(slow_emulator):
    df = _frame(40)
    with slow_emulator.client() as client:
        with pytest.raises(sfb.JobTimeoutError) as err:
            sfb.upsert(
                df,
                "Contact",
                "ExternalId__c",
                client=client,
                max_records=15,
                timeout=0.2,
                progress=False,
            )
        ids = err.value.job_ids
        assert len(ids) == 3
        assert "resume" in str(err.value)
        assert ids[0] in str(err.value)
        res = sfb.resume(df, ids, client=client, progress=False)
    assert res.summary()["successful"] == 32
    assert res.summary()["failed"] == 8
    assert_partition(res, 40)
    assert res.annotate()["status"].to_list() == [
        "failed" if i % 5 == 0 else "success" for i in range(40)
    ]
    assert slow_emulator.count("Contact") == 32


def test_resume_reports_rows_no_job_covered_as_unprocessed(slow_emulator):
    df = _frame(30)
    with slow_emulator.client() as client:
        with pytest.raises(sfb.JobTimeoutError) as err:
            sfb.upsert(
                df,
                "Contact",
                "ExternalId__c",
                client=client,
                max_records=10,
                timeout=0.2,
                progress=False,
            )
        res = sfb.resume(df, err.value.job_ids[:1], client=client, progress=False)
    assert res.summary()["rows"] == 30
    unprocessed = res.unprocessed
    assert unprocessed.height == 20
    assert unprocessed["sf__Error"].null_count() == 0


def test_ctrl_c_while_waiting_raises_interrupt_with_resume_hint(slow_emulator):
    df = _frame(20)
    timer = threading.Timer(0.4, os.kill, (os.getpid(), signal.SIGINT))
    with slow_emulator.client() as client:
        timer.start()
        try:
            with pytest.raises(sfb.JobInterruptedError) as err:
                sfb.upsert(df, "Contact", "ExternalId__c", client=client, progress=False)
        finally:
            timer.cancel()
        assert isinstance(err.value, KeyboardInterrupt)
        assert "sfbulk_frames.resume(df, [" in str(err.value)
        res = sfb.resume(df, err.value.job_ids, client=client, progress=False)
    assert res.summary()["successful"] + res.summary()["failed"] == 20
