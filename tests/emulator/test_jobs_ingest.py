"""Ingest job endpoints and the ingest state machine (protocol §1, §3.1, §3.3)."""

from __future__ import annotations

import time
from typing import Any

import pytest

from sfbulk_frames.emulator import Emulator

BASE = "/services/data/v62.0"
CSV = "FirstName,LastName,Email\nAnn,Lee,ann@example.com\nBo,Wong,bo@example.com\n"
INFO_KEYS = [
    "id",
    "operation",
    "object",
    "createdById",
    "createdDate",
    "systemModstamp",
    "state",
    "concurrencyMode",
    "contentType",
    "apiVersion",
    "jobType",
    "lineEnding",
    "columnDelimiter",
    "numberRecordsProcessed",
    "numberRecordsFailed",
    "retries",
    "totalProcessingTime",
    "apiActiveProcessingTime",
    "apexProcessingTime",
]


def test_lifecycle_create_upload_close_complete(any_api: Any) -> None:
    created = any_api.create_ingest(object="Contact", operation="insert")
    body = created.json()
    job_id = body["id"]
    assert created.status_code == 200
    assert list(body) == [
        "id",
        "operation",
        "object",
        "createdById",
        "createdDate",
        "systemModstamp",
        "state",
        "concurrencyMode",
        "contentType",
        "apiVersion",
        "contentUrl",
        "lineEnding",
        "columnDelimiter",
    ]
    assert body["state"] == "Open"
    assert body["apiVersion"] == 62.0
    assert body["contentUrl"] == f"services/data/v62.0/jobs/ingest/{job_id}/batches"
    assert job_id.startswith("750")
    assert len(job_id) == 18

    uploaded = any_api.upload(job_id, CSV)
    assert uploaded.status_code == 201
    assert uploaded.content == b""
    assert "Sforce-Limit-Info" in uploaded.headers

    closed = any_api.patch(job_id, "UploadComplete")
    assert closed.json()["state"] == "UploadComplete"
    assert "numberRecordsProcessed" not in closed.json()

    info = any_api.info(job_id).json()
    assert list(info) == INFO_KEYS
    assert info["state"] == "JobComplete"
    assert (info["numberRecordsProcessed"], info["numberRecordsFailed"]) == (2, 0)
    assert any_api.emu.count("Contact") == 2

    deleted = any_api.http.delete(f"{BASE}/jobs/ingest/{job_id}")
    assert deleted.status_code == 204
    assert deleted.content == b""
    assert any_api.info(job_id).status_code == 404


def test_open_job_info_has_content_url_and_zero_counters(api: Any) -> None:
    job_id = api.new_ingest("Account", "insert")
    info = api.info(job_id).json()
    assert info["state"] == "Open"
    assert info["contentUrl"].endswith(f"/{job_id}/batches")
    assert info["numberRecordsProcessed"] == 0


def test_upsert_job_reports_external_id_field(api: Any) -> None:
    body = api.create_ingest(
        object="Contact", operation="upsert", externalIdFieldName="externalid__c"
    ).json()
    assert body["externalIdFieldName"] == "ExternalId__c"
    assert list(body).index("externalIdFieldName") == list(body).index("state") + 1


def test_multipart_create_with_data_is_closed_and_processed(api: Any) -> None:
    boundary = "BOUNDARY"
    body = (
        f"--{boundary}\r\nContent-Type: application/json\r\nContent-Disposition: form-data; "
        f'name="job"\r\n\r\n{{"object":"Contact","operation":"insert","lineEnding":"LF"}}\r\n'
        f"--{boundary}\r\nContent-Type: text/csv\r\nContent-Disposition: form-data; "
        f'name="content"; filename="content"\r\n\r\n{CSV}\r\n--{boundary}--\r\n'
    ).encode()
    response = api.http.post(
        f"{BASE}/jobs/ingest",
        content=body,
        headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
    )
    assert response.status_code == 200, response.text
    assert response.json()["state"] == "UploadComplete"
    info = api.info(response.json()["id"]).json()
    assert info["state"] == "JobComplete"
    assert info["numberRecordsProcessed"] == 2


