"""The SOQL engine end to end: compile -> materialize -> page_csv over a tiny in-memory org."""

from __future__ import annotations

import csv
import io
import itertools
import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from sfbulk_frames.emulator.models.schema import FieldDef, ObjectDef, Schema, storage_class
from sfbulk_frames.emulator.soql import SoqlError, compile_soql
from sfbulk_frames.emulator.soql.results import materialize, page_csv

NOW = datetime(2024, 5, 15, 12, 30, tzinfo=UTC)  # a Wednesday


def _obj(name: str, prefix: str, *fields: FieldDef) -> ObjectDef:
    base = [FieldDef("Id", "id"), FieldDef("IsDeleted", "boolean")]
    return ObjectDef(name, prefix, {f.name.lower(): f for f in [*base, *fields]})


def _ref(name: str, target: str, relationship: str) -> FieldDef:
    return FieldDef(name, "reference", reference_to=(target,), relationship_name=relationship)


def build_schema() -> Schema:
    schema = Schema()
    schema.add(_obj("Profile", "00e", FieldDef("Name", "string")))
    schema.add(_obj(
        "User", "005", FieldDef("Name", "string"), FieldDef("IsActive", "boolean"),
        _ref("ManagerId", "User", "Manager"), _ref("ProfileId", "Profile", "Profile"),
    ))
    schema.add(_obj(
        "Account", "001", FieldDef("Name", "string"), FieldDef("Industry", "picklist"),
        FieldDef("AnnualRevenue", "currency"), FieldDef("NumberOfEmployees", "int"),
        _ref("OwnerId", "User", "Owner"), _ref("ParentId", "Account", "Parent"),
        FieldDef("Description", "textarea"), FieldDef("BillingAddress", "address"),
        FieldDef("BillingCity", "string"), FieldDef("Tags__c", "multipicklist"),
        FieldDef("Active__c", "boolean"), FieldDef("Founded__c", "date"),
        FieldDef("LastSeen__c", "datetime"), FieldDef("OpensAt__c", "time"),
        FieldDef("Score__c", "double"),
    ))
    schema.add(_obj(
        "Contact", "003", FieldDef("LastName", "string"), _ref("AccountId", "Account", "Account"),
        FieldDef("Birthdate", "date"),
    ))
    schema.add(_obj(
        "Note", "002", FieldDef("Title", "string"),
        FieldDef("ParentId", "reference", reference_to=("Account", "Contact"),
                 relationship_name="Parent", polymorphic=True),
    ))
    return schema


def rid(prefix: str, n: int) -> str:
    return f"{prefix}{n:012d}AAA"


P1, U1, U2, U3 = rid("00e", 1), rid("005", 1), rid("005", 2), rid("005", 3)
A1, A2, A3, A4, A5 = (rid("001", n) for n in range(1, 6))
C1, C2, C3 = rid("003", 1), rid("003", 2), rid("003", 3)

ROWS: dict[str, list[dict[str, object]]] = {
    "Profile": [{"Id": P1, "Name": "Admin"}],
    "User": [
        {"Id": U1, "Name": "Boss", "IsActive": 1, "ProfileId": P1},
        {"Id": U2, "Name": "Ann", "IsActive": 1, "ManagerId": U1},
        {"Id": U3, "Name": "Gone", "IsActive": 0, "IsDeleted": 1},
    ],
    "Account": [
        {"Id": A1, "Name": "Acme", "Industry": "Tech", "AnnualRevenue": 1500000.0,
         "NumberOfEmployees": 50, "OwnerId": U2, "Tags__c": "a;b;c", "Active__c": 1,
         "Founded__c": "2024-05-14", "LastSeen__c": "2024-05-15T08:00:00.000Z",
         "OpensAt__c": "09:00:00.000Z", "Score__c": -1.5, "BillingCity": "Paris"},
        {"Id": A2, "Name": "beta 50%", "Industry": None, "AnnualRevenue": 10.0,
         "NumberOfEmployees": -3, "OwnerId": U1, "ParentId": A1, "Tags__c": "b",
         "Active__c": 0, "Founded__c": "2024-04-30", "LastSeen__c": "2024-05-14T23:59:59.999Z",
         "Score__c": 2.25},
        {"Id": A3, "Name": "Gamma_1", "Industry": "Retail", "NumberOfEmployees": 7,
         "OwnerId": U3, "Tags__c": None, "Founded__c": "2023-12-31",
         "LastSeen__c": "2024-05-16T00:00:00.000Z"},
        {"Id": A4, "Name": "O'Brien \\ Co", "Industry": "tech", "ParentId": A2,
         "Founded__c": None},
        {"Id": A5, "Name": "Deleted Inc", "Industry": "Tech", "IsDeleted": 1, "OwnerId": U1},
    ],
    "Contact": [
        {"Id": C1, "LastName": "Lee", "AccountId": A4, "Birthdate": "1990-01-31"},
        {"Id": C2, "LastName": "Wong", "AccountId": None},
        {"Id": C3, "LastName": "Ray", "AccountId": A5},
    ],
    "Note": [{"Id": rid("002", 1), "Title": "n1", "ParentId": A1},
             {"Id": rid("002", 2), "Title": "n2", "ParentId": C1}],
}


