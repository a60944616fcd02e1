"""The exception tree of sfbulk_frames.

Every error the library raises on purpose derives from :class:`SfBulkError`::

    SfBulkError
    ├── ConfigurationError(ValueError)   bad settings or missing credentials (nothing was sent)
    │   ├── InvalidArgumentError(TypeError)  an unknown keyword, or an AsyncClient given to a
    │   │                                    sync function (use ``sfbulk_frames.aio``)
    │   └── SyncScopeError              sync(delete_missing=True) with no where= or no rows
    ├── FrameError(ValueError)      the input frame cannot be sent as it is (nothing was sent)
    │   └── PreflightError              describe proves a column cannot be loaded (nothing sent)
    ├── PreflightWarning(UserWarning)  warned (not raised): a column is sent, likely not as meant
    ├── AuthenticationError         a login flow was refused (bad credentials, expired token)
    ├── TransportError              the network failed and retries were exhausted or not allowed
    ├── SalesforceError             Salesforce answered with an error body
    │   ├── NotSalesforceError          the URL answered with an HTML page, not the REST API
    │   ├── InvalidSessionError         401 INVALID_SESSION_ID
    │   ├── RequestLimitExceededError   403 REQUEST_LIMIT_EXCEEDED (never retried)
    │   ├── NotFoundError               404 NOT_FOUND
    │   ├── RateLimitedError            429
    │   ├── ServerError                 5xx
    │   ├── InvalidJobError             INVALIDJOB (bad object, external id, double upload, ...)
    │   ├── InvalidJobStateError        INVALIDJOBSTATE (illegal state transition)
    │   └── QueryError                  SOQL rejected at create time
    │       ├── MalformedQueryError         MALFORMED_QUERY
    │       ├── InvalidFieldError           INVALID_FIELD
    │       └── InvalidTypeError            INVALID_TYPE
    └── JobError                    something about a job's outcome
        ├── JobFailedError              a job ended Failed/Aborted (only with raise_on_failure)
        ├── JobTimeoutError             waiting exceeded ``timeout=``; the jobs keep running
        ├── ResultMatchError            a result row could not be mapped back to an input row
        ├── LoadIncompleteError         a load stopped part-way; the jobs already sent keep running
        └── JobInterruptedError(KeyboardInterrupt)  Ctrl-C while waiting; says how to resume

Messages never contain access tokens, passwords, client secrets or keys.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

__all__ = [
    "AuthenticationError",
    "ConfigurationError",
    "FrameError",
    "InvalidArgumentError",
    "InvalidFieldError",
    "InvalidJobError",
    "InvalidJobStateError",
    "InvalidSessionError",
    "InvalidTypeError",
    "JobError",
    "JobFailedError",
    "JobInterruptedError",
    "JobTimeoutError",
    "LoadIncompleteError",
    "MalformedQueryError",
    "NotFoundError",
    "NotSalesforceError",
    "PreflightError",
    "PreflightWarning",
    "QueryError",
    "RateLimitedError",
    "RequestLimitExceededError",
    "ResultMatchError",
    "SalesforceError",
    "ServerError",
    "SfBulkError",
    "SyncScopeError",
    "TransportError",
    "error_from_response",
]


class SfBulkError(Exception):
    """Root of every error raised by sfbulk_frames."""


class ConfigurationError(SfBulkError, ValueError):
    """Options or credentials are missing or inconsistent; nothing was sent.

    It is a ``ValueError`` too, as a bad setting is a bad value.
    """


class InvalidArgumentError(ConfigurationError, TypeError):
    """A call got an argument it cannot take: an unknown keyword (the message lists the valid
    ones), or an ``AsyncClient`` passed to a sync function. Nothing was sent.

    It is a ``TypeError`` too, like any call with a wrong keyword.
    """


class SyncScopeError(ConfigurationError):
    """``sync(..., delete_missing=True)`` without ``where=`` (every record of the object that
    the source lacks would be deleted) or with an empty frame. Nothing was sent."""


class FrameError(SfBulkError, ValueError):
    """The input frame cannot be serialized as it is; nothing was sent.

    ``column`` names the offending column when there is one.
    """

    def __init__(self, message: str, *, column: str | None = None) -> None:
        super().__init__(message)
        self.column = column


class PreflightError(FrameError):
    """Describe of the object proves a column cannot be loaded as it is (not a field, read-only,
    not an external ID, a file read with the wrong separator...); nothing was sent.

    ``findings`` holds every column-level problem found (``column``, ``code``, ``message``);
    the message names each column and the fix. ``preflight=False`` skips these checks.
    """

    def __init__(
        self, message: str, *, column: str | None = None, findings: Sequence[Any] = ()
    ) -> None:
        super().__init__(message, column=column)
        self.findings = list(findings)


class PreflightWarning(SfBulkError, UserWarning):
    """A column will be sent, but probably not as meant (e.g. numbers sent to a text field,
    where ``0012`` arrived as ``12``); the message names the column and how to read it as text.
    Issued with :func:`warnings.warn` (a ``UserWarning``), never raised by the library."""


class AuthenticationError(SfBulkError):
    """A login flow was refused. ``error`` is the OAuth/SOAP error code when known."""

    def __init__(self, message: str, *, error: str | None = None, status: int | None = None):
        super().__init__(message)
        self.error = error
        self.status = status


class TransportError(SfBulkError):
    """The connection failed (after the retries that were allowed)."""

    def __init__(self, message: str, *, method: str | None = None, url: str | None = None):
        super().__init__(message)
        self.method = method
        self.url = url


class SalesforceError(SfBulkError):
    """Salesforce answered a request with an error.

    Carries ``status``, ``error_code``, ``message``, ``method`` and ``url`` (never the token).
    """

    def __init__(
        self,
        message: str,
        *,
        status: int,
        error_code: str | None = None,
        method: str | None = None,
        url: str | None = None,
        fields: Sequence[str] = (),
    ) -> None:
        self.status = status
        self.error_code = error_code
        self.message = message
        self.method = method
        self.url = url
        self.fields = list(fields)
        where = f" ({method} {url})" if method and url else ""
        code = f"{error_code}: " if error_code else ""
        super().__init__(f"HTTP {status} {code}{message}{where}")


class NotSalesforceError(SalesforceError):
    """The instance URL answered with something that is not the Salesforce REST API (an HTML
    page, a login portal, a proxy): the URL is wrong. The message is one line."""

    def __str__(self) -> str:
        return self.message


class InvalidSessionError(SalesforceError):
    """401 INVALID_SESSION_ID: the token is expired or invalid and could not be refreshed."""


class RequestLimitExceededError(SalesforceError):
    """403 REQUEST_LIMIT_EXCEEDED: the org's API limit is used up. Not retried."""


