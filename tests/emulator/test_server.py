"""The real loopback server: uvicorn + ASGI adapter around a ``handler(Request) -> Response``."""

from __future__ import annotations

import json
import logging
import socket
import ssl
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from sfbulk_frames.emulator import Request, Response
from sfbulk_frames.emulator.api import oauth
from sfbulk_frames.emulator.models.auth import AuthService
from sfbulk_frames.emulator.models.ids import to_18
from sfbulk_frames.emulator.web.server import EmulatorServer, serve

pytestmark = pytest.mark.server

BIG = bytes(range(256)) * 4096  # 1 MiB


class Recorder:
    """A tiny handler: echoes what it received, with a few special paths."""

    def __init__(self) -> None:
        self.requests: list[Request] = []
        self.fast_done = threading.Event()

    def __call__(self, req: Request) -> Response:
        self.requests.append(req)
        if req.path == "/drop-before":
            return Response(200, [("Content-Type", "text/plain")], b"never sent", drop="before")
        if req.path == "/drop-midway":
            return Response(200, [("Content-Type", "text/csv")], BIG, drop="midway")
        if req.path == "/boom":
            raise RuntimeError("handler bug")
        if req.path == "/big":
            return Response(200, [("Content-Type", "application/octet-stream")], BIG)
        if req.path == "/slow":
            finished = self.fast_done.wait(timeout=10)
            return Response(200, [], b"slow-after-fast" if finished else b"slow-alone")
        if req.path == "/fast":
            self.fast_done.set()
            return Response(200, [], b"fast")
        echo = {"method": req.method, "path": req.path, "query": req.query,
                "headers": req.headers, "base_url": req.base_url, "body_len": len(req.body)}
        return Response(201, [("Content-Type", "application/json;charset=UTF-8"),
                              ("Sforce-Limit-Info", "api-usage=1/15000"),
                              ("X-Twice", "a"), ("X-Twice", "b")],
                        json.dumps(echo).encode())


@pytest.fixture(scope="module")
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture(scope="module")
def server(recorder: Recorder) -> Iterator[EmulatorServer]:
    with serve(recorder) as running:
        yield running


@pytest.fixture(scope="module")
def tls_server(recorder: Recorder) -> Iterator[EmulatorServer]:
    with serve(recorder, tls=True) as running:
        yield running


def trusting(server: EmulatorServer) -> ssl.SSLContext:
    assert server.cert_path is not None
    return ssl.create_default_context(cafile=server.cert_path)


def test_serve_returns_a_ready_server_on_a_real_loopback_port(server: EmulatorServer) -> None:
    assert server.url.startswith("http://127.0.0.1:")
    port = int(server.url.rsplit(":", 1)[1])
    assert port > 0
    with socket.create_connection(("127.0.0.1", port), timeout=2):
        pass


def test_request_is_translated_into_a_wire_request(server: EmulatorServer) -> None:
    response = httpx.post(
        f"{server.url}/services/data/v62.0/jobs/ingest%2Fx?a=1&b=&a=2&q=SELECT%20Id",
        content=b"Name\nAcme\n", headers={"Content-Type": "text/csv", "X-Mixed-Case": "V"},
    )
    assert response.status_code == 201
    echo = response.json()
    assert echo["method"] == "POST"
    assert echo["path"] == "/services/data/v62.0/jobs/ingest/x"
    assert echo["query"] == {"a": "2", "b": "", "q": "SELECT Id"}
    assert echo["headers"]["x-mixed-case"] == "V"
    assert echo["headers"]["content-type"] == "text/csv"
    assert echo["base_url"] == server.url
    assert echo["body_len"] == len(b"Name\nAcme\n")


def test_response_status_headers_and_repeated_headers_reach_the_client(
    server: EmulatorServer,
) -> None:
    response = httpx.get(f"{server.url}/echo")
    assert response.status_code == 201
    assert response.headers["content-type"] == "application/json;charset=UTF-8"
    assert response.headers["sforce-limit-info"] == "api-usage=1/15000"
    assert response.headers.get_list("x-twice") == ["a", "b"]


def test_large_bodies_travel_both_ways(server: EmulatorServer) -> None:
    assert httpx.post(f"{server.url}/echo", content=BIG).json()["body_len"] == len(BIG)
    assert httpx.get(f"{server.url}/big").content == BIG


def test_drop_before_breaks_the_connection_without_an_answer(server: EmulatorServer) -> None:
    with httpx.Client() as client:
        with pytest.raises(httpx.RemoteProtocolError, match="without sending a response"):
            client.get(f"{server.url}/drop-before")
        assert client.get(f"{server.url}/echo").status_code == 201  # server still serves


