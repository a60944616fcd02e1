"""``sfbulk query`` and ``sfbulk describe`` (and ``sfbulk emulator --schema``) over loopback."""

from __future__ import annotations

import json
import re
import signal
import subprocess
from pathlib import Path

import polars as pl
import pytest

from .harness import Org, popen_sfbulk, sfbulk


@pytest.fixture
def contacts(org: Org) -> Org:
    frame = pl.DataFrame({
        "ExternalId__c": ["Q-1", "Q-2", "Q-3"],
        "LastName": ["Adams", "Baker", "Chen"],
        "Birthdate": ["1980-01-31", "1990-06-15", None],
        "NumberOfChildren__c": ["2", None, "0"],
        "AnnualSpend__c": ["10.5", "2000", None],
    })
    client = org.client()
    job = client.create_ingest_job("Contact", "upsert", external_id_field="ExternalId__c")
    job.upload(frame.write_csv().encode())
    job.close()
    assert job.wait().number_records_failed == 0
    return org


SOQL = ("SELECT ExternalId__c, LastName, Birthdate, NumberOfChildren__c, AnnualSpend__c "
        "FROM Contact ORDER BY ExternalId__c")


def test_query_to_parquet_is_typed_from_metadata(contacts: Org, tmp_path: Path) -> None:
    out = tmp_path / "contacts.parquet"

    done = sfbulk("query", SOQL, "-o", out, "--no-progress", org=contacts)

    assert done.returncode == 0, done.stderr
    frame = pl.read_parquet(out)
    assert frame.schema["Birthdate"] == pl.Date
    assert frame.schema["NumberOfChildren__c"] == pl.Int64
    assert frame.schema["AnnualSpend__c"] == pl.Float64
    assert frame["LastName"].to_list() == ["Adams", "Baker", "Chen"]
    assert frame["NumberOfChildren__c"].to_list() == [2, None, 0]
    assert "wrote 3 rows" in done.stderr


def test_query_to_csv_with_small_pages(contacts: Org, tmp_path: Path) -> None:
    out = tmp_path / "contacts.csv"

    done = sfbulk("query", SOQL, "-o", out, "--page-size", "1", "--no-progress", org=contacts)

    assert done.returncode == 0, done.stderr
    frame = pl.read_csv(out, infer_schema=False)
    assert frame["ExternalId__c"].to_list() == ["Q-1", "Q-2", "Q-3"]
    assert frame["Birthdate"].to_list() == ["1980-01-31", "1990-06-15", None]


def test_query_without_output_prints_csv(contacts: Org) -> None:
    done = sfbulk("query", "SELECT LastName FROM Contact ORDER BY LastName", org=contacts)

    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["LastName", "Adams", "Baker", "Chen"]


def test_query_include_deleted_sees_deleted_records(contacts: Org, tmp_path: Path) -> None:
    ids = contacts.emulator.sql('SELECT "Id" FROM "Contact" WHERE "LastName" = ?', ("Adams",))
    deletes = tmp_path / "ids.csv"
    deletes.write_text(f"Id\n{ids[0][0]}\n", encoding="utf-8")
    assert sfbulk("delete", "Contact", deletes, "--no-progress", org=contacts).returncode == 0
    soql = "SELECT LastName, IsDeleted FROM Contact ORDER BY LastName"

    live = sfbulk("query", soql, org=contacts)
    everything = sfbulk("query", soql, "--include-deleted", org=contacts)

    assert live.stdout.splitlines()[1:] == ["Baker,false", "Chen,false"]
    assert everything.stdout.splitlines()[1:] == ["Adams,true", "Baker,false", "Chen,false"]


def test_malformed_soql_exits_3_with_salesforces_message(org: Org) -> None:
    done = sfbulk("query", "SELECT Id, Nope__c FROM Contact", "-o", "x.parquet", org=org)

    assert done.returncode == 3
    assert "Nope__c" in done.stderr


def test_query_output_with_an_unknown_suffix_exits_2(org: Org) -> None:
    done = sfbulk("query", "SELECT Id FROM Contact", "-o", "x.xlsx", org=org)

    assert done.returncode == 2
    assert ".parquet" in done.stderr


def test_describe_lists_fields_with_their_flags(org: Org) -> None:
    done = sfbulk("describe", "Contact", org=org)

    assert done.returncode == 0, done.stderr
    lines = {line.split()[0]: line for line in done.stdout.splitlines()[1:]}
    assert "required" in lines["LastName"]
    assert "external id" in lines["ExternalId__c"]
    assert "restricted" in lines["Level__c"]
    assert "-> Account" in lines["AccountId"]


def _start_emulator(schema: Path) -> tuple[subprocess.Popen[str], str, str]:
    process = popen_sfbulk("emulator", "--port", "0", "--schema", schema,
                           "--processing", "instant")
    assert process.stdout is not None
    url = token = None
    for line in process.stdout:
        if match := re.search(r"Instance URL\s*:\s*(\S+)", line):
            url = match.group(1)
        if match := re.search(r"Access token\s*:\s*(\S+)", line):
            token = match.group(1)
        if url and token:
            break
    if url is None or token is None:
        process.kill()
        raise AssertionError(f"no banner from sfbulk emulator: {process.communicate()[1]}")
    return process, url, token


def test_a_saved_describe_is_loaded_by_sfbulk_emulator_schema(org: Org, tmp_path: Path) -> None:
    saved = tmp_path / "widget.json"
    assert sfbulk("describe", "Widget__c", "--save", saved, org=org).returncode == 0
    describe = json.loads(saved.read_text(encoding="utf-8"))
    describe.update(name="Gadget__c", label="Gadget", keyPrefix="a0G")
    mirrored = tmp_path / "gadget.json"
    mirrored.write_text(json.dumps(describe), encoding="utf-8")

    process, url, token = _start_emulator(mirrored)
    try:
        shown = sfbulk("describe", "Gadget__c", "--instance-url", url, "--access-token", token)
        source = tmp_path / "gadgets.csv"
        source.write_text("Sku__c,Name,Color__c\nG-1,Sprocket,Red\nG-2,Cog,Purple\n",
                          encoding="utf-8")
        loaded = sfbulk("upsert", "Gadget__c", source, "--external-id", "Sku__c",
                        "--no-progress", "--instance-url", url, "--access-token", token)
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=30)

    assert shown.returncode == 0, shown.stderr
    original = {f["name"] for f in json.loads(saved.read_text(encoding="utf-8"))["fields"]}
    shown_fields = {line.split()[0] for line in shown.stdout.splitlines()[1:]}
    assert shown_fields == original
    assert token not in shown.stdout + shown.stderr
    assert loaded.returncode == 1, loaded.stderr
    failed = pl.read_csv(tmp_path / "gadgets.failed.csv", infer_schema=False)
    assert failed["Sku__c"].to_list() == ["G-2"]
    assert failed["sf__Error"][0].startswith("INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST")
