"""Registry benchmark on PostgreSQL: seed, list pages, "my record", a 100,000-row posts import.

Run with `.venv/bin/python -m bench` (or `make bench`); `--help` lists the options.
"""
