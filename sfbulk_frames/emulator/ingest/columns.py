"""Header planning and column-wise value checks of an ingest upload (protocol §5).

A header becomes a list of :class:`Column` plans (or a :class:`HeaderError`, which fails the
job); each batch's values are then checked column by column, not row by row, so a 10,000-row
batch costs a few list comprehensions per column."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sfbulk_frames.emulator.models.ids import normalize_id
from sfbulk_frames.emulator.models.schema import FieldDef, ObjectDef, Schema
from sfbulk_frames.emulator.models.values import XSD_TYPES, invalid_emails, parse_column, parser_for

if TYPE_CHECKING:
    import polars as pl

NULL_TOKEN = "#N/A"


class _Empty:
    """An empty cell: leave the field unchanged (update) or give it no value (insert)."""

    def __repr__(self) -> str:
        return "EMPTY"


EMPTY: Any = _Empty()


class HeaderError(Exception):
    """The header cannot be processed; the job fails with this ``errorMessage``."""


@dataclass
class Column:
    index: int
    header: str
    kind: str  # "id", "field", "relationship", "ignored"
    fdef: FieldDef | None = None  # the field written (reference field for rels)
    target: ObjectDef | None = None  # relationship target object
    target_field: FieldDef | None = None  # the external-id / idLookup key on the target
    stored: list[Any] = field(default_factory=list)
    echo: list[str] = field(default_factory=list)
    complete: bool = False  # no EMPTY / None in ``stored`` (this batch)


def plan_columns(schema: Schema, obj: ObjectDef, operation: str, header: list[str]) -> list[Column]:
    """Column plans for an upload header; raises :class:`HeaderError` (job-level failure)."""
    seen: set[str] = set()
    columns = []
    for index, name in enumerate(header):
        if name.lower() in seen:
            raise HeaderError(f"InvalidBatch : Duplicate field name: {name}")
        seen.add(name.lower())
        columns.append(_plan_one(schema, obj, operation, index, name))
    return columns


def _not_found(name: str) -> HeaderError:
    return HeaderError(f"InvalidBatch : Field name not found : {name}")


def _plan_one(schema: Schema, obj: ObjectDef, operation: str, index: int, name: str) -> Column:
    if name.lower() == "id":
        return Column(index, name, "id", obj.field("Id"))
    if operation in ("delete", "hardDelete"):
        return Column(index, name, "ignored")
    if "." not in name:
        fdef = obj.field(name)
        if fdef is None or fdef.type in ("address", "location"):
            raise _not_found(name)
        return Column(index, name, "field", fdef)
    return _plan_relationship(schema, obj, index, name)


def _plan_relationship(schema: Schema, obj: ObjectDef, index: int, name: str) -> Column:
    path, _, key_name = name.rpartition(".")
    type_name, _, rel_name = path.rpartition(":")
    ref = obj.relationship(rel_name)
    if ref is None or "." in path:
        raise _not_found(name)
    if ref.polymorphic and not type_name:
        raise HeaderError(
            f"InvalidBatch : Polymorphic relationship {rel_name} needs the object type: "
            f"write <ObjectType>:{name}"
        )
    if type_name and not ref.polymorphic:
        raise HeaderError(f"InvalidBatch : Relationship {rel_name} is not polymorphic: {name}")
    target_name = type_name or ref.reference_to[0]
    if target_name.lower() not in {t.lower() for t in ref.reference_to}:
        raise _not_found(name)
    target = schema.get(target_name)
    key = target.field(key_name) if target else None
    if target is None or key is None:
        raise _not_found(name)
    if not (key.external_id or key.id_lookup):
        raise HeaderError(
            f"InvalidBatch : Field {key.name} on {target.name} is neither an External ID nor an "
            f"idLookup field, so it cannot be used in the relationship column {name}"
        )
    return Column(index, name, "relationship", ref, target, key)


def error_text(code: str, message: str, fields: str = "") -> str:
    """A row error in Salesforce's ``CODE:message:Fields --`` form."""
    return f"{code}:{message}:{fields} --"


@dataclass
class ColumnStats:
    """A batch column as polars read it, with what one pass over the batch tells of it."""

    series: pl.Series
    has_special: bool  # some value is empty or #N/A
    longest: int  # characters of the longest value


def frame_stats(frame: pl.DataFrame) -> list[ColumnStats]:
    """:class:`ColumnStats` of every column of a batch, in one polars query."""
    import polars as pl  # lazy: importing the emulator loads no polars
    if not frame.height:
        return [ColumnStats(s, False, 0) for s in frame.get_columns()]
    names = frame.columns
    row = frame.select(
        *[
            ((pl.col(n).str.len_bytes() == 0) | (pl.col(n) == NULL_TOKEN)).any().alias(f"s{k}")
            for k, n in enumerate(names)
        ],
        *[pl.col(n).str.len_chars().max().alias(f"l{k}") for k, n in enumerate(names)],
    ).row(0)
    width = len(names)
    return [
        ColumnStats(frame.to_series(k), bool(row[k]), int(row[width + k] or 0))
        for k in range(width)
    ]


