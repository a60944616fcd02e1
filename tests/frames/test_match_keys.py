"""Join-back key selection: one unique column when there is one, read and encoded alone."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from functools import partial

import polars as pl

from sfbulk_frames.frames.decode import read_result_csv
from sfbulk_frames.frames.encode import EncodeOptions, encode_batch, iter_chunks
from sfbulk_frames.frames.joinback import column_kinds, match_encoded, match_results


def text(data: dict[str, list[str | None]]) -> pl.DataFrame:
    return pl.DataFrame(data, schema=dict.fromkeys(data, pl.String))


class RecordingReader:
    """A result CSV reader that remembers which columns it was asked for."""

    def __init__(self, data: bytes) -> None:
        self.read = partial(read_result_csv, data)
        self.asked: list[list[str] | None] = []

    def __call__(self, *, columns: Collection[str] | None) -> pl.DataFrame:
        self.asked.append(None if columns is None else sorted(columns))
        return self.read(columns=columns)


EMPTY = b""


def test_a_unique_text_column_matches_rows_even_when_other_values_were_reformatted() -> None:
    frame = pl.DataFrame({"Email": ["a@x.org", "b@x.org"], "Note": ["same", "same"]})
    successful = text({"sf__Id": ["2", "1"], "sf__Created": ["true", "true"],
                       "Email": ["b@x.org", "a@x.org"], "Note": ["SAME (trimmed)", "same"]})
    outcome = match_results(encode_batch(frame, EncodeOptions()), successful=successful,
                            failed=pl.DataFrame(), unprocessed=pl.DataFrame(), start=10,
                            key=None, kinds=column_kinds(dict(frame.schema)))
    assert outcome.successful.to_dict(as_series=False) == {
        "sf__Row": [10, 11], "sf__Id": ["1", "2"], "sf__Created": [True, True],
    }
    assert outcome.unmatched.height == 0


def test_only_the_unique_column_and_sf_columns_are_read_from_the_results() -> None:
    frame = pl.DataFrame({"Name": ["n", "n", "m"], "Ext__c": ["E1", "E2", "E3"], "N": [1, 2, 3]})
    body = b'"sf__Id","sf__Created","Name","Ext__c","N"\n"1","true","n","E2","2"\n'
    reader = RecordingReader(body)
    outcome = match_results(encode_batch(frame, EncodeOptions()), successful=reader,
                            failed=RecordingReader(EMPTY), unprocessed=RecordingReader(EMPTY),
                            start=0, key=None, kinds=column_kinds(dict(frame.schema)))
    assert reader.asked == [["Ext__c", "sf__Created", "sf__Error", "sf__Id"]]
    assert outcome.successful.get_column("sf__Row").to_list() == [1]
    assert outcome.unprocessed.get_column("sf__Row").to_list() == [0, 2]


def test_unmatched_rows_of_a_partial_read_keep_their_whole_raw_payload() -> None:
    frame = pl.DataFrame({"Ext__c": ["E1", "E2"], "Name": ["a", "b"]})
    body = b'"sf__Id","sf__Created","Ext__c","Name"\n"1","true","E1","a"\n"2","true","E9","z"\n'
    outcome = match_results(encode_batch(frame, EncodeOptions()),
                            successful=RecordingReader(body), failed=RecordingReader(EMPTY),
                            unprocessed=RecordingReader(EMPTY), start=0, key="Ext__c",
                            kinds=column_kinds(dict(frame.schema)))
    assert outcome.successful.get_column("sf__Row").to_list() == [0]
    assert outcome.unmatched.to_dict(as_series=False) == {
        "sf__Row": [None], "sf__Result": ["successful"], "sf__Id": ["2"],
        "sf__Created": ["true"], "Ext__c": ["E9"], "Name": ["z"],
    }
    assert outcome.unprocessed.get_column("sf__Row").to_list() == [1]


def test_a_key_echoed_twice_matches_one_input_row_and_reports_the_other() -> None:
    frame = pl.DataFrame({"Ext__c": ["E1", "E2"]})
    successful = text({"sf__Id": ["1", "3"], "sf__Created": ["true", "true"],
                       "Ext__c": ["E1", "E1"]})
    failed = text({"sf__Id": [None], "sf__Error": ["X:y --"], "Ext__c": ["E2"]})
    outcome = match_results(encode_batch(frame, EncodeOptions()), successful=successful,
                            failed=failed, unprocessed=pl.DataFrame(), start=0, key="Ext__c",
                            kinds=column_kinds(dict(frame.schema)))
    assert outcome.successful.to_dict(as_series=False) == {
        "sf__Row": [0], "sf__Id": ["1"], "sf__Created": [True],
    }
    assert outcome.failed.get_column("sf__Row").to_list() == [1]
    assert outcome.unmatched.get_column("sf__Id").to_list() == ["3"]
    assert outcome.unprocessed.height == 0


def test_a_column_unique_as_text_but_not_as_numbers_is_not_used_as_the_key() -> None:
    # "12" and "12.0" differ as text but are the same number to Salesforce
    cells = text({"Amount": ["12", "12.0"], "Name": ["a", "a"]})
    successful = text({"sf__Id": ["1", "2"], "sf__Created": ["true", "true"],
                       "Amount": ["12.0", "12.0"], "Name": ["a", "a"]})
    outcome = match_results(cells, successful=successful, failed=pl.DataFrame(),
                            unprocessed=pl.DataFrame(), start=0, key=None,
                            kinds={"Amount": "number", "Name": "text"})
    assert sorted(outcome.successful.get_column("sf__Row").to_list()) == [0, 1]
    assert outcome.unmatched.height == 0


def test_without_a_unique_column_the_whole_payload_and_duplicates_counter_match() -> None:
    frame = pl.DataFrame({"Name": ["a", "a", "b"], "N": [1, 1, 1]})
    successful = text({"sf__Id": ["1", "2"], "sf__Created": ["true", "true"],
                       "Name": ["a", "b"], "N": ["1", "1.0"]})
    failed = text({"sf__Id": [None], "sf__Error": ["E:x --"], "Name": ["a"], "N": ["1"]})
    outcome = match_results(encode_batch(frame, EncodeOptions()), successful=successful,
                            failed=failed, unprocessed=pl.DataFrame(), start=0, key=None,
                            kinds=column_kinds(dict(frame.schema)))
    assert outcome.successful.get_column("sf__Row").to_list() == [0, 2]
    assert outcome.failed.get_column("sf__Row").to_list() == [1]


def test_match_from_a_chunk_encodes_only_the_column_it_matches_on() -> None:
    frame = pl.DataFrame({"Ext__c": ["E1", "E2"], "Score": [1.5, 2.5], "N": [7, 7]})
    (chunk,) = iter_chunks([frame], EncodeOptions())
    encoded: list[list[str]] = []

    def encode(rows: pl.DataFrame) -> pl.DataFrame:
        encoded.append(rows.columns)
        return chunk.cells_of(rows)

    echo = read_result_csv(chunk.data).reverse()
    successful = echo.select(pl.lit("001").alias("sf__Id"), pl.lit("true").alias("sf__Created"),
                             pl.all())
    outcome = match_encoded(chunk.rows, encode, successful=successful, failed=pl.DataFrame(),
                            unprocessed=pl.DataFrame(), start=0, key=None,
                            kinds=column_kinds(dict(frame.schema)))
    assert encoded == [["Ext__c"]]
    assert outcome.successful.get_column("sf__Row").to_list() == [0, 1]


def test_text_columns_are_tried_first_then_the_cheapest_unique_kind() -> None:
    stamps = [dt.datetime(2024, 1, 1), dt.datetime(2024, 1, 2)]
    frame = pl.DataFrame({"Stamp": stamps, "Name": ["a", "a"], "Code": [10, 20]})
    (chunk,) = iter_chunks([frame], EncodeOptions())
    encoded: list[list[str]] = []

    def encode(rows: pl.DataFrame) -> pl.DataFrame:
        encoded.append(rows.columns)
        return chunk.cells_of(rows)

    successful = text({"sf__Id": ["2", "1"], "sf__Created": ["true", "true"],
                       "Stamp": ["2024-01-02T00:00:00.000Z", "2024-01-01T00:00:00.000Z"],
                       "Name": ["a", "a"], "Code": ["2.0E1", "10"]})
    outcome = match_encoded(chunk.rows, encode, successful=successful, failed=pl.DataFrame(),
                            unprocessed=pl.DataFrame(), start=0, key=None,
                            kinds=column_kinds(dict(frame.schema)))
    assert encoded == [["Name"], ["Code"]]  # Name is not unique; Stamp is never encoded
    assert outcome.successful.get_column("sf__Id").to_list() == ["1", "2"]
