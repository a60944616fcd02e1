"""Typed values of the Bulk API 2.0: job states, operations, job info, limits, query pages.

The camelCase <-> snake_case mapping of job info lives here (:data:`JOB_INFO_FIELDS`).
Parsing is lenient: unknown keys are kept in ``JobInfo.raw``, missing keys are ``None``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from sfbulk_frames._exceptions import ConfigurationError

__all__ = [
    "COLUMN_DELIMITERS",
    "JOB_INFO_FIELDS",
    "LINE_ENDINGS",
    "JobInfo",
    "JobState",
    "LimitInfo",
    "Operation",
    "QueryPage",
    "parse_sf_datetime",
    "readable_job_error",
]


class _LenientStrEnum(StrEnum):
    """A StrEnum that accepts values it does not know (kept as pseudo-members).

    Salesforce lists Bulk 1.0 jobs (state ``Closed``) next to Bulk 2.0 ones, and new values can
    appear in new API versions; a client must not break on them.
    """

    @classmethod
    def _missing_(cls, value: object) -> Any:
        if not isinstance(value, str):
            return None
        for member in cls:
            if member.value.lower() == value.lower():
                return member
        pseudo = str.__new__(cls, value)
        pseudo._name_ = value.upper()
        pseudo._value_ = value
        return pseudo


class JobState(_LenientStrEnum):
    """State of a Bulk API 2.0 job (Bulk API 2.0 Developer Guide, "Job States")."""

    OPEN = "Open"
    UPLOAD_COMPLETE = "UploadComplete"
    IN_PROGRESS = "InProgress"
    JOB_COMPLETE = "JobComplete"
    FAILED = "Failed"
    ABORTED = "Aborted"

    @property
    def is_terminal(self) -> bool:
        """True for ``JobComplete``, ``Failed`` and ``Aborted``: the job will not change again."""
        return self in _TERMINAL_STATES


_TERMINAL_STATES = frozenset({JobState.JOB_COMPLETE, JobState.FAILED, JobState.ABORTED})


class Operation(_LenientStrEnum):
    """Operation of an ingest (insert … hardDelete) or query (query, queryAll) job."""

    INSERT = "insert"
    UPDATE = "update"
    UPSERT = "upsert"
    DELETE = "delete"
    HARD_DELETE = "hardDelete"
    QUERY = "query"
    QUERY_ALL = "queryAll"

    @property
    def is_query(self) -> bool:
        return self in (Operation.QUERY, Operation.QUERY_ALL)


INGEST_OPERATIONS = (
    Operation.INSERT,
    Operation.UPDATE,
    Operation.UPSERT,
    Operation.DELETE,
    Operation.HARD_DELETE,
)

COLUMN_DELIMITERS: dict[str, str] = {
    "COMMA": ",",
    "TAB": "\t",
    "PIPE": "|",
    "SEMICOLON": ";",
    "CARET": "^",
    "BACKQUOTE": "`",
}

LINE_ENDINGS: dict[str, str] = {"LF": "\n", "CRLF": "\r\n"}

# Job info attribute -> JSON key, in the order Salesforce emits them (Bulk API 2.0 Developer
# Guide, "Get Job Info").
JOB_INFO_FIELDS: dict[str, str] = {
    "id": "id",
    "operation": "operation",
    "object": "object",
    "created_by_id": "createdById",
    "created_date": "createdDate",
    "system_modstamp": "systemModstamp",
    "state": "state",
    "external_id_field_name": "externalIdFieldName",
    "concurrency_mode": "concurrencyMode",
    "content_type": "contentType",
    "api_version": "apiVersion",
    "job_type": "jobType",
    "content_url": "contentUrl",
    "line_ending": "lineEnding",
    "column_delimiter": "columnDelimiter",
    "assignment_rule_id": "assignmentRuleId",
    "number_records_processed": "numberRecordsProcessed",
    "number_records_failed": "numberRecordsFailed",
    "retries": "retries",
    "total_processing_time": "totalProcessingTime",
    "api_active_processing_time": "apiActiveProcessingTime",
    "apex_processing_time": "apexProcessingTime",
    "error_message": "errorMessage",
}

_INT_FIELDS = frozenset(
    {
        "number_records_processed",
        "number_records_failed",
        "retries",
        "total_processing_time",
        "api_active_processing_time",
        "apex_processing_time",
    }
)
_DATETIME_FIELDS = frozenset({"created_date", "system_modstamp"})


def readable_job_error(message: str | None) -> str | None:
    """A job's ``errorMessage`` for people: a repeated leading category collapsed, since real
    orgs double it (``InvalidBatch : InvalidBatch : Field name not found : Employees`` reads
    ``InvalidBatch : Field name not found : Employees``); any other text unchanged."""
    if not message:
        return message
    head, sep, rest = message.partition(" : ")
    while sep and rest.startswith(head + sep):
        rest = rest[len(head) + len(sep) :]
    return head + sep + rest if sep else message


def parse_sf_datetime(value: object) -> datetime | None:
    """Parse ``2023-01-26T09:26:51.000+0000`` (or ISO 8601 variants); ``None`` if not a date."""
    if not isinstance(value, str) or not value:
        return None
    for fmt in ("%Y-%m-%dT%H:%M:%S.%f%z", "%Y-%m-%dT%H:%M:%S%z"):
        try:
            return datetime.strptime(value, fmt)
        except ValueError:
            pass
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def _to_int(value: object) -> int | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        return value
    try:
        return int(float(str(value)))
    except ValueError:
        return None


def _to_float(value: object) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        return float(str(value))
    except ValueError:
        return None


@dataclass(frozen=True)
class JobInfo:
    """Everything Salesforce says about one job, with snake_case names (the job info of
    the Bulk API 2.0 Developer Guide, ingest and query).

    Fields absent from the answer are ``None`` (a create or close answer is shorter than a
    job-info answer). ``raw`` keeps the decoded JSON as received.
    """

    id: str
    operation: Operation | None = None
    object: str | None = None
    state: JobState = JobState.OPEN
    created_by_id: str | None = None
    created_date: datetime | None = None
    system_modstamp: datetime | None = None
    external_id_field_name: str | None = None
    concurrency_mode: str | None = None
    content_type: str | None = None
    api_version: float | None = None
    job_type: str | None = None
    content_url: str | None = None
    line_ending: str | None = None
    column_delimiter: str | None = None
    assignment_rule_id: str | None = None
    number_records_processed: int | None = None
    number_records_failed: int | None = None
    retries: int | None = None
    total_processing_time: int | None = None
    api_active_processing_time: int | None = None
    apex_processing_time: int | None = None
    error_message: str | None = None
    raw: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> JobInfo:
        """Build from a decoded JobInfo JSON object.

        Raises ConfigurationError (a ``ValueError``) only when ``data`` is not an object or has
        no ``id``.
        """
        if not isinstance(data, Mapping) or not data.get("id"):
            raise ConfigurationError(f"not a Bulk API job info object: {str(data)[:200]!r}")
        values: dict[str, Any] = {}
        for attr, key in JOB_INFO_FIELDS.items():
            value = data.get(key)
            if value is None:
                continue
            if attr in _INT_FIELDS:
                value = _to_int(value)
            elif attr in _DATETIME_FIELDS:
                value = parse_sf_datetime(value)
            elif attr == "api_version":
                value = _to_float(value)
            elif attr == "state":
                value = JobState(str(value))
            elif attr == "operation":
                value = Operation(str(value))
            else:
                value = str(value)
            values[attr] = value
        return cls(raw=dict(data), **values)

    @property
    def is_terminal(self) -> bool:
        """True when the job reached ``JobComplete``, ``Failed`` or ``Aborted``."""
        return self.state.is_terminal

    @property
    def number_records_successful(self) -> int | None:
        """Processed minus failed rows (``None`` until both counters are known)."""
        if self.number_records_processed is None or self.number_records_failed is None:
            return None
        return self.number_records_processed - self.number_records_failed


_API_USAGE = re.compile(r"api-usage=(\d+)/(\d+)")


@dataclass(frozen=True)
class LimitInfo:
    """The org's API request usage from the ``Sforce-Limit-Info`` header (REST API Developer
    Guide, "Limit Info Header")."""

    used: int
    max: int

    @property
    def remaining(self) -> int:
        return max(self.max - self.used, 0)

    @classmethod
    def from_header(cls, value: str | None) -> LimitInfo | None:
        """Parse ``api-usage=25/15000[; per-app-api-usage=...]``; ``None`` if absent or odd."""
        if not value:
            return None
        match = _API_USAGE.search(value)
        if match is None:
            return None
        return cls(used=int(match.group(1)), max=int(match.group(2)))


@dataclass
class QueryPage:
    """One page of query results: CSV bytes with a header row, and the locator of the next page.

    ``locator`` is ``None`` on the last page (Salesforce sends the literal ``null``).
    """

    data: bytes
    locator: str | None
    number_of_records: int | None
