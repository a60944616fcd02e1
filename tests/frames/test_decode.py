"""Result and query CSVs -> frames with a real CSV parser and types from metadata."""

from __future__ import annotations

import datetime as dt
import warnings

import polars as pl
import pytest

from sfbulk_frames._exceptions import ResultMatchError
from sfbulk_frames.frames.decode import (
    SF_TYPE_TO_POLARS,
    empty_query_frame,
    parse_query_page,
    read_result_csv,
)


def test_result_csv_keeps_quoted_newlines_and_delimiters() -> None:
    data = b'"sf__Id","sf__Created","Name"\n"001","true","a,b\nsecond line"\n"002","false","x"\n'
    frame = read_result_csv(data)
    assert frame.to_dict(as_series=False) == {
        "sf__Id": ["001", "002"], "sf__Created": ["true", "false"],
        "Name": ["a,b\nsecond line", "x"],
    }


def test_result_csv_empty_quoted_and_unquoted_cells_are_null() -> None:
    frame = read_result_csv(b'A,B,C\n"",,x\n')
    assert frame.row(0) == (None, None, "x")


def test_result_csv_keeps_numbers_as_text() -> None:
    frame = read_result_csv(b'"Amount","Code"\n"9.12260031E8","007"\n')
    assert frame.row(0) == ("9.12260031E8", "007")


def test_header_only_result_is_an_empty_frame_with_the_columns() -> None:
    frame = read_result_csv(b'"sf__Id","sf__Error","Name"\n')
    assert frame.columns == ["sf__Id", "sf__Error", "Name"]
    assert frame.height == 0


def test_empty_body_is_a_frame_without_columns() -> None:
    assert read_result_csv(b"").shape == (0, 0)


def test_unprocessed_records_without_trailing_newline_and_unquoted_numbers() -> None:
    frame = read_result_csv(b'"Name","Employees"\n"Foo",12\n"Bar",1138')
    assert frame.to_dict(as_series=False) == {"Name": ["Foo", "Bar"], "Employees": ["12", "1138"]}


def test_crlf_results_keep_quoted_crlf_and_drop_the_record_terminator() -> None:
    frame = read_result_csv(b'A\tB\r\n"x\r\ny"\tz\r\n', delimiter="\t", line_ending="CRLF")
    assert frame.row(0) == ("x\r\ny", "z")


def test_utf8_bom_is_ignored() -> None:
    frame = read_result_csv(b"\xef\xbb\xbfName\nx\n")
    assert frame.columns == ["Name"]


def test_sf_type_mapping_covers_the_documented_types() -> None:
    for text_type in ["id", "reference", "string", "picklist", "multipicklist", "textarea",
                      "email", "phone", "url", "combobox", "encryptedstring"]:
        assert SF_TYPE_TO_POLARS[text_type] == pl.String
    assert SF_TYPE_TO_POLARS["boolean"] == pl.Boolean
    assert SF_TYPE_TO_POLARS["int"] == pl.Int64
    assert SF_TYPE_TO_POLARS["currency"] == pl.Float64
    assert SF_TYPE_TO_POLARS["datetime"] == pl.Datetime("us", "UTC")


QUERY_COLUMNS = [
    ("Id", "id"), ("Name", "string"), ("IsActive__c", "boolean"), ("Employees", "int"),
    ("Revenue", "currency"), ("Since", "date"), ("LastSeen", "datetime"), ("Opens", "time"),
    ("Account.Name", "string"), ("Blob__c", "base64"),
]


def test_query_page_is_typed_from_metadata_in_select_order() -> None:
    data = (
        b'"Id","Name","IsActive__c","Employees","Revenue","Since","LastSeen","Opens",'
        b'"Account.Name","Blob__c"\n'
        b'"001A","Acme, Inc.\nHQ","true","12","9.12260031E8","2024-03-15",'
        b'"2024-03-15T17:02:31.250Z","08:30:00.000Z","Parent","x"\n'
        b'"001B","","false","","","","","","",""\n'
    )
    frame = parse_query_page(data, QUERY_COLUMNS)
    assert frame.columns == [name for name, _ in QUERY_COLUMNS]
    assert frame.schema["Employees"] == pl.Int64
    assert frame.schema["LastSeen"] == pl.Datetime("us", "UTC")
    assert frame.schema["Blob__c"] == pl.String
    first = frame.row(0, named=True)
    assert first["Name"] == "Acme, Inc.\nHQ"
    assert first["IsActive__c"] is True
    assert first["Employees"] == 12
    assert first["Revenue"] == 912260031.0
    assert first["Since"] == dt.date(2024, 3, 15)
    assert first["LastSeen"] == dt.datetime(2024, 3, 15, 17, 2, 31, 250000, tzinfo=dt.UTC)
    assert first["Opens"] == dt.time(8, 30)
    second = frame.row(1, named=True)
    assert second["IsActive__c"] is False
    assert all(second[name] is None for name in second if name not in ("Id", "IsActive__c"))


def test_query_datetimes_with_offsets_are_converted_to_utc() -> None:
    data = b'"T"\n"2024-03-15T17:02:31.000+0100"\n"2024-03-15T17:02:31Z"\n'
    frame = parse_query_page(data, [("T", "datetime")])
    assert frame.get_column("T").to_list() == [
        dt.datetime(2024, 3, 15, 16, 2, 31, tzinfo=dt.UTC),
        dt.datetime(2024, 3, 15, 17, 2, 31, tzinfo=dt.UTC),
    ]


def test_query_integers_written_with_point_zero_still_parse() -> None:
    frame = parse_query_page(b'"N"\n"12.0"\n"-3"\n', [("N", "int")])
    assert frame.get_column("N").to_list() == [12, -3]


def test_header_case_differences_keep_the_select_names() -> None:
    frame = parse_query_page(b'"NAME"\n"x"\n', [("Name", "string")])
    assert frame.columns == ["Name"]


def test_a_column_with_an_unparseable_value_stays_text_with_a_warning() -> None:
    with pytest.warns(UserWarning, match="'Employees'.*'lots'"):
        frame = parse_query_page(b'"Employees"\n"12"\n"lots"\n', [("Employees", "int")])
    assert frame.get_column("Employees").to_list() == ["12", "lots"]


def test_a_page_with_another_column_count_is_a_typed_error() -> None:
    with pytest.raises(ResultMatchError, match="expected"):
        parse_query_page(b'"A","B"\n"1","2"\n', [("A", "string")])


def test_header_only_page_is_a_typed_empty_frame() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        frame = parse_query_page(b'"Id","N"\n', [("Id", "id"), ("N", "double")])
    assert frame.schema == pl.Schema({"Id": pl.String, "N": pl.Float64})
    assert frame.height == 0


def test_empty_query_frame_has_the_types() -> None:
    frame = empty_query_frame([("D", "date"), ("X", "anyType")])
    assert frame.schema == pl.Schema({"D": pl.Date, "X": pl.String})
