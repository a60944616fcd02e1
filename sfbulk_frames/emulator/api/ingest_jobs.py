"""Ingest job endpoints (protocol §1): create (JSON or multipart), upload, close/abort,
delete, info, list and the three result files. Handlers take the emulator, the request, the
API version and the job id, and return a :class:`~.wire.Response` or raise :class:`ApiError`."""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any

from sfbulk_frames.emulator.http.responses import ApiError, csv_response, json_response
from sfbulk_frames.emulator.http.wire import Request, Response
from sfbulk_frames.emulator.ingest.run import result_header, reveal, reveal_on_poll
from sfbulk_frames.emulator.models.csvfmt import DELIMITERS, LINE_ENDINGS
from sfbulk_frames.emulator.models.ids import JOB_PREFIX
from sfbulk_frames.emulator.models.jobs import (
    INGEST_OPERATIONS,
    Job,
    check_delete,
    check_patch,
    check_upload,
    create_view,
    full_view,
    list_view,
    short_view,
)

if TYPE_CHECKING:
    from sfbulk_frames.emulator.service import Emulator

MAX_UPLOAD_BYTES = 150_000_000
MAX_MULTIPART_CHARS = 100_000
MIN_INGEST_VERSION = 41.0


def parse_json_body(req: Request, body: bytes) -> dict[str, Any]:
    """The JSON object of a request; raises 400 ``JSON_PARSER_ERROR``."""
    try:
        value = json.loads(body.decode("utf-8") or "null")
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ApiError(
            400, "JSON_PARSER_ERROR", f"Unexpected character in the JSON body: {exc}"
        ) from exc
    if not isinstance(value, dict):
        raise ApiError(400, "JSON_PARSER_ERROR", "The request body must be a JSON object")
    return value


def _enum(body: dict[str, Any], prop: str, allowed: tuple[str, ...], default: str) -> str:
    value = body.get(prop, default)
    if value not in allowed:
        raise ApiError(
            400,
            "API_ERROR",
            f"Invalid value: '{value if value is not None else ''}' "
            f"supplied for property: '{prop}'",
        )
    return str(value)


def job_options(body: dict[str, Any]) -> tuple[str, str, str]:
    """(contentType, columnDelimiter, lineEnding) of a create body, validated."""
    return (
        _enum(body, "contentType", ("CSV",), "CSV"),
        _enum(body, "columnDelimiter", tuple(DELIMITERS), "COMMA"),
        _enum(body, "lineEnding", tuple(LINE_ENDINGS), "LF"),
    )


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


def create(emu: Emulator, req: Request, version: str, body: bytes) -> Response:
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
    spec = parse_json_body(req, body)
    content_type, delimiter, line_ending = job_options(spec)
    operation = _enum(spec, "operation", INGEST_OPERATIONS, "")
    obj = emu.org.schema.get(str(spec.get("object") or ""))
    if obj is None:
        raise ApiError(
            400, "INVALIDJOB", f"InvalidJob : Unable to find object: {spec.get('object')}"
        )
    external = spec.get("externalIdFieldName")
    if operation == "upsert":
        external = _external_id_field(obj.name, external, emu)
    job = Job(
        id=emu.org.ids.new(JOB_PREFIX),
        kind="ingest",
        operation=operation,
        object=obj.name,
        created_by=emu.org.user_id,
        api_version=version,
        external_id_field=external if operation == "upsert" else None,
        assignment_rule_id=spec.get("assignmentRuleId"),
        content_type=content_type,
        column_delimiter=delimiter,
        line_ending=line_ending,
    )
    emu.store.add(job)
    if content is not None:
        _accept_upload(emu, job, content)
        job.set_state("UploadComplete")
        emu.store.save(job)
        emu.schedule(job)
    return json_response(create_view(job), pretty=emu.pretty(req))


def _external_id_field(object_name: str, value: Any, emu: Emulator) -> str:
    if not value:
        raise ApiError(
            400,
            "INVALIDJOB",
            f"InvalidJob : External ID was blank for {object_name}. "
            "An External ID is required on upsert: pass externalIdFieldName.",
        )
    obj = emu.org.schema.get(object_name)
    fdef = obj.field(str(value)) if obj else None
    if fdef is None or not (fdef.external_id or fdef.name == "Id"):
        raise ApiError(
            400,
            "INVALIDJOB",
            f"InvalidJob : Field name provided, {value} does not "
            f"match an External ID for {object_name}",
        )
    return fdef.name


def _accept_upload(emu: Emulator, job: Job, data: bytes) -> None:
    emu.store.put_data(job, data)
    job.uploads += 1


