"""Backend detection and conversion: the only module that knows about pandas vs polars.

Everything downstream (encoding, chunking, join-back) works on polars frames. pandas frames go
pandas -> Arrow -> polars on the way in (the index is not uploaded) and come back with their
original index labels and dtypes on the way out. Nothing here mutates the caller's frame.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal

import polars as pl

from sfbulk_frames._exceptions import ConfigurationError, FrameError

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "DEFAULT_BATCH_ROWS",
    "Backend",
    "backend_of",
    "frame_columns",
    "frame_schema",
    "from_polars",
    "iter_batches",
    "to_polars",
]

Backend = Literal["pandas", "polars"]

DEFAULT_BATCH_ROWS = 50_000
"""Rows per batch pulled from the input (a LazyFrame is streamed in batches of this size)."""


def _is_pandas(df: object) -> bool:
    module = type(df).__module__
    if not module.startswith("pandas"):
        return False
    import pandas as pd

    return isinstance(df, pd.DataFrame)


def backend_of(df: object) -> Backend:
    """Return the frame's backend; raises FrameError for anything that is not a frame."""
    if isinstance(df, pl.DataFrame | pl.LazyFrame):
        return "polars"
    if _is_pandas(df):
        return "pandas"
    raise FrameError(
        f"expected a pandas.DataFrame, polars.DataFrame or polars.LazyFrame, got "
        f"{type(df).__module__}.{type(df).__qualname__}; convert it to one of those first"
    )


def frame_columns(df: Any) -> list[str]:
    """Column names of any supported frame, without collecting a LazyFrame.

    Raises FrameError for non-string or multi-level column names (they are field API names).
    """
    if isinstance(df, pl.LazyFrame):
        return list(df.collect_schema().names())
    if isinstance(df, pl.DataFrame):
        return list(df.columns)
    backend_of(df)
    names: list[str] = []
    for name in df.columns:
        if not isinstance(name, str):
            raise FrameError(
                f"column name {name!r} is a {type(name).__name__}, not a string; column names "
                "must be Salesforce field API names: rename it (df.rename(columns={...}))",
                column=str(name),
            )
        names.append(name)
    return names


def frame_schema(df: Any) -> Mapping[str, pl.DataType]:
    """The polars schema the frame will be encoded with (LazyFrames are not collected)."""
    if isinstance(df, pl.LazyFrame):
        return dict(df.collect_schema())
    return dict(to_polars(df).schema)


def _check_unique_names(names: Sequence[str]) -> None:
    seen: set[str] = set()
    for name in names:
        if name in seen:
            raise FrameError(
                f"column {name!r} appears more than once; Salesforce needs one column per "
                "field: drop or rename the duplicates",
                column=name,
            )
        seen.add(name)


def _pandas_to_polars(df: pd.DataFrame) -> pl.DataFrame:
    names = frame_columns(df)
    _check_unique_names(names)
    try:
        return pl.from_pandas(df, include_index=False, nan_to_null=True)
    except Exception as exc:  # pyarrow raises several types; find the column to name it
        for name in names:
            try:
                pl.from_pandas(df[[name]], include_index=False, nan_to_null=True)
            except Exception as column_exc:
                raise FrameError(
                    f"column {name!r} (pandas dtype {df[name].dtype}) cannot be converted to "
                    f"Arrow: {column_exc}; make its values one scalar type (e.g. "
                    f"df[{name!r}].astype(str)) or drop it",
                    column=name,
                ) from column_exc
        raise FrameError(f"the frame cannot be converted to Arrow: {exc}") from exc


def to_polars(df: Any) -> pl.DataFrame | pl.LazyFrame:
    """The frame as polars (pandas via Arrow, index dropped); polars frames are returned as is.

    Raises FrameError when a pandas column cannot be converted (mixed objects, duplicate names).
    """
    if isinstance(df, pl.DataFrame | pl.LazyFrame):
        return df
    backend_of(df)
    return _pandas_to_polars(df)


def iter_batches(df: Any, batch_rows: int = DEFAULT_BATCH_ROWS) -> Iterator[pl.DataFrame]:
    """Yield the frame's rows in order as polars DataFrames of at most ``batch_rows`` rows.

    DataFrames are sliced without copying. A LazyFrame whose plan takes a row slice into its
    scan (a parquet/IPC/CSV scan, possibly with column selections) is read one batch per
    ``slice(offset, batch_rows).collect()``, so no more than one batch is in memory whatever the
    file count; other LazyFrames run in polars' streaming engine (which reads ahead a bounded
    number of morsels).
    """
    if batch_rows < 1:
        raise ConfigurationError(f"batch_rows must be at least 1, got {batch_rows}")
    frame = to_polars(df)
    if isinstance(frame, pl.LazyFrame) and _slices_into_scan(frame, batch_rows):
        offset = 0
        while True:
            batch = frame.slice(offset, batch_rows).collect()
            if batch.height:
                yield batch
            if batch.height < batch_rows:
                return
            offset += batch.height
    if isinstance(frame, pl.LazyFrame):
        for batch in frame.collect_batches(chunk_size=batch_rows, maintain_order=True):
            # the streaming engine may hand out bigger or smaller morsels than asked for
            if batch.height > batch_rows:
                yield from batch.iter_slices(batch_rows)
            elif batch.height:
                yield batch
        return
    yield from frame.iter_slices(batch_rows)


