"""Streaming reader of an ingest upload: the stored bytes are read and decoded in chunks, and
rows come out of the C ``csv`` module (or, for quote-free data, of plain string splits), so
memory stays bounded by the chunk size rather than by the upload size.

Reading follows Salesforce exactly: UTF-8 with
invalid bytes replaced, a leading BOM dropped, strict RFC-4180 parsing where lines end at
``\\r``, ``\\n`` or ``\\r\\n`` and a blank line is an empty row."""

from __future__ import annotations

import codecs
import io
from collections.abc import Callable, Iterator

from sfbulk_frames.emulator.models.csvfmt import csv_rows

# each read opens the stored BLOB afresh and SQLite walks its page chain up to the offset, so
# fewer, larger reads cost much less than many small ones
CHUNK_BYTES = 4 << 20

ReadChunk = Callable[[int, int], bytes]  # (offset, size) -> bytes, b"" at the end


class UploadScan:
    """What one cheap pass over the raw bytes tells: quotes present, lone ``\r`` line ends, and
    the row count when the data has no quotes (every line is then exactly one row)."""

    def __init__(self, read: ReadChunk, size: int) -> None:
        self.has_quotes = False
        lf = cr = crlf = 0
        ends_with_newline = True
        previous_cr = False
        offset = 0
        while offset < size:
            chunk = read(offset, CHUNK_BYTES)
            if not chunk:
                break
            offset += len(chunk)
            self.has_quotes = self.has_quotes or b'"' in chunk
            lf += chunk.count(b"\n")
            chunk_cr = chunk.count(b"\r")
            cr += chunk_cr
            if chunk_cr or previous_cr:
                crlf += chunk.count(b"\r\n") + (previous_cr and chunk.startswith(b"\n"))
            previous_cr = chunk.endswith(b"\r")
            ends_with_newline = chunk.endswith((b"\n", b"\r"))
        self.size = offset
        self.bare_cr = cr != crlf  # some line ends in a lone "\r"
        # records = line ends (\r\n counted once) + an unterminated last line
        self.lines = lf + cr - crlf + (0 if ends_with_newline or offset == 0 else 1)


class UploadReader:
    """Rows of an upload, header first (iterate :meth:`rows`); raises ``csv.Error`` from the
    iteration when the data is not parseable CSV."""

    def __init__(self, read: ReadChunk, delimiter: str, *, quote_free: bool) -> None:
        self._read = read
        self.delimiter = delimiter
        self.quote_free = quote_free

    def texts(self) -> Iterator[str]:
        """Decoded text in pieces that each end after a ``\\n`` (the last one may not), so no
        line ending (``\\r\\n``) is ever split between two pieces."""
        decoder = codecs.getincrementaldecoder("utf-8-sig")(errors="replace")
        carry = ""
        offset = 0
        while True:
            chunk = self._read(offset, CHUNK_BYTES)
            offset += len(chunk)
            text = carry + decoder.decode(chunk, final=not chunk)
            if not chunk:
                if text:
                    yield text
                return
            cut = text.rfind("\n") + 1
            if cut:
                yield text[:cut]
                carry = text[cut:]
            else:
                carry = text

    def head_text(self, min_tail: int = 41) -> str:
        """The start of the text: at least the first line plus ``min_tail`` characters."""
        out = ""
        for text in self.texts():
            out += text
            first = out.find("\n")
            if first >= 0 and len(out) >= first + min_tail:
                break
        return out

    def rows(self) -> Iterator[list[str]]:
        if not self.quote_free:
            return csv_rows(self._lines(), self.delimiter)
        return self._split_rows()

    def _lines(self) -> Iterator[str]:
        for text in self.texts():
            yield from io.StringIO(text, newline="")

    def _split_rows(self) -> Iterator[list[str]]:
        """Rows of quote-free text: a line is a row, so each piece is split on its own (with
        ``str.split`` when its lines end uniformly, else with the ``csv`` module)."""
        d = self.delimiter
        for text in self.texts():
            carriage_returns = text.count("\r")
            if not carriage_returns:
                end = "\n"
            elif carriage_returns == text.count("\r\n") == text.count("\n"):
                end = "\r\n"
            else:
                end = ""
            body = text[: -len(end)] if end and text.endswith(end) else text
            if not end or not body or end + end in text or text.startswith(end):
                yield from csv_rows(io.StringIO(text, newline=""), d)
                continue
            yield from [line.split(d) for line in body.split(end)]
