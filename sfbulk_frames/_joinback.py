"""Join-back: map every result row of a job to the input row it came from.

Salesforce returns three unordered CSVs that echo the uploaded values, sometimes re-formatted
by field type (``912260031`` -> ``9.12260031E8``, ``12`` -> ``12.0``, ``TRUE`` -> ``true``).
Both sides are normalized per column kind, then matched by the key column when it identifies
rows, else by the whole payload plus an occurrence counter for identical rows. All of it is
vectorised polars joins; a result row that matches nothing is reported, never guessed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import polars as pl

__all__ = [
    "RESULT_SETS",
    "MatchOutcome",
    "canonical_number",
    "column_kinds",
    "match_results",
    "normalize",
]

RESULT_SETS = ("successful", "failed", "unprocessed")
ROW = "sf__Row"
_OCCURRENCE = "__sfbulk_occurrence"
_NO_RESULT = "NO_RESULT:Salesforce returned no result row for this input row"
_NO_MATCH = (
    "NO_RESULT:no result row could be matched to this input row; see BulkResult.unmatched "
    "for the result rows that matched no input row"
)


def column_kinds(schema: Mapping[str, pl.DataType]) -> dict[str, str]:
    """The normalization kind of each input column, from its dtype (and ``Id`` by name)."""
    kinds: dict[str, str] = {}
    for name, dtype in schema.items():
        if name == "Id":
            kinds[name] = "id"
        elif dtype.is_numeric():
            kinds[name] = "number"
        elif isinstance(dtype, pl.Boolean):
            kinds[name] = "boolean"
        elif isinstance(dtype, pl.Datetime):
            kinds[name] = "datetime"
        elif isinstance(dtype, pl.Date):
            kinds[name] = "date"
        elif isinstance(dtype, pl.Time):
            kinds[name] = "time"
        else:
            kinds[name] = "text"
    return kinds


def canonical_number(text: pl.Expr) -> pl.Expr:
    """Exact canonical text of a decimal number: ``"-" + digits + "e" + exponent``.

    ``"12"``, ``"12.0"``, ``"1.2E1"`` and ``"0012.000"`` all become ``"12e0"``; text that is not a
    number is returned unchanged.
    """
    parts = text.str.strip_chars().str.to_lowercase().str.extract_groups(
        r"^(?<sign>[+-]?)(?<int>\d*)(?:\.(?<frac>\d*))?(?:e(?<esign>[+-]?)(?<exp>\d+))?$"
    )
    int_part = parts.struct.field("int").fill_null("")
    frac = parts.struct.field("frac").fill_null("")
    digits = (int_part + frac).str.strip_chars_start("0")
    significant = digits.str.strip_chars_end("0")
    exponent = parts.struct.field("exp").cast(pl.Int64).fill_null(0)
    exponent = pl.when(parts.struct.field("esign") == "-").then(-exponent).otherwise(exponent)
    exponent = (
        exponent
        - frac.str.len_chars().cast(pl.Int64)
        + (digits.str.len_chars() - significant.str.len_chars()).cast(pl.Int64)
    )
    sign = pl.when(parts.struct.field("sign") == "-").then(pl.lit("-")).otherwise(pl.lit(""))
    canonical = (
        pl.when(significant == "")
        .then(pl.lit("0e0"))
        .otherwise(sign + significant + pl.lit("e") + exponent.cast(pl.String))
    )
    is_number = (int_part + frac).str.len_chars() > 0
    return pl.when(is_number).then(canonical).otherwise(text)


def _canonical_datetime(text: pl.Expr) -> pl.Expr:
    zoned = text.str.to_datetime("%Y-%m-%dT%H:%M:%S%.f%#z", time_unit="us", time_zone="UTC",
                                 strict=False)
    naive = text.str.to_datetime("%Y-%m-%dT%H:%M:%S%.f", time_unit="us", strict=False)
    parsed = pl.coalesce(zoned.dt.replace_time_zone(None), naive)
    return pl.coalesce(parsed.dt.strftime("%Y-%m-%dT%H:%M:%S%.3f"), text)


def normalize(text: pl.Expr, kind: str) -> pl.Expr:
    """The comparable form of a text cell; empty and ``#N/A`` cells are null."""
    cell = pl.when((text == "") | (text == "#N/A")).then(None).otherwise(text)
    if kind == "number":
        return canonical_number(cell)
    if kind == "boolean":
        lowered = cell.str.to_lowercase()
        return lowered.replace({"1": "true", "0": "false"})
    if kind == "datetime":
        return _canonical_datetime(cell)
    if kind == "date":
        parsed = cell.str.slice(0, 10).str.to_date("%Y-%m-%d", strict=False)
        return pl.coalesce(parsed.dt.strftime("%Y-%m-%d"), cell)
    if kind == "time":
        parsed = cell.str.strip_suffix("Z").str.to_time("%H:%M:%S%.f", strict=False)
        return pl.coalesce(parsed.dt.strftime("%H:%M:%S%.3f"), cell)
    if kind == "id":
        return cell.str.slice(0, 15)  # an 18-char Id echoes the 15-char one it extends
    return cell


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


