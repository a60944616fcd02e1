"""The built-in org schema: Account, Contact, Lead, Opportunity, Case, Task, User and the custom
object ``Widget__c``, with fields of every common describe type."""

from __future__ import annotations

from typing import Any

from sfbulk_frames.emulator.models.schema import FieldDef, ObjectDef, Schema

_SYSTEM_FIELDS = ("CreatedDate", "LastModifiedDate", "SystemModstamp")


def _f(name: str, ftype: str, **kw: Any) -> FieldDef:
    kw.setdefault("custom", name.endswith("__c"))
    kw.setdefault("label", _label(name))
    if (
        ftype in ("string", "email", "phone", "url", "picklist", "multipicklist")
        and "length" not in kw
    ):
        kw["length"] = {"email": 80, "phone": 40, "multipicklist": 4099}.get(ftype, 255)
    if ftype == "textarea" and "length" not in kw:
        kw["length"] = 32000
    if ftype in ("id", "reference"):
        kw.setdefault("length", 18)
    return FieldDef(name=name, type=ftype, **kw)


def _label(name: str) -> str:
    base = name.removesuffix("__c").removesuffix("Id") if name != "Id" else "Record ID"
    out = []
    for i, ch in enumerate(base.replace("_", " ")):
        if ch.isupper() and i and base[i - 1].islower():
            out.append(" ")
        out.append(ch)
    return "".join(out).strip() or name


def _ref(name: str, to: str | tuple[str, ...], rel: str, **kw: Any) -> FieldDef:
    targets = (to,) if isinstance(to, str) else to
    return _f(
        name,
        "reference",
        reference_to=targets,
        relationship_name=rel,
        polymorphic=len(targets) > 1,
        **kw,
    )


def _ext(name: str = "ExternalId__c") -> FieldDef:
    return _f(
        name,
        "string",
        length=80,
        unique=True,
        external_id=True,
        id_lookup=True,
        label=name.removesuffix("__c").replace("Id", " ID").strip(),
    )


def _required_string(name: str, length: int = 80, **kw: Any) -> FieldDef:
    return _f(
        name, "string", length=length, nillable=False, id_lookup=kw.pop("id_lookup", False), **kw
    )


def _object(name: str, prefix: str, fields: list[FieldDef], *, owner: bool = True) -> ObjectDef:
    system = [
        _f(
            "Id",
            "id",
            nillable=False,
            createable=False,
            updateable=False,
            defaulted_on_create=True,
            id_lookup=True,
            label="Record ID",
        ),
        _f(
            "IsDeleted",
            "boolean",
            nillable=False,
            createable=False,
            updateable=False,
            defaulted_on_create=True,
        ),
    ]
    if owner:
        fields = [
            *fields,
            _ref("OwnerId", "User", "Owner", nillable=False, defaulted_on_create=True),
        ]
    audit = [
        _f(
            n,
            "datetime",
            nillable=False,
            createable=False,
            updateable=False,
            defaulted_on_create=True,
        )
        for n in _SYSTEM_FIELDS
    ]
    audit.append(
        _ref(
            "CreatedById",
            "User",
            "CreatedBy",
            nillable=False,
            createable=False,
            updateable=False,
            defaulted_on_create=True,
        )
    )
    all_fields = system + fields + audit
    return ObjectDef(
        name=name,
        key_prefix=prefix,
        label=name.removesuffix("__c").replace("_", " "),
        custom=name.endswith("__c"),
        fields={f.name.lower(): f for f in all_fields},
    )


