"""The ``sfbulk`` data source on local Spark against the emulator server."""

from __future__ import annotations

import polars as pl
import pytest
from pyspark.sql import SparkSession
from pyspark.sql import functions as F

import sfbulk_frames.spark as sfs

pytestmark = [pytest.mark.spark, pytest.mark.server]


@pytest.fixture(scope="module")
def registered(spark, credentials, tmp_path_factory) -> str:
    work_dir = str(tmp_path_factory.mktemp("sfbulk-work"))
    sfs.register(spark, credentials=credentials, work_dir=work_dir)
    return work_dir


def _widgets(spark: SparkSession, prefix: str, rows: int, partitions: int):
    return spark.range(rows, numPartitions=partitions).select(
        F.concat(F.lit(prefix), F.col("id").cast("string")).alias("Sku__c"),
        F.concat(F.lit("Widget "), F.col("id").cast("string")).alias("Name"),
        (F.col("id") / 4).cast("double").alias("Weight__c"),
        (F.col("id") % 1000).cast("int").alias("Quantity__c"),
        (F.col("id") % 2 == 0).alias("InStock__c"),
        F.expr("date_add(DATE'2024-01-01', cast(id % 365 as int))").alias("LaunchDate__c"),
    )


def test_write_then_read_100k_rows_each_exactly_once(spark, emulator, registered, tmp_path):
    sdf = _widgets(spark, "w-", 100_000, partitions=4)

    (
        sdf.write.format("sfbulk")
        .option("OBJECT", "Widget__c")  # option names in any case
        .option("Operation", "upsert")
        .option("externalIdField", "Sku__c")
        .option("runId", "widgets-100k")
        .option("maxConcurrentJobs", "2")
        .option("errorsPath", str(tmp_path / "errors"))
        .mode("append")
        .save()
    )

    summary = sfs.read_write_summary(registered, "widgets-100k")
    assert (summary.rows, summary.successful, summary.state) == (100_000, 100_000, "committed")
    assert len(summary.job_ids) == 4  # one job per partition
    assert all(emulator.jobs_seen()[job] == 1 for job in summary.job_ids)
    assert (tmp_path / "errors" / "_sfbulk_summary.json").exists()
    [(records, distinct)] = emulator.sql(
        'SELECT COUNT(*), COUNT(DISTINCT Sku__c) FROM "Widget__c" WHERE Sku__c LIKE ?', ("w-%",)
    )
    assert (records, distinct) == (100_000, 100_000)

    query_jobs_before = emulator.usage_query_jobs
    back = (
        spark.read.format("sfbulk")
        .option(
            "Query",
            "SELECT Sku__c, Name, Weight__c, Quantity__c, InStock__c, "
            "LaunchDate__c FROM Widget__c WHERE Sku__c LIKE 'w-%'",
        )
        .option("pageSize", "25000")
        .load()
    )
    assert dict(back.dtypes) == {
        "Sku__c": "string",
        "Name": "string",
        "Weight__c": "double",
        "Quantity__c": "bigint",
        "InStock__c": "boolean",
        "LaunchDate__c": "date",
    }
    assert back.rdd.getNumPartitions() == 4  # one partition per result page
    got = pl.from_arrow(back.toArrow())
    assert got.height == 100_000
    assert got.get_column("Sku__c").n_unique() == 100_000
    sent = pl.from_arrow(sdf.toArrow()).with_columns(pl.col("Quantity__c").cast(pl.Int64))
    assert got.sort("Sku__c").equals(sent.sort("Sku__c"))
    assert emulator.usage_query_jobs - query_jobs_before == 1


def test_failed_rows_go_to_errors_path_with_their_positions(spark, registered, tmp_path):
    rows = spark.createDataFrame(
        [("bad-1", "Red"), ("bad-2", "Purple"), ("bad-3", "Blue")], "Sku__c string, Color__c string"
    )
    errors = tmp_path / "errors"

    (
        rows.write.format("sfbulk")
        .option("object", "Widget__c")
        .option("operation", "UPSERT")
        .option("externalidfield", "Sku__c")  # lower-cased by hand: still an upsert
        .option("errorsPath", str(errors))
        .option("runId", "bad-rows")
        .mode("append")
        .save()
    )

    summary = sfs.read_write_summary(registered, "bad-rows")
    assert (summary.operation, summary.successful, summary.failed) == ("upsert", 2, 1)
    failed = pl.read_parquet(next(errors.glob("part-*.parquet")))
    assert failed.get_column("Sku__c").to_list() == ["bad-2"]
    assert failed.get_column("status").to_list() == ["failed"]
    assert "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST" in failed.get_column("sf__Error")[0]
    assert {"sf__Partition", "sf__Row"} <= set(failed.columns)


def test_a_misspelled_option_is_an_error_not_silently_an_insert(spark, emulator, registered):
    before = len(emulator.jobs_seen())
    rows = spark.createDataFrame([("typo-1",)], "Sku__c string")
    with pytest.raises(Exception, match=r"(?i)externalIdFeild"):
        (
            rows.write.format("sfbulk")
            .option("object", "Widget__c")
            .option("operation", "upsert")
            .option("externalIdFeild", "Sku__c")
            .mode("append")
            .save()
        )
    assert len(emulator.jobs_seen()) == before


def test_write_dotted_relationship_columns(spark, emulator, registered):
    spark.createDataFrame(
        [("ds-acc-1", "Initech")], "ExternalId__c string, Name string"
    ).write.format("sfbulk").option("object", "Account").option("operation", "upsert").option(
        "externalIdField", "ExternalId__c"
    ).option("runId", "ds-acc").mode("append").save()
    contacts = spark.createDataFrame(
        [("ds-c-1", "Lumbergh", "ds-acc-1")],
        "ExternalId__c string, LastName string, `Account.ExternalId__c` string",
    )

    contacts.write.format("sfbulk").option("object", "Contact").option(
        "operation", "insert"
    ).option("runId", "ds-dotted").mode("append").save()

    assert sfs.read_write_summary(registered, "ds-dotted").successful == 1
    assert emulator.sql(
        'SELECT a.Name FROM "Contact" c JOIN "Account" a ON c.AccountId = a.Id '
        "WHERE c.ExternalId__c = 'ds-c-1'"
    ) == [("Initech",)]


def test_each_load_runs_one_query_job_and_actions_reuse_its_snapshot(spark, emulator, registered):
    before = emulator.usage_query_jobs
    df = spark.read.format("sfbulk").option("query", "SELECT Id, Name FROM Account").load()
    df.show(1)
    df.count()
    df.collect()
    assert emulator.usage_query_jobs - before == 1
