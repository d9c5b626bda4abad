"""Newton's method against gradient descent, on chapter 2's logistic loss.

    python examples/newton.py [--tolerance 1e-10] [--step-size 1.0] [--seed 0]

The loss of logistic regression with two weights over chapter 2's two
clouds of points is convex, and smooth: near its minimum it is almost a
bowl, a quadratic. Gradient descent walks down the bowl by a fixed step
size times the gradient and slows as the slope flattens: each step cuts
the distance to the bottom by about the same fraction (linear
convergence). Newton's method measures the bowl's curvature too, the
Hessian, which hnncompile writes as readable code (`f.hessian`: one
Hessian-vector product per weight, `f.hvp_source`), and jumps to the
bottom of the quadratic that fits the loss there: near the minimum each
step about squares the error (quadratic convergence), so the gradient's
norm goes 1e-2, 1e-4, 1e-8, 1e-16.
"""

from __future__ import annotations

import argparse

import numpy as np
from chapter2 import two_clouds

import hnncompile

# The logistic loss, -log(sigmoid(margin)) averaged over the points, with
# the two weights of a line through the origin.
LOSS = """
margin = label * (w0*x + w1*y)
loss = -mean(log(sigmoid(margin)))
"""
WEIGHTS = ("w0", "w1")


def newton(f, data: dict, tolerance: float, max_steps: int) -> list[tuple]:
    """Newton's method from w = 0: w -= H^-1 g; each step's (step, loss,
    gradient norm, weights), until the norm is below `tolerance`."""
    w = np.zeros(2)
    history = []
    for step in range(max_steps + 1):
        loss, gradient = f.value_and_grad(**dict(zip(WEIGHTS, w)), **data)
        norm = float(np.linalg.norm(gradient))
        history.append((step, float(loss), norm, tuple(w)))
        if norm < tolerance:
            break
        hessian = np.array(f.hessian(**dict(zip(WEIGHTS, w)), **data))
        w = w - np.linalg.solve(hessian, np.array(gradient))
    return history


def gradient_descent(
    f, data: dict, tolerance: float, max_steps: int, step_size: float
) -> list[tuple]:
    """Gradient descent from w = 0: w -= step_size * g, as newton()."""
    w = np.zeros(2)
    history = []
    for step in range(max_steps + 1):
        loss, gradient = f.value_and_grad(**dict(zip(WEIGHTS, w)), **data)
        norm = float(np.linalg.norm(gradient))
        history.append((step, float(loss), norm, tuple(w)))
        if norm < tolerance:
            break
        w = w - step_size * np.array(gradient)
    return history


def show(title: str, history: list[tuple], every: int = 1) -> None:
    print(title)
    print(f"  step  {'loss':<18}  |gradient|  {'w0':<10} w1")
    for step, loss, norm, (w0, w1) in history:
        if step % every == 0 or step < 5 or step == history[-1][0]:
            print(f"  {step:4d}  {loss:.16f}  {norm:9.2e}  {w0:+.7f} {w1:+.7f}")


def run(
    tolerance: float = 1e-10,
    step_size: float = 1.0,
    seed: int = 0,
    points: int = 200,
    max_steps: int = 5000,
    report: bool = True,
) -> tuple[list[tuple], list[tuple]]:
    """Both methods on the same loss and points; each one's history."""
    f = hnncompile.compile(LOSS, target="numpy", wrt=WEIGHTS)
    x, y, label = two_clouds(points, seed)
    data = {"x": x, "y": y, "label": label}
    by_newton = newton(f, data, tolerance, max_steps)
    by_descent = gradient_descent(f, data, tolerance, max_steps, step_size)
    if report:
        show("Newton's method, the Hessian from f.hessian:", by_newton)
        print()
        show(f"Gradient descent, step size {step_size}:", by_descent, every=250)
        print()
        print(
            f"|gradient| < {tolerance:g}: Newton in {by_newton[-1][0]} steps, "
            f"gradient descent in {by_descent[-1][0]}"
        )
    return by_newton, by_descent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tolerance", type=float, default=1e-10)
    parser.add_argument("--step-size", type=float, default=1.0)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    run(args.tolerance, args.step_size, args.seed)


if __name__ == "__main__":
    main()
