"""Fixes reported by the engineers using the emulator: cut bodiless answers, the 429 error code,
the token endpoint's answers to GET and gzip, query jobs failing in SQLite, and external IDs
matching case-insensitively."""

from __future__ import annotations

import gzip
import time
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest

from sfbulk_frames.emulator import Emulator

BASE = "/services/data/v62.0"
Api = Any  # the ``api`` helper of conftest.py (a fixture, not importable)


def make_http(emu: Emulator, base_url: str | None = None) -> httpx.Client:
    return httpx.Client(
        transport=None if base_url else emu.transport(),
        base_url=base_url or emu.instance_url,
        headers={"Authorization": f"Bearer {emu.token}"},
        timeout=30,
    )


# -- a. a midway drop of a bodiless answer still breaks the connection ----------------------------
@pytest.mark.server
def test_midway_drop_of_a_bodiless_201_upload_answer_fails_on_the_client(
    emu: Emulator, api_factory: Any
) -> None:
    with emu.serve(port=0) as server, make_http(emu, server.url) as http:
        api = api_factory(http, emu)
        job_id = api.new_ingest("Contact", "insert")
        emu.faults.drop("/jobs/ingest/*/batches", when="midway")
        with pytest.raises(httpx.TransportError):
            api.upload(job_id, "LastName\nA\n")
        assert emu.jobs_seen() == {job_id: 1}  # the upload was taken before the answer was cut


@pytest.mark.server
def test_midway_drop_of_a_204_delete_answer_fails_on_the_client(
    emu: Emulator, api_factory: Any
) -> None:
    with emu.serve(port=0) as server, make_http(emu, server.url) as http:
        api = api_factory(http, emu)
        job_id = api.new_ingest("Contact", "insert")
        assert api.patch(job_id, "Aborted").status_code == 200
        emu.faults.drop("/jobs/ingest/*", when="midway", method="DELETE")
        with pytest.raises(httpx.TransportError):
            http.delete(f"{BASE}/jobs/ingest/{job_id}")
        assert api.info(job_id).status_code == 404  # deleted all the same


# -- b. an injected 429 does not pretend to be the daily API limit -------------------------------
def test_injected_429_has_its_own_error_code(api: Api) -> None:
    api.emu.faults.http("/limits", 429, retry_after=3)
    response = api.http.get(f"{BASE}/limits")
    assert response.status_code == 429
    assert response.headers["Retry-After"] == "3"
    (error,) = response.json()
    assert error["errorCode"] == "TOO_MANY_REQUESTS"
    assert error["errorCode"] != "REQUEST_LIMIT_EXCEEDED"


# -- c./d. the token endpoint -------------------------------------------------------------------
def test_get_on_the_token_endpoint_answers_like_salesforce(http: httpx.Client) -> None:
    response = http.get("/services/oauth2/token")
    assert response.status_code == 400
    assert response.json() == {
        "error": "invalid_request",
        "error_description": "must use HTTP POST",
    }


def test_gzip_encoded_token_request_is_accepted(http: httpx.Client) -> None:
    form = urlencode(
        {
            "grant_type": "password",
            "client_id": "any-client",
            "client_secret": "any-secret",
            "username": "admin@example.com",
            "password": "password",
        }
    ).encode()
    response = http.post(
        "/services/oauth2/token",
        content=gzip.compress(form),
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "Content-Encoding": "gzip",
        },
    )
    assert response.status_code == 200, response.text
    assert response.json()["access_token"]


