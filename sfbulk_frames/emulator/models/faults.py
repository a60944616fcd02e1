"""Faults on demand, deterministic with the emulator's seed.

From Python (``emu.faults.http("/jobs/ingest/*/batches", 503, times=2)``) or over HTTP through
the control endpoint ``POST /__emulator__/faults`` with a JSON body such as
``{"kind": "http", "route": "/jobs/query/*/results*", "status": 429, "retry_after": 2}``
(``kind`` is one of ``http``, ``drop``, ``lock_rows``, ``fail_partway``, ``slow``,
``api_limit``, ``expire_tokens``, ``clear``; the other keys are the method's keyword arguments).

Routes are globs on the path after ``/services/data/vXX.X`` (``*`` also crosses ``/``). A fault
that fires counts down its ``times`` and is recorded in :attr:`FaultPlan.fired`.
"""

from __future__ import annotations

import fnmatch
import random
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sfbulk_frames._exceptions import ConfigurationError
from sfbulk_frames.emulator.models.errors import ApiError

# Salesforce's REST/Bulk API never answers 429 (its daily limit is 403 REQUEST_LIMIT_EXCEEDED,
# see ``api_limit``); an injected 429 stands for a throttling proxy or gateway in front of it,
# so it gets its own code and never reads as the daily limit.
_CODES = {
    429: "TOO_MANY_REQUESTS",
    500: "UNKNOWN_EXCEPTION",
    502: "SERVER_UNAVAILABLE",
    503: "SERVER_UNAVAILABLE",
    504: "SERVER_UNAVAILABLE",
}
_MESSAGES = {
    429: "Too many requests: slow down and retry after the Retry-After delay.",
    500: "An unexpected error occurred. Please include this ErrorId if you contact "
    "support: 1234567890-12345 (-1234567890)",
    503: "Server is temporarily unavailable. Retry later.",
}


@dataclass
class _RouteFault:
    kind: str  # "http" or "drop"
    route: str
    times: int
    method: str | None = None
    status: int = 503
    retry_after: float | None = None
    when: str = "before"

    def matches(self, method: str, subpath: str) -> bool:
        if self.method and self.method.upper() != method:
            return False
        return fnmatch.fnmatchcase(subpath, self.route)


@dataclass
class FaultRecord:
    kind: str
    detail: dict[str, Any] = field(default_factory=dict)


