"""Flows that turn Salesforce's refusals of a name into messages that say what to type.

* an unknown object (describe ``NOT_FOUND``, a job's ``Unable to find object``, a query's
  ``sObject type … is not supported``) → ``object 'Contcat' not found; did you mean 'Contact'?``
  using the org's object list (one extra ``GET /sobjects``);
* an upsert key that is not an External ID field → whether it is a field at all, the object's
  External ID fields, a did-you-mean, and how to pass another one.

Each flow returns the exception to raise (same class, status and URL as Salesforce's).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence
from typing import Any

from sfbulk_frames._exceptions import (
    InvalidJobError,
    InvalidTypeError,
    NotFoundError,
    SalesforceError,
    SfBulkError,
)
from sfbulk_frames._models import JobInfo
from sfbulk_frames.client.http import api_json
from sfbulk_frames.client.protocol import describe_flow, job_info_flow
from sfbulk_frames.client.session import ApiCall, Flow, Session

__all__ = [
    "closest",
    "create_job_flow",
    "describe_with_hints_flow",
]

_UNKNOWN_OBJECT = re.compile(
    r"find object|not supported|does not exist|no sObject|not found", re.IGNORECASE
)
_QUERY_OBJECT = re.compile(r"sObject type '([A-Za-z0-9_]+)' is not supported")


def closest(name: str, candidates: Sequence[str]) -> str | None:
    """The candidate most like ``name`` (case-insensitive), or None if none is close."""
    by_lower = {c.lower(): c for c in candidates}
    match = difflib.get_close_matches(name.lower(), list(by_lower), n=1, cutoff=0.6)
    return by_lower[match[0]] if match else None


def _rebuilt(exc: SalesforceError, message: str) -> SalesforceError:
    return type(exc)(
        message,
        status=exc.status,
        error_code=exc.error_code,
        method=exc.method,
        url=exc.url,
        fields=exc.fields,
    )


def _object_names(session: Session) -> Flow[list[str]]:
    try:
        body = yield from api_json(session, ApiCall("GET", "/sobjects"))
    except SfBulkError:
        return []
    return [str(o["name"]) for o in body.get("sobjects") or [] if o.get("name")]


def _unknown_object(session: Session, exc: SalesforceError, name: str) -> Flow[SalesforceError]:
    names = yield from _object_names(session)
    exact = next((n for n in names if n.lower() == name.lower() and n != name), None)
    guess = exact or closest(name, [n for n in names if n != name])
    if guess is not None:
        return _rebuilt(
            exc,
            f"object '{name}' not found; did you mean '{guess}'? Object names are API names "
            f"(custom objects end in __c); `sfbulk describe {guess}` shows its fields",
        )
    return _rebuilt(
        exc,
        f"object '{name}' not found in this org: check the API name (custom objects end in "
        "__c) and that the user can see the object; `sfbulk describe OBJECT` tries a name",
    )


def _external_id(
    session: Session,
    cache: dict[str, dict[str, Any]],
    exc: SalesforceError,
    object_name: str,
    field: str,
) -> Flow[SalesforceError]:
    try:
        describe = yield from describe_flow(session, cache, object_name, False)
    except SfBulkError:
        return exc
    fields = [f for f in describe.get("fields") or [] if f.get("name")]
    keys = [str(f["name"]) for f in fields if f.get("externalId")]
    named = next((f for f in fields if str(f["name"]).lower() == field.lower()), None)
    if named is None:
        guess = closest(field, [str(f["name"]) for f in fields])
        what = f"'{field}' is not a field of {object_name}" + (
            f"; did you mean '{guess}'?" if guess else "."
        )
    else:
        what = f"{object_name}.{named['name']} is not an External ID field."
    choices = ", ".join(repr(k) for k in keys) if keys else "none"
    return _rebuilt(
        exc,
        f"upsert {object_name} on '{field}': {what} External ID fields of {object_name}: "
        f"{choices} (or 'Id'). Pass one as external_id_field (CLI: --external-id), or mark "
        "the field External ID in Setup; `sfbulk describe "
        f"{object_name}` lists the fields",
    )


def create_job_flow(
    session: Session,
    cache: dict[str, dict[str, Any]],
    call: ApiCall,
    *,
    object_name: str | None = None,
    external_id_field: str | None = None,
) -> Flow[JobInfo]:
    """Create an ingest or query job; a refusal of its object or upsert key is explained."""
    try:
        return (yield from job_info_flow(session, call))
    except InvalidJobError as exc:
        if external_id_field and object_name and "external id" in exc.message.lower():
            raise (
                yield from _external_id(session, cache, exc, object_name, external_id_field)
            ) from None
        message = exc.message.lower()
        if object_name and object_name.lower() in message and _UNKNOWN_OBJECT.search(message):
            raise (yield from _unknown_object(session, exc, object_name)) from None
        raise
    except InvalidTypeError as exc:
        match = _QUERY_OBJECT.search(exc.message)
        if match is None:
            raise
        raise (yield from _unknown_object(session, exc, match.group(1))) from None


def describe_with_hints_flow(
    session: Session, cache: dict[str, dict[str, Any]], object_name: str, refresh: bool
) -> Flow[dict[str, Any]]:
    """:func:`describe_flow`; an unknown object gets a did-you-mean from the org's objects."""
    try:
        return (yield from describe_flow(session, cache, object_name, refresh))
    except NotFoundError as exc:
        raise (yield from _unknown_object(session, exc, object_name)) from None
