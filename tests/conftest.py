"""Fixtures shared by every test folder."""

from __future__ import annotations

import pytest


@pytest.fixture(params=["pandas", "polars"])
def backend(request: pytest.FixtureRequest) -> str:
    """Run the test body once on pandas and once on polars."""
    return str(request.param)
