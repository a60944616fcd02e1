"""Processing of one ingest batch (up to 10,000 rows) against the org: checks by field type,
required and unique fields, upsert matching, relationship resolution, then one
``executemany`` per statement. Produces fully quoted result lines in a seeded shuffled order."""

from __future__ import annotations

import random
from typing import Any

from .ingest_columns import EMPTY, Column, check_column, error_text
from .ingest_keys import fold_key, fold_keys, present, sql_literal
from .ingest_lookups import LookupMixin
from .ingest_results import BatchOutcome, build_outcome
from .org import Org, now_utc_text, quote_ident
from .schema import FieldDef, ObjectDef

_AUDIT = ("CreatedDate", "LastModifiedDate", "SystemModstamp")


class BatchProcessor(LookupMixin):
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
        return build_outcome(
            self.columns,
            n,
            errors,
            created,
            updated,
            sent_ids,
            delimiter=self.delimiter,
            line_ending=self.line_ending,
            rng=self.rng,
        )

    def _check_widths(self, rows: list[list[str]], errors: list[str | None]) -> None:
        width = len(self.columns)
        for i, r in enumerate(rows):
            if len(r) != width:
                errors[i] = error_text(
                    "INVALID_FIELD", f"Row has {len(r)} columns but the header has {width}", ""
                )
                rows[i] = (r + [""] * width)[:width]

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
        # a value shared by every row (audit stamps, owner, defaults) is written as an SQL
        # literal: binding it once per row is a large share of the cost of an INSERT
        shared = [
            c[0] is c[-1] and c.count(c[0]) == len(c) and sql_literal(c[0]) is not None
            for c in columns
        ]
        shared[0] = False  # the Ids
        values_sql = ", ".join(
            str(sql_literal(c[0])) if same else "?" for c, same in zip(columns, shared, strict=True)
        )
        sql = (
            f"INSERT INTO {self.table} ({', '.join(map(quote_ident, names))}) "
            f"VALUES ({values_sql})"
        )
        bound = [c for c, same in zip(columns, shared, strict=True) if not same]
        self.org.conn.executemany(sql, zip(*bound, strict=True))
        return dict(zip(rows, map(new_ids.__getitem__, rows), strict=True))

    def _select(self, values: list[Any], rows: list[int]) -> list[Any]:
        """``values`` at ``rows`` (the list itself when ``rows`` is every row of the batch)."""
        return values if len(rows) == len(values) else [values[i] for i in rows]

    def _insert_columns(
        self, rows: list[int], new_ids: dict[int, str]
    ) -> tuple[list[str], list[list[Any]]]:
        """Column names and value lists of the INSERT; ``columns[0]`` holds the new Ids."""
        count = len(rows)
        names = ["Id", "IsDeleted", *_AUDIT, "CreatedById"]
        columns: list[list[Any]] = [
            list(new_ids.values()) if len(new_ids) == count else [new_ids[i] for i in rows],
            [0] * count,
            *([[self.now] * count] * len(_AUDIT)),
            [self.org.user_id] * count,
        ]
        names, columns = (
            [n for n in names if self.obj.field(n)],
            [c for n, c in zip(names, columns, strict=True) if self.obj.field(n)],
        )
        for name, col in self.written.items():
            values = self._select(col.stored, rows)
            if not (col.complete or present(values)):
                default = self._default(col.fdef)
                values = [default if v is EMPTY or v is None else v for v in values]
            names.append(name)
            columns.append(values)
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
            first = self._select(self.written["FirstName"].stored, rows)
            last = self._select(self.written["LastName"].stored, rows)
            names.append("Name")
            if (self.written["FirstName"].complete or present(first)) and (
                self.written["LastName"].complete or present(last)
            ):
                columns.append(list(map(" ".join, zip(first, last, strict=True))))
            else:
                columns.append(
                    [
                        " ".join(p for p in pair if p is not EMPTY and p is not None)
                        for pair in zip(first, last, strict=True)
                    ]
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
            if col is not None and (col.complete or present(self._select(col.stored, rows))):
                continue
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
        """Rows whose unique-field values clash with another record or an earlier row of the
        batch get ``DUPLICATE_VALUE`` (text values compare case-insensitively)."""
        for name, col in self.written.items():
            if col.fdef is None or not col.fdef.unique:
                continue
            selected = self._select(col.stored, rows)
            values = (
                selected
                if col.complete or present(selected)
                else [v for v in selected if v is not EMPTY and v is not None]
            )
            existing = self._lookup(self.obj, name, values)
            keys = fold_keys(values) if existing.folded else values
            if not existing and len(set(keys)) == len(keys):
                continue  # no clash with the org, none inside the batch
            owner = {key: matches[0][0] for key, matches in existing.items()}
            for i in rows:
                v = col.stored[i]
                if errors[i] is not None or v is EMPTY or v is None:
                    continue
                holder = owner.setdefault(fold_key(v) if existing.folded else v, ids[i])
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
            elif fold_key(k) in self.duplicate_keys:
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
                matches = found.of(k)
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
