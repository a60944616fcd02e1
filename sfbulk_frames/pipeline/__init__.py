"""The pipelines that join frames and client: ingest (live loads and resume), query, progress."""
