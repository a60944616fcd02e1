"""``python -m sfbulk_frames`` runs the ``sfbulk`` command."""

import sys

from sfbulk_frames.cli import main

sys.exit(main())
