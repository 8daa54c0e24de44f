"""Benchmarks: `python -m bench` runs them all; `python -m bench.b1_voter_path` and so on alone."""
