"""How long hnncompile takes to compile a program of N gates.

    python benchmarks/compile_time.py [N ...]

Prints, for each size, the median and the best of 5 compiles (3 from
50,000 gates) of a generated program (many statements, fan-out, a mix of
gates), split by stage, and the time per gate. The growth from one size to
the next, t(N) / t(previous N), is measured interleaved, compiles of the
two sizes taking turns, so that both see the same machine: this kind of
shared machine runs half again as slow for minutes on end. A benchmark,
not a test.
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
    total = [seconds_to_compile(source) for _ in range(repeats)]
    result = {name: statistics.median(values) for name, values in stages.items()}
    result["ours"] = statistics.median(
        p + lo + c
        for p, lo, c in zip(stages["parse"], stages["lower"], stages["codegen"])
    )
    result["compile()"] = statistics.median(total)
    result["best"] = min(total)
    result["gates"] = count
    return result


def seconds_to_compile(source: str) -> float:
    t0 = time.perf_counter()
    f = hnncompile.compile(source)
    seconds = time.perf_counter() - t0
    del f  # freeing it is not compiling: outside the timing
    return seconds


def interleaved_growth(smaller: int, larger: int) -> float:
    """t(larger) / t(smaller), as the median over rounds of one larger
    compile between two smaller ones."""
    small, large = program(smaller), program(larger)
    ratios = []
    for _ in range(REPEATS if larger < 50_000 else 3):
        before = seconds_to_compile(small)
        middle = seconds_to_compile(large)
        after = seconds_to_compile(small)
        ratios.append(middle / ((before + after) / 2))
    return statistics.median(ratios)


def main(sizes: list[int]) -> list[dict]:
    """One row per size; the growth columns divide by the previous row.

    `exec` is CPython compiling and running the generated module: the floor
    for any tool that emits Python, and a baseline measured in the same
    minutes. `ours` is parse + lower + codegen, hnncompile's own work.
    Their growth is read off the medians, not interleaved: a rough guide.
    """
    print(
        "| gates | parse s | lower s | codegen s | exec s | compile() s | best s "
        "| us/gate | compile() / exec | growth of compile(), interleaved "
        "| of ours | of exec |"
    )
    print("|---:" * 12 + "|")
    rows = []
    for size in sizes:
        r = measure(size)
        per_gate = r["best"] / r["gates"] * 1e6
        growth = ["", "", ""]
        if rows:
            before = rows[-1]
            times = r["gates"] / before["gates"]
            r["growth"] = interleaved_growth(before["size"], size)
            growth = [
                f"{r['growth']:.1f} for {times:.0f}x the gates",
                f"{r['ours'] / before['ours']:.1f}",
                f"{r['exec'] / before['exec']:.1f}",
            ]
        r["size"] = size
        rows.append(r)
        print(
            f"| {r['gates']} | {r['parse']:.3f} | {r['lower']:.3f} | {r['codegen']:.3f} "
            f"| {r['exec']:.3f} | {r['compile()']:.3f} | {r['best']:.3f} "
            f"| {per_gate:.1f} | {r['compile()'] / r['exec']:.2f} "
            f"| {' | '.join(growth)} |",
            flush=True,
        )
    return rows


if __name__ == "__main__":
    main([int(n) for n in sys.argv[1:]] or [100, 1000, 10000])
