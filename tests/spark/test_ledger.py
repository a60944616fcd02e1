"""The job ledger and attempt fencing, without Spark (in-process emulator)."""

from __future__ import annotations

import polars as pl
import pytest

import sfbulk_frames as sfb
from sfbulk_frames import JobState
from sfbulk_frames.emulator import Emulator
from sfbulk_frames.spark import AttemptSupersededError, SparkCredentials
from sfbulk_frames.spark._ledger import PartitionLedger, job_slot, read_attempts, read_run
from sfbulk_frames.spark._worker import LedgerClient

pytestmark = pytest.mark.spark


@pytest.fixture
def emu():
    with Emulator(seed=3) as emulator:
        yield emulator


def _client(emu: Emulator) -> LedgerClient:
    return LedgerClient(emu.instance_url, emu.token, transport=emu.transport())


def test_a_superseded_attempt_creates_no_more_jobs(emu, tmp_path):
    old = PartitionLedger(tmp_path, 0, attempt=7)
    old.take_over()
    client = _client(emu)
    client.bind(old)
    PartitionLedger(tmp_path, 0, attempt=9).take_over()  # Spark retried while 7 still runs

    with pytest.raises(AttemptSupersededError, match="superseded"):
        sfb.insert(pl.DataFrame({"LastName": ["a", "b"]}), "Contact", client=client, progress=False)

    assert emu.count("Contact") == 0
    assert read_run(tmp_path) == []
    assert read_attempts(tmp_path) == {0: [7, 9]}


class _TakenOverWhileCreating(PartitionLedger):
    """Attempt 7, whose partition a newer attempt takes over right after Salesforce created
    attempt 7's job and before attempt 7 recorded it."""

    def record(self, job_id: str, slice_index: int) -> None:
        PartitionLedger(self.dir.parent, self.partition, attempt=9).take_over()
        super().record(job_id, slice_index)


def test_a_job_created_while_being_superseded_is_recorded_and_aborted_unsent(emu, tmp_path):
    old = _TakenOverWhileCreating(tmp_path, 0, attempt=7)
    old.take_over()
    client = _client(emu)
    client.bind(old)

    with pytest.raises(AttemptSupersededError, match="aborted before any upload"):
        sfb.insert(pl.DataFrame({"LastName": ["a", "b"]}), "Contact", client=client, progress=False)

    assert emu.count("Contact") == 0
    [record] = read_run(tmp_path)
    assert (record.partition, record.attempt) == (0, 7)
    assert client.ingest_job(record.job_id).info().state == JobState.ABORTED
    assert emu.jobs_seen() == {}


def test_the_last_attempt_to_take_over_owns_the_partition_even_with_a_smaller_number(tmp_path):
    first = PartitionLedger(tmp_path, 3, attempt=5)
    first.take_over()
    rerun = PartitionLedger(tmp_path, 3, attempt=0)  # a new Spark session re-running the runId
    rerun.take_over()
    assert rerun.still_owner()
    assert not first.still_owner()


def test_every_created_job_is_recorded_before_its_rows_are_sent(emu, tmp_path):
    ledger = PartitionLedger(tmp_path, 1, attempt=2)
    ledger.take_over()
    client = _client(emu)
    client.bind(ledger, slice_index=4)
    res = sfb.insert(
        pl.DataFrame({"LastName": [f"n{i}" for i in range(30)]}),
        "Contact",
        client=client,
        max_records=10,
        progress=False,
    )
    recorded = [r.job_id for r in read_run(tmp_path)]
    # jobs are created concurrently: the ledger holds each exactly once, in creation order
    assert sorted(recorded) == sorted(job.id for job in res.jobs)
    assert len(res.jobs) == 3
    assert {r.slice for r in read_run(tmp_path)} == {4}


def test_job_slots_are_distinct_while_held(tmp_path):
    with job_slot(tmp_path, 2) as first, job_slot(tmp_path, 2) as second:
        assert {first, second} == {0, 1}


def test_credentials_never_show_the_token():
    creds = SparkCredentials("https://x.my.salesforce.com", "00Dsecret!token")
    assert "secret" not in repr(creds)
    assert "secret" not in str(creds)
