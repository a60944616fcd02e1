"""aiosalesforce ``bulk_v2``, used the documented way, starting from a pandas frame.

* insert/upsert: records streamed as dicts of Python values (converted 100,000 rows at a time,
  missing values as ``None``, which is what its serializer accepts) into
  ``sf.bulk_v2.ingest.perform_operation(..., fieldnames=..., polling_interval=0.5)`` — the
  documented streaming form of ``bulk_v2.insert/upsert`` (which take no fieldnames and would
  hold every record in memory, and poll every 5 s). Results are its lists of dicts.
* query: aiosalesforce 0.6 has no Bulk API 2.0 query; the harness reports it as not offered.
* serialize: its ``serialize_ingest_data`` over the same record stream.

aiosalesforce accepts only ``https://*.my.salesforce.com`` base URLs; the httpx transport below
sends those requests to the emulator server instead (like a hosts-file entry), the client
itself is unmodified. It authenticates with the client-credentials flow the emulator accepts.
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Iterator
from typing import Any

import httpx
import pandas as pd
from aiosalesforce import Salesforce
from aiosalesforce.auth import ClientCredentialsFlow
from aiosalesforce.bulk.v2._csv import serialize_ingest_data

from bench.data import EXTERNAL_ID, OBJECT
from bench.scenarios._common import Args, Outcome, Scenario, main

CLIENT = "aiosalesforce"
POLLING_INTERVAL = 0.5
CONVERT_ROWS = 100_000
SALESFORCE_URL = "https://bench.my.salesforce.com"


class LoopbackTransport(httpx.AsyncHTTPTransport):
    """Send every request to the emulator server, whatever host the client put in the URL."""

    def __init__(self, target: str, verify: ssl.SSLContext | bool) -> None:
        super().__init__(verify=verify)
        self._target = httpx.URL(target)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        request.url = request.url.copy_with(
            scheme=self._target.scheme, host=self._target.host, port=self._target.port
        )
        return await super().handle_async_request(request)


def _verify(args: Args) -> ssl.SSLContext | bool:
    return ssl.create_default_context(cafile=args.cert) if args.cert else True


def _load(args: Args) -> pd.DataFrame:
    return pd.read_parquet(args.data)


def records(df: pd.DataFrame) -> Iterator[dict[str, Any]]:
    """The frame's rows as dicts of Python values, ``None`` for missing values."""
    columns = list(df.columns)
    for start in range(0, len(df), CONVERT_ROWS):
        part = df.iloc[start : start + CONVERT_ROWS]
        values = part.astype(object).where(part.notna(), None)
        for row in values.itertuples(index=False, name=None):
            yield dict(zip(columns, row, strict=True))


async def _ingest_async(df: pd.DataFrame, args: Args, operation: str) -> Outcome:
    async with httpx.AsyncClient(transport=LoopbackTransport(args.url, _verify(args)),
                                 timeout=600) as http:
        sf = Salesforce(http, SALESFORCE_URL, ClientCredentialsFlow("bench", "bench"),
                        version="62.0")
        successful: list[dict[str, str]] = []
        failed: list[dict[str, str]] = []
        unprocessed: list[dict[str, str]] = []
        jobs = 0
        settings: dict[str, Any] = {"polling_interval": POLLING_INTERVAL}
        if args.variant == "defaults":  # one job up to 100 MB / 150M records, polls every 5 s
            settings = {}
        elif args.variant == "tuned" and args.records_per_job:
            settings["max_records"] = args.records_per_job
        async for job in sf.bulk_v2.ingest.perform_operation(
            operation,  # type: ignore[arg-type]
            OBJECT,
            records(df),
            fieldnames=list(df.columns),
            external_id_field=EXTERNAL_ID if operation == "upsert" else None,
            **settings,
        ):
            jobs += 1
            successful.extend(job.successful_results)
            failed.extend(job.failed_results)
            unprocessed.extend(job.unprocessed_records)
    distinct = len({row.get(EXTERNAL_ID) for row in successful})
    return Outcome(
        counts={"successful": len(successful), "failed": len(failed),
                "unprocessed": len(unprocessed)},
        distinct_keys=distinct,
        notes=[f"{jobs} job(s)"],
    )


def _insert(df: pd.DataFrame, args: Args) -> Outcome:
    return asyncio.run(_ingest_async(df, args, "insert"))


def _upsert(df: pd.DataFrame, args: Args) -> Outcome:
    return asyncio.run(_ingest_async(df, args, "upsert"))


def _serialize(df: pd.DataFrame, args: Args) -> Outcome:
    total_bytes = 0
    for payload in serialize_ingest_data(records(df), fieldnames=list(df.columns)):
        total_bytes += len(payload)
    return Outcome(counts={"rows": len(df), "bytes": total_bytes}, bytes_out=total_bytes)


SCENARIO = Scenario(
    client=CLIENT,
    load=_load,
    operations={"insert": _insert, "upsert": _upsert, "serialize": _serialize},
)

if __name__ == "__main__":
    raise SystemExit(main(SCENARIO))
