"""Frame -> CSV chunks, the uploads of a load.

``cells`` holds the dtype rules, the conversions and the null policy that give every value its
exact text cell; ``csv_records`` writes CSV with polars and finds its record boundaries;
``chunks`` packs the written records into uploads under ``max_bytes`` / ``max_records``.
"""

from sfbulk_frames.frames.encode.cells import (
    DEFAULT_MAX_BYTES,
    NULL_MARKER,
    EncodeOptions,
    encode_batch,
)
from sfbulk_frames.frames.encode.chunks import Chunk, iter_chunks
from sfbulk_frames.frames.encode.csv_records import record_offsets
from sfbulk_frames.frames.validate import unsupported_reason, validate_frame

__all__ = [
    "DEFAULT_MAX_BYTES",
    "NULL_MARKER",
    "Chunk",
    "EncodeOptions",
    "encode_batch",
    "iter_chunks",
    "record_offsets",
    "unsupported_reason",
    "validate_frame",
]
