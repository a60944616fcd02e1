"""What ``sfbulk`` shows while Salesforce works, on a terminal (a pseudo-terminal) and in a
pipeline (stderr is a pipe), against a served emulator that holds every job for a while; and
``--quiet``, ``--json`` and a closed stdout pipe."""

from __future__ import annotations

import fcntl
import itertools
import json
import os
import re
import select
import struct
import subprocess
import sys
import termios
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import polars as pl
import pytest

from sfbulk_frames.cli.output import count_input_rows
from sfbulk_frames.emulator import Emulator

from .harness import Org, _env, serve_org, sfbulk

DELAY = 2.5  # seconds each job waits in the emulator before it is processed


@pytest.fixture
def slow_org() -> Iterator[Org]:
    with serve_org(Emulator(seed=3, processing="background", processing_delay=DELAY)) as org:
        yield org


@pytest.fixture
def contacts_csv(tmp_path: Path) -> Path:
    path = tmp_path / "contacts.csv"
    pl.DataFrame(
        {
            "ExternalId__c": ["C-1", "C-2", "C-3"],
            "LastName": ["Lovelace", "Zola", "Hopper"],
        }
    ).write_csv(path)
    return path


def _run_on_a_terminal(args: list[str], org: Org) -> tuple[int, str]:
    """Run sfbulk with stderr on a pseudo-terminal (120 columns); returns (exit code, the
    terminal's bytes as text)."""
    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 30, 120, 0, 0))
    command = [sys.executable, "-m", "sfbulk_frames", *args, *org.connection()]
    process = subprocess.Popen(
        command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=slave, env=_env()
    )
    os.close(slave)
    chunks = []
    while True:
        ready, _, _ = select.select([master], [], [], 1.0)
        if not ready:
            if process.poll() is not None:
                break
            continue
        try:
            data = os.read(master, 65536)
        except OSError:  # the child closed the terminal
            break
        if not data:
            break
        chunks.append(data)
    os.close(master)
    code = process.wait(timeout=60)
    text = b"".join(chunks).decode("utf-8", "replace")
    assert org.token not in text
    return code, text


def test_the_terminal_bar_ticks_and_shows_job_states_while_jobs_wait(slow_org, contacts_csv):
    code, text = _run_on_a_terminal(
        ["upsert", "Contact", str(contacts_csv), "--external-id", "ExternalId__c"], slow_org
    )
    assert code == 0, text
    frames = [f for f in re.split(r"[\r\n]+", text) if f.startswith("upsert Contact · ")]
    waiting = [f for f in frames if f.startswith("upsert Contact · processing ")]
    clocks = {re.match(r"upsert Contact · processing (\d\d:\d\d) ", f).group(1) for f in waiting}
    assert len(clocks) >= 2, f"elapsed time did not tick while the job waited: {frames}"
    assert any("jobs 1 UploadComplete" in f for f in waiting), frames
    assert any("jobs 1 JobComplete" in f for f in frames), frames
    assert any(re.search(r"\| [0-3]/3 · ", f) for f in frames if " uploading " in f), frames
    assert any("| 3/3 · " in f for f in frames if " done " in f), frames
    assert not re.search(r"\d\.\d\d ?(row|/)", text)  # integers, never 0.00row or 6.00/6.00
    assert "ETA" in text  # the total is known (counted from the CSV)


def _log_time(line: str) -> datetime:
    return datetime.strptime(line[:23], "%Y-%m-%d %H:%M:%S,%f")


