"""Matrices: a 2-layer softmax classifier's gradient, against NumPy by hand.

    python benchmarks/matrices.py [--batch 4096] [--features 64] [--hidden 256]
                                  [--classes 10] [--rounds 21] [--tools torch,jax]
                                  [--threads 1]

The classifier of examples/chapter3_two_layer.hnn without its
regularization, its cross-entropy written out op by op as the lecture
writes it (PROGRAM below), on a batch of 4,096 rows of 64 features, 256
ReLU units and 10 classes, in float64 and in float32. It times the loss and
the gradient on W1, b1, W2, b2, interleaved in one process:

- (i) by hand, op by op: the backward pass written in NumPy one operation
  a line, as hnncompile writes it (logits -> max-subtracted -> exp -> sum
  -> probs -> log -> picked -> mean, and back through each);
- (ii) by hand, fused: softmax and cross-entropy's gradient in one line,
  `(softmax - onehot) / N`, as anyone writing it by hand for speed does;
- hnncompile's `value_and_grad` (what `f.grad` runs) and `backward`,
  compiled with the inputs' shapes (`compile(..., shapes=...)`: the
  lecture-like module, `db1 = dhpre.sum(0)`), and `value_and_grad`
  compiled without them (the generic module, `unbroadcast(...)`);
- PyTorch (`loss.backward()`) and `jax.jit(jax.value_and_grad(...))`,
  where installed (`pip install '.[bench]'`), of the same op-by-op forward;

and prints the median time of each and its ratio to (i). Until hnncompile
compiles matrix programs its cells say why not. A benchmark, not a test:
timings on shared machines are noisy.

Every tool computes on one thread (`--threads 1`, the default; 0 leaves
each library its own default): NumPy's OpenBLAS, PyTorch's and XLA's
thread pools. On a shared 2-core machine a BLAS thread that waits for a
busy core makes a matrix product's time swing fivefold from one call to
the next, which drowns the differences this benchmark is about. JAX takes
its thread count when it is first imported: where it was imported before
(benchmarks/all.py runs array_target.py first), it keeps its own.
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import inspect
import os
import statistics
import sys
import time
from typing import Callable, Iterator

import numpy as np

import hnncompile

PROGRAM = """
hpre = X @ W1 + b1
h = np.maximum(0, hpre)
logits = h @ W2 + b2
logit_maxes = logits.max(1, keepdims=True)
norm_logits = logits - logit_maxes
counts = np.exp(norm_logits)
counts_sum = counts.sum(1, keepdims=True)
probs = counts / counts_sum
logprobs = np.log(probs)
picked = logprobs[range(n), y]
loss = -picked.mean()
"""
WEIGHTS = ["W1", "b1", "W2", "b2"]


def op_by_op(X, y, n, W1, b1, W2, b2):
    """(i): the loss and (dW1, db1, dW2, db2), one operation a line."""
    t1 = X @ W1
    hpre = t1 + b1
    h = np.maximum(0, hpre)
    t2 = h @ W2
    logits = t2 + b2
    logit_maxes = logits.max(1, keepdims=True)
    norm_logits = logits - logit_maxes
    counts = np.exp(norm_logits)
    counts_sum = counts.sum(1, keepdims=True)
    counts_sum_inv = 1.0 / counts_sum
    probs = counts * counts_sum_inv
    logprobs = np.log(probs)
    picked = logprobs[np.arange(n), y]
    mean = picked.mean()
    loss = -mean
    # backward
    dmean = -1.0
    dpicked = np.ones_like(picked) * dmean / picked.shape[0]
    dlogprobs = np.zeros_like(logprobs)
    dlogprobs[np.arange(n), y] = dpicked
    dprobs = dlogprobs / probs
    dcounts = counts_sum_inv * dprobs
    dcounts_sum_inv = (counts * dprobs).sum(1, keepdims=True)
    dcounts_sum = -1.0 / (counts_sum * counts_sum) * dcounts_sum_inv
    dcounts = dcounts + np.ones_like(counts) * dcounts_sum
    dnorm_logits = counts * dcounts
    dlogits = dnorm_logits.copy()
    dlogit_maxes = -dnorm_logits.sum(1, keepdims=True)
    first = (logits == logit_maxes) * (np.cumsum(logits == logit_maxes, axis=1) == 1)
    dlogits += first * dlogit_maxes
    db2 = dlogits.sum(0)
    dh = dlogits @ W2.T
    dW2 = h.T @ dlogits
    dhpre = (hpre > 0) * dh
    db1 = dhpre.sum(0)
    dW1 = X.T @ dhpre
    return loss, (dW1, db1, dW2, db2)


def fused(X, y, n, W1, b1, W2, b2):
    """(ii): the loss and its gradient, softmax and cross-entropy fused."""
    hpre = X @ W1 + b1
    h = np.maximum(0, hpre)
    logits = h @ W2 + b2
    counts = np.exp(logits - logits.max(1, keepdims=True))
    probs = counts / counts.sum(1, keepdims=True)
    loss = -np.log(probs[np.arange(n), y]).mean()
    dlogits = probs  # (softmax - onehot) / N
    dlogits[np.arange(n), y] -= 1
    dlogits /= n
    dW2 = h.T @ dlogits
    db2 = dlogits.sum(0)
    dh = dlogits @ W2.T
    dh[hpre <= 0] = 0
    dW1 = X.T @ dh
    db1 = dh.sum(0)
    return loss, (dW1, db1, dW2, db2)


def jax_loss(jnp, X, y, n, W1, b1, W2, b2):
    """PROGRAM in jax.numpy."""
    h = jnp.maximum(0, X @ W1 + b1)
    logits = h @ W2 + b2
    norm_logits = logits - logits.max(1, keepdims=True)
    counts = jnp.exp(norm_logits)
    probs = counts / counts.sum(1, keepdims=True)
    return -jnp.log(probs[jnp.arange(n), y]).mean()


def torch_loss(torch, X, y, n, W1, b1, W2, b2):
    """PROGRAM in PyTorch."""
    h = torch.relu(X @ W1 + b1)
    logits = h @ W2 + b2
    norm_logits = logits - logits.max(1, keepdim=True).values
    counts = norm_logits.exp()
    probs = counts / counts.sum(1, keepdim=True)
    return -probs[torch.arange(n), y].log().mean()


def jax_reference(values: dict) -> tuple:
    """The loss and gradients by jax.grad in float64, to check the others."""
    import jax
    import jax.numpy as jnp

    jax.config.update("jax_enable_x64", True)
    data = (values["X"], values["y"], values["n"])
    value, grads = jax.value_and_grad(
        lambda *w: jax_loss(jnp, *data, *w), argnums=(0, 1, 2, 3)
    )(*(values[w] for w in WEIGHTS))
    return float(value), tuple(np.asarray(g) for g in grads)


def inputs(batch, features, hidden, classes, dtype, seed: int = 0) -> dict:
    rng = np.random.default_rng(seed)
    return {
        "X": rng.standard_normal((batch, features)).astype(dtype),
        "y": rng.integers(0, classes, size=batch),
        "n": batch,
        "W1": (rng.standard_normal((features, hidden)) / features**0.5).astype(dtype),
        "b1": (0.1 * rng.standard_normal(hidden)).astype(dtype),
        "W2": (rng.standard_normal((hidden, classes)) / hidden**0.5).astype(dtype),
        "b2": (0.1 * rng.standard_normal(classes)).astype(dtype),
    }


def compiled(values: dict, shaped: bool = True) -> hnncompile.CompiledFunction:
    """PROGRAM compiled for the numpy target; given the inputs' shapes
    where `compile` takes them and `shaped` (the lecture-like code)."""
    options: dict = {"target": "numpy", "wrt": WEIGHTS}
    if shaped and "shapes" in inspect.signature(hnncompile.compile).parameters:
        options["shapes"] = {
            k: np.shape(v) for k, v in values.items() if isinstance(v, np.ndarray)
        }
    return hnncompile.compile(PROGRAM, filename="matrices.hnn", **options)


def _openblas_threads(threads: int, stack: contextlib.ExitStack) -> bool:
    """NumPy's OpenBLAS (and any other loaded) on `threads` threads until
    `stack` closes, by threadpoolctl where installed, else by OpenBLAS's
    own call, in each copy this process has loaded (Linux); False where
    neither can."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        pass
    else:
        stack.enter_context(threadpool_limits(threads, user_api="blas"))
        return True
    try:
        with open("/proc/self/maps") as maps:
            paths = sorted(
                {line.split()[-1] for line in maps if "openblas" in line.lower()}
            )
    except OSError:
        return False
    limited = False
    for path in paths:  # each copy: SciPy or JAX may have loaded its own
        library = ctypes.CDLL(path)
        for prefix, suffix in [
            ("scipy_openblas", "64_"),
            ("scipy_openblas", ""),
            ("openblas", ""),
            ("openblas", "64_"),
        ]:
            set_threads = getattr(library, f"{prefix}_set_num_threads{suffix}", None)
            get_threads = getattr(library, f"{prefix}_get_num_threads{suffix}", None)
            if set_threads is not None and get_threads is not None:
                stack.callback(set_threads, get_threads())
                set_threads(threads)
                limited = True
                break
    return limited


