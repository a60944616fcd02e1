"""Input files (CSV, parquet, NDJSON) scanned lazily, and the result files written back.

CSV is read with every column as text (values go to Salesforce exactly as written) unless
``infer_types`` is set; a UTF-8 BOM is dropped; files that are not UTF-8 are refused before
anything is sent.
"""

from __future__ import annotations

import codecs
from pathlib import Path
from typing import Literal

import polars as pl

from sfbulk_frames._exceptions import FrameError

__all__ = [
    "FORMATS",
    "FileFormat",
    "check_utf8",
    "detect_format",
    "result_paths",
    "scan_input",
    "write_frame",
]

FileFormat = Literal["csv", "parquet", "ndjson"]
FORMATS: tuple[FileFormat, ...] = ("csv", "parquet", "ndjson")
_SUFFIXES: dict[str, FileFormat] = {
    ".csv": "csv",
    ".txt": "csv",
    ".parquet": "parquet",
    ".pq": "parquet",
    ".ndjson": "ndjson",
    ".jsonl": "ndjson",
    ".json": "ndjson",
}
_DEFAULT_SUFFIX: dict[FileFormat, str] = {"csv": ".csv", "parquet": ".parquet", "ndjson": ".ndjson"}
_READ_BLOCK = 1 << 20
RESULT_PARTS = ("successful", "failed", "unprocessed")


def detect_format(path: Path, override: str | None = None) -> FileFormat:
    """The file's format from ``override`` or its suffix.

    Raises FrameError when the suffix is unknown and no override is given.
    """
    if override:
        return override  # type: ignore[return-value]
    fmt = _SUFFIXES.get(path.suffix.lower())
    if fmt is None:
        raise FrameError(
            f"{path}: cannot tell the format from the suffix {path.suffix!r}; use .csv, "
            ".parquet or .ndjson, or pass --input-format csv|parquet|ndjson"
        )
    return fmt


def check_utf8(path: Path) -> None:
    """Read ``path`` once in blocks and raise FrameError at the first byte that is not UTF-8."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    offset = 0
    newlines = 0
    with path.open("rb") as handle:
        while True:
            block = handle.read(_READ_BLOCK)
            pending = decoder.getstate()[0]
            try:
                decoder.decode(block, final=not block)
            except UnicodeDecodeError as exc:
                data = bytes(exc.object)
                position = offset - len(pending) + exc.start
                line = newlines + data[: exc.start].count(b"\n") + 1
                bad = data[exc.start : exc.start + 1].hex() or "??"
                raise FrameError(
                    f"{path} is not UTF-8: byte 0x{bad} at offset {position} (line {line}). "
                    "Salesforce expects UTF-8: re-save the file as UTF-8 "
                    f"(e.g. iconv -f latin1 -t utf-8 {path.name} > utf8.csv) and run again"
                ) from None
            if not block:
                return
            offset += len(block)
            newlines += block.count(b"\n")


def scan_input(
    path: Path,
    fmt: FileFormat,
    *,
    infer_types: bool = False,
    separator: str = ",",
) -> pl.LazyFrame:
    """A LazyFrame over the input file (nothing is read into memory yet).

    Raises FrameError for a missing, empty or unreadable file.
    """
    if not path.is_file():
        raise FrameError(f"{path}: no such file; check the path and run again")
    if path.stat().st_size == 0:
        raise FrameError(f"{path} is empty; it needs a header row with the field API names")
    try:
        if fmt == "csv":
            check_utf8(path)
            frame = pl.scan_csv(path, infer_schema=infer_types, separator=separator)
        elif fmt == "parquet":
            frame = pl.scan_parquet(path)
        else:
            check_utf8(path)
            frame = pl.scan_ndjson(path)
        frame.collect_schema()
    except pl.exceptions.PolarsError as exc:
        raise FrameError(f"{path} cannot be read as {fmt}: {exc}") from None
    return frame


def result_paths(input_path: Path, fmt: FileFormat, output_dir: Path | None,
                 input_format: FileFormat | None = None) -> dict[str, Path]:
    """``contacts.csv`` -> ``{"successful": contacts.successful.csv, ...}`` in ``output_dir``
    (default: next to the input). The input's own suffix is kept when the format is the same."""
    directory = output_dir if output_dir is not None else input_path.parent
    same = fmt == input_format and input_path.suffix
    suffix = input_path.suffix if same else _DEFAULT_SUFFIX[fmt]
    return {part: directory / f"{input_path.stem}.{part}{suffix}" for part in RESULT_PARTS}


def write_frame(frame: pl.DataFrame, path: Path, fmt: FileFormat) -> None:
    """Write ``frame`` to ``path`` in ``fmt`` (creating the directory)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "csv":
        frame.write_csv(path)
    elif fmt == "parquet":
        frame.write_parquet(path)
    else:
        frame.write_ndjson(path)
