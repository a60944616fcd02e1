"""Ingest job endpoints (protocol §1): create (JSON or multipart), upload, close/abort, delete,
info, list and the three result files. Handlers take the org and the routed :class:`Call` and
return a :class:`Response`; the rules they apply raise :class:`ApiError`."""

from __future__ import annotations

import re
from typing import Any

from sfbulk_frames.emulator.api import jobs
from sfbulk_frames.emulator.api.backend import ApiBackend
from sfbulk_frames.emulator.api.responses import csv_response, json_response, wants_pretty
from sfbulk_frames.emulator.models.csvfmt import DELIMITERS, LINE_ENDINGS, reserialized_unprocessed
from sfbulk_frames.emulator.models.errors import ApiError
from sfbulk_frames.emulator.models.ids import JOB_PREFIX
from sfbulk_frames.emulator.models.jobs import (
    INGEST_OPERATIONS,
    Job,
    check_upload,
    create_view,
    result_header,
)
from sfbulk_frames.emulator.wire import Call, Request, Response

MAX_UPLOAD_BYTES = 150_000_000
MAX_MULTIPART_CHARS = 100_000
MIN_INGEST_VERSION = 41.0


def _multipart(req: Request, body: bytes) -> tuple[bytes, bytes]:
    """(job JSON, CSV content) of a multipart create; raises 400 when parts are missing."""
    match = re.search(r'boundary="?([^";]+)"?', req.headers.get("content-type", ""))
    if not match:
        raise ApiError(400, "INVALIDJOB", "InvalidJob : multipart request without a boundary")
    parts: dict[str, bytes] = {}
    for chunk in body.split(b"--" + match.group(1).encode())[1:]:
        if chunk.startswith(b"--"):
            break
        head, sep, content = chunk.partition(b"\r\n\r\n")
        if not sep:
            head, sep, content = chunk.partition(b"\n\n")
        name = re.search(rb'name="([^"]+)"', head)
        if name:
            parts[name.group(1).decode()] = content.removesuffix(b"\r\n").removesuffix(b"\n")
    if "job" not in parts or "content" not in parts:
        raise ApiError(
            400,
            "INVALIDJOB",
            "InvalidJob : a multipart create needs the parts 'job' (JSON) and 'content' (CSV)",
        )
    return parts["job"], parts["content"]


def create(org: ApiBackend, call: Call) -> Response:
    """``POST /jobs/ingest`` (JSON, or multipart with the CSV data)."""
    req, version, body = call.request, call.version, call.body
    if float(version) < MIN_INGEST_VERSION:
        raise ApiError(404, "NOT_FOUND", "The requested resource does not exist")
    content: bytes | None = None
    if req.headers.get("content-type", "").startswith("multipart/"):
        body, content = _multipart(req, body)
        if len(content.decode("utf-8", errors="replace")) > MAX_MULTIPART_CHARS:
            raise ApiError(
                400,
                "INVALIDJOB",
                f"InvalidJob : the CSV of a multipart create exceeds "
                f"{MAX_MULTIPART_CHARS} characters; upload it with PUT instead",
            )
    spec = jobs.parse_json_body(body)
    content_type, delimiter, line_ending = jobs.job_options(spec)
    operation = jobs.enum_property(spec, "operation", INGEST_OPERATIONS, "")
    obj = org.org.schema.get(str(spec.get("object") or ""))
    if obj is None:
        raise ApiError(
            400, "INVALIDJOB", f"InvalidJob : Unable to find object: {spec.get('object')}"
        )
    external = spec.get("externalIdFieldName")
    if operation == "upsert":
        external = _external_id_field(obj.name, external, org)
    job = Job(
        id=org.org.ids.new(JOB_PREFIX),
        kind="ingest",
        operation=operation,
        object=obj.name,
        created_by=org.org.user_id,
        api_version=version,
        external_id_field=external if operation == "upsert" else None,
        assignment_rule_id=spec.get("assignmentRuleId"),
        content_type=content_type,
        column_delimiter=delimiter,
        line_ending=line_ending,
    )
    org.store.add(job)
    if content is not None:
        _accept_upload(org, job, content)
        job.set_state("UploadComplete")
        org.store.save(job)
        org.schedule(job)
    return json_response(create_view(job), pretty=wants_pretty(req))