def test_drop_midway_sends_headers_and_part_of_the_body_then_breaks(
    server: EmulatorServer,
) -> None:
    received = bytearray()
    seen: dict[str, str | int] = {}
    with httpx.Client() as client:
        with pytest.raises(httpx.RemoteProtocolError, match="complete message body"):
            stream_into(client, f"{server.url}/drop-midway", received, seen)
        status, length = seen["status"], seen["content-length"]
        assert (status, length) == (200, str(len(BIG)))
        assert 0 < len(received) < len(BIG)
        assert client.get(f"{server.url}/echo").status_code == 201


def stream_into(
    client: httpx.Client, url: str, received: bytearray, seen: dict[str, str | int]
) -> None:
    with client.stream("GET", url) as response:
        seen.update(status=response.status_code,
                    **{"content-length": response.headers["content-length"]})
        for chunk in response.iter_raw():
            received.extend(chunk)


def test_handler_exception_becomes_a_500_unknown_exception(server: EmulatorServer) -> None:
    response = httpx.get(f"{server.url}/boom")
    assert response.status_code == 500
    assert response.json()[0]["errorCode"] == "UNKNOWN_EXCEPTION"


def test_a_slow_handler_does_not_block_other_requests(
    server: EmulatorServer, recorder: Recorder
) -> None:
    recorder.fast_done.clear()
    results: dict[str, bytes] = {}

    def call_slow() -> None:
        results["slow"] = httpx.get(f"{server.url}/slow", timeout=15).content

    worker = threading.Thread(target=call_slow)
    worker.start()
    results["fast"] = httpx.get(f"{server.url}/fast", timeout=15).content
    worker.join(15)
    assert results == {"fast": b"fast", "slow": b"slow-after-fast"}


def test_access_log_is_quiet_by_default(
    server: EmulatorServer, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.DEBUG):
        httpx.get(f"{server.url}/echo?token=00Dsecret")
    assert not [r for r in caplog.records if r.name.startswith("uvicorn")]


def test_tls_server_serves_https_with_the_generated_certificate(
    tls_server: EmulatorServer,
) -> None:
    assert tls_server.url.startswith("https://127.0.0.1:")
    assert tls_server.cert_path is not None
    assert "BEGIN CERTIFICATE" in Path(tls_server.cert_path).read_text()
    response = httpx.get(f"{tls_server.url}/echo", verify=trusting(tls_server))
    assert response.json()["base_url"] == tls_server.url


def test_tls_certificate_is_valid_for_localhost_too(tls_server: EmulatorServer) -> None:
    url = tls_server.url.replace("127.0.0.1", "localhost")
    assert httpx.get(f"{url}/echo", verify=trusting(tls_server)).status_code == 201


def test_tls_server_is_refused_by_clients_that_do_not_trust_the_certificate(
    tls_server: EmulatorServer,
) -> None:
    with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
        httpx.get(f"{tls_server.url}/echo")


def test_drop_before_over_tls_is_a_connection_error(tls_server: EmulatorServer) -> None:
    with pytest.raises(httpx.RemoteProtocolError):
        httpx.get(f"{tls_server.url}/drop-before", verify=trusting(tls_server))


def test_close_removes_the_generated_certificate_files() -> None:
    running = serve(Recorder(), tls=True)
    assert running.cert_path is not None
    cert = Path(running.cert_path)
    assert cert.exists()
    running.close()
    assert not cert.parent.exists()


def test_close_stops_serving_and_is_idempotent() -> None:
    running = serve(Recorder())
    url = running.url
    assert httpx.get(f"{url}/echo").status_code == 201
    running.close()
    running.close()
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{url}/echo")


def test_binding_a_busy_port_raises_oserror(server: EmulatorServer) -> None:
    port = int(server.url.rsplit(":", 1)[1])
    with pytest.raises(OSError, match="in use"):
        serve(Recorder(), port=port)


def test_token_endpoint_over_https_returns_the_server_url_as_instance_url() -> None:
    auth = AuthService(user_id=to_18("005R00000005678"), org_id=to_18("00DR00000001234"))

    def handler(req: Request) -> Response:
        if req.path == "/services/oauth2/token":
            return oauth.token(auth, req)
        ok = auth.check(req.headers.get("authorization"))
        return Response(200 if ok else 401, [], b"")

    with serve(handler, tls=True) as running:
        verify = trusting(running)
        body = httpx.post(f"{running.url}/services/oauth2/token", verify=verify, data={
            "grant_type": "password", "client_id": "c", "client_secret": "s",
            "username": "admin@example.com", "password": "password"}).json()
        assert body["instance_url"] == running.url
        bearer = {"Authorization": f"Bearer {body['access_token']}"}
        assert httpx.get(f"{running.url}/services/data/v62.0/limits", headers=bearer,
                         verify=verify).status_code == 200
        auth.expire_all()
        assert httpx.get(f"{running.url}/services/data/v62.0/limits", headers=bearer,
                         verify=verify).status_code == 401


