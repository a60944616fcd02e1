"""sfbulk_frames: the Salesforce Bulk API 2.0 as a native part of pandas and polars."""

__version__ = "0.1.0"
