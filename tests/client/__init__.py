"""Tests of the client core (auth, HTTP layer, retries, low-level jobs)."""
