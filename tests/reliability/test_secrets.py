"""No secret leaks: across success and failure paths, every DEBUG log record, every repr/str of
clients, jobs, results and exceptions, and the CLI's output are searched for every credential
that crossed the wire (access and refresh tokens, password, client secret, JWT assertion) and for
the private key's PEM body."""

from __future__ import annotations

import logging
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import polars as pl
import pytest

import sfbulk_frames as sfb

from .auth_setup import (
    CLIENT_ID,
    CLIENT_SECRET,
    PASSWORD,
    USERNAME,
    KeyPair,
    emulator_options,
    make_key_pair,
)
from .conftest import FAST_POLL, FAST_RETRY, Served, _served

pytestmark = pytest.mark.server

OPTS: dict[str, Any] = {"retry": FAST_RETRY, "poll": FAST_POLL}


@pytest.fixture(scope="module")
def keys() -> KeyPair:
    return make_key_pair()


@pytest.fixture
def org(keys: KeyPair) -> Iterator[Served]:
    yield from _served(**emulator_options(keys))


class Exposure:
    """Everything a user, a log or a terminal could see."""

    def __init__(self) -> None:
        self.texts: list[str] = []

    def see(self, *objects: Any) -> None:
        for obj in objects:
            self.texts += [repr(obj), str(obj)]
            cause = getattr(obj, "__cause__", None) or getattr(obj, "__context__", None)
            if isinstance(cause, BaseException):
                self.texts += [repr(cause), str(cause)]

    def attempt(self, action: Callable[[], Any]) -> Any:
        try:
            outcome = action()
        except Exception as exc:  # every failure path is part of the exposure
            self.see(exc, type(exc).__name__)
            return exc
        self.see(outcome)
        return outcome


def _secrets(org: Served, keys: KeyPair) -> list[str]:
    found = {PASSWORD, CLIENT_SECRET, *org.recorder.credentials, *keys.private_body_lines}
    for token in list(found):
        if "!" in token:  # the random part of a Salesforce-style token alone is a secret too
            found.add(token.split("!", 1)[1])
    return sorted(s for s in found if len(s) >= 8)


def _assert_nothing_leaked(texts: list[str], secrets: list[str]) -> None:
    haystack = "\n".join(texts)
    leaked = [s[:6] + "…" for s in secrets if s in haystack]
    assert not leaked, f"{len(leaked)} secret(s) leaked (shown truncated): {leaked}"


def _load(client: sfb.Client) -> sfb.BulkResult:
    df = pl.DataFrame({"LastName": ["ok", None, "ok2"], "Title": ["a", "b", "c"]})
    return sfb.insert(df, "Contact", client=client, progress="log", max_records=2)


def test_no_secret_in_logs_reprs_or_errors(org: Served, keys: KeyPair,
                                           caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="sfbulk_frames")
    seen = Exposure()
    # Success: password login, load with failures, query, job handles.
    with sfb.Client.password_login(USERNAME, PASSWORD, client_id=CLIENT_ID,
                                   client_secret=CLIENT_SECRET, domain=org.url, **OPTS) as client:
        res = seen.attempt(lambda: _load(client))
        seen.see(client, res.jobs, res.summary(), res.failed, client.ingest_job(res.jobs[0].id))
        seen.attempt(lambda: sfb.query("SELECT Id, LastName FROM Contact", client=client,
                                       progress="log"))
        # Token expiry mid-session: refreshed by logging in again.
        org.emulator.expire_tokens()
        seen.attempt(lambda: _load(client))
        # 5xx with retries.
        org.emulator.faults.http("/jobs/ingest/*", 503, times=2, method="GET")
        seen.attempt(lambda: _load(client))
        seen.see(client)
    # Failures: bad password, wrong client secret, 401 without a login flow, revoked refresh.
    seen.attempt(lambda: sfb.Client.password_login(
        USERNAME, PASSWORD + "x", client_id=CLIENT_ID, client_secret=CLIENT_SECRET,
        domain=org.url, **OPTS).limits())
    seen.attempt(lambda: sfb.Client.password_login(
        USERNAME, PASSWORD, client_id=CLIENT_ID, client_secret=CLIENT_SECRET + "x",
        domain=org.url, **OPTS).limits())
    stale = org.token
    org.emulator.expire_tokens()
    seen.attempt(lambda: _load(sfb.Client(org.url, stale, **OPTS)))
    refresh = org.emulator.auth.issue_refresh_token(USERNAME)
    refreshing = sfb.Client.refresh_token_login(refresh, CLIENT_ID, CLIENT_SECRET,
                                                domain=org.url, **OPTS)
    seen.see(refreshing)
    seen.attempt(refreshing.limits)
    org.emulator.auth.expire_refresh_tokens()
    org.emulator.expire_tokens()
    seen.attempt(lambda: _load(refreshing))
    # JWT with a key (success and a wrong user), SOAP and client credentials.
    jwt_client = sfb.Client.jwt_login(CLIENT_ID, USERNAME, keys.private_pem, domain=org.url,
                                      audience="https://login.salesforce.com", **OPTS)
    seen.see(jwt_client)
    seen.attempt(jwt_client.limits)
    seen.attempt(lambda: sfb.Client.jwt_login(
        CLIENT_ID, "nobody@example.com", keys.private_pem, domain=org.url,
        audience="https://login.salesforce.com", **OPTS).limits())
    seen.attempt(lambda: sfb.Client.soap_login(USERNAME, PASSWORD, domain=org.url, **OPTS).limits())
    seen.attempt(lambda: sfb.Client.client_credentials(CLIENT_ID, CLIENT_SECRET, domain=org.url,
                                                       **OPTS).limits())
    # The API limit as a last failure path.
    org.emulator.faults.api_limit(0)
    seen.attempt(lambda: _load(jwt_client))

    logs = [r.getMessage() for r in caplog.records]
    logs += [caplog.text]
    assert len(org.recorder.credentials) >= 6, "the flows did not exercise enough credentials"
    assert any("retry" in line.lower() for line in logs), "the 5xx retries were not logged"
    _assert_nothing_leaked(seen.texts + logs, _secrets(org, keys))


def test_no_secret_in_cli_output(org: Served, keys: KeyPair, tmp_path: Path) -> None:
    data = tmp_path / "contacts.csv"
    data.write_text("LastName,Title\nLee,Dr\n,Missing name\n")
    outputs: list[str] = []
    base = [sys.executable, "-m", "sfbulk_frames"]
    runs = [
        [*base, "insert", "Contact", str(data), "--no-progress", "--output-dir", str(tmp_path),
         "--instance-url", org.url, "--access-token", org.token],
        [*base, "jobs", "list", "--instance-url", org.url, "--access-token", org.token],
        [*base, "query", "SELECT Id FROM Contact", "-o", str(tmp_path / "q.csv"),
         "--instance-url", org.url, "--access-token", org.token],
        [*base, "jobs", "list", "--instance-url", org.url,
         "--access-token", "00Dexpired!" + "Q" * 90],
    ]
    for argv in runs:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=120,
                              env={"PATH": "/usr/bin:/bin", "SFBULK_LOG_LEVEL": "DEBUG"})
        outputs += [done.stdout, done.stderr]
    assert any("Contact" in o or "750" in o for o in outputs), outputs
    secrets = [*_secrets(org, keys), "00Dexpired!" + "Q" * 90, "Q" * 90]
    _assert_nothing_leaked(outputs, secrets)