def create_org(conn: sqlite3.Connection, schema: Schema, rows: dict[str, list[dict]]) -> None:
    """Tables per the storage convention in emulator/schema.py, filled with ``rows``."""
    for obj in schema.objects.values():
        columns = [
            f'"{f.name}" {storage_class(f.type)}' for f in obj if f.name not in ("Id", "IsDeleted")
        ]
        conn.execute(
            f'CREATE TABLE "{obj.name}" ("Id" TEXT PRIMARY KEY, '
            f'"IsDeleted" INTEGER NOT NULL DEFAULT 0{"".join(", " + c for c in columns)})'
        )
        for row in rows.get(obj.name, []):
            names = ", ".join(f'"{k}"' for k in row)
            marks = ", ".join("?" for _ in row)
            conn.execute(f'INSERT INTO "{obj.name}" ({names}) VALUES ({marks})', list(row.values()))
    conn.commit()


@pytest.fixture(scope="module")
def schema() -> Schema:
    return build_schema()


@pytest.fixture(scope="module")
def conn(schema: Schema) -> Iterator[sqlite3.Connection]:
    connection = sqlite3.connect(":memory:")
    create_org(connection, schema, ROWS)
    yield connection
    connection.close()


_tables = itertools.count()


def run(
    conn: sqlite3.Connection, schema: Schema, soql: str, *, include_deleted: bool = False
) -> list[list[str]]:
    """Header + rows of the whole result, parsed back from one CSV page."""
    compiled = compile_soql(soql, schema, include_deleted=include_deleted, now=NOW)
    table = f"result_{next(_tables)}"
    count = materialize(conn, compiled, table)
    body, page_rows = page_csv(conn, table, compiled.columns, 0, 1000, "COMMA", "LF")
    parsed = list(csv.reader(io.StringIO(body.decode("utf-8"), newline="")))
    assert page_rows == count == len(parsed) - 1
    return parsed


def ids(conn: sqlite3.Connection, schema: Schema, soql: str, **kw: bool) -> list[str]:
    return [row[0] for row in run(conn, schema, soql, **kw)[1:]]


def where(conn: sqlite3.Connection, schema: Schema, condition: str) -> set[str]:
    return set(ids(conn, schema, f"SELECT Id FROM Account WHERE {condition}"))


def error_of(schema: Schema, soql: str) -> SoqlError:
    with pytest.raises(SoqlError) as info:
        compile_soql(soql, schema, include_deleted=False, now=NOW)
    assert info.value.status == 400
    return info.value


# -- SELECT, FROM, columns -----------------------------------------------------------------------
def test_columns_come_back_in_select_order_with_the_casing_written(conn, schema):
    header = run(conn, schema, "select name, ID, owner.NAME from ACCOUNT")[0]
    assert header == ["name", "ID", "owner.NAME"]


