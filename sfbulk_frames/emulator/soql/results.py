"""Query results: run a compiled query once into a result table, then serve CSV pages from it.

The result table has an ``_row INTEGER PRIMARY KEY`` (1..n in result order) and one untyped
column per SELECT item (``c0..cN``), so a page is a primary-key range read: stable, independent
of the org changing afterwards, and cheap for any offset. Values are formatted for the CSV in
SQL (booleans, datetimes); quoting is done by the C ``csv`` writer.
"""

from __future__ import annotations

import csv
import io
import sqlite3
from collections.abc import Sequence

from sfbulk_frames.emulator.models.csvfmt import DELIMITERS, LINE_ENDINGS
from sfbulk_frames.emulator.soql.compiled import Column, CompiledQuery


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def materialize(conn: sqlite3.Connection, compiled: CompiledQuery, table: str) -> int:
    """Run ``compiled`` once into a new result table ``table``; return its row count.

    The rows never pass through Python. Raises sqlite3.OperationalError if ``table`` already
    exists or the org's tables lack a column the query needs (then no result table is left
    behind). Commits when the connection was not already inside a transaction.
    """
    was_in_transaction = conn.in_transaction
    names = ", ".join(f"c{i}" for i in range(len(compiled.columns)))
    conn.execute(f"CREATE TABLE {_quote(table)} (_row INTEGER PRIMARY KEY, {names})")
    try:
        cursor = conn.execute(
            f"INSERT INTO {_quote(table)} ({names}) {compiled.sql}", compiled.params
        )
    except sqlite3.Error:
        conn.execute(f"DROP TABLE IF EXISTS {_quote(table)}")
        raise
    count = cursor.rowcount
    if not was_in_transaction and conn.in_transaction:
        conn.commit()
    return count


def _value_sql(index: int, field_type: str) -> str:
    """SQL that formats column ``c<index>`` the way Salesforce writes it in result CSVs."""
    col = f"c{index}"
    if field_type == "boolean":
        return f"CASE WHEN {col} IS NULL THEN NULL WHEN {col} THEN 'true' ELSE 'false' END"
    if field_type == "datetime":
        return f"coalesce(strftime('%Y-%m-%dT%H:%M:%fZ', {col}), {col})"
    if field_type == "time":
        return f"coalesce(strftime('%H:%M:%fZ', {col}), {col})"
    return col


def _resolve(value: str, names: dict[str, str], what: str) -> str:
    if value in names:
        return names[value]
    if value in names.values():
        return value
    raise ValueError(f"unknown {what} {value!r}; use one of {', '.join(names)}")


def page_csv(
    conn: sqlite3.Connection,
    table: str,
    columns: Sequence[Column],
    offset: int,
    limit: int,
    delimiter: str = "COMMA",
    line_ending: str = "LF",
) -> tuple[bytes, int]:
    """Rows ``[offset, offset + limit)`` of result table ``table`` as a CSV page with a header
    row: every field quoted, quotes doubled, null as ``""``. ``delimiter`` and ``line_ending``
    are the job's enum names (``COMMA``, ``CRLF``...) or the characters themselves.

    Returns ``(utf-8 bytes, number of rows)``; raises ValueError for an unknown delimiter or
    line ending.
    """
    separator = _resolve(delimiter, DELIMITERS, "columnDelimiter")
    terminator = _resolve(line_ending, LINE_ENDINGS, "lineEnding")
    exprs = ", ".join(_value_sql(i, column.field_type) for i, column in enumerate(columns))
    rows = conn.execute(
        f"SELECT {exprs} FROM {_quote(table)} WHERE _row > ? ORDER BY _row LIMIT ?",
        (max(offset, 0), max(limit, 0)),
    ).fetchall()
    buffer = io.StringIO()
    writer = csv.writer(
        buffer, delimiter=separator, lineterminator=terminator, quoting=csv.QUOTE_ALL,
        doublequote=True,
    )
    writer.writerow([column.header for column in columns])
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8"), len(rows)


def drop(conn: sqlite3.Connection, table: str) -> None:
    """Remove a result table (no error if it is already gone)."""
    was_in_transaction = conn.in_transaction
    conn.execute(f"DROP TABLE IF EXISTS {_quote(table)}")
    if not was_in_transaction and conn.in_transaction:
        conn.commit()
