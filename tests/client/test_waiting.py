"""wait(): polling, timeout that never aborts, resume by id, testing mode, Jupyter, threads."""

from __future__ import annotations

import asyncio
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from sfbulk_frames._config import (
    PollPolicy,
    ProcessingRate,
    effective_sleep,
    fast_polling_enabled,
)
from sfbulk_frames._exceptions import JobTimeoutError
from sfbulk_frames._models import JobInfo, JobState
from sfbulk_frames.client.clients import Client
from sfbulk_frames.testing import fast_polling, set_fast_polling

from .conftest import CONTACTS_CSV, Org


def _closed_job(client: Client) -> str:
    job = client.create_ingest_job("Contact", "insert")
    job.upload(CONTACTS_CSV)
    job.close()
    return job.id


def test_wait_polls_until_terminal_and_reports_each_poll(slow_local: Org) -> None:
    seen: list[JobInfo] = []
    with slow_local.client() as client:
        info = client.ingest_job(_closed_job(client)).wait(on_poll=seen.append)
    assert info.state is JobState.JOB_COMPLETE
    assert len(seen) >= 2
    assert not seen[0].state.is_terminal
    assert seen[-1] == info


def test_wait_timeout_raises_with_job_id_and_resume_by_id_completes(slow_local: Org) -> None:
    with slow_local.client() as client:
        job_id = _closed_job(client)
        with pytest.raises(JobTimeoutError) as caught:
            client.ingest_job(job_id).wait(timeout=0)
        assert caught.value.job_ids == [job_id]
        assert job_id in str(caught.value)
        assert "wait()" in str(caught.value)
        assert client.ingest_job(job_id).info().state is not JobState.ABORTED
        with slow_local.client() as later:  # a new client, as after a restart
            assert later.ingest_job(job_id).wait().state is JobState.JOB_COMPLETE


def test_poll_policy_timeout_is_the_default_timeout(slow_local: Org) -> None:
    with slow_local.client(poll=PollPolicy(timeout=0)) as client:
        job = client.ingest_job(_closed_job(client))
        with pytest.raises(JobTimeoutError):
            job.wait()


def test_fast_polling_skips_the_poll_intervals(slow_local: Org) -> None:
    slow = PollPolicy(initial=5.0, factor=1.0, max_interval=5.0)
    with slow_local.client(poll=slow) as client:
        started = time.monotonic()
        assert client.ingest_job(_closed_job(client)).wait().is_terminal
    assert time.monotonic() - started < 2.0  # two 5 s sleeps would have happened otherwise


def test_fast_polling_is_a_context_variable_and_a_decorator() -> None:
    with fast_polling(False):
        assert not fast_polling_enabled()
        assert effective_sleep(2.0) == 2.0
        with fast_polling():
            assert fast_polling_enabled()
            assert effective_sleep(2.0) <= 0.001
        assert not fast_polling_enabled()

        @fast_polling()
        def decorated() -> bool:
            return fast_polling_enabled()

        assert decorated()
        assert not fast_polling_enabled()

        async def in_task() -> bool:
            return fast_polling_enabled()

        async def main() -> tuple[bool, bool]:
            with fast_polling():
                inside = await asyncio.create_task(in_task())
            return inside, await asyncio.create_task(in_task())

        assert asyncio.run(main()) == (True, False)


def test_fast_polling_reaches_threads_that_did_not_copy_the_context() -> None:
    with ThreadPoolExecutor(1) as pool:
        assert pool.submit(fast_polling_enabled).result() is False
        with fast_polling():
            assert pool.submit(fast_polling_enabled).result() is True
        assert pool.submit(fast_polling_enabled).result() is False
        set_fast_polling(True)
        try:
            assert pool.submit(fast_polling_enabled).result() is True
        finally:
            set_fast_polling(False)


def test_poll_intervals_back_off_to_the_cap() -> None:
    policy = PollPolicy(initial=0.5, factor=2.0, max_interval=3.0)
    assert [policy.interval(n) for n in range(5)] == [0.5, 1.0, 2.0, 3.0, 3.0]


def test_processing_rate_predicts_the_finish_from_the_progress_polls_saw() -> None:
    rate = ProcessingRate(expected=100_000)
    assert rate.finish_in(0.0, 0) is None  # queued: nothing processed, nothing to measure
    assert rate.finish_in(10.0, 20_000) is None  # first progress: the rate needs a second poll
    assert rate.finish_in(15.0, 20_000) is None  # no new batch finished since
    assert rate.finish_in(20.0, 40_000) == pytest.approx(30.0)  # 2,000 rec/s, 60,000 to go
    # a poll that sees no new batch lowers the rate, so the prediction moves later, not sooner
    assert rate.finish_in(25.0, 40_000) == pytest.approx(45.0)
    assert rate.finish_in(40.0, 100_000) == 0.0


def test_a_predicted_finish_shortens_the_backoff_but_never_below_the_first_interval() -> None:
    policy = PollPolicy(initial=0.5, factor=2.0, max_interval=15.0)
    assert policy.interval_toward(10, None) == 15.0  # no prediction: the backoff
    assert policy.interval_toward(10, 3.0) == 3.0  # poll when the job should be done
    assert policy.interval_toward(10, 0.01) == 0.5  # overdue: poll every `initial` seconds
    assert policy.interval_toward(0, 30.0) == 0.5  # the backoff is sooner still


def test_wait_with_expected_records_follows_the_progress_to_the_end(slow_local: Org) -> None:
    seen: list[int] = []
    with slow_local.client() as client:
        job = client.ingest_job(_closed_job(client))
        info = job.wait(
            expected_records=CONTACTS_CSV.count(b"\n") - 1,
            on_poll=lambda i: seen.append(i.number_records_processed or 0),
        )
    assert info.state is JobState.JOB_COMPLETE
    assert seen == sorted(seen)
    assert seen[-1] == info.number_records_processed


def test_sync_client_works_inside_a_running_event_loop(local: Org) -> None:
    async def notebook_cell() -> JobState:
        with local.client() as client:  # what a Jupyter user does: sync calls in a loop
            return client.ingest_job(_closed_job(client)).wait().state

    assert asyncio.run(notebook_cell()) is JobState.JOB_COMPLETE


def test_one_client_runs_jobs_from_several_threads(org: Org) -> None:
    with org.client() as client:
        def load(i: int) -> int:
            job = client.create_ingest_job("Contact", "insert")
            job.upload(f"LastName\nA{i}\nB{i}\nC{i}\n".encode())
            job.close()
            return job.wait().number_records_processed or 0

        with ThreadPoolExecutor(4) as pool:
            assert list(pool.map(load, range(6))) == [3] * 6
    assert org.emu.count("Contact") == 18
