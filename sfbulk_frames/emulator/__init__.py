"""A local Salesforce Bulk API 2.0 emulator (in-process httpx transport or a real HTTP server).

    from sfbulk_frames.emulator import Emulator

    with Emulator() as emu:
        http = httpx.Client(transport=emu.transport(), base_url=emu.instance_url,
                            headers={"Authorization": f"Bearer {emu.token}"})
        http.post("/services/data/v62.0/jobs/ingest", json={"object": "Contact", ...})

See :class:`Emulator` for processing modes and :mod:`.models.faults` for injected faults.

Layout (moto-style): ``wire.py`` (the framework-free Request/Response/Call values),
``web/`` (route table, dispatch, server, transport, TLS), ``api/`` (one module per resource,
translating HTTP to model calls, and the Salesforce response bodies), ``models/`` (org, schema,
ids, jobs, auth, faults, values: every Salesforce rule, raising typed errors), ``ingest/``
(processing of uploads, one class per concern), ``soql/`` (lexer, parser, compiler, result
pages, REST query cursors), ``records.py`` (single records of the REST ``sobjects`` resource, on
the ingest rules) and ``catalogue/`` (standard objects loaded on first use). Importing this
package loads neither pandas, polars nor the sfbulk_frames client.
"""

from typing import TYPE_CHECKING, Any

from sfbulk_frames.emulator.models.faults import FaultPlan
from sfbulk_frames.emulator.models.ids import IdGenerator, checksum_suffix, normalize_id, to_18
from sfbulk_frames.emulator.models.org import ReadOnlySqlError
from sfbulk_frames.emulator.models.schema import FieldDef, ObjectDef, Schema
from sfbulk_frames.emulator.service import DEFAULT_INSTANCE_URL, Emulator, PutRecord

if TYPE_CHECKING:
    from sfbulk_frames.emulator.web.server import EmulatorServer
from sfbulk_frames.emulator.web.transport import EmulatorTransport
from sfbulk_frames.emulator.wire import Request, Response

__all__ = [
    "DEFAULT_INSTANCE_URL",
    "Emulator",
    "EmulatorServer",
    "EmulatorTransport",
    "FaultPlan",
    "FieldDef",
    "IdGenerator",
    "ObjectDef",
    "PutRecord",
    "ReadOnlySqlError",
    "Request",
    "Response",
    "Schema",
    "checksum_suffix",
    "normalize_id",
    "to_18",
]


def __getattr__(name: str) -> Any:
    # the loopback server (uvicorn) loads on first use only
    if name == "EmulatorServer":
        from sfbulk_frames.emulator.web.server import EmulatorServer

        return EmulatorServer
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
