"""``results_dir=``: each job's parts written to parquet as it finishes, read back on demand."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import polars as pl
import pytest
from polars.testing import assert_frame_equal

import sfbulk_frames as sfb
from sfbulk_frames import testing
from sfbulk_frames.emulator import Emulator
from sfbulk_frames.testing import assert_partition

from .conftest import make_frame, to_pl

ROWS = 30
PER_JOB = 7  # 5 jobs; each job fails part-way, so every part has rows in several jobs
PART_FILE = re.compile(r"^part-(\d{12})-(\w+)\.parquet$")


def _frame(backend: str) -> Any:
    return make_frame(
        backend,
        {
            "LastName": [None if i % 4 == 1 else f"L{i}" for i in range(ROWS)],  # None: row fails
            "NumberOfChildren__c": list(range(ROWS)),
            "Email": [f"p{i}@x.io" for i in range(ROWS)],
        },
    )


@pytest.fixture
def org_pair() -> Iterator[tuple[Emulator, Emulator]]:
    """Two orgs with the same seed: the same load gives the same ids in each."""
    with Emulator(seed=11) as first, Emulator(seed=11) as second, testing.fast_polling():
        for emu in (first, second):
            emu.faults.fail_partway(5)
        yield first, second


def _load(emu: Emulator, df: Any, results_dir: Path | None) -> sfb.BulkResult[Any]:
    with emu.client() as client:
        return sfb.insert(
            df,
            "Contact",
            client=client,
            progress=False,
            max_records=PER_JOB,
            max_concurrent_jobs=1,
            results_dir=results_dir,
        )


def _assert_same(got: Any, want: Any) -> None:
    if isinstance(want, pd.DataFrame):
        pd.testing.assert_frame_equal(got.sort_values("sf__Row"), want.sort_values("sf__Row"))
    else:
        assert_frame_equal(got.sort("sf__Row"), want.sort("sf__Row"))


def test_parts_read_back_from_the_files_equal_the_in_memory_result(
    org_pair: tuple[Emulator, Emulator], backend: str, tmp_path: Path
) -> None:
    df = _frame(backend)
    in_memory = _load(org_pair[0], df, None)
    on_disk = _load(org_pair[1], df, tmp_path / "results")

    assert on_disk.results_dir == tmp_path / "results"
    assert in_memory.results_dir is None
    counts = in_memory.counts()
    assert min(counts["successful"], counts["failed"], counts["unprocessed"]) > 0
    assert on_disk.counts() == counts
    for part in ("successful", "failed", "unprocessed"):
        got = getattr(on_disk, part)
        assert type(got) is type(df)
        _assert_same(got, getattr(in_memory, part))
        assert_frame_equal(on_disk.scan(part).collect(), to_pl(in_memory.scan(part).collect()))
    assert_partition(on_disk, ROWS)
    assert on_disk.summary()["errors"] == in_memory.summary()["errors"]


def test_files_are_one_per_job_and_part_in_input_order(
    org_pair: tuple[Emulator, Emulator], tmp_path: Path
) -> None:
    res = _load(org_pair[0], _frame("polars"), tmp_path)
    job_ids = {job.id for job in res.jobs}
    assert len(job_ids) == ROWS // PER_JOB + 1
    for part in ("successful", "failed", "unprocessed"):
        names = sorted(path.name for path in (tmp_path / part).iterdir())
        matches = [PART_FILE.match(name) for name in names]
        assert all(matches), names
        assert {m.group(2) for m in matches if m} <= job_ids
        rows = [pl.read_parquet(tmp_path / part / name)["sf__Row"] for name in names]
        for m, file_rows in zip(matches, rows, strict=True):
            assert m is not None
            assert int(m.group(1)) == file_rows[0] - file_rows[0] % PER_JOB
            assert file_rows.is_sorted()
        assert pl.concat(rows).is_sorted()  # file order is input order
        assert sum(len(r) for r in rows) == res.counts()[part]


def test_parts_are_read_on_each_access_not_held(client: sfb.Client, tmp_path: Path) -> None:
    df = pl.DataFrame({"LastName": ["A", "B", "C"]})
    on_disk = sfb.insert(df, "Contact", progress=False, results_dir=tmp_path)
    in_memory = sfb.insert(df, "Contact", progress=False)
    assert on_disk.successful is not on_disk.successful
    assert in_memory.successful is in_memory.successful
    assert on_disk.successful.height == 3
    assert isinstance(on_disk.scan("failed"), pl.LazyFrame)
    assert on_disk.scan("failed").collect().columns == in_memory.failed.columns


def test_a_streamed_input_is_written_chunk_by_chunk(client: sfb.Client, tmp_path: Path) -> None:
    source = tmp_path / "in.parquet"
    pl.DataFrame({"LastName": [f"N{i}" for i in range(500)]}).write_parquet(source)
    res = sfb.insert(
        pl.scan_parquet(source),
        "Contact",
        progress=False,
        max_records=100,
        results_dir=tmp_path / "out",
    )
    assert res.ok
    assert len(res.jobs) == 5
    assert len(list((tmp_path / "out" / "successful").glob("part-*.parquet"))) == 5
    assert res.successful["LastName"].to_list() == [f"N{i}" for i in range(500)]
    assert_partition(res, 500)


def test_a_directory_holding_another_loads_files_is_refused_before_any_job(
    client: sfb.Client, emulator: Emulator, tmp_path: Path
) -> None:
    df = pl.DataFrame({"LastName": ["A"]})
    sfb.insert(df, "Contact", progress=False, results_dir=tmp_path)
    with pytest.raises(sfb.ConfigurationError, match="already holds result files"):
        sfb.insert(df, "Contact", progress=False, results_dir=tmp_path)
    assert emulator.count("Contact") == 1
