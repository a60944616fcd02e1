"""Unmodified simple-salesforce (``bulk2``) against a real ``Emulator().serve(tls=True)``.

simple-salesforce builds every URL as ``https://{instance}/...``, so the server runs with TLS
and the client's ``requests`` session trusts the generated certificate. Results are parsed
with a real CSV parser (values contain commas, quotes, newlines and non-ASCII text) and the
org's state is checked through the emulator itself.
"""

from __future__ import annotations

import csv
import io
import ssl
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import requests
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import SalesforceOperationError

from sfbulk_frames.emulator import Emulator

pytestmark = pytest.mark.server

TRICKY = [
    ("Tricky-1", "O'Brien, Jr.", 'He said "hello", then left'),
    ("Tricky-2", "Ångström", "Line one\nLine two, with comma"),
    ("Tricky-3", "Müller-Lüdenscheidt", 'Zoë — 日本語 "quoted"\r\nand CRLF'),
    ("Tricky-4", "Plain", ""),
]


@pytest.fixture(scope="module")
def emulator() -> Iterator[Emulator]:
    with Emulator(seed=11, processing="instant") as emu:
        yield emu


@pytest.fixture(scope="module")
def server(emulator: Emulator) -> Iterator[Any]:
    with emulator.serve(port=0, tls=True) as running:
        yield running


@pytest.fixture(scope="module")
def sf(server: Any) -> Salesforce:
    session = requests.Session()
    session.verify = server.cert_path
    session.trust_env = False  # neither REQUESTS_CA_BUNDLE nor proxies may interfere
    return Salesforce(instance_url=server.url, session_id=server.token, session=session,
                      version="62.0")


def rows(text: str) -> list[dict[str, str]]:
    """Parse a query result page (simple-salesforce decodes those bytes as UTF-8)."""
    return list(csv.DictReader(io.StringIO(text, newline="")))


def result_rows(text: str) -> list[dict[str, str]]:
    """Parse an ingest result CSV that simple-salesforce returned as ``str``.

    Salesforce answers ``Content-Type: text/csv`` without a charset, so simple-salesforce's
    ``response.text`` decodes the UTF-8 bytes as ISO-8859-1 — a known client bug
    (simple-salesforce issue #706) that the emulator reproduces faithfully. Undo it here.
    """
    return rows(text.encode("latin-1").decode("utf-8"))


def contacts(prefix: str) -> list[dict[str, str]]:
    return [
        {"ExternalId__c": f"{prefix}{key}", "LastName": last, "Description": description,
         "FirstName": "Ünïcødé"}
        for key, last, description in TRICKY
    ]


def stored(emulator: Emulator, prefix: str) -> dict[str, tuple[Any, ...]]:
    found = emulator.sql(
        'SELECT ExternalId__c, LastName, Description, FirstName, Id FROM "Contact" '
        "WHERE ExternalId__c LIKE ? AND IsDeleted = 0",
        (f"{prefix}%",),
    )
    return {row[0]: tuple(row[1:]) for row in found}


def test_insert_stores_tricky_values_exactly_and_reports_successes(
    sf: Salesforce, emulator: Emulator
) -> None:
    outcome = sf.bulk2.Contact.insert(records=contacts("ins-"), wait=0)
    assert [(r["numberRecordsProcessed"], r["numberRecordsFailed"]) for r in outcome] == [(4, 0)]
    successes = result_rows(sf.bulk2.Contact.get_successful_records(outcome[0]["job_id"]))
    assert sorted(r["ExternalId__c"] for r in successes) == [f"ins-{k}" for k, *_ in TRICKY]
    assert {r["sf__Created"] for r in successes} == {"true"}
    org = stored(emulator, "ins-")
    for key, last, description in TRICKY:
        assert org[f"ins-{key}"][:3] == (last, description or None, "Ünïcødé")
    by_key = {r["ExternalId__c"]: r for r in successes}
    for key, last, description in TRICKY:
        echoed = by_key[f"ins-{key}"]
        assert (echoed["LastName"], echoed["Description"]) == (last, description)
        assert echoed["sf__Id"] == org[f"ins-{key}"][3]


