"""The Bulk API 2.0 job protocol (sections 1 to 3) as sans-I/O flows, for sync and async.

Request builders validate arguments before anything is sent (ConfigurationError); flows are run
by :class:`~sfbulk_frames.client.http.SyncDriver` or
:class:`~sfbulk_frames.client.http.AsyncDriver`.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from sfbulk_frames._config import PollPolicy, ProcessingRate, effective_sleep
from sfbulk_frames._exceptions import (
    ConfigurationError,
    JobTimeoutError,
    NotFoundError,
    ServerError,
    SfBulkError,
    TransportError,
)
from sfbulk_frames._models import (
    COLUMN_DELIMITERS,
    INGEST_OPERATIONS,
    LINE_ENDINGS,
    JobInfo,
    JobState,
    Operation,
    QueryPage,
)
from sfbulk_frames.client.http import api_call, api_json
from sfbulk_frames.client.session import ApiCall, Flow, Gather, Session, Sleep

JobKind = Literal["ingest", "query"]
IngestResultKind = Literal["successfulResults", "failedResults", "unprocessedrecords"]
PollCallback = Callable[[JobInfo], None]

_JOB_ID = re.compile(r"^[A-Za-z0-9]{15}([A-Za-z0-9]{3})?$")
PARALLEL_RESULTS_MIN_VERSION = 58.0


def job_path(kind: JobKind, job_id: str, suffix: str = "") -> str:
    """``/jobs/{kind}/{id}{suffix}``. Raises ConfigurationError for a malformed job id."""
    if not isinstance(job_id, str) or not _JOB_ID.match(job_id):
        raise ConfigurationError(
            f"{job_id!r} is not a Salesforce job id (15 or 18 letters and digits, like "
            "'750R0000000zxr8IAA')"
        )
    return f"/jobs/{kind}/{job_id}{suffix}"


def delimiter_name(value: str) -> str:
    """``"COMMA"`` or ``","`` → ``"COMMA"``. Raises ConfigurationError for anything else."""
    if value.upper() in COLUMN_DELIMITERS:
        return value.upper()
    for name, char in COLUMN_DELIMITERS.items():
        if value == char:
            return name
    raise ConfigurationError(
        f"column_delimiter={value!r} is not supported; use one of {sorted(COLUMN_DELIMITERS)}"
    )


def line_ending_name(value: str) -> str:
    """``"LF"``/``"\\n"`` → ``"LF"``, ``"CRLF"``/``"\\r\\n"`` → ``"CRLF"``."""
    if value.upper() in LINE_ENDINGS:
        return value.upper()
    for name, chars in LINE_ENDINGS.items():
        if value == chars:
            return name
    raise ConfigurationError(f"line_ending={value!r} is not supported; use 'LF' or 'CRLF'")


def ingest_operation(value: str | Operation) -> Operation:
    """Validate an ingest operation name. Raises ConfigurationError listing the valid ones."""
    for op in INGEST_OPERATIONS:
        if str(value).lower() in (op.value.lower(), op.name.lower()):
            return op
    raise ConfigurationError(
        f"operation={value!r} is not an ingest operation; use one of "
        f"{[op.value for op in INGEST_OPERATIONS]}"
    )


def create_ingest_job_call(
    object_name: str,
    operation: str | Operation,
    *,
    external_id_field: str | None = None,
    column_delimiter: str = "COMMA",
    line_ending: str = "LF",
    assignment_rule_id: str | None = None,
) -> ApiCall:
    """The ``POST /jobs/ingest`` call. Raises ConfigurationError before anything is sent."""
    op = ingest_operation(operation)
    if not object_name:
        raise ConfigurationError("object is empty: pass the sObject API name, e.g. 'Contact'")
    if op is Operation.UPSERT and not external_id_field:
        raise ConfigurationError(
            f"an upsert into {object_name} needs external_id_field= (an External ID field "
            "such as 'ExternalId__c', or 'Id')"
        )
    body: dict[str, Any] = {
        "object": object_name,
        "operation": op.value,
        "contentType": "CSV",
        "columnDelimiter": delimiter_name(column_delimiter),
        "lineEnding": line_ending_name(line_ending),
    }
    if external_id_field:
        body["externalIdFieldName"] = external_id_field
    if assignment_rule_id:
        body["assignmentRuleId"] = assignment_rule_id
    return ApiCall("POST", "/jobs/ingest", json=body)


def create_query_job_call(
    soql: str,
    *,
    include_deleted: bool = False,
    column_delimiter: str = "COMMA",
    line_ending: str = "LF",
) -> ApiCall:
    """The ``POST /jobs/query`` call. Raises ConfigurationError for an empty query."""
    if not soql or not soql.strip():
        raise ConfigurationError("the SOQL query is empty")
    body = {
        "operation": (Operation.QUERY_ALL if include_deleted else Operation.QUERY).value,
        "query": soql,
        "contentType": "CSV",
        "columnDelimiter": delimiter_name(column_delimiter),
        "lineEnding": line_ending_name(line_ending),
    }
    return ApiCall("POST", "/jobs/query", json=body)


def job_info_flow(session: Session, call: ApiCall) -> Flow[JobInfo]:
    """Send a call that answers with a JobInfo object and parse it."""
    body = yield from api_json(session, call)
    return JobInfo.from_json(body)


def get_job_flow(session: Session, kind: JobKind, job_id: str) -> Flow[JobInfo]:
    return (yield from job_info_flow(session, ApiCall("GET", job_path(kind, job_id))))


def set_state_flow(session: Session, kind: JobKind, job_id: str, state: JobState) -> Flow[JobInfo]:
    """PATCH the job's state (close = UploadComplete, abort = Aborted)."""
    call = ApiCall("PATCH", job_path(kind, job_id), json={"state": state.value})
    return (yield from job_info_flow(session, call))


