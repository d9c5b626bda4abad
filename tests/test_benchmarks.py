"""The benchmarks are not timed in CI, but their smallest size runs here, so
they cannot rot: they still import, run, and check their own answers."""

from __future__ import annotations

import concurrent.futures
import importlib.util
import multiprocessing
import os
import sys
from pathlib import Path

import numpy as np
import pytest

import hnncompile

BENCHMARKS = Path(__file__).parent.parent / "benchmarks"


def load(name: str):
    sys.path.insert(0, str(BENCHMARKS))  # the benchmarks import each other
    spec = importlib.util.spec_from_file_location(name, BENCHMARKS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_array_target_benchmark_runs(capsys):
    rows = load("array_target").main(
        ["--points", "1000", "--rounds", "1", "--tools", ""]
    )
    assert [row["program"] for row in rows] == ["neuron", "2-layer network"]
    assert all(row["value_and_grad_ratio"] > 0 for row in rows)
    assert "| neuron |" in capsys.readouterr().out


def test_compile_time_benchmark_runs(capsys):
    rows = load("compile_time").main([100, 300])
    assert [row["gates"] for row in rows][0] >= 100
    assert rows[1]["growth"] > 0
    assert "| 10" in capsys.readouterr().out


def test_scalar_benchmark_runs_and_checks_the_hand_written_code(capsys):
    scalar = load("scalar")
    rows = scalar.main(["--rounds", "1", "--tools", "", "--examples", "neuron,ninja"])
    assert [row["example"] for row in rows] == ["neuron", "ninja"]
    assert all(row["vs_hand"] > 0 and row["grad_over_forward"] > 0 for row in rows)
    # Every hand-written baseline gives the compiled program's numbers.
    for name, by_hand in scalar.BY_HAND.items():
        f = hnncompile.compile_file(scalar.EXAMPLES / f"{name}.hnn")
        x = scalar.point(f)
        assert scalar.agree(by_hand(*x), f.value_and_grad(*x)), name


def test_compile_comparison_and_tools_run_without_the_other_tools(capsys):
    rows = load("compile_vs").main(["10", "--tools", ""])
    assert rows[0]["hnncompile"] > 0
    tools = load("tools")
    f = hnncompile.compile("q = a * x; f = sigmoid(q) + max(q, 0)")
    params, lines, out = tools.body(f.gates, "jax")
    assert (params, out) == (["a", "x"], "f")
    assert lines == [
        "q = a * x",
        "t1 = 1 / (1 + jnp.exp(-q))",
        "t2 = jnp.maximum(0.0, q)",  # max(q, 0) is the ReLU
        "f = t1 + t2",
    ]
    with pytest.raises(tools.Unavailable, match="micrograd has no sigmoid"):
        tools.body(f.gates, "micrograd")


def _jax_reference(values: dict) -> tuple:
    """Run in a spawned worker: JAX's threads must not be in this process
    when a later test forks it."""
    return load("matrices").jax_reference(values)


def test_matrices_benchmark_runs_and_its_hand_versions_agree_with_jax(capsys):
    matrices = load("matrices")
    sizes = ["--batch", "50", "--features", "6", "--hidden", "9", "--classes", "4"]
    rows = matrices.main([*sizes, "--rounds", "1", "--tools", ""])
    assert [row["dtype"] for row in rows] == ["float64", "float32"]
    assert all(row["fused_ratio"] > 0 for row in rows)
    out = capsys.readouterr().out
    assert "| float64 | " in out and "| float32 | " in out
    # hnncompile's cells are times: with the inputs' shapes and without.
    for row in rows:
        assert row["value_and_grad_ratio"] > 0 and row["generic_ratio"] > 0
    assert "| value_and_grad, no shapes |" in out
    assert "1 thread each: NumPy's BLAS" in out
    # The shaped module is the lecture-like one, the other the generic one.
    values = matrices.inputs(50, 6, 9, 4, np.float32)
    shaped = matrices.compiled(values).value_and_grad_source
    generic = matrices.compiled(values, shaped=False).value_and_grad_source
    assert "db1 = dhpre.sum(0)" in shaped and "unbroadcast(" not in shaped
    assert "db1 = unbroadcast(dhpre, b1)" in generic
    pytest.importorskip("jax")
    values = matrices.inputs(50, 6, 9, 4, np.float64, seed=1)
    spawn = multiprocessing.get_context("spawn")
    with concurrent.futures.ProcessPoolExecutor(1, mp_context=spawn) as pool:
        value, grads = pool.submit(_jax_reference, values).result()
    for by_hand in (matrices.op_by_op, matrices.fused):
        hand_value, hand_grads = by_hand(**values)
        assert hand_value == pytest.approx(value, rel=1e-10)
        for name, got, want in zip(matrices.WEIGHTS, hand_grads, grads):
            assert got.shape == values[name].shape, name
            np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-13)


def test_matrices_benchmark_agrees_near_zero_and_not_where_it_differs():
    agree = load("matrices").agree
    want = (1.0, (np.array([1e-3, 2e-15, -5e-4]),))
    # A sum in another order: off by 1e-16 where the gradient is near zero.
    agree((1.0, (np.array([1e-3, 2.1e-15, -5e-4]),)), want, rtol=1e-9)
    with pytest.raises(AssertionError):
        agree((1.0, (np.array([1e-3, 2e-15, -5.1e-4]),)), want, rtol=1e-9)
    with pytest.raises(AssertionError):  # a gradient of the wrong shape
        agree((1.0, (np.array([[1e-3, 2e-15, -5e-4]]),)), want, rtol=1e-9)


@pytest.mark.parametrize("way", ["threadpoolctl", "openblas"])
def test_matrices_benchmark_runs_numpy_on_one_thread_and_puts_it_back(monkeypatch, way):
    threadpoolctl = pytest.importorskip("threadpoolctl")
    matrices = load("matrices")

    def blas_threads() -> list[int]:
        info = threadpoolctl.threadpool_info()
        return [lib["num_threads"] for lib in info if lib["user_api"] == "blas"]

    before = blas_threads()
    if not before:
        pytest.skip("no BLAS that threadpoolctl sees")
    if way == "openblas":  # without threadpoolctl: OpenBLAS's own call
        monkeypatch.setitem(sys.modules, "threadpoolctl", None)
    monkeypatch.delitem(sys.modules, "jax", raising=False)  # not imported yet
    monkeypatch.setenv("XLA_FLAGS", "--xla_dump_to=nowhere")
    with matrices.threads_limited(1, ["jax"]) as limited:
        assert limited == ["NumPy's BLAS", "XLA"]
        assert blas_threads() == [1] * len(before)
        assert os.environ["XLA_FLAGS"] == (
            "--xla_dump_to=nowhere --xla_cpu_multi_thread_eigen=false "
            "intra_op_parallelism_threads=1"
        )
    assert blas_threads() == before
    assert os.environ["XLA_FLAGS"] == "--xla_dump_to=nowhere"
    with matrices.threads_limited(0, ["jax"]) as limited:
        assert limited == [] and blas_threads() == before


def test_fused_benchmark_runs(capsys):
    pytest.importorskip("numba")
    rows = load("fused").main(["--points", "1000", "--rounds", "1", "--tools", ""])
    assert [row["program"] for row in rows] == ["neuron", "2-layer network"]
    assert all(row["vs_numpy"] > 0 and row["floor_ratio"] > 0 for row in rows)
    assert all(row["first_call"] > 0 for row in rows)
    assert "| neuron |" in capsys.readouterr().out
