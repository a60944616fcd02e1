"""Values shared by the SOQL lexer, parser and compiler (re-exported by :mod:`.soql`)."""

from __future__ import annotations

from dataclasses import dataclass, field

MALFORMED_QUERY = "MALFORMED_QUERY"
INVALID_FIELD = "INVALID_FIELD"
INVALID_TYPE = "INVALID_TYPE"
API_ERROR = "API_ERROR"
INVALID_QUERY_FILTER_OPERATOR = "INVALID_QUERY_FILTER_OPERATOR"


class SoqlError(Exception):
    """A query Salesforce would reject when the query job is created (HTTP 400).

    ``error_code`` is the wire code (``MALFORMED_QUERY``, ``INVALID_FIELD``, ``INVALID_TYPE``,
    ``API_ERROR`` or ``INVALID_QUERY_FILTER_OPERATOR``); ``message`` is the wire message.
    """

    def __init__(self, error_code: str, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status
        self.error_code = error_code
        self.message = message

    def __repr__(self) -> str:
        return f"SoqlError({self.error_code!r}, {self.message!r})"


def caret_message(soql: str, pos: int, text: str) -> str:
    """Salesforce's parser diagram: the query line, a caret under ``pos``, then ``text``."""
    pos = max(0, min(pos, len(soql)))
    line_start = soql.rfind("\n", 0, pos) + 1
    line_end = soql.find("\n", pos)
    line = soql[line_start : line_end if line_end >= 0 else len(soql)]
    row = soql.count("\n", 0, pos) + 1
    column = pos - line_start
    return f"\n{line}\n{' ' * column}^\nERROR at Row:{row}:Column:{column + 1}\n{text}"


def malformed(soql: str, pos: int, text: str) -> SoqlError:
    return SoqlError(MALFORMED_QUERY, caret_message(soql, pos, text))


@dataclass
class Column:
    """One result column: the header as written in the SELECT and the final field's type."""

    header: str
    field_type: str


@dataclass
class CompiledQuery:
    """A SOQL query compiled to one SQLite SELECT (columns ``c0..cN`` in SELECT order)."""

    object_name: str
    sql: str
    params: list[object] = field(default_factory=list)
    columns: list[Column] = field(default_factory=list)
