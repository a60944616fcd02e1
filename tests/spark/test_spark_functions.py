"""The eager function API on local Spark against the emulator server: every row exactly once."""

from __future__ import annotations

import pytest
from pyspark.sql import SparkSession
from pyspark.sql import functions as F

import sfbulk_frames.spark as sfs
from sfbulk_frames import FrameError
from sfbulk_frames.emulator import Emulator

pytestmark = [pytest.mark.spark, pytest.mark.server]


def _contacts(spark: SparkSession, prefix: str, rows: int, partitions: int):
    return spark.range(rows, numPartitions=partitions).select(
        F.concat(F.lit(prefix), F.col("id").cast("string")).alias("ExternalId__c"),
        F.concat(F.lit("Last "), F.col("id").cast("string")).alias("LastName"),
        F.when(F.col("id") % 3 == 0, F.lit(None)).otherwise(F.lit("Mr")).alias("Title"),
    )


def _org_count(emu: Emulator, prefix: str) -> tuple[int, int]:
    """(records, distinct external ids) in the emulated org whose external id has ``prefix``."""
    [(records, distinct)] = emu.sql(
        'SELECT COUNT(*), COUNT(DISTINCT ExternalId__c) FROM "Contact" WHERE ExternalId__c LIKE ?',
        (prefix + "%",),
    )
    return records, distinct


def test_upsert_100k_rows_every_row_exactly_once_in_few_jobs(
    spark, emulator, credentials, work_dir
):
    sdf = _contacts(spark, "up-", 100_000, partitions=8)

    res = sfs.upsert(
        sdf,
        "Contact",
        "ExternalId__c",
        credentials=credentials,
        work_dir=work_dir,
        max_concurrent_jobs=2,
    )

    assert res.summary.rows == res.summary.successful == 100_000
    assert res.df.count() == 100_000
    assert res.df.select("ExternalId__c").distinct().count() == 100_000
    assert _org_count(emulator, "up-") == (100_000, 100_000)
    # eight input partitions coalesced to the cap: two tasks, one job each
    assert res.summary.partitions == 2
    assert len(res.summary.job_ids) == 2
    assert all(emulator.jobs_seen()[job] == 1 for job in res.summary.job_ids)
    joined = sdf.join(res.df, "ExternalId__c").where("status = 'success'").count()
    assert joined == 100_000


def test_show_then_count_on_the_result_sends_nothing_again(spark, emulator, credentials, work_dir):
    sdf = _contacts(spark, "lazy-", 3_000, partitions=3)
    res = sfs.insert(sdf, "Contact", credentials=credentials, work_dir=work_dir)
    uploads = dict(emulator.jobs_seen())

    res.df.show(3)
    assert res.df.count() == 3_000
    assert res.successful.count() == 3_000

    assert emulator.jobs_seen() == uploads
    assert _org_count(emulator, "lazy-") == (3_000, 3_000)
    # 3,000 rows are below min_rows_per_job: one partition, one job
    assert len(res.summary.job_ids) == 1


def test_insert_retried_after_its_partition_loaded_leaves_no_duplicate_and_reports_every_job(
    spark, emulator, credentials, work_dir
):
    # the first results download fails: the job has run, then the task fails and is retried
    emulator.faults.http("/jobs/ingest/*/successfulResults", status=400, times=1)
    sdf = _contacts(spark, "retry-", 30_000, partitions=2)

    res = sfs.insert(
        sdf, "Contact", credentials=credentials, work_dir=work_dir, max_concurrent_jobs=2
    )

    assert _org_count(emulator, "retry-") == (30_000, 30_000)
    assert res.summary.successful == res.summary.rows == 30_000
    assert res.df.select("ExternalId__c").distinct().count() == 30_000
    assert len(res.summary.retried_partitions) == 1
    # the failed attempt's job is reported, and resumed rather than sent again
    assert len(res.summary.job_ids) == 2
    assert all(emulator.jobs_seen()[job] == 1 for job in res.summary.job_ids)
    ids = res.df.select("sf__Id").distinct().count()
    assert ids == 30_000


def test_dotted_relationship_columns_are_sent_and_come_back_by_name(
    spark, emulator, credentials, work_dir
):
    accounts = spark.createDataFrame(
        [("acc-1", "Acme"), ("acc-2", "Globex")], "ExternalId__c string, Name string"
    )
    assert sfs.upsert(
        accounts, "Account", "ExternalId__c", credentials=credentials, work_dir=work_dir
    ).summary.ok
    contacts = spark.createDataFrame(
        [("dot-1", "Lee", "acc-1"), ("dot-2", "Kim", "acc-2"), ("dot-3", "Roe", "acc-9")],
        "ExternalId__c string, LastName string, `Account.ExternalId__c` string",
    )

    res = sfs.upsert(
        contacts, "Contact", "ExternalId__c", credentials=credentials, work_dir=work_dir
    )

    rows = {r["ExternalId__c"]: r for r in res.df.collect()}
    assert [rows[k]["status"] for k in ("dot-1", "dot-2", "dot-3")] == [
        "success",
        "success",
        "failed",
    ]
    assert rows["dot-3"]["Account.ExternalId__c"] == "acc-9"
    assert "acc-9" in rows["dot-3"]["sf__Error"] or "Account" in rows["dot-3"]["sf__Error"]
    linked = emulator.sql(
        'SELECT COUNT(*) FROM "Contact" c JOIN "Account" a ON c.AccountId = a.Id '
        "WHERE c.ExternalId__c IN ('dot-1', 'dot-2')"
    )
    assert linked == [(2,)]


def test_an_unsendable_column_is_refused_before_any_job(spark, emulator, credentials, work_dir):
    before = len(emulator.jobs_seen())
    sdf = spark.range(5).select(
        F.col("id").cast("string").alias("ExternalId__c"),
        F.struct(F.col("id")).alias("Nested"),
    )
    with pytest.raises(FrameError, match="Nested"):
        sfs.upsert(sdf, "Contact", "ExternalId__c", credentials=credentials, work_dir=work_dir)
    assert len(emulator.jobs_seen()) == before
