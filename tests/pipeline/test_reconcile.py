"""Reconciliation against the emulator, on both backends: a reason on every row that did not
succeed, errors by code and field, and ``res.retry()`` giving one result over the input."""

from __future__ import annotations

from typing import Any

import polars as pl
import pytest

import sfbulk_frames as sfb
from sfbulk_frames.frames.result import BulkResult
from sfbulk_frames.testing import assert_partition

from .conftest import make_frame, to_pl


def _statuses(res: BulkResult) -> list[str]:
    return to_pl(res.annotate())["status"].to_list()


def _drop_rows(frame: Any, positions: list[int]) -> Any:
    """``frame`` without the rows whose sf__Row is in ``positions``, in its own kind."""
    if isinstance(frame, pl.DataFrame):
        return frame.filter(~pl.col("sf__Row").is_in(positions))
    return frame[~frame["sf__Row"].isin(positions)]


def _set(frame: Any, column: str, value: str) -> Any:
    if isinstance(frame, pl.DataFrame):
        return frame.with_columns(pl.lit(value).alias(column))
    frame = frame.copy()
    frame[column] = value
    return frame


# --- reasons -------------------------------------------------------------------------------


def test_rows_of_a_job_that_failed_as_a_whole_carry_its_error_message(client, emulator, backend):
    emulator.faults.fail_partway(3, "InternalServerError : disk full on pod 7")
    df = make_frame(backend, {"LastName": [f"n{i}" for i in range(8)]})
    res = sfb.insert(df, "Contact", progress=False)
    job = res.jobs[0]
    assert job.state == "Failed"
    unprocessed = to_pl(res.unprocessed)
    assert unprocessed.height == 5
    assert (
        unprocessed["sf__Error"].to_list()
        == [f"JOB_FAILED:InternalServerError : disk full on pod 7 (job {job.id} Failed)"] * 5
    )
    assert to_pl(res.successful).height == 3
    summary = res.summary()
    assert summary["failed_jobs"] == [
        {"id": job.id, "state": "Failed", "error_message": job.error_message}
    ]
    html = res._repr_html_()
    assert job.id in html
    assert "disk full on pod 7" in html


def test_error_counts_group_by_code_and_field_most_first(client, emulator, backend):
    accounts = sfb.insert(
        pl.DataFrame({"Name": ["Acme"], "ExternalId__c": ["A1"]}), "Account", progress=False
    )
    assert accounts.ok
    df = make_frame(
        backend,
        {
            "LastName": ["ok", None, None, "bad date", "bad date", "bad date", "orphan"],
            "Birthdate": [
                "1990-01-01",
                None,
                None,
                "1990-13-45",
                "x",
                "2020-01-02T00:00:00.000Z",
                None,
            ],
            "Account.ExternalId__c": ["A1", "A1", "A1", "A1", "A1", "A1", "NOPE"],
        },
    )
    res = sfb.insert(df, "Contact", progress=False)
    counts = to_pl(res.error_counts())
    assert counts.columns == ["code", "field", "count"]
    assert counts.rows() == [
        ("INVALID_FIELD", "Birthdate", 3),
        ("REQUIRED_FIELD_MISSING", "LastName", 2),
        ("INVALID_FIELD", "Account.ExternalId__c", 1),
    ]
    assert res.summary()["errors"] == {"INVALID_FIELD": 4, "REQUIRED_FIELD_MISSING": 2}


# --- retry ---------------------------------------------------------------------------------


def test_retry_without_fixed_resends_every_failed_row_and_keeps_sf_row(client, emulator, backend):
    emulator.faults.lock_rows(0.4)
    df = make_frame(
        backend,
        {"LastName": [f"n{i}" for i in range(30)], "ExternalId__c": [f"k{i}" for i in range(30)]},
    )
    first = sfb.upsert(df, "Contact", "ExternalId__c", progress=False)
    failed = sorted(to_pl(first.failed)["sf__Row"].to_list())
    assert failed
    assert {e.split(":")[0] for e in to_pl(first.failed)["sf__Error"]} == {"UNABLE_TO_LOCK_ROW"}
    emulator.faults.clear()
    final = first.retry()
    assert final.ok
    assert final.attempts[0] is first
    assert len(final.attempts) == 2
    assert sorted(to_pl(final.attempts[1].successful)["sf__Id"].to_list()) == sorted(
        to_pl(final.successful).filter(pl.col("sf__Row").is_in(failed))["sf__Id"].to_list()
    )
    assert to_pl(final.attempts[1].successful).height == len(failed)
    assert_partition(final, 30)
    assert to_pl(final.successful)["sf__Row"].to_list() == list(range(30))
    assert to_pl(final.successful)["ExternalId__c"].to_list() == [f"k{i}" for i in range(30)]
    assert _statuses(final) == ["success"] * 30
    assert emulator.count("Contact") == 30
    assert len(final.jobs) == len(first.jobs) + len(final.attempts[1].jobs)


