"""Backend detection, conversion and batching: never mutate, keep order, restore pandas."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import polars as pl
import pytest

from sfbulk_frames._exceptions import FrameError
from sfbulk_frames.frames.backend import (
    _slices_into_scan,
    backend_of,
    from_polars,
    iter_batches,
    to_polars,
)


def test_backend_of_each_supported_frame() -> None:
    assert backend_of(pd.DataFrame({"a": [1]})) == "pandas"
    assert backend_of(pl.DataFrame({"a": [1]})) == "polars"
    assert backend_of(pl.DataFrame({"a": [1]}).lazy()) == "polars"


def test_backend_of_anything_else_is_a_frame_error() -> None:
    with pytest.raises(FrameError, match=r"got builtins\.dict"):
        backend_of({"a": [1]})


def test_to_polars_drops_the_pandas_index_and_keeps_values() -> None:
    df = pd.DataFrame({"Name": ["a", None]}, index=pd.Index(["x", "y"], name="key"))
    frame = to_polars(df)
    assert isinstance(frame, pl.DataFrame)
    assert frame.columns == ["Name"]
    assert frame.get_column("Name").to_list() == ["a", None]


def test_to_polars_does_not_mutate_the_pandas_frame() -> None:
    df = pd.DataFrame({"F": [float("nan"), 1.0], "N": pd.array([None, 2], dtype="Int64")})
    before = df.copy(deep=True)
    to_polars(df)
    pd.testing.assert_frame_equal(df, before)


def test_iter_batches_slices_a_dataframe_in_order() -> None:
    df = pl.DataFrame({"a": list(range(10))})
    assert [b.get_column("a").to_list() for b in iter_batches(df, 4)] == [
        [0, 1, 2, 3], [4, 5, 6, 7], [8, 9]
    ]


def test_iter_batches_streams_a_lazyframe_in_order_and_bounded() -> None:
    lazy = pl.LazyFrame({"a": list(range(1000))}).with_columns(b=pl.col("a") * 2)
    batches = list(iter_batches(lazy, 64))
    assert all(b.height <= 64 for b in batches)
    assert pl.concat(batches).get_column("a").to_list() == list(range(1000))


def test_iter_batches_reads_a_parquet_scan_one_slice_at_a_time(tmp_path: Path) -> None:
    for n in range(3):
        pl.DataFrame({"a": list(range(n * 100, n * 100 + 100))}).write_parquet(
            tmp_path / f"part-{n}.parquet", row_group_size=30
        )
    scan = pl.scan_parquet(tmp_path / "*.parquet").select("a")
    assert _slices_into_scan(scan, 64)
    batches = list(iter_batches(scan, 64))
    assert [b.height for b in batches] == [64, 64, 64, 64, 44]
    assert pl.concat(batches).get_column("a").to_list() == list(range(300))


def test_iter_batches_streams_a_filtered_scan_without_rereading_it(tmp_path: Path) -> None:
    pl.DataFrame({"a": list(range(300))}).write_parquet(tmp_path / "part.parquet")
    scan = pl.scan_parquet(tmp_path / "part.parquet").filter(pl.col("a") % 2 == 0)
    assert not _slices_into_scan(scan, 64)
    batches = list(iter_batches(scan, 64))
    assert pl.concat(batches).get_column("a").to_list() == list(range(0, 300, 2))


def test_iter_batches_rejects_zero_batch_rows() -> None:
    with pytest.raises(ValueError, match="batch_rows"):
        list(iter_batches(pl.DataFrame({"a": [1]}), 0))


def test_from_polars_with_source_restores_values_dtypes_and_index_labels() -> None:
    df = pd.DataFrame(
        {
            "N": pd.array([1, None, 3], dtype="Int64"),
            "C": pd.Categorical(["x", "y", "x"]),
            "D": [dt.date(2024, 1, 1), dt.date(2024, 1, 2), None],
            "F": [1.5, float("nan"), 3.0],
        },
        index=pd.Index(["r1", "r2", "r3"], name="key"),
    )
    part = pl.DataFrame({"N": [3, None], "sf__Row": [2, 1], "sf__Id": ["a", "b"]})
    back = from_polars(part, "pandas", pandas_source=df)
    assert list(back.index) == ["r3", "r2"]
    assert back.index.name == "key"
    assert list(back.columns) == ["N", "sf__Row", "sf__Id"]
    assert back["N"].dtype == df["N"].dtype
    assert back["N"].tolist() == [3, pd.NA]
    assert back["sf__Id"].tolist() == ["a", "b"]


def test_from_polars_with_index_and_dtypes_restores_pandas_dtypes() -> None:
    df = pd.DataFrame(
        {"N": pd.array([1, None], dtype="Int64"), "C": pd.Categorical(["x", "y"]),
         "S": pd.Series(["a", "b"], dtype="str"), "F": [0.5, 2.5]},
        index=[100, 200],
    )
    part = to_polars(df)
    assert isinstance(part, pl.DataFrame)
    part = part.with_columns(sf__Row=pl.Series([0, 1], dtype=pl.Int64))[::-1]
    back = from_polars(part, "pandas", pandas_index=df.index, pandas_dtypes=dict(df.dtypes))
    assert list(back.index) == [200, 100]
    for name in ["N", "C", "S", "F"]:
        assert back[name].dtype == df[name].dtype, name
    assert back["C"].tolist() == ["y", "x"]
    assert back["N"].tolist() == [pd.NA, 1]


def test_from_polars_to_polars_is_the_part_itself() -> None:
    part = pl.DataFrame({"a": [1]})
    assert from_polars(part, "polars") is part


def test_from_polars_without_source_restores_object_and_datetime_columns() -> None:
    df = pd.DataFrame({
        "D": [dt.date(2024, 1, 1), None],
        "T": pd.to_datetime(["2024-01-01 10:00", "2024-01-02 00:00"]).tz_localize("Europe/Paris"),
        "B": [True, False],
        "I": [1, 2],
    })
    part = to_polars(df)
    assert isinstance(part, pl.DataFrame)
    part = part.with_columns(sf__Row=pl.Series([0, 1], dtype=pl.Int64))
    back = from_polars(part, "pandas", pandas_index=df.index, pandas_dtypes=dict(df.dtypes))
    for name in ["D", "T", "B", "I"]:
        assert back[name].dtype == df[name].dtype, name
    assert back["D"].tolist() == [dt.date(2024, 1, 1), None]
    assert back["T"].tolist() == df["T"].tolist()
