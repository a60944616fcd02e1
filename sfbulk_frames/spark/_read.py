"""``spark.read.format("sfbulk").option("query", ...)``: one query job per ``load()``.

The query runs once, when the DataFrame is defined (Spark asks for its schema then): pages are
typed from describe by :func:`sfbulk_frames.query` and streamed to a parquet snapshot in the
work directory, and the job is deleted. Each Spark partition is one result page (a row group),
so every action reads the same snapshot and none starts another query job.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from pyspark.sql.datasource import DataSourceReader, InputPartition

import sfbulk_frames as sfb
from sfbulk_frames import JobError

from ._credentials import SparkCredentials
from ._worker import worker_client

__all__ = ["SfBulkReader", "Snapshot", "spark_arrow_schema", "take_snapshot"]


@dataclass(frozen=True)
class Snapshot:
    path: str
    rows: int


def spark_arrow_schema(schema: pa.Schema) -> pa.Schema:
    """Types Spark accepts from a Python data source: ``large_string``/``string_view`` become
    ``string``, times become ``HH:MM:SS.fff`` text, timestamps stay UTC."""
    fields = []
    for f in schema:
        t = f.type
        if pa.types.is_large_string(t) or pa.types.is_string_view(t) or pa.types.is_time(t):
            t = pa.string()
        fields.append(pa.field(f.name, t))
    return pa.schema(fields)


def take_snapshot(
    credentials: SparkCredentials,
    soql: str,
    work_dir: str,
    *,
    include_deleted: bool,
    page_size: int | None,
) -> Snapshot:
    """Run ``soql`` once into ``work_dir/reads/<id>/result.parquet``; the job is deleted.

    A column that parses as its type on one page and falls back to text on another cannot keep
    one parquet type: then the query runs again in memory with such columns as text everywhere.
    """
    client = worker_client(credentials)
    path = Path(work_dir) / "reads" / uuid.uuid4().hex / "result.parquet"
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        sfb.query(
            soql,
            client=client,
            out=path,
            include_deleted=include_deleted,
            max_records_per_page=page_size,
            progress=False,
        )
    except JobError as exc:
        if type(exc) is not JobError:  # failed or timed-out query: nothing to retry here
            raise
        for job_id in exc.job_ids:  # the mixed-types stop left its job behind
            client.query_job(job_id).delete()
        frame = sfb.query(
            soql,
            client=client,
            include_deleted=include_deleted,
            max_records_per_page=page_size,
            progress=False,
        )
        frame.write_parquet(path, row_group_size=page_size or 10_000)
    return Snapshot(str(path), pq.ParquetFile(path).metadata.num_rows)


class SfBulkReader(DataSourceReader):
    def __init__(self, snapshot: Snapshot, schema: pa.Schema) -> None:
        self.snapshot = snapshot
        self.schema = schema

    def partitions(self) -> list[InputPartition]:
        groups = pq.ParquetFile(self.snapshot.path).num_row_groups
        return [InputPartition(i) for i in range(groups)]

    def read(self, partition: InputPartition) -> Iterator[pa.RecordBatch]:
        table = pq.ParquetFile(self.snapshot.path).read_row_group(partition.value)
        yield from table.select(self.schema.names).cast(self.schema).to_batches()
