"""Join-back: map every result row of a job to the input row it came from.

Salesforce returns three unordered CSVs that echo the uploaded values, sometimes re-formatted
by field type (``912260031`` -> ``9.12260031E8``, ``12`` -> ``12.0``, ``TRUE`` -> ``true``:
see :mod:`.kinds`).
Rows are matched on one column when it identifies them (non-null and unique in the chunk once
normalized: the operation's key, an external id, an email...), else on the whole payload plus an
occurrence counter for identical rows. Only the columns matched on are encoded, normalized (per
column kind) and read from the result CSVs. All of it is vectorised polars joins; a result row
that matches nothing is reported with its raw text, never guessed.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np
import polars as pl

from sfbulk_frames.frames.kinds import canonical_number, column_kinds, normalize
from sfbulk_frames.frames.result import ROW, SF_COLUMNS, sorted_by_row

__all__ = [
    "NO_RESULT",
    "RESULT_SETS",
    "MatchOutcome",
    "ResultSource",
    "canonical_number",
    "column_kinds",
    "match_encoded",
    "match_results",
    "normalize",
]

RESULT_SETS = ("successful", "failed", "unprocessed")
_OCCURRENCE = "__sfbulk_occurrence"
_KEY = "__key:"
_HASH = "__sfbulk_hash"
_RESULT_ROW = "__sfbulk_result_row"
_KIND_COST = {"text": 0, "id": 0, "date": 1, "number": 2, "time": 3, "datetime": 4, "boolean": 5}
"""Which single-column keys to try first: text compares as is; the others need parsing."""
_NO_RESULT = "NO_RESULT:Salesforce returned no result row for this input row"
NO_RESULT = _NO_RESULT
"""The reason of an input row that the job's results do not mention."""
_NO_MATCH = (
    "NO_RESULT:no result row could be matched to this input row; see BulkResult.unmatched "
    "for the result rows that matched no input row"
)


@dataclass
class MatchOutcome:
    """Where each input row of one chunk went.

    ``successful`` (sf__Row, sf__Id, sf__Created), ``failed`` (sf__Row, sf__Id, sf__Error),
    ``unprocessed`` (sf__Row, sf__Error: null, or why the row got no result) and ``unmatched``
    (result rows that matched no input row: sf__Row null, sf__Result, the sf__ columns and the
    raw payload text). Every input row is in exactly one of the first three.
    """

    successful: pl.DataFrame
    failed: pl.DataFrame
    unprocessed: pl.DataFrame
    unmatched: pl.DataFrame

    @property
    def n_rows(self) -> int:
        """Input rows accounted for (successful + failed + unprocessed)."""
        return self.successful.height + self.failed.height + self.unprocessed.height


ResultSource = pl.DataFrame | Callable[..., pl.DataFrame]
"""A result set: its all-text frame, or a reader called as ``read(columns=[...] | None)`` that
parses only those columns (None: all), e.g. a :func:`read_result_csv` partial."""

_SF_TEXT = ("sf__Id", "sf__Created", "sf__Error")


def _read(source: ResultSource, columns: list[str] | None) -> pl.DataFrame:
    return source if isinstance(source, pl.DataFrame) else source(columns=columns)


def _resolve(frame: pl.DataFrame, wanted: list[str]) -> dict[str, str] | None:
    """Result column for each wanted input column (exact, else case-insensitive)."""
    lowered = {c.lower(): c for c in frame.columns}
    found = {}
    for name in wanted:
        column = name if name in frame.columns else lowered.get(name.lower())
        if column is None:
            return None
        found[name] = column
    return found


def _unmatched(frame: pl.DataFrame, set_name: str) -> pl.DataFrame:
    extra = [pl.lit(None, dtype=pl.Int64).alias(ROW), pl.lit(set_name).alias("sf__Result")]
    return frame.select([*extra, pl.all()])


