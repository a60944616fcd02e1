"""External IDs match case-insensitively: upsert keys, duplicate keys, relationship columns
and unique clashes on insert."""

from __future__ import annotations

from typing import Any

Api = Any  # the ``api`` helper of conftest.py (a fixture, not importable)


# -- external IDs match case-insensitively ----------------------------------------------------
def test_upsert_matches_external_ids_ignoring_case(api: Api) -> None:
    first = api.ingest("Contact", "insert", "LastName,ExternalId__c\nLee,Ext-Abc\n")
    (created,) = first.successful
    second = api.ingest(
        "Contact",
        "upsert",
        "LastName,ExternalId__c\nLee-Updated,eXT-aBC\n",
        externalIdFieldName="ExternalId__c",
    )
    (updated,) = second.successful
    assert updated["sf__Created"] == "false"
    assert updated["sf__Id"] == created["sf__Id"]
    assert api.emu.count("Contact") == 1
    assert api.emu.sql('SELECT LastName FROM "Contact"') == [("Lee-Updated",)]


def test_upsert_rows_whose_keys_differ_only_in_case_are_duplicates(api: Api) -> None:
    outcome = api.ingest(
        "Contact",
        "upsert",
        "LastName,ExternalId__c\nA,k-1\nB,K-1\nC,k-2\n",
        externalIdFieldName="ExternalId__c",
    )
    assert [r["LastName"] for r in outcome.successful] == ["C"]
    assert sorted(r["LastName"] for r in outcome.failed) == ["A", "B"]
    assert all(r["sf__Error"].startswith("DUPLICATE_EXTERNAL_ID") for r in outcome.failed)


def test_relationship_column_resolves_external_ids_ignoring_case(api: Api) -> None:
    account = api.ingest("Account", "insert", "Name,ExternalId__c\nAcme,ACC-One\n")
    (acme,) = account.successful
    outcome = api.ingest(
        "Contact", "insert", "LastName,Account.ExternalId__c\nLee,acc-one\nWong,acc-two\n"
    )
    (linked,) = outcome.successful
    assert linked["LastName"] == "Lee"
    (missing,) = outcome.failed
    assert "acc-two" in missing["sf__Error"]
    assert api.emu.sql('SELECT AccountId FROM "Contact" WHERE LastName = ?', ["Lee"]) == [
        (acme["sf__Id"],)
    ]


def test_unique_external_id_clash_ignores_case_on_insert(api: Api) -> None:
    api.ingest("Contact", "insert", "LastName,ExternalId__c\nLee,Z-9\n")
    outcome = api.ingest("Contact", "insert", "LastName,ExternalId__c\nWong,z-9\n")
    (failed,) = outcome.failed
    assert failed["sf__Error"].startswith("DUPLICATE_VALUE")
    assert api.emu.count("Contact") == 1
