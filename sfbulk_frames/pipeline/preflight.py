"""Preflight in the pipeline: describe once per load (object + relationship parents), check the
columns before any job is created, and with ``preflight="rows"`` hold back the rows describe
proves will fail; plus the public :func:`validate`.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import replace
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import polars as pl

from sfbulk_frames._context import resolve_client
from sfbulk_frames._exceptions import (
    ConfigurationError,
    FrameError,
    PreflightWarning,
    SfBulkError,
)
from sfbulk_frames.frames.backend import backend_of, from_polars, iter_batches, to_polars
from sfbulk_frames.frames.encode import EncodeOptions, validate_frame
from sfbulk_frames.frames.preflight import PreflightPlan, check_date_columns, plan_columns
from sfbulk_frames.frames.preflight.names import relationship_parents
from sfbulk_frames.frames.preflight.rows import RowChecker, error_cells

if TYPE_CHECKING:
    from sfbulk_frames.client.clients import Client

__all__ = ["PreflightMode", "RowGate", "check_mode", "prepare", "validate"]

logger = logging.getLogger("sfbulk_frames")

PreflightMode = Literal["columns", "rows", False]
_MODES = ("columns", "rows")


def check_mode(preflight: object) -> PreflightMode:
    """The preflight mode, or ConfigurationError naming the valid values."""
    if preflight is False or preflight is None:
        return False
    if preflight in _MODES:
        return preflight  # type: ignore[return-value]
    raise ConfigurationError(
        f"preflight={preflight!r}; use 'columns' (the default: check columns against describe), "
        "'rows' (also hold back rows that would fail) or False (no checks)"
    )


def _describe(
    client: Client, object_name: str, columns: list[str]
) -> tuple[dict[str, Any], dict[str, Any]] | None:
    """(describe, parent describes by name), or None when describe is not available."""
    try:
        describe = client.describe(object_name)
    except SfBulkError as exc:
        logger.info("describe %s failed (%s); preflight skipped", object_name, exc)
        return None
    parents: dict[str, Any] = {}
    for parent in sorted(set(relationship_parents(describe, columns).values())):
        try:
            parents[parent] = client.describe(parent)
        except SfBulkError as exc:
            logger.info(
                "describe %s failed (%s); its relationship columns are not checked", parent, exc
            )
    return describe, parents


def _plan(
    client: Client,
    frame: pl.DataFrame | pl.LazyFrame,
    schema: Mapping[str, pl.DataType],
    object_name: str,
    operation: str,
    external_id_field: str | None,
) -> PreflightPlan | None:
    described = _describe(client, object_name, list(schema))
    if described is None:
        return None
    describe, parents = described
    plan = plan_columns(
        describe, schema, operation=operation, external_id_field=external_id_field, parents=parents
    )
    if not plan.errors:
        check_date_columns(frame, plan)
    return plan


class RowGate:
    """Holds back the rows that fail the row checks, remembering where the sent rows came
    from (so result rows keep their input positions) and the held rows as failed rows."""

    def __init__(self, checker: RowChecker) -> None:
        self.checker = checker
        self.held: list[pl.DataFrame] = []
        self._kept: list[np.ndarray] = []
        self._positions: np.ndarray | None = None

    def filter(self, batches: Iterable[pl.DataFrame]) -> Iterator[pl.DataFrame]:
        offset = 0
        for batch in batches:
            n = batch.height
            errors = error_cells(self.checker.findings(batch, offset))
            if errors.height == 0:
                self._kept.append(np.arange(offset, offset + n, dtype=np.int64))
                yield batch
            else:
                held = np.zeros(n, dtype=bool)
                held[errors.get_column("row").to_numpy() - offset] = True
                mask = pl.Series(held)
                self.held.append(
                    batch.filter(mask)
                    .with_row_index("sf__Row")
                    .with_columns(
                        errors.get_column("row").alias("sf__Row"),
                        pl.lit(None, dtype=pl.String).alias("sf__Id"),
                        errors.get_column("sf__Error"),
                    )
                )
                self._kept.append(np.flatnonzero(~held).astype(np.int64) + offset)
                if held.all():
                    offset += n
                    continue
                yield batch.filter(~mask)
            offset += n

    def remap(self, part: pl.DataFrame) -> pl.DataFrame:
        """``part`` with sf__Row turned from sent-row positions into input positions."""
        if not self.held or "sf__Row" not in part.columns:
            return part
        if self._positions is None:
            self._positions = np.concatenate(self._kept) if self._kept else np.zeros(0, np.int64)
        sent = part.get_column("sf__Row")
        if sent.null_count():
            return part
        return part.with_columns(pl.Series("sf__Row", self._positions[sent.to_numpy()]))


def prepare(
    client: Client,
    frame: pl.DataFrame | pl.LazyFrame,
    schema: Mapping[str, pl.DataType],
    *,
    object_name: str,
    operation: str,
    external_id_field: str | None,
    options: EncodeOptions,
    mode: PreflightMode,
) -> tuple[EncodeOptions, dict[str, str], RowGate | None]:
    """Run the column checks of a load (describe once; raises PreflightError, warns with
    PreflightWarning) and return the encode options with the conversions, the join-back kinds
    of converted columns and, for ``mode="rows"``, the gate that holds rows back."""
    if not mode:
        return options, {}, None
    plan = _plan(client, frame, schema, object_name, operation, external_id_field)
    if plan is None:
        return options, {}, None
    plan.raise_errors()
    for finding in plan.warnings:
        # stacklevel: prepare < run_ingest < _load < insert/update/... < the caller
        warnings.warn(PreflightWarning(finding.message), stacklevel=5)
    options = replace(options, conversions={**options.conversions, **plan.conversions})
    gate = RowGate(RowChecker(plan, schema, options)) if mode == "rows" else None
    return options, plan.join_kinds(), gate


_OUTPUT = {"row": pl.Int64, "column": pl.String, "code": pl.String, "message": pl.String}


def validate(
    df: Any,
    object: str,
    operation: Literal["insert", "update", "upsert", "delete", "hardDelete"],
    *,
    external_id_field: str | None = None,
    client: Client | None = None,
    nulls: Literal["skip", "set_null"] = "skip",
) -> Any:
    """What ``preflight="rows"`` finds in ``df``, as a frame of the input's kind with columns
    ``row`` (input position; null for a column-level finding), ``column``, ``code`` and
    ``message``; empty when describe finds nothing. Nothing is sent: only describe is called.

    Warnings (e.g. numbers sent to a text field) are findings too. Salesforce remains the judge
    of what describe cannot see (validation rules, triggers, duplicates).
    """
    frame = to_polars(df)
    schema = dict(frame.collect_schema())
    try:
        validate_frame(
            list(schema), schema, operation=operation, external_id_field=external_id_field
        )
    except FrameError as exc:
        return _as_output(df, [(None, exc.column or "", "INVALID_FRAME", str(exc))], None)
    plan = _plan(resolve_client(client), frame, schema, object, operation, external_id_field)
    if plan is None:
        raise ConfigurationError(f"describe of {object!r} failed: check the object's API name")
    rows = [(None, f.column, f.code, f.message) for f in plan.findings]
    found = None
    if not plan.errors:
        options = EncodeOptions(nulls=nulls, conversions=plan.conversions)
        checker = RowChecker(plan, schema, options)
        parts, offset = [], 0
        for batch in iter_batches(frame):
            parts.append(checker.findings(batch, offset))
            offset += batch.height
        found = pl.concat(parts).drop("field") if parts else None
    return _as_output(df, rows, found)


def _as_output(df: Any, column_level: list[tuple[Any, ...]], found: pl.DataFrame | None) -> Any:
    frames = [pl.DataFrame(column_level, schema=_OUTPUT, orient="row")]
    if found is not None:
        frames.append(found)
    return from_polars(pl.concat(frames), backend_of(df), row_column="")
