"""The fused target (numba) against the numpy target, NumPy by hand, jax.jit,
PyTorch and the memory floor, on 10^6 data points.

    python benchmarks/fused.py [--points N] [--rounds R] [--tools torch,jax]

For the tutorial's neuron and its 2-layer network (benchmarks/array_target.py's
programs, each scoring every data point with scalar weights), it times
value + gradient on the weights, interleaved in one process:

- numba: hnncompile's `value_and_grad` with target="numba" (one loop over
  the points, in chunks on every thread);
- numpy: the same with target="numpy";
- by hand: array_target.py's NumPy, written as the tutorial writes it;
- jax.jit (`jax.vjp` under `jax.jit`) and PyTorch, where installed, as
  benchmarks/tools.py writes the program for them;
- the memory floor: read the data once and write one array, the least any
  of them must do (`np.add(x, y, out=buf)`).

It prints the median of each, the ratios the issue's goals are about
(numba at least 3x faster than numpy, no slower than jax.jit, within 4x of
the floor), and the first call's time (Numba's compiling, or its cache).
A benchmark, not a test: timings on shared machines are noisy.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
import array_target  # noqa: E402
import tools  # noqa: E402

import hnncompile  # noqa: E402
from hnncompile import loader  # noqa: E402

NEURON = array_target.NEURON
TWO_LAYER = """
n1 = max(0, a1*x + b1*y + c1)
n2 = max(0, a2*x + b2*y + c2)
n3 = max(0, a3*x + b3*y + c3)
score = a4*n1 + b4*n2 + c4*n3 + d4
"""
assert TWO_LAYER == array_target.TWO_LAYER


def main(argv: list[str] | None = None) -> list[dict]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=10**6)
    parser.add_argument("--rounds", type=int, default=21)
    parser.add_argument(
        "--tools", default="torch,jax", help="others to time, where installed"
    )
    parser.add_argument(
        "--threads", type=int, help="Numba's threads (default: one per core)"
    )
    parser.add_argument(
        "--warm",
        action="store_true",
        help="let the first call load Numba's cache from an earlier run "
        "(by default it compiles, into a new folder: the JIT time)",
    )
    options = parser.parse_args(argv)
    if options.threads:
        import numba

        numba.set_num_threads(options.threads)
    folder = loader._lasting[0]
    if not options.warm:
        loader._lasting[0] = tempfile.mkdtemp(prefix="hnncompile-bench-")
    try:
        return _table(options)
    finally:
        if not options.warm:
            shutil.rmtree(loader._lasting[0], ignore_errors=True)
            loader._lasting[0] = folder


def _table(options) -> list[dict]:
    import numba

    others = [t for t in options.tools.split(",") if t]
    load = ", ".join(f"{n:.2f}" for n in os.getloadavg())
    print(f"value + gradient on the weights over {options.points:,} points")
    print(f"(numba on {numba.get_num_threads()} threads; load average {load})")
    print(f"(median of {options.rounds} interleaved rounds; ratios: numba's time")
    print("over the others', so 0.25 is 4x faster; the floor's ratio is numba's")
    print("time over the floor's)\n")
    print(
        "| program | numba | numpy | by hand | "
        + " | ".join(f"{t}" for t in others)
        + " | floor | numba first call |"
    )
    print("|---|---:|---:|---:|" + "---:|" * len(others) + "---:|---:|")
    rows = []
    buffer = np.empty(options.points)
    for name, f, args, dscore, by_hand, hand_args in array_target.cases(options.points):
        fused = hnncompile.compile(f"{f.gates.source}", target="numba", wrt=f.wrt)
        start = time.perf_counter()
        value, grads = fused.value_and_grad(*args, dout=dscore)
        first_call = time.perf_counter() - start
        want_value, want_grads = f.value_and_grad(*args, dout=dscore)
        np.testing.assert_allclose(value, want_value, rtol=1e-12)
        np.testing.assert_allclose(grads, want_grads, rtol=1e-9)
        values = dict(zip(f.inputs, args))
        x, y = values["x"], values["y"]
        calls = {
            "numba": lambda: fused.value_and_grad(*args, dout=dscore),
            "numpy": lambda: f.value_and_grad(*args, dout=dscore),
            "hand": lambda: by_hand(*hand_args),
            "floor": lambda: np.add(x, y, out=buffer),
        }
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
        t = array_target.median_seconds(calls, options.rounds)
        row = {"program": name, "first_call": first_call}
        row.update({f"vs_{label}": t["numba"] / t[label] for label in t})
        row["floor_ratio"] = t["numba"] / t["floor"]
        cells = [name, f"{t['numba'] * 1e3:.1f} ms"]
        for label in ["numpy", "hand", *others]:
            if label in t:
                cells.append(f"{t[label] * 1e3:.1f} ms ({row[f'vs_{label}']:.2f})")
            else:
                cells.append("—")
        cells.append(f"{t['floor'] * 1e3:.2f} ms ({row['floor_ratio']:.1f}x)")
        cells.append(f"{first_call:.2f} s")
        print("| " + " | ".join(cells) + " |")
        rows.append(row)
    print()
    for line in goals(rows):
        print(line)
    return rows


# The goals: numba's time over each other's at most this.
GOALS = [
    ("vs_numpy", 1 / 3, "at least 3x faster than the numpy target"),
    ("vs_jax", 1.0, "no slower than jax.jit"),
    ("floor_ratio", 4.0, "within 4x of the memory floor"),
]


def goals(rows: list[dict]) -> list[str]:
    """Each goal, met or not on each program, with the ratio it is about."""
    lines = []
    for key, limit, goal in GOALS:
        verdicts = []
        for row in rows:
            if key not in row:
                verdicts.append(f"{row['program']}: not measured")
                continue
            met = "met" if row[key] <= limit else "MISSED"
            verdicts.append(f"{row['program']}: {met} ({row[key]:.2f})")
        lines.append(f"{goal}: " + "; ".join(verdicts))
    return lines


if __name__ == "__main__":
    main()
