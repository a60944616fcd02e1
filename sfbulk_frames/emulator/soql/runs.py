"""Running a query job: its SOQL compiled against the org's schema and materialised into the
job's own result table, which the result pages read and a job delete drops."""

from __future__ import annotations

import sqlite3

from sfbulk_frames.emulator.models.jobs import Job
from sfbulk_frames.emulator.models.org import Org
from sfbulk_frames.emulator.soql.compiled import SoqlError
from sfbulk_frames.emulator.soql.compiler import compile_soql
from sfbulk_frames.emulator.soql.results import drop, materialize


def result_table(job: Job) -> str:
    """The SQLite table holding the rows of query job ``job``."""
    return f"__qr_{job.id}"


def run_query_job(org: Org, job: Job) -> None:
    """Materialise a query job's rows into its result table (job ends JobComplete/Failed)."""
    try:
        compiled = compile_soql(
            job.query or "", org.schema, include_deleted=job.operation == "queryAll"
        )
        job.processed = materialize(org.conn, compiled, result_table(job))
    except SoqlError as err:
        job.error_message = f"{err.error_code} : {err.message}"
        job.set_state("Failed")
        return
    job.result_columns = [[c.header, c.field_type] for c in compiled.columns]
    job.set_state("JobComplete")


def drop_query_results(conn: sqlite3.Connection, job: Job) -> None:
    """Drop the result table of ``job`` (if any)."""
    drop(conn, result_table(job))
