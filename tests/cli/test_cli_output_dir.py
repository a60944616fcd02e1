"""``--output-dir``: each job's parts are written to parquet as the job finishes."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from .harness import Org, read_any, sfbulk


def test_output_dir_writes_each_jobs_parts_as_parquet_next_to_the_result_files(
    org: Org, contacts_frame: pl.DataFrame, tmp_path: Path
) -> None:
    source = tmp_path / "contacts.parquet"
    contacts_frame.write_parquet(source)
    out = tmp_path / "out"

    def run() -> str:
        done = sfbulk(
            "insert",
            "Contact",
            source,
            "--output-dir",
            out,
            "--max-records",
            "2",
            "--fail-on",
            "never",
            "--no-progress",
            org=org,
        )
        assert done.returncode == 0, done.stderr
        return done.stderr

    run()
    parts = out / "contacts.parts"
    for part in ("successful", "failed"):
        files = sorted((parts / part).glob("part-*.parquet"))
        assert files, part
        from_parts = pl.read_parquet(files)
        result_file = read_any(out / f"contacts.{part}.parquet")
        assert from_parts["sf__Row"].to_list() == sorted(result_file["sf__Row"].to_list())
        assert from_parts.drop("sf__Row").columns == result_file.drop("sf__Row").columns
    rows = [
        *pl.read_parquet(parts / "successful")["sf__Row"],
        *pl.read_parquet(parts / "failed")["sf__Row"],
    ]
    assert sorted(rows) == list(range(contacts_frame.height))

    # the same insert again: every row fails (duplicate external ids), and the earlier run's
    # part files are replaced, not mixed in
    assert "replacing the" in run()
    assert not list((parts / "successful").glob("*.parquet"))
    assert pl.read_parquet(parts / "failed")["sf__Row"].to_list() == list(
        range(contacts_frame.height)
    )
