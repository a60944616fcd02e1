"""Framework-free request/response values of the emulator core.

The core is a function ``handle(Request) -> Response``; the httpx transport and the uvicorn
server both translate to and from these two classes and nothing else.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Request:
    method: str                      # upper case: "GET", "POST", ...
    path: str                        # decoded URL path, e.g. "/services/data/v62.0/jobs/ingest"
    query: dict[str, str]            # decoded query parameters (last value wins)
    headers: dict[str, str]          # header names in lower case
    body: bytes = b""                # raw body as received (may be gzip; the core decodes it)
    base_url: str = "http://127.0.0.1"  # scheme://host[:port] the client used (for instance_url)


@dataclass
class Response:
    status: int
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""
    # Fault injection: the server/transport must break the connection instead of answering.
    # "before" = drop before any byte of the answer; "midway" = send headers and part of the body.
    drop: str | None = None


@dataclass(frozen=True)
class Call:
    """One routed API request: the request, the API version of its path, its body (gzip already
    removed) and the path parameters of its route (``job_id``, ``object_name``)."""

    request: Request
    version: str
    body: bytes
    params: dict[str, str] = field(default_factory=dict)

    @property
    def job_id(self) -> str:
        return self.params["job_id"]

    @property
    def object_name(self) -> str:
        return self.params["object_name"]
