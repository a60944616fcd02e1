"""Frame -> text cells: the dtype rules, the conversions preflight sets and the null policy.

Every column has exact text cells defined by vectorised polars expressions
(:func:`encode_batch`). To write a batch, only the columns whose text polars' CSV writer would
not produce itself (floats, lists, ``set_null`` columns) are cast (:func:`encode_for_writer`);
the others are written from their typed values with the writer's date/time formats.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

import polars as pl

from sfbulk_frames._exceptions import ConfigurationError, FrameError
from sfbulk_frames._models import COLUMN_DELIMITERS, LINE_ENDINGS
from sfbulk_frames.frames.encode.csv_records import DATE_FORMAT, DATETIME_FORMAT, TIME_FORMAT
from sfbulk_frames.frames.validate import unsupported_reason

__all__ = [
    "DEFAULT_MAX_BYTES",
    "NULL_MARKER",
    "EncodeOptions",
    "encode_batch",
    "encode_for_writer",
]

DEFAULT_MAX_BYTES = 95_000_000
"""Bytes per upload: a margin under the 100,000,000 bytes Salesforce recommends per job."""

NULL_MARKER = "#N/A"
"""The cell text that makes Salesforce clear a field (``nulls="set_null"``)."""

NullPolicy = Literal["skip", "set_null"]
_NULL_POLICIES = ("skip", "set_null")
Conversion = Literal["date", "whole_number", "all_whole"]
_CONVERSIONS = ("date", "whole_number", "all_whole")
_EXACT_INT = 2.0**53


@dataclass(frozen=True)
class EncodeOptions:
    """How a frame is written. Raises ConfigurationError for unknown values."""

    nulls: NullPolicy = "skip"
    nulls_by_column: Mapping[str, NullPolicy] = field(default_factory=dict)
    column_delimiter: str = "COMMA"
    line_ending: str = "LF"
    max_bytes: int = DEFAULT_MAX_BYTES
    max_records: int | None = None
    conversions: Mapping[str, Conversion] = field(default_factory=dict)
    """Per column, set by preflight from the field types: ``"date"`` (a datetime column sent
    to a date field), ``"whole_number"`` (integral floats written without ``.0``) or
    ``"all_whole"`` (the same, but only when every value of the batch is integral)."""

    def __post_init__(self) -> None:
        for converted, how in self.conversions.items():
            if how not in _CONVERSIONS:
                raise ConfigurationError(
                    f"conversion {how!r} of column {converted!r}; use one of {_CONVERSIONS}"
                )
        for column, policy in [(None, self.nulls), *self.nulls_by_column.items()]:
            if policy not in _NULL_POLICIES:
                given = f"nulls={policy!r}" if column is None else (
                    f"nulls={{{column!r}: {policy!r}}}"
                )
                raise ConfigurationError(
                    f"{given} is not a null policy; use 'skip' (an empty cell leaves the field "
                    "as it is) or 'set_null' (it clears the field), or a dict per column such "
                    "as {'*': 'skip', 'Title': 'set_null'}"
                )
        if self.column_delimiter not in COLUMN_DELIMITERS:
            raise ConfigurationError(
                f"column_delimiter={self.column_delimiter!r}; use one of "
                f"{', '.join(COLUMN_DELIMITERS)}"
            )
        if self.line_ending not in LINE_ENDINGS:
            raise ConfigurationError(
                f"line_ending={self.line_ending!r}; use one of {', '.join(LINE_ENDINGS)}"
            )
        if self.max_bytes < 1:
            raise ConfigurationError(f"max_bytes={self.max_bytes}; use a positive number")
        if self.max_records is not None and self.max_records < 1:
            raise ConfigurationError(f"max_records={self.max_records}; use at least 1 or None")

    @property
    def delimiter(self) -> str:
        """The delimiter character (``","`` for ``COMMA``)."""
        return COLUMN_DELIMITERS[self.column_delimiter]

    @property
    def eol(self) -> str:
        """The line terminator (``"\\n"`` for ``LF``)."""
        return LINE_ENDINGS[self.line_ending]

    def null_policy(self, column: str) -> NullPolicy:
        """The null policy of one column (its override, else the default)."""
        return self.nulls_by_column.get(column, self.nulls)


def _plain_decimal(text: pl.Expr) -> pl.Expr:
    """Rewrite polars' shortest float text ('1e+20', '-2.5e-7') in plain decimal notation."""
    parts = text.str.extract_groups(r"^-?(?<int>\d+)(?:\.(?<frac>\d+))?e\+?(?<exp>-?\d+)$")
    int_part = parts.struct.field("int")
    digits = int_part + parts.struct.field("frac").fill_null("")
    point = int_part.str.len_chars().cast(pl.Int64) + parts.struct.field("exp").cast(pl.Int64)
    n_digits = digits.str.len_chars().cast(pl.Int64)
    # every branch is evaluated on every row: keep the unused branches' widths valid
    plain = (
        pl.when(point >= n_digits)
        .then(digits.str.pad_end(point.clip(lower_bound=0), "0"))
        .when(point <= 0)
        .then(pl.lit("0.") + digits.str.pad_start((n_digits - point).clip(lower_bound=0), "0"))
        .otherwise(digits.str.slice(0, point.clip(lower_bound=0)) + pl.lit(".")
                   + digits.str.slice(point.clip(lower_bound=0)))
    )
    signed = pl.when(text.str.starts_with("-")).then(pl.lit("-") + plain).otherwise(plain)
    return pl.when(text.str.contains("e", literal=True)).then(signed).otherwise(text)