def test_keywords_and_object_names_are_case_insensitive(conn, schema):
    compiled = compile_soql("sElEcT Id FrOm aCcOuNt wHeRe NaMe = 'acme'", schema,
                            include_deleted=False)
    assert compiled.object_name == "Account"
    assert ids(conn, schema, "sElEcT Id FrOm aCcOuNt wHeRe NaMe = 'acme'") == [A1]


def test_object_name_and_alias_prefixes_are_accepted(conn, schema):
    assert ids(conn, schema, "SELECT a.Id FROM Account a WHERE a.Name = 'Acme'") == [A1]
    assert ids(conn, schema, "SELECT Account.Id FROM Account WHERE Account.Name = 'Acme'") == [A1]


def test_query_hides_soft_deleted_rows_and_query_all_shows_them(conn, schema):
    assert A5 not in ids(conn, schema, "SELECT Id FROM Account")
    rows = run(conn, schema, "SELECT Id, IsDeleted FROM Account", include_deleted=True)
    assert [A5, "true"] in rows
    assert [A1, "false"] in rows


def test_parent_paths_three_levels_deep_are_empty_when_a_parent_is_null(conn, schema):
    rows = run(conn, schema, "SELECT LastName, Account.Parent.Owner.Name, "
               "Account.Parent.Parent.Name FROM Contact ORDER BY LastName")
    assert rows[1:] == [["Lee", "Boss", "Acme"], ["Ray", "", ""], ["Wong", "", ""]]


def test_five_relationship_levels_are_followed(conn, schema):
    soql = ("SELECT Account.Parent.Parent.Owner.Manager.Name, "
            "Account.Parent.Owner.Profile.Name FROM Contact WHERE LastName = 'Lee'")
    assert run(conn, schema, soql)[1:] == [["Boss", "Admin"]]


def test_more_than_five_relationship_levels_is_malformed(schema):
    err = error_of(schema, "SELECT Account.Parent.Parent.Owner.Manager.Profile.Name FROM Contact")
    assert err.error_code == "MALFORMED_QUERY"


def test_soft_deleted_parents_read_as_null_in_query_but_show_in_query_all(conn, schema):
    soql = "SELECT Name, Owner.Name FROM Account WHERE Name = 'Gamma_1'"
    assert run(conn, schema, soql)[1:] == [["Gamma_1", ""]]
    assert run(conn, schema, soql, include_deleted=True)[1:] == [["Gamma_1", "Gone"]]
    contact = "SELECT LastName FROM Contact WHERE Account.Name = 'Deleted Inc'"
    assert ids(conn, schema, contact) == []
    assert ids(conn, schema, contact, include_deleted=True) == ["Ray"]


def test_polymorphic_reference_reads_the_field_from_the_target_the_id_belongs_to(conn, schema):
    rows = run(conn, schema, "SELECT Title, Parent.Name, Parent.LastName FROM Note ORDER BY Title")
    assert rows[1:] == [["n1", "Acme", ""], ["n2", "", "Lee"]]
    assert ids(conn, schema, "SELECT Title FROM Note WHERE Parent.Name = 'lee'") == []
    assert ids(conn, schema, "SELECT Title FROM Note WHERE Parent.LastName = 'lee'") == ["n2"]


def test_polymorphic_reference_mid_path_follows_its_first_target(conn, schema):
    rows = run(conn, schema, "SELECT Title, Parent.Owner.Name FROM Note ORDER BY Title")
    assert rows[1:] == [["n1", "Ann"], ["n2", ""]]


# -- WHERE operators -----------------------------------------------------------------------------
def test_equals_on_text_is_case_insensitive(conn, schema):
    assert where(conn, schema, "Industry = 'TECH'") == {A1, A4}


