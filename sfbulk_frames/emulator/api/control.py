"""Control endpoints of the emulator itself (no Salesforce auth; for tests and demos):

* ``POST /__emulator__/faults`` — JSON body as described in :mod:`..models.faults`;
* ``POST /__emulator__/reset`` — delete every record and job, clear faults and counters;
* ``POST /__emulator__/expire_tokens`` — expire every access token;
* ``GET /__emulator__/state`` — job count, API usage, faults (configured and fired), uploads.
"""

from __future__ import annotations

import json
from typing import Any

from sfbulk_frames.emulator.api.backend import ApiBackend
from sfbulk_frames.emulator.api.responses import json_response
from sfbulk_frames.emulator.models.errors import ApiError, not_found
from sfbulk_frames.emulator.wire import Request, Response


def control_body(body: bytes) -> dict[str, Any]:
    """The JSON object of a control request; raises 400 when it is not one."""
    try:
        value = json.loads(body or b"{}")
    except json.JSONDecodeError as exc:
        raise ApiError(400, "JSON_PARSER_ERROR", f"control body is not JSON: {exc}") from exc
    if not isinstance(value, dict):
        raise ApiError(400, "JSON_PARSER_ERROR", "control body must be a JSON object")
    return value


def handle(org: ApiBackend, req: Request, body: bytes) -> Response:
    """Answer one ``/__emulator__/{action}`` request (``body`` already gunzipped)."""
    action = req.path.rstrip("/").rsplit("/", 1)[-1]
    if action == "state" and req.method == "GET":
        with org.org.lock:
            jobs = {j.id: j.state for j in org.store.jobs.values()}
        return json_response(
            {
                "jobs": jobs,
                "apiUsage": org.usage_api,
                "apiMax": org.api_max(),
                "faults": org.faults.state(),
                "uploads": org.jobs_seen(),
            }
        )
    if req.method != "POST":
        raise ApiError(405, "METHOD_NOT_ALLOWED", "control endpoints take POST (state: GET)")
    if action == "faults":
        spec = control_body(body)
        if spec.get("kind") == "expire_tokens":
            org.expire_tokens()
        else:
            try:
                org.faults.apply_control(spec)
            except ValueError as exc:
                raise ApiError(400, "INVALID_FAULT", str(exc)) from exc
        return json_response(org.faults.state())
    if action == "reset":
        org.reset()
        return Response(204)
    if action == "expire_tokens":
        org.expire_tokens()
        return Response(204)
    raise not_found()
