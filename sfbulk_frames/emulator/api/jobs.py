"""Endpoints every Bulk API 2.0 job has, ingest or query (protocol §1, §2): info, list, close or
abort, delete, and the JSON body rules they share. The job rules live in
:mod:`sfbulk_frames.emulator.models.jobs`; this module only translates HTTP."""

from __future__ import annotations

import json
from typing import Any

from sfbulk_frames.emulator.api.backend import ApiBackend
from sfbulk_frames.emulator.api.responses import json_response, wants_pretty
from sfbulk_frames.emulator.models.csvfmt import DELIMITERS, LINE_ENDINGS
from sfbulk_frames.emulator.models.errors import ApiError
from sfbulk_frames.emulator.models.jobs import (
    Job,
    check_delete,
    check_patch,
    full_view,
    list_view,
    reveal,
    reveal_on_poll,
    short_view,
)
from sfbulk_frames.emulator.soql.runs import drop_query_results
from sfbulk_frames.emulator.wire import Call, Request, Response


def parse_json_body(body: bytes) -> dict[str, Any]:
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


def enum_property(body: dict[str, Any], prop: str, allowed: tuple[str, ...], default: str) -> str:
    """``body[prop]`` when it is one of ``allowed``; raises 400 ``API_ERROR`` otherwise."""
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
        enum_property(body, "contentType", ("CSV",), "CSV"),
        enum_property(body, "columnDelimiter", tuple(DELIMITERS), "COMMA"),
        enum_property(body, "lineEnding", tuple(LINE_ENDINGS), "LF"),
    )


def close_or_abort(org: ApiBackend, call: Call, kind: str) -> Response:
    """``PATCH /jobs/{kind}/{id}`` with ``{"state": "UploadComplete" | "Aborted"}``."""
    job = org.store.get(call.job_id, kind)
    target = parse_json_body(call.body).get("state")
    check_patch(job, target)
    if target == "UploadComplete":
        job.set_state("UploadComplete")
        org.store.save(job)
        org.schedule(job)
    else:
        abort(org, job)
    view = org.shape_view(job, short_view(job))
    return json_response(view, pretty=wants_pretty(call.request))


def abort(org: ApiBackend, job: Job) -> None:
    """Abort a job; rows not yet processed stay unprocessed."""
    if job.pending is not None:
        reveal(job, state="Aborted")
    else:
        if job.kind == "ingest" and job.state in ("Open", "UploadComplete"):
            data = org.store.data(job)
            if data:
                org.store.append_result(job, "unprocessed_raw", data.decode("utf-8", "replace"))
        job.set_state("Aborted")
    org.store.save(job)


def delete(org: ApiBackend, call: Call, kind: str) -> Response:
    """``DELETE /jobs/{kind}/{id}``: the job, its data and its results."""
    job = org.store.get(call.job_id, kind)
    check_delete(job)
    if kind == "query":
        drop_query_results(org.org.conn, job)
    org.store.delete(job)
    return Response(204)


def info(org: ApiBackend, call: Call, kind: str) -> Response:
    """``GET /jobs/{kind}/{id}``: the full job view (one poll of a ``polls:N`` job)."""
    job = org.store.get(call.job_id, kind)
    reveal_on_poll(job)
    org.store.save(job)
    view = org.shape_view(job, full_view(job))
    return json_response(view, pretty=wants_pretty(call.request))


def listing(org: ApiBackend, call: Call, kind: str) -> Response:
    """``GET /jobs/{kind}``: pages of ``list_page_size`` jobs with ``nextRecordsUrl``."""
    req: Request = call.request
    wanted_type = "V2Ingest" if kind == "ingest" else "V2Query"
    jobs = org.store.listing(kind)
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
    size = org.list_page_size
    page = jobs[offset : offset + size]
    done = offset + size >= len(jobs)
    next_url = (
        None
        if done
        else (
            f"/services/data/v{call.version}/jobs/{kind}"
            f"?queryLocator=01gR0000000opRTIAY-{offset + size}"
        )
    )
    return json_response(
        {"done": done, "records": [org.shape_view(j, list_view(j)) for j in page],
         "nextRecordsUrl": next_url},
        pretty=wants_pretty(req),
    )
