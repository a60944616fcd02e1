"""The bad-input catalogue, continued: bad credentials in each login flow, expired or revoked
tokens, URLs that are not Salesforce, and CLI input files that are not clean UTF-8 CSV."""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import polars as pl
import pytest

import sfbulk_frames as sfb
from sfbulk_frames import cli

from .auth_setup import (
    CLIENT_ID,
    CLIENT_SECRET,
    PASSWORD,
    USERNAME,
    KeyPair,
    emulator_options,
    html_server,
    make_key_pair,
)
from .conftest import FAST_POLL, FAST_RETRY, Served, _served

pytestmark = pytest.mark.server


@pytest.fixture(scope="module")
def keys() -> KeyPair:
    return make_key_pair()


@pytest.fixture
def org(keys: KeyPair) -> Iterator[Served]:
    yield from _served(**emulator_options(keys))


Login = Callable[[Served, KeyPair], sfb.Client]
OPTS: dict[str, Any] = {"retry": FAST_RETRY, "poll": FAST_POLL}

BAD_LOGINS: list[tuple[str, Login, tuple[str, ...]]] = [
    ("password-wrong-password",
     lambda s, k: sfb.Client.password_login(USERNAME, "wrong", client_id=CLIENT_ID,
                                            client_secret=CLIENT_SECRET, domain=s.url, **OPTS),
     ("invalid_grant",)),
    ("password-unknown-user",
     lambda s, k: sfb.Client.password_login("nobody@example.com", PASSWORD, client_id=CLIENT_ID,
                                            client_secret=CLIENT_SECRET, domain=s.url, **OPTS),
     ("invalid_grant",)),
    ("password-wrong-client-secret",
     lambda s, k: sfb.Client.password_login(USERNAME, PASSWORD, client_id=CLIENT_ID,
                                            client_secret="nope-nope", domain=s.url, **OPTS),
     ("invalid_client",)),
    ("password-unknown-client-id",
     lambda s, k: sfb.Client.password_login(USERNAME, PASSWORD, client_id="other-app",
                                            client_secret=CLIENT_SECRET, domain=s.url, **OPTS),
     ("invalid_client_id",)),
    ("client-credentials-wrong-secret",
     lambda s, k: sfb.Client.client_credentials(CLIENT_ID, "nope-nope", domain=s.url, **OPTS),
     ("invalid_client",)),
    ("jwt-signed-with-another-key",
     lambda s, k: sfb.Client.jwt_login(CLIENT_ID, USERNAME, make_key_pair().private_pem,
                                       domain=s.url, audience="https://login.salesforce.com",
                                       **OPTS),
     ("invalid_grant",)),
    ("jwt-unknown-user",
     lambda s, k: sfb.Client.jwt_login(CLIENT_ID, "nobody@example.com", k.private_pem,
                                       domain=s.url, audience="https://login.salesforce.com",
                                       **OPTS),
     ("invalid_grant",)),
    ("soap-wrong-password",
     lambda s, k: sfb.Client.soap_login(USERNAME, "wrong", domain=s.url, **OPTS),
     ("INVALID_LOGIN",)),
    ("refresh-token-unknown",
     lambda s, k: sfb.Client.refresh_token_login("5Aep-not-a-token", CLIENT_ID, CLIENT_SECRET,
                                                 domain=s.url, **OPTS),
     ("invalid_grant",)),
]


@pytest.mark.parametrize(("name", "login", "names"), BAD_LOGINS, ids=[b[0] for b in BAD_LOGINS])
def test_bad_credentials_are_an_authentication_error(
    name: str, login: Login, names: tuple[str, ...], org: Served, keys: KeyPair
) -> None:
    before = org.emulator.count("Contact")
    with pytest.raises(sfb.AuthenticationError) as err, login(org, keys) as client:
        sfb.insert(pl.DataFrame({"LastName": ["x"]}), "Contact", client=client, progress=False)
    for text in names:
        assert text in str(err.value), err.value
    assert not org.recorder.created_jobs(), "a job was created without a valid login"
    assert org.emulator.count("Contact") == before


def test_jwt_with_an_unreadable_key_is_a_configuration_error(org: Served) -> None:
    with pytest.raises(sfb.ConfigurationError) as err:
        sfb.Client.jwt_login(CLIENT_ID, USERNAME, "-----BEGIN PRIVATE KEY-----\nnot a key\n"
                             "-----END PRIVATE KEY-----", domain=org.url)
    assert "key" in str(err.value).lower()


