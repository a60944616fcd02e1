"""Every login flow against the emulator, re-login after expiry, and secrets kept out of sight."""

from __future__ import annotations

import json
import logging
import os
import stat
import sys
from pathlib import Path

import pytest

from sfbulk_frames._exceptions import (
    AuthenticationError,
    ConfigurationError,
    InvalidSessionError,
)
from sfbulk_frames.client.auth import PasswordAuth, login_url_for
from sfbulk_frames.client.clients import Client

from .conftest import CLIENT_ID, CLIENT_SECRET, PASSWORD, USERNAME, KeyPair, Org


def _works(client: Client) -> None:
    """The client can make an authenticated call (and learned the instance URL)."""
    assert "DailyApiRequests" in client.limits()


def test_password_login(org: Org) -> None:
    with org.password_client() as client:
        assert client.instance_url == org.url
        _works(client)


def test_password_login_refused_names_the_oauth_error_not_the_password(org: Org) -> None:
    with pytest.raises(AuthenticationError) as caught:
        Client.password_login(
            USERNAME, "wrong-password-xyz", client_id=CLIENT_ID, client_secret=CLIENT_SECRET,
            domain=org.url, **org.options(),
        )
    assert caught.value.error == "invalid_grant"
    assert "authentication failure" in str(caught.value)
    assert "wrong-password-xyz" not in str(caught.value)
    assert CLIENT_SECRET not in str(caught.value)


def test_client_credentials_login(org: Org) -> None:
    with Client.client_credentials(CLIENT_ID, CLIENT_SECRET, domain=org.url, **org.options()) as c:
        _works(c)


def test_client_credentials_with_wrong_secret_is_refused(org: Org) -> None:
    with pytest.raises(AuthenticationError) as caught:
        Client.client_credentials(CLIENT_ID, "bad-secret-123", domain=org.url, **org.options())
    assert caught.value.error == "invalid_client"
    assert "bad-secret-123" not in str(caught.value)


def test_jwt_login_with_pem_string_and_key_file(
    org: Org, key_pair: KeyPair, tmp_path: Path
) -> None:
    with Client.jwt_login(
        CLIENT_ID, USERNAME, key_pair.private_pem, domain=org.url, **org.options()
    ) as client:
        _works(client)
    key_file = tmp_path / "server.key"
    key_file.write_text(key_pair.private_pem)
    with Client.jwt_login(
        CLIENT_ID, USERNAME, private_key_file=key_file, audience="https://login.salesforce.com",
        domain=org.url, **org.options(),
    ) as client:
        _works(client)


def test_jwt_login_with_a_foreign_key_is_refused(org: Org) -> None:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    other = rsa.generate_private_key(public_exponent=65537, key_size=2048).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    with pytest.raises(AuthenticationError) as caught:
        Client.jwt_login(CLIENT_ID, USERNAME, other, domain=org.url, **org.options())
    assert caught.value.error == "invalid_grant"
    assert "PRIVATE KEY" not in str(caught.value)


def test_jwt_login_rejects_an_unusable_key_before_any_request() -> None:
    with pytest.raises(ConfigurationError, match="PEM"):
        Client.jwt_login(CLIENT_ID, USERNAME, "not a key", domain="https://127.0.0.1:9")


def test_refresh_token_login(org: Org) -> None:
    refresh = org.emu.auth.issue_refresh_token()
    with Client.refresh_token_login(refresh, CLIENT_ID, domain=org.url, **org.options()) as c:
        _works(c)
    with pytest.raises(AuthenticationError) as caught:
        Client.refresh_token_login("5Aep-unknown", CLIENT_ID, domain=org.url, **org.options())
    assert "expired access/refresh token" in str(caught.value)


def test_soap_login(org: Org) -> None:
    with Client.soap_login(USERNAME, PASSWORD, domain=org.url, **org.options()) as client:
        assert client.instance_url == org.url
        _works(client)
    with pytest.raises(AuthenticationError) as caught:
        Client.soap_login(USERNAME, "nope-pass", domain=org.url, **org.options())
    assert caught.value.error == "INVALID_LOGIN"
    assert "nope-pass" not in str(caught.value)


@pytest.mark.parametrize(
    "make",
    [
        lambda org: org.password_client(),
        lambda org: Client.client_credentials(
            CLIENT_ID, CLIENT_SECRET, domain=org.url, **org.options()),
        lambda org: Client.soap_login(USERNAME, PASSWORD, domain=org.url, **org.options()),
    ],
    ids=["password", "client_credentials", "soap"],
)
def test_expired_session_logs_in_again_once_and_retries(org: Org, make) -> None:  # type: ignore[no-untyped-def]
    with make(org) as client:
        job = client.create_ingest_job("Contact", "insert")
        org.emu.expire_tokens()
        assert job.info().id == job.id  # 401 -> login -> same request again


def test_refresh_token_client_survives_expiry(org: Org) -> None:
    refresh = org.emu.auth.issue_refresh_token()
    with Client.refresh_token_login(refresh, CLIENT_ID, domain=org.url, **org.options()) as c:
        org.emu.expire_tokens()
        _works(c)


def test_jwt_client_survives_expiry(org: Org, key_pair: KeyPair) -> None:
    with Client.jwt_login(
        CLIENT_ID, USERNAME, key_pair.private_pem, domain=org.url, **org.options()
    ) as client:
        org.emu.expire_tokens()
        _works(client)


