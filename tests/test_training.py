"""The chapter 2 training scripts in examples/, run with small iteration
counts: the cost falls and the accuracy the tutorial reports is reached."""

from __future__ import annotations

import importlib
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).parent.parent / "examples"


@pytest.fixture(scope="module", autouse=True)
def examples_importable():
    sys.path.insert(0, str(EXAMPLES))
    yield
    sys.path.remove(str(EXAMPLES))


def quiet(_line: str) -> None:
    pass


def test_svm_by_stochastic_gradient_descent_reaches_100_percent():
    history = importlib.import_module("train_svm_sgd").train(400, report=quiet)
    assert history[0]["accuracy"] < 1.0
    assert history[-1]["accuracy"] == 1.0  # as the tutorial reports
    assert history[-1]["cost"] < history[0]["cost"] / 3


def test_svm_by_full_batch_gradient_descent_on_arrays():
    history = importlib.import_module("train_svm_batch").train(
        iterations=20, points=2000, report=quiet
    )
    costs = [step["cost"] for step in history]
    assert costs == sorted(costs, reverse=True)  # falls at every report
    assert costs[-1] < costs[0] / 3
    # Two overlapping clouds: about 96% of the points are on their side.
    assert history[-1]["accuracy"] > 0.94


def test_two_layer_network_by_full_batch_gradient_descent_on_arrays():
    history = importlib.import_module("train_two_layer_batch").train(
        iterations=250, points=1500, report=quiet
    )
    assert history[-1]["cost"] < history[0]["cost"] / 10
    assert history[0]["accuracy"] < 0.7
    assert history[-1]["accuracy"] >= 0.99  # no line could do this


def test_a_training_script_runs_as_a_script():
    run = subprocess.run(
        [sys.executable, str(EXAMPLES / "train_svm_batch.py"), "--iterations", "3"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "iteration    3: cost per point" in run.stdout
