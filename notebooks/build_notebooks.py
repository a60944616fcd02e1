"""Build the example notebooks from the Python source in this file, execute them, store outputs.

Regenerate every notebook (from the repository root, in the project's virtualenv)::

    python notebooks/build_notebooks.py                 # build + execute all four
    python notebooks/build_notebooks.py reconcile_failures   # only the named notebook(s)
    python notebooks/build_notebooks.py --no-execute    # write them without outputs

The cells live at the bottom of this file as plain Python (one list of cells per notebook), so
they can be reviewed and diffed as code; this script turns them into ``.ipynb`` files with
nbformat and runs them with nbclient on a kernel that is *this* Python (``sys.executable``) with
this checkout first on its path, so the stored outputs come from the library in this checkout
(even from a git worktree whose package is not the editable install) and the emulator runs
in-process (no
Salesforce org, no credentials, no network). The test suite (``tests/test_notebooks.py``) uses
:func:`execute_notebook` to run the committed notebooks the same way.

Progress bars: the notebooks use ``progress="auto"``. The kernel runs with
``SFBULK_PROGRESS=bar``, so ``"auto"`` draws tqdm's text bar even where ipywidgets is
installed; nbclient stores it as one final line (``coalesce_streams``) that reads well on a code
host, where a widget would be stored as a placeholder. The build still refuses to store widget
outputs (a notebook that asks for ``progress="notebook"`` explicitly) and hides tqdm's
"IProgress not found" hint from the stored outputs.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

import nbformat
from jupyter_client.kernelspec import KernelSpecManager
from jupyter_client.manager import KernelManager
from nbclient import NotebookClient
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

NOTEBOOK_DIR = Path(__file__).resolve().parent
REPO_ROOT = NOTEBOOK_DIR.parent
KERNEL_NAME = "sfbulk-frames-python"
CELL_TIMEOUT_SECONDS = 120
WIDGET_MIME = "application/vnd.jupyter.widget-view+json"
STORED_KERNELSPEC = {"name": "python3", "display_name": "Python 3 (ipykernel)",
                     "language": "python"}
# The stored progress bars must be text: SFBULK_PROGRESS=bar makes progress="auto" draw tqdm's
# text bar whether or not ipywidgets is installed. tqdm warns once per kernel when ipywidgets is
# missing; that hint is filtered in the kernel (not in the notebook's own code).
KERNEL_ENV = {"SFBULK_PROGRESS": "bar", "PYTHONWARNINGS": "ignore:IProgress not found"}


def build_notebook(cells: Sequence[tuple[str, str]]) -> nbformat.NotebookNode:
    """A notebook from ``(kind, source)`` pairs; kind is ``"md"`` or ``"code"``.

    Raises ValueError for any other kind.
    """
    built = []
    for index, (kind, source) in enumerate(cells):
        text = source.strip("\n")
        cell_id = f"cell-{index:02d}"  # stable ids: a rebuild only changes what really changed
        if kind == "md":
            built.append(new_markdown_cell(text, id=cell_id))
        elif kind == "code":
            built.append(new_code_cell(text, id=cell_id))
        else:
            raise ValueError(f"cell kind {kind!r} is neither 'md' nor 'code'")
    nb = new_notebook(cells=built)
    nb.metadata["kernelspec"] = dict(STORED_KERNELSPEC)
    nb.metadata["language_info"] = {"name": "python"}
    return nb


def _kernel_env() -> dict[str, str]:
    """KERNEL_ENV plus PYTHONPATH with this checkout first: the kernel runs in the notebook's
    directory, where ``import sfbulk_frames`` would otherwise find the installed package."""
    path = [str(REPO_ROOT), *filter(None, os.environ.get("PYTHONPATH", "").split(os.pathsep))]
    return {**KERNEL_ENV, "PYTHONPATH": os.pathsep.join(path)}


def _kernel_manager(spec_root: Path) -> KernelManager:
    """A kernel manager whose kernel is this interpreter (the venv with sfbulk_frames)."""
    spec_dir = spec_root / KERNEL_NAME
    spec_dir.mkdir(parents=True, exist_ok=True)
    spec = {
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": f"Python ({sys.executable})",
        "language": "python",
        "env": _kernel_env(),
    }
    (spec_dir / "kernel.json").write_text(json.dumps(spec), encoding="utf-8")
    specs = KernelSpecManager(kernel_dirs=[str(spec_root)])
    return KernelManager(kernel_name=KERNEL_NAME, kernel_spec_manager=specs)


def _widget_outputs(nb: nbformat.NotebookNode) -> list[int]:
    return [
        index
        for index, cell in enumerate(nb.cells)
        if cell.cell_type == "code"
        and any(WIDGET_MIME in output.get("data", {}) for output in cell.get("outputs", []))
    ]


def execute_notebook(
    nb: nbformat.NotebookNode,
    cwd: Path,
    *,
    timeout: int = CELL_TIMEOUT_SECONDS,
    forbid_widgets: bool = True,
) -> nbformat.NotebookNode:
    """Run every cell of ``nb`` in ``cwd`` on a kernel of ``sys.executable``, in place.

    Raises nbclient's CellExecutionError when a cell fails (its message shows the traceback),
    and, with ``forbid_widgets``, RuntimeError when a cell stored a widget (it would not render
    on a code host).
    """
    with tempfile.TemporaryDirectory(prefix="sfbulk-kernelspec-") as spec_root:
        client = NotebookClient(
            nb,
            km=_kernel_manager(Path(spec_root)),
            timeout=timeout,
            resources={"metadata": {"path": str(cwd)}},
            coalesce_streams=True,
            record_timing=False,
        )
        client.execute()
    nb.metadata["kernelspec"] = dict(STORED_KERNELSPEC)
    widgets = _widget_outputs(nb)
    if forbid_widgets and widgets:
        raise RuntimeError(
            f"cells {widgets} stored ipywidgets output; it does not render on a code host — "
            'use progress="auto" (the build kernel sets SFBULK_PROGRESS=bar) or "bar" there, '
            'not progress="notebook"'
        )
    return nb


def write(name: str, *, execute: bool) -> Path:
    """Build (and execute) one notebook into ``notebooks/<name>.ipynb``; return its path."""
    nb = build_notebook(NOTEBOOKS[name])
    if execute:
        execute_notebook(nb, NOTEBOOK_DIR)
    path = NOTEBOOK_DIR / f"{name}.ipynb"
    nbformat.validate(nb)
    nbformat.write(nb, path)
    return path


def main(argv: Sequence[str] | None = None) -> int:
    names = list(NOTEBOOKS)
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("names", nargs="*", metavar="NAME",
                        help=f"notebooks to build (default all: {', '.join(names)})")
    parser.add_argument("--no-execute", action="store_true",
                        help="write the notebooks without running them (no outputs)")
    args = parser.parse_args(argv)
    unknown = sorted(set(args.names) - set(names))
    if unknown:
        parser.error(f"unknown notebook(s) {unknown}; choose from {names}")
    for name in args.names or names:
        path = write(name, execute=not args.no_execute)
        print(f"wrote {path.relative_to(NOTEBOOK_DIR.parent)}")
    return 0


# --- the notebooks' cells ------------------------------------------------------------------
# Each notebook is a list of ("md" | "code", source). Sources are dedented by nbformat as-is,
# so write them flush left.

_CONNECT_TO_A_REAL_ORG = r"""
### Connecting to a real org instead

