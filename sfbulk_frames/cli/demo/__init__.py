"""``sfbulk demo``: the guided tour (``tour``) over a seeded, realistic data set (``data``)."""

from sfbulk_frames.cli.demo.tour import DESCRIPTION, EXAMPLES, add_arguments, run

__all__ = ["DESCRIPTION", "EXAMPLES", "add_arguments", "run"]
