"""Compile a parsed SOQL query to one SQLite SELECT over the org's tables.

* The FROM object is ``t0``; every distinct parent path gets one ``LEFT JOIN`` (``t1``, ``t2``...),
  so a null parent yields NULL in all its columns.
* ``query`` hides soft-deleted rows of the FROM object *and* treats soft-deleted parents as
  absent (Salesforce clears lookups to records in the recycle bin); ``queryAll`` shows both.
* A polymorphic reference (several ``reference_to`` objects) as the last hop of a path
  (``Who.Name``) joins every target and takes the field from the one the Id belongs to; in the
  middle of a path (``What.Owner.Name``) it is followed to its first target in the schema.
* Literal values are always bound as ``?`` parameters; every predicate is two-valued (never SQL
  NULL), so ``NOT`` and ``!=`` treat null fields the way SOQL does (``Name != 'x'`` matches
  rows whose Name is null).
"""

from __future__ import annotations

from datetime import UTC, datetime

from sfbulk_frames.emulator.models.schema import COMPOUND_TYPES, FieldDef, ObjectDef, Schema
from sfbulk_frames.emulator.soql.compiled import (
    API_ERROR,
    INVALID_FIELD,
    INVALID_TYPE,
    Column,
    CompiledQuery,
    SoqlError,
    caret_message,
    malformed,
)
from sfbulk_frames.emulator.soql.filters import FilterCompiler
from sfbulk_frames.emulator.soql.parser import FieldRef, Query, parse
from sfbulk_frames.emulator.soql.scope import ResolvedField

MAX_RELATIONSHIP_DEPTH = 5
_IMPLICIT_FIELDS = {
    "id": FieldDef(name="Id", type="id", nillable=False, createable=False, updateable=False),
    "isdeleted": FieldDef(name="IsDeleted", type="boolean", nillable=False, createable=False),
}
_UNSORTABLE = frozenset({"textarea", "multipicklist", "base64"}) | COMPOUND_TYPES


def quote_identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


