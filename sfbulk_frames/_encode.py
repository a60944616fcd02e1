"""Frame -> CSV chunks: the dtype rules, the null policy and record-boundary chunking.

Every column is turned into its exact text cells by vectorised polars expressions
(:func:`encode_batch`); the cells are written once by polars' CSV writer and packed into
chunks of at most ``max_bytes`` / ``max_records`` (:func:`iter_chunks`). Record byte lengths
come from the cells themselves (quoting rule included), never from scanning for newlines, so
a quoted multi-line value is always one record.
"""

from __future__ import annotations

import difflib
import io
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import polars as pl

from ._exceptions import ConfigurationError, FrameError
from ._models import COLUMN_DELIMITERS, LINE_ENDINGS

__all__ = [
    "DEFAULT_MAX_BYTES",
    "NULL_MARKER",
    "Chunk",
    "EncodeOptions",
    "encode_batch",
    "iter_chunks",
    "validate_frame",
]

DEFAULT_MAX_BYTES = 95_000_000
"""Bytes per upload: a margin under the 100,000,000 bytes Salesforce recommends per job."""

NULL_MARKER = "#N/A"
"""The cell text that makes Salesforce clear a field (``nulls="set_null"``)."""

NullPolicy = Literal["skip", "set_null"]
_NULL_POLICIES = ("skip", "set_null")
_KEY_OPERATIONS = ("update", "delete", "hardDelete")
_RESERVED_PREFIX = "sf__"


