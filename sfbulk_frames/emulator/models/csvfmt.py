"""CSV format of the emulator: the delimiter/line-ending enums, reading CSV rows with no field
size limit (without changing the process-wide ``csv.field_size_limit``), writing fully quoted
result lines, and the Java formatting of doubles that Salesforce echoes."""

from __future__ import annotations

import csv
import io
import math
import re
import threading
from collections.abc import Iterable, Iterator
from decimal import Decimal

DELIMITERS = {
    "BACKQUOTE": "`",
    "CARET": "^",
    "COMMA": ",",
    "PIPE": "|",
    "SEMICOLON": ";",
    "TAB": "\t",
}
LINE_ENDINGS = {"LF": "\n", "CRLF": "\r\n"}
# Salesforce fields hold up to 131,072 characters (the csv module's default limit) but an upload
# may carry a longer value, which must reach the field checks (STRING_TOO_LONG), not fail the
# CSV parse.
_FIELD_SIZE_LIMIT = 2**31 - 1
_FIELD_SIZE_LOCK = threading.Lock()


def csv_rows(lines: Iterable[str], delimiter: str, *, strict: bool = True) -> Iterator[list[str]]:
    """Rows of ``lines`` (RFC-4180, ``strict`` raises ``csv.Error`` on a bad quote) with no field
    size limit. The process-wide ``csv.field_size_limit`` is raised around each row under a lock
    and restored, so the emulator never leaves it changed for the rest of the process."""
    reader = csv.reader(lines, delimiter=delimiter, strict=strict)
    while True:
        with _FIELD_SIZE_LOCK:
            previous = csv.field_size_limit(_FIELD_SIZE_LIMIT)
            try:
                row = next(reader, None)
            finally:
                csv.field_size_limit(previous)
        if row is None:
            return
        yield row


def header_line_problem(text: str, line_ending: str) -> str | None:
    """The mangled last column name Salesforce would see when the data's line ending does not
    match the declared one (``Name\\r`` for CRLF data declared LF), else ``None``."""
    if line_ending == "LF":
        first = text.split("\n", 1)[0]
        if first.endswith("\r"):
            return first.rsplit(",", 1)[-1]
        return None
    first = text.split("\r\n", 1)[0]
    if "\n" in first:
        return first.split("\n", 1)[0].rsplit(",", 1)[-1] + "\n" + first.split("\n", 1)[1][:40]
    return None


def quoted_line(values: Iterable[str], delimiter: str, line_ending: str) -> str:
    """One fully quoted CSV line (every value in double quotes, quotes doubled)."""
    return delimiter.join(['"' + v.replace('"', '""') + '"' for v in values]) + line_ending


def plain_lines(rows: Iterable[list[str]], delimiter: str, line_ending: str) -> str:
    """Rows as minimally quoted CSV, the way they were uploaded (for unprocessed records)."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator=line_ending)
    writer.writerows(rows)
    return out.getvalue()


_BARE_NUMBER = re.compile(r"^-?\d+(?:\.\d+)?$")


def reserialized_unprocessed(text: str, delimiter: str, line_ending: str) -> str:
    """Unprocessed rows (header first) the way Salesforce returns ``unprocessedrecords``
    (recorded, v53): header and text values in quotes, numbers bare, rows joined by the job's
    line ending with none after the last (``"Name","Employees"\n"Foo",12\n"Bar",1138``).
    Data the ``csv`` module cannot read (a job that failed for unparseable CSV) stays as is."""
    try:
        rows = [row for row in csv_rows(io.StringIO(text, newline=""), delimiter) if row]
    except csv.Error:
        return text
    lines = [delimiter.join('"' + v.replace('"', '""') + '"' for v in rows[0])] if rows else []
    for row in rows[1:]:
        lines.append(
            delimiter.join(
                v if _BARE_NUMBER.match(v) else '"' + v.replace('"', '""') + '"' for v in row
            )
        )
    return line_ending.join(lines)


def java_double(value: float) -> str:
    """A double as Java's ``Double.toString`` writes it: ``12.0``, ``9.12260031E8``, ``1.0E-4``."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    if value == 0:
        return "-0.0" if math.copysign(1.0, value) < 0 else "0.0"
    if 1e-3 <= abs(value) < 1e7:
        text = repr(value)
        return text if "." in text or "e" in text else text + ".0"
    sign, digits, exponent = Decimal(repr(value)).as_tuple()
    assert isinstance(exponent, int)
    trimmed = list(digits)
    while len(trimmed) > 1 and trimmed[-1] == 0:
        trimmed.pop()
        exponent += 1
    power = len(digits) - 1 + exponent - (len(digits) - len(trimmed))
    mantissa = str(trimmed[0]) + "." + ("".join(map(str, trimmed[1:])) or "0")
    return ("-" if sign else "") + mantissa + "E" + str(power)
