"""Progress while Salesforce works: against an emulator that holds every job for a while, the
log lines (and the notebook widget) must move during the wait, not only at the end."""

from __future__ import annotations

import itertools
import logging
import re
import warnings
from collections.abc import Iterator

import ipywidgets
import pandas as pd
import polars as pl
import pytest

import sfbulk_frames as sfb
from sfbulk_frames._config import PollPolicy
from sfbulk_frames._exceptions import ConfigurationError
from sfbulk_frames.emulator import Emulator
from sfbulk_frames.pipeline import progress_views
from sfbulk_frames.pipeline.progress import Progress, Reporter
from sfbulk_frames.pipeline.reporting import make_reporter

DELAY = 1.5  # seconds each job waits in the emulator before it is processed
HEARTBEAT = 0.3
POLL = PollPolicy(initial=0.1, factor=1.0)


@pytest.fixture
def slow_client() -> Iterator[object]:
    with Emulator(processing="background", processing_delay=DELAY) as emu:
        yield emu.client()


def _contacts(n: int, bad: int = 0) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "ExternalId__c": [f"p-{i}" for i in range(n)],
            "LastName": ["Lee"] * (n - bad) + [None] * bad,
        }
    )


def _progress_records(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.getMessage().startswith("upsert Contact:")]


def _elapsed(message: str) -> str:
    match = re.search(r"elapsed (\S+?);?( job ids .*)?$", message)
    assert match is not None, message
    return match.group(1)


def test_log_lines_advance_while_jobs_wait(slow_client, caplog):
    caplog.set_level(logging.INFO, logger="sfbulk_frames")
    res = _contacts(30, bad=2).sfbulk.upsert(
        "Contact",
        "ExternalId__c",
        client=slow_client,
        poll=POLL,
        max_records=10,
        progress=Progress("log", heartbeat=HEARTBEAT, redraw=0.05),
    )
    assert len(res.failed) == 2
    records = _progress_records(caplog)
    messages = [r.getMessage() for r in records]
    assert all("\r" not in m and "\n" not in m for m in messages)
    phases = [m.split(":", 1)[1].split(";")[0].strip() for m in messages]
    firsts = [p for p in phases if not p.startswith("still")]
    assert firsts == ["uploading", "processing", "downloading", "done"], messages
    heartbeats = [r for r in records if ": still processing;" in r.getMessage()]
    assert len(heartbeats) >= 2, messages
    assert len({_elapsed(r.getMessage()) for r in heartbeats}) >= 2, "elapsed did not advance"
    assert any("UploadComplete" in m for m in messages)  # seen while the jobs waited
    processing = next(m for m in messages if ": processing;" in m)
    ids = processing.split("; job ids ", 1)[1].split(", ")
    assert sorted(ids) == sorted(job.id for job in res.jobs)  # created concurrently: any order
    assert "3 jobs: 3 JobComplete" in messages[-1]
    assert "failed 2" in messages[-1]
    # at most one heartbeat per interval: each is at least HEARTBEAT after the line before it
    for before, beat in itertools.pairwise(records):
        if beat in heartbeats:
            assert beat.created - before.created >= HEARTBEAT - 0.01
    for message in messages:  # integer counts only (elapsed time is the one decimal)
        counts = re.sub(r"elapsed \S+", "", message)
        assert not re.search(r"\d\.\d", counts), message
    assert "30/30" in messages[-1]
    assert "30,000" not in messages[-1]


def test_auto_on_a_pipe_logs_lines_and_draws_no_bar(slow_client, caplog, capfd):
    caplog.set_level(logging.INFO, logger="sfbulk_frames")
    _contacts(5).sfbulk.upsert("Contact", "ExternalId__c", client=slow_client, poll=POLL)
    err = capfd.readouterr().err
    assert "\r" not in err
    assert "|" not in err
    messages = [r.getMessage() for r in _progress_records(caplog)]
    assert messages[0].startswith("upsert Contact: uploading; rows uploaded 0/5")
    assert messages[-1].startswith("upsert Contact: done; processed 5/5")


def test_progress_false_is_silent(slow_client, caplog, capfd):
    caplog.set_level(logging.DEBUG, logger="sfbulk_frames")
    _contacts(3).sfbulk.upsert(
        "Contact", "ExternalId__c", client=slow_client, poll=POLL, progress=False
    )
    assert not _progress_records(caplog)
    assert capfd.readouterr().err == ""


def test_query_shows_its_job_running_before_the_pages(slow_client, caplog):
    _contacts(4).sfbulk.upsert(
        "Contact", "ExternalId__c", client=slow_client, poll=POLL, progress=False
    )
    caplog.set_level(logging.INFO, logger="sfbulk_frames")
    frame = sfb.query(
        "SELECT Id FROM Contact",
        client=slow_client,
        poll=POLL,
        progress=Progress("log", heartbeat=HEARTBEAT, redraw=0.05),
    )
    assert frame.height == 4
    messages = [r.getMessage() for r in caplog.records if r.getMessage().startswith("query")]
    assert any("still processing" in m and "1 UploadComplete" in m for m in messages), messages
    assert messages[-1].startswith("query Contact: done; rows downloaded 4/4")