def test_revoked_refresh_token_is_an_authentication_error_mid_job(org: Served) -> None:
    refresh = org.emulator.auth.issue_refresh_token(USERNAME)
    with sfb.Client.refresh_token_login(refresh, CLIENT_ID, CLIENT_SECRET, domain=org.url,
                                        **OPTS) as client:
        client.limits()
        org.emulator.auth.expire_refresh_tokens()
        org.emulator.expire_tokens()
        with pytest.raises(sfb.AuthenticationError) as err:
            sfb.insert(pl.DataFrame({"LastName": ["x"]}), "Contact", client=client, progress=False)
    assert "invalid_grant" in str(err.value) or "expired" in str(err.value).lower()
    assert not org.recorder.uploads_per_job()


def test_expired_token_without_a_login_flow_says_how_to_fix_it(org: Served) -> None:
    with org.client() as client:
        org.emulator.expire_tokens()
        with pytest.raises(sfb.InvalidSessionError) as err:
            sfb.insert(pl.DataFrame({"LastName": ["x"]}), "Contact", client=client, progress=False)
    assert "token" in str(err.value).lower()
    assert "login" in str(err.value).lower()
    assert not org.recorder.uploads_per_job()


@pytest.mark.parametrize("status", [200, 404])
def test_a_web_server_that_is_not_salesforce_is_a_typed_error(status: int) -> None:
    with (
        html_server(status) as url,
        sfb.Client(url, "00Dfake!token", **OPTS) as client,
        pytest.raises(sfb.SfBulkError) as err,
    ):
        sfb.insert(pl.DataFrame({"LastName": ["x"]}), "Contact", client=client, progress=False)
    assert url in str(err.value) or "127.0.0.1" in str(err.value)


@pytest.mark.parametrize("status", [200, 404])
def test_logging_in_to_a_web_server_that_is_not_salesforce_is_an_authentication_error(
    status: int,
) -> None:
    with html_server(status) as url, pytest.raises(sfb.AuthenticationError) as err:  # noqa: SIM117
        with sfb.Client.password_login(USERNAME, PASSWORD, client_id=CLIENT_ID,
                                       client_secret=CLIENT_SECRET, domain=url, **OPTS) as client:
            client.limits()
    assert "127.0.0.1" in str(err.value) or "login" in str(err.value).lower()


def test_nothing_listening_is_a_transport_error_naming_the_url() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"http://127.0.0.1:{port}"
    with (
        sfb.Client(url, "00Dfake!token", **OPTS) as client,
        pytest.raises(sfb.TransportError) as err,
    ):
        sfb.insert(pl.DataFrame({"LastName": ["x"]}), "Contact", client=client, progress=False)
    assert f"127.0.0.1:{port}" in str(err.value)


# ------------------------------------------------------------------------------ CLI input files
def _cli(org: Served, *args: str) -> list[str]:
    return [*args, "--instance-url", org.url, "--access-token", org.token]


def test_cli_refuses_a_file_that_is_not_utf8_before_sending(
    org: Served, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "latin1.csv"
    path.write_bytes("LastName,Title\nMüller,Señor\n".encode("latin-1"))
    code = cli.main(_cli(org, "insert", "Contact", str(path), "--no-progress"))
    out = capsys.readouterr()
    assert code != 0
    assert "UTF-8" in out.err
    assert "latin1.csv" in out.err
    assert not org.recorder.created_jobs(), "a job was created for an unreadable file"
    assert org.emulator.count("Contact") == 0


def test_cli_loads_a_bom_prefixed_csv_with_the_right_header(
    org: Served, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "excel.csv"
    path.write_bytes(b"\xef\xbb\xbfLastName,Title\r\nLee,Dr\r\nKim,Prof\r\n")
    code = cli.main(_cli(org, "insert", "Contact", str(path), "--no-progress",
                         "--output-dir", str(tmp_path / "out")))
    out = capsys.readouterr()
    assert code == 0, out.err
    stored = sorted(org.emulator.sql('SELECT LastName, Title FROM "Contact"'))
    assert stored == [("Kim", "Prof"), ("Lee", "Dr")]


def test_cli_with_the_wrong_separator_fails_without_loading_anything_silently(
    org: Served, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "semicolons.csv"
    path.write_text("LastName;Title\nLee;Dr\n")
    code = cli.main(_cli(org, "insert", "Contact", str(path), "--no-progress",
                         "--output-dir", str(tmp_path / "out")))
    out = capsys.readouterr()
    assert code != 0
    assert "LastName;Title" in out.err + out.out
    assert org.emulator.count("Contact") == 0


def test_cli_missing_file_is_a_clear_error(org: Served, tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    code = cli.main(_cli(org, "insert", "Contact", str(tmp_path / "nope.csv"), "--no-progress"))
    out = capsys.readouterr()
    assert code != 0
    assert "nope.csv" in out.err
    assert not org.recorder.created_jobs()
