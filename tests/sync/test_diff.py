"""frames/diff.py: values compared as Salesforce stores them, and every row classified once."""

from __future__ import annotations

import datetime as dt
from typing import Any

import polars as pl
import pytest

from sfbulk_frames.frames.diff import classify, comparable, key_comparable

UTC = dt.UTC
PARIS = dt.timezone(dt.timedelta(hours=2))


def _same(field: dict[str, Any], left: list[Any], right: list[Any]) -> list[bool]:
    """Whether each pair of values is stored alike for ``field``."""
    frame = pl.DataFrame({"a": left, "b": right}, strict=False)
    out = frame.select(
        comparable(pl.col("a"), frame.schema["a"], field)
        .eq_missing(comparable(pl.col("b"), frame.schema["b"], field))
    )
    return out.to_series().to_list()


@pytest.mark.parametrize(
    ("field", "left", "right"),
    [
        ({"type": "double", "scale": 2}, [1.0], [1]),
        ({"type": "double", "scale": 2}, ["1.0"], [1.0]),
        ({"type": "currency", "scale": 2}, [1.234], [1.23]),
        ({"type": "int", "scale": 0}, ["7"], [7]),
        ({"type": "string"}, [None], [""]),
        ({"type": "string"}, ["  Lee \t"], ["Lee"]),
        ({"type": "textarea"}, ["   "], [None]),
        ({"type": "email"}, [" a@x.io"], ["a@x.io"]),
        ({"type": "boolean"}, [None], [False]),
        ({"type": "boolean"}, ["TRUE"], [True]),
        ({"type": "boolean"}, ["0"], [False]),
        ({"type": "datetime"}, [dt.datetime(2024, 5, 1, 12, tzinfo=PARIS)],
         [dt.datetime(2024, 5, 1, 10, tzinfo=UTC)]),
        ({"type": "datetime"}, [dt.datetime(2024, 5, 1, 10)], ["2024-05-01T10:00:00.000Z"]),
        ({"type": "datetime"}, [dt.datetime(2024, 5, 1, 10, 0, 0, 123456, tzinfo=UTC)],
         [dt.datetime(2024, 5, 1, 10, 0, 0, 123000, tzinfo=UTC)]),
        ({"type": "date"}, [dt.date(2024, 5, 1)], ["2024-05-01"]),
        ({"type": "date"}, [dt.datetime(2024, 5, 1)], [dt.date(2024, 5, 1)]),
        ({"type": "time"}, [dt.time(9, 30)], ["09:30:00.000Z"]),
        ({"type": "multipicklist"}, ["b;a"], ["a ; b"]),
        ({"type": "multipicklist"}, [["b", "a"]], ["a;b"]),
        ({"type": "reference"}, ["001R000000abcdeIAA"], ["001R000000abcde"]),
        ({"type": "picklist"}, ["Web "], ["Web"]),
    ],
)
def test_look_alike_values_compare_equal(field: dict[str, Any], left: list[Any],
                                         right: list[Any]) -> None:
    assert _same(field, left, right) == [True]


@pytest.mark.parametrize(
    ("field", "left", "right"),
    [
        ({"type": "double", "scale": 2}, [1.0], [1.01]),
        ({"type": "double", "scale": 2}, [None], [0.0]),
        ({"type": "string"}, ["Lee"], ["lee"]),
        ({"type": "string"}, ["\u00a0Lee"], ["Lee"]),  # a non-breaking space is kept
        ({"type": "string"}, [None], ["x"]),
        ({"type": "boolean"}, [True], [None]),
        ({"type": "datetime"}, [dt.datetime(2024, 5, 1, 10, tzinfo=UTC)],
         [dt.datetime(2024, 5, 1, 10, 0, 0, 1000, tzinfo=UTC)]),
        ({"type": "date"}, [dt.date(2024, 5, 1)], ["2024-05-02"]),
        ({"type": "multipicklist"}, ["a;b"], ["a"]),
        ({"type": "double", "scale": 2}, ["abc"], [None]),
    ],
)
def test_real_changes_compare_different(field: dict[str, Any], left: list[Any],
                                        right: list[Any]) -> None:
    assert _same(field, left, right) == [False]