@pytest.mark.parametrize(
    ("spec", "code", "message"),
    [
        (
            {"object": "Accout", "operation": "insert"},
            "INVALIDJOB",
            "InvalidJob : Unable to find object: Accout",
        ),
        (
            {"object": "Contact", "operation": "merge"},
            "API_ERROR",
            "Invalid value: 'merge' supplied for property: 'operation'",
        ),
        (
            {"object": "Contact", "operation": "insert", "columnDelimiter": "COLON"},
            "API_ERROR",
            "Invalid value: 'COLON' supplied for property: 'columnDelimiter'",
        ),
        (
            {"object": "Contact", "operation": "insert", "lineEnding": "CR"},
            "API_ERROR",
            "Invalid value: 'CR' supplied for property: 'lineEnding'",
        ),
        (
            {"object": "Contact", "operation": "insert", "contentType": "JSON"},
            "API_ERROR",
            "Invalid value: 'JSON' supplied for property: 'contentType'",
        ),
        (
            {"object": "Contact", "operation": "upsert", "externalIdFieldName": "Email"},
            "INVALIDJOB",
            "InvalidJob : Field name provided, Email does not match an External ID for Contact",
        ),
    ],
)
def test_create_validation_errors(api: Any, spec: dict[str, str], code: str, message: str) -> None:
    response = api.create_ingest(**spec)
    assert response.status_code == 400
    assert response.json() == [{"errorCode": code, "message": message}]


def test_upsert_without_external_id_field_is_rejected(api: Any) -> None:
    response = api.create_ingest(object="Contact", operation="upsert")
    assert response.status_code == 400
    assert response.json()[0]["errorCode"] == "INVALIDJOB"
    assert "externalIdFieldName" in response.json()[0]["message"]


