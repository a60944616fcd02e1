"""The ``sfbulk`` command line: load files, query, manage jobs, run the emulator and the demo.

``main`` parses the arguments and runs one subcommand. ``common`` holds exit codes and printing,
``connect`` the credential options, ``files`` the input/output file formats, ``demo`` the tour,
and one module per group of subcommands.
"""

from sfbulk_frames.cli.main import main

__all__ = ["main"]
