"""Credential options shared by every subcommand that talks to Salesforce.

Resolution order: ``--emulator`` (an in-process emulator), ``--instance-url`` +
``--access-token``, ``--target-org`` (the Salesforce CLI's stored org), then the environment
(``Client.from_env()``: ``SF_INSTANCE_URL`` + ``SF_ACCESS_TOKEN`` or the login variables).
"""

from __future__ import annotations

import argparse
import os
from typing import TYPE_CHECKING, Any

from sfbulk_frames._exceptions import ConfigurationError
from sfbulk_frames.cli.common import Printer

if TYPE_CHECKING:
    from sfbulk_frames.client.clients import Client

__all__ = ["CONNECTION_HELP", "connection_parser", "make_client", "reconnect_hint"]

_SECRET_VARIABLES = ("SF_ACCESS_TOKEN", "SF_PASSWORD", "SF_SECURITY_TOKEN", "SF_CLIENT_SECRET",
                     "SF_REFRESH_TOKEN")

CONNECTION_HELP = """\
credentials (first match wins):
  --emulator                       a throw-away in-process emulator (try commands offline)
  --instance-url URL --access-token TOKEN (or SF_ACCESS_TOKEN in the environment)
  --target-org ALIAS               an org authorized with the Salesforce CLI (sf org login)
  environment                      SF_INSTANCE_URL + SF_ACCESS_TOKEN, or SF_USERNAME/SF_PASSWORD/
                                   SF_CLIENT_ID/... (see the README)
"""


def connection_parser() -> argparse.ArgumentParser:
    """A parent parser with the credential options (added to each subcommand)."""
    parser = argparse.ArgumentParser(add_help=False)
    group = parser.add_argument_group("connection")
    group.add_argument("--instance-url", metavar="URL",
                       help="the org's instance URL, e.g. https://acme.my.salesforce.com")
    group.add_argument("--access-token", metavar="TOKEN",
                       help="an OAuth access token / session id (or set SF_ACCESS_TOKEN)")
    group.add_argument("--target-org", metavar="ALIAS",
                       help="use an org stored by the Salesforce CLI (`sf org display`)")
    group.add_argument("--emulator", action="store_true",
                       help="talk to a fresh in-process emulator (no credentials, no network)")
    group.add_argument("--api-version", default=None, metavar="N.N",
                       help="REST API version (default: the library's, 62.0)")
    group.add_argument("--ca-file", metavar="PEM",
                       help="CA certificate to trust (e.g. the emulator's --tls certificate)")
    return parser


def _client_options(args: argparse.Namespace) -> dict[str, Any]:
    options: dict[str, Any] = {}
    if args.api_version:
        options["api_version"] = args.api_version
    if args.ca_file:
        options["verify"] = args.ca_file
    return options


def make_client(args: argparse.Namespace, printer: Printer) -> Client:
    """The client the options describe; registers its token with ``printer`` for redaction.

    Raises ConfigurationError when the options are inconsistent or nothing is configured,
    AuthenticationError when a login flow is refused.
    """
    client = _build_client(args, printer)
    token = getattr(client, "access_token", None)
    if isinstance(token, str):
        printer.add_secret(token)
    return client


def _build_client(args: argparse.Namespace, printer: Printer) -> Client:
    from sfbulk_frames.client.clients import Client

    options = _client_options(args)
    if args.emulator:
        from sfbulk_frames.emulator import Emulator

        emulator = Emulator()
        printer.add_secret(emulator.token)
        return Client(emulator.instance_url, emulator.token, transport=emulator.transport(),
                      **options)
    token = args.access_token or (os.environ.get("SF_ACCESS_TOKEN") if args.instance_url else None)
    printer.add_secret(token)
    for variable in _SECRET_VARIABLES:
        printer.add_secret(os.environ.get(variable))
    if args.instance_url:
        if not token:
            raise ConfigurationError(
                "--instance-url needs an access token: pass --access-token or set SF_ACCESS_TOKEN"
            )
        return Client(args.instance_url, token, **options)
    if args.access_token:
        raise ConfigurationError("--access-token needs --instance-url (the org's URL)")
    if args.target_org:
        return Client.from_sf_cli(args.target_org)
    return Client.from_env()


def reconnect_hint(args: argparse.Namespace) -> str:
    """The connection options to repeat in a follow-up command, with the token left out."""
    if args.instance_url:
        return f"--instance-url {args.instance_url} --access-token <token>"
    if args.target_org:
        return f"--target-org {args.target_org}"
    return ""
