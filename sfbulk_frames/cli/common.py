"""Exit codes, output helpers and secret redaction shared by every subcommand."""

from __future__ import annotations

import argparse
import os
import sys
import textwrap
from collections.abc import Iterable
from typing import TextIO

__all__ = [
    "EXIT_BAD_INPUT",
    "EXIT_CODES_HELP",
    "EXIT_INTERRUPTED",
    "EXIT_OK",
    "EXIT_ROWS_FAILED",
    "EXIT_SALESFORCE",
    "EXIT_TIMEOUT",
    "Printer",
    "add_subcommand",
    "human_int",
    "plural",
    "silence_stdout",
]

EXIT_OK = 0
EXIT_ROWS_FAILED = 1
EXIT_BAD_INPUT = 2
EXIT_SALESFORCE = 3
EXIT_TIMEOUT = 4
EXIT_INTERRUPTED = 130

EXIT_CODES_HELP = """\
exit codes:
  0    success
  1    rows failed or were not processed (see --fail-on)
  2    usage error or bad input (unreadable file, not UTF-8, missing key column); nothing sent
  3    Salesforce, authentication or network error
  4    timeout: the jobs keep running; the resume command is printed
  130  interrupted (Ctrl-C): open jobs aborted, uploaded jobs keep running; resume is printed
"""


def silence_stdout() -> None:
    """Point stdout at /dev/null after the reader went away (``| head``), so that nothing
    more is written and the interpreter's final flush does not fail (the Python docs' way)."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError, AttributeError):
        pass


class Printer:
    """Writes to stdout/stderr with every known secret replaced by ``***``."""

    def __init__(self, secrets: Iterable[str | None] = (), *, out: TextIO | None = None,
                 err: TextIO | None = None) -> None:
        self._secrets = [s for s in secrets if s]
        self._out = out
        self._err = err
        self.stdout_closed = False
        self.json_written = False  # a --json summary is on stdout already
        self.last_error: str | None = None  # the first error line, for --json

    def add_secret(self, secret: str | None) -> None:
        if secret and secret not in self._secrets:
            self._secrets.append(secret)

    def redact(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, "***")
        return text

    def out(self, text: str = "") -> None:
        """A line on stdout; once the reader has gone (``| head``) the rest is dropped quietly
        so the command still finishes its work (files written, exit status kept)."""
        if self.stdout_closed:
            return
        stream = self._out or sys.stdout
        try:
            stream.write(self.redact(text) + "\n")
            stream.flush()
        except BrokenPipeError:
            self.stdout_closed = True
            if stream is sys.stdout:
                silence_stdout()

    def err(self, text: str = "") -> None:
        stream = self._err or sys.stderr
        if self.last_error is None and text:
            self.last_error = self.redact(text)
        stream.write(self.redact(text) + "\n")
        stream.flush()


def add_subcommand(
    subparsers: argparse._SubParsersAction[argparse.ArgumentParser],
    name: str,
    *,
    help: str,
    description: str,
    examples: str,
    parents: list[argparse.ArgumentParser] | None = None,
) -> argparse.ArgumentParser:
    """A subparser whose --help shows the description, examples and exit codes verbatim."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        name,
        help=help,
        description=textwrap.fill(description, 88),
        epilog=f"examples:\n{examples.rstrip()}\n\n{EXIT_CODES_HELP}",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        parents=parents or [],
    )
    return parser


def plural(count: int, word: str, words: str | None = None) -> str:
    """``1, "row"`` -> ``1 row``; ``2500, "row"`` -> ``2,500 rows``."""
    return f"{count:,} {word if count == 1 else (words or word + 's')}"


def human_int(value: int | None) -> str:
    """``12345`` -> ``12,345`` (``-`` for unknown)."""
    return "-" if value is None else f"{value:,}"
