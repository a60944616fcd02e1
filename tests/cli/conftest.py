"""Fixtures of the CLI tests (the harness itself is in harness.py)."""

from __future__ import annotations

from collections.abc import Iterator

import polars as pl
import pytest

from sfbulk_frames.emulator import Emulator

from .harness import Org, serve_org


@pytest.fixture
def org() -> Iterator[Org]:
    """An emulator processing jobs instantly, served on 127.0.0.1 (a fresh org per test)."""
    with serve_org(Emulator(seed=3, processing="instant")) as org:
        yield org


@pytest.fixture
def contacts_frame() -> pl.DataFrame:
    """Four contacts as text, one of them without the required LastName."""
    return pl.DataFrame({
        "ExternalId__c": ["C-1", "C-2", "C-3", "C-4"],
        "FirstName": ["Ada", "Émile", "Zoë", "Grace"],
        "LastName": ["Lovelace", "Zola", "Kravitz", None],
        "Email": ["ada@example.com", "emile@example.com", "zoe@example.com", "grace@example.com"],
    })
