"""Query pages: Salesforce's own spellings take a cheap parse, every other spelling the full
one, and the result is the same as parsing every value with ``typed_column``."""

from __future__ import annotations

import datetime as dt
import warnings

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sfbulk_frames.frames.decode import parse_query_page, polars_type_of, typed_column


def page(header: str, values: list[str]) -> bytes:
    """A query page the way Salesforce writes it: every cell quoted, null as ``""``."""
    lines = [f'"{header}"'] + [f'"{value}"' for value in values]
    return ("\n".join(lines) + "\n").encode()


def reference(values: list[str], sf_type: str) -> pl.Series:
    """Every value through the full parser (empty cells null)."""
    text = pl.Series("X", [v or None for v in values], dtype=pl.String)
    return text.to_frame().select(typed_column(pl.col("X"), polars_type_of(sf_type))).to_series()


def test_canonical_values_parse_without_warnings() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        frame = parse_query_page(
            b'"B","N","T"\n"true","12","2024-03-15T17:02:31.000Z"\n"false","-3",""\n',
            [("B", "boolean"), ("N", "int"), ("T", "datetime")],
        )
    assert frame.to_dict(as_series=False) == {
        "B": [True, False],
        "N": [12, -3],
        "T": [dt.datetime(2024, 3, 15, 17, 2, 31, tzinfo=dt.UTC), None],
    }


def test_other_spellings_in_a_canonical_column_still_parse() -> None:
    data = (
        b'"B","N","T"\n'
        b'"true","12","2024-03-15T17:02:31.000Z"\n'
        b'"TRUE","12.0","2024-03-15T17:02:31.250Z"\n'
        b'"0","1E3","2024-03-15T17:02:31.000+0100"\n'
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        frame = parse_query_page(data, [("B", "boolean"), ("N", "int"), ("T", "datetime")])
    assert frame.schema == pl.Schema(
        {"B": pl.Boolean, "N": pl.Int64, "T": pl.Datetime("us", "UTC")}
    )
    assert frame["B"].to_list() == [True, True, False]
    assert frame["N"].to_list() == [12, 12, 1000]
    assert frame["T"].to_list() == [
        dt.datetime(2024, 3, 15, 17, 2, 31, tzinfo=dt.UTC),
        dt.datetime(2024, 3, 15, 17, 2, 31, 250000, tzinfo=dt.UTC),
        dt.datetime(2024, 3, 15, 16, 2, 31, tzinfo=dt.UTC),
    ]


@pytest.mark.parametrize(
    ("sf_type", "values", "bad"),
    [
        ("datetime", ["2024-03-15T17:02:31.000Z", "2024-02-30T00:00:00.000Z"], "2024-02-30"),
        ("boolean", ["true", "yes"], "'yes'"),
        ("int", ["1", "", "12 children"], "'12 children'"),
    ],
)
def test_a_value_no_parser_accepts_keeps_the_column_as_text(
    sf_type: str, values: list[str], bad: str
) -> None:
    with pytest.warns(UserWarning, match=f"'X'.*{bad}.*not a valid") as caught:
        frame = parse_query_page(page("X", values), [("X", sf_type)])
    assert len(caught) == 1
    assert frame.schema["X"] == pl.String
    assert frame["X"].to_list() == [v or None for v in values]


def test_only_the_column_with_a_bad_value_falls_back() -> None:
    with pytest.warns(UserWarning, match="'N'"):
        frame = parse_query_page(
            b'"N","B"\n"1","true"\n"one","false"\n', [("N", "int"), ("B", "boolean")]
        )
    assert frame.schema == pl.Schema({"N": pl.String, "B": pl.Boolean})


_DIGITS = st.integers(0, 99).map(lambda n: f"{n:02d}")
_DATETIMES = st.builds(
    lambda y, mo, d, sep, h, mi, s, tail: f"{y:04d}-{mo}-{d}{sep}{h}:{mi}:{s}{tail}",
    st.integers(0, 9999),
    _DIGITS,
    _DIGITS,
    st.sampled_from(["T", " ", "t"]),
    _DIGITS,
    _DIGITS,
    _DIGITS,
    st.sampled_from([".000Z", ".000Z", ".123Z", "Z", ".000+0000", ".000-0530", "", ".000z"]),
)
_SPELLINGS = {
    "datetime": _DATETIMES | st.text("0123456789-:T.Z+ ", max_size=26),
    "int": st.from_regex(r"[+-]?[0-9]{0,20}(\.0|\.5|[eE][0-9])?", fullmatch=True),
    "boolean": st.sampled_from(["true", "false", "TRUE", "False", "1", "0", "yes", " true", ""]),
}


@settings(max_examples=60, deadline=None)
@given(data=st.data(), sf_type=st.sampled_from(sorted(_SPELLINGS)))
def test_page_values_equal_the_full_parser(data: st.DataObject, sf_type: str) -> None:
    values = data.draw(st.lists(_SPELLINGS[sf_type], min_size=1, max_size=30))
    expected = reference(values, sf_type)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        frame = parse_query_page(page("X", values), [("X", sf_type)])
    lost = any(v and e is None for v, e in zip(values, expected.to_list(), strict=True))
    if lost:
        assert frame["X"].to_list() == [v or None for v in values]
    else:
        assert frame["X"].to_list() == expected.to_list()
