"""``df.write.format("sfbulk")``: each task loads its partition through the job ledger; the
commit (or abort) collects counts, error files and every job of every attempt."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from pyspark.sql.datasource import DataSourceArrowWriter, WriterCommitMessage

from ._ledger import read_attempts, read_run
from ._partition import LoadPlan, TaskIdentity, load_partition
from ._summary import SparkLoadSummary

__all__ = ["SfBulkCommitMessage", "SfBulkWriter"]

logger = logging.getLogger("sfbulk_frames.spark")


@dataclass
class SfBulkCommitMessage(WriterCommitMessage):
    partition: int
    attempt: int
    counts: dict[str, int] = field(default_factory=dict)
    errors_file: str | None = None


class SfBulkWriter(DataSourceArrowWriter):
    """Writes partitions with :func:`load_partition`; ``plan.slots`` caps jobs cluster-wide."""

    def __init__(self, plan: LoadPlan, run_id: str, errors_path: str | None) -> None:
        self.plan = plan
        self.run_id = run_id
        self.errors_path = errors_path

    def write(self, iterator: Iterator[pa.RecordBatch]) -> SfBulkCommitMessage:
        task = TaskIdentity.current()
        counts = {"success": 0, "failed": 0, "unprocessed": 0}
        errors_file = (
            Path(self.plan.run_dir)
            / "errors"
            / (f"part-{task.partition:05d}-{task.attempt}.parquet")
        )
        writer: pq.ParquetWriter | None = None
        try:
            for table in load_partition(iterator, self.plan, task):
                status = table.column("status")
                for name in counts:
                    counts[name] += pc.sum(pc.equal(status, name)).as_py() or 0
                bad = table.filter(pc.not_equal(status, "success"))
                if self.errors_path is None or bad.num_rows == 0:
                    continue
                if writer is None:
                    errors_file.parent.mkdir(parents=True, exist_ok=True)
                    writer = pq.ParquetWriter(errors_file, bad.schema)
                writer.write_table(bad)
        finally:
            if writer is not None:
                writer.close()
        return SfBulkCommitMessage(
            task.partition, task.attempt, counts, str(errors_file) if writer else None
        )

    def _summary(
        self, messages: Sequence[WriterCommitMessage | None], state: str
    ) -> SparkLoadSummary:
        counts = {"success": 0, "failed": 0, "unprocessed": 0}
        for message in messages:
            if isinstance(message, SfBulkCommitMessage):
                for name, n in message.counts.items():
                    counts[name] += n
        summary = SparkLoadSummary.build(
            object=self.plan.object,
            operation=self.plan.operation,
            run_id=self.run_id,
            counts=counts,
            partitions=len(messages),
            records=read_run(self.plan.run_dir),
            attempts=read_attempts(self.plan.run_dir),
            state=state,
        )
        text = summary.to_json()
        (Path(self.plan.run_dir) / "summary.json").write_text(text, encoding="utf-8")
        if self.errors_path is not None:
            Path(self.errors_path).mkdir(parents=True, exist_ok=True)
            (Path(self.errors_path) / "_sfbulk_summary.json").write_text(text, encoding="utf-8")
        return summary

    def commit(self, messages: list[WriterCommitMessage | None]) -> None:
        if self.errors_path is not None:
            target = Path(self.errors_path)
            target.mkdir(parents=True, exist_ok=True)
            for message in messages:
                if isinstance(message, SfBulkCommitMessage) and message.errors_file:
                    name = f"part-{message.partition:05d}.parquet"
                    os.replace(message.errors_file, target / name)
        summary = self._summary(messages, "committed")
        logger.warning(
            "sfbulk write %s %s: %d rows, %d successful, %d failed, %d unprocessed; jobs %s; "
            "summary in %s",
            summary.operation,
            summary.object,
            summary.rows,
            summary.successful,
            summary.failed,
            summary.unprocessed,
            list(summary.job_ids),
            self.plan.run_dir,
        )

    def abort(self, messages: list[WriterCommitMessage | None]) -> None:
        summary = self._summary(messages, "aborted")
        logger.error(
            "sfbulk write %s %s aborted; jobs created (every attempt): %s — "
            "sfbulk_frames.resume(rows, job_ids) collects their results; summary in %s",
            summary.operation,
            summary.object,
            list(summary.job_ids),
            self.plan.run_dir,
        )