def test_keys_ignore_case_unless_the_field_is_case_sensitive() -> None:
    frame = pl.DataFrame({"k": ["AbC"]})
    insensitive = frame.select(key_comparable(pl.col("k"), pl.String(), {"type": "string"}))
    sensitive = frame.select(key_comparable(pl.col("k"), pl.String(),
                                            {"type": "string", "caseSensitive": True}))
    assert insensitive.item() == "abc"
    assert sensitive.item() == "AbC"


FIELDS = {"Ext": {"type": "string"}, "Name": {"type": "string"}, "Id": {"type": "id"}}


def _org(rows: list[tuple[str, str | None, str | None]]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema=["Id", "Ext", "Name"], orient="row")


def test_every_source_row_is_in_exactly_one_class() -> None:
    source = pl.DataFrame({"Ext": ["a", "b", "c", "c", None, "e", "f"],
                           "Name": ["A", "B2", "C", "C", "N", "E", "F"]})
    org = _org([("1", "A", "A"), ("2", "b", "B"), ("3", "e", "E"), ("4", "E", "E"),
                ("5", "z", "Z"), ("6", None, "orphan")])
    parts = classify(source, org, key="Ext", compare=["Name"], fields=FIELDS)
    rows = [*parts.create["sf__Row"], *parts.update["sf__Row"], *parts.unchanged["sf__Row"],
            *parts.conflicts["sf__Row"].drop_nulls()]
    assert sorted(rows) == list(range(source.height))
    assert parts.create["sf__Row"].to_list() == [6]
    assert parts.update.rows() == [(1, "2", ["Name"])]
    assert parts.unchanged.rows() == [(0, "1")]
    assert parts.missing["Id"].to_list() == ["5"]


def test_conflicts_name_their_reason_and_are_never_missing() -> None:
    source = pl.DataFrame({"Ext": ["c", "c", None, "e"], "Name": ["C", "C", "N", "E"]})
    org = _org([("3", "e", "E"), ("4", "E", "E"), ("6", None, "orphan")])
    conflicts = classify(source, org, key="Ext", compare=["Name"], fields=FIELDS).conflicts
    reasons = {(row, org_id): reason for row, org_id, _, reason in conflicts.rows()}
    assert reasons == {
        (0, None): "duplicate_source_key",
        (1, None): "duplicate_source_key",
        (2, None): "missing_key",
        (3, None): "duplicate_org_key",
        (None, "3"): "duplicate_org_key",
        (None, "4"): "duplicate_org_key",
        (None, "6"): "org_record_without_key",
    }


def test_by_id_rows_without_an_id_are_creates_and_unknown_ids_conflicts() -> None:
    source = pl.DataFrame({"Id": [None, "001A", "001Q"], "Name": ["New", "A2", "Q"]})
    org = pl.DataFrame({"Id": ["001A"], "Name": ["A"]})
    parts = classify(source, org, key="Id", compare=["Name"], fields=FIELDS)
    assert parts.create["sf__Row"].to_list() == [0]
    assert parts.update["sf__Row"].to_list() == [1]
    assert parts.conflicts.select("sf__Row", "reason").rows() == [(2, "unknown_id")]


def test_changes_list_the_org_value_and_the_source_value() -> None:
    source = pl.DataFrame({"Ext": ["a"], "Name": ["New"],
                           "When": [dt.datetime(2024, 1, 1, 12, tzinfo=PARIS)]})
    org = _org([("1", "a", "Old")]).with_columns(
        pl.lit(dt.datetime(2024, 1, 1, 9, tzinfo=UTC)).alias("When"))
    fields = {**FIELDS, "When": {"type": "datetime"}}
    changes = classify(source, org, key="Ext", compare=["Name", "When"], fields=fields).changes
    assert changes.select("key", "field", "old", "new").rows() == [
        ("a", "Name", "Old", "New"),
        ("a", "When", "2024-01-01T09:00:00.000Z", "2024-01-01T10:00:00.000Z"),
    ]
