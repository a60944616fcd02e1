"""Checks that a frame can be sent, before any request: names, key columns, dtypes."""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping

import polars as pl

from sfbulk_frames._exceptions import FrameError

__all__ = ["joined_names", "separator_hint", "unsupported_reason", "validate_frame"]

_KEY_OPERATIONS = ("update", "delete", "hardDelete")
_RESERVED_PREFIX = "sf__"
_SEPARATORS = (";", "\t", "|", ",")
_IDENT = re.compile(r"^[A-Za-z][A-Za-z0-9_]*(?:[.:][A-Za-z][A-Za-z0-9_]*)*$")


def joined_names(name: str) -> tuple[str, list[str]] | None:
    """``(separator, parts)`` when ``name`` looks like several field names joined by ``;``,
    tab, ``|`` or ``,`` (a header read with the wrong separator), else None."""
    for sep in _SEPARATORS:
        if sep not in name:
            continue
        parts = [p.strip().strip('"').strip() for p in name.split(sep)]
        present = [p for p in parts if p]
        if len(present) >= 2 and all(_IDENT.match(p) for p in present):
            return sep, parts
    return None


def separator_hint(sep: str) -> str:
    """How to read a file whose separator is ``sep``, in pandas, polars and the CLI."""
    return (
        f"it looks like a file read with the wrong separator: read it with separator={sep!r} "
        f"(polars.read_csv(path, separator={sep!r}) or pandas.read_csv(path, sep={sep!r})), "
        f"or pass --separator {sep!r} to the sfbulk command"
    )


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


def _joined_column(name: str, columns: list[str]) -> str | None:
    """The hint for a column that holds ``name`` joined with others by a separator."""
    for column in columns:
        joined = joined_names(column)
        if joined is not None and name.lower() in (p.lower() for p in joined[1]):
            return f"; the frame has a column {column!r}: {separator_hint(joined[0])}"
    return None


def _close_match(name: str, columns: list[str], *, argument: str | None = None) -> str:
    """Why ``name`` is not among ``columns`` and the fix, pointing the right way: ``Id`` is
    spelled by Salesforce (rename the column); a key given as ``argument`` (e.g.
    ``external_id_field``) may be the misspelled side, so both fixes are named."""
    joined = _joined_column(name, columns)
    if joined is not None:
        return joined
    lowered = {c.lower(): c for c in columns}
    match = lowered.get(name.lower()) or next(
        iter(difflib.get_close_matches(name, columns, n=1)), None
    )
    if not match:
        return ""
    if argument is None:
        return f" (did you mean {match!r}? rename that column to {name!r})"
    return (
        f" (did you mean {match!r}? if that column is the field, pass {argument}={match!r}; "
        f"otherwise rename the column to {name!r})"
    )


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
                f"{_close_match(external_id_field, columns, argument='external_id_field')}",
                column=external_id_field,
            )
    for name in columns:
        reason = unsupported_reason(schema[name])
        if reason is not None:
            raise FrameError(
                f"column {name!r} ({schema[name]}) cannot be sent: {reason}", column=name
            )
