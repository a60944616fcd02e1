"""Messages for the mistakes users make first: each names what is wrong, where, and what to do
next, in one or two lines — never a raw HTML page, never a token."""

from __future__ import annotations

import io
import logging
import re
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pandas as pd
import polars as pl
import pytest

import sfbulk_frames as sfb
from sfbulk_frames._exceptions import (
    ConfigurationError,
    InvalidJobError,
    InvalidSessionError,
    InvalidTypeError,
    NotFoundError,
    NotSalesforceError,
    PreflightError,
    RequestLimitExceededError,
)
from sfbulk_frames.cli.common import Printer
from sfbulk_frames.cli.summary import print_load_summary
from sfbulk_frames.client.clients import Client

from .conftest import FAST_RETRY, Org

PAGE = (
    b"<!DOCTYPE html><html><head><title>Welcome</title></head><body>"
    + b"x" * 5000
    + (b"</body></html>")
)


class _WebSite(BaseHTTPRequestHandler):
    """A web site that is not Salesforce: an HTML page for GET, an HTML 404 for anything else."""

    def _page(self, status: int) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(PAGE)))
        self.end_headers()
        self.wfile.write(PAGE)

    def do_GET(self) -> None:
        self._page(200)

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self._page(404)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def website() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _WebSite)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.mark.parametrize("call", ["describe", "create_ingest_job"])
def test_a_url_that_is_not_salesforce_is_named_in_one_line(website, call):
    client = Client(website, "token-value", retry=FAST_RETRY)
    request = {
        "describe": lambda: client.describe("Contact"),
        "create_ingest_job": lambda: client.create_ingest_job("Contact", "insert"),
    }[call]
    with pytest.raises(NotSalesforceError) as caught:
        request()
    text = str(caught.value)
    assert f"{website} is not a Salesforce instance URL" in text
    assert "HTML page" in text
    assert "my.salesforce.com" in text  # the next step: the org's own URL
    assert "<html" not in text.lower()
    assert "Welcome" not in text
    assert "list_jobs" not in text
    assert "\n" not in text
    assert "token-value" not in text


def test_an_instance_url_with_a_path_is_normalized_with_a_warning(local: Org, caplog):
    caplog.set_level(logging.WARNING, logger="sfbulk_frames")
    client = Client(local.url + "/services/data/v62.0/", local.emu.token, **local.options())
    assert client.instance_url == local.url
    assert any(
        "has a path" in r.getMessage() and local.url in r.getMessage() for r in caplog.records
    )
    assert client.describe("Contact")["name"] == "Contact"  # and it works


def test_nulls_errors_read_right():
    frame = pd.DataFrame({"LastName": ["Lee"]})
    with pytest.raises(ConfigurationError) as whole:
        frame.sfbulk.insert("Contact", nulls="nope", progress=False)
    assert str(whole.value).startswith("nulls='nope' is not a null policy; use 'skip'")
    assert "nulls for" not in str(whole.value)
    with pytest.raises(ConfigurationError) as per_column:
        frame.sfbulk.insert("Contact", nulls={"Title": "nope"}, progress=False)
    assert str(per_column.value).startswith("nulls={'Title': 'nope'} is not a null policy")


def test_request_limit_message_has_no_double_period(local: Org, local_client: Client):
    local.emu.faults.api_limit(0)
    with pytest.raises(RequestLimitExceededError) as caught:
        local_client.describe("Contact")
    text = str(caught.value)
    assert ".." not in text
    assert "wait for the rolling 24-hour window" in text


def test_unknown_object_in_describe_gets_a_did_you_mean(local_client: Client):
    with pytest.raises(NotFoundError) as caught:
        local_client.describe("Contcat")
    text = str(caught.value)
    assert "object 'Contcat' not found; did you mean 'Contact'?" in text
    assert "sfbulk describe Contact" in text


def test_unknown_object_in_a_load_gets_a_did_you_mean(local_client: Client):
    frame = pl.DataFrame({"LastName": ["Lee"]})
    with pytest.raises(InvalidJobError) as caught:
        frame.sfbulk.insert("Acount", client=local_client, progress=False)
    assert "object 'Acount' not found; did you mean 'Account'?" in str(caught.value)


def test_unknown_object_in_a_query_gets_a_did_you_mean(local_client: Client):
    with pytest.raises(InvalidTypeError) as caught:
        sfb.query("SELECT Id FROM Contcat", client=local_client, progress=False)
    assert "did you mean 'Contact'?" in str(caught.value)