class NotFoundError(SalesforceError):
    """404: the job (or resource) does not exist, or was deleted."""


class RateLimitedError(SalesforceError):
    """429: throttled and retries were exhausted."""


class ServerError(SalesforceError):
    """5xx from Salesforce after the allowed retries."""


class InvalidJobError(SalesforceError):
    """INVALIDJOB: the job request was refused (unknown object, bad external id, ...)."""


class InvalidJobStateError(SalesforceError):
    """INVALIDJOBSTATE: the job cannot make this transition in its current state."""


class QueryError(SalesforceError):
    """The SOQL was rejected."""


class MalformedQueryError(QueryError):
    """MALFORMED_QUERY (or an unsupported Bulk query feature)."""


class InvalidFieldError(QueryError):
    """INVALID_FIELD: a field in the query does not exist."""


class InvalidTypeError(QueryError):
    """INVALID_TYPE: the object in FROM does not exist."""


class JobError(SfBulkError):
    """Something about the outcome of one or more jobs. ``job_ids`` lists them.

    ``result`` is the partial ``BulkResult`` of a load that stopped part-way (timeout, Ctrl-C,
    an error after the first upload), else None: rows no job received carry ``NOT_SENT:...``
    and rows of jobs whose results were not collected carry ``PENDING:...`` in ``sf__Error``.
    """

    def __init__(self, message: str, *, job_ids: Sequence[str] = (), result: Any = None) -> None:
        super().__init__(message)
        self.job_ids = list(job_ids)
        self.result = result


