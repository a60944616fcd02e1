"""A local Salesforce Bulk API 2.0 emulator (in-process httpx transport or a real HTTP server)."""
