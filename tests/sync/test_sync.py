"""sync() against the emulator, on pandas and polars: a 10,000-row nightly refresh with 5% of
the rows changed, 2% added and 1% removed (tests/sync/scenario.py)."""

from __future__ import annotations

from typing import Any

import polars as pl
import pytest

import sfbulk_frames as sfb
from sfbulk_frames import Client, SyncPlan, SyncResult, SyncScopeError
from sfbulk_frames.emulator import Emulator

from .conftest import as_backend, ingest_jobs, new_jobs, processed, to_pl
from .scenario import CHANGED_FIELDS, KEY, WHERE, Scenario, scenario

N = 10_000
LIVE_KEYS = 'SELECT ExternalId__c FROM "Contact" WHERE IsDeleted = 0'


@pytest.fixture(scope="module")
def refresh() -> Scenario:
    return scenario(N)


@pytest.fixture
def loaded(client: Client, refresh: Scenario) -> Scenario:
    res = sfb.upsert(refresh.loaded, "Contact", KEY, client=client, progress=False)
    assert res.ok
    return refresh


def _keys(frame: Any) -> list[str]:
    return sorted(k.upper() for k in to_pl(frame)[KEY].to_list())


def test_dry_run_reports_exactly_the_changed_added_and_removed_rows(
    client: Client, loaded: Scenario, backend: str
) -> None:
    before = ingest_jobs(client)
    plan = sfb.sync(as_backend(loaded.nightly, backend), "Contact", KEY, where=WHERE,
                    dry_run=True, progress=False)
    assert isinstance(plan, SyncPlan)
    assert plan.counts() == {"create": 200, "update": 500, "unchanged": 9_400, "missing": 100,
                             "conflicts": 0}
    assert _keys(plan.update) == sorted(loaded.changed)
    assert _keys(plan.create) == sorted(loaded.added)
    assert sorted(to_pl(plan.missing)[KEY].to_list()) == sorted(loaded.removed)
    assert new_jobs(client, before) == [], "a dry run creates no ingest job"


def test_dry_run_names_the_one_changed_field_of_each_row_with_old_and_new(
    client: Client, loaded: Scenario, backend: str
) -> None:
    plan = sfb.sync(as_backend(loaded.nightly, backend), "Contact", KEY, where=WHERE,
                    dry_run=True, progress=False)
    update = to_pl(plan.update)
    changed = update["sf__Changed"].to_list()
    got = {k.upper(): list(fields) for k, fields in zip(update[KEY], changed, strict=True)}
    assert got == {k: [field] for k, field in loaded.changed.items()}
    assert plan.changed_fields() == dict.fromkeys(CHANGED_FIELDS, 50)
    changes = to_pl(plan.changes)
    renamed = changes.filter(pl.col("field") == "LastName").row(0, named=True)
    assert renamed["new"] == renamed["old"] + "-renamed"
    moved = changes.filter(pl.col("field") == "LastContacted__c").row(0, named=True)
    assert moved["new"].endswith(":01.000Z")  # the source's value, in UTC
    assert moved["old"].endswith(":00.000Z")


def test_sync_sends_exactly_the_changed_and_new_rows(
    client: Client, emulator: Emulator, loaded: Scenario, backend: str
) -> None:
    before = ingest_jobs(client)
    res = sfb.sync(as_backend(loaded.nightly, backend), "Contact", KEY, where=WHERE,
                   progress=False)
    assert isinstance(res, SyncResult)
    jobs = new_jobs(client, before)
    assert len(jobs) == 2  # one upsert of the creates, one of the updates
    assert processed(jobs) == 700
    assert res.ok
    assert res.counts()["successful"] == 700
    assert emulator.count("Contact") == N + 200  # nothing deleted without delete_missing
    renamed = emulator.sql('SELECT COUNT(*) FROM "Contact" WHERE LastName LIKE \'%-renamed\'')
    assert renamed[0][0] == 50


def test_delete_missing_deletes_exactly_the_removed_records(
    client: Client, emulator: Emulator, loaded: Scenario, backend: str
) -> None:
    before = ingest_jobs(client)
    res = sfb.sync(as_backend(loaded.nightly, backend), "Contact", KEY, where=WHERE,
                   delete_missing=True, progress=False)
    jobs = new_jobs(client, before)
    assert processed(jobs, "delete") == 100
    assert processed(jobs) == 800
    assert res.counts()["deleted"] == 100
    assert emulator.count("Contact") == N + 200 - 100
    left = {row[0] for row in emulator.sql(LIVE_KEYS)}
    assert not left & set(loaded.removed)


