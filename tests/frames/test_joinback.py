"""Join-back: result rows (re-formatted by Salesforce) map to the input rows they came from."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from sfbulk_frames.frames.encode import EncodeOptions, encode_batch
from sfbulk_frames.frames.joinback import canonical_number, column_kinds, match_results

EMPTY_SUCCESS = pl.DataFrame(schema={"sf__Id": pl.String, "sf__Created": pl.String})
EMPTY_FAILED = pl.DataFrame(schema={"sf__Id": pl.String, "sf__Error": pl.String})


def text(data: dict[str, list[str | None]]) -> pl.DataFrame:
    return pl.DataFrame(data, schema=dict.fromkeys(data, pl.String))


def match(
    frame: pl.DataFrame,
    *,
    successful: pl.DataFrame = EMPTY_SUCCESS,
    failed: pl.DataFrame = EMPTY_FAILED,
    unprocessed: pl.DataFrame | None = None,
    key: str | None = None,
    start: int = 0,
):
    cells = encode_batch(frame, EncodeOptions())
    return match_results(
        cells, successful=successful, failed=failed,
        unprocessed=unprocessed if unprocessed is not None else pl.DataFrame(),
        start=start, key=key, kinds=column_kinds(dict(frame.schema)),
    )


@pytest.mark.parametrize(
    ("a", "b"),
    [("912260031", "9.12260031E8"), ("12", "12.0"), ("0.00000015", "1.5E-7"),
     ("-0.5", "-5e-1"), ("100", "1.00E+2"), ("0", "0.0"), ("007", "7")],
)
def test_numbers_in_different_notations_normalize_equal(a: str, b: str) -> None:
    frame = pl.DataFrame({"x": [a, b]}).select(canonical_number(pl.col("x")).alias("x"))
    assert frame.get_column("x")[0] == frame.get_column("x")[1]


@pytest.mark.parametrize(("a", "b"), [("12", "12.5"), ("1E2", "1E3"), ("-1", "1"), ("abc", "0")])
def test_different_numbers_do_not_normalize_equal(a: str, b: str) -> None:
    frame = pl.DataFrame({"x": [a, b]}).select(canonical_number(pl.col("x")).alias("x"))
    assert frame.get_column("x")[0] != frame.get_column("x")[1]


def test_reformatted_echo_values_match_back_to_their_rows() -> None:
    frame = pl.DataFrame({
        "Name": ["a", "b"],
        "Revenue": [912260031.0, 12.0],
        "Employees": [12, 7],
        "Active": [True, False],
        "Seen": [dt.datetime(2024, 3, 15, 17, 2, 31), dt.datetime(2024, 1, 1)],
        "Since": [dt.date(2024, 3, 15), dt.date(2020, 2, 29)],
    })
    successful = text({
        "sf__Id": ["001B", "001A"], "sf__Created": ["true", "true"],
        "Name": ["b", "a"], "Revenue": ["12.0", "9.12260031E8"], "Employees": ["7.0", "12"],
        "Active": ["FALSE", "True"],
        "Seen": ["2024-01-01T00:00:00.000+0000", "2024-03-15T17:02:31.000Z"],
        "Since": ["2020-02-29", "2024-03-15"],
    })
    outcome = match(frame, successful=successful, start=100)
    assert outcome.successful.to_dict(as_series=False) == {
        "sf__Row": [100, 101], "sf__Id": ["001A", "001B"], "sf__Created": [True, True],
    }
    assert outcome.unmatched.height == 0
    assert outcome.unprocessed.height == 0


def test_identical_rows_each_get_exactly_one_result() -> None:
    frame = pl.DataFrame({"Name": ["same", "same", "same"]})
    successful = text({"sf__Id": ["X1", "X2"], "sf__Created": ["true", "true"],
                       "Name": ["same", "same"]})
    failed = text({"sf__Id": [""], "sf__Error": ["DUPLICATE_VALUE:dup:Name --"], "Name": ["same"]})
    outcome = match(frame, successful=successful, failed=failed)
    rows = sorted(outcome.successful.get_column("sf__Row").to_list()
                  + outcome.failed.get_column("sf__Row").to_list())
    assert rows == [0, 1, 2]
    assert outcome.failed.get_column("sf__Error").to_list() == ["DUPLICATE_VALUE:dup:Name --"]


def test_null_and_set_null_marker_and_empty_echo_match() -> None:
    frame = pl.DataFrame({"Name": ["x", "y"], "Note": [None, "n"]})
    successful = text({"sf__Id": ["1", "2"], "sf__Created": ["false", "false"],
                       "Name": ["y", "x"], "Note": ["n", "#N/A"]})
    outcome = match(frame, successful=successful)
    assert outcome.successful.sort("sf__Row").get_column("sf__Id").to_list() == ["2", "1"]


def test_result_rows_matching_no_input_are_reported_not_guessed() -> None:
    frame = pl.DataFrame({"Name": ["a", "b"]})
    successful = text({"sf__Id": ["1", "2"], "sf__Created": ["true", "true"],
                       "Name": ["a", "zzz"]})
    outcome = match(frame, successful=successful)
    assert outcome.successful.get_column("sf__Row").to_list() == [0]
    assert outcome.unmatched.get_column("Name").to_list() == ["zzz"]
    assert outcome.unmatched.get_column("sf__Result").to_list() == ["successful"]
    assert outcome.unprocessed.get_column("sf__Row").to_list() == [1]
    assert outcome.unprocessed.get_column("sf__Error").str.starts_with("NO_RESULT").all()


def test_input_rows_without_any_result_are_unprocessed_with_an_explanation() -> None:
    frame = pl.DataFrame({"Name": ["a", "b", "c"]})
    unprocessed = text({"Name": ["c"]})
    successful = text({"sf__Id": ["1"], "sf__Created": ["true"], "Name": ["a"]})
    outcome = match(frame, successful=successful, unprocessed=unprocessed)
    assert outcome.unprocessed.to_dict(as_series=False) == {
        "sf__Row": [1, 2],
        "sf__Error": ["NO_RESULT:Salesforce returned no result row for this input row", None],
    }
    assert outcome.n_rows == 3


def test_key_matching_uses_the_key_even_when_other_values_were_reformatted() -> None:
    frame = pl.DataFrame({"Ext__c": ["A", "B"], "Amount": [0.1, 0.2]})
    successful = text({"sf__Id": ["2", "1"], "sf__Created": ["false", "true"],
                       "Ext__c": ["B", "A"], "Amount": ["0.20000000000000001", "0.1"]})
    outcome = match(frame, successful=successful, key="Ext__c")
    assert outcome.successful.to_dict(as_series=False) == {
        "sf__Row": [0, 1], "sf__Id": ["1", "2"], "sf__Created": [True, False],
    }


def test_duplicate_keys_fall_back_to_the_payload() -> None:
    frame = pl.DataFrame({"Ext__c": ["A", "A"], "Name": ["first", "second"]})
    failed = text({"sf__Id": ["", ""], "sf__Error": ["E1:x --", "E2:y --"],
                   "Ext__c": ["A", "A"], "Name": ["second", "first"]})
    outcome = match(frame, failed=failed, key="Ext__c")
    assert outcome.failed.to_dict(as_series=False) == {
        "sf__Row": [0, 1], "sf__Id": [None, None], "sf__Error": ["E2:y --", "E1:x --"],
    }


def test_an_eighteen_char_id_echo_matches_the_fifteen_char_id_sent() -> None:
    frame = pl.DataFrame({"Id": ["001R00000033I6A"]})
    successful = text({"sf__Id": ["001R00000033I6AIAU"], "sf__Created": ["false"],
                       "Id": ["001R00000033I6AIAU"]})
    outcome = match(frame, successful=successful, key="Id")
    assert outcome.successful.get_column("sf__Row").to_list() == [0]


def test_result_columns_are_matched_case_insensitively() -> None:
    frame = pl.DataFrame({"Name": ["a"]})
    successful = text({"sf__Id": ["1"], "sf__Created": ["true"], "NAME": ["a"]})
    assert match(frame, successful=successful).successful.height == 1


def test_every_input_row_lands_in_exactly_one_part() -> None:
    frame = pl.DataFrame({"Name": [f"n{i % 3}" for i in range(9)], "N": list(range(9))})
    successful = text({"sf__Id": ["a", "b"], "sf__Created": ["true", "true"],
                       "Name": ["n0", "n1"], "N": ["0", "4.0"]})
    failed = text({"sf__Id": [""], "sf__Error": ["X:y --"], "Name": ["n2"], "N": ["8"]})
    unprocessed = text({"Name": ["n0"], "N": ["3"]})
    outcome = match(frame, successful=successful, failed=failed, unprocessed=unprocessed)
    rows = pl.concat([outcome.successful.select("sf__Row"), outcome.failed.select("sf__Row"),
                      outcome.unprocessed.select("sf__Row")]).get_column("sf__Row")
    assert sorted(rows.to_list()) == list(range(9))
    assert outcome.successful.get_column("sf__Row").to_list() == [0, 4]
    assert outcome.failed.get_column("sf__Row").to_list() == [8]
