"""The standard-object catalogue: every file is a describe the emulator's loader accepts, with
the key prefixes, references and required fields real orgs have, and a superset of the
built-in org's standard fields."""

from __future__ import annotations

from typing import Any

import pytest

from sfbulk_frames import SfBulkError
from sfbulk_frames.emulator.catalogue import (
    UnknownCatalogueObjectError,
    catalogue_objects,
    load_describe,
)
from sfbulk_frames.emulator.models.objects.builtin import builtin_schema
from sfbulk_frames.emulator.models.schema import ObjectDef, Schema

PREFIXES = {
    "Account": "001", "Contact": "003", "Lead": "00Q", "Opportunity": "006", "Case": "500",
    "Task": "00T", "User": "005", "Organization": "00D", "Asset": "02i", "Campaign": "701",
    "CampaignMember": "00v", "Product2": "01t", "Pricebook2": "01s", "PricebookEntry": "01u",
    "Order": "801", "OrderItem": "802", "Contract": "800", "Event": "00U", "Note": "002",
    "Attachment": "00P", "ContentVersion": "068",
}  # fmt: skip
# Standard objects outside the catalogue that reference fields may point to.
KNOWN_STANDARD = {
    "Group", "Calendar", "Profile", "UserRole", "RecordType", "ContentDocument", "Individual",
    "OperatingHours", "ExternalDataSource", "ContentBody",
}  # fmt: skip
# Not nillable, not createable, not defaulted: values the platform computes (real describes).
COMPUTED = {
    ("Contact", "Name"), ("Lead", "Name"), ("User", "Name"), ("Opportunity", "ForecastCategory"),
    ("Order", "StatusCode"), ("Order", "TotalAmount"), ("Contract", "StatusCode"),
    ("ContentVersion", "FileType"),
    *(("Campaign", f) for f in (
        "NumberOfLeads", "NumberOfConvertedLeads", "NumberOfContacts", "NumberOfResponses",
        "NumberOfOpportunities", "NumberOfWonOpportunities", "AmountAllOpportunities",
        "AmountWonOpportunities",
    )),
}  # fmt: skip


def _fields(name: str) -> list[dict[str, Any]]:
    fields = load_describe(name)["fields"]
    assert isinstance(fields, list)
    return fields


def test_catalogue_holds_exactly_the_listed_objects() -> None:
    assert set(catalogue_objects()) == set(PREFIXES)


@pytest.mark.parametrize("name", sorted(PREFIXES))
def test_key_prefix_and_source_are_recorded(name: str) -> None:
    describe = load_describe(name)
    assert describe["name"] == name
    assert describe["keyPrefix"] == PREFIXES[name]
    assert describe["_source"], f"{name}.json names no source"


@pytest.mark.parametrize("name", sorted(PREFIXES))
def test_file_parses_with_the_emulator_describe_loader(name: str) -> None:
    obj = ObjectDef.from_describe(load_describe(name))
    assert obj.key_prefix == PREFIXES[name]
    assert not obj.custom
    id_field = obj.field("Id")
    assert id_field is not None
    assert id_field.type == "id"
    assert len(obj.fields) == len(_fields(name)), "duplicate field names"
    assert 10 <= len(obj.fields) <= 60


def test_all_files_load_together_as_one_schema() -> None:
    schema = Schema.from_describes(load_describe(n) for n in catalogue_objects())
    assert {o.key_prefix for o in schema.objects.values()} == set(PREFIXES.values())
    assert schema.by_prefix("01u") is schema.get("pricebookentry")