@contextlib.contextmanager
def threads_limited(threads: int, tools: list[str]) -> Iterator[list[str]]:
    """Each library on `threads` threads inside the block (0: left as they
    are), put back after it; yields the names of those it limited."""
    limited: list[str] = []
    with contextlib.ExitStack() as stack:
        if threads and _openblas_threads(threads, stack):
            limited.append("NumPy's BLAS")
        if threads and "torch" in tools:
            try:
                import torch
            except ImportError:
                pass
            else:
                stack.callback(torch.set_num_threads, torch.get_num_threads())
                torch.set_num_threads(threads)
                limited.append("PyTorch")
        if threads and "jax" in tools and "jax" not in sys.modules:
            # XLA reads its flags when JAX first computes: the variable
            # stays set until the block's end.
            flags = os.environ.get("XLA_FLAGS")
            os.environ["XLA_FLAGS"] = (
                f"{flags or ''} --xla_cpu_multi_thread_eigen=false "
                f"intra_op_parallelism_threads={threads}"
            ).strip()
            stack.callback(_put_back, "XLA_FLAGS", flags)
            limited.append("XLA")
        yield limited


def _put_back(variable: str, value: str | None) -> None:
    if value is None:
        os.environ.pop(variable, None)
    else:
        os.environ[variable] = value


