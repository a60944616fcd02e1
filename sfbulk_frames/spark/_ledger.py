"""Durable per-partition records of every Bulk job a Spark task creates, and attempt fencing.

Layout under a run directory (on a filesystem the driver and every executor see)::

    part-00003/owner        the task attempt that owns partition 3 now (atomic replace)
    part-00003/jobs.jsonl   one line per job created: {"job", "slice", "attempt"} (fsynced)
    part-00003/attempts     one line per task attempt that took the partition over

A job is recorded right after Salesforce creates it, before any row is uploaded, so an attempt
that dies at any point leaves every job it created in the ledger. A new attempt of the same
partition takes ownership first and reads the ledger second; an older attempt that is still
running (Spark gave up on it, or a speculative copy) checks ownership after recording each new
job and aborts that job when it has lost, so no two attempts send the same rows.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from sfbulk_frames import SfBulkError

__all__ = [
    "AttemptSupersededError",
    "JobRecord",
    "PartitionLedger",
    "job_slot",
    "read_attempts",
    "read_run",
]


class AttemptSupersededError(SfBulkError):
    """A newer attempt of the same Spark task took over this partition; this attempt stopped
    before sending more rows (the newer one resumes every job recorded so far)."""


@dataclass(frozen=True)
class JobRecord:
    """One Bulk job created by a task attempt for a slice of its partition."""

    partition: int
    slice: int
    attempt: int
    job_id: str


def _write_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with tmp.open("w", encoding="utf-8") as fh:
        fh.write(text)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


class PartitionLedger:
    """The ledger of one partition of one run, used by one task attempt."""

    def __init__(self, run_dir: str | os.PathLike[str], partition: int, attempt: int) -> None:
        self.partition = partition
        self.attempt = attempt
        self.dir = Path(run_dir) / f"part-{partition:05d}"
        self.dir.mkdir(parents=True, exist_ok=True)
        self._owner = self.dir / "owner"
        self._jobs = self.dir / "jobs.jsonl"
        self._attempts = self.dir / "attempts"
        # Unique even when attempt numbers repeat (a new Spark session re-running a runId).
        self.token = f"{attempt}-{uuid.uuid4().hex}"

    def owner(self) -> str | None:
        """The token of the attempt that took the partition over last (``attempt-uuid``)."""
        try:
            return self._owner.read_text(encoding="utf-8").strip()
        except FileNotFoundError:
            return None

    def take_over(self) -> list[JobRecord]:
        """Own the partition, then return every job earlier attempts recorded.

        The last attempt to take over wins: Spark starts a task's attempts one after another
        and each takes over once, when it starts, so an older attempt never takes it back.
        """
        _write_atomic(self._owner, self.token)
        _append(self._attempts, f"{self.attempt}\n")
        return self.records()

    def still_owner(self) -> bool:
        return self.owner() == self.token

    def record(self, job_id: str, slice_index: int) -> None:
        """Append one job durably (a single small O_APPEND write, then fsync)."""
        line = json.dumps({"job": job_id, "slice": slice_index, "attempt": self.attempt}) + "\n"
        _append(self._jobs, line)

    def records(self) -> list[JobRecord]:
        return _read_jobs(self._jobs, self.partition)


def _append(path: Path, line: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(fd, line.encode("utf-8"))
        os.fsync(fd)
    finally:
        os.close(fd)


def _read_jobs(path: Path, partition: int) -> list[JobRecord]:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        return []
    records = []
    for line in lines:
        if not line.strip():
            continue
        item = json.loads(line)
        records.append(JobRecord(partition, int(item["slice"]), int(item["attempt"]), item["job"]))
    return records


def read_run(run_dir: str | os.PathLike[str]) -> list[JobRecord]:
    """Every job every attempt of every partition of a run recorded, by partition."""
    records: list[JobRecord] = []
    root = Path(run_dir)
    if not root.is_dir():
        return records
    for part in sorted(root.glob("part-*")):
        records.extend(_read_jobs(part / "jobs.jsonl", int(part.name.split("-")[1])))
    return records


def read_attempts(run_dir: str | os.PathLike[str]) -> dict[int, list[int]]:
    """The task attempts that took over each partition of a run, in order."""
    attempts: dict[int, list[int]] = {}
    for part in sorted(Path(run_dir).glob("part-*")):
        try:
            lines = (part / "attempts").read_text(encoding="utf-8").split()
        except FileNotFoundError:
            continue
        attempts[int(part.name.split("-")[1])] = [int(line) for line in lines]
    return attempts


@contextlib.contextmanager
def job_slot(slots_dir: str | os.PathLike[str], slots: int, *, wait: float = 0.2) -> Iterator[int]:
    """Hold one of ``slots`` cluster-wide slots (``flock`` on files in a shared directory).

    The lock belongs to the process: it is released when the block ends or the process dies,
    so a lost executor never leaks a slot. Waits (polling every ``wait`` seconds) while all
    slots are taken.
    """
    root = Path(slots_dir)
    root.mkdir(parents=True, exist_ok=True)
    while True:
        for index in range(slots):
            fd = os.open(root / f"slot-{index}", os.O_RDWR | os.O_CREAT, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(fd)
                continue
            try:
                yield index
            finally:
                fcntl.flock(fd, fcntl.LOCK_UN)
                os.close(fd)
            return
        time.sleep(wait)  # every slot is busy: another task's jobs are running
