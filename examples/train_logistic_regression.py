"""Logistic regression on unscaled features: the naive loss fails, the
stable one trains.

    python examples/train_logistic_regression.py [--steps 4000] [--scale 150] [--seed 0]

logistic_loss.hnn writes the loss as a learner first does,
-log(sigmoid(margin)). The data are chapter 2's two clouds, measured in
units `scale` times smaller (features in the hundreds, as raw measurements
often are), and training is the tutorial's stochastic gradient descent,
one point at a time with step size 0.01. After a few updates the weights
are large enough that a point on the wrong side has a margin below -745,
where sigmoid(margin) rounds to 0 and log(0) has no value: compiled with
`stable=False` the loss fails there ("math domain error"; on arrays it is
inf, and its gradient NaN). Compiled as it is by default, hnncompile has
rewritten log(sigmoid(margin)) into log_sigmoid(margin), the same number
written so that it never takes the log of 0, and training goes on.
"""

from __future__ import annotations

import argparse
import random

import numpy as np
from chapter2 import HERE, accuracy, two_clouds

import hnncompile

STEP_SIZE = 0.01  # the tutorial's
WEIGHTS = ("w0", "w1", "w2")


def train(
    stable: bool = True,
    steps: int = 4000,
    scale: float = 150.0,
    seed: int = 0,
    points: int = 400,
    report=print,
) -> dict:
    """SGD on the loss; returns the weights, the step reached, the loss and
    accuracy at each report and, where a step failed, the NaN detective's
    sentence for it."""
    point_loss = hnncompile.compile_file(
        HERE / "logistic_loss.hnn", wrt=WEIGHTS, stable=stable
    )
    data_loss = hnncompile.compile_file(
        HERE / "logistic_loss.hnn", wrt=WEIGHTS, stable=stable, target="numpy"
    )
    x, y, labels = two_clouds(points, seed)
    x, y = x * scale, y * scale
    w = {"w0": 0.0, "w1": 0.0, "w2": 0.0}
    pick = random.Random(seed)
    history = []
    for step in range(steps + 1):
        if step % 500 == 0 or step == steps:
            with np.errstate(all="ignore"):  # the naive loss may be inf
                loss = data_loss(x=x, y=y, label=labels, **w)
            scores = w["w0"] * x + w["w1"] * y + w["w2"]
            history.append((step, float(loss), accuracy(scores, labels)))
            report(
                f"step {step:5d}: loss {float(loss):10.4f}, "
                f"training accuracy {accuracy(scores, labels):.4f}"
            )
        i = pick.randrange(points)
        point = {"x": x[i], "y": y[i], "label": labels[i], **w}
        try:
            _, grads = point_loss.grad(**point)
        except (ValueError, OverflowError) as error:
            problem = point_loss.trace(**point).problem
            report(f"step {step:5d}: the loss fails: {error}")
            report(f"            {problem}")
            return {"weights": w, "step": step, "history": history, "problem": problem}
        for name in WEIGHTS:
            w[name] -= STEP_SIZE * grads[name]
    return {"weights": w, "step": steps, "history": history, "problem": None}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=4000)
    parser.add_argument("--scale", type=float, default=150.0)
    parser.add_argument("--seed", type=int, default=0)
    options = parser.parse_args()
    for stable in (False, True):
        print(f"compiled with stable={stable}:")
        train(stable, options.steps, options.scale, options.seed)
    rewritten = hnncompile.compile_file(HERE / "logistic_loss.hnn").source
    print("\nthe stable module's forward, where it differs from the source:")
    lines = rewritten.splitlines()
    start = next(k for k, line in enumerate(lines) if "# you wrote" in line)
    end = next(k for k in range(start, len(lines)) if "#" not in lines[k])
    print("\n".join(lines[start : end + 1]))


if __name__ == "__main__":
    main()
