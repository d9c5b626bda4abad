"""Chapter 2: the SVM trained by full-batch gradient descent on a few thousand
points, with the array target.

    python examples/train_svm_batch.py [--iterations 100] [--points 4000] [--seed 0]

svm_cost.hnn compiled with target="numpy" takes the whole data set as
arrays, x0, x1 and y, and gives the cost over all of it and the gradient on
w0, w1, w2 in one call: no Python loop over the points. The cost sums over
the points, so its gradient grows with their number: the step size is
divided by it.
"""

from __future__ import annotations

import argparse

from chapter2 import HERE, accuracy, two_clouds

import hnncompile

STEP_SIZE = 0.1
ALPHA = 0.1


def train(
    iterations: int = 100, points: int = 4000, seed: int = 0, report=print
) -> list[dict]:
    cost = hnncompile.compile_file(
        HERE / "svm_cost.hnn", target="numpy", wrt=["w0", "w1", "w2"]
    )
    x0, x1, labels = two_clouds(points, seed)
    w = {"w0": 0.1, "w1": 0.2, "w2": 0.3}  # the tutorial's example weights
    history = []
    for iteration in range(iterations + 1):
        value, grads = cost.value_and_grad(y=labels, x0=x0, x1=x1, alpha=ALPHA, **w)
        if iteration % 10 == 0 or iteration == iterations:
            scores = w["w0"] * x0 + w["w1"] * x1 + w["w2"]
            progress = {
                "iteration": iteration,
                "cost": float(value) / points,
                "accuracy": accuracy(scores, labels),
            }
            history.append(progress)
            report(
                f"iteration {iteration:4d}: cost per point {progress['cost']:.4f}, "
                f"training accuracy {progress['accuracy']:.4f}"
            )
        for name, grad in zip(cost.wrt, grads):
            w[name] -= STEP_SIZE * grad / points
    report("w0 = {w0:.3f}, w1 = {w1:.3f}, w2 = {w2:.3f}".format(**w))
    return history


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iterations", type=int, default=100)
    parser.add_argument("--points", type=int, default=4000)
    parser.add_argument("--seed", type=int, default=0)
    options = parser.parse_args()
    train(options.iterations, options.points, options.seed)


if __name__ == "__main__":
    main()
