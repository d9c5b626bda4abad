"""The acceptance review of issue 12 (SPEC section 5), as an adversary.

Programs unlike the other matrix tests', each against JAX's `vjp` with and
without `shapes=` and with and without `optimize`; the mistakes of
`compile(shapes=...)`; what the trace says of an intermediate gradient;
what a module's header says its inputs may be; Dask arrays; and deep and
long programs.
"""

from __future__ import annotations

import re
import time

import numpy as np
import pytest

import hnncompile
from hnncompile import codegen
from hnncompile.codegen import plan as planner

jax = pytest.importorskip("jax")
jax.config.update("jax_enable_x64", True)
jnp = jax.numpy

rng = np.random.default_rng(12)


def normal(*shape, dtype=np.float64):
    return rng.normal(size=shape).astype(dtype)


def labels(n, classes):
    return rng.integers(0, classes, size=n)


OPTIONS = [
    pytest.param({}, id="generic"),
    pytest.param({"shapes": True}, id="shapes"),
    pytest.param({"optimize": True}, id="optimize"),
    pytest.param({"shapes": True, "optimize": True}, id="shapes+optimize"),
]


def compiled(source, inputs, options):
    options = dict(options)
    if options.pop("shapes", False):
        options["shapes"] = {k: np.shape(v) for k, v in inputs.items()}
    return hnncompile.compile(source, target="numpy", **options)


def against_jax(source, forward, inputs, options, data=(), dtype=np.float64):
    """The compiled value and gradients against JAX's, of the inputs'
    dtype; returns the compiled function."""
    f = compiled(source, inputs, options)
    assert set(f.wrt) == set(f.inputs) - set(data)
    args = [inputs[name] for name in f.inputs]
    value = f(*args)
    dout = rng.normal(size=np.shape(value)).astype(dtype)
    fixed = {k: v for k, v in inputs.items() if k not in f.wrt}

    def on_params(*params):
        return forward(**fixed, **dict(zip(f.wrt, params)))

    params = [jnp.asarray(inputs[k], dtype=np.float64) for k in f.wrt]
    expected, pullback = jax.vjp(on_params, *params)
    tolerance = {"rtol": 1e-9, "atol": 1e-12}
    if dtype == np.float32:
        tolerance = {"rtol": 2e-4, "atol": 2e-5}
    np.testing.assert_allclose(value, expected, **tolerance)
    assert np.result_type(value) == dtype
    got = f.backward(*args, dout=dout)
    for name, mine, theirs in zip(f.wrt, got, pullback(jnp.asarray(dout, np.float64))):
        assert np.shape(mine) == np.shape(inputs[name]), name
        assert np.result_type(mine) == dtype, name
        np.testing.assert_allclose(mine, theirs, err_msg=f"d{name}", **tolerance)
    return f


# --- the trace: every wire's gradient has that wire's shape -----------------


def test_the_trace_gives_an_intermediate_gradient_its_wires_shape():
    # Without shapes, backward may carry a broadcast gradient on (an
    # intermediate's `dcounts_sum_inv` of (n, C)) and sum it later; the
    # trace shows every wire's gradient, so each must be its own.
    source = (
        "counts = logits.exp()\n"
        "counts_sum = counts.sum(1, keepdims=True)\n"
        "counts_sum_inv = counts_sum**-1\n"
        "probs = counts * counts_sum_inv\n"
        "loss = -probs[range(n), Y].log().mean()"
    )
    logits, n, Y = normal(5, 3), 5, labels(5, 3)
    f = hnncompile.compile(source, target="numpy")
    gradients = hnncompile.trace(f, logits, n, Y).gradients

    def upstream(counts_sum_inv):
        counts = jnp.exp(logits)
        return -jnp.log((counts * counts_sum_inv)[jnp.arange(n), Y]).mean()

    inv = 1 / np.exp(logits).sum(1, keepdims=True)
    expected = jax.grad(upstream)(jnp.asarray(inv))
    assert np.shape(gradients["counts_sum_inv"]) == (5, 1)
    np.testing.assert_allclose(gradients["counts_sum_inv"], expected, rtol=1e-12)
    # ... while backward itself still sums once, where a hand writer would
    generic = f.source.split("def backward")[1]
    assert "dcounts_sum_inv = counts * dprobs\n" in generic
    assert "unbroadcast(-1 * counts_sum**-2 * dcounts_sum_inv, counts_sum)" in generic


def test_the_planner_sums_back_at_every_wire_it_is_asked_for():
    gates = hnncompile.lower.lower(
        hnncompile.parse.parse("i = s**-1\ny = (x * i).sum()"), "numpy"
    )
    target = codegen.TARGETS["numpy"]
    backward = planner.plan_backward(gates, {"x", "s"}, target)
    traced = planner.plan_backward(gates, {"x", "s", "i"}, target)
    (mul,) = [e for e in gates.eqns if e.gate == "mul"]
    assert (mul.out, 1) not in backward.summed  # summed later, into ds
    assert (mul.out, 1) in traced.summed  # summed at once: di has i's shape


# --- compile(shapes=...): the user's mistakes ------------------------------


def test_shapes_mistakes_say_what_is_wrong():
    source = "y = x @ W"
    with pytest.raises(ValueError, match="'z', which is not an input .*x, W"):
        hnncompile.compile(source, target="numpy", shapes={"z": (2,)})
    for bad in [(2.0, 3), (True, 3), "ab", None, np.int64(3)]:
        with pytest.raises(TypeError, match="the shape of 'x' must be a tuple of ints"):
            hnncompile.compile(source, target="numpy", shapes={"x": bad})
    with pytest.raises(ValueError, match="negative size: \\(2, -3\\)"):
        hnncompile.compile(source, target="numpy", shapes={"x": (2, -3)})
    with pytest.raises(TypeError, match="wants a dict"):
        hnncompile.compile(source, target="numpy", shapes=[("x", (2, 3))])
    with pytest.raises(ValueError, match="shapes= is for target='numpy', not 'js'"):
        hnncompile.compile("y = x * 2", target="js", shapes={"x": (2,)})


def test_shapes_take_numpys_integers_and_one_int_for_one_axis():
    f = hnncompile.compile(
        "y = (x @ W + b).sum()",
        target="numpy",
        shapes={"x": (np.int64(3), 2), "W": [2, np.intp(4)], "b": 4},
    )
    assert f.gates.shapes == (("x", (3, 2)), ("W", (2, 4)), ("b", (4,)))
    assert all(type(n) is int for _, shape in f.gates.shapes for n in shape)
    assert "    db = dt2.sum(0)\n" in f.source  # written for the shapes


def test_shapes_that_do_not_fit_are_a_compile_error_at_the_gate():
    source = "h = x @ W\nscores = h + b"
    with pytest.raises(hnncompile.CompileError) as caught:
        hnncompile.compile(
            source, target="numpy", shapes={"x": (2, 3), "W": (3, 4), "b": (5,)}
        )
    error = caught.value
    assert error.message == "scores = h + b: shapes (2, 4) and (5,) do not fit"
    assert (error.line, error.column) == (2, 12)
