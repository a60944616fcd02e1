"""The org: objects in SQLite (one table per object, see :mod:`.schema`), the default user,
id generation state and describe."""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sfbulk_frames._exceptions import SfBulkError
from sfbulk_frames.emulator.models.ids import ORG_PREFIX, USER_PREFIX, IdGenerator
from sfbulk_frames.emulator.models.objects.builtin import (
    DEFAULT_ORGANIZATION_FIELDS,
    DEFAULT_USER_FIELDS,
    DEFAULT_USERNAME,
)
from sfbulk_frames.emulator.models.schema import FieldDef, ObjectDef, Schema, storage_class

_READ_ACTIONS = frozenset(
    {sqlite3.SQLITE_SELECT, sqlite3.SQLITE_READ, sqlite3.SQLITE_FUNCTION, sqlite3.SQLITE_RECURSIVE}
)
# pragmas that only read, whatever their argument (a table or index name) ...
_READ_ONLY_PRAGMAS = frozenset(
    {
        "table_info",
        "table_xinfo",
        "table_list",
        "index_list",
        "index_info",
        "index_xinfo",
        "foreign_key_list",
        "page_count",
        "freelist_count",
        "database_list",
        "compile_options",
        "integrity_check",
        "quick_check",
    }
)
# ... and settings that read without a value but write with one
_SETTING_PRAGMAS = frozenset({"page_size", "user_version", "journal_mode", "encoding"})


class ReadOnlySqlError(SfBulkError, ValueError):
    """``Emulator.sql()`` was given a statement that would change the org's database."""

    def __init__(self, query: str) -> None:
        super().__init__(
            f"Emulator.sql() is read-only and refused {query!r}: pass a SELECT statement, and "
            "change records through the Bulk API (or Emulator.client()) instead"
        )
        self.query = query


def _read_only_authorizer(
    action: int, arg1: str | None, arg2: str | None, db: str | None, trigger: str | None
) -> int:
    """SQLite authorizer of :meth:`Org.sql`: reads only (``PRAGMA user_version`` reads,
    ``PRAGMA user_version = 7`` is refused)."""
    if action in _READ_ACTIONS:
        return sqlite3.SQLITE_OK
    pragma = (arg1 or "").lower()
    if action == sqlite3.SQLITE_PRAGMA and (
        pragma in _READ_ONLY_PRAGMAS or (pragma in _SETTING_PRAGMAS and arg2 is None)
    ):
        return sqlite3.SQLITE_OK
    return sqlite3.SQLITE_DENY


