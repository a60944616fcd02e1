"""One module per client; each runs as its own process: ``python -m bench.scenarios.X --op ...``."""
