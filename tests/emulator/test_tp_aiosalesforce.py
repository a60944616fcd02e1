"""Unmodified aiosalesforce (``bulk_v2`` and its auth flows) against a real emulator server.

aiosalesforce only accepts ``https://<name>.my.salesforce.com`` base URLs, so its httpx client
gets a transport that connects every request to the loopback server (like a hosts-file entry:
the URL, Host header and all bytes on the wire stay what aiosalesforce produced).
"""

from __future__ import annotations

import asyncio
import csv
import io
import ssl
import time
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import httpx
import jwt as pyjwt
import pytest
from aiosalesforce import Salesforce
from aiosalesforce.auth import ClientCredentialsFlow, JwtBearerFlow, SoapLogin
from aiosalesforce.exceptions import AuthenticationError
from aiosalesforce.retries import POLICY_DEFAULT, RetryPolicy
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from sfbulk_frames.emulator import Emulator

pytestmark = pytest.mark.server

BASE_URL = "https://emulator.my.salesforce.com"
T = TypeVar("T")

TRICKY = [
    ("aio-1", "O'Brien, Jr.", 'He said "hello", then left'),
    ("aio-2", "Ångström", "Line one\nLine two, with comma"),
    ("aio-3", "日本語", "Zoë — ✓ \"quoted\""),
]


class LoopbackTransport(httpx.AsyncBaseTransport):
    """Sends every request to ``target`` (scheme://host:port) and nothing else changes."""

    def __init__(self, target: str, verify: ssl.SSLContext) -> None:
        self._target = httpx.URL(target)
        self._inner = httpx.AsyncHTTPTransport(verify=verify)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        request.url = request.url.copy_with(
            scheme=self._target.scheme, host=self._target.host, port=self._target.port)
        return await self._inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self._inner.aclose()


@pytest.fixture(scope="module")
def rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def emulator(rsa_key: rsa.RSAPrivateKey) -> Iterator[Emulator]:
    public_pem = rsa_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    with Emulator(seed=5, processing="instant", client_id="aio-app", client_secret="aio-secret",
                  jwt_public_key=public_pem) as emu:
        yield emu


@pytest.fixture(scope="module")
def server(emulator: Emulator) -> Iterator[Any]:
    with emulator.serve(port=0, tls=True) as running:
        yield running


def run_with(server: Any, auth: Any, work: Callable[[Salesforce], Awaitable[T]], *,
             retries: bool = True) -> T:
    async def main() -> T:
        verify = ssl.create_default_context(cafile=server.cert_path)
        async with httpx.AsyncClient(transport=LoopbackTransport(server.url, verify)) as http:
            sf = Salesforce(httpx_client=http, base_url=BASE_URL, auth=auth, version="62.0",
                            retry_policy=POLICY_DEFAULT if retries else RetryPolicy())
            return await work(sf)

    return asyncio.run(main())


def client_credentials() -> ClientCredentialsFlow:
    return ClientCredentialsFlow(client_id="aio-app", client_secret="aio-secret")


async def ingest(sf: Salesforce, operation: str, data: list[dict[str, Any]],
                 external_id_field: str | None = None) -> Any:
    results = [r async for r in sf.bulk_v2.ingest.perform_operation(
        operation=operation, sobject="Contact", data=data,  # type: ignore[arg-type]
        external_id_field=external_id_field, polling_interval=0.02)]
    assert len(results) == 1
    return results[0]


def stored(emulator: Emulator, prefix: str) -> dict[str, tuple[Any, ...]]:
    found = emulator.sql(
        'SELECT ExternalId__c, LastName, Description, Id FROM "Contact" '
        "WHERE ExternalId__c LIKE ? AND IsDeleted = 0", (f"{prefix}%",))
    return {row[0]: tuple(row[1:]) for row in found}


def without_newlines(value: str) -> str:
    # aiosalesforce parses result CSVs with str.splitlines(), which drops newlines that sit
    # inside quoted values; the emulator's bytes are checked separately below.
    return value.replace("\n", "")


def test_insert_update_upsert_delete_round_trip(server: Any, emulator: Emulator) -> None:
    async def work(sf: Salesforce) -> dict[str, Any]:
        inserted = await ingest(sf, "insert", [
            {"ExternalId__c": key, "LastName": last, "Description": text}
            for key, last, text in TRICKY] + [{"ExternalId__c": "aio-bad", "LastName": None}])
        ids = {r["ExternalId__c"]: r["sf__Id"] for r in inserted.successful_results}
        updated = await ingest(sf, "update", [
            {"Id": ids["aio-1"], "Description": "updated, \"twice\" — ok"}])
        upserted = await ingest(sf, "upsert", [
            {"ExternalId__c": "aio-2", "LastName": "Upserted"},
            {"ExternalId__c": "aio-4", "LastName": "Created, new"}],
            external_id_field="ExternalId__c")
        deleted = await ingest(sf, "delete", [{"Id": ids["aio-3"]}])
        return {"inserted": inserted, "updated": updated, "upserted": upserted,
                "deleted": deleted, "ids": ids}

    out = run_with(server, client_credentials(), work)
    inserted = out["inserted"]
    assert inserted.job_info.state == "JobComplete"
    assert sorted((r["ExternalId__c"], r["LastName"], r["Description"])
                  for r in inserted.successful_results) == sorted(
        (k, last, without_newlines(text)) for k, last, text in TRICKY)
    assert [r["ExternalId__c"] for r in inserted.failed_results] == ["aio-bad"]
    assert inserted.failed_results[0]["sf__Error"].startswith("REQUIRED_FIELD_MISSING:")
    assert inserted.unprocessed_records == []
    assert out["updated"].failed_results == []
    created = {r["ExternalId__c"]: r["sf__Created"] for r in out["upserted"].successful_results}
    assert created == {"aio-2": "false", "aio-4": "true"}
    assert [r["sf__Id"] for r in out["deleted"].successful_results] == [out["ids"]["aio-3"]]

    org = stored(emulator, "aio-")
    assert org == {
        "aio-1": ("O'Brien, Jr.", "updated, \"twice\" — ok", out["ids"]["aio-1"]),
        "aio-2": ("Upserted", "Line one\nLine two, with comma", out["ids"]["aio-2"]),
        "aio-4": ("Created, new", None, org["aio-4"][2]),
    }


