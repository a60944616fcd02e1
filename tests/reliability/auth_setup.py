"""An emulated org with real secrets to guard: a password, a connected-app secret, a JWT key pair
and refresh tokens; plus a loopback web server that is not Salesforce at all."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

USERNAME = "loader@example.com"
PASSWORD = "Pw-7f3k-SUPER-secret-9"
CLIENT_ID = "3MVG9-reliability-app"
CLIENT_SECRET = "CS-5b8e1d0c-very-secret"


@dataclass(frozen=True)
class KeyPair:
    private_pem: str
    public_pem: str

    @property
    def private_body_lines(self) -> list[str]:
        """The base64 lines of the PEM body: none may appear anywhere."""
        return [line for line in self.private_pem.splitlines() if line and "-----" not in line]


def make_key_pair() -> KeyPair:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption()).decode()
    public = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    return KeyPair(private, public)


def emulator_options(keys: KeyPair) -> dict[str, object]:
    return {"users": {USERNAME: PASSWORD}, "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET, "jwt_public_key": keys.public_pem}


class _HtmlHandler(BaseHTTPRequestHandler):
    status = 200

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        body = b"<!DOCTYPE html><html><body><h1>Welcome to our intranet</h1></body></html>"
        self.send_response(self.status)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _answer

    def log_message(self, format: str, *args: object) -> None:
        """Quiet."""


@contextmanager
def html_server(status: int) -> Iterator[str]:
    """A loopback web server answering every request with an HTML page and ``status``."""
    handler = type("Handler", (_HtmlHandler,), {"status": status})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
