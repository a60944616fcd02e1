"""Row processing rules of ingest jobs (protocol §5, §1.11)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from sfbulk_frames.emulator import Emulator


def ids_by(emu: Emulator, obj: str, key: str) -> dict[str, str]:
    return {k: i for i, k in emu.sql(f'SELECT Id, {key} FROM "{obj}"')}


def test_insert_success_results_echo_values_and_new_ids(api: Any) -> None:
    outcome = api.ingest("Contact", "insert", "LastName,Email\nLee,lee@example.com\n")
    row = outcome.successful[0]
    assert list(row) == ["sf__Id", "sf__Created", "LastName", "Email"]
    assert row["sf__Created"] == "true"
    assert row["LastName"] == "Lee"
    assert row["sf__Id"].startswith("003")
    assert len(row["sf__Id"]) == 18
    assert api.emu.sql('SELECT Email FROM "Contact" WHERE Id = ?', [row["sf__Id"]]) == [
        ("lee@example.com",)
    ]


def test_result_files_are_fully_quoted(api: Any) -> None:
    outcome = api.ingest("Contact", "insert", "LastName\nLee\n")
    text = api.result(outcome.job_id, "successfulResults").text
    header, line, _ = text.split("\n")
    assert header == '"sf__Id","sf__Created","LastName"'
    assert line.endswith('"true","Lee"')
    assert line.startswith('"003')


@pytest.mark.parametrize(
    ("column", "value", "echo"),
    [
        ("Score__c", "912260031", "9.12260031E8"),
        ("AnnualSpend__c", "12", "12.0"),
        ("Discount__c", "12.50", "12.5"),
        ("NumberOfChildren__c", "3", "3"),
        ("HasOptedOutOfEmail", "TRUE", "true"),
        ("HasOptedOutOfEmail", "0", "false"),
        ("Birthdate", "1990-05-17", "1990-05-17"),
        ("LastContacted__c", "2024-03-15T17:02:31+01:00", "2024-03-15T16:02:31.000Z"),
        ("LastContacted__c", "2024-03-15T17:02:31.250Z", "2024-03-15T17:02:31.250Z"),
        ("PreferredCallTime__c", "09:30:00.000Z", "09:30:00.000Z"),
        ("Languages__c", "English;French", "English;French"),
    ],
)
def test_values_are_echoed_reformatted_by_field_type(
    api: Any, column: str, value: str, echo: str
) -> None:
    outcome = api.ingest("Contact", "insert", f"LastName,{column}\nLee,{value}\n")
    assert outcome.failed == []
    assert outcome.successful[0][column] == echo


@pytest.mark.parametrize(
    ("column", "value", "xsd"),
    [
        ("Birthdate", "2003-04-31", "date"),
        ("Birthdate", "17/05/1990", "date"),
        ("NumberOfChildren__c", "two", "int"),
        ("Score__c", "1,5", "double"),
        ("HasOptedOutOfEmail", "yes", "boolean"),
        ("LastContacted__c", "yesterday", "dateTime"),
    ],
)
def test_unparseable_values_fail_the_row_with_invalid_field(
    api: Any, column: str, value: str, xsd: str
) -> None:
    outcome = api.ingest("Contact", "insert", f'LastName,{column}\nLee,"{value}"\n')
    error = outcome.failed[0]["sf__Error"]
    assert error == (
        f"INVALID_FIELD:Failed to deserialize field at col 2. Due to, '{value}' is "
        f"not a valid value for the type xsd:{xsd}:{column} --"
    )
    assert outcome.failed[0]["sf__Id"] == ""
    assert outcome.info["numberRecordsFailed"] == 1


def test_required_field_missing(api: Any) -> None:
    outcome = api.ingest("Contact", "insert", "FirstName,LastName\nAnn,\n")
    assert outcome.failed[0]["sf__Error"] == (
        "REQUIRED_FIELD_MISSING:Required fields are missing: [LastName]:LastName --"
    )


def test_required_field_absent_from_header_fails_every_row(api: Any) -> None:
    outcome = api.ingest("Opportunity", "insert", "Name,StageName\nBig,Prospecting\n")
    assert outcome.failed[0]["sf__Error"].startswith("REQUIRED_FIELD_MISSING:")
    assert "CloseDate" in outcome.failed[0]["sf__Error"]


def test_string_too_long(api: Any) -> None:
    outcome = api.ingest("Contact", "insert", f"LastName\n{'x' * 81}\n")
    assert outcome.failed[0]["sf__Error"].startswith(
        "STRING_TOO_LONG:Last Name: data value too large"
    )
    assert outcome.failed[0]["sf__Error"].endswith("(max length=80):LastName --")


def test_restricted_picklist_rejects_unknown_values(api: Any) -> None:
    outcome = api.ingest("Contact", "insert", "LastName,Level__c\nA,Primary\nB,Quaternary\n")
    assert [r["LastName"] for r in outcome.successful] == ["A"]
    assert outcome.failed[0]["sf__Error"] == (
        "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST:Level: bad value for restricted picklist field: "
        "Quaternary:Level__c --"
    )


def test_invalid_email_is_rejected(api: Any) -> None:
    outcome = api.ingest("Contact", "insert", "LastName,Email\nA,not-an-email\n")
    assert outcome.failed[0]["sf__Error"].startswith("INVALID_EMAIL_ADDRESS:")


def test_duplicate_unique_value_against_existing_and_within_upload(api: Any) -> None:
    api.ingest("Contact", "insert", "LastName,ExternalId__c\nA,K-1\n")
    outcome = api.ingest("Contact", "insert", "LastName,ExternalId__c\nB,K-1\nC,K-2\nD,K-2\n")
    errors = sorted(r["sf__Error"].split(":")[0] for r in outcome.failed)
    assert errors == ["DUPLICATE_VALUE", "DUPLICATE_VALUE"]
    assert [r["LastName"] for r in outcome.successful] == ["C"]
    assert api.emu.count("Contact") == 2


def test_upsert_inserts_new_and_updates_matched_records(api: Any) -> None:
    first = api.ingest("Contact", "insert", "LastName,ExternalId__c\nOld,C-1\n")
    existing_id = first.successful[0]["sf__Id"]
    outcome = api.ingest(
        "Contact",
        "upsert",
        "ExternalId__c,LastName\nC-1,Updated\nC-2,New\n",
        externalIdFieldName="ExternalId__c",
    )
    by_key = {r["ExternalId__c"]: r for r in outcome.successful}
    assert by_key["C-1"]["sf__Created"] == "false"
    assert by_key["C-1"]["sf__Id"] == existing_id
    assert by_key["C-2"]["sf__Created"] == "true"
    assert ids_by(api.emu, "Contact", "LastName") == {
        "Updated": existing_id,
        "New": by_key["C-2"]["sf__Id"],
    }


def test_upsert_with_a_repeated_external_id_fails_those_rows(api: Any) -> None:
    outcome = api.ingest(
        "Contact",
        "upsert",
        "ExternalId__c,LastName\nC-9,A\nC-9,B\nC-3,C\n",
        externalIdFieldName="ExternalId__c",
    )
    assert [r["LastName"] for r in outcome.successful] == ["C"]
    assert {r["sf__Error"].split(":")[0] for r in outcome.failed} == {"DUPLICATE_EXTERNAL_ID"}
    assert len(outcome.failed) == 2


def test_upsert_by_id_updates_and_inserts_blank_ids(api: Any) -> None:
    existing = api.ingest("Contact", "insert", "LastName\nOld\n").successful[0]["sf__Id"]
    outcome = api.ingest(
        "Contact", "upsert", f"Id,LastName\n{existing},Renamed\n,Fresh\n", externalIdFieldName="Id"
    )
    created = sorted(r["sf__Created"] for r in outcome.successful)
    assert created == ["false", "true"]
    assert api.emu.count("Contact") == 2


def test_relationship_column_resolves_parent_by_external_id(api: Any) -> None:
    account = api.ingest("Account", "insert", "Name,ExternalId__c\nAcme,A-1\n").successful[0]
    outcome = api.ingest(
        "Contact", "insert", "LastName,Account.ExternalId__c\nLee,A-1\nWong,A-404\n"
    )
    assert api.emu.sql('SELECT AccountId FROM "Contact"') == [(account["sf__Id"],)]
    assert outcome.failed[0]["sf__Error"] == (
        "INVALID_FIELD:Foreign key external ID: A-404 not found for field ExternalId__c in "
        "entity Account: --"
    )


def test_polymorphic_relationship_needs_and_uses_the_object_type(api: Any) -> None:
    contact = api.ingest("Contact", "insert", "LastName,Email\nLee,lee@example.com\n")
    outcome = api.ingest("Task", "insert", "Subject,Contact:Who.Email\nCall,lee@example.com\n")
    assert outcome.failed == []
    assert api.emu.sql('SELECT WhoId FROM "Task"') == [(contact.successful[0]["sf__Id"],)]
    failed = api.ingest("Task", "insert", "Subject,Who.Email\nCall,lee@example.com\n")
    assert failed.info["state"] == "Failed"
    assert "Polymorphic" in failed.info["errorMessage"]


def test_reference_id_to_missing_parent_is_invalid_cross_reference(api: Any) -> None:
    outcome = api.ingest("Contact", "insert", "LastName,AccountId\nLee,001R0000000zzzzIAA\n")
    assert outcome.failed[0]["sf__Error"].startswith("INVALID_CROSS_REFERENCE_KEY:")


def test_na_clears_a_field_and_empty_leaves_it_unchanged(api: Any) -> None:
    cid = api.ingest("Contact", "insert", "LastName,Title,Phone\nLee,CEO,555\n").successful[0][
        "sf__Id"
    ]
    outcome = api.ingest("Contact", "update", f"Id,Title,Phone\n{cid},#N/A,\n")
    assert outcome.successful[0]["sf__Created"] == "false"
    assert api.emu.sql('SELECT Title, Phone FROM "Contact"') == [(None, "555")]


def test_na_on_a_required_field_fails_the_update(api: Any) -> None:
    cid = api.ingest("Contact", "insert", "LastName\nLee\n").successful[0]["sf__Id"]
    outcome = api.ingest("Contact", "update", f"Id,LastName\n{cid},#N/A\n")
    assert outcome.failed[0]["sf__Error"].startswith("REQUIRED_FIELD_MISSING:")
    assert outcome.failed[0]["sf__Id"] == cid


def test_update_and_delete_of_missing_malformed_and_deleted_ids(api: Any) -> None:
    ids = [r["sf__Id"] for r in api.ingest("Contact", "insert", "LastName\nA\nB\n").successful]
    api.ingest("Contact", "delete", f"Id\n{ids[1]}\n")
    outcome = api.ingest(
        "Contact",
        "update",
        f"Id,Title\n{ids[0]},ok\n{ids[1]},x\nnot-an-id,x\n003R0000000zzzzIAA,x\n"
        "001R0000000zzzzIAA,x\n",
    )
    codes = {r["sf__Id"]: r["sf__Error"].split(":")[0] for r in outcome.failed}
    assert codes == {
        ids[1]: "ENTITY_IS_DELETED",
        "not-an-id": "MALFORMED_ID",
        "003R0000000zzzzIAA": "INVALID_CROSS_REFERENCE_KEY",
        "001R0000000zzzzIAA": "MALFORMED_ID",
    }
    assert [r["sf__Id"] for r in outcome.successful] == [ids[0]]


def test_soft_delete_keeps_the_row_and_hard_delete_removes_it(api: Any) -> None:
    ids = [r["sf__Id"] for r in api.ingest("Contact", "insert", "LastName\nA\nB\n").successful]
    soft = api.ingest("Contact", "delete", f"Id\n{ids[0]}\n")
    assert soft.successful[0]["sf__Id"] == ids[0]
    assert soft.successful[0]["sf__Created"] == "false"
    assert api.emu.count("Contact") == 1
    assert api.emu.count("Contact", include_deleted=True) == 2
    api.ingest("Contact", "hardDelete", f"Id\n{ids[1]}\n")
    assert api.emu.count("Contact", include_deleted=True) == 1


def test_insert_with_an_id_value_fails_the_row(api: Any) -> None:
    outcome = api.ingest("Contact", "insert", "Id,LastName\n003R0000000zzzzIAA,Lee\n")
    assert outcome.failed[0]["sf__Error"].startswith("INVALID_FIELD_FOR_INSERT_UPDATE:")


def test_read_only_field_fails_the_row(api: Any) -> None:
    outcome = api.ingest("Contact", "insert", "LastName,CreatedDate\nLee,2024-01-01T00:00:00Z\n")
    assert outcome.failed[0]["sf__Error"].startswith("INVALID_FIELD_FOR_INSERT_UPDATE:")


def test_unknown_column_fails_the_job(api: Any) -> None:
    outcome = api.ingest("Account", "insert", "Name,Employees\nFoo,12\nBar,1138\n")
    assert outcome.info["state"] == "Failed"
    assert outcome.info["errorMessage"] == (
        "InvalidBatch : InvalidBatch : Field name not found : Employees"  # recorded, doubled
    )
    assert outcome.info["numberRecordsProcessed"] == 0
    assert outcome.successful == []
    assert outcome.failed == []
    # the recorded real answer (protocol §12b): re-quoted, numbers bare, no final newline
    assert outcome.unprocessed_text == '"Name","Employees"\n"Foo",12\n"Bar",1138'


def test_unclosed_quote_fails_the_job(api: Any) -> None:
    outcome = api.ingest("Contact", "insert", 'LastName,Title\nLee,"CEO\n')
    assert outcome.info["state"] == "Failed"
    assert outcome.info["errorMessage"].startswith(
        "InvalidBatch : InvalidBatch : Failed to parse CSV."
    )
    assert api.emu.count("Contact") == 0


def test_crlf_data_declared_lf_fails_on_the_last_header(api: Any) -> None:
    outcome = api.ingest("Contact", "insert", "FirstName,LastName\r\nAnn,Lee\r\n")
    assert outcome.info["state"] == "Failed"
    assert outcome.info["errorMessage"] == (
        "InvalidBatch : InvalidBatch : Field name not found : LastName\r"
    )


def test_wrong_delimiter_fails_the_job(api: Any) -> None:
    outcome = api.ingest(
        "Contact", "insert", "FirstName,LastName\nAnn,Lee\n", columnDelimiter="SEMICOLON"
    )
    assert outcome.info["state"] == "Failed"
    assert outcome.info["errorMessage"].endswith("Field name not found : FirstName,LastName")


@pytest.mark.parametrize("delimiter", ["COMMA", "TAB", "PIPE", "SEMICOLON", "CARET", "BACKQUOTE"])
@pytest.mark.parametrize("line_ending", ["LF", "CRLF"])
def test_every_delimiter_and_line_ending(api: Any, delimiter: str, line_ending: str) -> None:
    d = {"COMMA": ",", "TAB": "\t", "PIPE": "|", "SEMICOLON": ";", "CARET": "^", "BACKQUOTE": "`"}[
        delimiter
    ]
    le = "\n" if line_ending == "LF" else "\r\n"
    data = f'LastName{d}Title{le}Lee{d}"a{d}b ""q"""{le}Wong{d}x{le}'
    outcome = api.ingest(
        "Contact", "insert", data, columnDelimiter=delimiter, lineEnding=line_ending
    )
    assert outcome.info["state"] == "JobComplete", outcome.info
    assert sorted(r["Title"] for r in outcome.successful) == [f'a{d}b "q"', "x"]
    text = api.result(outcome.job_id, "successfulResults").text
    assert text.startswith(f'"sf__Id"{d}"sf__Created"{d}"LastName"{d}"Title"{le}')


