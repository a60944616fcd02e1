"""Query job endpoints (protocol §2): create (SOQL compiled at create time), results paging
with locators, parallel ``resultPages`` (v58.0+); info/list/abort/delete reuse the ingest
handlers."""

from __future__ import annotations

import base64
import binascii
from typing import TYPE_CHECKING

from sfbulk_frames.emulator.api.ingest_jobs import job_options, parse_json_body
from sfbulk_frames.emulator.http.responses import ApiError, csv_response, json_response
from sfbulk_frames.emulator.http.wire import Request, Response
from sfbulk_frames.emulator.models.ids import JOB_PREFIX
from sfbulk_frames.emulator.models.jobs import QUERY_OPERATIONS, Job, create_view

if TYPE_CHECKING:
    from sfbulk_frames.emulator.service import Emulator

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


def result_table(job: Job) -> str:
    return f"__qr_{job.id}"


def create(emu: Emulator, req: Request, version: str, body: bytes) -> Response:
    from sfbulk_frames.emulator.soql import SoqlError, compile_soql

    if float(version) < MIN_QUERY_VERSION:
        raise ApiError(404, "NOT_FOUND", "The requested resource does not exist")
    spec = parse_json_body(req, body)
    content_type, delimiter, line_ending = job_options(spec)
    operation = str(spec.get("operation") or "")
    if operation not in QUERY_OPERATIONS:
        raise ApiError(
            400, "API_ERROR", f"Invalid value: '{operation}' supplied for property: 'operation'"
        )
    soql = spec.get("query")
    if not isinstance(soql, str) or not soql.strip():
        raise ApiError(400, "API_ERROR", "Invalid value: '' supplied for property: 'query'")
    try:
        compiled = compile_soql(soql, emu.org.schema, include_deleted=operation == "queryAll")
    except SoqlError as err:
        raise ApiError(err.status, err.error_code, err.message) from err
    emu.usage_query_jobs += 1
    job = Job(
        id=emu.org.ids.new(JOB_PREFIX),
        kind="query",
        operation=operation,
        object=compiled.object_name,
        created_by=emu.org.user_id,
        api_version=version,
        state="UploadComplete",
        query=soql,
        content_type=content_type,
        column_delimiter=delimiter,
        line_ending=line_ending,
    )
    emu.store.add(job)
    emu.schedule(job)
    return json_response(create_view(job), pretty=emu.pretty(req))


def run(emu: Emulator, job: Job) -> None:
    """Materialise a query job's rows into its result table (job ends JobComplete/Failed)."""
    from sfbulk_frames.emulator.soql import SoqlError, compile_soql
    from sfbulk_frames.emulator.soql.results import materialize

    try:
        compiled = compile_soql(
            job.query or "", emu.org.schema, include_deleted=job.operation == "queryAll"
        )
        job.processed = materialize(emu.org.conn, compiled, result_table(job))
    except SoqlError as err:
        job.error_message = f"{err.error_code} : {err.message}"
        job.set_state("Failed")
        return
    job.result_columns = [[c.header, c.field_type] for c in compiled.columns]
    job.set_state("JobComplete")


def _complete_job(emu: Emulator, version: str, job_id: str) -> Job:
    job = emu.store.get(job_id, "query")
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


def _page_size(emu: Emulator, req: Request) -> int:
    raw = req.query.get("maxRecords")
    if raw is None or raw == "":
        return emu.default_page_size
    try:
        size = int(raw)
    except ValueError:
        size = 0
    if size <= 0:
        raise ApiError(
            400, "INVALID_MAX_RECORDS", f"maxRecords must be a positive integer, got '{raw}'"
        )
    return size


def results(emu: Emulator, req: Request, version: str, job_id: str) -> Response:
    from sfbulk_frames.emulator.soql import Column
    from sfbulk_frames.emulator.soql.results import page_csv

    job = _complete_job(emu, version, job_id)
    offset = decode_locator(req.query["locator"]) if req.query.get("locator") else 0
    size = _page_size(emu, req)
    columns = [Column(h, t) for h, t in job.result_columns or []]
    body, count = page_csv(
        emu.org.conn,
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


def result_pages(emu: Emulator, req: Request, version: str, job_id: str) -> Response:
    if float(version) < MIN_RESULT_PAGES_VERSION:
        raise ApiError(404, "NOT_FOUND", "The requested resource does not exist")
    job = _complete_job(emu, version, job_id)
    offset = decode_locator(req.query["locator"]) if req.query.get("locator") else 0
    size = _page_size(emu, req)
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
    return json_response(body, pretty=emu.pretty(req))
