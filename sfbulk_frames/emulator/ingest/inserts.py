"""Inserts of an ingest batch: required fields, defaults, unique fields (checked against the
org, or left to SQLite's UNIQUE indexes when the batch holds no duplicate), and multi-row
INSERT statements."""

from __future__ import annotations

import itertools
import sqlite3
from typing import Any

from sfbulk_frames.emulator.ingest.columns import EMPTY, Column, error_text
from sfbulk_frames.emulator.ingest.keys import (
    fold_key,
    fold_keys,
    present,
    sql_literal,
    without_errors,
)
from sfbulk_frames.emulator.ingest.lookups import Lookups
from sfbulk_frames.emulator.models.org import Org, case_insensitive_key, quote_ident
from sfbulk_frames.emulator.models.schema import FieldDef, ObjectDef

_AUDIT = ("CreatedDate", "LastModifiedDate", "SystemModstamp")
_ROWS_PER_INSERT = 100


class Inserter:
    """The inserts of one job's batches, and the unique-field check that updates share.
    ``written`` maps field names to the columns the upload writes."""

    def __init__(
        self, org: Org, obj: ObjectDef, written: dict[str, Column], lookups: Lookups
    ) -> None:
        self.org, self.obj, self.written, self.lookups = org, obj, written, lookups
        self.table = quote_ident(obj.name)
        self.now = ""

    def insert(self, rows: list[int], errors: list[str | None], now: str) -> dict[int, str]:
        """Insert the error-free ``rows`` stamped ``now``; returns their new Ids by row (rows
        that fail a required or unique field get their error instead)."""
        self.now = now
        rows = self._check_required(rows, errors)
        new_ids = dict(
            zip(rows, self.org.ids.new_many(self.obj.key_prefix, len(rows)), strict=True)
        )
        if rows and self._unique_left_to_sqlite(rows):
            # no duplicate inside the batch and SQLite's UNIQUE indexes reject one against the
            # org: try the insert without the lookups; a clash rolls it back and takes the
            # checked path, which gives each clashing row its DUPLICATE_VALUE error
            conn = self.org.conn
            conn.execute("SAVEPOINT unchecked_insert")
            try:
                self._write_rows(rows, new_ids)
            except sqlite3.IntegrityError:
                conn.execute("ROLLBACK TO unchecked_insert")
                conn.execute("RELEASE unchecked_insert")
            else:
                conn.execute("RELEASE unchecked_insert")
                return new_ids  # every row of ``rows``, in order
        rows = self.check_unique(rows, new_ids, errors)
        if not rows:
            return {}
        self._write_rows(rows, new_ids)
        return dict(zip(rows, map(new_ids.__getitem__, rows), strict=True))

    def _unique_left_to_sqlite(self, rows: list[int]) -> bool:
        """True when the batch writes unique fields, all enforced by a UNIQUE index of the org,
        and ``rows`` hold no value twice (compared like :meth:`_check_unique` does)."""
        unique = [c for c in self.written.values() if c.fdef is not None and c.fdef.unique]
        if not unique:
            return False
        for col in unique:
            assert col.fdef is not None
            if not self.org.enforces_unique(self.obj, col.fdef):
                return False
            selected = self._select(col.stored, rows)
            values = (
                selected
                if col.complete or present(selected)
                else [v for v in selected if v is not EMPTY and v is not None]
            )
            keys = fold_keys(values) if case_insensitive_key(col.fdef) else values
            if len(set(keys)) != len(keys):
                return False
        return True

    def _write_rows(self, rows: list[int], new_ids: dict[int, str]) -> None:
        """INSERT ``rows`` with their new Ids (one ``executemany``)."""
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
        head = f"INSERT INTO {self.table} ({', '.join(map(quote_ident, names))})"
        bound = [c for c, same in zip(columns, shared, strict=True) if not same]
        _insert_many(self.org.conn, head, f"({values_sql})", bound)

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
        return without_errors(rows, errors)

    def check_unique(
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
            existing = self.lookups.lookup(self.obj, name, values)
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


def _insert_many(
    conn: sqlite3.Connection, head: str, row: str, columns: list[list[Any]]
) -> None:
    """``head VALUES row, row, ...`` for the rows of ``columns`` (``row`` binds one value of
    each), up to 100 rows per statement: a multi-row VALUES costs SQLite far less per row
    than one statement execution per row."""
    count, width = len(columns[0]), len(columns)
    limit = conn.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
    per = max(1, min(_ROWS_PER_INSERT, count, limit // width))
    params = list(itertools.chain.from_iterable(zip(*columns, strict=True)))
    full = count // per * per
    step = per * width
    if full:
        conn.executemany(
            f"{head} VALUES {', '.join([row] * per)}",
            [params[start : start + step] for start in range(0, full * width, step)],
        )
    if full < count:
        conn.execute(f"{head} VALUES {', '.join([row] * (count - full))}", params[full * width :])
