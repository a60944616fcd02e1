"""``POST /services/oauth2/token`` (protocol §7): the form-encoded OAuth token request turned
into a grant of :class:`~..models.auth.AuthService`, and its answer or Salesforce's OAuth error
JSON (``{"error": …, "error_description": …}``)."""

from __future__ import annotations

import base64
import gzip
import json
from typing import Any
from urllib.parse import parse_qsl

from sfbulk_frames.emulator.models.auth import AuthService, OAuthError
from sfbulk_frames.emulator.wire import Request, Response

_JSON = "application/json;charset=UTF-8"
_NO_STORE = "no-cache,must-revalidate,max-age=0,no-store,private"


def token(auth: AuthService, req: Request) -> Response:
    """Answer an OAuth token request (a GET gets Salesforce's 400 ``invalid_request``)."""
    try:
        if req.method != "POST":
            raise OAuthError("invalid_request", "must use HTTP POST")
        form = {**req.query, **_form(req)}
        basic = _basic_credentials(req.headers.get("authorization"))
        return _json_response(200, auth.grant(form, req.base_url, basic))
    except OAuthError as exc:
        body = {"error": exc.error, "error_description": exc.description}
        return _json_response(exc.status, body)


def _basic_credentials(authorization: str | None) -> tuple[str, str] | None:
    if not authorization or not authorization.lower().startswith("basic "):
        return None
    try:
        decoded = base64.b64decode(authorization[6:].strip()).decode()
    except ValueError:
        return None
    client_id, sep, secret = decoded.partition(":")
    return (client_id, secret) if sep else None


def decoded_body(req: Request) -> bytes:
    """The body without gzip (the dispatcher may hand over an already decoded body with the
    original headers)."""
    if "gzip" in req.headers.get("content-encoding", "").lower() and req.body[:2] == b"\x1f\x8b":
        return gzip.decompress(req.body)
    return req.body


def _form(req: Request) -> dict[str, str]:
    text = decoded_body(req).decode("utf-8", "replace")
    return dict(parse_qsl(text, keep_blank_values=True))


def _json_response(status: int, body: dict[str, Any]) -> Response:
    payload = json.dumps(body, separators=(",", ":")).encode()
    headers = [("Content-Type", _JSON), ("Cache-Control", _NO_STORE), ("Pragma", "no-cache")]
    return Response(status, headers, payload)
