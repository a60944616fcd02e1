"""The library reads both forms real orgs and documentation give for a failed job: the
doubled ``InvalidBatch`` prefix (shown once to people) and ``unprocessedrecords`` re-quoted
without a final newline or echoed verbatim."""

from __future__ import annotations

import polars as pl
import pytest

import sfbulk_frames as sfb
from sfbulk_frames._models import readable_job_error
from sfbulk_frames.frames.decode import read_result_csv

RECORDED = b'"Name","Employees"\n"Foo",12\n"Bar",1138'
DOCUMENTED = b"Name,Employees\nFoo,12\nBar,1138\n"


@pytest.mark.parametrize("body", [RECORDED, DOCUMENTED, RECORDED.replace(b"\n", b"\r\n")])
def test_unprocessed_records_parse_the_same_in_every_form(body: bytes) -> None:
    ending = "CRLF" if b"\r\n" in body else "LF"
    frame = read_result_csv(body, line_ending=ending)
    assert frame.to_dict(as_series=False) == {"Name": ["Foo", "Bar"], "Employees": ["12", "1138"]}


@pytest.mark.parametrize(
    ("message", "shown"),
    [
        (
            "InvalidBatch : InvalidBatch : Field name not found : Employees",
            "InvalidBatch : Field name not found : Employees",
        ),
        (
            "InvalidBatch : Field name not found : ContactId__c",
            "InvalidBatch : Field name not found : ContactId__c",
        ),
        ("ExceededQuota : ExceededQuota : ExceededQuota : x", "ExceededQuota : x"),
        ("InvalidBatch : No content found for job", "InvalidBatch : No content found for job"),
        ("no separator", "no separator"),
        (None, None),
    ],
)
def test_doubled_prefix_is_shown_once(message: str | None, shown: str | None) -> None:
    assert readable_job_error(message) == shown


def test_failed_job_reports_the_message_once_and_its_rows_unprocessed(client: sfb.Client) -> None:
    frame = pl.DataFrame({"LastName": ["A", "B"], "NoSuchField__c": ["1", "2"]})
    res = sfb.insert(frame, "Contact", progress=False, preflight=False)  # Salesforce judges
    assert res.jobs[0].error_message == (
        "InvalidBatch : InvalidBatch : Field name not found : NoSuchField__c"
    )
    [failed_job] = res.summary()["failed_jobs"]
    assert failed_job["error_message"] == "InvalidBatch : Field name not found : NoSuchField__c"
    assert res.unprocessed["LastName"].to_list() == ["A", "B"]
    with pytest.raises(sfb.JobFailedError) as err:
        res.raise_for_failures()
    assert "InvalidBatch : InvalidBatch" not in str(err.value)
    assert "Field name not found : NoSuchField__c" in str(err.value)
