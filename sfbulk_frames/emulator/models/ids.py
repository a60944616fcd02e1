"""Salesforce-style record Ids (protocol §9): 15 case-sensitive characters + a 3-character
checksum suffix, with the object's key prefix first. Generation is seedable."""

from __future__ import annotations

import random
import re

import numpy as np

BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_SUFFIX_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"
_ID_PATTERN = re.compile(r"^[0-9A-Za-z]{15}(?:[0-9A-Z]{3})?$")
JOB_PREFIX = "750"
ORG_PREFIX = "00D"
USER_PREFIX = "005"


def checksum_suffix(id15: str) -> str:
    """The 3-character suffix that makes a 15-character Id case-insensitive-safe."""
    suffix = []
    for start in (0, 5, 10):
        bits = 0
        for i, ch in enumerate(id15[start : start + 5]):
            if "A" <= ch <= "Z":
                bits |= 1 << i
        suffix.append(_SUFFIX_ALPHABET[bits])
    return "".join(suffix)


def to_18(id15: str) -> str:
    """Append the checksum to a 15-character Id."""
    return id15 + checksum_suffix(id15)


def normalize_id(value: str) -> str | None:
    """The 18-character form of a 15- or 18-character Id, or ``None`` when malformed
    (wrong length, bad characters or a checksum that does not match)."""
    if not _ID_PATTERN.match(value):
        return None
    id15 = value[:15]
    full = to_18(id15)
    if len(value) == 18 and value[15:].upper() != full[15:]:
        return None
    return full


def _base62(number: int, width: int) -> str:
    digits = []
    for _ in range(width):
        number, rem = divmod(number, 62)
        digits.append(BASE62[rem])
    return "".join(reversed(digits))


_BASE62_CODES = np.frombuffer(BASE62.encode(), dtype=np.uint8)
_SUFFIX_CODES = np.frombuffer(_SUFFIX_ALPHABET.encode(), dtype=np.uint8)
_UPPER_A, _UPPER_Z = ord("A"), ord("Z")


def _id_texts(head: str, numbers: np.ndarray) -> list[str]:
    """18-character Ids ``head`` (6 chars) + 9 base-62 digits of each number + checksum,
    computed for the whole array at once."""
    count = len(numbers)
    codes = np.empty((count, 19), dtype=np.uint8)  # 18 characters + a newline to split on
    codes[:, :6] = np.frombuffer(head.encode("ascii"), dtype=np.uint8)
    rest = numbers.astype(np.int64, copy=True)
    for position in range(14, 5, -1):  # the 9 counter digits, last one first
        rest, digit = np.divmod(rest, 62)
        codes[:, position] = _BASE62_CODES[digit]
    upper = (codes[:, :15] >= _UPPER_A) & (codes[:, :15] <= _UPPER_Z)
    weights = (1 << np.arange(5, dtype=np.uint8)).astype(np.uint8)
    bits = (upper.reshape(count, 3, 5).astype(np.uint8) * weights).sum(axis=2)
    codes[:, 15:18] = _SUFFIX_CODES[bits]
    codes[:, 18] = ord("\n")
    return codes.tobytes().decode("ascii").split("\n")[:count]


class IdGenerator:
    """Issues unique 18-character Ids per key prefix: prefix + pod ``R0`` + ``0`` + a 9-char
    base-62 counter. The counters start at seed-derived offsets, so one seed gives one sequence;
    :meth:`state` / :meth:`restore` let a persistent org continue where it stopped."""

    def __init__(self, seed: int = 0, pod: str = "R0") -> None:
        self._rng = random.Random(seed)
        self._pod = pod
        self._counters: dict[str, int] = {}

    def _next_numbers(self, prefix: str, count: int) -> range:
        start = self._counters.get(prefix)
        if start is None:
            start = self._rng.randrange(62**4, 62**5)
        self._counters[prefix] = start + count
        return range(start, start + count)

    def new(self, prefix: str) -> str:
        """One new Id with the given 3-character key prefix."""
        return self.new_many(prefix, 1)[0]

    def new_many(self, prefix: str, count: int) -> list[str]:
        """``count`` new Ids with the given key prefix, in increasing order."""
        numbers = self._next_numbers(prefix, count)
        if not count:
            return []
        head = prefix + self._pod + "0"  # characters 1-6, then the 9-digit counter
        return _id_texts(head, np.arange(numbers.start, numbers.stop, dtype=np.int64))

    def state(self) -> dict[str, int]:
        return dict(self._counters)

    def restore(self, counters: dict[str, int]) -> None:
        for prefix, value in counters.items():
            self._counters[prefix] = max(value, self._counters.get(prefix, 0))
