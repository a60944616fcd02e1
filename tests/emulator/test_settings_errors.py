"""Bad emulator settings raise the library's typed errors (``ConfigurationError``, still a
``ValueError``), so users catch one tree: ``sfbulk_frames.SfBulkError``."""

from __future__ import annotations

import pytest

from sfbulk_frames import ConfigurationError, SfBulkError
from sfbulk_frames.emulator import Emulator, FaultPlan
from sfbulk_frames.emulator.models.org import ReadOnlySqlError


def test_a_bad_processing_mode_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError, match="processing"):
        Emulator(processing="sometimes")


def test_a_bad_performance_preset_is_a_configuration_error_naming_the_presets() -> None:
    with pytest.raises(ConfigurationError, match="busy"):
        Emulator(performance="slowish")


@pytest.mark.parametrize("share", [-0.1, 1.5])
def test_a_lock_share_outside_zero_to_one_is_a_configuration_error(share: float) -> None:
    with pytest.raises(ConfigurationError, match="between 0 and 1"):
        FaultPlan().lock_rows(share)


def test_a_bad_drop_moment_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError, match="before"):
        FaultPlan().drop("/jobs/ingest", when="later")


def test_a_write_through_sql_is_refused_with_an_error_of_the_library_tree() -> None:
    with Emulator(seed=1) as emu, pytest.raises(ReadOnlySqlError) as caught:
        emu.sql('WITH x AS (SELECT 1) DELETE FROM "Contact"')
    assert isinstance(caught.value, SfBulkError)
    assert isinstance(caught.value, ValueError)
