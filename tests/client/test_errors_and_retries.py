"""Error bodies mapped to typed exceptions; retries under injected faults; uploads never twice."""

from __future__ import annotations

import gzip
import time

import httpx
import pytest

from sfbulk_frames._config import RetryPolicy
from sfbulk_frames._exceptions import (
    InvalidFieldError,
    InvalidJobError,
    InvalidJobStateError,
    InvalidTypeError,
    MalformedQueryError,
    NotFoundError,
    RateLimitedError,
    RequestLimitExceededError,
    SalesforceError,
    ServerError,
    TransportError,
)
from sfbulk_frames._models import JobState
from sfbulk_frames.client.clients import Client
from sfbulk_frames.testing import fast_polling

from .conftest import CONTACTS_CSV, FAST_RETRY, Org, Traced

UNKNOWN_JOB = "750R0000000zxr8IAA"


def _fired(org: Org, kind: str) -> int:
    return org.emu.faults.fired_kinds().count(kind)


# ------------------------------------------------------------------------------ error mapping


def test_unknown_job_is_not_found_naming_the_job(local_client: Client) -> None:
    with pytest.raises(NotFoundError) as caught:
        local_client.ingest_job(UNKNOWN_JOB).info()
    err = caught.value
    assert err.status == 404
    assert err.error_code == "NOT_FOUND"
    assert err.method == "GET"
    assert err.url is not None
    assert UNKNOWN_JOB in err.url
    assert UNKNOWN_JOB in str(err)
    assert "list_jobs" in str(err)


def test_unknown_object_is_an_invalid_job(local_client: Client) -> None:
    with pytest.raises(InvalidJobError, match="Accout") as caught:
        local_client.create_ingest_job("Accout", "insert")
    assert caught.value.status == 400


def test_bad_external_id_field_is_an_invalid_job(local_client: Client) -> None:
    with pytest.raises(InvalidJobError, match="Email"):
        local_client.create_ingest_job("Contact", "upsert", external_id_field="Email")


@pytest.mark.parametrize(
    ("soql", "error"),
    [
        ("SELECT Id FROM Accout", InvalidTypeError),
        ("SELECT Id, Foo__c FROM Account", InvalidFieldError),
        ("SELECT Id FROM Account WHERE", MalformedQueryError),
        ("SELECT COUNT() FROM Account GROUP BY Name", MalformedQueryError),
    ],
)
def test_rejected_soql_maps_to_query_errors(
    local_client: Client, soql: str, error: type[SalesforceError]
) -> None:
    with pytest.raises(error) as caught:
        local_client.create_query_job(soql)
    assert caught.value.status == 400


def test_abort_of_completed_job_is_an_invalid_job_state(local_client: Client) -> None:
    job = local_client.create_ingest_job("Contact", "insert")
    job.upload(CONTACTS_CSV)
    job.close()
    job.wait()
    with pytest.raises(InvalidJobStateError, match="Aborting already Completed Job"):
        job.abort()


def test_second_upload_is_an_invalid_job(local_client: Client) -> None:
    job = local_client.create_ingest_job("Contact", "insert")
    job.upload(CONTACTS_CSV)
    with pytest.raises(InvalidJobError, match=job.id):
        job.upload(CONTACTS_CSV)


def test_api_limit_is_not_retried(local: Org, traced: Traced) -> None:
    local.emu.faults.api_limit(0)
    with pytest.raises(RequestLimitExceededError) as caught:
        traced.client.ingest_job(UNKNOWN_JOB).info()
    assert caught.value.status == 403
    assert caught.value.error_code == "REQUEST_LIMIT_EXCEEDED"
    assert "wait" in str(caught.value)
    assert len(traced.requests) == 1


def test_requests_carry_call_options_and_accept_gzip(traced: Traced) -> None:
    traced.client.limits()
    sent = traced.requests[-1]
    assert sent.headers["Sforce-Call-Options"] == "client=my-app"
    assert "gzip" in sent.headers["Accept-Encoding"]
    assert sent.headers["Accept"] == "application/json"
    assert sent.url.path == "/services/data/v62.0/limits"


# ------------------------------------------------------------------------------ retries


def test_get_retries_through_5xx(org: Org, client: Client) -> None:
    job = client.create_ingest_job("Contact", "insert")
    org.emu.faults.http("/jobs/ingest/*", 503, times=2, method="GET")
    org.emu.faults.http("/jobs/ingest/*", 500, times=1, method="GET")
    assert job.info().state is JobState.OPEN
    assert _fired(org, "http") == 3


def test_get_gives_up_after_max_attempts(org: Org, client: Client) -> None:
    job = client.create_ingest_job("Contact", "insert")
    org.emu.faults.http("/jobs/ingest/*", 502, times=10, method="GET")
    with pytest.raises(ServerError) as caught:
        job.info()
    assert caught.value.status == 502
    assert _fired(org, "http") == FAST_RETRY.max_attempts


