"""Encoded CSV bytes parse back to the same cells: with our parser and with Python's csv."""

from __future__ import annotations

import csv
import io

import polars as pl
import pytest

from sfbulk_frames._models import COLUMN_DELIMITERS, LINE_ENDINGS
from sfbulk_frames.frames.backend import iter_batches
from sfbulk_frames.frames.decode import read_result_csv
from sfbulk_frames.frames.encode import EncodeOptions, iter_chunks

from .conftest import as_backend

NASTY = [
    "plain",
    "comma, inside",
    'quote " inside',
    '"starts and ends with quotes"',
    "line\nfeed",
    "crlf\r\nbreak",
    "lone\rcarriage",
    "  leading and trailing  ",
    "tab\there",
    "pipe|semi;caret^back`tick",
    "Ünïcödé — 日本語 😀",
    "#hash at start",
    "",
    None,
]


def nasty_frame() -> pl.DataFrame:
    return pl.DataFrame({
        "Name": NASTY,
        "Description": list(reversed(NASTY)),
        "N": list(range(len(NASTY))),
    })


def python_csv_rows(data: bytes, delimiter: str, line_ending: str) -> list[list[str]]:
    text = data.decode("utf-8")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter,
                        lineterminator=LINE_ENDINGS[line_ending], strict=True)
    return list(reader)


def expected_cells(value: str | None) -> str:
    return "" if value is None else value


@pytest.mark.parametrize("line_ending", list(LINE_ENDINGS))
@pytest.mark.parametrize("delimiter", list(COLUMN_DELIMITERS))
def test_nasty_strings_survive_every_delimiter_and_line_ending(
    backend: str, delimiter: str, line_ending: str
) -> None:
    df = as_backend(nasty_frame(), backend)
    options = EncodeOptions(column_delimiter=delimiter, line_ending=line_ending)
    (chunk,) = iter_chunks(iter_batches(df, 1000), options)
    char = COLUMN_DELIMITERS[delimiter]

    rows = python_csv_rows(chunk.data, char, line_ending)
    assert rows[0] == ["Name", "Description", "N"]
    assert rows[1:] == [
        [expected_cells(a), expected_cells(b), str(n)]
        for a, b, n in zip(NASTY, reversed(NASTY), range(len(NASTY)), strict=True)
    ]

    parsed = read_result_csv(chunk.data, delimiter=char, line_ending=line_ending)
    # empty and null cells are the same thing to Salesforce: both come back as null
    assert parsed.get_column("Name").to_list() == [v or None for v in NASTY]
    assert parsed.get_column("N").to_list() == [str(n) for n in range(len(NASTY))]


@pytest.mark.parametrize("line_ending", list(LINE_ENDINGS))
def test_every_record_ends_with_the_declared_line_ending(line_ending: str) -> None:
    options = EncodeOptions(line_ending=line_ending)
    (chunk,) = iter_chunks([pl.DataFrame({"A": ["x", "y\nz"]})], options)
    eol = LINE_ENDINGS[line_ending].encode()
    assert chunk.data == b"A" + eol + b"x" + eol + b'"y\nz"' + eol


def test_carriage_returns_and_newlines_are_always_inside_quotes() -> None:
    (chunk,) = iter_chunks([pl.DataFrame({"A": ["a\rb", "c\nd", "e\r\nf"]})], EncodeOptions())
    assert chunk.data == b'A\n"a\rb"\n"c\nd"\n"e\r\nf"\n'


def test_header_names_pass_through_verbatim_including_relationship_columns() -> None:
    df = pl.DataFrame({"Account.ExternalId__c": ["A-1"], "Contact:Who.Email": ["x@y.z"]})
    (chunk,) = iter_chunks([df], EncodeOptions())
    assert chunk.data.split(b"\n")[0] == b"Account.ExternalId__c,Contact:Who.Email"


def test_pandas_index_is_not_uploaded() -> None:
    import pandas as pd

    df = pd.DataFrame({"Name": ["a", "b"]}, index=pd.Index([10, 20], name="my_index"))
    (chunk,) = iter_chunks(iter_batches(df, 10), EncodeOptions())
    assert chunk.data == b"Name\na\nb\n"


def test_a_null_in_a_single_column_frame_is_not_a_blank_line() -> None:
    (chunk,) = iter_chunks([pl.DataFrame({"Id": ["a", None, "b"]})], EncodeOptions())
    assert chunk.data == b'Id\na\n""\nb\n'
    assert python_csv_rows(chunk.data, ",", "LF") == [["Id"], ["a"], [""], ["b"]]
