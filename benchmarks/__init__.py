"""Benchmarks: run with `python -m benchmarks.<name>`; they print measurements, never fail CI."""
