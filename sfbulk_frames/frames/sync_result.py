"""SyncPlan and SyncResult: what ``sync`` found (and did), as frames of the input's kind."""

from __future__ import annotations

import html
from collections.abc import Mapping
from functools import cached_property
from typing import Any

import polars as pl

from sfbulk_frames.frames.backend import Backend, from_polars, to_pandas_frame
from sfbulk_frames.frames.diff import ID, ROW, Classified
from sfbulk_frames.frames.result import BulkResult

__all__ = ["SyncPlan", "SyncResult"]

_ANNOTATION = {"sf__Id": pl.String, "sf__Created": pl.Boolean, "sf__Error": pl.String,
               "status": pl.String}


class SyncPlan:
    """What a sync would write: every source row classified, every org record in scope that the
    source does not hold listed.

    ``create``, ``update`` and ``unchanged`` are the source rows (the input's own values, dtypes
    and, for pandas, index labels) with ``sf__Row`` (position in the input); ``update`` and
    ``unchanged`` add ``sf__Id`` (the org record) and ``update`` ``sf__Changed`` (the changed
    fields). ``changes`` has one row per changed field (sf__Row, sf__Id, key, field, and old
    and new as text: the org's value and the source's; datetimes in UTC). ``missing`` holds
    the org records in scope that no source row has; ``conflicts`` the source rows and org
    records that are never sent (a missing or repeated key, a key shared by several records).
    """

    def __init__(self, *, classified: Classified, source: pl.DataFrame, backend: Backend,
                 pandas_source: Any, object: str, key: str, where: str | None,
                 compare: list[str], field_types: Mapping[str, str] | None = None) -> None:
        self._parts = classified
        self._source = source
        self.backend: Backend = backend
        self._pandas_source = pandas_source
        self.object = object
        self.key = key
        self.where = where
        self.compare = list(compare)
        self.field_types = dict(field_types or {})
        """The describe type of the key and of each compared column."""

    # --- counts ---------------------------------------------------------------------------

    def counts(self) -> dict[str, int]:
        """Rows per class: create, update, unchanged, missing (org records), conflicts."""
        return {
            "create": self._parts.create.height,
            "update": self._parts.update.height,
            "unchanged": self._parts.unchanged.height,
            "missing": self._parts.missing.height,
            "conflicts": self._parts.conflicts.height,
        }

    def changed_fields(self) -> dict[str, int]:
        """Updated rows per changed field, most first."""
        counts = (self._parts.changes.group_by("field").len()
                  .sort(["len", "field"], descending=[True, False]))
        return dict(counts.iter_rows())

    @property
    def writes_needed(self) -> bool:
        """True when a sync would send anything (creates or updates; deletes only with
        ``delete_missing``)."""
        return bool(self._parts.create.height or self._parts.update.height)

    # --- frames ---------------------------------------------------------------------------

    def _source_rows(self, part: pl.DataFrame) -> Any:
        """The input rows at ``part``'s sf__Row positions plus ``part``'s other columns."""
        rows = self._source[part.get_column(ROW)].hstack(part.drop(ROW)).with_columns(
            part.get_column(ROW))
        return from_polars(rows, self.backend, pandas_source=self._pandas_source)

    def _table(self, frame: pl.DataFrame) -> Any:
        return frame if self.backend == "polars" else to_pandas_frame(frame)

    @cached_property
    def create(self) -> Any:
        """Source rows with no org record: sent as creates."""
        return self._source_rows(self._parts.create)

    @cached_property
    def update(self) -> Any:
        """Source rows whose org record differs: + ``sf__Id``, ``sf__Changed``."""
        return self._source_rows(self._parts.update)

    @cached_property
    def unchanged(self) -> Any:
        """Source rows equal to their org record (never sent): + ``sf__Id``."""
        return self._source_rows(self._parts.unchanged)

    @cached_property
    def changes(self) -> Any:
        """One row per changed field: sf__Row, sf__Id, key, field, old, new."""
        return self._table(self._parts.changes)

    @cached_property
    def missing(self) -> Any:
        """Org records in scope that no source row has (deleted with ``delete_missing``)."""
        return self._table(self._parts.missing)

    @cached_property
    def conflicts(self) -> Any:
        """Rows and records never sent: sf__Row (source) or sf__Id (org), key, reason."""
        return self._table(self._parts.conflicts)

    @property
    def source_frame(self) -> pl.DataFrame:
        """The source as a polars frame (a LazyFrame source collected)."""
        return self._source

    @property
    def parts(self) -> Classified:
        """The plan's polars frames (positions and ids, no payload)."""
        return self._parts

    # --- display --------------------------------------------------------------------------

    def __repr__(self) -> str:
        counts = self.counts()
        text = ", ".join(f"{n:,} {name}" for name, n in counts.items())
        fields = ", ".join(f"{f} x{n:,}" for f, n in list(self.changed_fields().items())[:5])
        scope = f" where {self.where}" if self.where else ""
        return (f"<SyncPlan {self.object} by {self.key}{scope}: {text}"
                + (f"; changed fields: {fields}" if fields else "") + ">")

    def _repr_html_(self) -> str:
        esc = html.escape
        rows = "".join(f"<tr><td>{esc(k)}</td><td>{n:,}</td></tr>"
                       for k, n in self.counts().items())
        fields = "".join(f"<tr><td>{esc(f)}</td><td>{n:,}</td></tr>"
                         for f, n in self.changed_fields().items())
        return (f"<div><p><b>SyncPlan</b> {esc(self.object)} by {esc(self.key)}</p>"
                f"<table><tr><th>class</th><th>rows</th></tr>{rows}</table>"
                + (f"<table><tr><th>changed field</th><th>rows</th></tr>{fields}</table>"
                   if fields else "") + "</div>")