def delete_job_flow(session: Session, kind: JobKind, job_id: str) -> Flow[None]:
    yield from api_call(session, ApiCall("DELETE", job_path(kind, job_id)))


def upload_flow(session: Session, job_id: str, data: bytes) -> Flow[None]:
    """PUT the job's data once. Never repeated after a connection error or 5xx: the job is
    aborted instead (the data may have arrived) and TransportError/ServerError is raised,
    saying the chunk must go on a new job."""
    call = ApiCall(
        "PUT",
        job_path("ingest", job_id, "/batches"),
        content=data,
        content_type="text/csv",
        retry="refused_only",
    )
    try:
        yield from api_call(session, call)
    except (TransportError, ServerError) as exc:
        try:
            yield from set_state_flow(session, "ingest", job_id, JobState.ABORTED)
            aborted = "the job was aborted, so none of its rows will be processed"
        except SfBulkError as abort_exc:
            aborted = (
                f"aborting it failed too ({type(abort_exc).__name__}); abort it with "
                f"client.ingest_job({job_id!r}).abort()"
            )
        message = (
            f"Uploading the data of job {job_id} failed ({exc}); {aborted}. Send this chunk "
            "again on a new job: never PUT it to the same job twice."
        )
        if isinstance(exc, ServerError):
            raise ServerError(
                message,
                status=exc.status,
                error_code=exc.error_code,
                method=exc.method,
                url=exc.url,
            ) from exc
        raise TransportError(message, method=exc.method, url=exc.url) from exc


def wait_flow(
    session: Session,
    kind: JobKind,
    job_id: str,
    *,
    timeout: float | None,
    poll: PollPolicy,
    on_poll: PollCallback | None = None,
    expected_records: int | None = None,
) -> Flow[JobInfo]:
    """Poll the job with backoff until it is terminal; with ``expected_records`` (the records
    uploaded), also poll when the processing rate seen so far says the job should be done.

    Raises JobTimeoutError (carrying the job id) after ``timeout`` seconds; never aborts.
    """
    if timeout is None:
        timeout = poll.timeout
    deadline = None if timeout is None else time.monotonic() + timeout
    rate = None if not expected_records else ProcessingRate(expected_records)
    poll_number = 0
    while True:
        info = yield from get_job_flow(session, kind, job_id)
        if on_poll is not None:
            on_poll(info)
        if info.state.is_terminal:
            return info
        now = time.monotonic()
        finish_in = (
            None if rate is None else rate.finish_in(now, info.number_records_processed or 0)
        )
        if deadline is not None and now >= deadline:
            handle = "ingest_job" if kind == "ingest" else "query_job"
            raise JobTimeoutError(
                f"{kind} job {job_id} is still {info.state.value} after {timeout:g}s. "
                "Nothing was aborted: the job keeps running. Continue later with "
                f"client.{handle}({job_id!r}).wait() (or sfbulk_frames.resume(df, [{job_id!r}])).",
                job_ids=[job_id],
            )
        delay = poll.interval_toward(poll_number, finish_in)
        if deadline is not None:
            delay = min(delay, max(deadline - now, 0.0))
        yield Sleep(effective_sleep(delay))
        poll_number += 1


def ingest_result_flow(session: Session, job_id: str, which: IngestResultKind) -> Flow[bytes]:
    """Download one of the three result CSVs of an ingest job."""
    call = ApiCall("GET", job_path("ingest", job_id, "/" + which), accept="text/csv")
    response = yield from api_call(session, call)
    return response.content