def _events(reporter: Reporter, *, failed: int, job_state: str) -> None:
    reporter.emit("start", "insert", object="Account", total_rows=10)
    reporter.emit("chunk_uploaded", "insert", job_id="750A", rows=10, state="UploadComplete")
    reporter.emit("uploads_done", "insert")
    reporter.emit("job_done", "insert", job_id="750A", state=job_state, processed=10, failed=failed)
    reporter.emit("results_downloaded", "insert", job_id="750A", rows=10)
    reporter.emit("finish", "insert")


COLOURS = [(0, "JobComplete", "success"), (3, "JobComplete", "warning"), (0, "Failed", "danger")]


@pytest.mark.parametrize(("failed", "job_state", "style"), COLOURS)
def test_widget_colour_follows_failures(failed, job_state, style):
    reporter = Reporter()
    _events(reporter, failed=failed, job_state=job_state)
    assert progress_views.widget_style(reporter.run, 10) == style


def test_a_stopped_run_is_red():
    reporter = Reporter()
    reporter.emit("start", "insert", object="Account", total_rows=10)
    reporter.emit("finish", "insert", message="stopped")
    assert progress_views.widget_style(reporter.run, 10) == "danger"


@pytest.mark.parametrize(("failed", "job_state", "style"), COLOURS)
def test_notebook_widget_is_painted_after_tqdm_closes_it(failed, job_state, style):
    reporter = Reporter(progress_views.Bar(notebook=True))
    _events(reporter, failed=failed, job_state=job_state)
    reporter.close()
    widget = reporter._renderer._bar.container.children[1]  # type: ignore[attr-defined]
    assert isinstance(widget, ipywidgets.FloatProgress)
    assert widget.bar_style == style
    assert widget.value == widget.max == 10


def test_notebook_without_ipywidgets_gets_a_text_bar_and_no_warning(monkeypatch):
    monkeypatch.setattr(progress_views, "in_notebook", lambda: True)
    monkeypatch.setattr(progress_views, "_has_ipywidgets", lambda: False)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        reporter = make_reporter("auto")
    renderer = reporter._renderer
    assert isinstance(renderer, progress_views.Bar)
    assert not renderer.notebook


def test_auto_in_a_notebook_with_ipywidgets_is_the_widget(monkeypatch):
    monkeypatch.delenv(progress_views.PROGRESS_ENV, raising=False)
    monkeypatch.setattr(progress_views, "in_notebook", lambda: True)
    renderer = make_reporter("auto")._renderer
    assert isinstance(renderer, progress_views.Bar)
    assert renderer.notebook


def test_sfbulk_progress_bar_makes_auto_a_text_bar_in_a_notebook(monkeypatch):
    monkeypatch.setenv(progress_views.PROGRESS_ENV, "bar")
    monkeypatch.setattr(progress_views, "in_notebook", lambda: True)
    renderer = make_reporter("auto")._renderer
    assert isinstance(renderer, progress_views.Bar)
    assert not renderer.notebook


def test_sfbulk_progress_does_not_override_an_explicit_mode(monkeypatch):
    monkeypatch.setenv(progress_views.PROGRESS_ENV, "off")
    assert isinstance(make_reporter("log")._renderer, progress_views.LogLines)


def test_an_unknown_sfbulk_progress_value_names_the_variable(monkeypatch):
    monkeypatch.setenv(progress_views.PROGRESS_ENV, "widget")
    with pytest.raises(ConfigurationError, match=r"SFBULK_PROGRESS='widget'.*bar, log"):
        make_reporter("auto")


def test_the_redraw_thread_stops_on_close(slow_client):
    reporter = make_reporter(Progress("log", heartbeat=HEARTBEAT, redraw=0.05))
    reporter.emit("start", "insert", object="Account", total_rows=1)
    ticker = reporter._ticker
    assert ticker is not None
    assert ticker.is_alive()
    reporter.close()
    assert not ticker.is_alive()


def _first_line(caplog: pytest.LogCaptureFixture) -> str:
    return _progress_records(caplog)[0].getMessage()


def test_a_parquet_scan_has_a_total_from_its_metadata(tmp_path, caplog):
    path = tmp_path / "contacts.parquet"
    pl.from_pandas(_contacts(5)).write_parquet(path)
    caplog.set_level(logging.INFO, logger="sfbulk_frames")
    with Emulator() as emu:
        pl.scan_parquet(path).sfbulk.upsert(
            "Contact", "ExternalId__c", client=emu.client(), progress="log"
        )
        assert _first_line(caplog).startswith("upsert Contact: uploading; rows uploaded 0/5;")
        caplog.clear()
        filtered = pl.scan_parquet(path).filter(pl.col("ExternalId__c") != "p-0")
        filtered.sfbulk.upsert("Contact", "ExternalId__c", client=emu.client(), progress="log")
        assert _first_line(caplog).startswith("upsert Contact: uploading; rows uploaded 0;")
        caplog.clear()
        filtered.sfbulk.upsert(
            "Contact", "ExternalId__c", client=emu.client(), progress=Progress("log", total_rows=4)
        )
        assert _first_line(caplog).startswith("upsert Contact: uploading; rows uploaded 0/4;")
