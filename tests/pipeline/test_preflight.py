"""Preflight against describe, end to end on the emulator, on pandas and polars."""

from __future__ import annotations

import warnings
from datetime import date, datetime

import pandas as pd
import polars as pl
import pytest

import sfbulk_frames as sfb
from sfbulk_frames.emulator import Emulator
from sfbulk_frames.frames.encode import EncodeOptions
from sfbulk_frames.pipeline.ingest import IngestSpec, run_ingest
from sfbulk_frames.testing import assert_partition

from .conftest import make_frame, to_pl

TYPED = [
    "Birthdate",
    "LastContacted__c",
    "NumberOfChildren__c",
    "Score__c",
    "AnnualSpend__c",
    "Discount__c",
    "HasOptedOutOfEmail",
    "Level__c",
]


def seed_contacts(n: int = 3) -> None:
    frame = pl.DataFrame(
        {
            "LastName": [f"L{i}" for i in range(n)],
            "Birthdate": [date(1990 + i, 1 + i, 2) for i in range(n)],
            "LastContacted__c": [datetime(2024, 5, 1, 8 + i, 30, 15) for i in range(n)],
            "NumberOfChildren__c": list(range(n)),
            "Score__c": [1.25 * i for i in range(n)],
            "AnnualSpend__c": [1000.5 + i for i in range(n)],
            "Discount__c": [2.5] * n,
            "HasOptedOutOfEmail": [i % 2 == 0 for i in range(n)],
            "Level__c": ["Primary", "Secondary", "Tertiary"][:n],
        }
    )
    assert sfb.insert(frame, "Contact", progress=False).ok


def stored(emulator: Emulator) -> list[tuple[object, ...]]:
    return emulator.sql(f'SELECT {", ".join(TYPED)} FROM "Contact" ORDER BY LastName')


@pytest.mark.usefixtures("client")
@pytest.mark.parametrize("query_backend", ["pandas", "polars"])
def test_query_then_write_back_succeeds_on_every_field_type(emulator, query_backend):
    seed_contacts()
    before = stored(emulator)
    frame = sfb.query(
        f"SELECT Id, {', '.join(TYPED)} FROM Contact", backend=query_backend, progress=False
    )
    untouched = frame.copy() if query_backend == "pandas" else frame.clone()
    res = sfb.update(frame, "Contact", progress=False)
    assert res.ok, res.failed
    assert stored(emulator) == before, "writing the queried values back changes nothing"
    if query_backend == "pandas":  # the conversions never touch the caller's frame
        pd.testing.assert_frame_equal(frame, untouched)
    else:
        assert frame.equals(untouched)
        assert frame.schema == untouched.schema
    # the result carries the input's own values and dtypes (no conversion leaks into it)
    assert type(res.successful) is type(frame)
    got = (
        res.successful.drop(columns=[c for c in res.successful.columns if c.startswith("sf__")])
        if query_backend == "pandas"
        else res.successful.drop("sf__Id", "sf__Created", "sf__Row")
    )
    if query_backend == "pandas":
        pd.testing.assert_frame_equal(got.reset_index(drop=True), frame)
    else:
        assert got.equals(frame)


@pytest.mark.usefixtures("client")
def test_without_preflight_a_pandas_date_column_fails_every_row(emulator):
    seed_contacts(2)
    frame = sfb.query("SELECT Id, Birthdate FROM Contact", backend="pandas", progress=False)
    assert str(frame["Birthdate"].dtype).startswith("datetime64")  # what pandas users get
    res = sfb.update(frame, "Contact", progress=False, preflight=False)
    assert to_pl(res.failed).height == 2
    assert "xsd:date" in to_pl(res.failed)["sf__Error"][0]
    assert sfb.update(frame, "Contact", progress=False).ok


