"""Sans-I/O building blocks: flow instructions, the session, and REST call descriptions.

A *flow* is a generator that yields instructions — :class:`Send` a request, :class:`Sleep`,
:class:`Gather` sub-flows — and receives their outcomes; the drivers in
:mod:`sfbulk_frames.client.http` perform them. Nothing here does I/O.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Generator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, Protocol, TypeVar

import httpx

from sfbulk_frames._config import RetryPolicy
from sfbulk_frames._exceptions import ConfigurationError
from sfbulk_frames._models import LimitInfo

__all__ = [
    "ApiCall",
    "Flow",
    "Gather",
    "Grant",
    "Instruction",
    "LoginFlow",
    "RetryMode",
    "Send",
    "Session",
    "Sleep",
    "build_request",
    "redact_url",
]

T = TypeVar("T")
RetryMode = Literal["idempotent", "refused_only", "never"]


@dataclass(frozen=True)
class Send:
    """Send this request; the flow receives the read ``httpx.Response`` or the
    ``httpx.RequestError`` the connection raised."""

    request: httpx.Request


@dataclass(frozen=True)
class Sleep:
    seconds: float


@dataclass(frozen=True)
class Gather:
    """Run sub-flows concurrently (at most ``max_concurrency`` at once); receive their results
    in order. The first failure is raised into the gathering flow."""

    flows: Sequence[Flow[Any]]
    max_concurrency: int = 4


Instruction = Send | Sleep | Gather
Flow = Generator[Instruction, Any, T]

_SECRET_PARAMS = ("token", "secret", "password", "assertion", "session", "key", "code")


def redact_url(url: httpx.URL | str) -> str:
    """The URL without query parameters that could carry secrets."""
    parsed = httpx.URL(str(url))
    kept = [
        (k, v) for k, v in parsed.params.multi_items()
        if not any(s in k.lower() for s in _SECRET_PARAMS)
    ]
    return str(parsed.copy_with(params=kept)) if kept else str(parsed.copy_with(query=None))


class Grant(Protocol):
    """What a login yields (:class:`~sfbulk_frames.client.auth.TokenGrant`)."""

    @property
    def access_token(self) -> str: ...

    @property
    def instance_url(self) -> str: ...


class LoginFlow(Protocol):
    """What a session needs of a login flow: the Authenticators of
    :mod:`sfbulk_frames.client.auth` (a protocol, so this module does not import that one)."""

    @property
    def can_reauthenticate(self) -> bool: ...

    def login_flow(self, retry: RetryPolicy) -> Flow[Grant]: ...


class Session:
    """Where and as whom to talk: instance URL, token, API version, how to log in again.

    Shared by every request of a client (and by threads of the ingest pipeline).
    """

    def __init__(
        self,
        instance_url: str,
        access_token: str | None,
        *,
        api_version: str,
        auth: LoginFlow | None,
        retry: RetryPolicy,
        client_name: str | None = None,
        gzip_threshold: int | None = None,
    ) -> None:
        self.instance_url = instance_url.rstrip("/")
        self.access_token = access_token
        self.api_version = api_version
        self.auth = auth
        self.retry = retry
        self.client_name = client_name
        self.gzip_threshold = gzip_threshold
        self.limit_info: LimitInfo | None = None

    def __repr__(self) -> str:
        return f"Session(instance_url={self.instance_url!r}, api_version={self.api_version!r})"

    @property
    def base_url(self) -> str:
        return f"{self.instance_url}/services/data/v{self.api_version}"

    def url(self, path: str) -> str:
        """Full URL for a path relative to the versioned base, to the host, or already full."""
        if path.startswith(("http://", "https://")):
            return path
        if path.startswith("/services/"):
            return self.instance_url + path
        if path.startswith("services/"):  # contentUrl style: relative, without leading slash
            return f"{self.instance_url}/{path}"
        return self.base_url + path

    @property
    def can_reauthenticate(self) -> bool:
        return self.auth is not None and self.auth.can_reauthenticate

    def login(self) -> Flow[None]:
        """Run the authenticator's flow and adopt the new token and instance URL.

        Raises ConfigurationError when there is no authenticator.
        """
        if self.auth is None:
            raise ConfigurationError(
                "No access token and no way to log in: pass access_token= or use a login "
                "constructor such as Client.password_login(...) or Client.from_env()."
            )
        grant = yield from self.auth.login_flow(self.retry)
        self.instance_url = grant.instance_url.rstrip("/")
        self.access_token = grant.access_token


@dataclass(frozen=True)
class ApiCall:
    """One REST call: method, path (see :meth:`Session.url`), body and how it may be retried."""

    method: str
    path: str
    params: Mapping[str, str] | None = None
    json: Any = None
    content: bytes | None = None
    content_type: str | None = None
    accept: str = "application/json"
    # None: by method (GET/DELETE/PATCH are idempotent, POST/PUT only retried after a 429)
    retry: RetryMode | None = None

    @property
    def retry_mode(self) -> RetryMode:
        if self.retry is not None:
            return self.retry
        return "idempotent" if self.method in ("GET", "DELETE", "PATCH", "HEAD") else "refused_only"


def build_request(session: Session, call: ApiCall) -> httpx.Request:
    """The httpx request for ``call`` with the session's current token."""
    headers = {"Accept": call.accept, "Accept-Encoding": "gzip, deflate"}
    if session.access_token is not None:
        headers["Authorization"] = f"Bearer {session.access_token}"
    if session.client_name:
        headers["Sforce-Call-Options"] = f"client={session.client_name}"
    body: bytes | None = call.content
    content_type = call.content_type
    if call.json is not None:
        body = json.dumps(call.json).encode("utf-8")
        content_type = content_type or "application/json; charset=UTF-8"
    threshold = session.gzip_threshold
    if body is not None and threshold is not None and len(body) > threshold:
        body = gzip.compress(body, compresslevel=1)
        headers["Content-Encoding"] = "gzip"
    if content_type:
        headers["Content-Type"] = content_type
    return httpx.Request(
        call.method, session.url(call.path), params=call.params, headers=headers, content=body
    )
