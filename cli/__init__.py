"""`ortak`: the district offices' command line over the public HTTP API (see cli/main.py)."""
