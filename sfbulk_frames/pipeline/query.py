"""The high-level query pipeline: SOQL → query job → typed frame (or a parquet/CSV file).

Types come from describe metadata (the FROM object and every parent along dotted paths), not
from guessing; each result page is parsed into a typed polars frame as it arrives.
"""

from __future__ import annotations

import csv
import io
import logging
import warnings
from collections.abc import Iterable, Sequence
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, overload

import polars as pl

from sfbulk_frames._config import PollPolicy
from sfbulk_frames._context import resolve_client
from sfbulk_frames._exceptions import ConfigurationError, JobError, JobFailedError, SalesforceError
from sfbulk_frames._models import COLUMN_DELIMITERS, JobInfo, JobState, readable_job_error
from sfbulk_frames._signatures import keyword_checked
from sfbulk_frames.frames.decode import empty_query_frame, parse_query_page
from sfbulk_frames.pipeline.plan import default_poll
from sfbulk_frames.pipeline.progress import EventKind, ProgressLike, Reporter
from sfbulk_frames.pipeline.reporting import make_reporter

if TYPE_CHECKING:
    import pandas as pd

    from sfbulk_frames.client.clients import Client

__all__ = ["ColumnTyper", "query"]

logger = logging.getLogger("sfbulk_frames")


class ColumnTyper:
    """Salesforce field types of query columns, resolved through (cached) describe calls."""

    def __init__(self, client: Client, object_name: str) -> None:
        self.client = client
        self.object_name = object_name
        self.unknown: list[str] = []

    def _fields(self, object_name: str) -> list[dict[str, Any]] | None:
        try:
            return list(self.client.describe(object_name)["fields"])
        except SalesforceError as exc:
            logger.warning("describe %s failed (%s); its columns stay text", object_name, exc)
            return None

    def field_type(self, path: str) -> str | None:
        """The describe type of ``path`` (e.g. ``Account.Owner.Name``), or None if unknown."""
        *relationships, name = path.split(".")
        obj = self.object_name
        for rel in relationships:
            fields = self._fields(obj)
            ref = next(
                (
                    f
                    for f in fields or ()
                    if (f.get("relationshipName") or "").lower() == rel.lower()
                ),
                None,
            )
            if ref is None or not ref.get("referenceTo"):
                return None
            obj = ref["referenceTo"][0]
        fields = self._fields(obj)
        match = next((f for f in fields or () if f["name"].lower() == name.lower()), None)
        return None if match is None else str(match["type"])

    def columns(self, headers: Sequence[str]) -> list[tuple[str, str]]:
        typed = []
        for header in headers:
            sf_type = self.field_type(header)
            if sf_type is None:
                self.unknown.append(header)
                sf_type = "string"
            typed.append((header, sf_type))
        if self.unknown:
            warnings.warn(
                f"no metadata for column(s) {self.unknown} of {self.object_name}; "
                "they are returned as text",
                stacklevel=3,
            )
        return typed


def _header(data: bytes, delimiter: str) -> list[str]:
    first_line = data.split(b"\n", 1)[0].rstrip(b"\r").decode("utf-8-sig")
    return next(csv.reader(io.StringIO(first_line), delimiter=delimiter), [])


def _text_where_mixed(frames: list[pl.DataFrame]) -> list[pl.DataFrame]:
    """Pages stacked as they are, except that a column which fell back to text on some page
    (a value that did not parse, see parse_query_page) is text on every page: polars writes
    that column's typed values back as text."""
    if len(frames) < 2:
        return frames
    mixed = [name for name in frames[0].columns if len({f.schema[name] for f in frames}) > 1]
    if not mixed:
        return frames
    return [frame.with_columns(pl.col(mixed).cast(pl.String)) for frame in frames]


def _pandas_types() -> dict[Any, Any]:
    import pandas as pd
    import pyarrow as pa

    return {
        pa.int64(): pd.Int64Dtype(),
        pa.bool_(): pd.BooleanDtype(),
        pa.float64(): pd.Float64Dtype(),
        pa.string(): pd.StringDtype(),
        pa.large_string(): pd.StringDtype(),
        pa.string_view(): pd.StringDtype(),
    }