def _raw_rows(source: ResultSource, read: pl.DataFrame, positions: pl.Series) -> pl.DataFrame:
    """The complete raw result rows at ``positions`` (re-read in full if ``read`` is partial)."""
    full = read if isinstance(source, pl.DataFrame) else source(columns=None)
    return full[positions]


@dataclass
class _Plan:
    """What one chunk is matched on: ``keys`` has sf__Row and the normalized ``on`` cells (and,
    for a unique key, their hashes)."""

    on: list[str]
    keys: pl.DataFrame
    unique: bool
    kinds: Mapping[str, str]
    start: int
    hashes_unique: bool = False

    def key_column(self, name: str) -> str:
        return f"{_KEY}{name}"


def _candidates(columns: list[str], key: str | None, kinds: Mapping[str, str]) -> list[str]:
    """Columns to try as a single match key: ``key`` first, then the cheapest kinds."""
    rest = sorted((c for c in columns if c != key), key=lambda c: _KIND_COST[kinds.get(c, "text")])
    return [key, *rest] if key is not None and key in columns else rest


def _unique_plan(keys: pl.DataFrame, name: str, kinds: Mapping[str, str], start: int
                 ) -> _Plan | None:
    """A plan matching on ``name`` when its normalized cells are non-null and unique."""
    normalized = keys.get_column(f"{_KEY}{name}")
    if normalized.null_count():
        return None
    hashes = normalized.hash()
    hashes_unique = hashes.n_unique() == keys.height  # distinct hashes: distinct values
    if not hashes_unique and normalized.n_unique() != keys.height:
        return None
    return _Plan([name], keys.with_columns(hashes.alias(_HASH)), unique=True, kinds=kinds,
                 start=start, hashes_unique=hashes_unique)


def _plan(
    rows: pl.DataFrame,
    encode: Callable[[pl.DataFrame], pl.DataFrame] | None,
    *,
    start: int,
    key: str | None,
    kinds: Mapping[str, str],
) -> _Plan:
    """Match on the first candidate column that is non-null and unique once normalized, else on
    the whole payload. Only that column's cells are encoded and normalized."""
    row = pl.int_range(pl.len(), dtype=pl.Int64).add(start).alias(ROW)
    nulls = dict(zip(rows.columns, rows.null_count().row(0), strict=True))
    for name in _candidates(rows.columns, key, kinds):
        column = rows.get_column(name)
        if nulls[name]:
            continue
        # distinct values are necessary (cells are a function of the values): a cheap filter
        if not isinstance(column.dtype, pl.String) and column.n_unique() != rows.height:
            continue
        cells = encode(rows.select(name)) if encode is not None else rows.select(name)
        keys = cells.select(row, normalize(pl.col(name), kinds.get(name, "text")).alias(
            f"{_KEY}{name}"))
        plan = _unique_plan(keys, name, kinds, start)
        if plan is not None:
            return plan
    cells = encode(rows) if encode is not None else rows
    keys = cells.select(
        row,
        *(normalize(pl.col(n), kinds.get(n, "text")).alias(f"{_KEY}{n}") for n in cells.columns)
    )
    return _Plan(list(cells.columns), keys, unique=False, kinds=kinds, start=start)


def _echo_key(column: str, kind: str) -> pl.Expr:
    """The result side of a unique key. Text needs no normalization there: the input's key has
    no empty or ``#N/A`` cell, so such an echo matches nothing either way."""
    return pl.col(column) if kind == "text" else normalize(pl.col(column), kind)


