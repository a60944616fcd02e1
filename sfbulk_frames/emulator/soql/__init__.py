"""The emulator's SOQL engine: a Bulk API 2.0 subset compiled to one SQLite SELECT.

``compile_soql(soql, schema, include_deleted=...)`` returns a :class:`CompiledQuery` (SQL text,
bound parameters, result columns) or raises :class:`SoqlError` carrying Salesforce's status,
error code and message. Rows are never evaluated in Python: see :mod:`.results` for
running the query into a result table and formatting CSV pages.

Supported: SELECT lists with fields and child-to-parent paths (up to 5 levels), FROM with an
optional alias, WHERE with ``= != <> < <= > >= LIKE IN NOT IN INCLUDES EXCLUDES``, semi-/anti-
joins (``Id IN (SELECT AccountId FROM Contact)``), ``AND``/``OR``/``NOT`` and parentheses
(mixing AND and OR without parentheses is a MALFORMED_QUERY, as in Salesforce), typed literals
and relative date literals, ORDER BY (ASC/DESC, NULLS FIRST/LAST), LIMIT, and the no-op clauses
``WITH SECURITY_ENFORCED|USER_MODE|SYSTEM_MODE`` and ``FOR VIEW|REFERENCE``.

Rejected at create time: GROUP BY, HAVING, OFFSET, TYPEOF, aggregate and other functions,
child subqueries, compound and base64 fields, USING SCOPE, FOR UPDATE (API_ERROR); syntax errors
(MALFORMED_QUERY); unknown objects (INVALID_TYPE); unknown fields/relationships and values of
the wrong type (INVALID_FIELD); operators a field type does not allow and malformed Ids
(INVALID_QUERY_FILTER_OPERATOR).

Text comparisons and ordering are case-insensitive for ASCII letters only (SQLite NOCASE/LIKE).
"""

from __future__ import annotations

from sfbulk_frames.emulator.soql.compiled import Column, CompiledQuery, SoqlError
from sfbulk_frames.emulator.soql.compiler import compile_soql

__all__ = ["Column", "CompiledQuery", "SoqlError", "compile_soql"]
