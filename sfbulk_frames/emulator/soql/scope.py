"""What the WHERE-clause compiler needs from the query compiler: resolved field paths and the
query it belongs to (the compiler implements :class:`QueryScope`; filters only see this)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from sfbulk_frames.emulator.models.schema import FieldDef
from sfbulk_frames.emulator.soql.compiled import CompiledQuery, SoqlError
from sfbulk_frames.emulator.soql.parser import FieldRef, Query

TEXT_COLLATION_TYPES = frozenset(
    {
        "id",
        "reference",
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


@dataclass(frozen=True)
class ResolvedField:
    sql: str  # e.g. t1."Name"
    field: FieldDef
    key: str  # canonical lower-case path, e.g. "account.owner.name"

    @property
    def collation(self) -> str:
        return " COLLATE NOCASE" if self.field.type in TEXT_COLLATION_TYPES else ""


class QueryScope(Protocol):
    """One (possibly nested) query being compiled: its text, bound parameters and clock, how
    its field paths resolve, and a compiler for a semi-join subquery."""

    @property
    def soql(self) -> str: ...

    @property
    def params(self) -> list[object]: ...

    @property
    def now(self) -> datetime: ...

    def resolve(self, ref: FieldRef) -> ResolvedField: ...

    def field_error(self, ref: FieldRef, text: str, pos: int | None = None) -> SoqlError: ...

    def nested(self) -> QueryScope: ...

    def compile(self, query: Query) -> CompiledQuery: ...
