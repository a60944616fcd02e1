"""Loading one Spark partition: spool, take over the ledger, one load (or resume) per slice.

The partition's Arrow batches are first spooled to a local Arrow file, so the input is read to
its end before anything is sent (an upstream failure stops the task before any job exists) and
the partition need not fit in memory: it is loaded ``slice_rows`` rows at a time, each slice
with the single-machine functions. A slice that an earlier attempt already sent is never sent
again: its recorded jobs are resumed and only the rows no job processed are loaded.
"""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
import polars as pl
import pyarrow as pa

import sfbulk_frames as sfb
from sfbulk_frames import InvalidJobStateError, JobState, PollPolicy

from ._credentials import SparkCredentials
from ._ledger import JobRecord, PartitionLedger, job_slot
from ._worker import LedgerClient, worker_client

__all__ = [
    "PARTITION",
    "ROW",
    "STATUS_COLUMNS",
    "LoadPlan",
    "TaskIdentity",
    "add_positions",
    "load_batches",
    "load_partition",
    "preflight",
]

PARTITION = "sf__Partition"
ROW = "sf__Row"
STATUS_COLUMNS = ("sf__Id", "sf__Created", "sf__Error", "status")
_STATUS_TYPES = (pa.string(), pa.bool_(), pa.string(), pa.string())

NullRule = Literal["skip", "set_null"]


@dataclass(frozen=True)
class LoadPlan:
    """Everything a task needs besides its rows (pickled into the task; holds no client)."""

    object: str
    operation: str  # insert, update, upsert, delete, hardDelete
    credentials: SparkCredentials
    run_dir: str
    columns: tuple[str, ...]  # payload column names as Salesforce must see them
    external_id_field: str | None = None
    nulls: NullRule | tuple[tuple[str, NullRule], ...] = "skip"
    column_delimiter: str = "COMMA"
    line_ending: str = "LF"
    max_bytes: int | None = None
    max_records: int | None = None
    jobs_per_task: int = 1
    assignment_rule_id: str | None = None
    timeout: float | None = None
    poll: PollPolicy | None = None
    slice_rows: int = 250_000
    slots: int | None = None  # cluster-wide job slots (data source); None: capped by partitions
    slots_dir: str | None = None

    def nulls_option(self) -> Any:
        return self.nulls if isinstance(self.nulls, str) else dict(self.nulls)


@dataclass(frozen=True)
class TaskIdentity:
    partition: int
    attempt: int  # Spark's taskAttemptId: unique, later attempts are larger

    @classmethod
    def current(cls) -> TaskIdentity:
        from pyspark import TaskContext

        context = TaskContext.get()
        if context is None:  # pragma: no cover - only called inside Spark tasks
            raise RuntimeError("not inside a Spark task")
        return cls(context.partitionId(), context.taskAttemptId())


def _spool(batches: Iterable[pa.RecordBatch], path: Path, partition: int) -> pa.Table:
    """Write the batches to ``path`` (adding position columns when absent) and map it back."""
    writer: pa.RecordBatchFileWriter | None = None
    row = 0
    try:
        for batch in batches:
            if PARTITION not in batch.schema.names:
                n = batch.num_rows
                batch = batch.append_column(
                    PARTITION, pa.array(np.full(n, partition, dtype=np.int32))
                ).append_column(ROW, pa.array(np.arange(row, row + n, dtype=np.int64)))
                row += n
            if writer is None:
                writer = pa.ipc.new_file(path, batch.schema)
            writer.write_batch(batch)
    finally:
        if writer is not None:
            writer.close()
    if writer is None:
        return pa.table({})
    return pa.ipc.open_file(pa.memory_map(str(path))).read_all()


def _send(
    client: LedgerClient | None, plan: LoadPlan, frame: pl.DataFrame
) -> sfb.BulkResult[pl.DataFrame]:
    options: dict[str, Any] = {
        "client": client,
        "nulls": plan.nulls_option(),
        "column_delimiter": plan.column_delimiter,
        "line_ending": plan.line_ending,
        "max_records": plan.max_records,
        "max_concurrent_jobs": plan.jobs_per_task,
        "assignment_rule_id": plan.assignment_rule_id,
        "timeout": plan.timeout,
        "poll": plan.poll,
        "progress": False,
    }
    if plan.max_bytes is not None:
        options["max_bytes"] = plan.max_bytes
    if plan.operation == "upsert":
        assert plan.external_id_field is not None
        return sfb.upsert(frame, plan.object, plan.external_id_field, **options)
    if plan.operation in ("delete", "hardDelete"):
        return sfb.delete(frame, plan.object, hard=plan.operation == "hardDelete", **options)
    if plan.operation == "update":
        return sfb.update(frame, plan.object, **options)
    return sfb.insert(frame, plan.object, **options)