def test_a_column_error_is_raised_before_any_job(client, emulator, backend):
    df = make_frame(backend, {"LastName": ["a"], "ExternalID__c": ["x"]})
    with pytest.raises(sfb.PreflightError, match="did you mean 'ExternalId__c'") as err:
        sfb.insert(df, "Contact", progress=False)
    assert err.value.column == "ExternalID__c"
    assert isinstance(err.value, sfb.FrameError)
    assert client.list_jobs() == []
    read_only = make_frame(backend, {"LastName": ["a"], "Name": ["x"]})
    with pytest.raises(sfb.PreflightError, match=r"Contact\.Name is not createable"):
        read_only.sfbulk.insert("Contact", progress=False)  # the accessors preflight too
    assert client.list_jobs() == []


def test_a_datetime_with_a_time_of_day_for_a_date_field_says_how_to_convert(client, backend):
    df = make_frame(backend, {"LastName": ["a"], "Birthdate": [datetime(2020, 1, 2, 10, 0)]})
    with pytest.raises(sfb.PreflightError, match=r"\.dt\.date"):
        sfb.insert(df, "Contact", progress=False)
    assert client.list_jobs() == []


def test_integral_floats_reach_int_fields_and_results_keep_the_floats(client, emulator, backend):
    df = make_frame(backend, {"LastName": ["a", "b"], "NumberOfChildren__c": [3.0, None]})
    res = sfb.insert(df, "Contact", progress=False)
    assert res.ok
    assert emulator.sql('SELECT NumberOfChildren__c FROM "Contact" ORDER BY LastName') == [
        (3,),
        (None,),
    ]
    values = to_pl(res.successful).sort("sf__Row")["NumberOfChildren__c"]
    assert values.dtype == pl.Float64
    assert values.to_list() == [3.0, None]


def test_numbers_sent_to_a_text_field_warn_with_how_to_read_text(client, emulator, backend):
    df = make_frame(backend, {"Name": ["Acme"], "AccountNumber": [12.0]})
    with pytest.warns(sfb.PreflightWarning, match="AccountNumber") as caught:
        res = sfb.insert(df, "Account", progress=False)
    assert res.ok
    assert "dtype=" in str(caught[0].message)
    assert issubclass(caught[0].category, UserWarning)
    assert emulator.sql('SELECT AccountNumber FROM "Account"') == [("12",)]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert sfb.insert(df, "Account", progress=False, preflight=False).ok


def test_rows_mode_holds_back_failing_rows_with_every_reason(client, emulator, backend):
    df = make_frame(
        backend,
        {
            "LastName": ["ok1", None, "ok2", "x" * 81],
            "NumberOfChildren__c": ["1", "1,200", "2", "3"],
            "HasOptedOutOfEmail": ["true", "Yes", "false", "No"],
        },
    )
    res = sfb.insert(df, "Contact", progress=False, preflight="rows")
    assert_partition(res, 4)
    failed = to_pl(res.failed).sort("sf__Row")
    assert failed["sf__Row"].to_list() == [1, 3]
    first = failed["sf__Error"][0].split("\n")
    assert first == [
        "PREFLIGHT REQUIRED_FIELD_MISSING:Required fields are missing: [LastName]:LastName --",
        "PREFLIGHT INVALID_TYPE_ON_FIELD_IN_RECORD:Number Of Children: value not of required "
        "type: 1,200:NumberOfChildren__c --",
        "PREFLIGHT INVALID_TYPE_ON_FIELD_IN_RECORD:Has Opted Out Of Email: value not of required "
        "type: Yes:HasOptedOutOfEmail --",
    ]
    assert failed["LastName"].to_list() == [None, "x" * 81]  # the input's own values
    ok = to_pl(res.successful).sort("sf__Row")
    assert ok["sf__Row"].to_list() == [0, 2]
    assert ok["LastName"].to_list() == ["ok1", "ok2"]
    assert emulator.count("Contact") == 2, "held-back rows are never uploaded"
    assert res.jobs[0].number_records_processed == 2


