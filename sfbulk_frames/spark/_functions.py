"""Eager loads of a Spark DataFrame: ``sfbulk_frames.spark.insert/update/upsert/delete``.

Each call runs to the end before it returns. The input is staged once (position columns added,
checkpointed), cut into at most ``max_concurrent_jobs`` partitions of at least
``min_rows_per_job`` rows, loaded by one Spark job whose tasks record every Bulk job they create,
and the result is checkpointed: ``show()``, ``count()`` and every later action read it and never
send a row again.
"""

from __future__ import annotations

import logging
import math
import os
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import TYPE_CHECKING, Any, Literal

from sfbulk_frames import ConfigurationError, JobError, LoadIncompleteError, PollPolicy

from ._credentials import SparkCredentials
from ._driver import arrow_schema, resolve_work_dir, status_fields
from ._ledger import read_attempts, read_run
from ._partition import PARTITION, ROW, STATUS_COLUMNS, LoadPlan, preflight
from ._summary import SparkLoadResult, SparkLoadSummary

if TYPE_CHECKING:
    from collections.abc import Iterator

    import pyarrow as pa
    from pyspark.sql import DataFrame

__all__ = ["delete", "insert", "update", "upsert"]

logger = logging.getLogger("sfbulk_frames.spark")

NullRule = Literal["skip", "set_null"]
Nulls = NullRule | Mapping[str, NullRule]


def _plan_nulls(nulls: Nulls) -> NullRule | tuple[tuple[str, NullRule], ...]:
    return nulls if isinstance(nulls, str) else tuple(sorted(nulls.items()))


@dataclass(frozen=True)
class _LoadArgs:
    """The keyword arguments the four load functions share (``delete`` takes fewer: the others
    keep these defaults)."""

    credentials: SparkCredentials | None = None
    work_dir: str | os.PathLike[str] | None = None
    nulls: Nulls = "skip"
    column_delimiter: str = "COMMA"
    line_ending: str = "LF"
    max_bytes: int | None = None
    max_records: int | None = None
    max_concurrent_jobs: int = 4
    min_rows_per_job: int = 10_000
    slice_rows: int = 250_000
    assignment_rule_id: str | None = None
    timeout: float | None = None
    poll: PollPolicy | None = None

    @classmethod
    def pick(cls, arguments: Mapping[str, Any]) -> _LoadArgs:
        """The arguments among ``arguments`` (a load function's ``locals()``); others ignored."""
        return cls(**{f.name: arguments[f.name] for f in fields(cls) if f.name in arguments})


def _failure(plan: LoadPlan, run_id: str, exc: Exception) -> LoadIncompleteError:
    job_ids = list(dict.fromkeys(record.job_id for record in read_run(plan.run_dir)))
    first_line = next((line for line in str(exc).splitlines() if line.strip()), type(exc).__name__)
    sent = (
        f"jobs {job_ids} were created (they keep running): sfbulk_frames.resume(rows, job_ids) "
        "collects their results"
        if job_ids
        else "no job was created"
    )
    return LoadIncompleteError(
        f"{plan.operation} {plan.object} on Spark failed (run {run_id}): {first_line[:500]}; "
        f"{sent}",
        job_ids=job_ids,
    )


