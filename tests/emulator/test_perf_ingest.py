"""The fast ingest path reads, parses and writes exactly like the per-value reference code:
streamed uploads split like the ``csv`` module whatever the chunk size, vectorised column
parsing agrees with the per-value parsers, and a multi-batch job keeps every row."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest

from sfbulk_frames.emulator.ingest import reader as ingest_reader
from sfbulk_frames.emulator.ingest.reader import UploadReader, UploadScan
from sfbulk_frames.emulator.ingest.run import BATCH_SIZE
from sfbulk_frames.emulator.models.schema import FieldDef
from sfbulk_frames.emulator.models.values import (
    echo_value,
    invalid_emails,
    is_valid_email,
    parse_column,
)
from sfbulk_frames.emulator.models.values import parser_for as _parser_for

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


@pytest.mark.parametrize(
    ("field_type", "values"),
    [
        ("boolean", ["true", "FALSE", "1", "0", "yes", "True ", "tRuE"]),
        ("int", ["12", "+5", "-007", "3.00", "3.5", "1e3", "99999999999999999999", "\u0661\u0662"]),
        ("double", ["1.5", "0", "-0.0", "912260031", "1e-4", ".5", "1.", "abc", "1e400", "12"]),
        ("currency", ["0.001", "10000000", "9999999.99", "-3"]),
        ("date", ["2024-02-29", "2023-02-29", "0000-01-01", "2024-1-05", "2024-12-31x"]),
        ("datetime", ["2024-01-02T03:04:05Z", "2024-01-02T03:04:05.123+02:00", "2024-01-02"]),
        ("time", ["10:11:12.345Z", "25:00:00Z", "10:11"]),
    ],
)
def test_column_parsing_agrees_with_the_per_value_parsers(
    field_type: str, values: list[str]
) -> None:
    parser = _parser_for(FieldDef("X__c", field_type))
    assert parser is not None
    parsed = parse_column(field_type, values)
    text_echo = field_type in ("date", "datetime", "time")
    for i, value in enumerate(values):
        try:
            expected: Any = parser(value)
        except ValueError:
            assert i in parsed.bad, value
            continue
        assert i not in parsed.bad, value
        assert parsed.stored[i] == expected, value
        assert type(parsed.stored[i]) is type(expected), value
        echo = expected if text_echo else echo_value(field_type, expected)
        assert parsed.echo[i] == echo, value


def test_email_check_agrees_with_the_per_value_check() -> None:
    values = ["a@b.co", "a@b", "a b@c.de", "x@y.z\x1c", "\u00e9@\u00e9.fr", "@b.c", "a@@b.c"]
    expected = [i for i, v in enumerate(values) if not is_valid_email(v)]
    assert invalid_emails(values) == expected


def test_a_multi_batch_insert_keeps_every_row_and_reports_each_error(api: Any) -> None:
    rows = BATCH_SIZE * 2 + 7
    lines = ["LastName,Email,Score__c,ExternalId__c"]
    for i in range(rows):
        email = "broken" if i % 5000 == 1 else f"u{i}@example.com"
        lines.append(f"L{i},{email},{i / 4},E-{i}")
    outcome = api.ingest("Contact", "insert", "\n".join(lines) + "\n")
    bad = sum(1 for i in range(rows) if i % 5000 == 1)
    assert outcome.info["numberRecordsProcessed"] == rows
    assert outcome.info["numberRecordsFailed"] == bad
    assert len(outcome.successful) == rows - bad
    assert {r["LastName"] for r in outcome.failed} == {f"L{i}" for i in range(1, rows, 5000)}
    assert api.emu.count("Contact") == rows - bad
    sample = next(r for r in outcome.successful if r["LastName"] == "L6")
    assert sample["Score__c"] == "1.5"
    assert sample["ExternalId__c"] == "E-6"
