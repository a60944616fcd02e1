"""Per-dtype text cells (DESIGN §3), on pandas and polars."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import polars as pl
import pytest

from sfbulk_frames._exceptions import FrameError
from sfbulk_frames.frames.backend import to_polars
from sfbulk_frames.frames.encode import EncodeOptions, encode_batch

from .conftest import as_backend


def cells_of(df: object, options: EncodeOptions | None = None) -> dict[str, list[object]]:
    frame = to_polars(df)
    assert isinstance(frame, pl.DataFrame)
    return encode_batch(frame, options or EncodeOptions()).to_dict(as_series=False)


def test_booleans_are_lowercase_true_false_and_null_stays_empty(backend: str) -> None:
    df = as_backend(pl.DataFrame({"Active__c": [True, False, None]}), backend)
    assert cells_of(df) == {"Active__c": ["true", "false", None]}


def test_nullable_integers_have_no_decimal_point(backend: str) -> None:
    df = as_backend(pl.DataFrame({"N": [1, None, -42, 9_007_199_254_740_993]}), backend)
    assert cells_of(df) == {"N": ["1", None, "-42", "9007199254740993"]}


def test_floats_are_plain_decimal_without_exponent_and_nan_is_null(backend: str) -> None:
    values = [1e20, 1.5e-7, float("nan"), 0.1, -2.5e-7, None, 12.0, 123456789.125]
    df = as_backend(pl.DataFrame({"X": values}, schema={"X": pl.Float64}), backend)
    assert cells_of(df) == {
        "X": ["100000000000000000000", "0.00000015", None, "0.1", "-0.00000025", None,
              "12.0", "123456789.125"]
    }


def test_pandas_float_nan_column_is_null_not_text_nan() -> None:
    df = pd.DataFrame({"X": [np.nan, 1.5]})
    assert cells_of(df) == {"X": [None, "1.5"]}


@pytest.mark.parametrize("bad", [float("inf"), float("-inf")])
def test_infinite_float_is_a_frame_error_naming_column_and_row(backend: str, bad: float) -> None:
    df = as_backend(pl.DataFrame({"Name": ["a", "b", "c"], "X": [1.0, 2.0, bad]}), backend)
    with pytest.raises(FrameError, match=r"'X'.*row 2") as info:
        cells_of(df)
    assert info.value.column == "X"


def test_decimals_are_exact() -> None:
    df = pl.DataFrame({"Amount": [Decimal("12345678901234567.89"), Decimal("-0.01"), None]},
                      schema={"Amount": pl.Decimal(20, 2)})
    assert cells_of(df) == {"Amount": ["12345678901234567.89", "-0.01", None]}


def test_pandas_object_decimals_are_exact() -> None:
    df = pd.DataFrame({"Amount": [Decimal("0.10"), Decimal("3.25")]})
    assert cells_of(df) == {"Amount": ["0.10", "3.25"]}


def test_dates_are_iso(backend: str) -> None:
    df = as_backend(pl.DataFrame({"D": [dt.date(2024, 3, 5), None]}), backend)
    assert cells_of(df) == {"D": ["2024-03-05", None]}


def test_naive_datetimes_are_taken_as_utc_with_millis(backend: str) -> None:
    df = as_backend(
        pl.DataFrame({"T": [dt.datetime(2024, 3, 15, 17, 2, 31, 123456), None]}), backend
    )
    assert cells_of(df) == {"T": ["2024-03-15T17:02:31.123Z", None]}


def test_tz_aware_datetimes_are_converted_to_utc(backend: str) -> None:
    paris = dt.datetime(2024, 7, 1, 9, 30, tzinfo=ZoneInfo("Europe/Paris"))
    df = as_backend(pl.DataFrame({"T": [paris]}), backend)
    assert cells_of(df) == {"T": ["2024-07-01T07:30:00.000Z"]}


def test_pandas_tz_aware_nanosecond_datetimes_are_converted_to_utc() -> None:
    df = pd.DataFrame({"T": pd.to_datetime(["2024-01-02 03:04:05.678"]).tz_localize("US/Eastern")})
    assert cells_of(df) == {"T": ["2024-01-02T08:04:05.678Z"]}


def test_times_have_millis_and_z(backend: str) -> None:
    df = as_backend(pl.DataFrame({"T": [dt.time(1, 2, 3, 450000), None]}), backend)
    assert cells_of(df) == {"T": ["01:02:03.450Z", None]}


def test_categoricals_and_enums_are_their_strings() -> None:
    polars_df = pl.DataFrame(
        {"C": ["x", None, "y"], "E": ["lo", "hi", "lo"]},
        schema={"C": pl.Categorical, "E": pl.Enum(["lo", "hi"])},
    )
    pandas_df = pd.DataFrame({"C": pd.Categorical(["x", None, "y"])})
    assert cells_of(polars_df) == {"C": ["x", None, "y"], "E": ["lo", "hi", "lo"]}
    assert cells_of(pandas_df) == {"C": ["x", None, "y"]}


def test_lists_of_strings_become_multiselect_picklists(backend: str) -> None:
    df = pl.DataFrame({"Tags": [["a", "b", "c"], [], None, ["solo"]]})
    assert cells_of(as_backend(df, backend) if backend == "polars" else df) == {
        "Tags": ["a;b;c", None, None, "solo"]
    }


def test_pandas_object_lists_of_strings_become_multiselect_picklists() -> None:
    df = pd.DataFrame({"Tags": [["a", "b"], None]})
    assert cells_of(df) == {"Tags": ["a;b", None]}


def test_list_item_containing_semicolon_is_a_frame_error() -> None:
    df = pl.DataFrame({"Tags": [["ok"], ["a;b"]]})
    with pytest.raises(FrameError, match=r"'Tags'.*row 1"):
        cells_of(df)


def test_strings_are_sent_as_they_are(backend: str) -> None:
    values = ["  lead and trail  ", "Ünïcödé 😀", 'say "hi"', "a,b", "line\nbreak", ""]
    df = as_backend(pl.DataFrame({"S": values}), backend)
    assert cells_of(df) == {"S": values}


def test_set_null_writes_na_marker_for_every_dtype(backend: str) -> None:
    df = as_backend(
        pl.DataFrame({"S": [None, "x"], "N": [None, 1], "B": [None, True]}), backend
    )
    assert cells_of(df, EncodeOptions(nulls="set_null")) == {
        "S": ["#N/A", "x"], "N": ["#N/A", "1"], "B": ["#N/A", "true"],
    }


def test_null_policy_can_be_set_per_column(backend: str) -> None:
    df = as_backend(pl.DataFrame({"Keep": [None], "Clear": [None]},
                                 schema={"Keep": pl.String, "Clear": pl.String}), backend)
    options = EncodeOptions(nulls="skip", nulls_by_column={"Clear": "set_null"})
    assert cells_of(df, options) == {"Keep": [None], "Clear": ["#N/A"]}


def test_all_null_column_encodes_as_empty_cells() -> None:
    df = pl.DataFrame({"Nothing": [None, None]})
    assert cells_of(df) == {"Nothing": [None, None]}


def test_encoding_never_mutates_the_input(backend: str) -> None:
    source = pl.DataFrame({
        "F": [float("nan"), 1.0], "N": [None, 2], "D": [dt.datetime(2024, 1, 1), None],
        "S": [None, "x"],
    })
    df = as_backend(source, backend)
    snapshot = df.clone() if backend == "polars" else df.copy(deep=True)
    dtypes_before = df.dtypes if backend == "polars" else list(df.dtypes)
    cells_of(df, EncodeOptions(nulls="set_null"))
    if backend == "polars":
        assert df.equals(snapshot, null_equal=True)
        assert df.dtypes == dtypes_before
    else:
        pd.testing.assert_frame_equal(df, snapshot)
        assert list(df.dtypes) == dtypes_before