def _slices_into_scan(frame: pl.LazyFrame, batch_rows: int) -> bool:
    """Whether polars pushes a row slice of ``frame`` down into its one scan, so that reading
    the rows batch by batch reads each row once (a filter, join or sort above the scan would
    make every slice run the plan from the start)."""
    try:
        plan = frame.slice(batch_rows, batch_rows).explain()
    except pl.exceptions.PolarsError:
        return False
    return plan.count("SCAN [") == 1 and "SLICE: " in plan and "SLICE[" not in plan


def _pandas_column(values: pl.Series, dtype: Any) -> Any:
    import pandas as pd

    if str(dtype) == "object":  # dates, Decimals, lists: the Python objects pandas held
        return pd.array(values.to_list(), dtype=object)
    arrow = values.to_arrow()
    if hasattr(dtype, "__from_arrow__"):
        try:
            return dtype.__from_arrow__(arrow)
        except (TypeError, ValueError, NotImplementedError):
            pass
    series = values.to_pandas()
    if isinstance(dtype, pd.CategoricalDtype) or str(dtype) != str(series.dtype):
        try:
            return series.astype(dtype).array
        except (TypeError, ValueError):
            return series.array
    return series.array


def to_pandas_frame(
    part: pl.DataFrame,
    *,
    index: Any = None,
    dtypes: Mapping[str, Any] | None = None,
) -> pd.DataFrame:
    """Convert a polars frame to pandas, restoring ``dtypes`` per column where given.

    Columns without an entry get nullable pandas dtypes (Int64, boolean, string, Float64).
    """
    import pandas as pd

    dtypes = dict(dtypes or {})
    columns: dict[str, Any] = {}
    plain = [name for name in part.columns if name not in dtypes]
    converted = (
        part.select(plain).to_pandas(types_mapper=_nullable_types_mapper) if plain else None
    )
    for name in part.columns:
        if name in dtypes:
            columns[name] = _pandas_column(part.get_column(name), dtypes[name])
        else:
            assert converted is not None
            columns[name] = converted[name].array
    return pd.DataFrame(columns, index=index, columns=list(part.columns))


def _nullable_types_mapper(arrow_type: Any) -> Any:
    import pandas as pd
    import pyarrow as pa

    if pa.types.is_integer(arrow_type):
        return {
            "int8": pd.Int8Dtype(), "int16": pd.Int16Dtype(), "int32": pd.Int32Dtype(),
            "int64": pd.Int64Dtype(), "uint8": pd.UInt8Dtype(), "uint16": pd.UInt16Dtype(),
            "uint32": pd.UInt32Dtype(), "uint64": pd.UInt64Dtype(),
        }[str(arrow_type)]
    if pa.types.is_boolean(arrow_type):
        return pd.BooleanDtype()
    if pa.types.is_floating(arrow_type):
        return pd.Float64Dtype() if arrow_type.bit_width == 64 else pd.Float32Dtype()
    if pa.types.is_string(arrow_type) or pa.types.is_large_string(arrow_type):
        return pd.StringDtype()
    if pa.types.is_date(arrow_type) or pa.types.is_time(arrow_type):
        return pd.ArrowDtype(arrow_type)
    return None


def _rows_at(frame: pd.DataFrame, positions: Any) -> pd.DataFrame:
    """``frame.iloc[positions]``; a run of consecutive positions is a slice (no copy)."""
    n = len(positions)
    # increasing and spanning exactly n positions: consecutive
    consecutive = n > 0 and positions[-1] - positions[0] == n - 1 and bool(
        (positions[1:] > positions[:-1]).all()
    )
    if consecutive:
        sliced: pd.DataFrame = frame.iloc[int(positions[0]) : int(positions[-1]) + 1]
        return sliced
    taken: pd.DataFrame = frame.iloc[positions]
    return taken


def from_polars(
    part: pl.DataFrame,
    like: Backend,
    *,
    pandas_index: Any = None,
    pandas_dtypes: Mapping[str, Any] | None = None,
    pandas_source: pd.DataFrame | None = None,
    row_column: str = "sf__Row",
) -> Any:
    """A result part in the input's kind.

    For pandas, ``row_column`` holds input row positions: with ``pandas_source`` (the input
    frame itself) the payload columns are taken from it by position, so values, dtypes and
    index labels are exactly the input's; otherwise ``pandas_index`` gives the labels and
    ``pandas_dtypes`` the payload dtypes.
    """
    if like == "polars":
        return part
    import pandas as pd

    positions = part.get_column(row_column).to_numpy() if row_column in part.columns else None
    if pandas_source is not None and positions is not None:
        payload = [c for c in part.columns if c in pandas_source.columns]
        extra = part.select([c for c in part.columns if c not in pandas_source.columns])
        taken = _rows_at(pandas_source, positions)[payload]
        extras = to_pandas_frame(extra, index=taken.index)
        return pd.concat([taken, extras], axis=1)[list(part.columns)]
    index = None
    if pandas_index is not None and positions is not None:
        index = pandas_index[positions]
    return to_pandas_frame(part, index=index, dtypes=pandas_dtypes)
