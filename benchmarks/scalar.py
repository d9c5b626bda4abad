"""Scalar value + gradient per call, for the tutorial's examples.

    python benchmarks/scalar.py [--rounds R] [--quick]

For each example it times, in one process and interleaved (each round calls
every tool in turn, so a noisy moment hits them all):

- by hand: the tutorial's own ninja code for the example, forward and
  backward in one function, written out below;
- hnncompile: `f.value_and_grad` (what `f.grad` runs), and its `forward`
  and `backward` alone, whose ratio is "gradient / forward";
- micrograd, SymPy (lambdify with cse=True), autograd, PyTorch and jax.jit,
  as benchmarks/tools.py writes the program for each, where installed
  (`pip install '.[bench]'`).

It checks that every tool's numbers agree, then prints the median time per
call and each tool's time as a multiple of hnncompile's.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from pathlib import Path
from typing import Callable

sys.path.insert(0, str(Path(__file__).parent))
import tools  # noqa: E402

import hnncompile  # noqa: E402

EXAMPLES = Path(__file__).parent.parent / "examples"


def _sigmoid(q):
    return 1 / (1 + math.exp(-q))


# The tutorial's ninja code, one function per example, as the tutorial
# writes it: the forward pass, then the backward pass chaining in `dx` (or
# `df`), the gradient from above, "+1 by default". It returns the value and
# the gradients in the order of the program's inputs.
def single_gate(x, y, df=1.0):
    f = x * y
    dx = y * df
    dy = x * df
    return f, (dx, dy)


def add_multiply(x, y, z, df=1.0):
    q = x + y
    f = q * z
    dq = z * df
    dz = q * df
    dx = 1.0 * dq
    dy = 1.0 * dq
    return f, (dx, dy, dz)


def neuron(a, x, b, y, c, df=1.0):
    q = a * x + b * y + c
    f = _sigmoid(q)
    dq = (f * (1 - f)) * df
    da = x * dq
    dx = a * dq
    dy = b * dq
    db = y * dq
    dc = 1.0 * dq
    return f, (da, dx, db, dy, dc)


def ninja(a, b, c, d, dx=1.0):
    x1 = a * b + c
    x2 = x1 * d
    x = x2 * x2
    dx2 = 2 * x2 * dx
    dd = x1 * dx2
    dx1 = d * dx2
    da = b * dx1
    db = a * dx1
    dc = 1.0 * dx1
    return x, (da, db, dc, dd)


def ninja_division(a, b, c, d, dx=1.0):
    x1 = a + b
    x2 = c + d
    x3 = 1.0 / x2
    x = x1 * x3
    dx1 = x3 * dx
    dx3 = x1 * dx
    dx2 = (-1.0 / (x2 * x2)) * dx3
    da = 1.0 * dx1
    db = 1.0 * dx1
    dc = 1.0 * dx2
    dd = 1.0 * dx2
    return x, (da, db, dc, dd)


def ninja_max(a, b, dx=1.0):
    x = max(a, b)
    da = 1.0 * dx if a == x else 0.0
    db = 1.0 * dx if b == x and a != x else 0.0  # the first wins a tie
    return x, (da, db)


def ninja_relu(a, dx=1.0):
    x = max(a, 0)
    da = 1.0 * dx if a >= 0 else 0.0
    return x, (da,)


def ninja_sum_of_squares(a, b, c, dx=1.0):
    x = a * a + b * b + c * c
    da = 2 * a * dx
    db = 2 * b * dx
    dc = 2 * c * dx
    return x, (da, db, dc)


def svm_score(a, x, b, y, c, dscore=1.0):
    score = a * x + b * y + c
    da = x * dscore
    dx = a * dscore
    db = y * dscore
    dy = b * dscore
    dc = 1.0 * dscore
    return score, (da, dx, db, dy, dc)


def two_layer_net(a1, x, b1, y, c1, a2, b2, c2, a3, b3, c3, a4, b4, c4, d4, dscore=1.0):
    n1 = max(0, a1 * x + b1 * y + c1)  # activation of 1st hidden neuron
    n2 = max(0, a2 * x + b2 * y + c2)  # 2nd neuron
    n3 = max(0, a3 * x + b3 * y + c3)  # 3rd neuron
    score = a4 * n1 + b4 * n2 + c4 * n3 + d4  # the score
    da4 = n1 * dscore
    dn1 = a4 * dscore
    db4 = n2 * dscore
    dn2 = b4 * dscore
    dc4 = n3 * dscore
    dn3 = c4 * dscore
    dd4 = 1.0 * dscore
    dn3 = 0 if n3 == 0 else dn3
    dn2 = 0 if n2 == 0 else dn2
    dn1 = 0 if n1 == 0 else dn1
    da1 = x * dn1
    db1 = y * dn1
    dc1 = 1.0 * dn1
    da2 = x * dn2
    db2 = y * dn2
    dc2 = 1.0 * dn2
    da3 = x * dn3
    db3 = y * dn3
    dc3 = 1.0 * dn3
    dx = a1 * dn1 + a2 * dn2 + a3 * dn3  # the tutorial stops before x and y
    dy = b1 * dn1 + b2 * dn2 + b3 * dn3
    return score, (
        da1,
        dx,
        db1,
        dy,
        dc1,
        da2,
        db2,
        dc2,
        da3,
        db3,
        dc3,
        da4,
        db4,
        dc4,
        dd4,
    )


BY_HAND: dict[str, Callable] = {
    f.__name__: f
    for f in (
        single_gate,
        add_multiply,
        neuron,
        ninja,
        ninja_division,
        ninja_max,
        ninja_relu,
        ninja_sum_of_squares,
        svm_score,
        two_layer_net,
    )
}


def point(f: hnncompile.CompiledFunction) -> list[float]:
    """Distinct values away from every kink of these examples."""
    return [0.35 + 0.41 * i * (-1) ** i for i in range(len(f.inputs))]


def per_call(calls: dict[str, Callable[[], object]], rounds: int) -> dict[str, float]:
    """Seconds per call, the best of `rounds` interleaved batches (each long
    enough, about a millisecond, to read a clock against). The best, as
    timeit advises: on a shared machine the noise only ever adds time."""
    batch = {}
    for label, call in calls.items():
        start, n = time.perf_counter(), 0
        while time.perf_counter() - start < 0.001:
            call()
            n += 1
        batch[label] = n
    times: dict[str, list[float]] = {label: [] for label in calls}
    for _ in range(rounds):
        for label, call in calls.items():
            n = batch[label]
            start = time.perf_counter()
            for _ in range(n):
                call()
            times[label].append((time.perf_counter() - start) / n)
    return {label: min(t) for label, t in times.items()}


def agree(got, expected) -> bool:
    value, grads = got
    return math.isclose(float(value), expected[0], rel_tol=1e-9, abs_tol=1e-12) and all(
        math.isclose(float(g), e, rel_tol=1e-9, abs_tol=1e-12)
        for g, e in zip(grads, expected[1])
    )


def main(argv: list[str] | None = None) -> list[dict]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=41)
    parser.add_argument("--tools", default=",".join(tools.TOOLS))
    parser.add_argument("--examples", default=",".join(BY_HAND))
    options = parser.parse_args(argv)
    chosen_tools = [t for t in options.tools.split(",") if t]
    rows = []
    missing: dict[str, str] = {}
    header = ["example", "by hand", "hnncompile", "vs hand", "grad/fwd"]
    header += [f"{tool}" for tool in chosen_tools]
    print(f"value + gradient per call (best of {options.rounds} interleaved rounds);")
    print("tools as multiples of hnncompile's time\n")
    print("| " + " | ".join(header) + " |")
    print("|---|" + "---:|" * (len(header) - 1))
    for name in options.examples.split(","):
        f = hnncompile.compile_file(EXAMPLES / f"{name}.hnn")
        x = point(f)
        by_hand = BY_HAND[name]
        expected = f.value_and_grad(*x)
        assert agree(by_hand(*x), expected), f"{name}: the hand-written code disagrees"
        calls = {
            "hand": lambda: by_hand(*x),
            "hnncompile": lambda: f.value_and_grad(*x),
            "forward": lambda: f.forward(*x),
            "backward": lambda: f.backward(*x),
        }
        for tool in chosen_tools:
            try:
                run = tools.value_and_grad(f.gates, tool)
                if not agree(run(*x), expected):
                    raise tools.Unavailable(f"{tool} gives other numbers on {name}")
                calls[tool] = lambda run=run: run(*x)
            except tools.Unavailable as why:
                missing[f"{tool}/{name}"] = str(why)
        t = per_call(calls, options.rounds)
        row = {
            "example": name,
            "hand": t["hand"],
            "hnncompile": t["hnncompile"],
            "vs_hand": t["hnncompile"] / t["hand"],
            "grad_over_forward": t["backward"] / t["forward"],
        }
        cells = [
            name,
            f"{t['hand'] * 1e6:.2f} µs",
            f"{t['hnncompile'] * 1e6:.2f} µs",
            f"{row['vs_hand']:.2f}x",
            f"{row['grad_over_forward']:.2f}x",
        ]
        for tool in chosen_tools:
            if tool in t:
                row[tool] = t[tool] / t["hnncompile"]
                cells.append(f"{row[tool]:.0f}x")
            else:
                cells.append("—")
        rows.append(row)
        print("| " + " | ".join(cells) + " |")
    if missing:
        reasons = sorted(set(missing.values()))
        print("\n— : " + "; ".join(reasons))
    return rows


if __name__ == "__main__":
    main()
