"""The public surface: the fixed names, client resolution, the server path end to end.

The exception tree and the signatures are checked in tests/api/."""

from __future__ import annotations

import asyncio

import polars as pl
import pytest

import sfbulk_frames as sfb
from sfbulk_frames import testing
from sfbulk_frames.emulator import Emulator


def test_fixed_design_names_are_public():
    for name in (
        "Client",
        "AsyncClient",
        "insert",
        "update",
        "upsert",
        "delete",
        "query",
        "resume",
        "set_default_client",
        "use_client",
        "BulkResult",
        "SfBulkError",
    ):
        assert name in sfb.__all__


def test_client_resolution_order(monkeypatch):
    for var in (
        "SF_INSTANCE_URL",
        "SF_ACCESS_TOKEN",
        "SF_USERNAME",
        "SF_PASSWORD",
        "SF_CLIENT_ID",
        "SF_CLIENT_SECRET",
        "SF_PRIVATE_KEY_FILE",
    ):
        monkeypatch.delenv(var, raising=False)
    df = pl.DataFrame({"LastName": ["a"]})
    with pytest.raises(sfb.ConfigurationError) as err:
        sfb.insert(df, "Contact", progress=False)
    assert "SF_INSTANCE_URL" in str(err.value)
    with Emulator() as emu, testing.fast_polling(), emu.client() as default, emu.client() as scoped:
        sfb.set_default_client(default)
        try:
            assert sfb.insert(df, "Contact", progress=False).ok
            with sfb.use_client(scoped):
                assert sfb.insert(df, "Contact", progress=False).ok
        finally:
            sfb.set_default_client(None)
        assert emu.count("Contact") == 2


@pytest.mark.server
def test_upsert_and_query_over_a_real_loopback_server():
    df = pl.DataFrame(
        {
            "ExternalId__c": [f"s{i}" for i in range(50)],
            "LastName": [f'Name, {i}\n"q"' for i in range(50)],
        }
    )
    with (
        Emulator(seed=5) as emu,
        emu.serve(port=0) as server,
        testing.fast_polling(),
        server.client() as client,
    ):
        res = sfb.upsert(
            df, "Contact", "ExternalId__c", client=client, max_records=20, progress=False
        )
        assert res.ok
        assert len(res.jobs) == 3
        back = sfb.query(
            "SELECT ExternalId__c, LastName FROM Contact",
            client=client,
            max_records_per_page=7,
            progress=False,
        )
    assert back.sort("ExternalId__c").equals(df.sort("ExternalId__c"))


def test_an_empty_frame_is_an_empty_result_even_without_a_client(monkeypatch, backend):
    # Validation comes before client resolution: nothing to send needs no credentials.
    for var in ("SF_INSTANCE_URL", "SF_ACCESS_TOKEN", "SF_USERNAME", "SF_CLIENT_ID"):
        monkeypatch.delenv(var, raising=False)
    empty = pl.DataFrame({"LastName": pl.Series([], dtype=pl.String)})
    frame = empty.to_pandas() if backend == "pandas" else empty
    res = sfb.insert(frame, "Contact", progress=False)
    assert res.ok
    assert res.jobs == []
    awaited = asyncio.run(sfb.aio.insert(frame, "Contact", progress=False))
    assert awaited.counts() == res.counts()
