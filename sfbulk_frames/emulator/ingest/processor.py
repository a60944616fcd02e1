"""Processing of one ingest batch (up to 10,000 rows) against the org: checks by field type,
required and unique fields, upsert matching, relationship resolution, then the writes (inserts
in :mod:`.inserts`). Produces fully quoted result lines in a seeded shuffled order."""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

from sfbulk_frames.emulator.ingest.batches import RowBatch
from sfbulk_frames.emulator.ingest.columns import (
    EMPTY,
    Column,
    ColumnStats,
    check_column,
    error_text,
    frame_stats,
)
from sfbulk_frames.emulator.ingest.inserts import Inserter
from sfbulk_frames.emulator.ingest.keys import fold_key, without_errors
from sfbulk_frames.emulator.ingest.lookups import Lookups
from sfbulk_frames.emulator.ingest.results import BatchOutcome, build_outcome
from sfbulk_frames.emulator.models.org import Org, now_utc_text, quote_ident
from sfbulk_frames.emulator.models.schema import FieldDef, ObjectDef

_NOT_PARENTS = frozenset({"OwnerId", "RecordTypeId", "CreatedById", "LastModifiedById"})
_LOCK_MESSAGE = "unable to obtain exclusive access to this record or 1 records"


class BatchProcessor:
    """Applies one job's rows to the org, batch by batch (see :meth:`process`): the column
    checks, then the reads (:class:`Lookups`) and writes (:class:`Inserter`, updates, upserts,
    deletes) of its operation."""

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
        quote_free: bool = False,
    ) -> None:
        self.org, self.obj, self.operation = org, obj, operation
        self.external_id = external_id
        self.columns = columns
        self.delimiter, self.line_ending = delimiter, line_ending
        self.rng = rng
        self.lock_share = lock_share
        self.duplicate_keys = duplicate_keys
        self.quote_free = quote_free  # the upload holds no quote character
        self.table = quote_ident(obj.name)
        self.id_col = next((c for c in columns if c.kind == "id"), None)
        self.written: dict[str, Column] = {}
        for c in columns:
            if c.kind in ("field", "relationship") and c.fdef is not None:
                self.written[c.fdef.name] = c
        self.lookups = Lookups(org, obj, operation, columns)
        self.inserter = Inserter(org, obj, self.written, self.lookups)
        self.now = ""
        # set by a performance model: which rows' parent records another job holds
        self.locked_rows: Callable[[list[str]], list[bool]] | None = None
        self.parent_columns = [
            i for i, c in enumerate(columns)
            if c.kind == "relationship"
            or (c.kind == "field" and c.fdef is not None and c.fdef.type == "reference"
                and c.fdef.name not in _NOT_PARENTS)
        ]

    # -- entry point -------------------------------------------------------------------------
    def process(self, batch: RowBatch) -> BatchOutcome:
        """Apply one batch (already split by the CSV reader) and return its result lines."""
        n = batch.count
        errors: list[str | None] = [None] * n
        stats: list[ColumnStats | None] = [None] * len(self.columns)
        if batch.columns is not None:
            transposed = batch.columns
            if batch.frame is not None:
                stats = list(frame_stats(batch.frame))
        else:
            rows = batch.as_rows()
            self._check_widths(rows, errors)
            transposed = (
                [list(t) for t in zip(*rows, strict=True)] if n else [[] for _ in self.columns]
            )
        if self.lock_share:
            for i in range(n):
                if self.rng.random() < self.lock_share:
                    errors[i] = error_text(
                        "UNABLE_TO_LOCK_ROW",
                        "unable to obtain exclusive access to this record or 1 records",
                        "",
                    )
        if self.locked_rows is not None and self.parent_columns:
            self._fail_locked(transposed, errors, self.locked_rows)
        for col, values, column in zip(self.columns, transposed, stats, strict=True):
            check_column(col, values, errors, self.operation, column)
        self.lookups.resolve_relationships(errors)
        self.lookups.check_parents_exist(errors)
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
            created = self._insert_rows(without_errors(list(range(n)), errors), errors)
        elif self.operation == "update":
            targets = self.lookups.existing_targets(sent_ids, errors, "update")
            updated = self._update(targets, errors)
        elif self.operation == "upsert":
            created, updated = self._upsert(sent_ids, errors)
        else:
            targets = self.lookups.existing_targets(sent_ids, errors, "delete")
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
            escape=not self.quote_free,
        )

    def _fail_locked(
        self,
        transposed: Any,
        errors: list[str | None],
        locked_rows: Callable[[list[str]], list[bool]],
    ) -> None:
        """Fail the rows whose parent record (first non-empty parent column) is locked."""
        parents = [""] * len(errors)
        for index in reversed(self.parent_columns):
            header = self.columns[index].header.lower()
            for i, value in enumerate(transposed[index]):
                if value:
                    parents[i] = f"{header}={str(value).lower()}"
        for i, locked in enumerate(locked_rows(parents)):
            if locked and errors[i] is None:
                errors[i] = error_text("UNABLE_TO_LOCK_ROW", _LOCK_MESSAGE, "")

    def _insert_rows(self, rows: list[int], errors: list[str | None]) -> dict[int, str]:
        return self.inserter.insert(rows, errors, self.now)

    def _check_widths(self, rows: list[list[str]], errors: list[str | None]) -> None:
        width = len(self.columns)
        for i, r in enumerate(rows):
            if len(r) != width:
                errors[i] = error_text(
                    "INVALID_FIELD", f"Row has {len(r)} columns but the header has {width}", ""
                )
                rows[i] = (r + [""] * width)[:width]

    # -- writes (inserts: see Inserter) -----------------------------------------------------
    def _update(self, targets: dict[int, str], errors: list[str | None]) -> dict[int, str]:
        for name, col in self.written.items():
            if col.fdef is not None and not col.fdef.nillable:
                for i in targets:
                    if col.stored[i] is None and errors[i] is None:
                        errors[i] = error_text(
                            "REQUIRED_FIELD_MISSING", f"Required fields are missing: [{name}]", name
                        )
        candidates = [i for i in targets if errors[i] is None]
        rows = self.inserter.check_unique(candidates, targets, errors)
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
            targets = self.lookups.existing_targets(sent_ids, errors, "update", only=set(lookups))
        else:
            found = self.lookups.lookup(
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
        created = self._insert_rows(sorted(to_insert), errors)
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

