"""SOQL tokens: identifiers (dotted paths), strings with SOQL escapes, numbers, date, datetime
and time literals, operators and punctuation."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sfbulk_frames.emulator.soql.compiled import malformed

IDENT = "ident"
STRING = "string"
NUMBER = "number"
DATE = "date"
DATETIME = "datetime"
TIME = "time"
OP = "op"
PUNCT = "punct"
EOF = "eof"

_WHITESPACE = re.compile(r"\s+")
_DATETIME = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?(Z|[+-]\d{2}:?\d{2})(?![\w.])"
)
_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})(?![\w.:-])")
_TIME = re.compile(r"(\d{2}):(\d{2}):(\d{2})(\.\d{1,3})?Z(?![\w.])")
_DATE_PREFIX = re.compile(r"\d{4}-\d{2}-\d{2}")
_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)(?![\w.])")
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*(?![\w.])")
_OPERATORS = ("!=", "<>", "<=", ">=", "=", "<", ">")
_PUNCTUATION = "(),:"

# SOQL string escapes (both cases of the letter escapes are accepted).
_ESCAPES = {"n": "\n", "r": "\r", "t": "\t", "b": "\b", "f": "\f", '"': '"', "'": "'", "\\": "\\"}


@dataclass(frozen=True)
class Token:
    kind: str
    text: str                       # the source text of the token
    pos: int                        # offset in the query
    value: object = None            # str for strings/idents, int|float, normalised temporal text
    like_pattern: str | None = None  # strings only: the value as a SQLite LIKE pattern (ESCAPE '\')

    def is_keyword(self, *words: str) -> bool:
        return self.kind == IDENT and self.text.upper() in words

    def shown(self) -> str:
        return "<EOF>" if self.kind == EOF else self.text


def tokenize(soql: str) -> list[Token]:
    """Split ``soql`` into tokens; raises SoqlError(MALFORMED_QUERY) on a character or literal
    SOQL does not accept."""
    tokens: list[Token] = []
    pos = 0
    while pos < len(soql):
        ws = _WHITESPACE.match(soql, pos)
        if ws:
            pos = ws.end()
            continue
        token = _next_token(soql, pos)
        tokens.append(token)
        pos += len(token.text)
    tokens.append(Token(EOF, "", len(soql)))
    return tokens


def _next_token(soql: str, pos: int) -> Token:
    char = soql[pos]
    if char == "'":
        return _string(soql, pos)
    if char.isdigit() or char in "+-.":
        return _numeric_or_temporal(soql, pos)
    match = _IDENT.match(soql, pos)
    if match:
        return Token(IDENT, match.group(), pos, match.group())
    for op in _OPERATORS:
        if soql.startswith(op, pos):
            return Token(OP, op, pos, op)
    if char in _PUNCTUATION:
        return Token(PUNCT, char, pos, char)
    raise malformed(soql, pos, f"unexpected token: '{char}'")


def _numeric_or_temporal(soql: str, pos: int) -> Token:
    match = _DATETIME.match(soql, pos)
    if match:
        return Token(DATETIME, match.group(), pos, _datetime_value(soql, pos, match))
    match = _DATE.match(soql, pos)
    if match:
        return Token(DATE, match.group(), pos, _date_value(soql, pos, match).isoformat())
    match = _TIME.match(soql, pos)
    if match:
        hours, minutes, seconds, fraction = match.groups()
        if int(hours) > 23 or int(minutes) > 59 or int(seconds) > 59:
            raise malformed(soql, pos, f"unexpected token: '{match.group()}'")
        millis = (fraction or ".0")[1:].ljust(3, "0")[:3]
        return Token(TIME, match.group(), pos, f"{hours}:{minutes}:{seconds}.{millis}Z")
    match = _NUMBER.match(soql, pos)
    if match and not _DATE_PREFIX.match(soql, pos):
        text = match.group()
        value: int | float = float(text) if "." in text else int(text)
        return Token(NUMBER, text, pos, value)
    end = pos + 1
    while end < len(soql) and not soql[end].isspace() and soql[end] not in "(),":
        end += 1
    raise malformed(soql, pos, f"unexpected token: '{soql[pos:end]}'")


def _date_value(soql: str, pos: int, match: re.Match[str]) -> date:
    try:
        return date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
    except ValueError:
        raise malformed(soql, pos, f"unexpected token: '{match.group()}'") from None


def _datetime_value(soql: str, pos: int, match: re.Match[str]) -> str:
    """The literal converted to UTC in the storage format ``YYYY-MM-DDTHH:MM:SS.sssZ``."""
    day = _date_value(soql, pos, match)
    hours, minutes, seconds = (int(match.group(i)) for i in (4, 5, 6))
    fraction = (match.group(7) or ".0")[1:]
    zone = match.group(8)
    if hours > 23 or minutes > 59 or seconds > 59:
        raise malformed(soql, pos, f"unexpected token: '{match.group()}'")
    offset = timedelta(0)
    if zone != "Z":
        digits = zone[1:].replace(":", "")
        offset = timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
        if zone[0] == "-":
            offset = -offset
    micros = int(fraction.ljust(6, "0")[:6])
    moment = datetime(day.year, day.month, day.day, hours, minutes, seconds, micros, tzinfo=UTC)
    moment -= offset
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _string(soql: str, start: int) -> Token:
    """A quoted string; ``\\%`` and ``\\_`` stay escaped in the LIKE pattern only."""
    value: list[str] = []
    pattern: list[str] = []
    pos = start + 1
    while pos < len(soql):
        char = soql[pos]
        if char == "'":
            text = soql[start : pos + 1]
            return Token(STRING, text, start, "".join(value), "".join(pattern))
        if char != "\\":
            value.append(char)
            pattern.append(char)
            pos += 1
            continue
        escape = soql[pos + 1 : pos + 2]
        if escape in ("%", "_"):
            value.append(escape)
            pattern.append("\\" + escape)
            pos += 2
        elif escape.lower() in _ESCAPES:
            resolved = _ESCAPES[escape.lower()]
            value.append(resolved)
            pattern.append("\\\\" if resolved == "\\" else resolved)
            pos += 2
        elif escape in ("u", "U") and re.fullmatch(r"[0-9A-Fa-f]{4}", soql[pos + 2 : pos + 6]):
            resolved = chr(int(soql[pos + 2 : pos + 6], 16))
            value.append(resolved)
            pattern.append(resolved)
            pos += 6
        else:
            raise malformed(
                soql, pos, f"Invalid string literal '{soql[start:pos + 2]}'. Illegal character "
                f"sequence '\\{escape}' in string literal."
            )
    raise malformed(soql, start, f"unexpected token: '{soql[start:]}'")
