"""``--preflight columns|rows|off`` of the load commands, against a real emulator server."""

from __future__ import annotations

from pathlib import Path

from sfbulk_frames.cli.common import EXIT_BAD_INPUT, EXIT_ROWS_FAILED

from .harness import Org, read_any, sfbulk


def test_default_preflight_refuses_an_unknown_column_before_any_job(org: Org, tmp_path: Path):
    source = tmp_path / "contacts.csv"
    source.write_text("LastName,Emial\nLovelace,ada@example.com\n", encoding="utf-8")

    done = sfbulk("insert", "Contact", source, "--no-progress", org=org)

    assert done.returncode == EXIT_BAD_INPUT, done.stderr
    assert "column 'Emial' is not a field of Contact; did you mean 'Email'?" in done.stderr
    assert "--preflight off" in done.stderr
    assert org.client().list_jobs() == []


def test_a_semicolon_file_read_with_commas_names_the_separator_option(org: Org, tmp_path: Path):
    source = tmp_path / "contacts.csv"
    source.write_text("ExternalId__c;LastName\nC-1;Lovelace\n", encoding="utf-8")

    done = sfbulk(
        "upsert", "Contact", source, "--external-id", "ExternalId__c", "--no-progress", org=org
    )

    assert done.returncode == EXIT_BAD_INPUT, done.stderr
    assert "--separator ';'" in done.stderr
    assert "did you mean 'ExternalId__c;LastName'" not in done.stderr
    ok = sfbulk(
        "upsert",
        "Contact",
        source,
        "--external-id",
        "ExternalId__c",
        "--separator",
        ";",
        "--no-progress",
        org=org,
    )
    assert ok.returncode == 0, ok.stderr


def test_preflight_rows_writes_held_back_rows_to_the_failed_file(org: Org, tmp_path: Path):
    source = tmp_path / "contacts.csv"
    source.write_text(
        "ExternalId__c,LastName,NumberOfChildren__c,HasOptedOutOfEmail\n"
        "C-1,Lovelace,2,true\n"
        'C-2,Zola,"1,200",Yes\n'
        "C-3,Hopper,3,false\n",
        encoding="utf-8",
    )

    done = sfbulk(
        "upsert",
        "Contact",
        source,
        "--external-id",
        "ExternalId__c",
        "--no-progress",
        "--preflight",
        "rows",
        org=org,
    )

    assert done.returncode == EXIT_ROWS_FAILED, done.stderr
    failed = read_any(tmp_path / "contacts.failed.csv")
    assert failed["ExternalId__c"].to_list() == ["C-2"]
    assert failed["sf__Row"].to_list() == ["1"]  # the row's position in FILE
    assert failed["sf__Error"][0].split("\n") == [
        "PREFLIGHT INVALID_TYPE_ON_FIELD_IN_RECORD:Number Of Children: value not of required "
        "type: 1,200:NumberOfChildren__c --",
        "PREFLIGHT INVALID_TYPE_ON_FIELD_IN_RECORD:Has Opted Out Of Email: value not of required "
        "type: Yes:HasOptedOutOfEmail --",
    ]
    assert sorted(read_any(tmp_path / "contacts.successful.csv")["ExternalId__c"]) == ["C-1", "C-3"]
    assert org.emulator.count("Contact") == 2


def test_preflight_off_lets_salesforce_judge(org: Org, tmp_path: Path):
    source = tmp_path / "contacts.csv"
    source.write_text("LastName,Emial\nLovelace,ada@example.com\n", encoding="utf-8")

    done = sfbulk("insert", "Contact", source, "--no-progress", "--preflight", "off", org=org)

    assert done.returncode != EXIT_BAD_INPUT
    assert len(org.client().list_jobs()) == 1
    assert read_any(tmp_path / "contacts.unprocessed.csv").height == 1
