"""The notebooks in ``notebooks/`` run top to bottom against the in-process emulator, do what
their text says, and are committed up to date and with their outputs.

Each notebook is copied to a temporary directory and executed with nbclient on a kernel of
this interpreter (``notebooks/build_notebooks.py:execute_notebook``). A probe cell appended to
the copy reports the kernel's state as JSON, so the assertions check the objects, not only the
printed text.
"""

from __future__ import annotations

import importlib.util
import json
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import nbformat
import pytest
from nbformat.v4 import new_code_cell

NOTEBOOK_DIR = Path(__file__).resolve().parents[1] / "notebooks"
NAMES = ("quickstart", "polars_etl", "reconcile_failures", "nightly_sync")
PROBE_MARK = "SFBULK_NOTEBOOK_FACTS "
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# The four kinds of bad rows the notebooks plant and the codes Salesforce answers them with.
PLANTED_ERROR_CODES = {
    "REQUIRED_FIELD_MISSING",  # no LastName
    "STRING_TOO_LONG",  # Title over 128 characters
    "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST",  # legacy Level__c value
    "INVALID_FIELD",  # parent external id that matches no Account
}

PROBES = {
    "quickstart": """
import json
print("SFBULK_NOTEBOOK_FACTS " + json.dumps({
    "rows": len(contacts),
    "planted_positions": sorted(int(i) for i in bad.ravel()),
    "failed_labels": sorted(int(i) for i in res.failed.index),
    "failed_frame_module": type(res.failed).__module__,
    "counts": res.counts(),
    "error_codes": sorted(res.summary()["errors"]),
    "primary_successful": int((res.successful["Level__c"] == "Primary").sum()),
    "queried_rows": len(people),
    "queried_dtypes": {name: str(dtype) for name, dtype in people.dtypes.items()},
}))
""",
    "polars_etl": """
import json
print("SFBULK_NOTEBOOK_FACTS " + json.dumps({
    "source_rows": export.height,
    "unknown_level_rows": int((~export["level_code"].is_in(list(LEVELS))).sum()),
    "counts": res.counts(),
    "jobs": len(res.jobs),
    "failed_frame_type": type(res.failed).__name__,
    "failed_birthdate_dtype": str(res.failed.schema["Birthdate"]),
    "failed_levels": sorted(set(res.failed["Level__c"].to_list())),
    "rows_in_org_summary": int(by_country["contacts"].sum()),
    "source_inside_cwd": Path.cwd() in source.parents,
    "temp_dir_removed": not workdir.exists(),
}))
""",
    "reconcile_failures": """
import json
print("SFBULK_NOTEBOOK_FACTS " + json.dumps({
    "rows": contacts.height,
    "planted": int((kind > 0).sum()),
    "first_counts": res.counts(),
    "error_codes": sorted(res.error_counts()["code"].to_list()),
    "retry_counts": final.attempts[-1].counts(),
    "retry_ok": final.ok,
    "attempts": len(final.attempts),
    "final_sf_rows": final.successful["sf__Row"].to_list() == list(range(contacts.height)),
    "outcome_rows": outcome.height,
    "outcome_statuses": sorted(set(outcome["status"].to_list())),
    "contacts_in_org": in_org.height,
    "still_failing": still_failing,
}))
""",
    "nightly_sync": """
import json
print("SFBULK_NOTEBOOK_FACTS " + json.dumps({
    "tonight_rows": tonight.height,
    "gone": gone.len(),
    "new": new_people.height,
    "plan_counts": plan.counts(),
    "changed_fields": plan.changed_fields(),
    "sent": sent,
    "result_ok": res.ok,
    "outcome_rows": outcome.height,
    "outcome_statuses": dict(outcome.group_by("status").len().iter_rows()),
    "second_run_jobs": len(again.jobs),
    "contacts_in_org": emu.count("Contact"),
    "conflict_reasons": sorted(messy_plan.conflicts["reason"].to_list()),
}))
""",
}


def _load_builder() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "build_notebooks", NOTEBOOK_DIR / "build_notebooks.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@dataclass
class Executed:
    nb: Any
    facts: dict[str, Any]
    workdir: Path

    def texts(self) -> str:
        """All stream and text/plain outputs, in order."""
        parts = []
        for cell in self.nb.cells:
            for output in cell.get("outputs", []):
                parts.append(output.get("text", ""))
                parts.append(output.get("data", {}).get("text/plain", ""))
        return "\n".join(parts)


