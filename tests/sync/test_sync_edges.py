"""sync() against the emulator: look-alike values, conflicts, the Id key, errors."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path

import polars as pl
import pytest

import sfbulk_frames as sfb
from sfbulk_frames import Client, ConfigurationError, FrameError, testing
from sfbulk_frames.emulator import Emulator, FieldDef, ObjectDef

from .conftest import as_backend, ingest_jobs, new_jobs, processed, to_pl

KOLKATA = dt.timezone(dt.timedelta(hours=5, minutes=30))


def test_values_that_only_look_different_are_unchanged(client: Client, backend: str) -> None:
    stored = pl.DataFrame({
        "ExternalId__c": ["L-1", "L-2"],
        "LastName": ["Lee", "Kim"],
        "Title": [None, "CTO"],
        "NumberOfChildren__c": [1, 2],
        "Score__c": [1.5, 2.0],
        "LastContacted__c": [dt.datetime(2024, 3, 1, 8, 0, 0, 250000, tzinfo=dt.UTC)] * 2,
    })
    sfb.upsert(stored, "Contact", "ExternalId__c", progress=False)
    look_alike = pl.DataFrame({
        "ExternalId__c": ["l-1", "L-2"],                    # the external ID ignores case
        "LastName": ["Lee  ", " Kim"],                      # Salesforce trims text
        "Title": ["", "CTO"],                               # "" is stored as null
        "NumberOfChildren__c": [1.0, 2.0],                  # 1.0 for 1
        "Score__c": [1.5, 2],
        "LastContacted__c": [dt.datetime(2024, 3, 1, 13, 30, 0, 250000, tzinfo=KOLKATA)] * 2,
    })
    before = ingest_jobs(client)
    res = sfb.sync(as_backend(look_alike, backend), "Contact", "ExternalId__c",
                   where="ExternalId__c LIKE 'L-%'", progress=False)
    assert res.plan.counts()["unchanged"] == 2
    assert res.writes == {}
    assert new_jobs(client, before) == []


def test_sync_by_id_inserts_rows_without_an_id_and_updates_the_changed_ones(
    client: Client, emulator: Emulator, backend: str
) -> None:
    first = sfb.insert(pl.DataFrame({"Name": ["Acme", "Globex"]}), "Account", progress=False)
    ids = to_pl(first.successful)["sf__Id"].to_list()
    source = pl.DataFrame({"Id": [*ids, None], "Name": ["Acme", "Globex Corp", "Initech"]})
    before = ingest_jobs(client)
    res = sfb.sync(as_backend(source, backend), "Account", "Id", progress=False)
    jobs = new_jobs(client, before)
    assert sorted(str(job.operation) for job in jobs) == ["insert", "update"]
    assert processed(jobs) == 2
    assert res.plan.counts()["unchanged"] == 1
    names = sorted(row[0] for row in emulator.sql('SELECT Name FROM "Account"'))
    assert names == ["Acme", "Globex Corp", "Initech"]


@pytest.fixture
def legacy_org(tmp_path: Path) -> Iterator[Emulator]:
    """An org whose Legacy__c.Code__c is an External ID that is *not* unique."""
    legacy = ObjectDef(name="Legacy__c", key_prefix="a0L", custom=True, fields={
        f.name.lower(): f for f in (
            FieldDef("Id", "id", nillable=False, createable=False, updateable=False),
            FieldDef("Name", "string", length=80),
            FieldDef("Code__c", "string", length=20, external_id=True),
        )
    })
    schema = tmp_path / "legacy.json"
    schema.write_text(json.dumps(legacy.describe()), encoding="utf-8")
    with Emulator(schema_files=[schema], seed=3) as emu, testing.fast_polling():
        yield emu


def test_conflicts_are_reported_and_never_sent(legacy_org: Emulator, backend: str) -> None:
    client = legacy_org.client()
    seed = pl.DataFrame({"Code__c": ["A", "a", "B", None], "Name": ["x", "y", "b", "orphan"]})
    assert sfb.insert(seed, "Legacy__c", client=client, progress=False).ok
    source = pl.DataFrame({
        "Code__c": ["A", "B", "B", None, "C"],
        "Name": ["new", "b1", "b2", "nokey", "c"],
    })
    before = ingest_jobs(client)
    res = sfb.sync(as_backend(source, backend), "Legacy__c", "Code__c", client=client,
                   where="Name != null", delete_missing=True, progress=False)
    conflicts = to_pl(res.plan.conflicts)
    by_row = dict(conflicts.filter(pl.col("sf__Row").is_not_null())
                  .select("sf__Row", "reason").iter_rows())
    assert by_row == {0: "duplicate_org_key", 1: "duplicate_source_key",
                      2: "duplicate_source_key", 3: "missing_key"}
    org_side = conflicts.filter(pl.col("sf__Row").is_null())["reason"].to_list()
    assert sorted(org_side) == ["duplicate_org_key", "duplicate_org_key",
                                "org_record_without_key"]
    jobs = new_jobs(client, before)
    assert processed(jobs) == 1  # only "C" is created; nothing is deleted
    assert res.plan.counts()["missing"] == 0
    statuses = to_pl(res.annotate())["status"].to_list()
    assert statuses == ["conflict", "conflict", "conflict", "conflict", "success"]
    assert not res.ok


def test_an_unknown_compare_column_is_a_configuration_error(client: Client) -> None:
    frame = pl.DataFrame({"ExternalId__c": ["a"], "Nope__c": ["x"]})
    with pytest.raises(ConfigurationError, match="Nope__c"):
        sfb.sync(frame, "Contact", "ExternalId__c", dry_run=True, progress=False)


def test_a_key_that_is_no_external_id_is_refused(client: Client) -> None:
    frame = pl.DataFrame({"LastName": ["a"], "Title": ["x"]})
    with pytest.raises(ConfigurationError, match="not an External ID"):
        sfb.sync(frame, "Contact", "LastName", dry_run=True, progress=False)


def test_a_key_missing_from_the_frame_is_a_frame_error(client: Client) -> None:
    with pytest.raises(FrameError, match="ExternalId__c"):
        sfb.sync(pl.DataFrame({"LastName": ["a"]}), "Contact", "ExternalId__c", dry_run=True,
                 progress=False)


def test_a_parent_external_id_column_is_compared_through_the_relationship(
    client: Client, emulator: Emulator, backend: str
) -> None:
    accounts = pl.DataFrame({"ExternalId__c": ["A-1", "A-2"], "Name": ["One", "Two"]})
    assert sfb.upsert(accounts, "Account", "ExternalId__c", progress=False).ok
    people = pl.DataFrame({"ExternalId__c": ["P-1", "P-2"], "LastName": ["Lee", "Kim"],
                           "Account.ExternalId__c": ["A-1", "A-1"]})
    assert sfb.upsert(people, "Contact", "ExternalId__c", progress=False).ok
    moved = people.with_columns(pl.Series("Account.ExternalId__c", ["a-1", "A-2"]))
    res = sfb.sync(as_backend(moved, backend), "Contact", "ExternalId__c",
                   where="ExternalId__c LIKE 'P-%'", progress=False)
    changes = to_pl(res.plan.changes)
    assert changes.select("key", "field", "old", "new").rows() == [
        ("P-2", "Account.ExternalId__c", "A-1", "A-2")]
    parents = emulator.sql('SELECT c.ExternalId__c, a.ExternalId__c FROM "Contact" c '
                           'JOIN "Account" a ON a.Id = c.AccountId ORDER BY 1')
    assert parents == [("P-1", "A-1"), ("P-2", "A-2")]


def test_a_null_clears_a_changed_field_and_a_null_checkbox_is_sent_as_false(
    client: Client, emulator: Emulator, backend: str
) -> None:
    stored = pl.DataFrame({"ExternalId__c": ["B-1", "B-2"], "LastName": ["Lee", "Kim"],
                           "Title": ["CTO", "CFO"], "HasOptedOutOfEmail": [True, True]})
    assert sfb.upsert(stored, "Contact", "ExternalId__c", progress=False).ok
    source = stored.with_columns(pl.Series("Title", [None, "CFO"], dtype=pl.String),
                                 pl.Series("HasOptedOutOfEmail", [True, None], dtype=pl.Boolean))
    res = sfb.sync(as_backend(source, backend), "Contact", "ExternalId__c",
                   where="ExternalId__c LIKE 'B-%'", progress=False)
    assert res.ok, res.writes["update"].failed
    rows = emulator.sql('SELECT ExternalId__c, Title, HasOptedOutOfEmail FROM "Contact" '
                        "ORDER BY ExternalId__c")
    assert rows == [("B-1", None, 1), ("B-2", "CFO", 0)]
    again = sfb.sync(as_backend(source, backend), "Contact", "ExternalId__c",
                     where="ExternalId__c LIKE 'B-%'", dry_run=True, progress=False)
    assert again.counts()["unchanged"] == 2


def test_delete_missing_with_an_empty_frame_is_refused_unless_confirmed(
    client: Client, emulator: Emulator
) -> None:
    assert sfb.upsert(pl.DataFrame({"ExternalId__c": ["E-1"], "LastName": ["Lee"]}), "Contact",
                      "ExternalId__c", progress=False).ok
    empty = pl.DataFrame(schema={"ExternalId__c": pl.String, "LastName": pl.String})
    before = ingest_jobs(client)
    with pytest.raises(sfb.SyncScopeError, match="no rows"):
        sfb.sync(empty, "Contact", "ExternalId__c", where="ExternalId__c LIKE 'E-%'",
                 delete_missing=True, progress=False)
    assert new_jobs(client, before) == []
    res = sfb.sync(empty, "Contact", "ExternalId__c", where="ExternalId__c LIKE 'E-%'",
                   delete_missing=True, confirm_delete_all=True, progress=False)
    assert res.counts()["deleted"] == 1
    assert emulator.count("Contact") == 0


def test_pandas_plan_frames_keep_the_input_index_labels(client: Client) -> None:
    import pandas as pd

    assert sfb.upsert(pl.DataFrame({"ExternalId__c": ["X-1", "X-2"], "LastName": ["a", "b"]}),
                      "Contact", "ExternalId__c", progress=False).ok
    df = pd.DataFrame({"ExternalId__c": ["X-1", "X-2", "X-3"], "LastName": ["a", "B", "c"]},
                      index=["first", "second", "third"])
    plan = df.sfbulk.sync("Contact", "ExternalId__c", where="ExternalId__c LIKE 'X-%'",
                          dry_run=True, progress=False)
    assert list(plan.update.index) == ["second"]
    assert list(plan.create.index) == ["third"]
    assert list(plan.unchanged.index) == ["first"]
    res = df.sfbulk.sync("Contact", "ExternalId__c", where="ExternalId__c LIKE 'X-%'",
                         progress=False)
    assert list(res.annotate().index) == ["first", "second", "third"]
    assert list(res.writes["update"].successful.index) == ["second"]
