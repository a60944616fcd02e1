"""Property tests over generated frames: mixed dtypes, nasty strings, random chunk limits."""

from __future__ import annotations

import csv
import datetime as dt
import io

import polars as pl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sfbulk_frames._models import COLUMN_DELIMITERS, LINE_ENDINGS
from sfbulk_frames.frames.decode import read_result_csv
from sfbulk_frames.frames.encode import EncodeOptions, encode_batch, iter_chunks
from sfbulk_frames.frames.joinback import column_kinds, match_results

NASTY_TEXT = st.text(
    alphabet=st.sampled_from([*'ab ,;|^`\t"\r\n#/Aé😀', "\u2028", "N"]), max_size=8
)
COLUMN_VALUES = {
    "Text": st.none() | NASTY_TEXT,
    "Int": st.none() | st.integers(-(2**62), 2**62),
    "Float": st.none() | st.floats(allow_infinity=False, width=64),
    "Bool": st.none() | st.booleans(),
    "Day": st.none() | st.dates(dt.date(1900, 1, 1), dt.date(2200, 1, 1)),
    "Stamp": st.none() | st.datetimes(dt.datetime(1970, 1, 1), dt.datetime(2100, 1, 1)),
    "Tags": st.none() | st.lists(st.sampled_from(["x", "y z", "é"]), max_size=3),
}
DTYPES = {
    "Text": pl.String, "Int": pl.Int64, "Float": pl.Float64, "Bool": pl.Boolean,
    "Day": pl.Date, "Stamp": pl.Datetime("us"), "Tags": pl.List(pl.String),
}


@st.composite
def frames(draw: st.DrawFn) -> pl.DataFrame:
    names = draw(st.lists(st.sampled_from(list(COLUMN_VALUES)), min_size=1, max_size=5,
                          unique=True))
    n_rows = draw(st.integers(1, 12))
    data = {name: draw(st.lists(COLUMN_VALUES[name], min_size=n_rows, max_size=n_rows))
            for name in names}
    # duplicate a few rows so identical rows are common
    frame = pl.DataFrame(data, schema={name: DTYPES[name] for name in names})
    return pl.concat([frame, frame.head(draw(st.integers(0, 3)))])


OPTIONS = st.builds(
    EncodeOptions,
    nulls=st.sampled_from(["skip", "set_null"]),
    column_delimiter=st.sampled_from(list(COLUMN_DELIMITERS)),
    line_ending=st.sampled_from(list(LINE_ENDINGS)),
    max_bytes=st.integers(400, 2000),
    max_records=st.none() | st.integers(1, 5),
)
SETTINGS = settings(max_examples=80, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])


def as_read(cells: pl.DataFrame) -> pl.DataFrame:
    """What a CSV reader gives back: empty cells are null."""
    return cells.with_columns(pl.when(pl.all() != "").then(pl.all()))


@SETTINGS
@given(frame=frames(), options=OPTIONS)
def test_chunks_parse_back_to_the_encoded_cells(frame: pl.DataFrame,
                                                options: EncodeOptions) -> None:
    chunks = list(iter_chunks(frame.iter_slices(4), options))
    assert sum(c.n_rows for c in chunks) == frame.height
    assert [c.start for c in chunks] == [sum(c.n_rows for c in chunks[:i])
                                         for i in range(len(chunks))]
    delimiter = COLUMN_DELIMITERS[options.column_delimiter]
    for chunk in chunks:
        assert len(chunk.data) <= options.max_bytes
        assert options.max_records is None or chunk.n_rows <= options.max_records
        parsed = read_result_csv(chunk.data, delimiter=delimiter, line_ending=options.line_ending)
        assert parsed.equals(as_read(chunk.cells), null_equal=True)
        reader = csv.reader(io.StringIO(chunk.data.decode(), newline=""), delimiter=delimiter,
                            strict=True)
        rows = list(reader)
        assert rows[0] == frame.columns
        expected = chunk.cells.fill_null("").rows()
        assert [tuple(r) for r in rows[1:]] == expected
    all_rows = pl.concat([c.rows for c in chunks])
    assert all_rows.equals(frame, null_equal=True)


@SETTINGS
@given(frame=frames(), seed=st.integers(0, 2**32 - 1), split=st.integers(0, 20))
def test_join_back_puts_every_row_in_exactly_one_part(frame: pl.DataFrame, seed: int,
                                                      split: int) -> None:
    """Echo the sent cells back shuffled, some as failures: every row is matched once, and to
    a row with the same cells."""
    options = EncodeOptions()
    cells = encode_batch(frame, options)
    (chunk,) = iter_chunks([frame], EncodeOptions(max_bytes=10**9))
    echoed = read_result_csv(chunk.data).with_row_index("origin").sample(
        fraction=1.0, shuffle=True, seed=seed)
    ok, bad = echoed.head(split), echoed.slice(split)
    successful = ok.select(pl.lit("001").alias("sf__Id"), pl.lit("true").alias("sf__Created"),
                           pl.all())
    failed = bad.select(pl.lit(None, dtype=pl.String).alias("sf__Id"),
                        pl.lit("X:y --").alias("sf__Error"), pl.all())
    outcome = match_results(
        cells, successful=successful.drop("origin"), failed=failed.drop("origin"),
        unprocessed=pl.DataFrame(), start=0, key=None, kinds=column_kinds(dict(frame.schema)),
    )
    rows = sorted([*outcome.successful.get_column("sf__Row"),
                   *outcome.failed.get_column("sf__Row")])
    assert rows == list(range(frame.height))
    assert outcome.unprocessed.height == 0
    assert outcome.unmatched.height == 0
    # each failed row maps to an input row whose cells are the same as the echoed row's
    text = as_read(cells).with_row_index("sf__Row").with_columns(pl.col("sf__Row").cast(pl.Int64))
    mapped = outcome.failed.join(text, on="sf__Row").select(frame.columns).sort(frame.columns)
    assert mapped.equals(bad.select(frame.columns).sort(frame.columns), null_equal=True)
