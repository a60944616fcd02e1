"""The REST resources besides Bulk API 2.0 (in-process): JSON records of ``query`` and
``sobjects`` typed by field type, nested parents, record errors in REST form, userinfo and
identity of every configured user."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

import httpx
import pytest

from sfbulk_frames.emulator import Emulator

V = "/services/data/v62.0"


def _query(http: httpx.Client, soql: str, resource: str = "query") -> dict[str, Any]:
    response = http.get(f"{V}/{resource}", params={"q": soql})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def _create(http: httpx.Client, obj: str, **values: Any) -> str:
    response = http.post(f"{V}/sobjects/{obj}", json=values)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def test_json_values_follow_the_field_types(http: httpx.Client) -> None:
    _create(
        http,
        "Contact",
        LastName="Lee",
        HasOptedOutOfEmail=True,
        NumberOfChildren__c=2,
        Score__c=9.5,
        AnnualSpend__c=1200,
        Discount__c=12.5,
        Birthdate="1990-04-01",
        LastContacted__c="2024-03-15T17:02:31Z",
        PreferredCallTime__c="09:30:00.000Z",
        Languages__c="English;French",
    )
    fields = (
        "HasOptedOutOfEmail, NumberOfChildren__c, Score__c, AnnualSpend__c, Discount__c, "
        "Birthdate, LastContacted__c, PreferredCallTime__c, Languages__c, Email"
    )
    record = _query(http, f"SELECT {fields} FROM Contact")["records"][0]
    del record["attributes"]
    assert record == {
        "HasOptedOutOfEmail": True,
        "NumberOfChildren__c": 2,
        "Score__c": 9.5,
        "AnnualSpend__c": 1200.0,
        "Discount__c": 12.5,
        "Birthdate": "1990-04-01",
        "LastContacted__c": "2024-03-15T17:02:31.000+0000",
        "PreferredCallTime__c": "09:30:00.000Z",
        "Languages__c": "English;French",
        "Email": None,
    }
    assert isinstance(record["NumberOfChildren__c"], int)


def test_parents_nest_and_a_missing_parent_is_null(http: httpx.Client) -> None:
    account = _create(http, "Account", Name="Acme", NumberOfEmployees=12)
    _create(http, "Contact", LastName="Lee", AccountId=account)
    _create(http, "Contact", LastName="Orphan")
    body = _query(
        http, "SELECT LastName, Account.Name, Account.Owner.Username FROM Contact ORDER BY LastName"
    )
    lee, orphan = body["records"]
    assert lee["Account"]["attributes"] == {
        "type": "Account",
        "url": f"{V}/sobjects/Account/{account}",
    }
    assert lee["Account"]["Name"] == "Acme"
    assert lee["Account"]["Owner"]["attributes"]["type"] == "User"
    assert lee["Account"]["Owner"]["Username"] == "admin@example.com"
    assert orphan["Account"] is None
    assert list(lee) == ["attributes", "LastName", "Account"]


def test_polymorphic_parent_type_comes_from_the_record(http: httpx.Client) -> None:
    lead = _create(http, "Lead", LastName="Lee", Company="Acme")
    _create(http, "Task", Subject="Call", WhoId=lead)
    record = _query(http, "SELECT Subject, Who.Name FROM Task")["records"][0]
    assert record["Who"]["attributes"]["type"] == "Lead"


def test_query_all_shows_deleted_records(http: httpx.Client) -> None:
    doomed = _create(http, "Account", Name="Gone")
    _create(http, "Account", Name="Kept")
    assert http.delete(f"{V}/sobjects/Account/{doomed}").status_code == 204
    assert _query(http, "SELECT Name FROM Account")["totalSize"] == 1
    every = _query(http, "SELECT Name, IsDeleted FROM Account ORDER BY Name", "queryAll")
    assert [(r["Name"], r["IsDeleted"]) for r in every["records"]] == [
        ("Gone", True),
        ("Kept", False),
    ]


def test_count_query_answers_total_size_only(http: httpx.Client) -> None:
    for name in ("A", "B", "C"):
        _create(http, "Account", Name=name)
    body = _query(http, "SELECT COUNT() FROM Account WHERE Name != 'B'")
    assert body == {"totalSize": 2, "done": True, "records": []}


@pytest.mark.parametrize(
    ("soql", "code"),
    [
        ("SELECT Id FROM Acount", "INVALID_TYPE"),
        ("SELECT Nope FROM Account", "INVALID_FIELD"),
        ("SELECT FROM Account", "MALFORMED_QUERY"),
        ("", "MALFORMED_QUERY"),
    ],
)
def test_bad_queries_get_rest_errors(http: httpx.Client, soql: str, code: str) -> None:
    response = http.get(f"{V}/query", params={"q": soql})
    assert response.status_code == 400
    assert response.json()[0]["errorCode"] == code


def test_unknown_cursor_is_an_invalid_locator(http: httpx.Client) -> None:
    response = http.get(f"{V}/query/01gR00000000001AAA-2000")
    assert (response.status_code, response.json()[0]["errorCode"]) == (
        400,
        "INVALID_QUERY_LOCATOR",
    )


@pytest.mark.parametrize(
    ("values", "code", "fields"),
    [
        ({"FirstName": "Ann"}, "REQUIRED_FIELD_MISSING", ["LastName"]),
        (
            {"LastName": "Lee", "Level__c": "Boss"},
            "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST",
            ["Level__c"],
        ),
        ({"LastName": "Lee", "Birthdate": "1990-13-01"}, "INVALID_FIELD", ["Birthdate"]),
        ({"LastName": "Lee", "Nope__c": 1}, "INVALID_FIELD", ["Nope__c"]),
        ({"LastName": "Lee", "Id": "003R0000000001AAA"}, "INVALID_FIELD_FOR_INSERT_UPDATE", ["Id"]),
    ],
)
def test_record_errors_name_code_message_and_fields(
    http: httpx.Client, values: dict[str, Any], code: str, fields: list[str]
) -> None:
    response = http.post(f"{V}/sobjects/Contact", json=values)
    assert response.status_code == 400
    [error] = response.json()
    assert list(error) == ["message", "errorCode", "fields"]
    assert (error["errorCode"], error["fields"]) == (code, fields)
    assert error["message"]


def test_record_reads_check_object_id_and_fields(http: httpx.Client) -> None:
    account = _create(http, "Account", Name="Acme")
    assert http.get(f"{V}/sobjects/Nope__c/{account}").status_code == 404
    assert http.get(f"{V}/sobjects/Contact/{account}").status_code == 404  # other prefix
    bad_field = http.get(f"{V}/sobjects/Account/{account}", params={"fields": "Name,Nope"})
    assert (bad_field.status_code, bad_field.json()[0]["errorCode"]) == (400, "INVALID_FIELD")
    whole = http.get(f"{V}/sobjects/Account/{account[:15]}").json()  # 15-char Id accepted
    assert whole["Id"] == account
    assert whole["Name"] == "Acme"
    assert whole["OwnerId"] == whole["CreatedById"]


def test_patch_applies_the_bulk_rules(http: httpx.Client, emu: Emulator) -> None:
    account = _create(http, "Account", Name="Acme")
    bad = http.patch(f"{V}/sobjects/Account/{account}", json={"NumberOfEmployees": "many"})
    assert bad.status_code == 400
    assert bad.json()[0]["fields"] == ["NumberOfEmployees"]
    cleared = http.patch(f"{V}/sobjects/Account/{account}", json={"Name": None})
    assert cleared.json()[0]["errorCode"] == "REQUIRED_FIELD_MISSING"
    assert emu.sql('SELECT Name FROM "Account"') == [("Acme",)]


def test_userinfo_and_identity_of_another_configured_user(
    open_api: Callable[[Emulator], AbstractContextManager[Any]],
) -> None:
    users = {"admin@example.com": "pw", "ann.lee@example.com": "pw2"}
    with Emulator(users=users) as emu, open_api(emu) as api:
        http = api.http
        token = emu.auth.issue_token("ann.lee@example.com")
        headers = {"Authorization": f"Bearer {token}"}
        who = http.get("/services/oauth2/userinfo", headers=headers).json()
        assert who["preferred_username"] == "ann.lee@example.com"
        assert who["name"] == "Ann Lee"
        user = http.get(f"{V}/sobjects/User/{who['user_id']}", headers=headers)
        assert user.status_code == 200
        assert user.json()["Username"] == "ann.lee@example.com"
        identity = http.get(f"/id/{emu.org.org_id}/{who['user_id']}", headers=headers)
        assert identity.json()["display_name"] == "Ann Lee"
        assert (
            http.get(f"/id/00D000000000001AAA/{who['user_id']}", headers=headers).status_code == 404
        )
        bad = http.get("/services/oauth2/userinfo", headers={"Authorization": "Bearer nope"})
        assert (bad.status_code, bad.text) == (403, "Bad_OAuth_Token")


def test_sobject_basic_info_and_listing(http: httpx.Client) -> None:
    info = http.get(f"{V}/sobjects/Account").json()
    assert info["objectDescribe"]["keyPrefix"] == "001"
    assert info["recentItems"] == []
    listing = http.get(f"{V}/sobjects").json()["sobjects"]
    assert {"Account", "Widget__c", "Organization", "Product2"} <= {s["name"] for s in listing}
