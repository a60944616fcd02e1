"""Faults on demand: HTTP errors, dropped connections, lock errors, partial failures, slow
processing, API limits, token expiry; from Python and from the control endpoint."""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest

from sfbulk_frames.emulator import Emulator

BASE = "/services/data/v62.0"
CSV = "LastName\n" + "".join(f"N{i}\n" for i in range(20))


def test_http_fault_answers_with_status_body_and_retry_after(api: Any) -> None:
    api.emu.faults.http("/limits", 503, times=2, retry_after=3)
    first = api.http.get(f"{BASE}/limits")
    second = api.http.get(f"{BASE}/limits")
    third = api.http.get(f"{BASE}/limits")
    assert [first.status_code, second.status_code, third.status_code] == [503, 503, 200]
    assert first.headers["Retry-After"] == "3"
    assert first.json()[0]["errorCode"] == "SERVER_UNAVAILABLE"
    assert api.emu.faults.fired_kinds() == ["http", "http"]


def test_http_fault_429_matches_glob_and_method(api: Any) -> None:
    job_id = api.new_ingest("Contact", "insert")
    api.emu.faults.http("/jobs/ingest/*/batches", 429, retry_after=1, method="PUT")
    assert api.info(job_id).status_code == 200
    response = api.upload(job_id, CSV)
    assert response.status_code == 429
    assert response.headers["Retry-After"] == "1"
    assert api.upload(job_id, CSV).status_code == 201
    assert api.emu.jobs_seen() == {job_id: 1}


def test_drop_before_raises_remote_protocol_error_and_skips_the_upload(api: Any) -> None:
    job_id = api.new_ingest("Contact", "insert")
    api.emu.faults.drop("/jobs/ingest/*/batches")
    with pytest.raises(httpx.RemoteProtocolError):
        api.upload(job_id, CSV)
    assert api.emu.jobs_seen() == {}
    assert api.upload(job_id, CSV).status_code == 201


def test_drop_midway_processes_the_request_but_cuts_the_answer(api: Any) -> None:
    outcome = api.ingest("Contact", "insert", CSV)
    api.emu.faults.drop("/jobs/ingest/*/successfulResults", when="midway")
    with pytest.raises(httpx.ReadError):
        api.result(outcome.job_id, "successfulResults")
    assert api.result(outcome.job_id, "successfulResults").status_code == 200


def test_lock_rows_fails_a_seeded_share_with_unable_to_lock_row(api: Any) -> None:
    api.emu.faults.lock_rows(0.5)
    outcome = api.ingest("Contact", "insert", CSV)
    assert 0 < len(outcome.failed) < 20
    assert {r["sf__Error"] for r in outcome.failed} == {
        "UNABLE_TO_LOCK_ROW:unable to obtain exclusive access to this record or 1 records: --"
    }
    assert api.emu.count("Contact") == len(outcome.successful)


def test_fail_partway_leaves_the_rest_unprocessed(api: Any) -> None:
    api.emu.faults.fail_partway(8)
    outcome = api.ingest("Contact", "insert", CSV)
    assert outcome.info["state"] == "Failed"
    assert outcome.info["numberRecordsProcessed"] == 8
    assert outcome.info["errorMessage"]
    unprocessed = outcome.unprocessed_text.splitlines()
    assert unprocessed[0] == '"LastName"'  # re-quoted, as real orgs answer
    assert len(unprocessed) == 1 + 12
    assert len(outcome.successful) == 8
    assert api.emu.count("Contact") == 8


def test_slow_processing_shows_in_progress_in_background_mode(open_api: Any) -> None:
    # a slow fault far longer than the test: the job must sit InProgress with no row written
    # (the worker pauses before its batch) until it is aborted, whatever the machine's speed
    with (
        Emulator(processing="background") as emu,
        open_api(emu) as api,
    ):
        emu.faults.slow(600)
        job_id = api.new_ingest("Contact", "insert")
        api.upload(job_id, CSV)
        assert api.patch(job_id, "UploadComplete").status_code == 200
        states = []
        for _ in range(2000):  # the worker picks the job up after processing_delay=0
            states.append(api.info(job_id).json()["state"])
            if states[-1] != "UploadComplete":
                break
            time.sleep(0.005)  # poll interval only: no assertion depends on elapsed time
        assert states[-1] == "InProgress", states[-5:]
        assert [(f.kind, f.detail) for f in emu.faults.fired] == [
            ("slow", {"job": job_id, "seconds": 600})
        ]
        assert api.info(job_id).json()["state"] == "InProgress"
        assert emu.count("Contact") == 0
        assert api.patch(job_id, "Aborted").status_code == 200
        assert api.info(job_id).json()["state"] == "Aborted"


def test_api_limit_answers_403_request_limit_exceeded(api: Any) -> None:
    api.emu.faults.api_limit(2)
    assert api.http.get(f"{BASE}/limits").status_code == 200
    assert api.http.get(f"{BASE}/limits").status_code == 200
    refused = api.http.get(f"{BASE}/limits")
    assert refused.status_code == 403
    assert refused.json() == [
        {"errorCode": "REQUEST_LIMIT_EXCEEDED", "message": "TotalRequests Limit exceeded."}
    ]
    assert refused.headers["Sforce-Limit-Info"] == "api-usage=2/2"


def test_control_endpoint_configures_faults_without_auth(emu: Emulator, api: Any) -> None:
    with httpx.Client(transport=emu.transport(), base_url=emu.instance_url) as control:
        answer = control.post(
            "/__emulator__/faults", json={"kind": "http", "route": "/limits", "status": 500}
        )
        assert answer.status_code == 200
        assert control.post("/__emulator__/faults", json={"kind": "nope"}).status_code == 400
        assert api.http.get(f"{BASE}/limits").status_code == 500
        control.post("/__emulator__/faults", json={"kind": "expire_tokens"})
        assert api.http.get(f"{BASE}/limits").status_code == 401
        fired = control.get("/__emulator__/state").json()["faults"]["fired"]
    assert [f["kind"] for f in fired] == ["http", "expire_tokens"]


def test_clear_removes_pending_faults(api: Any) -> None:
    api.emu.faults.http("/limits", 503, times=5).lock_rows(1.0).api_limit(1)
    api.emu.faults.clear()
    assert api.http.get(f"{BASE}/limits").status_code == 200
    assert api.ingest("Contact", "insert", CSV).failed == []


def test_faults_over_the_real_server(emu: Emulator) -> None:
    emu.faults.http("/limits", 503, retry_after=2)
    with (
        emu.serve(port=0) as server,
        httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {emu.token}"}) as http,
    ):
        response = http.get(f"{BASE}/limits")
        assert response.status_code == 503
        assert response.headers["Retry-After"] == "2"
        emu.faults.drop("/limits")
        with pytest.raises(httpx.TransportError):
            http.get(f"{BASE}/limits")
        assert http.get(f"{BASE}/limits").status_code == 200


Api = Any  # the ``api`` helper of conftest.py (a fixture, not importable)


# -- an injected 429 does not pretend to be the daily API limit -------------------------------
def test_injected_429_has_its_own_error_code(api: Api) -> None:
    api.emu.faults.http("/limits", 429, retry_after=3)
    response = api.http.get(f"{BASE}/limits")
    assert response.status_code == 429
    assert response.headers["Retry-After"] == "3"
    (error,) = response.json()
    assert error["errorCode"] == "TOO_MANY_REQUESTS"
    assert error["errorCode"] != "REQUEST_LIMIT_EXCEEDED"