@dataclass(frozen=True)
class EncodeOptions:
    """How a frame is written. Raises ConfigurationError for unknown values."""

    nulls: NullPolicy = "skip"
    nulls_by_column: Mapping[str, NullPolicy] = field(default_factory=dict)
    column_delimiter: str = "COMMA"
    line_ending: str = "LF"
    max_bytes: int = DEFAULT_MAX_BYTES
    max_records: int | None = None

    def __post_init__(self) -> None:
        for where, policy in [("nulls", self.nulls), *self.nulls_by_column.items()]:
            if policy not in _NULL_POLICIES:
                raise ConfigurationError(
                    f"nulls for {where!r} is {policy!r}; use 'skip' (leave the field as it is) "
                    "or 'set_null' (clear it with #N/A)"
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


# --- validation -------------------------------------------------------------------------


def _is_text_like(dtype: object) -> bool:
    text_types = (pl.String, pl.Categorical, pl.Enum, pl.Null)
    return isinstance(dtype, text_types) or dtype in text_types


def unsupported_reason(dtype: pl.DataType) -> str | None:
    """Why a dtype cannot be sent, or None when it can."""
    if isinstance(dtype, pl.List | pl.Array):
        inner = dtype.inner
        if inner is not None and _is_text_like(inner):
            return None
        return (
            f"it is a list of {inner}; only lists of strings can be sent (as a multi-select "
            "picklist 'a;b;c'): convert the items to strings or join them yourself"
        )
    if isinstance(dtype, pl.Struct):
        return "nested structs cannot be sent: unnest it (df.unnest(...)) or drop it"
    if isinstance(dtype, pl.Binary):
        return "binary values cannot be sent through the Bulk API: decode or drop the column"
    if isinstance(dtype, pl.Object):
        return "it holds Python objects: convert them to plain scalars (str, int, float, ...)"
    if isinstance(dtype, pl.Duration):
        return "durations have no Salesforce field type: convert them to a number (e.g. seconds)"
    return None


def _close_match(name: str, columns: list[str]) -> str:
    lowered = {c.lower(): c for c in columns}
    match = lowered.get(name.lower()) or next(
        iter(difflib.get_close_matches(name, columns, n=1)), None
    )
    return f" (did you mean {match!r}? rename it to {name!r})" if match else ""


def validate_frame(
    columns: list[str],
    schema: Mapping[str, pl.DataType],
    *,
    operation: str,
    external_id_field: str | None,
) -> None:
    """Check a frame can be sent before any request is made.

    Raises FrameError for no columns, empty, duplicate or reserved (``sf__``) column names,
    a missing ``Id`` (update/delete/hardDelete) or external-ID column (upsert), and
    dtypes that cannot be serialized; the error names the column and the fix.
    """
    if not columns:
        raise FrameError("the frame has no columns; add the fields to send")
    seen: set[str] = set()
    for name in columns:
        if not name.strip():
            raise FrameError(
                f"a column name is empty ({name!r}); every column must be a field API name",
                column=name,
            )
        if name in seen:
            raise FrameError(
                f"column {name!r} appears more than once; drop or rename the duplicates",
                column=name,
            )
        if name.lower().startswith(_RESERVED_PREFIX):
            raise FrameError(
                f"column {name!r} uses the reserved prefix 'sf__' of Salesforce's result "
                "columns; drop it before sending (it looks like a previous result)",
                column=name,
            )
        seen.add(name)
    if operation in _KEY_OPERATIONS and "Id" not in seen:
        raise FrameError(
            f"{operation} needs an 'Id' column with the record Ids{_close_match('Id', columns)}",
            column="Id",
        )
    if operation == "upsert":
        if not external_id_field:
            raise FrameError("upsert needs external_id_field= (an External ID field, or 'Id')")
        if external_id_field not in seen:
            raise FrameError(
                f"upsert by {external_id_field!r} needs a column {external_id_field!r}"
                f"{_close_match(external_id_field, columns)}",
                column=external_id_field,
            )
    for name in columns:
        reason = unsupported_reason(schema[name])
        if reason is not None:
            raise FrameError(
                f"column {name!r} ({schema[name]}) cannot be sent: {reason}", column=name
            )


# --- per-dtype cells --------------------------------------------------------------------


def _plain_decimal(text: pl.Expr) -> pl.Expr:
    """Rewrite polars' shortest float text ('1e+20', '-2.5e-7') in plain decimal notation."""
    parts = text.str.extract_groups(r"^-?(?<int>\d+)(?:\.(?<frac>\d+))?e\+?(?<exp>-?\d+)$")
    int_part = parts.struct.field("int")
    digits = int_part + parts.struct.field("frac").fill_null("")
    point = int_part.str.len_chars().cast(pl.Int64) + parts.struct.field("exp").cast(pl.Int64)
    n_digits = digits.str.len_chars().cast(pl.Int64)
    plain = (
        pl.when(point >= n_digits)
        .then(digits.str.pad_end(point, "0"))
        .when(point <= 0)
        .then(pl.lit("0.") + digits.str.pad_start(n_digits - point, "0"))
        .otherwise(digits.str.slice(0, point) + pl.lit(".") + digits.str.slice(point))
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
    if dtype.is_float():
        return _plain_decimal(pl.when(column.is_nan()).then(None).otherwise(column).cast(pl.String))
    if isinstance(dtype, pl.Date):
        return column.dt.strftime("%Y-%m-%d")
    if isinstance(dtype, pl.Datetime):
        utc = column.dt.convert_time_zone("UTC") if dtype.time_zone else column
        return utc.dt.strftime("%Y-%m-%dT%H:%M:%S%.3fZ")
    if isinstance(dtype, pl.Time):
        return column.dt.strftime("%H:%M:%S%.3fZ")
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


def encode_batch(
    batch: pl.DataFrame, options: EncodeOptions, *, row_offset: int = 0
) -> pl.DataFrame:
    """The exact text cells that will be sent: one String column per input column.

    Nulls stay null (``skip``) or become ``#N/A`` (``set_null``). Raises FrameError for ±inf,
    unsupported dtypes and multi-select items containing ';' (``row_offset`` makes the reported
    row position global).
    """
    _check_values(batch, row_offset)
    exprs = []
    for name, dtype in batch.schema.items():
        reason = unsupported_reason(dtype)
        if reason is not None:
            raise FrameError(f"column {name!r} ({dtype}) cannot be sent: {reason}", column=name)
        cell = _cell_expr(name, dtype)
        if options.null_policy(name) == "set_null":
            cell = cell.fill_null(pl.lit(NULL_MARKER))
        exprs.append(cell.cast(pl.String).alias(name))
    return batch.select(exprs)


# --- CSV bytes and chunking ---------------------------------------------------------------


@dataclass
class Chunk:
    """One upload: CSV bytes (header + records) and the rows they came from."""

    data: bytes
    start: int
    n_rows: int
    cells: pl.DataFrame
    rows: pl.DataFrame

    @property
    def stop(self) -> int:
        """Position after the last input row of the chunk."""
        return self.start + self.n_rows


def _write_csv(cells: pl.DataFrame, options: EncodeOptions, *, header: bool) -> bytes:
    buffer = io.BytesIO()
    cells.write_csv(
        buffer,
        include_header=header,
        separator=options.delimiter,
        line_terminator=options.eol,
        quote_style="necessary",
        null_value="",
    )
    return buffer.getvalue()


def record_lengths(cells: pl.DataFrame, options: EncodeOptions) -> np.ndarray:
    """Bytes of each record as polars' CSV writer writes it (quote_style="necessary").

    A cell is quoted when it is empty or contains the delimiter, '"', CR or LF; quotes inside
    are doubled. Nulls are written as nothing.
    """
    needs_quotes = f"[{re.escape(options.delimiter)}\"\r\n]"
    widths = []
    for name in cells.columns:
        cell = pl.col(name)
        quoted = cell.str.contains(needs_quotes) | (cell == "")
        extra = pl.when(quoted).then(cell.str.count_matches('"', literal=True) + 2).otherwise(0)
        widths.append((cell.str.len_bytes() + extra).fill_null(0).cast(pl.Int64))
    separators = (len(cells.columns) - 1) * len(options.delimiter) + len(options.eol)
    total = pl.sum_horizontal(widths) + separators
    return cells.select(total.alias("n")).to_series().to_numpy()


@dataclass
class _Pending:
    """Records collected for the next chunk."""

    start: int
    pieces: list[memoryview] = field(default_factory=list)
    cells: list[pl.DataFrame] = field(default_factory=list)
    rows: list[pl.DataFrame] = field(default_factory=list)
    n_rows: int = 0
    n_bytes: int = 0

    def add(self, piece: memoryview, cells: pl.DataFrame, rows: pl.DataFrame) -> None:
        self.pieces.append(piece)
        self.cells.append(cells)
        self.rows.append(rows)
        self.n_rows += rows.height
        self.n_bytes += len(piece)

    def to_chunk(self, header: bytes) -> Chunk:
        return Chunk(
            data=b"".join([header, *self.pieces]),
            start=self.start,
            n_rows=self.n_rows,
            cells=pl.concat(self.cells, rechunk=False),
            rows=pl.concat(self.rows, rechunk=False),
        )


def _encoded_body(
    cells: pl.DataFrame, options: EncodeOptions
) -> tuple[memoryview, np.ndarray]:
    if cells.width == 1:
        # a lone empty cell would be a blank line, which CSV readers skip: write it as ""
        cells = cells.fill_null("")
    body = _write_csv(cells, options, header=False)
    lengths = record_lengths(cells, options)
    if int(lengths.sum()) != len(body):  # a quoting rule we did not anticipate: never cut blind
        raise RuntimeError(
            f"sfbulk_frames bug: computed {int(lengths.sum())} CSV bytes, polars wrote "
            f"{len(body)}; please report it with the polars version ({pl.__version__})"
        )
    return memoryview(body), np.concatenate([[0], np.cumsum(lengths)])


def iter_chunks(batches: Iterable[pl.DataFrame], options: EncodeOptions) -> Iterator[Chunk]:
    """Encode the batches once and pack their records into chunks cut at record boundaries.

    Each chunk holds its header, at most ``options.max_bytes`` bytes and ``max_records``
    records. Raises FrameError (naming the row position) for a record that alone exceeds
    ``max_bytes``, and whatever :func:`encode_batch` raises.
    """
    header: bytes | None = None
    max_records = options.max_records or np.iinfo(np.int64).max
    position = 0
    pending: _Pending | None = None
    for batch in batches:
        if batch.height == 0:
            continue
        cells = encode_batch(batch, options, row_offset=position)
        if header is None:
            header = _write_csv(cells.head(0), options, header=True)
        room = options.max_bytes - len(header)
        body, offsets = _encoded_body(cells, options)
        sizes = np.diff(offsets)
        if (sizes > room).any():
            row = int(np.argmax(sizes > room))
            raise FrameError(
                f"row {position + row} is {int(sizes[row]):,} bytes as CSV, more than "
                f"max_bytes={options.max_bytes:,} allows with the header; shorten its values "
                "or raise max_bytes"
            )
        i, n = 0, batch.height
        while i < n:
            if pending is None:
                pending = _Pending(start=position + i)
            fits = int(np.searchsorted(offsets, offsets[i] + room - pending.n_bytes, "right")) - 1
            j = min(fits, i + max_records - pending.n_rows, n)
            if j > i:
                pending.add(body[offsets[i] : offsets[j]], cells.slice(i, j - i),
                            batch.slice(i, j - i))
            if j < n or pending.n_rows >= max_records:
                yield pending.to_chunk(header)
                pending = None
            i = j
        position += n
    if pending is not None and pending.n_rows and header is not None:
        yield pending.to_chunk(header)
