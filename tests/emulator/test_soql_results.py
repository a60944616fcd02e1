"""Result tables and CSV pages: formatting, quoting, delimiters, line endings and paging."""

from __future__ import annotations

import csv
import io
import sqlite3
from collections.abc import Iterator

import pytest

from sfbulk_frames.emulator.models.schema import FieldDef, ObjectDef, Schema, storage_class
from sfbulk_frames.emulator.soql import CompiledQuery, compile_soql
from sfbulk_frames.emulator.soql.results import drop, materialize, page_csv

FIELDS = [
    FieldDef("Id", "id"), FieldDef("IsDeleted", "boolean"), FieldDef("Name", "string"),
    FieldDef("Flag__c", "boolean"), FieldDef("Day__c", "date"), FieldDef("At__c", "datetime"),
    FieldDef("Opens__c", "time"), FieldDef("Count__c", "int"), FieldDef("Amount__c", "currency"),
    FieldDef("Tags__c", "multipicklist"),
]
SCHEMA = Schema()
SCHEMA.add(ObjectDef("Thing__c", "a01", {f.name.lower(): f for f in FIELDS}))
ALL_COLUMNS = "Id, Name, Flag__c, Day__c, At__c, Opens__c, Count__c, Amount__c, Tags__c"
DELIMITERS = {"COMMA": ",", "TAB": "\t", "SEMICOLON": ";", "PIPE": "|", "CARET": "^",
              "BACKQUOTE": "`"}
TRICKY = 'a "quoted", |piped|;semi^caret`tick`\ttab\nnew line\r\nand ü'


def thing_id(n: int) -> str:
    return f"a01{n:012d}AAA"


@pytest.fixture
def conn() -> Iterator[sqlite3.Connection]:
    connection = sqlite3.connect(":memory:")
    columns = ", ".join(f'"{f.name}" {storage_class(f.type)}' for f in FIELDS[2:])
    connection.execute(
        f'CREATE TABLE "Thing__c" ("Id" TEXT PRIMARY KEY, "IsDeleted" INTEGER NOT NULL DEFAULT 0, '
        f"{columns})"
    )
    yield connection
    connection.close()


def insert(conn: sqlite3.Connection, n: int, **values: object) -> None:
    row = {"Id": thing_id(n), **values}
    names = ", ".join(f'"{k}"' for k in row)
    conn.execute(f'INSERT INTO "Thing__c" ({names}) VALUES ({", ".join("?" * len(row))})',
                 list(row.values()))


def compiled(soql: str) -> CompiledQuery:
    return compile_soql(soql, SCHEMA, include_deleted=False)


def parse(body: bytes, delimiter: str = ",") -> list[list[str]]:
    return list(csv.reader(io.StringIO(body.decode("utf-8"), newline=""), delimiter=delimiter))


def test_values_are_written_the_way_salesforce_writes_them(conn):
    insert(conn, 1, Name="x", Flag__c=1, Day__c="2024-03-15", At__c="2024-03-15T17:02:31.000Z",
           Opens__c="17:02:31.000Z", Count__c=12, Amount__c=1500000.0, Tags__c="a;b")
    insert(conn, 2, Name=None, Flag__c=0, At__c="2024-03-15T17:02:31Z", Opens__c="08:00:00Z")
    query = compiled(f"SELECT {ALL_COLUMNS} FROM Thing__c")
    materialize(conn, query, "r")
    body, _ = page_csv(conn, "r", query.columns, 0, 10, "COMMA", "LF")
    assert body.decode() == (
        '"Id","Name","Flag__c","Day__c","At__c","Opens__c","Count__c","Amount__c","Tags__c"\n'
        f'"{thing_id(1)}","x","true","2024-03-15","2024-03-15T17:02:31.000Z","17:02:31.000Z",'
        '"12","1500000.0","a;b"\n'
        f'"{thing_id(2)}","","false","","2024-03-15T17:02:31.000Z","08:00:00.000Z","","",""\n'
    )


@pytest.mark.parametrize("delimiter", sorted(DELIMITERS))
@pytest.mark.parametrize(("line_ending", "terminator"), [("LF", "\n"), ("CRLF", "\r\n")])
def test_every_delimiter_and_line_ending_round_trips_tricky_text(
    conn, delimiter, line_ending, terminator
):
    insert(conn, 1, Name=TRICKY)
    insert(conn, 2, Name="plain")
    query = compiled("SELECT Id, Name FROM Thing__c")
    materialize(conn, query, "r")
    body, rows = page_csv(conn, "r", query.columns, 0, 10, delimiter, line_ending)
    text = body.decode("utf-8")
    assert rows == 2
    assert text.startswith(f'"Id"{DELIMITERS[delimiter]}"Name"{terminator}')
    assert text.endswith(f'"plain"{terminator}')
    assert '"a ""quoted"", ' in text
    assert parse(body, DELIMITERS[delimiter])[1:] == [[thing_id(1), TRICKY], [thing_id(2), "plain"]]


