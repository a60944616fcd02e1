"""Relative date literals as [start, end) day ranges (weeks start on Sunday, UTC)."""

from __future__ import annotations

from datetime import date

import pytest

from sfbulk_frames.emulator.soql.dates import FIXED_LITERALS, N_LITERALS, date_range

TODAY = date(2024, 5, 15)  # Wednesday, Q2


@pytest.mark.parametrize(
    ("literal", "n", "start", "end"),
    [
        ("TODAY", None, date(2024, 5, 15), date(2024, 5, 16)),
        ("YESTERDAY", None, date(2024, 5, 14), date(2024, 5, 15)),
        ("TOMORROW", None, date(2024, 5, 16), date(2024, 5, 17)),
        ("THIS_WEEK", None, date(2024, 5, 12), date(2024, 5, 19)),
        ("LAST_WEEK", None, date(2024, 5, 5), date(2024, 5, 12)),
        ("NEXT_WEEK", None, date(2024, 5, 19), date(2024, 5, 26)),
        ("THIS_MONTH", None, date(2024, 5, 1), date(2024, 6, 1)),
        ("LAST_MONTH", None, date(2024, 4, 1), date(2024, 5, 1)),
        ("NEXT_MONTH", None, date(2024, 6, 1), date(2024, 7, 1)),
        ("THIS_QUARTER", None, date(2024, 4, 1), date(2024, 7, 1)),
        ("LAST_QUARTER", None, date(2024, 1, 1), date(2024, 4, 1)),
        ("NEXT_QUARTER", None, date(2024, 7, 1), date(2024, 10, 1)),
        ("THIS_YEAR", None, date(2024, 1, 1), date(2025, 1, 1)),
        ("LAST_YEAR", None, date(2023, 1, 1), date(2024, 1, 1)),
        ("NEXT_YEAR", None, date(2025, 1, 1), date(2026, 1, 1)),
        ("THIS_FISCAL_QUARTER", None, date(2024, 4, 1), date(2024, 7, 1)),
        ("LAST_90_DAYS", None, date(2024, 2, 15), date(2024, 5, 16)),
        ("NEXT_90_DAYS", None, date(2024, 5, 16), date(2024, 8, 14)),
        ("LAST_N_DAYS", 1, date(2024, 5, 14), date(2024, 5, 16)),
        ("LAST_N_DAYS", 30, date(2024, 4, 15), date(2024, 5, 16)),
        ("NEXT_N_DAYS", 3, date(2024, 5, 16), date(2024, 5, 19)),
        ("N_DAYS_AGO", 15, date(2024, 4, 30), date(2024, 5, 1)),
        ("LAST_N_WEEKS", 2, date(2024, 4, 28), date(2024, 5, 12)),
        ("NEXT_N_WEEKS", 1, date(2024, 5, 19), date(2024, 5, 26)),
        ("N_WEEKS_AGO", 1, date(2024, 5, 5), date(2024, 5, 12)),
        ("LAST_N_MONTHS", 6, date(2023, 11, 1), date(2024, 5, 1)),
        ("NEXT_N_MONTHS", 8, date(2024, 6, 1), date(2025, 2, 1)),
        ("N_MONTHS_AGO", 5, date(2023, 12, 1), date(2024, 1, 1)),
        ("LAST_N_QUARTERS", 2, date(2023, 10, 1), date(2024, 4, 1)),
        ("NEXT_N_QUARTERS", 3, date(2024, 7, 1), date(2025, 4, 1)),
        ("N_QUARTERS_AGO", 2, date(2023, 10, 1), date(2024, 1, 1)),
        ("LAST_N_YEARS", 2, date(2022, 1, 1), date(2024, 1, 1)),
        ("NEXT_N_YEARS", 1, date(2025, 1, 1), date(2026, 1, 1)),
        ("N_YEARS_AGO", 3, date(2021, 1, 1), date(2022, 1, 1)),
        ("LAST_N_FISCAL_YEARS", 1, date(2023, 1, 1), date(2024, 1, 1)),
    ],
)
def test_date_literal_ranges(literal, n, start, end):
    assert date_range(literal, n, TODAY) == (start, end)


def test_this_week_on_a_sunday_starts_that_day():
    assert date_range("THIS_WEEK", None, date(2024, 5, 12)) == (date(2024, 5, 12),
                                                               date(2024, 5, 19))


def test_every_listed_literal_has_a_nonempty_range():
    for name in FIXED_LITERALS:
        start, end = date_range(name, None, TODAY)
        assert start < end, name
    for name in N_LITERALS:
        start, end = date_range(name, 2, TODAY)
        assert start < end, name
