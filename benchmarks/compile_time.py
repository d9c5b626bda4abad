"""How long hnncompile takes to compile a program of N gates.

    python benchmarks/compile_time.py [N ...]

Prints, for each size, the median of 5 compiles (3 from 50,000 gates) of
a generated program (many statements, fan-out, a mix of gates), split by
stage, the time per gate, and how each grew from the previous size. A benchmark, not a test: timings on shared machines are noisy.
"""

from __future__ import annotations

import statistics
import sys
import time

import hnncompile
from hnncompile import codegen, compiled, lower, parse

REPEATS = 5


def program(gates: int) -> str:
    """About `gates` gates: a chain of statements, each reusing earlier ones."""
    lines = ["h0 = a * b + c"]
    count = 2
    i = 0
    while count < gates:
        i += 1
        prev, older = f"h{i - 1}", f"h{max(0, i - 7)}"
        kind = i % 4
        if kind == 0:
            lines.append(f"h{i} = {prev} * a + {older}")
        elif kind == 1:
            lines.append(f"h{i} = tanh({prev}) - {older} / 3")
        elif kind == 2:
            lines.append(f"h{i} = max({prev}, {older}, 0) + b ** 2")
        else:
            lines.append(f"h{i} = sigmoid({prev}) * exp(-{older} ** 2)")
        count += 3 if kind < 3 else 5
    return "\n".join(lines)


def measure(gates: int) -> dict[str, float]:
    source = program(gates)
    stages: dict[str, list[float]] = {
        "parse": [],
        "lower": [],
        "codegen": [],
        "exec": [],
    }
    repeats = REPEATS if gates < 50_000 else 3
    for _ in range(repeats):
        # The stages one by one, under the same conditions as compile().
        with hnncompile._garbage_collection_paused():
            t0 = time.perf_counter()
            tree = parse.parse(source)
            t1 = time.perf_counter()
            gate_list = lower.lower(tree)
            del tree
            t2 = time.perf_counter()
            module = codegen.generate(gate_list)
            t3 = time.perf_counter()
            compiled.load_module(module, "benchmark")
            t4 = time.perf_counter()
        for name, seconds in zip(stages, (t1 - t0, t2 - t1, t3 - t2, t4 - t3)):
            stages[name].append(seconds)
        count = len(gate_list.eqns)
        del gate_list, module
    # Then compile() itself, as a user calls it, with nothing else held.
    total = []
    for _ in range(repeats):
        t5 = time.perf_counter()
        f = hnncompile.compile(source)
        total.append(time.perf_counter() - t5)
        del f  # freeing it is not compiling: outside the timing
    result = {name: statistics.median(values) for name, values in stages.items()}
    result["ours"] = statistics.median(
        p + lo + c
        for p, lo, c in zip(stages["parse"], stages["lower"], stages["codegen"])
    )
    result["compile()"] = statistics.median(total)
    result["best"] = min(total)
    result["gates"] = count
    return result


def main(sizes: list[int]) -> list[dict]:
    """One row per size; the growth columns divide by the previous row.

    `exec` is CPython compiling and running the generated module: the floor
    for any tool that emits Python, and a baseline for growth measured in
    the same process (it is not linear either at 10^5 gates: memory).
    `ours` is parse + lower + codegen, hnncompile's own work. Medians,
    and the best of the runs: this kind of shared machine runs at times
    half again as slow for minutes on end, which moves every time but
    hardly moves compile() / exec, measured in the same minutes.
    """
    print(
        "| gates | parse s | lower s | codegen s | exec s | compile() s | best s "
        "| us/gate | compile() / exec | growth of compile() | best | of ours "
        "| of exec |"
    )
    print("|---:" * 13 + "|")
    rows = []
    for size in sizes:
        r = measure(size)
        per_gate = r["best"] / r["gates"] * 1e6
        growth = ["", "", "", ""]
        if rows:
            before = rows[-1]
            times = r["gates"] / before["gates"]
            r["growth"] = r["compile()"] / before["compile()"]
            growth = [
                f"{r[key] / before[key]:.1f}"
                + (f" for {times:.0f}x the gates" if i == 0 else "")
                for i, key in enumerate(("compile()", "best", "ours", "exec"))
            ]
        rows.append(r)
        print(
            f"| {r['gates']} | {r['parse']:.3f} | {r['lower']:.3f} | {r['codegen']:.3f} "
            f"| {r['exec']:.3f} | {r['compile()']:.3f} | {r['best']:.3f} | {per_gate:.1f} "
            f"| {r['compile()'] / r['exec']:.2f} "
            f"| {' | '.join(growth)} |",
            flush=True,
        )
    return rows


if __name__ == "__main__":
    main([int(n) for n in sys.argv[1:]] or [100, 1000, 10000])
