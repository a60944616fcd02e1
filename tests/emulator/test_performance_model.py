"""The performance model's arithmetic (pure, with made-up times) and how the emulator applies
it through an injected clock: no wall-clock measurement anywhere."""

from __future__ import annotations

import argparse
import csv
import io
import math
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from typing import Any

import pytest

from sfbulk_frames.emulator import Emulator
from sfbulk_frames.emulator.cli import add_arguments, performance_from_args
from sfbulk_frames.emulator.models.performance import (
    PRESETS,
    BatchTime,
    Link,
    LockLedger,
    OrgSchedule,
    PerformanceModel,
)

Api = Any


def parse_csv(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text, newline="")))


MODEL = PerformanceModel(batch_seconds=10.0, parallel_batches_per_job=2, parallel_batches_org=3)
LOCK = "UNABLE_TO_LOCK_ROW:unable to obtain exclusive access to this record or 1 records: --"


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


# -- pure arithmetic -------------------------------------------------------------------------
def test_a_job_runs_its_batches_per_job_slots_at_a_time() -> None:
    timeline = OrgSchedule(MODEL).admit(45_000, arrived=0.0)
    assert [(b.start, b.finish, b.records) for b in timeline.batches] == [
        (0.0, 10.0, 10_000),
        (0.0, 10.0, 10_000),
        (10.0, 20.0, 10_000),
        (10.0, 20.0, 10_000),
        (20.0, 25.0, 5_000),
    ]
    assert timeline.finish == 25.0
    # never sooner than records / (per-job slots x batch rate)
    assert timeline.finish >= 45_000 / (2 * 10_000 / 10.0)


def test_the_org_wide_cap_queues_a_second_job_behind_the_first() -> None:
    plan = OrgSchedule(MODEL)
    first = plan.admit(40_000, arrived=0.0)
    second = plan.admit(20_000, arrived=1.0)
    # 3 org slots: the first job holds 2, the second gets the third at once, then its second
    # batch waits for the first slot to free (at 11, the org's busy until then)
    assert [b.start for b in second.batches] == [1.0, 11.0]
    assert second.finish == 21.0
    assert first.finish == 20.0
    concurrent = [b for t in (first, second) for b in t.batches if b.start <= 5.0 < b.finish]
    assert len(concurrent) == 3


def test_queue_delay_holds_the_first_batch_and_time_scale_scales_everything() -> None:
    model = MODEL.with_overrides(queue_delay=4.0)
    timeline = OrgSchedule(model).admit(10_000, arrived=2.0)
    assert (timeline.start, timeline.finish) == (6.0, 16.0)
    assert timeline.state_at(5.9) == "UploadComplete"
    assert timeline.state_at(6.0) == "InProgress"
    assert timeline.state_at(16.0) == "JobComplete"
    half = OrgSchedule(model.scaled(0.5)).admit(10_000, arrived=2.0)
    assert (half.start, half.finish) == (4.0, 9.0)


def test_the_upload_link_is_shared_by_concurrent_transfers() -> None:
    link = Link.upload(PerformanceModel(upload_bandwidth=1_000_000))
    assert link.reserve(2_000_000, now=0.0) == 2.0
    assert link.reserve(1_000_000, now=0.5) == 3.0  # queued behind the first
    assert link.reserve(1_000_000, now=10.0) == 11.0  # idle link again


def test_the_lower_bound_is_the_slower_of_transfer_and_processing_plus_round_trips() -> None:
    model = PerformanceModel(
        latency=0.1,
        upload_bandwidth=1e6,
        download_bandwidth=2e6,
        batch_seconds=10.0,
        parallel_batches_org=4,
    )
    assert model.records_per_second == 4_000
    assert model.lower_bound(
        100_000, upload_bytes=10_000_000, download_bytes=0, round_trips=5
    ) == pytest.approx(25.0 + 0.5)
    assert model.lower_bound(
        10_000, upload_bytes=10_000_000, download_bytes=2_000_000, round_trips=0
    ) == pytest.approx(11.0)


def test_locks_only_between_other_jobs_overlapping_in_time() -> None:
    ledger = LockLedger()
    ledger.record("A", BatchTime(0.0, 10.0, 3), ["acct=1", "acct=2", ""])
    assert ledger.locked("B", BatchTime(5.0, 15.0, 2), ["acct=1", "acct=3"]) == {"acct=1"}
    assert ledger.locked("B", BatchTime(10.0, 20.0, 1), ["acct=1"]) == frozenset()  # after
    assert ledger.locked("A", BatchTime(5.0, 15.0, 1), ["acct=1"]) == frozenset()  # same job


def test_presets_and_bad_values() -> None:
    assert set(PRESETS) == {"fast", "busy"}
    fast, busy = PRESETS["fast"], PRESETS["busy"]
    assert busy.parallel_batches_org < fast.parallel_batches_org
    assert busy.queue_delay > fast.queue_delay
    assert busy.records_per_second < fast.records_per_second
    with pytest.raises(ValueError, match="parallel_batches_org"):
        PerformanceModel(parallel_batches_org=0)
    with pytest.raises(ValueError, match="unknown performance preset"):
        Emulator(performance="slowish")
    assert math.isinf(PerformanceModel().records_per_second)


