"""The async client runs the same flows: main paths, paging, re-login, errors, concurrency."""

from __future__ import annotations

import asyncio

import pytest

from sfbulk_frames._exceptions import InvalidJobStateError, NotFoundError, ServerError
from sfbulk_frames._models import JobState
from sfbulk_frames.client.clients import AsyncClient

from .conftest import CLIENT_ID, CLIENT_SECRET, CONTACTS_CSV, PASSWORD, USERNAME, Org, rows


def test_async_ingest_job_lifecycle(org: Org) -> None:
    async def main() -> tuple[JobState, list[dict[str, str]], list[str]]:
        async with org.async_client() as client:
            job = await client.create_ingest_job("Contact", "insert")
            await job.upload(CONTACTS_CSV)
            await job.close()
            info = await job.wait()
            ok = rows(await job.successful_results())
            assert rows(await job.failed_results()) == []
            assert rows(await job.unprocessed_records()) == []
            listed = [j.id for j in await client.list_jobs()]
            await job.delete()
            with pytest.raises(NotFoundError):
                await job.info()
            return info.state, ok, listed

    state, ok, listed = asyncio.run(main())
    assert state is JobState.JOB_COMPLETE
    assert sorted(r["LastName"] for r in ok) == ["Lee", "Wong"]
    assert len(listed) == 1


def test_async_query_pages_serial_and_parallel(org: Org) -> None:
    async def main() -> tuple[list[str], list[str]]:
        async with org.async_client() as client:
            load = await client.create_ingest_job("Contact", "insert")
            data = "LastName\n" + "".join(f"N{i}\n" for i in range(5))
            await load.upload(data.encode())
            await load.close()
            await load.wait()
            job = await client.create_query_job("SELECT LastName FROM Contact ORDER BY LastName")
            await job.wait()
            serial = [r["LastName"] async for p in job.iter_pages(max_records=2)
                      for r in rows(p.data)]
            parallel = [r["LastName"] async for p in job.iter_pages(max_records=2, parallel=True)
                        for r in rows(p.data)]
            return serial, parallel

    serial, parallel = asyncio.run(main())
    assert serial == [f"N{i}" for i in range(5)]
    assert parallel == serial


def test_async_login_is_lazy_and_relogs_after_expiry(org: Org) -> None:
    async def main() -> None:
        client = AsyncClient.password_login(
            USERNAME, PASSWORD, client_id=CLIENT_ID, client_secret=CLIENT_SECRET,
            domain=org.url, **org.options(),
        )
        async with client:
            assert client._session.access_token is None
            await client.limits()
            org.emu.expire_tokens()
            assert "DailyApiRequests" in await client.limits()

    asyncio.run(main())


def test_async_errors_and_retries(org: Org) -> None:
    async def main() -> None:
        async with org.async_client() as client:
            job = await client.create_ingest_job("Contact", "insert")
            org.emu.faults.http("/jobs/ingest/*", 503, times=2, method="GET")
            assert (await job.info()).state is JobState.OPEN
            org.emu.faults.http("/jobs/ingest/*/batches", 500, times=1)
            with pytest.raises(ServerError, match=job.id):
                await job.upload(CONTACTS_CSV)
            assert (await job.info()).state is JobState.ABORTED
            with pytest.raises(InvalidJobStateError):
                await job.abort()

    asyncio.run(main())


def test_async_jobs_run_concurrently(local: Org) -> None:
    async def one(client: AsyncClient, i: int) -> int:
        job = await client.create_ingest_job("Contact", "insert")
        await job.upload(f"LastName\nA{i}\nB{i}\n".encode())
        await job.close()
        info = await job.wait()
        return info.number_records_processed or 0

    async def main() -> list[int]:
        async with local.async_client() as client:
            return list(await asyncio.gather(*(one(client, i) for i in range(4))))

    assert asyncio.run(main()) == [2, 2, 2, 2]
    assert local.emu.count("Contact") == 8