def test_delimiter_and_line_ending_may_be_given_as_characters(conn):
    insert(conn, 1, Name="a")
    query = compiled("SELECT Name FROM Thing__c")
    materialize(conn, query, "r")
    assert page_csv(conn, "r", query.columns, 0, 10, "|", "\r\n")[0] == b'"Name"\r\n"a"\r\n'


def test_unknown_delimiter_is_a_value_error_naming_the_choices(conn):
    query = compiled("SELECT Name FROM Thing__c")
    materialize(conn, query, "r")
    with pytest.raises(ValueError, match="COMMA"):
        page_csv(conn, "r", query.columns, 0, 10, "SPACE", "LF")


def test_pages_repeat_the_header_and_cover_every_row_once_in_order(conn):
    for n in range(1, 24):
        insert(conn, n, Count__c=n)
    query = compiled("SELECT Count__c FROM Thing__c ORDER BY Count__c DESC")
    assert materialize(conn, query, "r") == 23
    seen: list[str] = []
    for offset in range(0, 23, 10):
        body, rows = page_csv(conn, "r", query.columns, offset, 10, "COMMA", "LF")
        parsed = parse(body)
        assert parsed[0] == ["Count__c"]
        assert rows == len(parsed) - 1 == min(10, 23 - offset)
        seen += [row[0] for row in parsed[1:]]
    assert seen == [str(n) for n in range(23, 0, -1)]


def test_a_page_past_the_end_and_an_empty_result_are_the_header_alone(conn):
    query = compiled("SELECT Id, Name FROM Thing__c")
    assert materialize(conn, query, "r") == 0
    assert page_csv(conn, "r", query.columns, 0, 10, "COMMA", "LF") == (b'"Id","Name"\n', 0)
    assert page_csv(conn, "r", query.columns, 50, 10, "COMMA", "LF") == (b'"Id","Name"\n', 0)


def test_result_table_is_a_snapshot_unaffected_by_later_changes(conn):
    insert(conn, 1, Name="before")
    query = compiled("SELECT Name FROM Thing__c")
    materialize(conn, query, "r")
    conn.execute('UPDATE "Thing__c" SET "Name" = \'after\'')
    insert(conn, 2, Name="new")
    assert parse(page_csv(conn, "r", query.columns, 0, 10, "COMMA", "LF")[0]) == [
        ["Name"], ["before"]]


def test_materialize_commits_and_drop_removes_the_table(conn):
    insert(conn, 1, Name="a")
    conn.commit()
    query = compiled("SELECT Name FROM Thing__c")
    materialize(conn, query, "r")
    assert not conn.in_transaction
    drop(conn, "r")
    drop(conn, "r")
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert tables == {"Thing__c"}


def test_materialize_keeps_soft_deleted_rows_out_of_query_and_in_query_all(conn):
    insert(conn, 1, Name="live")
    insert(conn, 2, Name="binned", IsDeleted=1)
    assert materialize(conn, compiled("SELECT Name FROM Thing__c"), "r1") == 1
    query_all = compile_soql("SELECT Name, IsDeleted FROM Thing__c", SCHEMA, include_deleted=True)
    assert materialize(conn, query_all, "r2") == 2
    body, _ = page_csv(conn, "r2", query_all.columns, 0, 10, "COMMA", "LF")
    assert parse(body)[1:] == [["live", "false"], ["binned", "true"]]


def test_a_query_the_org_tables_cannot_answer_leaves_no_result_table(conn):
    schema = Schema()
    schema.add(ObjectDef("Thing__c", "a01", {f.name.lower(): f for f in
                                              [*FIELDS, FieldDef("Missing__c", "string")]}))
    query = compile_soql("SELECT Missing__c FROM Thing__c", schema, include_deleted=False)
    with pytest.raises(sqlite3.OperationalError, match="Missing__c"):
        materialize(conn, query, "r")
    assert conn.execute("SELECT name FROM sqlite_master WHERE name = 'r'").fetchall() == []