def query_page_flow(
    session: Session, path: str, *, locator: str | None = None, max_records: int | None = None
) -> Flow[QueryPage]:
    """Fetch one result page (``path`` is ``/jobs/query/{id}/results`` or a ``resultUrl``)."""
    params: dict[str, str] = {}
    if locator:
        params["locator"] = locator
    if max_records is not None:
        params["maxRecords"] = str(max_records)
    call = ApiCall("GET", path, params=params or None, accept="text/csv")
    response = yield from api_call(session, call)
    next_locator = response.headers.get("Sforce-Locator")
    if next_locator in (None, "", "null"):
        next_locator = None
    count = response.headers.get("Sforce-NumberOfRecords")
    return QueryPage(
        data=response.content,
        locator=next_locator,
        number_of_records=int(count) if count and count.isdigit() else None,
    )


@dataclass(frozen=True)
class PageCursor:
    """Where paging continues: a serial locator, or the next ``resultPages`` URL."""

    parallel: bool
    locator: str | None = None
    pages_url: str | None = None


def first_cursor(session: Session, job_id: str, parallel: bool) -> PageCursor:
    if parallel and float(session.api_version) >= PARALLEL_RESULTS_MIN_VERSION:
        return PageCursor(parallel=True, pages_url=job_path("query", job_id, "/resultPages"))
    return PageCursor(parallel=False)


def page_batch_flow(
    session: Session,
    job_id: str,
    cursor: PageCursor,
    *,
    max_records: int | None,
    max_workers: int,
) -> Flow[tuple[list[QueryPage], PageCursor | None]]:
    """The next pages in result order and the cursor after them (``None`` when done).

    Parallel mode falls back to serial paging when ``resultPages`` answers 404.
    """
    results_path = job_path("query", job_id, "/results")
    if not cursor.parallel:
        page = yield from query_page_flow(
            session, results_path, locator=cursor.locator, max_records=max_records
        )
        following = PageCursor(parallel=False, locator=page.locator) if page.locator else None
        return [page], following
    assert cursor.pages_url is not None
    # A nextRecordsUrl already carries its own query (locator, maxRecords): send it as it is.
    first_listing = "?" not in cursor.pages_url
    params = {"maxRecords": str(max_records)} if max_records is not None and first_listing else None
    try:
        listing = yield from api_json(session, ApiCall("GET", cursor.pages_url, params=params))
    except NotFoundError:
        return [], PageCursor(parallel=False)
    if not isinstance(listing, Mapping):
        listing = {}
    entries = listing.get("resultPages") or []
    urls = [e.get("resultUrl") or e.get("resultLink") for e in entries if isinstance(e, Mapping)]
    pages: list[QueryPage] = yield Gather(
        [query_page_flow(session, url) for url in urls if url], max_concurrency=max_workers
    )
    next_url = listing.get("nextRecordsUrl") or listing.get("nextRecordUrl")
    done = listing.get("done", next_url is None)
    following = None if done or not next_url else PageCursor(parallel=True, pages_url=next_url)
    return pages, following


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def describe_flow(
    session: Session, cache: dict[str, dict[str, Any]], object_name: str, refresh: bool
) -> Flow[dict[str, Any]]:
    """``describe`` of an sObject, cached per client (``refresh=True`` asks again).

    Raises ConfigurationError for a name that is not an API name, NotFoundError if unknown.
    """
    if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_]*", object_name or ""):
        raise ConfigurationError(f"{object_name!r} is not an sObject API name (e.g. 'Contact')")
    key = object_name.lower()
    if not refresh and key in cache:
        return cache[key]
    call = ApiCall("GET", f"/sobjects/{object_name}/describe")
    body: dict[str, Any] = yield from api_json(session, call)
    cache[key] = body
    return body


def list_jobs_flow(
    session: Session, kind: JobKind, filters: Mapping[str, Any]
) -> Flow[list[JobInfo]]:
    """Every job of this kind (following ``nextRecordsUrl``); filters in snake or camel case."""
    params = {
        _camel(k): (str(v).lower() if isinstance(v, bool) else str(v))
        for k, v in filters.items()
        if v is not None
    }
    call = ApiCall("GET", f"/jobs/{kind}", params=params or None)
    jobs: list[JobInfo] = []
    while True:
        body = yield from api_json(session, call)
        jobs.extend(JobInfo.from_json(record) for record in body.get("records") or [])
        next_url = body.get("nextRecordsUrl")
        if body.get("done", True) or not next_url:
            return jobs
        call = ApiCall("GET", next_url)
