"""jsforce 3 (Node), unmodified, against the emulator over a loopback server: ``identity()``
through the resource map, sobject create/update/retrieve/destroy, a Bulk API 2.0 load and a
REST query that pages with ``nextRecordsUrl`` (autoFetch). Needs ``node`` and jsforce
(``npm install jsforce@3``; point ``NODE_PATH`` at its ``node_modules`` if it is not global)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from sfbulk_frames.emulator import Emulator

pytestmark = pytest.mark.server

SCRIPT = Path(__file__).parent / "js" / "jsforce_rest.js"


def _node() -> str:
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed: jsforce cannot run")
    found = subprocess.run(
        [node, "-e", "require.resolve('jsforce')"], capture_output=True, timeout=60, check=False
    )
    if found.returncode != 0:
        pytest.skip("jsforce not installed: npm install jsforce@3 and set NODE_PATH")
    return node


def test_jsforce_identity_crud_bulk_and_query_paging() -> None:
    node = _node()
    with Emulator(seed=5) as emu, emu.serve(port=0) as server:
        done = subprocess.run(
            [node, str(SCRIPT), server.url, emu.token],
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
            env=dict(os.environ),
        )
        assert done.returncode == 0, done.stderr[-2000:]
        out = json.loads(done.stdout.strip().splitlines()[-1])
        assert out["identity"] == {
            "user_id": emu.org.user_id,
            "organization_id": emu.org.org_id,
            "username": "admin@example.com",
        }
        assert out["created"]["success"] is True
        assert out["retrieved"] == {"Name": "From jsforce", "NumberOfEmployees": 8}
        query = out["query"]
        assert (query["totalSize"], query["done"], query["firstPage"]) == (2500, False, 2000)
        assert query["next"].endswith("-2000")
        assert (query["fetched"], query["last"]) == (2500, "JS 2499")
        assert query["account"] is None
        assert out["afterDelete"] == 0
