"""The benchmarks are not timed in CI, but their smallest size runs here, so
they cannot rot: they still import, run, and check their own answers."""

from __future__ import annotations

import importlib.util
from pathlib import Path

BENCHMARKS = Path(__file__).parent.parent / "benchmarks"


def load(name: str):
    spec = importlib.util.spec_from_file_location(name, BENCHMARKS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_array_target_benchmark_runs(capsys):
    rows = load("array_target").main(["--points", "1000", "--rounds", "1"])
    assert [row["program"] for row in rows] == ["neuron", "2-layer network"]
    assert all(row["value_and_grad_ratio"] > 0 for row in rows)
    assert "| neuron |" in capsys.readouterr().out


def test_compile_time_benchmark_runs(capsys):
    load("compile_time").main([100])
    assert "| 10" in capsys.readouterr().out
