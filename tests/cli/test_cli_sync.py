"""``sfbulk sync``: the nightly refresh of tests/sync/scenario.py run as a real subprocess
against a loopback emulator, from parquet and from CSV read as text."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
from sync.conftest import ingest_jobs, new_jobs, processed
from sync.scenario import KEY, WHERE, Scenario, scenario

import sfbulk_frames as sfb

from .harness import Org, read_any, sfbulk

N = 10_000


@pytest.fixture(scope="module")
def refresh() -> Scenario:
    return scenario(N)


@pytest.fixture
def loaded(org: Org, refresh: Scenario) -> Scenario:
    with org.client() as client:
        assert sfb.upsert(refresh.loaded, "Contact", KEY, client=client, progress=False).ok
    return refresh


def test_dry_run_writes_the_plan_files_and_sends_nothing(
    org: Org, loaded: Scenario, tmp_path: Path
) -> None:
    source = tmp_path / "nightly.parquet"
    loaded.nightly.write_parquet(source)
    with org.client() as client:
        before = ingest_jobs(client)
        done = sfbulk("sync", "Contact", source, "--key", KEY, "--where", WHERE, "--dry-run",
                      "--no-progress", org=org)
        assert new_jobs(client, before) == []
    assert done.returncode == 0, done.stderr
    assert read_any(tmp_path / "nightly.create.parquet").height == 200
    update = read_any(tmp_path / "nightly.update.parquet")
    assert sorted(k.upper() for k in update[KEY]) == sorted(loaded.changed)
    assert read_any(tmp_path / "nightly.changes.parquet").height == 500
    assert sorted(read_any(tmp_path / "nightly.missing.parquet")[KEY]) == sorted(loaded.removed)
    assert read_any(tmp_path / "nightly.conflicts.parquet").height == 0
    assert "dry run: nothing was sent" in done.stdout
    assert not (tmp_path / "nightly.successful.parquet").exists()


def test_sync_with_delete_missing_sends_only_the_difference_then_nothing(
    org: Org, loaded: Scenario, tmp_path: Path
) -> None:
    source = tmp_path / "nightly.parquet"
    loaded.nightly.write_parquet(source)
    args = ("sync", "Contact", source, "--key", KEY, "--where", WHERE, "--delete-missing",
            "--no-progress")
    with org.client() as client:
        before = ingest_jobs(client)
        done = sfbulk(*args, org=org)
        assert done.returncode == 0, done.stderr
        jobs = new_jobs(client, before)
        assert processed(jobs, "upsert") == 700
        assert processed(jobs, "delete") == 100
        assert read_any(tmp_path / "nightly.successful.parquet").height == 700
        assert org.emulator.count("Contact") == N + 100
        again = ingest_jobs(client)
        second = sfbulk(*args, org=org)
        assert second.returncode == 0, second.stderr
        assert new_jobs(client, again) == []
    assert read_any(tmp_path / "nightly.successful.parquet").height == 0


def test_a_csv_read_as_text_compares_by_field_type(org: Org, tmp_path: Path) -> None:
    stored = pl.DataFrame({KEY: ["T-1", "T-2"], "LastName": ["Lee", "Kim"],
                           "Score__c": [1.5, 2.0], "Birthdate": ["1990-01-02", "1991-02-03"]})
    with org.client() as client:
        assert sfb.upsert(stored, "Contact", KEY, client=client, progress=False).ok
    source = tmp_path / "people.csv"
    source.write_text(f"{KEY},LastName,Score__c,Birthdate\n"
                      "T-1,Lee ,1.50,1990-01-02\nT-2,Kim,2.5,1991-02-03\n", encoding="utf-8")
    done = sfbulk("sync", "Contact", source, "--key", KEY, "--dry-run", "--no-progress", org=org)
    assert done.returncode == 0, done.stderr
    changes = read_any(tmp_path / "people.changes.csv")
    assert changes.select("key", "field", "old", "new").rows() == [
        ("T-2", "Score__c", "2.0", "2.5")]
    update = read_any(tmp_path / "people.update.csv")
    assert update["sf__Changed"].to_list() == ["Score__c"]


def test_delete_missing_without_where_exits_2_and_sends_nothing(
    org: Org, loaded: Scenario, tmp_path: Path
) -> None:
    source = tmp_path / "nightly.parquet"
    loaded.nightly.write_parquet(source)
    done = sfbulk("sync", "Contact", source, "--key", KEY, "--delete-missing", "--no-progress",
                  org=org)
    assert done.returncode == 2
    assert "--confirm-delete-all" in done.stderr
    assert not (tmp_path / "nightly.create.parquet").exists()