_SF_TEXT = ("sf__Id", "sf__Created", "sf__Error")


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


def _with_occurrence(frame: pl.DataFrame, on: list[str]) -> pl.DataFrame:
    return frame.with_columns(pl.int_range(pl.len()).over(on).alias(_OCCURRENCE))


def _unmatched(frame: pl.DataFrame, set_name: str) -> pl.DataFrame:
    extra = [pl.lit(None, dtype=pl.Int64).alias(ROW), pl.lit(set_name).alias("sf__Result")]
    return frame.select([*extra, pl.all()])


def _match_set(
    remaining: pl.DataFrame,
    results: pl.DataFrame,
    set_name: str,
    on: list[str],
    kinds: Mapping[str, str],
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(matched result rows with sf__Row, unmatched raw result rows) of one result set."""
    columns = _resolve(results, on)
    if columns is None:
        return pl.DataFrame(), _unmatched(results, set_name)
    keyed = results.with_row_index("__sfbulk_result_row").with_columns(
        normalize(pl.col(columns[name]), kinds.get(name, "text")).alias(f"__key:{name}")
        for name in on
    )
    keys = [f"__key:{name}" for name in on]
    keyed = _with_occurrence(keyed, keys)
    left = _with_occurrence(remaining.select([ROW, *keys]), keys)
    joined = keyed.join(left, on=[*keys, _OCCURRENCE], how="left", nulls_equal=True,
                        maintain_order="left")
    hit = pl.col(ROW).is_not_null()
    unmatched = joined.filter(~hit).select(results.columns)
    return joined.filter(hit), _unmatched(unmatched, set_name)


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


_EMPTY = {
    "successful": {ROW: pl.Int64, "sf__Id": pl.String, "sf__Created": pl.Boolean},
    "failed": {ROW: pl.Int64, "sf__Id": pl.String, "sf__Error": pl.String},
    "unprocessed": {ROW: pl.Int64, "sf__Error": pl.String},
}


def _match_columns(normalized: pl.DataFrame, key: str | None, payload: list[str]) -> list[str]:
    if key is not None and key in payload:
        column = normalized.get_column(f"__key:{key}")
        if column.null_count() == 0 and column.n_unique() == normalized.height:
            return [key]
    return payload


def match_results(
    cells: pl.DataFrame,
    *,
    successful: pl.DataFrame,
    failed: pl.DataFrame,
    unprocessed: pl.DataFrame,
    start: int,
    key: str | None,
    kinds: Mapping[str, str],
) -> MatchOutcome:
    """Map the result rows of one chunk to its input rows (positions ``start + i``).

    ``cells`` are the text cells that were sent (:attr:`Chunk.cells`); the result frames are
    :func:`read_result_csv` outputs. Matching is by ``key`` when it is present, non-null and
    unique within the chunk, else by the full normalized payload with an occurrence counter.
    """
    payload = list(cells.columns)
    normalized = cells.select(
        pl.int_range(pl.len(), dtype=pl.Int64).add(start).alias(ROW),
        *(normalize(pl.col(n), kinds.get(n, "text")).alias(f"__key:{n}") for n in payload),
    )
    on = _match_columns(normalized, key, payload)
    remaining = normalized
    parts: dict[str, pl.DataFrame] = {}
    unmatched: list[pl.DataFrame] = []
    for set_name, results in zip(RESULT_SETS, (successful, failed, unprocessed), strict=True):
        if results.height == 0:
            parts[set_name] = pl.DataFrame(schema=_EMPTY[set_name])
            continue
        matched, missed = _match_set(remaining, results, set_name, on, kinds)
        parts[set_name] = _shape(matched, set_name) if matched.height else pl.DataFrame(
            schema=_EMPTY[set_name]
        )
        if missed.height:
            unmatched.append(missed)
        if matched.height:
            remaining = remaining.join(matched.select(ROW), on=ROW, how="anti",
                                       maintain_order="left")
    reason = _NO_MATCH if unmatched else _NO_RESULT
    no_result = remaining.select(pl.col(ROW), pl.lit(reason).alias("sf__Error"))
    parts["unprocessed"] = pl.concat([parts["unprocessed"], no_result]).sort(ROW)
    return MatchOutcome(
        successful=parts["successful"].sort(ROW),
        failed=parts["failed"].sort(ROW),
        unprocessed=parts["unprocessed"],
        unmatched=(
            pl.concat(unmatched, how="diagonal_relaxed")
            if unmatched
            else pl.DataFrame(schema={ROW: pl.Int64, "sf__Result": pl.String})
        ),
    )
