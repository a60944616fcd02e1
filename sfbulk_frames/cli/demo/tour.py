"""``sfbulk demo``: the whole tour on an in-process emulator, with no credentials and no network.

It generates Accounts and Contacts (a few percent deliberately bad), upserts them through the
``df.sfbulk`` accessors (pandas for Accounts, polars for Contacts), shows the failures by code
and field (``res.error_counts()``), corrects the failed rows in ``res.failed``, retries them with
``res.retry(fixed)`` (one result over the whole input) and queries the org back into a typed
polars frame. ``--serve`` then keeps the emulator running for other tools.
"""

from __future__ import annotations

import argparse
import sys
import threading
import time
from typing import Any

import polars as pl

from sfbulk_frames._config import PollPolicy
from sfbulk_frames.cli.common import plural
from sfbulk_frames.cli.demo.data import LEGACY_LEVELS, DemoData, generate
from sfbulk_frames.cli.summary import TOP_ERRORS

__all__ = ["DESCRIPTION", "EXAMPLES", "add_arguments", "run"]

DESCRIPTION = (
    "Start the emulator in-process, load a realistic data set (Accounts and Contacts with "
    "relationships, a few percent of deliberately bad rows) through the dataframe accessors, "
    "show the failures, fix and retry them, then query the org back into a typed frame. "
    "No Salesforce org, credentials or network needed."
)
EXAMPLES = """\
  sfbulk demo                                   # 50,000 accounts, 200,000 contacts
  sfbulk demo --rows-scale 0.1                  # a tenth of that
  sfbulk demo --accounts 500 --contacts 2000 --no-progress
  sfbulk demo --serve --port 8787               # keep the emulator running afterwards"""

DEFAULT_ACCOUNTS = 50_000
DEFAULT_CONTACTS = 200_000
CONTACTS_PER_JOB = 10_000
DEMO_POLL = PollPolicy(initial=0.1, factor=1.5, max_interval=1.0)
QUERY_SOQL = (
    "SELECT Id, ExternalId__c, FirstName, LastName, Email, Birthdate, Level__c, "
    "AnnualSpend__c, NumberOfChildren__c, LastContacted__c, HasOptedOutOfEmail, "
    "Account.Name, Account.Industry FROM Contact"
)
_TOTAL_STEPS = 6


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--accounts", type=int, metavar="N",
                        help=f"number of Accounts (default {DEFAULT_ACCOUNTS:,} x --rows-scale)")
    parser.add_argument("--contacts", type=int, metavar="N",
                        help=f"number of Contacts (default {DEFAULT_CONTACTS:,} x --rows-scale)")
    parser.add_argument("--rows-scale", type=float, default=1.0, metavar="F",
                        help="multiply the default sizes (e.g. 0.1 for a quick run)")
    parser.add_argument("--bad-share", type=float, default=0.04, metavar="F",
                        help="share of deliberately bad contact rows (default 0.04)")
    parser.add_argument("--seed", type=int, default=7, help="seed of the data and the emulator")
    parser.add_argument("--delay", type=float, default=0.05, metavar="SECONDS",
                        help="emulator processing delay per job (default 0.05)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bars")
    parser.add_argument("--serve", action="store_true",
                        help="keep the emulator running afterwards and print how to connect")
    parser.add_argument("--port", type=int, default=8787,
                        help="port for --serve (default 8787; 0 picks a free one)")


class _Tour:
    """Prints numbered steps with timings; every line goes to stdout and is flushed."""

    def __init__(self) -> None:
        self.started = time.monotonic()
        self.step_number = 0

    def step(self, title: str) -> None:
        self.step_number += 1
        print(f"\n[{self.step_number}/{_TOTAL_STEPS}] {title}", flush=True)

    def say(self, text: str = "") -> None:
        print(f"    {text}" if text else "", flush=True)

    @property
    def elapsed(self) -> float:
        return time.monotonic() - self.started


def _describe_result(tour: _Tour, result: Any, seconds: float) -> None:
    counts = result.counts()
    tour.say(f"{counts['successful']:,} successful, {counts['failed']:,} failed, "
             f"{counts['unprocessed']:,} unprocessed in {plural(len(result.jobs), 'job')}, "
             f"{seconds:.1f} s")


def _show_top_errors(tour: _Tour, result: Any, call: str = "res.error_counts()") -> None:
    """The most frequent errors of ``result`` by code and field, from ``res.error_counts()``."""
    counts = result.error_counts()
    if not isinstance(counts, pl.DataFrame):  # a pandas load answers with a pandas frame
        counts = pl.from_pandas(counts)
    if counts.height == 0:
        return
    tour.say(f"{call}  # rows per error code and field, most first:")
    tour.say(f"  {'count':>7}  {'code':<42} field")
    for code, field, count in counts.head(TOP_ERRORS).iter_rows():
        tour.say(f"  {count:>7,}  {code or '(other)':<42} {field or '-'}")
    if counts.height > TOP_ERRORS:
        tour.say(f"  ... and {plural(counts.height - TOP_ERRORS, 'more code/field pair')}")


