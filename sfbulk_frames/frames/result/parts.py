"""The shape of a result's parts: the ``sf__`` columns of each part, ``sf__Row`` (the input row
position every part carries) and parts conformed to that shape in input order."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import polars as pl

__all__ = [
    "PART_KINDS",
    "ROW",
    "SF_COLUMNS",
    "STATUSES",
    "conform",
    "payload_schema",
    "sorted_by_row",
]

#: The input row position carried by every part of a result.
ROW = "sf__Row"
#: The parts of a result, in the order of :data:`STATUSES`.
PART_KINDS = ("successful", "failed", "unprocessed")
STATUSES = ("success", "failed", "unprocessed")
#: The ``sf__`` columns of each part of a result (besides ``sf__Row``), with their dtypes.
SF_COLUMNS: dict[str, dict[str, pl.DataType]] = {
    "successful": {"sf__Id": pl.String(), "sf__Created": pl.Boolean()},
    "failed": {"sf__Id": pl.String(), "sf__Error": pl.String()},
    "unprocessed": {"sf__Error": pl.String()},
}


def payload_schema(
    parts: Sequence[pl.DataFrame | None], input_columns: list[str]
) -> dict[str, pl.DataType]:
    """The dtype of each input column: the first part that has it non-null gives it."""
    schema: dict[str, pl.DataType] = {name: pl.Null() for name in input_columns}
    for part in parts:
        if part is None:
            continue
        for name in input_columns:
            if isinstance(schema[name], pl.Null) and name in part.columns:
                schema[name] = part.schema[name]
    return schema


def sorted_by_row(frame: pl.DataFrame) -> pl.DataFrame:
    """``frame`` sorted by sf__Row; parts of a load usually already are, and are then kept."""
    rows = frame.get_column(ROW)
    if rows.is_sorted():
        return frame
    return frame.sort(ROW)


def conform(
    part: pl.DataFrame | None, kind: str, payload: Mapping[str, pl.DataType]
) -> pl.DataFrame:
    """One part with the columns payload..., sf__ columns, sf__Row (missing ones as nulls)."""
    wanted = {**payload, **SF_COLUMNS[kind], ROW: pl.Int64()}
    if part is None:
        return pl.DataFrame(schema=wanted)
    exprs = [
        pl.col(name) if name in part.columns else pl.lit(None, dtype=dtype).alias(name)
        for name, dtype in wanted.items()
    ]
    return sorted_by_row(part.select(exprs).with_columns(pl.col(ROW).cast(pl.Int64)))
