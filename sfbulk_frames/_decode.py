"""Result and query CSV -> polars frames, with a real CSV parser (quoted newlines survive).

Ingest results are read as text (the join-back normalizes them); query pages are typed from
the Salesforce field types of the describe (:data:`SF_TYPE_TO_POLARS`). Values that do not
parse as their declared type keep the column as text with a warning, never a crash.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from typing import Literal

import polars as pl

from ._exceptions import ResultMatchError

__all__ = [
    "SF_TYPE_TO_POLARS",
    "empty_query_frame",
    "parse_query_page",
    "polars_type_of",
    "read_result_csv",
    "typed_column",
]

_BOM = b"\xef\xbb\xbf"
DATETIME_UNIT: Literal["us"] = "us"

SF_TYPE_TO_POLARS: Mapping[str, pl.DataType] = {
    **{
        name: pl.String()
        for name in (
            "id", "reference", "string", "picklist", "multipicklist", "textarea", "email",
            "phone", "url", "combobox", "encryptedstring",
        )
    },
    "boolean": pl.Boolean(),
    "int": pl.Int64(),
    "long": pl.Int64(),
    "double": pl.Float64(),
    "currency": pl.Float64(),
    "percent": pl.Float64(),
    "date": pl.Date(),
    "datetime": pl.Datetime(DATETIME_UNIT, "UTC"),
    "time": pl.Time(),
}
"""Salesforce describe field type -> polars dtype; any other type is read as String."""


def polars_type_of(sf_type: str) -> pl.DataType:
    """The dtype for a describe field type (case-insensitive); unknown types are String."""
    return SF_TYPE_TO_POLARS.get(sf_type.lower(), pl.String())


def read_result_csv(data: bytes, *, delimiter: str = ",", line_ending: str = "LF") -> pl.DataFrame:
    """Parse a result CSV into an all-String frame; empty cells (quoted or not) are null.

    A header-only body gives an empty frame with those columns; an empty body a frame with no
    columns. ``line_ending`` may be "LF" or "CRLF" (a CR before LF is dropped either way).
    """
    if data.startswith(_BOM):
        data = data[len(_BOM) :]
    if not data.strip():
        return pl.DataFrame()
    if line_ending not in ("LF", "CRLF"):
        raise ValueError(f"line_ending must be 'LF' or 'CRLF', got {line_ending!r}")
    frame = pl.read_csv(
        data,
        separator=delimiter,
        quote_char='"',
        comment_prefix=None,
        infer_schema=False,
        eol_char="\n",
        empty_string_is_null=True,
        raise_if_empty=False,
        truncate_ragged_lines=False,
    )
    # a quoted "" is read as an empty string: to Salesforce it is the same as an empty cell
    return frame.with_columns(pl.when(pl.all() != "").then(pl.all()))


def _parse_boolean(text: pl.Expr) -> pl.Expr:
    lowered = text.str.to_lowercase()
    return (
        pl.when(lowered.is_in(["true", "1"]))
        .then(pl.lit(True))
        .when(lowered.is_in(["false", "0"]))
        .then(pl.lit(False))
        .otherwise(pl.lit(None, dtype=pl.Boolean))
    )


def _parse_integer(text: pl.Expr) -> pl.Expr:
    as_float = text.cast(pl.Float64, strict=False)
    integral = pl.when(as_float == as_float.round()).then(as_float).cast(pl.Int64, strict=False)
    return text.cast(pl.Int64, strict=False).fill_null(integral)


def _parse_datetime(text: pl.Expr) -> pl.Expr:
    zoned = text.str.to_datetime(
        "%Y-%m-%dT%H:%M:%S%.f%#z", time_unit=DATETIME_UNIT, time_zone="UTC", strict=False
    )
    naive = text.str.to_datetime("%Y-%m-%dT%H:%M:%S%.f", time_unit=DATETIME_UNIT, strict=False)
    return pl.coalesce(zoned, naive.dt.replace_time_zone("UTC"))


def _parse_time(text: pl.Expr) -> pl.Expr:
    return text.str.strip_suffix("Z").str.to_time("%H:%M:%S%.f", strict=False)


def typed_column(text: pl.Expr, dtype: pl.DataType) -> pl.Expr:
    """Parse a String expression into ``dtype`` (invalid values become null)."""
    if isinstance(dtype, pl.Boolean):
        return _parse_boolean(text)
    if isinstance(dtype, pl.Int64):
        return _parse_integer(text)
    if isinstance(dtype, pl.Float64):
        return text.cast(pl.Float64, strict=False)
    if isinstance(dtype, pl.Date):
        return text.str.to_date("%Y-%m-%d", strict=False)
    if isinstance(dtype, pl.Datetime):
        return _parse_datetime(text)
    if isinstance(dtype, pl.Time):
        return _parse_time(text)
    return text


def empty_query_frame(columns: Sequence[tuple[str, str]]) -> pl.DataFrame:
    """A typed frame with no rows for ``[(header, sf_type), ...]``."""
    return pl.DataFrame(schema={name: polars_type_of(sf_type) for name, sf_type in columns})


def _checked_names(found: list[str], columns: Sequence[tuple[str, str]]) -> list[str]:
    expected = [name for name, _ in columns]
    if len(found) != len(expected):
        raise ResultMatchError(
            f"the query page has columns {found}, expected {expected} from the SELECT list; "
            "check the SOQL (or report it if the query is correct)"
        )
    names = []
    for got, want in zip(found, expected, strict=True):
        if got.lower() != want.lower():
            warnings.warn(
                f"query column {got!r} was expected as {want!r}; keeping Salesforce's name",
                stacklevel=3,
            )
            names.append(got)
        else:
            names.append(want)
    return names


def parse_query_page(
    data: bytes,
    columns: Sequence[tuple[str, str]],
    *,
    delimiter: str = ",",
    line_ending: str = "LF",
) -> pl.DataFrame:
    """Parse one query result page into a typed frame, columns in SELECT order.

    ``columns`` is ``[(header, sf_type)]``. Empty cells are null. A column whose values do not
    parse as its type stays String with a warning. Raises ResultMatchError when the page has a
    different number of columns than expected.
    """
    text = read_result_csv(data, delimiter=delimiter, line_ending=line_ending)
    if not text.columns:
        return empty_query_frame(columns)
    names = _checked_names(text.columns, columns)
    text = text.rename(dict(zip(text.columns, names, strict=True)))
    dtypes = {
        name: polars_type_of(sf_type)
        for name, (_, sf_type) in zip(names, columns, strict=True)
    }
    if text.height == 0:
        return pl.DataFrame(schema=dtypes)
    typed = text.select(typed_column(pl.col(n), dtypes[n]).alias(n) for n in names)
    lost = pl.concat([text, typed.select(pl.all().name.prefix("typed:"))], how="horizontal").select(
        (pl.col(n).is_not_null() & pl.col(f"typed:{n}").is_null()).arg_true().first().alias(n)
        for n in names
    ).row(0)
    fallbacks = {}
    for name, first_bad in zip(names, lost, strict=True):
        if first_bad is not None:
            bad_value = text.get_column(name)[first_bad]
            warnings.warn(
                f"query column {name!r}: value {bad_value!r} is not a valid {dtypes[name]}; "
                "the column is returned as text (cast it yourself once fixed)",
                stacklevel=2,
            )
            fallbacks[name] = text.get_column(name)
    return typed.with_columns(fallbacks.values()) if fallbacks else typed