def test_bom_at_the_start_of_the_upload_is_stripped(api: Any) -> None:
    outcome = api.ingest("Contact", "insert", "\ufeffLastName\nLee\n".encode())
    assert outcome.info["state"] == "JobComplete"
    assert outcome.successful[0]["LastName"] == "Lee"


def test_values_with_commas_quotes_newlines_and_unicode_round_trip(api: Any) -> None:
    description = 'Line one, "quoted"\nLine two – Grüße 日本'
    escaped = description.replace('"', '""')
    outcome = api.ingest("Contact", "insert", f'LastName,Description\nMüller,"{escaped}"\n')
    assert outcome.successful[0]["Description"] == description
    assert api.emu.sql('SELECT LastName, Description FROM "Contact"') == [("Müller", description)]


def test_result_rows_are_shuffled_deterministically_by_seed(api: Any) -> None:
    data = "LastName\n" + "".join(f"N{i:03d}\n" for i in range(60))
    order = [r["LastName"] for r in api.ingest("Contact", "insert", data).successful]
    assert sorted(order) == [f"N{i:03d}" for i in range(60)]
    assert order != sorted(order)
    with (
        Emulator(seed=7) as other,
        httpx.Client(
            transport=other.transport(),
            base_url=other.instance_url,
            headers={"Authorization": f"Bearer {other.token}"},
        ) as http,
    ):
        other_api = type(api)(http, other)
        again = [r["LastName"] for r in other_api.ingest("Contact", "insert", data).successful]
    assert again == order


