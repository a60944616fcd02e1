"""The only module that talks HTTP: the two drivers, retries, re-login and error mapping.

Flows (see :mod:`sfbulk_frames.client.session`) are run by :class:`SyncDriver` with
``httpx.Client`` and ``time.sleep`` (no asyncio, so it works inside Jupyter's running loop) or
by :class:`AsyncDriver` with ``httpx.AsyncClient`` and ``asyncio.sleep`` — the same flows.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import logging
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Generic, TypeVar

import httpx

from sfbulk_frames._config import RetryPolicy, effective_sleep
from sfbulk_frames._exceptions import (
    InvalidSessionError,
    NotFoundError,
    NotSalesforceError,
    RateLimitedError,
    RequestLimitExceededError,
    SalesforceError,
    ServerError,
    TransportError,
    error_from_response,
)
from sfbulk_frames._models import LimitInfo
from sfbulk_frames.client.session import (
    ApiCall,
    Flow,
    Instruction,
    RetryMode,
    Send,
    Session,
    Sleep,
    build_request,
    redact_url,
)

__all__ = [
    "AsyncDriver",
    "SyncDriver",
    "api_call",
    "api_json",
    "map_error",
    "send_with_retries",
]

logger = logging.getLogger("sfbulk_frames")

T = TypeVar("T")


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("Retry-After")
    if value is None:
        return None
    try:
        return float(value)
    except ValueError:
        return None  # an HTTP-date: fall back to our own backoff


def _error_code(response: httpx.Response) -> str | None:
    try:
        body = response.json()
    except ValueError:
        return None
    first = body[0] if isinstance(body, list) and body else body
    return first.get("errorCode") if isinstance(first, dict) else None


def _should_retry(response: httpx.Response, policy: RetryPolicy, mode: RetryMode) -> bool:
    status = response.status_code
    if mode == "never" or status < 400:
        return False
    if status == 429:  # throttled: the server refused the request before doing anything
        return True
    if _error_code(response) == "REQUEST_LIMIT_EXCEEDED":  # the daily limit: retrying can't help
        return False
    return mode == "idempotent" and status in policy.retry_statuses


def send_with_retries(
    make_request: Callable[[], httpx.Request], policy: RetryPolicy, mode: RetryMode
) -> Flow[httpx.Response]:
    """Send a request, repeating it after connection errors or retryable statuses as allowed.

    Returns the last response whatever its status. Raises TransportError when the connection
    failed and no (more) retries were allowed.
    """
    attempt = 1
    while True:
        request = make_request()
        started = time.monotonic()
        outcome = yield Send(request)
        elapsed = time.monotonic() - started
        where = f"{request.method} {request.url.path}"
        if isinstance(outcome, httpx.RequestError):
            logger.debug("%s failed after %.3fs: %s", where, elapsed, type(outcome).__name__)
            if mode == "idempotent" and attempt < policy.max_attempts:
                delay = policy.backoff(attempt)
                logger.info(
                    "%s: %s, retrying in %.2fs (attempt %d of %d)",
                    where, type(outcome).__name__, delay, attempt + 1, policy.max_attempts,
                )
                yield Sleep(effective_sleep(delay))
                attempt += 1
                continue
            why = "not retried (the request is not idempotent)" if mode != "idempotent" else (
                f"after {attempt} attempt(s)"
            )
            raise TransportError(
                f"{request.method} {redact_url(request.url)} failed: "
                f"{type(outcome).__name__}: {outcome}; {why}. Check the network or the "
                "instance URL and try again.",
                method=request.method,
                url=redact_url(request.url),
            ) from outcome
        response: httpx.Response = outcome
        logger.debug("%s -> %d in %.3fs", where, response.status_code, elapsed)
        if _should_retry(response, policy, mode) and attempt < policy.max_attempts:
            delay = policy.backoff(attempt, _retry_after(response))
            logger.info(
                "%s: HTTP %d, retrying in %.2fs (attempt %d of %d)",
                where, response.status_code, delay, attempt + 1, policy.max_attempts,
            )
            yield Sleep(effective_sleep(delay))
            attempt += 1
            continue
        return response


def _with_hint(exc: SalesforceError, hint: str) -> SalesforceError:
    return type(exc)(
        f"{exc.message.rstrip().rstrip('.')}. {hint}",
        status=exc.status,
        error_code=exc.error_code,
        method=exc.method,
        url=exc.url,
        fields=exc.fields,
    )


def _is_html(response: httpx.Response) -> bool:
    content_type = response.headers.get("Content-Type", "").lower()
    if "html" in content_type:
        return True
    if "json" in content_type or "csv" in content_type:
        return False
    head = response.content[:200].lstrip().lower()
    return head.startswith((b"<!doctype html", b"<html"))


def not_salesforce(response: httpx.Response, instance_url: str) -> NotSalesforceError:
    """One line for an HTML answer: the URL is not the Salesforce REST API (the page itself
    is never shown)."""
    request = response.request
    return NotSalesforceError(
        f"{instance_url} is not a Salesforce instance URL: {request.method} "
        f"{request.url.path} answered HTTP {response.status_code} with an HTML page instead of "
        "the REST API's JSON. Use your org's URL, e.g. https://yourcompany.my.salesforce.com "
        "(`sf org display` shows it), without any path",
        status=response.status_code,
        method=request.method,
        url=redact_url(request.url),
    )


def map_error(
    response: httpx.Response, *, reauthenticated: bool, can_reauth: bool
) -> SalesforceError:
    """The typed exception for an error answer (message names method, URL and next step)."""
    try:
        body: Any = response.json()
    except ValueError:
        body = response.text
    request = response.request
    exc = error_from_response(
        response.status_code, body, method=request.method, url=redact_url(request.url)
    )
    if response.status_code == 429 and not isinstance(exc, RateLimitedError):
        exc = RateLimitedError(
            exc.message, status=429, error_code=exc.error_code, method=exc.method, url=exc.url
        )
    if isinstance(exc, InvalidSessionError):
        if reauthenticated:
            hint = "Logging in again did not help: check the user's access and the login flow"
        elif can_reauth:
            hint = "The session is invalid"
        else:
            hint = (
                "The access token is expired or invalid and this client cannot log in again: "
                "pass a fresh token or use a login constructor (Client.password_login, "
                "Client.jwt_login, Client.from_env, ...)"
            )
        return _with_hint(exc, hint)
    if isinstance(exc, RequestLimitExceededError):
        return _with_hint(
            exc,
            "The org's API request limit is used up (not retried): wait for the rolling "
            "24-hour window to free requests; client.limit_info shows the usage",
        )
    if isinstance(exc, ServerError | RateLimitedError) and request.method in ("POST", "PUT"):
        return _with_hint(
            exc,
            "This request was not repeated because repeating it could create a second job or "
            "send the data twice; look for a job it may have created with client.list_jobs(), "
            "then run the operation again",
        )
    if isinstance(exc, NotFoundError) and "/jobs/" in request.url.path:
        return _with_hint(
            exc,
            "No such job: check the id (client.list_jobs()); it may have been deleted or "
            "purged (Salesforce keeps finished jobs 7 days)",
        )
    return exc


def api_call(session: Session, call: ApiCall) -> Flow[httpx.Response]:
    """Send one REST call with retries, re-authentication on 401 (once) and error mapping.

    Raises a SalesforceError subclass for error answers, TransportError for network failures.
    """
    if session.access_token is None:
        yield from session.login()
    reauthenticated = False
    while True:
        token_used = session.access_token
        response = yield from send_with_retries(
            lambda: build_request(session, call), session.retry, call.retry_mode
        )
        limit_info = LimitInfo.from_header(response.headers.get("Sforce-Limit-Info"))
        if limit_info is not None:
            session.limit_info = limit_info
        if _is_html(response):
            raise not_salesforce(response, session.instance_url)
        if response.status_code == 401 and not reauthenticated and session.can_reauthenticate:
            reauthenticated = True
            if session.access_token == token_used:  # not already refreshed by another request
                logger.info("session expired; logging in again")
                yield from session.login()
            continue
        if response.is_error:
            raise map_error(
                response, reauthenticated=reauthenticated, can_reauth=session.can_reauthenticate
            )
        return response


def api_json(session: Session, call: ApiCall) -> Flow[Any]:
    """:func:`api_call` and decode the JSON answer. Raises SalesforceError if it is not JSON."""
    response = yield from api_call(session, call)
    try:
        return response.json()
    except ValueError:
        raise SalesforceError(
            f"expected a JSON answer from the REST API, got "
            f"{response.headers.get('Content-Type') or 'no content type'!r} "
            f"({len(response.content):,} bytes): check the instance URL {session.instance_url}",
            status=response.status_code,
            method=call.method,
            url=redact_url(response.request.url),
        ) from None


class _Steps(Generic[T]):
    """A flow's instructions, one at a time, for a driver to perform: the driver sets
    ``outcome`` (or ``error``, thrown into the flow) before taking the next one, and reads
    ``result`` once they run out; ``close`` closes the flow. The two drivers share this and
    differ only by ``await``."""

    def __init__(self, flow: Flow[T]) -> None:
        self.flow = flow
        self.outcome: Any = None
        self.error: BaseException | None = None

    def __iter__(self) -> Iterator[Instruction]:
        try:
            while True:
                error, outcome = self.error, self.outcome
                self.outcome, self.error = None, None
                yield self.flow.throw(error) if error is not None else self.flow.send(outcome)
        except StopIteration as stop:
            self.result: T = stop.value

    def close(self) -> None:
        self.flow.close()


class SyncDriver:
    """Runs flows with a blocking ``httpx.Client``; threads for :class:`Gather`."""

    def __init__(self, http: httpx.Client) -> None:
        self.http = http

    def run(self, flow: Flow[T]) -> T:
        with contextlib.closing(_Steps(flow)) as steps:
            for instruction in steps:
                try:
                    steps.outcome = self._perform(instruction)
                except Exception as exc:
                    steps.error = exc
        return steps.result

    def _perform(self, instruction: Instruction) -> Any:
        if isinstance(instruction, Send):
            try:
                return self.http.send(instruction.request)
            except httpx.RequestError as exc:
                return exc
        if isinstance(instruction, Sleep):
            time.sleep(instruction.seconds)
            return None
        workers = max(1, min(instruction.max_concurrency, len(instruction.flows)))
        with ThreadPoolExecutor(max_workers=workers) as pool:
            futures = [
                pool.submit(contextvars.copy_context().run, self.run, sub)
                for sub in instruction.flows
            ]
            try:
                return [future.result() for future in futures]
            except BaseException:
                for future in futures:
                    future.cancel()
                raise


class AsyncDriver:
    """Runs the same flows with ``httpx.AsyncClient`` and ``asyncio``."""

    def __init__(self, http: httpx.AsyncClient) -> None:
        self.http = http

    async def run(self, flow: Flow[T]) -> T:
        with contextlib.closing(_Steps(flow)) as steps:
            for instruction in steps:
                try:
                    steps.outcome = await self._perform(instruction)
                except Exception as exc:
                    steps.error = exc
        return steps.result

    async def _perform(self, instruction: Instruction) -> Any:
        if isinstance(instruction, Send):
            try:
                return await self.http.send(instruction.request)
            except httpx.RequestError as exc:
                return exc
        if isinstance(instruction, Sleep):
            await asyncio.sleep(instruction.seconds)
            return None
        limiter = asyncio.Semaphore(max(1, instruction.max_concurrency))

        async def limited(sub: Flow[Any]) -> Any:
            async with limiter:
                return await self.run(sub)

        return list(await asyncio.gather(*(limited(sub) for sub in instruction.flows)))


class LoopDriver:
    """Runs flows with an :class:`AsyncDriver` on an event loop, for a thread that is not the
    loop's: the sync face of an ``AsyncClient`` (see ``Client._bridged``)."""

    def __init__(self, driver: AsyncDriver, loop: asyncio.AbstractEventLoop) -> None:
        self.driver = driver
        self.loop = loop

    def run(self, flow: Flow[T]) -> T:
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is self.loop:
            flow.close()
            raise RuntimeError(
                "sfbulk_frames bug: a bridged Client was used on its own event loop's thread "
                "(it would wait for itself); please report it"
            )
        return asyncio.run_coroutine_threadsafe(self.driver.run(flow), self.loop).result()
