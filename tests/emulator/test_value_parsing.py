"""Typed values: vectorised column parsing and the email check agree with the per-value
parsers."""

from __future__ import annotations

from typing import Any

import pytest

from sfbulk_frames.emulator.models.schema import FieldDef
from sfbulk_frames.emulator.models.values import (
    echo_value,
    invalid_emails,
    is_valid_email,
    parse_column,
)
from sfbulk_frames.emulator.models.values import parser_for as _parser_for


@pytest.mark.parametrize(
    ("field_type", "values"),
    [
        ("boolean", ["true", "FALSE", "1", "0", "yes", "True ", "tRuE"]),
        ("int", ["12", "+5", "-007", "3.00", "3.5", "1e3", "99999999999999999999", "\u0661\u0662"]),
        ("double", ["1.5", "0", "-0.0", "912260031", "1e-4", ".5", "1.", "abc", "1e400", "12"]),
        ("currency", ["0.001", "10000000", "9999999.99", "-3"]),
        ("date", ["2024-02-29", "2023-02-29", "0000-01-01", "2024-1-05", "2024-12-31x"]),
        ("datetime", ["2024-01-02T03:04:05Z", "2024-01-02T03:04:05.123+02:00", "2024-01-02"]),
        ("time", ["10:11:12.345Z", "25:00:00Z", "10:11"]),
    ],
)
def test_column_parsing_agrees_with_the_per_value_parsers(
    field_type: str, values: list[str]
) -> None:
    parser = _parser_for(FieldDef("X__c", field_type))
    assert parser is not None
    parsed = parse_column(field_type, values)
    text_echo = field_type in ("date", "datetime", "time")
    for i, value in enumerate(values):
        try:
            expected: Any = parser(value)
        except ValueError:
            assert i in parsed.bad, value
            continue
        assert i not in parsed.bad, value
        assert parsed.stored[i] == expected, value
        assert type(parsed.stored[i]) is type(expected), value
        echo = expected if text_echo else echo_value(field_type, expected)
        assert parsed.echo[i] == echo, value


def test_email_check_agrees_with_the_per_value_check() -> None:
    values = ["a@b.co", "a@b", "a b@c.de", "x@y.z\x1c", "\u00e9@\u00e9.fr", "@b.c", "a@@b.c"]
    expected = [i for i, v in enumerate(values) if not is_valid_email(v)]
    assert invalid_emails(values) == expected
