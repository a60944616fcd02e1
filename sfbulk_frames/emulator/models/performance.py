"""A performance model of a Salesforce org: how long requests, transfers and job processing
take. Off by default; switched on with ``Emulator(performance=...)`` or ``sfbulk emulator
--performance fast|busy``. See docs/performance-model.md.

Everything here is pure arithmetic on times passed in by the caller (no clock, no sleeps), so
tests check it with made-up arrival times:

* :class:`PerformanceModel` — the parameters (every one mirrors a documented Salesforce
  behaviour or limit; the *values* are assumptions) and the two presets :data:`PRESETS`.
* :class:`OrgSchedule` — when each internal batch of 10,000 records of each job starts and
  finishes, given the jobs' sizes and the times they were closed: batches run at most
  ``parallel_batches_per_job`` at a time per job and ``parallel_batches_org`` at a time in the
  org, first come first served (a busy org queues them).
* :class:`Link` — a shared upload or download link of a given bandwidth (transfers queue).
* :class:`LockLedger` — which parent records a batch touches while batches of other jobs that
  touch the same parents run at the same time (``UNABLE_TO_LOCK_ROW``).
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Any

from sfbulk_frames._exceptions import ConfigurationError

__all__ = [
    "BATCH_RECORDS",
    "PRESETS",
    "BatchTime",
    "JobTimeline",
    "Link",
    "LockLedger",
    "OrgSchedule",
    "PerformanceModel",
    "resolve_performance",
]

BATCH_RECORDS = 10_000
"""Bulk API 2.0 splits a job's data into internal batches of up to 10,000 records."""

UNABLE_TO_LOCK_ROW = (
    "UNABLE_TO_LOCK_ROW",
    "unable to obtain exclusive access to this record or 1 records",
)


@dataclass(frozen=True)
class PerformanceModel:
    """How fast the emulated org answers and processes (all times in seconds, sizes in bytes).

    The fields mirror Salesforce's documented behaviour (docs/performance-model.md cites the
    pages); their values in the presets are assumptions, not measurements of any org.

    ``latency``: one request's round trip before the server starts answering.
    ``upload_bandwidth`` / ``download_bandwidth``: bytes per second of the org's link, shared by
    all concurrent uploads (downloads); a transfer queues behind those already on the link.
    ``batch_seconds``: time to process one full internal batch of ``batch_records`` records
    (a partial batch takes its share). ``parallel_batches_per_job``: batches of one job
    processed at the same time. ``parallel_batches_org``: batches processed at the same time in
    the whole org (its other batches wait in a queue). ``queue_delay``: time between a job's
    ``UploadComplete`` and the moment its first batch may start (other tenants' work ahead of
    it on a shared pod). ``query_records_per_second``: how fast a query job materialises its
    result. ``lock_failure_share``: the share of rows that fail with ``UNABLE_TO_LOCK_ROW``
    among those whose parent record is also touched by a batch of another job running at the
    same time. ``time_scale`` multiplies every duration (and divides the bandwidths): a
    benchmark that scales its row count down scales time with it.
    """

    name: str = "custom"
    latency: float = 0.0
    upload_bandwidth: float = math.inf
    download_bandwidth: float = math.inf
    batch_seconds: float = 0.0
    batch_records: int = BATCH_RECORDS
    parallel_batches_per_job: int = 1
    parallel_batches_org: int = 1
    queue_delay: float = 0.0
    query_records_per_second: float = math.inf
    lock_failure_share: float = 0.0
    time_scale: float = 1.0

    def __post_init__(self) -> None:
        for name in ("latency", "batch_seconds", "queue_delay"):
            if getattr(self, name) < 0:
                raise ConfigurationError(f"PerformanceModel.{name} must be 0 or more seconds")
        for name in (
            "upload_bandwidth",
            "download_bandwidth",
            "query_records_per_second",
            "time_scale",
        ):
            if not getattr(self, name) > 0:
                raise ConfigurationError(f"PerformanceModel.{name} must be more than 0")
        for name in ("batch_records", "parallel_batches_per_job", "parallel_batches_org"):
            if getattr(self, name) < 1:
                raise ConfigurationError(f"PerformanceModel.{name} must be at least 1")
        if not 0.0 <= self.lock_failure_share <= 1.0:
            raise ConfigurationError("PerformanceModel.lock_failure_share must be between 0 and 1")

    # -- scaled values (what the emulator applies) ----------------------------------------
    @property
    def request_seconds(self) -> float:
        """Round trip of one request."""
        return self.latency * self.time_scale

    def upload_seconds(self, size: int) -> float:
        """Time ``size`` bytes take on an idle upload link."""
        return size / self.upload_bandwidth * self.time_scale

    def download_seconds(self, size: int) -> float:
        """Time ``size`` bytes take on an idle download link."""
        return size / self.download_bandwidth * self.time_scale

    def batch_duration(self, records: int) -> float:
        """Processing time of one internal batch of ``records`` records."""
        return self.batch_seconds * records / self.batch_records * self.time_scale

    def query_seconds(self, records: int) -> float:
        """Time a query job takes to materialise ``records`` records (after its queue wait)."""
        return (self.queue_delay + records / self.query_records_per_second) * self.time_scale

    @property
    def records_per_second(self) -> float:
        """The org's processing capacity with every parallel slot busy."""
        per_batch = self.batch_duration(self.batch_records)
        if per_batch == 0:
            return math.inf
        return self.parallel_batches_org * self.batch_records / per_batch

    def scaled(self, time_scale: float) -> PerformanceModel:
        """The same org with every duration multiplied by ``time_scale``."""
        return replace(self, time_scale=time_scale)

    def with_overrides(self, **values: float | int | None) -> PerformanceModel:
        """A copy with some fields replaced (``None`` values are ignored); raises ValueError
        for an unknown field or a bad value."""
        unknown = set(values) - {f for f in self.__dataclass_fields__ if f != "name"}
        if unknown:
            raise ConfigurationError(f"unknown PerformanceModel fields {sorted(unknown)}")
        kept: dict[str, Any] = {k: v for k, v in values.items() if v is not None}
        return replace(self, **kept)

    def lower_bound(
        self, records: int, upload_bytes: int, download_bytes: int, round_trips: int
    ) -> float:
        """The least wall time any client can need to load (or query) ``records`` records:
        the slower of moving the bytes and processing the records with every slot busy, plus
        the round trips that cannot overlap (create, upload, close, one poll, results)."""
        transfer = self.upload_seconds(upload_bytes) + self.download_seconds(download_bytes)
        processing = records / self.records_per_second if records else 0.0
        return max(transfer, processing) + round_trips * self.request_seconds