_INDUSTRIES = (
    "Agriculture",
    "Banking",
    "Biotechnology",
    "Chemicals",
    "Communications",
    "Construction",
    "Consulting",
    "Education",
    "Electronics",
    "Energy",
    "Finance",
    "Healthcare",
    "Insurance",
    "Manufacturing",
    "Media",
    "Retail",
    "Technology",
    "Other",
)
_LEAD_SOURCES = ("Web", "Phone Inquiry", "Partner Referral", "Purchased List", "Other")
_CONTACT_FIELDS: list[FieldDef] = [
    _f("FirstName", "string", length=40),
    _required_string("LastName"),
    _f("Name", "string", length=121, createable=False, updateable=False, id_lookup=False),
    _f("Email", "email", id_lookup=True),
    _f("Phone", "phone"),
    _f("Title", "string", length=128),
    _f("Birthdate", "date"),
    _ref("AccountId", "Account", "Account"),
    _ref("ReportsToId", "Contact", "ReportsTo"),
    _ext(),
    _f("LeadSource", "picklist", picklist_values=_LEAD_SOURCES),
    _f(
        "Level__c",
        "picklist",
        picklist_values=("Primary", "Secondary", "Tertiary"),
        restricted_picklist=True,
    ),
    _f(
        "Languages__c",
        "multipicklist",
        picklist_values=("English", "French", "German", "Spanish", "Japanese", "Chinese"),
    ),
    _f(
        "HasOptedOutOfEmail",
        "boolean",
        nillable=False,
        defaulted_on_create=True,
        default_value=False,
    ),
    _f("NumberOfChildren__c", "int", precision=3),
    _f("Score__c", "double", precision=18, scale=2),
    _f("AnnualSpend__c", "currency", precision=18, scale=2),
    _f("Discount__c", "percent", precision=5, scale=2),
    _f("LastContacted__c", "datetime"),
    _f("PreferredCallTime__c", "time"),
    _f("Description", "textarea", length=32000),
]
_ACCOUNT_FIELDS: list[FieldDef] = [
    _required_string("Name", 255, id_lookup=True),
    _ext(),
    _f("AccountNumber", "string", length=40),
    _f("AnnualRevenue", "currency", precision=18),
    _f("NumberOfEmployees", "int", precision=8),
    _f("Industry", "picklist", picklist_values=_INDUSTRIES),
    _f(
        "Type",
        "picklist",
        picklist_values=("Prospect", "Customer - Direct", "Customer - Channel", "Partner", "Other"),
    ),
    _f("Rating", "picklist", picklist_values=("Hot", "Warm", "Cold")),
    _f("Website", "url"),
    _f("Phone", "phone"),
    _ref("ParentId", "Account", "Parent"),
    _f("BillingStreet", "textarea", length=255),
    _f("BillingCity", "string", length=40),
    _f("BillingState", "string", length=80),
    _f("BillingPostalCode", "string", length=20),
    _f("BillingCountry", "string", length=80),
    _f("Description", "textarea", length=32000),
    _f("IsActive__c", "boolean", nillable=False, defaulted_on_create=True, default_value=True),
]
_LEAD_FIELDS: list[FieldDef] = [
    _f("FirstName", "string", length=40),
    _required_string("LastName"),
    _required_string("Company", 255),
    _f("Email", "email", id_lookup=True),
    _f("Phone", "phone"),
    _f(
        "Status",
        "picklist",
        nillable=False,
        defaulted_on_create=True,
        restricted_picklist=True,
        picklist_values=(
            "Open - Not Contacted",
            "Working - Contacted",
            "Closed - Converted",
            "Closed - Not Converted",
        ),
        default_value="Open - Not Contacted",
    ),
    _f("LeadSource", "picklist", picklist_values=_LEAD_SOURCES),
    _f("Industry", "picklist", picklist_values=_INDUSTRIES),
    _f("AnnualRevenue", "currency", precision=18),
    _f("NumberOfEmployees", "int", precision=8),
    _ext(),
]
_OPPORTUNITY_FIELDS: list[FieldDef] = [
    _required_string("Name", 120),
    _ref("AccountId", "Account", "Account"),
    _f(
        "StageName",
        "picklist",
        nillable=False,
        restricted_picklist=True,
        picklist_values=(
            "Prospecting",
            "Qualification",
            "Needs Analysis",
            "Proposal",
            "Negotiation",
            "Closed Won",
            "Closed Lost",
        ),
    ),
    _f("CloseDate", "date", nillable=False),
    _f("Amount", "currency", precision=18, scale=2),
    _f("Probability", "percent", precision=3),
    _f("IsPrivate", "boolean", nillable=False, defaulted_on_create=True, default_value=False),
    _ext(),
]
_CASE_FIELDS: list[FieldDef] = [
    _f("Subject", "string", length=255),
    _f("CaseNumber", "string", length=30, createable=False, updateable=False, id_lookup=True),
    _ref("AccountId", "Account", "Account"),
    _ref("ContactId", "Contact", "Contact"),
    _f(
        "Status",
        "picklist",
        nillable=False,
        defaulted_on_create=True,
        restricted_picklist=True,
        picklist_values=("New", "Working", "Escalated", "Closed"),
        default_value="New",
    ),
    _f("Priority", "picklist", picklist_values=("High", "Medium", "Low")),
    _f("Origin", "picklist", picklist_values=("Phone", "Email", "Web")),
    _f("Description", "textarea", length=32000),
    _f("IsEscalated", "boolean", nillable=False, defaulted_on_create=True, default_value=False),
]
_TASK_FIELDS: list[FieldDef] = [
    _f("Subject", "string", length=255),
    _ref("WhoId", ("Contact", "Lead"), "Who"),
    _ref("WhatId", ("Account", "Opportunity", "Case", "Widget__c"), "What"),
    _f("ActivityDate", "date"),
    _f(
        "Status",
        "picklist",
        nillable=False,
        defaulted_on_create=True,
        picklist_values=("Not Started", "In Progress", "Completed"),
        default_value="Not Started",
    ),
    _f("Description", "textarea", length=32000),
]
_USER_FIELDS: list[FieldDef] = [
    _f("FirstName", "string", length=40),
    _required_string("LastName"),
    _f("Name", "string", length=121, createable=False, updateable=False),
    _f("Username", "string", length=80, nillable=False, unique=True, id_lookup=True),
    _f("Email", "email", nillable=False, id_lookup=True),
    _f("Alias", "string", length=8, nillable=False),
    _f("ProfileName__c", "string", length=80),
    _f("IsActive", "boolean", nillable=False, defaulted_on_create=True, default_value=True),
    _f("FederationIdentifier", "string", length=512, id_lookup=True, external_id=True),
]
_WIDGET_FIELDS: list[FieldDef] = [
    _f("Name", "string", length=80, nillable=False, defaulted_on_create=True, id_lookup=True),
    _ext("Sku__c"),
    _f("Price__c", "currency", precision=16, scale=2),
    _f("Weight__c", "double", precision=18, scale=3),
    _f("Quantity__c", "int", precision=9),
    _f("InStock__c", "boolean", nillable=False, defaulted_on_create=True, default_value=False),
    _f("Color__c", "picklist", picklist_values=("Red", "Green", "Blue"), restricted_picklist=True),
    _f("Tags__c", "multipicklist", picklist_values=("New", "Sale", "Clearance", "Featured")),
    _f("LaunchDate__c", "date"),
    _f("Notes__c", "textarea", length=32000),
    _ref("Account__c", "Account", "Account__r"),
]


