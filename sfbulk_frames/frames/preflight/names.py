"""Preflight's name checks: field-name suggestions, key candidates and relationship columns
(``Account.ExternalId__c``) resolved through describe (pure, no HTTP)."""

from __future__ import annotations

import difflib
from collections.abc import Mapping, Sequence
from typing import Any

__all__ = [
    "Describe",
    "Problem",
    "by_name",
    "check_relationship",
    "is_id_key",
    "key_candidates",
    "relationship_parents",
    "suggestion",
]

Describe = Mapping[str, Any]
Problem = tuple[str, str]
"""(code, message) of a column-level problem."""


def by_name(describe: Describe) -> dict[str, Describe]:
    return {f["name"]: f for f in describe.get("fields", ())}


def suggestion(name: str, names: Sequence[str]) -> str | None:
    """The field ``name`` probably means: same letters in another case, else a close spelling."""
    lowered = {n.lower(): n for n in names}
    if name.lower() in lowered:
        return lowered[name.lower()]
    close = difflib.get_close_matches(name.lower(), list(lowered), n=1, cutoff=0.8)
    return lowered[close[0]] if close else None


def is_id_key(f: Describe) -> bool:
    return bool(f.get("externalId") or f.get("idLookup"))


def key_candidates(fields: Mapping[str, Describe]) -> str:
    names = [n for n, f in fields.items() if f.get("externalId")] or [
        n for n, f in fields.items() if f.get("idLookup") and n != "Id"
    ]
    return ", ".join(repr(n) for n in names[:5]) or "none"


# --- column plan ----------------------------------------------------------------------------


def relationship_parents(describe: Describe, columns: Sequence[str]) -> dict[str, str]:
    """The parent object each relationship column (``Account.ExternalId__c``,
    ``Contact:Who.Email``) points to, for the relationships describe knows."""
    by_rel = {
        str(f["relationshipName"]).lower(): f
        for f in describe.get("fields", ())
        if f.get("relationshipName")
    }
    parents: dict[str, str] = {}
    for column in columns:
        if "." not in column:
            continue
        path = column.rpartition(".")[0]
        type_name, _, rel = path.rpartition(":")
        ref = by_rel.get(rel.lower())
        if ref is None or not ref.get("referenceTo"):
            continue
        parents[column] = type_name or ref["referenceTo"][0]
    return parents


def check_relationship(
    column: str,
    object_name: str,
    relationships: Mapping[str, Describe],
    parents: Mapping[str, Describe],
) -> tuple[Describe | None, list[Problem]]:
    """The reference field a relationship column (``Account.ExternalId__c``) writes, and the
    problems describe proves: an unknown relationship, an unknown or non-External-ID parent
    field, a polymorphic relationship without its object type. ``parents``: describes by name."""
    problems: list[Problem] = []
    path, _, key_name = column.rpartition(".")
    type_name, _, rel = path.rpartition(":")
    ref = relationships.get(rel)
    if ref is None or "." in path:
        match = suggestion(rel, list(relationships))
        hint = (
            f"did you mean {(type_name + ':' if type_name else '') + str(match)}."
            f"{key_name}? rename the column"
            if match
            else "a relationship column is <RelationshipName>.<parent External ID field>, e.g. "
            "Account.ExternalId__c"
        )
        problems.append(
            (
                "INVALID_FIELD",
                f"column {column!r} is not a field of {object_name}: {rel!r} is not one of "
                f"its relationships; {hint}",
            )
        )
        return None, problems
    parent_name = _parent_of(column, type_name, ref, problems)
    parent = parents.get(parent_name) if parent_name else None
    if parent is None:
        return ref, problems  # an unknown parent: Salesforce judges
    parent_fields = by_name(parent)
    key = parent_fields.get(key_name)
    if key is None:
        match = suggestion(key_name, list(parent_fields))
        hint = (
            f"did you mean {path}.{match}? rename the column"
            if match
            else f"use an External ID field of {parent_name} ({key_candidates(parent_fields)})"
        )
        problems.append(
            (
                "INVALID_FIELD",
                f"column {column!r}: {key_name!r} is not a field of {parent_name}; {hint}",
            )
        )
    elif not is_id_key(key):
        problems.append(
            (
                "INVALID_EXTERNAL_ID_FIELD",
                f"column {column!r}: {parent_name}.{key_name} is neither an External ID nor "
                f"an idLookup field, so it cannot identify the {rel} record; use "
                f"{path}.<External ID field> ({key_candidates(parent_fields)}) or send the "
                f"parent's Id in {ref['name']}",
            )
        )
    return ref, problems


def _parent_of(column: str, type_name: str, ref: Describe, problems: list[Problem]) -> str | None:
    targets = [str(t) for t in ref.get("referenceTo") or ()]
    if not targets:
        return None
    if not type_name:
        if len(targets) > 1:
            problems.append(
                (
                    "INVALID_FIELD",
                    f"column {column!r}: {ref.get('relationshipName')} is polymorphic "
                    f"({', '.join(targets)}); name the parent object: "
                    f"'{targets[0]}:{column}'",
                )
            )
            return None
        return targets[0]
    if type_name.lower() not in {t.lower() for t in targets}:
        problems.append(
            (
                "INVALID_FIELD",
                f"column {column!r}: {ref.get('relationshipName')} points to "
                f"{', '.join(targets)}, not {type_name}; fix the object name",
            )
        )
        return None
    return type_name
