"""The emulator behind a real HTTP server: uvicorn on loopback, optionally with TLS.

A tiny ASGI adapter turns each HTTP request into a :class:`~.wire.Request`, runs the
framework-free handler in a worker thread and writes the :class:`~.wire.Response` back.
``Response.drop`` breaks the connection for real: ``"before"`` closes the socket without a
single byte of answer, ``"midway"`` sends the status line, the headers (with the full
``Content-Length``, at least 1) and part of the body, then closes (a 204 is closed before any
byte, as it cannot have a body). Clients see a connection error.

    with serve(emulator.handle, tls=True) as server:
        server.url        # "https://127.0.0.1:54321"
        server.cert_path  # the CA certificate to trust (deleted again by close())
"""

from __future__ import annotations

import asyncio
import json
import logging
import shutil
import socket
import tempfile
import threading
import time
from collections.abc import Awaitable, Callable, MutableMapping
from concurrent.futures import ThreadPoolExecutor
from types import TracebackType
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl

import uvicorn

from sfbulk_frames.emulator.connect import client_for
from sfbulk_frames.emulator.models.performance import Link, PerformanceModel
from sfbulk_frames.emulator.web.tls import CertificateFiles, generate_certificate
from sfbulk_frames.emulator.wire import Request, Response

if TYPE_CHECKING:
    from sfbulk_frames import Client, PollPolicy, RetryPolicy

__all__ = ["EmulatorServer", "serve"]

logger = logging.getLogger("sfbulk_frames.emulator.server")
request_log = logging.getLogger("sfbulk_frames.emulator")

Handler = Callable[[Request], Response]
Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

_STARTUP_TIMEOUT = 15.0
_SHUTDOWN_TIMEOUT = 10.0
_DISCONNECT_WAIT = 2.0
_HANDLER_THREADS = 8
_KEEP_ALIVE = 120


def _internal_error_body() -> bytes:
    return json.dumps(
        [{"errorCode": "UNKNOWN_EXCEPTION",
          "message": "An unexpected error occurred in the emulator; see its log."}]
    ).encode()