@pytest.fixture(scope="module")
def builder() -> ModuleType:
    return _load_builder()


@pytest.fixture(scope="module")
def run_notebook(
    builder: ModuleType, tmp_path_factory: pytest.TempPathFactory
) -> Callable[[str], Executed]:
    """Execute a copy of a committed notebook (once per module) and collect its probe facts."""
    cache: dict[str, Executed] = {}

    def run(name: str) -> Executed:
        if name not in cache:
            workdir = tmp_path_factory.mktemp(name)
            copy = workdir / f"{name}.ipynb"
            shutil.copyfile(NOTEBOOK_DIR / f"{name}.ipynb", copy)
            nb = nbformat.read(copy, as_version=4)
            nb.cells.append(new_code_cell(PROBES[name]))
            # forbid_widgets: the build kernel's SFBULK_PROGRESS=bar keeps progress="auto" a
            # text bar even though ipywidgets (in the test extra) is installed
            builder.execute_notebook(nb, workdir, forbid_widgets=True)
            probe_text = "".join(o.get("text", "") for o in nb.cells[-1].outputs)
            line = next(x for x in probe_text.splitlines() if x.startswith(PROBE_MARK))
            cache[name] = Executed(nb, json.loads(line.removeprefix(PROBE_MARK)), workdir)
        return cache[name]

    return run


# --- executed against the emulator ------------------------------------------------------------


def test_quickstart_reports_exactly_the_planted_bad_rows_as_failed(run_notebook: Any) -> None:
    facts = run_notebook("quickstart").facts
    counts = facts["counts"]
    assert counts["successful"] + counts["failed"] + counts["unprocessed"] == facts["rows"]
    assert counts["unmatched"] == 0
    assert facts["failed_labels"] == facts["planted_positions"]
    assert set(facts["error_codes"]) == PLANTED_ERROR_CODES
    assert facts["failed_frame_module"].startswith("pandas")


def test_quickstart_queries_the_loaded_rows_back_into_typed_pandas_columns(
    run_notebook: Any,
) -> None:
    facts = run_notebook("quickstart").facts
    assert facts["queried_rows"] == facts["primary_successful"] > 0
    dtypes = facts["queried_dtypes"]
    assert dtypes["Birthdate"].startswith("datetime64")
    assert dtypes["Score__c"] == "Float64"


def test_polars_etl_streams_the_lazyframe_in_several_jobs_and_accounts_for_every_row(
    run_notebook: Any,
) -> None:
    facts = run_notebook("polars_etl").facts
    counts = facts["counts"]
    assert counts["successful"] + counts["failed"] + counts["unprocessed"] == facts["source_rows"]
    assert facts["jobs"] >= 2
    assert counts["failed"] == facts["unknown_level_rows"] > 0
    assert facts["failed_levels"] == ["X"]
    assert facts["failed_frame_type"] == "DataFrame"
    assert facts["failed_birthdate_dtype"] == "Date"
    assert facts["rows_in_org_summary"] == counts["successful"]


def test_polars_etl_keeps_its_parquet_files_in_a_temp_dir_it_removes(run_notebook: Any) -> None:
    executed = run_notebook("polars_etl")
    assert executed.facts["source_inside_cwd"] is False
    assert executed.facts["temp_dir_removed"] is True
    assert not list(executed.workdir.glob("*.parquet"))


def test_reconcile_fixes_and_retries_until_no_row_fails(run_notebook: Any) -> None:
    facts = run_notebook("reconcile_failures").facts
    assert facts["first_counts"]["failed"] == facts["planted"] > 0
    assert set(facts["error_codes"]) == PLANTED_ERROR_CODES
    assert facts["retry_counts"]["successful"] == facts["planted"]
    assert facts["retry_ok"] is True
    assert facts["attempts"] == 2
    assert facts["final_sf_rows"] is True
    assert facts["still_failing"] == 0
    assert facts["outcome_rows"] == facts["rows"]
    assert facts["outcome_statuses"] == ["success"]
    assert facts["contacts_in_org"] == facts["rows"]
    assert "failed rows after the retry: 0" in run_notebook("reconcile_failures").texts()