def builtin_schema() -> Schema:
    """A fresh copy of the built-in org's objects."""
    schema = Schema()
    for obj in (
        _object("Account", "001", _ACCOUNT_FIELDS),
        _object("Contact", "003", _CONTACT_FIELDS),
        _object("Lead", "00Q", _LEAD_FIELDS),
        _object("Opportunity", "006", _OPPORTUNITY_FIELDS),
        _object("Case", "500", _CASE_FIELDS),
        _object("Task", "00T", _TASK_FIELDS),
        _object("User", "005", _USER_FIELDS, owner=False),
        _object("Widget__c", "a01", _WIDGET_FIELDS),
    ):
        schema.add(obj)
    return schema


DEFAULT_USERNAME = "admin@example.com"
DEFAULT_USER_FIELDS = {
    "FirstName": "Ada",
    "LastName": "Admin",
    "Name": "Ada Admin",
    "Username": DEFAULT_USERNAME,
    "Email": DEFAULT_USERNAME,
    "Alias": "aadmin",
    "ProfileName__c": "System Administrator",
    "IsActive": 1,
}
DEFAULT_ORGANIZATION_NAME = "sfbulk_frames Emulator"
DEFAULT_ORGANIZATION_FIELDS = {
    "Name": DEFAULT_ORGANIZATION_NAME,
    "OrganizationType": "Developer Edition",
    "InstanceName": "EMU1",
    "IsSandbox": 0,
    "IsReadOnly": 0,
    "DefaultLocaleSidKey": "en_US",
    "LanguageLocaleKey": "en_US",
    "TimeZoneSidKey": "America/Los_Angeles",
    "FiscalYearStartMonth": 1,
    "UsesStartDateAsFiscalYearName": 0,
    "Country": "US",
}
