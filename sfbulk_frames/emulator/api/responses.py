"""Wire formatting of the emulator: Salesforce JSON bodies, error arrays, CSV answers.

:class:`~sfbulk_frames.emulator.models.errors.ApiError` (the typed error of the models) becomes
``[{"errorCode":…,"message":…}]`` with its status here."""

from __future__ import annotations

import json
from typing import Any

from sfbulk_frames.emulator.models.errors import ApiError, RecordError
from sfbulk_frames.emulator.wire import Request, Response

JSON_TYPE = "application/json;charset=UTF-8"
CSV_TYPE = "text/csv"


def json_body(value: Any, pretty: bool = False) -> bytes:
    if pretty:
        return json.dumps(value, indent=2, separators=(",", " : "), ensure_ascii=False).encode()
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()


def json_response(value: Any, status: int = 200, *, pretty: bool = False) -> Response:
    return Response(status, [("Content-Type", JSON_TYPE)], json_body(value, pretty))


def error_response(err: ApiError, *, pretty: bool = False) -> Response:
    body: list[dict[str, Any]] = [{"errorCode": err.error_code, "message": err.message}]
    if isinstance(err, RecordError):  # REST record errors: Salesforce's key order + fields
        body = [{"message": err.message, "errorCode": err.error_code, "fields": err.fields}]
    response = json_response(body, err.status, pretty=pretty)
    response.headers.extend(err.headers)
    return response


def csv_response(body: bytes, headers: list[tuple[str, str]] | None = None) -> Response:
    return Response(200, [("Content-Type", CSV_TYPE), *(headers or [])], body)


def wants_pretty(req: Request) -> bool:
    """True when the client asked for indented JSON (``X-PrettyPrint: 1``)."""
    return req.headers.get("x-prettyprint", "") in ("1", "true")
