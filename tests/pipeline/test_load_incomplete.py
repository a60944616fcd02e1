"""A load that stops after its first upload loses nothing: the error carries the job ids, the
partial result (rows no job received are ``NOT_SENT``) and the call that finishes the load."""

from __future__ import annotations

import _thread
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from polars.io.plugins import register_io_source

import sfbulk_frames as sfb
from sfbulk_frames import testing
from sfbulk_frames.emulator import Emulator
from sfbulk_frames.frames.backend import DEFAULT_BATCH_ROWS as BATCH_ROWS
from sfbulk_frames.testing import assert_partition

from .conftest import to_pl

ROWS_PER_PART = 10
SCHEMA = pl.Schema({"LastName": pl.String, "ExternalId__c": pl.String})


def _part(i: int, rows: int = ROWS_PER_PART) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "LastName": [f"n{i}-{j}" for j in range(rows)],
            "ExternalId__c": [f"k{i}-{j}" for j in range(rows)],
        }
    )


def _parquet_folder(folder: Path, parts: int, corrupt: int | None, rows: int) -> pl.LazyFrame:
    for i in range(parts):
        _part(i, rows).write_parquet(folder / f"part{i}.parquet")
    if corrupt is not None:
        (folder / f"part{corrupt}.parquet").write_bytes(b"PAR1" + b"not parquet" * 20 + b"PAR1")
    return pl.scan_parquet(folder / "*.parquet")


def _failing_source(good_parts: int, rows: int = ROWS_PER_PART) -> pl.LazyFrame:
    """A LazyFrame whose source yields ``good_parts`` parts, then raises an I/O error."""

    def source(
        with_columns: Any, predicate: Any, n_rows: Any, batch_size: Any
    ) -> Iterator[pl.DataFrame]:
        for i in range(good_parts):
            yield _part(i, rows)
        raise OSError(5, "Input/output error", "/mnt/share/part2.parquet")

    return register_io_source(source, schema=SCHEMA)


def _upsert(df: Any, client: sfb.Client, max_records: int = ROWS_PER_PART) -> sfb.BulkResult:
    return sfb.upsert(
        df,
        "Contact",
        "ExternalId__c",
        client=client,
        max_records=max_records,
        max_concurrent_jobs=1,
        progress=False,
    )


def test_a_corrupt_file_in_a_scanned_folder_after_two_jobs_loses_nothing(
    client: sfb.Client, emulator: Emulator, tmp_path: Path
) -> None:
    # polars reads a folder in batches of the pipeline's size: one file per batch and job
    rows = BATCH_ROWS
    scan = _parquet_folder(tmp_path, parts=3, corrupt=2, rows=rows)
    with pytest.raises(sfb.LoadIncompleteError) as err:
        _upsert(scan, client, max_records=rows)
    exc = err.value
    assert isinstance(exc.__cause__, pl.exceptions.PolarsError)
    assert len(exc.job_ids) == 2
    assert f"sfbulk_frames.resume(df, {exc.job_ids!r})" in exc.resume_hint
    assert exc.resume_hint in str(exc)
    partial = exc.result
    assert partial.counts()["successful"] == 2 * rows  # the two jobs finished
    assert not partial.ok, "a partial result is never ok"
    assert_partition(partial, 2 * rows)
    assert emulator.count("Contact") == 2 * rows
    # the file is fixed; resume collects the two jobs and retry sends only the rest
    _part(2, rows).write_parquet(tmp_path / "part2.parquet")
    fixed = pl.scan_parquet(tmp_path / "*.parquet")
    resumed = sfb.resume(fixed, exc.job_ids, client=client, progress=False)
    not_sent = to_pl(resumed.unprocessed)
    assert not_sent["sf__Row"].to_list() == list(range(2 * rows, 3 * rows))
    assert not_sent["sf__Error"].str.starts_with("NOT_SENT:").all()
    final = resumed.retry()
    assert final.ok
    assert_partition(final, 3 * rows)
    assert emulator.count("Contact") == 3 * rows
    keys = emulator.sql('SELECT COUNT(DISTINCT ExternalId__c) FROM "Contact"')
    assert keys == [(3 * rows,)], "every key once: nothing lost, nothing duplicated"


