"""The ``sfbulk`` Spark data source (PySpark 4 Python Data Source API), registered per session
by :func:`register` with the credentials and work directory the tasks use."""

from __future__ import annotations

import os
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Literal, cast

import pyarrow.parquet as pq
from pyspark.sql.datasource import DataSource, DataSourceReader, DataSourceWriter

from sfbulk_frames import ConfigurationError

from ._credentials import SparkCredentials
from ._driver import arrow_schema, resolve_work_dir
from ._options import Options
from ._partition import LoadPlan, preflight
from ._read import SfBulkReader, Snapshot, spark_arrow_schema, take_snapshot
from ._write import SfBulkWriter

if TYPE_CHECKING:
    from pyspark.sql import SparkSession
    from pyspark.sql.types import StructType

__all__ = ["register"]


class SfBulkDataSource(DataSource):
    """``format("sfbulk")``: Salesforce through the Bulk API 2.0 (see docs/spark.md)."""

    credentials: ClassVar[SparkCredentials | None] = None
    default_work_dir: ClassVar[str | None] = None
    _snapshot: Snapshot | None = None

    @classmethod
    def name(cls) -> str:
        return "sfbulk"

    def _credentials(self) -> SparkCredentials:
        if self.credentials is None:
            raise ConfigurationError("call sfbulk_frames.spark.register(spark) first")
        return self.credentials

    def _work_dir(self, options: Options) -> str:
        chosen = options.get("workDir") or self.default_work_dir
        if not chosen:
            raise ConfigurationError('option("workDir", ...) is required: a shared directory')
        Path(chosen).mkdir(parents=True, exist_ok=True)
        return chosen

    # -- read ------------------------------------------------------------------------------
    def _take_snapshot(self) -> Snapshot:
        if self._snapshot is None:
            options = Options.parse(self.options, "read")
            self._snapshot = take_snapshot(
                self._credentials(),
                options.require("query"),
                self._work_dir(options),
                include_deleted=options.boolean("includeDeleted"),
                page_size=options.integer("pageSize", None),
            )
        return self._snapshot

    def schema(self) -> StructType:
        from pyspark.sql.pandas.types import from_arrow_schema

        snapshot = self._take_snapshot()  # kept on this instance: every action reads it
        return from_arrow_schema(spark_arrow_schema(pq.read_schema(snapshot.path)))

    def reader(self, schema: StructType) -> DataSourceReader:
        snapshot = self._take_snapshot()
        return SfBulkReader(snapshot, spark_arrow_schema(arrow_schema(schema)))

    # -- write -----------------------------------------------------------------------------
    def writer(self, schema: StructType, overwrite: bool) -> DataSourceWriter:
        if overwrite:
            raise ConfigurationError(
                'Salesforce has no overwrite: use .mode("append") with operation insert, '
                "update, upsert or delete"
            )
        options = Options.parse(self.options, "write")
        operation = options.operation()
        work_dir = self._work_dir(options)
        run_id = options.get("runId") or uuid.uuid4().hex
        slots = options.integer("maxConcurrentJobs", 4) or 1
        nulls = (options.get("nulls") or "skip").lower()
        if nulls not in ("skip", "set_null"):
            raise ConfigurationError(f"option nulls={nulls!r}: use skip or set_null")
        plan = LoadPlan(
            object=options.require("object"),
            operation=operation,
            credentials=self._credentials(),
            run_dir=os.path.join(work_dir, run_id),
            columns=tuple(schema.names),
            external_id_field=(
                options.require("externalIdField") if operation == "upsert" else None
            ),
            nulls=cast(Literal["skip", "set_null"], nulls),
            column_delimiter=(options.get("columnDelimiter") or "COMMA").upper(),
            line_ending=(options.get("lineEnding") or "LF").upper(),
            max_bytes=options.integer("maxBytes", None),
            max_records=options.integer("maxRecords", None),
            assignment_rule_id=options.get("assignmentRuleId"),
            timeout=options.number("timeout"),
            slice_rows=options.integer("sliceRows", 250_000) or 250_000,
            slots=slots,
            slots_dir=os.path.join(work_dir, "slots"),
        )
        preflight(plan, arrow_schema(schema))
        return SfBulkWriter(plan, run_id, options.get("errorsPath"))


def register(
    spark: SparkSession,
    *,
    credentials: SparkCredentials | None = None,
    work_dir: str | os.PathLike[str] | None = None,
) -> None:
    """Register ``format("sfbulk")`` on ``spark`` with these credentials (default:
    ``SparkCredentials.from_env()``) and work directory (default: ``spark.sfbulk.workDir``, or a
    temporary directory on a local master). Option ``workDir`` overrides it per read/write.
    """
    attributes: dict[str, Any] = {
        "credentials": credentials or SparkCredentials.from_env(),
        "default_work_dir": str(resolve_work_dir(spark, work_dir)),
    }
    # A class per registration, not importable by name, so Spark pickles it by value and its
    # attributes (URL + token, never a client) travel to the tasks.
    source = type("RegisteredSfBulkDataSource", (SfBulkDataSource,), attributes)
    spark.dataSource.register(source)