def test_failed_rows_are_reported_with_salesforce_error_codes(
    sf: Salesforce, emulator: Emulator
) -> None:
    records = [{"ExternalId__c": "fail-ok", "LastName": "Fine, Really"},
               {"ExternalId__c": "fail-bad", "LastName": ""}]
    outcome = sf.bulk2.Contact.insert(records=records, wait=0)
    assert outcome[0]["numberRecordsFailed"] == 1
    failed = result_rows(sf.bulk2.Contact.get_failed_records(outcome[0]["job_id"]))
    assert [r["ExternalId__c"] for r in failed] == ["fail-bad"]
    assert failed[0]["sf__Error"].startswith("REQUIRED_FIELD_MISSING:")
    assert failed[0]["sf__Id"] == ""
    assert list(stored(emulator, "fail-")) == ["fail-ok"]


def test_upsert_by_external_id_updates_existing_and_creates_new(
    sf: Salesforce, emulator: Emulator
) -> None:
    sf.bulk2.Contact.insert(records=contacts("ups-")[:2], wait=0)
    before = stored(emulator, "ups-")
    changed = [{"ExternalId__c": "ups-Tricky-1", "LastName": "Renamed, \"again\"",
                "Description": "multi\nline ✓"},
               {"ExternalId__c": "ups-new", "LastName": "Nouveau"}]
    outcome = sf.bulk2.Contact.upsert(records=changed, external_id_field="ExternalId__c", wait=0)
    results = {r["ExternalId__c"]: r for r in
               result_rows(sf.bulk2.Contact.get_successful_records(outcome[0]["job_id"]))}
    assert results["ups-Tricky-1"]["sf__Created"] == "false"
    assert results["ups-new"]["sf__Created"] == "true"
    after = stored(emulator, "ups-")
    assert after["ups-Tricky-1"][:2] == ('Renamed, "again"', "multi\nline ✓")
    assert after["ups-Tricky-1"][3] == before["ups-Tricky-1"][3]  # same record, same Id
    assert after["ups-Tricky-2"] == before["ups-Tricky-2"]
    assert len(after) == 3


def test_update_by_id_changes_only_the_sent_fields(sf: Salesforce, emulator: Emulator) -> None:
    sf.bulk2.Contact.insert(records=contacts("upd-"), wait=0)
    org = stored(emulator, "upd-")
    target = org["upd-Tricky-2"][3]
    outcome = sf.bulk2.Contact.update(
        records=[{"Id": target, "Description": "new, \"quoted\"\nvalue — ß"}], wait=0)
    assert outcome[0]["numberRecordsFailed"] == 0
    after = stored(emulator, "upd-")
    assert after["upd-Tricky-2"][:3] == ("Ångström", "new, \"quoted\"\nvalue — ß", "Ünïcødé")
    assert after["upd-Tricky-1"] == org["upd-Tricky-1"]


def test_update_of_a_malformed_id_fails_that_row(sf: Salesforce) -> None:
    outcome = sf.bulk2.Contact.update(records=[{"Id": "not-an-id", "LastName": "X"}], wait=0)
    failed = result_rows(sf.bulk2.Contact.get_failed_records(outcome[0]["job_id"]))
    assert failed[0]["sf__Error"].startswith("MALFORMED_ID:")


def test_delete_by_id_removes_records_from_the_org(sf: Salesforce, emulator: Emulator) -> None:
    sf.bulk2.Contact.insert(records=contacts("del-"), wait=0)
    ids = [values[3] for values in stored(emulator, "del-").values()]
    outcome = sf.bulk2.Contact.delete(records=[{"Id": i} for i in ids[:3]], wait=0)
    assert outcome[0]["numberRecordsProcessed"] == 3
    deleted = result_rows(sf.bulk2.Contact.get_successful_records(outcome[0]["job_id"]))
    assert sorted(r["sf__Id"] for r in deleted) == sorted(ids[:3])
    assert [v[3] for v in stored(emulator, "del-").values()] == ids[3:]