def _retry(tour: _Tour, res: Any, fixed: Any) -> Any:
    """``res.retry(fixed)``: print the attempt and the combined result over the whole input."""
    tour.say("res = res.retry(to_fix)   # sends only these rows; one result over every input row")
    started = time.monotonic()
    final = res.retry(fixed)
    tour.say("retry: " + _counts_line(final.attempts[-1], time.monotonic() - started))
    counts = final.counts()
    rows = counts["successful"] + counts["failed"] + counts["unprocessed"]
    tour.say(f"final: {rows:,} rows = {counts['successful']:,} successful + "
             f"{counts['failed']:,} failed + {counts['unprocessed']:,} unprocessed "
             f"({plural(len(final.attempts), 'attempt')}, {plural(len(final.jobs), 'job')}, "
             f"ok={final.ok})")
    return final


def _load_accounts(tour: _Tour, data: DemoData, progress: Any) -> None:
    accounts = data.accounts.to_pandas()
    tour.step(f"Upserting {len(accounts):,} Accounts from a pandas DataFrame")
    tour.say('res = accounts.sfbulk.upsert("Account", "ExternalId__c")')
    started = time.monotonic()
    res = accounts.sfbulk.upsert("Account", "ExternalId__c", progress=progress, poll=DEMO_POLL)
    _describe_result(tour, res, time.monotonic() - started)
    _show_top_errors(tour, res)
    if len(res.failed) == 0:
        return
    tour.say("fix: to_fix = res.failed.copy() holds the failed input rows (same index, plus")
    tour.say("     sf__Row); name each Account after its website, then retry only those rows")
    to_fix = res.failed.copy()
    to_fix["Name"] = to_fix["Name"].fillna(
        to_fix["Website"].str.removeprefix("https://www.").str.split(".").str[0]
        .str.replace("-", " ").str.title()
    )
    final = _retry(tour, res, to_fix)
    _show_top_errors(tour, final, "final.error_counts()")


def _counts_line(result: Any, seconds: float) -> str:
    counts = result.counts()
    return (f"{counts['successful']:,} successful, {counts['failed']:,} failed, "
            f"{counts['unprocessed']:,} unprocessed ({seconds:.1f} s)")


def fix_contacts(failed: pl.DataFrame) -> pl.DataFrame:
    """Correct the failed Contacts (vectorised); ``sf__Row`` keeps naming each one's input row,
    so ``res.retry(fix_contacts(res.failed))`` matches them back."""
    return failed.with_columns(
        pl.col("LastName").fill_null(pl.col("Email").str.extract(r"^[^.]+\.([a-z]+)", 1)
                                     .str.to_titlecase()).fill_null("Unknown"),
        pl.col("Title").str.slice(0, 128),
        pl.col("Level__c").replace(LEGACY_LEVELS),
        pl.col("Account.ExternalId__c").str.replace(" ", "-", literal=True),
    )


def _load_contacts(tour: _Tour, data: DemoData, progress: Any) -> None:
    contacts: Any = data.contacts  # Any: the .sfbulk namespace is registered at runtime
    tour.step(f"Upserting {contacts.height:,} Contacts from a polars DataFrame "
              "(parents by Account.ExternalId__c)")
    tour.say(f'res = contacts.sfbulk.upsert("Contact", "ExternalId__c", '
             f"max_records={CONTACTS_PER_JOB:_})")
    started = time.monotonic()
    res = contacts.sfbulk.upsert("Contact", "ExternalId__c", max_records=CONTACTS_PER_JOB,
                                 progress=progress, poll=DEMO_POLL)
    _describe_result(tour, res, time.monotonic() - started)
    _show_top_errors(tour, res)
    tour.say(f"(the generator made {plural(data.bad.contacts, 'row')} bad on purpose)")

    tour.step("Fixing the failed Contacts: correct res.failed, retry with res.retry(to_fix)")
    if res.failed.height == 0:
        tour.say("nothing to fix")
        return
    for line in (
        "to_fix = res.failed.with_columns(   # the failed input rows, each with its sf__Row",
        '    pl.col("LastName").fill_null(<surname from the email>),   # REQUIRED_FIELD_MISSING',
        '    pl.col("Title").str.slice(0, 128),                        # STRING_TOO_LONG',
        '    pl.col("Level__c").replace({"Tier 1": "Primary", ...}),   # restricted picklist',
        '    pl.col("Account.ExternalId__c").str.replace(" ", "-"),    # mistyped parent id',
        ")",
    ):
        tour.say(line)
    final = _retry(tour, res, fix_contacts(res.failed))
    _show_top_errors(tour, final, "final.error_counts()")


