"""Benchmarks of sfbulk_frames against simple-salesforce and aiosalesforce (not run by CI).

Run ``python -m bench --rows 20000 --reps 3`` from the repository root; see bench/README.md.
"""
