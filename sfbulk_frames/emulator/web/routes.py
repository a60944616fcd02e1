"""The route table of the REST API under ``/services/data/vXX.X``: one row per endpoint with its
method, path template and handler. ``{job_id}`` matches a 15- or 18-character Id and
``{object_name}`` an API name; ``any_case`` routes match their last path segment in any case
(Salesforce accepts ``unprocessedRecords`` and ``unprocessedrecords``)."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from sfbulk_frames.emulator.api import ingest_jobs, query_jobs, rest, rest_query, sobjects
from sfbulk_frames.emulator.api.backend import ApiBackend
from sfbulk_frames.emulator.models.errors import ApiError, not_found
from sfbulk_frames.emulator.wire import Call, Response

Handler = Callable[[ApiBackend, Call], Response]

_PARAMETERS = {
    "job_id": "[0-9A-Za-z]{15,18}",
    "record_id": "[0-9A-Za-z]{15,18}",
    "object_name": "[A-Za-z0-9_]+",
    "cursor": "01g[0-9A-Za-z]{12,15}",
    "offset": "[0-9]+",
}
_PLACEHOLDER = re.compile(r"\{(\w+)\}")


@dataclass(frozen=True)
class Route:
    """``method`` + ``path`` (relative to ``/services/data/vXX.X``) answered by ``handler``."""

    method: str
    path: str
    handler: Handler
    any_case: bool = False
    pattern: re.Pattern[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "pattern", _compile(self.path, any_case=self.any_case))


def _compile(path: str, *, any_case: bool) -> re.Pattern[str]:
    last = path.rpartition("/")[2]
    parts: list[str] = []
    pos = 0
    for match in _PLACEHOLDER.finditer(path):
        parts.append(re.escape(path[pos : match.start()]))
        parts.append(f"(?P<{match.group(1)}>{_PARAMETERS[match.group(1)]})")
        pos = match.end()
    if any_case and "{" not in last:
        literal = path[pos:]
        cut = len(literal) - len(last)
        parts.append(re.escape(literal[:cut]) + f"(?i:{re.escape(last)})")
    else:
        parts.append(re.escape(path[pos:]))
    return re.compile("^" + "".join(parts) + "$")


ROUTES: tuple[Route, ...] = (
    # ingest jobs (protocol §1)
    Route("POST", "/jobs/ingest", ingest_jobs.create),
    Route("GET", "/jobs/ingest", ingest_jobs.listing),
    Route("GET", "/jobs/ingest/{job_id}", ingest_jobs.info),
    Route("PATCH", "/jobs/ingest/{job_id}", ingest_jobs.close_or_abort),
    Route("DELETE", "/jobs/ingest/{job_id}", ingest_jobs.delete),
    Route("PUT", "/jobs/ingest/{job_id}/batches", ingest_jobs.upload),
    Route("GET", "/jobs/ingest/{job_id}/successfulResults", ingest_jobs.successful_results),
    Route("GET", "/jobs/ingest/{job_id}/failedResults", ingest_jobs.failed_results),
    Route(
        "GET",
        "/jobs/ingest/{job_id}/unprocessedrecords",
        ingest_jobs.unprocessed_records,
        any_case=True,
    ),
    # query jobs (protocol §2)
    Route("POST", "/jobs/query", query_jobs.create),
    Route("GET", "/jobs/query", query_jobs.listing),
    Route("GET", "/jobs/query/{job_id}", query_jobs.info),
    Route("PATCH", "/jobs/query/{job_id}", query_jobs.close_or_abort),
    Route("DELETE", "/jobs/query/{job_id}", query_jobs.delete),
    Route("GET", "/jobs/query/{job_id}/results", query_jobs.results),
    Route("GET", "/jobs/query/{job_id}/resultPages", query_jobs.result_pages),
    # REST resources (protocol §8)
    Route("GET", "/limits", rest.limits),
    Route("GET", "/sobjects", rest.sobjects),
    Route("GET", "/sobjects/{object_name}/describe", rest.describe),
    Route("GET", "/sobjects/{object_name}", sobjects.object_info),
    Route("POST", "/sobjects/{object_name}", sobjects.create),
    Route("GET", "/sobjects/{object_name}/{record_id}", sobjects.read),
    Route("PATCH", "/sobjects/{object_name}/{record_id}", sobjects.update),
    Route("DELETE", "/sobjects/{object_name}/{record_id}", sobjects.delete),
    # REST query (same SOQL engine as query jobs)
    Route("GET", "/query", rest_query.query),
    Route("GET", "/queryAll", rest_query.query_all),
    Route("GET", "/query/{cursor}-{offset}", rest_query.next_page),
    Route("GET", "/queryAll/{cursor}-{offset}", rest_query.next_page),
    Route("GET", "/", rest.resources),
)


def route(method: str, subpath: str) -> tuple[Handler, dict[str, str]]:
    """The handler and path parameters of a versioned path; raises 404 ``NOT_FOUND`` or 405
    ``METHOD_NOT_ALLOWED`` (with ``Allow``) when the path exists for other methods only."""
    allowed: list[str] = []
    for entry in ROUTES:
        match = entry.pattern.match(subpath)
        if match is None:
            continue
        if entry.method == method:
            return entry.handler, match.groupdict()
        allowed.append(entry.method)
    if allowed:
        names = ", ".join(sorted(allowed))
        raise ApiError(
            405,
            "METHOD_NOT_ALLOWED",
            f"HTTP Method '{method}' not allowed. Allowed are {names}",
            [("Allow", names)],
        )
    raise not_found()
