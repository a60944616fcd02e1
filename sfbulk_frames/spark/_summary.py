"""The typed outcome of a Spark load: counts per status and every job of every attempt."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ._ledger import JobRecord

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

__all__ = ["SparkLoadResult", "SparkLoadSummary", "read_write_summary"]


@dataclass(frozen=True)
class SparkLoadSummary:
    """Counts per status and the Bulk jobs of a Spark load.

    ``job_ids`` lists every job any task attempt created, in partition order, including the jobs
    of attempts that failed (their rows were resumed by the next attempt, never sent twice);
    ``retried_partitions`` names the partitions that took more than one attempt.
    """

    object: str
    operation: str
    run_id: str
    rows: int
    successful: int
    failed: int
    unprocessed: int
    partitions: int
    job_ids: tuple[str, ...]
    jobs_by_partition: Mapping[int, tuple[str, ...]]
    retried_partitions: tuple[int, ...]
    state: str = "committed"  # "committed" or, for a data source write, "aborted"

    @property
    def ok(self) -> bool:
        return self.failed == 0 and self.unprocessed == 0 and self.state == "committed"

    @classmethod
    def build(
        cls,
        *,
        object: str,
        operation: str,
        run_id: str,
        counts: Mapping[str, int],
        partitions: int,
        records: Sequence[JobRecord],
        attempts: Mapping[int, Sequence[int]],
        state: str = "committed",
    ) -> SparkLoadSummary:
        by_partition: dict[int, list[str]] = {}
        for record in records:
            ids = by_partition.setdefault(record.partition, [])
            if record.job_id not in ids:
                ids.append(record.job_id)
        successful = int(counts.get("success", 0))
        failed = int(counts.get("failed", 0))
        unprocessed = int(counts.get("unprocessed", 0))
        return cls(
            object=object,
            operation=operation,
            run_id=run_id,
            rows=successful + failed + unprocessed,
            successful=successful,
            failed=failed,
            unprocessed=unprocessed,
            partitions=partitions,
            job_ids=tuple(job for p in sorted(by_partition) for job in by_partition[p]),
            jobs_by_partition={p: tuple(ids) for p, ids in sorted(by_partition.items())},
            retried_partitions=tuple(sorted(p for p, a in attempts.items() if len(set(a)) > 1)),
            state=state,
        )

    def to_json(self) -> str:
        data = asdict(self)
        data["jobs_by_partition"] = {str(k): list(v) for k, v in self.jobs_by_partition.items()}
        return json.dumps(data, indent=2)

    @classmethod
    def from_json(cls, text: str) -> SparkLoadSummary:
        data: dict[str, Any] = json.loads(text)
        data["job_ids"] = tuple(data["job_ids"])
        data["retried_partitions"] = tuple(data["retried_partitions"])
        data["jobs_by_partition"] = {int(k): tuple(v) for k, v in data["jobs_by_partition"].items()}
        return cls(**data)


@dataclass(frozen=True)
class SparkLoadResult:
    """What :func:`sfbulk_frames.spark.insert` (etc.) return.

    ``df`` is materialized (computed once, before the call returned): the input rows with
    ``sf__Id``, ``sf__Created``, ``sf__Error``, ``status`` and the position columns
    ``sf__Partition``/``sf__Row``; actions on it never send anything.
    """

    df: DataFrame
    summary: SparkLoadSummary

    @property
    def successful(self) -> DataFrame:
        return self.df.where("status = 'success'")

    @property
    def failed(self) -> DataFrame:
        return self.df.where("status = 'failed'")

    @property
    def unprocessed(self) -> DataFrame:
        return self.df.where("status = 'unprocessed'")


def read_write_summary(work_dir: str | os.PathLike[str], run_id: str) -> SparkLoadSummary:
    """The summary a ``df.write.format("sfbulk")`` run committed (or aborted) with.

    Raises FileNotFoundError when that run wrote none (it has not finished yet).
    """
    return SparkLoadSummary.from_json(
        (Path(work_dir) / run_id / "summary.json").read_text(encoding="utf-8")
    )
