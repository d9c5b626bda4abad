"""Chapter 2: the 2-layer neural network (three hidden ReLU neurons) trained
by full-batch gradient descent on a few thousand points, with the array target.

    python examples/train_two_layer_batch.py [--iterations 300] [--points 3000] [--seed 1]

The points are a disk of positives inside a ring of negatives, which no line
separates (a linear SVM would fail). two_layer_cost.hnn,
compiled with target="numpy", gives the SVM cost of the network's scores
over all points and its gradient on the 13 parameters in one call.
Some seeds start a neuron where it never fires for any point, and it never
learns (a "dead ReLU", as chapter 3 of the tutorial warns): accuracy then
stops near 90%.
"""

from __future__ import annotations

import argparse

import numpy as np
from chapter2 import HERE, accuracy, disk_in_ring

import hnncompile

STEP_SIZE = 0.1
ALPHA = 0.001
PARAMETERS = "a1 b1 c1 a2 b2 c2 a3 b3 c3 a4 b4 c4 d4".split()


def train(
    iterations: int = 300, points: int = 3000, seed: int = 1, report=print
) -> list[dict]:
    cost = hnncompile.compile_file(
        HERE / "two_layer_cost.hnn", target="numpy", wrt=PARAMETERS
    )
    # The network's score alone, to measure the accuracy.
    network = hnncompile.compile_file(HERE / "two_layer_net.hnn", target="numpy")
    x, y, labels = disk_in_ring(points, seed)
    rng = np.random.default_rng(seed)
    # Random numbers between -0.5 and 0.5, as the tutorial starts.
    p = dict(zip(PARAMETERS, rng.uniform(-0.5, 0.5, size=len(PARAMETERS)).tolist()))
    history = []
    for iteration in range(iterations + 1):
        value, grads = cost.value_and_grad(x=x, y=y, label=labels, alpha=ALPHA, **p)
        if iteration % 25 == 0 or iteration == iterations:
            progress = {
                "iteration": iteration,
                "cost": float(value) / points,
                "accuracy": accuracy(network(x=x, y=y, **p), labels),
            }
            history.append(progress)
            report(
                f"iteration {iteration:5d}: cost per point {progress['cost']:.4f}, "
                f"training accuracy {progress['accuracy']:.4f}"
            )
        for name, grad in zip(cost.wrt, grads):
            p[name] -= STEP_SIZE * grad / points
    return history


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iterations", type=int, default=300)
    parser.add_argument("--points", type=int, default=3000)
    parser.add_argument("--seed", type=int, default=1)
    options = parser.parse_args()
    train(options.iterations, options.points, options.seed)


if __name__ == "__main__":
    main()
