"""``sfbulk insert|update|upsert|delete`` against a real emulator server, in a subprocess."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from .harness import Org, read_any, sfbulk


def _write_csv(path: Path, frame: pl.DataFrame) -> Path:
    frame.write_csv(path)
    return path


def test_upsert_csv_writes_the_three_result_files_and_exits_1_when_rows_fail(
    org: Org, contacts_frame: pl.DataFrame, tmp_path: Path
) -> None:
    source = _write_csv(tmp_path / "contacts.csv", contacts_frame)

    done = sfbulk("upsert", "Contact", source, "--external-id", "ExternalId__c", "--no-progress",
                  org=org)

    assert done.returncode == 1, done.stderr
    successful = read_any(tmp_path / "contacts.successful.csv")
    failed = read_any(tmp_path / "contacts.failed.csv")
    unprocessed = read_any(tmp_path / "contacts.unprocessed.csv")
    assert sorted(successful["ExternalId__c"]) == ["C-1", "C-2", "C-3"]
    assert successful["sf__Id"].str.starts_with("003").all()
    assert failed["ExternalId__c"].to_list() == ["C-4"]
    assert failed["sf__Error"][0].startswith("REQUIRED_FIELD_MISSING")
    assert unprocessed.height == 0
    assert org.emulator.count("Contact") == 3
    assert "REQUIRED_FIELD_MISSING" in done.stdout
    assert "contacts.failed.csv" in done.stdout


def test_fail_on_never_exits_0_even_when_rows_fail(
    org: Org, contacts_frame: pl.DataFrame, tmp_path: Path
) -> None:
    source = _write_csv(tmp_path / "contacts.csv", contacts_frame)

    done = sfbulk("insert", "Contact", source, "--fail-on", "never", "--no-progress", org=org)

    assert done.returncode == 0, done.stderr
    assert read_any(tmp_path / "contacts.failed.csv").height == 1


def test_fail_on_unprocessed_tolerates_row_errors(
    org: Org, contacts_frame: pl.DataFrame, tmp_path: Path
) -> None:
    source = _write_csv(tmp_path / "contacts.csv", contacts_frame)

    done = sfbulk("insert", "Contact", source, "--fail-on", "unprocessed", "--no-progress",
                  org=org)

    assert done.returncode == 0, done.stderr


def test_csv_values_are_sent_exactly_as_written(org: Org, tmp_path: Path) -> None:
    source = tmp_path / "accounts.csv"
    source.write_text('Name,AccountNumber,Phone\n"Acme, Inc.",007,+1 (555) 010-0199\n',
                      encoding="utf-8")

    done = sfbulk("insert", "Account", source, "--no-progress", org=org)

    assert done.returncode == 0, done.stderr
    rows = org.emulator.sql('SELECT "Name", "AccountNumber", "Phone" FROM "Account"')
    assert rows == [("Acme, Inc.", "007", "+1 (555) 010-0199")]


def test_a_file_larger_than_the_chunk_size_is_split_into_several_jobs(
    org: Org, tmp_path: Path
) -> None:
    n = 400
    frame = pl.DataFrame({
        "ExternalId__c": [f"BIG-{i:05d}" for i in range(n)],
        "LastName": [f"Surname number {i} with some padding text" for i in range(n)],
    })
    source = _write_csv(tmp_path / "big.csv", frame)
    assert source.stat().st_size > 4 * 4096

    done = sfbulk("upsert", "Contact", source, "--external-id", "ExternalId__c",
                  "--max-bytes", "4KB", "--concurrency", "2", "--no-progress", org=org)

    assert done.returncode == 0, done.stderr
    jobs = org.client().list_jobs(kind="ingest")
    assert len(jobs) >= 4
    assert org.emulator.count("Contact") == n
    successful = read_any(tmp_path / "big.successful.csv")
    assert sorted(successful["ExternalId__c"]) == frame["ExternalId__c"].to_list()
    assert sorted(successful["sf__Row"].cast(pl.Int64)) == list(range(n))


def test_parquet_input_writes_parquet_results_with_the_input_types(
    org: Org, tmp_path: Path
) -> None:
    frame = pl.DataFrame({
        "ExternalId__c": ["P-1", "P-2"],
        "LastName": ["Okafor", "Tanaka"],
        "NumberOfChildren__c": [2, None],
        "Birthdate": pl.Series(["1980-02-29", "1999-12-31"]).str.to_date(),
    })
    source = tmp_path / "people.parquet"
    frame.write_parquet(source)

    done = sfbulk("upsert", "Contact", source, "--external-id", "ExternalId__c",
                  "--no-progress", org=org)

    assert done.returncode == 0, done.stderr
    successful = pl.read_parquet(tmp_path / "people.successful.parquet")
    assert successful.schema["Birthdate"] == pl.Date
    assert successful.schema["NumberOfChildren__c"] == pl.Int64
    assert sorted(successful["ExternalId__c"]) == ["P-1", "P-2"]
    rows = org.emulator.sql('SELECT "Birthdate" FROM "Contact" ORDER BY "Birthdate"')
    assert rows == [("1980-02-29",), ("1999-12-31",)]


def test_ndjson_input_with_csv_results_in_another_directory(org: Org, tmp_path: Path) -> None:
    source = tmp_path / "leads.ndjson"
    source.write_text('{"LastName": "Silva", "Company": "Cedar Foods"}\n'
                      '{"LastName": "Novak", "Company": "Orbit Media"}\n', encoding="utf-8")
    results = tmp_path / "out"

    done = sfbulk("insert", "Lead", source, "--output-dir", results, "--format", "csv",
                  "--no-progress", org=org)

    assert done.returncode == 0, done.stderr
    successful = read_any(results / "leads.successful.csv")
    assert sorted(successful["LastName"]) == ["Novak", "Silva"]
    assert (results / "leads.failed.csv").exists()
    assert org.emulator.count("Lead") == 2


def test_a_utf8_bom_is_dropped_from_the_header(org: Org, tmp_path: Path) -> None:
    source = tmp_path / "bom.csv"
    source.write_bytes("\ufeffLastName,FirstName\nMüller,Jörg\n".encode())

    done = sfbulk("insert", "Contact", source, "--no-progress", org=org)

    assert done.returncode == 0, done.stderr
    assert org.emulator.sql('SELECT "LastName", "FirstName" FROM "Contact"') == [("Müller", "Jörg")]


def test_a_file_that_is_not_utf8_is_refused_with_exit_2_before_any_request(
    org: Org, tmp_path: Path
) -> None:
    source = tmp_path / "latin1.csv"
    source.write_bytes("LastName\nSmith\nMüller\n".encode("latin-1"))

    done = sfbulk("insert", "Contact", source, "--no-progress", org=org)

    assert done.returncode == 2
    assert "not UTF-8" in done.stderr
    assert "line 3" in done.stderr
    assert org.client().list_jobs(kind="ingest") == []


def test_a_missing_key_column_is_refused_with_exit_2_naming_the_column(
    org: Org, tmp_path: Path
) -> None:
    source = _write_csv(tmp_path / "nokey.csv", pl.DataFrame({"LastName": ["Smith"]}))

    done = sfbulk("upsert", "Contact", source, "--external-id", "ExternalId__c",
                  "--no-progress", org=org)

    assert done.returncode == 2
    assert "ExternalId__c" in done.stderr
    assert org.client().list_jobs(kind="ingest") == []


def test_an_unknown_object_exits_3_with_salesforces_message(org: Org, tmp_path: Path) -> None:
    source = _write_csv(tmp_path / "x.csv", pl.DataFrame({"Name": ["x"]}))

    done = sfbulk("insert", "Contakt", source, "--no-progress", org=org)

    assert done.returncode == 3
    assert "Contakt" in done.stderr


def test_a_wrong_token_exits_3(org: Org, tmp_path: Path) -> None:
    source = _write_csv(tmp_path / "x.csv", pl.DataFrame({"LastName": ["x"]}))

    done = sfbulk("insert", "Contact", source, "--no-progress", "--instance-url", org.url,
                  "--access-token", "00Dwrong!token")

    assert done.returncode == 3
    assert "INVALID_SESSION_ID" in done.stderr
    assert "00Dwrong!token" not in done.stderr + done.stdout


def test_update_then_hard_delete_by_id_from_the_successful_file(
    org: Org, contacts_frame: pl.DataFrame, tmp_path: Path
) -> None:
    source = _write_csv(tmp_path / "contacts.csv", contacts_frame.drop_nulls())
    assert sfbulk("insert", "Contact", source, "--no-progress", org=org).returncode == 0
    ids = read_any(tmp_path / "contacts.successful.csv").select(pl.col("sf__Id").alias("Id"))
    updates = _write_csv(tmp_path / "updates.csv", ids.with_columns(Title=pl.lit("Engineer")))
    deletes = _write_csv(tmp_path / "deletes.csv", ids)

    updated = sfbulk("update", "Contact", updates, "--no-progress", org=org)
    deleted = sfbulk("delete", "Contact", deletes, "--hard", "--no-progress", org=org)

    assert updated.returncode == 0, updated.stderr
    assert read_any(tmp_path / "updates.successful.csv").height == 3
    assert deleted.returncode == 0, deleted.stderr
    assert "hard delete Contact" in deleted.stdout
    assert org.emulator.count("Contact", include_deleted=True) == 0


def test_set_null_clears_fields_from_empty_cells(org: Org, tmp_path: Path) -> None:
    source = tmp_path / "c.csv"
    source.write_text("ExternalId__c,LastName,Title\nN-1,Smith,Boss\n", encoding="utf-8")
    assert sfbulk("upsert", "Contact", source, "--external-id", "ExternalId__c",
                  "--no-progress", org=org).returncode == 0
    source.write_text("ExternalId__c,LastName,Title\nN-1,Smith,\n", encoding="utf-8")

    done = sfbulk("upsert", "Contact", source, "--external-id", "ExternalId__c",
                  "--nulls", "set_null", "--no-progress", org=org)

    assert done.returncode == 0, done.stderr
    assert org.emulator.sql('SELECT "Title" FROM "Contact"') == [(None,)]