# ---------------------------------------------------------------- `sfbulk emulator` entry point
class CliProcess:
    """``python -m sfbulk_frames.emulator ...`` as a real subprocess, read line by line."""

    def __init__(self, *args: str) -> None:
        import queue
        import subprocess
        import sys

        self.process = subprocess.Popen(
            [sys.executable, "-m", "sfbulk_frames.emulator", *args],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, encoding="utf-8",
        )
        self.lines: queue.Queue[str] = queue.Queue()
        assert self.process.stdout is not None
        stdout = self.process.stdout
        threading.Thread(target=lambda: [self.lines.put(x) for x in stdout], daemon=True).start()

    def banner(self, timeout: float = 20.0) -> dict[str, str]:
        """The ``Key : value`` lines printed before ``Press Ctrl-C to stop.``"""
        import queue
        import time

        fields: dict[str, str] = {}
        deadline = time.monotonic() + timeout
        while True:
            try:
                line = self.lines.get(timeout=max(0.01, deadline - time.monotonic()))
            except queue.Empty:
                raise AssertionError(f"no banner; stderr: {self.stop()[1]}") from None
            if line.startswith("Press Ctrl-C"):
                return fields
            key, sep, value = line.strip().partition(" : ")
            if sep:
                fields[key.strip()] = value.split("  (")[0].strip()

    def stop(self) -> tuple[int, str]:
        import signal

        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
        try:
            _, err = self.process.communicate(timeout=15)
        except Exception:
            self.process.kill()
            raise
        return self.process.returncode, err


def test_cli_prints_url_token_credentials_and_serves_until_ctrl_c() -> None:
    cli = CliProcess("--port", "0", "--token", "00Dfixed!AQcli-token", "--processing", "instant")
    try:
        banner = cli.banner()
        assert banner["Instance URL"].startswith("http://127.0.0.1:")
        assert banner["Access token"] == "00Dfixed!AQcli-token"
        assert (banner["Username"], banner["Password"]) == ("admin@example.com", "password")
        response = httpx.get(f"{banner['Instance URL']}/services/data/v62.0/limits",
                             headers={"Authorization": "Bearer 00Dfixed!AQcli-token"})
        assert response.status_code == 200
        assert "DailyApiRequests" in response.json()
    finally:
        code, err = cli.stop()
    assert code == 0, err


def test_cli_with_tls_prints_the_certificate_to_trust() -> None:
    cli = CliProcess("--port", "0", "--tls")
    try:
        banner = cli.banner()
        assert banner["Instance URL"].startswith("https://127.0.0.1:")
        verify = ssl.create_default_context(cafile=banner["Certificate"])
        token = httpx.post(f"{banner['Instance URL']}/services/oauth2/token", verify=verify,
                           data={"grant_type": "password", "client_id": "c",
                                 "client_secret": "s", "username": "admin@example.com",
                                 "password": "password"}).json()
        assert token["instance_url"] == banner["Instance URL"]
        assert token["access_token"] != banner["Access token"]
        refreshed = httpx.post(f"{banner['Instance URL']}/services/oauth2/token", verify=verify,
                               data={"grant_type": "refresh_token", "client_id": "c",
                                     "refresh_token": banner["Refresh token"]})
        assert refreshed.status_code == 200
    finally:
        code, err = cli.stop()
    assert code == 0, err


def test_cli_on_a_busy_port_exits_with_a_clear_error(server: EmulatorServer) -> None:
    port = server.url.rsplit(":", 1)[1]
    cli = CliProcess("--port", port)
    code, err = cli.stop() if cli.process.wait(20) is not None else (None, "")
    assert code == 2
    assert f"cannot listen on 127.0.0.1:{port}" in err
    assert "--port" in err


def test_cli_rejects_an_unknown_processing_mode() -> None:
    cli = CliProcess("--processing", "sometimes")
    cli.process.wait(20)
    code, err = cli.stop()
    assert code == 2
    assert "unknown processing mode 'sometimes'" in err