def test_retry_with_a_duplicate_key_settles_each_row_by_position(client, emulator, backend):
    df = make_frame(
        backend, {"LastName": ["Ann", "Bob", "Cy"], "ExternalId__c": ["k1", "k1", "k2"]}
    )
    first = sfb.upsert(df, "Contact", "ExternalId__c", progress=False)
    assert sorted(to_pl(first.failed)["sf__Row"].to_list()) == [0, 1]
    # the user keeps Bob's row only: Ann's stays failed, Bob's now succeeds
    final = first.retry(_drop_rows(first.failed, [0]))
    assert _statuses(final) == ["failed", "success", "success"]
    annotated = to_pl(final.annotate())
    assert annotated["LastName"].to_list() == ["Ann", "Bob", "Cy"]
    assert annotated["sf__Error"][0].startswith("DUPLICATE_EXTERNAL_ID")
    assert to_pl(final.failed)["sf__Row"].to_list() == [0]
    assert emulator.count("Contact") == 2
    names = sorted(r[0] for r in emulator.sql('SELECT LastName FROM "Contact"'))
    assert names == ["Bob", "Cy"]


def test_retry_of_identical_rows_with_a_fixed_subset(client, emulator, backend):
    df = make_frame(
        backend,
        {
            "LastName": [None, "ok", None, None],
            "Email": ["same@x.org", "a@x.org", "same@x.org", "same@x.org"],
        },
    )
    first = sfb.insert(df, "Contact", progress=False)
    assert sorted(to_pl(first.failed)["sf__Row"].to_list()) == [0, 2, 3]
    fixed = _set(_drop_rows(first.failed, [0]), "LastName", "Fixed")
    final = first.retry(fixed)
    assert _statuses(final) == ["failed", "success", "success", "success"]
    assert final.counts() == {"successful": 3, "failed": 1, "unprocessed": 0, "unmatched": 0}
    assert [r.counts()["successful"] for r in final.attempts] == [1, 2]
    # the combined result keeps the input's own values; the attempt holds what was sent
    assert to_pl(final.successful)["LastName"].to_list() == ["ok", None, None]
    assert to_pl(final.attempts[1].successful)["LastName"].to_list() == ["Fixed", "Fixed"]
    again = final.retry(_set(final.failed, "LastName", "Last"))
    assert again.ok
    assert len(again.attempts) == 3
    assert emulator.count("Contact") == 4


def test_retry_keeps_the_input_kind_and_pandas_index(client, emulator):
    import pandas as pd

    df = pd.DataFrame({"LastName": [None, "b", None]}, index=["x", "y", "z"])
    first = sfb.insert(df, "Contact", progress=False)
    final = first.retry(_set(first.failed, "LastName", "fixed"))
    assert isinstance(final.successful, pd.DataFrame)
    assert list(final.successful.index) == ["x", "y", "z"]
    assert final.successful["LastName"].tolist()[1] == "b"


def test_retry_options_replace_the_original_ones(client, emulator, backend):
    df = make_frame(backend, {"LastName": [None] * 6})
    first = sfb.insert(df, "Contact", progress=False)
    assert len(first.jobs) == 1
    with pytest.raises(sfb.JobFailedError) as err:
        first.retry(raise_on_failure=True)  # the same rows fail again
    assert len(err.value.job_ids) == 2
    final = first.retry(_set(first.failed, "LastName", "x"), max_records=2)
    assert len(final.attempts[1].jobs) == 3
    assert final.ok


def test_retry_refuses_rows_that_succeeded_unknown_or_without_sf_row(client, backend):
    df = make_frame(backend, {"LastName": ["a", None]})
    res = sfb.insert(df, "Contact", progress=False)
    with pytest.raises(sfb.FrameError, match=r"sf__Row \[0\] already succeeded"):
        res.retry(res.successful)
    unknown = to_pl(res.failed).with_columns(pl.lit(7, pl.Int64).alias("sf__Row"))
    with pytest.raises(sfb.FrameError, match=r"sf__Row \[7\] are no input row"):
        res.retry(unknown)
    with pytest.raises(sfb.FrameError, match="no sf__Row column"):
        res.retry(to_pl(res.failed).drop("sf__Row"))


def test_retry_with_nothing_left_returns_the_same_result(client, backend):
    res = sfb.insert(make_frame(backend, {"LastName": ["a"]}), "Contact", progress=False)
    assert res.retry() is res


def test_a_result_built_without_a_load_cannot_retry(backend):
    res = BulkResult.from_parts(
        backend="polars",
        successful=None,
        failed=None,
        unprocessed=None,
        jobs=[],
        object="Contact",
        operation="insert",
        input_columns=["LastName"],
    )
    with pytest.raises(sfb.ConfigurationError, match="cannot retry"):
        res.retry()


def test_an_empty_frame_needs_no_client_and_has_nothing_to_retry(backend, monkeypatch):
    for name in ("SF_INSTANCE_URL", "SF_ACCESS_TOKEN", "SF_USERNAME", "SF_CLIENT_ID"):
        monkeypatch.delenv(name, raising=False)
    res = sfb.insert(make_frame(backend, {"LastName": []}), "Contact", progress=False)
    assert res.counts()["successful"] == 0
    assert res.retry() is res
