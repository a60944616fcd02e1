"""Wire formatting of the emulator: Salesforce JSON bodies, error arrays, CSV answers.

:class:`ApiError` is the one typed error of the emulator's models: it carries the HTTP status,
the Salesforce ``errorCode`` and message, and becomes ``[{"errorCode":…,"message":…}]``."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from sfbulk_frames.emulator.http.wire import Response

JSON_TYPE = "application/json;charset=UTF-8"
CSV_TYPE = "text/csv"
NOT_FOUND_MESSAGE = "The requested resource does not exist"


class ApiError(Exception):
    """An error answer: ``status`` + Salesforce ``error_code`` + ``message``."""

    def __init__(
        self,
        status: int,
        error_code: str,
        message: str,
        headers: list[tuple[str, str]] | None = None,
    ) -> None:
        super().__init__(f"{status} {error_code}: {message}")
        self.status = status
        self.error_code = error_code
        self.message = message
        self.headers = headers or []


def not_found() -> ApiError:
    return ApiError(404, "NOT_FOUND", NOT_FOUND_MESSAGE)


def json_body(value: Any, pretty: bool = False) -> bytes:
    if pretty:
        return json.dumps(value, indent=2, separators=(",", " : "), ensure_ascii=False).encode()
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()


def json_response(value: Any, status: int = 200, *, pretty: bool = False) -> Response:
    return Response(status, [("Content-Type", JSON_TYPE)], json_body(value, pretty))


def error_response(err: ApiError, *, pretty: bool = False) -> Response:
    body = [{"errorCode": err.error_code, "message": err.message}]
    response = json_response(body, err.status, pretty=pretty)
    response.headers.extend(err.headers)
    return response


def csv_response(body: bytes, headers: list[tuple[str, str]] | None = None) -> Response:
    return Response(200, [("Content-Type", CSV_TYPE), *(headers or [])], body)


def sf_timestamp(moment: datetime | None = None) -> str:
    """``yyyy-MM-ddTHH:mm:ss.SSS+0000`` (UTC) as Salesforce writes JSON timestamps."""
    moment = (moment or datetime.now(UTC)).astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}+0000"