Everything below works the same against Salesforce. Build a `Client` with one of the auth flows
and make it the default (or pass `client=` to each call, or use `with sfb.use_client(client):`):

```python
import sfbulk_frames as sfb

client = sfb.Client.from_env()    # SF_INSTANCE_URL + SF_ACCESS_TOKEN, or SF_USERNAME,
                                  # SF_PASSWORD, SF_SECURITY_TOKEN, SF_CLIENT_ID ... (see README)
client = sfb.Client.password_login("me@example.com", "password", "security-token",
                                   client_id="...", client_secret="...")
client = sfb.Client.jwt_login("connected-app-client-id", "me@example.com",
                              private_key_file="server.key")
client = sfb.Client.from_sf_cli("my-org-alias")  # an org you logged into with `sf org login web`
sfb.set_default_client(client)
```

Here we use the emulator that ships with the package: a local Salesforce org in this Python
process, with no credentials and no network.
"""

_PROGRESS_NOTE = r"""
`progress="auto"` shows a tqdm progress bar: a widget in Jupyter when `ipywidgets` is
installed, a text bar otherwise (the text bar is what is stored in this notebook, so it reads on
a code host). Use `progress="log"` for log lines or `progress=False` for silence.
"""

QUICKSTART: list[tuple[str, str]] = [
    ("md", r"""
# Quickstart: pandas ⇄ Salesforce with `sfbulk_frames`

Load a pandas DataFrame into Salesforce with the Bulk API 2.0, see exactly which rows failed
and why, and query records back into a typed DataFrame — in a few lines, with no hand-written
CSV.

This notebook runs against the **local emulator** that ships with the package, so it needs no
Salesforce org and no credentials.
"""),
    ("md", _CONNECT_TO_A_REAL_ORG),
    ("code", r"""
import numpy as np
import pandas as pd

import sfbulk_frames as sfb
from sfbulk_frames.emulator import Emulator

emu = Emulator(seed=1)         # a local Salesforce org, in this process
client = emu.client()          # an sfb.Client wired to it
sfb.set_default_client(client)  # every sfb call below uses it
client
"""),
    ("md", r"""
## 1. Some data

200 companies and 2,000 people, generated with numpy. Like any real export, a few percent of the
people are not loadable as they are: 20 have no last name, 20 a job title longer than the 128
characters the `Title` field allows, 20 a `Level__c` value the restricted picklist refuses, and
20 point at a company that does not exist.
"""),
    ("code", r"""
rng = np.random.default_rng(7)
n_accounts, n_contacts = 200, 2_000
FIRST = ["Ada", "Amara", "Chen", "David", "Elena", "Emeka", "Hana", "Lucas", "Maya", "Omar",
         "Priya", "Sofia"]
LAST = ["Baker", "Dubois", "Garcia", "Ito", "Kowalski", "Nguyen", "Okafor", "Patel", "Rossi",
        "Schmidt", "Silva"]
TITLES = ["CEO", "CFO", "Data Scientist", "Data Engineer", "Head of Sales", "Buyer"]
COUNTRIES = ["Germany", "France", "United States", "Japan", "Brazil", "India", "Canada"]
INDUSTRIES = ["Technology", "Manufacturing", "Retail", "Healthcare", "Banking"]


def numbered(prefix, n, width):
    return prefix + pd.Series(np.arange(1, n + 1)).astype(str).str.zfill(width)