def _run(
    sdf: DataFrame,
    object: str,
    operation: str,
    external_id_field: str | None,
    args: _LoadArgs,
) -> SparkLoadResult:
    from pyspark.sql.types import IntegerType, LongType, StructField, StructType

    from ._partition import add_positions, load_batches

    max_concurrent_jobs, min_rows_per_job = args.max_concurrent_jobs, args.min_rows_per_job
    slice_rows = args.slice_rows
    if max_concurrent_jobs < 1 or min_rows_per_job < 1 or slice_rows < 1:
        raise ConfigurationError(
            "max_concurrent_jobs, min_rows_per_job and slice_rows must be at least 1"
        )
    names = list(sdf.columns)
    reserved = [n for n in names if n in (PARTITION, ROW, *STATUS_COLUMNS)]
    if reserved:
        raise ConfigurationError(
            f"column(s) {reserved} are names the result adds; drop or rename them first"
        )
    spark = sdf.sparkSession
    run_id = uuid.uuid4().hex
    run_dir = resolve_work_dir(spark, args.work_dir) / run_id
    plan = LoadPlan(
        object=object,
        operation=operation,
        credentials=args.credentials or SparkCredentials.from_env(),
        run_dir=str(run_dir),
        columns=tuple(names),
        external_id_field=external_id_field,
        nulls=_plan_nulls(args.nulls),
        column_delimiter=args.column_delimiter,
        line_ending=args.line_ending,
        max_bytes=args.max_bytes,
        max_records=args.max_records,
        assignment_rule_id=args.assignment_rule_id,
        timeout=args.timeout,
        poll=args.poll,
        slice_rows=slice_rows,
    )
    # Positional names: dotted relationship columns break column resolution in mapInArrow.
    renamed = sdf.toDF(*[f"_c{i}" for i in range(len(names))])
    preflight(plan, arrow_schema(renamed.schema))
    staged_schema = StructType(
        [
            *renamed.schema.fields,
            StructField(PARTITION, IntegerType()),
            StructField(ROW, LongType()),
        ]
    )
    staged = renamed.mapInArrow(add_positions, staged_schema).localCheckpoint(eager=True)
    total = staged.count()
    wanted = max(1, min(max_concurrent_jobs, math.ceil(total / min_rows_per_job)))
    current = staged.rdd.getNumPartitions()
    if current > wanted:
        staged = staged.coalesce(wanted)
    elif current < wanted:
        staged = staged.repartition(wanted)
    plan = _with_jobs_per_task(plan, max(1, max_concurrent_jobs // wanted))
    out_schema = StructType([*staged_schema.fields, *status_fields().fields])

    def run(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        return load_batches(batches, plan)  # pickled into the tasks with the plan

    logger.info(
        "%s %s: %d rows in %d partition(s), run %s", operation, object, total, wanted, run_id
    )
    try:
        loaded = staged.mapInArrow(run, out_schema).localCheckpoint(eager=True)
    except Exception as exc:  # a Spark job failure (py4j / pyspark error classes)
        raise _failure(plan, run_id, exc) from exc
    result = loaded.toDF(*names, PARTITION, ROW, *STATUS_COLUMNS)
    counts = {row["status"]: row["count"] for row in result.groupBy("status").count().collect()}
    summary = SparkLoadSummary.build(
        object=object,
        operation=operation,
        run_id=run_id,
        counts=counts,
        partitions=wanted,
        records=read_run(run_dir),
        attempts=read_attempts(run_dir),
    )
    if summary.rows != total:
        raise JobError(
            f"{operation} {object} on Spark: {summary.rows} result rows for {total} input rows "
            f"(run {run_id}); inspect the jobs {list(summary.job_ids)}",
            job_ids=summary.job_ids,
        )
    return SparkLoadResult(df=result, summary=summary)


def _with_jobs_per_task(plan: LoadPlan, jobs: int) -> LoadPlan:
    from dataclasses import replace

    return replace(plan, jobs_per_task=jobs)


def insert(
    sdf: DataFrame,
    object: str,
    *,
    credentials: SparkCredentials | None = None,
    work_dir: str | os.PathLike[str] | None = None,
    nulls: Nulls = "skip",
    column_delimiter: str = "COMMA",
    line_ending: str = "LF",
    max_bytes: int | None = None,
    max_records: int | None = None,
    max_concurrent_jobs: int = 4,
    min_rows_per_job: int = 10_000,
    slice_rows: int = 250_000,
    assignment_rule_id: str | None = None,
    timeout: float | None = None,
    poll: PollPolicy | None = None,
) -> SparkLoadResult:
    """Insert every row of ``sdf`` into ``object``, exactly once even when tasks are retried.

    Returns a :class:`SparkLoadResult` (materialized ``df`` + ``summary``). Raises FrameError or
    ConfigurationError before anything is sent, LoadIncompleteError (with every job id) when the
    Spark job fails. See docs/spark.md.
    """
    return _run(sdf, object, "insert", None, _LoadArgs.pick(locals()))


def update(
    sdf: DataFrame,
    object: str,
    *,
    credentials: SparkCredentials | None = None,
    work_dir: str | os.PathLike[str] | None = None,
    nulls: Nulls = "skip",
    column_delimiter: str = "COMMA",
    line_ending: str = "LF",
    max_bytes: int | None = None,
    max_records: int | None = None,
    max_concurrent_jobs: int = 4,
    min_rows_per_job: int = 10_000,
    slice_rows: int = 250_000,
    assignment_rule_id: str | None = None,
    timeout: float | None = None,
    poll: PollPolicy | None = None,
) -> SparkLoadResult:
    """Update the records named by the ``Id`` column of ``sdf`` (see :func:`insert`)."""
    return _run(sdf, object, "update", None, _LoadArgs.pick(locals()))


def upsert(
    sdf: DataFrame,
    object: str,
    external_id_field: str,
    *,
    credentials: SparkCredentials | None = None,
    work_dir: str | os.PathLike[str] | None = None,
    nulls: Nulls = "skip",
    column_delimiter: str = "COMMA",
    line_ending: str = "LF",
    max_bytes: int | None = None,
    max_records: int | None = None,
    max_concurrent_jobs: int = 4,
    min_rows_per_job: int = 10_000,
    slice_rows: int = 250_000,
    assignment_rule_id: str | None = None,
    timeout: float | None = None,
    poll: PollPolicy | None = None,
) -> SparkLoadResult:
    """Insert or update by ``external_id_field`` (see :func:`insert`)."""
    return _run(sdf, object, "upsert", external_id_field, _LoadArgs.pick(locals()))


def delete(
    sdf: DataFrame,
    object: str,
    *,
    hard: bool = False,
    credentials: SparkCredentials | None = None,
    work_dir: str | os.PathLike[str] | None = None,
    max_bytes: int | None = None,
    max_records: int | None = None,
    max_concurrent_jobs: int = 4,
    min_rows_per_job: int = 10_000,
    slice_rows: int = 250_000,
    timeout: float | None = None,
    poll: PollPolicy | None = None,
) -> SparkLoadResult:
    """Delete the records named by the ``Id`` column (``hard=True``: bypass the Recycle Bin)."""
    return _run(sdf, object, "hardDelete" if hard else "delete", None, _LoadArgs.pick(locals()))
