"""Change detection for ``sync``: compare a source frame with the org's records, per field type.

Pure frames in, plan parts out (no HTTP): :func:`classify` takes the source rows, the records
queried from the org and the describe entry of every compared field, and puts every source row
in exactly one class — ``create``, ``update`` (with the fields that changed), ``unchanged`` or
``conflict`` — and every org record that no source row claims in ``missing``.

Values are compared in the form Salesforce stores them, so that values that only *look*
different are unchanged (:func:`comparable`):

* text (string, textarea, email, phone, url, picklist, ...): Salesforce stores no empty
  string (an empty value is null) and no leading or trailing whitespace. The Apex Developer
  Guide, "Primitive Data Types" (developer.salesforce.com/docs/atlas.en-us.apexcode.meta/
  apexcode/langCon_apex_primitives.htm): "sObject String field values follow the same rules as
  in the SOAP API: they can never be empty (only null), and they can never include leading and
  trailing whitespace. These conventions are necessary for database storage." The Bulk API 2.0
  CSV parser itself does not trim ("Field values aren't trimmed. A space before or after a
  delimiter is included in the field value", Bulk API 2.0 Developer Guide, "Prepare CSV
  Files", developer.salesforce.com/docs/atlas.en-us.api_asynch.meta/api_asynch/
  datafiles_prepare_csv.htm): the value is trimmed when the record is saved. So both sides
  are compared with leading/trailing whitespace (characters up to U+0020, as Java's
  ``String.trim``) removed and empty text as null — also the org's side, so a store that kept
  the spaces (the emulator does) compares the same; a non-breaking space (U+00A0) is not
  whitespace there and is kept.
* multi-select picklists: the set of values (``b;a`` equals ``a;b``);
* id and reference: the 15-character case-sensitive Id (an 18-character Id extends it);
* numbers: rounded to the field's ``scale``, half away from zero (``1`` equals ``1.0``; a
  currency with scale 2 stores ``1.234`` as ``1.23``), as 64-bit floats (exact to 15
  significant digits);
* booleans: ``true``/``false``; a checkbox is never null in Salesforce, so null is false;
* dates as ``yyyy-MM-dd``; datetimes in UTC to the millisecond (naive datetimes are UTC, as
  when they are sent); times to the millisecond.

Keys are compared the same way, and case-insensitively when the key field is (describe
``caseSensitive`` false: the default for external IDs); so are relationship columns such as
``Account.ExternalId__c``, which name the parent record by such a key.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import polars as pl

from sfbulk_frames.frames.joinback import normalize

__all__ = ["CONFLICT_REASONS", "Classified", "classify", "comparable", "key_comparable"]

ROW = "sf__Row"
ID = "sf__Id"
CHANGED = "sf__Changed"
_KEY = "__sfbulk_key"
_KEY_TEXT = "__sfbulk_key_text"
_NORM = "__sfbulk_n:"
_WHITESPACE = "".join(chr(c) for c in range(0x21))  # what Java's String.trim() removes
_NUMBER_TYPES = frozenset({"int", "long", "double", "currency", "percent"})
_ID_TYPES = frozenset({"id", "reference"})

CONFLICT_REASONS = {
    "missing_key": "the source row has no key value; it is not sent",
    "duplicate_source_key": "the key appears on several source rows; none of them is sent",
    "duplicate_org_key": "several org records share this key (a non-unique external ID); "
    "neither the source row nor those records are touched",
    "org_record_without_key": "an org record in scope has no key value; it is never deleted",
    "unknown_id": "no org record in scope has this Id; an Id cannot be created",
}


def _text(column: pl.Expr, dtype: pl.DataType) -> pl.Expr:
    if isinstance(dtype, pl.List):
        column = column.list.join(";")
    elif not isinstance(dtype, pl.String):
        column = column.cast(pl.String)
    stripped = column.str.strip_chars(_WHITESPACE)
    return pl.when(stripped != "").then(stripped)


def _number(column: pl.Expr, dtype: pl.DataType, scale: int) -> pl.Expr:
    if isinstance(dtype, pl.String):
        value = column.str.strip_chars(_WHITESPACE).cast(pl.Float64, strict=False)
        fallback = _text(column, dtype)  # text that is no number stays as it is: a change
    else:
        value = column.cast(pl.Float64, strict=False)
        fallback = pl.lit(None, dtype=pl.String)
    value = pl.when(value.is_nan()).then(None).otherwise(value)
    rounded = value.round(max(scale, 0), mode="half_away_from_zero")
    # +0.0 so that -0.0 and 0.0 print alike; whole numbers without ".0" when the scale is 0
    text = (rounded + 0.0).cast(pl.String)
    if scale <= 0:
        text = pl.coalesce(rounded.cast(pl.Int64, strict=False).cast(pl.String), text)
    return pl.coalesce(text, fallback)


def _boolean(column: pl.Expr, dtype: pl.DataType) -> pl.Expr:
    if isinstance(dtype, pl.Boolean):
        text = column.cast(pl.String)
    else:
        text = normalize(_text(column, dtype), "boolean")
    return text.fill_null("false")


def _datetime(column: pl.Expr, dtype: pl.DataType) -> pl.Expr:
    if isinstance(dtype, pl.Datetime):
        utc = (column.dt.replace_time_zone("UTC") if dtype.time_zone is None
               else column.dt.convert_time_zone("UTC"))
        return utc.dt.replace_time_zone(None).dt.strftime("%Y-%m-%dT%H:%M:%S%.3f")
    if isinstance(dtype, pl.Date):
        return column.dt.strftime("%Y-%m-%dT00:00:00.000")
    return normalize(_text(column, dtype), "datetime")


def _date(column: pl.Expr, dtype: pl.DataType) -> pl.Expr:
    if isinstance(dtype, pl.Date | pl.Datetime):
        return column.dt.strftime("%Y-%m-%d")
    return normalize(_text(column, dtype), "date")


def _time(column: pl.Expr, dtype: pl.DataType) -> pl.Expr:
    if isinstance(dtype, pl.Time):
        return column.dt.strftime("%H:%M:%S%.3f")
    return normalize(_text(column, dtype), "time")


def _multipicklist(column: pl.Expr, dtype: pl.DataType) -> pl.Expr:
    values = _text(column, dtype).str.split(";").list.eval(
        pl.element().str.strip_chars(_WHITESPACE).filter(pl.element() != "")
    )
    joined = values.list.unique().list.sort().list.join(";")
    return pl.when(joined != "").then(joined)


def comparable(column: pl.Expr, dtype: pl.DataType, field: Mapping[str, Any]) -> pl.Expr:
    """``column`` (of ``dtype``) as text in the form Salesforce stores the field described by
    ``field`` (a describe ``fields[]`` entry); null where Salesforce stores no value."""
    sf_type = str(field.get("type") or "string")
    if sf_type in _NUMBER_TYPES:
        return _number(column, dtype, int(field.get("scale") or 0))
    if sf_type == "boolean":
        return _boolean(column, dtype)
    if sf_type == "datetime":
        return _datetime(column, dtype)
    if sf_type == "date":
        return _date(column, dtype)
    if sf_type == "time":
        return _time(column, dtype)
    if sf_type == "multipicklist":
        return _multipicklist(column, dtype)
    if sf_type in _ID_TYPES:
        return _text(column, dtype).str.slice(0, 15)
    return _text(column, dtype)


def key_comparable(column: pl.Expr, dtype: pl.DataType, field: Mapping[str, Any]) -> pl.Expr:
    """:func:`comparable` for the key, lower-cased when the key field is case-insensitive
    (describe ``caseSensitive`` false or absent; Ids are always compared case-sensitively)."""
    value = comparable(column, dtype, field)
    sf_type = str(field.get("type") or "string")
    if sf_type in _ID_TYPES or sf_type in _NUMBER_TYPES or field.get("caseSensitive", False):
        return value
    return value.str.to_lowercase()


@dataclass
class Classified:
    """The plan's parts as polars frames (see :class:`~sfbulk_frames.SyncPlan`).

    ``create``/``update``/``unchanged`` hold source row positions (``sf__Row``) and, for
    update/unchanged, the org record's ``sf__Id``; ``update`` also ``sf__Changed`` (the changed
    fields, a list). ``changes`` has one row per changed field of each updated row (sf__Row,
    sf__Id, key, field, and old and new as text). ``missing`` holds the org records no
    source row claims; ``conflicts`` the rows and records that are never sent (sf__Row, sf__Id,
    key, reason).
    """

    create: pl.DataFrame
    update: pl.DataFrame
    unchanged: pl.DataFrame
    missing: pl.DataFrame
    conflicts: pl.DataFrame
    changes: pl.DataFrame


def _column_comparable(name: str, dtype: pl.DataType, field: Mapping[str, Any]) -> pl.Expr:
    """A relationship column (``Account.ExternalId__c``) names its parent by that field, which
    matches like a key; other columns compare as values."""
    compare = key_comparable if "." in name else comparable
    return compare(pl.col(name), dtype, field)


def _normalized(frame: pl.DataFrame, key: str, columns: Sequence[str],
                fields: Mapping[str, Mapping[str, Any]]) -> pl.DataFrame:
    return frame.with_columns(
        key_comparable(pl.col(key), frame.schema[key], fields[key]).alias(_KEY),
        pl.col(key).cast(pl.String).alias(_KEY_TEXT),
        *(_column_comparable(c, frame.schema[c], fields[c]).alias(_NORM + c) for c in columns),
    )


def _conflict(rows: pl.DataFrame, reason: str, *, row: bool, org_id: str | None) -> pl.DataFrame:
    return rows.select(
        (pl.col(ROW) if row else pl.lit(None, dtype=pl.Int64)).alias(ROW),
        (pl.col(org_id) if org_id else pl.lit(None, dtype=pl.String)).alias(ID),
        pl.col(_KEY_TEXT).alias("key"),
        pl.lit(reason).alias("reason"),
    )


def _shown(column: pl.Expr, dtype: pl.DataType) -> pl.Expr:
    """A value as text for ``changes``: datetimes in UTC ISO form, lists as ``a;b``."""
    if isinstance(dtype, pl.List):
        return column.list.join(";")
    if isinstance(dtype, pl.Datetime):
        utc = (column.dt.replace_time_zone("UTC") if dtype.time_zone is None
               else column.dt.convert_time_zone("UTC"))
        return utc.dt.strftime("%Y-%m-%dT%H:%M:%S%.3fZ")
    return column.cast(pl.String)


def _changes(updates: pl.DataFrame, columns: Sequence[str], source: pl.DataFrame,
             org: pl.DataFrame) -> pl.DataFrame:
    """One row per changed field of ``updates``, with the org's and the source's own values."""
    new = source[updates.get_column(ROW)].select(
        _shown(pl.col(c), source.schema[c]).alias(f"new:{c}") for c in columns)
    old = updates.select(pl.col(ID).alias("Id")).join(
        org.select("Id", *(_shown(pl.col(c), org.schema[c]).alias(f"old:{c}") for c in columns)),
        on="Id", how="left", maintain_order="left").drop("Id")
    wide = updates.hstack(new).hstack(old)
    parts = [
        wide.filter(pl.col(f"__changed:{c}")).select(
            pl.col(ROW), pl.col(ID), pl.col(_KEY_TEXT).alias("key"), pl.lit(c).alias("field"),
            pl.col(f"old:{c}").alias("old"), pl.col(f"new:{c}").alias("new"),
        )
        for c in columns
    ]
    empty = pl.DataFrame(schema={ROW: pl.Int64, ID: pl.String, "key": pl.String,
                                 "field": pl.String, "old": pl.String, "new": pl.String})
    return pl.concat([empty, *parts]).sort(ROW, "field", maintain_order=True)


def classify(
    source: pl.DataFrame,
    org: pl.DataFrame,
    *,
    key: str,
    compare: Sequence[str],
    fields: Mapping[str, Mapping[str, Any]],
) -> Classified:
    """Classify every source row and every org record (see the module docstring).

    ``source`` is the frame to sync (any columns); ``org`` the queried records with ``Id``,
    ``key`` and every ``compare`` column; ``fields`` maps ``key`` and each ``compare`` column
    to its describe entry. With ``key="Id"`` a row without an Id is a create and an Id the org
    scope does not hold is a conflict; otherwise a row without a key is a conflict.
    """
    by_id = key == "Id"
    src = _normalized(source.select(key, *compare), key, compare, fields).with_columns(
        pl.int_range(pl.len(), dtype=pl.Int64).alias(ROW))
    org_n = _normalized(org.select("Id", *(c for c in [key, *compare] if c != "Id")),
                        key, compare, fields)
    conflicts: list[pl.DataFrame] = []
    no_key = src.filter(pl.col(_KEY).is_null())
    keyed = src.filter(pl.col(_KEY).is_not_null())
    repeated = keyed.get_column(_KEY).is_duplicated()
    if not by_id:
        conflicts.append(_conflict(no_key, "missing_key", row=True, org_id=None))
    conflicts.append(_conflict(keyed.filter(repeated), "duplicate_source_key", row=True,
                               org_id=None))
    keyed = keyed.filter(~repeated)
    org_keyed = org_n.filter(pl.col(_KEY).is_not_null())
    conflicts.append(_conflict(org_n.filter(pl.col(_KEY).is_null()), "org_record_without_key",
                               row=False, org_id="Id"))
    dup_org = org_keyed.filter(pl.col(_KEY).is_duplicated())
    blocked = keyed.join(dup_org.select(_KEY).unique(), on=_KEY, how="semi")
    conflicts.append(_conflict(blocked, "duplicate_org_key", row=True, org_id=None))
    conflicts.append(_conflict(dup_org, "duplicate_org_key", row=False, org_id="Id"))
    keyed = keyed.join(blocked.select(ROW), on=ROW, how="anti")
    org_unique = org_keyed.filter(~pl.col(_KEY).is_duplicated())

    org_side = org_unique.select(pl.col("Id").alias(ID), _KEY,
                                 *(pl.col(_NORM + c).alias(f"{_NORM}{c}_org") for c in compare))
    joined = keyed.join(org_side, on=_KEY, how="left", maintain_order="left")
    found = pl.col(ID).is_not_null()
    unmatched = joined.filter(~found)
    if by_id:
        conflicts.append(_conflict(unmatched, "unknown_id", row=True, org_id=None))
        create = no_key.select(ROW)
    else:
        create = unmatched.select(ROW)
    flags = [f"__changed:{c}" for c in compare]
    matched = joined.filter(found).with_columns(
        (~pl.col(_NORM + c).eq_missing(pl.col(f"{_NORM}{c}_org"))).alias(flag)
        for c, flag in zip(compare, flags, strict=True)
    )
    is_update = pl.any_horizontal(flags) if compare else pl.lit(False)
    # the list of changed fields is built for the changed rows only (a few percent, usually)
    updates = matched.filter(is_update).with_columns(
        pl.concat_list(pl.when(pl.col(flag)).then(pl.lit(c)) for c, flag in
                       zip(compare, flags, strict=True)).list.drop_nulls().alias(CHANGED)
        if compare else pl.lit([], dtype=pl.List(pl.String)).alias(CHANGED)
    )
    missing = org_unique.join(src.filter(pl.col(_KEY).is_not_null()).select(_KEY).unique(),
                              on=_KEY, how="anti").select("Id")
    return Classified(
        create=create.sort(ROW),
        update=updates.select(ROW, ID, CHANGED).sort(ROW),
        unchanged=matched.filter(~is_update).select(ROW, ID).sort(ROW),
        missing=org.join(missing, on="Id", how="semi", maintain_order="left"),
        conflicts=pl.concat(conflicts).sort(ROW, ID, nulls_last=True),
        changes=_changes(updates, compare, source, org),
    )