accounts = pd.DataFrame({
    "ExternalId__c": numbered("ACC-", n_accounts, 5),
    "Name": (pd.Series(rng.choice(["Blue", "Cedar", "Delta", "Harbor", "Lumen"], n_accounts))
             + " " + rng.choice(["Analytics", "Foods", "Logistics", "Software"], n_accounts)
             + " " + rng.choice(["Inc.", "GmbH", "S.A.", "Ltd", "K.K."], n_accounts)),
    "Industry": rng.choice(INDUSTRIES, n_accounts),
    "BillingCountry": rng.choice(COUNTRIES, n_accounts),
    "AnnualRevenue": rng.lognormal(15, 1.2, n_accounts).round(-3),
})

first = pd.Series(rng.choice(FIRST, n_contacts))
last = pd.Series(rng.choice(LAST, n_contacts))
# Birthdate is a *date* field: pass datetime.date values (datetime64 would be sent as a datetime)
birthdates = pd.Timestamp("1960-01-01") + pd.to_timedelta(rng.integers(0, 15_000, n_contacts), "D")
contacts = pd.DataFrame({
    "ExternalId__c": numbered("CON-", n_contacts, 6),
    "FirstName": first,
    "LastName": last,
    "Email": (first.str.lower() + "." + last.str.lower() + numbered("", n_contacts, 1)
              + "@example.com"),
    "Title": rng.choice(TITLES, n_contacts),
    "Level__c": rng.choice(["Primary", "Secondary", "Tertiary"], n_contacts),
    "Birthdate": birthdates.date,
    "Score__c": rng.normal(60, 15, n_contacts).round(1),
    # the parent Account, referenced by its external id
    "Account.ExternalId__c": rng.choice(accounts["ExternalId__c"], n_contacts),
})

bad = rng.choice(n_contacts, size=(4, 20), replace=False)   # 4 kinds x 20 rows, disjoint
contacts.loc[bad[0], "LastName"] = None
contacts.loc[bad[1], "Title"] += (" — responsible for procurement, vendor management,"
                                  " contract negotiations, budget planning and quarterly"
                                  " business reviews across EMEA and APAC")
contacts.loc[bad[2], "Level__c"] = "Tier 1"
contacts.loc[bad[3], "Account.ExternalId__c"] = "ACC-99999"
contacts.head()
"""),
    ("md", r"""
## 2. Upsert

`df.sfbulk.upsert(object, external_id_field)` serialises the frame (dates, numbers, nulls,
relationship columns such as `Account.ExternalId__c`), creates the Bulk API jobs, uploads,
waits and collects the results. Upserting by an external id means you can run it again safely.
""" + _PROGRESS_NOTE),
    ("code", r"""
accounts.sfbulk.upsert("Account", "ExternalId__c", progress="auto")
"""),
    ("code", r"""
res = contacts.sfbulk.upsert("Contact", "ExternalId__c", progress="auto")
res
"""),
    ("md", r"""
## 3. Inspect the failures

`res.successful`, `res.failed` and `res.unprocessed` are pandas DataFrames with **your own
rows** — the input's values, dtypes and index labels — plus Salesforce's `sf__Id`,
`sf__Created` / `sf__Error`, and `sf__Row` (the position in the input). Every input row is in
exactly one of them.
"""),
    ("code", r"""
res.summary()
"""),
    ("code", r"""
res.error_counts()
"""),
    ("code", r"""
columns = ["ExternalId__c", "LastName", "Level__c", "Account.ExternalId__c", "sf__Error"]
with pd.option_context("display.max_colwidth", 90):
    display(res.failed[columns].head(8))
"""),
    ("md", r"""
Because the failed rows keep the input's index labels, joining them back to the source is a
plain pandas join — no matching on payloads, no guessing:
"""),
    ("code", r"""
failed_with_reason = contacts.join(res.failed[["sf__Error"]], how="inner")
print(f"{len(failed_with_reason)} of {len(contacts):,} rows failed; "
      f"{len(bad.ravel())} were planted as bad")
failed_with_reason.sort_index().head(3)
"""),
    ("md", r"""
`res.annotate()` gives back the whole input in its original order with a `status` column —
handy to write next to the source data. The notebook
[reconcile_failures.ipynb](reconcile_failures.ipynb) shows how to fix and retry the failed rows.
"""),
    ("code", r"""
res.annotate()["status"].value_counts()
"""),
    ("md", r"""
## 4. Query back into a typed DataFrame

`sfb.query()` runs a Bulk API query job and types every column from the object's metadata
(`describe`), following parent paths like `Account.BillingCountry`: dates are dates, numbers
are numbers, and empty cells are nulls — no string guessing.
"""),
    ("code", r"""
people = sfb.query(
    "SELECT Id, ExternalId__c, FirstName, LastName, Birthdate, Level__c, Score__c, "
    "Account.Name, Account.BillingCountry FROM Contact WHERE Level__c = 'Primary'",
    backend="pandas",
    progress="auto",
)
people.dtypes
"""),
    ("code", r"""
people.head()
"""),
    ("code", r"""
(people.groupby("Account.BillingCountry")["Score__c"]
       .agg(["count", "mean"])
       .round(1)
       .sort_values("count", ascending=False))
"""),
    ("md", r"""
Next: [polars_etl.ipynb](polars_etl.ipynb) streams a parquet file through a polars
`LazyFrame`, and [reconcile_failures.ipynb](reconcile_failures.ipynb) fixes and retries the
failed rows.
"""),
]

POLARS_ETL: list[tuple[str, str]] = [
    ("md", r"""
