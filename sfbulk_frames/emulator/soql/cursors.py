"""The REST ``query`` / ``queryAll`` resource on the same SOQL engine as Bulk API 2.0 query
jobs: a query runs once into a cursor (a result table, like a query job's), and pages of up to
2,000 records are read from it as JSON records, with ``attributes`` and nested parent objects
for relationship paths (``{"Account": {"attributes": …, "Name": …}}``, a null parent as
``null``).

So that every record and parent carries its ``url``, the query is compiled with the Id of the
FROM object and of every parent it names added in front of its SELECT list (unless selected);
those columns are not shown. ``SELECT COUNT() FROM …`` (REST only) answers ``totalSize`` with
no records.
"""

from __future__ import annotations

import re
import sqlite3
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

from sfbulk_frames.emulator.models.errors import ApiError
from sfbulk_frames.emulator.models.ids import IdGenerator
from sfbulk_frames.emulator.models.json_values import attributes, json_value
from sfbulk_frames.emulator.models.schema import ObjectDef, Schema
from sfbulk_frames.emulator.soql.compiler import compile_soql
from sfbulk_frames.emulator.soql.parser import parse
from sfbulk_frames.emulator.soql.results import drop, materialize

__all__ = ["DEFAULT_BATCH_SIZE", "Cursor", "QueryCursors"]

CURSOR_PREFIX = "01g"
DEFAULT_BATCH_SIZE = 2000
MIN_BATCH_SIZE = 200
MAX_OPEN_CURSORS = 50  # the oldest cursor is closed beyond this (Salesforce caps them too)
_COUNT = re.compile(r"^\s*SELECT\s+COUNT\(\s*\)\s+(FROM\s.*)$", re.IGNORECASE | re.DOTALL)


@dataclass(frozen=True)
class _Shown:
    path: tuple[str, ...]  # relationship names, canonical case ("Account", "Owner")
    name: str  # field API name
    field_type: str
    index: int  # column c<index> of the result table


@dataclass
class Cursor:
    """One query's results: ``total`` rows in result table ``table``."""

    id: str
    table: str
    root: str
    total: int
    shown: list[_Shown] = field(default_factory=list)
    id_index: dict[tuple[str, ...], int] = field(default_factory=dict)  # path -> Id column
    parent_type: dict[tuple[str, ...], str] = field(default_factory=dict)  # path -> object
    count_only: bool = False  # SELECT COUNT(): totalSize, no records


def _walk(schema: Schema, root: ObjectDef, relationships: list[str]) -> list[tuple[str, ObjectDef]]:
    """(canonical relationship name, parent object) of each hop (the compiler checked them)."""
    hops = []
    obj = root
    for name in relationships:
        reference = obj.relationship(name)
        assert reference is not None
        assert reference.relationship_name is not None
        targets = [t for t in map(schema.get, reference.reference_to) if t is not None]
        obj = targets[0]
        hops.append((reference.relationship_name, obj))
    return hops