def test_rows_mode_keeps_positions_across_batches_and_jobs_of_a_lazy_frame(client, emulator):
    n = 50
    names = [None if i % 7 == 3 else f"n{i}" for i in range(n)]
    frame = pl.DataFrame({"LastName": names, "ExternalId__c": [f"E{i}" for i in range(n)]})
    spec = IngestSpec(
        object="Contact", operation="insert", preflight="rows", encode=EncodeOptions(max_records=9)
    )
    res = run_ingest(frame.lazy(), spec, progress=False, batch_rows=8)
    assert_partition(res, n)
    held = [i for i in range(n) if names[i] is None]
    assert sorted(res.failed["sf__Row"].to_list()) == held
    ok = res.successful.sort("sf__Row")
    assert ok["ExternalId__c"].to_list() == [f"E{i}" for i in range(n) if i not in held]
    assert emulator.count("Contact") == n - len(held)
    assert len(res.jobs) > 1


def test_all_rows_held_back_sends_nothing(client, emulator, backend):
    df = make_frame(backend, {"LastName": [None, None]})
    res = sfb.insert(df, "Contact", progress=False, preflight="rows")
    assert_partition(res, 2)
    assert to_pl(res.failed).height == 2
    assert res.jobs == []
    assert not res.ok
    assert client.list_jobs() == []


def test_validate_returns_the_findings_without_sending(client, emulator, backend):
    df = make_frame(
        backend,
        {"LastName": ["a", None], "Emial": ["x", "y"], "NumberOfChildren__c": ["1", "lots"]},
    )
    found = sfb.validate(df, "Contact", "insert")
    assert type(found) is type(df)
    rows = to_pl(found)
    assert rows.columns == ["row", "column", "code", "message"]
    assert rows.to_dicts()[0] == {
        "row": None,
        "column": "Emial",
        "code": "INVALID_FIELD",
        "message": "column 'Emial' is not a field of Contact; did you "
        "mean 'Email'? rename the column",
    }
    assert client.list_jobs() == []
    clean = make_frame(backend, {"LastName": ["a", None], "NumberOfChildren__c": ["1", "lots"]})
    rows = to_pl(sfb.validate(clean, "Contact", "insert"))
    assert rows.select("row", "column", "code").rows() == [
        (1, "LastName", "REQUIRED_FIELD_MISSING"),
        (1, "NumberOfChildren__c", "INVALID_TYPE_ON_FIELD_IN_RECORD"),
    ]
    ok = make_frame(backend, {"LastName": ["a"]})
    assert to_pl(sfb.validate(ok, "Contact", "insert")).height == 0
    assert emulator.count("Contact") == 0


def test_validate_reports_a_missing_key_column_as_a_finding(client, backend):
    df = make_frame(backend, {"ExternalId__c;LastName": ["k;a"]})
    rows = to_pl(sfb.validate(df, "Contact", "upsert", external_id_field="ExternalId__c"))
    assert rows["row"].to_list() == [None]
    assert "separator=';'" in rows["message"][0]


def test_bad_preflight_option_is_a_configuration_error(client, backend):
    df = make_frame(backend, {"LastName": ["a"]})
    with pytest.raises(sfb.ConfigurationError, match=r"'columns'.*'rows'.*False"):
        sfb.insert(df, "Contact", progress=False, preflight="all")


@pytest.mark.parametrize("reader", ["pandas", "polars"])
def test_set_null_clears_a_field_for_a_quoted_empty_string(client, emulator, tmp_path, reader):
    assert sfb.insert(
        pl.DataFrame(
            {"LastName": ["a", "b"], "Title": ["T1", "T2"], "ExternalId__c": ["k1", "k2"]}
        ),
        "Contact",
        progress=False,
    ).ok
    path = tmp_path / "fix.csv"
    path.write_text('ExternalId__c,Title\nk1,""\nk2,\n', encoding="utf-8")
    df = (
        pd.read_csv(path, dtype=str, keep_default_na=False)
        if reader == "pandas"
        else pl.read_csv(path, infer_schema=False)
    )
    res = sfb.upsert(df, "Contact", "ExternalId__c", nulls="set_null", progress=False)
    assert res.ok
    assert emulator.sql('SELECT Title FROM "Contact" ORDER BY LastName') == [(None,), (None,)]
