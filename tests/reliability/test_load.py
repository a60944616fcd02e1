"""Concurrent load: 8 loads of 50,000 rows at once through one emulator server, each from its own
thread and Client. Nothing is lost, duplicated or crossed between the loads."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import polars as pl
import pytest

import sfbulk_frames as sfb
from sfbulk_frames.testing import assert_partition

from .conftest import Served, assert_no_job_got_data_twice, to_pl

pytestmark = [pytest.mark.server, pytest.mark.slow]

LOADS = 8
ROWS_PER_LOAD = 50_000


def _frame(load: int) -> pl.DataFrame:
    keys = [f"L{load}-{i}" for i in range(ROWS_PER_LOAD)]
    return pl.DataFrame({"ExternalId__c": keys}).with_columns(
        LastName=pl.lit(f"Load {load} row ") + pl.int_range(ROWS_PER_LOAD).cast(pl.String),
        NumberOfChildren__c=pl.lit(load, dtype=pl.Int64),
    )


def _one_load(served: Served, load: int) -> tuple[int, pl.DataFrame, sfb.BulkResult]:
    df = _frame(load)
    with served.client() as client:
        res = sfb.upsert(df, "Contact", "ExternalId__c", client=client, progress=False)
    return load, df, res


def test_eight_concurrent_loads_lose_duplicate_and_cross_nothing(served: Served) -> None:
    started = time.monotonic()
    with ThreadPoolExecutor(LOADS) as pool:
        outcomes = list(pool.map(lambda k: _one_load(served, k), range(LOADS)))
    elapsed = time.monotonic() - started
    print(f"\n{LOADS} x {ROWS_PER_LOAD:,} rows upserted concurrently in {elapsed:.1f}s")

    job_ids: list[str] = []
    for load, df, res in outcomes:
        assert res.ok, (load, res.summary())
        assert_partition(res, ROWS_PER_LOAD)
        ok = to_pl(res.successful).sort("sf__Row")
        assert ok["ExternalId__c"].equals(df["ExternalId__c"]), f"load {load} got other rows back"
        assert ok["LastName"].str.starts_with(f"Load {load} row ").all()
        job_ids += [j.id for j in res.jobs]
    assert len(job_ids) == len(set(job_ids)), "two loads share a job"

    stored = pl.DataFrame(
        served.emulator.sql(
            'SELECT Id, ExternalId__c, LastName, NumberOfChildren__c FROM "Contact"'
        ),
        schema=["Id", "ExternalId__c", "LastName", "NumberOfChildren__c"], orient="row",
    )
    assert stored.height == LOADS * ROWS_PER_LOAD, "records lost or duplicated in the org"
    assert stored["ExternalId__c"].n_unique() == stored.height
    prefix = stored["ExternalId__c"].str.extract(r"^L(\d+)-", 1).cast(pl.Int64)
    assert (prefix == stored["NumberOfChildren__c"].cast(pl.Int64)).all(), "values crossed loads"
    results = pl.concat([to_pl(res.successful).select("sf__Id", "ExternalId__c")
                         for _, _, res in outcomes])
    joined = results.join(stored, left_on="sf__Id", right_on="Id", how="inner")
    assert joined.height == stored.height
    assert (joined["ExternalId__c"] == joined["ExternalId__c_right"]).all(), "Ids crossed loads"
    assert_no_job_got_data_twice(served.recorder)
