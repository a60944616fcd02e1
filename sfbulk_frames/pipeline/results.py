"""A finished ingest job's results: downloading the three result sets, and how to compare
their echoed values with the input (by column dtype, else by the Salesforce field's type)."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from functools import partial
from typing import TYPE_CHECKING

import polars as pl

from sfbulk_frames._exceptions import SfBulkError
from sfbulk_frames._models import COLUMN_DELIMITERS, JobInfo
from sfbulk_frames.frames.decode import read_result_csv
from sfbulk_frames.frames.joinback import ResultSource, column_kinds

if TYPE_CHECKING:
    from sfbulk_frames.client.clients import Client
    from sfbulk_frames.client.jobs import IngestJob

__all__ = ["fetch_results", "join_kinds", "result_readers"]

logger = logging.getLogger("sfbulk_frames")

_KIND_OF_FIELD_TYPE = {
    "int": "number",
    "long": "number",
    "double": "number",
    "currency": "number",
    "percent": "number",
    "boolean": "boolean",
    "date": "date",
    "datetime": "datetime",
    "time": "time",
}


def join_kinds(
    client: Client, object_name: str, schema: Mapping[str, pl.DataType]
) -> dict[str, str]:
    """How to compare each column's sent and echoed values.

    Typed columns follow their dtype. Text columns (e.g. a CSV read as text) are compared by
    the Salesforce field's type, because Salesforce echoes ``912260031`` sent to a double field
    as ``9.12260031E8``; when describe is not available they are compared as text.
    """
    kinds = column_kinds(schema)
    if all(kind != "text" for kind in kinds.values()):
        return kinds
    try:
        fields = {f["name"].lower(): f["type"] for f in client.describe(object_name)["fields"]}
    except SfBulkError as exc:
        logger.info("describe %s failed (%s); text columns are matched as text", object_name, exc)
        return kinds
    for column, kind in kinds.items():
        field_kind = _KIND_OF_FIELD_TYPE.get(fields.get(column.lower(), ""))
        if kind == "text" and field_kind is not None:
            kinds[column] = field_kind
    return kinds


def fetch_results(job: IngestJob, info: JobInfo) -> dict[str, pl.DataFrame]:
    """The three result sets of a finished job as all-text frames."""
    delimiter = COLUMN_DELIMITERS[info.column_delimiter or "COMMA"]
    line_ending = info.line_ending or "LF"
    return {
        "successful": read_result_csv(
            job.successful_results(), delimiter=delimiter, line_ending=line_ending
        ),
        "failed": read_result_csv(
            job.failed_results(), delimiter=delimiter, line_ending=line_ending
        ),
        "unprocessed": read_result_csv(
            job.unprocessed_records(), delimiter=delimiter, line_ending=line_ending
        ),
    }


def result_readers(job: IngestJob, info: JobInfo) -> dict[str, ResultSource]:
    """The three result sets of a finished job, downloaded now and parsed on demand (only the
    columns the join-back asks for); the bytes are freed with the readers."""
    read = partial(
        read_result_csv,
        delimiter=COLUMN_DELIMITERS[info.column_delimiter or "COMMA"],
        line_ending=info.line_ending or "LF",
    )
    return {
        "successful": partial(read, job.successful_results()),
        "failed": partial(read, job.failed_results()),
        "unprocessed": partial(read, job.unprocessed_records()),
    }
