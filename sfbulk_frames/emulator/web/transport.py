"""httpx transports that answer from the emulator core in-process.

:class:`EmulatorTransport` is both an ``httpx.BaseTransport`` and an
``httpx.AsyncBaseTransport``. A dropped connection (fault ``drop``) raises
``httpx.RemoteProtocolError`` before the answer, or ``httpx.ReadError`` part-way through the
body, exactly like a broken socket would."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator

import httpx

from sfbulk_frames.emulator.wire import Request, Response

Handler = Callable[[Request], Response]


def to_core_request(request: httpx.Request, body: bytes) -> Request:
    url = request.url
    default_port = {"http": 80, "https": 443}.get(url.scheme)
    port = f":{url.port}" if url.port and url.port != default_port else ""
    return Request(
        method=request.method.upper(),
        path=url.path,
        query=dict(url.params.multi_items()),
        headers={k.lower(): v for k, v in request.headers.items()},
        body=body,
        base_url=f"{url.scheme}://{url.host}{port}",
    )


class _CutStream(httpx.SyncByteStream, httpx.AsyncByteStream):
    """Yields the first half of a body, then fails like a connection reset mid-body."""

    def __init__(self, body: bytes, request: httpx.Request) -> None:
        self._part = body[: max(1, len(body) // 2)]
        self._request = request

    def __iter__(self) -> Iterator[bytes]:
        yield self._part
        raise httpx.ReadError("Connection reset by peer (emulated drop)", request=self._request)

    async def __aiter__(self) -> AsyncIterator[bytes]:
        yield self._part
        raise httpx.ReadError("Connection reset by peer (emulated drop)", request=self._request)


class EmulatorTransport(httpx.BaseTransport, httpx.AsyncBaseTransport):
    """Sends requests to ``handler`` (usually ``Emulator.handle``) without a socket."""

    def __init__(self, handler: Handler) -> None:
        self._handler = handler

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        return self._answer(request, self._handler(to_core_request(request, request.read())))

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        body = await request.aread()
        return self._answer(request, self._handler(to_core_request(request, body)))

    @staticmethod
    def _answer(request: httpx.Request, response: Response) -> httpx.Response:
        if response.drop == "before":
            raise httpx.RemoteProtocolError(
                "Server disconnected without sending a response (emulated drop).", request=request
            )
        if response.drop == "midway":
            return httpx.Response(
                response.status,
                headers=response.headers,
                stream=_CutStream(response.body, request),
                request=request,
            )
        return httpx.Response(
            response.status,
            headers=response.headers,
            stream=httpx.ByteStream(response.body),
            request=request,
        )

    def close(self) -> None:
        return None

    async def aclose(self) -> None:
        return None
