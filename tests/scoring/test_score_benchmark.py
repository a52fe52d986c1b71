"""The scoring benchmark still runs (a --quick run; the real one is `python benchmarks/bench_scoring.py`)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "benchmarks" / "bench_scoring.py"


@pytest.mark.parametrize("mode", ["half_life", "step"])
def test_quick_benchmark_runs_and_matches_the_reference(mode, capsys) -> None:
    spec = importlib.util.spec_from_file_location("bench_scoring", BENCH)
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    assert bench.main(["--quick", "--repeats", "1", "--mode", mode]) == 0
    out = capsys.readouterr().out
    assert "activities/s" in out and "speed-up" in out and "matches the reference within 1e-9: ok" in out
