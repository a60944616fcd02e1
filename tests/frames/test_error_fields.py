"""The code and field parsed from ``sf__Error`` texts (Salesforce's and the library's own)."""

from __future__ import annotations

import polars as pl
import pytest

from sfbulk_frames.frames.errors import error_code, error_field, job_reason, not_sent, pending

CASES = [
    (
        "INVALID_FIELD:Failed to deserialize field at col 3. Due to, '2020-01-02T00:00:00.000Z' is "
        "not a valid value for the type xsd:date:Birthdate --",
        "INVALID_FIELD",
        "Birthdate",
    ),
    (
        "REQUIRED_FIELD_MISSING:Required fields are missing: [LastName]:LastName --",
        "REQUIRED_FIELD_MISSING",
        "LastName",
    ),
    (
        "REQUIRED_FIELD_MISSING:Required fields are missing: [LastName, Company]: --",
        "REQUIRED_FIELD_MISSING",
        "LastName, Company",
    ),
    (
        "INVALID_FIELD:Foreign key external ID: ACC 00042 not found for field ExternalId__c in "
        "entity Account: --",
        "INVALID_FIELD",
        "Account.ExternalId__c",
    ),
    (
        "UNABLE_TO_LOCK_ROW:unable to obtain exclusive access to this record or 1 records: --",
        "UNABLE_TO_LOCK_ROW",
        None,
    ),
    (
        "DUPLICATE_VALUE:duplicate value found: Email__c duplicates value on record with id: "
        "003xx:Email__c,Other__c --",
        "DUPLICATE_VALUE",
        "Email__c,Other__c",
    ),
    (
        job_reason("750A", "Failed", "InvalidBatch : Field name not found : Foo__c"),
        "JOB_FAILED",
        "Foo__c",
    ),
    (job_reason("750A", "Aborted", None), "JOB_ABORTED", None),
    (not_sent("load interrupted (Ctrl-C) before this row was uploaded"), "NOT_SENT", None),
    (pending("job 750A received this row: timeout"), "PENDING", None),
]


@pytest.mark.parametrize(("error", "code", "field"), CASES)
def test_code_and_field_of_an_error(error: str, code: str, field: str | None) -> None:
    frame = pl.DataFrame({"e": [error]})
    parsed = frame.select(
        error_code(pl.col("e")).alias("code"), error_field(pl.col("e")).alias("field")
    )
    assert parsed.row(0) == (code, field)


def test_job_reason_keeps_the_job_message_and_id() -> None:
    reason = job_reason("750A", "Failed", "InternalServerError : disk full")
    assert reason == "JOB_FAILED:InternalServerError : disk full (job 750A Failed)"
