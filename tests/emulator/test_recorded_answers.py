"""Answers compared with responses recorded from real orgs (protocol §1.8, §1.11, §12b): a job
that fails as a whole, its ``unprocessedrecords`` and its header-only results, and the keys of
a v62 query job's info."""

from __future__ import annotations

from typing import Any

# Recorded (v53 capture): the upload "Name,Employees / Foo,12 / Bar,1138" on Account.
UPLOAD = "Name,Employees\nFoo,12\nBar,1138\n"
REAL_ERROR_MESSAGE = "InvalidBatch : InvalidBatch : Field name not found : Employees"
REAL_UNPROCESSED = '"Name","Employees"\n"Foo",12\n"Bar",1138'
REAL_SUCCESSFUL = '"sf__Id","sf__Created","Name","Employees"\n'
REAL_FAILED = '"sf__Id","sf__Error","Name","Employees"\n'
V62_QUERY_INFO_KEYS = [
    "id", "operation", "object", "createdById", "createdDate", "systemModstamp", "state",
    "concurrencyMode", "contentType", "apiVersion", "jobType", "lineEnding", "columnDelimiter",
    "numberRecordsProcessed", "retries", "totalProcessingTime", "isPkChunkingSupported",
]  # fmt: skip


def test_job_failing_as_a_whole_matches_the_recorded_answer(api: Any) -> None:
    outcome = api.ingest("Account", "insert", UPLOAD)
    assert outcome.info["state"] == "Failed"
    assert outcome.info["errorMessage"] == REAL_ERROR_MESSAGE
    assert outcome.unprocessed_text == REAL_UNPROCESSED
    assert api.result(outcome.job_id, "successfulResults").text == REAL_SUCCESSFUL
    assert api.result(outcome.job_id, "failedResults").text == REAL_FAILED


def test_unprocessed_records_keep_the_job_line_ending_and_quote_text(api: Any) -> None:
    api.emu.faults.fail_partway(1)
    data = 'LastName,Title\r\nLee,CEO\r\nWong,"Head, ""R&D"""\r\n7,3.5\r\n'
    outcome = api.ingest("Contact", "insert", data, lineEnding="CRLF")
    assert outcome.info["state"] == "Failed"
    assert outcome.unprocessed_text == ('"LastName","Title"\r\n"Wong","Head, ""R&D"""\r\n7,3.5')


def test_v62_query_job_info_has_the_recorded_keys(api: Any) -> None:
    job_id = api.query("SELECT Id FROM Account")
    info = api.info(job_id, "query").json()
    assert list(info) == V62_QUERY_INFO_KEYS
    assert info["isPkChunkingSupported"] is True


def test_v53_query_job_info_has_no_pk_chunking_flag(api: Any) -> None:
    spec = {"operation": "query", "query": "SELECT Id FROM Account"}
    response = api.http.post("/services/data/v53.0/jobs/query", json=spec)
    info = api.http.get(f"/services/data/v53.0/jobs/query/{response.json()['id']}").json()
    assert "isPkChunkingSupported" not in info  # as in the recorded v53 capture