def _external_id_field(object_name: str, value: Any, org: ApiBackend) -> str:
    if not value:
        raise ApiError(
            400,
            "INVALIDJOB",
            f"InvalidJob : External ID was blank for {object_name}. "
            "An External ID is required on upsert: pass externalIdFieldName.",
        )
    obj = org.org.schema.get(object_name)
    fdef = obj.field(str(value)) if obj else None
    if fdef is None or not (fdef.external_id or fdef.name == "Id"):
        raise ApiError(
            400,
            "INVALIDJOB",
            f"InvalidJob : Field name provided, {value} does not "
            f"match an External ID for {object_name}",
        )
    return fdef.name


def _accept_upload(org: ApiBackend, job: Job, data: bytes) -> None:
    org.store.put_data(job, data)
    job.uploads += 1


def upload(org: ApiBackend, call: Call) -> Response:
    """``PUT /jobs/ingest/{id}/batches``: the job's one CSV upload."""
    body = call.body
    job = org.store.get(call.job_id, "ingest")
    content_type = call.request.headers.get("content-type", "")
    if not content_type.lower().startswith("text/csv"):
        org.record_put(job.id, len(body), 415)
        raise ApiError(
            415,
            "UNSUPPORTED_MEDIA_TYPE",
            f"Content-Type '{content_type}' is not "
            "supported for job data: send the CSV with Content-Type: text/csv",
        )
    if len(body) > MAX_UPLOAD_BYTES:
        org.record_put(job.id, len(body), 400)
        raise ApiError(
            400,
            "INVALIDJOB",
            f"InvalidJob : the upload ({len(body)} bytes) exceeds "
            f"the maximum size of {MAX_UPLOAD_BYTES} bytes: split it into several jobs",
        )
    try:
        check_upload(job)
    except ApiError as err:
        org.record_put(job.id, len(body), err.status)
        raise
    _accept_upload(org, job, body)
    org.store.save(job)
    org.record_put(job.id, len(body), 201)
    return Response(201)


def listing(org: ApiBackend, call: Call) -> Response:
    """``GET /jobs/ingest``."""
    return jobs.listing(org, call, "ingest")


def info(org: ApiBackend, call: Call) -> Response:
    """``GET /jobs/ingest/{id}``."""
    return jobs.info(org, call, "ingest")


def close_or_abort(org: ApiBackend, call: Call) -> Response:
    """``PATCH /jobs/ingest/{id}``."""
    return jobs.close_or_abort(org, call, "ingest")


def delete(org: ApiBackend, call: Call) -> Response:
    """``DELETE /jobs/ingest/{id}``."""
    return jobs.delete(org, call, "ingest")


def successful_results(org: ApiBackend, call: Call) -> Response:
    """``GET /jobs/ingest/{id}/successfulResults``."""
    return _results(org, call.job_id, "successful")


def failed_results(org: ApiBackend, call: Call) -> Response:
    """``GET /jobs/ingest/{id}/failedResults``."""
    return _results(org, call.job_id, "failed")


def unprocessed_records(org: ApiBackend, call: Call) -> Response:
    """``GET /jobs/ingest/{id}/unprocessedrecords`` (the last segment in any case)."""
    return _results(org, call.job_id, "unprocessed")


def _results(org: ApiBackend, job_id: str, kind: str) -> Response:
    """``successful`` / ``failed`` / ``unprocessed`` rows as CSV (header always present)."""
    job = org.store.get(job_id, "ingest")
    if job.state in ("Open", "UploadComplete") and not (kind == "unprocessed" and job.uploads):
        raise ApiError(
            400,
            "INVALIDJOBSTATE",
            f"Results of job {job.id} are not available in "
            f"state {job.state}: wait until the job is JobComplete, Failed or Aborted",
        )
    if kind == "unprocessed":
        return csv_response(_unprocessed(org, job))
    body = result_header(job, kind).encode() + b"".join(org.store.results(job, kind))
    return csv_response(body)


def _unprocessed(org: ApiBackend, job: Job) -> bytes:
    """The rows no batch attempted, re-serialized as Salesforce returns them."""
    raw = b"".join(org.store.results(job, "unprocessed_raw"))
    if not raw and job.state in ("Open", "UploadComplete"):
        raw = org.store.data(job) or b""
    if not raw:
        raw = result_header(job, "unprocessed").encode()
        raw += b"".join(org.store.results(job, "unprocessed"))
    text = raw.decode("utf-8", "replace")
    if not text:
        return b""
    delimiter, line_ending = DELIMITERS[job.column_delimiter], LINE_ENDINGS[job.line_ending]
    return reserialized_unprocessed(text, delimiter, line_ending).encode("utf-8")
