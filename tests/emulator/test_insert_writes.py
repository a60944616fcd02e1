"""Inserts: unique values refused row by row (also when SQLite's UNIQUE index checks them),
multi-row INSERTs keeping every value and the upload order, idLookup indexes, multi-batch jobs."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import httpx

from sfbulk_frames.emulator import Emulator
from sfbulk_frames.emulator.ingest.run import BATCH_SIZE


def _index_names(emu: Emulator) -> set[str]:
    return {
        r[0]
        for r in emu.sql(
            "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'Contact'"
        )
    }


def test_a_clash_with_the_org_is_refused_per_row_and_the_rest_is_inserted(api: Any) -> None:
    first = api.ingest("Contact", "insert", "LastName,ExternalId__c\nA,K-1\nB,k-2\n")
    holder = {r["LastName"]: r["sf__Id"] for r in first.successful}
    rows = "".join(f"N{i},X-{i}\n" for i in range(300))
    outcome = api.ingest("Contact", "insert", f"LastName,ExternalId__c\nC,k-1\n{rows}D,K-2\n")
    errors = {r["LastName"]: r["sf__Error"] for r in outcome.failed}
    assert errors == {
        "C": "DUPLICATE_VALUE:duplicate value found: ExternalId__c duplicates value on record "
        f"with id: {holder['A']}:ExternalId__c --",
        "D": "DUPLICATE_VALUE:duplicate value found: ExternalId__c duplicates value on record "
        f"with id: {holder['B']}:ExternalId__c --",
    }
    assert len(outcome.successful) == 300
    assert api.emu.count("Contact") == 302


def test_a_soft_deleted_records_unique_value_can_be_used_again(api: Any) -> None:
    first = api.ingest("Contact", "insert", "LastName,ExternalId__c\nA,R-1\n")
    api.ingest("Contact", "delete", f"Id\n{first.successful[0]['sf__Id']}\n")
    again = api.ingest("Contact", "insert", "LastName,ExternalId__c\nB,r-1\n")
    assert [r["LastName"] for r in again.successful] == ["B"]
    clash = api.ingest("Contact", "insert", "LastName,ExternalId__c\nC,R-1\n")
    assert clash.failed[0]["sf__Error"].startswith("DUPLICATE_VALUE:")


def test_multi_row_inserts_keep_every_value_in_upload_order(api: Any) -> None:
    count = 257  # not a multiple of the rows per INSERT statement
    lines = "".join(f"F{i},L{i},{i}.25,{'true' if i % 2 else 'false'},E{i}\n" for i in range(count))
    outcome = api.ingest(
        "Contact",
        "insert",
        "FirstName,LastName,Score__c,HasOptedOutOfEmail,ExternalId__c\n" + lines,
    )
    assert outcome.info["numberRecordsProcessed"] == count
    stored = api.emu.sql(
        'SELECT FirstName, LastName, Name, Score__c, HasOptedOutOfEmail, ExternalId__c '
        'FROM "Contact" ORDER BY rowid'
    )
    assert stored == [
        (f"F{i}", f"L{i}", f"F{i} L{i}", i + 0.25, i % 2, f"E{i}") for i in range(count)
    ]
    by_id = {r["sf__Id"]: r["LastName"] for r in outcome.successful}
    ids = [r[0] for r in api.emu.sql('SELECT Id FROM "Contact" ORDER BY rowid')]
    assert [by_id[i] for i in ids] == [f"L{i}" for i in range(count)]


def test_an_idlookup_field_is_indexed_when_first_used_to_resolve_a_relationship(
    api: Any,
) -> None:
    api.ingest("Contact", "insert", "LastName,Email\nBoss,boss@example.com\n")
    assert "ix_Contact_Email_ci" not in _index_names(api.emu)
    outcome = api.ingest(
        "Contact", "insert", "LastName,ReportsTo.Email\nWorker,BOSS@example.com\n"
    )
    assert outcome.failed == []
    assert "ix_Contact_Email_ci" in _index_names(api.emu)
    boss = api.emu.sql("SELECT Id FROM \"Contact\" WHERE LastName = 'Boss'")[0][0]
    worker = api.emu.sql("SELECT ReportsToId FROM \"Contact\" WHERE LastName = 'Worker'")
    assert worker == [(boss,)]


def test_a_file_org_holding_duplicates_keeps_checking_unique_values_itself(
    tmp_path: Path, api_factory: Any
) -> None:
    db = str(tmp_path / "org.db")
    Emulator(db=db, seed=1).close()
    conn = sqlite3.connect(db)  # an org file written before unique values were enforced
    conn.execute('DROP INDEX "ux_Contact_ExternalId__c"')
    conn.executemany(
        'INSERT INTO "Contact" (Id, LastName, ExternalId__c) VALUES (?, ?, ?)',
        [("003R00000000001AAA", "Old1", "D-1"), ("003R00000000002AAA", "Old2", "d-1")],
    )
    conn.commit()
    conn.close()
    with (
        Emulator(db=db, seed=1) as emu,
        httpx.Client(
            transport=emu.transport(),
            base_url=emu.instance_url,
            headers={"Authorization": f"Bearer {emu.token}"},
        ) as http,
    ):
        contact = emu.org.schema.get("Contact")
        assert contact is not None
        field = contact.field("ExternalId__c")
        assert field is not None
        assert not emu.org.enforces_unique(contact, field)
        outcome = api_factory(http, emu).ingest(
            "Contact", "insert", "LastName,ExternalId__c\nNew,D-1\nOther,D-2\n"
        )
    assert [r["LastName"] for r in outcome.successful] == ["Other"]
    assert outcome.failed[0]["sf__Error"].startswith("DUPLICATE_VALUE:")


def test_a_multi_batch_insert_keeps_every_row_and_reports_each_error(api: Any) -> None:
    rows = BATCH_SIZE * 2 + 7
    lines = ["LastName,Email,Score__c,ExternalId__c"]
    for i in range(rows):
        email = "broken" if i % 5000 == 1 else f"u{i}@example.com"
        lines.append(f"L{i},{email},{i / 4},E-{i}")
    outcome = api.ingest("Contact", "insert", "\n".join(lines) + "\n")
    bad = sum(1 for i in range(rows) if i % 5000 == 1)
    assert outcome.info["numberRecordsProcessed"] == rows
    assert outcome.info["numberRecordsFailed"] == bad
    assert len(outcome.successful) == rows - bad
    assert {r["LastName"] for r in outcome.failed} == {f"L{i}" for i in range(1, rows, 5000)}
    assert api.emu.count("Contact") == rows - bad
    sample = next(r for r in outcome.successful if r["LastName"] == "L6")
    assert sample["Score__c"] == "1.5"
    assert sample["ExternalId__c"] == "E-6"