class AsgiAdapter:
    """ASGI application that serves one ``handler(Request) -> Response`` function."""

    def __init__(
        self,
        handler: Handler,
        executor: ThreadPoolExecutor,
        *,
        verbose: bool = False,
        performance: PerformanceModel | None = None,
    ) -> None:
        self._handler = handler
        self._executor = executor
        self._verbose = verbose
        self._model = performance
        self._uplink = Link.upload(performance) if performance else None
        self._downlink = Link.download(performance) if performance else None

    async def _take_time(self, link: Link | None, size: int, extra: float = 0.0) -> None:
        """Sleep (without blocking other requests) for the round trip and for ``size`` bytes
        on the shared ``link`` of the performance model."""
        if link is None:
            return
        now = time.monotonic()
        done = link.reserve(size, now + extra) if size else now + extra
        if done > now:
            await asyncio.sleep(done - now)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":  # lifespan is switched off; websockets are not served
            return
        request = await self._read_request(scope, receive)
        if self._model is not None:  # the round trip, then the body over the upload link
            await self._take_time(self._uplink, len(request.body), self._model.request_seconds)
        began = time.perf_counter()
        loop = asyncio.get_running_loop()
        try:
            response = await loop.run_in_executor(self._executor, self._handler, request)
        except Exception:
            logger.exception("emulator handler failed for %s %s", request.method, request.path)
            response = Response(
                500, [("Content-Type", "application/json;charset=UTF-8")], _internal_error_body()
            )
        if self._verbose:  # method, path and status only: never headers, query or body
            took = (time.perf_counter() - began) * 1000
            shown = "dropped" if response.drop else str(response.status)
            request_log.info("%s %s %s %.1f ms", request.method, request.path, shown, took)
        if response.drop == "before":
            await self._drop(send, receive)
            return
        await self._take_time(self._downlink, len(response.body))
        await self._write_response(response, send, receive)

    @staticmethod
    async def _read_request(scope: Scope, receive: Receive) -> Request:
        chunks: list[bytes] = []
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                break
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                break
        headers: dict[str, str] = {}
        for raw_name, raw_value in scope.get("headers", []):
            name = raw_name.decode("latin-1").lower()
            value = raw_value.decode("latin-1")
            headers[name] = f"{headers[name]}, {value}" if name in headers else value
        host = headers.get("host")
        if not host:
            server_host, server_port = scope.get("server") or ("127.0.0.1", 80)
            host = f"{server_host}:{server_port}"
        query = dict(parse_qsl(scope.get("query_string", b"").decode("latin-1"),
                               keep_blank_values=True))
        return Request(
            method=scope["method"].upper(),
            path=scope["path"],
            query=query,
            headers=headers,
            body=b"".join(chunks),
            base_url=f"{scope.get('scheme', 'http')}://{host}",
        )

    @staticmethod
    def _encoded_headers(
        response: Response, content_length: int | None = None
    ) -> list[tuple[bytes, bytes]]:
        headers = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in response.headers]
        if content_length is not None:
            headers = [(k, v) for k, v in headers if k.lower() != b"content-length"]
        if not any(k.lower() == b"content-length" for k, _ in headers):
            length = len(response.body) if content_length is None else content_length
            headers.append((b"content-length", str(length).encode()))
        return headers

    async def _write_response(self, response: Response, send: Send, receive: Receive) -> None:
        if response.drop == "midway":
            await self._write_cut_response(response, send, receive)
            return
        await send({"type": "http.response.start", "status": response.status,
                    "headers": self._encoded_headers(response)})
        await send({"type": "http.response.body", "body": response.body, "more_body": False})

    async def _write_cut_response(
        self, response: Response, send: Send, receive: Receive
    ) -> None:
        """Send the status line, headers and half the body, then close the connection.

        A bodiless answer announces ``Content-Length: 1`` so the client waits for a byte that
        never comes; a 204/304 cannot carry a body at all, so it is dropped before any byte.
        """
        if response.status in (204, 304):
            await self._drop(send, receive)
            return
        length = len(response.body) or 1
        await send({"type": "http.response.start", "status": response.status,
                    "headers": self._encoded_headers(response, length)})
        part = response.body[: max(1, len(response.body) // 2)]
        if part:
            await send({"type": "http.response.body", "body": part, "more_body": True})
        await self._drop(send, receive, flush=True)

    @staticmethod
    async def _drop(send: Send, receive: Receive, *, flush: bool = False) -> None:
        """Close the TCP connection under the ASGI server's feet.

        Raising or returning without a response is not enough (uvicorn would answer 500),
        so reach the connection's transport through the bound ``send`` method of uvicorn's
        request cycle, close it, then wait for uvicorn to notice the disconnect.
        """
        transport = getattr(getattr(send, "__self__", None), "transport", None)
        if transport is None:  # another ASGI server: best effort, it will answer 500
            raise ConnectionAbortedError("emulator fault: connection dropped")
        if flush:
            transport.close()  # sends what is buffered (the partial body), then closes
        else:
            transport.abort()
        try:
            async with asyncio.timeout(_DISCONNECT_WAIT):
                while (await receive())["type"] != "http.disconnect":
                    pass
        except TimeoutError:
            logger.debug("client did not notice the dropped connection in time")


class EmulatorServer:
    """A running loopback server. Use as a context manager, or call :meth:`close`."""

    url: str
    token: str | None
    cert_path: str | None

    def __init__(
        self,
        handler: Handler,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        tls: bool = False,
        token: str | None = None,
        verbose: bool = False,
        performance: PerformanceModel | None = None,
    ) -> None:
        self.token = token
        self.host = host
        self._cert_dir = tempfile.mkdtemp(prefix="sfbulk-emulator-tls-") if tls else None
        self._certificates: CertificateFiles | None = (
            generate_certificate(self._cert_dir) if self._cert_dir else None
        )
        self.cert_path = self._certificates.ca_path if self._certificates else None
        self._executor = ThreadPoolExecutor(_HANDLER_THREADS, thread_name_prefix="sfbulk-emu")
        self._socket = _bind(host, port)
        self.port: int = self._socket.getsockname()[1]
        scheme = "https" if tls else "http"
        url_host = f"[{host}]" if ":" in host else host
        self.url = f"{scheme}://{url_host}:{self.port}"
        config = uvicorn.Config(
            AsgiAdapter(handler, self._executor, verbose=verbose, performance=performance),
            lifespan="off",
            http="h11",
            log_config=None,
            log_level="warning",
            access_log=False,  # its lines show query strings; AsgiAdapter logs requests
            server_header=False,
            date_header=True,
            timeout_graceful_shutdown=2,
            # idle keep-alive connections stay open like Salesforce's (uvicorn's default 5 s
            # closes them just as a client polling every 5 s reuses one: RemoteDisconnected)
            timeout_keep_alive=_KEEP_ALIVE,
            ssl_certfile=self._certificates.cert_path if self._certificates else None,
            ssl_keyfile=self._certificates.key_path if self._certificates else None,
        )
        self._server = uvicorn.Server(config)
        self._error: BaseException | None = None
        self._thread = threading.Thread(
            target=self._run, name=f"sfbulk-emulator-{self.port}", daemon=True
        )
        self._thread.start()
        self._wait_until_started()

    def _run(self) -> None:
        try:
            self._server.run(sockets=[self._socket])
        except BaseException as exc:  # reported by _wait_until_started / close
            self._error = exc

    def _wait_until_started(self) -> None:
        deadline = time.monotonic() + _STARTUP_TIMEOUT
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                self.close()
                raise RuntimeError(
                    f"the emulator server on {self.url} did not start"
                    + (f": {self._error!r}" if self._error else "")
                )
            time.sleep(0.005)

    def client(
        self,
        *,
        api_version: str | None = None,
        retry: RetryPolicy | None = None,
        poll: PollPolicy | None = None,
        timeout: float | None = None,
    ) -> Client:
        """A ``sfbulk_frames.Client`` talking to this server (trusting its certificate; a
        setting left ``None`` keeps the ``Client`` default)."""
        return client_for(
            self.url,
            self.token,
            verify=self.cert_path,
            api_version=api_version,
            retry=retry,
            poll=poll,
            timeout=timeout,
        )

    def close(self) -> None:
        """Stop serving; waits for the server thread (idempotent).

        Idle keep-alive TLS connections would hold uvicorn's graceful shutdown until the
        client answers the TLS close, so the shutdown is forced: open connections are cut.
        """
        self._server.should_exit = True
        self._server.force_exit = True
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join(_SHUTDOWN_TIMEOUT)
        self._executor.shutdown(wait=False, cancel_futures=True)
        self._socket.close()
        if self._cert_dir is not None and not self._thread.is_alive():
            shutil.rmtree(self._cert_dir, ignore_errors=True)
            self._cert_dir = None

    @property
    def running(self) -> bool:
        return self._thread.is_alive() and self._server.started and not self._server.should_exit

    def __enter__(self) -> EmulatorServer:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        state = "running" if self.running else "stopped"
        return f"<EmulatorServer {self.url} {state}>"


def _bind(host: str, port: int) -> socket.socket:
    """Bind the listening socket ourselves so that port 0 gives the real port up front."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # IPPROTO_TCP explicitly: asyncio enables TCP_NODELAY only then (else ~40 ms delayed ACKs).
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    sock.listen(128)
    sock.setblocking(False)
    return sock


def serve(
    handler: Handler,
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    tls: bool = False,
    token: str | None = None,
    verbose: bool = False,
    performance: PerformanceModel | None = None,
) -> EmulatorServer:
    """Serve ``handler`` on ``host:port`` in a background thread; returns once it accepts.

    ``port=0`` picks a free port (see ``.url``). ``tls=True`` generates a self-signed CA and
    certificate for 127.0.0.1/localhost (``.cert_path`` is the CA to trust). ``verbose=True``
    logs ``METHOD path status duration`` of every request at INFO on the
    ``sfbulk_frames.emulator`` logger (never headers, query strings or bodies). Raises
    ``OSError`` if the address cannot be bound, ``RuntimeError`` if uvicorn fails to start.
    ``performance`` adds the model's round trip to every request and sends request and
    response bodies at its shared upload and download bandwidth (asyncio sleeps).
    """
    return EmulatorServer(handler, host=host, port=port, tls=tls, token=token, verbose=verbose,
                          performance=performance)
