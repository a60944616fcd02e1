"""Importing the emulator loads no data-frame library and no sfbulk_frames client, and leaves
process-wide settings alone (checked in a fresh interpreter)."""

from __future__ import annotations

import json
import subprocess
import sys

_PROBE = """
import csv, json, sys
{setup}
limit = csv.field_size_limit()
import sfbulk_frames.emulator
from sfbulk_frames.emulator import Emulator
with Emulator() as emu:  # building an org and reading an upload change nothing either
    emu.sql('SELECT COUNT(*) FROM "Contact"')
print(json.dumps({
    "modules": sorted(sys.modules),
    "limit_before": limit,
    "limit_after": csv.field_size_limit(),
}))
"""

_FORBIDDEN = ("pandas", "polars", "pyarrow", "sfbulk_frames.client", "sfbulk_frames.frames",
              "sfbulk_frames.pipeline")


# Stands in for the root package so that only the emulator's own imports are measured.
_STUB_ROOT = """
import importlib.util, types
_root = types.ModuleType("sfbulk_frames")
_root.__path__ = list(importlib.util.find_spec("sfbulk_frames").submodule_search_locations)
sys.modules["sfbulk_frames"] = _root
"""


def _probe(setup: str = "") -> dict[str, object]:
    code = _PROBE.replace("{setup}", setup)
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    result: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def _forbidden_in(modules: object) -> list[str]:
    assert isinstance(modules, list)
    return sorted({f for f in _FORBIDDEN for m in modules if m == f or m.startswith(f + ".")})


def test_importing_the_emulator_loads_no_pandas_polars_or_client() -> None:
    assert _forbidden_in(_probe()["modules"]) == []


def test_the_emulator_modules_themselves_import_no_pandas_polars_or_client() -> None:
    # the root package's own imports aside: nothing under sfbulk_frames.emulator pulls them in
    assert _forbidden_in(_probe(_STUB_ROOT)["modules"]) == []


def test_importing_the_emulator_leaves_the_csv_field_size_limit_alone() -> None:
    result = _probe()
    assert result["limit_after"] == result["limit_before"]
