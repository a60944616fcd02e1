"""``sync``: a change-aware load. Query the org's records in scope, compare them with the source
per field type (:mod:`sfbulk_frames.frames.diff`), then send only the creates and updates —
and, with ``delete_missing``, delete the records the source no longer has.

The org is read with :func:`~sfbulk_frames.query` (typed from describe) and written with the
ingest pipeline, so retries, chunking, progress and the join-back are the loads' own.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, overload

import polars as pl

from sfbulk_frames._config import PollPolicy
from sfbulk_frames._context import resolve_client
from sfbulk_frames._exceptions import ConfigurationError, FrameError, SyncScopeError
from sfbulk_frames.frames.backend import backend_of, to_polars
from sfbulk_frames.frames.diff import CHANGED, ROW, classify
from sfbulk_frames.frames.encode import DEFAULT_MAX_BYTES, EncodeOptions
from sfbulk_frames.frames.result import BulkResult
from sfbulk_frames.frames.sync_result import SyncPlan, SyncResult
from sfbulk_frames.pipeline.ingest import IngestSpec, run_ingest
from sfbulk_frames.pipeline.progress import ProgressLike
from sfbulk_frames.pipeline.query import query

if TYPE_CHECKING:
    from sfbulk_frames.client.clients import Client

__all__ = ["SendColumns", "sync"]

logger = logging.getLogger("sfbulk_frames")

SendColumns = Literal["all", "changed"]


def _field(client: Client, object_name: str, path: str) -> dict[str, Any] | None:
    """The describe entry of ``path`` (``Email`` or ``Account.ExternalId__c``), or None."""
    *relationships, name = path.split(".")
    obj = object_name
    for rel in relationships:
        fields = client.describe(obj)["fields"]
        ref = next((f for f in fields
                    if (f.get("relationshipName") or "").lower() == rel.lower()), None)
        if ref is None or not ref.get("referenceTo"):
            return None
        obj = ref["referenceTo"][0]
    return next((dict(f) for f in client.describe(obj)["fields"]
                 if f["name"].lower() == name.lower()), None)


def _fields(client: Client, object_name: str, key: str, compare: Sequence[str]
            ) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for column in [key, *compare]:
        entry = _field(client, object_name, column) if ":" not in column else None
        if entry is None:
            raise ConfigurationError(
                f"column {column!r} is not a field of {object_name} that can be queried back; "
                f"rename it to the field's API name, or pass compare=[...] without it"
            )
        found[column] = entry
    entry = found[key]
    if key != "Id" and not (entry.get("externalId") or entry.get("idLookup")):
        raise ConfigurationError(
            f"key {key!r} of {object_name} is not an External ID field; sync matches records "
            "by an External ID (or Id): mark the field as External ID or use key='Id'"
        )
    return found


def _org_records(client: Client, object_name: str, key: str, compare: Sequence[str],
                 where: str | None, progress: ProgressLike, timeout: float | None,
                 poll: PollPolicy | None, schema: pl.Schema) -> pl.DataFrame:
    columns = list(dict.fromkeys(["Id", key, *compare]))
    soql = f"SELECT {', '.join(columns)} FROM {object_name}"
    if where:
        soql += f" WHERE {where}"
    org = query(soql, client=client, progress=progress, timeout=timeout, poll=poll)
    by_lower = {name.lower(): name for name in org.columns}
    org = org.select(
        pl.col(by_lower[c.lower()]).alias(c) if c.lower() in by_lower
        else pl.lit(None, dtype=schema.get(c, pl.String())).alias(c)
        for c in columns
    )
    return org


def _default_compare(columns: Sequence[str], key: str) -> list[str]:
    return [c for c in columns if c != key and c != "Id" and ":" not in c]


def plan_sync(
    df: Any,
    object: str,
    key: str,
    *,
    where: str | None = None,
    compare: Sequence[str] | None = None,
    client: Client | None = None,
    progress: ProgressLike = "auto",
    timeout: float | None = None,
    poll: PollPolicy | None = None,
) -> SyncPlan:
    """Query the org (restricted by ``where``) and classify every source row; nothing written.

    Raises FrameError when ``key`` or a ``compare`` column is not in the frame,
    ConfigurationError when a column is not a queryable field or ``key`` is no External ID.
    """
    backend = backend_of(df)
    frame = to_polars(df)
    source = frame.collect() if isinstance(frame, pl.LazyFrame) else frame
    if key not in source.columns:
        raise FrameError(f"the key column {key!r} is not in the frame; its columns are "
                         f"{source.columns}", column=key)
    chosen = _default_compare(source.columns, key) if compare is None else list(compare)
    absent = [c for c in chosen if c not in source.columns]
    if absent:
        raise FrameError(f"compare column(s) {absent} are not in the frame", column=absent[0])
    client = resolve_client(client)
    fields = _fields(client, object, key, chosen)
    org = _org_records(client, object, key, chosen, where, progress, timeout, poll,
                       source.schema)
    classified = classify(source, org, key=key, compare=chosen, fields=fields)
    return SyncPlan(classified=classified, source=source, backend=backend,
                    pandas_source=df if backend == "pandas" else None, object=object, key=key,
                    where=where, compare=chosen,
                    field_types={c: str(f.get("type")) for c, f in fields.items()})


def _rows(plan: SyncPlan, df: Any, positions: pl.Series, columns: Sequence[str]) -> Any:
    """The input rows at ``positions``, only ``columns``, in the input's kind."""
    if plan.backend == "pandas":
        return df.iloc[positions.to_numpy()][list(columns)]
    return plan.source_frame[positions].select(columns)