def test_get_retries_dropped_connections(org: Org, client: Client) -> None:
    job = client.create_ingest_job("Contact", "insert")
    org.emu.faults.drop("/jobs/ingest/*", times=1, when="before", method="GET")
    org.emu.faults.drop("/jobs/ingest/*", times=1, when="midway", method="GET")
    assert job.info().id == job.id
    assert _fired(org, "drop") == 2


def test_dropped_connections_exhausting_retries_raise_transport_error(
    org: Org, client: Client
) -> None:
    org.emu.faults.drop("/limits", times=10)
    with pytest.raises(TransportError) as caught:
        client.limits()
    assert "after 4 attempt" in str(caught.value)
    assert org.emu.token not in str(caught.value)


def test_429_honours_retry_after(local: Org) -> None:
    local.emu.faults.http("/limits", 429, times=1, retry_after=1)
    with fast_polling(False), local.client(retry=RetryPolicy(backoff_initial=0.001)) as client:
        started = time.monotonic()
        client.limits()
        elapsed = time.monotonic() - started
    assert elapsed >= 0.9
    assert _fired(local, "http") == 1


def test_429_exhausted_is_rate_limited(local: Org) -> None:
    local.emu.faults.http("/limits", 429, times=10, retry_after=0)
    retry = RetryPolicy(max_attempts=2, backoff_initial=0.001)
    with local.client(retry=retry) as client, pytest.raises(RateLimitedError):
        client.limits()


def test_job_create_is_not_retried_after_5xx(org: Org, client: Client) -> None:
    org.emu.faults.http("/jobs/ingest", 503, times=1, method="POST")
    with pytest.raises(ServerError):
        client.create_ingest_job("Contact", "insert")
    assert _fired(org, "http") == 1
    assert client.list_jobs() == []  # nothing created behind our back


def test_job_create_is_not_retried_after_a_dropped_connection(org: Org, client: Client) -> None:
    org.emu.faults.drop("/jobs/ingest", times=1, when="midway", method="POST")
    with pytest.raises(TransportError, match="not retried"):
        client.create_ingest_job("Contact", "insert")
    assert len(client.list_jobs()) == 1  # the one the server made before the answer was cut


@pytest.mark.parametrize(
    ("fault", "error"),
    [
        (("http", 500), ServerError),
        (("http", 503), ServerError),
        (("drop", "before"), TransportError),
        (("drop", "midway"), TransportError),
    ],
)
def test_failed_upload_aborts_the_job_and_sends_nothing_twice(
    org: Org,
    client: Client,
    fault: tuple[str, object],
    error: type[Exception],
) -> None:
    before = org.emu.count("Contact")
    job = client.create_ingest_job("Contact", "insert")
    kind, detail = fault
    if kind == "http":
        org.emu.faults.http("/jobs/ingest/*/batches", int(detail), times=5)  # type: ignore[call-overload]
    else:
        org.emu.faults.drop("/jobs/ingest/*/batches", times=5, when=str(detail))
    with pytest.raises(error) as caught:  # type: ignore[call-overload]
        job.upload(CONTACTS_CSV)
    message = str(caught.value)
    assert job.id in message
    assert "new job" in message
    assert "aborted" in message
    assert _fired(org, kind) == 1  # the PUT was sent exactly once
    assert job.info().state is JobState.ABORTED
    assert org.emu.count("Contact") == before
    assert max(org.emu.jobs_seen().values(), default=0) <= 1


def test_upload_retries_only_an_explicit_429_refusal(org: Org, client: Client) -> None:
    job = client.create_ingest_job("Contact", "insert")
    org.emu.faults.http("/jobs/ingest/*/batches", 429, times=1, retry_after=0)
    job.upload(CONTACTS_CSV)
    job.close()
    assert job.wait().number_records_processed == 2
    assert org.emu.jobs_seen()[job.id] == 1


def test_gzip_upload_is_accepted(local: Org) -> None:
    sent: list[httpx.Request] = []
    hooks = {"request": [sent.append]}
    with httpx.Client(transport=local.emu.transport(), event_hooks=hooks) as http, Client(
        local.url, local.emu.token, http_client=http, gzip_threshold=10
    ) as client:
        job = client.create_ingest_job("Contact", "insert")
        job.upload(CONTACTS_CSV)
        job.close()
        assert job.wait().number_records_processed == 2
    put = next(r for r in sent if r.method == "PUT")
    assert put.headers["Content-Encoding"] == "gzip"
    assert put.headers["Content-Type"] == "text/csv"
    assert gzip.decompress(put.content) == CONTACTS_CSV
