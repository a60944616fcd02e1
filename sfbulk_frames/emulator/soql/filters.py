"""WHERE-clause compilation: typed literal binding and two-valued SQL predicates."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import cast

from sfbulk_frames.emulator.models.ids import to_18
from sfbulk_frames.emulator.models.schema import COMPOUND_TYPES
from sfbulk_frames.emulator.soql.compiled import (
    INVALID_QUERY_FILTER_OPERATOR,
    SoqlError,
    caret_message,
    malformed,
)
from sfbulk_frames.emulator.soql.dates import date_range
from sfbulk_frames.emulator.soql.parser import (
    Comparison,
    Condition,
    FieldRef,
    Includes,
    InList,
    Junction,
    Literal,
    Not,
    SemiJoin,
)
from sfbulk_frames.emulator.soql.scope import QueryScope, ResolvedField

STRING_TYPES = frozenset(
    {"string", "textarea", "email", "phone", "url", "picklist", "combobox", "encryptedstring"}
)
ID_TYPES = frozenset({"id", "reference"})
NUMBER_TYPES = frozenset({"int", "long", "double", "currency", "percent"})
_TYPE_NAMES = {
    "id": "id", "reference": "id", "boolean": "boolean", "int": "integer", "long": "long",
    "double": "double", "currency": "double", "percent": "double", "date": "date",
    "datetime": "dateTime", "time": "time",
}
_UNFILTERABLE = frozenset({"textarea", "base64"}) | COMPOUND_TYPES
_ID_PATTERN = re.compile(r"[A-Za-z0-9]{15}(?:[A-Za-z0-9]{3})?")


@dataclass(frozen=True)
class Range:
    """A relative date literal as ``[start, end)`` in the field's storage format."""

    start: str
    end: str


def id18(record_id: str) -> str:
    """The 18-character form of a 15- or 18-character Salesforce Id."""
    return record_id if len(record_id) == 18 else to_18(record_id)