class SyncResult:
    """The plan of a sync and the :class:`BulkResult` of each write it sent.

    ``writes`` maps a label (``"create"``, ``"update"``, ``"update[Email,Phone]"`` when only
    the changed columns were sent, ``"delete"``) to its BulkResult, whose parts hold the rows of
    that write (``sf__Row`` is the position in the write; :meth:`annotate` maps them back).
    """

    def __init__(self, plan: SyncPlan, writes: Mapping[str, BulkResult[Any]],
                 positions: Mapping[str, pl.Series]) -> None:
        self.plan = plan
        self.writes = dict(writes)
        self._positions = dict(positions)

    @property
    def jobs(self) -> list[Any]:
        """Every ingest job of every write."""
        return [job for write in self.writes.values() for job in write.jobs]

    @property
    def ok(self) -> bool:
        """True when every write succeeded in full and no row was left out as a conflict."""
        return self.plan.counts()["conflicts"] == 0 and all(w.ok for w in self.writes.values())

    def counts(self) -> dict[str, int]:
        """The plan's counts plus rows per outcome of the writes (successful, failed,
        unprocessed, deleted)."""
        totals = {"successful": 0, "failed": 0, "unprocessed": 0, "deleted": 0}
        for label, write in self.writes.items():
            counts = write.counts()
            if label == "delete":
                totals["deleted"] += counts["successful"]
                totals["failed"] += counts["failed"]
                totals["unprocessed"] += counts["unprocessed"]
            else:
                for name in ("successful", "failed", "unprocessed"):
                    totals[name] += counts[name]
        return {**self.plan.counts(), **totals}

    def _write_outcomes(self) -> pl.DataFrame:
        frames = [pl.DataFrame(schema={ROW: pl.Int64, **_ANNOTATION, "sf__Action": pl.String})]
        for label, write in self.writes.items():
            if label == "delete":
                continue
            annotated = write.annotate()
            if not isinstance(annotated, pl.DataFrame):
                annotated = pl.from_pandas(annotated[list(_ANNOTATION)].reset_index(drop=True))
            action = "create" if label == "create" else "update"
            frames.append(annotated.select(
                self._positions[label].alias(ROW),
                *(pl.col(name).cast(dtype) for name, dtype in _ANNOTATION.items()),
                pl.lit(action).alias("sf__Action"),
            ))
        return pl.concat(frames)

    def annotate(self) -> Any:
        """Every source row, in input order, with ``sf__Id``, ``sf__Created``, ``sf__Error``,
        ``sf__Action`` (create, update, unchanged, conflict) and ``status`` (success, failed,
        unprocessed, unchanged — never sent —, or conflict, with the reason in sf__Error)."""
        parts = self.plan.parts
        unchanged = parts.unchanged.select(
            ROW, pl.col(ID).alias("sf__Id"), pl.lit(None, dtype=pl.Boolean).alias("sf__Created"),
            pl.lit(None, dtype=pl.String).alias("sf__Error"), pl.lit("unchanged").alias("status"),
            pl.lit("unchanged").alias("sf__Action"))
        conflicts = parts.conflicts.filter(pl.col(ROW).is_not_null()).select(
            ROW, pl.lit(None, dtype=pl.String).alias("sf__Id"),
            pl.lit(None, dtype=pl.Boolean).alias("sf__Created"),
            pl.col("reason").alias("sf__Error"), pl.lit("conflict").alias("status"),
            pl.lit("conflict").alias("sf__Action"))
        # each write's BulkResult covers every row it was given: with the unchanged rows and the
        # conflicts, every source row is here exactly once
        outcomes = pl.concat([self._write_outcomes(), unchanged, conflicts],
                             how="diagonal_relaxed").sort(ROW)
        # ROW is consecutive 0..n-1 here: every source row is in exactly one class
        converted = self.plan._source_rows(outcomes)
        return converted.drop(columns=[ROW]) if self.plan.backend == "pandas" else (
            converted.drop(ROW))

    def __repr__(self) -> str:
        counts = self.counts()
        return (f"<SyncResult {self.plan.object} by {self.plan.key}: {counts['create']:,} create, "
                f"{counts['update']:,} update, {counts['unchanged']:,} unchanged (not sent), "
                f"{counts['missing']:,} missing, {counts['conflicts']:,} conflicts; "
                f"{counts['successful']:,} successful, {counts['failed']:,} failed, "
                f"{counts['unprocessed']:,} unprocessed, {counts['deleted']:,} deleted; "
                f"{len(self.jobs)} job{'s' if len(self.jobs) != 1 else ''}; ok={self.ok}>")

    def _repr_html_(self) -> str:
        rows = "".join(f"<tr><td>{html.escape(k)}</td><td>{n:,}</td></tr>"
                       for k, n in self.counts().items())
        return (f"<div><p><b>SyncResult</b> {html.escape(self.plan.object)} — "
                f"{len(self.jobs)} job(s), ok={self.ok}</p>"
                f"<table><tr><th></th><th>rows</th></tr>{rows}</table></div>")

