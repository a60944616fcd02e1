"""The second round of ingest speed-ups keeps every behaviour: vectorised Ids equal the
per-Id definition, polars-parsed batches equal the ``csv`` module's rows, unique values are
still refused row by row when SQLite's UNIQUE index does the checking, multi-row INSERTs keep
every value and the upload order, and idLookup fields get their index when first used."""

from __future__ import annotations

import csv
import io
import sqlite3
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sfbulk_frames.emulator import Emulator
from sfbulk_frames.emulator.ingest.batches import LineBatches, _nth_line_end
from sfbulk_frames.emulator.ingest.reader import UploadReader
from sfbulk_frames.emulator.models.ids import BASE62, IdGenerator, normalize_id, to_18


def _base62(number: int) -> str:
    digits = ""
    for _ in range(9):
        number, rest = divmod(number, 62)
        digits = BASE62[rest] + digits
    return digits


@pytest.mark.parametrize("start", [None, 62**5 - 3, 62**6 - 2])
def test_vectorised_ids_equal_prefix_pod_counter_and_checksum(start: int | None) -> None:
    generator = IdGenerator(seed=11)
    if start is not None:
        generator.restore({"003": start})
    ids = generator.new_many("003", 7)
    first = generator.state()["003"] - 7
    expected = [to_18("003R00" + _base62(first + k)) for k in range(7)]
    assert ids == expected
    assert all(normalize_id(i) == i for i in ids)
    assert ids == sorted(ids)  # increasing, so the Id index only grows at its end


def test_ids_continue_from_the_same_seed_whatever_the_batch_sizes() -> None:
    one, many = IdGenerator(seed=5), IdGenerator(seed=5)
    singles = [one.new("001") for _ in range(12)]
    assert singles == many.new_many("001", 5) + many.new_many("001", 0) + many.new_many("001", 7)


@given(
    text=st.text(alphabet="ab\n", max_size=60),
    start=st.integers(0, 60),
    n=st.integers(1, 8),
)
def test_nth_line_end_finds_the_end_of_the_nth_line(text: str, start: int, n: int) -> None:
    start = min(start, len(text))
    ends = [i + 1 for i, ch in enumerate(text) if ch == "\n" and i >= start]
    if len(ends) < n:
        return
    assert _nth_line_end(text, start, n, len(ends)) == ends[n - 1]


_CELL = st.text(alphabet="xy \u00e9#", max_size=3)


@st.composite
def quote_free_uploads(draw: Any) -> tuple[str, str]:
    """Quote-free CSV texts with ragged rows, blank lines and mixed LF / CRLF line ends."""
    delimiter = draw(st.sampled_from([",", "\t", "|", ";", "^", "`"]))
    width = draw(st.integers(1, 4))
    lines = [delimiter.join(f"h{k}" for k in range(width))]
    for _ in range(draw(st.integers(0, 25))):
        cells = draw(st.integers(0, width + 1)) if draw(st.integers(0, 9)) == 0 else width
        lines.append(delimiter.join(draw(_CELL) for _ in range(cells)))
    ends = [draw(st.sampled_from(["\n", "\r\n"])) for _ in lines]
    text = "".join(line + end for line, end in zip(lines, ends, strict=True))
    if draw(st.booleans()):
        text = text.rstrip("\r\n")  # no line end after the last row
    return text, delimiter


@settings(max_examples=150, deadline=None)
@given(upload=quote_free_uploads(), limit=st.integers(1, 9))
def test_polars_batches_equal_the_csv_module_rows(upload: tuple[str, str], limit: int) -> None:
    text, delimiter = upload
    data = text.encode()
    reader = UploadReader(
        lambda offset, size: data[offset : offset + size], delimiter, quote_free=True
    )
    header_width = len(text.split("\n", 1)[0].rstrip("\r").split(delimiter))
    rows: list[list[str]] = []
    with pytest.MonkeyPatch.context() as patch:  # small reads: rows span several pieces
        patch.setattr("sfbulk_frames.emulator.ingest.reader.CHUNK_BYTES", 16)
        batches = LineBatches(reader.texts(), delimiter, header_width)
        while (batch := batches.take(limit)) is not None:
            assert 1 <= batch.count <= limit
            assert len(batch.as_rows()) == batch.count
            rows += batch.as_rows()
    expected = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True))
    assert rows == expected[1:]
    assert not batches.has_more()


@pytest.mark.parametrize(("short", "long"), [(5000, 7000), (9998, 9999), (0, 1), (3, 2)])
def test_rows_of_another_width_in_a_large_batch_are_read_by_the_csv_module(
    short: int, long: int
) -> None:
    lines = [f"a{i},b{i},c{i}" for i in range(10_000)]
    lines[short] = f"a{short},b{short}"  # one field short ...
    lines[long] += ",extra"  # ... and one too many: the delimiter count alone matches
    text = "x,y,z\n" + "\n".join(lines)
    data = text.encode()
    reader = UploadReader(lambda offset, size: data[offset : offset + size], ",", quote_free=True)
    batch = LineBatches(reader.texts(), ",", 3).take(10_000)
    assert batch is not None
    expected = list(csv.reader(io.StringIO(text, newline=""), strict=True))[1:]
    assert batch.as_rows() == expected


def test_a_large_uniform_batch_is_handed_over_as_polars_columns() -> None:
    text = "a,b\n" + "".join(f"{i},v{i}\r\n" for i in range(2500))
    data = text.encode()
    reader = UploadReader(lambda offset, size: data[offset : offset + size], ",", quote_free=True)
    batches = LineBatches(reader.texts(), ",", 2)
    first = batches.take(1000)
    assert first is not None
    assert first.columns is not None
    assert first.frame is not None
    assert first.columns[1][:2] == ["v0", "v1"]
    assert batches.has_more()
    sizes = [first.count]
    while (batch := batches.take(1000)) is not None:
        sizes.append(batch.count)
    assert sizes == [1000, 1000, 500]


