"""Chapter 3: a softmax classifier and a 2-layer ReLU network on a spiral.

    python examples/chapter3_spiral.py [--steps 10000] [--softmax-steps 200] [--seed 0]

The tutorial's chapter 3 plans "a neural net classifier in Python with
numpy"; this is the one CS231n builds in "Putting it together": 100 points
in each of 3 arms of a spiral (2-D points, so 300 in all), which no line
separates. chapter3_softmax.hnn and chapter3_two_layer.hnn are its losses,
pasted as the course writes them in NumPy (softmax, cross-entropy and L2
regularization); compiled with target="numpy", each gives the loss over all
300 points and its gradient on the weights in one call, and training is
plain full-batch gradient descent. The linear classifier gets about half
of the points right; the network, with 100 hidden units, almost all.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Callable

import numpy as np

import hnncompile

HERE = Path(__file__).parent
POINTS_PER_CLASS = 100  # N
DIMENSIONS = 2  # D
CLASSES = 3  # K
HIDDEN = 100  # the network's hidden units
STEP_SIZE = 1.0
REG = 1e-3  # regularization strength


def spiral(
    points_per_class: int = POINTS_PER_CLASS, classes: int = CLASSES, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """CS231n's spiral: `classes` arms of `points_per_class` 2-D points each,
    a point a row of X, and y the arm (class) each point is on."""
    rng = np.random.default_rng(seed)
    n = points_per_class * classes
    X = np.zeros((n, DIMENSIONS))
    y = np.zeros(n, dtype=np.int64)
    for j in range(classes):
        ix = range(points_per_class * j, points_per_class * (j + 1))
        r = np.linspace(0.0, 1, points_per_class)  # radius
        t = (
            np.linspace(j * 4, (j + 1) * 4, points_per_class)
            + rng.standard_normal(points_per_class) * 0.2
        )  # theta
        X[ix] = np.c_[r * np.sin(t), r * np.cos(t)]
        y[ix] = j
    return X, y


def descend(
    loss: hnncompile.CompiledFunction,
    weights: dict[str, np.ndarray],
    data: dict,
    steps: int,
    report: Callable[[str], None],
) -> list[dict]:
    """Full-batch gradient descent on `weights` (updated in place): `steps`
    steps, the loss reported ten times along the way and after the last."""
    every = max(steps // 10, 1)
    history = []
    for step in range(steps + 1):
        value, grads = loss.grad(**data, **weights)
        if step % every == 0 or step == steps:
            history.append({"step": step, "loss": float(value)})
            report(f"step {step:5d}: loss {float(value):.6f}")
        if step < steps:
            for name in loss.wrt:
                weights[name] -= STEP_SIZE * grads[name]
    return history


def train(
    steps: int = 10000,
    softmax_steps: int = 200,
    seed: int = 0,
    report: Callable[[str], None] = print,
) -> dict[str, dict]:
    """Train both classifiers on the spiral; for each, the loss history and
    the final training accuracy."""
    X, y = spiral(seed=seed)
    n = X.shape[0]
    data = {"X": X, "y": y, "num_examples": n, "reg": REG}
    rng = np.random.default_rng(seed)
    results = {}

    report("softmax classifier (linear)")
    softmax = hnncompile.compile_file(
        HERE / "chapter3_softmax.hnn", target="numpy", wrt=["W", "b"]
    )
    weights = {
        "W": 0.01 * rng.standard_normal((DIMENSIONS, CLASSES)),
        "b": np.zeros((1, CLASSES)),
    }
    history = descend(softmax, weights, data, softmax_steps, report)
    scores = np.dot(X, weights["W"]) + weights["b"]
    results["softmax"] = {"history": history, "accuracy": accuracy(scores, y)}
    report(f"training accuracy: {results['softmax']['accuracy']:.2f}")

    report(f"2-layer network ({HIDDEN} ReLU units)")
    network = hnncompile.compile_file(
        HERE / "chapter3_two_layer.hnn", target="numpy", wrt=["W", "b", "W2", "b2"]
    )
    weights = {
        "W": 0.01 * rng.standard_normal((DIMENSIONS, HIDDEN)),
        "b": np.zeros((1, HIDDEN)),
        "W2": 0.01 * rng.standard_normal((HIDDEN, CLASSES)),
        "b2": np.zeros((1, CLASSES)),
    }
    history = descend(network, weights, data, steps, report)
    hidden_layer = np.maximum(0, np.dot(X, weights["W"]) + weights["b"])
    scores = np.dot(hidden_layer, weights["W2"]) + weights["b2"]
    results["two_layer"] = {"history": history, "accuracy": accuracy(scores, y)}
    report(f"training accuracy: {results['two_layer']['accuracy']:.2f}")
    return results


def accuracy(scores: np.ndarray, y: np.ndarray) -> float:
    """The fraction of rows whose highest score is their class's."""
    return float(np.mean(np.argmax(scores, axis=1) == y))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=10000, help="the network's")
    parser.add_argument("--softmax-steps", type=int, default=200)
    parser.add_argument("--seed", type=int, default=0)
    options = parser.parse_args(argv)
    train(options.steps, options.softmax_steps, options.seed)


if __name__ == "__main__":
    main()
