"""Benchmarks: `python -m benchmarks <suite> [--size N]` prints a table and writes JSON to benchmarks/results/."""