FAST = PerformanceModel(
    name="fast",
    latency=0.05,
    upload_bandwidth=25e6,
    download_bandwidth=50e6,
    batch_seconds=8.0,
    parallel_batches_per_job=5,
    parallel_batches_org=10,
    queue_delay=0.5,
    query_records_per_second=50_000,
    lock_failure_share=0.5,
)
"""An idle org: short round trips, ample bandwidth, 10 batches at a time (5 per job), no
queue to speak of. ~12,500 records/s with every slot busy. Assumed values."""

BUSY = PerformanceModel(
    name="busy",
    latency=0.15,
    upload_bandwidth=5e6,
    download_bandwidth=10e6,
    batch_seconds=15.0,
    parallel_batches_per_job=2,
    parallel_batches_org=4,
    queue_delay=3.0,
    query_records_per_second=20_000,
    lock_failure_share=0.5,
)
"""A shared org at a busy hour: slower round trips and links, 4 batches at a time in the org
(2 per job), slower batches and a queue before each job starts. ~2,700 records/s with every
slot busy. Assumed values."""

PRESETS: dict[str, PerformanceModel] = {"fast": FAST, "busy": BUSY}


def resolve_performance(value: PerformanceModel | str | None) -> PerformanceModel | None:
    """A model from a preset name or a model; ``None`` (or ``"off"``) is off."""
    if value is None or isinstance(value, PerformanceModel):
        return value
    if value == "off":
        return None
    if value not in PRESETS:
        raise ConfigurationError(
            f"unknown performance preset {value!r}: use one of {sorted(PRESETS)}"
        )
    return PRESETS[value]


# -- schedules ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class BatchTime:
    """One internal batch: when it starts and finishes, and how many records it holds."""

    start: float
    finish: float
    records: int


