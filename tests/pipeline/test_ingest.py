"""insert/update/upsert/delete end to end against the emulator, on pandas and polars."""

from __future__ import annotations

import pandas as pd
import polars as pl
import pytest

import sfbulk_frames as sfb
from sfbulk_frames.emulator import Emulator
from sfbulk_frames.testing import assert_partition

from .conftest import make_frame, to_pl

NASTY = [
    "plain",
    "comma, inside",
    'quote " inside',
    "line\nbreak",
    "crlf\r\nbreak",
    "lone\rcr",
    "  padded  ",
    "Ünïcödé ✓ 日本",
    "emoji 🎉",
    "semi;colon|pipe^caret`tick\ttab",
]


def test_insert_returns_successful_rows_with_input_values(client, emulator: Emulator, backend):
    df = make_frame(backend, {"LastName": NASTY, "NumberOfChildren__c": list(range(len(NASTY)))})
    res = sfb.insert(df, "Contact", progress=False)
    assert res.ok
    assert type(res.successful) is type(df)
    ok = to_pl(res.successful).sort("sf__Row")
    assert ok["LastName"].to_list() == NASTY
    assert ok["sf__Created"].to_list() == [True] * len(NASTY)
    assert all(i.startswith("003") and len(i) == 18 for i in ok["sf__Id"])
    stored = dict(emulator.sql('SELECT Id, LastName FROM "Contact"'))
    assert [stored[i] for i in ok["sf__Id"]] == NASTY
    assert_partition(res, len(NASTY))


def test_accessor_is_a_thin_wrapper_on_every_frame_kind(client, backend):
    df = make_frame(backend, {"LastName": ["A", "B"]})
    res = df.sfbulk.insert("Contact", progress=False)
    assert res.summary()["successful"] == 2
    lazy = pl.DataFrame({"LastName": ["C"]}).lazy()
    assert lazy.sfbulk.insert("Contact", progress=False).summary()["successful"] == 1


def test_row_failures_join_back_to_the_input(client, backend):
    df = make_frame(
        backend,
        {
            "LastName": ["Ok1", None, "Ok2", None],
            "Email": ["a@x.io", "b@x.io", "c@x.io", "d@x.io"],
        },
    )
    res = sfb.insert(df, "Contact", progress=False)
    assert not res.ok
    failed = to_pl(res.failed)
    assert sorted(failed["Email"].to_list()) == ["b@x.io", "d@x.io"]
    assert all(e.startswith("REQUIRED_FIELD_MISSING") for e in failed["sf__Error"])
    joined = to_pl(df).join(
        failed.select("Email", "LastName", "sf__Error"), on=["Email"], how="inner"
    )
    assert joined.height == 2
    assert_partition(res, 4)


def test_upsert_inserts_then_updates_by_external_id(client, emulator, backend):
    df = make_frame(backend, {"ExternalId__c": ["e1", "e2"], "LastName": ["One", "Two"]})
    first = sfb.upsert(df, "Contact", "ExternalId__c", progress=False)
    assert to_pl(first.successful)["sf__Created"].to_list() == [True, True]
    df2 = make_frame(backend, {"ExternalId__c": ["e1", "e3"], "LastName": ["Uno", "Three"]})
    second = df2.sfbulk.upsert("Contact", "ExternalId__c", progress=False)
    created = dict(to_pl(second.successful).select("ExternalId__c", "sf__Created").iter_rows())
    assert created == {"e1": False, "e3": True}
    assert emulator.count("Contact") == 3
    assert emulator.sql("""SELECT LastName FROM "Contact" WHERE ExternalId__c = 'e1'""") == [
        ("Uno",)
    ]


def test_update_and_delete_by_id(client, emulator, backend):
    inserted = to_pl(
        sfb.insert(
            make_frame(backend, {"LastName": ["A", "B", "C"]}), "Contact", progress=False
        ).successful
    )
    ids = inserted.sort("sf__Row")["sf__Id"].to_list()
    upd = sfb.update(
        make_frame(backend, {"Id": ids[:2], "Title": ["CEO", "CTO"]}), "Contact", progress=False
    )
    assert upd.ok
    assert to_pl(upd.successful)["sf__Created"].to_list() == [False, False]
    gone = sfb.delete(make_frame(backend, {"Id": [ids[0]]}), "Contact", progress=False)
    assert gone.ok
    assert emulator.count("Contact") == 2
    assert emulator.count("Contact", include_deleted=True) == 3
    hard = sfb.delete(make_frame(backend, {"Id": [ids[1]]}), "Contact", hard=True, progress=False)
    assert hard.ok
    assert emulator.count("Contact", include_deleted=True) == 2


def test_update_of_unknown_id_fails_that_row_only(client, backend):
    ids = to_pl(
        sfb.insert(make_frame(backend, {"LastName": ["A"]}), "Contact", progress=False).successful
    )["sf__Id"].to_list()
    bogus = "003" + "0" * 12 + "AAA"
    res = sfb.update(
        make_frame(backend, {"Id": [ids[0], bogus], "Title": ["x", "y"]}), "Contact", progress=False
    )
    assert to_pl(res.successful)["Id"].to_list() == [ids[0]]
    assert to_pl(res.failed)["Id"].to_list() == [bogus]


