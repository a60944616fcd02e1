"""sfbulk_frames, shared by the polars and pandas scenarios (only the input frame differs).

* insert/upsert: ``sfbulk_frames.insert/upsert(df, "Contact", ...)`` → ``BulkResult`` whose
  successful/failed/unprocessed frames are joined back to the input.
* query: ``_api().query(soql, backend=...)`` → a frame typed from describe.
* serialize: the encoder exactly as the ingest pipeline runs it:
  ``iter_chunks(iter_batches(df), EncodeOptions())``.
"""

from __future__ import annotations

from typing import Any, Literal

import pandas as pd
import polars as pl

from bench.data import EXTERNAL_ID, OBJECT, SOQL
from bench.scenarios._common import Args, Outcome, Scenario

Backend = Literal["polars", "pandas"]


def _api() -> Any:
    """The public functions: ``sfbulk_frames`` itself once it re-exports them, else their
    modules (``_client.Client``, ``_api.insert/upsert``, ``_query.query``)."""
    import sfbulk_frames

    if all(hasattr(sfbulk_frames, n) for n in ("Client", "insert", "upsert", "query")):
        return sfbulk_frames
    from types import SimpleNamespace

    from sfbulk_frames._api import insert, upsert
    from sfbulk_frames.client.clients import Client
    from sfbulk_frames.pipeline.query import query

    return SimpleNamespace(Client=Client, insert=insert, upsert=upsert, query=query)


def _client(args: Args) -> Any:
    return _api().Client(args.url, args.token, verify=args.cert or True)


def _height(frame: Any) -> int:
    return int(frame.height) if isinstance(frame, pl.DataFrame) else len(frame)


def _distinct(frame: Any, column: str) -> int:
    if isinstance(frame, pl.DataFrame):
        return int(frame[column].n_unique())
    return int(pd.Series(frame[column]).nunique())


def _outcome(result: Any) -> Outcome:
    frames = {"successful": result.successful, "failed": result.failed,
              "unprocessed": result.unprocessed}
    return Outcome(counts={name: _height(frame) for name, frame in frames.items()},
                   distinct_keys=_distinct(result.successful, EXTERNAL_ID),
                   notes=[f"{len(result.jobs)} job(s)"])


def _insert(df: Any, args: Args) -> Outcome:
    with _client(args) as client:
        return _outcome(_api().insert(df, OBJECT, client=client, progress=False))


def _upsert(df: Any, args: Args) -> Outcome:
    with _client(args) as client:
        return _outcome(
            _api().upsert(df, OBJECT, EXTERNAL_ID, client=client, progress=False)
        )


def _query_with(backend: Backend) -> Any:
    def run(_: Any, args: Args) -> Outcome:
        with _client(args) as client:
            frame = _api().query(SOQL, client=client, backend=backend, progress=False)
        return Outcome(counts={"rows": _height(frame)},
                       distinct_keys=_distinct(frame, EXTERNAL_ID))

    return run


def _serialize(df: Any, args: Args) -> Outcome:
    from sfbulk_frames.frames.backend import iter_batches
    from sfbulk_frames.frames.encode import EncodeOptions, iter_chunks

    total_bytes = rows = chunks = 0
    for chunk in iter_chunks(iter_batches(df), EncodeOptions()):
        total_bytes += len(chunk.data)
        rows += chunk.n_rows
        chunks += 1
    return Outcome(counts={"rows": rows, "bytes": total_bytes}, bytes_out=total_bytes,
                   notes=[f"{chunks} chunk(s)"])


def scenario(backend: Backend) -> Scenario:
    """The sfbulk_frames scenario reading its input as a ``backend`` frame."""

    def load(args: Args) -> Any:
        _api()  # import the library here, as the peers' scenarios import theirs at the top
        return pl.read_parquet(args.data) if backend == "polars" else pd.read_parquet(args.data)

    return Scenario(
        client=f"sfbulk_frames ({backend})",
        load=load,
        operations={"insert": _insert, "upsert": _upsert, "query": _query_with(backend),
                    "serialize": _serialize},
    )