class QueryCursors:
    """The open REST query cursors of an org (caller holds the org lock)."""

    def __init__(self) -> None:
        self._open: OrderedDict[str, Cursor] = OrderedDict()
        self._ids = IdGenerator(7)

    def __repr__(self) -> str:
        return f"<QueryCursors open={len(self._open)}>"

    def open(
        self, conn: sqlite3.Connection, schema: Schema, soql: str, *, include_deleted: bool
    ) -> Cursor:
        """Run ``soql`` into a new cursor; raises SoqlError like a query job's create."""
        counted = _COUNT.match(soql)
        if counted is not None:
            soql = "SELECT Id " + counted.group(1)
        compile_soql(soql, schema, include_deleted=include_deleted)  # errors as written
        query = parse(soql)
        root = schema.get(query.object_name)
        assert root is not None
        prefixes = {root.name.lower(), (query.alias or root.name).lower()}
        plans: list[tuple[tuple[str, ...], str, ObjectDef]] = []
        wanted: set[tuple[str, ...]] = {()}
        selected: set[tuple[str, ...]] = set()
        for ref in query.fields:
            segments = list(ref.path)
            if (
                len(segments) > 1
                and segments[0].lower() in prefixes
                and (root.relationship(segments[0]) is None)
            ):
                segments = segments[1:]
            hops = _walk(schema, root, segments[:-1])
            path = tuple(name for name, _ in hops)
            obj = hops[-1][1] if hops else root
            fdef = obj.field(segments[-1])
            plans.append((path, fdef.name if fdef else segments[-1], obj))
            selected.add(tuple(p.lower() for p in (*path, plans[-1][1])))
            wanted.update(path[:depth] for depth in range(1, len(path) + 1))
        hidden = sorted(p for p in wanted if tuple(x.lower() for x in (*p, "Id")) not in selected)
        start = query.fields[0].pos
        extra = "".join(".".join((*p, "Id")) + ", " for p in hidden)
        compiled = compile_soql(
            soql[:start] + extra + soql[start:], schema, include_deleted=include_deleted
        )
        cursor_id = self._ids.new(CURSOR_PREFIX)
        cursor = Cursor(cursor_id, f"__rq_{cursor_id}", root.name, 0, count_only=bool(counted))
        for index, p in enumerate(hidden):
            cursor.id_index[p] = index
        for offset, ((path, name, obj), column) in enumerate(
            zip(plans, compiled.columns[len(hidden) :], strict=True)
        ):
            index = len(hidden) + offset
            cursor.shown.append(_Shown(path, name, column.field_type, index))
            if name.lower() == "id":
                cursor.id_index.setdefault(path, index)
            if path:
                cursor.parent_type.setdefault(path, obj.name)
        for path in wanted - {()}:  # parents named only by deeper paths
            if path not in cursor.parent_type:
                hops = _walk(schema, root, list(path))
                cursor.parent_type[path] = hops[-1][1].name
        cursor.total = materialize(conn, compiled, cursor.table)
        self._open[cursor_id] = cursor
        while len(self._open) > MAX_OPEN_CURSORS:
            _, oldest = self._open.popitem(last=False)
            drop(conn, oldest.table)
        return cursor

    def get(self, cursor_id: str) -> Cursor:
        """An open cursor; raises 400 ``INVALID_QUERY_LOCATOR`` when unknown or closed."""
        found = self._open.get(cursor_id)
        if found is None:
            raise ApiError(400, "INVALID_QUERY_LOCATOR", "invalid query locator")
        return found

    def clear(self) -> None:
        """Forget every cursor (their tables went with the org's records)."""
        self._open.clear()

    def page(
        self,
        conn: sqlite3.Connection,
        schema: Schema,
        cursor: Cursor,
        offset: int,
        size: int,
        version: str,
    ) -> list[dict[str, Any]]:
        """Records ``[offset, offset + size)`` of ``cursor`` as REST JSON records."""
        if cursor.count_only:
            return []
        width = max([s.index for s in cursor.shown] + list(cursor.id_index.values())) + 1
        names = ", ".join(f"c{i}" for i in range(width))
        rows = conn.execute(
            f'SELECT {names} FROM "{cursor.table}" WHERE _row > ? ORDER BY _row LIMIT ?',
            (offset, size),
        ).fetchall()
        return [_record(schema, cursor, row, version) for row in rows]


def _record(schema: Schema, cursor: Cursor, row: tuple[Any, ...], version: str) -> dict[str, Any]:
    root_id = row[cursor.id_index[()]]
    record: dict[str, Any] = {"attributes": attributes(version, cursor.root, root_id)}
    for shown in cursor.shown:
        container: dict[str, Any] | None = record
        for depth in range(1, len(shown.path) + 1):
            assert container is not None
            name = shown.path[depth - 1]
            if name not in container:
                parent_id = row[cursor.id_index[shown.path[:depth]]]
                container[name] = (
                    None
                    if parent_id is None
                    else {
                        "attributes": attributes(
                            version,
                            _type_of(schema, cursor, shown.path[:depth], parent_id),
                            parent_id,
                        )
                    }
                )
            container = container[name]
            if container is None:
                break
        if container is not None:
            container[shown.name] = json_value(shown.field_type, row[shown.index])
    return record


def _type_of(schema: Schema, cursor: Cursor, path: tuple[str, ...], record_id: str) -> str:
    """The object of a parent record: from its Id's key prefix (polymorphic lookups)."""
    found = schema.by_prefix(str(record_id)[:3])
    return found.name if found is not None else cursor.parent_type[path]