def test_many_small_jobs_lose_and_duplicate_nothing(client, emulator, backend):
    n = 203
    df = make_frame(
        backend,
        {
            "LastName": [f"name {i}\nline" for i in range(n)],
            "ExternalId__c": [f"x{i}" for i in range(n)],
        },
    )
    res = sfb.upsert(
        df, "Contact", "ExternalId__c", max_records=20, max_concurrent_jobs=3, progress=False
    )
    assert len(res.jobs) == 11
    assert res.ok
    assert_partition(res, n)
    assert emulator.count("Contact") == n


def test_max_bytes_splits_at_record_boundaries(client, emulator, backend):
    n = 120
    df = make_frame(backend, {"LastName": [f"{i:04d}" + "x" * 30 for i in range(n)]})
    res = sfb.insert(df, "Contact", max_bytes=400, progress=False)
    assert len(res.jobs) > 5
    assert sorted(to_pl(res.successful)["LastName"].to_list()) == sorted(
        to_pl(df)["LastName"].to_list()
    )
    assert emulator.count("Contact") == n


def test_identical_rows_map_to_distinct_input_positions(client, backend):
    df = make_frame(backend, {"LastName": ["Same", "Same", "Same", None, None]})
    res = sfb.insert(df, "Contact", progress=False)
    assert sorted(to_pl(res.successful)["sf__Row"].to_list()) == [0, 1, 2]
    assert sorted(to_pl(res.failed)["sf__Row"].to_list()) == [3, 4]
    assert len(set(to_pl(res.successful)["sf__Id"])) == 3


def test_job_level_failure_puts_rows_in_unprocessed(client, backend):
    df = make_frame(backend, {"LastName": ["A", "B"], "NoSuchField__c": ["1", "2"]})
    res = sfb.insert(df, "Contact", progress=False, preflight=False)  # let Salesforce judge
    assert not res.ok
    assert res.jobs[0].state == "Failed"
    assert "Field name not found : NoSuchField__c" in (res.jobs[0].error_message or "")
    assert to_pl(res.unprocessed).height == 2
    with pytest.raises(sfb.JobFailedError) as err:
        res.raise_for_failures()
    assert res.jobs[0].id in str(err.value)


def test_raise_on_failure_raises_with_job_ids(client, backend):
    df = make_frame(backend, {"LastName": [None]})
    with pytest.raises(sfb.JobFailedError) as err:
        sfb.insert(df, "Contact", progress=False, raise_on_failure=True)
    assert err.value.job_ids


@pytest.mark.parametrize("delimiter", ["COMMA", "TAB", "PIPE", "SEMICOLON", "CARET", "BACKQUOTE"])
@pytest.mark.parametrize("line_ending", ["LF", "CRLF"])
def test_every_delimiter_and_line_ending_round_trips(client, emulator, delimiter, line_ending):
    df = pl.DataFrame({"LastName": NASTY, "Title": [f"t{i}" for i in range(len(NASTY))]})
    res = sfb.insert(
        df, "Contact", column_delimiter=delimiter, line_ending=line_ending, progress=False
    )
    assert res.ok, res.summary()
    ok = res.successful.sort("sf__Row")
    assert ok["LastName"].to_list() == NASTY
    stored = dict(emulator.sql('SELECT Id, LastName FROM "Contact"'))
    assert [stored[i] for i in ok["sf__Id"]] == NASTY


def test_nulls_skip_keeps_values_and_set_null_clears_them(client, emulator, backend):
    ids = (
        to_pl(
            sfb.insert(
                make_frame(backend, {"LastName": ["A", "B"], "Title": ["t1", "t2"]}),
                "Contact",
                progress=False,
            ).successful
        )
        .sort("sf__Row")["sf__Id"]
        .to_list()
    )
    sfb.update(make_frame(backend, {"Id": [ids[0]], "Title": [None]}), "Contact", progress=False)
    sfb.update(
        make_frame(backend, {"Id": [ids[1]], "Title": [None]}),
        "Contact",
        nulls="set_null",
        progress=False,
    )
    titles = dict(emulator.sql('SELECT Id, Title FROM "Contact"'))
    assert titles[ids[0]] == "t1"
    assert titles[ids[1]] is None


def test_relationship_column_resolves_parent_by_external_id(client, emulator, backend):
    sfb.insert(
        make_frame(backend, {"Name": ["Acme"], "ExternalId__c": ["acc-1"]}),
        "Account",
        progress=False,
    )
    res = sfb.insert(
        make_frame(
            backend, {"LastName": ["Kid", "Orphan"], "Account.ExternalId__c": ["acc-1", "nope"]}
        ),
        "Contact",
        progress=False,
    )
    assert to_pl(res.successful)["LastName"].to_list() == ["Kid"]
    assert to_pl(res.failed)["LastName"].to_list() == ["Orphan"]
    acc = emulator.sql('SELECT Id FROM "Account"')[0][0]
    assert emulator.sql("""SELECT AccountId FROM "Contact" WHERE LastName = 'Kid'""") == [(acc,)]


