"""Describe metadata of common standard objects, as real orgs report them.

One JSON file per object (``Account.json``, ...) in the REST describe format that
``--schema`` and :meth:`sfbulk_frames.emulator.models.schema.ObjectDef.from_describe` accept,
plus a ``_source`` key naming where the metadata came from (see ``README.md`` here). Files are
read on demand, so importing this module costs nothing.

    >>> load_describe("account")["keyPrefix"]
    '001'
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources

from sfbulk_frames._exceptions import SfBulkError

__all__ = ["UnknownCatalogueObjectError", "catalogue_objects", "load_describe"]


class UnknownCatalogueObjectError(SfBulkError, KeyError):
    """The catalogue has no describe for ``name``; ``available`` lists the names it has."""

    def __init__(self, name: str, available: tuple[str, ...]) -> None:
        super().__init__(
            f"The standard-object catalogue has no object {name!r}. Available: "
            f"{', '.join(available)}. For any other object, pass its describe JSON with --schema "
            "(`sfbulk describe OBJECT --save` against a real org writes one)."
        )
        self.name = name
        self.available = available

    def __str__(self) -> str:  # KeyError would repr() the message
        return str(self.args[0])


@cache
def _files() -> dict[str, str]:
    """Lower-case object name -> file name, for every ``*.json`` shipped here."""
    root = resources.files(__name__)
    return {
        entry.name[: -len(".json")].lower(): entry.name
        for entry in root.iterdir()
        if entry.name.endswith(".json") and not entry.name.startswith("_")
    }


def catalogue_objects() -> tuple[str, ...]:
    """API names of the objects the catalogue holds, sorted (``("Account", "Asset", ...)``)."""
    return tuple(sorted(name[: -len(".json")] for name in _files().values()))


def load_describe(name: str) -> dict[str, object]:
    """The describe of standard object ``name`` (case-insensitive), as a fresh dict.

    Raises :class:`UnknownCatalogueObjectError` (a ``KeyError``) for an object not in the
    catalogue.
    """
    file_name = _files().get(name.lower())
    if file_name is None:
        raise UnknownCatalogueObjectError(name, catalogue_objects())
    text = resources.files(__name__).joinpath(file_name).read_text(encoding="utf-8")
    data: dict[str, object] = json.loads(text)
    return data
