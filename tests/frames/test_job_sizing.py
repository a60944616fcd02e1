"""Records per job from the data size, and lock-aware chunking by parent record."""

from __future__ import annotations

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sfbulk_frames.frames.encode import EncodeOptions, iter_chunks
from sfbulk_frames.frames.sizing import (
    INTERNAL_BATCH_RECORDS,
    UNKNOWN_SIZE_RECORDS,
    parent_groups,
    records_per_job,
)


@pytest.mark.parametrize(
    ("n_rows", "concurrency", "per_job", "jobs"),
    [
        (1, 4, 10_000, 1),  # never below one internal batch
        (25_000, 4, 10_000, 3),
        (100_000, 4, 30_000, 4),
        (1_000_000, 4, 250_000, 4),  # not one 1M-row job: one job per slot
        (1_000_000, 8, 130_000, 8),
        (1_000_000, 1, 1_000_000, 1),  # max_bytes still cuts it
        (10_000_000, 4, 2_500_000, 4),
    ],
)
def test_records_per_job_are_whole_batches_one_job_per_slot(
    n_rows: int, concurrency: int, per_job: int, jobs: int
) -> None:
    got = records_per_job(n_rows, concurrency)
    assert got == per_job
    assert got % INTERNAL_BATCH_RECORDS == 0
    assert -(-n_rows // got) == jobs
    # internal batches used: at most one partial batch more than the rows need
    batches = sum(-(-min(got, n_rows - s) // INTERNAL_BATCH_RECORDS) for s in range(0, n_rows, got))
    assert batches <= -(-n_rows // INTERNAL_BATCH_RECORDS) + 1


def test_an_unknown_row_count_gets_ten_batches_a_job() -> None:
    assert records_per_job(None, 4) == UNKNOWN_SIZE_RECORDS == 10 * INTERNAL_BATCH_RECORDS


def test_a_parent_never_straddles_two_chunks_when_its_rows_fit() -> None:
    parents = [f"A{i % 7}" for i in range(70)]  # 7 parents of 10 rows, interleaved
    frame = pl.DataFrame({"AccountId": parents, "n": list(range(70))})
    groups = parent_groups(frame, "AccountId", chunk_records=25)
    assert sum(groups.sizes) == 70
    seen: dict[str, int] = {}
    for index, (_, rows) in enumerate(groups.slices()):
        for parent in rows.get_column("AccountId").unique():
            assert seen.setdefault(parent, index) == index, f"{parent} split across chunks"
    assert len(groups.sizes) == 3  # parents start at 0,10,20 | 30,40 | 50,60


def test_a_parent_larger_than_a_chunk_stays_whole_and_nulls_fill_in() -> None:
    frame = pl.DataFrame({"AccountId": ["big"] * 30 + [None] * 5 + ["small"] * 3})
    groups = parent_groups(frame, "AccountId", chunk_records=10)
    chunks = [rows.get_column("AccountId").to_list() for _, rows in groups.slices()]
    assert chunks[0] == ["big"] * 30
    assert [v for c in chunks for v in c].count(None) == 5
    assert sum(groups.sizes) == 38


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.one_of(st.none(), st.sampled_from(["a", "b", "c", "d", "e"])), max_size=80),
    st.integers(min_value=1, max_value=30),
)
def test_grouping_is_a_partition_and_order_maps_back(parents: list[str | None], size: int) -> None:
    frame = pl.DataFrame(
        {"P": parents, "pos": list(range(len(parents)))}, schema={"P": pl.String, "pos": pl.Int64}
    )
    groups = parent_groups(frame, "P", size)
    assert sum(groups.sizes) == frame.height
    assert sorted(groups.order.to_list()) == list(range(frame.height))
    # row i of the grouped frame is input row order[i]
    assert groups.frame.get_column("pos").to_list() == groups.order.to_list()
    back = groups.input_positions(pl.Series("sf__Row", list(range(frame.height)), pl.Int64))
    assert back.to_list() == groups.order.to_list()


def test_grouped_chunks_keep_their_positions_in_the_grouped_frame() -> None:
    frame = pl.DataFrame({"AccountId": ["x", "y"] * 6, "LastName": [f"n{i}" for i in range(12)]})
    groups = parent_groups(frame, "AccountId", chunk_records=6)
    chunks = [
        c
        for start, rows in groups.slices()
        for c in iter_chunks([rows], EncodeOptions(), start=start)
    ]
    assert [(c.start, c.n_rows) for c in chunks] == [(0, 6), (6, 6)]
    assert chunks[1].rows.get_column("AccountId").unique().to_list() == ["y"]