def upload(emu: Emulator, req: Request, version: str, job_id: str, body: bytes) -> Response:
    job = emu.store.get(job_id, "ingest")
    content_type = req.headers.get("content-type", "")
    if not content_type.lower().startswith("text/csv"):
        emu.record_put(job.id, len(body), 415)
        raise ApiError(
            415,
            "UNSUPPORTED_MEDIA_TYPE",
            f"Content-Type '{content_type}' is not "
            "supported for job data: send the CSV with Content-Type: text/csv",
        )
    if len(body) > MAX_UPLOAD_BYTES:
        emu.record_put(job.id, len(body), 400)
        raise ApiError(
            400,
            "INVALIDJOB",
            f"InvalidJob : the upload ({len(body)} bytes) exceeds "
            f"the maximum size of {MAX_UPLOAD_BYTES} bytes: split it into several jobs",
        )
    try:
        check_upload(job)
    except ApiError as err:
        emu.record_put(job.id, len(body), err.status)
        raise
    _accept_upload(emu, job, body)
    emu.store.save(job)
    emu.record_put(job.id, len(body), 201)
    return Response(201)


def patch(
    emu: Emulator, req: Request, version: str, job_id: str, body: bytes, kind: str = "ingest"
) -> Response:
    job = emu.store.get(job_id, kind)
    target = parse_json_body(req, body).get("state")
    check_patch(job, target)
    if target == "UploadComplete":
        job.set_state("UploadComplete")
        emu.store.save(job)
        emu.schedule(job)
    else:
        abort(emu, job)
    return json_response(short_view(job), pretty=emu.pretty(req))


def abort(emu: Emulator, job: Job) -> None:
    """Abort a job; rows not yet processed stay unprocessed."""
    if job.pending is not None:
        reveal(job, state="Aborted")
    else:
        if job.kind == "ingest" and job.state in ("Open", "UploadComplete"):
            data = emu.store.data(job)
            if data:
                emu.store.append_result(job, "unprocessed_raw", data.decode("utf-8", "replace"))
        job.set_state("Aborted")
    emu.store.save(job)


def delete(
    emu: Emulator, req: Request, version: str, job_id: str, kind: str = "ingest"
) -> Response:
    job = emu.store.get(job_id, kind)
    check_delete(job)
    if kind == "query":
        emu.drop_query_results(job)
    emu.store.delete(job)
    return Response(204)


def info(emu: Emulator, req: Request, version: str, job_id: str, kind: str = "ingest") -> Response:
    job = emu.store.get(job_id, kind)
    reveal_on_poll(job)
    emu.store.save(job)
    return json_response(full_view(job), pretty=emu.pretty(req))


def listing(emu: Emulator, req: Request, version: str, kind: str = "ingest") -> Response:
    """``GET /jobs/{kind}``: pages of ``emu.list_page_size`` jobs with ``nextRecordsUrl``."""
    wanted_type = "V2Ingest" if kind == "ingest" else "V2Query"
    jobs = emu.store.listing(kind)
    if (
        req.query.get("jobType", wanted_type) != wanted_type
        or req.query.get("isPkChunkingEnabled", "").lower() == "true"
    ):
        jobs = []
    locator = req.query.get("queryLocator", "")
    offset = 0
    if locator:
        try:
            offset = int(locator.rsplit("-", 1)[-1])
        except ValueError as exc:
            raise ApiError(
                400, "INVALID_QUERY_LOCATOR", f"invalid query locator: {locator}"
            ) from exc
    size = emu.list_page_size
    page = jobs[offset : offset + size]
    done = offset + size >= len(jobs)
    next_url = (
        None
        if done
        else (
            f"/services/data/v{version}/jobs/{kind}?queryLocator=01gR0000000opRTIAY-{offset + size}"
        )
    )
    return json_response(
        {"done": done, "records": [list_view(j) for j in page], "nextRecordsUrl": next_url},
        pretty=emu.pretty(req),
    )


def results(emu: Emulator, req: Request, version: str, job_id: str, kind: str) -> Response:
    """``successful`` / ``failed`` / ``unprocessed`` rows as CSV (header always present)."""
    job = emu.store.get(job_id, "ingest")
    if job.state in ("Open", "UploadComplete") and not (kind == "unprocessed" and job.uploads):
        raise ApiError(
            400,
            "INVALIDJOBSTATE",
            f"Results of job {job.id} are not available in "
            f"state {job.state}: wait until the job is JobComplete, Failed or Aborted",
        )
    if kind == "unprocessed":
        raw = b"".join(emu.store.results(job, "unprocessed_raw"))
        if raw:
            return csv_response(raw)
        if job.state in ("Open", "UploadComplete"):
            return csv_response(emu.store.data(job) or b"")
    body = result_header(job, kind).encode() + b"".join(emu.store.results(job, kind))
    return csv_response(body)