def test_a_clash_with_the_org_is_refused_per_row_and_the_rest_is_inserted(api: Any) -> None:
    first = api.ingest("Contact", "insert", "LastName,ExternalId__c\nA,K-1\nB,k-2\n")
    holder = {r["LastName"]: r["sf__Id"] for r in first.successful}
    rows = "".join(f"N{i},X-{i}\n" for i in range(300))
    outcome = api.ingest("Contact", "insert", f"LastName,ExternalId__c\nC,k-1\n{rows}D,K-2\n")
    errors = {r["LastName"]: r["sf__Error"] for r in outcome.failed}
    assert errors == {
        "C": "DUPLICATE_VALUE:duplicate value found: ExternalId__c duplicates value on record "
        f"with id: {holder['A']}:ExternalId__c --",
        "D": "DUPLICATE_VALUE:duplicate value found: ExternalId__c duplicates value on record "
        f"with id: {holder['B']}:ExternalId__c --",
    }
    assert len(outcome.successful) == 300
    assert api.emu.count("Contact") == 302


def test_a_soft_deleted_records_unique_value_can_be_used_again(api: Any) -> None:
    first = api.ingest("Contact", "insert", "LastName,ExternalId__c\nA,R-1\n")
    api.ingest("Contact", "delete", f"Id\n{first.successful[0]['sf__Id']}\n")
    again = api.ingest("Contact", "insert", "LastName,ExternalId__c\nB,r-1\n")
    assert [r["LastName"] for r in again.successful] == ["B"]
    clash = api.ingest("Contact", "insert", "LastName,ExternalId__c\nC,R-1\n")
    assert clash.failed[0]["sf__Error"].startswith("DUPLICATE_VALUE:")


def test_multi_row_inserts_keep_every_value_in_upload_order(api: Any) -> None:
    count = 257  # not a multiple of the rows per INSERT statement
    lines = "".join(f"F{i},L{i},{i}.25,{'true' if i % 2 else 'false'},E{i}\n" for i in range(count))
    outcome = api.ingest(
        "Contact",
        "insert",
        "FirstName,LastName,Score__c,HasOptedOutOfEmail,ExternalId__c\n" + lines,
    )
    assert outcome.info["numberRecordsProcessed"] == count
    stored = api.emu.sql(
        'SELECT FirstName, LastName, Name, Score__c, HasOptedOutOfEmail, ExternalId__c '
        'FROM "Contact" ORDER BY rowid'
    )
    assert stored == [
        (f"F{i}", f"L{i}", f"F{i} L{i}", i + 0.25, i % 2, f"E{i}") for i in range(count)
    ]
    by_id = {r["sf__Id"]: r["LastName"] for r in outcome.successful}
    ids = [r[0] for r in api.emu.sql('SELECT Id FROM "Contact" ORDER BY rowid')]
    assert [by_id[i] for i in ids] == [f"L{i}" for i in range(count)]


def _index_names(emu: Emulator) -> set[str]:
    return {
        r[0]
        for r in emu.sql(
            "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'Contact'"
        )
    }


def test_an_idlookup_field_is_indexed_when_first_used_to_resolve_a_relationship(
    api: Any,
) -> None:
    api.ingest("Contact", "insert", "LastName,Email\nBoss,boss@example.com\n")
    assert "ix_Contact_Email_ci" not in _index_names(api.emu)
    outcome = api.ingest(
        "Contact", "insert", "LastName,ReportsTo.Email\nWorker,BOSS@example.com\n"
    )
    assert outcome.failed == []
    assert "ix_Contact_Email_ci" in _index_names(api.emu)
    boss = api.emu.sql("SELECT Id FROM \"Contact\" WHERE LastName = 'Boss'")[0][0]
    worker = api.emu.sql("SELECT ReportsToId FROM \"Contact\" WHERE LastName = 'Worker'")
    assert worker == [(boss,)]


def test_a_file_org_holding_duplicates_keeps_checking_unique_values_itself(
    tmp_path: Path, api_factory: Any
) -> None:
    db = str(tmp_path / "org.db")
    Emulator(db=db, seed=1).close()
    conn = sqlite3.connect(db)  # an org file written before unique values were enforced
    conn.execute('DROP INDEX "ux_Contact_ExternalId__c"')
    conn.executemany(
        'INSERT INTO "Contact" (Id, LastName, ExternalId__c) VALUES (?, ?, ?)',
        [("003R00000000001AAA", "Old1", "D-1"), ("003R00000000002AAA", "Old2", "d-1")],
    )
    conn.commit()
    conn.close()
    with (
        Emulator(db=db, seed=1) as emu,
        httpx.Client(
            transport=emu.transport(),
            base_url=emu.instance_url,
            headers={"Authorization": f"Bearer {emu.token}"},
        ) as http,
    ):
        contact = emu.org.schema.get("Contact")
        assert contact is not None
        field = contact.field("ExternalId__c")
        assert field is not None
        assert not emu.org.enforces_unique(contact, field)
        outcome = api_factory(http, emu).ingest(
            "Contact", "insert", "LastName,ExternalId__c\nNew,D-1\nOther,D-2\n"
        )
    assert [r["LastName"] for r in outcome.successful] == ["Other"]
    assert outcome.failed[0]["sf__Error"].startswith("DUPLICATE_VALUE:")
