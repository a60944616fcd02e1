"""``sfbulk emulator``: serve the local Salesforce on loopback until Ctrl-C.

    sfbulk emulator --port 8787 [--db org.sqlite] [--schema describe.json ...] [--seed N]
                    [--tls] [--token TOKEN] [--processing instant|background|polls:N]
                    [--delay SECONDS] [--performance fast|busy|off] [--latency S]
                    [--upload-bandwidth B/S] [--download-bandwidth B/S] [--batch-seconds S]
                    [--parallel-batches-per-job N] [--parallel-batches-org N]
                    [--queue-delay S] [--lock-failure-share F] [--time-scale F]

On start it prints the instance URL, a ready access token, the default user's credentials and,
with ``--tls``, the certificate to trust. ``python -m sfbulk_frames.emulator`` runs the same.
"""

from __future__ import annotations

import argparse
import logging
import re
import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType
from typing import TYPE_CHECKING, TextIO

from sfbulk_frames.emulator.models.auth import DEFAULT_PASSWORD, DEFAULT_USERNAME
from sfbulk_frames.emulator.models.performance import PerformanceModel, resolve_performance

if TYPE_CHECKING:
    from sfbulk_frames.emulator.service import Emulator
    from sfbulk_frames.emulator.web.server import EmulatorServer

__all__ = ["add_arguments", "main", "run"]

DEFAULT_PORT = 8787
API_VERSION = "62.0"
_PROCESSING = re.compile(r"^(instant|background|polls:\d+)$")


def _processing_mode(value: str) -> str:
    if not _PROCESSING.match(value):
        raise argparse.ArgumentTypeError(
            f"unknown processing mode {value!r}: use instant, background or polls:N"
        )
    return value


