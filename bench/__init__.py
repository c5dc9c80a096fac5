"""Benchmarks: figures reported in issue notes, not pass/fail tests. Run with `make bench`."""
