"""Record Ids: the vectorised generator equals the per-Id definition (prefix, pod, base-62
counter, checksum) and continues from the same seed whatever the batch sizes."""

from __future__ import annotations

import pytest

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