# Polars ETL: a parquet file → Salesforce, streamed through a `LazyFrame`

An ETL job reads a parquet export, reshapes it into Salesforce fields with polars expressions,
and upserts it. The `LazyFrame` is never collected as a whole: `sfbulk_frames` pulls it through
polars' streaming engine in record batches, encodes them into CSV chunks that respect the Bulk
API limits, and runs one ingest job per chunk, a few at a time — so a file larger than memory
streams through.

It runs against the local emulator (no org, no credentials). For a real org, build the client
with `sfb.Client.from_env()`, `sfb.Client.password_login(...)`, `sfb.Client.jwt_login(...)` or
`sfb.Client.from_sf_cli("my-org-alias")` and pass it to `sfb.set_default_client(...)`.
"""),
    ("code", r"""
import tempfile
from pathlib import Path

import numpy as np
import polars as pl

import sfbulk_frames as sfb
from sfbulk_frames.emulator import Emulator

emu = Emulator(seed=1)
sfb.set_default_client(emu.client())
pl.Config.set_fmt_str_lengths(60)
workdir = Path(tempfile.mkdtemp(prefix="sfbulk-etl-"))   # the "data lake" of this example
"""),
    ("md", r"""
## 1. The source: a parquet export from another system

6,000 people with their employer, in the source system's own shape: snake_case columns, level
codes `P`/`S`/`T`, upper-case e-mails. About 2% of the rows carry a level code the mapping
does not know (`X`) — they will fail the restricted picklist `Level__c`.
"""),
    ("code", r"""
rng = np.random.default_rng(11)
n = 6_000
company_ids = pl.Series(rng.integers(1, 301, n)).cast(pl.String).str.zfill(4)
export = pl.DataFrame({
    "person_id": np.arange(100_001, 100_001 + n),
    "first_name": rng.choice(["ada", "amara", "chen", "david", "elena", "hana", "priya"], n),
    "last_name": rng.choice(["baker", "dubois", "garcia", "ito", "nguyen", "okafor", "patel"], n),
    "job_title": rng.choice(["CEO", "CFO", "Data Engineer", "Head of Sales", "Buyer"], n),
    "level_code": rng.choice(["P", "S", "T", "X"], n, p=[0.3, 0.4, 0.28, 0.02]),
    "born": pl.date_range(pl.date(1960, 1, 1), pl.date(2000, 12, 31), eager=True)
              .sample(n, with_replacement=True, seed=11),
    "score": rng.normal(60, 15, n).round(1),
    "company_id": company_ids,
    "company": pl.Series(rng.choice(["Blue", "Cedar", "Delta", "Harbor", "Lumen", "Summit"], 300))
                 .gather(company_ids.cast(pl.Int64) - 1) + " Systems",
    "country": pl.Series(rng.choice(["Germany", "France", "United States", "Japan", "Brazil"], 300))
                 .gather(company_ids.cast(pl.Int64) - 1),
}).with_columns(
    email=pl.format("{}.{}{}@EXAMPLE.COM", "first_name", "last_name", "person_id")
            .str.to_uppercase(),
)
source = workdir / "crm_export.parquet"
export.write_parquet(source, row_group_size=1_000)
print(f"{source.name}: {export.height:,} rows, {source.stat().st_size / 1024:.0f} KiB")
"""),
    ("md", r"""
## 2. Transform lazily

`pl.scan_parquet` reads nothing yet. Two plans come out of the same scan: the companies (one
row per company) and the people, renamed to Salesforce field names. The people reference their
Account by its external id through the relationship column `Account.ExternalId__c`.
"""),
    ("code", r"""
LEVELS = {"P": "Primary", "S": "Secondary", "T": "Tertiary"}
lf = pl.scan_parquet(source)

accounts_lf = (
    lf.select(
        pl.format("ACC-{}", "company_id").alias("ExternalId__c"),
        pl.col("company").alias("Name"),
        pl.col("country").alias("BillingCountry"),
    )
    .unique(subset="ExternalId__c", keep="first")
    .sort("ExternalId__c")
)
contacts_lf = lf.select(
    pl.format("P-{}", "person_id").alias("ExternalId__c"),
    pl.col("first_name").str.to_titlecase().alias("FirstName"),
    pl.col("last_name").str.to_titlecase().alias("LastName"),
    pl.col("email").str.to_lowercase().alias("Email"),
    pl.col("job_title").alias("Title"),
    pl.col("level_code").replace(LEVELS).alias("Level__c"),   # unknown codes pass through unchanged
    pl.col("born").alias("Birthdate"),
    pl.col("score").alias("Score__c"),
    pl.format("ACC-{}", "company_id").alias("Account.ExternalId__c"),
)
contacts_lf.collect_schema()
"""),
    ("md", r"""
## 3. Upsert, streamed

The accessor works on a `LazyFrame` directly. `max_records=1_500` caps each ingest job so the
6,000 people go out as several jobs, `max_concurrent_jobs=2` of them at a time (with real data
the default chunking by bytes, a margin under Salesforce's 100 MB per job, is usually what you
want).

`progress="auto"` shows a tqdm bar: a widget in Jupyter when `ipywidgets` is installed, a text
bar otherwise (stored here so it reads on a code host). It counts rows as they stream out; a
`LazyFrame`'s length is not known up front, so the bar has no total.
"""),
    ("code", r"""
accounts_res = accounts_lf.sfbulk.upsert("Account", "ExternalId__c", progress="auto")
accounts_res
"""),
    ("code", r"""
