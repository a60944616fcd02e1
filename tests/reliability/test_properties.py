"""Property-based tests: the frame → CSV → emulator → result round trip keeps every row and every
value, and the emulator's CSV parser survives arbitrary uploads."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from datetime import date

import httpx
import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import sfbulk_frames as sfb
from sfbulk_frames import testing
from sfbulk_frames.emulator import Emulator
from sfbulk_frames.testing import assert_partition

from .conftest import FAST_POLL, FAST_RETRY, to_pl

SETTINGS = settings(max_examples=40, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture,
                                           HealthCheck.too_slow])

NASTY_TEXT = st.text(
    alphabet=st.one_of(
        st.sampled_from([*',;|^`\t"\'\r\n #N/A\\', "é", "日", "🎉", "\u2028", "\ufeff"]),
        st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
    ),
    max_size=12,
)


@st.composite
def frames(draw: st.DrawFn) -> pl.DataFrame:
    n = draw(st.integers(1, 25))
    rows = st.lists
    last = draw(rows(st.one_of(st.none(), NASTY_TEXT.filter(lambda s: s.strip() != ""),
                                st.text(min_size=81, max_size=90)), min_size=n, max_size=n))
    title = draw(rows(st.one_of(st.none(), NASTY_TEXT), min_size=n, max_size=n))
    children = draw(rows(st.one_of(st.none(), st.integers(0, 999)), min_size=n, max_size=n))
    score = draw(rows(st.one_of(st.none(), st.floats(-1e6, 1e6, allow_nan=False).map(
        lambda f: round(f, 2))), min_size=n, max_size=n))
    opted = draw(rows(st.booleans(), min_size=n, max_size=n))
    born = draw(rows(st.one_of(st.none(), st.dates(date(1900, 1, 1), date(2100, 12, 31))),
                     min_size=n, max_size=n))
    df = pl.DataFrame(
        {"LastName": last, "Title": title, "NumberOfChildren__c": children, "Score__c": score,
         "HasOptedOutOfEmail": opted, "Birthdate": born},
        schema={"LastName": pl.String, "Title": pl.String, "NumberOfChildren__c": pl.Int64,
                "Score__c": pl.Float64, "HasOptedOutOfEmail": pl.Boolean, "Birthdate": pl.Date},
    )
    return df.unique(maintain_order=True)


@pytest.fixture(scope="module")
def shared_emulator() -> Iterator[Emulator]:
    with Emulator(seed=3) as emu:
        yield emu


@SETTINGS
@given(df=frames())
def test_round_trip_keeps_every_row_and_value(shared_emulator: Emulator, df: pl.DataFrame) -> None:
    with testing.fast_polling(), shared_emulator.client(retry=FAST_RETRY, poll=FAST_POLL) as c:
        res = sfb.insert(df, "Contact", client=c, progress=False)
    assert_partition(res, df.height)
    indexed = df.with_row_index("sf__Row").with_columns(pl.col("sf__Row").cast(pl.Int64))
    for part in (res.successful, res.failed, res.unprocessed):
        got = to_pl(part)
        if got.height == 0:
            continue
        got = got.with_columns(pl.col("sf__Row").cast(pl.Int64)).sort("sf__Row")
        expected = indexed.join(got.select("sf__Row"), on="sf__Row").sort("sf__Row")
        assert got.select(df.columns).equals(expected.select(df.columns)), "a value changed"
        assert got.schema == {**got.schema, **dict(df.schema)}, "a dtype changed"
    failed = to_pl(res.failed)
    recovered = df.join(failed.select(df.columns), on=df.columns, how="semi", nulls_equal=True)
    assert recovered.height == failed.height, "df.join(res.failed) does not recover the failures"
    bad_names = df.filter(pl.col("LastName").is_null() | (pl.col("LastName").str.len_chars() > 80))
    assert failed.height == bad_names.height


def _raw_client(emu: Emulator) -> httpx.Client:
    return httpx.Client(transport=emu.transport(),
                        base_url=emu.instance_url + "/services/data/v62.0",
                        headers={"Authorization": f"Bearer {emu.token}"})


def _csv_rows(data: bytes) -> int:
    return max(0, len(list(csv.reader(io.StringIO(data.decode("utf-8"), newline="")))) - 1)


@SETTINGS
@given(body=st.one_of(
    st.binary(max_size=300),
    st.text(max_size=300).map(lambda t: t.encode("utf-8")),
    st.text(max_size=200).map(lambda t: ("LastName,Title\n" + t).encode("utf-8")),
    st.lists(NASTY_TEXT, max_size=20).map(
        lambda vs: ("LastName\n" + "\n".join(vs)).encode("utf-8")),
))
def test_emulator_survives_arbitrary_uploads(shared_emulator: Emulator, body: bytes) -> None:
    with _raw_client(shared_emulator) as http:
        created = http.post("/jobs/ingest", json={"object": "Contact", "operation": "insert"})
        assert created.status_code == 200
        job = created.json()["id"]
        put = http.put(f"/jobs/ingest/{job}/batches", content=body,
                       headers={"Content-Type": "text/csv"})
        assert put.status_code in (201, 400), put.text
        if put.status_code == 400:
            assert isinstance(put.json(), list)
            assert put.json()[0]["errorCode"]
            return
        closed = http.patch(f"/jobs/ingest/{job}", json={"state": "UploadComplete"})
        assert closed.status_code in (200, 400), closed.text
        json.loads(closed.text)
        info = http.get(f"/jobs/ingest/{job}").json()
        assert info["state"] in ("JobComplete", "Failed"), info
        if info["state"] == "Failed":
            assert info.get("errorMessage")
            return
        ok = http.get(f"/jobs/ingest/{job}/successfulResults")
        bad = http.get(f"/jobs/ingest/{job}/failedResults")
        assert ok.status_code == bad.status_code == 200
        done = _csv_rows(ok.content) + _csv_rows(bad.content)
        assert done == info["numberRecordsProcessed"], "rows not accounted for"