@dataclass(frozen=True)
class _LoadOptions:
    """The load options of one sync call, shared by its writes."""

    max_bytes: int
    max_records: int | None
    max_concurrent_jobs: int
    timeout: float | None
    poll: PollPolicy | None
    delete_jobs: bool

    def spec(self, object: str, operation: str, *, external_id_field: str | None = None,
             clear: Sequence[str] = ()) -> IngestSpec:
        """The load of one write; nulls in ``clear`` are sent as ``#N/A``, other nulls skipped."""
        return IngestSpec(
            object=object, operation=operation, external_id_field=external_id_field,
            encode=EncodeOptions(nulls="skip", nulls_by_column=dict.fromkeys(clear, "set_null"),
                                 max_bytes=self.max_bytes, max_records=self.max_records),
            max_concurrent_jobs=self.max_concurrent_jobs, timeout=self.timeout, poll=self.poll,
            delete_jobs=self.delete_jobs,
        )


def _checkboxes_false(rows: Any, columns: Sequence[str]) -> Any:
    """``rows`` (a copy) with nulls in the checkbox ``columns`` as false: Salesforce stores an
    unset checkbox as false (the comparison does too), and a checkbox takes no ``#N/A``."""
    if not columns:
        return rows
    if isinstance(rows, pl.DataFrame):
        return rows.with_columns(
            pl.col(c).fill_null("false" if rows.schema[c] == pl.String else False)
            for c in columns)
    import pandas as pd

    rows = rows.copy()
    for c in columns:
        false: Any = "false" if pd.api.types.is_string_dtype(rows[c]) else False
        rows[c] = rows[c].where(rows[c].notna(), false)
    return rows


class _Writer:
    """Sends the plan's writes with the load options of one sync call."""

    def __init__(self, plan: SyncPlan, df: Any, client: Client, options: _LoadOptions,
                 progress: ProgressLike) -> None:
        self.plan, self.df, self.client = plan, df, client
        self.options, self.progress = options, progress
        self.writes: dict[str, BulkResult[Any]] = {}
        self.positions: dict[str, pl.Series] = {}

    def send(self, label: str, operation: str, positions: pl.Series, columns: Sequence[str],
             *, clear: bool) -> None:
        """Send the rows at ``positions`` with ``columns``; with ``clear``, a null in a compared
        column clears the field (the org's value differs: the source removed it)."""
        if positions.len() == 0:
            return
        key = self.plan.key if operation == "upsert" else None
        compared = [c for c in columns if c in self.plan.compare] if clear else []
        spec = self.options.spec(self.plan.object, operation, external_id_field=key,
                                 clear=compared)
        checkboxes = [c for c in columns if self.plan.field_types.get(c) == "boolean"]
        rows = _checkboxes_false(_rows(self.plan, self.df, positions, columns), checkboxes)
        self.writes[label] = run_ingest(rows, spec, client=self.client, progress=self.progress)
        self.positions[label] = positions

    def delete(self, ids: pl.Series) -> None:
        if ids.len() == 0:
            return
        spec = self.options.spec(self.plan.object, "delete")
        self.writes["delete"] = run_ingest(pl.DataFrame({"Id": ids}), spec, client=self.client,
                                           progress=self.progress)


def _send(writer: _Writer, send_columns: SendColumns) -> None:
    plan = writer.plan
    parts = plan.parts
    columns = list(plan.source_frame.columns)
    by_id = plan.key == "Id"
    creates = parts.create.get_column(ROW)
    if by_id:
        writer.send("create", "insert", creates, [c for c in columns if c != "Id"], clear=False)
    else:
        writer.send("create", "upsert", creates, columns, clear=False)
    operation = "update" if by_id else "upsert"
    if send_columns == "all":
        writer.send("update", operation, parts.update.get_column(ROW), columns, clear=True)
        return
    groups = parts.update.group_by(pl.col(CHANGED).list.join(",").alias("fields"),
                                   maintain_order=True).agg(pl.col(ROW))
    for fields, rows in groups.sort("fields").iter_rows():
        writer.send(f"update[{fields}]", operation, pl.Series(ROW, rows, dtype=pl.Int64),
                    [plan.key, *fields.split(",")], clear=True)


@overload
def sync(df: Any, object: str, key: str, *, where: str | None = ...,
         delete_missing: bool = ..., confirm_delete_all: bool = ...,
         compare: Sequence[str] | None = ..., dry_run: Literal[True],
         send_columns: SendColumns = ..., client: Client | None = ...,
         max_bytes: int = ..., max_records: int | None = ..., max_concurrent_jobs: int = ...,
         timeout: float | None = ..., poll: PollPolicy | None = ...,
         progress: ProgressLike = ..., delete_jobs: bool = ...,
         raise_on_failure: bool = ...) -> SyncPlan: ...
