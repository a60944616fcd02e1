"""The emulator's one bridge to the sfbulk_frames client: :func:`client_for` builds a
``sfbulk_frames.Client`` for an emulator (in-process or served). The client is imported here,
inside the function, and nowhere else in the emulator, so importing the emulator never loads
the client, pandas or polars."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import httpx

    from sfbulk_frames import Client, PollPolicy, RetryPolicy


def client_for(
    instance_url: str,
    access_token: str | None,
    *,
    transport: httpx.BaseTransport | None = None,
    verify: bool | str | None = None,
    api_version: str | None = None,
    retry: RetryPolicy | None = None,
    poll: PollPolicy | None = None,
    timeout: float | None = None,
) -> Client:
    """A ``Client`` for ``instance_url``; a ``None`` setting keeps the ``Client`` default."""
    from sfbulk_frames import Client  # the emulator's one import of the client (lazy)

    settings: dict[str, Any] = {
        "transport": transport,
        "verify": verify,
        "api_version": api_version,
        "retry": retry,
        "poll": poll,
        "timeout": timeout,
    }
    return Client(
        instance_url, access_token, **{k: v for k, v in settings.items() if v is not None}
    )
