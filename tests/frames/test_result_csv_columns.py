"""Reading only some columns of a result CSV, and keeping already-sorted result parts."""

from __future__ import annotations

import polars as pl

from sfbulk_frames.frames.decode import read_result_csv
from sfbulk_frames.frames.result import sorted_by_row

BODY = (b'"sf__Id","sf__Created","Ext__c","Note"\n'
        b'"1","true","E1","multi\nline, ""quoted"""\n"2","false","","x"\n')


def test_only_the_requested_columns_are_read_case_insensitively() -> None:
    frame = read_result_csv(BODY, columns=["ext__C", "sf__Id", "NotInTheHeader"])
    assert frame.to_dict(as_series=False) == {"sf__Id": ["1", "2"], "Ext__c": ["E1", None]}


def test_requesting_no_known_column_reads_every_column() -> None:
    frame = read_result_csv(BODY, columns=["Missing"])
    assert frame.columns == ["sf__Id", "sf__Created", "Ext__c", "Note"]
    assert frame.get_column("Note").to_list() == ['multi\nline, "quoted"', "x"]


def test_a_body_of_whitespace_is_a_frame_without_columns() -> None:
    assert read_result_csv(b" \n\r\n", columns=["sf__Id"]).shape == (0, 0)


def test_parts_already_sorted_by_row_are_kept_and_others_are_sorted() -> None:
    ordered = pl.DataFrame({"sf__Row": [1, 5, 9], "v": ["a", "b", "c"]})
    assert sorted_by_row(ordered) is ordered
    shuffled = pl.DataFrame({"sf__Row": [9, 1, 5], "v": ["c", "a", "b"]})
    assert sorted_by_row(shuffled).equals(ordered)
