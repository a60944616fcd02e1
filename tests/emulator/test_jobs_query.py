"""Query job endpoints (protocol §2): create, info, results paging, resultPages, abort/delete."""

from __future__ import annotations

import base64
import time
from typing import Any

import httpx
import pytest

from sfbulk_frames.emulator import Emulator

BASE = "/services/data/v62.0"


@pytest.fixture
def seeded(api: Any) -> Any:
    rows = "".join(f"Name{i:02d},{i}\n" for i in range(7))
    api.ingest("Contact", "insert", "LastName,NumberOfChildren__c\n" + rows)
    return api


def pages(api: Any, job_id: str, max_records: int | None) -> list[httpx.Response]:
    out = []
    locator: str | None = None
    while True:
        params: dict[str, Any] = {}
        if max_records:
            params["maxRecords"] = max_records
        if locator:
            params["locator"] = locator
        response = api.http.get(f"{BASE}/jobs/query/{job_id}/results", params=params)
        assert response.status_code == 200, response.text
        out.append(response)
        locator = response.headers["Sforce-Locator"]
        if locator == "null":
            return out


def test_query_job_lifecycle(any_api: Any) -> None:
    any_api.ingest("Contact", "insert", "LastName\nLee\n")
    created = any_api.http.post(
        f"{BASE}/jobs/query",
        json={"operation": "query", "query": "SELECT Id, LastName FROM Contact"},
    )
    body = created.json()
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
        "lineEnding",
        "columnDelimiter",
    ]
    assert body["state"] == "UploadComplete"
    assert body["object"] == "Contact"
    info = any_api.info(body["id"], "query").json()
    assert info["state"] == "JobComplete"
    assert info["jobType"] == "V2Query"
    assert info["numberRecordsProcessed"] == 1
    assert "numberRecordsFailed" not in info
    results = any_api.http.get(f"{BASE}/jobs/query/{body['id']}/results")
    assert results.headers["Sforce-Locator"] == "null"
    assert results.headers["Sforce-NumberOfRecords"] == "1"
    assert results.text.splitlines()[0] == '"Id","LastName"'
    assert any_api.http.delete(f"{BASE}/jobs/query/{body['id']}").status_code == 204
    assert any_api.info(body["id"], "query").status_code == 404


def test_results_page_with_locators_and_repeat_the_header(seeded: Any) -> None:
    job_id = seeded.query("SELECT LastName FROM Contact ORDER BY LastName")
    seeded.info(job_id, "query")
    responses = pages(seeded, job_id, 3)
    counts = [r.headers["Sforce-NumberOfRecords"] for r in responses]
    assert counts == ["3", "3", "1"]
    assert responses[0].headers["Sforce-Locator"] == base64.b64encode(b"3").decode().rstrip("=")
    names = [line for r in responses for line in r.text.splitlines()[1:]]
    assert names == [f'"Name{i:02d}"' for i in range(7)]
    assert all(r.text.startswith('"LastName"\n') for r in responses)


def test_default_page_size_applies_without_max_records(seeded: Any) -> None:
    seeded.emu.default_page_size = 4
    job_id = seeded.query("SELECT Id FROM Contact")
    seeded.info(job_id, "query")
    assert [r.headers["Sforce-NumberOfRecords"] for r in pages(seeded, job_id, None)] == ["4", "3"]


def test_empty_result_has_header_and_null_locator(api: Any) -> None:
    job_id = api.query("SELECT Id FROM Contact")
    api.info(job_id, "query")
    response = api.http.get(f"{BASE}/jobs/query/{job_id}/results")
    assert response.text == '"Id"\n'
    assert response.headers["Sforce-Locator"] == "null"
    assert response.headers["Sforce-NumberOfRecords"] == "0"


def test_result_pages_lists_up_to_five_urls_and_continues(seeded: Any) -> None:
    job_id = seeded.query("SELECT LastName FROM Contact")
    seeded.info(job_id, "query")
    first = seeded.http.get(
        f"{BASE}/jobs/query/{job_id}/resultPages", params={"maxRecords": 1}
    ).json()
    assert len(first["resultPages"]) == 5
    assert first["done"] is False
    second = seeded.http.get(first["nextRecordsUrl"]).json()
    assert len(second["resultPages"]) == 2
    assert second["done"] is True
    assert second["nextRecordsUrl"] is None
    rows = [
        line
        for page in first["resultPages"] + second["resultPages"]
        for line in seeded.http.get(page["resultUrl"]).text.splitlines()[1:]
    ]
    assert sorted(rows) == [f'"Name{i:02d}"' for i in range(7)]


def test_result_pages_need_version_58(seeded: Any) -> None:
    response = seeded.http.post(
        "/services/data/v57.0/jobs/query",
        json={"operation": "query", "query": "SELECT Id FROM Contact"},
    )
    job_id = response.json()["id"]
    assert (
        seeded.http.get(f"/services/data/v57.0/jobs/query/{job_id}/resultPages").status_code == 404
    )


def test_results_with_another_api_version_are_409(seeded: Any) -> None:
    job_id = seeded.query("SELECT Id FROM Contact")
    seeded.info(job_id, "query")
    response = seeded.http.get(f"/services/data/v61.0/jobs/query/{job_id}/results")
    assert response.status_code == 409


