"""Driver-side helpers shared by the function API and the data source."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from sfbulk_frames import ConfigurationError

if TYPE_CHECKING:
    import pyarrow as pa
    from pyspark.sql import SparkSession
    from pyspark.sql.types import StructType

__all__ = ["arrow_schema", "is_local", "resolve_work_dir", "status_fields"]

WORK_DIR_CONF = "spark.sfbulk.workDir"


def is_local(spark: SparkSession) -> bool:
    return str(spark.conf.get("spark.master", "") or "").startswith("local")


def resolve_work_dir(spark: SparkSession, work_dir: str | os.PathLike[str] | None) -> Path:
    """Where job ledgers and summaries go: ``work_dir``, else the ``spark.sfbulk.workDir``
    setting, else (local master only) a new temporary directory.

    It must be a filesystem path every executor and the driver see (NFS, a ``/dbfs`` mount):
    a retried task finds there the jobs of the attempt before it.
    """
    chosen = work_dir if work_dir is not None else spark.conf.get(WORK_DIR_CONF, None)
    if chosen:
        path = Path(chosen)
        path.mkdir(parents=True, exist_ok=True)
        return path
    if is_local(spark):
        return Path(tempfile.mkdtemp(prefix="sfbulk-spark-"))
    raise ConfigurationError(
        "work_dir= (or the spark.sfbulk.workDir setting) is required on a cluster: a directory "
        "that the driver and every executor see, where each task records its Bulk job ids so "
        "that a retried task resumes them instead of sending rows twice"
    )


def arrow_schema(schema: StructType) -> pa.Schema:
    """The Arrow schema Spark hands ``mapInArrow`` for ``schema``; FrameError when none."""
    from pyspark.sql.pandas.types import to_arrow_schema

    from sfbulk_frames import FrameError

    try:
        return to_arrow_schema(schema, timezone="UTC")
    except Exception as exc:  # pyspark raises its own error classes for unsupported types
        raise FrameError(
            f"the DataFrame's schema cannot be sent to Salesforce ({exc}); cast or drop the "
            "column it names (structs, maps and binary have no Salesforce field type)"
        ) from exc


def status_fields() -> StructType:
    from pyspark.sql.types import BooleanType, StringType, StructField, StructType

    return StructType(
        [
            StructField("sf__Id", StringType()),
            StructField("sf__Created", BooleanType()),
            StructField("sf__Error", StringType()),
            StructField("status", StringType()),
        ]
    )