@overload
def sync(df: Any, object: str, key: str, *, where: str | None = ...,
         delete_missing: bool = ..., confirm_delete_all: bool = ...,
         compare: Sequence[str] | None = ..., dry_run: Literal[False] = ...,
         send_columns: SendColumns = ..., client: Client | None = ...,
         max_bytes: int = ..., max_records: int | None = ..., max_concurrent_jobs: int = ...,
         timeout: float | None = ..., poll: PollPolicy | None = ...,
         progress: ProgressLike = ..., delete_jobs: bool = ...,
         raise_on_failure: bool = ...) -> SyncResult: ...
@overload
def sync(df: Any, object: str, key: str, *, where: str | None = ...,
         delete_missing: bool = ..., confirm_delete_all: bool = ...,
         compare: Sequence[str] | None = ..., dry_run: bool,
         send_columns: SendColumns = ..., client: Client | None = ...,
         max_bytes: int = ..., max_records: int | None = ..., max_concurrent_jobs: int = ...,
         timeout: float | None = ..., poll: PollPolicy | None = ...,
         progress: ProgressLike = ..., delete_jobs: bool = ...,
         raise_on_failure: bool = ...) -> SyncPlan | SyncResult: ...


def sync(
    df: Any,
    object: str,
    key: str,
    *,
    where: str | None = None,
    delete_missing: bool = False,
    confirm_delete_all: bool = False,
    compare: Sequence[str] | None = None,
    dry_run: bool = False,
    send_columns: SendColumns = "all",
    client: Client | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_records: int | None = None,
    max_concurrent_jobs: int = 4,
    timeout: float | None = None,
    poll: PollPolicy | None = None,
    progress: ProgressLike = "auto",
    delete_jobs: bool = False,
    raise_on_failure: bool = False,
) -> SyncPlan | SyncResult:
    """Make ``object``'s records in scope equal to ``df``, sending only what changed.

    The org is queried for ``Id``, ``key`` and the ``compare`` columns (default: every column
    of the frame but the key and polymorphic ``Who:`` columns, which cannot be queried back)
    ``WHERE where`` (the records this source owns). Every source row is classified
    create / update / unchanged / conflict and every record in scope that the source lacks is
    ``missing``. ``dry_run=True`` returns that :class:`SyncPlan`; nothing is written.
    Otherwise creates are upserted by ``key`` (inserted when the key is ``Id``) with nulls
    skipped, updates upserted (updated by Id) with nulls in compared columns sent as ``#N/A``
    so that a value removed from the source is cleared (a null checkbox is sent as false;
    nulls in columns that are not compared are skipped) — every column of the frame
    (``send_columns="all"``) or only each row's changed fields, one job per set of changed
    fields (``send_columns="changed"``) — and with ``delete_missing=True`` the missing records are
    deleted. Unchanged rows and conflicts are never sent.

    The load options are the loads' own; ``timeout`` bounds each wait (the query, then each
    write) and raises JobTimeoutError with the job ids.

    Raises SyncScopeError when ``delete_missing`` is set without ``where`` (the scope would
    be the whole object), or with a frame that has no rows (every record in scope would go),
    unless ``confirm_delete_all=True``; FrameError / ConfigurationError
    as :func:`plan_sync`; JobFailedError at the end with ``raise_on_failure``.
    """
    if delete_missing and where is None and not confirm_delete_all:
        raise SyncScopeError(
            f"delete_missing=True without where= would delete every {object} record that the "
            "frame does not hold; pass where='…' (the records this source owns) or "
            "confirm_delete_all=True"
        )
    if send_columns not in ("all", "changed"):
        raise ConfigurationError(f"send_columns={send_columns!r}; use 'all' or 'changed'")
    if max_concurrent_jobs < 1:
        raise ConfigurationError("max_concurrent_jobs must be at least 1")
    client = resolve_client(client)
    plan = plan_sync(df, object, key, where=where, compare=compare, client=client,
                     progress=progress, timeout=timeout, poll=poll)
    logger.info("sync %s by %s: %s", object, key, plan.counts())
    if dry_run:
        return plan
    missing = plan.counts()["missing"]
    if delete_missing and missing and plan.source_frame.height == 0 and not confirm_delete_all:
        raise SyncScopeError(
            f"the frame has no rows: delete_missing=True would delete all {missing:,} {object} "
            "records in scope (an empty extract?); nothing was sent — pass "
            "confirm_delete_all=True if that is intended"
        )
    options = _LoadOptions(max_bytes, max_records, max_concurrent_jobs, timeout, poll,
                           delete_jobs)
    writer = _Writer(plan, df, client, options, progress)
    _send(writer, send_columns)
    if delete_missing:
        writer.delete(plan.parts.missing.get_column("Id"))
    result = SyncResult(plan, writer.writes, writer.positions)
    if raise_on_failure:
        for write in result.writes.values():
            write.raise_for_failures()
    return result