def _cell_expr(name: str, dtype: pl.DataType) -> pl.Expr:
    column = pl.col(name)
    if isinstance(dtype, pl.String):
        return column
    if isinstance(dtype, pl.Null):
        return column.cast(pl.String)
    if isinstance(dtype, pl.Categorical | pl.Enum | pl.Decimal) or dtype.is_integer():
        return column.cast(pl.String)
    if isinstance(dtype, pl.Boolean):
        return pl.when(column).then(pl.lit("true")).when(column.not_()).then(pl.lit("false"))
    if dtype.is_float():  # polars' shortest text; exponents are rewritten by _plain_floats
        return column.fill_nan(None).cast(pl.String)
    if isinstance(dtype, pl.Date):
        return column.dt.strftime(DATE_FORMAT)
    if isinstance(dtype, pl.Datetime):
        utc = column.dt.convert_time_zone("UTC") if dtype.time_zone else column
        return utc.dt.strftime(DATETIME_FORMAT)
    if isinstance(dtype, pl.Time):
        return column.dt.strftime(TIME_FORMAT)
    if isinstance(dtype, pl.List | pl.Array):
        items = column.cast(pl.List(pl.String))
        joined = items.list.join(";", ignore_nulls=True)
        return pl.when(items.list.len() == 0).then(None).otherwise(joined)
    raise FrameError(f"column {name!r} ({dtype}) cannot be sent", column=name)


def _first_true(mask: pl.Expr) -> pl.Expr:
    return mask.arg_true().first()


def _check_values(batch: pl.DataFrame, row_offset: int) -> None:
    """Raise FrameError for ±inf floats and multi-select items containing ';'."""
    checks: dict[str, tuple[str, pl.Expr]] = {}
    for name, dtype in batch.schema.items():
        if dtype.is_float():
            checks[name] = ("is ±inf", pl.col(name).is_infinite())
        elif isinstance(dtype, pl.List | pl.Array):
            items = pl.col(name).cast(pl.List(pl.String))
            has_semicolon = items.list.eval(pl.element().str.contains(";", literal=True)).list.any()
            checks[name] = ("has an item containing ';'", has_semicolon.fill_null(False))
    if not checks:
        return
    firsts = batch.select(
        _first_true(expr).alias(name) for name, (_, expr) in checks.items()
    ).row(0)
    for (name, (problem, _)), first in zip(checks.items(), firsts, strict=True):
        if first is not None:
            raise FrameError(
                f"column {name!r} {problem} at row {row_offset + first} (0-based position); "
                + (
                    "Salesforce has no infinity: replace it (e.g. with None) before sending"
                    if problem == "is ±inf"
                    else "';' separates multi-select picklist values: remove it from the item"
                ),
                column=name,
            )


def _written_as_is(name: str, dtype: pl.DataType) -> pl.Expr | None:
    """The column as polars' CSV writer can write it to give exactly its cells, or None.

    Strings, integers, booleans, categoricals and nulls are written as their cells already;
    dates, (naive UTC) datetimes and times with the writer's formats (:func:`write_csv`).
    """
    column = pl.col(name)
    if isinstance(dtype, pl.Datetime):
        return column.dt.convert_time_zone("UTC").dt.replace_time_zone(None) if (
            dtype.time_zone
        ) else column
    plain = (pl.String, pl.Boolean, pl.Date, pl.Time, pl.Categorical, pl.Enum, pl.Null)
    if isinstance(dtype, plain) or dtype.is_integer():
        return column
    return None