def test_an_os_error_from_a_lazyframe_source_keeps_every_row_read(
    client: sfb.Client, emulator: Emulator
) -> None:
    # two source parts of one pipeline batch each, in jobs of 3/4 of a batch: two jobs are
    # uploaded, and the last quarter of the rows read never reaches a job
    rows, per_job = BATCH_ROWS, BATCH_ROWS * 3 // 4
    with pytest.raises(sfb.LoadIncompleteError) as err:
        _upsert(_failing_source(good_parts=2, rows=rows), client, max_records=per_job)
    exc = err.value
    assert isinstance(exc.__cause__, OSError)
    assert "Input/output error" in exc.reason
    assert len(exc.job_ids) == 2
    partial = exc.result
    assert "(partial" in repr(partial)
    assert_partition(partial, 2 * rows)
    assert to_pl(partial.successful).height == 2 * per_job
    rest = to_pl(partial.unprocessed)
    assert rest["sf__Row"].to_list() == list(range(2 * per_job, 2 * rows))
    assert rest["sf__Error"].str.starts_with("NOT_SENT:the load stopped (OSError").all()
    assert emulator.count("Contact") == 2 * per_job
    final = partial.retry()
    assert final.counts()["successful"] == 2 * rows
    assert not final.complete, "still only the rows read before the source failed"
    assert emulator.count("Contact") == 2 * rows


def test_a_source_error_before_any_upload_is_raised_as_is(
    client: sfb.Client, emulator: Emulator
) -> None:
    with pytest.raises(OSError, match="Input/output error"):
        _upsert(_failing_source(good_parts=0), client)
    assert emulator.jobs_seen() == {} or sum(emulator.jobs_seen().values()) == 0


@pytest.fixture
def slow_emulator() -> Iterator[Emulator]:
    with (
        Emulator(seed=3, processing="background", processing_delay=1.5) as emu,
        testing.fast_polling(),
    ):
        yield emu


def test_ctrl_c_after_the_first_upload_marks_unsent_rows_and_resume_then_retry_finishes(
    slow_emulator: Emulator,
) -> None:
    df = pl.concat([_part(i) for i in range(3)])
    interrupted = False

    def ctrl_c_after_first_upload(event: sfb.ProgressEvent) -> None:
        nonlocal interrupted
        if event.kind == "chunk_uploaded" and not interrupted:
            interrupted = True
            _thread.interrupt_main()  # what Ctrl-C does to the main thread

    with slow_emulator.client() as client:
        with pytest.raises(sfb.JobInterruptedError) as err:
            sfb.upsert(
                df,
                "Contact",
                "ExternalId__c",
                client=client,
                max_records=10,
                max_concurrent_jobs=1,
                progress=ctrl_c_after_first_upload,
            )
        exc = err.value
        assert len(exc.job_ids) == 1
        partial = exc.result
        assert_partition(partial, 30)
        unprocessed = to_pl(partial.unprocessed).sort("sf__Row")
        first_job = unprocessed.filter(pl.col("sf__Row") < 10)["sf__Error"].to_list()
        never_sent = unprocessed.filter(pl.col("sf__Row") >= 10)["sf__Error"].to_list()
        not_sent = "NOT_SENT:load interrupted (Ctrl-C) before this row was uploaded"
        assert never_sent == [not_sent] * 20
        # The first job received its 10 rows. Whether its result was collected before the
        # interrupt landed depends on the machine: each row is then either successful or
        # PENDING on that job, never both, never lost, never NOT_SENT.
        assert len(first_job) + partial.counts()["successful"] == 10
        assert all(
            e.startswith(f"PENDING:job {exc.job_ids[0]} received this row") for e in first_job
        )
        if first_job:
            with pytest.raises(sfb.ConfigurationError, match="resume"):
                partial.retry()  # the first job's rows may still be written: no duplicates
        resumed = sfb.resume(df, exc.job_ids, client=client, progress=False)
        assert resumed.counts()["successful"] == 10
        final = resumed.retry(progress=False, max_records=10)
    assert final.ok
    assert [len(r.jobs) for r in final.attempts] == [1, 2]
    assert slow_emulator.count("Contact") == 30