class JobFailedError(JobError):
    """A job ended ``Failed`` or ``Aborted`` (raised only when asked to)."""


class JobTimeoutError(JobError):
    """Waiting took longer than ``timeout``. Nothing was aborted: resume with the job ids."""


class ResultMatchError(JobError):
    """Result rows could not be mapped back to input rows unambiguously."""


class LoadIncompleteError(JobError):
    """A load stopped part-way on an error (see ``__cause__``). The jobs in ``job_ids`` were
    already uploaded and keep running: ``sfbulk_frames.resume(df, job_ids)`` collects their
    results, and the rows no job received come back in ``unprocessed`` as ``NOT_SENT``.

    ``reason`` says what stopped the load, ``resume_hint`` the call that finishes it and
    ``result`` is the partial ``BulkResult`` of the rows read so far.
    """

    def __init__(
        self,
        message: str,
        *,
        job_ids: Sequence[str] = (),
        result: Any = None,
        reason: str = "",
        resume_hint: str = "",
    ) -> None:
        super().__init__(message, job_ids=job_ids, result=result)
        self.reason = reason or message
        self.resume_hint = resume_hint


class JobInterruptedError(JobError, KeyboardInterrupt):
    """Ctrl-C while a load was running. Open jobs were aborted; uploaded ones keep running.

    It is a ``KeyboardInterrupt`` too, so scripts still stop as the user asked.
    """


_BY_CODE: dict[str, type[SalesforceError]] = {
    "INVALID_SESSION_ID": InvalidSessionError,
    "REQUEST_LIMIT_EXCEEDED": RequestLimitExceededError,
    "NOT_FOUND": NotFoundError,
    "INVALIDJOB": InvalidJobError,
    "INVALIDJOBSTATE": InvalidJobStateError,
    "MALFORMED_QUERY": MalformedQueryError,
    "INVALID_FIELD": InvalidFieldError,
    "INVALID_TYPE": InvalidTypeError,
    "INVALID_QUERY_FILTER_OPERATOR": QueryError,
}

_BY_STATUS: dict[int, type[SalesforceError]] = {
    401: InvalidSessionError,
    404: NotFoundError,
    429: RateLimitedError,
}

_QUERY_API_ERRORS = ("not supported in Bulk Query",)


def error_from_response(
    status: int, body: Any, *, method: str | None = None, url: str | None = None
) -> SalesforceError:
    """Map an error answer (status + decoded JSON body or text) to the right exception.

    ``body`` is usually Salesforce's JSON array ``[{"errorCode": ..., "message": ...}]``;
    anything else (an HTML proxy page, an empty body) still yields a typed error.
    """
    code: str | None = None
    message = ""
    fields: list[str] = []
    first = body[0] if isinstance(body, list) and body else body
    if isinstance(first, dict):
        code = first.get("errorCode") or first.get("error")
        message = str(first.get("message") or first.get("error_description") or "")
        fields = [str(f) for f in first.get("fields") or []]
    elif isinstance(body, str | bytes):
        text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
        message = text.strip()[:300] or "(empty body)"
    if not message:
        message = "(no message)"
    cls = _BY_CODE.get(code or "")
    if cls is None and code == "API_ERROR" and any(s in message for s in _QUERY_API_ERRORS):
        cls = MalformedQueryError
    if cls is None:
        cls = _BY_STATUS.get(status) or (ServerError if status >= 500 else SalesforceError)
    return cls(message, status=status, error_code=code, method=method, url=url, fields=fields)
