"""JobInfo and friends parse the protocol's real captures leniently."""

from __future__ import annotations

from datetime import UTC, datetime

from sfbulk_frames._config import RetryPolicy
from sfbulk_frames._models import (
    COLUMN_DELIMITERS,
    LINE_ENDINGS,
    JobInfo,
    JobState,
    LimitInfo,
    Operation,
)
from sfbulk_frames.client.http import redact_url

# A real recorded answer (API v53.0).
FAILED_JOB = {
    "id": "7507Q000009f52jQAA", "operation": "insert", "object": "Account",
    "createdById": "0057Q0000037T8QQAU", "createdDate": "2023-01-26T10:09:27.000+0000",
    "systemModstamp": "2023-01-26T10:09:49.000+0000", "state": "Failed",
    "concurrencyMode": "Parallel", "contentType": "CSV", "apiVersion": 53.0,
    "jobType": "V2Ingest", "lineEnding": "LF", "columnDelimiter": "COMMA",
    "numberRecordsProcessed": 0, "numberRecordsFailed": 0, "retries": 0,
    "totalProcessingTime": 0, "apiActiveProcessingTime": 0, "apexProcessingTime": 0,
    "errorMessage": "InvalidBatch : InvalidBatch : Field name not found : Employees",
}


def test_job_info_maps_every_protocol_field_to_snake_case() -> None:
    info = JobInfo.from_json(FAILED_JOB)
    assert info.id == "7507Q000009f52jQAA"
    assert info.operation is Operation.INSERT
    assert info.state is JobState.FAILED
    assert info.is_terminal
    assert info.created_date == datetime(2023, 1, 26, 10, 9, 27, tzinfo=UTC)
    assert info.system_modstamp == datetime(2023, 1, 26, 10, 9, 49, tzinfo=UTC)
    assert info.api_version == 53.0
    assert info.job_type == "V2Ingest"
    assert (info.number_records_processed, info.number_records_failed) == (0, 0)
    assert info.api_active_processing_time == 0
    assert info.error_message is not None
    assert info.error_message.endswith("Employees")
    assert info.raw["createdById"] == "0057Q0000037T8QQAU"


def test_job_info_is_lenient_about_missing_and_unknown_keys() -> None:
    info = JobInfo.from_json(
        {"id": "750R0000000zxr8IAA", "state": "Closed", "isPkChunkingSupported": True}
    )
    assert info.state == "Closed"
    assert not info.state.is_terminal
    assert info.number_records_processed is None
    assert info.created_date is None
    assert info.raw["isPkChunkingSupported"] is True
    assert "raw" not in repr(info)


def test_job_states_and_operations_are_the_protocol_values() -> None:
    # Literal values from the Bulk API 2.0 Developer Guide, not from the tables under test.
    assert [s.value for s in JobState] == [
        "Open", "UploadComplete", "InProgress", "JobComplete", "Failed", "Aborted"]
    assert {s for s in JobState if s.is_terminal} == {
        JobState.JOB_COMPLETE, JobState.FAILED, JobState.ABORTED}
    assert [o.value for o in Operation] == [
        "insert", "update", "upsert", "delete", "hardDelete", "query", "queryAll"]
    assert Operation("hardDelete") is Operation.HARD_DELETE


def test_delimiters_and_line_endings_are_the_protocol_values() -> None:
    assert COLUMN_DELIMITERS == {
        "COMMA": ",", "TAB": "\t", "PIPE": "|", "SEMICOLON": ";", "CARET": "^", "BACKQUOTE": "`"}
    assert LINE_ENDINGS == {"LF": "\n", "CRLF": "\r\n"}


def test_job_info_reads_every_documented_key_of_a_full_answer() -> None:
    answer = {
        "id": "750R0000000zlh9IAA", "operation": "upsert", "object": "Account",
        "createdById": "005R0000000GiwjIAC", "createdDate": "2018-12-10T17:50:19.000+0000",
        "systemModstamp": "2018-12-10T17:51:27.000+0000", "state": "JobComplete",
        "externalIdFieldName": "Ext__c", "concurrencyMode": "Parallel", "contentType": "CSV",
        "apiVersion": 62.0, "jobType": "V2Ingest",
        "contentUrl": "services/data/v62.0/jobs/ingest/750R0000000zlh9IAA/batches",
        "lineEnding": "CRLF", "columnDelimiter": "PIPE", "assignmentRuleId": "01QR0000000abcd",
        "numberRecordsProcessed": 6, "numberRecordsFailed": 1, "retries": 0,
        "totalProcessingTime": 1200, "apiActiveProcessingTime": 900,
        "apexProcessingTime": 30, "errorMessage": "boom",
    }
    info = JobInfo.from_json(answer)
    assert (info.external_id_field_name, info.concurrency_mode, info.content_type) == (
        "Ext__c", "Parallel", "CSV")
    assert info.content_url == "services/data/v62.0/jobs/ingest/750R0000000zlh9IAA/batches"
    assert (info.line_ending, info.column_delimiter) == ("CRLF", "PIPE")
    assert info.assignment_rule_id == "01QR0000000abcd"
    assert (info.number_records_processed, info.number_records_failed, info.retries) == (6, 1, 0)
    assert (info.total_processing_time, info.api_active_processing_time,
            info.apex_processing_time) == (1200, 900, 30)
    assert info.created_by_id == "005R0000000GiwjIAC"
    assert info.error_message == "boom"


def test_limit_info_header() -> None:
    assert LimitInfo.from_header("api-usage=25/15000") == LimitInfo(25, 15000)
    parsed = LimitInfo.from_header("api-usage=18/5000; per-app-api-usage=17/250(appName=x)")
    assert parsed == LimitInfo(18, 5000)
    assert parsed.remaining == 4982
    assert LimitInfo.from_header(None) is None


def test_retry_backoff_is_capped_and_honours_retry_after() -> None:
    policy = RetryPolicy(backoff_initial=1.0, backoff_max=4.0, jitter=False, max_retry_after=60)
    assert [policy.backoff(n) for n in (1, 2, 3, 4, 5)] == [1.0, 2.0, 4.0, 4.0, 4.0]
    assert policy.backoff(1, retry_after=7.0) == 7.0
    assert policy.backoff(1, retry_after=600.0) == 60.0
    jittered = RetryPolicy(backoff_initial=1.0)
    assert all(0.5 <= jittered.backoff(1) <= 1.0 for _ in range(20))


def test_redacted_urls_keep_paging_but_drop_secrets() -> None:
    url = "https://x.my.salesforce.com/services/data/v62.0/jobs/query/750/results?locator=MTA&access_token=abc"
    assert redact_url(url) == "https://x.my.salesforce.com/services/data/v62.0/jobs/query/750/results?locator=MTA"
