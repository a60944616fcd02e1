"""Parsing uploaded CSV values by field type (protocol §5.3) into the storage format of
:mod:`.schema`, and echoing stored values back the way Salesforce re-formats them."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

from .csvfmt import java_double
from .schema import FieldDef

_INT = re.compile(r"^[+-]?\d+(?:\.0*)?$")
_NUMBER = re.compile(r"^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$")
_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
_DATETIME = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?"
    r"(Z|[+-]\d{2}:?\d{2})?)?$"
)
_TIME = re.compile(r"^(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z)?$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_TRUE = frozenset({"true", "1"})
_FALSE = frozenset({"false", "0"})

Parser = Callable[[str], Any]


def parse_boolean(value: str) -> int:
    low = value.lower()
    if low in _TRUE:
        return 1
    if low in _FALSE:
        return 0
    raise ValueError(value)


def parse_int(value: str) -> int:
    if not _INT.match(value):
        raise ValueError(value)
    return int(value.split(".", 1)[0])


def parse_number(value: str) -> float:
    if not _NUMBER.match(value):
        raise ValueError(value)
    return float(value)


def parse_date(value: str) -> str:
    if not _DATE.match(value):
        raise ValueError(value)
    return date.fromisoformat(value).isoformat()


def parse_datetime(value: str) -> str:
    m = _DATETIME.match(value)
    if not m:
        raise ValueError(value)
    year, month, day, hour, minute, second, frac, zone = m.groups()
    micro = int((frac or "0")[:6].ljust(6, "0"))
    tz = UTC
    if zone and zone != "Z":
        digits = zone[1:].replace(":", "")
        offset = timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
        tz = timezone(offset if zone[0] == "+" else -offset)
    moment = datetime(
        int(year),
        int(month),
        int(day),
        int(hour or 0),
        int(minute or 0),
        int(second or 0),
        micro,
        tzinfo=tz,
    ).astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def parse_time(value: str) -> str:
    m = _TIME.match(value)
    if not m:
        raise ValueError(value)
    hour, minute, second, frac, _ = m.groups()
    if int(hour) > 23 or int(minute) > 59 or int(second or 0) > 59:
        raise ValueError(value)
    millis = (frac or "0")[:3].ljust(3, "0")
    return f"{hour}:{minute}:{second or '00'}.{millis}Z"


_PARSERS: dict[str, Parser] = {
    "boolean": parse_boolean,
    "int": parse_int,
    "long": parse_int,
    "double": parse_number,
    "currency": parse_number,
    "percent": parse_number,
    "date": parse_date,
    "datetime": parse_datetime,
    "time": parse_time,
}
XSD_TYPES = {
    "boolean": "boolean",
    "int": "int",
    "long": "long",
    "double": "double",
    "currency": "double",
    "percent": "double",
    "date": "date",
    "datetime": "dateTime",
    "time": "time",
}


def parser_for(fdef: FieldDef) -> Parser | None:
    """The typed parser of a field (raises ``ValueError`` on bad input), ``None`` for text."""
    return _PARSERS.get(fdef.type)


def is_valid_email(value: str) -> bool:
    return bool(_EMAIL.match(value))


def echo_value(field_type: str, stored: Any) -> str:
    """A stored value as Salesforce echoes it in result files."""
    if stored is None:
        return ""
    if field_type == "boolean":
        return "true" if stored else "false"
    if field_type in ("double", "currency", "percent"):
        return java_double(float(stored))
    return str(stored)
