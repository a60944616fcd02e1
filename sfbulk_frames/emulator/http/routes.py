"""The emulator core: :class:`Emulator` turns a :class:`~.wire.Request` into a
:class:`~.wire.Response` (routing table, auth check, usage headers, gzip, error bodies,
faults) and drives job processing.

Control endpoints (no Salesforce auth; for tests and demos):

* ``POST /__emulator__/faults`` — JSON body as described in :mod:`.faults`;
* ``POST /__emulator__/reset`` — delete every record and job, clear faults and counters;
* ``POST /__emulator__/expire_tokens`` — expire every access token;
* ``GET /__emulator__/state`` — job count, API usage, faults (configured and fired), uploads.
"""

from __future__ import annotations

import gzip
import json
import random
import re
import zlib
from collections.abc import Callable
from typing import Any

from sfbulk_frames.emulator.api import ingest_jobs as ingest_api
from sfbulk_frames.emulator.api import query_jobs as query_api
from sfbulk_frames.emulator.api import rest as rest_api
from sfbulk_frames.emulator.http.responses import ApiError, error_response, json_response, not_found
from sfbulk_frames.emulator.http.wire import Request, Response
from sfbulk_frames.emulator.models.faults import FaultPlan, http_fault_response

Handler = Callable[..., Response]
_ID = r"([0-9A-Za-z]{15,18})"
_VERSIONED = re.compile(r"^/services/data/v(\d+\.\d)(/.*)?$")
_ROUTES: list[tuple[re.Pattern[str], dict[str, Handler]]] = [
    (
        re.compile(r"^/jobs/ingest$"),
        {
            "POST": lambda e, r, v, b: ingest_api.create(e, r, v, b),
            "GET": lambda e, r, v, b: ingest_api.listing(e, r, v, "ingest"),
        },
    ),
    (
        re.compile(rf"^/jobs/ingest/{_ID}$"),
        {
            "GET": lambda e, r, v, b, j: ingest_api.info(e, r, v, j),
            "PATCH": lambda e, r, v, b, j: ingest_api.patch(e, r, v, j, b),
            "DELETE": lambda e, r, v, b, j: ingest_api.delete(e, r, v, j),
        },
    ),
    (
        re.compile(rf"^/jobs/ingest/{_ID}/batches$"),
        {"PUT": lambda e, r, v, b, j: ingest_api.upload(e, r, v, j, b)},
    ),
    (
        re.compile(rf"^/jobs/ingest/{_ID}/successfulResults$"),
        {"GET": lambda e, r, v, b, j: ingest_api.results(e, r, v, j, "successful")},
    ),
    (
        re.compile(rf"^/jobs/ingest/{_ID}/failedResults$"),
        {"GET": lambda e, r, v, b, j: ingest_api.results(e, r, v, j, "failed")},
    ),
    (
        re.compile(rf"^/jobs/ingest/{_ID}/(?i:unprocessedrecords)$"),
        {"GET": lambda e, r, v, b, j: ingest_api.results(e, r, v, j, "unprocessed")},
    ),
    (
        re.compile(r"^/jobs/query$"),
        {
            "POST": lambda e, r, v, b: query_api.create(e, r, v, b),
            "GET": lambda e, r, v, b: ingest_api.listing(e, r, v, "query"),
        },
    ),
    (
        re.compile(rf"^/jobs/query/{_ID}$"),
        {
            "GET": lambda e, r, v, b, j: ingest_api.info(e, r, v, j, "query"),
            "PATCH": lambda e, r, v, b, j: ingest_api.patch(e, r, v, j, b, "query"),
            "DELETE": lambda e, r, v, b, j: ingest_api.delete(e, r, v, j, "query"),
        },
    ),
    (
        re.compile(rf"^/jobs/query/{_ID}/results$"),
        {"GET": lambda e, r, v, b, j: query_api.results(e, r, v, j)},
    ),
    (
        re.compile(rf"^/jobs/query/{_ID}/resultPages$"),
        {"GET": lambda e, r, v, b, j: query_api.result_pages(e, r, v, j)},
    ),
    (re.compile(r"^/limits$"), {"GET": lambda e, r, v, b: rest_api.limits(e, r, v)}),
    (re.compile(r"^/sobjects$"), {"GET": lambda e, r, v, b: rest_api.sobjects(e, r, v)}),
    (
        re.compile(r"^/sobjects/([A-Za-z0-9_]+)/describe$"),
        {"GET": lambda e, r, v, b, o: rest_api.describe(e, r, v, o)},
    ),
    (re.compile(r"^/?$"), {"GET": lambda e, r, v, b: rest_api.resources(e, r, v)}),
]
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