@pytest.mark.parametrize("operator", ["!=", "<>"])
def test_not_equals_also_matches_null_values(conn, schema, operator):
    assert where(conn, schema, f"Industry {operator} 'tech'") == {A2, A3}


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        ("NumberOfEmployees < 7", {A1: False, A2: True}),
        ("NumberOfEmployees <= 7", {A2: True, A3: True}),
        ("NumberOfEmployees > 7", {A1: True}),
        ("NumberOfEmployees >= 7", {A1: True, A3: True}),
        ("NumberOfEmployees = -3", {A2: True}),
        ("AnnualRevenue > 10.5", {A1: True}),
        ("Score__c < -1.25", {A1: True}),
        ("Score__c >= 2.25", {A2: True}),
        ("Name < 'b'", {A1: True}),
        ("Name >= 'GAMMA'", {A3: True, A4: True}),
    ],
)
def test_ordering_comparisons_skip_nulls(conn, schema, condition, expected):
    assert where(conn, schema, condition) == {k for k, v in expected.items() if v}


def test_like_uses_percent_and_underscore_case_insensitively(conn, schema):
    assert where(conn, schema, "Name LIKE 'AC%'") == {A1}
    assert where(conn, schema, "Name LIKE 'gamma_1'") == {A3}
    assert where(conn, schema, "Name LIKE '%a%'") == {A1, A2, A3}


def test_like_escapes_match_literal_percent_and_underscore(conn, schema):
    assert where(conn, schema, "Name LIKE '%50\\%'") == {A2}
    assert where(conn, schema, "Name LIKE 'Gamma\\_%'") == {A3}
    assert where(conn, schema, "Name LIKE 'beta 5\\%'") == set()


def test_in_and_not_in(conn, schema):
    assert where(conn, schema, "Industry IN ('tech', 'Retail')") == {A1, A3, A4}
    assert where(conn, schema, "Industry NOT IN ('tech')") == {A2, A3}
    assert where(conn, schema, "Industry IN ('Retail', null)") == {A2, A3}
    assert where(conn, schema, "NumberOfEmployees IN (50, -3)") == {A1, A2}


def test_includes_and_excludes_on_multipicklists(conn, schema):
    assert where(conn, schema, "Tags__c INCLUDES ('b')") == {A1, A2}
    assert where(conn, schema, "Tags__c INCLUDES ('a;c')") == {A1}
    assert where(conn, schema, "Tags__c INCLUDES ('a;x', 'B')") == {A1, A2}
    assert where(conn, schema, "Tags__c EXCLUDES ('a')") == {A2, A3, A4}


def test_null_and_boolean_literals(conn, schema):
    assert where(conn, schema, "Industry = null") == {A2}
    assert where(conn, schema, "Industry != NULL") == {A1, A3, A4}
    assert where(conn, schema, "Active__c = TRUE") == {A1}
    assert where(conn, schema, "Active__c = false") == {A2}
    assert where(conn, schema, "Active__c != true") == {A2, A3, A4}


def test_empty_string_compares_like_null(conn, schema):
    assert where(conn, schema, "Industry = ''") == {A2}


def test_string_escapes_are_decoded(conn, schema):
    assert where(conn, schema, "Name = 'O\\'Brien \\\\ Co'") == {A4}
    assert where(conn, schema, "Name = 'Acme\\n'") == set()


def test_date_and_datetime_literals(conn, schema):
    assert where(conn, schema, "Founded__c = 2024-05-14") == {A1}
    assert where(conn, schema, "Founded__c < 2024-01-01") == {A3}
    assert where(conn, schema, "LastSeen__c = 2024-05-15T08:00:00Z") == {A1}
    assert where(conn, schema, "LastSeen__c = 2024-05-15T10:00:00.000+02:00") == {A1}
    assert where(conn, schema, "LastSeen__c > 2024-05-15T03:00:00-05:00") == {A3}
    assert where(conn, schema, "OpensAt__c = 09:00:00.000Z") == {A1}


def test_id_filters_accept_15_character_ids(conn, schema):
    assert where(conn, schema, f"Id = '{A2}'") == {A2}
    assert where(conn, schema, "Id = '001000000000002'") == {A2}
    assert where(conn, schema, f"OwnerId IN ('{U1}', '{U3}')") == {A2, A3}


def test_semi_join_and_anti_join(conn, schema):
    assert where(conn, schema, "Id IN (SELECT AccountId FROM Contact)") == {A4}
    assert where(conn, schema, "Id NOT IN (SELECT AccountId FROM Contact)") == {A1, A2, A3}
    assert where(conn, schema,
                 "OwnerId IN (SELECT Id FROM User WHERE Manager.Name = 'Boss')") == {A1}