def test_results_before_completion_are_412_job_not_complete(open_api: Any) -> None:
    with (
        Emulator(processing="polls:2") as emu,
        open_api(emu) as api,
    ):
        http = api.http
        job_id = http.post(
            f"{BASE}/jobs/query", json={"operation": "query", "query": "SELECT Id FROM Contact"}
        ).json()["id"]
        response = http.get(f"{BASE}/jobs/query/{job_id}/results")
        assert response.status_code == 412
        assert response.json()[0]["errorCode"] == "JOB_NOT_COMPLETE"
        assert response.json()[0]["message"].endswith("Current status: UPLOAD_COMPLETE")
        assert http.get(f"{BASE}/jobs/query/{job_id}").json()["state"] == "InProgress"
        assert http.get(f"{BASE}/jobs/query/{job_id}").json()["state"] == "JobComplete"
        assert http.get(f"{BASE}/jobs/query/{job_id}/results").status_code == 200


def test_soql_errors_are_400_at_create(api: Any) -> None:
    response = api.http.post(
        f"{BASE}/jobs/query", json={"operation": "query", "query": "SELECT Id FROM Accout"}
    )
    assert response.status_code == 400
    assert response.json()[0]["errorCode"] == "INVALID_TYPE"


@pytest.mark.parametrize(
    ("spec", "prop"),
    [
        ({"operation": "select", "query": "SELECT Id FROM Contact"}, "operation"),
        ({"operation": "query"}, "query"),
    ],
)
def test_query_create_validation(api: Any, spec: dict[str, str], prop: str) -> None:
    response = api.http.post(f"{BASE}/jobs/query", json=spec)
    assert response.status_code == 400
    assert response.json()[0]["errorCode"] == "API_ERROR"
    assert f"property: '{prop}'" in response.json()[0]["message"]


def test_query_all_includes_soft_deleted_rows(api: Any) -> None:
    ids = [r["sf__Id"] for r in api.ingest("Contact", "insert", "LastName\nA\nB\n").successful]
    api.ingest("Contact", "delete", f"Id\n{ids[0]}\n")
    counts = {}
    for operation in ("query", "queryAll"):
        job_id = api.query("SELECT Id FROM Contact", operation)
        counts[operation] = api.info(job_id, "query").json()["numberRecordsProcessed"]
    assert counts == {"query": 1, "queryAll": 2}


def test_abort_and_delete_rules_of_query_jobs(open_api: Any) -> None:
    with (
        Emulator(processing="polls:5") as emu,
        open_api(emu) as api,
    ):
        http = api.http
        job_id = http.post(
            f"{BASE}/jobs/query", json={"operation": "query", "query": "SELECT Id FROM Contact"}
        ).json()["id"]
        not_terminated = http.delete(f"{BASE}/jobs/query/{job_id}")
        assert not_terminated.status_code == 400
        assert not_terminated.json()[0]["errorCode"] == "API_ERROR"
        aborted = http.patch(f"{BASE}/jobs/query/{job_id}", json={"state": "Aborted"})
        assert aborted.json()["state"] == "Aborted"
        again = http.patch(f"{BASE}/jobs/query/{job_id}", json={"state": "Aborted"})
        assert again.status_code == 400
        assert (
            http.patch(f"{BASE}/jobs/query/{job_id}", json={"state": "UploadComplete"}).status_code
            == 400
        )
        assert http.delete(f"{BASE}/jobs/query/{job_id}").status_code == 204


def test_query_list_shows_query_jobs_only(api: Any) -> None:
    api.new_ingest("Contact", "insert")
    job_id = api.query("SELECT Id FROM Contact")
    records = api.http.get(f"{BASE}/jobs/query").json()["records"]
    assert [r["id"] for r in records] == [job_id]
    assert records[0]["jobType"] == "V2Query"


def test_query_results_use_the_job_delimiter_and_line_ending(seeded: Any) -> None:
    job_id = seeded.query(
        "SELECT LastName, NumberOfChildren__c FROM Contact ORDER BY LastName",
        columnDelimiter="PIPE",
        lineEnding="CRLF",
    )
    seeded.info(job_id, "query")
    text = seeded.http.get(f"{BASE}/jobs/query/{job_id}/results").text
    assert text.startswith('"LastName"|"NumberOfChildren__c"\r\n"Name00"|"0"\r\n')


Api = Any  # the ``api`` helper of conftest.py (a fixture, not importable)


def make_http(emu: Emulator, base_url: str | None = None) -> httpx.Client:
    return httpx.Client(
        transport=None if base_url else emu.transport(),
        base_url=base_url or emu.instance_url,
        headers={"Authorization": f"Bearer {emu.token}"},
        timeout=30,
    )


def _wait_for_query(api: Api, job_id: str) -> dict[str, object]:
    for _ in range(200):
        info: dict[str, object] = api.info(job_id, "query").json()
        if info["state"] in ("JobComplete", "Failed", "Aborted"):
            return info
        api.emu.job(job_id)  # raises if the job vanished
        time.sleep(0.02)
    raise AssertionError(f"query job {job_id} did not finish")


# -- a database error fails the query job, not the worker -------------------------------------
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