class _Sink:
    """Where typed pages go: a list (returned as one frame) or a parquet/CSV file.

    For ``backend="pandas"`` each page is turned into Arrow (the string copy pandas needs)
    as it arrives and its polars frame is dropped, so the whole result never exists twice
    in polars and Arrow form; pandas columns are made once at the end.
    """

    def __init__(self, out: str | Path | None, backend: str = "polars", job_id: str = "") -> None:
        self.out = Path(out) if out is not None else None
        self.job_id = job_id
        self.backend = backend
        self.frames: list[pl.DataFrame] = []
        self.tables: list[Any] = []  # pyarrow Tables, for backend="pandas"
        self._writer: Any = None
        self._csv: Any = None

    def write(self, frame: pl.DataFrame) -> None:
        if self.out is None:
            if self.backend == "pandas":
                self.tables.append(frame.to_arrow())
            else:
                self.frames.append(frame)
        elif self.out.suffix.lower() == ".parquet":
            import pyarrow.parquet as pq

            table = frame.to_arrow()
            if self._writer is None:
                self._writer = pq.ParquetWriter(self.out, table.schema)
            elif table.schema != self._writer.schema:
                changed = [f.name for f in table.schema if f != self._writer.schema.field(f.name)]
                raise JobError(
                    f"query job {self.job_id}: column(s) {changed} held a value that does not "
                    "parse as the field's type on a later page, so they cannot stay typed in "
                    f"{self.out}; write to a .csv file instead (out='….csv')",
                    job_ids=[self.job_id],
                )
            self._writer.write_table(table)
        else:
            if self._csv is None:
                self._csv = self.out.open("wb")
                frame.write_csv(self._csv, include_header=True)
            else:
                frame.write_csv(self._csv, include_header=False)

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
        if self._csv is not None:
            self._csv.close()

    def result(self) -> Any:
        """The pages as one frame of the backend (typed and empty when there was none)."""
        if self.backend != "pandas":
            frames, self.frames = _text_where_mixed(self.frames), []
            return pl.concat(frames, how="vertical") if frames else empty_query_frame([])
        import pyarrow as pa

        tables, self.tables = self.tables or [empty_query_frame([]).to_arrow()], []
        if any(table.schema != tables[0].schema for table in tables):
            frames = _text_where_mixed([pl.DataFrame(table) for table in tables])
            tables = [frame.to_arrow() for frame in frames]
        table = pa.concat_tables(tables)  # no copy: the pages become chunks
        del tables
        return table.to_pandas(types_mapper=_pandas_types().get, date_as_object=False)


def _typed_pages(
    pages: Iterable[Any],
    typer: ColumnTyper,
    delimiter: str,
    line_ending: str,
    reporter: Reporter,
    job_id: str,
) -> Iterable[pl.DataFrame]:
    columns: list[tuple[str, str]] | None = None
    for page in pages:
        if columns is None:
            columns = typer.columns(_header(page.data, delimiter))
        frame = parse_query_page(page.data, columns, delimiter=delimiter, line_ending=line_ending)
        reporter.emit("query_page", "query", job_id=job_id, rows=frame.height)
        yield frame
    if columns is None:  # pragma: no cover - the API always answers at least one page
        return


def _emit_job(reporter: Reporter, kind: EventKind, info: JobInfo) -> None:
    """A query job's ``job_state`` or ``job_done`` event."""
    reporter.emit(
        kind,
        "query",
        object=info.object,
        job_id=info.id,
        state=str(info.state),
        processed=info.number_records_processed,
    )


