"""The practical floor of serialization: plain ``polars.DataFrame.write_csv`` of the frame."""

from __future__ import annotations

import io

import polars as pl

from bench.scenarios._common import Args, Outcome, Scenario, main


def _load(args: Args) -> pl.DataFrame:
    return pl.read_parquet(args.data)


def _serialize(df: pl.DataFrame, args: Args) -> Outcome:
    buffer = io.BytesIO()
    df.write_csv(buffer)
    data = buffer.getvalue()
    return Outcome(counts={"rows": df.height, "bytes": len(data)}, bytes_out=len(data))


SCENARIO = Scenario(client="polars write_csv (floor)", load=_load,
                    operations={"serialize": _serialize})

if __name__ == "__main__":
    raise SystemExit(main(SCENARIO))