@dataclass(frozen=True)
class JobTimeline:
    """The modelled processing of one job closed at ``arrived``."""

    arrived: float
    batches: tuple[BatchTime, ...]

    @property
    def start(self) -> float:
        return self.batches[0].start if self.batches else self.arrived

    @property
    def finish(self) -> float:
        return max((b.finish for b in self.batches), default=self.arrived)

    def processed_at(self, now: float) -> int:
        """Records of the batches finished by ``now``."""
        return sum(b.records for b in self.batches if b.finish <= now)

    def state_at(self, now: float) -> str:
        """``UploadComplete`` (queued), ``InProgress`` or ``JobComplete`` at ``now``."""
        if now >= self.finish:
            return "JobComplete"
        return "InProgress" if now >= self.start else "UploadComplete"


class OrgSchedule:
    """Admits jobs in the order they are closed and places their batches on the org's slots,
    first come first served. Times only ever come from the caller."""

    def __init__(self, model: PerformanceModel) -> None:
        self.model = model
        self._org_slots: list[float] = [0.0] * model.parallel_batches_org

    def admit(self, records: int, arrived: float) -> JobTimeline:
        """The timeline of a job of ``records`` records closed at ``arrived``."""
        model = self.model
        ready = arrived + model.queue_delay * model.time_scale
        job_slots = [ready] * min(model.parallel_batches_per_job, max(1, records))
        batches = []
        for first in range(0, records, model.batch_records):
            size = min(model.batch_records, records - first)
            job_free = max(heapq.heappop(job_slots), ready)
            slot = self._org_slot(job_free)
            start = max(job_free, self._org_slots[slot])
            finish = start + model.batch_duration(size)
            heapq.heappush(job_slots, finish)
            self._org_slots[slot] = finish
            batches.append(BatchTime(start, finish, size))
        return JobTimeline(arrived, tuple(batches))

    def _org_slot(self, wanted: float) -> int:
        """The org slot a batch ready at ``wanted`` takes: the one freed last before
        ``wanted`` (keeping earlier-freed slots for others), else the one freed first."""
        free = self._org_slots
        fitting = [i for i, t in enumerate(free) if t <= wanted]
        if fitting:
            return max(fitting, key=lambda i: free[i])
        return min(range(len(free)), key=lambda i: free[i])

    def admit_query(self, records: int, arrived: float) -> JobTimeline:
        """A query job: one materialisation after the queue wait (no batch slots)."""
        start = arrived + self.model.queue_delay * self.model.time_scale
        finish = arrived + self.model.query_seconds(records)
        return JobTimeline(arrived, (BatchTime(start, finish, records),))


@dataclass
class Link:
    """A link of ``bandwidth`` bytes/s shared by every transfer: each one starts when the
    previous ones are through (or at once on an idle link)."""

    seconds_per_byte: float
    free_at: float = 0.0

    @classmethod
    def upload(cls, model: PerformanceModel) -> Link:
        return cls(model.time_scale / model.upload_bandwidth)

    @classmethod
    def download(cls, model: PerformanceModel) -> Link:
        return cls(model.time_scale / model.download_bandwidth)

    def reserve(self, size: int, now: float) -> float:
        """Book ``size`` bytes starting at ``now``; returns when the transfer is done."""
        start = max(now, self.free_at)
        self.free_at = start + size * self.seconds_per_byte
        return self.free_at


@dataclass
class _Touch:
    job_id: str
    start: float
    finish: float
    parents: frozenset[str]


@dataclass
class LockLedger:
    """Parent records touched by each batch and when: a batch of a later job finds the parents
    that a batch of another job holds during an overlapping time locked."""

    touches: list[_Touch] = field(default_factory=list)

    def record(self, job_id: str, batch: BatchTime, parents: Iterable[str]) -> None:
        found = frozenset(p for p in parents if p)
        if found:
            self.touches.append(_Touch(job_id, batch.start, batch.finish, found))

    def locked(self, job_id: str, batch: BatchTime, parents: Iterable[str]) -> frozenset[str]:
        """The parents of ``parents`` held by another job's batch overlapping ``batch``."""
        wanted = frozenset(parents)
        held: set[str] = set()
        for touch in self.touches:
            if touch.job_id != job_id and touch.start < batch.finish and batch.start < touch.finish:
                held |= touch.parents & wanted
        return frozenset(held)

    def forget_before(self, moment: float) -> None:
        """Drop touches that ended before ``moment`` (they can overlap nothing later)."""
        self.touches = [t for t in self.touches if t.finish > moment]
