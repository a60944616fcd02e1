"""Emulator ingest throughput: insert N Contact rows (default 1,000,000) in instant mode.

    python bench/emulator_throughput.py [ROWS] [--quoted]

Prints the processing rate (rows/s, measured over the close request, which processes the job
in instant mode) and the peak RSS of the process. ``--quoted`` puts a comma (so quotes) in
every FirstName, which sends the upload down the ``csv``-module path instead of the polars
one. Not run by CI.
"""

from __future__ import annotations

import io
import os
import resource
import sys
import time

import httpx

from sfbulk_frames.emulator import Emulator

BASE = "/services/data/v62.0"


def make_csv(rows: int, *, quoted: bool = False) -> bytes:
    first = '"First,{}"' if quoted else "First{}"
    out = io.BytesIO()
    out.write(
        b"FirstName,LastName,Email,Phone,Birthdate,Score__c,HasOptedOutOfEmail,ExternalId__c\n"
    )
    for start in range(0, rows, 50_000):  # in slices, so the generator stays small
        out.write(
            "".join(
                first.format(i) + f",Last{i},user{i}@example.com,555-{i % 10000:04d},"
                f"19{50 + i % 50}-0{1 + i % 9}-1{i % 9},{i * 1.5},"
                f"{'true' if i % 2 else 'false'},EXT-{i}\n"
                for i in range(start, min(rows, start + 50_000))
            ).encode()
        )
    return out.getvalue()


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    args = [a for a in sys.argv[1:] if a != "--quoted"]
    rows = int(args[0]) if args else 1_000_000
    data = make_csv(rows, quoted="--quoted" in sys.argv[1:])
    print(f"upload: {rows:,} rows, {len(data) / 1e6:.1f} MB")
    with (
        Emulator() as emu,
        httpx.Client(
            transport=emu.transport(),
            base_url=emu.instance_url,
            headers={"Authorization": f"Bearer {emu.token}"},
            timeout=None,
        ) as http,
    ):
        job_id = http.post(
            f"{BASE}/jobs/ingest", json={"object": "Contact", "operation": "insert"}
        ).json()["id"]
        http.put(
            f"{BASE}/jobs/ingest/{job_id}/batches",
            content=data,
            headers={"Content-Type": "text/csv"},
        )
        del data
        peak_before = _peak_mb()
        began, cpu_began = time.perf_counter(), time.process_time()
        http.patch(f"{BASE}/jobs/ingest/{job_id}", json={"state": "UploadComplete"})
        elapsed, cpu = time.perf_counter() - began, time.process_time() - cpu_began
        peak_processing = _peak_mb()
        pages, page_size = (
            emu.org.conn.execute(f"PRAGMA {p}").fetchone()[0] for p in ("page_count", "page_size")
        )
        info = http.get(f"{BASE}/jobs/ingest/{job_id}").json()
        fetch_began = time.perf_counter()
        successful = http.get(f"{BASE}/jobs/ingest/{job_id}/successfulResults").content
        fetch = time.perf_counter() - fetch_began
        assert info["numberRecordsProcessed"] == rows, info
        assert info["numberRecordsFailed"] == 0, info
        assert emu.count("Contact") == rows
    peak_mb = _peak_mb()
    print(
        f"processed {rows:,} rows in {elapsed:.2f} s wall = {rows / elapsed:,.0f} rows/s "
        f"({cpu:.2f} s CPU = {rows / cpu:,.0f} rows/s per core; load {os.getloadavg()[0]:.1f})"
    )
    print(f"successfulResults: {len(successful) / 1e6:.1f} MB in {fetch:.2f} s")
    print(
        f"peak RSS: {peak_before:,.0f} MB after the upload, {peak_processing:,.0f} MB after "
        f"processing (the in-memory SQLite org then holds {pages * page_size / 1e6:,.0f} MB: "
        f"records, indexes, upload and results), {peak_mb:,.0f} MB after fetching the results"
    )


if __name__ == "__main__":
    main()