def other_tool(tool: str, values: dict) -> Callable[[], tuple]:
    """A call of PyTorch's or JAX's value and gradient on the same inputs
    (converted once, outside the timing); ImportError where not installed."""
    if tool == "torch":
        import torch

        data = [torch.from_numpy(values["X"]), torch.from_numpy(values["y"])]
        weights = [torch.from_numpy(values[w]).requires_grad_() for w in WEIGHTS]

        def run():
            for w in weights:
                w.grad = None
            loss = torch_loss(torch, *data, values["n"], *weights)
            loss.backward()
            return loss.item(), tuple(w.grad.numpy() for w in weights)

        return run
    if tool == "jax":
        import jax
        import jax.numpy as jnp

        jax.config.update("jax_enable_x64", True)
        n = values["n"]
        step = jax.jit(
            jax.value_and_grad(lambda w, X, y: jax_loss(jnp, X, y, n, *w), argnums=0)
        )
        data = [jnp.asarray(values["X"]), jnp.asarray(values["y"])]
        weights = [jnp.asarray(values[w]) for w in WEIGHTS]

        def run():
            value, grads = step(weights, *data)
            value.block_until_ready()
            return float(value), tuple(np.asarray(g) for g in grads)

        return run
    raise ValueError(f"unknown tool {tool!r}: torch or jax")