def test_typed_columns_echo_back_and_join_on_input_values(client, backend):
    df = make_frame(
        backend,
        {
            "LastName": ["a", "b", "c"],
            "Score__c": [912260031.0, 0.1, None],
            "NumberOfChildren__c": [1, None, 3],
            "HasOptedOutOfEmail": [True, False, True],
            "Birthdate": [
                pd.Timestamp("1990-01-31").date(),
                None,
                pd.Timestamp("2001-12-01").date(),
            ],
        },
    )
    res = sfb.insert(df, "Contact", progress=False)
    assert res.ok
    ok = to_pl(res.successful).sort("sf__Row")
    assert ok["Score__c"].to_list() == [912260031.0, 0.1, None]
    assert ok["NumberOfChildren__c"].to_list() == [1, None, 3]
    if backend == "pandas":
        assert res.successful["Score__c"].dtype == df["Score__c"].dtype


def test_pandas_results_keep_the_input_index_labels(client):
    df = pd.DataFrame({"LastName": ["a", None, "c"]}, index=["r1", "r2", "r3"])
    res = sfb.insert(df, "Contact", progress=False)
    assert list(res.successful.index) == ["r1", "r3"]
    assert list(res.failed.index) == ["r2"]
    assert df.loc[res.failed.index, "LastName"].isna().all()


def test_annotate_returns_input_order_with_status(client, backend):
    df = make_frame(backend, {"LastName": ["a", None, "c"]})
    ann = to_pl(sfb.insert(df, "Contact", progress=False).annotate())
    assert ann["status"].to_list() == ["success", "failed", "success"]
    assert ann["LastName"].to_list() == ["a", None, "c"]
    assert {"sf__Id", "sf__Created", "sf__Error"} <= set(ann.columns)


def test_empty_frame_is_a_no_op_without_requests(emulator, backend):
    df = make_frame(backend, {"LastName": []})
    with emulator.client() as c:
        res = sfb.insert(df, "Contact", client=c, progress=False)
    assert res.ok
    assert res.jobs == []
    assert res.summary()["rows"] == 0


def test_delete_jobs_removes_finished_jobs(client):
    res = sfb.insert(pl.DataFrame({"LastName": ["a"]}), "Contact", delete_jobs=True, progress=False)
    with pytest.raises(sfb.NotFoundError):
        client.ingest_job(res.jobs[0].id).info()


def test_progress_callable_receives_events(client):
    events: list[sfb.ProgressEvent] = []
    sfb.insert(pl.DataFrame({"LastName": ["a", "b"]}), "Contact", progress=events.append)
    kinds = [e.kind for e in events]
    assert kinds[0] == "start"
    assert kinds[-1] == "finish"
    assert sum(e.rows for e in events if e.kind == "chunk_uploaded") == 2


def column_memory(series: pd.Series) -> list[int]:
    """The addresses of the buffers that hold a pandas column's values (numpy or Arrow)."""
    array = series.array
    if hasattr(array, "__arrow_array__"):
        chunks = array.__arrow_array__().chunks
        return [buffer.address for chunk in chunks for buffer in chunk.buffers() if buffer]
    return [series.to_numpy(copy=False).__array_interface__["data"][0]]


def test_input_frame_is_never_mutated(client, backend):
    data = {"LastName": ["a", None, "c"], "Score__c": [float("nan"), 1.5, None]}
    df = make_frame(backend, data)
    if backend == "pandas":
        df.index = pd.Index([30, 10, 20], name="key")  # labels the pipeline must not reset
        index, dtypes, columns = df.index.copy(), df.dtypes.copy(), list(df.columns)
        values = {name: df[name].copy() for name in df.columns}
        memory = {name: column_memory(df[name]) for name in df.columns}
        attrs = dict(df.attrs)
    else:
        snapshot, schema = df.clone(), df.schema
    res = sfb.insert(df, "Contact", progress=False)
    assert_partition(res, 3)
    if backend == "pandas":
        assert df.index.equals(index)
        assert df.index.name == "key"
        assert list(df.columns) == columns
        assert df.dtypes.equals(dtypes)
        for name in df.columns:
            pd.testing.assert_series_equal(df[name], values[name])
            assert column_memory(df[name]) == memory[name]  # the same buffers, not replaced
        assert df.attrs == attrs
    else:
        assert df.schema == schema
        assert df.equals(snapshot)


def test_text_columns_join_back_by_the_fields_type(client, backend):
    # A CSV read as text: Salesforce echoes 912260031 sent to a double field as 9.12260031E8,
    # TRUE as true and a datetime with milliseconds; the rows must still map back.
    df = make_frame(
        backend,
        {
            "LastName": ["a", "b"],
            "Score__c": ["912260031", "1"],
            "HasOptedOutOfEmail": ["TRUE", "0"],
            "LastContacted__c": ["2024-01-01T10:00:00Z", None],
        },
    )
    res = sfb.insert(df, "Contact", progress=False)
    assert res.ok, res.summary()
    ok = to_pl(res.successful).sort("sf__Row")
    assert ok["Score__c"].to_list() == ["912260031", "1"]
    assert_partition(res, 2)