def test_cli_presets_take_overrides() -> None:
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    assert performance_from_args(parser.parse_args([])) is None
    model = performance_from_args(
        parser.parse_args(
            ["--performance", "busy", "--parallel-batches-org", "8", "--time-scale", "0.5"]
        )
    )
    assert model == PRESETS["busy"].with_overrides(parallel_batches_org=8, time_scale=0.5)


# -- applied by the emulator, read through an injected clock ----------------------------------
@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def modelled(clock: FakeClock) -> Iterator[Emulator]:
    model = PerformanceModel(
        batch_seconds=10.0,
        parallel_batches_per_job=1,
        parallel_batches_org=2,
        queue_delay=1.0,
        lock_failure_share=1.0,
        batch_records=10,
    )
    with Emulator(seed=3, performance=model, clock=clock) as emulator:
        yield emulator


def contacts(n: int, account: Callable[[int], str] | None = None) -> str:
    if account is None:
        return "LastName\n" + "".join(f"L{i}\n" for i in range(n))
    return "LastName,AccountId\n" + "".join(f"L{i},{account(i)}\n" for i in range(n))


def test_off_by_default_a_closed_job_is_complete_at_once(
    open_api: Callable[[Emulator], AbstractContextManager[Api]],
) -> None:
    with Emulator(seed=1) as emu:
        assert emu.performance is None
        with open_api(emu) as api:
            job = api.start_ingest("Contact", "insert", contacts(25))
            assert api.info(job).json()["state"] == "JobComplete"


def test_a_job_finishes_no_sooner_than_the_model_says(
    modelled: Emulator,
    clock: FakeClock,
    open_api: Callable[[Emulator], AbstractContextManager[Api]],
) -> None:
    with open_api(modelled) as api:
        job = api.start_ingest("Contact", "insert", contacts(25))  # batches of 10, 1 at a time
        seen = []
        for t in (0.5, 1.0, 11.0, 20.9, 21.0, 25.9, 26.0):
            clock.now = 1000.0 + t
            info = api.info(job).json()
            seen.append((t, info["state"], info["numberRecordsProcessed"]))
    assert seen == [
        (0.5, "UploadComplete", 0),
        (1.0, "InProgress", 0),
        (11.0, "InProgress", 10),
        (20.9, "InProgress", 10),
        (21.0, "InProgress", 20),
        (25.9, "InProgress", 20),
        (26.0, "JobComplete", 25),  # the last batch of 5 takes half a batch's time
    ]


def test_a_query_job_takes_its_modelled_time(
    clock: FakeClock,
    open_api: Callable[[Emulator], AbstractContextManager[Api]],
) -> None:
    model = PerformanceModel(query_records_per_second=10.0)
    with Emulator(seed=2, performance=model, clock=clock) as emu, open_api(emu) as api:
        api.start_ingest("Contact", "insert", contacts(30))
        job = api.query("SELECT Id FROM Contact")
        clock.now += 2.9
        assert api.info(job, "query").json()["state"] == "InProgress"
        clock.now += 0.1
        assert api.info(job, "query").json()["state"] == "JobComplete"


def test_jobs_sharing_a_parent_lock_rows_only_when_they_overlap(
    modelled: Emulator,
    clock: FakeClock,
    open_api: Callable[[Emulator], AbstractContextManager[Api]],
) -> None:
    with open_api(modelled) as api:
        done = api.start_ingest("Account", "insert", "Name\nA\n")
        clock.now += 100  # the account job is long done
        parent = parse_csv(api.result(done, "successfulResults").text)[0]["sf__Id"]
        first = api.start_ingest("Contact", "insert", contacts(10, lambda i: parent))
        clock.now += 1  # overlaps the first job's batch (1001..1011)
        second = api.start_ingest("Contact", "insert", contacts(10, lambda i: parent))
        clock.now += 100  # long after both: no overlap
        third = api.start_ingest("Contact", "insert", contacts(10, lambda i: parent))
        clock.now += 100
        failed = {
            job: parse_csv(api.result(job, "failedResults").text) for job in (first, second, third)
        }
    assert failed[first] == []
    assert len(failed[second]) == 10  # lock_failure_share=1.0
    assert {row["sf__Error"] for row in failed[second]} == {LOCK}
    assert failed[third] == []


def test_jobs_with_different_parents_do_not_lock(
    modelled: Emulator,
    clock: FakeClock,
    open_api: Callable[[Emulator], AbstractContextManager[Api]],
) -> None:
    with open_api(modelled) as api:
        done = api.start_ingest("Account", "insert", "Name\nA\nB\n")
        clock.now += 100
        a, b = (r["sf__Id"] for r in parse_csv(api.result(done, "successfulResults").text))
        first = api.start_ingest("Contact", "insert", contacts(10, lambda i: a))
        second = api.start_ingest("Contact", "insert", contacts(10, lambda i: b))
        clock.now += 100
        assert parse_csv(api.result(first, "failedResults").text) == []
        assert parse_csv(api.result(second, "failedResults").text) == []
