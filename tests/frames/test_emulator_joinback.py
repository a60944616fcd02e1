"""The codec against the emulator: upload our chunks over plain httpx, join its results back."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from zoneinfo import ZoneInfo

import httpx
import polars as pl
import pytest

from sfbulk_frames._models import COLUMN_DELIMITERS
from sfbulk_frames.emulator import Emulator
from sfbulk_frames.frames.backend import iter_batches, to_polars
from sfbulk_frames.frames.decode import read_result_csv
from sfbulk_frames.frames.encode import EncodeOptions, iter_chunks
from sfbulk_frames.frames.joinback import MatchOutcome, column_kinds, match_results

from .conftest import as_backend

API = "/services/data/v62.0/jobs/ingest"
POLLS = 50  # the emulator runs jobs instantly; a job still running after this many is a bug
NASTY = ["plain", "a, b", 'say "hi"', "two\nlines", "crlf\r\nx", "  spaced  ", "Ünï 😀"]


@pytest.fixture
def http() -> Iterator[httpx.Client]:
    with Emulator(seed=3, processing="instant") as emu, httpx.Client(
        transport=emu.transport(), base_url=emu.instance_url,
        headers={"Authorization": f"Bearer {emu.token}"},
    ) as client:
        yield client


def contacts() -> pl.DataFrame:
    n = len(NASTY)
    paris = ZoneInfo("Europe/Paris")
    frame = pl.DataFrame({
        "LastName": [f"Last {i}" for i in range(n)],
        "Description": NASTY,
        "Birthdate": [dt.date(1990, 1, i + 1) for i in range(n)],
        "HasOptedOutOfEmail": [i % 2 == 0 for i in range(n)],
        "NumberOfChildren__c": [i if i % 3 else None for i in range(n)],
        "Score__c": [912260031.0, 0.000015, 12.0, None, -3.5, 1e20, 0.1],
        "LastContacted__c": [dt.datetime(2024, 3, 15, 17, 2, 31, tzinfo=paris)] * n,
        "PreferredCallTime__c": [dt.time(8, 30, 0)] * n,
    })
    duplicates = frame.head(2)  # identical rows must each get their own result
    failing = frame.head(1).with_columns(LastName=pl.lit(None, dtype=pl.String))
    return pl.concat([frame, duplicates, failing])


def wait_for(http: httpx.Client, url: str, states: tuple[str, ...]) -> str:
    """Poll ``url`` until the job's state is one of ``states``; fail if it never gets there."""
    seen = []
    for _ in range(POLLS):
        seen.append(http.get(url).raise_for_status().json()["state"])
        if seen[-1] in states:
            return seen[-1]
    pytest.fail(f"job {url} never reached {states}; states seen: {sorted(set(seen))}")


def run_job(http: httpx.Client, data: bytes, options: EncodeOptions) -> dict[str, pl.DataFrame]:
    job = http.post(API, json={
        "object": "Contact", "operation": "insert", "contentType": "CSV",
        "columnDelimiter": options.column_delimiter, "lineEnding": options.line_ending,
    }).raise_for_status().json()
    url = f"{API}/{job['id']}"
    http.put(f"{url}/batches", content=data,
             headers={"Content-Type": "text/csv"}).raise_for_status()
    http.patch(url, json={"state": "UploadComplete"}).raise_for_status()
    assert wait_for(http, url, ("JobComplete", "Failed", "Aborted")) == "JobComplete"
    delimiter = COLUMN_DELIMITERS[options.column_delimiter]
    return {
        name: read_result_csv(http.get(f"{url}/{path}").raise_for_status().content,
                              delimiter=delimiter, line_ending=options.line_ending)
        for name, path in [("successful", "successfulResults"), ("failed", "failedResults"),
                           ("unprocessed", "unprocessedrecords")]
    }


def load(http: httpx.Client, df: object, options: EncodeOptions) -> list[MatchOutcome]:
    frame = to_polars(df)
    assert isinstance(frame, pl.DataFrame)
    kinds = column_kinds(dict(frame.schema))
    outcomes = []
    for chunk in iter_chunks(iter_batches(df, 4), options):
        results = run_job(http, chunk.data, options)
        outcomes.append(match_results(chunk.cells, start=chunk.start, key=None, kinds=kinds,
                                      **results))
    return outcomes


@pytest.mark.parametrize(
    ("delimiter", "line_ending"),
    [("COMMA", "LF"), ("TAB", "CRLF"), ("PIPE", "LF"), ("SEMICOLON", "CRLF"),
     ("CARET", "LF"), ("BACKQUOTE", "CRLF")],
)
def test_every_row_comes_back_exactly_once_across_several_jobs(
    http: httpx.Client, backend: str, delimiter: str, line_ending: str
) -> None:
    source = contacts()
    options = EncodeOptions(column_delimiter=delimiter, line_ending=line_ending, max_bytes=700)
    outcomes = load(http, as_backend(source, backend), options)
    assert len(outcomes) > 1
    assert all(o.unmatched.height == 0 for o in outcomes), [o.unmatched for o in outcomes]
    successful = pl.concat([o.successful for o in outcomes])
    failed = pl.concat([o.failed for o in outcomes])
    unprocessed = pl.concat([o.unprocessed for o in outcomes])
    assert unprocessed.height == 0
    rows = sorted([*successful.get_column("sf__Row"), *failed.get_column("sf__Row")])
    assert rows == list(range(source.height))
    assert failed.get_column("sf__Row").to_list() == [source.height - 1]
    assert failed.get_column("sf__Error").str.starts_with("REQUIRED_FIELD_MISSING").all()
    assert successful.get_column("sf__Id").n_unique() == source.height - 1
    assert successful.get_column("sf__Created").all()


def test_records_land_with_their_exact_text(http: httpx.Client) -> None:
    options = EncodeOptions()
    outcomes = load(http, contacts().head(len(NASTY)), options)
    ids = pl.concat([o.successful for o in outcomes]).sort("sf__Row").get_column("sf__Id")
    query = "SELECT Id, Description FROM Contact"
    job = http.post("/services/data/v62.0/jobs/query",
                    json={"operation": "query", "query": query}).raise_for_status().json()
    url = f"/services/data/v62.0/jobs/query/{job['id']}"
    assert wait_for(http, url, ("JobComplete", "Failed", "Aborted")) == "JobComplete"
    page = http.get(f"{url}/results").raise_for_status().content
    stored = dict(read_result_csv(page).iter_rows())
    assert all(len(i) == 18 for i in ids), ids.to_list()  # results and queries give 18-char Ids
    assert [stored[i] for i in ids] == NASTY