def test_an_object_like_nothing_says_how_to_check_names(local_client: Client):
    with pytest.raises(NotFoundError) as caught:
        local_client.describe("Qwxzzy")
    text = str(caught.value)
    assert "object 'Qwxzzy' not found in this org" in text
    assert "__c" in text
    assert "sfbulk describe" in text


def test_upsert_key_that_is_not_a_field(local_client: Client):
    frame = pl.DataFrame({"Nope__c": ["k-1"], "LastName": ["Lee"]})
    with pytest.raises(InvalidJobError) as caught:
        frame.sfbulk.upsert(
            "Contact", "Nope__c", client=local_client, progress=False, preflight=False
        )
    text = str(caught.value)
    assert "upsert Contact on 'Nope__c': 'Nope__c' is not a field of Contact" in text
    assert "'ExternalId__c'" in text  # the External ID fields to choose from
    assert "--external-id" in text


def test_upsert_key_that_is_a_field_but_not_an_external_id(local_client: Client):
    frame = pl.DataFrame({"LastName": ["Lee"]})
    with pytest.raises(InvalidJobError) as caught:
        frame.sfbulk.upsert(
            "Contact", "LastName", client=local_client, progress=False, preflight=False
        )
    text = str(caught.value)
    assert "Contact.LastName is not an External ID field" in text
    assert "External ID fields of Contact: 'ExternalId__c'" in text
    assert "mark the field External ID in Setup" in text


@pytest.mark.parametrize("key", ["Nope__c", "LastName"])
def test_upsert_key_that_is_not_an_external_id_is_caught_by_preflight_before_any_job(
    local_client: Client, key: str
):
    frame = pl.DataFrame({key: ["k-1"], "Email": ["lee@example.com"]})
    jobs_before = len(local_client.list_jobs())
    with pytest.raises(PreflightError) as caught:
        frame.sfbulk.upsert("Contact", key, client=local_client, progress=False)
    text = str(caught.value)
    assert f"'{key}'" in text  # what
    assert "Contact" in text  # where
    assert "'ExternalId__c'" in text  # the next step: an External ID field to use instead
    assert len(local_client.list_jobs()) == jobs_before  # nothing was sent


def test_missing_credentials_name_the_variables_and_the_client():
    with pytest.raises(ConfigurationError) as caught:
        Client.from_env({})
    text = str(caught.value)
    for name in ("SF_INSTANCE_URL", "SF_ACCESS_TOKEN", "SF_USERNAME", "SF_CLIENT_ID"):
        assert name in text
    assert "Client(instance_url, access_token)" in text


def test_a_wrong_token_says_so_and_is_never_printed(local: Org):
    client = Client(local.url, "00Dwrong!token", **local.options())
    with pytest.raises(InvalidSessionError) as caught:
        client.describe("Contact")
    text = str(caught.value)
    assert "access token is expired or invalid" in text
    assert "pass a fresh token" in text
    assert "00Dwrong!token" not in text + repr(caught.value) + repr(client)
    assert not re.search(r"[^.]\.\.[^.]", text)  # no double period (an ellipsis is fine)


def test_one_row_and_one_job_are_singular(local_client: Client):
    res = pd.DataFrame({"LastName": ["Lee"]}).sfbulk.insert(
        "Contact", client=local_client, progress=False
    )
    assert "1 row —" in repr(res)
    assert "1 job (" in repr(res)
    assert "1 job," in res._repr_html_()
    assert "job(s)" not in res._repr_html_()
    out = io.StringIO()
    print_load_summary(
        Printer(out=out),
        title="insert Contact",
        jobs=res.jobs,
        paths={},
        elapsed=1.0,
        frames={
            "successful": pl.DataFrame({"a": [1]}),
            "failed": pl.DataFrame(),
            "unprocessed": pl.DataFrame(),
        },
    )
    assert out.getvalue().startswith("insert Contact: 1 row, 1 job, 1.0 s")


def test_pandas_html_preview_shortens_long_cells(local_client: Client):
    title = "Head of " + "very " * 40 + "long titles"
    frame = pd.DataFrame({"LastName": ["Lee"], "Title": [title]})
    res = frame.sfbulk.insert("Contact", client=local_client, progress=False)
    assert len(res.failed) == 1  # Title is longer than the field allows
    page = res._repr_html_()
    assert title not in page
    assert title[:49] + "…" in page
    assert "STRING_TOO_LONG" in page  # the error column is still on the screen
    assert res.failed["Title"].iloc[0] == title  # the frame itself is untouched