res = contacts_lf.sfbulk.upsert(
    "Contact", "ExternalId__c", max_records=1_500, max_concurrent_jobs=2, progress="auto"
)
res
"""),
    ("code", r"""
pl.DataFrame(
    {
        "job": [job.id for job in res.jobs],
        "state": [str(job.state) for job in res.jobs],
        "processed": [job.number_records_processed for job in res.jobs],
        "failed": [job.number_records_failed for job in res.jobs],
    }
)
"""),
    ("md", r"""
## 4. The failed rows, as a polars frame

The input was a `LazyFrame`, so the parts are polars DataFrames with the transformed columns
and their dtypes (`Birthdate` is still a `Date`), plus the `sf__*` columns. Write them next to
the source for whoever fixes the data — [reconcile_failures.ipynb](reconcile_failures.ipynb)
shows the fix-and-retry loop.
"""),
    ("code", r"""
res.error_counts()
"""),
    ("code", r"""
res.failed.select("ExternalId__c", "LastName", "Level__c", "Birthdate", "sf__Error").head(5)
"""),
    ("code", r"""
failures_file = workdir / "contact_failures.parquet"
res.failed.write_parquet(failures_file)
codes_in_source = (
    pl.scan_parquet(source).filter(~pl.col("level_code").is_in(list(LEVELS))).select(pl.len())
    .collect().item()
)
print(f"{res.failed.height} failed rows written to {failures_file.name}; "
      f"the source has {codes_in_source} rows with an unknown level code")
"""),
    ("md", r"""
## 5. Query back, straight to parquet

`sfb.query(..., out="file.parquet")` streams the result pages into a parquet file with bounded
memory, typed from the metadata; `pl.scan_parquet` then continues the pipeline lazily.
"""),
    ("code", r"""
loaded = sfb.query(
    "SELECT ExternalId__c, Level__c, Birthdate, Score__c, Account.BillingCountry FROM Contact",
    out=workdir / "contacts_in_org.parquet",
    progress="auto",
)
in_org = pl.scan_parquet(loaded)
in_org.collect_schema()
"""),
    ("code", r"""
by_country = (
    in_org.group_by("Account.BillingCountry", "Level__c")
    .agg(pl.len().alias("contacts"), pl.col("Score__c").mean().round(1).alias("mean_score"))
    .sort("Account.BillingCountry", "Level__c")
    .collect()
)
by_country
"""),
    ("md", r"""
Clean up the example's temporary files.
"""),
    ("code", r"""
import shutil

shutil.rmtree(workdir)
"""),
]

RECONCILE_FAILURES: list[tuple[str, str]] = [
    ("md", r"""
# Reconcile failed rows: see why, fix, retry, report

A load of 3,000 Contacts where about 4% of the rows are bad in the ways real exports are bad.
This notebook groups the failures by code and field, charts them, fixes each kind in
`res.failed`, retries them with `res.retry(fixed)` — which returns one report over the whole
input — and ends with every row loaded.

It runs against the local emulator (no org, no credentials). For a real org, build the client
with `sfb.Client.from_env()`, `sfb.Client.password_login(...)`, `sfb.Client.jwt_login(...)` or
`sfb.Client.from_sf_cli("my-org-alias")` and pass it to `sfb.set_default_client(...)`.
"""),
    ("code", r"""
import matplotlib.pyplot as plt
import numpy as np
import polars as pl

import sfbulk_frames as sfb
from sfbulk_frames.emulator import Emulator

emu = Emulator(seed=1)
sfb.set_default_client(emu.client())
pl.Config.set_fmt_str_lengths(60)
pl.Config.set_tbl_width_chars(160);
"""),
    ("md", r"""
## 1. The data and the first load

300 Accounts and 3,000 Contacts, of which 120 are bad: 45 have no `LastName` (required), 30 a
`Title` over the field's 128 characters, 25 a legacy level (`Tier 1`) that the restricted
picklist `Level__c` refuses, and 20 an Account external id with a space instead of a dash
(`ACC 00042`), which matches no Account.
"""),
    ("code", r"""
rng = np.random.default_rng(3)
n_accounts, n = 300, 3_000

accounts = pl.DataFrame({
    "ExternalId__c": "ACC-" + pl.Series(np.arange(1, n_accounts + 1)).cast(pl.String).str.zfill(5),
    "Name": pl.Series(rng.choice(["Blue", "Cedar", "Delta", "Harbor", "Summit"], n_accounts))
            + " " + pl.Series(rng.choice(["Analytics", "Foods", "Software"], n_accounts)),
    "BillingCountry": rng.choice(["Germany", "France", "Japan", "India"], n_accounts),
})

FIRST = ["Ada", "Amara", "Chen", "David", "Elena", "Emeka", "Hana", "Lucas", "Maya", "Priya"]
LAST = ["Baker", "Dubois", "Garcia", "Ito", "Kowalski", "Nguyen", "Okafor", "Patel", "Silva"]
TITLES = ["CEO", "CFO", "Data Scientist", "Data Engineer", "Head of Sales", "Buyer"]
first, last = pl.Series(rng.choice(FIRST, n)), pl.Series(rng.choice(LAST, n))
contacts = pl.DataFrame({
    "ExternalId__c": "CON-" + pl.Series(np.arange(1, n + 1)).cast(pl.String).str.zfill(6),
    "FirstName": first,
    "LastName": last,
    "Email": (first.str.to_lowercase() + "." + last.str.to_lowercase()
              + pl.Series(np.arange(n)).cast(pl.String) + "@example.com"),
    "Title": rng.choice(TITLES, n),
    "Level__c": rng.choice(["Primary", "Secondary", "Tertiary"], n),
    "Account.ExternalId__c": pl.Series(rng.choice(accounts["ExternalId__c"].to_numpy(), n)),
})