def _plain_floats(frame: pl.DataFrame, columns: list[str]) -> pl.DataFrame:
    """Rewrite float text written with an exponent in plain decimal (only where one occurs)."""
    if not columns:
        return frame
    has_exponent = frame.select(
        pl.col(name).str.contains("e", literal=True).any() for name in columns
    ).row(0)
    rewrite = [name for name, found in zip(columns, has_exponent, strict=True) if found]
    if not rewrite:
        return frame
    return frame.with_columns(_plain_decimal(pl.col(name)).alias(name) for name in rewrite)


def _whole_number(column: pl.Expr) -> pl.Expr:
    """Float text with integral values written as integers (``12.0`` -> ``12``); exponents are
    rewritten afterwards by :func:`_plain_floats`, as for any float column."""
    return column.fill_nan(None).cast(pl.String).str.strip_suffix(".0")


def _converted(batch: pl.DataFrame, options: EncodeOptions) -> tuple[pl.DataFrame, list[str]]:
    """Apply ``options.conversions`` to the columns of ``batch`` they name (dtypes checked).

    A float column whose values are all integral (and exact as integers) becomes Int64, which
    is cheaper to write than float text; otherwise ``whole_number`` strips ``.0`` value by value
    (those columns are returned: their text may still need :func:`_plain_floats`) and
    ``all_whole`` leaves the column as it is.
    """
    floats = [
        name
        for name, how in options.conversions.items()
        if how != "date" and name in batch.schema and batch.schema[name].is_float()
    ]
    whole: tuple[bool, ...] = ()
    if floats:
        whole = batch.select(
            ((pl.col(n).fill_nan(None) == pl.col(n).floor()) & (pl.col(n).abs() < _EXACT_INT))
            .all()
            .alias(n)
            for n in floats
        ).row(0)
    exprs = [
        pl.col(name).dt.date()
        for name, how in options.conversions.items()
        if how == "date" and isinstance(batch.schema.get(name), pl.Datetime)
    ]
    stripped = []
    for name, all_whole in zip(floats, whole, strict=True):
        if all_whole:
            exprs.append(pl.col(name).fill_nan(None).cast(pl.Int64))
        elif options.conversions[name] == "whole_number":
            exprs.append(_whole_number(pl.col(name)))
            stripped.append(name)
    return (batch.with_columns(exprs) if exprs else batch), stripped


def _encoded(
    batch: pl.DataFrame, options: EncodeOptions, *, row_offset: int, for_writer: bool
) -> pl.DataFrame:
    _check_values(batch, row_offset)
    floats: list[str] = []
    if options.conversions:
        batch, floats = _converted(batch, options)
    exprs = []
    for name, dtype in batch.schema.items():
        reason = unsupported_reason(dtype)
        if reason is not None:
            raise FrameError(f"column {name!r} ({dtype}) cannot be sent: {reason}", column=name)
        set_null = options.null_policy(name) == "set_null"
        as_is = _written_as_is(name, dtype) if for_writer and not set_null else None
        if as_is is not None:
            exprs.append(as_is.alias(name))
            continue
        cell = _cell_expr(name, dtype)
        if set_null:  # a null and an empty string ("" in a CSV) both clear the field
            cell = pl.when(cell.is_null() | (cell == "")).then(pl.lit(NULL_MARKER)).otherwise(cell)
        exprs.append(cell.cast(pl.String).alias(name))
        if dtype.is_float():
            floats.append(name)
    return _plain_floats(batch.select(exprs), floats)


def encode_batch(
    batch: pl.DataFrame, options: EncodeOptions, *, row_offset: int = 0
) -> pl.DataFrame:
    """The exact text cells that will be sent: one String column per input column.

    Nulls stay null (``skip``); nulls and empty strings become ``#N/A`` (``set_null``).
    ``options.conversions`` are applied first. Raises FrameError for ±inf,
    unsupported dtypes and multi-select items containing ';' (``row_offset`` makes the reported
    row position global).
    """
    return _encoded(batch, options, row_offset=row_offset, for_writer=False)


def encode_for_writer(
    batch: pl.DataFrame, options: EncodeOptions, *, row_offset: int = 0
) -> pl.DataFrame:
    """The batch as polars' CSV writer must see it to write exactly the cells of
    :func:`encode_batch`: columns the writer already writes right stay typed (dates, times and
    naive UTC datetimes with the formats of :func:`write_csv`), the others become text."""
    return _encoded(batch, options, row_offset=row_offset, for_writer=True)
