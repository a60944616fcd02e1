"""Packing records into chunks: limits, record boundaries, nothing lost or duplicated."""

from __future__ import annotations

import polars as pl
import pytest

from sfbulk_frames._exceptions import FrameError
from sfbulk_frames.frames.backend import iter_batches
from sfbulk_frames.frames.decode import read_result_csv
from sfbulk_frames.frames.encode import EncodeOptions, iter_chunks

from .conftest import as_backend

HEADER = b"A\n"  # 2 bytes


def four_byte_rows(n: int) -> pl.DataFrame:
    return pl.DataFrame({"A": [f"r{i:02d}" for i in range(n)]})  # "r00\n" = 4 bytes a record


def chunk_rows(chunks: list) -> list[list[str]]:
    return [read_result_csv(c.data).get_column("A").to_list() for c in chunks]


def test_a_chunk_filled_exactly_to_max_bytes_keeps_the_last_record(backend: str) -> None:
    df = as_backend(four_byte_rows(7), backend)
    chunks = list(iter_chunks(iter_batches(df, 100), EncodeOptions(max_bytes=2 + 4 * 3)))
    assert [c.n_rows for c in chunks] == [3, 3, 1]
    assert [len(c.data) for c in chunks] == [14, 14, 6]
    assert chunk_rows(chunks) == [["r00", "r01", "r02"], ["r03", "r04", "r05"], ["r06"]]


def test_one_byte_under_the_fill_moves_the_last_record_to_the_next_chunk(backend: str) -> None:
    df = as_backend(four_byte_rows(7), backend)
    chunks = list(iter_chunks(iter_batches(df, 100), EncodeOptions(max_bytes=2 + 4 * 3 - 1)))
    assert [c.n_rows for c in chunks] == [2, 2, 2, 1]


def test_records_exactly_at_the_limit_stay_and_one_byte_less_moves_them() -> None:
    rows = pl.DataFrame({"A": ["x" * 20] * 6})  # 21 bytes a record, header 2
    at_limit = list(iter_chunks([rows], EncodeOptions(max_bytes=2 + 21 * 3)))
    assert [c.n_rows for c in at_limit] == [3, 3]
    assert all(len(c.data) == 65 for c in at_limit)
    one_less = list(iter_chunks([rows], EncodeOptions(max_bytes=2 + 21 * 3 - 1)))
    assert [c.n_rows for c in one_less] == [2, 2, 2]
    assert all(len(c.data) <= 64 for c in one_less)


def test_every_chunk_starts_with_the_header() -> None:
    rows = pl.DataFrame({"A": ["x" * 20] * 6})
    for chunk in iter_chunks([rows], EncodeOptions(max_bytes=65)):
        assert chunk.data.startswith(HEADER)


def test_max_records_cuts_chunks_by_count() -> None:
    chunks = list(iter_chunks([four_byte_rows(7)], EncodeOptions(max_records=3)))
    assert [(c.start, c.n_rows) for c in chunks] == [(0, 3), (3, 3), (6, 1)]
    assert chunk_rows(chunks) == [["r00", "r01", "r02"], ["r03", "r04", "r05"], ["r06"]]


def test_chunks_span_batches_without_losing_or_duplicating_rows(backend: str) -> None:
    df = as_backend(four_byte_rows(23), backend)
    chunks = list(iter_chunks(iter_batches(df, 5), EncodeOptions(max_bytes=2 + 4 * 7)))
    assert [c.n_rows for c in chunks] == [7, 7, 7, 2]
    assert [c.start for c in chunks] == [0, 7, 14, 21]
    assert [v for part in chunk_rows(chunks) for v in part] == [f"r{i:02d}" for i in range(23)]


def test_lazyframe_batches_stream_in_order() -> None:
    lazy = four_byte_rows(23).lazy()
    chunks = list(iter_chunks(iter_batches(lazy, 4), EncodeOptions(max_records=10)))
    assert [c.n_rows for c in chunks] == [10, 10, 3]
    assert [v for part in chunk_rows(chunks) for v in part] == [f"r{i:02d}" for i in range(23)]


def test_a_quoted_newline_near_the_boundary_is_never_cut() -> None:
    # record 1 is '"ab\ncd"\n' (8 bytes): splitting on newlines would see two lines
    df = pl.DataFrame({"A": ["r00", "ab\ncd", "r02"]})
    exact = list(iter_chunks([df], EncodeOptions(max_bytes=2 + 4 + 8)))
    assert [c.n_rows for c in exact] == [2, 1]
    assert exact[0].data == b'A\nr00\n"ab\ncd"\n'
    short = list(iter_chunks([df], EncodeOptions(max_bytes=2 + 4 + 7)))
    assert [c.n_rows for c in short] == [1, 1, 1]
    for chunk in short:
        parsed = read_result_csv(chunk.data).get_column("A").to_list()
        assert parsed == chunk.rows.get_column("A").to_list()


def test_quoted_newline_records_pack_to_the_exact_byte_limit() -> None:
    df = pl.DataFrame({"A": ["a\nb"] * 5})  # '"a\nb"\n' = 6 bytes a record
    chunks = list(iter_chunks([df], EncodeOptions(max_bytes=2 + 6 * 2)))
    assert [c.n_rows for c in chunks] == [2, 2, 1]
    big = pl.DataFrame({"A": ["a\n" + "b" * 57]})  # 62 bytes + header 2 = 64 exactly
    (chunk,) = iter_chunks([big], EncodeOptions(max_bytes=64))
    assert len(chunk.data) == 64


def test_chunk_keeps_the_sent_cells_and_the_input_rows() -> None:
    df = pl.DataFrame({"A": ["x", "y", "z"], "N": [1, None, 3]})
    first, second = iter_chunks([df], EncodeOptions(max_records=2))
    assert first.cells.to_dict(as_series=False) == {"A": ["x", "y"], "N": ["1", None]}
    assert second.rows.to_dict(as_series=False) == {"A": ["z"], "N": [3]}
    assert second.rows.schema == df.schema


def test_a_single_record_above_max_bytes_is_a_frame_error_naming_its_row() -> None:
    df = pl.DataFrame({"A": ["short", "x" * 100, "short"]})
    with pytest.raises(FrameError, match=r"row 1\b.*max_bytes=64"):
        list(iter_chunks([df], EncodeOptions(max_bytes=64)))


def test_the_oversized_row_position_is_global_across_batches() -> None:
    df = pl.DataFrame({"A": ["ok"] * 5 + ["x" * 100]})
    with pytest.raises(FrameError, match=r"row 5\b"):
        list(iter_chunks(iter_batches(df, 2), EncodeOptions(max_bytes=64)))


def test_empty_input_yields_no_chunk() -> None:
    assert list(iter_chunks([pl.DataFrame({"A": []}, schema={"A": pl.String})],
                            EncodeOptions())) == []