LEGACY_LEVELS = {"Tier 1": "Primary", "Tier 2": "Secondary", "Tier 3": "Tertiary"}
kind = np.zeros(n, dtype=np.int8)                       # 0 = good, 1..4 = the four kinds of bad
kind[rng.choice(n, size=120, replace=False)] = np.repeat([1, 2, 3, 4], [45, 30, 25, 20])
kind = pl.Series("kind", kind)
contacts = contacts.with_columns(
    pl.when(kind == 1).then(None).otherwise(pl.col("LastName")).alias("LastName"),
    pl.when(kind == 2).then(pl.col("Title") + " — responsible for procurement, vendor "
                            "management, contract negotiations, budget planning and "
                            "quarterly business reviews across EMEA and APAC")
      .otherwise(pl.col("Title")).alias("Title"),
    pl.when(kind == 3).then(pl.lit("Tier 1")).otherwise(pl.col("Level__c")).alias("Level__c"),
    pl.when(kind == 4).then(pl.col("Account.ExternalId__c").str.replace("-", " ", literal=True))
      .otherwise(pl.col("Account.ExternalId__c")).alias("Account.ExternalId__c"),
)
contacts.head(3)
"""),
    ("md", r"""
`progress="auto"` shows a tqdm bar: a widget in Jupyter when `ipywidgets` is installed, a text
bar otherwise (stored here so it reads on a code host).
"""),
    ("code", r"""
accounts.sfbulk.upsert("Account", "ExternalId__c", progress="auto").raise_for_failures()
res = contacts.sfbulk.upsert("Contact", "ExternalId__c", progress="auto")
res
"""),
    ("md", r"""
## 2. Why did rows fail?

