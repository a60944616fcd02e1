"""BulkResult: parts of the input's kind, annotate, summary, repr and HTML, on both backends."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd
import polars as pl
import pytest

from sfbulk_frames._exceptions import JobFailedError
from sfbulk_frames._models import JobInfo, JobState
from sfbulk_frames.frames.backend import backend_of, to_polars
from sfbulk_frames.frames.result import BulkResult

from .conftest import as_backend, column_values

INPUT = pl.DataFrame({
    "Name": ["a", "b", "c", "d", "e"],
    "N": [1, None, 3, 4, 5],
    "When": [dt.date(2024, 1, i) for i in range(1, 6)],
})


def make_input(backend: str) -> Any:
    df = as_backend(INPUT, backend)
    if backend == "pandas":
        df.index = pd.Index([f"r{i}" for i in range(5)], name="key")
    return df


def build(df: Any, jobs: list[JobInfo] | None = None,
          unmatched: pl.DataFrame | None = None) -> BulkResult:
    frame = to_polars(df)
    assert isinstance(frame, pl.DataFrame)
    rows = frame.with_row_index("sf__Row").with_columns(pl.col("sf__Row").cast(pl.Int64))
    successful = rows.filter(pl.col("sf__Row").is_in([0, 3])).with_columns(
        sf__Id=pl.Series(["001A", "001D"]), sf__Created=pl.Series([True, False]))
    failed = rows.filter(pl.col("sf__Row").is_in([1, 4])).with_columns(
        sf__Id=pl.lit(None, dtype=pl.String),
        sf__Error=pl.Series(["REQUIRED_FIELD_MISSING:Required fields are missing: [N]:N --",
                             "STRING_TOO_LONG:Name: data value too large:Name --"]))
    unprocessed = rows.filter(pl.col("sf__Row") == 2).with_columns(
        sf__Error=pl.lit(None, dtype=pl.String))
    backend = backend_of(df)
    extra: dict[str, Any] = {"pandas_source": df} if backend == "pandas" else {}
    return BulkResult.from_parts(
        backend=backend, successful=successful, failed=failed, unprocessed=unprocessed,
        jobs=jobs if jobs is not None else [JobInfo(id="750A", state=JobState.JOB_COMPLETE)],
        unmatched=unmatched, object="Contact", operation="insert",
        input_columns=list(frame.columns), **extra,
    )


def test_parts_are_of_the_input_kind_with_input_values_and_sf_columns(backend: str) -> None:
    df = make_input(backend)
    res = build(df)
    assert backend_of(res.successful) == backend
    assert column_values(res.successful, "Name") == ["a", "d"]
    assert column_values(res.successful, "sf__Id") == ["001A", "001D"]
    assert column_values(res.successful, "sf__Created") == [True, False]
    assert column_values(res.failed, "Name") == ["b", "e"]
    assert column_values(res.failed, "N") == [None, 5]
    assert column_values(res.unprocessed, "sf__Row") == [2]
    assert list(res.successful.columns) == ["Name", "N", "When", "sf__Id", "sf__Created", "sf__Row"]


def test_pandas_parts_keep_index_labels_and_input_dtypes() -> None:
    df = make_input("pandas")
    res = build(df)
    assert list(res.failed.index) == ["r1", "r4"]
    for name in ["Name", "N", "When"]:
        assert res.failed[name].dtype == df[name].dtype


def test_failed_rows_join_back_to_the_input_on_payload_columns(backend: str) -> None:
    df = make_input(backend)
    res = build(df)
    if backend == "polars":
        joined = df.join(res.failed, on=["Name", "When"], how="inner")
        assert joined.get_column("Name").to_list() == ["b", "e"]
    else:
        joined = df.merge(res.failed, on=["Name", "When"], how="inner")
        assert joined["Name"].tolist() == ["b", "e"]


def test_annotate_returns_the_input_order_with_status(backend: str) -> None:
    res = build(make_input(backend))
    annotated = res.annotate()
    assert column_values(annotated, "Name") == ["a", "b", "c", "d", "e"]
    assert column_values(annotated, "status") == [
        "success", "failed", "unprocessed", "success", "failed"]
    assert column_values(annotated, "sf__Id") == ["001A", None, None, "001D", None]
    assert list(annotated.columns) == ["Name", "N", "When", "sf__Id", "sf__Created",
                                       "sf__Error", "status"]
    if backend == "pandas":
        assert list(annotated.index) == ["r0", "r1", "r2", "r3", "r4"]


def test_summary_counts_rows_jobs_and_error_codes(backend: str) -> None:
    summary = build(make_input(backend)).summary()
    assert summary["rows"] == 5
    assert (summary["successful"], summary["failed"], summary["unprocessed"]) == (2, 2, 1)
    assert summary["errors"] == {"REQUIRED_FIELD_MISSING": 1, "STRING_TOO_LONG": 1}
    assert summary["job_states"] == {"JobComplete": 1}
    assert summary["ok"] is False


def test_error_counts_is_a_frame_of_codes(backend: str) -> None:
    counts = build(make_input(backend)).error_counts()
    assert backend_of(counts) == backend
    assert column_values(counts, "code") == ["REQUIRED_FIELD_MISSING", "STRING_TOO_LONG"]
    assert column_values(counts, "count") == [1, 1]


def test_ok_requires_no_failures_and_every_job_complete() -> None:
    df = INPUT.head(1)
    part = df.with_columns(sf__Row=pl.lit(0, dtype=pl.Int64), sf__Id=pl.lit("001"),
                           sf__Created=pl.lit(True))
    good = BulkResult.from_parts(
        backend="polars", successful=part, failed=None, unprocessed=None,
        jobs=[JobInfo(id="750A", state=JobState.JOB_COMPLETE)], object="Contact",
        operation="insert", input_columns=df.columns)
    assert good.ok
    assert good.raise_for_failures() is good
    aborted = BulkResult.from_parts(
        backend="polars", successful=part, failed=None, unprocessed=None,
        jobs=[JobInfo(id="750B", state=JobState.ABORTED, error_message="aborted by user")],
        object="Contact", operation="insert", input_columns=df.columns)
    assert not aborted.ok
    assert aborted.failed.schema["N"] == pl.Int64  # empty parts keep the payload dtypes


def test_raise_for_failures_names_counts_jobs_and_how_to_inspect(backend: str) -> None:
    jobs = [JobInfo(id="750F", state=JobState.FAILED,
                    error_message="InvalidBatch : Field name not found : Bogus")]
    res = build(make_input(backend), jobs=jobs)
    with pytest.raises(JobFailedError, match="2 failed, 1 unprocessed of 5 rows") as info:
        res.raise_for_failures()
    message = str(info.value)
    assert "750F Failed: InvalidBatch : Field name not found : Bogus" in message
    assert "res.failed" in message
    assert info.value.job_ids == ["750F"]


def test_repr_is_readable(backend: str) -> None:
    text = repr(build(make_input(backend)))
    assert text == (
        "<BulkResult Contact insert: 5 rows — 2 successful, 2 failed, 1 unprocessed; "
        "1 job (1 JobComplete); ok=False>"
    )


def test_html_shows_counts_codes_and_escaped_failed_rows(backend: str) -> None:
    source = INPUT.with_columns(Name=pl.Series(["a", "<script>x</script>", "c", "d", "e"]))
    df = as_backend(source, backend)
    page = build(df)._repr_html_()
    assert "REQUIRED_FIELD_MISSING" in page
    assert "<td>failed</td><td>2</td>" in page
    assert "&lt;script&gt;" in page
    assert "<script>" not in page


def test_unmatched_rows_are_kept_and_make_the_result_not_ok(backend: str) -> None:
    df = make_input(backend)
    frame = to_polars(df)
    assert isinstance(frame, pl.DataFrame)
    every_row_succeeded: dict[str, Any] = {
        "backend": backend_of(df),
        "successful": frame.with_row_index("sf__Row").with_columns(
            pl.col("sf__Row").cast(pl.Int64), sf__Id=pl.lit("001A"), sf__Created=pl.lit(True)
        ),
        "failed": None,
        "unprocessed": None,
        "jobs": [JobInfo(id="750A", state=JobState.JOB_COMPLETE)],
        "object": "Contact",
        "operation": "insert",
        "input_columns": list(frame.columns),
        **({"pandas_source": df} if backend == "pandas" else {}),
    }
    assert BulkResult.from_parts(**every_row_succeeded).ok  # the baseline: ok
    unmatched = pl.DataFrame({"sf__Row": [None], "sf__Result": ["successful"], "Name": ["zzz"]},
                             schema_overrides={"sf__Row": pl.Int64})
    res = BulkResult.from_parts(**every_row_succeeded, unmatched=unmatched)
    assert not res.ok
    assert column_values(res.unmatched, "Name") == ["zzz"]
    assert "1 unmatched" in repr(res)
    with pytest.raises(JobFailedError, match="1 result rows matched no input row"):
        res.raise_for_failures()


def test_empty_result_of_an_empty_frame_has_typed_empty_parts(backend: str) -> None:
    df = as_backend(INPUT.head(0), backend)
    res = BulkResult.empty(df, "Contact", "insert")
    assert res.ok
    assert res.jobs == []
    assert len(res.successful) == 0
    assert backend_of(res.failed) == backend
    assert list(res.annotate().columns)[:3] == ["Name", "N", "When"]
    assert res.summary()["rows"] == 0