# -- relative date literals (now = Wednesday 2024-05-15 12:30 UTC) -------------------------------
@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        ("Founded__c = YESTERDAY", {A1}),
        ("Founded__c = TODAY", set()),
        ("Founded__c < TODAY", {A1, A2, A3}),
        ("Founded__c > YESTERDAY", set()),
        ("Founded__c >= YESTERDAY", {A1}),
        ("Founded__c = THIS_WEEK", {A1}),  # Sunday 2024-05-12 .. Saturday 2024-05-18
        ("Founded__c = LAST_MONTH", {A2}),
        ("Founded__c = THIS_QUARTER", {A1, A2}),
        ("Founded__c = LAST_YEAR", {A3}),
        ("Founded__c = LAST_N_DAYS:1", {A1}),
        ("Founded__c = LAST_N_DAYS:15", {A1, A2}),
        ("Founded__c = N_DAYS_AGO:15", {A2}),
        ("Founded__c != THIS_YEAR", {A3, A4}),
        ("Founded__c IN (YESTERDAY, LAST_YEAR)", {A1, A3}),
        ("LastSeen__c = TODAY", {A1}),
        ("LastSeen__c = YESTERDAY", {A2}),
        ("LastSeen__c = TOMORROW", {A3}),
        ("LastSeen__c = NEXT_N_DAYS:1", {A3}),
        ("LastSeen__c > TODAY", {A3}),
        ("LastSeen__c <= TODAY", {A1, A2}),
    ],
)
def test_relative_date_literals_are_ranges_around_now(conn, schema, condition, expected):
    assert where(conn, schema, condition) == expected


# -- logic and precedence ------------------------------------------------------------------------
def test_and_or_not_with_parentheses(conn, schema):
    assert where(conn, schema, "Industry = 'Tech' AND NumberOfEmployees > 10") == {A1}
    assert where(conn, schema, "Industry = 'Retail' OR Name = 'Acme' OR Name = 'x'") == {A1, A3}
    assert where(conn, schema, "Industry = 'Tech' AND (Name = 'Acme' OR Tags__c = null)") == {
        A1, A4}
    assert where(conn, schema, "(Industry = 'Tech' AND Name = 'Acme') OR Industry = null") == {
        A1, A2}


def test_not_binds_tighter_than_and(conn, schema):
    assert where(conn, schema, "NOT Industry = 'Tech' AND NumberOfEmployees > 0") == {A3}
    assert where(conn, schema, "NOT (Industry = 'Tech' OR Industry = 'Retail')") == {A2}


def test_not_of_a_comparison_keeps_rows_where_the_field_is_null(conn, schema):
    assert where(conn, schema, "NOT NumberOfEmployees > 10") == {A2, A3, A4}


@pytest.mark.parametrize(
    "condition",
    ["Name = 'a' AND Name = 'b' OR Name = 'c'", "Name = 'a' OR Name = 'b' AND Name = 'c'"],
)
def test_mixing_and_with_or_without_parentheses_is_malformed(schema, condition):
    err = error_of(schema, f"SELECT Id FROM Account WHERE {condition}")
    assert err.error_code == "MALFORMED_QUERY"
    assert "unexpected token:" in err.message


# -- ORDER BY and LIMIT --------------------------------------------------------------------------
def test_order_by_defaults_to_nulls_first_ascending_and_nulls_last_descending(conn, schema):
    asc = ids(conn, schema, "SELECT Id FROM Account ORDER BY Industry, Name")
    assert asc == [A2, A3, A1, A4]
    desc = ids(conn, schema, "SELECT Id FROM Account ORDER BY Industry DESC, Name DESC")
    assert desc == [A4, A1, A3, A2]


def test_order_by_nulls_first_and_last_override_the_default(conn, schema):
    assert ids(conn, schema, "SELECT Id FROM Account ORDER BY Industry ASC NULLS LAST, Name")[
        -1] == A2
    assert ids(conn, schema, "SELECT Id FROM Account ORDER BY Industry DESC NULLS FIRST")[0] == A2