class FilterCompiler:
    """Turns a condition tree into SQL text, appending bound values to the query's params."""

    def __init__(self, query: QueryScope) -> None:
        self.query = query
        self.soql = query.soql
        self.params = query.params

    def condition(self, cond: Condition) -> str:
        if isinstance(cond, Junction):
            return "(" + f" {cond.op} ".join(self.condition(c) for c in cond.operands) + ")"
        if isinstance(cond, Not):
            return f"(NOT {self.condition(cond.operand)})"
        if isinstance(cond, Comparison):
            return self.comparison(cond)
        if isinstance(cond, InList):
            return self.in_list(cond)
        if isinstance(cond, Includes):
            return self.includes(cond)
        return self.semi_join(cond)

    # -- predicates ----------------------------------------------------------------------------
    def comparison(self, cond: Comparison) -> str:
        field = self.filter_field(cond.field)
        col, ftype = field.sql, field.field.type
        if cond.op == "like":
            return self.like(cond, field)
        if ftype == "multipicklist" and cond.op not in ("=", "!="):
            raise self.operator_error(cond.field, "invalid operator on multipicklist field")
        if ftype == "boolean" and cond.op not in ("=", "!="):
            raise self.operator_error(cond.field, "invalid operator on boolean field")
        value = self.bind(field, cond.value)
        if value is None:
            if cond.op == "=":
                return f"{col} IS NULL"
            if cond.op == "!=":
                return f"{col} IS NOT NULL"
            raise malformed(self.soql, cond.value.token.pos, "unexpected token: 'null'")
        if isinstance(value, Range):
            return self.range_comparison(col, cond.op, value)
        self.params.append(value)
        if cond.op == "!=":
            return f"({col} IS NULL OR {col} <> ?{field.collation})"
        return f"({col} IS NOT NULL AND {col} {cond.op} ?{field.collation})"

    def range_comparison(self, col: str, op: str, value: Range) -> str:
        """``=`` means within the range, ``<`` before its start, ``>`` after its end."""
        if op in ("=", "!="):
            self.params.extend([value.start, value.end])
            inside = f"({col} IS NOT NULL AND {col} >= ? AND {col} < ?)"
            return inside if op == "=" else f"(NOT {inside})"
        bound = {"<": value.start, ">=": value.start, "<=": value.end, ">": value.end}[op]
        sql_op = {"<": "<", ">=": ">=", "<=": "<", ">": ">="}[op]
        self.params.append(bound)
        return f"({col} IS NOT NULL AND {col} {sql_op} ?)"

    def like(self, cond: Comparison, field: ResolvedField) -> str:
        ftype = field.field.type
        if ftype not in STRING_TYPES:
            raise self.operator_error(cond.field, f"invalid operator on {ftype} field: LIKE "
                                      "is only valid on string fields")
        if cond.value.kind != "string":
            raise self.type_error(field, cond.value, "string")
        self.params.append(cond.value.token.like_pattern)
        return f"({field.sql} IS NOT NULL AND {field.sql} LIKE ? ESCAPE '\\')"

    def in_list(self, cond: InList) -> str:
        field = self.filter_field(cond.field)
        if field.field.type == "multipicklist":
            raise self.operator_error(cond.field, "invalid operator on multipicklist field")
        values = [self.bind(field, literal) for literal in cond.values]
        parts: list[str] = []
        scalars = [v for v in values if v is not None and not isinstance(v, Range)]
        if scalars:
            self.params.extend(scalars)
            marks = ", ".join("?" * len(scalars))
            parts.append(
                f"({field.sql} IS NOT NULL AND {field.sql}{field.collation} IN ({marks}))"
            )
        if any(v is None for v in values):
            parts.append(f"{field.sql} IS NULL")
        for value in values:
            if isinstance(value, Range):
                parts.append(self.range_comparison(field.sql, "=", value))
        positive = "(" + " OR ".join(parts) + ")"
        return f"(NOT {positive})" if cond.negated else positive

    def includes(self, cond: Includes) -> str:
        """``INCLUDES('a;b', 'c')`` = has both a and b, or has c; EXCLUDES is its negation."""
        field = self.filter_field(cond.field)
        if field.field.type != "multipicklist":
            raise self.operator_error(
                cond.field, "includes or excludes operator only valid on multipicklist field"
            )
        padded = f"(';' || lower(coalesce({field.sql}, '')) || ';')"
        alternatives: list[str] = []
        for literal in cond.values:
            if literal.kind != "string":
                raise self.type_error(field, literal, "string")
            parts = [p.strip() for p in str(literal.value).split(";") if p.strip()]
            if not parts:
                alternatives.append("0")
                continue
            self.params.extend(parts)
            checks = [f"instr({padded}, ';' || lower(?) || ';') > 0" for _ in parts]
            alternatives.append("(" + " AND ".join(checks) + ")")
        positive = "(" + " OR ".join(alternatives) + ")"
        return f"(NOT {positive})" if cond.excludes else positive

    def semi_join(self, cond: SemiJoin) -> str:
        """``Id IN (SELECT AccountId FROM Contact ...)``: the inner query selects one Id field."""
        field = self.filter_field(cond.field)
        if field.field.type not in ID_TYPES or len(cond.query.fields) != 1:
            raise self.operator_error(
                cond.field, "semi join and anti join sub-selects must select one Id or "
                "reference field, and the outer field must be an Id or reference field",
            )
        inner = self.query.nested().compile(cond.query)
        if inner.columns[0].field_type not in ID_TYPES:
            raise self.operator_error(
                cond.query.fields[0], "semi join sub-selects can only select Id or reference fields"
            )
        positive = (
            f"({field.sql} IS NOT NULL AND {field.sql}{field.collation} IN "
            f"(SELECT c0 FROM ({inner.sql}) WHERE c0 IS NOT NULL))"
        )
        return f"(NOT {positive})" if cond.negated else positive

    # -- values --------------------------------------------------------------------------------
    def filter_field(self, ref: FieldRef) -> ResolvedField:
        field = self.query.resolve(ref)
        if field.field.type in _UNFILTERABLE:
            raise self.query.field_error(
                ref, f"field '{field.field.name}' can not be filtered in query call"
            )
        return field

    def bind(self, field: ResolvedField, literal: Literal) -> object:
        """The SQL parameter for ``literal`` compared to ``field`` (None for null, a Range for
        relative date literals); raises SoqlError(INVALID_FIELD) when the types do not match."""
        ftype, kind = field.field.type, literal.kind
        if kind == "null":
            return None
        if ftype in STRING_TYPES or ftype == "multipicklist":
            if kind != "string":
                raise self.type_error(field, literal, "string")
            return literal.value or None  # Salesforce stores '' as null
        if ftype in ID_TYPES:
            if kind != "string":
                raise self.type_error(field, literal, "id")
            return self.record_id(str(literal.value), literal)
        if ftype == "boolean" and kind == "boolean":
            return 1 if literal.value else 0
        if ftype in NUMBER_TYPES and kind == "number":
            return literal.value
        if ftype in ("date", "datetime") and kind == "date_literal":
            name, count = cast("tuple[str, int | None]", literal.value)
            start, end = date_range(name, count, self.query.now.date())
            if ftype == "date":
                return Range(start.isoformat(), end.isoformat())
            return Range(f"{start.isoformat()}T00:00:00.000Z", f"{end.isoformat()}T00:00:00.000Z")
        if ftype == kind:  # date, datetime and time literals
            return literal.value
        raise self.type_error(field, literal, _TYPE_NAMES.get(ftype, ftype))

    def record_id(self, value: str, literal: Literal) -> str | None:
        if value == "":
            return None
        if not _ID_PATTERN.fullmatch(value):
            raise SoqlError(
                INVALID_QUERY_FILTER_OPERATOR,
                caret_message(self.soql, literal.token.pos, f"invalid ID field: {value}"),
            )
        return id18(value)

    def type_error(self, field: ResolvedField, literal: Literal, type_name: str) -> SoqlError:
        quoted = "should be enclosed in quotes" if type_name in ("string", "id") else (
            "should not be enclosed in quotes"
        )
        return self.query.field_error(
            FieldRef(field.field.name, literal.token.pos),
            f"value of filter criterion for field '{field.field.name}' must be of type "
            f"{type_name} and {quoted}",
        )

    def operator_error(self, ref: FieldRef, text: str) -> SoqlError:
        return SoqlError(INVALID_QUERY_FILTER_OPERATOR, caret_message(self.soql, ref.pos, text))
