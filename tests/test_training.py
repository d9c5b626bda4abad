"""The chapter 2 training scripts in examples/, run with small iteration
counts: the cost falls and the accuracy the tutorial reports is reached."""

from __future__ import annotations

import importlib
import subprocess
import sys
from pathlib import Path

import numpy as np
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


def test_logistic_regression_on_unscaled_features_needs_the_stable_loss():
    train = importlib.import_module("train_logistic_regression").train
    naive = train(stable=False, steps=4000, report=quiet)
    stable = train(stable=True, steps=4000, report=quiet)
    # The naive loss fails on a point whose margin is below -745, where
    # sigmoid rounds to 0, and the NaN detective names the log that did.
    assert naive["step"] == 1491  # as both READMEs say
    problem = str(naive["problem"])
    assert problem == (  # as both READMEs say
        "sigmoid(margin) underflowed to 0.0: margin = -1077.2099771800508 at "
        "line 6, and log(sigmoid(margin)) is -inf"
    )
    # Until then the two took the same steps (the rewrite is the same
    # number at ordinary margins, to rounding), though the naive loss over
    # the whole data set was already inf wherever one point was that far
    # out; the stable one trains on past it.
    before = stable["history"][: len(naive["history"])]
    assert [a for *_, a in naive["history"]] == [a for *_, a in before]
    assert any(loss == np.inf for _, loss, _ in naive["history"])
    for (_, naive_loss, _), (_, stable_loss, _) in zip(naive["history"], before):
        assert np.isfinite(stable_loss)
        assert naive_loss == np.inf or naive_loss == pytest.approx(stable_loss)
    assert stable["step"] == 4000
    step, loss, accuracy = stable["history"][-1]
    assert np.isfinite(loss) and accuracy == 0.9575  # as both READMEs say


def test_the_logistic_losss_module_says_what_it_rewrote():
    module = (EXAMPLES / "logistic_loss.py").read_text()
    assert "# you wrote log(sigmoid(margin)):" in module
    assert "t5 = min(margin, 0.0) - math.log1p(math.exp(-abs(margin)))" in module
