"""A local Salesforce Bulk API 2.0 emulator (in-process httpx transport or a real HTTP server).

    from sfbulk_frames.emulator import Emulator

    with Emulator() as emu:
        http = httpx.Client(transport=emu.transport(), base_url=emu.instance_url,
                            headers={"Authorization": f"Bearer {emu.token}"})
        http.post("/services/data/v62.0/jobs/ingest", json={"object": "Contact", ...})

See :class:`Emulator` for processing modes and :mod:`.faults` for injected faults.
"""

from sfbulk_frames.emulator.http.transport import EmulatorTransport
from sfbulk_frames.emulator.http.wire import Request, Response
from sfbulk_frames.emulator.models.faults import FaultPlan
from sfbulk_frames.emulator.models.ids import IdGenerator, checksum_suffix, normalize_id, to_18
from sfbulk_frames.emulator.models.schema import FieldDef, ObjectDef, Schema
from sfbulk_frames.emulator.service import DEFAULT_INSTANCE_URL, Emulator, PutRecord

__all__ = [
    "DEFAULT_INSTANCE_URL",
    "Emulator",
    "EmulatorTransport",
    "FaultPlan",
    "FieldDef",
    "IdGenerator",
    "ObjectDef",
    "PutRecord",
    "Request",
    "Response",
    "Schema",
    "checksum_suffix",
    "normalize_id",
    "to_18",
]