def test_ragged_rows_fail_individually(api: Any) -> None:
    outcome = api.ingest("Contact", "insert", "LastName,Title\nLee,CEO\nWong\n")
    assert [r["LastName"] for r in outcome.successful] == ["Lee"]
    assert outcome.failed[0]["sf__Error"].startswith("INVALID_FIELD:Row has 1 columns")


def test_counters_cover_many_internal_batches(api: Any) -> None:
    data = "LastName\n" + "x\n" * 25_000
    outcome = api.ingest("Contact", "insert", data)
    assert outcome.info["numberRecordsProcessed"] == 25_000
    assert len(outcome.successful) == 25_000
    limits = api.http.get("/services/data/v62.0/limits").json()
    assert limits["DailyBulkApiBatches"]["Remaining"] == 15000 - 3


def test_a_field_longer_than_the_csv_module_limit_is_read_and_the_limit_is_restored(
    api: Any,
) -> None:
    import csv

    limit = csv.field_size_limit()
    long_text = "x" * (limit + 10)
    job_id = api.new_ingest("Contact", "insert")
    assert api.upload(job_id, f'LastName,Description\nLong,"{long_text}"\n').status_code == 201
    assert api.patch(job_id, "UploadComplete").status_code == 200
    info = api.info(job_id).json()
    # parsed (not an InvalidBatch CSV failure): the row reaches the field check
    assert (info["state"], info["numberRecordsProcessed"]) == ("JobComplete", 1)
    assert "STRING_TOO_LONG" in api.result(job_id, "failedResults").text
    assert csv.field_size_limit() == limit
