"""Fixtures of the client-core tests: an emulator reached in-process or over a loopback server.

``org`` is parametrized over both modes, so each test using it runs twice; ``local`` is the
in-process emulator only, for the many small error-mapping cases.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from harness import served_emulator

from sfbulk_frames._config import RetryPolicy
from sfbulk_frames.client.clients import AsyncClient, Client
from sfbulk_frames.emulator import Emulator
from sfbulk_frames.testing import fast_polling

# Real retries (several attempts) without real waiting.
FAST_RETRY = RetryPolicy(max_attempts=4, backoff_initial=0.001, backoff_max=0.002, jitter=False)

CONTACTS_CSV = b"LastName,Email\nLee,lee@example.com\nWong,wong@example.com\n"
CLIENT_ID = "test-app"
CLIENT_SECRET = "test-app-secret"
USERNAME = "admin@example.com"
PASSWORD = "password"


@dataclass(frozen=True)
class KeyPair:
    private_pem: str
    public_pem: str


@pytest.fixture(scope="session")
def key_pair() -> KeyPair:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    public = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()
    return KeyPair(private, public)


@dataclass
class Org:
    """An emulator plus how clients reach it (``url`` is the instance and login URL)."""

    emu: Emulator
    url: str
    mode: str

    def options(self, **extra: Any) -> dict[str, Any]:
        """Keyword arguments every client/constructor needs to reach this emulator."""
        options: dict[str, Any] = {"retry": FAST_RETRY}
        if self.mode == "inprocess":
            options["transport"] = self.emu.transport()
        options.update(extra)
        return options

    def client(self, **extra: Any) -> Client:
        return Client(self.url, self.emu.token, **self.options(**extra))

    def async_client(self, **extra: Any) -> AsyncClient:
        return AsyncClient(self.url, self.emu.token, **self.options(**extra))

    def password_client(self, **extra: Any) -> Client:
        return Client.password_login(
            USERNAME, PASSWORD, client_id=CLIENT_ID, client_secret=CLIENT_SECRET,
            domain=self.url, **self.options(**extra),
        )


def _emulator(key_pair: KeyPair, **options: Any) -> Emulator:
    options.setdefault("seed", 3)
    return Emulator(
        jwt_public_key=key_pair.public_pem, client_id=CLIENT_ID, client_secret=CLIENT_SECRET,
        **options,
    )


def _org(mode: str, key_pair: KeyPair, **options: Any) -> Iterator[Org]:
    with _emulator(key_pair, **options) as emu, fast_polling():
        if mode == "inprocess":
            yield Org(emu, emu.instance_url, mode)
        else:
            with served_emulator(emu) as server:
                yield Org(emu, server.url, mode)


@pytest.fixture(params=["inprocess", "server"])
def org(request: pytest.FixtureRequest, key_pair: KeyPair) -> Iterator[Org]:
    """The emulator in-process and behind a real loopback server (each test runs in both)."""
    yield from _org(request.param, key_pair)


@pytest.fixture
def local(key_pair: KeyPair) -> Iterator[Org]:
    """The in-process emulator only."""
    yield from _org("inprocess", key_pair)


@pytest.fixture
def slow_local(key_pair: KeyPair) -> Iterator[Org]:
    """In-process emulator whose jobs complete only after a few status polls."""
    yield from _org("inprocess", key_pair, processing="polls:3")


@pytest.fixture
def client(org: Org) -> Iterator[Client]:
    with org.client() as c:
        yield c


@pytest.fixture
def local_client(local: Org) -> Iterator[Client]:
    with local.client() as c:
        yield c


@dataclass
class Traced:
    """A client whose outgoing requests are recorded (by an httpx event hook, not a mock)."""

    client: Client
    requests: list[httpx.Request]


@pytest.fixture
def traced(local: Org) -> Iterator[Traced]:
    sent: list[httpx.Request] = []
    http = httpx.Client(transport=local.emu.transport(), event_hooks={"request": [sent.append]})
    with http, Client(
        local.url, local.emu.token, http_client=http, retry=FAST_RETRY, client_name="my-app"
    ) as client:
        yield Traced(client, sent)


def rows(data: bytes, delimiter: str = ",") -> list[dict[str, str]]:
    """Parse a result CSV with a real CSV parser."""
    text = io.StringIO(data.decode("utf-8"), newline="")
    return list(csv.DictReader(text, delimiter=delimiter))