def test_a_second_sync_of_the_same_frame_sends_nothing(
    client: Client, loaded: Scenario, backend: str
) -> None:
    frame = as_backend(loaded.nightly, backend)
    sfb.sync(frame, "Contact", KEY, where=WHERE, delete_missing=True, progress=False)
    before = ingest_jobs(client)
    again = sfb.sync(frame, "Contact", KEY, where=WHERE, delete_missing=True, progress=False)
    assert new_jobs(client, before) == []
    assert again.writes == {}
    assert again.plan.counts()["unchanged"] == loaded.nightly.height


def test_annotate_covers_every_source_row_and_marks_unchanged_rows_unsent(
    loaded: Scenario, backend: str
) -> None:
    frame = as_backend(loaded.nightly, backend)
    res = sfb.sync(frame, "Contact", KEY, where=WHERE, progress=False)
    annotated = res.annotate()
    assert type(annotated) is type(frame)
    table = to_pl(annotated)
    assert table[KEY].to_list() == loaded.nightly[KEY].to_list()
    statuses = dict(table.group_by("status").len().iter_rows())
    assert statuses == {"success": 700, "unchanged": 9_400}
    unchanged = table.filter(pl.col("status") == "unchanged")
    assert unchanged["sf__Id"].null_count() == 0
    assert set(unchanged["sf__Action"]) == {"unchanged"}


def test_send_changed_columns_groups_updates_by_their_changed_fields(
    client: Client, emulator: Emulator, loaded: Scenario, backend: str
) -> None:
    before = ingest_jobs(client)
    res = sfb.sync(as_backend(loaded.nightly, backend), "Contact", KEY, where=WHERE,
                   send_columns="changed", progress=False)
    assert sorted(res.writes) == sorted(["create", *(f"update[{f}]" for f in CHANGED_FIELDS)])
    jobs = new_jobs(client, before)
    assert len(jobs) == 1 + len(CHANGED_FIELDS)
    assert processed(jobs) == 700
    after = sfb.sync(as_backend(loaded.nightly, backend), "Contact", KEY, where=WHERE,
                     dry_run=True, progress=False)
    assert after.counts()["update"] == 0
    assert after.counts()["create"] == 0


def test_a_lazyframe_is_collected_and_planned_like_a_frame(loaded: Scenario) -> None:
    plan = loaded.nightly.lazy().sfbulk.sync("Contact", KEY, where=WHERE, dry_run=True,
                                             progress=False)
    assert plan.counts()["update"] == 500
    assert isinstance(plan.update, pl.DataFrame)


def test_delete_missing_without_where_is_refused_before_any_request(
    client: Client, loaded: Scenario
) -> None:
    queries = len(client.list_jobs("query"))
    with pytest.raises(SyncScopeError, match="confirm_delete_all"):
        sfb.sync(loaded.nightly, "Contact", KEY, delete_missing=True, progress=False)
    assert len(client.list_jobs("query")) == queries


def test_confirm_delete_all_scopes_the_delete_to_the_whole_object(
    client: Client, emulator: Emulator, loaded: Scenario
) -> None:
    res = sfb.sync(loaded.nightly, "Contact", KEY, delete_missing=True, confirm_delete_all=True,
                   progress=False)
    assert res.counts()["deleted"] == 100
    assert emulator.count("Contact") == N + 100


def test_where_limits_the_records_the_source_owns(client: Client, emulator: Emulator) -> None:
    mine = pl.DataFrame({KEY: ["M-1", "M-2"], "LastName": ["Mine", "Mine"]})
    theirs = pl.DataFrame({KEY: ["T-1"], "LastName": ["Theirs"]})
    sfb.upsert(pl.concat([mine, theirs]), "Contact", KEY, progress=False)
    res = sfb.sync(mine.head(1), "Contact", KEY, where="ExternalId__c LIKE 'M-%'",
                   delete_missing=True, progress=False)
    assert res.plan.counts()["missing"] == 1
    left = sorted(row[0] for row in emulator.sql(LIVE_KEYS))
    assert left == ["M-1", "T-1"]
