"""Fixtures of the sync tests: an emulator, a bound client, both backends, and job counting."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pandas as pd
import polars as pl
import pytest

from sfbulk_frames import Client, JobInfo, testing, use_client
from sfbulk_frames.emulator import Emulator


@pytest.fixture
def emulator() -> Iterator[Emulator]:
    with Emulator(seed=11) as emu, testing.fast_polling():
        yield emu


@pytest.fixture
def client(emulator: Emulator) -> Iterator[Client]:
    with emulator.client() as c, use_client(c):
        yield c


def as_backend(frame: pl.DataFrame, backend: str) -> Any:
    """``frame`` as pandas or as it is; pandas has no date dtype, so Date columns become
    ``datetime.date`` objects, as the README tells pandas users to send dates."""
    if backend != "pandas":
        return frame
    converted = frame.to_pandas(use_pyarrow_extension_array=False)
    for name, dtype in frame.schema.items():
        if isinstance(dtype, pl.Date):
            converted[name] = converted[name].dt.date
    return converted


def to_pl(frame: Any) -> pl.DataFrame:
    if isinstance(frame, pd.DataFrame):
        return pl.from_pandas(frame.reset_index(drop=True))
    assert isinstance(frame, pl.DataFrame)
    return frame


def ingest_jobs(client: Client) -> dict[str, JobInfo]:
    """Every ingest job the org has, with its final counters (job info, not the list)."""
    return {job.id: client.ingest_job(job.id).info() for job in client.list_jobs("ingest")}


def new_jobs(client: Client, before: dict[str, JobInfo]) -> list[JobInfo]:
    return [info for job_id, info in ingest_jobs(client).items() if job_id not in before]


def processed(jobs: list[JobInfo], operation: str | None = None) -> int:
    """Records processed by ``jobs`` (of ``operation`` only, when given)."""
    return sum(job.number_records_processed or 0 for job in jobs
               if operation is None or str(job.operation) == operation)
