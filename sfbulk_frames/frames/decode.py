"""Result and query CSV -> polars frames, with a real CSV parser (quoted newlines survive).

Ingest results are read as text (the join-back normalizes them); query pages are typed from
the Salesforce field types of the describe (:data:`SF_TYPE_TO_POLARS`). Values that do not
parse as their declared type keep the column as text with a warning, never a crash.
"""

from __future__ import annotations

import warnings
from collections.abc import Collection, Mapping, Sequence
from typing import Any, Literal

import polars as pl

from sfbulk_frames._exceptions import ConfigurationError, ResultMatchError

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


def read_result_csv(
    data: bytes,
    *,
    delimiter: str = ",",
    line_ending: str = "LF",
    columns: Collection[str] | None = None,
) -> pl.DataFrame:
    """Parse a result CSV into an all-String frame; empty cells (quoted or not) are null.

    A header-only body gives an empty frame with those columns; an empty body a frame with no
    columns. ``line_ending`` may be "LF" or "CRLF" (a CR before LF is dropped either way).
    ``columns`` keeps only the header columns with those names (compared case-insensitively;
    names the header lacks are ignored; when none is present every column is read).
    """
    if data.startswith(_BOM):
        data = data[len(_BOM) :]
    if not data or data.isspace():  # not data.strip(): that would copy the whole body
        return pl.DataFrame()
    if line_ending not in ("LF", "CRLF"):
        raise ConfigurationError(f"line_ending must be 'LF' or 'CRLF', got {line_ending!r}")
    options: dict[str, Any] = {
        "separator": delimiter,
        "quote_char": '"',
        "comment_prefix": None,
        "infer_schema": False,
        "eol_char": "\n",
        "raise_if_empty": False,
    }
    selected = _header_columns(data, options, columns) if columns is not None else None
    frame = pl.read_csv(
        data,
        columns=selected,
        empty_string_is_null=True,
        truncate_ragged_lines=False,
        **options,
    )
    # a quoted "" is read as an empty string: to Salesforce it is the same as an empty cell
    return frame.with_columns(pl.when(pl.all() != "").then(pl.all()))


def _header_columns(
    data: bytes, options: Mapping[str, Any], wanted: Collection[str]
) -> list[str] | None:
    """The header names among ``wanted`` (case-insensitive), or None for all columns."""
    header = pl.read_csv(data, n_rows=0, **options).columns
    lowered = {name.lower() for name in wanted}
    selected = [name for name in header if name.lower() in lowered]
    return selected or None


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


_CANONICAL_DATETIME_TAIL = ".000Z"
_CANONICAL_DATETIME_HEAD = 19  # len("2024-03-15T17:02:31")


def _quick_column(text: pl.Expr, dtype: pl.DataType) -> pl.Expr | None:
    """A cheap parse of the spelling Salesforce writes, or None when :func:`typed_column` is
    already that cheap.

    Every value it parses equals what :func:`typed_column` gives; a value it leaves null that
    :func:`typed_column` would parse (``"TRUE"``, ``"12.0"``, ``"…+0100"``) makes the caller
    parse that column again with :func:`typed_column`.
    """
    if isinstance(dtype, pl.Boolean):
        return pl.when(text == "true").then(pl.lit(True)).when(text == "false").then(pl.lit(False))
    if isinstance(dtype, pl.Int64):
        return text.cast(pl.Int64, strict=False)
    if isinstance(dtype, pl.Datetime):
        # "2024-03-15T17:02:31.000Z": the fixed-width head has polars' fast parser
        head = text.str.slice(0, _CANONICAL_DATETIME_HEAD).str.to_datetime(
            "%Y-%m-%dT%H:%M:%S", time_unit=DATETIME_UNIT, strict=False
        )
        canonical = text.str.slice(_CANONICAL_DATETIME_HEAD) == _CANONICAL_DATETIME_TAIL
        return pl.when(canonical).then(head).dt.replace_time_zone("UTC")
    return None


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


def _null_counts(frame: pl.DataFrame) -> tuple[int, ...]:
    return tuple(frame.null_count().row(0))


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

    Salesforce's own spellings (``true``, ``12``, ``...T17:02:31.000Z``) take a cheap parse; a
    column where that leaves a value unparsed is parsed again with :func:`typed_column`.
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
    quick = {name: _quick_column(pl.col(name), dtypes[name]) for name in names}
    typed = text.select(
        (typed_column(pl.col(n), dtypes[n]) if expr is None else expr).alias(n)
        for n, expr in quick.items()
    )
    text_nulls = dict(zip(names, _null_counts(text), strict=True))
    # every parser keeps a null null, so a column lost a value iff it has more nulls than text
    retry = [
        n for n, nulls in zip(names, _null_counts(typed), strict=True)
        if nulls != text_nulls[n] and quick[n] is not None
    ]
    if retry:
        typed = typed.with_columns(
            text.select(typed_column(pl.col(n), dtypes[n]).alias(n) for n in retry).get_columns()
        )
    lost = [
        n for n, nulls in zip(names, _null_counts(typed), strict=True) if nulls != text_nulls[n]
    ]
    if not lost:
        return typed
    first_bad = text.select(
        (pl.col(n).is_not_null() & typed.get_column(n).is_null()).arg_true().first()
        for n in lost
    ).row(0)
    for name, index in zip(lost, first_bad, strict=True):
        warnings.warn(
            f"query column {name!r}: value {text.get_column(name)[index]!r} is not a valid "
            f"{dtypes[name]}; the column is returned as text (cast it yourself once fixed)",
            stacklevel=2,
        )
    return typed.with_columns(text.get_column(n) for n in lost)