class QueryCompiler:
    """Compiles one (possibly nested) query; nested semi-join queries get their own alias
    prefix and share the parameter list."""

    def __init__(
        self, soql: str, schema: Schema, *, include_deleted: bool, now: datetime,
        params: list[object], alias_prefix: str = "t",
    ) -> None:
        self.soql = soql
        self.schema = schema
        self.include_deleted = include_deleted
        self.now = now
        self.params = params
        self.alias_prefix = alias_prefix
        self.root: ObjectDef | None = None
        self.alias: str | None = None
        self.joins: dict[tuple[str, ...], str] = {}
        self.join_sql: list[str] = []
        self.nested_count = 0

    def compile(self, query: Query) -> CompiledQuery:
        """Raises SoqlError for unknown objects/fields and unsupported constructs."""
        root = self.schema.get(query.object_name)
        if root is None:
            raise SoqlError(
                INVALID_TYPE,
                f"sObject type '{query.object_name}' is not supported. If you are attempting to "
                "use a custom object, be sure to append the '__c' after the entity name. Please "
                "reference your WSDL or the describe call for the appropriate names.",
            )
        self.root, self.alias = root, query.alias
        base = self.alias_prefix + "0"
        select_sql, columns = self._select_list(query.fields)
        conditions: list[str] = []
        if not self.include_deleted:
            conditions.append(f'{base}."IsDeleted" = 0')
        if query.where is not None:
            conditions.append(FilterCompiler(self).condition(query.where))
        order_sql = [self._order_item(item.field, item.descending, item.nulls_first)
                     for item in query.order_by]
        sql = f"SELECT {', '.join(select_sql)} FROM {quote_identifier(root.name)} AS {base}"
        if self.join_sql:
            sql += " " + " ".join(self.join_sql)
        if conditions:
            sql += " WHERE " + " AND ".join(conditions)
        if order_sql:
            sql += " ORDER BY " + ", ".join(order_sql)
        if query.limit is not None:
            sql += " LIMIT ?"
            self.params.append(query.limit)
        return CompiledQuery(root.name, sql, self.params, columns)

    def _select_list(self, refs: list[FieldRef]) -> tuple[list[str], list[Column]]:
        select_sql: list[str] = []
        columns: list[Column] = []
        seen: set[str] = set()
        for index, ref in enumerate(refs):
            resolved = self.resolve(ref)
            if resolved.field.type in COMPOUND_TYPES:
                raise SoqlError(API_ERROR, "Selecting compound data not supported in Bulk Query")
            if resolved.field.type == "base64":
                raise SoqlError(API_ERROR, "Base64 fields not supported in Bulk Query")
            if resolved.key in seen:
                raise malformed(self.soql, ref.pos, f"duplicate field selected: {ref.text}")
            seen.add(resolved.key)
            select_sql.append(f"{resolved.sql} AS c{index}")
            columns.append(Column(ref.text, resolved.field.type))
        return select_sql, columns

    def _order_item(self, ref: FieldRef, descending: bool, nulls_first: bool) -> str:
        resolved = self.resolve(ref)
        if resolved.field.type in _UNSORTABLE:
            raise self.field_error(
                ref, f"field '{resolved.field.name}' can not be sorted in a query call"
            )
        direction = "DESC" if descending else "ASC"
        nulls = "FIRST" if nulls_first else "LAST"
        return f"{resolved.sql}{resolved.collation} {direction} NULLS {nulls}"

    # -- field paths ---------------------------------------------------------------------------
    def resolve(self, ref: FieldRef) -> ResolvedField:
        """Resolve ``A.B.Field`` to a column of a joined table; raises SoqlError
        (INVALID_FIELD for unknown fields/relationships, MALFORMED_QUERY past 5 levels)."""
        assert self.root is not None
        segments = list(ref.path)
        obj = self.root
        prefixes = {obj.name.lower(), (self.alias or obj.name).lower()}
        if len(segments) > 1 and segments[0].lower() in prefixes and (
            obj.relationship(segments[0]) is None
        ):
            segments = segments[1:]
        relationships, name = segments[:-1], segments[-1]
        if len(relationships) > MAX_RELATIONSHIP_DEPTH:
            raise malformed(
                self.soql, ref.pos,
                f"'{ref.text}' follows {len(relationships)} relationships; SOQL allows at most "
                f"{MAX_RELATIONSHIP_DEPTH} levels of child-to-parent relationships.",
            )
        alias = self.alias_prefix + "0"
        path: list[str] = []
        for depth, relationship in enumerate(relationships, start=1):
            reference = obj.relationship(relationship)
            targets = self._reference_targets(reference)
            if reference is None or not targets:
                raise self.field_error(
                    ref,
                    f"Didn't understand relationship '{relationship}' in field path. If you are "
                    "attempting to use a custom relationship, be sure to append the '__r' after "
                    "the custom relationship name. Please reference your WSDL or the describe "
                    "call for the appropriate names.",
                )
            path.append(relationship.lower())
            if depth == len(relationships) and len(targets) > 1:
                return self._polymorphic_field(ref, tuple(path), alias, reference, targets, name)
            alias = self._join(tuple(path), alias, reference, targets[0])
            obj = targets[0]
        field = obj.field(name) or _IMPLICIT_FIELDS.get(name.lower())
        if field is None:
            raise self.field_error(
                ref,
                f"No such column '{name}' on entity '{obj.name}'. If you are attempting to use a "
                "custom field, be sure to append the '__c' after the custom field name. Please "
                "reference your WSDL or the describe call for the appropriate names.",
            )
        key = ".".join([*path, field.name.lower()])
        return ResolvedField(f"{alias}.{quote_identifier(field.name)}", field, key)

    def _reference_targets(self, reference: FieldDef | None) -> list[ObjectDef]:
        """The objects a reference field points to that exist in the schema, in order."""
        if reference is None:
            return []
        found = (self.schema.get(name) for name in reference.reference_to)
        return [target for target in found if target is not None]

    def _polymorphic_field(
        self, ref: FieldRef, path: tuple[str, ...], parent_alias: str, reference: FieldDef,
        targets: list[ObjectDef], name: str,
    ) -> ResolvedField:
        """``Who.Name`` over a polymorphic reference: one join per target object, the value
        taken from whichever target the Id belongs to (only one join can match)."""
        columns: list[str] = []
        field: FieldDef | None = None
        for index, target in enumerate(targets):
            target_field = target.field(name) or _IMPLICIT_FIELDS.get(name.lower())
            if target_field is None:
                continue
            key = path if index == 0 else (*path, "@" + target.name.lower())
            alias = self._join(key, parent_alias, reference, target)
            columns.append(f"{alias}.{quote_identifier(target_field.name)}")
            field = field or target_field
        if field is None:
            raise self.field_error(
                ref,
                f"No such column '{name}' on entity '{targets[0].name}'. If you are attempting "
                "to use a custom field, be sure to append the '__c' after the custom field name. "
                "Please reference your WSDL or the describe call for the appropriate names.",
            )
        sql = columns[0] if len(columns) == 1 else f"coalesce({', '.join(columns)})"
        return ResolvedField(sql, field, ".".join([*path, field.name.lower()]))

    def _join(
        self, path: tuple[str, ...], parent_alias: str, reference: FieldDef, target: ObjectDef
    ) -> str:
        if path in self.joins:
            return self.joins[path]
        alias = f"{self.alias_prefix}{len(self.joins) + 1}"
        self.joins[path] = alias
        condition = f"{alias}.\"Id\" = {parent_alias}.{quote_identifier(reference.name)}"
        if not self.include_deleted:
            condition += f' AND {alias}."IsDeleted" = 0'
        self.join_sql.append(
            f"LEFT JOIN {quote_identifier(target.name)} AS {alias} ON {condition}"
        )
        return alias

    def field_error(self, ref: FieldRef, text: str, pos: int | None = None) -> SoqlError:
        return SoqlError(INVALID_FIELD, caret_message(self.soql, ref.pos if pos is None else pos,
                                                      text))

    def nested(self) -> QueryCompiler:
        """A compiler for a semi-join subquery (own aliases, shared parameters)."""
        self.nested_count += 1
        return QueryCompiler(
            self.soql, self.schema, include_deleted=self.include_deleted, now=self.now,
            params=self.params, alias_prefix=f"{self.alias_prefix}s{self.nested_count}_",
        )


def compile_soql(
    soql: str, schema: Schema, *, include_deleted: bool, now: datetime | None = None
) -> CompiledQuery:
    """Parse and compile ``soql`` against ``schema``; raises SoqlError as Salesforce would at
    query-job creation. ``now`` (default: the current UTC time) anchors date literals."""
    moment = now or datetime.now(UTC)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    query = parse(soql)
    compiler = QueryCompiler(soql, schema, include_deleted=include_deleted,
                             now=moment.astimezone(UTC), params=[])
    return compiler.compile(query)
