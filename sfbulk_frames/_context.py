"""How ``client=None`` resolves: the argument, then ``use_client()``, then the default, then env."""

from __future__ import annotations

import contextvars
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sfbulk_frames.client.clients import Client

__all__ = ["resolve_client", "set_default_client", "use_client"]

_current: contextvars.ContextVar[Client | None] = contextvars.ContextVar(
    "sfbulk_frames_client", default=None
)
_default: Client | None = None
_env_client: Client | None = None
_lock = threading.Lock()


def set_default_client(client: Client | None) -> None:
    """Make ``client`` the one used wherever ``client=None`` (``None`` clears it)."""
    global _default
    _default = client


@contextmanager
def use_client(client: Client) -> Iterator[Client]:
    """Use ``client`` for every call inside the ``with`` block (per thread / task)."""
    token = _current.set(client)
    try:
        yield client
    finally:
        _current.reset(token)


def resolve_client(client: Client | None = None) -> Client:
    """The client to use: the argument, ``use_client()``, ``set_default_client()``, else
    ``Client.from_env()`` (created once and reused).

    Raises ConfigurationError (from ``Client.from_env``) when nothing is configured.
    """
    global _env_client
    if client is not None:
        return client
    chosen = _current.get() or _default
    if chosen is not None:
        return chosen
    with _lock:
        if _env_client is None:
            from sfbulk_frames.client.clients import Client

            _env_client = Client.from_env()
        return _env_client
