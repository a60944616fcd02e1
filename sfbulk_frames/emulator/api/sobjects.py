"""The REST ``sobjects`` resource for single records: ``GET /sobjects/{object}`` (basic
info), ``POST /sobjects/{object}`` (201 ``{"id", "success", "errors"}``), and ``GET``
(``?fields=A,B``), ``PATCH`` (204) and ``DELETE`` (204) of ``/sobjects/{object}/{id}``;
record errors as ``[{"message", "errorCode", "fields"}]``."""

from __future__ import annotations

from sfbulk_frames.emulator import records
from sfbulk_frames.emulator.api.backend import ApiBackend
from sfbulk_frames.emulator.api.responses import json_response, wants_pretty
from sfbulk_frames.emulator.models.errors import not_found
from sfbulk_frames.emulator.models.schema import ObjectDef
from sfbulk_frames.emulator.wire import Call, Response


def _object(org: ApiBackend, call: Call) -> ObjectDef:
    obj = org.org.schema.get(call.object_name)
    if obj is None:
        raise not_found()
    return obj


def object_info(org: ApiBackend, call: Call) -> Response:
    """``GET /sobjects/{object}``: the object's summary and (no) recent items."""
    obj = _object(org, call)
    base = f"/services/data/v{call.version}/sobjects/{obj.name}"
    summary = {
        "name": obj.name,
        "label": obj.label or obj.name,
        "labelPlural": obj.label_plural or (obj.label or obj.name) + "s",
        "keyPrefix": obj.key_prefix,
        "custom": obj.custom,
        "createable": True,
        "updateable": True,
        "deletable": True,
        "queryable": True,
        "urls": {"sobject": base, "describe": f"{base}/describe", "rowTemplate": f"{base}/{{ID}}"},
    }
    body = {"objectDescribe": summary, "recentItems": []}
    return json_response(body, pretty=wants_pretty(call.request))


def create(org: ApiBackend, call: Call) -> Response:
    """``POST /sobjects/{object}``: 201 with the new Id."""
    obj = _object(org, call)
    new_id = records.create_record(org.org, obj, records.parse_body(call.body))
    body = {"id": new_id, "success": True, "errors": []}
    return json_response(body, 201, pretty=wants_pretty(call.request))


def read(org: ApiBackend, call: Call) -> Response:
    """``GET /sobjects/{object}/{id}[?fields=A,B]``."""
    obj = _object(org, call)
    wanted = [f.strip() for f in call.request.query.get("fields", "").split(",") if f.strip()]
    record = records.read_record(org.org, obj, call.params["record_id"], call.version, wanted)
    return json_response(record, pretty=wants_pretty(call.request))


def update(org: ApiBackend, call: Call) -> Response:
    """``PATCH /sobjects/{object}/{id}``: 204."""
    obj = _object(org, call)
    records.update_record(org.org, obj, call.params["record_id"], records.parse_body(call.body))
    return Response(204)


def delete(org: ApiBackend, call: Call) -> Response:
    """``DELETE /sobjects/{object}/{id}``: 204 (the record goes to the recycle bin)."""
    records.delete_record(org.org, _object(org, call), call.params["record_id"])
    return Response(204)