def test_reconcile_draws_the_failure_chart_inline_and_as_png(run_notebook: Any) -> None:
    executed = run_notebook("reconcile_failures")
    images = [
        output
        for cell in executed.nb.cells
        for output in cell.get("outputs", [])
        if "image/png" in output.get("data", {})
    ]
    assert len(images) == 1
    png = executed.workdir / "failure_reasons.png"
    assert png.read_bytes().startswith(PNG_SIGNATURE)


def test_nightly_sync_sends_only_the_changed_new_and_gone_rows_then_nothing(
    run_notebook: Any,
) -> None:
    facts = run_notebook("nightly_sync").facts
    assert facts["plan_counts"] == {"create": 100, "update": 150, "unchanged": 4_800,
                                    "missing": 50, "conflicts": 0}
    assert facts["gone"] == 50
    assert facts["new"] == 100
    assert facts["changed_fields"] == {"HasOptedOutOfEmail": 50, "Score__c": 50, "Title": 50}
    assert facts["sent"] == {"create": 100, "update": 150, "delete": 50}
    assert facts["result_ok"] is True
    assert facts["outcome_rows"] == facts["tonight_rows"]
    assert facts["outcome_statuses"] == {"success": 250, "unchanged": 4_800}
    assert facts["second_run_jobs"] == 0
    assert facts["contacts_in_org"] == facts["tonight_rows"]
    assert facts["conflict_reasons"] == ["duplicate_source_key", "duplicate_source_key",
                                         "missing_key"]


def test_executed_notebooks_store_text_bars_although_ipywidgets_is_installed(
    run_notebook: Any,
) -> None:
    assert importlib.util.find_spec("ipywidgets") is not None  # else the test proves nothing
    nb = run_notebook("quickstart").nb
    streams = [o.text for c in nb.cells if c.cell_type == "code" for o in c.outputs
               if o.output_type == "stream" and o.name == "stderr"]
    assert any("upsert Contact" in text for text in streams), streams


# --- the committed files ----------------------------------------------------------------------


@pytest.mark.parametrize("name", NAMES)
def test_committed_notebook_matches_the_build_script(builder: ModuleType, name: str) -> None:
    committed = nbformat.read(NOTEBOOK_DIR / f"{name}.ipynb", as_version=4)
    built = builder.build_notebook(builder.NOTEBOOKS[name])
    assert [(c.cell_type, c.source) for c in committed.cells] == [
        (c.cell_type, c.source) for c in built.cells
    ], f"notebooks/{name}.ipynb is stale: run python notebooks/build_notebooks.py {name}"


@pytest.mark.parametrize("name", NAMES)
def test_committed_notebook_was_executed_in_order_without_errors(name: str) -> None:
    nb = nbformat.read(NOTEBOOK_DIR / f"{name}.ipynb", as_version=4)
    nbformat.validate(nb)
    code_cells = [c for c in nb.cells if c.cell_type == "code"]
    assert [c.execution_count for c in code_cells] == list(range(1, len(code_cells) + 1))
    outputs = [o for c in code_cells for o in c.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    assert sum(o.output_type in ("execute_result", "display_data") for o in outputs) >= 5
    assert nb.metadata["kernelspec"]["name"] == "python3"


@pytest.mark.parametrize("name", NAMES)
def test_committed_progress_output_is_a_readable_text_bar(builder: ModuleType, name: str) -> None:
    nb = nbformat.read(NOTEBOOK_DIR / f"{name}.ipynb", as_version=4)
    streams = [o.text for c in nb.cells if c.cell_type == "code" for o in c.outputs
               if o.output_type == "stream" and o.name == "stderr"]
    assert streams, f"{name} stored no progress bar"
    assert all("\r" not in text and "Warning" not in text for text in streams)
    assert not [o for c in nb.cells if c.cell_type == "code" for o in c.outputs
                if builder.WIDGET_MIME in o.get("data", {})]


def test_committed_failure_chart_png_is_present() -> None:
    assert (NOTEBOOK_DIR / "failure_reasons.png").read_bytes().startswith(PNG_SIGNATURE)
