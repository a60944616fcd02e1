"""The pipeline holds at most ``max_concurrent_jobs`` chunks, and joins results back by
position."""

from __future__ import annotations

import threading

import polars as pl
import pytest

import sfbulk_frames as sfb
from sfbulk_frames import testing
from sfbulk_frames.emulator import Emulator
from sfbulk_frames.testing import assert_partition

from .conftest import make_frame, to_pl


def test_each_result_row_carries_the_input_values_of_its_position(client, backend):
    n = 37
    data = {
        "LastName": [None if i % 5 == 2 else f'name {i}, "q"' for i in range(n)],
        "Email": [f"p{i}@x.io" for i in range(n)],
        "NumberOfChildren__c": [i * 3 for i in range(n)],
    }
    df = make_frame(backend, data)
    res = sfb.insert(df, "Contact", max_records=8, max_concurrent_jobs=2, progress=False)
    assert len(res.jobs) == 5
    expected = (
        pl.DataFrame(data).with_row_index("sf__Row").with_columns(pl.col("sf__Row").cast(pl.Int64))
    )
    for part, n_rows in ((res.successful, n - 7), (res.failed, 7)):
        got = to_pl(part).select(expected.columns)
        assert got.height == n_rows
        assert got.equals(expected.join(got.select("sf__Row"), on="sf__Row").sort("sf__Row"))
    assert_partition(res, n)


@pytest.mark.parametrize("max_concurrent_jobs", [1, 2])
def test_no_more_chunks_are_in_flight_than_max_concurrent_jobs(max_concurrent_jobs):
    # Jobs take three polls to finish, so a pipeline that did not wait for a free slot would
    # have every chunk's job open at once. In flight: uploaded, not yet done.
    lock = threading.Lock()
    in_flight: set[str] = set()
    most = 0

    def watch(event: sfb.ProgressEvent) -> None:
        nonlocal most
        with lock:
            if event.kind == "chunk_uploaded":
                in_flight.add(str(event.job_id))
                most = max(most, len(in_flight))
            elif event.kind == "job_done":
                in_flight.discard(str(event.job_id))

    df = pl.DataFrame({"LastName": [f"n{i}" for i in range(12)]})
    with Emulator(processing="polls:3") as emu, testing.fast_polling(), emu.client() as client:
        res = sfb.insert(
            df,
            "Contact",
            client=client,
            max_records=2,
            max_concurrent_jobs=max_concurrent_jobs,
            progress=watch,
        )
    assert res.ok
    assert len(res.jobs) == 6
    assert 1 <= most <= max_concurrent_jobs
    assert not in_flight
