"""Who is logged in, as the identity service reports it (``GET /id/{orgId}/{userId}``, the
``identity`` URL of the token response and the resource map) and as OpenID Connect's
``GET /services/oauth2/userinfo`` reports it: built from the org's User and Organization
records, so they agree with ``sobjects/User/{id}`` and ``SELECT … FROM Organization``.

The ``urls`` map keeps Salesforce's ``{version}`` placeholders (clients fill them in)."""

from __future__ import annotations

from typing import Any

from sfbulk_frames.emulator.models.errors import sf_timestamp
from sfbulk_frames.emulator.models.org import Org

__all__ = ["identity_document", "identity_url", "userinfo_document"]

_LOCALE = {"language": "en_US", "locale": "en_US", "utcOffset": -28800000}
_TIMEZONE = "America/Los_Angeles"


def identity_url(base_url: str, org_id: str, user_id: str) -> str:
    return f"{base_url}/id/{org_id}/{user_id}"


def _user_row(org: Org, user_id: str) -> dict[str, Any] | None:
    row = org.conn.execute(
        "SELECT Username, FirstName, LastName, Name, Email, IsActive, LastModifiedDate "
        'FROM "User" WHERE Id = ? AND IsDeleted = 0',
        (user_id,),
    ).fetchone()
    if row is None:
        return None
    keys = ("username", "first", "last", "name", "email", "active", "modified")
    return dict(zip(keys, row, strict=True))


def _urls(base_url: str, org_id: str, user_id: str) -> dict[str, str]:
    data = f"{base_url}/services/data/v{{version}}"
    return {
        "enterprise": f"{base_url}/services/Soap/c/{{version}}/{org_id}",
        "metadata": f"{base_url}/services/Soap/m/{{version}}/{org_id}",
        "partner": f"{base_url}/services/Soap/u/{{version}}/{org_id}",
        "rest": f"{data}/",
        "sobjects": f"{data}/sobjects/",
        "search": f"{data}/search/",
        "query": f"{data}/query/",
        "recent": f"{data}/recent/",
        "tooling_soap": f"{base_url}/services/Soap/T/{{version}}/{org_id}",
        "tooling_rest": f"{data}/tooling/",
        "profile": f"{base_url}/{user_id}",
        "feeds": f"{data}/chatter/feeds",
        "groups": f"{data}/chatter/groups",
        "users": f"{data}/chatter/users",
        "feed_items": f"{data}/chatter/feed-items",
        "feed_elements": f"{data}/chatter/feed-elements",
        "custom_domain": base_url,
    }


def _photos(base_url: str, user_id: str) -> dict[str, str]:
    return {
        "picture": f"{base_url}/profilephoto/005/F?{user_id}",
        "thumbnail": f"{base_url}/profilephoto/005/T?{user_id}",
    }


def _modified(user: dict[str, Any]) -> str:
    text = str(user["modified"] or "")
    return text[:-1] + "+0000" if text.endswith("Z") else sf_timestamp()


def identity_document(org: Org, base_url: str, user_id: str) -> dict[str, Any] | None:
    """The identity service's answer for ``user_id`` of this org, or None if no such user."""
    user = _user_row(org, user_id)
    if user is None:
        return None
    return {
        "id": identity_url(base_url, org.org_id, user_id),
        "asserted_user": True,
        "user_id": user_id,
        "organization_id": org.org_id,
        "username": user["username"],
        "nick_name": str(user["username"]).split("@", 1)[0],
        "display_name": user["name"],
        "email": user["email"],
        "email_verified": True,
        "first_name": user["first"],
        "last_name": user["last"],
        "timezone": _TIMEZONE,
        "photos": _photos(base_url, user_id),
        "addr_street": None,
        "addr_city": None,
        "addr_state": None,
        "addr_country": None,
        "addr_zip": None,
        "mobile_phone": None,
        "mobile_phone_verified": False,
        "is_lightning_login_user": False,
        "status": {"created_date": None, "body": None},
        "urls": _urls(base_url, org.org_id, user_id),
        "active": bool(user["active"]),
        "user_type": "STANDARD",
        **_LOCALE,
        "last_modified_date": _modified(user),
        "is_app_installed": True,
    }


def userinfo_document(org: Org, base_url: str, user_id: str) -> dict[str, Any] | None:
    """OpenID Connect userinfo of ``user_id`` (``sub`` is the identity URL)."""
    user = _user_row(org, user_id)
    if user is None:
        return None
    return {
        "sub": identity_url(base_url, org.org_id, user_id),
        "user_id": user_id,
        "organization_id": org.org_id,
        "preferred_username": user["username"],
        "nickname": str(user["username"]).split("@", 1)[0],
        "name": user["name"],
        "email": user["email"],
        "email_verified": True,
        "given_name": user["first"],
        "family_name": user["last"],
        "zoneinfo": _TIMEZONE,
        "photos": _photos(base_url, user_id),
        "profile": f"{base_url}/{user_id}",
        "picture": _photos(base_url, user_id)["picture"],
        "address": {},
        "is_salesforce_integration_user": False,
        "urls": _urls(base_url, org.org_id, user_id),
        "active": bool(user["active"]),
        "user_type": "STANDARD",
        **_LOCALE,
        "updated_at": _modified(user)[:19] + "Z",
        "is_app_installed": True,
    }
