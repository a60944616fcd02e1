"""``GET /query?q=`` and ``/queryAll?q=`` (REST query, on the SOQL engine of query jobs) and
their ``nextRecordsUrl`` pages ``/query/01g…-2000``: ``{"totalSize", "done",
"nextRecordsUrl", "records"}`` with JSON records. Page size: ``Sforce-Query-Options:
batchSize=N`` (200 to 2,000; default 2,000)."""

from __future__ import annotations

import re

from sfbulk_frames.emulator.api.backend import ApiBackend
from sfbulk_frames.emulator.api.responses import json_response, wants_pretty
from sfbulk_frames.emulator.models.errors import ApiError
from sfbulk_frames.emulator.soql.compiled import SoqlError
from sfbulk_frames.emulator.soql.cursors import DEFAULT_BATCH_SIZE, MIN_BATCH_SIZE, Cursor
from sfbulk_frames.emulator.wire import Call, Response

_BATCH_SIZE = re.compile(r"batchSize\s*=\s*(\d+)", re.IGNORECASE)


def query(org: ApiBackend, call: Call) -> Response:
    """``GET /query?q=SOQL``: live records only."""
    return _first_page(org, call, include_deleted=False)


def query_all(org: ApiBackend, call: Call) -> Response:
    """``GET /queryAll?q=SOQL``: deleted records too."""
    return _first_page(org, call, include_deleted=True)


def next_page(org: ApiBackend, call: Call) -> Response:
    """``GET /query/{cursor}-{offset}`` (a ``nextRecordsUrl``)."""
    cursor = org.cursors.get(call.params["cursor"])
    return _page(org, call, cursor, int(call.params["offset"]))


def _first_page(org: ApiBackend, call: Call, *, include_deleted: bool) -> Response:
    soql = call.request.query.get("q", "").strip()
    if not soql:
        raise ApiError(400, "MALFORMED_QUERY", "A query string has to be specified")
    try:
        cursor = org.cursors.open(
            org.org.conn, org.org.schema, soql, include_deleted=include_deleted
        )
    except SoqlError as err:
        raise ApiError(err.status, err.error_code, err.message) from err
    return _page(org, call, cursor, 0)


def _batch_size(call: Call) -> int:
    found = _BATCH_SIZE.search(call.request.headers.get("sforce-query-options", ""))
    if found is None:
        return DEFAULT_BATCH_SIZE
    return max(MIN_BATCH_SIZE, min(DEFAULT_BATCH_SIZE, int(found.group(1))))


def _page(org: ApiBackend, call: Call, cursor: Cursor, offset: int) -> Response:
    size = _batch_size(call)
    records = org.cursors.page(org.org.conn, org.org.schema, cursor, offset, size, call.version)
    end = offset + len(records)
    done = end >= cursor.total or cursor.count_only
    body: dict[str, object] = {"totalSize": cursor.total, "done": done}
    if not done:
        body["nextRecordsUrl"] = f"/services/data/v{call.version}/query/{cursor.id}-{end}"
    body["records"] = records
    return json_response(body, pretty=wants_pretty(call.request))
