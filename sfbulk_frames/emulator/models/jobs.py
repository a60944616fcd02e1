"""Job records of ingest and query jobs, their state machine, JSON views and SQLite storage
(job documents, uploaded data, result chunks)."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from typing import Any

from sfbulk_frames.emulator.models.csvfmt import DELIMITERS, LINE_ENDINGS, plain_lines, quoted_line
from sfbulk_frames.emulator.models.errors import ApiError, not_found, sf_timestamp

TERMINAL = frozenset({"JobComplete", "Failed", "Aborted"})
INGEST_OPERATIONS = ("insert", "update", "upsert", "delete", "hardDelete")
QUERY_OPERATIONS = ("query", "queryAll")
PK_CHUNKING_FLAG_SINCE = 53.0  # recorded: absent in v53 query job info, present in v62
_SNAPSHOT = ("state", "processed", "failed", "retries", "total_ms", "api_ms", "error_message")


@dataclass
class Job:
    id: str
    kind: str  # "ingest" or "query"
    operation: str
    object: str
    created_by: str
    api_version: str  # "62.0"
    created_date: str = field(default_factory=sf_timestamp)
    system_modstamp: str = ""
    state: str = "Open"
    line_ending: str = "LF"
    column_delimiter: str = "COMMA"
    content_type: str = "CSV"
    external_id_field: str | None = None
    assignment_rule_id: str | None = None
    query: str | None = None
    processed: int = 0
    failed: int = 0
    retries: int = 0
    total_ms: int = 0
    api_ms: int = 0
    apex_ms: int = 0
    error_message: str | None = None
    uploads: int = 0
    header: list[str] | None = None
    result_columns: list[list[str]] | None = None  # query: [header, field_type]
    pending: dict[str, Any] | None = None  # final fields revealed after polls
    polls_left: int = 0
    poll_total: int = 0
    seq: int = 0

    def __post_init__(self) -> None:
        self.system_modstamp = self.system_modstamp or self.created_date

    def set_state(self, state: str) -> None:
        self.state = state
        self.system_modstamp = sf_timestamp()

    @property
    def terminal(self) -> bool:
        return self.state in TERMINAL


# -- views -------------------------------------------------------------------------------------
def _head(job: Job) -> dict[str, Any]:
    return {
        "id": job.id,
        "operation": job.operation,
        "object": job.object,
        "createdById": job.created_by,
        "createdDate": job.created_date,
        "systemModstamp": job.system_modstamp,
        "state": job.state,
    }


def _common(job: Job, view: dict[str, Any]) -> dict[str, Any]:
    if job.external_id_field is not None:
        view["externalIdFieldName"] = job.external_id_field
    view.update(
        concurrencyMode="Parallel", contentType=job.content_type, apiVersion=float(job.api_version)
    )
    return view


def content_url(job: Job) -> str:
    return f"services/data/v{job.api_version}/jobs/ingest/{job.id}/batches"


def create_view(job: Job) -> dict[str, Any]:
    """JobInfo as the create call returns it."""
    view = _common(job, _head(job))
    if job.kind == "ingest" and job.state == "Open":
        view["contentUrl"] = content_url(job)
    view.update(lineEnding=job.line_ending, columnDelimiter=job.column_delimiter)
    if job.assignment_rule_id:
        view["assignmentRuleId"] = job.assignment_rule_id
    return view


def short_view(job: Job) -> dict[str, Any]:
    """JobInfo as a state PATCH returns it (no counters)."""
    return _common(job, _head(job))


def list_view(job: Job) -> dict[str, Any]:
    view = _common(job, _head(job))
    view.update(
        jobType="V2Ingest" if job.kind == "ingest" else "V2Query",
        lineEnding=job.line_ending,
        columnDelimiter=job.column_delimiter,
    )
    return view


def full_view(job: Job) -> dict[str, Any]:
    """JobInfo as ``GET /jobs/{kind}/{id}`` returns it (protocol §1.8, §2.4 key order)."""
    view = _common(job, _head(job))
    if job.kind == "query":
        view.update(
            jobType="V2Query",
            lineEnding=job.line_ending,
            columnDelimiter=job.column_delimiter,
            numberRecordsProcessed=job.processed,
            retries=job.retries,
            totalProcessingTime=job.total_ms,
        )
        if float(job.api_version) > PK_CHUNKING_FLAG_SINCE:
            view["isPkChunkingSupported"] = True
    else:
        view["jobType"] = "V2Ingest"
        if job.state == "Open":
            view["contentUrl"] = content_url(job)
        view.update(lineEnding=job.line_ending, columnDelimiter=job.column_delimiter)
        if job.assignment_rule_id:
            view["assignmentRuleId"] = job.assignment_rule_id
        view.update(
            numberRecordsProcessed=job.processed,
            numberRecordsFailed=job.failed,
            retries=job.retries,
            totalProcessingTime=job.total_ms,
            apiActiveProcessingTime=job.api_ms,
            apexProcessingTime=job.apex_ms,
        )
    if job.error_message:
        view["errorMessage"] = job.error_message
    return view


# -- state machine -----------------------------------------------------------------------------
def check_upload(job: Job) -> None:
    """Raises :class:`ApiError` unless the job can take its (single) data upload."""
    if job.uploads:
        raise ApiError(
            400,
            "INVALIDJOB",
            (
                f"Found multipe contents for job: {job.id}, please 'Close' / 'Abort' / 'Delete' "
                "the current Job then create a new Job and make sure you only do 'PUT' once on a "
                "given Job."
            ),
        )
    if job.state != "Open":
        raise ApiError(
            400,
            "INVALIDJOBSTATE",
            f"Job {job.id} is not in Open state (state: "
            f"{job.state}); data can only be uploaded to an Open job",
        )


def check_patch(job: Job, target: object) -> None:
    """Raises :class:`ApiError` for a state change the job cannot make."""
    if target == "Aborted":
        if job.terminal:
            raise ApiError(400, "INVALIDJOBSTATE", "Aborting already Completed Job not allowed")
        return
    if target == "UploadComplete" and job.kind == "ingest":
        if job.state != "Open":
            raise ApiError(
                400,
                "INVALIDJOBSTATE",
                f"Closing a job that is not Open is not allowed (job {job.id} is {job.state})",
            )
        return
    raise ApiError(
        400,
        "INVALIDJOBSTATE",
        f"Invalid state transition: {target!r} is not a "
        "state you can set; use 'UploadComplete' or 'Aborted'",
    )


def check_delete(job: Job) -> None:
    if job.kind == "ingest" and job.state in ("UploadComplete",):
        return
    if not job.terminal:
        raise ApiError(
            400,
            "API_ERROR",
            "Error encountered when deleting the job because the job is not terminated",
        )


# -- storage -----------------------------------------------------------------------------------
class JobStore:
    """Jobs in memory, mirrored to SQLite (so a file org keeps them); data and results as blobs."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        self.conn.execute(
            "CREATE TABLE IF NOT EXISTS __jobs (id TEXT PRIMARY KEY, seq INTEGER, "
            "kind TEXT, doc TEXT)"
        )
        self.conn.execute("CREATE TABLE IF NOT EXISTS __job_data (id TEXT PRIMARY KEY, data BLOB)")
        self.conn.execute(
            "CREATE TABLE IF NOT EXISTS __job_results (id TEXT, kind TEXT, seq INTEGER, data BLOB)"
        )
        self.conn.execute("CREATE INDEX IF NOT EXISTS ix_job_results ON __job_results (id, kind)")
        self.jobs: dict[str, Job] = {}
        for (doc,) in self.conn.execute("SELECT doc FROM __jobs ORDER BY seq"):
            job = Job(**json.loads(doc))
            self.jobs[job.id] = job
        self._seq = max((j.seq for j in self.jobs.values()), default=0)

    def add(self, job: Job) -> None:
        self._seq += 1
        job.seq = self._seq
        self.jobs[job.id] = job
        self.save(job)

    def save(self, job: Job) -> None:
        self.conn.execute(
            "INSERT OR REPLACE INTO __jobs VALUES (?, ?, ?, ?)",
            (job.id, job.seq, job.kind, json.dumps(asdict(job))),
        )

    def get(self, job_id: str, kind: str) -> Job:
        """The job, or :class:`ApiError` 404 ``NOT_FOUND``."""
        job = self.jobs.get(job_id)
        if job is None and len(job_id) == 15:
            job = next((j for j in self.jobs.values() if j.id[:15] == job_id), None)
        if job is None or job.kind != kind:
            raise not_found()
        return job

    def listing(self, kind: str) -> list[Job]:
        return [j for j in self.jobs.values() if j.kind == kind]

    def delete(self, job: Job) -> None:
        self.jobs.pop(job.id, None)
        for table in ("__jobs", "__job_data", "__job_results"):
            self.conn.execute(f"DELETE FROM {table} WHERE id = ?", (job.id,))

    def clear(self) -> None:
        self.jobs.clear()
        for table in ("__jobs", "__job_data", "__job_results"):
            self.conn.execute(f"DELETE FROM {table}")

    def put_data(self, job: Job, data: bytes) -> None:
        self.conn.execute("INSERT OR REPLACE INTO __job_data VALUES (?, ?)", (job.id, data))

    def data(self, job: Job) -> bytes | None:
        row = self.conn.execute("SELECT data FROM __job_data WHERE id = ?", (job.id,)).fetchone()
        return bytes(row[0]) if row else None

    def data_size(self, job: Job) -> int | None:
        """Size in bytes of the job's upload, ``None`` when there is none."""
        row = self.conn.execute(
            "SELECT length(data) FROM __job_data WHERE id = ?", (job.id,)
        ).fetchone()
        return None if row is None or row[0] is None else int(row[0])

    def data_reader(self, job: Job) -> Callable[[int, int], bytes]:
        """``read(offset, size)`` over the stored upload, without loading it whole (incremental
        BLOB I/O); it reads ``b""`` once the upload is gone (job deleted) or at its end."""

        def read(offset: int, size: int) -> bytes:
            row = self.conn.execute(
                "SELECT rowid FROM __job_data WHERE id = ?", (job.id,)
            ).fetchone()
            if row is None:
                return b""
            with self.conn.blobopen("__job_data", "data", row[0], readonly=True) as blob:
                blob.seek(min(offset, len(blob)))
                return blob.read(size)

        return read

    def append_result(self, job: Job, kind: str, text: str | bytes) -> None:
        if text:
            self.conn.execute(
                "INSERT INTO __job_results VALUES (?, ?, (SELECT COUNT(*) FROM __job_results "
                "WHERE id = ? AND kind = ?), ?)",
                (job.id, kind, job.id, kind, text.encode() if isinstance(text, str) else text),
            )

    def results(self, job: Job, kind: str) -> Iterator[bytes]:
        rows = self.conn.execute(
            "SELECT data FROM __job_results WHERE id = ? AND kind = ? ORDER BY seq", (job.id, kind)
        ).fetchall()
        for (data,) in rows:
            yield bytes(data)


