"""Stored values as the REST API writes them in JSON (records of ``sobjects`` and ``query``):
numbers as numbers, booleans as booleans, dates and times as strings, dateTimes in
Salesforce's ``…T…+0000`` form; and the ``attributes`` object every record carries."""

from __future__ import annotations

from typing import Any

from sfbulk_frames.emulator.models.schema import INTEGER_TYPES, REAL_TYPES

__all__ = ["attributes", "json_value", "record_url"]


def json_value(field_type: str, stored: Any) -> Any:
    """A stored value (see :mod:`.schema`) as a JSON value of a field of ``field_type``."""
    if stored is None:
        return None
    if field_type == "boolean":
        return bool(stored)
    if field_type in INTEGER_TYPES:
        return int(stored)
    if field_type in REAL_TYPES:
        return float(stored)
    text = str(stored)
    if field_type == "datetime" and text.endswith("Z"):
        return text[:-1] + "+0000"  # 2024-03-15T17:02:31.000+0000
    return text


def record_url(version: str, object_name: str, record_id: str) -> str:
    return f"/services/data/v{version}/sobjects/{object_name}/{record_id}"


def attributes(version: str, object_name: str, record_id: str | None) -> dict[str, Any]:
    """``{"type": …, "url": …}`` of a record (no ``url`` without an Id)."""
    found: dict[str, Any] = {"type": object_name}
    if record_id:
        found["url"] = record_url(version, object_name, record_id)
    return found
