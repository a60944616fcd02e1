"""Preflight's column plan and row checks (pure functions) on the emulator's own describes."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pandas as pd
import polars as pl
import pytest

from sfbulk_frames import PreflightError
from sfbulk_frames.emulator import Emulator
from sfbulk_frames.frames.backend import to_polars
from sfbulk_frames.frames.encode import EncodeOptions, encode_batch
from sfbulk_frames.frames.preflight import check_date_columns, plan_columns
from sfbulk_frames.frames.preflight.names import relationship_parents
from sfbulk_frames.frames.preflight.rows import NOT_SENT_MARK, RowChecker, error_cells
from sfbulk_frames.frames.validate import joined_names

from .conftest import as_backend


@pytest.fixture(scope="module")
def describes() -> Iterator[dict[str, dict[str, Any]]]:
    with Emulator() as emu, emu.client() as client:
        yield {name: client.describe(name) for name in ("Contact", "Account", "Case", "Widget__c")}


def plan(
    describes: dict[str, Any],
    obj: str,
    frame: pl.DataFrame,
    operation: str = "insert",
    key: str | None = None,
) -> Any:
    parents = {
        n: describes[n] for n in relationship_parents(describes[obj], frame.columns).values()
    }
    return plan_columns(
        describes[obj],
        dict(frame.schema),
        operation=operation,
        external_id_field=key,
        parents=parents,
    )


def messages(p: Any) -> str:
    return "\n".join(f.message for f in p.errors)


def test_a_wrong_case_column_suggests_the_field_spelling_and_renaming_the_column(describes):
    p = plan(describes, "Contact", pl.DataFrame({"LastName": ["a"], "ExternalID__c": ["x"]}))
    assert [f.column for f in p.errors] == ["ExternalID__c"]
    assert messages(p) == (
        "column 'ExternalID__c' is not a field of Contact; did you mean "
        "'ExternalId__c'? rename the column"
    )
    with pytest.raises(PreflightError, match="rename the column") as err:
        p.raise_errors()
    assert err.value.column == "ExternalID__c"


def test_a_misspelt_or_unknown_column_is_named_with_the_fix(describes):
    p = plan(
        describes, "Contact", pl.DataFrame({"LastName": ["a"], "Emial": ["x"], "Zzz__c": ["y"]})
    )
    text = messages(p)
    assert "column 'Emial' is not a field of Contact; did you mean 'Email'?" in text
    assert "column 'Zzz__c' is not a field of Contact; check the field API name" in text


@pytest.mark.parametrize(
    ("operation", "obj", "column", "flag"),
    [
        ("insert", "Contact", "Name", "createable"),
        ("update", "Case", "CaseNumber", "updateable"),
        ("upsert", "Contact", "Name", "createable nor updateable"),
    ],
)
def test_read_only_fields_are_refused_for_the_operation(describes, operation, obj, column, flag):
    data = {"LastName": ["a"], "ExternalId__c": ["k"]} if obj == "Contact" else {}
    data |= {column: ["x"], "Id": ["003000000000001AAA"]}
    key = "ExternalId__c" if operation == "upsert" else None
    frame = pl.DataFrame(data) if operation != "insert" else pl.DataFrame(data).drop("Id")
    p = plan(describes, obj, frame, operation, key)
    assert [(f.column, f.code) for f in p.errors] == [(column, "INVALID_FIELD_FOR_INSERT_UPDATE")]
    assert f"{obj}.{column} is not {flag}" in messages(p)
    assert "drop the column" in messages(p)


def test_upsert_key_must_be_an_external_id_or_id_lookup(describes):
    p = plan(describes, "Contact", pl.DataFrame({"LastName": ["a"]}), "upsert", "LastName")
    assert [f.code for f in p.errors] == ["INVALID_EXTERNAL_ID_FIELD"]
    assert "neither an External ID nor an idLookup" in messages(p)
    assert "'ExternalId__c'" in messages(p)
    ok = plan(describes, "Contact", pl.DataFrame({"Email": ["a@b.co"]}), "upsert", "Email")
    assert not ok.errors  # Email is idLookup


def test_relationship_columns_need_an_external_id_on_the_parent(describes):
    good = plan(
        describes, "Contact", pl.DataFrame({"LastName": ["a"], "Account.ExternalId__c": ["A-1"]})
    )
    assert not good.errors
    bad = plan(describes, "Contact", pl.DataFrame({"LastName": ["a"], "Account.Phone": ["1"]}))
    assert [f.code for f in bad.errors] == ["INVALID_EXTERNAL_ID_FIELD"]
    assert "Account.Phone is neither an External ID nor an idLookup field" in messages(bad)
    typo = plan(
        describes, "Contact", pl.DataFrame({"LastName": ["a"], "Acount.ExternalId__c": ["A"]})
    )
    assert "did you mean Account.ExternalId__c?" in messages(typo)


@pytest.mark.parametrize("sep", [";", "\t", "|"])
def test_a_header_read_with_the_wrong_separator_names_the_option(describes, sep):
    column = sep.join(["ExternalId__c", "LastName", "Email"])
    p = plan(describes, "Contact", pl.DataFrame({column: ["x"]}))
    assert p.errors[0].code == "WRONG_SEPARATOR"
    text = messages(p)
    assert f"separator={sep!r}" in text
    assert f"sep={sep!r}" in text
    assert f"--separator {sep!r}" in text
    assert joined_names("Last Name") is None
    assert joined_names("a,b c") is None


def test_insert_without_a_required_column_is_refused(describes):
    p = plan(describes, "Contact", pl.DataFrame({"FirstName": ["a"]}))
    assert [(f.column, f.code) for f in p.errors] == [("LastName", "REQUIRED_FIELD_MISSING")]
    assert not plan(describes, "Widget__c", pl.DataFrame({"Sku__c": ["a"]})).errors  # defaulted


def test_datetimes_to_a_date_field_become_dates_only_at_midnight(describes, backend):
    midnight = as_backend(
        pl.DataFrame({"LastName": ["a", "b"], "Birthdate": [datetime(2020, 1, 2), None]}), backend
    )
    frame = to_polars(midnight)
    p = plan(describes, "Contact", frame)
    check_date_columns(frame, p)
    assert p.conversions == {"Birthdate": "date"}
    assert not p.errors
    cells = encode_batch(frame, EncodeOptions(conversions=p.conversions))
    assert cells["Birthdate"].to_list() == ["2020-01-02", None]

    timed = to_polars(
        as_backend(
            pl.DataFrame(
                {
                    "LastName": ["a", "b"],
                    "Birthdate": [datetime(2020, 1, 2), datetime(2020, 1, 3, 9, 30)],
                }
            ),
            backend,
        )
    )
    p = plan(describes, "Contact", timed)
    check_date_columns(timed.lazy(), p)
    assert p.conversions == {}
    assert p.errors[0].code == "DATE_HAS_TIME"
    assert "df['Birthdate'].dt.date" in messages(p)
    assert "pl.col('Birthdate').dt.date()" in messages(p)


def test_integral_floats_lose_the_point_zero_for_number_and_text_fields(describes):
    frame = pl.DataFrame(
        {
            "LastName": ["a", "b", "c"],
            "NumberOfChildren__c": [3.0, None, 2.5],
            "Score__c": [1e20, 12.0, 1.5e-7],
            "AnnualSpend__c": [1e15, 12.0, -0.0],
            "Title": [12.0, 7.0, 0.5],
        }
    )
    p = plan(describes, "Contact", frame)
    assert p.conversions == {
        "NumberOfChildren__c": "whole_number",  # int field: value by value
        "Score__c": "all_whole",  # double/currency: when the whole batch is integral
        "AnnualSpend__c": "all_whole",
        "Title": "whole_number",  # text field: "12.0" would be another text
    }
    cells = encode_batch(frame, EncodeOptions(conversions=p.conversions))
    assert cells["NumberOfChildren__c"].to_list() == ["3", None, "2.5"]
    assert cells["Score__c"].to_list() == ["100000000000000000000", "12.0", "0.00000015"]
    assert cells["AnnualSpend__c"].to_list() == ["1000000000000000", "12", "0"]
    assert cells["Title"].to_list() == ["12", "7", "0.5"]
    assert cells.schema == dict.fromkeys(cells.columns, pl.String)
    assert [(f.column, f.code) for f in p.warnings] == [("Title", "NUMBER_AS_TEXT")]
    assert "dtype={'Title': str}" in p.warnings[0].message
    assert "schema_overrides" in p.warnings[0].message


def test_set_null_clears_empty_strings_as_well_as_nulls(backend):
    frame = to_polars(as_backend(pl.DataFrame({"Title": ["", None, "x"]}), backend))
    assert encode_batch(frame, EncodeOptions(nulls="set_null"))["Title"].to_list() == [
        "#N/A",
        "#N/A",
        "x",
    ]
    assert encode_batch(frame, EncodeOptions())["Title"].to_list() == ["", None, "x"]


def test_row_checks_report_every_problem_of_a_row_in_salesforce_form(describes):
    frame = pl.DataFrame(
        {
            "LastName": ["ok", None, "x" * 81],
            "NumberOfChildren__c": ["2", "1,200", "2.5"],
            "HasOptedOutOfEmail": ["true", "Yes", "0"],
            "Level__c": ["Primary", "Bogus", None],
            "Birthdate": ["2020-01-02", "02/01/2020", ""],
            "Amount": ["1", "2", "3"],
        }
    ).drop("Amount")
    p = plan(describes, "Contact", frame)
    findings = RowChecker(p, dict(frame.schema), EncodeOptions()).findings(frame, offset=10)
    got = {(r["row"], r["code"], r["column"]) for r in findings.to_dicts()}
    assert got == {
        (11, "REQUIRED_FIELD_MISSING", "LastName"),
        (11, "INVALID_TYPE_ON_FIELD_IN_RECORD", "NumberOfChildren__c"),
        (11, "INVALID_TYPE_ON_FIELD_IN_RECORD", "HasOptedOutOfEmail"),
        (11, "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST", "Level__c"),
        (11, "INVALID_FIELD", "Birthdate"),
        (12, "STRING_TOO_LONG", "LastName"),
        (12, "INVALID_TYPE_ON_FIELD_IN_RECORD", "NumberOfChildren__c"),
    }
    errors = dict(error_cells(findings).iter_rows())
    lines = errors[11].split("\n")
    assert len(lines) == 5
    assert all(line.startswith(NOT_SENT_MARK) for line in lines)
    assert (
        NOT_SENT_MARK + "INVALID_TYPE_ON_FIELD_IN_RECORD:Number Of Children: value not of "
        "required type: 1,200:NumberOfChildren__c --"
    ) in lines
    assert lines[0] == (
        NOT_SENT_MARK + "REQUIRED_FIELD_MISSING:Required fields are missing: [LastName]:LastName --"
    )
    assert errors[12].startswith(NOT_SENT_MARK + "STRING_TOO_LONG:Last Name: data value too large")


def test_row_checks_pass_typed_columns_and_catch_non_integral_floats_for_int(describes):
    frame = pd.DataFrame(
        {
            "LastName": ["a", "b"],
            "NumberOfChildren__c": [1.0, 1.5],
            "Score__c": [0.5, 2.0],
            "Birthdate": pd.to_datetime(["2020-01-01", "2021-01-01"]),
        }
    )
    polars_frame = to_polars(frame)
    assert isinstance(polars_frame, pl.DataFrame)
    p = plan(describes, "Contact", polars_frame)
    options = EncodeOptions(conversions=p.conversions)
    findings = RowChecker(p, dict(polars_frame.schema), options).findings(polars_frame)
    assert findings.select("row", "column").rows() == [(1, "NumberOfChildren__c")]


def test_set_null_on_a_required_field_is_a_missing_required_field_on_update(describes):
    frame = pl.DataFrame({"Id": ["003000000000001AAA"], "LastName": [""]})
    p = plan(describes, "Contact", frame, "update")
    checker = RowChecker(p, dict(frame.schema), EncodeOptions(nulls="set_null"))
    assert checker.findings(frame)["code"].to_list() == ["REQUIRED_FIELD_MISSING"]
    skip = RowChecker(p, dict(frame.schema), EncodeOptions())
    assert skip.findings(frame).height == 0  # an empty cell leaves the field unchanged


def test_a_required_reference_set_through_its_relationship_column_is_present():
    parent = {
        "name": "Account",
        "fields": [
            {"name": "Id", "type": "id", "idLookup": True, "createable": False},
            {"name": "ExternalId__c", "type": "string", "externalId": True, "length": 80},
        ],
    }
    child = {
        "name": "Line__c",
        "fields": [
            {
                "name": "Account__c",
                "type": "reference",
                "referenceTo": ["Account"],
                "relationshipName": "Account__r",
                "nillable": False,
                "createable": True,
                "updateable": True,
            },
        ],
    }
    schema = {"Account__r.ExternalId__c": pl.String}
    p = plan_columns(child, schema, operation="insert", parents={"Account": parent})
    assert p.findings == []
    p = plan_columns(child, {"Name": pl.String}, operation="insert", parents={})
    assert ("Account__c", "REQUIRED_FIELD_MISSING") in [(f.column, f.code) for f in p.errors]


def test_key_column_messages_point_the_right_way(backend):
    from sfbulk_frames import FrameError
    from sfbulk_frames.frames.validate import validate_frame

    frame = to_polars(
        as_backend(pl.DataFrame({"ExternalId__c": ["k"], "LastName": ["a"]}), backend)
    )
    with pytest.raises(FrameError) as err:
        validate_frame(
            frame.columns, dict(frame.schema), operation="upsert", external_id_field="ExternalID__c"
        )
    assert "pass external_id_field='ExternalId__c'" in str(err.value)
    assert "rename it to 'ExternalID__c'" not in str(err.value)
    joined = pl.DataFrame({"ExternalId__c;LastName": ["k;a"]})
    with pytest.raises(FrameError) as err:
        validate_frame(
            joined.columns,
            dict(joined.schema),
            operation="upsert",
            external_id_field="ExternalId__c",
        )
    assert "separator=';'" in str(err.value)
    assert "--separator ';'" in str(err.value)
    assert "did you mean" not in str(err.value)


def test_fast_paths_never_hide_a_bad_value(describes):
    """Cheap pre-checks skip a check only when no value can fail it: leap days, year 0,
    multi-byte text right at the length limit and odd-case booleans still go through."""
    frame = pl.DataFrame(
        {
            "LastName": ["é" * 40, "é" * 81, "a" * 80],  # 80 bytes but 40 chars fits; 81 chars not
            "Birthdate": ["2024-02-29", "2023-02-29", "0000-01-01"],
            "HasOptedOutOfEmail": ["tRuE", "yes", "0"],
        }
    )
    p = plan(describes, "Contact", frame)
    found = RowChecker(p, dict(frame.schema), EncodeOptions()).findings(frame)
    assert found.select("row", "column").rows() == [
        (1, "LastName"),
        (1, "Birthdate"),
        (1, "HasOptedOutOfEmail"),
        (2, "Birthdate"),
    ]
