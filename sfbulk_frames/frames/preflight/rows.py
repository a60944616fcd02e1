"""Preflight, row level (``preflight="rows"``): the rows describe proves Salesforce would reject.

Checked on the exact text cells that would be sent (:func:`encode_batch`, conversions
included), column by column with vectorised polars expressions: a value that does not parse as
the field's type (int, double, currency, percent, boolean, date, datetime, time), text longer
than the field's length, a value outside a restricted picklist, a required field left empty on
insert (or cleared with ``nulls="set_null"``). Errors use Salesforce's own
``CODE:message:Field --`` form. Validation rules, triggers and duplicates stay Salesforce's call.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import polars as pl

from sfbulk_frames.frames.encode import NULL_MARKER, EncodeOptions, encode_batch
from sfbulk_frames.frames.preflight.plan import NUMBER_TYPES, TEXT_TYPES, PreflightPlan

__all__ = ["FINDING_SCHEMA", "NOT_SENT_MARK", "RowChecker", "error_cells"]

NOT_SENT_MARK = "PREFLIGHT "
"""Prefix of every ``sf__Error`` line of a row preflight held back (it was never sent)."""

FINDING_SCHEMA = {
    "row": pl.Int64,
    "column": pl.String,
    "code": pl.String,
    "message": pl.String,
    "field": pl.String,
}

_INT = r"^[+-]?[0-9]+(?:\.0*)?$"
_NUMBER = r"^[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$"
_DATE = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
_DATETIME = (
    r"^[0-9]{4}-[0-9]{2}-[0-9]{2}(?:[T ][0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]{1,9})?)?"
    r"(?:Z|[+-][0-9]{2}:?[0-9]{2})?)?$"
)
_FAST_DATE = (  # always-valid dates (no Feb 29, no year 0); others go through the full check
    r"^(?:[1-9][0-9]{3}|0[1-9][0-9]{2}|00[1-9][0-9]|000[1-9])-(?:(?:0[1-9]|1[0-2])-"
    r"(?:0[1-9]|1[0-9]|2[0-8])|(?:0[13-9]|1[0-2])-(?:29|30)|(?:0[13578]|1[02])-31)$"
)
_FAST_BOOLEAN = ["true", "false", "1", "0", "TRUE", "FALSE", "True", "False"]
_TIME = r"^[0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]{1,9})?)?Z?$"
_XSD = {
    "boolean": "boolean",
    "int": "int",
    "long": "long",
    "double": "double",
    "currency": "double",
    "percent": "double",
    "date": "date",
    "datetime": "dateTime",
    "time": "time",
}
_TYPED_DTYPES: dict[str, tuple[type[pl.DataType], ...]] = {
    "boolean": (pl.Boolean,),
    "date": (pl.Date,),
    "datetime": (pl.Datetime, pl.Date),
    "time": (pl.Time,),
}


@dataclass(frozen=True)
class _Check:
    column: str
    field: str
    code: str
    bad: pl.Expr
    message: pl.Expr
    maybe_bad: pl.Expr | None = None
    """A cheaper superset of ``bad``: when it holds for no row of a batch, ``bad`` is skipped."""


def _label(f: Mapping[str, Any]) -> str:
    return str(f.get("label") or f["name"])


def _type_checks(
    column: str,
    f: Mapping[str, Any],
    index: int,
    dtype: pl.DataType,
    cell: pl.Expr,
    present: pl.Expr,
) -> list[_Check]:
    ftype = str(f.get("type"))
    name = str(f["name"])
    if ftype in NUMBER_TYPES:
        if dtype.is_integer() or (dtype.is_float() and ftype not in ("int", "long")):
            return []
        ok = cell.str.contains(_INT if ftype in ("int", "long") else _NUMBER)
    elif ftype == "boolean":
        if isinstance(dtype, _TYPED_DTYPES["boolean"]):
            return []
        ok = cell.str.to_lowercase().is_in(["true", "false", "1", "0"])
    elif ftype == "date":
        if isinstance(dtype, pl.Date | pl.Datetime):
            return []  # a datetime reaching here is converted (or refused) by the column plan
        parsed = cell.str.to_date("%Y-%m-%d", strict=False)
        ok = cell.str.contains(_DATE) & ~cell.str.starts_with("0000") & parsed.is_not_null()
    elif ftype in ("datetime", "time"):
        if isinstance(dtype, _TYPED_DTYPES[ftype]):
            return []
        ok = cell.str.contains(_DATETIME if ftype == "datetime" else _TIME)
    else:
        return []
    bad = present & ~ok.fill_null(False)
    maybe_bad = None
    if ftype == "boolean":
        maybe_bad = present & ~cell.is_in(_FAST_BOOLEAN).fill_null(False)
    elif ftype == "date":
        maybe_bad = present & ~cell.str.contains(_FAST_DATE).fill_null(False)
    if ftype in ("date", "datetime", "time"):
        code = "INVALID_FIELD"
        message = pl.format(
            "Failed to deserialize field at col {}. Due to, '{}' is not a valid value for the "
            "type xsd:{}",
            pl.lit(index),
            cell,
            pl.lit(_XSD[ftype]),
        )
    else:
        code = "INVALID_TYPE_ON_FIELD_IN_RECORD"
        message = pl.format("{}: value not of required type: {}", pl.lit(_label(f)), cell)
    return [_Check(column, name, code, bad, message, maybe_bad)]


def _text_checks(
    column: str, f: Mapping[str, Any], cell: pl.Expr, present: pl.Expr
) -> list[_Check]:
    ftype = str(f.get("type"))
    if ftype not in TEXT_TYPES:
        return []
    checks = []
    name, label = str(f["name"]), _label(f)
    length = int(f.get("length") or 0)
    if length:
        checks.append(
            _Check(
                column,
                name,
                "STRING_TOO_LONG",
                present & (cell.str.len_chars() > length),
                pl.format(
                    "{}: data value too large: {} (max length={})",
                    pl.lit(label),
                    cell.str.slice(0, 80),
                    pl.lit(length),
                ),
                # a character is at least a byte: text of at most `length` bytes fits
                maybe_bad=(cell.str.len_bytes() > length).fill_null(False),
            )
        )
    if f.get("restrictedPicklist") and ftype in ("picklist", "multipicklist"):
        allowed = [str(p["value"]) for p in f.get("picklistValues") or () if p.get("active", True)]
        if ftype == "multipicklist":
            ok = cell.str.split(";").list.eval(pl.element().is_in(allowed)).list.all()
        else:
            ok = cell.is_in(allowed)
        checks.append(
            _Check(
                column,
                name,
                "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST",
                present & ~ok.fill_null(False),
                pl.format("{}: bad value for restricted picklist field: {}", pl.lit(label), cell),
            )
        )
    return checks


def _required_check(
    column: str, f: Mapping[str, Any], operation: str, cell: pl.Expr, present: pl.Expr
) -> list[_Check]:
    name = str(f["name"])
    not_nillable = not f.get("nillable", True) and f.get("type") != "boolean"
    if operation == "insert" and not_nillable and not f.get("defaultedOnCreate"):
        bad = ~present
    elif operation in ("update", "upsert") and not_nillable:
        bad = (cell == NULL_MARKER).fill_null(False)  # clearing a required field
    else:
        return []
    message = pl.lit(f"Required fields are missing: [{name}]")
    return [_Check(column, name, "REQUIRED_FIELD_MISSING", bad, message)]


class RowChecker:
    """The row checks of a load, built once from its :class:`PreflightPlan`."""

    def __init__(
        self, plan: PreflightPlan, schema: Mapping[str, pl.DataType], options: EncodeOptions
    ) -> None:
        self.options = options
        self.checks: list[_Check] = []
        positions = {name: i + 1 for i, name in enumerate(schema)}
        for column, f in plan.fields.items():
            if column == "Id":
                continue
            cell = pl.col(column)
            present = cell.is_not_null() & (cell != "") & (cell != NULL_MARKER)
            present = present.fill_null(False)
            self.checks += _required_check(column, f, plan.operation, cell, present)
            self.checks += _type_checks(column, f, positions[column], schema[column], cell, present)
            self.checks += _text_checks(column, f, cell, present)
        self.columns = list(dict.fromkeys(c.column for c in self.checks))

    def findings(self, batch: pl.DataFrame, offset: int = 0) -> pl.DataFrame:
        """The problems of ``batch`` (rows ``offset + i``) in :data:`FINDING_SCHEMA` order of
        checks; empty when every row passes."""
        if not self.checks or batch.height == 0:
            return pl.DataFrame(schema=FINDING_SCHEMA)
        cells = encode_batch(batch.select(self.columns), self.options, row_offset=offset)
        cheap = {k: c.maybe_bad for k, c in enumerate(self.checks) if c.maybe_bad is not None}
        skipped: set[int] = set()
        if cheap:
            candidates = cells.select(e.any().alias(f"m{k}") for k, e in cheap.items()).row(0)
            skipped = {k for k, any_row in zip(cheap, candidates, strict=True) if not any_row}
        todo = [k for k in range(len(self.checks)) if k not in skipped]
        if not todo:
            return pl.DataFrame(schema=FINDING_SCHEMA)
        flags = cells.select(self.checks[k].bad.alias(f"c{k}") for k in todo)
        counts = flags.sum().row(0)
        found = []
        for k, count in zip(todo, counts, strict=True):
            check = self.checks[k]
            if not count:
                continue
            rows = cells.with_row_index("row", offset=offset).filter(flags.get_column(f"c{k}"))
            found.append(
                rows.select(
                    pl.col("row").cast(pl.Int64),
                    pl.lit(check.column).alias("column"),
                    pl.lit(check.code).alias("code"),
                    check.message.alias("message"),
                    pl.lit(check.field).alias("field"),
                )
            )
        if not found:
            return pl.DataFrame(schema=FINDING_SCHEMA)
        return pl.concat(found).sort("row", maintain_order=True)


def error_cells(findings: pl.DataFrame) -> pl.DataFrame:
    """One ``sf__Error`` per row of ``findings`` (row, sf__Error): every problem of the row in
    Salesforce's ``CODE:message:Field --`` form after :data:`NOT_SENT_MARK`, one per line."""
    line = pl.format(NOT_SENT_MARK + "{}:{}:{} --", "code", "message", "field")
    return findings.group_by("row", maintain_order=True).agg(line.str.join("\n").alias("sf__Error"))
