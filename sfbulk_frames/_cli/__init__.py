"""Building blocks of the ``sfbulk`` command line (the entry point is :mod:`sfbulk_frames.cli`).

``common`` holds exit codes and printing, ``connect`` the credential options, ``files`` the
input/output file formats, and one module per group of subcommands.
"""
