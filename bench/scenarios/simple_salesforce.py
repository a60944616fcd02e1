"""simple-salesforce ``bulk2``, used the documented way, starting from a pandas frame.

* insert/upsert: ``df.to_csv(file)`` then ``sf.bulk2.Contact.insert(csv_file=...)`` (or
  ``upsert(..., external_id_field=)``), then per job ``get_successful_records``,
  ``get_failed_records`` and ``get_unprocessed_records`` (CSV text) read with
  ``pandas.read_csv`` so the user holds three frames, as our ``BulkResult`` gives.
* query: ``sf.bulk2.Contact.query(soql)`` pages, each read with ``pandas.read_csv``, concatenated.
* serialize: what happens before its upload: ``df.to_csv`` + its ``_split_csv`` re-chunking.

``wait=0.5`` (its documented polling parameter) instead of the default 5 s first sleep, so
wall times compare polling policies of similar speed; ``batch_size=250_000`` (see BATCH_SIZE).

    python -m bench.scenarios.simple_salesforce --op insert --url U --token T --cert C \\
        --rows N --data contacts.parquet
"""

from __future__ import annotations

import io
import tempfile
from pathlib import Path
from typing import Any

import pandas as pd
import requests
from simple_salesforce import Salesforce
from simple_salesforce.bulk2 import _split_csv

from bench.data import EXTERNAL_ID, SOQL
from bench.scenarios._common import Args, Outcome, Scenario, main

CLIENT = "simple-salesforce"
POLL_WAIT = 0.5
# Its default packs ~99 MB per job by a size estimate that ignores CSV quoting, then refuses
# its own chunk ("Data size 107073792 exceeds the max file size accepted by Bulk V2 (100 MB)")
# on this data at 1,000,000 rows; its documented batch_size avoids that.
BATCH_SIZE = 250_000
DATETIME_FORMAT = "%Y-%m-%dT%H:%M:%SZ"


def _connect(args: Args) -> Salesforce:
    session = requests.Session()
    session.verify = args.cert if args.cert else True
    session.trust_env = False  # else REQUESTS_CA_BUNDLE from the environment overrides verify
    return Salesforce(instance_url=args.url, session_id=args.token, session=session)


def _contacts(args: Args) -> Any:
    """``sf.bulk2.Contact`` (typed Any: simple-salesforce builds it dynamically)."""
    bulk2: Any = _connect(args).bulk2
    return bulk2.Contact


def _load(args: Args) -> pd.DataFrame:
    return pd.read_parquet(args.data)


def _result_frame(text: str) -> pd.DataFrame:
    if not text.strip():
        return pd.DataFrame()
    return pd.read_csv(io.StringIO(text))


TUNED_CONCURRENCY = 4


def _settings(args: Args, operation: str) -> dict[str, Any]:
    """``bench``: the CPU benchmark's settings; ``defaults``: none (one job up to its size
    limit, ``wait=5``); ``tuned``: jobs of ``--records-per-job`` rows, 4 at a time (insert
    only: its upsert has no ``concurrency``), ``wait=0.5``."""
    if args.variant == "defaults":
        return {}
    if args.variant == "tuned":
        tuned: dict[str, Any] = {"batch_size": args.records_per_job, "wait": POLL_WAIT}
        if operation == "insert":
            tuned["concurrency"] = TUNED_CONCURRENCY
        return tuned
    return {"batch_size": BATCH_SIZE, "wait": POLL_WAIT}


def _ingest(df: pd.DataFrame, args: Args, operation: str) -> Outcome:
    contact = _contacts(args)
    settings = _settings(args, operation)
    with tempfile.TemporaryDirectory(prefix="bench-ss-") as tmp:
        path = str(Path(tmp) / "contacts.csv")
        df.to_csv(path, index=False, date_format=DATETIME_FORMAT)
        if operation == "insert":
            jobs = contact.insert(csv_file=path, **settings)
        else:
            jobs = contact.upsert(csv_file=path, external_id_field=EXTERNAL_ID, **settings)
    parts: dict[str, list[pd.DataFrame]] = {"successful": [], "failed": [], "unprocessed": []}
    for job in jobs:
        job_id = job["job_id"]
        parts["successful"].append(_result_frame(contact.get_successful_records(job_id)))
        parts["failed"].append(_result_frame(contact.get_failed_records(job_id)))
        parts["unprocessed"].append(_result_frame(contact.get_unprocessed_records(job_id)))
    frames = {name: pd.concat(found, ignore_index=True) for name, found in parts.items()}
    successful = frames["successful"]
    distinct = int(successful[EXTERNAL_ID].nunique()) if EXTERNAL_ID in successful else 0
    return Outcome(counts={name: len(frame) for name, frame in frames.items()},
                   distinct_keys=distinct, notes=[f"{len(jobs)} job(s)"])


def _insert(df: pd.DataFrame, args: Args) -> Outcome:
    return _ingest(df, args, "insert")


def _upsert(df: pd.DataFrame, args: Args) -> Outcome:
    return _ingest(df, args, "upsert")


def _query(_: Any, args: Args) -> Outcome:
    settings: dict[str, Any] = {"wait": POLL_WAIT}
    if args.variant == "defaults":
        settings = {}
    elif args.variant == "tuned":
        settings = {"wait": POLL_WAIT, "max_records": 200_000}
    texts = _contacts(args).query(SOQL, **settings)
    pages = [pd.read_csv(io.StringIO(page)) for page in texts]
    frame = pd.concat(pages, ignore_index=True)
    return Outcome(counts={"rows": len(frame)}, distinct_keys=int(frame[EXTERNAL_ID].nunique()),
                   notes=[f"{len(pages)} page(s)"])


def _serialize(df: pd.DataFrame, args: Args) -> Outcome:
    with tempfile.TemporaryDirectory(prefix="bench-ss-") as tmp:
        path = str(Path(tmp) / "contacts.csv")
        df.to_csv(path, index=False, date_format=DATETIME_FORMAT)
        total_bytes = 0
        total_rows = 0
        for rows, chunk in _split_csv(filename=path, max_records=BATCH_SIZE):
            total_rows += rows
            total_bytes += len(chunk.encode("utf-8"))
    return Outcome(counts={"rows": total_rows, "bytes": total_bytes}, bytes_out=total_bytes)


SCENARIO = Scenario(
    client=CLIENT,
    load=_load,
    operations={"insert": _insert, "upsert": _upsert, "query": _query, "serialize": _serialize},
)

if __name__ == "__main__":
    raise SystemExit(main(SCENARIO))