`res.error_counts()` groups `sf__Error` (Salesforce's `CODE:message:Field --`) by its code
**and the field it names**, so one code that hides several problems (a bad date, a missing
parent...) shows as several lines. A small table of what each one means here — and how we will
fix it — gives the chart readable labels.
"""),
    ("code", r"""
counts = res.error_counts()
reasons = pl.DataFrame(
    [
        ("REQUIRED_FIELD_MISSING", "LastName", "LastName missing",
         "take the last name from the e-mail"),
        ("STRING_TOO_LONG", "Title", "Title over 128 characters", "cut the Title at the dash"),
        ("INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST", "Level__c", "legacy Level__c value",
         "map Tier 1/2/3 to picklist values"),
        ("INVALID_FIELD", "Account.ExternalId__c", "Account external id not found",
         "replace the space with a dash"),
    ],
    schema=["code", "field", "reason", "fix"],
    orient="row",
)
counts = (
    counts.join(reasons, on=["code", "field"], how="left")
    .with_columns(pl.col("reason").fill_null(pl.col("code")))   # errors we did not expect
)
counts
"""),
    ("code", r"""
chart = counts.sort("count")   # largest bar on top
fig, ax = plt.subplots(figsize=(8, 3.2))
labels = chart["reason"] + "\n" + chart["code"] + " " + chart["field"].fill_null("")
bars = ax.barh(labels, chart["count"], color="#c8553d")
ax.bar_label(bars, padding=4)
ax.set_xlabel("failed rows")
ax.set_title(f"Why {res.failed.height} of {contacts.height:,} Contact rows failed",
             loc="left", fontweight="bold")
ax.spines[["top", "right"]].set_visible(False)
ax.tick_params(axis="y", labelsize=9)
ax.margins(x=0.12)
fig.tight_layout()
fig.savefig("failure_reasons.png", dpi=120)
plt.show()
"""),
    ("md", r"""
## 3. Fix the failed rows

`res.failed` holds the failed input rows with the input's own values and dtypes, plus
`sf__Error` and `sf__Row` (each row's position in the input). Each fix is a vectorised
expression applied only to the rows with that error code; `sf__Row` stays as it is, so the
retry knows which input row each corrected row is.
"""),
    ("code", r"""
failed = res.failed.with_columns(code=pl.col("sf__Error").str.extract(r"^([A-Z_]+):"))
fixed = failed.with_columns(
    pl.when(pl.col("code") == "REQUIRED_FIELD_MISSING")
      .then(pl.col("Email").str.extract(r"^[a-z]+\.([a-z]+)").str.to_titlecase())
      .otherwise(pl.col("LastName")).alias("LastName"),
    pl.when(pl.col("code") == "STRING_TOO_LONG")
      .then(pl.col("Title").str.split(" — ").list.first())
      .otherwise(pl.col("Title")).alias("Title"),
    pl.when(pl.col("code") == "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST")
      .then(pl.col("Level__c").replace(LEGACY_LEVELS))
      .otherwise(pl.col("Level__c")).alias("Level__c"),
    pl.when(pl.col("code") == "INVALID_FIELD")
      .then(pl.col("Account.ExternalId__c").str.replace(" ", "-", literal=True))
      .otherwise(pl.col("Account.ExternalId__c")).alias("Account.ExternalId__c"),
).drop("code")
# what each fix changed: two examples per error code, one line per changed field
payload = contacts.columns
changes = (
    failed.select("sf__Row", "code", *payload)
    .unpivot(index=["sf__Row", "code"], variable_name="field", value_name="before")
    .join(
        fixed.select("sf__Row", *payload)
        .unpivot(index="sf__Row", variable_name="field", value_name="after"),
        on=["sf__Row", "field"],
    )
    .filter(pl.col("before").ne_missing(pl.col("after")))
)
print(f"{changes.height} values changed in {fixed.height} rows")
changes.group_by("code", maintain_order=True).head(2)
"""),
    ("md", r"""
## 4. Retry, and one report over the whole input

`res.retry(fixed)` sends the corrected rows (matched to the input by `sf__Row`; the `sf__*`
columns are not sent) with the first load's object, operation, key and options, and returns a
new result **over the original 3,000 rows**: rows that succeeded the first time stay
successful, retried rows take their new outcome, every row keeps its `sf__Row`. Rows are
matched by position, never by key, so a duplicated external id or two identical rows still get
one status each. `res.retry()` without an argument re-sends every failed and unprocessed row as
it was (e.g. after `UNABLE_TO_LOCK_ROW`).
"""),
    ("code", r"""
final = res.retry(fixed, progress="auto")
final
"""),
    ("code", r"""
for i, attempt in enumerate(final.attempts, 1):
    print(f"attempt {i}: {attempt.counts()['successful']:,} successful, "
          f"{attempt.counts()['failed']:,} failed in {len(attempt.jobs)} job(s)")
"""),
    ("md", r"""
## 5. The combined outcome

`final.annotate()` returns the input in its original order with `sf__Id`, `sf__Created`,
`sf__Error` and a `status` column — one frame that says what happened to every source row,
ready to write back to the source system. Its values are the input's own (what the source
system holds, so it joins back on any column); the corrected values that were sent are in the
retry's own result, `final.attempts[-1].successful`.
"""),
    ("code", r"""
outcome = final.annotate()
retried = pl.Series(np.isin(np.arange(contacts.height), fixed["sf__Row"].to_numpy()))
(outcome.filter(retried)
        .select("ExternalId__c", "sf__Id", "sf__Created", "sf__Error", "status")
        .head(5))
"""),
    ("code", r"""
outcome.with_columns(retried=retried).group_by("retried", "status").len().sort("retried")
"""),
    ("code", r"""
in_org = sfb.query(
    "SELECT ExternalId__c, LastName, Level__c, Account.Name FROM Contact", progress=False
)
still_failing = outcome.filter(pl.col("status") != "success").height
missing_in_org = contacts.join(in_org, on="ExternalId__c", how="anti").height
print(f"failed rows after the retry: {still_failing}")
print(f"source rows not in the org:  {missing_in_org}")
print(f"contacts in the org:         {in_org.height:,} of {contacts.height:,}")
"""),
]

NIGHTLY_SYNC: list[tuple[str, str]] = [
    ("md", r"""
# Nightly sync: send only what changed

An ETL job that re-upserts a whole table every night sends every row again — unchanged ones
too: it spends the org's daily limits (records and batches), fires triggers and flows, moves
`LastModifiedDate` and fills the audit trail for nothing. `sfb.sync` (or `df.sfbulk.sync`)
queries the records the source owns, compares them with the frame **per field type, the way
Salesforce stores values**, and sends only the new and changed rows — after showing you the plan
if you ask for a dry run.

It runs against the local emulator (no org, no credentials). For a real org, build the client
with `sfb.Client.from_env()`, `sfb.Client.password_login(...)`, `sfb.Client.jwt_login(...)` or
`sfb.Client.from_sf_cli("my-org-alias")` and pass it to `sfb.set_default_client(...)`.
"""),
    ("code", r"""
import datetime as dt

import numpy as np
import polars as pl

import sfbulk_frames as sfb
from sfbulk_frames.emulator import Emulator

emu = Emulator(seed=1)
sfb.set_default_client(emu.client())
pl.Config.set_fmt_str_lengths(40)
pl.Config.set_tbl_rows(8)
"""),
    ("md", r"""
## 1. Last night's load

5,000 contacts of one source system (their external ids start with `N-`), loaded with a plain
upsert.
"""),
    ("code", r"""
rng = np.random.default_rng(3)
n = 5_000
i = np.arange(n)
last_night = pl.DataFrame({
    "ExternalId__c": [f"N-{k:05d}" for k in i],
    "LastName": rng.choice(["Baker", "Dubois", "Garcia", "Ito", "Nguyen", "Okafor"], n),
    "Email": [f"person{k}@example.com" for k in i],
    "Title": rng.choice(["CEO", "Buyer", "Data Engineer", None], n),
    "NumberOfChildren__c": rng.integers(0, 4, n),
    "Score__c": rng.uniform(0, 100, n).round(2),
    "Birthdate": pl.date_range(dt.date(1960, 1, 1), dt.date(2000, 12, 31), eager=True)
                   .sample(n, with_replacement=True, seed=3),
    "LastContacted__c": pl.datetime_range(dt.datetime(2024, 1, 1), dt.datetime(2024, 12, 31),
                                          "1h", time_zone="UTC", eager=True).head(n),
    "HasOptedOutOfEmail": rng.random(n) < 0.2,
})
first = last_night.sfbulk.upsert("Contact", "ExternalId__c")
first
"""),
    ("md", r"""
## 2. Tonight's extract

The source changed a little: 150 rows have a new value in one field (a title, a score, an
opted-out flag, a date, a timestamp), 100 people are new and 50 are gone. The extract also comes
in a different *shape* than what was loaded, without being different for Salesforce: timestamps
in the source system's time zone, the integer column as floats (`1.0`), empty strings where
there was no title, trailing spaces after some names. Salesforce stores all of those the same
way, so they must not count as changes.
"""),
    ("code", r"""
tonight = last_night.with_columns(
    pl.col("LastContacted__c").dt.convert_time_zone("Europe/Paris"),   # same instants
    pl.col("NumberOfChildren__c").cast(pl.Float64),                    # 1.0 is 1
    pl.col("Title").fill_null(""),                                     # "" is stored as null
    pl.when(pl.int_range(pl.len()) % 7 == 0).then(pl.col("LastName") + "  ")
      .otherwise(pl.col("LastName")).alias("LastName"),                # Salesforce trims text
)
row = pl.int_range(pl.len())
tonight = tonight.with_columns(
    pl.when(row % 100 == 1).then(pl.lit("Head of Data")).otherwise(pl.col("Title")).alias("Title"),
    pl.when(row % 100 == 2).then(pl.col("Score__c") + 1).otherwise(pl.col("Score__c"))
      .alias("Score__c"),
    pl.when(row % 100 == 3).then(~pl.col("HasOptedOutOfEmail"))
      .otherwise(pl.col("HasOptedOutOfEmail")).alias("HasOptedOutOfEmail"),
)
gone = tonight.filter(row % 100 == 50)["ExternalId__c"]
new_people = last_night.head(100).with_columns(
    ("N-9" + pl.col("ExternalId__c").str.slice(3)).alias("ExternalId__c"),
    pl.col("LastContacted__c").dt.convert_time_zone("Europe/Paris"),
    pl.col("NumberOfChildren__c").cast(pl.Float64),
    pl.col("Title").fill_null(""),
)
tonight = pl.concat([tonight.filter(row % 100 != 50), new_people])
print(f"tonight: {tonight.height:,} rows; {gone.len()} people gone, {new_people.height} new")
"""),
    ("md", r"""
## 3. The plan (dry run)

`where=` is a SOQL condition naming the records this source owns: only they are compared, and
only they can be deleted. `dry_run=True` sends nothing: it returns the `SyncPlan` — counts per
class, the rows of each class, and for the updates the changed fields with their old and new
values.
"""),
    ("code", r"""
plan = tonight.sfbulk.sync("Contact", "ExternalId__c", where="ExternalId__c LIKE 'N-%'",
                           dry_run=True, progress=False)
plan
"""),
    ("code", r"""
plan.changed_fields()
"""),
    ("code", r"""
plan.changes.head(6)
"""),
    ("code", r"""
plan.missing.select("Id", "ExternalId__c", "LastName").head(3)
"""),
    ("md", r"""
## 4. Sync

Now for real, deleting the 50 people the source no longer has. Only the 100 creates and 150
updates are sent (one upsert job each), then one delete job; the 4,800 unchanged rows never
leave the notebook. `annotate()` gives every source row its outcome.
"""),
    ("code", r"""
res = tonight.sfbulk.sync("Contact", "ExternalId__c", where="ExternalId__c LIKE 'N-%'",
                          delete_missing=True)
res
"""),
    ("code", r"""
outcome = res.annotate()
outcome.group_by("sf__Action", "status").len().sort("len", descending=True)
"""),
    ("code", r"""
sent = {label: sum(job.number_records_processed or 0 for job in write.jobs)
        for label, write in res.writes.items()}
print("records sent per write:", sent)
print("a full upsert would have sent:", f"{tonight.height:,}")
"""),
    ("md", r"""
## 5. The next night: nothing changed, nothing sent

Syncing the same frame again finds every row unchanged and creates no ingest job.
"""),
    ("code", r"""
again = tonight.sfbulk.sync("Contact", "ExternalId__c", where="ExternalId__c LIKE 'N-%'",
                            delete_missing=True, progress=False)
print(again)
print("ingest jobs created:", len(again.jobs))
"""),
    ("md", r"""
## 6. Rows that cannot be matched are reported, never guessed

A key that appears twice in the source, a row without a key, or several org records sharing a
key (an External ID that is not unique) would make any choice a guess: those rows are listed in
`plan.conflicts` with the reason and are never sent (nor deleted).
"""),
    ("code", r"""
messy = pl.concat([tonight.head(3), tonight.slice(1, 1),
                   tonight.slice(3, 1).with_columns(pl.lit(None, dtype=pl.String)
                                                    .alias("ExternalId__c"))])
messy_plan = messy.sfbulk.sync("Contact", "ExternalId__c", where="ExternalId__c LIKE 'N-%'",
                               dry_run=True, progress=False)
messy_plan.conflicts.filter(pl.col("sf__Row").is_not_null())
"""),
    ("md", r"""
From the shell, the same run reads the extract from a file and writes the plan (and then the
results) next to it:

```bash
sfbulk sync Contact tonight.parquet --key ExternalId__c --where "ExternalId__c LIKE 'N-%'" \
    --dry-run
sfbulk sync Contact tonight.parquet --key ExternalId__c --where "ExternalId__c LIKE 'N-%'" \
    --delete-missing
```
"""),
]

NOTEBOOKS: dict[str, list[tuple[str, str]]] = {
    "quickstart": QUICKSTART,
    "polars_etl": POLARS_ETL,
    "reconcile_failures": RECONCILE_FAILURES,
    "nightly_sync": NIGHTLY_SYNC,
}

if __name__ == "__main__":
    sys.exit(main())
