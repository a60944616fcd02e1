"""``sfbulk_frames.aio``: the same pipeline and the same results as the sync functions,
awaited, with an AsyncClient (in-process and over a loopback server)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import pandas as pd
import polars as pl
import pytest

import sfbulk_frames as sfb
from sfbulk_frames import aio, testing
from sfbulk_frames.emulator import Emulator
from sfbulk_frames.testing import assert_partition

T = TypeVar("T")

ROWS = {
    "ExternalId__c": [f"x{i}" for i in range(30)],
    "LastName": [f"Name {i}" if i % 7 else None for i in range(30)],  # every 7th row fails
}


def frame(backend: str) -> Any:
    return pd.DataFrame(ROWS) if backend == "pandas" else pl.DataFrame(ROWS)


def comparable(part: Any) -> pl.DataFrame:
    """A part as polars, in row order."""
    part = pl.from_pandas(part.reset_index(drop=True)) if isinstance(part, pd.DataFrame) else part
    return part.sort("sf__Row")


@pytest.fixture
def emulator() -> Iterator[Emulator]:
    with Emulator(seed=3) as emu, testing.fast_polling():
        yield emu


def async_client(emu: Emulator) -> sfb.AsyncClient:
    return sfb.AsyncClient(emu.instance_url, emu.token, transport=emu.transport())


def test_upsert_awaited_gives_the_same_result_as_the_sync_function(backend):
    def upsert(function: Callable[..., T], client: Any) -> T:
        """The same call to the sync or the async function."""
        return function(
            frame(backend),
            "Contact",
            "ExternalId__c",
            client=client,
            max_records=8,
            max_concurrent_jobs=1,
            progress=False,
        )

    async def load(emu: Emulator) -> sfb.BulkResult[Any]:
        async with async_client(emu) as client:
            return await upsert(aio.upsert, client)

    with testing.fast_polling(), Emulator(seed=3) as one, Emulator(seed=3) as other:
        awaited = asyncio.run(load(one))
        with other.client() as client:
            synced = upsert(sfb.upsert, client)
    assert type(awaited.successful) is type(frame(backend))
    assert (
        awaited.counts()
        == synced.counts()
        == {
            "successful": 25,
            "failed": 5,
            "unprocessed": 0,
            "unmatched": 0,
        }
    )
    assert [job.id for job in awaited.jobs] == [job.id for job in synced.jobs]
    for part in ("successful", "failed", "unprocessed"):
        assert comparable(getattr(awaited, part)).equals(comparable(getattr(synced, part)))
    assert_partition(awaited, 30)


def test_insert_update_delete_and_query_awaited_on_one_event_loop(emulator, backend):
    async def scenario() -> tuple[Any, Any, int]:
        async with async_client(emulator) as client:
            inserted = await aio.insert(
                frame(backend).drop(columns=["ExternalId__c"])
                if backend == "pandas"
                else frame(backend).drop("ExternalId__c"),
                "Contact",
                client=client,
                progress=False,
            )
            ids = inserted.successful["sf__Id"]
            renamed = (
                pd.DataFrame({"Id": ids, "LastName": "Renamed"})
                if backend == "pandas"
                else pl.DataFrame({"Id": ids, "LastName": "Renamed"})
            )
            updated = await aio.update(renamed, "Contact", client=client, progress=False)
            queried = await aio.query(
                "SELECT Id, LastName FROM Contact",
                client=client,
                backend=backend,
                progress=False,
            )
            removed = await aio.delete(
                renamed[["Id"]] if backend == "pandas" else renamed.select("Id"),
                "Contact",
                client=client,
                progress=False,
            )
            return updated, queried, len(removed.successful)

    updated, queried, deleted = asyncio.run(scenario())
    assert updated.ok
    assert len(updated.successful) == 25
    assert isinstance(queried, pd.DataFrame if backend == "pandas" else pl.DataFrame)
    assert sorted(set(queried["LastName"].to_list())) == ["Renamed"]
    assert deleted == 25
    assert emulator.count("Contact") == 0


def test_resume_awaited_collects_the_jobs_of_an_earlier_load(emulator, backend):
    with emulator.client() as client:
        first = sfb.upsert(
            frame(backend),
            "Contact",
            "ExternalId__c",
            client=client,
            max_records=10,
            progress=False,
        )

    async def resume() -> sfb.BulkResult[Any]:
        async with async_client(emulator) as client:
            return await aio.resume(
                frame(backend), [job.id for job in first.jobs], client=client, progress=False
            )

    resumed = asyncio.run(resume())
    assert resumed.counts() == first.counts()
    assert_partition(resumed, 30)


def test_client_none_resolves_an_async_client_from_use_client(emulator):
    async def load() -> sfb.BulkResult[Any]:
        async with async_client(emulator) as client:
            with sfb.use_client(client):
                return await aio.insert(
                    pl.DataFrame({"LastName": ["a", "b"]}), "Contact", progress=False
                )

    assert asyncio.run(load()).ok
    assert emulator.count("Contact") == 2


def test_the_event_loop_keeps_running_while_a_load_is_awaited(emulator):
    ticks = 0

    async def ticker(done: asyncio.Event) -> None:
        nonlocal ticks
        while not done.is_set():
            ticks += 1
            await asyncio.sleep(0)

    async def main() -> bool:
        done = asyncio.Event()
        task = asyncio.create_task(ticker(done))
        async with async_client(emulator) as client:
            result = await aio.insert(
                pl.DataFrame({"LastName": ["a"] * 50}),
                "Contact",
                client=client,
                max_records=5,
                progress=False,
            )
        done.set()
        await task
        return result.ok

    assert asyncio.run(main())
    assert ticks > 0


@pytest.mark.server
def test_upsert_and_query_awaited_over_a_real_loopback_server(backend):
    with Emulator(seed=4) as emu, emu.serve(port=0) as server, testing.fast_polling():

        async def scenario() -> tuple[sfb.BulkResult[Any], Any]:
            async with sfb.AsyncClient(server.url, server.token) as client:
                result = await aio.upsert(
                    frame(backend),
                    "Contact",
                    "ExternalId__c",
                    client=client,
                    max_records=12,
                    progress=False,
                )
                back = await aio.query(
                    "SELECT ExternalId__c FROM Contact", client=client, progress=False
                )
                return result, back

        result, back = asyncio.run(scenario())
    assert result.counts()["successful"] == 25
    assert_partition(result, 30)
    assert back.height == 25


def test_sync_awaited_plans_then_sends_only_what_changed_with_an_async_client() -> None:
    org = pl.DataFrame({"ExternalId__c": ["s1", "s2", "s3"], "LastName": ["A", "B", "C"]})
    source = pl.DataFrame({"ExternalId__c": ["s1", "s2", "s4"], "LastName": ["A", "B2", "D"]})

    async def run(emu: Emulator) -> tuple[sfb.SyncPlan, sfb.SyncResult, sfb.SyncPlan]:
        async with async_client(emu) as client:
            await aio.upsert(org, "Contact", "ExternalId__c", client=client, progress=False)
            plan = await aio.sync(
                source, "Contact", "ExternalId__c", client=client, dry_run=True, progress=False
            )
            done = await aio.sync(source, "Contact", "ExternalId__c", client=client, progress=False)
            again = await aio.sync(
                source, "Contact", "ExternalId__c", client=client, dry_run=True, progress=False
            )
            return plan, done, again

    with Emulator(seed=5) as emu, testing.fast_polling():
        plan, done, again = asyncio.run(run(emu))
        names = dict(emu.sql('SELECT "ExternalId__c", "LastName" FROM "Contact"'))
    expected = {"create": 1, "update": 1, "unchanged": 1, "missing": 1}
    assert {k: plan.counts()[k] for k in expected} == expected
    assert done.ok
    assert done.counts()["successful"] == 2  # only s2 (changed) and s4 (new) were written
    assert names == {"s1": "A", "s2": "B2", "s3": "C", "s4": "D"}  # s3 kept: no delete_missing
    assert again.counts()["unchanged"] == 3
