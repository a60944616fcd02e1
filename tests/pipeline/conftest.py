"""Fixtures for the high-level pipeline tests: an emulator, a bound client, both backends."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pandas as pd
import polars as pl
import pytest

from sfbulk_frames import Client, testing, use_client
from sfbulk_frames.emulator import Emulator


@pytest.fixture
def emulator() -> Iterator[Emulator]:
    with Emulator(seed=7) as emu, testing.fast_polling():
        yield emu


@pytest.fixture
def client(emulator: Emulator) -> Iterator[Client]:
    with emulator.client() as c, use_client(c):
        yield c


def make_frame(backend: str, data: dict[str, list[Any]]) -> Any:
    """The same columns as a pandas or a polars frame."""
    if backend == "pandas":
        return pd.DataFrame(data)
    return pl.DataFrame(data, strict=False)


def to_pl(frame: Any) -> pl.DataFrame:
    """Any result part as a polars frame, for backend-neutral assertions."""
    if isinstance(frame, pd.DataFrame):
        return pl.from_pandas(frame.reset_index(drop=True))
    return frame
