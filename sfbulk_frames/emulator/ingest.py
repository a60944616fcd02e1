"""Processing of one ingest batch (up to 10,000 rows) against the org: checks by field type,
required and unique fields, upsert matching, relationship resolution, then one
``executemany`` per statement. Produces fully quoted result lines in a seeded shuffled order."""

from __future__ import annotations

import random
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from .csvfmt import quoted_line
from .ingest_columns import EMPTY, Column, check_column, error_text
from .org import Org, now_utc_text, quote_ident
from .schema import FieldDef, ObjectDef

_SQL_CHUNK = 900
_AUDIT = ("CreatedDate", "LastModifiedDate", "SystemModstamp")


@dataclass
class BatchOutcome:
    successful: list[str] = field(default_factory=list)  # quoted result lines
    failed: list[str] = field(default_factory=list)
    processed: int = 0


def _chunks(items: list[Any]) -> Iterable[list[Any]]:
    for start in range(0, len(items), _SQL_CHUNK):
        yield items[start : start + _SQL_CHUNK]


class BatchProcessor:
    """Applies one job's rows to the org, batch by batch (see :meth:`process`)."""

    def __init__(
        self,
        org: Org,
        obj: ObjectDef,
        operation: str,
        external_id: str | None,
        columns: list[Column],
        *,
        delimiter: str,
        line_ending: str,
        rng: random.Random,
        lock_share: float = 0.0,
        duplicate_keys: frozenset[str] = frozenset(),
    ) -> None:
        self.org, self.obj, self.operation = org, obj, operation
        self.external_id = external_id
        self.columns = columns
        self.delimiter, self.line_ending = delimiter, line_ending
        self.rng = rng
        self.lock_share = lock_share
        self.duplicate_keys = duplicate_keys
        self.table = quote_ident(obj.name)
        self.id_col = next((c for c in columns if c.kind == "id"), None)
        self.written: dict[str, Column] = {}
        for c in columns:
            if c.kind in ("field", "relationship") and c.fdef is not None:
                self.written[c.fdef.name] = c

    # -- entry point -------------------------------------------------------------------------
    def process(self, rows: list[list[str]]) -> BatchOutcome:
        """Apply ``rows`` (already split by the CSV reader) and return their result lines."""
        n = len(rows)
        errors: list[str | None] = [None] * n
        self._check_widths(rows, errors)
        if self.lock_share:
            for i in range(n):
                if self.rng.random() < self.lock_share:
                    errors[i] = error_text(
                        "UNABLE_TO_LOCK_ROW",
                        "unable to obtain exclusive access to this record or 1 records",
                        "",
                    )
        transposed = [list(t) for t in zip(*rows, strict=True)] if n else [[] for _ in self.columns]
        for col, values in zip(self.columns, transposed, strict=True):
            check_column(col, values, errors, self.operation)
        self._resolve_relationships(errors)
        self._check_parents_exist(errors)
        self.now = now_utc_text()
        sent_ids = self.id_col.stored if self.id_col else [EMPTY] * n
        created: dict[int, str] = {}
        updated: dict[int, str] = {}
        if self.operation == "insert":
            if self.id_col is not None:
                for i, v in enumerate(self.id_col.echo):
                    if v and errors[i] is None:
                        errors[i] = error_text(
                            "INVALID_FIELD_FOR_INSERT_UPDATE",
                            "cannot specify Id in an insert call",
                            "Id",
                        )
            created = self._insert([i for i in range(n) if errors[i] is None], errors)
        elif self.operation == "update":
            targets = self._existing_targets(sent_ids, errors, "update")
            updated = self._update(targets, errors)
        elif self.operation == "upsert":
            created, updated = self._upsert(sent_ids, errors)
        else:
            targets = self._existing_targets(sent_ids, errors, "delete")
            updated = self._delete(targets)
        return self._outcome(rows, errors, created, updated, sent_ids)

    def _check_widths(self, rows: list[list[str]], errors: list[str | None]) -> None:
        width = len(self.columns)
        for i, r in enumerate(rows):
            if len(r) != width:
                errors[i] = error_text(
                    "INVALID_FIELD", f"Row has {len(r)} columns but the header has {width}", ""
                )
                rows[i] = (r + [""] * width)[:width]

    # -- lookups -----------------------------------------------------------------------------
    def _lookup(
        self, obj: ObjectDef, key: str, values: Iterable[str], include_deleted: bool = False
    ) -> dict[str, list[tuple[str, int]]]:
        found: dict[str, list[tuple[str, int]]] = {}
        wanted = list(set(values))
        deleted_clause = "" if include_deleted else " AND IsDeleted = 0"
        sql = (
            f"SELECT {quote_ident(key)}, Id, IsDeleted FROM {quote_ident(obj.name)} "
            f"WHERE {quote_ident(key)} IN ({{}}){deleted_clause}"
        )
        for part in _chunks(wanted):
            marks = ",".join("?" * len(part))
            for k, rid, deleted in self.org.conn.execute(sql.format(marks), part):
                found.setdefault(k, []).append((rid, deleted))
        return found

    def _resolve_relationships(self, errors: list[str | None]) -> None:
        for col in self.columns:
            if col.kind != "relationship" or col.target is None or col.target_field is None:
                continue
            keys = [v for v in col.stored if v is not EMPTY and v is not None]
            if not keys:
                continue
            key_name = col.target_field.name
            found = self._lookup(col.target, key_name, keys)
            for i, v in enumerate(col.stored):
                if v is EMPTY or v is None:
                    continue
                matches = found.get(v, [])
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

    def _check_parents_exist(self, errors: list[str | None]) -> None:
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
                found = self._lookup(prefixes[prefix], "Id", [col.stored[i] for i in rows])
                for i in rows:
                    if col.stored[i] not in found:
                        errors[i] = error_text(
                            "INVALID_CROSS_REFERENCE_KEY", "invalid cross reference id", fdef.name
                        )

    def _existing_targets(
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
        found = self._lookup(self.obj, "Id", candidates.values(), include_deleted=True)
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

    # -- writes ------------------------------------------------------------------------------
    def _insert(self, rows: list[int], errors: list[str | None]) -> dict[int, str]:
        rows = self._check_required(rows, errors)
        new_ids = dict(
            zip(rows, self.org.ids.new_many(self.obj.key_prefix, len(rows)), strict=True)
        )
        rows = self._check_unique(rows, new_ids, errors)
        if not rows:
            return {}
        names, columns = self._insert_columns(rows, new_ids)
        sql = (
            f"INSERT INTO {self.table} ({', '.join(map(quote_ident, names))}) "
            f"VALUES ({', '.join('?' * len(names))})"
        )
        self.org.conn.executemany(sql, zip(*columns, strict=True))
        return {i: new_ids[i] for i in rows}

    def _insert_columns(
        self, rows: list[int], new_ids: dict[int, str]
    ) -> tuple[list[str], list[list[Any]]]:
        count = len(rows)
        names = ["Id", "IsDeleted", *_AUDIT, "CreatedById"]
        columns: list[list[Any]] = [
            [new_ids[i] for i in rows],
            [0] * count,
            *([[self.now] * count] * len(_AUDIT)),
            [self.org.user_id] * count,
        ]
        names, columns = (
            [n for n in names if self.obj.field(n)],
            [c for n, c in zip(names, columns, strict=True) if self.obj.field(n)],
        )
        for name, col in self.written.items():
            default = self._default(col.fdef)
            names.append(name)
            columns.append(
                [default if (v := col.stored[i]) is EMPTY or v is None else v for i in rows]
            )
        for fdef in self.obj:
            if fdef.name not in self.written and fdef.name not in names and fdef.createable:
                default = self._default(fdef)
                if default is not None:
                    names.append(fdef.name)
                    columns.append([default] * count)
        name_field = self.obj.field("Name")
        if (
            name_field is not None
            and not name_field.createable
            and "FirstName" in self.written
            and "LastName" in self.written
        ):
            first, last = self.written["FirstName"].stored, self.written["LastName"].stored
            names.append("Name")
            columns.append(
                [" ".join(p for p in (first[i], last[i]) if p not in (EMPTY, None)) for i in rows]
            )
        return names, columns

    def _default(self, fdef: FieldDef | None) -> Any:
        if fdef is None:
            return None
        if fdef.name == "OwnerId":
            return self.org.user_id
        if fdef.default_value is None:
            return None
        return int(fdef.default_value) if fdef.type == "boolean" else fdef.default_value

    def _check_required(self, rows: list[int], errors: list[str | None]) -> list[int]:
        for fdef in self.obj:
            if not fdef.required_on_create:
                continue
            col = self.written.get(fdef.name)
            message = error_text(
                "REQUIRED_FIELD_MISSING", f"Required fields are missing: [{fdef.name}]", fdef.name
            )
            for i in rows:
                if errors[i] is None and (
                    col is None or col.stored[i] is EMPTY or col.stored[i] is None
                ):
                    errors[i] = message
        return [i for i in rows if errors[i] is None]

    def _check_unique(
        self, rows: list[int], ids: dict[int, str], errors: list[str | None]
    ) -> list[int]:
        for name, col in self.written.items():
            if col.fdef is None or not col.fdef.unique:
                continue
            owner: dict[str, str] = {}
            values = [col.stored[i] for i in rows if col.stored[i] not in (EMPTY, None)]
            for key, matches in self._lookup(self.obj, name, values).items():
                owner[key] = matches[0][0]
            for i in rows:
                v = col.stored[i]
                if errors[i] is not None or v is EMPTY or v is None:
                    continue
                holder = owner.setdefault(v, ids[i])
                if holder != ids[i]:
                    errors[i] = error_text(
                        "DUPLICATE_VALUE",
                        f"duplicate value found: {name} duplicates value on record with id: "
                        f"{holder}",
                        name,
                    )
        return [i for i in rows if errors[i] is None]

    def _update(self, targets: dict[int, str], errors: list[str | None]) -> dict[int, str]:
        for name, col in self.written.items():
            if col.fdef is not None and not col.fdef.nillable:
                for i in targets:
                    if col.stored[i] is None and errors[i] is None:
                        errors[i] = error_text(
                            "REQUIRED_FIELD_MISSING", f"Required fields are missing: [{name}]", name
                        )
        rows = self._check_unique([i for i in targets if errors[i] is None], targets, errors)
        if not rows:
            return {}
        sets = [
            f"{quote_ident(n)} = CASE WHEN ? THEN {quote_ident(n)} ELSE ? END" for n in self.written
        ]
        stamps = [n for n in ("LastModifiedDate", "SystemModstamp") if self.obj.field(n)]
        sets += [f"{quote_ident(n)} = ?" for n in stamps]
        sql = f"UPDATE {self.table} SET {', '.join(sets)} WHERE Id = ?"
        params = []
        for i in rows:
            row: list[Any] = []
            for col in self.written.values():
                v = col.stored[i]
                row += (1, None) if v is EMPTY else (0, v)
            params.append((*row, *([self.now] * len(stamps)), targets[i]))
        if sets:
            self.org.conn.executemany(sql, params)
        if "FirstName" in self.written or "LastName" in self.written:
            name_field = self.obj.field("Name")
            if name_field is not None and not name_field.createable and self.obj.field("FirstName"):
                self.org.conn.executemany(
                    f"UPDATE {self.table} SET Name = TRIM(COALESCE(FirstName, '') || ' ' || "
                    "COALESCE(LastName, '')) WHERE Id = ?",
                    [(targets[i],) for i in rows],
                )
        return {i: targets[i] for i in rows}

    def _upsert(
        self, sent_ids: list[Any], errors: list[str | None]
    ) -> tuple[dict[int, str], dict[int, str]]:
        ext = self.external_id or "Id"
        key_col = (
            self.id_col
            if ext.lower() == "id"
            else self.written.get((self.obj.field(ext) or FieldDef(ext, "string")).name)
        )
        n = len(errors)
        keys: list[Any] = key_col.stored if key_col is not None else [EMPTY] * n
        to_insert: list[int] = []
        lookups: dict[int, str] = {}
        for i in range(n):
            if errors[i] is not None:
                continue
            k = keys[i]
            if k is EMPTY or k is None:
                if ext.lower() == "id":
                    to_insert.append(i)
                else:
                    errors[i] = error_text("MISSING_ARGUMENT", f"{ext} not specified", "")
            elif k in self.duplicate_keys:
                errors[i] = error_text(
                    "DUPLICATE_EXTERNAL_ID", f"Duplicate external id specified: {k}", ext
                )
            else:
                lookups[i] = k
        if ext.lower() == "id":
            targets = self._existing_targets(sent_ids, errors, "update", only=set(lookups))
        else:
            found = self._lookup(
                self.obj, key_col.fdef.name if key_col and key_col.fdef else ext, lookups.values()
            )
            targets = {}
            for i, k in lookups.items():
                matches = found.get(k, [])
                if len(matches) > 1:
                    errors[i] = error_text(
                        "DUPLICATE_EXTERNAL_ID",
                        f"{ext}: more than one record found for external id field: "
                        f"{[m[0] for m in matches]}",
                        ext,
                    )
                elif matches:
                    targets[i] = matches[0][0]
                else:
                    to_insert.append(i)
        updated = self._update(targets, errors)
        created = self._insert(sorted(to_insert), errors)
        return created, updated

    def _delete(self, targets: dict[int, str]) -> dict[int, str]:
        if self.operation == "hardDelete":
            self.org.conn.executemany(
                f"DELETE FROM {self.table} WHERE Id = ?", [(r,) for r in targets.values()]
            )
        else:
            self.org.conn.executemany(
                f"UPDATE {self.table} SET IsDeleted = 1, SystemModstamp = ? WHERE Id = ?",
                [(self.now, r) for r in targets.values()],
            )
        return dict(targets)

    # -- results -----------------------------------------------------------------------------
    def _outcome(
        self,
        rows: list[list[str]],
        errors: list[str | None],
        created: dict[int, str],
        updated: dict[int, str],
        sent_ids: list[Any],
    ) -> BatchOutcome:
        d, le = self.delimiter, self.line_ending
        joiner = '"' + d + '"'
        escaped = [
            [v.replace('"', '""') for v in c.echo] if any('"' in v for v in c.echo) else c.echo
            for c in self.columns
        ]
        bodies = (
            [joiner.join(echo) + '"' + le for echo in zip(*escaped, strict=True)] if rows else []
        )
        out = BatchOutcome(processed=len(rows))
        success_head = {
            **{i: f'"{rid}{joiner}true{joiner}' for i, rid in created.items()},
            **{i: f'"{rid}{joiner}false{joiner}' for i, rid in updated.items()},
        }
        out.successful = [
            success_head[i] + bodies[i] for i in range(len(bodies)) if i in success_head
        ]
        for i, body in enumerate(bodies):
            if i in success_head:
                continue
            sent = sent_ids[i]
            error = errors[i] or error_text("UNKNOWN_EXCEPTION", "row was not processed", "")
            out.failed.append(
                quoted_line(("" if sent is EMPTY or sent is None else sent, error), d, "")
                + d
                + '"'
                + body
            )
        self.rng.shuffle(out.successful)
        self.rng.shuffle(out.failed)
        return out
