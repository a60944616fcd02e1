"""Reading uploads: streamed rows and polars-parsed batches equal the ``csv`` module's rows
whatever the chunk size, line ends or row widths."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sfbulk_frames.emulator.ingest import reader as ingest_reader
from sfbulk_frames.emulator.ingest.batches import LineBatches, _nth_line_end
from sfbulk_frames.emulator.ingest.reader import UploadReader, UploadScan

_CELL = st.text(alphabet="xy \u00e9#", max_size=3)


@st.composite
def text_start_and_n(draw: Any) -> tuple[str, int, int]:
    """A text of a/b lines, a start offset, and an n that has n line ends after the start."""
    lines = draw(st.lists(st.text(alphabet="ab", max_size=6), min_size=1, max_size=10))
    tail = draw(st.text(alphabet="ab", max_size=6))
    text = "".join(line + "\n" for line in lines) + tail
    start = draw(st.integers(0, text.rindex("\n")))  # at least one line end after the start
    available = text.count("\n", start)
    return text, start, draw(st.integers(1, available))


@given(case=text_start_and_n())
def test_nth_line_end_finds_the_end_of_the_nth_line(case: tuple[str, int, int]) -> None:
    text, start, n = case
    ends = [i + 1 for i, ch in enumerate(text) if ch == "\n" and i >= start]
    assert _nth_line_end(text, start, n, len(ends)) == ends[n - 1]


@st.composite
def quote_free_uploads(draw: Any) -> tuple[str, str]:
    """Quote-free CSV texts with ragged rows, blank lines and mixed LF / CRLF line ends."""
    delimiter = draw(st.sampled_from([",", "\t", "|", ";", "^", "`"]))
    width = draw(st.integers(1, 4))
    lines = [delimiter.join(f"h{k}" for k in range(width))]
    for _ in range(draw(st.integers(0, 25))):
        cells = draw(st.integers(0, width + 1)) if draw(st.integers(0, 9)) == 0 else width
        lines.append(delimiter.join(draw(_CELL) for _ in range(cells)))
    ends = [draw(st.sampled_from(["\n", "\r\n"])) for _ in lines]
    text = "".join(line + end for line, end in zip(lines, ends, strict=True))
    if draw(st.booleans()):
        text = text.rstrip("\r\n")  # no line end after the last row
    return text, delimiter


@settings(max_examples=150, deadline=None)
@given(upload=quote_free_uploads(), limit=st.integers(1, 9))
def test_polars_batches_equal_the_csv_module_rows(upload: tuple[str, str], limit: int) -> None:
    text, delimiter = upload
    data = text.encode()
    reader = UploadReader(
        lambda offset, size: data[offset : offset + size], delimiter, quote_free=True
    )
    header_width = len(text.split("\n", 1)[0].rstrip("\r").split(delimiter))
    rows: list[list[str]] = []
    with pytest.MonkeyPatch.context() as patch:  # small reads: rows span several pieces
        patch.setattr("sfbulk_frames.emulator.ingest.reader.CHUNK_BYTES", 16)
        batches = LineBatches(reader.texts(), delimiter, header_width)
        while (batch := batches.take(limit)) is not None:
            assert 1 <= batch.count <= limit
            assert len(batch.as_rows()) == batch.count
            rows += batch.as_rows()
    expected = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True))
    assert rows == expected[1:]
    assert not batches.has_more()


@pytest.mark.parametrize(("short", "long"), [(5000, 7000), (9998, 9999), (0, 1), (3, 2)])
def test_rows_of_another_width_in_a_large_batch_are_read_by_the_csv_module(
    short: int, long: int
) -> None:
    lines = [f"a{i},b{i},c{i}" for i in range(10_000)]
    lines[short] = f"a{short},b{short}"  # one field short ...
    lines[long] += ",extra"  # ... and one too many: the delimiter count alone matches
    text = "x,y,z\n" + "\n".join(lines)
    data = text.encode()
    reader = UploadReader(lambda offset, size: data[offset : offset + size], ",", quote_free=True)
    batch = LineBatches(reader.texts(), ",", 3).take(10_000)
    assert batch is not None
    expected = list(csv.reader(io.StringIO(text, newline=""), strict=True))[1:]
    assert batch.as_rows() == expected


def test_a_large_uniform_batch_is_handed_over_as_polars_columns() -> None:
    text = "a,b\n" + "".join(f"{i},v{i}\r\n" for i in range(2500))
    data = text.encode()
    reader = UploadReader(lambda offset, size: data[offset : offset + size], ",", quote_free=True)
    batches = LineBatches(reader.texts(), ",", 2)
    first = batches.take(1000)
    assert first is not None
    assert first.columns is not None
    assert first.frame is not None
    assert first.columns[1][:2] == ["v0", "v1"]
    assert batches.has_more()
    sizes = [first.count]
    while (batch := batches.take(1000)) is not None:
        sizes.append(batch.count)
    assert sizes == [1000, 1000, 500]


TEXTS = [
    "a,b\n1,2\n3,4\n",
    "a,b\r\n1,2\r\n3,4",
    "a,b\n1,2\n\n3,4\n",  # a blank line is an empty row
    'a,b\n"x\ny",2\n"q""uote","c,omma"\r\n5,6\n',  # quoted newlines, CRLF mixed in
    "\ufeffa;b\n\u00e9;\u4e2d\n",  # BOM and non-ASCII
    "a,b\r1,2\r",  # bare CR line ends
]


def _reference_rows(text: str, delimiter: str) -> list[list[str]]:
    text = text.removeprefix("\ufeff")
    return list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True))


@pytest.mark.parametrize("text", TEXTS)
@pytest.mark.parametrize("chunk", [1, 2, 3, 7, 1 << 20])
def test_streamed_rows_equal_the_csv_module_for_any_chunk_size(
    text: str, chunk: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ingest_reader, "CHUNK_BYTES", chunk)
    data = text.encode()

    def read(offset: int, size: int) -> bytes:
        return data[offset : offset + size]

    delimiter = ";" if ";" in text else ","
    scan = UploadScan(read, len(data))
    reader = UploadReader(read, delimiter, quote_free=not scan.has_quotes)
    expected = _reference_rows(text, delimiter)
    assert list(reader.rows()) == expected
    if not scan.has_quotes:
        assert scan.lines == len(expected)