def _query_back(tour: _Tour, data: DemoData, progress: Any) -> None:
    from sfbulk_frames.pipeline.query import query

    tour.step("Querying the org back into a typed polars frame")
    tour.say(f'df = sfbulk_frames.query("{QUERY_SOQL[:60]}…")')
    started = time.monotonic()
    frame = query(QUERY_SOQL, progress=progress, poll=DEMO_POLL)
    tour.say(f"{plural(frame.height, 'row')} x {plural(frame.width, 'column')} in "
             f"{time.monotonic() - started:.1f} s; types come from describe, not guessing:")
    for name, dtype in frame.schema.items():
        tour.say(f"  {name:<22} {dtype}")
    with pl.Config(tbl_rows=5, tbl_cols=7, tbl_width_chars=120, fmt_str_lengths=24,
                   tbl_hide_dataframe_shape=True):
        head = frame.select("ExternalId__c", "LastName", "Birthdate", "Level__c",
                            "AnnualSpend__c", "NumberOfChildren__c", "Account.Name").head(5)
        print("\n".join("    " + line for line in str(head).splitlines()), flush=True)
    missing = data.contacts.height - frame.height
    if missing == 0:
        tour.say(f"all {data.contacts.height:,} generated contacts are in the org")
    else:
        tour.say(f"{missing:,} of the generated contacts are not in the org")
    by_industry = (frame.group_by("Account.Industry").agg(pl.len().alias("contacts"),
                                                          pl.col("AnnualSpend__c").mean()
                                                          .round(2).alias("avg spend"))
                   .sort("contacts", descending=True).head(3))
    tour.say("top industries by contacts: " + ", ".join(
        f"{industry} {n:,} (avg spend {spend:,.2f})"
        for industry, n, spend in by_industry.iter_rows()
    ))


def _sizes(args: argparse.Namespace) -> tuple[int, int]:
    scale = args.rows_scale
    accounts = args.accounts if args.accounts is not None else int(DEFAULT_ACCOUNTS * scale)
    contacts = args.contacts if args.contacts is not None else int(DEFAULT_CONTACTS * scale)
    return max(accounts, 1), max(contacts, 0)


def _serve_forever(emulator: Any, port: int) -> int:
    server = emulator.serve(port=port)
    print(f"""
The emulator keeps running with the demo's data (Ctrl-C to stop).
  Instance URL : {server.url}
  Access token : {server.token}
From the shell:
  sfbulk query "SELECT Id, Name FROM Account LIMIT 5" --instance-url {server.url} \\
      --access-token '{server.token}'
  sfbulk jobs list --instance-url {server.url} --access-token '{server.token}'
From Python:
  import sfbulk_frames
  client = sfbulk_frames.Client("{server.url}", "{server.token}")
  sfbulk_frames.query("SELECT Id, Email, Account.Name FROM Contact", client=client)""",
          flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        server.close()
    print("emulator stopped", flush=True)
    return 0


def run(args: argparse.Namespace) -> int:
    """Run the tour and return 0. Raises what the library raises if a step breaks."""
    from sfbulk_frames._accessors import register_accessors
    from sfbulk_frames._context import use_client
    from sfbulk_frames.client.clients import Client
    from sfbulk_frames.emulator import Emulator

    register_accessors()
    tour = _Tour()
    n_accounts, n_contacts = _sizes(args)
    progress: Any = False if args.no_progress else "auto"
    print("sfbulk demo: the Salesforce Bulk API 2.0 from pandas and polars, on a local emulator",
          flush=True)
    tour.step("Starting the emulator in-process (no credentials, no network)")
    emulator = Emulator(seed=args.seed, processing="background", processing_delay=args.delay)
    tour.say(f"{emulator.instance_url} (served through an in-process httpx transport)")
    tour.step(f"Generating {n_accounts:,} Accounts and {n_contacts:,} Contacts")
    started = time.monotonic()
    data = generate(n_accounts, n_contacts, seed=args.seed, bad_share=args.bad_share)
    tour.say(f"done in {time.monotonic() - started:.1f} s; deliberately bad: "
             f"{data.bad.accounts_missing_name:,} Accounts without a Name, "
             f"{data.bad.contacts:,} Contacts")
    tour.say(f"(missing LastName {data.bad.contacts_missing_last_name:,}, Title too long "
             f"{data.bad.contacts_long_title:,}, legacy Level__c "
             f"{data.bad.contacts_legacy_level:,}, mistyped parent id "
             f"{data.bad.contacts_mistyped_account:,})")
    try:
        client = Client(emulator.instance_url, emulator.token, transport=emulator.transport())
        with use_client(client):
            _load_accounts(tour, data, progress)
            _load_contacts(tour, data, progress)
            _query_back(tour, data, progress)
        print(f"\nDone in {tour.elapsed:.1f} s.", flush=True)
        if args.serve:
            return _serve_forever(emulator, args.port)
    finally:
        close = getattr(emulator, "close", None)
        if callable(close):
            close()
    return 0


if __name__ == "__main__":  # pragma: no cover
    parser = argparse.ArgumentParser(prog="sfbulk demo", description=DESCRIPTION)
    add_arguments(parser)
    sys.exit(run(parser.parse_args()))
