"""``python -m sfbulk_frames.emulator``: same as ``sfbulk emulator``."""

from sfbulk_frames.emulator.cli import main

raise SystemExit(main())
