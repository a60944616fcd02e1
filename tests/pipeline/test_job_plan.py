"""Job sizing and lock-aware chunking, end to end against the emulator: how many jobs, which
rows share a job, and that results still join back to the input rows."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import polars as pl
import pytest

import sfbulk_frames as sfb
from sfbulk_frames import ConfigurationError
from sfbulk_frames.frames.encode import Chunk
from sfbulk_frames.pipeline import plan as _plan

from .conftest import make_frame, to_pl


def parts_cover_input(res: Any, n: int) -> None:
    """Every input row position 0..n-1 is in exactly one of the three parts."""
    parts = (res.successful, res.failed, res.unprocessed)
    rows = pl.concat([to_pl(p).select(pl.col("sf__Row").cast(pl.Int64)) for p in parts])
    assert sorted(rows["sf__Row"].to_list()) == list(range(n)), "every row in one part"


@pytest.fixture
def sent(monkeypatch: pytest.MonkeyPatch) -> list[pl.DataFrame]:
    """The input rows of every chunk the load sends, in sending order."""
    chunks: list[pl.DataFrame] = []
    real = _plan.iter_chunks

    def recording(*args: Any, **kwargs: Any) -> Iterator[Chunk]:
        for chunk in real(*args, **kwargs):
            chunks.append(chunk.rows)
            yield chunk

    monkeypatch.setattr(_plan, "iter_chunks", recording)
    return chunks


def accounts(n: int) -> list[str]:
    res = sfb.insert(
        pl.DataFrame({"Name": [f"Acme {i}" for i in range(n)]}), "Account", progress=False
    )
    return res.successful.get_column("sf__Id").to_list()


def test_a_large_frame_goes_into_several_jobs_of_whole_internal_batches(client) -> None:
    df = pl.DataFrame({"LastName": [f"n{i}" for i in range(25_000)]})
    res = sfb.insert(df, "Contact", progress=False)
    assert sorted(j.number_records_processed for j in res.jobs) == [5_000, 10_000, 10_000]
    parts_cover_input(res, 25_000)


def test_rows_of_one_parent_share_a_job_and_join_back(client, backend, sent) -> None:
    ids = accounts(4)
    sent.clear()
    n = 40  # 4 parents x 10 rows, interleaved: in input order every job would hold all four
    data = {"LastName": [f"c{i}" for i in range(n)], "AccountId": [ids[i % 4] for i in range(n)]}
    res = sfb.insert(make_frame(backend, data), "Contact", max_records=20, progress=False)
    per_job = [set(rows.get_column("AccountId").to_list()) for rows in sent]
    assert len(per_job) == 2
    assert per_job[0].isdisjoint(per_job[1])
    parts_cover_input(res, n)
    got = to_pl(res.successful).sort("sf__Row")
    assert got.get_column("sf__Row").to_list() == list(range(n))
    assert got.get_column("LastName").to_list() == data["LastName"]
    assert got.get_column("AccountId").to_list() == data["AccountId"]


def test_a_relationship_column_groups_by_the_parent_external_id(client, sent) -> None:
    sfb.insert(
        pl.DataFrame({"Name": ["A", "B"], "ExternalId__c": ["a", "b"]}), "Account", progress=False
    )
    sent.clear()
    df = pl.DataFrame(
        {"LastName": [f"c{i}" for i in range(8)], "Account.ExternalId__c": ["a", "b"] * 4}
    )
    res = sfb.insert(df, "Contact", max_records=4, progress=False)
    assert [r.get_column("Account.ExternalId__c").unique().to_list() for r in sent] == [
        ["a"],
        ["b"],
    ]
    assert res.ok


def test_group_by_parent_false_keeps_the_input_order(client, sent) -> None:
    ids = accounts(2)
    sent.clear()
    df = pl.DataFrame({"LastName": [f"c{i}" for i in range(8)], "AccountId": ids * 4})
    sfb.insert(df, "Contact", max_records=4, group_by_parent=False, progress=False)
    assert [r.get_column("LastName").to_list() for r in sent] == [
        ["c0", "c1", "c2", "c3"],
        ["c4", "c5", "c6", "c7"],
    ]


def test_group_by_parent_names_a_column_of_the_frame(client) -> None:
    df = pl.DataFrame({"LastName": [f"c{i}" for i in range(8)]})
    with pytest.raises(ConfigurationError, match="ParentId"):
        sfb.insert(df, "Contact", max_records=4, group_by_parent="ParentId", progress=False)
    with pytest.raises(ConfigurationError, match="no column"):
        sfb.insert(df, "Contact", max_records=4, group_by_parent=True, progress=False)


def test_rows_held_by_preflight_and_grouped_rows_both_map_back(client, sent) -> None:
    ids = accounts(2)
    sent.clear()
    names = [f"c{i}" for i in range(12)]
    names[3] = None  # held back by preflight (LastName is required)
    df = pl.DataFrame({"LastName": names, "AccountId": ids * 6})
    res = sfb.insert(df, "Contact", max_records=6, preflight="rows", progress=False)
    parts_cover_input(res, 12)
    assert [set(r.get_column("AccountId").to_list()) for r in sent] == [{ids[0]}, {ids[1]}]
    assert to_pl(res.failed).get_column("sf__Row").to_list() == [3]
    ok = to_pl(res.successful).sort("sf__Row")
    assert ok.get_column("LastName").to_list() == [n for n in names if n is not None]
    assert ok.get_column("AccountId").to_list() == [
        a for a, n in zip(ids * 6, names, strict=True) if n
    ]
