"""The array target against NumPy written by hand, on 10^6 data points.

    python benchmarks/array_target.py [--points N] [--rounds R]

For the tutorial's neuron and its 2-layer network, each scoring every data
point with scalar weights, it times value + gradient (on the weights) three
ways, interleaved in one process:

- by hand: the same expression in NumPy, forward and backward in one
  function, written as the tutorial writes its ninja code;
- hnncompile's `value_and_grad` (one pass, what `f.grad` runs);
- hnncompile's `backward` alone (the gradients only);
- PyTorch (tensors, `backward(dscore)`) and JAX (`jax.jit` of `jax.vjp`),
  where installed (`pip install '.[bench]'`), as benchmarks/tools.py writes
  the program for them.

and prints the median time of each and its ratio to the hand-written code.
A benchmark, not a test: timings on shared machines are noisy.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
import statistics
import time
from typing import Callable

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
import tools  # noqa: E402

import hnncompile  # noqa: E402

NEURON = "f = sigmoid(a*x + b*y + c)"

TWO_LAYER = """
n1 = max(0, a1*x + b1*y + c1)
n2 = max(0, a2*x + b2*y + c2)
n3 = max(0, a3*x + b3*y + c3)
score = a4*n1 + b4*n2 + c4*n3 + d4
"""


def neuron_by_hand(a, b, c, x, y, df):
    q = a * x + b * y + c
    f = 1 / (1 + np.exp(-q))
    dq = f * (1 - f) * df
    return f, (np.sum(x * dq), np.sum(y * dq), np.sum(dq))


def two_layer_by_hand(a1, b1, c1, a2, b2, c2, a3, b3, c3, a4, b4, c4, d4, x, y, dscore):
    # The tutorial's ninja code for its 2-layer network, on arrays.
    n1 = np.maximum(0, a1 * x + b1 * y + c1)
    n2 = np.maximum(0, a2 * x + b2 * y + c2)
    n3 = np.maximum(0, a3 * x + b3 * y + c3)
    score = a4 * n1 + b4 * n2 + c4 * n3 + d4
    da4, dn1 = np.sum(n1 * dscore), a4 * dscore
    db4, dn2 = np.sum(n2 * dscore), b4 * dscore
    dc4, dn3 = np.sum(n3 * dscore), c4 * dscore
    dd4 = np.sum(dscore)
    dn3 = np.where(n3 == 0, 0, dn3)  # the tutorial: dn3 = n3 == 0 ? 0 : dn3
    dn2 = np.where(n2 == 0, 0, dn2)
    dn1 = np.where(n1 == 0, 0, dn1)
    grads = []
    for dn in (dn1, dn2, dn3):
        grads += [np.sum(x * dn), np.sum(y * dn), np.sum(dn)]
    return score, (*grads, da4, db4, dc4, dd4)


def cases(points: int):
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=points), rng.normal(size=points)
    # The gradient arriving on each point's output, as a loss would send it.
    dscore = rng.normal(size=points)
    neuron_weights = {"a": 1.0, "b": 2.0, "c": -3.0}
    two_layer_weights = dict(
        zip(
            "a1 b1 c1 a2 b2 c2 a3 b3 c3 a4 b4 c4 d4".split(),
            rng.uniform(-1, 1, size=13).tolist(),
        )
    )
    for name, program, by_hand, weights in (
        ("neuron", NEURON, neuron_by_hand, neuron_weights),
        ("2-layer network", TWO_LAYER, two_layer_by_hand, two_layer_weights),
    ):
        f = hnncompile.compile(program, target="numpy", wrt=list(weights))
        values = dict(weights, x=x, y=y)
        args = [values[name] for name in f.inputs]
        hand_args = [*weights.values(), x, y, dscore]
        yield name, f, args, dscore, by_hand, hand_args


def median_seconds(calls: dict[str, Callable[[], object]], rounds: int) -> dict:
    times: dict[str, list[float]] = {label: [] for label in calls}
    for _ in range(rounds):
        for label, call in calls.items():  # interleaved: noise hits all alike
            start = time.perf_counter()
            call()
            times[label].append(time.perf_counter() - start)
    return {label: statistics.median(t) for label, t in times.items()}


def main(argv: list[str] | None = None) -> list[dict]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=10**6)
    parser.add_argument("--rounds", type=int, default=21)
    parser.add_argument(
        "--tools", default="torch,jax", help="others to time, where installed"
    )
    options = parser.parse_args(argv)
    rows = []
    print(f"value + gradient on the weights over {options.points:,} points")
    print(f"(median of {options.rounds} interleaved rounds)\n")
    others = [t for t in options.tools.split(",") if t]
    print(
        "| program | by hand | value_and_grad | ratio | backward | ratio | "
        + " | ".join(others)
        + " |"
    )
    print("|---|---:|---:|---:|---:|---:|" + "---:|" * len(others))
    for name, f, args, dscore, by_hand, hand_args in cases(options.points):
        value, grads = f.value_and_grad(*args, dout=dscore)
        hand_value, hand_grads = by_hand(*hand_args)
        np.testing.assert_allclose(value, hand_value, rtol=1e-12)
        np.testing.assert_allclose(grads, hand_grads, rtol=1e-9)
        calls = {
            "hand": lambda: by_hand(*hand_args),
            "value_and_grad": lambda: f.value_and_grad(*args, dout=dscore),
            "backward": lambda: f.backward(*args, dout=dscore),
        }
        values = dict(zip(f.inputs, args))
        for tool in others:
            try:
                run = tools.array_value_and_grad(f.gates, tool, list(f.wrt))
                tool_value, tool_grads = run(values, dscore)
                np.testing.assert_allclose(np.asarray(tool_value), value, rtol=1e-9)
                np.testing.assert_allclose(
                    [float(g) for g in tool_grads], grads, rtol=1e-6
                )
            except tools.Unavailable:
                continue
            calls[tool] = lambda run=run: run(values, dscore)
        t = median_seconds(calls, options.rounds)
        row = {
            "program": name,
            "value_and_grad_ratio": t["value_and_grad"] / t["hand"],
            "backward_ratio": t["backward"] / t["hand"],
        }
        cells = [
            name,
            f"{t['hand'] * 1e3:.1f} ms",
            f"{t['value_and_grad'] * 1e3:.1f} ms",
            f"{row['value_and_grad_ratio']:.2f}x",
            f"{t['backward'] * 1e3:.1f} ms",
            f"{row['backward_ratio']:.2f}x",
        ]
        for tool in others:
            if tool in t:
                row[tool] = t[tool] / t["hand"]
                cells.append(f"{t[tool] * 1e3:.1f} ms ({row[tool]:.2f}x)")
            else:
                cells.append("—")
        rows.append(row)
        print("| " + " | ".join(cells) + " |")
    return rows


if __name__ == "__main__":
    main()
