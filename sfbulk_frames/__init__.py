"""sfbulk_frames: the Salesforce Bulk API 2.0 as a native part of pandas and polars.

>>> res = df.sfbulk.upsert("Contact", "ExternalId__c")   # pandas or polars frame
>>> res.failed                                          # the input rows that failed + sf__Error
>>> contacts = sfbulk_frames.query("SELECT Id, Email, Account.Name FROM Contact")

Importing the package is cheap: the public names below are loaded on first use (PEP 562), so
``import sfbulk_frames.emulator`` loads neither pandas, polars nor the client. The ``sfbulk``
accessor is registered on pandas and polars frames as soon as those libraries are imported.
``sfbulk_frames.aio`` holds the ``await``able frame functions, ``sfbulk_frames.testing`` the
testing mode.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from sfbulk_frames._accessors import register_accessors

if TYPE_CHECKING:
    from sfbulk_frames import aio as aio
    from sfbulk_frames import testing as testing
    from sfbulk_frames._accessors import SfBulkAccessor
    from sfbulk_frames._api import delete, insert, resume, update, upsert
    from sfbulk_frames._config import PollPolicy, RetryPolicy
    from sfbulk_frames._context import set_default_client, use_client
    from sfbulk_frames._exceptions import (
        AuthenticationError,
        ConfigurationError,
        FrameError,
        InvalidArgumentError,
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
    from sfbulk_frames._models import JobInfo, JobState, LimitInfo, Operation, QueryPage
    from sfbulk_frames.client.clients import AsyncClient, Client
    from sfbulk_frames.client.jobs import AsyncIngestJob, AsyncQueryJob, IngestJob, QueryJob
    from sfbulk_frames.frames.result import BulkResult
    from sfbulk_frames.frames.sync_result import SyncPlan, SyncResult
    from sfbulk_frames.pipeline.preflight import validate
    from sfbulk_frames.pipeline.progress import ProgressEvent
    from sfbulk_frames.pipeline.query import query
    from sfbulk_frames.pipeline.sync import sync

__version__ = "0.1.0"

__all__ = [
    "AsyncClient",
    "AsyncIngestJob",
    "AsyncQueryJob",
    "AuthenticationError",
    "BulkResult",
    "Client",
    "ConfigurationError",
    "FrameError",
    "IngestJob",
    "InvalidArgumentError",
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
    "QueryJob",
    "QueryPage",
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

_exception_names = [name for name in __all__ if name.endswith("Error")]

# Where each public name lives (modules are imported on first use).
_HOMES: dict[str, str] = {
    **dict.fromkeys(_exception_names, "sfbulk_frames._exceptions"),
    "SfBulkAccessor": "sfbulk_frames._accessors",
    **dict.fromkeys(["delete", "insert", "resume", "update", "upsert"], "sfbulk_frames._api"),
    **dict.fromkeys(["PollPolicy", "RetryPolicy"], "sfbulk_frames._config"),
    **dict.fromkeys(["set_default_client", "use_client"], "sfbulk_frames._context"),
    **dict.fromkeys(
        ["JobInfo", "JobState", "LimitInfo", "Operation", "QueryPage"], "sfbulk_frames._models"
    ),
    **dict.fromkeys(["AsyncClient", "Client"], "sfbulk_frames.client.clients"),
    **dict.fromkeys(
        ["AsyncIngestJob", "AsyncQueryJob", "IngestJob", "QueryJob"], "sfbulk_frames.client.jobs"
    ),
    "BulkResult": "sfbulk_frames.frames.result",
    **dict.fromkeys(["SyncPlan", "SyncResult"], "sfbulk_frames.frames.sync_result"),
    "PreflightWarning": "sfbulk_frames._exceptions",
    "validate": "sfbulk_frames.pipeline.preflight",
    "ProgressEvent": "sfbulk_frames.pipeline.progress",
    "query": "sfbulk_frames.pipeline.query",
    "sync": "sfbulk_frames.pipeline.sync",
}
_SUBMODULES = ("aio", "testing")


def __getattr__(name: str) -> Any:
    """Load a public name on first use; it reports ``__module__ == "sfbulk_frames"``."""
    if name in _SUBMODULES:
        return importlib.import_module(f"sfbulk_frames.{name}")
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'sfbulk_frames' has no attribute {name!r}")
    value = getattr(importlib.import_module(home), name)
    value.__module__ = __name__
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__, *_SUBMODULES])


def _load_exceptions() -> None:
    """The exceptions are light (stdlib only): name them as public at once, so a traceback
    shows ``sfbulk_frames.JobTimeoutError`` even before anyone looked it up here."""
    for name in _exception_names:
        __getattr__(name)


_load_exceptions()
register_accessors()
