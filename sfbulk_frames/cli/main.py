"""The ``sfbulk`` command: load files into Salesforce, query it, manage jobs, run the emulator.

``main(argv) -> int`` parses the arguments, runs one subcommand and maps errors to the exit
codes documented in ``sfbulk --help``. Tokens never reach the output: every line printed goes
through a redacting printer.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
from collections.abc import Sequence

from sfbulk_frames import __version__
from sfbulk_frames._exceptions import (
    AuthenticationError,
    ConfigurationError,
    FrameError,
    JobInterruptedError,
    JobTimeoutError,
    NotSalesforceError,
    SalesforceError,
    SfBulkError,
    TransportError,
)
from sfbulk_frames.cli.common import (
    EXIT_BAD_INPUT,
    EXIT_CODES_HELP,
    EXIT_INTERRUPTED,
    EXIT_SALESFORCE,
    EXIT_TIMEOUT,
    Printer,
    add_subcommand,
)
from sfbulk_frames.cli.connect import CONNECTION_HELP, connection_parser
from sfbulk_frames.cli.jobs import add_jobs_command
from sfbulk_frames.cli.load import add_load_commands
from sfbulk_frames.cli.output import configure_logging, silence_stdout
from sfbulk_frames.cli.query import add_describe_command, add_query_command
from sfbulk_frames.cli.retry import add_retry_command
from sfbulk_frames.cli.sync import add_sync_command

__all__ = ["build_parser", "main"]

_EXAMPLES = """\
examples:
  sfbulk demo                                         # the whole tour, offline, < 1 minute
  sfbulk upsert Contact contacts.csv --external-id ExternalId__c --target-org my-org
  sfbulk retry .                                      # re-send the rows that failed
  sfbulk query "SELECT Id, Email, Account.Name FROM Contact" -o contacts.parquet
  sfbulk sync Contact nightly.parquet --key ExternalId__c --where "LeadSource = 'Web'" --dry-run
  sfbulk jobs list
  sfbulk emulator --port 8787                         # a local Salesforce for your tests
"""


def _add_emulator_command(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    from sfbulk_frames.emulator import cli as emulator_cli

    parser = add_subcommand(
        subparsers, "emulator", help="serve the local Salesforce emulator",
        description="Serve the Bulk API 2.0 emulator on loopback until Ctrl-C. It prints the "
        "instance URL and an access token to use with the other commands.",
        examples="  sfbulk emulator --port 8787\n"
                 "  sfbulk emulator --schema org-schema.json --db org.sqlite",
    )
    emulator_cli.add_arguments(parser)
    parser.set_defaults(handler=lambda args, printer: emulator_cli.run(args))


def _add_demo_command(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    from sfbulk_frames.cli import demo

    parser = add_subcommand(
        subparsers, "demo", help="the guided tour: load, reconcile failures, query (offline)",
        description=demo.DESCRIPTION, examples=demo.EXAMPLES,
    )
    demo.add_arguments(parser)
    parser.set_defaults(handler=lambda args, printer: demo.run(args))


def build_parser() -> argparse.ArgumentParser:
    """The full ``sfbulk`` argument parser."""
    parser = argparse.ArgumentParser(
        prog="sfbulk",
        description="Salesforce Bulk API 2.0 for CSV, parquet and NDJSON files, with a local "
        "emulator.",
        epilog=f"{_EXAMPLES}\n{CONNECTION_HELP}\n{EXIT_CODES_HELP}",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"sfbulk {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    parents = [connection_parser()]
    add_load_commands(subparsers, parents)
    add_retry_command(subparsers, parents)
    add_sync_command(subparsers, parents)
    add_query_command(subparsers, parents)
    add_jobs_command(subparsers, parents)
    add_describe_command(subparsers, parents)
    _add_emulator_command(subparsers)
    _add_demo_command(subparsers)
    return parser


def _run(args: argparse.Namespace, printer: Printer) -> int:
    code = _handle(args, printer)
    if code not in (0, 1) and getattr(args, "json", False) and not printer.json_written:
        printer.out(json.dumps({"exit_status": code, "error": printer.last_error}))
    return code


# The errors a subcommand may raise, first match first: what the message line starts with, the
# exit code, and a next step printed after it (if any).
_ERRORS: tuple[tuple[type[Exception] | tuple[type[Exception], ...], str, int, str], ...] = (
    (JobInterruptedError, "interrupted", EXIT_INTERRUPTED, ""),
    (JobTimeoutError, "timeout", EXIT_TIMEOUT, ""),
    ((FrameError, ConfigurationError), "error", EXIT_BAD_INPUT, ""),
    (
        AuthenticationError,
        "authentication failed",
        EXIT_SALESFORCE,
        "check the credentials (or the SF_* environment variables) and try again",
    ),
    (NotSalesforceError, "error", EXIT_SALESFORCE, ""),  # not Salesforce: no "Salesforce error"
    (SalesforceError, "Salesforce error", EXIT_SALESFORCE, ""),
    (TransportError, "network error", EXIT_SALESFORCE, ""),
    (SfBulkError, "error", EXIT_SALESFORCE, ""),
    (OSError, "error", EXIT_BAD_INPUT, ""),
)


def _handle(args: argparse.Namespace, printer: Printer) -> int:
    try:
        return int(args.handler(args, printer))
    except BrokenPipeError:  # the reader of stdout went away (| head): the work is done
        silence_stdout()
        return 0
    except KeyboardInterrupt:
        printer.err("interrupted")
        return EXIT_INTERRUPTED
    except Exception as exc:
        for types, prefix, code, next_step in _ERRORS:
            if isinstance(exc, types):
                printer.err(f"{prefix}: {exc}")
                if next_step:
                    printer.err(next_step)
                return code
        raise


def _restore_ctrl_c() -> None:
    """Put Python's own SIGINT handler back at the C level.

    polars installs its own handler when imported; with it, Ctrl-C no longer interrupts a main
    thread blocked on a lock (e.g. waiting for a job's future), so the load would not stop until
    the job finished. Python's handler does interrupt such waits. An inherited "ignore SIGINT"
    (background jobs, nohup) is left alone.
    """
    if threading.current_thread() is not threading.main_thread():
        return
    if signal.getsignal(signal.SIGINT) is signal.default_int_handler:
        signal.signal(signal.SIGINT, signal.default_int_handler)


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``sfbulk`` with ``argv`` (default: ``sys.argv[1:]``) and return the exit code."""
    _restore_ctrl_c()
    printer = Printer()
    try:
        args = build_parser().parse_args(list(argv) if argv is not None else None)
    except SystemExit as exc:  # --help, --version and usage errors
        return exc.code if isinstance(exc.code, int) else EXIT_BAD_INPUT
    printer.add_secret(getattr(args, "access_token", None))
    configure_logging(args)
    code = _run(args, printer)
    try:
        sys.stdout.flush()
    except BrokenPipeError:
        silence_stdout()
    return code


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