def test_ctrl_c_landing_while_a_chunk_is_handed_to_its_worker_keeps_its_rows_pending(
    slow_emulator: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The worker uploads before the main thread's submit returns; the Ctrl-C it triggers lands
    in the main thread right there. The uploaded rows must not be reported NOT_SENT (a retry
    would send them twice)."""
    from concurrent.futures import Future, ThreadPoolExecutor

    from sfbulk_frames.pipeline import ingest

    uploaded = threading.Event()

    class SlowToReturnPool(ThreadPoolExecutor):
        def submit(self, fn: Any, /, *args: Any, **kwargs: Any) -> Future[Any]:
            future = super().submit(fn, *args, **kwargs)
            uploaded.wait(10)  # the interrupt is pending when this returns
            return future

    def ctrl_c_on_upload(event: sfb.ProgressEvent) -> None:
        if event.kind == "chunk_uploaded" and not uploaded.is_set():
            _thread.interrupt_main()
            uploaded.set()

    monkeypatch.setattr(ingest, "ThreadPoolExecutor", SlowToReturnPool)
    df = pl.concat([_part(i) for i in range(2)])
    with slow_emulator.client() as client:
        with pytest.raises(sfb.JobInterruptedError) as err:
            _ = sfb.insert(
                df, "Contact", client=client, max_records=10, max_concurrent_jobs=1,
                progress=ctrl_c_on_upload,
            )
        partial = err.value.result
        assert_partition(partial, 20)
        unprocessed = to_pl(partial.unprocessed).sort("sf__Row")
        first_job = unprocessed.filter(pl.col("sf__Row") < 10)["sf__Error"]
        assert first_job.len() + partial.counts()["successful"] == 10
        assert first_job.str.starts_with(f"PENDING:job {err.value.job_ids[0]} ").all()
        rest = unprocessed.filter(pl.col("sf__Row") >= 10)["sf__Error"]
        assert rest.str.starts_with("NOT_SENT:").all()
        assert rest.len() == 10
        final = sfb.resume(df, err.value.job_ids, client=client, progress=False).retry(
            progress=False
        )
    assert final.ok
    assert slow_emulator.count("Contact") == 20  # inserted once each


def test_a_timeout_carries_the_partial_result_with_pending_rows(slow_emulator: Emulator) -> None:
    df = pl.concat([_part(i) for i in range(2)])
    with slow_emulator.client() as client:
        with pytest.raises(sfb.JobTimeoutError) as err:
            sfb.upsert(
                df,
                "Contact",
                "ExternalId__c",
                client=client,
                max_records=10,
                timeout=0.2,
                progress=False,
            )
        exc = err.value
        partial = exc.result
        assert not partial.complete
        assert_partition(partial, 20)
        pending = to_pl(partial.unprocessed)["sf__Error"]
        assert pending.str.starts_with("PENDING:job ").all()
        assert pending.str.contains("sfbulk_frames.resume(df, ", literal=True).all()
        final = sfb.resume(df, exc.job_ids, client=client, progress=False)
    assert final.ok
    assert slow_emulator.count("Contact") == 20


def test_a_crash_in_the_pipeline_after_uploads_raises_load_incomplete(
    client: sfb.Client, emulator: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sfbulk_frames.pipeline import chunk_runner

    real_match = chunk_runner.match_encoded

    def crash_on_second_chunk(rows: pl.DataFrame, *args: Any, start: int, **kwargs: Any) -> Any:
        if start == ROWS_PER_PART:
            raise RuntimeError("bug while matching results")
        return real_match(rows, *args, start=start, **kwargs)

    monkeypatch.setattr(chunk_runner, "match_encoded", crash_on_second_chunk)
    df = pl.concat([_part(i) for i in range(3)])
    with pytest.raises(sfb.LoadIncompleteError) as err:
        _upsert(df, client)
    exc = err.value
    assert isinstance(exc.__cause__, RuntimeError)
    assert len(exc.job_ids) == 2, "no job is started once one failed"
    partial = exc.result
    assert_partition(partial, 30)
    errors = to_pl(partial.unprocessed).sort("sf__Row")
    assert errors["sf__Row"].to_list() == list(range(10, 30))
    assert (
        errors["sf__Error"]
        .head(10)
        .str.starts_with(
            f"PENDING:job {exc.job_ids[1]} received this row but its result was not collected "
            "(RuntimeError: bug while matching results)"
        )
        .all()
    )
    assert errors["sf__Error"].tail(10).str.starts_with("NOT_SENT:the load stopped").all()
    monkeypatch.undo()
    final = sfb.resume(df, exc.job_ids, client=client, progress=False).retry()
    assert final.ok
    assert emulator.count("Contact") == 30
