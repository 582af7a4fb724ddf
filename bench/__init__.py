"""Benchmarks: small by default, --scale for the full size. Run them from the repository root as modules,
`python -m bench.bench_score [--scale]`; each builds its data with bench/data.py and prints its figures."""

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