def test_result_csv_keeps_newlines_inside_quoted_values(server: Any, emulator: Emulator) -> None:
    async def work(sf: Salesforce) -> bytes:
        result = await ingest(sf, "insert", [
            {"ExternalId__c": "nl-1", "LastName": "NL", "Description": "a\nb, \"c\""}])
        response = await sf.request(
            "GET", f"{sf.bulk_v2.base_url}/ingest/{result.job_info.id}/successfulResults")
        return response.content

    content = run_with(server, client_credentials(), work)
    parsed = list(csv.DictReader(io.StringIO(content.decode(), newline="")))
    assert parsed[0]["Description"] == "a\nb, \"c\""


def test_expired_token_is_refreshed_transparently(server: Any, emulator: Emulator) -> None:
    async def work(sf: Salesforce) -> Any:
        await ingest(sf, "insert", [{"ExternalId__c": "exp-1", "LastName": "Before"}])
        emulator.expire_tokens()
        return await ingest(sf, "insert", [{"ExternalId__c": "exp-2", "LastName": "After"}])

    result = run_with(server, client_credentials(), work)
    assert result.failed_results == []
    assert set(stored(emulator, "exp-")) == {"exp-1", "exp-2"}


def test_soap_login_flow_works(server: Any, emulator: Emulator) -> None:
    async def work(sf: Salesforce) -> Any:
        return await ingest(sf, "insert", [{"ExternalId__c": "soap-1", "LastName": "Soap"}])

    auth = SoapLogin(username="admin@example.com", password="password", security_token="")
    assert run_with(server, auth, work).failed_results == []


def test_soap_login_with_wrong_password_raises_invalid_login(server: Any) -> None:
    async def work(sf: Salesforce) -> Any:
        return await sf.get_limits()

    auth = SoapLogin(username="admin@example.com", password="wrong", security_token="")
    with pytest.raises(AuthenticationError, match="INVALID_LOGIN"):
        run_with(server, auth, work, retries=False)  # SOAP faults are HTTP 500: no retrying


def test_jwt_bearer_flow_works(server: Any, rsa_key: rsa.RSAPrivateKey, tmp_path: Path) -> None:
    key_file = tmp_path / "key.pem"
    key_file.write_bytes(rsa_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption()))

    async def work(sf: Salesforce) -> Any:
        return await ingest(sf, "insert", [{"ExternalId__c": "jwt-1", "LastName": "Jwt"}])

    auth = JwtBearerFlow(client_id="aio-app", username="admin@example.com",
                         private_key_file=key_file)
    assert run_with(server, auth, work).failed_results == []


def test_jwt_signed_by_an_unknown_key_is_refused(server: Any, tmp_path: Path) -> None:
    stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    key_file = tmp_path / "stranger.pem"
    key_file.write_bytes(stranger.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption()))
    auth = JwtBearerFlow(client_id="aio-app", username="admin@example.com",
                         private_key_file=key_file)
    with pytest.raises(AuthenticationError, match="invalid_grant"):
        run_with(server, auth, lambda sf: sf.get_limits())


def test_client_credentials_with_wrong_secret_is_refused(server: Any) -> None:
    auth = ClientCredentialsFlow(client_id="aio-app", client_secret="wrong")
    with pytest.raises(AuthenticationError, match="invalid_client"):
        run_with(server, auth, lambda sf: sf.get_limits())


def test_jwt_assertion_is_checked_for_expiry_over_http(
    server: Any, rsa_key: rsa.RSAPrivateKey
) -> None:
    stale = pyjwt.encode({"iss": "aio-app", "sub": "admin@example.com",
                          "aud": "https://login.salesforce.com", "exp": int(time.time()) - 3600},
                         rsa_key, algorithm="RS256")
    response = httpx.post(f"{server.url}/services/oauth2/token",
                          data={"grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer",
                                "assertion": stale},
                          verify=ssl.create_default_context(cafile=server.cert_path))
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"


def test_dropped_connections_are_retried_by_aiosalesforce(
    server: Any, emulator: Emulator
) -> None:
    emulator.faults.drop("/jobs/ingest/*", method="GET", when="before")
    emulator.faults.drop("/jobs/ingest/*/successfulResults", when="midway")
    fired_before = len(emulator.faults.fired)

    async def work(sf: Salesforce) -> Any:
        return await ingest(sf, "insert", [
            {"ExternalId__c": f"drop-{i}", "LastName": f"Dropped, {i}"} for i in range(50)])

    result = run_with(server, client_credentials(), work)
    assert [f.kind for f in emulator.faults.fired[fired_before:]] == ["drop", "drop"]
    assert len(result.successful_results) == 50
    assert emulator.count("Contact") >= 50
    assert len(stored(emulator, "drop-")) == 50
