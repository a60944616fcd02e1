"""The pipeline keeps nothing it no longer needs, and joins results back by position."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import polars as pl
import pytest

import sfbulk_frames as sfb
from sfbulk_frames.frames.encode import Chunk
from sfbulk_frames.pipeline import plan as _plan

from .conftest import make_frame, parts_cover_input, to_pl


def test_each_result_row_carries_the_input_values_of_its_position(client, backend):
    n = 37
    data = {
        "LastName": [None if i % 5 == 2 else f"name {i}, \"q\"" for i in range(n)],
        "Email": [f"p{i}@x.io" for i in range(n)],
        "NumberOfChildren__c": [i * 3 for i in range(n)],
    }
    df = make_frame(backend, data)
    res = sfb.insert(df, "Contact", max_records=8, max_concurrent_jobs=2, progress=False)
    assert len(res.jobs) == 5
    expected = pl.DataFrame(data).with_row_index("sf__Row").with_columns(
        pl.col("sf__Row").cast(pl.Int64))
    for part, n_rows in ((res.successful, n - 7), (res.failed, 7)):
        got = to_pl(part).select(expected.columns)
        assert got.height == n_rows
        assert got.equals(expected.join(got.select("sf__Row"), on="sf__Row").sort("sf__Row"))
    parts_cover_input(res, n)


def test_chunk_bytes_are_released_once_uploaded(client, monkeypatch: pytest.MonkeyPatch):
    seen: list[Chunk] = []
    real_iter_chunks = _plan.iter_chunks

    def recording(*args: Any, **kwargs: Any) -> Iterator[Chunk]:
        for chunk in real_iter_chunks(*args, **kwargs):
            seen.append(chunk)
            yield chunk

    monkeypatch.setattr(_plan, "iter_chunks", recording)
    df = pl.DataFrame({"LastName": [f"n{i}" for i in range(10)]})
    res = sfb.insert(df, "Contact", max_records=4, progress=False)
    assert res.ok
    assert [c.n_rows for c in seen] == [4, 4, 2]
    assert all(c.data == b"" for c in seen)
