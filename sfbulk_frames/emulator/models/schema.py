"""The org's metadata: objects and fields, as Salesforce's describe shows them.

Storage convention (shared by the ingest processor and the SOQL compiler):

* one SQLite table per object, named exactly like the object's API name (quoted: ``"Contact"``);
* one column per field, named exactly like the field's API name; ``Id`` is the primary key
  (18-character Id), every table also has ``IsDeleted INTEGER NOT NULL DEFAULT 0``;
* values by field type (:func:`storage_class`):
    - TEXT: id, reference (18-char parent Id), string, textarea, email, phone, url, picklist,
      multipicklist (values joined by ``;``), combobox, encryptedstring
    - INTEGER: boolean (0/1), int, long
    - REAL: double, currency, percent
    - TEXT date ``YYYY-MM-DD``; datetime ``YYYY-MM-DDTHH:MM:SS.sssZ`` (UTC); time ``HH:MM:SS.sssZ``
  so that text ordering is chronological for dates, datetimes and times;
* SQL NULL is "no value" (Salesforce does not distinguish empty text from null).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

INTEGER_TYPES = frozenset({"boolean", "int", "long"})
REAL_TYPES = frozenset({"double", "currency", "percent"})
COMPOUND_TYPES = frozenset({"address", "location"})


def storage_class(field_type: str) -> str:
    """SQLite column type for a Salesforce field type (``TEXT``, ``INTEGER`` or ``REAL``)."""
    if field_type in INTEGER_TYPES:
        return "INTEGER"
    if field_type in REAL_TYPES:
        return "REAL"
    return "TEXT"


@dataclass(frozen=True)
class FieldDef:
    name: str                                   # API name, e.g. "AccountId", "Ext_Id__c"
    type: str                                   # describe type: "string", "reference", ...
    label: str = ""
    length: int = 0                             # max length for text types (0 = not bounded)
    precision: int = 0
    scale: int = 0
    nillable: bool = True
    createable: bool = True
    updateable: bool = True
    defaulted_on_create: bool = False
    unique: bool = False
    external_id: bool = False
    id_lookup: bool = False
    calculated: bool = False
    reference_to: tuple[str, ...] = ()          # parent object names for reference fields
    relationship_name: str | None = None        # "Account" for AccountId, "Owner" for OwnerId
    polymorphic: bool = False
    picklist_values: tuple[str, ...] = ()
    restricted_picklist: bool = False
    custom: bool = False
    default_value: Any = None
    auto_number: bool = False                   # CaseNumber, OrderNumber: the org numbers them

    @property
    def required_on_create(self) -> bool:
        return not self.nillable and self.createable and not self.defaulted_on_create

    def describe(self) -> dict[str, Any]:
        """This field as a describe ``fields[]`` entry."""
        soap = {
            "id": "tns:ID", "reference": "tns:ID", "boolean": "xsd:boolean", "int": "xsd:int",
            "long": "xsd:long", "double": "xsd:double", "currency": "xsd:double",
            "percent": "xsd:double", "date": "xsd:date", "datetime": "xsd:dateTime",
            "time": "xsd:time", "address": "urn:address", "location": "urn:location",
        }.get(self.type, "xsd:string")
        return {
            "name": self.name,
            "label": self.label or self.name,
            "type": self.type,
            "soapType": soap,
            "length": self.length,
            "byteLength": self.length * 3,
            "precision": self.precision,
            "scale": self.scale,
            "digits": 0,
            "nillable": self.nillable,
            "createable": self.createable,
            "updateable": self.updateable,
            "unique": self.unique,
            "externalId": self.external_id,
            "idLookup": self.id_lookup,
            "calculated": self.calculated,
            "defaultedOnCreate": self.defaulted_on_create,
            "referenceTo": list(self.reference_to),
            "relationshipName": self.relationship_name,
            "polymorphicForeignKey": self.polymorphic,
            "picklistValues": [
                {"value": v, "label": v, "active": True, "defaultValue": v == self.default_value}
                for v in self.picklist_values
            ],
            "restrictedPicklist": self.restricted_picklist,
            "custom": self.custom,
            "filterable": self.type not in ("textarea",),
            "autoNumber": self.auto_number,
            "defaultValue": None if "picklist" in self.type else self.default_value,
        }

    @classmethod
    def from_describe(cls, d: Mapping[str, Any]) -> FieldDef:
        return cls(
            name=d["name"],
            type=d["type"],
            label=d.get("label", d["name"]),
            length=int(d.get("length") or 0),
            precision=int(d.get("precision") or 0),
            scale=int(d.get("scale") or 0),
            nillable=bool(d.get("nillable", True)),
            createable=bool(d.get("createable", True)),
            updateable=bool(d.get("updateable", True)),
            defaulted_on_create=bool(d.get("defaultedOnCreate", False)),
            unique=bool(d.get("unique", False)),
            external_id=bool(d.get("externalId", False)),
            id_lookup=bool(d.get("idLookup", False)),
            calculated=bool(d.get("calculated", False)),
            reference_to=tuple(d.get("referenceTo") or ()),
            relationship_name=d.get("relationshipName"),
            polymorphic=bool(d.get("polymorphicForeignKey", False)),
            picklist_values=tuple(
                p["value"] for p in d.get("picklistValues") or () if p.get("active", True)
            ),
            restricted_picklist=bool(d.get("restrictedPicklist", False)),
            custom=bool(d.get("custom", False)),
            default_value=_default_value(d),
            auto_number=bool(d.get("autoNumber", False)),
        )


def _default_value(d: Mapping[str, Any]) -> Any:
    """A describe field's default: its ``defaultValue`` (booleans, formula-free literals) or
    the active picklist entry flagged ``defaultValue: true``."""
    value = d.get("defaultValue")
    if value is not None:
        return value
    for entry in d.get("picklistValues") or ():
        if entry.get("defaultValue") and entry.get("active", True):
            return entry.get("value")
    return None


@dataclass
class ObjectDef:
    name: str                                   # API name, e.g. "Contact", "Widget__c"
    key_prefix: str                             # 3 characters, e.g. "003"
    fields: dict[str, FieldDef] = field(default_factory=dict)   # keyed by field name LOWER case
    label: str = ""
    custom: bool = False
    label_plural: str = ""

    def field(self, name: str) -> FieldDef | None:
        """Case-insensitive field lookup."""
        return self.fields.get(name.lower())

    def relationship(self, name: str) -> FieldDef | None:
        """The reference field whose relationship name is ``name`` (case-insensitive)."""
        low = name.lower()
        for f in self.fields.values():
            if f.relationship_name and f.relationship_name.lower() == low:
                return f
        return None

    def __iter__(self) -> Iterator[FieldDef]:
        return iter(self.fields.values())

    def describe(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "label": self.label or self.name,
            "labelPlural": self.label_plural or (self.label or self.name) + "s",
            "keyPrefix": self.key_prefix,
            "custom": self.custom,
            "createable": True,
            "updateable": True,
            "deletable": True,
            "queryable": True,
            "fields": [f.describe() for f in self.fields.values()],
            "childRelationships": [],
            "recordTypeInfos": [],
            "urls": {"describe": f"/services/data/v62.0/sobjects/{self.name}/describe"},
        }

    @classmethod
    def from_describe(cls, d: Mapping[str, Any]) -> ObjectDef:
        fields = [FieldDef.from_describe(f) for f in d.get("fields", ())]
        return cls(
            name=d["name"],
            key_prefix=d.get("keyPrefix") or "a00",
            fields={f.name.lower(): f for f in fields},
            label=d.get("label", d["name"]),
            custom=bool(d.get("custom", d["name"].endswith("__c"))),
            label_plural=d.get("labelPlural") or "",
        )


class ObjectSource(Protocol):
    """Objects a schema loads on first use (the standard-object catalogue)."""

    def names(self) -> tuple[str, ...]:
        """API names of every object this source can load."""
        ...

    def load(self, name: str) -> ObjectDef | None:
        """The object named ``name`` (case-insensitive), or ``None`` if the source lacks it."""
        ...


@dataclass
class Schema:
    """The org's objects (keyed by lower-case name). ``source`` supplies further objects on
    first use: :meth:`get` loads them and tells every ``on_load`` listener (the org creates
    the table), so an org starts with its own objects only."""

    objects: dict[str, ObjectDef] = field(default_factory=dict)  # keyed by object name LOWER case
    source: ObjectSource | None = field(default=None, repr=False)
    on_load: list[Callable[[ObjectDef], None]] = field(default_factory=list, repr=False)

    def get(self, name: str) -> ObjectDef | None:
        """Case-insensitive object lookup (loads an object of :attr:`source` on first use)."""
        found = self.objects.get(name.lower())
        if found is None and self.source is not None and name:
            found = self.source.load(name)
            if found is not None:
                self.add(found)
                for listener in self.on_load:
                    listener(found)
        return found

    def names(self) -> list[str]:
        """API names of every object: loaded ones and those :attr:`source` can load, sorted."""
        loaded = {o.name.lower(): o.name for o in self.objects.values()}
        for name in self.source.names() if self.source is not None else ():
            loaded.setdefault(name.lower(), name)
        return sorted(loaded.values(), key=str.lower)

    def add(self, obj: ObjectDef) -> None:
        self.objects[obj.name.lower()] = obj

    def by_prefix(self, prefix: str) -> ObjectDef | None:
        for obj in self.objects.values():
            if obj.key_prefix == prefix:
                return obj
        return None

    @classmethod
    def from_describes(cls, describes: Iterable[Mapping[str, Any]]) -> Schema:
        schema = cls()
        for d in describes:
            schema.add(ObjectDef.from_describe(d))
        return schema

    def load_file(self, path: str | Path) -> None:
        """Add objects from a JSON file: one describe object, or a list of them, or
        ``{"sobjects": [...]}``."""
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        if isinstance(data, dict) and "sobjects" in data:
            data = data["sobjects"]
        if isinstance(data, dict):
            data = [data]
        for d in data:
            self.add(ObjectDef.from_describe(d))
