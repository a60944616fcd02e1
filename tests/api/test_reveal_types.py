"""What a type checker sees in user code: mypy runs on a small script and each
``reveal_type`` must name the precise type (no ``Any``)."""

from __future__ import annotations

import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

USER_SCRIPT = """
import asyncio
from pathlib import Path

import pandas as pd
import polars as pl

import sfbulk_frames as sfb
from sfbulk_frames import aio
from sfbulk_frames.emulator import Emulator

pdf = pd.DataFrame({"LastName": ["Lee"]})
plf = pl.DataFrame({"LastName": ["Lee"]})
lazy = plf.lazy()

with Emulator() as emu, emu.client() as client:
    reveal_type(emu.client())  # client
    res_pd = sfb.insert(pdf, "Contact", client=client, max_records=10)
    reveal_type(res_pd)  # pandas result
    reveal_type(res_pd.successful)  # pandas frame
    reveal_type(res_pd.annotate())  # pandas frame
    res_pl = sfb.upsert(plf, "Contact", "Ext__c", client=client, nulls="set_null")
    reveal_type(res_pl)  # polars result
    reveal_type(res_pl.failed)  # polars frame
    res_lazy = sfb.delete(lazy, "Contact", hard=True, client=client)
    reveal_type(res_lazy)  # polars result
    reveal_type(res_lazy.unprocessed)  # polars frame
    reveal_type(sfb.resume(pdf, ["750000000000001AAA"], client=client))  # pandas result
    reveal_type(sfb.query("SELECT Id FROM Contact", client=client))  # polars frame
    reveal_type(sfb.query("SELECT Id FROM Contact", backend="pandas"))  # pandas frame
    reveal_type(sfb.query("SELECT Id FROM Contact", out="c.parquet"))  # path
    plain = sfb.Client(emu.instance_url, emu.token, transport=emu.transport())
    reveal_type(plain.create_ingest_job("Contact", "insert"))  # ingest job
    reveal_type(plain.query_job("750000000000001AAA").info())  # job info

with Emulator().serve(port=0) as server:
    reveal_type(server.client())  # client


async def main(client: sfb.AsyncClient) -> None:
    reveal_type(await aio.update(pdf, "Contact", client=client))  # pandas result
    reveal_type(await aio.upsert(lazy, "Contact", "Ext__c", client=client))  # polars result
    reveal_type(await aio.query("SELECT Id FROM Contact", client=client))  # polars frame
    reveal_type(await aio.query("SELECT Id FROM Contact", backend="pandas"))  # pandas frame
    reveal_type(await client.create_query_job("SELECT Id FROM Contact"))  # async query job


sfb.insert(pdf, "Contact", max_concurent_jobs=2)  # error: the typo
"""

RESULT = "sfbulk_frames.frames.result.bulk_result.BulkResult"
EXPECTED = {
    "client": "sfbulk_frames.client.clients.Client",
    "pandas result": f"{RESULT}[pandas.core.frame.DataFrame]",
    "polars result": f"{RESULT}[polars.dataframe.frame.DataFrame]",
    "pandas frame": "pandas.core.frame.DataFrame",
    "polars frame": "polars.dataframe.frame.DataFrame",
    "path": "pathlib.Path",
    "ingest job": "sfbulk_frames.client.jobs.IngestJob",
    "job info": "sfbulk_frames._models.JobInfo",
    "async query job": "sfbulk_frames.client.jobs.AsyncQueryJob",
}


@pytest.mark.slow
def test_mypy_infers_the_frame_type_of_every_result_from_the_input(tmp_path: Path) -> None:
    script = tmp_path / "user_script.py"
    script.write_text(textwrap.dedent(USER_SCRIPT), encoding="utf-8")
    config = tmp_path / "mypy.ini"
    config.write_text("[mypy]\nstrict = true\n", encoding="utf-8")
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--no-incremental",
            "--config-file",
            str(config),
            str(script),
        ],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=Path(__file__).parents[2],
    )
    lines = script.read_text(encoding="utf-8").splitlines()
    revealed: dict[int, str] = {}
    errors: list[str] = []
    for line in result.stdout.splitlines():
        match = re.match(r".*user_script\.py:(\d+): (note|error): (.*)", line)
        if match is None:
            continue
        number, kind, text = int(match[1]), match[2], match[3]
        if kind == "note" and text.startswith("Revealed type is"):
            revealed[number] = text.removeprefix("Revealed type is ").strip('"')
        elif kind == "error":
            errors.append(f"{number}: {text}")
    wanted = {
        number: EXPECTED[line.rsplit("# ", 1)[1]]
        for number, line in enumerate(lines, start=1)
        if "reveal_type(" in line
    }
    assert revealed == wanted, result.stdout
    typo_line = next(n for n, line in enumerate(lines, 1) if "max_concurent_jobs" in line)
    assert {e.split(":")[0] for e in errors} == {str(typo_line)}, result.stdout
    assert "max_concurent_jobs" in errors[0]
