"""The ``sf__Error`` texts the library writes itself, and the code/field parsed from any of them.

Salesforce reports a row error as ``CODE:message:Field1,Field2 --``. Rows it gave no answer for
get one of our own reasons in the same shape, so that every row that did not succeed says why:

* ``JOB_FAILED:<errorMessage> (job <id>)`` / ``JOB_ABORTED:...``: the job failed as a whole;
* ``NOT_SENT:<why>``: no job received the row (Ctrl-C, timeout, a source error); re-sending it
  cannot duplicate anything (``BulkResult.retry``);
* ``PENDING:<why>``: a job received the row but its result was not collected; ``resume`` first.
"""

from __future__ import annotations

import polars as pl

from sfbulk_frames._models import readable_job_error

__all__ = [
    "NOT_SENT",
    "PENDING",
    "error_code",
    "error_field",
    "job_reason",
    "not_sent",
    "pending",
]

NOT_SENT = "NOT_SENT"
PENDING = "PENDING"

# Where Salesforce's messages name the field when the trailing ``:Fields --`` part is empty.
_FIELD_PATTERNS = (
    r"Required fields are missing: \[([^\]]+)\]",
    r"Field name not found : ([^\s,()]+)",
    r"Unable to create/update fields: ([^.\s]+)\.",
)
_FOREIGN_KEY = r"for field ([A-Za-z0-9_]+) in entity ([A-Za-z0-9_]+)"


def not_sent(why: str) -> str:
    """``NOT_SENT:<why>`` for rows no job received."""
    return f"{NOT_SENT}:{why}"


def pending(why: str) -> str:
    """``PENDING:<why>`` for rows a job received whose result was not collected."""
    return f"{PENDING}:{why}"


def job_reason(job_id: str, state: str, message: str | None) -> str:
    """The reason given to the rows of a job that ended Failed or Aborted as a whole."""
    code = "JOB_ABORTED" if state == "Aborted" else "JOB_FAILED"
    what = (readable_job_error(message) or "").strip() or (
        "the job was aborted" if state == "Aborted" else "no errorMessage"
    )
    return f"{code}:{what} (job {job_id} {state})"


def error_code(error: pl.Expr) -> pl.Expr:
    """The code of an ``sf__Error`` text: what precedes the first ``:``."""
    return error.str.split_exact(":", 1).struct.field("field_0").str.strip_chars()


def error_field(error: pl.Expr) -> pl.Expr:
    """The field(s) an ``sf__Error`` text names, else null.

    From Salesforce's trailing ``:Field --`` part when it is filled, else from the messages that
    name the field (``Required fields are missing: [LastName]``, ``Field name not found : Foo``,
    ``... for field ExternalId__c in entity Account`` -> ``Account.ExternalId__c``).
    """
    trailing = error.str.extract(r":([^:]*?)\s*--\s*$", 1).str.strip_chars()
    candidates: list[pl.Expr] = [pl.when(trailing != "").then(trailing)]
    candidates += [error.str.extract(pattern, 1) for pattern in _FIELD_PATTERNS]
    foreign = error.str.extract_groups(_FOREIGN_KEY)
    candidates.append(foreign.struct.field("2") + "." + foreign.struct.field("1"))
    return pl.coalesce(candidates)
