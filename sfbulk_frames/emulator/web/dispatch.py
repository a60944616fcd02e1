"""The request pipeline of the emulator: ``handle(Request) -> Response`` for every path.

Control endpoints (:mod:`..api.control`), the version list, OAuth and SOAP login answer without
a session; every ``/services/data/vXX.X/...`` call then goes through injected route faults, the
session check, the daily API limit (``Sforce-Limit-Info``), the route table (:mod:`.routes`)
and gzip in both directions."""

from __future__ import annotations

import dataclasses
import gzip
import re
import zlib

from sfbulk_frames.emulator.api import control, identity, oauth, rest, soap
from sfbulk_frames.emulator.api.backend import ApiBackend
from sfbulk_frames.emulator.api.responses import error_response, json_response, wants_pretty
from sfbulk_frames.emulator.models.errors import ApiError, not_found
from sfbulk_frames.emulator.models.faults import fault_error
from sfbulk_frames.emulator.web.routes import route
from sfbulk_frames.emulator.wire import Call, Request, Response

_VERSIONED = re.compile(r"^/services/data/v(\d+\.\d)(/.*)?$")
_IDENTITY = re.compile(r"^/id/([0-9A-Za-z]{15,18})/([0-9A-Za-z]{15,18})$")
_SLASHES = re.compile(r"//+")
INVALID_SESSION = [{"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}]


def decode_body(req: Request) -> bytes:
    """The request body with any ``Content-Encoding: gzip`` removed; raises 400 when corrupt."""
    encoding = req.headers.get("content-encoding", "").lower()
    if "gzip" in encoding and req.body:
        try:
            return gzip.decompress(req.body)
        except (OSError, EOFError, zlib.error) as exc:
            raise ApiError(
                400,
                "INVALID_CONTENT_ENCODING",
                f"The gzip request body could not be decompressed: {exc}",
            ) from exc
    return req.body


def finish_response(req: Request, response: Response, *, usage: str | None) -> Response:
    """Add ``Sforce-Limit-Info`` and ``Vary``; gzip the body when the client accepts it."""
    if usage is not None:
        response.headers.append(("Sforce-Limit-Info", usage))
    response.headers.append(("Vary", "Accept-Encoding"))
    accepts_gzip = "gzip" in req.headers.get("accept-encoding", "").lower()
    if accepts_gzip and response.body and response.status != 204:
        response.body = gzip.compress(response.body, compresslevel=1)  # fast
        response.headers.append(("Content-Encoding", "gzip"))
    return response


class Dispatcher:
    """Answers the requests of one org (thread-safe: API handlers run under the org lock)."""

    def __init__(self, org: ApiBackend) -> None:
        self.org = org

    def handle(self, request: Request) -> Response:
        """Answer one request (never raises for bad input)."""
        try:
            return self._dispatch(request)
        except ApiError as err:
            answer = error_response(err, pretty=wants_pretty(request))
            return finish_response(request, answer, usage=None)

    def _dispatch(self, req: Request) -> Response:
        if "//" in req.path:  # ``//services/data``: Salesforce serves it like one slash
            req = dataclasses.replace(req, path=_SLASHES.sub("/", req.path))
        path = req.path.rstrip("/") if req.path not in ("/", "/services/data/") else req.path
        if path.startswith("/__emulator__/"):
            return control.handle(self.org, req, decode_body(req))
        if path in ("/services/data", "/services/data/"):
            if req.method != "GET":
                raise ApiError(405, "METHOD_NOT_ALLOWED", f"HTTP Method '{req.method}' not allowed")
            return finish_response(req, rest.versions(req), usage=None)
        match = _VERSIONED.match(path)
        if not match:
            who = self._identity_endpoint(req, path)
            if who is not None:
                return finish_response(req, who, usage=None)
            login_answer = self._login_endpoint(req, decode_body(req))
            if login_answer is not None:
                return login_answer
            raise not_found()
        version, subpath = match.group(1), match.group(2) or "/"
        fault = self.org.faults.take_route_fault(req.method, subpath)
        if fault is not None and fault.kind == "http":
            answer = error_response(fault_error(fault.status, fault.retry_after))
            return finish_response(req, answer, usage=None)
        if fault is not None and fault.when == "before":
            return Response(0, drop="before")
        response = self._authenticated(req, version, subpath)
        if fault is not None:
            response.drop = "midway"
        return response

    def _identity_endpoint(self, req: Request, path: str) -> Response | None:
        if path == "/services/oauth2/userinfo" and req.method in ("GET", "POST"):
            return identity.userinfo(self.org, req)
        found = _IDENTITY.match(path)
        if found is not None and req.method in ("GET", "POST"):
            return identity.identity(self.org, req, found.group(1), found.group(2))
        return None

    def _login_endpoint(self, req: Request, body: bytes) -> Response | None:
        # ``body`` is already gunzipped: drop the header that says otherwise
        headers = {k: v for k, v in req.headers.items() if k != "content-encoding"}
        plain = Request(req.method, req.path, req.query, headers, body, req.base_url)
        if req.path.rstrip("/") == "/services/oauth2/token":
            return oauth.token(self.org.auth, plain)  # a GET gets Salesforce's 400
        if req.path.startswith(("/services/Soap/u/", "/services/Soap/c/")):
            return soap.login(self.org.auth, plain)
        return None

    def _authenticated(self, req: Request, version: str, subpath: str) -> Response:
        org = self.org
        if not org.auth.check(req.headers.get("authorization")):
            return finish_response(req, json_response(INVALID_SESSION, 401), usage=None)
        limit = org.api_max()
        with org.org.lock:
            refused = org.usage_api >= limit
            if not refused:
                org.usage_api += 1
            usage = f"api-usage={org.usage_api}/{limit}"
        if refused:
            org.faults.record("api_limit", limit=limit)
            err = ApiError(403, "REQUEST_LIMIT_EXCEEDED", "TotalRequests Limit exceeded.")
            return finish_response(req, error_response(err), usage=usage)
        try:
            handler, params = route(req.method, subpath)
            with org.org.lock:
                response = handler(org, Call(req, version, decode_body(req), params))
        except ApiError as err:
            response = error_response(err, pretty=wants_pretty(req))
        return finish_response(req, response, usage=usage)
