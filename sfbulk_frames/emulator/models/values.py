"""Parsing uploaded CSV values by field type (protocol §5.3) into the storage format of
:mod:`.schema`, and echoing stored values back the way Salesforce re-formats them."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

from sfbulk_frames.emulator.models.csvfmt import java_double
from sfbulk_frames.emulator.models.schema import FieldDef

if TYPE_CHECKING:
    import polars as pl

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


# -- column-wise parsing -------------------------------------------------------------------------
# Each fast path only *accepts* values it can prove the per-value parser would accept with the
# same result (ASCII-only patterns); every other value goes through the per-value parser, so
# results and errors are exactly those of ``parse_*`` / ``echo_value``.
_ASCII_INT = r"^[+-]?[0-9]{1,18}(?:\.0*)?$"
_ASCII_NUMBER = r"^[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$"
_ASCII_DATE = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
_ASCII_EMAIL = r"^[^@\s\x1c-\x1f]+@[^@\s\x1c-\x1f]+\.[^@\s\x1c-\x1f]+$"


class ParsedColumn:
    """Stored values, echoed texts and the positions that failed to parse, for a list of
    (non-empty) uploaded values of one typed field."""

    def __init__(self, stored: list[Any], echo: list[str], bad: list[int]) -> None:
        self.stored, self.echo, self.bad = stored, echo, bad


def _fast_parse(field_type: str, series: pl.Series) -> tuple[pl.Series, pl.Series]:
    """(accepted mask, stored values) of the vectorised fast path for a field type."""
    import polars as pl  # lazy: importing the emulator loads no polars
    if field_type == "boolean":
        low = series.str.to_lowercase()
        value = (
            pl.select(
                pl.when(low.is_in(["true", "1"]))
                .then(1)
                .when(low.is_in(["false", "0"]))
                .then(0)
                .otherwise(None)
            )
            .to_series()
        )
        return value.is_not_null(), value
    if field_type in ("int", "long"):
        ok = series.str.contains(_ASCII_INT)
        value = series.str.split(".").list.first().cast(pl.Int64, strict=False)
        return ok & value.is_not_null(), value
    if field_type in ("double", "currency", "percent"):
        ok = series.str.contains(_ASCII_NUMBER)
        value = series.cast(pl.Float64, strict=False)
        return ok & value.is_not_null(), value
    if field_type == "date":
        ok = series.str.contains(_ASCII_DATE) & ~series.str.starts_with("0000")
        parsed = series.str.to_date("%Y-%m-%d", strict=False)
        return ok & parsed.is_not_null(), series
    return pl.Series([False] * len(series)), series


def parse_column(
    field_type: str, values: list[str], series: pl.Series | None = None
) -> ParsedColumn:
    """Parse many values of one typed field (see :func:`parser_for`); never raises.
    ``series``: the same values as a polars text column, when the caller has one."""
    import polars as pl  # lazy: importing the emulator loads no polars
    if series is None:
        series = pl.Series(values, dtype=pl.String)
    ok, fast = _fast_parse(field_type, series)
    stored: list[Any] = list(values) if fast is series else fast.to_list()
    if field_type in ("double", "currency", "percent"):
        # in [1e-3, 1e7) Java writes the shortest round-trip digits, as repr and polars do
        plain = ok & fast.abs().is_between(1e-3, 1e7, closed="left")
        echo = fast.cast(pl.String).zip_with(plain, pl.Series([""] * len(fast))).to_list()
        for i in (ok & ~plain).arg_true().to_list():
            echo[i] = java_double(stored[i])
    elif field_type == "boolean":
        echo = ["true" if v else "false" for v in stored]
    elif field_type in ("int", "long"):
        echo = fast.cast(pl.String).fill_null("").to_list()
    else:
        echo = list(values)
    parser = _PARSERS[field_type]
    text_echo = field_type in ("date", "datetime", "time")
    bad: list[int] = []
    for i in (~ok).arg_true().to_list():
        try:
            parsed = parser(values[i])
        except ValueError:
            bad.append(i)
            stored[i] = values[i]
            echo[i] = values[i]
            continue
        stored[i] = parsed
        echo[i] = parsed if text_echo else echo_value(field_type, parsed)
    return ParsedColumn(stored, echo, bad)


def invalid_emails(values: list[str], series: pl.Series | None = None) -> list[int]:
    """Positions of values that are not valid email addresses (see :func:`is_valid_email`).
    ``series``: the same values as a polars text column, when the caller has one."""
    import polars as pl  # lazy: importing the emulator loads no polars
    if series is None:
        series = pl.Series(values, dtype=pl.String)
    fast = series.str.contains(_ASCII_EMAIL) & (series.str.len_bytes() == series.str.len_chars())
    return [i for i in (~fast).arg_true().to_list() if not is_valid_email(values[i])]