def _non_negative(value: str) -> float:
    try:
        number = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a number of seconds") from None
    if number < 0:
        raise argparse.ArgumentTypeError("--delay must be 0 or more seconds")
    return number


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the ``sfbulk emulator`` options to ``parser``."""
    parser.add_argument("--host", default="127.0.0.1",
                        help="address to listen on (default: 127.0.0.1, loopback only)")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT,
                        help=f"port to listen on; 0 picks a free one (default: {DEFAULT_PORT})")
    parser.add_argument("--db", metavar="FILE", default=None,
                        help="SQLite file for the org (survives restarts; default: in memory)")
    parser.add_argument("--schema", metavar="FILE", action="append", default=[],
                        help="describe JSON adding objects to the built-in org (repeatable)")
    parser.add_argument("--seed", type=int, default=0,
                        help="seed for ids, tokens, result order and faults (default: 0)")
    parser.add_argument("--tls", action="store_true",
                        help="serve https with a generated self-signed certificate")
    parser.add_argument("--token", default=None,
                        help="use this fixed access token instead of a random one")
    parser.add_argument("--processing", type=_processing_mode, default="background",
                        help="job processing: instant, background (default) or polls:N")
    parser.add_argument("--delay", type=_non_negative, default=0.0, metavar="SECONDS",
                        help="seconds before background processing starts (default: 0)")
    model = parser.add_argument_group(
        "performance model (off by default; see docs/performance-model.md)")
    model.add_argument("--performance", choices=("off", "fast", "busy"), default="off",
                       help="preset: fast (an idle org) or busy (a shared org with a queue)")
    for flag, kind, text in _MODEL_FLAGS:
        model.add_argument(flag, type=kind, default=None, help=text + " (overrides the preset)")
    parser.add_argument("--verbose", action="store_true",
                        help="log method, path, status and duration of every request to stderr "
                             "(never tokens, headers or query strings)")


_MODEL_FLAGS: tuple[tuple[str, type, str], ...] = (
    ("--latency", float, "seconds of round trip per request"),
    ("--upload-bandwidth", float, "bytes/s of the shared upload link"),
    ("--download-bandwidth", float, "bytes/s of the shared download link"),
    ("--batch-seconds", float, "seconds to process one internal batch of 10,000 records"),
    ("--parallel-batches-per-job", int, "internal batches of one job processed at once"),
    ("--parallel-batches-org", int, "internal batches processed at once in the org"),
    ("--queue-delay", float, "seconds a closed job waits before its first batch starts"),
    ("--lock-failure-share", float, "share of rows with a parent locked by another job "
                                    "that fail UNABLE_TO_LOCK_ROW"),
    ("--time-scale", float, "multiply every modelled duration"),
)


def performance_from_args(args: argparse.Namespace) -> PerformanceModel | None:
    """The model chosen by ``--performance`` and its overrides (``None``: off). An override
    without a preset starts from an instant org. Raises ``ValueError`` for a bad value."""
    overrides = {flag[2:].replace("-", "_"): getattr(args, flag[2:].replace("-", "_"), None)
                 for flag, _, _ in _MODEL_FLAGS}
    preset = resolve_performance(getattr(args, "performance", "off"))
    if preset is None:
        if all(v is None for v in overrides.values()):
            return None
        preset = PerformanceModel()
    return preset.with_overrides(**{k: v for k, v in overrides.items() if v is not None})


@contextmanager
def _sigterm_as_interrupt() -> Iterator[None]:
    """Treat SIGTERM like Ctrl-C so ``kill`` stops the emulator cleanly (main thread only)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def interrupt(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


@contextmanager
def _request_log(stream: TextIO, enabled: bool) -> Iterator[None]:
    """Show the request log of ``--verbose`` (``METHOD path status duration``) on ``stream``
    while the server runs."""
    if not enabled:
        yield
        return
    log = logging.getLogger("sfbulk_frames.emulator")
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(asctime)s %(message)s"))
    previous = log.level
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    try:
        yield
    finally:
        log.removeHandler(handler)
        log.setLevel(previous)


def _banner(server: EmulatorServer, emulator: Emulator, args: argparse.Namespace,
            out: TextIO) -> None:
    token = server.token
    facts = [
        ("Instance URL", server.url),
        ("Access token", token),
        ("Refresh token", emulator.auth.issue_refresh_token()),
        ("Username", DEFAULT_USERNAME),
        ("Password", DEFAULT_PASSWORD),
        ("Database", args.db or "in memory"),
    ]
    if emulator.performance is not None:
        facts.append(("Performance", _describe(emulator.performance)))
    if server.cert_path:
        facts.append(("Certificate", f"{server.cert_path}  (trust it: verify=<this path>)"))
    lines = ["sfbulk emulator: a local Salesforce (Bulk API 2.0) is running"]
    lines += [f"  {name:<13} : {value}" for name, value in facts]
    lines += [
        "",
        "Use it from Python or the shell:",
        f"  export SF_INSTANCE_URL={server.url}",
        f"  export SF_ACCESS_TOKEN='{token}'",
        (f"  curl {'--cacert ' + server.cert_path + ' ' if server.cert_path else ''}"
         f"-H \"Authorization: Bearer $SF_ACCESS_TOKEN\" "
         f"$SF_INSTANCE_URL/services/data/v{API_VERSION}/limits"),
        "Press Ctrl-C to stop.",
    ]
    print("\n".join(lines), file=out, flush=True)


def _describe(model: PerformanceModel) -> str:
    return (f"{model.name}: {model.request_seconds * 1000:.0f} ms round trip, "
            f"{model.records_per_second:,.0f} records/s with "
            f"{model.parallel_batches_org} batches at once (assumed values)")


def run(args: argparse.Namespace, *, out: TextIO | None = None,
        ready: threading.Event | None = None, stop: threading.Event | None = None) -> int:
    """Build the emulator from ``args`` and serve until Ctrl-C/SIGTERM (or ``stop`` is set).

    Returns 0 after a clean stop, 2 when the org cannot be built or the port cannot be bound.
    """
    from sfbulk_frames.emulator import Emulator

    out = out or sys.stdout
    try:
        emulator = Emulator(schema_files=tuple(args.schema), db=args.db, seed=args.seed,
                            processing=args.processing, processing_delay=args.delay,
                            token=args.token, performance=performance_from_args(args))
    except (OSError, ValueError) as exc:
        print(f"sfbulk emulator: cannot build the org: {exc}. "
              "Check the --db and --schema files.", file=sys.stderr)
        return 2
    try:
        server = emulator.serve(port=args.port, host=args.host, tls=args.tls,
                                verbose=args.verbose)
    except OSError as exc:
        print(f"sfbulk emulator: cannot listen on {args.host}:{args.port}: {exc.strerror or exc}. "
              "Pick another --port (0 picks a free one).", file=sys.stderr)
        _close(emulator)
        return 2
    try:
        with _sigterm_as_interrupt(), _request_log(sys.stderr, args.verbose):
            _banner(server, emulator, args, out)
            if ready is not None:
                ready.set()
            waiter = stop or threading.Event()
            while not waiter.wait(0.5):
                if not server.running:
                    print("sfbulk emulator: the server stopped unexpectedly", file=sys.stderr)
                    return 1
    except KeyboardInterrupt:
        pass
    finally:
        server.close()
        _close(emulator)
    print("sfbulk emulator: stopped", file=out, flush=True)
    return 0


def _close(emulator: Emulator) -> None:
    emulator.close()


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``python -m sfbulk_frames.emulator``."""
    parser = argparse.ArgumentParser(
        prog="sfbulk emulator",
        description="Serve a local Salesforce (Bulk API 2.0, OAuth, SOAP login) on loopback.",
    )
    add_arguments(parser)
    return run(parser.parse_args(argv))