def check_column(
    col: Column,
    values: list[str],
    errors: list[str | None],
    operation: str,
    stats: ColumnStats | None = None,
) -> None:
    """Fill ``col.stored`` / ``col.echo`` for one batch and record the first error per row
    (``stats``: the same values as a polars column, when the reader made one)."""
    fdef = col.fdef
    col.echo = values
    col.complete = False
    if col.kind == "ignored" or fdef is None:
        col.stored = [EMPTY] * len(values)
        return
    if ("" in values or NULL_TOKEN in values) if stats is None else stats.has_special:
        col.stored = [EMPTY if v == "" else None if v == NULL_TOKEN else v for v in values]
    else:
        col.stored = list(values)
        col.complete = True
    if col.kind == "id":
        _check_ids(col, errors)
        return
    if col.kind == "relationship":
        return  # resolved against the database by the writer
    allowed = fdef.createable if operation == "insert" else fdef.updateable
    if operation == "upsert":
        allowed = fdef.createable or fdef.updateable
    if not allowed:
        _flag(
            col,
            errors,
            lambda v: error_text(
                "INVALID_FIELD_FOR_INSERT_UPDATE",
                f"Unable to create/update fields: {fdef.name}. Please check the security settings "
                "of this field and verify that it is read/write for your profile or permission "
                "set.",
                fdef.name,
            ),
        )
        return
    if fdef.type == "reference":
        _check_reference_ids(col, errors)
        return
    if not col.complete:
        stats = None  # the values checked are the present ones only
    if parser_for(fdef) is not None:
        _parse_typed(col, errors, stats.series if stats is not None else None)
        return
    _check_text(col, errors, stats)


def _flag(col: Column, errors: list[str | None], make: Callable[[str], str]) -> None:
    for i, v in enumerate(col.stored):
        if v is not EMPTY and v is not None and errors[i] is None:
            errors[i] = make(v)


def _check_ids(col: Column, errors: list[str | None]) -> None:
    stored = col.stored
    for i, v in enumerate(stored):
        if v is EMPTY or v is None:
            stored[i] = EMPTY
            continue
        norm = normalize_id(v)
        if norm is None:
            if errors[i] is None:
                errors[i] = error_text("MALFORMED_ID", f"Invalid id: {v}", "Id")
        else:
            stored[i] = norm


def _check_reference_ids(col: Column, errors: list[str | None]) -> None:
    assert col.fdef is not None
    label = col.fdef.label or col.fdef.name
    stored = col.stored
    for i, v in enumerate(stored):
        if v is EMPTY or v is None:
            continue
        norm = normalize_id(v)
        if norm is None:
            if errors[i] is None:
                errors[i] = error_text(
                    "MALFORMED_ID", f"{label}: id value of incorrect type: {v}", col.fdef.name
                )
        else:
            stored[i] = norm


def _present_positions(stored: list[Any]) -> list[int] | None:
    """Positions of real values (not EMPTY / ``#N/A``); ``None`` when every value is real."""
    if None not in stored and EMPTY not in stored:
        return None
    return [i for i, v in enumerate(stored) if v is not EMPTY and v is not None]


def _parse_typed(col: Column, errors: list[str | None], series: pl.Series | None) -> None:
    """Parse a typed column in one vectorised pass (see :func:`.values.parse_column`)."""
    assert col.fdef is not None
    ftype = col.fdef.type
    xsd = XSD_TYPES[ftype]
    stored, echo = col.stored, col.echo
    positions = None if col.complete else _present_positions(stored)
    values = stored if positions is None else [stored[i] for i in positions]
    if not values:
        return
    parsed = parse_column(ftype, values, series)
    if positions is None:
        col.stored, col.echo = parsed.stored, parsed.echo
    else:
        echo = col.echo = list(echo)
        for i, value, text in zip(positions, parsed.stored, parsed.echo, strict=True):
            stored[i], echo[i] = value, text
    for k in parsed.bad:
        i = k if positions is None else positions[k]
        if errors[i] is None:
            errors[i] = error_text(
                "INVALID_FIELD",
                f"Failed to deserialize field at col {col.index + 1}. Due to, '{values[k]}' is "
                f"not a valid value for the type xsd:{xsd}",
                col.fdef.name,
            )


def _flag_positions(
    col: Column,
    errors: list[str | None],
    bad: list[int],
    positions: list[int] | None,
    make: Callable[[str], str],
) -> None:
    stored = col.stored
    for k in bad:
        i = k if positions is None else positions[k]
        if errors[i] is None:
            errors[i] = make(stored[i])


def _check_text(col: Column, errors: list[str | None], stats: ColumnStats | None) -> None:
    fdef = col.fdef
    assert fdef is not None
    label = fdef.label or fdef.name
    stored = col.stored
    limit = fdef.length
    longest = max(map(len, col.echo), default=0) if stats is None else stats.longest
    if limit and longest > limit:
        for i, v in enumerate(stored):
            if v is not EMPTY and v is not None and len(v) > limit and errors[i] is None:
                errors[i] = error_text(
                    "STRING_TOO_LONG",
                    f"{label}: data value too large: {v[:80]} (max length={limit})",
                    fdef.name,
                )
    if fdef.type == "email":
        positions = None if col.complete else _present_positions(stored)
        values = stored if positions is None else [stored[i] for i in positions]
        _flag_positions(
            col,
            errors,
            invalid_emails(values, stats.series if stats is not None else None) if values else [],
            positions,
            lambda v: error_text(
                "INVALID_EMAIL_ADDRESS", f"{label}: invalid email address: {v}", fdef.name
            ),
        )
    elif fdef.restricted_picklist and fdef.type in ("picklist", "multipicklist"):
        allowed = set(fdef.picklist_values)
        multi = fdef.type == "multipicklist"
        positions = None if col.complete else _present_positions(stored)
        values = stored if positions is None else [stored[i] for i in positions]
        bad = [
            k
            for k, v in enumerate(values)
            if not (all(p in allowed for p in v.split(";")) if multi else v in allowed)
        ]
        _flag_positions(
            col,
            errors,
            bad,
            positions,
            lambda v: error_text(
                "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST",
                f"{label}: bad value for restricted picklist field: {v}",
                fdef.name,
            ),
        )
