"""The one loopback harness of the test suite: an emulator served on 127.0.0.1.

    with Emulator(seed=3) as emu, served_emulator(emu) as server:
        Client(server.url, server.token)

Every folder that needs a real HTTP server (cli, client, reliability, emulator) goes through
:func:`served_emulator`; each folder keeps only its own view of the result (``Org``,
``Served``, ...). Importable as ``harness`` because ``tests/`` (no ``__init__.py``) is on
``sys.path`` once pytest loads ``tests/conftest.py``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from sfbulk_frames.emulator import Emulator, EmulatorServer, Request, Response

Handler = Callable[[Request], Response]


@contextmanager
def served_emulator(
    emulator: Emulator, *, handler: Handler | None = None, tls: bool = False
) -> Iterator[EmulatorServer]:
    """Serve ``emulator`` on 127.0.0.1 (a free port) for the ``with`` block, accepting its token.

    ``handler`` answers in place of ``emulator.handle``: a wrapper around it that records
    requests or acts after them (it must call ``emulator.handle``; it never answers by itself).
    ``tls=True`` serves HTTPS with a fresh self-signed CA (``server.cert_path``). The server is
    stopped when the block ends; the emulator stays open (its owner closes it, after the server).
    """
    with EmulatorServer(
        handler or emulator.handle, port=0, tls=tls, token=emulator.token
    ) as server:
        yield server