def test_order_by_text_is_case_insensitive_and_parent_paths_sort(conn, schema):
    assert ids(conn, schema, "SELECT Id FROM Account ORDER BY Name") == [A1, A2, A3, A4]
    rows = run(conn, schema, "SELECT Name FROM Account ORDER BY Owner.Name NULLS LAST, Name")
    assert [r[0] for r in rows[1:]] == ["Acme", "beta 50%", "Gamma_1", "O'Brien \\ Co"]


def test_limit_caps_the_rows(conn, schema):
    assert ids(conn, schema, "SELECT Id FROM Account ORDER BY Name DESC LIMIT 2") == [A4, A3]
    assert ids(conn, schema, "SELECT Id FROM Account LIMIT 0") == []


# -- SQL shape -----------------------------------------------------------------------------------
def test_literals_are_bound_as_parameters_never_spliced_into_sql(schema):
    compiled = compile_soql(
        "SELECT Id FROM Account WHERE Name = 'Robert\\'); DROP TABLE x;--' LIMIT 3",
        schema, include_deleted=False,
    )
    assert "DROP" not in compiled.sql
    assert compiled.params == ["Robert'); DROP TABLE x;--", 3]


def test_parent_paths_share_one_join_per_relationship_path(schema):
    compiled = compile_soql("SELECT Owner.Name, Owner.IsActive, Owner.Manager.Name FROM Account "
                            "WHERE Owner.Name = 'x' ORDER BY Owner.Manager.Name",
                            schema, include_deleted=True)
    assert compiled.sql.count("LEFT JOIN") == 2