def batch_failure(message: str) -> str:
    """A job-level failure message as real orgs report it: the ``InvalidBatch : `` prefix
    doubled (recorded v53 and v50: ``InvalidBatch : InvalidBatch : Field name not found :
    Employees``)."""
    prefix = "InvalidBatch : "
    return prefix + message if message.startswith(prefix) else message


def result_header(job: Job, kind: str) -> str:
    """The header line of a result file (empty when the job never got a header)."""
    header = job.header
    if header is None:
        return ""
    d, le = DELIMITERS[job.column_delimiter], LINE_ENDINGS[job.line_ending]
    if kind == "successful":
        return quoted_line(["sf__Id", "sf__Created", *header], d, le)
    if kind == "failed":
        return quoted_line(["sf__Id", "sf__Error", *header], d, le)
    return plain_lines([header], d, le)


def snapshot(job: Job) -> dict[str, Any]:
    return {name: getattr(job, name) for name in _SNAPSHOT}


def hide_until_polled(job: Job, polls: int) -> None:
    """Keep a finished job looking ``UploadComplete`` until it is polled ``polls`` times."""
    job.pending = snapshot(job)
    job.polls_left = job.poll_total = polls
    job.state, job.processed, job.failed, job.total_ms, job.api_ms = "UploadComplete", 0, 0, 0, 0
    job.error_message = None


def reveal_on_poll(job: Job) -> None:
    """An info GET of a hidden job: one poll closer to revealing its final state."""
    if job.pending is None:
        return
    job.polls_left -= 1
    if job.polls_left <= 0:
        reveal(job)
        return
    done = job.poll_total - job.polls_left
    job.state = "InProgress"
    job.processed = job.pending["processed"] * done // job.poll_total
    job.failed = min(job.failed, job.processed)


def reveal(job: Job, *, state: str | None = None) -> None:
    if job.pending is None:
        return
    for name, value in job.pending.items():
        setattr(job, name, value)
    job.pending = None
    job.set_state(state or job.state)
