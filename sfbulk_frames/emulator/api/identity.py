"""Who the token belongs to: ``GET /services/oauth2/userinfo`` (OpenID Connect) and
``GET /id/{orgId}/{userId}`` (the identity URL). Both need a valid bearer token; a bad one gets
Salesforce's ``403 Bad_OAuth_Token``, an Id of another org or an unknown user ``404 Bad_Id``.
The token may also come as the ``oauth_token`` query parameter (jsforce sends both)."""

from __future__ import annotations

from sfbulk_frames.emulator.api.backend import ApiBackend
from sfbulk_frames.emulator.api.responses import json_response, wants_pretty
from sfbulk_frames.emulator.models.identity import identity_document, userinfo_document
from sfbulk_frames.emulator.models.ids import normalize_id
from sfbulk_frames.emulator.wire import Request, Response


def _plain(status: int, text: str) -> Response:
    return Response(status, [("Content-Type", "text/plain;charset=UTF-8")], text.encode())


def _authorization(req: Request) -> str | None:
    token = req.query.get("oauth_token")
    return req.headers.get("authorization") or (f"Bearer {token}" if token else None)


def userinfo(org: ApiBackend, req: Request) -> Response:
    """``GET|POST /services/oauth2/userinfo``."""
    account = org.auth.session_account(_authorization(req))
    if account is None:
        return _plain(403, "Bad_OAuth_Token")
    with org.org.lock:
        body = userinfo_document(org.org, req.base_url, account.user_id)
    if body is None:
        return _plain(404, "Bad_Id")
    return json_response(body, pretty=wants_pretty(req))


def identity(org: ApiBackend, req: Request, org_id: str, user_id: str) -> Response:
    """``GET /id/{orgId}/{userId}`` (15- or 18-character Ids)."""
    if org.auth.session_account(_authorization(req)) is None:
        return _plain(403, "Bad_OAuth_Token")
    if normalize_id(org_id) != org.org.org_id or (full_user := normalize_id(user_id)) is None:
        return _plain(404, "Bad_Id")
    with org.org.lock:
        body = identity_document(org.org, req.base_url, full_user)
    if body is None:
        return _plain(404, "Bad_Id")
    return json_response(body, pretty=wants_pretty(req))
