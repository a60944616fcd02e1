"""SOQL parser: tokens -> a small syntax tree (no schema knowledge here).

Grammar (the Bulk API 2.0 subset)::

    query     := SELECT item {, item} FROM name [alias] [WHERE cond] [WITH name]
                 [ORDER BY order {, order}] [LIMIT n] [FOR VIEW|REFERENCE]
    cond      := unary {AND unary} | unary {OR unary}     (mixing AND/OR needs parentheses)
    unary     := NOT unary | ( cond ) | predicate
    predicate := field op value | field [NOT] IN ( values | query ) | field LIKE string
               | field INCLUDES|EXCLUDES ( strings )

Unsupported clauses raise :class:`SoqlError` with Salesforce's code as soon as they are seen.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sfbulk_frames.emulator.soql.compiled import API_ERROR, SoqlError, caret_message, malformed
from sfbulk_frames.emulator.soql.dates import FIXED_LITERALS, N_LITERALS
from sfbulk_frames.emulator.soql.lexer import EOF, IDENT, NUMBER, OP, PUNCT, STRING, Token, tokenize

AGGREGATES = frozenset({"COUNT", "COUNT_DISTINCT", "SUM", "AVG", "MIN", "MAX"})
_RESERVED = frozenset(
    {
        "AND", "ASC", "DESC", "EXCLUDES", "FIRST", "FROM", "GROUP", "HAVING", "IN", "INCLUDES",
        "LAST", "LIKE", "LIMIT", "NOT", "NULL", "NULLS", "OR", "SELECT", "WHERE", "WITH",
        "ORDER", "OFFSET", "FOR", "USING", "TYPEOF",
    }
)


@dataclass(frozen=True)
class FieldRef:
    text: str                       # as written, e.g. "Account.Owner.Name"
    pos: int

    @property
    def path(self) -> tuple[str, ...]:
        return tuple(self.text.split("."))


@dataclass(frozen=True)
class Literal:
    kind: str                       # string|number|boolean|null|date|datetime|time|date_literal
    value: object                   # date_literal: (NAME, n or None)
    token: Token


@dataclass(frozen=True)
class Comparison:
    field: FieldRef
    op: str                         # = != < <= > >= like
    value: Literal


@dataclass(frozen=True)
class InList:
    field: FieldRef
    values: tuple[Literal, ...]
    negated: bool


@dataclass(frozen=True)
class SemiJoin:
    field: FieldRef
    query: Query
    negated: bool


@dataclass(frozen=True)
class Includes:
    field: FieldRef
    values: tuple[Literal, ...]
    excludes: bool


@dataclass(frozen=True)
class Not:
    operand: Condition


@dataclass(frozen=True)
class Junction:
    op: str                         # "AND" | "OR"
    operands: tuple[Condition, ...]


Condition = Comparison | InList | SemiJoin | Includes | Not | Junction


@dataclass(frozen=True)
class OrderItem:
    field: FieldRef
    descending: bool
    nulls_first: bool


@dataclass
class Query:
    object_name: str
    object_pos: int
    alias: str | None
    fields: list[FieldRef]
    where: Condition | None = None
    order_by: list[OrderItem] = field(default_factory=list)
    limit: int | None = None


def parse(soql: str) -> Query:
    """Parse a whole SOQL statement; raises SoqlError (MALFORMED_QUERY or API_ERROR)."""
    parser = _Parser(soql)
    query = parser.query(nested=False)
    parser.expect_end()
    return query


def unsupported(feature: str) -> SoqlError:
    return SoqlError(API_ERROR, f"{feature} not supported in Bulk Query")


class _Parser:
    def __init__(self, soql: str) -> None:
        self.soql = soql
        self.tokens = tokenize(soql)
        self.index = 0

    # -- token helpers -------------------------------------------------------------------------
    @property
    def current(self) -> Token:
        return self.tokens[self.index]

    def peek(self, ahead: int = 1) -> Token:
        return self.tokens[min(self.index + ahead, len(self.tokens) - 1)]

    def advance(self) -> Token:
        token = self.current
        if token.kind != EOF:
            self.index += 1
        return token

    def unexpected(self, token: Token | None = None) -> SoqlError:
        token = token or self.current
        return malformed(self.soql, token.pos, f"unexpected token: '{token.shown()}'")

    def expect_keyword(self, word: str) -> Token:
        if not self.current.is_keyword(word):
            raise self.unexpected()
        return self.advance()

    def expect_punct(self, char: str) -> Token:
        if self.current.kind != PUNCT or self.current.text != char:
            raise self.unexpected()
        return self.advance()

    def at_punct(self, char: str) -> bool:
        return self.current.kind == PUNCT and self.current.text == char

    def expect_end(self) -> None:
        if self.current.kind != EOF:
            raise self.unexpected()

    # -- clauses -------------------------------------------------------------------------------
    def query(self, *, nested: bool) -> Query:
        self.expect_keyword("SELECT")
        fields = [self.select_item()]
        while self.at_punct(","):
            self.advance()
            fields.append(self.select_item())
        self.expect_keyword("FROM")
        obj = self.advance()
        # the standard object Order is a name here (``FROM Order ORDER BY …``), not ORDER BY
        order_object = obj.text.upper() == "ORDER" and not self.current.is_keyword("BY")
        if obj.kind != IDENT or "." in obj.text or (
            obj.text.upper() in _RESERVED and not order_object
        ):
            raise self.unexpected(obj)
        alias = None
        if self.current.kind == IDENT and self.current.text.upper() not in _RESERVED:
            alias = self.advance().text
        query = Query(obj.text, obj.pos, alias, fields)
        if self.current.is_keyword("USING"):
            raise unsupported("USING SCOPE")
        if self.current.is_keyword("WHERE"):
            self.advance()
            query.where = self.condition()
        self.with_clause()
        if self.current.is_keyword("GROUP"):
            raise unsupported("GROUP BY")
        if self.current.is_keyword("HAVING"):
            raise unsupported("HAVING")
        if self.current.is_keyword("ORDER"):
            self.advance()
            self.expect_keyword("BY")
            query.order_by = [self.order_item()]
            while self.at_punct(","):
                self.advance()
                query.order_by.append(self.order_item())
        if self.current.is_keyword("LIMIT"):
            self.advance()
            token = self.advance()
            if token.kind != NUMBER or not isinstance(token.value, int) or token.value < 0:
                raise self.unexpected(token)
            query.limit = token.value
        if self.current.is_keyword("OFFSET"):
            raise unsupported("OFFSET")
        if not nested:
            self.for_clause()
        return query

    def with_clause(self) -> None:
        """WITH SECURITY_ENFORCED / USER_MODE / SYSTEM_MODE are accepted and ignored (the
        emulator's user sees everything); other WITH filters are not supported."""
        if not self.current.is_keyword("WITH"):
            return
        self.advance()
        if self.current.is_keyword("SECURITY_ENFORCED", "USER_MODE", "SYSTEM_MODE"):
            self.advance()
            return
        if self.current.is_keyword("DATA"):
            raise unsupported("WITH DATA CATEGORY")
        raise self.unexpected()

    def for_clause(self) -> None:
        """FOR VIEW / FOR REFERENCE are accepted and ignored; FOR UPDATE is Apex-only."""
        if not self.current.is_keyword("FOR"):
            return
        self.advance()
        if self.current.is_keyword("VIEW", "REFERENCE"):
            self.advance()
            return
        if self.current.is_keyword("UPDATE"):
            raise unsupported("FOR UPDATE")
        raise self.unexpected()

    def select_item(self) -> FieldRef:
        token = self.current
        if self.at_punct("("):
            if self.peek().is_keyword("SELECT"):
                raise SoqlError(API_ERROR, "Aggregate Relationships not supported in Bulk Query")
            raise self.unexpected()
        if token.is_keyword("TYPEOF"):
            raise unsupported("TYPEOF")
        if token.kind == IDENT and self.peek().kind == PUNCT and self.peek().text == "(":
            raise self.function_error(token)
        return self.field_ref()

    def function_error(self, token: Token) -> SoqlError:
        name = token.text.upper()
        if name in AGGREGATES:
            return unsupported(f"Aggregate function {name}()")
        return SoqlError(
            API_ERROR,
            caret_message(
                self.soql, token.pos,
                f"Function {name}() is not supported by the emulator's SOQL subset; "
                "select plain fields and transform the result frame instead.",
            ),
        )

    def field_ref(self) -> FieldRef:
        token = self.current
        if token.kind != IDENT or token.text.upper() in _RESERVED:
            raise self.unexpected()
        self.advance()
        return FieldRef(token.text, token.pos)

    def order_item(self) -> OrderItem:
        ref = self.field_ref()
        descending = False
        if self.current.is_keyword("ASC", "DESC"):
            descending = self.advance().text.upper() == "DESC"
        nulls_first = not descending
        if self.current.is_keyword("NULLS"):
            self.advance()
            if not self.current.is_keyword("FIRST", "LAST"):
                raise self.unexpected()
            nulls_first = self.advance().text.upper() == "FIRST"
        return OrderItem(ref, descending, nulls_first)

    # -- conditions ----------------------------------------------------------------------------
    def condition(self) -> Condition:
        """A run of predicates joined by one kind of operator: SOQL rejects ``a AND b OR c``."""
        operands = [self.unary()]
        junction: str | None = None
        while self.current.is_keyword("AND", "OR"):
            word = self.current.text.upper()
            if junction is not None and word != junction:
                raise self.unexpected()
            junction = word
            self.advance()
            operands.append(self.unary())
        if junction is None:
            return operands[0]
        return Junction(junction, tuple(operands))

    def unary(self) -> Condition:
        if self.current.is_keyword("NOT"):
            self.advance()
            return Not(self.unary())
        if self.at_punct("("):
            self.advance()
            inner = self.condition()
            self.expect_punct(")")
            return inner
        return self.predicate()

    def predicate(self) -> Condition:
        token = self.current
        if token.kind == IDENT and self.peek().kind == PUNCT and self.peek().text == "(":
            raise self.function_error(token)
        ref = self.field_ref()
        token = self.current
        if token.kind == OP:
            self.advance()
            op = "!=" if token.text == "<>" else token.text
            return Comparison(ref, op, self.value())
        if token.is_keyword("LIKE"):
            self.advance()
            return Comparison(ref, "like", self.value())
        if token.is_keyword("NOT") and self.peek().is_keyword("IN"):
            self.advance()
            self.advance()
            return self.in_list(ref, negated=True)
        if token.is_keyword("IN"):
            self.advance()
            return self.in_list(ref, negated=False)
        if token.is_keyword("INCLUDES", "EXCLUDES"):
            self.advance()
            values = self.value_list()
            return Includes(ref, values, token.text.upper() == "EXCLUDES")
        raise self.unexpected()

    def in_list(self, ref: FieldRef, *, negated: bool) -> Condition:
        if self.at_punct("(") and self.peek().is_keyword("SELECT"):
            self.advance()
            inner = self.query(nested=True)
            self.expect_punct(")")
            return SemiJoin(ref, inner, negated)
        return InList(ref, self.value_list(), negated)

    def value_list(self) -> tuple[Literal, ...]:
        self.expect_punct("(")
        values = [self.value()]
        while self.at_punct(","):
            self.advance()
            values.append(self.value())
        self.expect_punct(")")
        return tuple(values)

    def value(self) -> Literal:
        token = self.advance()
        if token.kind == STRING:
            return Literal("string", token.value, token)
        if token.kind in (NUMBER, "date", "datetime", "time"):
            return Literal(token.kind, token.value, token)
        if token.kind == IDENT:
            word = token.text.upper()
            if word in ("TRUE", "FALSE"):
                return Literal("boolean", word == "TRUE", token)
            if word == "NULL":
                return Literal("null", None, token)
            if word in FIXED_LITERALS:
                return Literal("date_literal", (word, None), token)
            if word in N_LITERALS:
                self.expect_punct(":")
                count = self.advance()
                if count.kind != NUMBER or not isinstance(count.value, int) or count.value < 0:
                    raise self.unexpected(count)
                return Literal("date_literal", (word, count.value), token)
        raise self.unexpected(token)
