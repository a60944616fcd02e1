"""Preflight, column level: what the object's describe proves about a frame's columns before
anything is sent (pure: a schema and describe dicts in, findings and conversions out; no HTTP).

* every column must be a field of the object (or a relationship column ``Rel.ExtField`` whose
  parent field is an External ID / idLookup), writable for the operation;
* ``upsert``'s ``external_id_field`` must be an External ID or idLookup field;
* an insert needs a column for every required field (not nillable, no default);
* a lone column named like ``A;B;C`` is a file read with the wrong separator;
* conversions so that what the user means reaches Salesforce: datetimes sent to a ``date``
  field become dates (when every value is at midnight), integral floats sent to a number or
  text field lose their ``.0``; numbers sent to a text field are a warning.

Row-level checks (``preflight="rows"``) are in :mod:`.rows`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import time
from typing import Literal

import polars as pl

from sfbulk_frames._exceptions import PreflightError
from sfbulk_frames.frames.preflight.names import (
    Describe,
    by_name,
    check_relationship,
    is_id_key,
    key_candidates,
    suggestion,
)
from sfbulk_frames.frames.validate import joined_names, separator_hint

__all__ = [
    "NUMBER_TYPES",
    "TEXT_TYPES",
    "Finding",
    "PreflightPlan",
    "check_date_columns",
    "plan_columns",
]

Conversion = Literal["date", "whole_number", "all_whole"]

NUMBER_TYPES = frozenset({"int", "long", "double", "currency", "percent"})
TEXT_TYPES = frozenset(
    {
        "string",
        "textarea",
        "email",
        "phone",
        "url",
        "picklist",
        "multipicklist",
        "combobox",
        "encryptedstring",
    }
)
_COMPOUND = frozenset({"address", "location"})
_KEY_OPERATIONS = ("update", "delete", "hardDelete")


@dataclass(frozen=True)
class Finding:
    """One problem preflight found. ``row`` is None for a column-level finding."""

    column: str
    code: str
    message: str
    row: int | None = None
    level: Literal["error", "warning"] = "error"


@dataclass
class PreflightPlan:
    """The column-level outcome of preflight for one load.

    ``fields``: the describe entry each plain field column writes (row checks use it);
    ``conversions``: how the encoder converts a column (``"date"``; ``"whole_number"``: integral
    floats lose ``.0``; ``"all_whole"``: the same when a whole batch is integral).
    """

    object: str
    operation: str
    findings: list[Finding] = field(default_factory=list)
    fields: dict[str, Describe] = field(default_factory=dict)
    conversions: dict[str, Conversion] = field(default_factory=dict)

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.level == "error"]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.level == "warning"]

    def join_kinds(self) -> dict[str, str]:
        """Join-back kinds of converted columns (a datetime sent as a date compares as one)."""
        return {name: "date" for name, how in self.conversions.items() if how == "date"}

    def raise_errors(self) -> None:
        """Raise PreflightError naming every column-level error (nothing was sent)."""
        errors = self.errors
        if not errors:
            return
        lines = [f.message for f in errors]
        head = f"preflight of {self.operation} {self.object} found "
        head += (
            "a problem; nothing was sent: "
            if len(lines) == 1
            else (f"{len(lines)} problems; nothing was sent:\n  ")
        )
        raise PreflightError(
            head
            + "\n  ".join(lines)
            + "\n(preflight=False, or --preflight off in the CLI, skips these checks)",
            column=errors[0].column,
            findings=errors,
        )


class _Planner:
    def __init__(
        self,
        describe: Describe,
        schema: Mapping[str, pl.DataType],
        operation: str,
        external_id_field: str | None,
        parents: Mapping[str, Describe],
    ) -> None:
        self.object = str(describe.get("name", "?"))
        self.fields = by_name(describe)
        self.schema = schema
        self.operation = operation
        self.external_id_field = external_id_field
        self.parents = parents
        self.relationships = {
            str(f["relationshipName"]): f for f in self.fields.values() if f.get("relationshipName")
        }
        self.plan = PreflightPlan(self.object, operation)

    def add(
        self, column: str, code: str, message: str, level: Literal["error", "warning"] = "error"
    ) -> None:
        self.plan.findings.append(Finding(column, code, message, level=level))

    @property
    def key(self) -> str | None:
        if self.operation == "upsert":
            return self.external_id_field
        return "Id" if self.operation in _KEY_OPERATIONS else None

    def run(self) -> PreflightPlan:
        if self.operation in ("delete", "hardDelete"):
            return self.plan  # only Id is read; validate_frame checked it
        if self.operation == "upsert":
            self.external_id()
        for column in self.schema:
            joined = joined_names(column)
            if joined is not None and column not in self.fields:
                sep = joined[0]
                self.add(
                    column,
                    "WRONG_SEPARATOR",
                    f"column {column!r} is not a field of {self.object}: " + separator_hint(sep),
                )
            elif "." in column:
                self.relationship(column)
            else:
                self.plain(column)
        if self.operation == "insert":
            self.required_columns()
        return self.plan

    def external_id(self) -> None:
        name = self.external_id_field or ""
        f = self.fields.get(name)
        if f is None:
            match = suggestion(name, list(self.fields))
            hint = (
                f"did you mean {match!r}? rename the column to {match!r} and pass "
                f"external_id_field={match!r}"
                if match
                else f"use an External ID field ({key_candidates(self.fields)}) or 'Id'"
            )
            self.add(
                name,
                "INVALID_FIELD",
                f"external_id_field={name!r} is not a field of {self.object}; {hint}",
            )
        elif not is_id_key(f):
            self.add(
                name,
                "INVALID_EXTERNAL_ID_FIELD",
                f"external_id_field={name!r}: {self.object}.{name} is neither an External ID "
                "nor an idLookup field, so upsert cannot match records on it; use one of "
                f"{key_candidates(self.fields)} or 'Id'",
            )

    def writable(self, column: str, f: Describe) -> bool:
        if column == self.key:
            return True
        needs = {
            "insert": ("createable",),
            "update": ("updateable",),
            "upsert": ("createable", "updateable"),
        }.get(self.operation, ())
        missing = [flag for flag in needs if not f.get(flag)]
        if not missing:
            return True
        what = " nor ".join(missing) if len(missing) > 1 else missing[0]
        self.add(
            column,
            "INVALID_FIELD_FOR_INSERT_UPDATE",
            f"column {column!r}: {self.object}.{f['name']} is not {what} (read-only or "
            f"calculated for your user), so {self.operation} cannot write it; drop the column",
        )
        return False

    def plain(self, column: str) -> None:
        if self.operation == "upsert" and column == self.external_id_field:
            if column in self.fields:
                self.plan.fields[column] = self.fields[column]
            return  # external_id() reported it
        f = self.fields.get(column)
        if f is None:
            match = suggestion(column, list(self.fields))
            hint = (
                f"did you mean {match!r}? rename the column"
                if match
                else f"check the field API name (sfbulk describe {self.object}) or drop the column"
            )
            self.add(
                column,
                "INVALID_FIELD",
                f"column {column!r} is not a field of {self.object}; {hint}",
            )
            return
        if f.get("type") in _COMPOUND:
            self.add(
                column,
                "INVALID_FIELD",
                f"column {column!r}: {self.object}.{column} is a compound {f['type']} "
                "field, which the Bulk API cannot write; send its component fields instead",
            )
            return
        if column != "Id" and not self.writable(column, f):
            return
        self.plan.fields[column] = f
        self.convert(column, f)

    def convert(self, column: str, f: Describe) -> None:
        dtype = self.schema[column]
        ftype = f.get("type")
        if isinstance(dtype, pl.Datetime) and ftype == "date":
            self.plan.conversions[column] = "date"
        elif dtype.is_float() and ftype in ("int", "long", *TEXT_TYPES):
            self.plan.conversions[column] = "whole_number"  # "12.0" is not an int, nor "12"
        elif dtype.is_float() and ftype in NUMBER_TYPES:
            self.plan.conversions[column] = "all_whole"  # Salesforce reads 12.0 as 12 here
        if dtype.is_numeric() and ftype in TEXT_TYPES:
            self.add(
                column,
                "NUMBER_AS_TEXT",
                f"column {column!r} holds numbers ({dtype}) but {self.object}.{column} is a "
                f"{ftype} field: leading zeros (0012) and text like '1e5' are already lost; "
                f"read the file as text: pandas.read_csv(path, dtype={{{column!r}: str}}) or "
                f"polars.read_csv(path, schema_overrides={{{column!r}: pl.String}}) "
                "(infer_schema=False reads every column as text)",
                level="warning",
            )

    def relationship(self, column: str) -> None:
        ref, problems = check_relationship(column, self.object, self.relationships, self.parents)
        if ref is not None and not self.writable(column, ref):
            return
        for code, message in problems:
            self.add(column, code, message)

    def required_columns(self) -> None:
        present = {c.lower() for c in self.schema}
        for column in self.schema:  # Account.ExternalId__c sets AccountId
            rel = column.rpartition(".")[0].rpartition(":")[2] if "." in column else None
            ref = self.relationships.get(rel) if rel else None
            if ref is not None:
                present.add(str(ref["name"]).lower())
        for name, f in self.fields.items():
            required = (
                f.get("createable")
                and not f.get("nillable", True)
                and not f.get("defaultedOnCreate")
            )
            if required and name.lower() not in present:
                self.add(
                    name,
                    "REQUIRED_FIELD_MISSING",
                    f"insert into {self.object} needs a column {name!r} (a required field: "
                    "not nillable, no default); add it, or every row fails",
                )


def plan_columns(
    describe: Describe,
    schema: Mapping[str, pl.DataType],
    *,
    operation: str,
    external_id_field: str | None = None,
    parents: Mapping[str, Describe] | None = None,
) -> PreflightPlan:
    """The column-level findings and conversions of a load of a frame with ``schema``.

    ``describe`` is the object's describe; ``parents`` the describes of the parent objects of
    relationship columns, by name (see :func:`relationship_parents`; missing ones are skipped).
    Never raises: call :meth:`PreflightPlan.raise_errors`.
    """
    return _Planner(describe, schema, operation, external_id_field, parents or {}).run()


def check_date_columns(frame: pl.DataFrame | pl.LazyFrame, plan: PreflightPlan) -> None:
    """Add an error to ``plan`` for each datetime column bound for a date field that holds a
    time of day (its conversion is dropped). A LazyFrame is read once for this (one aggregate
    over those columns only)."""
    columns = [c for c, how in plan.conversions.items() if how == "date"]
    if not columns:
        return
    query = frame.select(
        pl.col(c).filter(pl.col(c).dt.time() != time(0)).first().alias(c) for c in columns
    )
    row = (query.collect() if isinstance(query, pl.LazyFrame) else query).row(0)
    for column, example in zip(columns, row, strict=True):
        if example is None:
            continue
        del plan.conversions[column]
        plan.findings.append(
            Finding(
                column,
                "DATE_HAS_TIME",
                f"column {column!r} holds datetimes with a time of day (e.g. {example}) but "
                f"{plan.object}.{column} is a date field; convert it to dates first: "
                f"df[{column!r}] = df[{column!r}].dt.date (pandas) or "
                f"df.with_columns(pl.col({column!r}).dt.date()) (polars)",
            )
        )