@pytest.mark.parametrize("name", sorted(PREFIXES))
def test_references_point_at_known_objects(name: str) -> None:
    allowed = set(PREFIXES) | KNOWN_STANDARD
    for f in _fields(name):
        if f["type"] != "reference":
            assert not f.get("referenceTo"), f"{name}.{f['name']} is not a reference"
            continue
        assert f["referenceTo"], f"{name}.{f['name']} references nothing"
        assert set(f["referenceTo"]) <= allowed, f"{name}.{f['name']}: {f['referenceTo']}"
        assert f["polymorphicForeignKey"] == (len(f["referenceTo"]) > 1), f["name"]
        # Opportunity.ContactId has no relationship name in the recorded describe
        assert f["relationshipName"] or (name, f["name"]) == ("Opportunity", "ContactId")


@pytest.mark.parametrize("name", sorted(PREFIXES))
def test_required_fields_are_consistent(name: str) -> None:
    describe = load_describe(name)
    for f in _fields(name):
        where = f"{name}.{f['name']}"
        assert f["type"] not in ("address", "location"), f"compound field {where} kept"
        if f["type"] in ("picklist", "multipicklist") and f["restrictedPicklist"]:
            assert f["picklistValues"], f"{where} is restricted but lists no value"
        if f["nillable"] or f["createable"] or f["defaultedOnCreate"]:
            continue
        if f["name"] in ("Id", "IsDeleted") or not describe["createable"]:
            continue
        system = not f["updateable"] and f["name"] in (
            "CreatedDate", "CreatedById", "LastModifiedDate", "LastModifiedById", "SystemModstamp",
        )  # fmt: skip
        assert system or (name, f["name"]) in COMPUTED, f"{where} can never be given a value"


def test_required_fields_match_real_orgs() -> None:
    def required(name: str) -> set[str]:
        obj = ObjectDef.from_describe(load_describe(name))
        return {f.name for f in obj if f.required_on_create}

    assert required("Account") == {"Name"}
    assert required("Contact") == {"LastName"}
    assert required("Lead") == {"LastName", "Company"}
    assert required("Opportunity") == {"Name", "StageName", "CloseDate"}
    assert required("PricebookEntry") == {"Pricebook2Id", "Product2Id", "UnitPrice"}
    assert required("OrderItem") == {"OrderId", "PricebookEntryId", "Quantity"}
    assert {"Username", "Email", "Alias", "ProfileId", "TimeZoneSidKey"} <= required("User")


# Where the built-in org differs from real orgs, the catalogue keeps the real value.
REAL_ORG_DIFFERS = {
    ("User", "IsDeleted"): None,  # real User objects have no IsDeleted field
    ("Task", "Subject"): "combobox",  # built-in: string
}


def test_builtin_standard_fields_are_a_subset_with_the_same_types() -> None:
    builtin = builtin_schema()
    for obj in builtin.objects.values():
        if obj.custom:
            continue
        catalogue = ObjectDef.from_describe(load_describe(obj.name))
        for f in obj:
            if f.custom:
                continue
            real = catalogue.field(f.name)
            if (obj.name, f.name) in REAL_ORG_DIFFERS:
                expected = REAL_ORG_DIFFERS[obj.name, f.name]
                assert (real and real.type) == expected, f"{obj.name}.{f.name}"
                continue
            assert real is not None, f"{obj.name}.{f.name} missing from the catalogue"
            assert real.type == f.type, f"{obj.name}.{f.name}: {real.type} != {f.type}"
            if f.type == "reference":
                assert set(f.reference_to) & set(real.reference_to), f"{obj.name}.{f.name}"


def test_lookup_is_case_insensitive_and_returns_a_fresh_copy() -> None:
    first = load_describe("pricebookentry")
    first["name"] = "changed"
    assert load_describe("PricebookEntry")["name"] == "PricebookEntry"


def test_unknown_object_names_the_available_ones() -> None:
    with pytest.raises(UnknownCatalogueObjectError) as caught:
        load_describe("Widget__c")
    assert isinstance(caught.value, KeyError)
    assert isinstance(caught.value, SfBulkError)
    assert caught.value.name == "Widget__c"
    assert "Account" in caught.value.available
    assert "Widget__c" in str(caught.value)
    assert "--schema" in str(caught.value)
