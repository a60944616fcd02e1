"""Column kinds and the normalization that makes a sent cell and Salesforce's echo of it
compare equal.

Salesforce echoes uploaded values re-formatted by field type (``912260031`` ->
``9.12260031E8``, ``12`` -> ``12.0``, ``TRUE`` -> ``true``, an 18-character Id as the
15-character one it extends); :func:`normalize` gives both sides one text per value, by the
column's kind (:func:`column_kinds`).
"""

from __future__ import annotations

from collections.abc import Mapping

import polars as pl

__all__ = ["canonical_number", "column_kinds", "normalize"]


def column_kinds(schema: Mapping[str, pl.DataType]) -> dict[str, str]:
    """The normalization kind of each input column, from its dtype (and ``Id`` by name)."""
    kinds: dict[str, str] = {}
    for name, dtype in schema.items():
        if name == "Id":
            kinds[name] = "id"
        elif dtype.is_numeric():
            kinds[name] = "number"
        elif isinstance(dtype, pl.Boolean):
            kinds[name] = "boolean"
        elif isinstance(dtype, pl.Datetime):
            kinds[name] = "datetime"
        elif isinstance(dtype, pl.Date):
            kinds[name] = "date"
        elif isinstance(dtype, pl.Time):
            kinds[name] = "time"
        else:
            kinds[name] = "text"
    return kinds


def canonical_number(text: pl.Expr) -> pl.Expr:
    """Exact canonical text of a decimal number: ``"-" + digits + "e" + exponent``.

    ``"12"``, ``"12.0"``, ``"1.2E1"`` and ``"0012.000"`` all become ``"12e0"``; text that is not a
    number is returned unchanged.
    """
    parts = (
        text.str.strip_chars()
        .str.to_lowercase()
        .str.extract_groups(
            r"^(?<sign>[+-]?)(?<int>\d*)(?:\.(?<frac>\d*))?(?:e(?<esign>[+-]?)(?<exp>\d+))?$"
        )
    )
    int_part = parts.struct.field("int").fill_null("")
    frac = parts.struct.field("frac").fill_null("")
    digits = (int_part + frac).str.strip_chars_start("0")
    significant = digits.str.strip_chars_end("0")
    exponent = parts.struct.field("exp").cast(pl.Int64).fill_null(0)
    exponent = pl.when(parts.struct.field("esign") == "-").then(-exponent).otherwise(exponent)
    exponent = (
        exponent
        - frac.str.len_chars().cast(pl.Int64)
        + (digits.str.len_chars() - significant.str.len_chars()).cast(pl.Int64)
    )
    sign = pl.when(parts.struct.field("sign") == "-").then(pl.lit("-")).otherwise(pl.lit(""))
    canonical = (
        pl.when(significant == "")
        .then(pl.lit("0e0"))
        .otherwise(sign + significant + pl.lit("e") + exponent.cast(pl.String))
    )
    is_number = (int_part + frac).str.len_chars() > 0
    return pl.when(is_number).then(canonical).otherwise(text)


def _canonical_datetime(text: pl.Expr) -> pl.Expr:
    zoned = text.str.to_datetime(
        "%Y-%m-%dT%H:%M:%S%.f%#z", time_unit="us", time_zone="UTC", strict=False
    )
    naive = text.str.to_datetime("%Y-%m-%dT%H:%M:%S%.f", time_unit="us", strict=False)
    parsed = pl.coalesce(zoned.dt.replace_time_zone(None), naive)
    return pl.coalesce(parsed.dt.strftime("%Y-%m-%dT%H:%M:%S%.3f"), text)


def normalize(text: pl.Expr, kind: str) -> pl.Expr:
    """The comparable form of a text cell; empty and ``#N/A`` cells are null."""
    cell = pl.when((text == "") | (text == "#N/A")).then(None).otherwise(text)
    if kind == "number":
        return canonical_number(cell)
    if kind == "boolean":
        lowered = cell.str.to_lowercase()
        return lowered.replace({"1": "true", "0": "false"})
    if kind == "datetime":
        return _canonical_datetime(cell)
    if kind == "date":
        parsed = cell.str.slice(0, 10).str.to_date("%Y-%m-%d", strict=False)
        return pl.coalesce(parsed.dt.strftime("%Y-%m-%d"), cell)
    if kind == "time":
        parsed = cell.str.strip_suffix("Z").str.to_time("%H:%M:%S%.f", strict=False)
        return pl.coalesce(parsed.dt.strftime("%H:%M:%S%.3f"), cell)
    if kind == "id":
        return cell.str.slice(0, 15)  # an 18-char Id echoes the 15-char one it extends
    return cell