def test_a_pipeline_gets_log_lines_and_no_carriage_returns(slow_org, contacts_csv):
    done = sfbulk("upsert", "Contact", contacts_csv, "--external-id", "ExternalId__c", org=slow_org)
    assert done.returncode == 0, done.stderr
    assert "\r" not in done.stderr
    lines = [line for line in done.stderr.splitlines() if "sfbulk_frames: upsert Contact:" in line]
    phases = [line.split("upsert Contact: ", 1)[1].split(";")[0] for line in lines]
    assert [p for p in phases if not p.startswith("still")] == [
        "uploading",
        "processing",
        "downloading",
        "done",
    ]
    assert "1 UploadComplete" in lines[1]
    assert "1 JobComplete" in lines[-1]
    beats = [_log_time(line) for line in lines if ": still " in line]
    assert all((b - a).total_seconds() >= 30 for a, b in itertools.pairwise(beats))
    assert "upsert Contact from contacts.csv: 3 rows, 1 job" in done.stdout


def test_quiet_prints_nothing_and_still_writes_the_results(org, contacts_csv):
    done = sfbulk(
        "upsert", "Contact", contacts_csv, "--external-id", "ExternalId__c", "--quiet", org=org
    )
    assert done.returncode == 0
    assert done.stdout == ""
    assert done.stderr == ""
    assert pl.read_csv(contacts_csv.with_name("contacts.successful.csv")).height == 3


def test_json_summary_on_stdout(org, tmp_path):
    path = tmp_path / "contacts.csv"
    pl.DataFrame({"ExternalId__c": ["C-1", "C-2"], "LastName": ["Lee", None]}).write_csv(path)
    done = sfbulk(
        "upsert",
        "Contact",
        path,
        "--external-id",
        "ExternalId__c",
        "--json",
        "--no-progress",
        org=org,
    )
    summary = json.loads(done.stdout)
    assert summary["exit_status"] == done.returncode == 1
    assert (summary["rows"], summary["successful"], summary["failed"]) == (2, 1, 1)
    assert summary["jobs"][0]["id"].startswith("750")
    assert summary["jobs"][0]["records_failed"] == 1
    assert Path(summary["files"]["failed"]).is_file()


def test_json_error_summary_when_the_load_cannot_start(org, tmp_path):
    done = sfbulk("insert", "Contact", tmp_path / "missing.csv", "--json", org=org)
    assert done.returncode == 2
    summary = json.loads(done.stdout)
    assert summary["exit_status"] == 2
    assert "missing.csv" in summary["error"]


def _with_closed_stdout(args: list[str], org: Org) -> subprocess.CompletedProcess:
    """Run sfbulk with stdout a pipe whose reader is already gone (``| head`` that quit)."""
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        return subprocess.run(
            [sys.executable, "-m", "sfbulk_frames", *args, *org.connection()],
            stdout=write_end,
            stderr=subprocess.PIPE,
            text=True,
            env=_env(),
            timeout=120,
            check=False,
        )
    finally:
        os.close(write_end)


def test_describe_save_into_a_closed_pipe_writes_the_file_and_exits_0(org, tmp_path):
    saved = tmp_path / "c.json"
    done = _with_closed_stdout(["describe", "Contact", "--save", str(saved)], org)
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    assert json.loads(saved.read_text())["name"] == "Contact"


def test_query_into_a_closed_pipe_exits_0(org):
    done = _with_closed_stdout(["query", "SELECT Id, Name FROM Account"], org)
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    assert "Broken pipe" not in done.stderr


def test_input_rows_are_counted_quote_aware_and_from_parquet_metadata(tmp_path):
    csv = tmp_path / "quoted.csv"
    csv.write_text('Id,Description\n1,"two\nlines"\n2,plain\n', encoding="utf-8")
    assert count_input_rows(csv, "csv") == 2
    parquet = tmp_path / "rows.parquet"
    pl.DataFrame({"a": range(7)}).write_parquet(parquet)
    assert count_input_rows(parquet, "parquet") == 7
    ndjson = tmp_path / "rows.ndjson"
    ndjson.write_text('{"a": 1}\n{"a": 2}\n\n', encoding="utf-8")
    assert count_input_rows(ndjson, "ndjson") == 2
    assert count_input_rows(tmp_path / "missing.csv", "csv") is None
