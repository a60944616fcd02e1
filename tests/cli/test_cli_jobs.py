"""``sfbulk jobs ...`` against a real emulator server, in a subprocess."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import polars as pl
import pytest

from sfbulk_frames._exceptions import NotFoundError
from sfbulk_frames.emulator import Emulator

from .harness import Org, read_any, serve_org, sfbulk


@pytest.fixture
def loaded(org: Org, contacts_frame: pl.DataFrame, tmp_path: Path) -> str:
    """Loads the four contacts through the CLI and returns the id of its job."""
    source = tmp_path / "contacts.csv"
    contacts_frame.write_csv(source)
    done = sfbulk("insert", "Contact", source, "--no-progress", org=org)
    assert done.returncode == 1, done.stderr
    (job,) = org.client().list_jobs(kind="ingest")
    return str(job.id)


def test_jobs_list_shows_the_job_with_its_state(org: Org, loaded: str) -> None:
    done = sfbulk("jobs", "list", org=org)

    assert done.returncode == 0, done.stderr
    line = next(line for line in done.stdout.splitlines() if line.startswith(loaded))
    assert line.split()[1:4] == ["insert", "Contact", "JobComplete"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\d", line.split()[4])
    assert done.stdout.splitlines()[-1] == "1 ingest job"


def test_jobs_show_prints_every_job_info_field(org: Org, loaded: str) -> None:
    done = sfbulk("jobs", "show", loaded, org=org)

    assert done.returncode == 0, done.stderr
    fields = dict(line.split(None, 1) for line in done.stdout.splitlines() if line.strip())
    assert fields["id"] == loaded
    assert fields["state"] == "JobComplete"
    assert fields["numberRecordsFailed"] == "1"


def test_jobs_results_writes_the_three_raw_csvs(org: Org, loaded: str, tmp_path: Path) -> None:
    out = tmp_path / "raw"

    done = sfbulk("jobs", "results", loaded, "--output-dir", out, org=org)

    assert done.returncode == 0, done.stderr
    assert read_any(out / f"{loaded}.successful.csv").height == 3
    failed = read_any(out / f"{loaded}.failed.csv")
    assert failed.columns[:2] == ["sf__Id", "sf__Error"]
    assert failed.height == 1
    assert read_any(out / f"{loaded}.unprocessed.csv").height == 0


def test_jobs_abort_then_delete_an_open_job(org: Org) -> None:
    job = org.client().create_ingest_job("Contact", "insert")

    aborted = sfbulk("jobs", "abort", job.id, org=org)
    state_after_abort = org.client().ingest_job(job.id).info().state
    deleted = sfbulk("jobs", "delete", job.id, org=org)

    assert aborted.returncode == 0, aborted.stderr
    assert state_after_abort == "Aborted"
    assert deleted.returncode == 0, deleted.stderr
    with pytest.raises(NotFoundError):
        org.client().ingest_job(job.id).info()


def test_jobs_show_of_an_unknown_job_exits_3(org: Org) -> None:
    done = sfbulk("jobs", "show", "750R0000000000AAAA", org=org)

    assert done.returncode == 3
    assert "750R0000000000AAAA" in done.stderr or "NOT_FOUND" in done.stderr


@pytest.fixture
def slow_org() -> Iterator[Org]:
    """Jobs take two seconds to process after their upload."""
    with serve_org(Emulator(seed=3, processing="background", processing_delay=2.0)) as org:
        yield org


def test_a_timeout_exits_4_and_jobs_resume_collects_the_results(
    slow_org: Org, contacts_frame: pl.DataFrame, tmp_path: Path
) -> None:
    source = tmp_path / "contacts.csv"
    contacts_frame.write_csv(source)

    timed_out = sfbulk("insert", "Contact", source, "--timeout", "0.2", "--no-progress",
                       org=slow_org)

    assert timed_out.returncode == 4, timed_out.stderr
    command = re.search(r"sfbulk jobs resume (\S+) (.+?) --instance-url", timed_out.stderr)
    assert command is not None, timed_out.stderr
    assert "<token>" in timed_out.stderr
    assert not (tmp_path / "contacts.successful.csv").exists()
    job_ids = command.group(2).split()

    resumed = sfbulk("jobs", "resume", command.group(1), *job_ids, "--no-progress", org=slow_org)

    assert resumed.returncode == 1, resumed.stderr
    successful = read_any(tmp_path / "contacts.successful.csv")
    assert sorted(successful["ExternalId__c"]) == ["C-1", "C-2", "C-3"]
    assert read_any(tmp_path / "contacts.failed.csv")["ExternalId__c"].to_list() == ["C-4"]