def route(method: str, subpath: str) -> tuple[Handler, tuple[str, ...]]:
    """The handler of a versioned path; raises 404 ``NOT_FOUND`` / 405 ``METHOD_NOT_ALLOWED``."""
    for pattern, handlers in _ROUTES:
        match = pattern.match(subpath)
        if match:
            if method not in handlers:
                allowed = ", ".join(sorted(handlers))
                raise ApiError(
                    405,
                    "METHOD_NOT_ALLOWED",
                    f"HTTP Method '{method}' not allowed. Allowed are {allowed}",
                    [("Allow", allowed)],
                )
            return handlers[method], match.groups()
    raise not_found()


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


class CoreMixin:
    """Request handling of :class:`~.Emulator` (see there for the state it relies on)."""

    faults: FaultPlan
    usage_api: int
    rng: random.Random

    # provided by Emulator
    def api_max(self) -> int:
        raise NotImplementedError

    def pretty(self, req: Request) -> bool:
        raise NotImplementedError

    def _auth_check(self, authorization: str | None) -> bool:
        raise NotImplementedError

    def _control(self, req: Request, body: bytes) -> Response:
        raise NotImplementedError

    def _auth_endpoint(self, req: Request, body: bytes) -> Response | None:
        raise NotImplementedError

    def handle(self, request: Request) -> Response:
        """Answer one request (thread-safe; never raises for bad input)."""
        try:
            return self._dispatch(request)
        except ApiError as err:
            return finish_response(
                request, error_response(err, pretty=self.pretty(request)), usage=None
            )

    def _dispatch(self, req: Request) -> Response:
        path = req.path.rstrip("/") if req.path not in ("/", "/services/data/") else req.path
        if path.startswith("/__emulator__/"):
            return self._control(req, decode_body(req))
        if path in ("/services/data", "/services/data/"):
            if req.method != "GET":
                raise ApiError(405, "METHOD_NOT_ALLOWED", f"HTTP Method '{req.method}' not allowed")
            return finish_response(req, rest_api.versions(self, req), usage=None)  # type: ignore[arg-type]
        match = _VERSIONED.match(path)
        if not match:
            auth_answer = self._auth_endpoint(req, decode_body(req))
            if auth_answer is not None:
                return auth_answer
            raise not_found()
        version, subpath = match.group(1), match.group(2) or "/"
        fault = self.faults.take_route_fault(req.method, subpath)
        if fault is not None and fault.kind == "http":
            return finish_response(
                req, http_fault_response(fault.status, fault.retry_after), usage=None
            )
        if fault is not None and fault.when == "before":
            return Response(0, drop="before")
        response = self._authenticated(req, version, subpath)
        if fault is not None:
            response.drop = "midway"
        return response

    def _authenticated(self, req: Request, version: str, subpath: str) -> Response:
        if not self._auth_check(req.headers.get("authorization")):
            return finish_response(req, json_response(INVALID_SESSION, 401), usage=None)
        limit = self.api_max()
        with self._lock():
            refused = self.usage_api >= limit
            if not refused:
                self.usage_api += 1
            usage = f"api-usage={self.usage_api}/{limit}"
        if refused:
            self.faults.record("api_limit", limit=limit)
            err = ApiError(403, "REQUEST_LIMIT_EXCEEDED", "TotalRequests Limit exceeded.")
            return finish_response(req, error_response(err), usage=usage)
        try:
            handler, args = route(req.method, subpath)
            with self._lock():
                response = handler(self, req, version, decode_body(req), *args)
        except ApiError as err:
            response = error_response(err, pretty=self.pretty(req))
        return finish_response(req, response, usage=usage)

    def _lock(self) -> Any:
        raise NotImplementedError


def control_body(body: bytes) -> dict[str, Any]:
    """The JSON object of a control request; raises 400 when it is not one."""
    try:
        value = json.loads(body or b"{}")
    except json.JSONDecodeError as exc:
        raise ApiError(400, "JSON_PARSER_ERROR", f"control body is not JSON: {exc}") from exc
    if not isinstance(value, dict):
        raise ApiError(400, "JSON_PARSER_ERROR", "control body must be a JSON object")
    return value
