"""sfbulk_frames.query(): typed frames from describe metadata, paging, files."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import polars as pl
import pytest

import sfbulk_frames as sfb


@pytest.fixture
def seeded(client):
    sfb.insert(
        pl.DataFrame(
            {
                "Name": ["Acme", "Globex"],
                "ExternalId__c": ["a1", "a2"],
                "NumberOfEmployees": [10, None],
            }
        ),
        "Account",
        progress=False,
    )
    contacts = pl.DataFrame(
        {
            "LastName": ["Lee", 'Q "uote"', "multi\nline"],
            "Account.ExternalId__c": ["a1", None, "a2"],
            "HasOptedOutOfEmail": [True, False, False],
            "NumberOfChildren__c": [2, None, 0],
            "Score__c": [912260031.5, None, -0.25],
            "Birthdate": [dt.date(1990, 1, 31), None, dt.date(2000, 2, 29)],
            "LastContacted__c": [dt.datetime(2024, 3, 15, 17, 2, 31, tzinfo=dt.UTC), None, None],
            "PreferredCallTime__c": [dt.time(9, 30), None, None],
            "Languages__c": [["English", "French"], None, None],
        }
    )
    res = sfb.insert(contacts, "Contact", progress=False)
    assert res.ok, res.summary()
    return contacts


SOQL = (
    "SELECT Id, LastName, Account.Name, HasOptedOutOfEmail, NumberOfChildren__c, Score__c, "
    "Birthdate, LastContacted__c, PreferredCallTime__c, Languages__c FROM Contact ORDER BY LastName"
)


def test_query_types_columns_from_metadata(seeded):
    df = sfb.query(SOQL, progress=False)
    assert df.columns == [
        "Id",
        "LastName",
        "Account.Name",
        "HasOptedOutOfEmail",
        "NumberOfChildren__c",
        "Score__c",
        "Birthdate",
        "LastContacted__c",
        "PreferredCallTime__c",
        "Languages__c",
    ]
    assert df.schema["HasOptedOutOfEmail"] == pl.Boolean
    assert df.schema["NumberOfChildren__c"] == pl.Int64
    assert df.schema["Score__c"] == pl.Float64
    assert df.schema["Birthdate"] == pl.Date
    assert isinstance(df.schema["LastContacted__c"], pl.Datetime)
    assert df.schema["LastContacted__c"].time_zone == "UTC"
    assert df.schema["PreferredCallTime__c"] == pl.Time
    lee = df.filter(pl.col("LastName") == "Lee").row(0, named=True)
    assert lee["Account.Name"] == "Acme"
    assert lee["Score__c"] == 912260031.5
    assert lee["Birthdate"] == dt.date(1990, 1, 31)
    assert lee["LastContacted__c"] == dt.datetime(2024, 3, 15, 17, 2, 31, tzinfo=dt.UTC)
    assert lee["PreferredCallTime__c"] == dt.time(9, 30)
    assert lee["Languages__c"] == "English;French"
    orphan = df.filter(pl.col("LastName") == 'Q "uote"').row(0, named=True)
    assert orphan["Account.Name"] is None
    assert orphan["NumberOfChildren__c"] is None


def test_query_to_pandas_uses_nullable_dtypes(seeded):
    df = sfb.query(SOQL, backend="pandas", progress=False)
    assert isinstance(df, pd.DataFrame)
    assert str(df["NumberOfChildren__c"].dtype) == "Int64"
    assert str(df["HasOptedOutOfEmail"].dtype) == "boolean"
    assert df["NumberOfChildren__c"].isna().sum() == 1


@pytest.mark.parametrize("parallel", [False, True])
def test_small_pages_keep_every_row_once(client, parallel):
    n = 257
    sfb.insert(
        pl.DataFrame({"LastName": [f"n{i}\nx" for i in range(n)]}), "Contact", progress=False
    )
    df = sfb.query(
        "SELECT LastName FROM Contact", max_records_per_page=10, parallel=parallel, progress=False
    )
    assert df.height == n
    assert sorted(df["LastName"].to_list()) == sorted(f"n{i}\nx" for i in range(n))


def test_include_deleted_sees_soft_deleted_rows(client):
    ids = sfb.insert(pl.DataFrame({"LastName": ["a", "b"]}), "Contact", progress=False).successful[
        "sf__Id"
    ]
    sfb.delete(pl.DataFrame({"Id": [ids[0]]}), "Contact", progress=False)
    assert sfb.query("SELECT Id FROM Contact", progress=False).height == 1
    everything = sfb.query(
        "SELECT Id, IsDeleted FROM Contact", include_deleted=True, progress=False
    )
    assert everything.height == 2
    assert everything.schema["IsDeleted"] == pl.Boolean


def test_empty_result_is_a_typed_empty_frame(client):
    df = sfb.query(
        "SELECT Id, NumberOfChildren__c FROM Contact WHERE LastName = 'nobody'", progress=False
    )
    assert df.height == 0
    assert df.schema["NumberOfChildren__c"] == pl.Int64


def test_out_streams_to_parquet_and_csv(seeded, tmp_path):
    path = sfb.query(SOQL, out=tmp_path / "c.parquet", max_records_per_page=1, progress=False)
    back = pl.read_parquet(path)
    assert back.height == 3
    assert back.schema["Birthdate"] == pl.Date
    csv_path = sfb.query(
        "SELECT LastName FROM Contact",
        out=tmp_path / "c.csv",
        max_records_per_page=2,
        progress=False,
    )
    assert sorted(pl.read_csv(csv_path)["LastName"].to_list()) == sorted(
        seeded["LastName"].to_list()
    )


def test_soql_errors_are_typed(client):
    with pytest.raises(sfb.InvalidTypeError):
        sfb.query("SELECT Id FROM Accout", progress=False)
    with pytest.raises(sfb.InvalidFieldError):
        sfb.query("SELECT Foo FROM Account", progress=False)
    with pytest.raises(sfb.MalformedQueryError):
        sfb.query("SELECT Id FROM Account GROUP BY Name", progress=False)


def test_pandas_result_over_many_pages_has_the_values_and_nullable_dtypes(seeded):
    typed = sfb.query(SOQL, max_records_per_page=1, progress=False)
    df = sfb.query(SOQL, backend="pandas", max_records_per_page=1, progress=False)
    assert {name: str(dtype) for name, dtype in df.dtypes.items()} == {
        "Id": "string",
        "LastName": "string",
        "Account.Name": "string",
        "HasOptedOutOfEmail": "boolean",
        "NumberOfChildren__c": "Int64",
        "Score__c": "Float64",
        "Birthdate": "datetime64[ms]",
        "LastContacted__c": "datetime64[us, UTC]",
        "PreferredCallTime__c": "object",
        "Languages__c": "string",
    }
    assert df.index.tolist() == [0, 1, 2]
    lee = df[df["LastName"] == "Lee"].iloc[0]
    assert lee["NumberOfChildren__c"] == 2
    assert lee["Score__c"] == 912260031.5
    assert lee["Birthdate"] == pd.Timestamp("1990-01-31")
    assert lee["LastContacted__c"] == pd.Timestamp("2024-03-15 17:02:31", tz="UTC")
    assert lee["PreferredCallTime__c"] == dt.time(9, 30)
    assert df["Score__c"].isna().tolist() == typed["Score__c"].is_null().to_list()
    assert df["Id"].tolist() == typed["Id"].to_list()


@pytest.fixture
def client_with_one_bad_int(tmp_path):
    """A client on an org (file-backed) whose Contact n15 stores 'lots' in an int field: a value
    Salesforce could return but that does not parse, written into the org's storage directly."""
    import sqlite3

    from sfbulk_frames import testing
    from sfbulk_frames.emulator import Emulator

    db = tmp_path / "org.db"
    with Emulator(seed=7, db=str(db)) as emu, testing.fast_polling(), emu.client() as client:
        names = [f"n{i:02d}" for i in range(25)]
        sfb.insert(
            pl.DataFrame({"LastName": names, "NumberOfChildren__c": list(range(25))}),
            "Contact",
            client=client,
            progress=False,
        )
        with sqlite3.connect(db) as storage:
            storage.execute("UPDATE Contact SET NumberOfChildren__c = 'lots' WHERE LastName='n15'")
        yield client


