"""The standard-object catalogue (:mod:`sfbulk_frames.emulator.catalogue`) as an on-demand
:class:`~.schema.ObjectSource`: a catalogue object becomes part of the org's schema the first
time a request names it (describe, ingest, SOQL ``FROM`` or a relationship, REST), so the
built-in org starts with its own eight objects only."""

from __future__ import annotations

from sfbulk_frames.emulator.catalogue import catalogue_objects, load_describe
from sfbulk_frames.emulator.models.schema import ObjectDef

__all__ = ["StandardObjects"]


class StandardObjects:
    """The catalogue's describes, read and converted on first use (each file once per org)."""

    def __repr__(self) -> str:
        return f"<StandardObjects {len(self.names())} objects>"

    def names(self) -> tuple[str, ...]:
        return catalogue_objects()

    def load(self, name: str) -> ObjectDef | None:
        known = {n.lower() for n in catalogue_objects()}
        if name.lower() not in known:
            return None
        return ObjectDef.from_describe(load_describe(name))