def now_utc_text() -> str:
    """Current time in the storage format ``YYYY-MM-DDTHH:MM:SS.sssZ``."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def case_insensitive_key(fdef: FieldDef) -> bool:
    """Whether lookups by this key field ignore (ASCII) case: text fields, not Ids."""
    return fdef.type not in ("id", "reference") and storage_class(fdef.type) == "TEXT"


def quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


class Org:
    """Records of every object of ``schema`` in one SQLite database (``:memory:`` by default).

    All access goes through :attr:`lock` (an ``RLock``); the connection is shared by threads.
    """

    def __init__(self, schema: Schema, *, db: str | None = None, seed: int = 0) -> None:
        self.schema = schema
        self.lock = threading.RLock()
        self.conn = sqlite3.connect(db or ":memory:", check_same_thread=False, isolation_level=None)
        self.conn.execute("PRAGMA synchronous=OFF")
        self.conn.execute("PRAGMA temp_store=MEMORY")  # index builds and sorts
        if db:
            self.conn.execute("PRAGMA journal_mode=WAL")
            self.conn.execute("PRAGMA cache_size=-65536")  # 64 MB of a file-backed org's pages
        self.ids = IdGenerator(seed)
        self._indexed: set[tuple[str, str]] = set()
        self._unique_indexed: set[tuple[str, str]] = set()
        self._create_meta()
        for obj in schema.objects.values():
            self._create_table(obj)
        self.org_id, self.user_id = self._ensure_identity()
        schema.on_load.append(self._object_loaded)

    def _object_loaded(self, obj: ObjectDef) -> None:
        """A standard object loaded on first use: its table (and the org's own record)."""
        with self.lock:
            self._create_table(obj)
            if obj.name == "Organization":
                self._ensure_organization()

    # -- setup -------------------------------------------------------------------------------
    def _create_meta(self) -> None:
        self.conn.execute("CREATE TABLE IF NOT EXISTS __meta (key TEXT PRIMARY KEY, value TEXT)")
        row = self.conn.execute("SELECT value FROM __meta WHERE key='id_counters'").fetchone()
        if row:
            self.ids.restore(json.loads(row[0]))

    def save_id_state(self) -> None:
        """Persist the id counters so a file-backed org never re-issues an Id."""
        self.conn.execute(
            "INSERT OR REPLACE INTO __meta VALUES ('id_counters', ?)",
            (json.dumps(self.ids.state()),),
        )

    def _create_table(self, obj: ObjectDef) -> None:
        table = quote_ident(obj.name)
        cols = ["Id TEXT PRIMARY KEY", "IsDeleted INTEGER NOT NULL DEFAULT 0"]
        cols += [
            f"{quote_ident(f.name)} {storage_class(f.type)}"
            for f in obj
            if f.name not in ("Id", "IsDeleted") and f.type not in ("address", "location")
        ]
        self.conn.execute(f"CREATE TABLE IF NOT EXISTS {table} ({', '.join(cols)})")
        existing = {r[1].lower() for r in self.conn.execute(f"PRAGMA table_info({table})")}
        for f in obj:
            if f.name.lower() not in existing and f.type not in ("address", "location"):
                self.conn.execute(
                    f"ALTER TABLE {table} ADD COLUMN {quote_ident(f.name)} {storage_class(f.type)}"
                )
        for f in obj:
            if (f.unique or f.external_id) and f.name != "Id":
                self.ensure_key_index(obj, f)
        self._create_triggers(obj)

    def _create_triggers(self, obj: ObjectDef) -> None:
        """Values the org fills in on insert: auto-number fields (``CaseNumber`` of a catalogue
        Case, ``OrderNumber``...) numbered ``00000001``, ``00000002``... in insert order, and
        ``LastModifiedById`` = ``CreatedById``. Only objects with such fields get a trigger."""
        table = quote_ident(obj.name)
        sets = [
            f"{quote_ident(f.name)} = coalesce(NEW.{quote_ident(f.name)}, "
            "printf('%08d', NEW.rowid))"
            for f in obj
            if f.auto_number
        ]
        if obj.field("LastModifiedById") is not None and obj.field("CreatedById") is not None:
            sets.append('"LastModifiedById" = coalesce(NEW."LastModifiedById", NEW."CreatedById")')
        if not sets:
            return
        trigger = quote_ident(f"on_insert_{obj.name}")
        self.conn.execute(
            f"CREATE TRIGGER IF NOT EXISTS {trigger} AFTER INSERT ON {table} FOR EACH ROW "
            f"BEGIN UPDATE {table} SET {', '.join(sets)} WHERE rowid = NEW.rowid; END"
        )

    def ensure_key_index(self, obj: ObjectDef, fdef: FieldDef) -> None:
        """Index of a unique / external ID / idLookup field. Text keys match case-insensitively
        (as Salesforce's default external IDs do), so their index is ``COLLATE NOCASE``.

        Unique and external ID fields are indexed with the table (every insert checks them);
        an idLookup-only field (``Email``, ``Name``) gets its index on the first lookup by it,
        so bulk inserts that never look records up by it do not maintain one. A unique field's
        index is UNIQUE over live records (see :meth:`enforces_unique`)."""
        if fdef.name == "Id" or (obj.name, fdef.name) in self._indexed:
            return
        self._indexed.add((obj.name, fdef.name))
        table, column = quote_ident(obj.name), quote_ident(fdef.name)
        binary = quote_ident(f"ix_{obj.name}_{fdef.name}")
        folded = case_insensitive_key(fdef)
        keyed = f"{column} COLLATE NOCASE" if folded else column
        plain = quote_ident(f"ix_{obj.name}_{fdef.name}_ci") if folded else binary
        if folded:
            self.conn.execute(f"DROP INDEX IF EXISTS {binary}")  # made by older versions
        if fdef.unique:
            unique = quote_ident(f"ux_{obj.name}_{fdef.name}")
            try:
                self.conn.execute(
                    f"CREATE UNIQUE INDEX IF NOT EXISTS {unique} ON {table} ({keyed}) "
                    "WHERE IsDeleted = 0"
                )
            except sqlite3.IntegrityError:  # a file org written with duplicates: plain index
                pass
            else:
                self.conn.execute(f"DROP INDEX IF EXISTS {plain}")  # made by older versions
                self._unique_indexed.add((obj.name, fdef.name))
                return
        self.conn.execute(f"CREATE INDEX IF NOT EXISTS {plain} ON {table} ({keyed})")

    def enforces_unique(self, obj: ObjectDef, fdef: FieldDef) -> bool:
        """Whether SQLite rejects a second live record with this field's value (ASCII case
        folded for text), so an insert that raises no ``IntegrityError`` made no duplicate."""
        return (obj.name, fdef.name) in self._unique_indexed

    def _ensure_identity(self) -> tuple[str, str]:
        row = self.conn.execute("SELECT value FROM __meta WHERE key='identity'").fetchone()
        if row:
            org_id, user_id = (str(v) for v in json.loads(row[0]))
        else:
            org_id, user_id = self.ids.new(ORG_PREFIX), self.ids.new(USER_PREFIX)
            self.conn.execute(
                "INSERT INTO __meta VALUES ('identity', ?)", (json.dumps([org_id, user_id]),)
            )
            self.save_id_state()
        self.org_id, self.user_id = org_id, user_id
        self.ensure_user(user_id, DEFAULT_USER_FIELDS)
        if "organization" in self.schema.objects:
            self._ensure_organization()
        return org_id, user_id

    def ensure_user(self, user_id: str, fields: dict[str, Any]) -> None:
        """The User record ``user_id`` with ``fields`` (kept as it is when it already exists)."""
        self._ensure_record("User", user_id, fields)

    def _ensure_organization(self) -> None:
        self._ensure_record("Organization", self.org_id, DEFAULT_ORGANIZATION_FIELDS)

    def _ensure_record(self, object_name: str, record_id: str, fields: dict[str, Any]) -> None:
        obj = self.schema.objects.get(object_name.lower())
        if obj is None:
            return
        table = quote_ident(obj.name)
        if self.conn.execute(f"SELECT 1 FROM {table} WHERE Id = ?", (record_id,)).fetchone():
            return
        values: dict[str, Any] = {"Id": record_id, **fields}
        stamp = now_utc_text()
        values.update(
            CreatedDate=stamp,
            LastModifiedDate=stamp,
            SystemModstamp=stamp,
            CreatedById=self.user_id,
            LastModifiedById=self.user_id,
        )
        names = [n for n in values if obj.field(n) is not None]
        self.conn.execute(
            f"INSERT INTO {table} ({', '.join(map(quote_ident, names))}) "
            f"VALUES ({', '.join('?' for _ in names)})",
            [values[n] for n in names],
        )

    # -- helpers -----------------------------------------------------------------------------
    @property
    def default_username(self) -> str:
        return DEFAULT_USERNAME

    def object(self, name: str) -> ObjectDef | None:
        return self.schema.get(name)

    def count(self, object_name: str, *, include_deleted: bool = False) -> int:
        """Number of records of an object; raises ``KeyError`` for an unknown object."""
        obj = self.schema.get(object_name)
        if obj is None:
            raise KeyError(f"unknown object {object_name!r}; known: {sorted(self.schema.objects)}")
        where = "" if include_deleted else " WHERE IsDeleted = 0"
        with self.lock:
            row = self.conn.execute(
                f"SELECT COUNT(*) FROM {quote_ident(obj.name)}{where}"
            ).fetchone()
        return int(row[0])

    def sql(self, query: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """Run one read-only SQL statement. SQLite's authorizer refuses, while it is prepared,
        everything but reads (``INSERT``/``UPDATE``/``DELETE`` also inside ``WITH``, DDL,
        ``ATTACH``, transactions, ``PRAGMA`` other than a few read-only ones): raises
        :class:`ReadOnlySqlError` naming the statement."""
        with self.lock:
            self.conn.set_authorizer(_read_only_authorizer)
            try:
                return [tuple(r) for r in self.conn.execute(query, tuple(params)).fetchall()]
            except sqlite3.DatabaseError as exc:
                if "not authorized" in str(exc):
                    raise ReadOnlySqlError(query) from exc
                raise
            finally:
                self.conn.set_authorizer(None)

    def reset_records(self) -> None:
        """Delete every record and job; the org, the default user and their Ids are kept."""
        with self.lock:
            tables = [
                r[0]
                for r in self.conn.execute("SELECT name FROM sqlite_master WHERE type='table'")
                if r[0] != "__meta"
            ]
            for t in tables:
                self.conn.execute(f"DROP TABLE IF EXISTS {quote_ident(t)}")
            self._indexed.clear()
            self._unique_indexed.clear()
            for obj in self.schema.objects.values():
                self._create_table(obj)
            self.org_id, self.user_id = self._ensure_identity()

    def close(self) -> None:
        with self.lock:
            self.save_id_state()
            self.conn.close()