class FaultPlan:
    """The faults the emulator will inject; every method returns ``self`` for chaining."""

    def __init__(self, seed: int = 0) -> None:
        self._seed = seed
        self._lock = threading.Lock()
        self.rng = random.Random(seed)
        self._routes: list[_RouteFault] = []
        self.lock_share = 0.0
        self.fail_after_rows: int | None = None
        self.fail_message = "InternalServerError : Processing stopped after a fatal error"
        self.slow_seconds = 0.0
        self.api_call_limit: int | None = None
        self.fired: list[FaultRecord] = []

    # -- configuration -----------------------------------------------------------------------
    def http(
        self,
        route: str,
        status: int = 503,
        *,
        times: int = 1,
        retry_after: float | None = None,
        method: str | None = None,
    ) -> FaultPlan:
        """Answer the next ``times`` matching requests with ``status`` and an error body
        (errorCode ``TOO_MANY_REQUESTS`` for 429, ``SERVER_UNAVAILABLE`` for 502-504)."""
        with self._lock:
            self._routes.append(_RouteFault("http", route, times, method, status, retry_after))
        return self

    def drop(
        self, route: str, *, times: int = 1, when: str = "before", method: str | None = None
    ) -> FaultPlan:
        """Break the connection of the next ``times`` matching requests. ``when="before"``: the
        request is never processed; ``"midway"``: it is processed and the answer is cut."""
        if when not in ("before", "midway"):
            raise ConfigurationError("when must be 'before' or 'midway'")
        with self._lock:
            self._routes.append(_RouteFault("drop", route, times, method, when=when))
        return self

    def lock_rows(self, share: float) -> FaultPlan:
        """Fail a seeded ``share`` (0..1) of ingest rows with ``UNABLE_TO_LOCK_ROW``."""
        if not 0.0 <= share <= 1.0:
            raise ConfigurationError("share must be between 0 and 1")
        self.lock_share = share
        return self

    def fail_partway(self, after_rows: int, message: str | None = None) -> FaultPlan:
        """Ingest jobs end ``Failed`` after ``after_rows`` rows; the rest stays unprocessed."""
        self.fail_after_rows = after_rows
        if message:
            self.fail_message = message
        return self

    def slow(self, seconds: float) -> FaultPlan:
        """Processing of each job takes at least ``seconds`` (background mode)."""
        self.slow_seconds = seconds
        return self

    def api_limit(self, calls: int) -> FaultPlan:
        """After ``calls`` API calls every call gets 403 ``REQUEST_LIMIT_EXCEEDED``."""
        self.api_call_limit = calls
        return self

    def clear(self) -> FaultPlan:
        """Remove every fault (the record of fired faults is kept)."""
        with self._lock:
            self._routes.clear()
        self.lock_share = 0.0
        self.fail_after_rows = None
        self.slow_seconds = 0.0
        self.api_call_limit = None
        self.rng = random.Random(self._seed)
        return self

    # -- use by the core ---------------------------------------------------------------------
    def record(self, kind: str, **detail: Any) -> None:
        with self._lock:
            self.fired.append(FaultRecord(kind, detail))

    def fired_kinds(self) -> list[str]:
        return [r.kind for r in self.fired]

    def take_route_fault(self, method: str, subpath: str) -> _RouteFault | None:
        """The first matching route fault (its ``times`` counted down), or ``None``."""
        with self._lock:
            for fault in self._routes:
                if fault.times > 0 and fault.matches(method, subpath):
                    fault.times -= 1
                    self.fired.append(
                        FaultRecord(
                            fault.kind,
                            {
                                "method": method,
                                "path": subpath,
                                "status": fault.status,
                                "when": fault.when,
                            },
                        )
                    )
                    return fault
        return None

    def apply_control(self, body: dict[str, Any]) -> None:
        """Configure from a control-endpoint JSON body; raises ``ValueError`` when invalid."""
        args = dict(body)
        kind = args.pop("kind", None)
        actions: dict[str, Callable[..., FaultPlan]] = {
            "http": self.http,
            "drop": self.drop,
            "lock_rows": self.lock_rows,
            "fail_partway": self.fail_partway,
            "slow": self.slow,
            "api_limit": self.api_limit,
            "clear": self.clear,
        }
        if kind not in actions:
            raise ConfigurationError(f"unknown fault kind {kind!r}; use one of {sorted(actions)}")
        try:
            actions[kind](**args)
        except TypeError as exc:
            raise ConfigurationError(f"bad arguments for fault {kind!r}: {exc}") from exc

    def state(self) -> dict[str, Any]:
        with self._lock:
            routes = [vars(f).copy() for f in self._routes if f.times > 0]
        return {
            "routes": routes,
            "lock_share": self.lock_share,
            "fail_after_rows": self.fail_after_rows,
            "slow_seconds": self.slow_seconds,
            "api_call_limit": self.api_call_limit,
            "fired": [{"kind": r.kind, **r.detail} for r in self.fired],
        }


def fault_error(status: int, retry_after: float | None) -> ApiError:
    """The Salesforce-like error answer of an injected HTTP fault."""
    code = _CODES.get(status, "SERVER_UNAVAILABLE" if status >= 500 else "API_ERROR")
    message = _MESSAGES.get(status, f"Injected fault: HTTP {status}")
    headers: list[tuple[str, str]] = []
    if retry_after is not None and status in (429, 503):
        seconds = int(retry_after) if float(retry_after).is_integer() else retry_after
        headers.append(("Retry-After", str(seconds)))
    return ApiError(status, code, message, headers)