def _download(
    job: Any,
    info: JobInfo,
    client: Client,
    sink: _Sink,
    reporter: Reporter,
    max_records: int | None,
    parallel: bool,
) -> None:
    """Every result page of a finished query job, typed and written to ``sink``."""
    delimiter = COLUMN_DELIMITERS[info.column_delimiter or "COMMA"]
    typer = ColumnTyper(client, info.object or "")
    pages = job.iter_pages(max_records=max_records, parallel=parallel)
    for frame in _typed_pages(pages, typer, delimiter, info.line_ending or "LF", reporter, info.id):
        sink.write(frame)


@overload
def query(
    soql: str,
    *,
    client: Client | None = ...,
    backend: Literal["polars"] = ...,
    include_deleted: bool = ...,
    max_records_per_page: int | None = ...,
    parallel: bool = ...,
    out: None = ...,
    progress: ProgressLike = ...,
    timeout: float | None = ...,
    poll: PollPolicy | None = ...,
    delete_job: bool = ...,
) -> pl.DataFrame: ...


@overload
def query(
    soql: str,
    *,
    client: Client | None = ...,
    backend: Literal["pandas"],
    include_deleted: bool = ...,
    max_records_per_page: int | None = ...,
    parallel: bool = ...,
    out: None = ...,
    progress: ProgressLike = ...,
    timeout: float | None = ...,
    poll: PollPolicy | None = ...,
    delete_job: bool = ...,
) -> pd.DataFrame: ...


@overload
def query(
    soql: str,
    *,
    client: Client | None = ...,
    backend: Literal["polars", "pandas"] = ...,
    include_deleted: bool = ...,
    max_records_per_page: int | None = ...,
    parallel: bool = ...,
    out: str | Path,
    progress: ProgressLike = ...,
    timeout: float | None = ...,
    poll: PollPolicy | None = ...,
    delete_job: bool = ...,
) -> Path: ...


@keyword_checked
def query(
    soql: str,
    *,
    client: Client | None = None,
    backend: Literal["polars", "pandas"] = "polars",
    include_deleted: bool = False,
    max_records_per_page: int | None = None,
    parallel: bool = True,
    out: str | Path | None = None,
    progress: ProgressLike = "auto",
    timeout: float | None = None,
    poll: PollPolicy | None = None,
    delete_job: bool = True,
) -> pl.DataFrame | pd.DataFrame | Path:
    """Run ``soql`` as a Bulk API 2.0 query job and return a typed frame.

    With ``out=`` ("x.parquet" or "x.csv") pages are streamed to that file (memory bounded by a
    page) and its path is returned. Raises a QueryError subclass for SOQL Salesforce rejects,
    JobFailedError if the job fails, JobTimeoutError (with the job id) after ``timeout``.
    """
    if backend not in ("polars", "pandas"):
        raise ConfigurationError(f"backend={backend!r}: use 'polars' or 'pandas'")
    client = resolve_client(client)
    job = client.create_query_job(soql, include_deleted=include_deleted)
    reporter = make_reporter(progress, desc="query")
    created = job.last_info
    reporter.emit(
        "start",
        "query",
        object=created.object if created else None,
        job_id=job.id,
        state=str(created.state) if created else None,
    )
    completed = False
    try:
        info = job.wait(
            timeout=timeout,
            poll=default_poll(client, poll),
            on_poll=partial(_emit_job, reporter, "job_state"),
        )
        _emit_job(reporter, "job_done", info)
        if info.state != JobState.JOB_COMPLETE:
            raise JobFailedError(
                f"query job {info.id} ended {info.state}: "
                f"{readable_job_error(info.error_message) or 'no message'}; "
                "check the SOQL and the org's limits, then run the query again",
                job_ids=[info.id],
            )
        sink = _Sink(out, backend, info.id)
        try:
            _download(job, info, client, sink, reporter, max_records_per_page, parallel)
        finally:
            sink.close()
        completed = True
    finally:
        reporter.emit("finish", "query", job_id=job.id, message="" if completed else "stopped")
        reporter.close()
    if delete_job:
        job.delete()
    if sink.out is not None:
        return sink.out
    result: pl.DataFrame | pd.DataFrame = sink.result()
    return result