def _match_unique(
    left: pl.DataFrame, source: ResultSource, set_name: str, plan: _Plan
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(matched sf__ columns with sf__Row in sf__Row order, unmatched raw rows) of a set, by a
    unique key: joined on the key's hashes, every pair then checked on the text itself."""
    (name,) = plan.on
    # one contiguous array per column: gathers from the parser's many pieces are ~20x slower
    results = _read(source, [name, *_SF_TEXT]).rechunk()
    if results.height == 0:
        return pl.DataFrame(), pl.DataFrame()
    columns = _resolve(results, [name])
    if columns is None:
        return pl.DataFrame(), _unmatched(_read(source, None), set_name)
    key = plan.key_column(name)
    echo = results.select(_echo_key(columns[name], plan.kinds.get(name, "text"))).to_series()
    hashes = echo.hash()
    if not plan.hashes_unique or hashes.n_unique() != results.height:
        return _match_unique_text(left, results, echo, source, set_name, plan)
    right = pl.DataFrame({_HASH: hashes, _RESULT_ROW: pl.int_range(results.height, eager=True)})
    pairs = left.join(right, on=_HASH, how="left", maintain_order="left").drop_nulls(_RESULT_ROW)
    sent = (left.get_column(key) if pairs.height == left.height
            else plan.keys.get_column(key).gather(pairs.get_column(ROW) - plan.start))
    same = (sent == echo.gather(pairs.get_column(_RESULT_ROW))).fill_null(False)
    if not same.all():  # equal hashes of different text: a miss, never a match
        pairs = pairs.filter(same)
    at = pairs.get_column(_RESULT_ROW)
    sf_columns = [c for c in results.columns if c in _SF_TEXT]
    matched = pairs.select(ROW)
    if sf_columns:
        matched = matched.hstack(results.select(sf_columns)[at])
    if pairs.height == results.height:
        return matched, pl.DataFrame()
    missed = np.ones(results.height, dtype=bool)
    missed[at.to_numpy()] = False
    positions = pl.Series(np.flatnonzero(missed))
    return matched, _unmatched(_raw_rows(source, results, positions), set_name)


def _match_unique_text(
    left: pl.DataFrame, results: pl.DataFrame, echo: pl.Series, source: ResultSource,
    set_name: str, plan: _Plan,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """:func:`_match_unique` joined on the text, for result sets that echo a key twice (the
    first echo matches, the others are unmatched) or keys whose hashes collide."""
    key = plan.key_column(plan.on[0])
    keyed = results.select(c for c in results.columns if c in _SF_TEXT).with_columns(
        echo.alias(key))
    joined = keyed.join(left.select(ROW, key), on=key, how="left", maintain_order="left")
    joined = joined.with_columns(pl.when(pl.col(key).is_first_distinct()).then(pl.col(ROW))
                                 .alias(ROW))
    missed = joined.get_column(ROW).is_null()
    matched = joined.filter(~missed).drop(key).sort(ROW)
    if not missed.any():
        return matched, pl.DataFrame()
    return matched, _unmatched(_raw_rows(source, results, missed.arg_true()), set_name)


def _with_occurrence(frame: pl.DataFrame, on: list[str]) -> pl.DataFrame:
    return frame.with_columns(pl.int_range(pl.len()).over(on).alias(_OCCURRENCE))


def _match_payload(
    remaining: pl.DataFrame, source: ResultSource, set_name: str, plan: _Plan
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(matched result rows with sf__Row, unmatched raw result rows) by the whole payload,
    identical rows told apart by an occurrence counter."""
    results = _read(source, None)
    if results.height == 0:
        return pl.DataFrame(), pl.DataFrame()
    columns = _resolve(results, plan.on)
    if columns is None:
        return pl.DataFrame(), _unmatched(results, set_name)
    keys = [plan.key_column(name) for name in plan.on]
    keyed = results.with_columns(
        normalize(pl.col(columns[name]), plan.kinds.get(name, "text")).alias(plan.key_column(name))
        for name in plan.on
    )
    keyed = _with_occurrence(keyed, keys)
    left = _with_occurrence(remaining, keys)
    joined = keyed.join(left, on=[*keys, _OCCURRENCE], how="left", nulls_equal=True,
                        maintain_order="left")
    hit = pl.col(ROW).is_not_null()
    unmatched = joined.filter(~hit).select(results.columns)
    return joined.filter(hit), _unmatched(unmatched, set_name) if unmatched.height else unmatched


def _text_column(frame: pl.DataFrame, name: str) -> pl.Expr:
    if name in frame.columns:
        cell = pl.col(name).cast(pl.String)
        return pl.when(cell != "").then(cell).alias(name)
    return pl.lit(None, dtype=pl.String).alias(name)


def _shape(matched: pl.DataFrame, set_name: str) -> pl.DataFrame:
    if set_name == "successful":
        created = _text_column(matched, "sf__Created").str.to_lowercase() == "true"
        return matched.select(pl.col(ROW), _text_column(matched, "sf__Id"),
                              created.alias("sf__Created"))
    if set_name == "failed":
        return matched.select(pl.col(ROW), _text_column(matched, "sf__Id"),
                              _text_column(matched, "sf__Error"))
    return matched.select(pl.col(ROW), pl.lit(None, dtype=pl.String).alias("sf__Error"))


_EMPTY = {kind: {ROW: pl.Int64(), **columns} for kind, columns in SF_COLUMNS.items()}


def match_results(
    cells: pl.DataFrame,
    *,
    successful: ResultSource,
    failed: ResultSource,
    unprocessed: ResultSource,
    start: int,
    key: str | None,
    kinds: Mapping[str, str],
) -> MatchOutcome:
    """Map the result rows of one chunk to its input rows (positions ``start + i``).

    ``cells`` are the text cells that were sent (:attr:`Chunk.cells`). Each result set is a
    :func:`read_result_csv` frame or a reader of one (:data:`ResultSource`: only the columns
    needed are parsed). Rows are matched by the first column that is non-null and unique within
    the chunk once normalized (``key`` first, then text columns, then the cheapest kinds), else
    by the full normalized payload with an occurrence counter.
    """
    return match_encoded(cells, None, successful=successful, failed=failed,
                         unprocessed=unprocessed, start=start, key=key, kinds=kinds)


def match_encoded(
    rows: pl.DataFrame,
    encode: Callable[[pl.DataFrame], pl.DataFrame] | None,
    *,
    successful: ResultSource,
    failed: ResultSource,
    unprocessed: ResultSource,
    start: int,
    key: str | None,
    kinds: Mapping[str, str],
) -> MatchOutcome:
    """:func:`match_results` from the input ``rows`` of a chunk and the ``encode`` that turns
    them into the sent cells (:meth:`Chunk.cells_of`): only the columns matched on are encoded.
    ``encode=None`` means ``rows`` already are the cells."""
    plan = _plan(rows, encode, start=start, key=key, kinds=kinds)
    taken = np.zeros(rows.height, dtype=bool)
    remaining = plan.keys
    parts: dict[str, pl.DataFrame] = {}
    unmatched: list[pl.DataFrame] = []
    for set_name, source in zip(RESULT_SETS, (successful, failed, unprocessed), strict=True):
        if plan.unique:
            left = plan.keys.filter(~taken) if taken.any() else plan.keys
            matched, missed = _match_unique(left, source, set_name, plan)
        else:
            matched, missed = _match_payload(remaining, source, set_name, plan)
        parts[set_name] = (
            sorted_by_row(_shape(matched, set_name)) if matched.height
            else pl.DataFrame(schema=_EMPTY[set_name])
        )
        if missed.height:
            unmatched.append(missed)
        if matched.height:
            taken[matched.get_column(ROW).to_numpy() - start] = True
            if not plan.unique:
                remaining = remaining.join(matched.select(ROW), on=ROW, how="anti",
                                           maintain_order="left")
    reason = _NO_MATCH if unmatched else _NO_RESULT
    no_result = plan.keys.filter(~taken).select(pl.col(ROW), pl.lit(reason).alias("sf__Error"))
    if no_result.height:
        parts["unprocessed"] = pl.concat([parts["unprocessed"], no_result]).sort(ROW)
    return MatchOutcome(
        successful=parts["successful"],
        failed=parts["failed"],
        unprocessed=parts["unprocessed"],
        unmatched=(
            pl.concat(unmatched, how="diagonal_relaxed")
            if unmatched
            else pl.DataFrame(schema={ROW: pl.Int64, "sf__Result": pl.String})
        ),
    )
