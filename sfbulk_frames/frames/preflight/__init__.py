"""Preflight: what the object's describe proves about a frame before anything is sent (pure,
no HTTP). ``plan`` checks the columns and plans conversions, ``names`` resolves field and
relationship names, ``rows`` finds the rows Salesforce would reject."""

from sfbulk_frames.frames.preflight.plan import (
    NUMBER_TYPES,
    TEXT_TYPES,
    Finding,
    PreflightPlan,
    check_date_columns,
    plan_columns,
)

__all__ = [
    "NUMBER_TYPES",
    "TEXT_TYPES",
    "Finding",
    "PreflightPlan",
    "check_date_columns",
    "plan_columns",
]
