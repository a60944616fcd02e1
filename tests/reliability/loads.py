"""Frames, seeding and org checks for the fault matrix: one place per operation.

Each operation gets ``n`` small rows whose values name the operation and the row, so the org can
be checked for "each record at most once" and "exactly the successful rows changed".
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import polars as pl

import sfbulk_frames as sfb
from sfbulk_frames.emulator import Emulator
from sfbulk_frames.testing import assert_partition

from .conftest import FAST_POLL, FAST_RETRY, to_pl

INGEST_OPERATIONS = ("insert", "upsert", "update", "delete")


def seed_contacts(emu: Emulator, n: int, *, prefix: str = "seed") -> pl.DataFrame:
    """Insert ``n`` contacts through a fault-free in-process client; their Ids and keys."""
    rows = pl.DataFrame({"LastName": [f"{prefix}-{i}" for i in range(n)],
                         "ExternalId__c": [f"{prefix}-x{i}" for i in range(n)]})
    with emu.client(retry=FAST_RETRY, poll=FAST_POLL) as client:
        res = sfb.insert(rows, "Contact", client=client, progress=False)
    assert res.ok, res.summary()
    ok = to_pl(res.successful).sort("sf__Row")
    return ok.select(pl.col("sf__Id").alias("Id"), "ExternalId__c", "LastName")


def frame_for(operation: str, n: int, seeded: pl.DataFrame | None) -> pl.DataFrame:
    """The input frame of a case (``seeded`` holds existing records for update/delete)."""
    if operation == "insert":
        return pl.DataFrame({"LastName": [f"ins-{i}" for i in range(n)],
                             "Title": [f"t{i % 7}" for i in range(n)]})
    if operation == "upsert":
        return pl.DataFrame({"ExternalId__c": [f"ups-{i}" for i in range(n)],
                             "LastName": [f"Ups {i}" for i in range(n)]})
    assert seeded is not None
    assert seeded.height >= n
    if operation == "update":
        return pl.DataFrame({"Id": seeded["Id"][:n], "LastName": [f"upd-{i}" for i in range(n)]})
    return pl.DataFrame({"Id": seeded["Id"][:n]})


def run(operation: str, df: pl.DataFrame, client: sfb.Client, **options: Any) -> sfb.BulkResult:
    options.setdefault("progress", False)
    if operation == "upsert":
        return sfb.upsert(df, "Contact", "ExternalId__c", client=client, **options)
    function = {"insert": sfb.insert, "update": sfb.update, "delete": sfb.delete}[operation]
    return function(df, "Contact", client=client, **options)  # type: ignore[no-any-return]


def _live(emu: Emulator, column: str) -> list[Any]:
    return [r[0] for r in emu.sql(f'SELECT "{column}" FROM "Contact" WHERE IsDeleted = 0')]


def assert_org_matches(operation: str, emu: Emulator, df: pl.DataFrame,
                       res: sfb.BulkResult | None, seeded_count: int) -> None:
    """The org holds each record at most once, and (given a result) exactly the successful rows
    took effect; with no result (an error), nothing beyond the input took effect."""
    ok = to_pl(res.successful) if res is not None else None
    if operation == "insert":
        names = [v for v in _live(emu, "LastName") if str(v).startswith("ins-")]
        twice = [k for k, c in Counter(names).items() if c > 1]
        assert not twice, f"inserted more than once: {twice[:5]}"
        if ok is not None:
            assert sorted(names) == sorted(ok["LastName"].to_list())
        assert set(names) <= set(df["LastName"].to_list())
    elif operation == "upsert":
        keys = [v for v in _live(emu, "ExternalId__c") if str(v).startswith("ups-")]
        assert len(keys) == len(set(keys)), "an external id is stored twice"
        if ok is not None:
            assert sorted(keys) == sorted(ok["ExternalId__c"].to_list())
    elif operation == "update":
        assert emu.count("Contact") == seeded_count, "update changed the number of records"
        changed = dict(emu.sql('SELECT Id, LastName FROM "Contact"'))
        updated = sorted(i for i, name in changed.items() if str(name).startswith("upd-"))
        if ok is not None:
            assert updated == sorted(ok["Id"].to_list())
        expected = dict(zip(df["Id"].to_list(), df["LastName"].to_list(), strict=True))
        assert all(changed[i] == expected[i] for i in updated), "a row got another row's value"
    else:
        live = set(_live(emu, "Id"))
        gone = sorted(set(df["Id"].to_list()) - live)
        assert emu.count("Contact") == seeded_count - len(gone)
        if ok is not None:
            assert gone == sorted(ok["Id"].to_list())


def assert_result_sound(operation: str, res: sfb.BulkResult, df: pl.DataFrame) -> None:
    """Every row in exactly one part, each part carrying the input's own values."""
    assert_partition(res, df.height)
    for part in (res.successful, res.failed, res.unprocessed):
        frame = to_pl(part)
        if frame.height == 0:
            continue
        echoed = frame.select([*df.columns, "sf__Row"]).sort("sf__Row")
        original = df.with_row_index("sf__Row").with_columns(pl.col("sf__Row").cast(pl.Int64))
        expected = original.join(echoed.select("sf__Row"), on="sf__Row").sort("sf__Row")
        assert echoed.select(df.columns).equals(expected.select(df.columns)), (
            f"{operation}: result rows do not carry the input values"
        )