@pytest.mark.parametrize("backend", ["polars", "pandas"])
def test_a_value_that_does_not_parse_on_one_page_makes_the_column_text(
    client_with_one_bad_int, backend
):
    """A stored value Salesforce would return but that is not an int (written into the org's
    storage directly): the pages without it are typed, the one with it is text; the result
    has the column as text on every row instead of failing to stack the pages."""
    client = client_with_one_bad_int
    with pytest.warns(UserWarning, match="'NumberOfChildren__c'.*'lots'"):
        df = sfb.query(
            "SELECT LastName, NumberOfChildren__c FROM Contact ORDER BY LastName",
            client=client,
            backend=backend,
            max_records_per_page=10,
            progress=False,
        )
    children = df["NumberOfChildren__c"]
    values = children.to_list() if backend == "polars" else children.tolist()
    assert values == [str(i) if i != 15 else "lots" for i in range(25)]
    assert str(children.dtype) in ("String", "string")


def test_parquet_out_refuses_a_column_that_turns_text_on_a_later_page(
    client_with_one_bad_int, tmp_path
):
    """Streaming to parquet fixes the schema on the first page; a later page whose column fell
    back to text must stop with a typed error naming the column and job, not a pyarrow crash."""
    client = client_with_one_bad_int
    with pytest.warns(UserWarning, match="'lots'"), pytest.raises(sfb.JobError) as err:
        sfb.query(
            "SELECT LastName, NumberOfChildren__c FROM Contact ORDER BY LastName",
            client=client,
            out=tmp_path / "c.parquet",
            max_records_per_page=10,
            progress=False,
        )
    assert "NumberOfChildren__c" in str(err.value)
    assert ".csv" in str(err.value)
    assert err.value.job_ids
