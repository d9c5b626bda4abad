"""Chapter 2: the SVM trained by stochastic gradient descent, as the tutorial
trains it, on its six points.

    python examples/train_svm_sgd.py [--iterations 400] [--seed 3]

svm_cost.hnn is compiled twice: to plain Python (the python target), which
gives the gradient of one point's cost, and to NumPy (the array target),
which gives the cost of all six at once for the progress report.
Each step picks a random point and moves w0, w1, w2 a little against the
gradient of its cost. The tutorial's pull of the regularization, -w0 and
-w1, is the gradient of alpha*(w0*w0 + w1*w1) with alpha = 0.5.
"""

from __future__ import annotations

import argparse
import random

import numpy as np
from chapter2 import HERE, TUTORIAL_LABELS, TUTORIAL_POINTS, accuracy

import hnncompile

STEP_SIZE = 0.01
ALPHA = 0.5
WEIGHTS = ["w0", "w1", "w2"]


def train(iterations: int = 400, seed: int = 3, report=print) -> list[dict]:
    point_cost = hnncompile.compile_file(HERE / "svm_cost.hnn", wrt=WEIGHTS)
    total_cost = hnncompile.compile_file(HERE / "svm_cost.hnn", target="numpy")
    x0, x1 = (np.array(column) for column in zip(*TUTORIAL_POINTS))
    labels = np.array(TUTORIAL_LABELS, dtype=float)
    w = {"w0": 1.0, "w1": -2.0, "w2": -1.0}  # the tutorial's a, b, c to start
    rng = random.Random(seed)
    history = []
    for iteration in range(iterations + 1):
        if iteration % 25 == 0:
            scores = w["w0"] * x0 + w["w1"] * x1 + w["w2"]
            progress = {
                "iteration": iteration,
                "cost": float(total_cost(y=labels, x0=x0, x1=x1, alpha=ALPHA, **w)),
                "accuracy": accuracy(scores, labels),
            }
            history.append(progress)
            report(
                f"training accuracy at iteration {iteration}: "
                f"{progress['accuracy']:.4f} (cost {progress['cost']:.3f})"
            )
        if iteration == iterations:
            break
        i = rng.randrange(len(TUTORIAL_POINTS))
        (x, y), label = TUTORIAL_POINTS[i], TUTORIAL_LABELS[i]
        grads = point_cost.backward(y=label, x0=x, x1=y, alpha=ALPHA, **w)
        for name, grad in zip(point_cost.wrt, grads):
            w[name] -= STEP_SIZE * grad
    return history


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iterations", type=int, default=400)
    parser.add_argument("--seed", type=int, default=3)
    options = parser.parse_args()
    train(options.iterations, options.seed)


if __name__ == "__main__":
    main()
