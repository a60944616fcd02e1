"""The one-pass CSV writer: typed columns written by polars give exactly the encoded cells."""

from __future__ import annotations

import csv
import datetime as dt
import decimal
import io
import itertools

import numpy as np
import polars as pl
import pytest

from sfbulk_frames._models import LINE_ENDINGS
from sfbulk_frames.frames.encode import EncodeOptions, encode_batch, iter_chunks, record_offsets


def every_dtype() -> pl.DataFrame:
    stamps = [dt.datetime(2024, 3, 15, 17, 2, 31, 123456), None, dt.datetime(1900, 1, 1)]
    return pl.DataFrame({
        "Text": ["a, \"b\"\nc", None, ""],
        "Int8": pl.Series([1, None, -128], dtype=pl.Int8),
        "UInt64": pl.Series([2**64 - 1, 0, None], dtype=pl.UInt64),
        "Bool": [True, None, False],
        "F64": [1e20, 2.5e-7, float("nan")],
        "F32": pl.Series([0.1, None, 3.0], dtype=pl.Float32),
        "Dec": pl.Series([decimal.Decimal("0.10"), None, decimal.Decimal("-3.25")],
                         dtype=pl.Decimal(10, 2)),
        "Day": [dt.date(2024, 3, 5), dt.date(1, 1, 1), None],
        "StampUs": stamps,
        "StampNs": pl.Series(stamps).cast(pl.Datetime("ns")),
        "StampMs": pl.Series(stamps).cast(pl.Datetime("ms")),
        "Paris": pl.Series(stamps).dt.replace_time_zone("Europe/Paris"),
        "Time": [dt.time(1, 2, 3, 450000), None, dt.time(0, 0)],
        "Cat": pl.Series(["x", None, "y"], dtype=pl.Categorical),
        "Enum": pl.Series(["lo", "hi", None], dtype=pl.Enum(["lo", "hi"])),
        "Tags": [["a", "b"], [], None],
        "Nothing": pl.Series([None, None, None], dtype=pl.Null),
    })


def parsed(data: bytes, options: EncodeOptions) -> list[list[str]]:
    reader = csv.reader(io.StringIO(data.decode(), newline=""), delimiter=options.delimiter,
                        lineterminator=LINE_ENDINGS[options.line_ending], strict=True)
    return list(reader)[1:]


def cells_as_written(cells: pl.DataFrame) -> list[list[str]]:
    return [["" if v is None else v for v in row] for row in cells.rows()]


@pytest.mark.parametrize("nulls", ["skip", "set_null"])
@pytest.mark.parametrize("line_ending", list(LINE_ENDINGS))
def test_written_csv_holds_exactly_the_encoded_cells_for_every_dtype(nulls: str,
                                                                     line_ending: str) -> None:
    frame = every_dtype()
    options = EncodeOptions(nulls=nulls, line_ending=line_ending,  # type: ignore[arg-type]
                            nulls_by_column={"Day": "skip", "Text": "set_null"})
    (chunk,) = iter_chunks([frame], options)
    assert parsed(chunk.data, options) == cells_as_written(encode_batch(frame, options))


def test_a_chunk_derives_its_cells_from_its_rows_and_can_drop_its_bytes() -> None:
    frame = pl.DataFrame({"A": ["x", "y"], "When": [dt.datetime(2024, 1, 2, 3, 4, 5), None]})
    (chunk,) = iter_chunks([frame], EncodeOptions())
    chunk.release_data()
    assert chunk.data == b""
    assert chunk.cells.to_dict(as_series=False) == {
        "A": ["x", "y"], "When": ["2024-01-02T03:04:05.000Z", None],
    }
    assert chunk.cells_of(chunk.rows.select("When")).columns == ["When"]


def test_record_offsets_skip_newlines_inside_quoted_values() -> None:
    body = b'a,"x\ny"\n"q""\n",2\nlast,3\n'
    offsets = record_offsets(body, 3)
    assert offsets.tolist() == [0, 8, 17, 24]
    assert [body[a:b] for a, b in itertools.pairwise(offsets)] == [
        b'a,"x\ny"\n', b'"q""\n",2\n', b"last,3\n",
    ]


@pytest.mark.parametrize("n_records", [1, 4])
def test_record_offsets_refuse_to_cut_when_the_count_does_not_match(n_records: int) -> None:
    with pytest.raises(RuntimeError, match="record ends for"):
        record_offsets(b'a\n"b\nc"\n', n_records)


def test_floats_without_exponent_are_not_rewritten_and_with_one_are() -> None:
    frame = pl.DataFrame({"Plain": [1.5, 0.25], "Huge": [1e20, 1.0]})
    cells = encode_batch(frame, EncodeOptions())
    assert cells.to_dict(as_series=False) == {
        "Plain": ["1.5", "0.25"], "Huge": ["100000000000000000000", "1.0"],
    }
    assert np.all(record_offsets(b"1\n2\n", 2) == [0, 2, 4])