def agree(result: tuple, expected: tuple, rtol: float) -> None:
    """The same loss and gradients to rtol, an element near zero measured
    against its array's largest (sums in another order cancel otherwise)."""
    np.testing.assert_allclose(result[0], expected[0], rtol=rtol)
    for got, want in zip(result[1], expected[1], strict=True):
        assert np.shape(got) == np.shape(want)
        atol = rtol * float(np.max(np.abs(want)))
        np.testing.assert_allclose(got, want, rtol=rtol, atol=atol)


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
    parser.add_argument("--batch", type=int, default=4096)
    parser.add_argument("--features", type=int, default=64)
    parser.add_argument("--hidden", type=int, default=256)
    parser.add_argument("--classes", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=21)
    parser.add_argument(
        "--tools", default="torch,jax", help="others to time, where installed"
    )
    parser.add_argument(
        "--threads", type=int, default=1, help="per library; 0: their defaults"
    )
    options = parser.parse_args(argv)
    others = [t for t in options.tools.split(",") if t]
    with threads_limited(options.threads, others) as limited:
        return _table(options, others, limited)


def _table(options: argparse.Namespace, others: list[str], limited: list[str]):
    sizes = (options.batch, options.features, options.hidden, options.classes)
    print(
        "loss + gradient on W1, b1, W2, b2 of a 2-layer softmax classifier: "
        "batch {:,}, {} features, {} hidden units, {} classes".format(*sizes)
    )
    threads = (
        f"{options.threads} thread{'s' if options.threads > 1 else ''} each: "
        + (", ".join(limited) or "none of them could be limited")
        if options.threads
        else "the libraries' own numbers of threads"
    )
    print(
        f"(median of {options.rounds} interleaved rounds; ratios to (i); "
        f"{threads})\n"
    )
    columns = ["op_by_op", "fused", "value_and_grad", "backward", "generic", *others]
    titles = [
        "(i) op by op",
        "(ii) fused",
        "value_and_grad",
        "backward",
        "value_and_grad, no shapes",
        *others,
    ]
    print("| dtype | " + " | ".join(titles) + " |")
    print("|---|" + "---:|" * (len(titles)))
    rows = []
    for dtype in (np.float64, np.float32):
        values = inputs(*sizes, dtype)
        rtol = 1e-9 if dtype == np.float64 else 1e-3
        expected = op_by_op(**values)
        agree(fused(**values), expected, rtol)
        calls = {
            "op_by_op": lambda: op_by_op(**values),
            "fused": lambda: fused(**values),
        }
        cells = {}
        try:
            f, generic = compiled(values), compiled(values, shaped=False)
        except hnncompile.CompileError as error:
            why = "not available: " + str(error).splitlines()[0]
            cells["value_and_grad"] = cells["backward"] = cells["generic"] = why
        else:
            agree(f.value_and_grad(**values), expected, rtol)
            agree(generic.value_and_grad(**values), expected, rtol)
            calls["value_and_grad"] = lambda: f.value_and_grad(**values)
            calls["backward"] = lambda: f.backward(**values)
            calls["generic"] = lambda: generic.value_and_grad(**values)
        for tool in others:
            try:
                run = other_tool(tool, values)
            except ImportError:
                cells[tool] = "not installed"
                continue
            agree(run(), expected, rtol)
            calls[tool] = run
        t = median_seconds(calls, options.rounds)
        row = {"dtype": np.dtype(dtype).name}
        for label, seconds in t.items():
            row[label] = seconds
            ratio = seconds / t["op_by_op"]
            cells[label] = f"{seconds * 1e3:.2f} ms" + (
                f" ({ratio:.2f}x)" if label != "op_by_op" else ""
            )
            if label != "op_by_op":
                row[f"{label}_ratio"] = ratio
        rows.append(row)
        print(f"| {row['dtype']} | " + " | ".join(cells[c] for c in columns) + " |")
    return rows


if __name__ == "__main__":
    main()