# -- e. a database error fails the query job, not the worker -------------------------------------
@pytest.mark.parametrize("mode", ["instant", "background"])
def test_query_failing_in_sqlite_marks_the_job_failed(mode: str, api_factory: Any) -> None:
    with Emulator(seed=3, processing=mode) as emu, make_http(emu) as http:
        api = api_factory(http, emu)
        emu.org.conn.execute('ALTER TABLE "Contact" DROP COLUMN "Title"')  # break the org
        job_id = api.query("SELECT Id, Title FROM Contact")
        info = _wait_for_query(api, job_id)
        assert info["state"] == "Failed"
        assert job_id in info["errorMessage"]
        assert "Title" in info["errorMessage"]
        healthy = _wait_for_query(api, api.query("SELECT Id, LastName FROM Contact"))
        assert healthy["state"] == "JobComplete"  # the worker is still alive


def _wait_for_query(api: Api, job_id: str) -> dict[str, object]:
    for _ in range(200):
        info: dict[str, object] = api.info(job_id, "query").json()
        if info["state"] in ("JobComplete", "Failed", "Aborted"):
            return info
        api.emu.job(job_id)  # raises if the job vanished
        time.sleep(0.02)
    raise AssertionError(f"query job {job_id} did not finish")


# -- f. external IDs match case-insensitively ----------------------------------------------------
def test_upsert_matches_external_ids_ignoring_case(api: Api) -> None:
    first = api.ingest("Contact", "insert", "LastName,ExternalId__c\nLee,Ext-Abc\n")
    (created,) = first.successful
    second = api.ingest(
        "Contact",
        "upsert",
        "LastName,ExternalId__c\nLee-Updated,eXT-aBC\n",
        externalIdFieldName="ExternalId__c",
    )
    (updated,) = second.successful
    assert updated["sf__Created"] == "false"
    assert updated["sf__Id"] == created["sf__Id"]
    assert api.emu.count("Contact") == 1
    assert api.emu.sql('SELECT LastName FROM "Contact"') == [("Lee-Updated",)]


def test_upsert_rows_whose_keys_differ_only_in_case_are_duplicates(api: Api) -> None:
    outcome = api.ingest(
        "Contact",
        "upsert",
        "LastName,ExternalId__c\nA,k-1\nB,K-1\nC,k-2\n",
        externalIdFieldName="ExternalId__c",
    )
    assert [r["LastName"] for r in outcome.successful] == ["C"]
    assert sorted(r["LastName"] for r in outcome.failed) == ["A", "B"]
    assert all(r["sf__Error"].startswith("DUPLICATE_EXTERNAL_ID") for r in outcome.failed)


def test_relationship_column_resolves_external_ids_ignoring_case(api: Api) -> None:
    account = api.ingest("Account", "insert", "Name,ExternalId__c\nAcme,ACC-One\n")
    (acme,) = account.successful
    outcome = api.ingest(
        "Contact", "insert", "LastName,Account.ExternalId__c\nLee,acc-one\nWong,acc-two\n"
    )
    (linked,) = outcome.successful
    assert linked["LastName"] == "Lee"
    (missing,) = outcome.failed
    assert "acc-two" in missing["sf__Error"]
    assert api.emu.sql('SELECT AccountId FROM "Contact" WHERE LastName = ?', ["Lee"]) == [
        (acme["sf__Id"],)
    ]


def test_unique_external_id_clash_ignores_case_on_insert(api: Api) -> None:
    api.ingest("Contact", "insert", "LastName,ExternalId__c\nLee,Z-9\n")
    outcome = api.ingest("Contact", "insert", "LastName,ExternalId__c\nWong,z-9\n")
    (failed,) = outcome.failed
    assert failed["sf__Error"].startswith("DUPLICATE_VALUE")
    assert api.emu.count("Contact") == 1


def test_token_request_body_is_gunzipped_exactly_once(http: httpx.Client) -> None:
    form = urlencode({"grant_type": "password", "username": "admin@example.com"}).encode()
    response = http.post(
        "/services/oauth2/token",
        content=gzip.compress(gzip.compress(form)),  # one Content-Encoding, two layers
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "Content-Encoding": "gzip",
        },
    )
    assert response.status_code == 400
    assert response.json()["error"] == "unsupported_grant_type"  # the inner layer stays binary
