"""Throughput of the emulator's query path: compile + materialize + page through N rows.

Usage: python bench/soql_throughput.py [rows] [page_size]   (defaults: 1,000,000 and 10,000)

Builds a 6-column object (Id, Name, Amount__c, Active__c, Day__c, Stamp__c) in a temporary
on-disk SQLite database with a recursive CTE, then times the three steps separately.
"""

from __future__ import annotations

import sqlite3
import sys
import tempfile
import time
from pathlib import Path

from sfbulk_frames.emulator.models.schema import FieldDef, ObjectDef, Schema
from sfbulk_frames.emulator.soql import compile_soql
from sfbulk_frames.emulator.soql.results import drop, materialize, page_csv

FIELDS = [
    FieldDef("Id", "id"), FieldDef("IsDeleted", "boolean"), FieldDef("Name", "string"),
    FieldDef("Amount__c", "currency"), FieldDef("Active__c", "boolean"),
    FieldDef("Day__c", "date"), FieldDef("Stamp__c", "datetime"),
]


def build(conn: sqlite3.Connection, rows: int) -> None:
    conn.execute(
        'CREATE TABLE "Bench__c" ("Id" TEXT PRIMARY KEY, "IsDeleted" INTEGER NOT NULL DEFAULT 0,'
        ' "Name" TEXT, "Amount__c" REAL, "Active__c" INTEGER, "Day__c" TEXT, "Stamp__c" TEXT)'
    )
    conn.execute(
        """
        WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?)
        INSERT INTO "Bench__c" ("Id", "Name", "Amount__c", "Active__c", "Day__c", "Stamp__c")
        SELECT printf('a01%012dAAA', i), 'Name, "number" ' || i, i * 1.25, i % 2,
               date('2024-01-01', '+' || (i % 365) || ' days'),
               strftime('%Y-%m-%dT%H:%M:%fZ', '2024-01-01', '+' || i || ' seconds')
        FROM n
        """,
        (rows,),
    )
    conn.commit()


def main(rows: int = 1_000_000, page_size: int = 10_000) -> None:
    schema = Schema()
    schema.add(ObjectDef("Bench__c", "a01", {f.name.lower(): f for f in FIELDS}))
    with tempfile.TemporaryDirectory() as tmp:
        conn = sqlite3.connect(Path(tmp) / "org.db")
        started = time.perf_counter()
        build(conn, rows)
        print(f"built {rows:,} rows in {time.perf_counter() - started:.2f}s")

        started = time.perf_counter()
        compiled = compile_soql(
            "SELECT Id, Name, Amount__c, Active__c, Day__c, Stamp__c FROM Bench__c",
            schema, include_deleted=False,
        )
        count = materialize(conn, compiled, "result_bench")
        materialize_s = time.perf_counter() - started
        print(f"materialize: {count:,} rows in {materialize_s:.2f}s "
              f"({count / materialize_s:,.0f} rows/s)")

        started = time.perf_counter()
        total_bytes = pages = paged = 0
        for offset in range(0, count, page_size):
            body, n = page_csv(conn, "result_bench", compiled.columns, offset, page_size,
                               "COMMA", "LF")
            total_bytes += len(body)
            paged += n
            pages += 1
        paging_s = time.perf_counter() - started
        print(f"paging: {paged:,} rows in {pages} pages of {page_size:,} in {paging_s:.2f}s "
              f"({paged / paging_s:,.0f} rows/s, {paging_s / pages * 1000:.1f} ms/page, "
              f"{total_bytes / 1e6:.0f} MB CSV)")
        overall = materialize_s + paging_s
        print(f"end to end: {paged / overall:,.0f} rows/s")
        drop(conn, "result_bench")
        conn.close()


if __name__ == "__main__":
    main(*(int(arg) for arg in sys.argv[1:3]))