def test_malformed_json_is_json_parser_error(api: Any) -> None:
    response = api.http.post(
        f"{BASE}/jobs/ingest", content=b'{"object":}', headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400
    assert response.json()[0]["errorCode"] == "JSON_PARSER_ERROR"


def test_second_put_is_rejected_with_multiple_contents_error(api: Any) -> None:
    job_id = api.new_ingest("Contact", "insert")
    assert api.upload(job_id, CSV).status_code == 201
    second = api.upload(job_id, CSV)
    assert second.status_code == 400
    assert second.json()[0]["errorCode"] == "INVALIDJOB"
    assert second.json()[0]["message"].startswith(f"Found multipe contents for job: {job_id}")
    assert api.emu.jobs_seen() == {job_id: 1}


def test_put_to_a_closed_job_is_invalid_job_state(api: Any) -> None:
    job_id = api.new_ingest("Contact", "insert")
    api.patch(job_id, "Aborted")
    response = api.upload(job_id, CSV)
    assert response.status_code == 400
    assert response.json()[0]["errorCode"] == "INVALIDJOBSTATE"


def test_upload_needs_csv_content_type(api: Any) -> None:
    job_id = api.new_ingest("Contact", "insert")
    response = api.upload(job_id, CSV, content_type="application/json")
    assert response.status_code == 415
    assert api.upload(job_id, CSV, content_type="text/csv; charset=UTF-8").status_code == 201


def test_close_without_data_ends_failed(api: Any) -> None:
    job_id = api.new_ingest("Contact", "insert")
    assert api.patch(job_id, "UploadComplete").status_code == 200
    info = api.info(job_id).json()
    assert info["state"] == "Failed"
    assert "No content" in info["errorMessage"]


def test_abort_open_job_leaves_data_unprocessed(api: Any) -> None:
    job_id = api.new_ingest("Contact", "insert")
    api.upload(job_id, CSV)
    response = api.patch(job_id, "Aborted")
    assert response.status_code == 200
    assert response.json()["state"] == "Aborted"
    assert api.info(job_id).json()["state"] == "Aborted"
    # re-serialized as real orgs answer: quoted text, no final newline
    assert api.result(job_id, "unprocessedrecords").text == (
        '"FirstName","LastName","Email"\n"Ann","Lee","ann@example.com"\n"Bo","Wong","bo@example.com"'
    )
    assert api.emu.count("Contact") == 0


def test_abort_completed_job_is_rejected(api: Any) -> None:
    outcome = api.ingest("Contact", "insert", CSV)
    response = api.patch(outcome.job_id, "Aborted")
    assert response.status_code == 400
    assert response.json() == [
        {"errorCode": "INVALIDJOBSTATE", "message": "Aborting already Completed Job not allowed"}
    ]


@pytest.mark.parametrize("state", ["JobComplete", "Closed", "InProgress", "Open"])
def test_patch_with_an_invalid_state_is_rejected(api: Any, state: str) -> None:
    job_id = api.new_ingest("Contact", "insert")
    response = api.patch(job_id, state)
    assert response.status_code == 400
    assert response.json()[0]["errorCode"] == "INVALIDJOBSTATE"


def test_closing_twice_is_rejected(api: Any) -> None:
    job_id = api.new_ingest("Contact", "insert")
    api.upload(job_id, CSV)
    api.patch(job_id, "UploadComplete")
    assert api.patch(job_id, "UploadComplete").status_code == 400


def test_delete_of_open_job_is_rejected(api: Any) -> None:
    job_id = api.new_ingest("Contact", "insert")
    response = api.http.delete(f"{BASE}/jobs/ingest/{job_id}")
    assert response.status_code == 400
    assert api.info(job_id).status_code == 200


@pytest.mark.parametrize("verb", ["GET", "PATCH", "DELETE"])
def test_unknown_job_id_is_404_not_found(api: Any, verb: str) -> None:
    url = f"{BASE}/jobs/ingest/750R0000000zxr8IAA"
    response = api.http.request(verb, url, json={"state": "Aborted"} if verb == "PATCH" else None)
    assert response.status_code == 404
    assert response.json() == [
        {"errorCode": "NOT_FOUND", "message": "The requested resource does not exist"}
    ]


def test_results_before_processing_are_refused(api: Any) -> None:
    job_id = api.new_ingest("Contact", "insert")
    assert api.result(job_id, "successfulResults").status_code == 400


@pytest.mark.parametrize("segment", ["unprocessedrecords", "unprocessedRecords"])
def test_unprocessed_segment_is_case_insensitive(api: Any, segment: str) -> None:
    outcome = api.ingest("Contact", "insert", CSV)
    response = api.result(outcome.job_id, segment)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv"
    assert response.text == '"FirstName","LastName","Email"'


def test_list_jobs_pages_with_query_locator(api: Any) -> None:
    api.emu.list_page_size = 2
    ids = [api.new_ingest("Contact", "insert") for _ in range(5)]
    seen: list[str] = []
    url: str | None = f"{BASE}/jobs/ingest"
    pages = 0
    while url:
        body = api.http.get(url).json()
        seen += [r["id"] for r in body["records"]]
        assert body["done"] is (body["nextRecordsUrl"] is None)
        url = body["nextRecordsUrl"]
        pages += 1
    assert seen == ids
    assert pages == 3
    record = api.http.get(f"{BASE}/jobs/ingest").json()["records"][0]
    assert record["jobType"] == "V2Ingest"
    assert "numberRecordsProcessed" not in record


def test_list_jobs_filters_by_job_type(api: Any) -> None:
    api.new_ingest("Contact", "insert")
    assert (
        api.http.get(f"{BASE}/jobs/ingest", params={"jobType": "Classic"}).json()["records"] == []
    )
    assert (
        len(api.http.get(f"{BASE}/jobs/ingest", params={"jobType": "V2Ingest"}).json()["records"])
        == 1
    )


def test_ingest_below_version_41_is_not_found(api: Any) -> None:
    response = api.http.post(
        "/services/data/v40.0/jobs/ingest", json={"object": "Contact", "operation": "insert"}
    )
    assert response.status_code == 404


def test_polls_mode_reports_in_progress_until_the_nth_poll(open_api: Any) -> None:
    with (
        Emulator(processing="polls:3") as emu,
        open_api(emu) as api,
    ):
        http = api.http
        job_id = api.start_ingest("Contact", "insert", CSV)
        states = [http.get(f"{BASE}/jobs/ingest/{job_id}").json()["state"] for _ in range(3)]
    assert states == ["InProgress", "InProgress", "JobComplete"]


def test_background_mode_processes_after_the_delay_and_abort_stops_it(open_api: Any) -> None:
    with (
        Emulator(processing="background", processing_delay=0.05) as emu,
        open_api(emu) as api,
    ):
        http = api.http
        job_id = api.start_ingest("Contact", "insert", CSV)
        assert http.get(f"{BASE}/jobs/ingest/{job_id}").json()["state"] == "UploadComplete"
        deadline = time.monotonic() + 5
        while http.get(f"{BASE}/jobs/ingest/{job_id}").json()["state"] != "JobComplete":
            assert time.monotonic() < deadline
            time.sleep(0.02)
        assert emu.count("Contact") == 2


def test_bad_processing_mode_is_rejected() -> None:
    with pytest.raises(ValueError, match="polls:N"):
        Emulator(processing="later")
