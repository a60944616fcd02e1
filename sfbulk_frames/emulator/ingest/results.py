"""Result lines of one ingest batch: fully quoted ``successfulResults`` / ``failedResults``
lines echoing the uploaded values, in a seeded shuffled order, as one text per batch."""

from __future__ import annotations

import itertools
import random
from collections.abc import Sequence
from dataclasses import dataclass
from operator import itemgetter
from typing import Any

from sfbulk_frames.emulator.ingest.columns import EMPTY, Column, error_text
from sfbulk_frames.emulator.models.csvfmt import quoted_line

UNPROCESSED_ROW = error_text("UNKNOWN_EXCEPTION", "row was not processed", "")


@dataclass
class BatchOutcome:
    successful: str = ""  # quoted result lines, shuffled
    failed: str = ""
    failed_count: int = 0
    processed: int = 0


def shuffled_text(lines: list[str], rng: random.Random) -> str:
    """``lines`` joined in an order drawn from ``rng`` (vectorised permutation)."""
    import polars as pl  # lazy: importing the emulator loads no polars
    if len(lines) < 2:
        return "".join(lines)
    order = pl.int_range(0, len(lines), eager=True).shuffle(seed=rng.getrandbits(63))
    picked: tuple[str, ...] = itemgetter(*order.to_list())(lines)
    return "".join(picked)


def _escaped_columns(columns: Sequence[Column], escape: bool) -> list[list[str]]:
    """The echoed values of each column, quotes doubled (``escape=False``: none can hold a
    quote, as in a quote-free upload)."""
    if not escape:
        return [c.echo for c in columns]
    return [
        [v.replace('"', '""') for v in c.echo] if '"' in "".join(c.echo) else c.echo
        for c in columns
    ]


def _picked(values: list[list[str]], rows: dict[int, str], count: int) -> list[list[str]]:
    """``values`` (columns of ``count`` rows) at the positions of ``rows``, in its order."""
    if len(rows) == count and list(rows) == list(range(count)):
        return values
    getter = [*rows]
    return [[column[i] for i in getter] for column in values]


def _shuffled_lines(cores: list[str], line_ending: str, rng: random.Random) -> str:
    """Lines ``"<core>"<line_ending>`` in an order drawn from ``rng``, as one text (the same
    text and draws as :func:`shuffled_text` of the lines)."""
    import polars as pl  # lazy: importing the emulator loads no polars
    if not cores:
        return ""
    picked: Sequence[str] = cores
    if len(cores) > 1:
        order = pl.int_range(0, len(cores), eager=True).shuffle(seed=rng.getrandbits(63))
        picked = itemgetter(*order.to_list())(cores)
    return '"' + ('"' + line_ending + '"').join(picked) + '"' + line_ending


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
    escape: bool = True,
) -> BatchOutcome:
    """Result lines of a batch of ``count`` rows; rows neither created nor updated failed.
    ``escape=False`` when no echoed value can hold a quote (a quote-free upload)."""
    out = BatchOutcome(processed=count)
    if not count:
        return out
    escaped = _escaped_columns(columns, escape)
    d, le = delimiter, line_ending
    joiner = '"' + d + '"'
    # each successful line is '"' + joiner.join((sf__Id, sf__Created, *values)) + '"' + le
    cores: list[str] = []
    for rows, flag in ((created, "true"), (updated, "false")):
        if rows:
            cores += map(
                joiner.join,
                zip(rows.values(), itertools.repeat(flag), *_picked(escaped, rows, count)),
            )
    failed: list[str] = []
    if len(cores) < count:
        for i in range(count):
            if i in created or i in updated:
                continue
            sent = sent_ids[i]
            error = errors[i] or UNPROCESSED_ROW
            sent_text = "" if sent is EMPTY or sent is None else sent
            body = joiner.join([column[i] for column in escaped])
            failed.append(quoted_line((sent_text, error), d, "") + d + '"' + body + '"' + le)
    out.successful = _shuffled_lines(cores, le, rng)
    out.failed = shuffled_text(failed, rng)
    out.failed_count = len(failed)
    return out
