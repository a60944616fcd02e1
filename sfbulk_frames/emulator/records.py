"""Single records of the REST ``sobjects`` resource: read one record as JSON, and create,
update or delete one through the same rules as a Bulk API 2.0 row (field types, lengths,
picklists, required and unique fields, lookups): the record becomes a one-row batch of the
ingest processor, and its ``sf__Error`` becomes REST's ``[{"message","errorCode","fields"}]``.
"""

from __future__ import annotations

import csv
import io
import json
import random
from collections.abc import Mapping, Sequence
from typing import Any

from sfbulk_frames.emulator.ingest.batches import RowBatch
from sfbulk_frames.emulator.ingest.columns import NULL_TOKEN, HeaderError, plan_columns
from sfbulk_frames.emulator.ingest.processor import BatchProcessor
from sfbulk_frames.emulator.models.errors import ApiError, RecordError, not_found
from sfbulk_frames.emulator.models.ids import normalize_id
from sfbulk_frames.emulator.models.json_values import attributes, json_value
from sfbulk_frames.emulator.models.org import Org, quote_ident
from sfbulk_frames.emulator.models.schema import COMPOUND_TYPES, FieldDef, ObjectDef

__all__ = ["RecordError", "create_record", "delete_record", "read_record", "update_record"]


def _live_id(org: Org, obj: ObjectDef, record_id: str, *, writing: bool = True) -> str:
    """The 18-character Id of a live record of ``obj``; raises 404 otherwise (a record in the
    recycle bin: ``ENTITY_IS_DELETED`` for a write, ``NOT_FOUND`` for a read)."""
    full = normalize_id(record_id)
    if full is None or full[:3] != obj.key_prefix:
        raise not_found()
    row = org.conn.execute(
        f"SELECT IsDeleted FROM {quote_ident(obj.name)} WHERE Id = ?", (full,)
    ).fetchone()
    if row is None:
        raise not_found()
    if row[0] and not writing:
        raise not_found()
    if row[0]:
        raise RecordError(404, "ENTITY_IS_DELETED", "entity is deleted", [])
    return full


def _fields(obj: ObjectDef, names: Sequence[str] | None) -> list[FieldDef]:
    if not names:
        return [f for f in obj if f.type not in COMPOUND_TYPES]
    found = []
    for name in names:
        fdef = obj.field(name)
        if fdef is None:
            raise ApiError(
                400,
                "INVALID_FIELD",
                f"No such column '{name}' on entity '{obj.name}'. If you are attempting to use a "
                "custom field, be sure to append the '__c' after the custom field name. Please "
                "reference your WSDL or the describe call for the appropriate names.",
            )
        found.append(fdef)
    return found


def read_record(
    org: Org, obj: ObjectDef, record_id: str, version: str, fields: Sequence[str] | None = None
) -> dict[str, Any]:
    """``GET sobjects/{object}/{id}[?fields=…]``: the record as REST JSON (404 if absent)."""
    full = _live_id(org, obj, record_id, writing=False)
    chosen = _fields(obj, fields)
    columns = ", ".join(quote_ident(f.name) for f in chosen)
    row = org.conn.execute(
        f"SELECT {columns} FROM {quote_ident(obj.name)} WHERE Id = ?", (full,)
    ).fetchone()
    record: dict[str, Any] = {"attributes": attributes(version, obj.name, full)}
    for fdef, value in zip(chosen, row, strict=True):
        record[fdef.name] = json_value(fdef.type, value)
    return record


def _csv_text(name: str, value: Any) -> str:
    if value is None:
        return NULL_TOKEN
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return value
    raise ApiError(
        400,
        "JSON_PARSER_ERROR",
        f"Cannot deserialize instance of {type(value).__name__} for field {name}: send a "
        "string, number, boolean or null",
    )


def _write(org: Org, obj: ObjectDef, operation: str, values: Mapping[str, Any]) -> str:
    """One row through the ingest processor; the Id written, or a raised :class:`RecordError`."""
    header = list(values)
    row = [_csv_text(name, values[name]) for name in header]
    try:
        columns = plan_columns(org.schema, obj, operation, header)
    except HeaderError as exc:
        name = str(exc).rpartition(" : ")[2]
        raise RecordError(
            400, "INVALID_FIELD", f"No such column '{name}' on sobject of type {obj.name}", [name]
        ) from exc
    processor = BatchProcessor(
        org, obj, operation, None, columns, delimiter=",", line_ending="\n", rng=random.Random(0)
    )
    conn = org.conn
    conn.execute("BEGIN")
    try:
        outcome = processor.process(RowBatch(1, rows=[row]))
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")
    if outcome.failed:
        raise _row_error(next(csv.reader(io.StringIO(outcome.failed)))[1])
    return next(csv.reader(io.StringIO(outcome.successful)))[0]


def _row_error(sf_error: str) -> RecordError:
    """``CODE:message:Field1,Field2 --`` (an ``sf__Error``) as a REST error."""
    text = sf_error.removesuffix(" --")
    code, _, rest = text.partition(":")
    message, _, names = rest.rpartition(":")
    fields = [n for n in names.split(",") if n]
    status = 404 if code in ("ENTITY_IS_DELETED", "NOT_FOUND") else 400
    return RecordError(status, code, message or rest, fields)


def parse_body(body: bytes) -> dict[str, Any]:
    """A record body (JSON object); ``attributes`` is ignored as Salesforce does."""
    try:
        data = json.loads(body or b"{}")
    except ValueError as exc:
        message = f"Unexpected character in the body: {exc}"
        raise ApiError(400, "JSON_PARSER_ERROR", message) from exc
    if not isinstance(data, dict):
        raise ApiError(400, "JSON_PARSER_ERROR", "The body must be a JSON object of field values")
    data.pop("attributes", None)
    return data


def create_record(org: Org, obj: ObjectDef, values: Mapping[str, Any]) -> str:
    """``POST sobjects/{object}``: the new record's Id (raises :class:`RecordError`)."""
    if any(name.lower() == "id" for name in values):
        raise RecordError(
            400, "INVALID_FIELD_FOR_INSERT_UPDATE", "cannot specify Id in an insert call", ["Id"]
        )
    return _write(org, obj, "insert", values)


def update_record(org: Org, obj: ObjectDef, record_id: str, values: Mapping[str, Any]) -> None:
    """``PATCH sobjects/{object}/{id}`` (raises 404 or :class:`RecordError`)."""
    full = _live_id(org, obj, record_id)
    fields = {k: v for k, v in values.items() if k.lower() != "id"}
    if fields:
        _write(org, obj, "update", {"Id": full, **fields})


def delete_record(org: Org, obj: ObjectDef, record_id: str) -> None:
    """``DELETE sobjects/{object}/{id}``: to the recycle bin (raises 404 when absent)."""
    _write(org, obj, "delete", {"Id": _live_id(org, obj, record_id)})
