"""Live-org mode: the tests here run against the emulator by default and, with ``pytest -m
live`` and Salesforce credentials in the environment, also against a real org.

* ``-m live`` selects the real-org runs; without it they are deselected (this hook), so the
  normal ``python -m pytest`` never contacts Salesforce.
* Credentials: ``SF_INSTANCE_URL`` + ``SF_ACCESS_TOKEN``, or the login variables
  ``Client.from_env()`` reads. Without them each live run is skipped with one line.
* Never in CI: a ``CI`` environment variable skips them too.
* Every record a test creates carries the run id (``sfbf-<hex>``) in ``Name`` / ``LastName``;
  cleanup finds records by that tag only and deletes them (hard delete where the user may,
  else to the recycle bin). Nothing else in the org is read or changed.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import polars as pl
import pytest

import sfbulk_frames as sfb
from sfbulk_frames.emulator import Emulator

LIVE_SKIP = "live org not configured: set SF_INSTANCE_URL and SF_ACCESS_TOKEN"
# (object, text field carrying the run id), children first so parents delete cleanly
TAGGED = (("Contact", "LastName"), ("Account", "Name"))


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Deselect the real-org runs unless the marker expression names ``live``."""
    if "live" in (config.getoption("markexpr") or ""):
        return
    live = [item for item in items if item.get_closest_marker("live") is not None]
    if live:
        config.hook.pytest_deselected(items=live)
        items[:] = [item for item in items if item.get_closest_marker("live") is None]


@dataclass
class Org:
    """The org under test: a client, and where it is."""

    client: sfb.Client
    where: str  # "emulator" or "live"
    run_id: str

    def tag(self, text: str) -> str:
        """``text`` tagged with this run's id (what cleanup looks for)."""
        return f"{self.run_id} {text}"

    def tagged_ids(self, obj: str, field: str, *, include_deleted: bool = False) -> list[str]:
        soql = f"SELECT Id FROM {obj} WHERE {field} LIKE '{self.run_id}%'"
        frame = sfb.query(soql, client=self.client, include_deleted=include_deleted, progress=False)
        return [str(v) for v in frame["Id"].to_list()] if frame.height else []


def _live_client() -> sfb.Client:
    if os.environ.get("CI"):
        pytest.skip("live org tests never run in CI")
    try:
        return sfb.Client.from_env()
    except sfb.ConfigurationError:
        pytest.skip(LIVE_SKIP)


def _cleanup(org: Org) -> None:
    """Delete every record tagged with the run id (hard where permitted, else soft)."""
    for obj, field in TAGGED:
        ids = org.tagged_ids(obj, field, include_deleted=True)
        if not ids:
            continue
        frame = pl.DataFrame({"Id": ids})
        try:
            result = sfb.delete(frame, obj, hard=True, client=org.client, progress=False)
            hard_ok = result.counts()["successful"] == len(ids)
        except sfb.SfBulkError:  # no "Bulk API Hard Delete" permission: the job is refused
            hard_ok = False
        if not hard_ok:
            live = org.tagged_ids(obj, field)
            if live:
                sfb.delete(pl.DataFrame({"Id": live}), obj, client=org.client, progress=False)


@pytest.fixture(params=["emulator", pytest.param("live", marks=pytest.mark.live)])
def org(request: pytest.FixtureRequest) -> Iterator[Org]:
    """The emulator, or (``-m live``) the real org of the environment's credentials."""
    run_id = f"sfbf-{uuid.uuid4().hex[:10]}"
    if request.param == "emulator":
        with Emulator() as emu:
            local = Org(emu.client(), "emulator", run_id)
            yield local
            _cleanup(local)  # the same cleanup as on a real org, checked here
            for obj, field in TAGGED:
                assert not local.tagged_ids(obj, field, include_deleted=True), obj
        return
    client = _live_client()
    found = Org(client, "live", run_id)
    try:
        yield found
    finally:
        _cleanup(found)
        client.close()
