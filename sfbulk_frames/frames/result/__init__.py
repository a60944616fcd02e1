"""BulkResult and the shape of its parts.

``bulk_result`` holds the class; ``parts`` the columns every part carries; ``retry`` which rows
a retry sends and how their new outcome replaces the old one; ``part_files`` the parts on disk
(``results_dir=``); ``report`` its text and notebook views. Only ``bulk_result`` imports the
others.
"""

from sfbulk_frames.frames.result.bulk_result import BulkResult, FrameT
from sfbulk_frames.frames.result.parts import ROW, SF_COLUMNS, sorted_by_row
from sfbulk_frames.frames.result.retry import Resend, RetryOptions

__all__ = ["ROW", "SF_COLUMNS", "BulkResult", "FrameT", "Resend", "RetryOptions", "sorted_by_row"]
