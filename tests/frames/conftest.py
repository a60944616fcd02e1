"""Frame tests run once per backend: the same body on pandas and on polars."""

from __future__ import annotations

from typing import Any

import polars as pl

from sfbulk_frames.frames.backend import to_pandas_frame


def as_backend(frame: pl.DataFrame, backend: str) -> Any:
    """The frame as the given backend (pandas with nullable / Arrow-backed dtypes)."""
    if backend == "polars":
        return frame
    return to_pandas_frame(frame)


def column_values(frame: Any, name: str) -> list[Any]:
    """A column's values as a Python list, nulls as None, for either backend."""
    if isinstance(frame, pl.DataFrame):
        return frame.get_column(name).to_list()
    import pandas as pd

    return [None if v is pd.NA or v is None or (isinstance(v, float) and v != v) else v
            for v in frame[name].tolist()]
