"""End-to-end loads and queries of standard objects (Account, Contact), run against the
emulator and, with ``pytest -m live``, against a real org (see ``conftest.py``). Every record
is tagged with the run id and removed afterwards."""

from __future__ import annotations

import polars as pl

import sfbulk_frames as sfb

from .conftest import Org


def _accounts(org: Org, count: int) -> sfb.BulkResult:
    frame = pl.DataFrame(
        {
            "Name": [org.tag(f"Account {i}") for i in range(count)],
            "NumberOfEmployees": list(range(1, count + 1)),
            "Description": [org.run_id] * count,
        }
    )
    result = sfb.insert(frame, "Account", client=org.client, progress=False)
    assert result.ok, result.summary()
    return result


def test_insert_then_query_back(org: Org) -> None:
    _accounts(org, 3)
    found = sfb.query(
        f"SELECT Name, NumberOfEmployees FROM Account WHERE Name LIKE '{org.run_id}%' "
        "ORDER BY Name",
        client=org.client,
        progress=False,
    )
    assert found["Name"].to_list() == [org.tag(f"Account {i}") for i in range(3)]
    assert found["NumberOfEmployees"].to_list() == [1, 2, 3]


def test_update_and_upsert_by_id(org: Org) -> None:
    ids = _accounts(org, 2).successful["sf__Id"].to_list()
    changed = pl.DataFrame({"Id": ids, "NumberOfEmployees": [100, 200]})
    assert sfb.update(changed, "Account", client=org.client, progress=False).ok
    contacts = pl.DataFrame(
        {"LastName": [org.tag("Lee"), org.tag("Wong")], "AccountId": [ids[0], ids[1]]}
    )
    inserted = sfb.insert(contacts, "Contact", client=org.client, progress=False)
    assert inserted.ok, inserted.summary()
    first = inserted.successful.filter(pl.col("LastName") == org.tag("Lee"))["sf__Id"][0]
    mixed = pl.DataFrame(
        {"Id": [first, None], "LastName": [org.tag("Lee-Renamed"), org.tag("New")]}
    )
    upserted = sfb.upsert(mixed, "Contact", "Id", client=org.client, progress=False)
    assert upserted.ok, upserted.summary()
    assert sorted(upserted.successful["sf__Created"].to_list()) == [False, True]
    found = sfb.query(
        f"SELECT LastName, Account.NumberOfEmployees FROM Contact "
        f"WHERE LastName LIKE '{org.run_id}%' ORDER BY LastName",
        client=org.client,
        progress=False,
    )
    assert found["LastName"].to_list() == [
        org.tag("Lee-Renamed"),
        org.tag("New"),
        org.tag("Wong"),
    ]
    assert found["Account.NumberOfEmployees"].to_list() == [100, None, 200]


def test_a_row_missing_a_required_field_fails_alone(org: Org) -> None:
    frame = pl.DataFrame({"LastName": [org.tag("Kept"), None], "FirstName": ["Ann", "Bo"]})
    result = sfb.insert(frame, "Contact", client=org.client, progress=False)
    assert result.counts()["successful"] == 1
    assert result.failed["sf__Error"][0].startswith("REQUIRED_FIELD_MISSING")
    assert org.tagged_ids("Contact", "LastName") == result.successful["sf__Id"].to_list()


def test_delete_moves_records_to_the_recycle_bin(org: Org) -> None:
    ids = _accounts(org, 2).successful["sf__Id"].to_list()
    deleted = sfb.delete(
        pl.DataFrame({"Id": ids[:1]}), "Account", client=org.client, progress=False
    )
    assert deleted.ok, deleted.summary()
    assert org.tagged_ids("Account", "Name") == ids[1:]
    everything = sfb.query(
        f"SELECT Id, IsDeleted FROM Account WHERE Name LIKE '{org.run_id}%' ORDER BY Id",
        client=org.client,
        include_deleted=True,
        progress=False,
    )
    assert dict(zip(everything["Id"], everything["IsDeleted"], strict=True)) == {
        ids[0]: True,
        ids[1]: False,
    }