def test_job_level_failure_leaves_every_row_unprocessed(
    sf: Salesforce, server: Any
) -> None:
    records = [{"LastName": "A", "NoSuchField__c": "x"},
               {"LastName": "B, c", "NoSuchField__c": "y"}]
    with pytest.raises(SalesforceOperationError, match="Field name not found : NoSuchField__c"):
        sf.bulk2.Contact.insert(records=records, wait=0)
    job_id = failed_job_id(server)
    unprocessed = result_rows(sf.bulk2.Contact.get_unprocessed_records(job_id))
    assert [(r["LastName"], r["NoSuchField__c"]) for r in unprocessed] == [
        ("A", "x"), ("B, c", "y")]
    assert result_rows(sf.bulk2.Contact.get_successful_records(job_id)) == []


def failed_job_id(server: Any) -> str:
    response = httpx.get(f"{server.url}/services/data/v62.0/jobs/ingest",
                         headers={"Authorization": f"Bearer {server.token}"},
                         verify=ssl.create_default_context(cafile=server.cert_path))
    failed = [j["id"] for j in response.json()["records"] if j["state"] == "Failed"]
    assert len(failed) == 1
    return str(failed[0])


def test_query_reads_every_page_of_a_multi_page_result(sf: Salesforce, emulator: Emulator) -> None:
    records = [{"ExternalId__c": f"qry-{i:03d}", "LastName": f"Query, \"{i}\"\nü"}
               for i in range(23)]
    sf.bulk2.Contact.insert(records=records, wait=0)
    pages = list(sf.bulk2.Contact.query(
        "SELECT Id, ExternalId__c, LastName FROM Contact WHERE ExternalId__c LIKE 'qry-%'",
        max_records=10, wait=0))
    assert len(pages) == 3
    got = [row for page in pages for row in rows(page)]
    assert sorted((r["ExternalId__c"], r["LastName"]) for r in got) == sorted(
        (r["ExternalId__c"], r["LastName"]) for r in records)
    assert {r["Id"] for r in got} == {v[3] for v in stored(emulator, "qry-").values()}


def test_query_all_also_returns_deleted_records(sf: Salesforce, emulator: Emulator) -> None:
    sf.bulk2.Contact.insert(records=contacts("qall-"), wait=0)
    victim = stored(emulator, "qall-")["qall-Tricky-1"][3]
    sf.bulk2.Contact.delete(records=[{"Id": victim}], wait=0)
    soql = "SELECT Id, IsDeleted FROM Contact WHERE ExternalId__c LIKE 'qall-%'"
    live = [r for page in sf.bulk2.Contact.query(soql, wait=0) for r in rows(page)]
    every = [r for page in sf.bulk2.Contact.query_all(soql, max_records=2, wait=0)
             for r in rows(page)]
    assert victim not in {r["Id"] for r in live}
    assert len(every) == len(live) + 1
    assert {r["Id"]: r["IsDeleted"] for r in every}[victim] == "true"


def test_expired_session_is_reported_as_expired_by_simple_salesforce(
    emulator: Emulator, server: Any
) -> None:
    from simple_salesforce.exceptions import SalesforceExpiredSession

    session = requests.Session()
    session.verify = server.cert_path
    session.trust_env = False
    token = emulator.auth.issue_token()
    client = Salesforce(instance_url=server.url, session_id=token, session=session,
                        version="62.0")
    emulator.auth.revoke(token)
    with pytest.raises(SalesforceExpiredSession):
        client.bulk2.Contact.insert(records=[{"LastName": "x"}], wait=0)