def _settle(client: LedgerClient, job_ids: list[str]) -> None:
    """Abort recorded jobs still Open (never closed, so nothing of them was processed): an
    older attempt that is still running cannot finish them behind our back."""
    for job_id in job_ids:
        job = client.ingest_job(job_id)
        if job.info().state == JobState.OPEN:
            with contextlib.suppress(InvalidJobStateError):  # closed meanwhile: it is resumed
                job.abort()


def _status(result: sfb.BulkResult[pl.DataFrame]) -> pl.DataFrame:
    return result.annotate().select(STATUS_COLUMNS)


def _load_slice(
    client: LedgerClient, plan: LoadPlan, frame: pl.DataFrame, earlier: list[JobRecord]
) -> pl.DataFrame:
    """The status columns of ``frame``'s rows, sending only rows no earlier job processed."""
    if not earlier:
        return _status(_send(client, plan, frame))
    job_ids = list(dict.fromkeys(record.job_id for record in earlier))
    _settle(client, job_ids)
    status = _status(
        sfb.resume(
            frame,
            job_ids,
            client=client,
            nulls=plan.nulls_option(),
            timeout=plan.timeout,
            poll=plan.poll,
            progress=False,
        )
    )
    todo = np.flatnonzero((status.get_column("status") == "unprocessed").to_numpy())
    if todo.size == 0:
        return status
    sent = _status(_send(client, plan, frame[todo]))
    return status.with_columns(
        status.get_column(name).scatter(todo, sent.get_column(name)) for name in STATUS_COLUMNS
    )


def _payload(piece: pa.Table, plan: LoadPlan) -> pl.DataFrame:
    names = [name for name in piece.schema.names if name not in (PARTITION, ROW)]
    payload = piece.select(names).rename_columns(list(plan.columns))
    frame = pl.from_arrow(payload, rechunk=False)
    assert isinstance(frame, pl.DataFrame)
    return frame


def _with_status(piece: pa.Table, status: pl.DataFrame) -> pa.Table:
    for name, dtype in zip(STATUS_COLUMNS, _STATUS_TYPES, strict=True):
        piece = piece.append_column(
            pa.field(name, dtype), status.get_column(name).to_arrow().cast(dtype)
        )
    return piece


def load_partition(
    batches: Iterable[pa.RecordBatch], plan: LoadPlan, task: TaskIdentity
) -> Iterator[pa.Table]:
    """Load one partition; yield its rows (with positions) plus the status columns, per slice.

    Raises AttemptSupersededError when a newer attempt of the task owns the partition.
    """
    client = worker_client(plan.credentials)
    ledger = PartitionLedger(plan.run_dir, task.partition, task.attempt)
    with tempfile.TemporaryDirectory(prefix="sfbulk-spark-") as tmp:
        table = _spool(batches, Path(tmp) / "partition.arrow", task.partition)
        if table.num_rows == 0:
            return
        earlier = ledger.take_over()  # after the input was read to its end
        slot = (
            job_slot(plan.slots_dir, plan.slots)
            if plan.slots is not None and plan.slots_dir is not None
            else contextlib.nullcontext(0)
        )
        try:
            with slot:
                for index, start in enumerate(range(0, table.num_rows, plan.slice_rows)):
                    piece = table.slice(start, plan.slice_rows)
                    client.bind(ledger, index)
                    status = _load_slice(
                        client,
                        plan,
                        _payload(piece, plan),
                        [r for r in earlier if r.slice == index],
                    )
                    yield _with_status(piece, status)
        finally:
            client.bind(None)
            del table


def add_positions(batches: Iterable[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
    """``mapInArrow`` body: each row gets its partition and position (stable join keys)."""
    partition = TaskIdentity.current().partition
    row = 0
    for batch in batches:
        n = batch.num_rows
        yield batch.append_column(
            PARTITION, pa.array(np.full(n, partition, dtype=np.int32))
        ).append_column(ROW, pa.array(np.arange(row, row + n, dtype=np.int64)))
        row += n


def load_batches(batches: Iterable[pa.RecordBatch], plan: LoadPlan) -> Iterator[pa.RecordBatch]:
    """``mapInArrow`` body of the function API."""
    for table in load_partition(batches, plan, TaskIdentity.current()):
        yield from table.to_batches()


def preflight(plan: LoadPlan, schema: pa.Schema) -> None:
    """Run the single-machine checks (dtypes, names, key columns) on no rows: nothing is sent.

    Raises FrameError / ConfigurationError naming the column.
    """
    empty = pl.from_arrow(schema.empty_table().rename_columns(list(plan.columns)))
    assert isinstance(empty, pl.DataFrame)
    _send(None, plan, empty)
