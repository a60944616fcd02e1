"""Dropped connections: a midway drop of a bodiless answer (201 upload, 204 delete) still
fails on the client."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from sfbulk_frames.emulator import Emulator

BASE = "/services/data/v62.0"


def make_http(emu: Emulator, base_url: str | None = None) -> httpx.Client:
    return httpx.Client(
        transport=None if base_url else emu.transport(),
        base_url=base_url or emu.instance_url,
        headers={"Authorization": f"Bearer {emu.token}"},
        timeout=30,
    )


# -- a midway drop of a bodiless answer still breaks the connection ----------------------------
@pytest.mark.server
def test_midway_drop_of_a_bodiless_201_upload_answer_fails_on_the_client(
    emu: Emulator, api_factory: Any
) -> None:
    with emu.serve(port=0) as server, make_http(emu, server.url) as http:
        api = api_factory(http, emu)
        job_id = api.new_ingest("Contact", "insert")
        emu.faults.drop("/jobs/ingest/*/batches", when="midway")
        with pytest.raises(httpx.TransportError):
            api.upload(job_id, "LastName\nA\n")
        assert emu.jobs_seen() == {job_id: 1}  # the upload was taken before the answer was cut


@pytest.mark.server
def test_midway_drop_of_a_204_delete_answer_fails_on_the_client(
    emu: Emulator, api_factory: Any
) -> None:
    with emu.serve(port=0) as server, make_http(emu, server.url) as http:
        api = api_factory(http, emu)
        job_id = api.new_ingest("Contact", "insert")
        assert api.patch(job_id, "Aborted").status_code == 200
        emu.faults.drop("/jobs/ingest/*", when="midway", method="DELETE")
        with pytest.raises(httpx.TransportError):
            http.delete(f"{BASE}/jobs/ingest/{job_id}")
        assert api.info(job_id).status_code == 404  # deleted all the same
