"""Query job endpoints (protocol §2): create (SOQL compiled at create time), results paging
with locators, parallel ``resultPages`` (v58.0+); info/list/abort/delete are the shared job
endpoints of :mod:`.jobs`."""

from __future__ import annotations

import base64
import binascii

from sfbulk_frames.emulator.api import jobs
from sfbulk_frames.emulator.api.backend import ApiBackend
from sfbulk_frames.emulator.api.responses import csv_response, json_response, wants_pretty
from sfbulk_frames.emulator.models.errors import ApiError
from sfbulk_frames.emulator.models.ids import JOB_PREFIX
from sfbulk_frames.emulator.models.jobs import QUERY_OPERATIONS, Job, create_view
from sfbulk_frames.emulator.soql import Column, SoqlError, compile_soql
from sfbulk_frames.emulator.soql.results import page_csv
from sfbulk_frames.emulator.soql.runs import result_table
from sfbulk_frames.emulator.wire import Call, Request, Response

MIN_QUERY_VERSION = 47.0
MIN_RESULT_PAGES_VERSION = 58.0
RESULT_PAGES_PER_RESPONSE = 5
_STATUS_NAMES = {
    "UploadComplete": "UPLOAD_COMPLETE",
    "InProgress": "IN_PROGRESS",
    "Aborted": "ABORTED",
    "Failed": "FAILED",
    "JobComplete": "JOB_COMPLETE",
}


def create(org: ApiBackend, call: Call) -> Response:
    """``POST /jobs/query``: the SOQL is compiled now, so a bad query fails the create."""
    req, version = call.request, call.version
    if float(version) < MIN_QUERY_VERSION:
        raise ApiError(404, "NOT_FOUND", "The requested resource does not exist")
    spec = jobs.parse_json_body(call.body)
    content_type, delimiter, line_ending = jobs.job_options(spec)
    operation = str(spec.get("operation") or "")
    if operation not in QUERY_OPERATIONS:
        raise ApiError(
            400, "API_ERROR", f"Invalid value: '{operation}' supplied for property: 'operation'"
        )
    soql = spec.get("query")
    if not isinstance(soql, str) or not soql.strip():
        raise ApiError(400, "API_ERROR", "Invalid value: '' supplied for property: 'query'")
    try:
        compiled = compile_soql(soql, org.org.schema, include_deleted=operation == "queryAll")
    except SoqlError as err:
        raise ApiError(err.status, err.error_code, err.message) from err
    org.usage_query_jobs += 1
    job = Job(
        id=org.org.ids.new(JOB_PREFIX),
        kind="query",
        operation=operation,
        object=compiled.object_name,
        created_by=org.org.user_id,
        api_version=version,
        state="UploadComplete",
        query=soql,
        content_type=content_type,
        column_delimiter=delimiter,
        line_ending=line_ending,
    )
    org.store.add(job)
    org.schedule(job)
    return json_response(org.shape_view(job, create_view(job)), pretty=wants_pretty(req))


def _complete_job(org: ApiBackend, version: str, job_id: str) -> Job:
    job = org.store.get(job_id, "query")
    if version != job.api_version:
        raise ApiError(
            409,
            "API_VERSION_MISMATCH",
            f"Job {job.id} was created with API version "
            f"v{job.api_version}: fetch its results with that version, not v{version}",
        )
    if job.state != "JobComplete":
        raise ApiError(
            412,
            "JOB_NOT_COMPLETE",
            "can only download query results of successfully "
            f"completed bulk job with status: JOB_COMPLETE. Current status: "
            f"{_STATUS_NAMES.get(job.state, job.state.upper())}",
        )
    return job


def encode_locator(offset: int) -> str:
    return base64.b64encode(str(offset).encode()).decode().rstrip("=")


def decode_locator(locator: str) -> int:
    """Row offset of a locator; raises 400 ``INVALID_LOCATOR`` for anything else."""
    try:
        text = base64.b64decode(locator + "=" * (-len(locator) % 4), validate=True).decode()
        offset = int(text)
    except (binascii.Error, ValueError, UnicodeDecodeError) as exc:
        raise ApiError(400, "INVALID_LOCATOR", f"Invalid locator: {locator}") from exc
    if offset < 0:
        raise ApiError(400, "INVALID_LOCATOR", f"Invalid locator: {locator}")
    return offset


def _page_size(org: ApiBackend, req: Request) -> int:
    raw = req.query.get("maxRecords")
    if raw is None or raw == "":
        return org.default_page_size
    try:
        size = int(raw)
    except ValueError:
        size = 0
    if size <= 0:
        raise ApiError(
            400, "INVALID_MAX_RECORDS", f"maxRecords must be a positive integer, got '{raw}'"
        )
    return size


def results(org: ApiBackend, call: Call) -> Response:
    """``GET /jobs/query/{id}/results``: one page of CSV rows and its ``Sforce-Locator``."""
    req = call.request
    job = _complete_job(org, call.version, call.job_id)
    offset = decode_locator(req.query["locator"]) if req.query.get("locator") else 0
    size = _page_size(org, req)
    columns = [Column(h, t) for h, t in job.result_columns or []]
    body, count = page_csv(
        org.org.conn,
        result_table(job),
        columns,
        offset,
        size,
        job.column_delimiter,
        job.line_ending,
    )
    next_offset = offset + count
    locator = encode_locator(next_offset) if count and next_offset < job.processed else "null"
    return csv_response(body, [("Sforce-Locator", locator), ("Sforce-NumberOfRecords", str(count))])


def result_pages(org: ApiBackend, call: Call) -> Response:
    """``GET /jobs/query/{id}/resultPages`` (v58.0+): up to five result page URLs at once."""
    req, version = call.request, call.version
    if float(version) < MIN_RESULT_PAGES_VERSION:
        raise ApiError(404, "NOT_FOUND", "The requested resource does not exist")
    job = _complete_job(org, version, call.job_id)
    offset = decode_locator(req.query["locator"]) if req.query.get("locator") else 0
    size = _page_size(org, req)
    base = f"/services/data/v{version}/jobs/query/{job.id}"
    pages: list[dict[str, str]] = []
    cursor = offset
    while len(pages) < RESULT_PAGES_PER_RESPONSE and (cursor < job.processed or not pages):
        locator = f"&locator={encode_locator(cursor)}" if cursor else ""
        pages.append({"resultUrl": f"{base}/results?maxRecords={size}{locator}"})
        cursor += size
    done = cursor >= job.processed
    body = {
        "resultPages": pages,
        "nextRecordsUrl": None
        if done
        else f"{base}/resultPages?maxRecords={size}&locator={encode_locator(cursor)}",
        "done": done,
    }
    return json_response(body, pretty=wants_pretty(req))


def listing(org: ApiBackend, call: Call) -> Response:
    """``GET /jobs/query``."""
    return jobs.listing(org, call, "query")


def info(org: ApiBackend, call: Call) -> Response:
    """``GET /jobs/query/{id}``."""
    return jobs.info(org, call, "query")


def close_or_abort(org: ApiBackend, call: Call) -> Response:
    """``PATCH /jobs/query/{id}`` (a query job can only be aborted)."""
    return jobs.close_or_abort(org, call, "query")


def delete(org: ApiBackend, call: Call) -> Response:
    """``DELETE /jobs/query/{id}``."""
    return jobs.delete(org, call, "query")
