"""Result lines of one ingest batch: fully quoted ``successfulResults`` / ``failedResults``
lines echoing the uploaded values, in a seeded shuffled order, as one text per batch."""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from operator import itemgetter
from typing import Any

import polars as pl

from .csvfmt import quoted_line
from .ingest_columns import EMPTY, Column, error_text

UNPROCESSED_ROW = error_text("UNKNOWN_EXCEPTION", "row was not processed", "")


@dataclass
class BatchOutcome:
    successful: str = ""  # quoted result lines, shuffled
    failed: str = ""
    failed_count: int = 0
    processed: int = 0


def shuffled_text(lines: list[str], rng: random.Random) -> str:
    """``lines`` joined in an order drawn from ``rng`` (vectorised permutation)."""
    if len(lines) < 2:
        return "".join(lines)
    order = pl.int_range(0, len(lines), eager=True).shuffle(seed=rng.getrandbits(63))
    picked: tuple[str, ...] = itemgetter(*order.to_list())(lines)
    return "".join(picked)


def _echo_bodies(columns: Sequence[Column], delimiter: str) -> list[str]:
    """The uploaded values of each row, quotes doubled, joined by ``"<d>"`` (no outer quotes)."""
    joiner = '"' + delimiter + '"'
    escaped = [
        [v.replace('"', '""') for v in c.echo] if '"' in "".join(c.echo) else c.echo
        for c in columns
    ]
    return list(map(joiner.join, zip(*escaped, strict=True)))


def build_outcome(
    columns: Sequence[Column],
    count: int,
    errors: list[str | None],
    created: dict[int, str],
    updated: dict[int, str],
    sent_ids: list[Any],
    *,
    delimiter: str,
    line_ending: str,
    rng: random.Random,
) -> BatchOutcome:
    """Result lines of a batch of ``count`` rows; rows neither created nor updated failed."""
    out = BatchOutcome(processed=count)
    if not count:
        return out
    bodies = _echo_bodies(columns, delimiter)
    d, le = delimiter, line_ending
    joiner = '"' + d + '"'
    tail = '"' + le
    successful: list[str] = []  # "sf__Id","sf__Created","value",... per line
    for rows, flag in ((created, "true"), (updated, "false")):
        if rows:
            template = '"{}' + joiner + flag + joiner + '{}' + tail
            successful += map(template.format, rows.values(), [bodies[i] for i in rows])
    failed: list[str] = []
    if len(successful) < count:
        for i, body in enumerate(bodies):
            if i in created or i in updated:
                continue
            sent = sent_ids[i]
            error = errors[i] or UNPROCESSED_ROW
            sent_text = "" if sent is EMPTY or sent is None else sent
            failed.append(quoted_line((sent_text, error), d, "") + d + '"' + body + tail)
    out.successful = shuffled_text(successful, rng)
    out.failed = shuffled_text(failed, rng)
    out.failed_count = len(failed)
    return out