# -- errors --------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("soql", "code", "fragment"),
    [
        ("SELECT Id FROM Accout", "INVALID_TYPE", "sObject type 'Accout' is not supported."),
        ("SELECT Id, Foo FROM Account", "INVALID_FIELD",
         "No such column 'Foo' on entity 'Account'. If you are attempting to use a custom field"),
        ("SELECT Owner.Foo FROM Account", "INVALID_FIELD", "No such column 'Foo' on entity 'User'"),
        ("SELECT Bogus.Name FROM Account", "INVALID_FIELD",
         "Didn't understand relationship 'Bogus' in field path"),
        ("SELECT Id FROM Account WHERE Foo = 1", "INVALID_FIELD", "No such column 'Foo'"),
        ("SELECT Id FROM Account ORDER BY Foo", "INVALID_FIELD", "No such column 'Foo'"),
        ("SELECT Id Name FROM Account", "MALFORMED_QUERY", "unexpected token: 'Name'"),
        ("SELECT Id FROM Account WHERE", "MALFORMED_QUERY", "unexpected token: '<EOF>'"),
        ("SELECT Id FROM Account WHERE Name = 'open", "MALFORMED_QUERY", "unexpected token"),
        ("SELECT Id FROM Account WHERE Name = \"x\"", "MALFORMED_QUERY", "unexpected token"),
        ("SELECT Id FROM Account WHERE Name = 'a\\q'", "MALFORMED_QUERY", "Illegal character"),
        ("SELECT Id FROM Account WHERE Name NOT LIKE 'a'", "MALFORMED_QUERY", "unexpected token"),
        ("SELECT Id FROM Account LIMIT -1", "MALFORMED_QUERY", "unexpected token: '-1'"),
        ("SELECT Id FROM Account;", "MALFORMED_QUERY", "unexpected token: ';'"),
        ("SELECT Id, Name, name FROM Account", "MALFORMED_QUERY", "duplicate field selected: name"),
        ("SELECT Id FROM Account WHERE Name = :bind", "MALFORMED_QUERY", "unexpected token: ':'"),
        ("SELECT Id FROM Account WHERE Founded__c = 2024-02-30", "MALFORMED_QUERY",
         "unexpected token"),
        ("SELECT Id FROM Account GROUP BY Name", "API_ERROR", "GROUP BY not supported"),
        ("SELECT Id FROM Account WHERE Name = 'a' HAVING Name = 'a'", "API_ERROR", "HAVING"),
        ("SELECT Id FROM Account LIMIT 5 OFFSET 5", "API_ERROR", "OFFSET not supported"),
        ("SELECT TYPEOF Owner WHEN User THEN Name END FROM Account", "API_ERROR", "TYPEOF"),
        ("SELECT COUNT() FROM Account", "API_ERROR", "Aggregate function COUNT()"),
        ("SELECT MAX(NumberOfEmployees) FROM Account", "API_ERROR", "Aggregate function MAX()"),
        ("SELECT Id, (SELECT Id FROM Contacts) FROM Account", "API_ERROR",
         "Aggregate Relationships not supported in Bulk Query"),
        ("SELECT BillingAddress FROM Account", "API_ERROR",
         "Selecting compound data not supported in Bulk Query"),
        ("SELECT Id FROM Account FOR UPDATE", "API_ERROR", "FOR UPDATE"),
        ("SELECT Id FROM Account WHERE CALENDAR_YEAR(Founded__c) = 2024", "API_ERROR",
         "CALENDAR_YEAR"),
        ("SELECT Id FROM Account WHERE Founded__c = '2024-01-01'", "INVALID_FIELD",
         "value of filter criterion for field 'Founded__c' must be of type date and should not "
         "be enclosed in quotes"),
        ("SELECT Id FROM Account WHERE LastSeen__c > 2024-01-01", "INVALID_FIELD",
         "must be of type dateTime"),
        ("SELECT Id FROM Account WHERE Founded__c > 2024-01-01T00:00:00Z", "INVALID_FIELD",
         "must be of type date"),
        ("SELECT Id FROM Account WHERE Active__c = 1", "INVALID_FIELD",
         "must be of type boolean and should not be enclosed in quotes"),
        ("SELECT Id FROM Account WHERE NumberOfEmployees = '5'", "INVALID_FIELD",
         "must be of type integer"),
        ("SELECT Id FROM Account WHERE Name = 5", "INVALID_FIELD",
         "must be of type string and should be enclosed in quotes"),
        ("SELECT Id FROM Account WHERE Name = TODAY", "INVALID_FIELD", "must be of type string"),
        ("SELECT Id FROM Account WHERE Description = 'x'", "INVALID_FIELD",
         "field 'Description' can not be filtered"),
        ("SELECT Id FROM Account ORDER BY Tags__c", "INVALID_FIELD", "can not be sorted"),
        ("SELECT Id FROM Account WHERE Id = 'abc'", "INVALID_QUERY_FILTER_OPERATOR",
         "invalid ID field: abc"),
        ("SELECT Id FROM Account WHERE NumberOfEmployees LIKE '5'",
         "INVALID_QUERY_FILTER_OPERATOR", "invalid operator"),
        ("SELECT Id FROM Account WHERE Name INCLUDES ('a')", "INVALID_QUERY_FILTER_OPERATOR",
         "includes or excludes operator only valid on multipicklist field"),
        ("SELECT Id FROM Account WHERE Tags__c > 'a'", "INVALID_QUERY_FILTER_OPERATOR",
         "invalid operator on multipicklist field"),
        ("SELECT Id FROM Account WHERE Id IN (SELECT LastName FROM Contact)",
         "INVALID_QUERY_FILTER_OPERATOR", "semi join"),
    ],
)
def test_rejected_queries_carry_salesforce_error_codes(schema, soql, code, fragment):
    err = error_of(schema, soql)
    assert err.error_code == code
    assert fragment in err.message


def test_field_errors_point_at_the_offending_token(schema):
    err = error_of(schema, "SELECT Id, Foo FROM Account")
    assert err.message.startswith("\nSELECT Id, Foo FROM Account\n           ^\n")
    assert "ERROR at Row:1:Column:12" in err.message


def test_security_and_view_clauses_are_accepted(conn, schema):
    soql = "SELECT Id FROM Account WHERE Name = 'Acme' WITH SECURITY_ENFORCED FOR VIEW"
    assert ids(conn, schema, soql) == [A1]
