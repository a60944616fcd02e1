"""A messy CRM export loaded with preflight="rows": every row ends with one status and a reason."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import polars as pl
import pytest

import sfbulk_frames as sfb
from sfbulk_frames.testing import assert_partition

from .conftest import to_pl

LONG = "x" * 40_000
ROWS = [
    # ExternalId__c, LastName, NumberOfChildren__c, HasOptedOutOfEmail, Birthdate, Description
    ("C-1", "Lovelace", "2", "true", "1815-12-10", 'says "hi", twice'),
    ("C-2", "multi\r\nline", "1,200", "Yes", "01/02/2020", ""),
    ("C-3", "Zola", "", "No", "2 Jan 2020", "plain"),
    ("C-4", "Kravitz", "4", "false", "2021-12-31", LONG),
    ("C-5", "Dup one", "1", "0", "2000-01-01", "first of a duplicate key"),
    ("C-5", "Dup two", "1", "1", "2000-01-02", "second of a duplicate key"),
    ("C-6", "", "3", "true", "1999-09-09T00:00:00Z", "no last name and a datetime"),
    ("C-7", "Hopper", "5", "1", "1906-12-09", "line one\nline two"),
]
HELD = {1, 2, 3, 6}  # rows describe proves will fail


def _cell(value: str) -> str:
    if value == "":
        return ""
    if any(c in value for c in ',"\r\n') or value == LONG:
        return '"' + value.replace('"', '""') + '"'
    return value


def write_messy_csv(path: Path) -> None:
    header = "ExternalId__c,LastName,NumberOfChildren__c,HasOptedOutOfEmail,Birthdate,Description"
    lines = [header] + [",".join(_cell(v) for v in row) for row in ROWS]
    path.write_bytes(b"\xef\xbb\xbf" + "\r\n".join(lines).encode("utf-8") + b"\r\n")


@pytest.mark.parametrize("reader", ["pandas", "polars"])
def test_messy_csv_reaches_a_report_with_one_status_and_a_reason_per_row(
    client, emulator, tmp_path, reader
):
    path = tmp_path / "crm_export.csv"
    write_messy_csv(path)
    df = pd.read_csv(path) if reader == "pandas" else pl.read_csv(path)  # as users read it
    assert len(df) == len(ROWS)

    res = sfb.upsert(df, "Contact", "ExternalId__c", preflight="rows", progress=False)

    assert_partition(res, len(ROWS))
    report = to_pl(res.annotate())
    assert report.height == len(ROWS)
    assert report["status"].null_count() == 0
    not_ok = report.filter(pl.col("status") != "success")
    assert not_ok["sf__Error"].null_count() == 0, "every row that did not succeed has a reason"
    assert (not_ok["sf__Error"].str.len_chars() > 0).all()

    failed = to_pl(res.failed)
    held = failed.filter(pl.col("sf__Error").str.starts_with("PREFLIGHT "))
    assert sorted(held["sf__Row"].to_list()) == sorted(HELD)
    errors = dict(zip(held["sf__Row"].to_list(), held["sf__Error"].to_list(), strict=True))
    assert [line.split(":")[0] for line in errors[1].split("\n")] == [
        "PREFLIGHT INVALID_TYPE_ON_FIELD_IN_RECORD",  # 1,200
        "PREFLIGHT INVALID_TYPE_ON_FIELD_IN_RECORD",  # Yes
        "PREFLIGHT INVALID_FIELD",  # 01/02/2020
    ]
    assert "value not of required type: No:HasOptedOutOfEmail --" in errors[2]
    assert "'2 Jan 2020' is not a valid value for the type xsd:date:Birthdate --" in errors[2]
    assert errors[3].startswith("PREFLIGHT STRING_TOO_LONG:Description: data value too large")
    assert "xsd:date" in errors[6]

    # the rows sent: held-back ones never reached Salesforce; the rest got Salesforce's verdict
    sent = len(ROWS) - len(HELD)
    assert sum(job.number_records_processed or 0 for job in res.jobs) == sent
    by_row = dict(enumerate(report["status"].to_list()))  # annotate() keeps the input order
    assert by_row[0] == by_row[7] == "success"
    duplicates = failed.filter(pl.col("sf__Row").is_in([4, 5]))["sf__Error"].to_list()
    assert [e.split(":")[0] for e in duplicates] == ["DUPLICATE_EXTERNAL_ID"] * 2  # Salesforce's
    assert emulator.count("Contact") == 2
    # results carry the input's own values (the CRLF inside a quoted value survived)
    assert failed.filter(pl.col("sf__Row") == 1)["LastName"].to_list() == ["multi\r\nline"]
    assert failed.filter(pl.col("sf__Row") == 3)["Description"].to_list() == [LONG]
