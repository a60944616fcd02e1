"""``sfbulk retry`` and loads that stop part-way, end to end against a real emulator server."""

from __future__ import annotations

import json
import shlex
import threading
from collections.abc import Iterator
from pathlib import Path

import polars as pl
import pytest

from sfbulk_frames.emulator import Emulator, Request, Response

from .harness import Org, read_any, serve_org, sfbulk


def _upsert(source: Path, out: Path, org: Org, *extra: str) -> object:
    return sfbulk(
        "upsert",
        "Contact",
        source,
        "--external-id",
        "ExternalId__c",
        "--no-progress",
        "--output-dir",
        out,
        *extra,
        org=org,
    )


def test_retry_with_a_fixed_file_rewrites_the_results_over_the_original_input(
    org: Org, contacts_frame: pl.DataFrame, tmp_path: Path
) -> None:
    source = tmp_path / "contacts.csv"
    contacts_frame.write_csv(source)
    out = tmp_path / "results"
    first = _upsert(source, out, org)
    assert first.returncode == 1, first.stderr
    manifest = json.loads((out / "contacts.sfbulk.json").read_text())
    assert manifest["object"] == "Contact"
    assert manifest["external_id"] == "ExternalId__c"
    assert org.token not in json.dumps(manifest)
    assert "REQUIRED_FIELD_MISSING LastName" in first.stdout
    failed = read_any(out / "contacts.failed.csv")
    fixed = tmp_path / "fixed.csv"
    failed.with_columns(pl.lit("Hopper").alias("LastName")).write_csv(fixed)

    done = sfbulk("retry", out, "--fixed", fixed, "--no-progress", org=org)

    assert done.returncode == 0, done.stderr
    successful = read_any(out / "contacts.successful.csv")
    assert successful["sf__Row"].to_list() == ["0", "1", "2", "3"]
    assert successful["ExternalId__c"].to_list() == ["C-1", "C-2", "C-3", "C-4"]
    assert read_any(out / "contacts.failed.csv").height == 0
    assert org.emulator.count("Contact") == 4
    assert json.loads((out / "contacts.sfbulk.json").read_text())["attempts"] == 2
    assert "attempt 2" in done.stdout


def test_retry_without_fixed_resends_the_failed_rows_once(org: Org, tmp_path: Path) -> None:
    source = tmp_path / "people.csv"
    pl.DataFrame(
        {"LastName": [f"n{i}" for i in range(40)], "ExternalId__c": [f"k{i}" for i in range(40)]}
    ).write_csv(source)
    org.emulator.faults.lock_rows(0.3)
    first = _upsert(source, tmp_path, org)
    assert first.returncode == 1, first.stderr
    locked = read_any(tmp_path / "people.failed.csv").height
    assert locked > 0
    assert "UNABLE_TO_LOCK_ROW" in first.stdout
    org.emulator.faults.clear()

    done = sfbulk("retry", tmp_path, "--no-progress", org=org)

    assert done.returncode == 0, done.stderr
    assert read_any(tmp_path / "people.successful.csv")["sf__Row"].to_list() == [
        str(i) for i in range(40)
    ]
    assert org.emulator.count("Contact") == 40


def test_a_result_file_can_be_loaded_again_with_a_notice(
    org: Org, contacts_frame: pl.DataFrame, tmp_path: Path
) -> None:
    source = tmp_path / "contacts.csv"
    contacts_frame.write_csv(source)
    assert _upsert(source, tmp_path, org).returncode == 1
    failed = tmp_path / "contacts.failed.csv"
    again = tmp_path / "again.csv"
    read_any(failed).with_columns(pl.lit("Hopper").alias("LastName")).write_csv(again)

    done = _upsert(again, tmp_path / "again", org)

    assert done.returncode == 0, done.stderr
    assert "reserved prefix" not in done.stderr
    assert "not sending the result columns sf__Id, sf__Error, sf__Row" in done.stderr
    assert org.emulator.count("Contact") == 4


@pytest.fixture
def org_losing_the_network_after_two_uploads() -> Iterator[Org]:
    """An org whose network breaks for new jobs once two uploads were accepted."""
    emulator = Emulator(seed=3)
    uploads = 0
    lock = threading.Lock()

    def handle(request: Request) -> Response:
        nonlocal uploads
        response = emulator.handle(request)
        if request.method == "PUT" and request.path.endswith("/batches") and response.status < 300:
            with lock:
                uploads += 1
                if uploads == 2:
                    emulator.faults.drop("/jobs/ingest", times=10, method="POST")
        return response

    with serve_org(emulator, handler=handle) as org:
        yield org


def test_a_network_failure_after_two_jobs_prints_the_resume_command_then_retry_finishes(
    org_losing_the_network_after_two_uploads: Org, tmp_path: Path
) -> None:
    org = org_losing_the_network_after_two_uploads
    rows, per_job = 50, 10
    source = tmp_path / "people.csv"
    pl.DataFrame(
        {
            "LastName": [f"n{i}" for i in range(rows)],
            "ExternalId__c": [f"k{i}" for i in range(rows)],
        }
    ).write_csv(source)
    out = tmp_path / "out dir"

    done = _upsert(
        source, out, org, "--max-records", str(per_job), "--concurrency", "1", "--nulls", "set_null"
    )

    assert done.returncode == 3, done.stderr
    assert "stopped part-way (TransportError" in done.stderr
    assert "sfbulk_frames" not in done.stderr, "no Python hint on the command line"
    command = next(
        line.strip()
        for line in done.stderr.splitlines()
        if line.strip().startswith("sfbulk jobs resume")
    )
    words = shlex.split(command)
    assert len([w for w in words if w.startswith("750")]) == 2
    assert words[words.index("--max-records") + 1] == str(per_job)
    assert words[words.index("--concurrency") + 1] == "1"
    assert words[words.index("--nulls") + 1] == "set_null"
    assert words[words.index("--output-dir") + 1] == str(out)
    assert f"sfbulk retry '{out}'" in done.stderr
    assert org.emulator.count("Contact") == 2 * per_job
    # the network is back: collect the two jobs, then send the rows no job received
    org.emulator.faults.clear()
    connection = words.index("--instance-url")
    resumed = sfbulk(*words[1:connection], org=org)
    assert resumed.returncode == 1, resumed.stderr
    unprocessed = read_any(out / "people.unprocessed.csv")
    assert unprocessed["sf__Row"].to_list() == [str(i) for i in range(2 * per_job, rows)]
    assert unprocessed["sf__Error"].str.starts_with("NOT_SENT:").all()

    retried = sfbulk("retry", out, "--no-progress", org=org)

    assert retried.returncode == 0, retried.stderr
    assert read_any(out / "people.successful.csv").height == rows
    assert org.emulator.count("Contact") == rows
    manifest = json.loads((out / "people.sfbulk.json").read_text())
    assert manifest["options"]["max_records"] == per_job
    assert len(manifest["jobs"]) == 2 + (rows - 2 * per_job) // per_job
