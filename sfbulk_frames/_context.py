"""How ``client=None`` resolves: the argument, then ``use_client()``, then the default, then env."""

from __future__ import annotations

import contextvars
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, TypeVar

from sfbulk_frames._exceptions import InvalidArgumentError

if TYPE_CHECKING:
    from sfbulk_frames.client.clients import AsyncClient, Client

__all__ = ["current_client", "resolve_client", "set_default_client", "use_client"]

AnyClient = TypeVar("AnyClient", "Client", "AsyncClient")

_current: contextvars.ContextVar[Client | AsyncClient | None] = contextvars.ContextVar(
    "sfbulk_frames_client", default=None
)
_default: Client | AsyncClient | None = None
_env_client: Client | None = None
_lock = threading.Lock()


def set_default_client(client: Client | AsyncClient | None) -> None:
    """Make ``client`` the one used wherever ``client=None`` (``None`` clears it).

    An ``AsyncClient`` serves the functions of :mod:`sfbulk_frames.aio` only.
    """
    global _default
    _default = client


@contextmanager
def use_client(client: AnyClient) -> Iterator[AnyClient]:
    """Use ``client`` for every call inside the ``with`` block (per thread / task)."""
    token = _current.set(client)
    try:
        yield client
    finally:
        _current.reset(token)


def current_client() -> Client | AsyncClient | None:
    """The client of ``use_client()``, else of ``set_default_client()``, else None."""
    return _current.get() or _default


def resolve_client(client: Client | None = None, *, function: str = "query") -> Client:
    """The client to use: the argument, ``use_client()``, ``set_default_client()``, else
    ``Client.from_env()`` (created once and reused).

    Raises ConfigurationError (from ``Client.from_env``) when nothing is configured, and
    InvalidArgumentError when the client found is an ``AsyncClient``.
    """
    global _env_client
    chosen = client if client is not None else current_client()
    if chosen is not None:
        from sfbulk_frames.client.clients import AsyncClient

        if isinstance(chosen, AsyncClient):
            raise InvalidArgumentError(
                f"sfbulk_frames.{function}() is synchronous and got an AsyncClient: use "
                f"`await sfbulk_frames.aio.{function}(...)` with it, or pass a "
                "sfbulk_frames.Client"
            )
        return chosen
    with _lock:
        if _env_client is None:
            from sfbulk_frames.client.clients import Client

            _env_client = Client.from_env()
        return _env_client
