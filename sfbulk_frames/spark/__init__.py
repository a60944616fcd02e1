"""Spark reads and writes Salesforce through the same engine, exactly once.

Two shapes (``pip install "sfbulk-frames[spark]"``, PySpark 4.0+)::

    import sfbulk_frames.spark as sfs

    res = sfs.upsert(sdf, "Contact", "ExternalId__c", max_concurrent_jobs=4)
    res.df          # materialized: input rows + sf__Id, sf__Created, sf__Error, status
    res.summary     # counts and every Bulk job id (failed attempts' jobs included)

    sfs.register(spark)
    sdf.write.format("sfbulk").option("object", "Contact").option("operation", "upsert") \\
        .option("externalIdField", "ExternalId__c").mode("append").save()
    spark.read.format("sfbulk").option("query", "SELECT Id, Email FROM Contact").load()

Importing this module without PySpark raises :class:`SparkNotInstalledError` (an ImportError),
naming the extra to install. See docs/spark.md for the cap on concurrent jobs, the coalescing of
small partitions and how task retries are made safe for inserts.
"""

from __future__ import annotations

from sfbulk_frames import SfBulkError


class SparkNotInstalledError(SfBulkError, ImportError):
    """PySpark 4.0+ is missing: ``pip install "sfbulk-frames[spark]"``."""


try:
    import pyspark
except ImportError as _exc:  # pragma: no cover - exercised without pyspark only
    raise SparkNotInstalledError(
        'sfbulk_frames.spark needs PySpark 4.0 or later: pip install "sfbulk-frames[spark]"'
    ) from _exc
if int(pyspark.__version__.split(".")[0]) < 4:  # pragma: no cover
    raise SparkNotInstalledError(
        f"sfbulk_frames.spark needs PySpark 4.0 or later (the Python Data Source API), found "
        f'{pyspark.__version__}: pip install "sfbulk-frames[spark]"'
    )

from ._credentials import SparkCredentials  # noqa: E402
from ._datasource import register  # noqa: E402
from ._functions import delete, insert, update, upsert  # noqa: E402
from ._ledger import AttemptSupersededError  # noqa: E402
from ._summary import SparkLoadResult, SparkLoadSummary, read_write_summary  # noqa: E402

__all__ = [
    "AttemptSupersededError",
    "SparkCredentials",
    "SparkLoadResult",
    "SparkLoadSummary",
    "SparkNotInstalledError",
    "delete",
    "insert",
    "read_write_summary",
    "register",
    "update",
    "upsert",
]
