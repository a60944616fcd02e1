"""SOQL relative date literals (``TODAY``, ``LAST_N_DAYS:n``, ``THIS_QUARTER`` ...) as date ranges.

Every literal is a half-open range ``[start, end)`` of calendar days evaluated against ``now`` in
UTC (the emulator's user time zone). Weeks start on Sunday (the en_US locale). Fiscal literals
follow the calendar (an org whose fiscal year starts in January). Ranges follow Salesforce's
documentation: ``LAST_N_DAYS:n`` covers today and the n days before it (``LAST_N_DAYS:1`` is
yesterday and today), ``NEXT_N_DAYS:n`` starts tomorrow and covers n days; ``LAST_90_DAYS`` and
``NEXT_90_DAYS`` are the same with n = 90.
"""

from __future__ import annotations

from datetime import date, timedelta

FIXED_LITERALS = frozenset(
    {
        "YESTERDAY", "TODAY", "TOMORROW", "LAST_WEEK", "THIS_WEEK", "NEXT_WEEK", "LAST_MONTH",
        "THIS_MONTH", "NEXT_MONTH", "LAST_90_DAYS", "NEXT_90_DAYS", "LAST_QUARTER",
        "THIS_QUARTER", "NEXT_QUARTER", "LAST_YEAR", "THIS_YEAR", "NEXT_YEAR",
        "LAST_FISCAL_QUARTER", "THIS_FISCAL_QUARTER", "NEXT_FISCAL_QUARTER", "LAST_FISCAL_YEAR",
        "THIS_FISCAL_YEAR", "NEXT_FISCAL_YEAR",
    }
)
N_LITERALS = frozenset(
    {
        "LAST_N_DAYS", "NEXT_N_DAYS", "N_DAYS_AGO", "LAST_N_WEEKS", "NEXT_N_WEEKS", "N_WEEKS_AGO",
        "LAST_N_MONTHS", "NEXT_N_MONTHS", "N_MONTHS_AGO", "LAST_N_QUARTERS", "NEXT_N_QUARTERS",
        "N_QUARTERS_AGO", "LAST_N_YEARS", "NEXT_N_YEARS", "N_YEARS_AGO",
        "LAST_N_FISCAL_QUARTERS", "NEXT_N_FISCAL_QUARTERS", "N_FISCAL_QUARTERS_AGO",
        "LAST_N_FISCAL_YEARS", "NEXT_N_FISCAL_YEARS", "N_FISCAL_YEARS_AGO",
    }
)

_PERIOD_MONTHS = {"MONTH": 1, "MONTHS": 1, "QUARTER": 3, "QUARTERS": 3, "YEAR": 12, "YEARS": 12}


def date_range(name: str, n: int | None, today: date) -> tuple[date, date]:
    """The ``[start, end)`` days of literal ``name`` (upper case; ``n`` for the ``:n`` forms)."""
    name = name.replace("_FISCAL", "")
    fixed = {
        "YESTERDAY": ("DAY", -1), "TODAY": ("DAY", 0), "TOMORROW": ("DAY", 1),
        "LAST_WEEK": ("WEEK", -1), "THIS_WEEK": ("WEEK", 0), "NEXT_WEEK": ("WEEK", 1),
        "LAST_MONTH": ("MONTH", -1), "THIS_MONTH": ("MONTH", 0), "NEXT_MONTH": ("MONTH", 1),
        "LAST_QUARTER": ("QUARTER", -1), "THIS_QUARTER": ("QUARTER", 0),
        "NEXT_QUARTER": ("QUARTER", 1),
        "LAST_YEAR": ("YEAR", -1), "THIS_YEAR": ("YEAR", 0), "NEXT_YEAR": ("YEAR", 1),
    }
    if name in fixed:
        unit, shift = fixed[name]
        return _periods(unit, today, shift, 1)
    if name == "LAST_90_DAYS":
        name, n = "LAST_N_DAYS", 90
    elif name == "NEXT_90_DAYS":
        name, n = "NEXT_N_DAYS", 90
    count = n or 0
    if name == "LAST_N_DAYS":
        return today - timedelta(days=count), today + timedelta(days=1)
    if name == "NEXT_N_DAYS":
        return today + timedelta(days=1), today + timedelta(days=1 + count)
    if name == "N_DAYS_AGO":
        return _periods("DAY", today, -count, 1)
    direction, _, unit = name.partition("_N_")
    if direction in ("LAST", "NEXT"):
        unit = unit.rstrip("S")
        if direction == "LAST":
            return _periods(unit, today, -count, count)
        return _periods(unit, today, 1, count)
    if name.startswith("N_") and name.endswith("_AGO"):
        unit = name[2:-4].rstrip("S")
        return _periods(unit, today, -count, 1)
    raise ValueError(f"unknown date literal {name}")


def _periods(unit: str, today: date, shift: int, count: int) -> tuple[date, date]:
    """``count`` whole periods (DAY/WEEK/MONTH/QUARTER/YEAR), the first ``shift`` periods away
    from the one containing ``today``."""
    if unit == "DAY":
        start = today + timedelta(days=shift)
        return start, start + timedelta(days=count)
    if unit == "WEEK":
        sunday = today - timedelta(days=(today.weekday() + 1) % 7)
        start = sunday + timedelta(weeks=shift)
        return start, start + timedelta(weeks=count)
    months = _PERIOD_MONTHS[unit]
    first_month = (today.month - 1) // months * months
    current = date(today.year, first_month + 1, 1)
    return _add_months(current, shift * months), _add_months(current, (shift + count) * months)


def _add_months(first_of_month: date, months: int) -> date:
    index = first_of_month.year * 12 + first_of_month.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)
