"""Errors raised before any request, each naming the column and the fix."""

from __future__ import annotations

import pandas as pd
import polars as pl
import pytest

from sfbulk_frames._exceptions import FrameError
from sfbulk_frames.frames.backend import frame_columns, frame_schema
from sfbulk_frames.frames.encode import validate_frame

from .conftest import as_backend


def check(df: object, operation: str = "insert", external_id_field: str | None = None) -> None:
    validate_frame(frame_columns(df), frame_schema(df), operation=operation,
                   external_id_field=external_id_field)


def test_a_sendable_frame_passes_and_the_same_frame_without_its_key_does_not(
    backend: str,
) -> None:
    sendable = pl.DataFrame({"Id": ["001"], "Name": ["x"], "Tags": [["a"]]})
    check(as_backend(sendable, backend), "update")  # raises FrameError if it is refused
    with pytest.raises(FrameError, match="'Id'") as info:  # the control: one change, refused
        check(as_backend(sendable.drop("Id"), backend), "update")
    assert info.value.column == "Id"


@pytest.mark.parametrize("operation", ["update", "delete", "hardDelete"])
def test_missing_id_column_is_named_with_a_close_match(operation: str) -> None:
    with pytest.raises(FrameError, match=r"'Id'.*did you mean 'ID'") as info:
        check(pl.DataFrame({"ID": ["001"]}), operation)
    assert info.value.column == "Id"


def test_upsert_without_the_external_id_column_suggests_the_close_match(backend: str) -> None:
    df = as_backend(pl.DataFrame({"ExternalId_c": ["A"], "Name": ["x"]}), backend)
    with pytest.raises(FrameError, match=r"'ExternalId__c'.*did you mean 'ExternalId_c'"):
        check(df, "upsert", "ExternalId__c")


def test_upsert_without_external_id_field_says_to_pass_it() -> None:
    with pytest.raises(FrameError, match="external_id_field="):
        check(pl.DataFrame({"Name": ["x"]}), "upsert", None)


def test_empty_column_name_is_an_error() -> None:
    with pytest.raises(FrameError, match="empty"):
        check(pl.DataFrame({"": ["x"]}))


def test_duplicate_column_names_in_pandas_are_an_error_naming_the_column() -> None:
    df = pd.DataFrame([["a", "b"]], columns=["Name", "Name"])
    with pytest.raises(FrameError, match="'Name' appears more than once") as info:
        check(df)
    assert info.value.column == "Name"


def test_non_string_pandas_column_names_are_an_error() -> None:
    with pytest.raises(FrameError, match="column name 0"):
        check(pd.DataFrame([["a"]]))


def test_reserved_sf_prefix_is_an_error(backend: str) -> None:
    df = as_backend(pl.DataFrame({"Name": ["x"], "sf__Error": ["old"]}), backend)
    with pytest.raises(FrameError, match=r"'sf__Error'.*reserved"):
        check(df)


def test_a_frame_without_columns_is_an_error() -> None:
    with pytest.raises(FrameError, match="no columns"):
        check(pl.DataFrame())


@pytest.mark.parametrize(
    ("frame", "column", "hint"),
    [
        (pl.DataFrame({"S": [{"a": 1}]}), "S", "unnest"),
        (pl.DataFrame({"B": [b"\x00"]}), "B", "binary"),
        (pl.DataFrame({"L": [[1, 2]]}), "L", "list of Int64"),
        (pl.DataFrame({"LL": [[["a"]]]}), "LL", "list of List"),
        (pl.DataFrame({"O": [object()]}, schema={"O": pl.Object}), "O", "Python objects"),
        (pl.DataFrame({"D": [pl.duration(seconds=1)]}).select(pl.duration(seconds=1).alias("D")),
         "D", "durations"),
    ],
)
def test_unsupported_dtypes_name_the_column_and_the_fix(
    frame: pl.DataFrame, column: str, hint: str
) -> None:
    with pytest.raises(FrameError, match=hint) as info:
        check(frame)
    assert info.value.column == column
    assert repr(column) in str(info.value)


def test_pandas_dict_column_is_rejected_as_a_struct() -> None:
    with pytest.raises(FrameError, match="'Meta'"):
        check(pd.DataFrame({"Meta": [{"a": 1}]}))


def test_pandas_mixed_object_column_names_the_column() -> None:
    df = pd.DataFrame({"Fine": ["x", "y"], "Mixed": [1, "a"]})
    with pytest.raises(FrameError, match="'Mixed'") as info:
        check(df)
    assert info.value.column == "Mixed"
