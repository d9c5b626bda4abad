"""Compile time against the tools a user might pick instead, by program size.

    python benchmarks/compile_vs.py [SIZE ...] [--budget SECONDS]

For generated programs of about SIZE gates (compile_time.program: many
statements, fan-out, a mix of gates), it times getting a value-and-gradient
function ready to call:

- hnncompile: `hnncompile.compile(source)` (parse, lower, generate, exec);
- SymPy: build the expression, `diff` on every input, `lambdify(cse=True)`;
- JAX: `jax.jit(jax.value_and_grad(f))` and its first call (trace, compile).

A tool that takes longer than the budget (60 s by default) is stopped and
shown as "> budget". Tools not installed are left out.
"""

from __future__ import annotations

import argparse
import signal
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
import compile_time  # noqa: E402
import tools  # noqa: E402

import hnncompile  # noqa: E402


class _OverBudget(Exception):
    pass


def _alarm(signum, frame):
    raise _OverBudget


def timed(work, budget: float) -> float | None:
    """Seconds `work()` took, or None past the budget."""
    signal.signal(signal.SIGALRM, _alarm)
    signal.setitimer(signal.ITIMER_REAL, budget)
    start = time.perf_counter()
    try:
        work()
        return time.perf_counter() - start
    except _OverBudget:
        return None
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)


def main(argv: list[str] | None = None) -> list[dict]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sizes", nargs="*", type=int, default=[10, 100, 1000])
    parser.add_argument("--budget", type=float, default=60.0)
    parser.add_argument("--tools", default="sympy,jax")
    options = parser.parse_args(argv)
    others = [t for t in options.tools.split(",") if t]
    hnncompile.compile("a * b")  # the parser is built once per process
    warm = hnncompile.compile("f = sigmoid(a * b)")
    for tool in others:  # each tool's own start-up (JAX's backend) is not compiling
        try:
            tools.value_and_grad(warm.gates, tool)(0.5, 0.5)
        except tools.Unavailable:
            pass
    print("seconds to get value + gradient ready to call; others as multiples\n")
    print("| gates | hnncompile | " + " | ".join(others) + " |")
    print("|---:|---:|" + "---:|" * len(others))
    rows = []
    for size in options.sizes:
        source = compile_time.program(size)
        f = hnncompile.compile(source)
        x = [0.3 + 0.01 * i for i in range(len(f.inputs))]
        ours = min(
            timed(lambda: hnncompile.compile(source), options.budget) for _ in range(3)
        )
        row = {"gates": len(f.gates.eqns), "hnncompile": ours}
        cells = [str(row["gates"]), f"{ours:.3f} s"]
        for tool in others:

            def work(tool=tool):
                run = tools.value_and_grad(f.gates, tool)
                if tool == "jax":
                    run(*x)  # jit compiles on the first call

            try:
                seconds = timed(work, options.budget)
            except tools.Unavailable as why:
                cells.append(f"— ({why})")
                continue
            row[tool] = seconds
            cells.append(
                f"> {options.budget:g} s (> {options.budget / ours:,.0f}x)"
                if seconds is None
                else f"{seconds:.3f} s ({seconds / ours:,.0f}x)"
            )
        rows.append(row)
        print("| " + " | ".join(cells) + " |", flush=True)
    return rows


if __name__ == "__main__":
    main()
