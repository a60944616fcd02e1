"""Key helpers of ingest batches: case-folded lookups of external IDs, SQL literal values and
quick scans for empty cells."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sfbulk_frames.emulator.ingest.columns import EMPTY

SQL_CHUNK = 900


def chunks(items: list[Any]) -> Iterable[list[Any]]:
    for start in range(0, len(items), SQL_CHUNK):
        yield items[start : start + SQL_CHUNK]


def fold_key(value: Any) -> Any:
    """A text key as case-insensitive lookups compare it (other values unchanged)."""
    return value.lower() if isinstance(value, str) else value


def fold_keys(values: list[Any]) -> list[Any]:
    """:func:`fold_key` of every value (C-speed when all are text)."""
    try:
        return list(map(str.lower, values))
    except TypeError:
        return list(map(fold_key, values))


class KeyMatches(dict[Any, list[tuple[str, int]]]):
    """Records found per key value: ``(Id, IsDeleted)`` pairs; :meth:`of` folds case when the
    key field matches case-insensitively."""

    def __init__(self, folded: bool) -> None:
        super().__init__()
        self.folded = folded

    def of(self, value: Any) -> list[tuple[str, int]]:
        return self.get(fold_key(value) if self.folded else value, [])


def sql_literal(value: Any) -> str | None:
    """``value`` as an SQL literal, ``None`` for values kept as bound parameters."""
    if isinstance(value, str):
        return "'" + value.replace("'", "''") + "'"
    if type(value) is int:
        return str(value)
    return None


def present(values: list[Any]) -> bool:
    """True when no value is EMPTY or None (a C-speed scan)."""
    return None not in values and EMPTY not in values


def without_errors(rows: list[int], errors: list[str | None]) -> list[int]:
    """The positions of ``rows`` that have no error yet (``rows`` itself when no row has)."""
    if errors.count(None) == len(errors):
        return rows
    return [i for i in rows if errors[i] is None]
