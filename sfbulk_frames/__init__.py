"""sfbulk_frames: the Salesforce Bulk API 2.0 as a native part of pandas and polars.

>>> res = df.sfbulk.upsert("Contact", "ExternalId__c")   # pandas or polars frame
>>> res.failed                                          # the input rows that failed + sf__Error
>>> contacts = sfbulk_frames.query("SELECT Id, Email, Account.Name FROM Contact")

Importing the package registers the ``sfbulk`` accessor on pandas and polars frames.
"""

from sfbulk_frames._accessors import SfBulkAccessor, register_accessors
from sfbulk_frames._api import delete, insert, resume, update, upsert
from sfbulk_frames._config import PollPolicy, RetryPolicy
from sfbulk_frames._context import set_default_client, use_client
from sfbulk_frames._exceptions import (
    AuthenticationError,
    ConfigurationError,
    FrameError,
    InvalidFieldError,
    InvalidJobError,
    InvalidJobStateError,
    InvalidSessionError,
    InvalidTypeError,
    JobError,
    JobFailedError,
    JobInterruptedError,
    JobTimeoutError,
    LoadIncompleteError,
    MalformedQueryError,
    NotFoundError,
    PreflightError,
    PreflightWarning,
    QueryError,
    RateLimitedError,
    RequestLimitExceededError,
    ResultMatchError,
    SalesforceError,
    ServerError,
    SfBulkError,
    SyncScopeError,
    TransportError,
)
from sfbulk_frames._models import JobInfo, JobState, LimitInfo, Operation
from sfbulk_frames.client.clients import AsyncClient, Client
from sfbulk_frames.frames.result import BulkResult
from sfbulk_frames.frames.sync_result import SyncPlan, SyncResult
from sfbulk_frames.pipeline.preflight import validate
from sfbulk_frames.pipeline.progress import ProgressEvent
from sfbulk_frames.pipeline.query import query
from sfbulk_frames.pipeline.sync import sync

__version__ = "0.1.0"

__all__ = [
    "AsyncClient",
    "AuthenticationError",
    "BulkResult",
    "Client",
    "ConfigurationError",
    "FrameError",
    "InvalidFieldError",
    "InvalidJobError",
    "InvalidJobStateError",
    "InvalidSessionError",
    "InvalidTypeError",
    "JobError",
    "JobFailedError",
    "JobInfo",
    "JobInterruptedError",
    "JobState",
    "JobTimeoutError",
    "LimitInfo",
    "LoadIncompleteError",
    "MalformedQueryError",
    "NotFoundError",
    "Operation",
    "PollPolicy",
    "PreflightError",
    "PreflightWarning",
    "ProgressEvent",
    "QueryError",
    "RateLimitedError",
    "RequestLimitExceededError",
    "ResultMatchError",
    "RetryPolicy",
    "SalesforceError",
    "ServerError",
    "SfBulkAccessor",
    "SfBulkError",
    "SyncPlan",
    "SyncResult",
    "SyncScopeError",
    "TransportError",
    "delete",
    "insert",
    "query",
    "resume",
    "set_default_client",
    "sync",
    "update",
    "upsert",
    "use_client",
    "validate",
]

register_accessors()
