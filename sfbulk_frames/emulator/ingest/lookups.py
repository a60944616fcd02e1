"""Database lookups of an ingest batch: records by key (external IDs case-insensitively),
relationship columns resolved to Ids, parents and update/delete targets that must exist."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sfbulk_frames.emulator.ingest.columns import EMPTY, Column, error_text
from sfbulk_frames.emulator.ingest.keys import KeyMatches, chunks, fold_key, fold_keys
from sfbulk_frames.emulator.models.org import Org, case_insensitive_key, quote_ident
from sfbulk_frames.emulator.models.schema import ObjectDef


class Lookups:
    """The database reads of one job's batches against the org: records by key, relationship
    columns resolved to Ids, parents and update/delete targets that must exist."""

    def __init__(self, org: Org, obj: ObjectDef, operation: str, columns: list[Column]) -> None:
        self.org, self.obj, self.operation, self.columns = org, obj, operation, columns

    def lookup(
        self, obj: ObjectDef, key: str, values: Iterable[Any], include_deleted: bool = False
    ) -> KeyMatches:
        """Live (or all) records of ``obj`` whose ``key`` is one of ``values``."""
        fdef = obj.field(key)
        if fdef is not None:
            self.org.ensure_key_index(obj, fdef)
        found = KeyMatches(fdef is not None and case_insensitive_key(fdef))
        if found.folded:
            values = list(values)
            wanted = list(dict(zip(fold_keys(values), values, strict=True)).values())
        else:
            wanted = list(set(values))
        deleted_clause = "" if include_deleted else " AND IsDeleted = 0"
        collate = " COLLATE NOCASE" if found.folded else ""
        sql = (
            f"SELECT {quote_ident(key)}, Id, IsDeleted FROM {quote_ident(obj.name)} "
            f"WHERE {quote_ident(key)}{collate} IN ({{}}){deleted_clause}"
        )
        for part in chunks(wanted):
            marks = ",".join("?" * len(part))
            for k, rid, deleted in self.org.conn.execute(sql.format(marks), part):
                found.setdefault(fold_key(k) if found.folded else k, []).append((rid, deleted))
        return found

    def resolve_relationships(self, errors: list[str | None]) -> None:
        for col in self.columns:
            if col.kind != "relationship" or col.target is None or col.target_field is None:
                continue
            keys = [v for v in col.stored if v is not EMPTY and v is not None]
            if not keys:
                continue
            key_name = col.target_field.name
            found = self.lookup(col.target, key_name, keys)
            for i, v in enumerate(col.stored):
                if v is EMPTY or v is None:
                    continue
                matches = found.of(v)
                if len(matches) == 1:
                    col.stored[i] = matches[0][0]
                elif errors[i] is None:
                    errors[i] = (
                        error_text(
                            "INVALID_FIELD",
                            f"Foreign key external ID: {v} not found for field {key_name} "
                            f"in entity {col.target.name}",
                            "",
                        )
                        if not matches
                        else error_text(
                            "DUPLICATE_EXTERNAL_ID",
                            f"Foreign key external ID: {v} matched more than one record",
                            "",
                        )
                    )

    def check_parents_exist(self, errors: list[str | None]) -> None:
        for col in self.columns:
            fdef = col.fdef
            if col.kind != "field" or fdef is None or fdef.type != "reference":
                continue
            prefixes = {}
            for name in fdef.reference_to:
                parent = self.org.schema.get(name)
                if parent is not None:
                    prefixes[parent.key_prefix] = parent
            by_parent: dict[str, list[int]] = {}
            for i, v in enumerate(col.stored):
                if v is EMPTY or v is None or errors[i] is not None:
                    continue
                if v[:3] not in prefixes:
                    errors[i] = error_text(
                        "FIELD_INTEGRITY_EXCEPTION",
                        f"{fdef.label}: id value of incorrect type: {v}",
                        fdef.name,
                    )
                else:
                    by_parent.setdefault(v[:3], []).append(i)
            for prefix, rows in by_parent.items():
                found = self.lookup(prefixes[prefix], "Id", [col.stored[i] for i in rows])
                for i in rows:
                    if col.stored[i] not in found:
                        errors[i] = error_text(
                            "INVALID_CROSS_REFERENCE_KEY", "invalid cross reference id", fdef.name
                        )

    def existing_targets(
        self, sent: list[Any], errors: list[str | None], verb: str, only: set[int] | None = None
    ) -> dict[int, str]:
        """Rows whose Id names a live record of this object (others get their row error)."""
        candidates: dict[int, str] = {}
        seen: set[str] = set()
        for i, v in enumerate(sent):
            if errors[i] is not None or (only is not None and i not in only):
                continue
            if v is EMPTY:
                errors[i] = error_text(
                    "MISSING_ARGUMENT",
                    f"Id not specified in an {verb} call"
                    if verb == "update"
                    else f"Id not specified in a {verb} call",
                    "",
                )
            elif v[:3] != self.obj.key_prefix:
                errors[i] = error_text(
                    "MALFORMED_ID", f"{self.obj.name} ID: id value of incorrect type: {v}", "Id"
                )
            elif v in seen:
                errors[i] = error_text("DUPLICATE_VALUE", f"Duplicate id in list: {v}", "")
            else:
                seen.add(v)
                candidates[i] = v
        found = self.lookup(self.obj, "Id", candidates.values(), include_deleted=True)
        allow_deleted = self.operation == "hardDelete"
        targets = {}
        for i, rid in candidates.items():
            match = found.get(rid)
            if not match:
                errors[i] = error_text(
                    "INVALID_CROSS_REFERENCE_KEY", "invalid cross reference id", ""
                )
            elif match[0][1] and not allow_deleted:
                errors[i] = error_text("ENTITY_IS_DELETED", "entity is deleted", "")
            else:
                targets[i] = rid
        return targets
