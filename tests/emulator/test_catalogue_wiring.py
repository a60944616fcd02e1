"""The standard-object catalogue wired into the org: objects outside the built-in eight are
loaded on first use (describe, Bulk API 2.0 ingest and query, REST), with the catalogue's
metadata, defaults and auto-numbers; the built-in objects stay as they are."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx

from sfbulk_frames.emulator import Emulator
from sfbulk_frames.emulator.catalogue import load_describe

V = "/services/data/v62.0"
BUILT_IN = {"Account", "Contact", "Lead", "Opportunity", "Case", "Task", "User", "Widget__c"}


def _tables(emu: Emulator) -> set[str]:
    rows = emu.sql("SELECT name FROM sqlite_master WHERE type = 'table'")
    return {name for (name,) in rows if not name.startswith("__")}


def test_a_new_org_creates_only_the_built_in_tables(emu: Emulator) -> None:
    assert _tables(emu) == BUILT_IN
    assert set(emu.org.schema.names()) >= BUILT_IN | {"Order", "Product2", "PricebookEntry"}


def test_describe_of_a_catalogue_object_loads_it(http: httpx.Client, emu: Emulator) -> None:
    response = http.get(f"{V}/sobjects/PricebookEntry/describe")
    assert response.status_code == 200
    describe = response.json()
    catalogue = load_describe("PricebookEntry")
    assert (describe["keyPrefix"], describe["labelPlural"]) == (
        catalogue["keyPrefix"],
        catalogue["labelPlural"],
    )
    fields = {f["name"]: f for f in describe["fields"]}
    assert fields["Product2Id"]["referenceTo"] == ["Product2"]
    assert fields["UnitPrice"]["type"] == "currency"
    assert not fields["UnitPrice"]["nillable"]
    assert fields["IsActive"]["defaultValue"] is False
    assert "PricebookEntry" in _tables(emu)
    assert "Order" not in _tables(emu)


def test_picklist_defaults_and_auto_numbers(http: httpx.Client) -> None:
    describe = http.get(f"{V}/sobjects/Order/describe").json()
    status = next(f for f in describe["fields"] if f["name"] == "Status")
    assert [p["value"] for p in status["picklistValues"] if p["defaultValue"]] == ["Draft"]
    number = next(f for f in describe["fields"] if f["name"] == "OrderNumber")
    assert number["autoNumber"] is True


def test_sobjects_lists_catalogue_objects(http: httpx.Client) -> None:
    names = {s["name"] for s in http.get(f"{V}/sobjects").json()["sobjects"]}
    assert names >= BUILT_IN | {
        "Asset",
        "Campaign",
        "CampaignMember",
        "Product2",
        "Pricebook2",
        "PricebookEntry",
        "Order",
        "OrderItem",
        "Contract",
        "Event",
        "Note",
        "Attachment",
        "ContentVersion",
        "Organization",
    }


def test_built_in_objects_keep_their_definition(http: httpx.Client) -> None:
    fields = {f["name"] for f in http.get(f"{V}/sobjects/Contact/describe").json()["fields"]}
    assert {"ExternalId__c", "Level__c", "Score__c"} <= fields  # built-in custom fields


def _ingest(api: Any, obj: str, data: str, operation: str = "insert") -> Any:
    outcome = api.ingest(obj, operation, data)
    assert outcome.info["state"] == "JobComplete", outcome.info
    assert outcome.failed == [], outcome.failed
    return outcome


def test_pricebook_entry_chain_and_an_order_through_bulk(api: Any, emu: Emulator) -> None:
    product = _ingest(api, "Product2", "Name,ProductCode,IsActive\nWidget,W-1,true\n")
    pricebook = _ingest(api, "Pricebook2", "Name,IsActive\nStandard,true\n")
    product_id = product.successful[0]["sf__Id"]
    pricebook_id = pricebook.successful[0]["sf__Id"]
    assert (product_id[:3], pricebook_id[:3]) == ("01t", "01s")
    _ingest(
        api,
        "PricebookEntry",
        f"Pricebook2Id,Product2Id,UnitPrice\n{pricebook_id},{product_id},9.5\n",
    )
    account = _ingest(api, "Account", "Name\nAcme\n").successful[0]["sf__Id"]
    order = _ingest(
        api,
        "Order",
        f"AccountId,Pricebook2Id,EffectiveDate,Status\n{account},{pricebook_id},2024-05-01,Draft\n",
    )
    assert order.successful[0]["sf__Id"][:3] == "801"
    missing = api.ingest("Order", "insert", f"AccountId\n{account}\n")
    assert missing.failed[0]["sf__Error"].startswith("REQUIRED_FIELD_MISSING:")

    job_id = api.query(
        "SELECT UnitPrice, Product2.Name, Pricebook2.Name, IsActive FROM PricebookEntry"
    )
    assert api.http.get(f"{V}/jobs/query/{job_id}").json()["state"] == "JobComplete"
    page = api.http.get(f"{V}/jobs/query/{job_id}/results").text
    assert page == (
        '"UnitPrice","Product2.Name","Pricebook2.Name","IsActive"\n'
        '"9.5","Widget","Standard","false"\n'
    )
    numbers = api.http.get(
        f"{V}/query",
        params={
            "q": "SELECT OrderNumber, Status, LastModifiedById, Account.Name FROM Order",
        },
    ).json()["records"]
    assert numbers[0]["OrderNumber"] == "00000001"
    assert numbers[0]["LastModifiedById"] == emu.org.user_id
    assert numbers[0]["Account"]["Name"] == "Acme"


def test_organization_holds_the_org_record(http: httpx.Client, emu: Emulator) -> None:
    url = f"{V}/sobjects/Organization/{emu.org.org_id}"
    record = http.get(url, params={"fields": "Name,OrganizationType,IsSandbox"}).json()
    assert record == {
        "attributes": {"type": "Organization", "url": url},
        "Name": "sfbulk_frames Emulator",
        "OrganizationType": "Developer Edition",
        "IsSandbox": False,
    }


def test_own_schema_still_adds_objects_on_top(tmp_path: Path) -> None:
    describe = {
        "name": "Invoice__c",
        "keyPrefix": "a0I",
        "label": "Invoice",
        "fields": [
            {"name": "Id", "type": "id", "nillable": False, "createable": False},
            {"name": "Name", "type": "string", "length": 80, "nillable": False},
            {"name": "Channel__c", "type": "combobox", "length": 40},
        ],
    }
    path = tmp_path / "invoice.json"
    path.write_text(json.dumps(describe), encoding="utf-8")
    with Emulator(schema_files=[path]) as emu:
        with httpx.Client(
            transport=emu.transport(),
            base_url=emu.instance_url,
            headers={"Authorization": f"Bearer {emu.token}"},
        ) as http:
            created = http.post(
                f"{V}/sobjects/Invoice__c", json={"Name": "INV-1", "Channel__c": "anything typed"}
            )
            assert created.status_code == 201, created.text
            names = {s["name"] for s in http.get(f"{V}/sobjects").json()["sobjects"]}
        assert {"Invoice__c", "Order", "Account"} <= names