def test_plain_token_client_raises_invalid_session_with_next_step(org: Org) -> None:
    with org.client() as client:
        org.emu.expire_tokens()
        with pytest.raises(InvalidSessionError) as caught:
            client.limits()
    message = str(caught.value)
    assert "login constructor" in message
    assert org.emu.token not in message
    assert caught.value.status == 401


def test_login_urls() -> None:
    assert login_url_for("login") == "https://login.salesforce.com"
    assert login_url_for("test") == "https://test.salesforce.com"
    assert login_url_for("https://acme.my.salesforce.com/") == "https://acme.my.salesforce.com"
    assert login_url_for("acme.my.salesforce.com") == "https://acme.my.salesforce.com"
    assert login_url_for("acme") == "https://acme.my.salesforce.com"


def test_reprs_never_show_secrets(org: Org, key_pair: KeyPair) -> None:
    auth = PasswordAuth(USERNAME, "pw-secret-1", "sec-tok-2", CLIENT_ID, "cl-secret-3")
    assert "pw-secret-1" not in repr(auth)
    assert "sec-tok-2" not in repr(auth)
    assert "cl-secret-3" not in repr(auth)
    assert USERNAME in repr(auth)
    with org.password_client() as client:
        client.limits()
        token = client._session.access_token
        assert token is not None
        for text in (repr(client), str(client), repr(client._session)):
            assert token not in text
            assert CLIENT_SECRET not in text
            assert repr(PASSWORD) not in text  # the value, not the field name
    with Client.jwt_login(
        CLIENT_ID, USERNAME, key_pair.private_pem, domain=org.url, **org.options()
    ) as client:
        assert "PRIVATE KEY" not in repr(client)


def test_request_logs_name_method_path_status_but_no_token(
    local: Org, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.DEBUG, logger="sfbulk_frames"), local.client() as client:
        client.limits()
    text = caplog.text
    assert "GET /services/data/v62.0/limits -> 200" in text
    assert local.emu.token not in text


# ------------------------------------------------------------------------- from_env / sf CLI


def test_from_env_with_token(local: Org) -> None:
    env = {"SF_INSTANCE_URL": local.url, "SF_ACCESS_TOKEN": local.emu.token}
    with Client.from_env(env, **local.options()) as client:
        _works(client)


def test_from_env_reads_os_environ(local: Org, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in [n for n in os.environ if n.startswith("SF_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("SF_USERNAME", USERNAME)
    monkeypatch.setenv("SF_PASSWORD", PASSWORD)
    monkeypatch.setenv("SF_CLIENT_ID", CLIENT_ID)
    monkeypatch.setenv("SF_CLIENT_SECRET", CLIENT_SECRET)
    monkeypatch.setenv("SF_DOMAIN", local.url)
    with Client.from_env(**local.options()) as client:
        assert type(client._session.auth).__name__ == "PasswordAuth"
        _works(client)


@pytest.mark.parametrize(
    ("flow", "env"),
    [
        ("SoapAuth", {"SF_USERNAME": USERNAME, "SF_PASSWORD": PASSWORD}),
        ("ClientCredentialsAuth", {"SF_CLIENT_ID": CLIENT_ID, "SF_CLIENT_SECRET": CLIENT_SECRET}),
        ("JwtAuth", {"SF_CLIENT_ID": CLIENT_ID, "SF_USERNAME": USERNAME}),
    ],
)
def test_from_env_picks_the_login_flow(
    local: Org, key_pair: KeyPair, tmp_path: Path, flow: str, env: dict[str, str]
) -> None:
    env = {**env, "SF_DOMAIN": local.url}
    if flow == "JwtAuth":
        key_file = tmp_path / "key.pem"
        key_file.write_text(key_pair.private_pem)
        env["SF_PRIVATE_KEY_FILE"] = str(key_file)
    with Client.from_env(env, **local.options()) as client:
        assert type(client._session.auth).__name__ == flow
        _works(client)


def test_from_env_without_credentials_lists_the_variables() -> None:
    with pytest.raises(ConfigurationError) as caught:
        Client.from_env({})
    for name in ("SF_INSTANCE_URL", "SF_ACCESS_TOKEN", "SF_USERNAME", "SF_PRIVATE_KEY_FILE"):
        assert name in str(caught.value)


def _fake_sf(tmp_path: Path, payload: dict[str, object], code: int = 0) -> Path:
    script = tmp_path / "sf"
    script.write_text(
        f"#!{sys.executable}\nimport sys\nprint({json.dumps(json.dumps(payload))})\n"
        f"sys.exit({code})\n"
    )
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    return script


def test_from_sf_cli_uses_the_cli_token(
    local: Org, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _fake_sf(tmp_path, {"status": 0, "result": {
        "accessToken": local.emu.token, "instanceUrl": local.url, "username": USERNAME}})
    monkeypatch.setenv("PATH", str(tmp_path))
    with Client.from_sf_cli("my-org", **local.options()) as client:
        assert client.instance_url == local.url
        _works(client)


def test_from_sf_cli_failure_is_an_authentication_error(tmp_path: Path) -> None:
    script = _fake_sf(tmp_path, {"status": 1, "name": "NoOrgFound",
                                 "message": "No authorization information found for nope."}, 1)
    with pytest.raises(AuthenticationError, match="sf org login web"):
        Client.from_sf_cli("nope", executable=str(script))


def test_from_sf_cli_without_the_cli_says_how_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(ConfigurationError, match="Salesforce CLI"):
        Client.from_sf_cli("my-org")