# ---------------------------------------------------------------- the Emulator behind the server
def test_emulator_drop_faults_break_real_connections() -> None:
    from sfbulk_frames.emulator import Emulator

    with Emulator(seed=1) as emu, emu.serve(port=0) as running:
        bearer = {"Authorization": f"Bearer {running.token}"}
        limits = f"{running.url}/services/data/v62.0/limits"
        emu.faults.drop("/limits", when="before")
        with pytest.raises(httpx.RemoteProtocolError, match="without sending a response"):
            httpx.get(limits, headers=bearer)
        emu.faults.drop("/limits", when="midway")
        with pytest.raises(httpx.RemoteProtocolError, match="complete message body"):
            httpx.get(limits, headers=bearer)
        assert httpx.get(limits, headers=bearer).status_code == 200
        assert [f.kind for f in emu.faults.fired] == ["drop", "drop"]


def test_emulator_server_requires_a_valid_token_and_issues_tokens() -> None:
    from sfbulk_frames.emulator import Emulator

    with Emulator(seed=2) as emu, emu.serve(port=0) as running:
        limits = f"{running.url}/services/data/v62.0/limits"
        refused = httpx.get(limits, headers={"Authorization": "Bearer 00Dnope!AQnope"})
        assert refused.status_code == 401
        assert refused.json()[0]["errorCode"] == "INVALID_SESSION_ID"
        token = httpx.post(f"{running.url}/services/oauth2/token", data={
            "grant_type": "password", "client_id": "c", "client_secret": "s",
            "username": "admin@example.com", "password": "password"}).json()
        assert token["instance_url"] == running.url
        ok = httpx.get(limits, headers={"Authorization": f"OAuth {token['access_token']}"})
        assert ok.status_code == 200
        emu.expire_tokens()
        expired = httpx.get(limits, headers={"Authorization": f"Bearer {token['access_token']}"})
        assert expired.status_code == 401


# ---------------------------------------------------------------- the request log (--verbose)
_LOG_LINE = r"(GET|POST) (/\S*) (\d{3}|dropped) \d+\.\d ms"


def test_verbose_server_logs_method_path_status_and_duration_but_no_secret(
    caplog: pytest.LogCaptureFixture,
) -> None:
    import re

    from sfbulk_frames.emulator import Emulator

    with (
        caplog.at_level(logging.INFO, logger="sfbulk_frames.emulator"),
        Emulator(seed=3) as emu,
        emu.serve(port=0, verbose=True) as running,
    ):
        limits = f"{running.url}/services/data/v62.0/limits"
        token = running.token
        assert token is not None
        ok = httpx.get(f"{limits}?hint={token}", headers={"Authorization": f"Bearer {token}"})
        assert ok.status_code == 200
        issued = httpx.post(f"{running.url}/services/oauth2/token", data={
            "grant_type": "password", "client_id": "c", "client_secret": "s",
            "username": "admin@example.com", "password": "password"}).json()["access_token"]
    lines = [r.getMessage() for r in caplog.records if r.name == "sfbulk_frames.emulator"]
    parsed = [re.fullmatch(_LOG_LINE, line) for line in lines]
    assert all(parsed), lines
    assert [(m.group(1), m.group(2), m.group(3)) for m in parsed if m] == [
        ("GET", "/services/data/v62.0/limits", "200"),
        ("POST", "/services/oauth2/token", "200"),
    ]
    for secret in (token, issued, "password", "Bearer"):
        assert not any(secret in line for line in lines)


def test_cli_verbose_logs_each_request_to_stderr_without_tokens() -> None:
    import re

    cli = CliProcess("--port", "0", "--verbose", "--token", "00Dfixed!AQsecret-token")
    banner = cli.banner()
    token = banner["Access token"]
    limits = f"{banner['Instance URL']}/services/data/v62.0/limits"
    assert httpx.get(limits, headers={"Authorization": f"Bearer {token}"}).status_code == 200
    assert httpx.get(limits, headers={"Authorization": "Bearer wrong"}).status_code == 401
    code, err = cli.stop()
    assert code == 0
    logged = re.findall(_LOG_LINE, err)
    assert [(method, path, status) for method, path, status in logged] == [
        ("GET", "/services/data/v62.0/limits", "200"),
        ("GET", "/services/data/v62.0/limits", "401"),
    ]
    assert token not in err
    assert banner["Refresh token"] not in err


def test_a_quiet_server_logs_no_request(caplog: pytest.LogCaptureFixture) -> None:
    from sfbulk_frames.emulator import Emulator

    with (
        caplog.at_level(logging.INFO, logger="sfbulk_frames.emulator"),
        Emulator(seed=4) as emu,
        emu.serve(port=0) as running,
    ):
        headers = {"Authorization": f"Bearer {running.token}"}
        assert httpx.get(f"{running.url}/services/data/v62.0/limits", headers=headers).is_success
    assert [r for r in caplog.records if r.name == "sfbulk_frames.emulator"] == []
