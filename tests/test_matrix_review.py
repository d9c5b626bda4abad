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


# --- every form of section 5, in programs unlike the other tests' ----------

FORMS = {
    "slice then transpose then matmul": (
        "x[:, 1:3].T @ W",
        lambda x, W: x[:, 1:3].T @ W,
        lambda: {"x": normal(5, 4), "W": normal(5, 3)},
        (),
    ),
    "transpose of a product, kept sum": (
        "(A @ B).T.sum(0, keepdims=True)",
        lambda A, B: (A @ B).T.sum(0, keepdims=True),
        lambda: {"A": normal(3, 4), "B": normal(4, 5)},
        (),
    ),
    "embedding viewed": (
        "C[X].view(-1, 4)",
        lambda C, X: C[X].reshape(-1, 4),
        lambda: {"C": normal(6, 2), "X": np.array([[0, 5], [5, 5], [1, 0]])},
        ("X",),
    ),
    "np.maximum of a product": (
        "np.maximum(0, x @ W)",
        lambda x, W: jnp.maximum(0, x @ W),
        lambda: {"x": normal(5, 4), "W": normal(4, 3)},
        (),
    ),
    "picked log, np.arange": (
        "P[np.arange(n), Y].log()",
        lambda P, n, Y: jnp.log(P[jnp.arange(n), Y]),
        lambda: {"P": rng.uniform(0.1, 1, (6, 4)), "n": 6, "Y": labels(6, 4)},
        ("n", "Y"),
    ),
    "method chain": (
        "x.exp().sum(1, keepdim=True).log().mean()",
        lambda x: jnp.log(jnp.exp(x).sum(1, keepdims=True)).mean(),
        lambda: {"x": normal(4, 5)},
        (),
    ),
    "a gather used twice": (
        "e = C[X]\ny = (e * C[X]).sum(1) + e.max(1).values",
        lambda C, X: (C[X] * C[X]).sum(1) + C[X].max(1),
        lambda: {"C": normal(4, 3), "X": np.array([0, 1, 1, 3, 0, 0])},
        ("X",),
    ),
    "a pick used twice, repeated labels": (
        "p = P[range(n), Y]\ny = p * P[range(n), Y]",
        lambda P, n, Y: P[jnp.arange(n), Y] ** 2,
        lambda: {"P": normal(6, 4), "n": 6, "Y": np.array([0, 0, 1, 1, 3, 3])},
        ("n", "Y"),
    ),
    "bias (1, C)": (
        "x @ W + b",
        lambda x, W, b: x @ W + b,
        lambda: {"x": normal(5, 4), "W": normal(4, 3), "b": normal(1, 3)},
        (),
    ),
    "bias (C,)": (
        "x @ W + b",
        lambda x, W, b: x @ W + b,
        lambda: {"x": normal(5, 4), "W": normal(4, 3), "b": normal(3)},
        (),
    ),
    "scalars with matrices": (
        "s * (x @ W) + s / 2 - (x * s) @ W",
        lambda s, x, W: s * (x @ W) + s / 2 - (x * s) @ W,
        lambda: {"s": 1.5, "x": normal(5, 4), "W": normal(4, 3)},
        (),
    ),
    "broadcast into a product": (
        "(x + b) @ W + (x * c).T.sum(0)",
        lambda x, b, W, c: (x + b) @ W + (x * c).T.sum(0),
        lambda: {"x": normal(3, 4), "b": normal(4), "W": normal(4, 3), "c": normal(4)},
        (),
    ),
    "broadcast into a gather": (
        "(x * b)[X]",
        lambda x, b, X: (x * b)[X],
        lambda: {"x": normal(5, 4), "b": normal(4), "X": np.array([0, 0, 3])},
        ("X",),
    ),
    "negative axes on 3-D": (
        "x.sum(-1, keepdims=True)"
        " + x.mean(-2, keepdims=True).max(-3) * x.min(-1, keepdim=True).values",
        lambda x: x.sum(-1, keepdims=True)
        + x.mean(-2, keepdims=True).max(-3) * x.min(-1, keepdims=True),
        lambda: {"x": normal(2, 3, 4)},
        (),
    ),
    "3-D transpose and basic index": (
        "x.T[-1, :, None] * x[1:, :-1].sum()",
        lambda x: x.T[-1, :, None] * x[1:, :-1].sum(),
        lambda: {"x": normal(2, 3, 4)},
        (),
    ),
    "vector . vector": (
        "v @ v",
        lambda v: v @ v,
        lambda: {"v": normal(4)},
        (),
    ),
    "a vector used by two products": (
        "v @ A @ v + A @ v",
        lambda v, A: v @ A @ v + A @ v,
        lambda: {"v": normal(4), "A": normal(4, 4)},
        (),
    ),
}


@pytest.mark.parametrize("options", OPTIONS)
@pytest.mark.parametrize("form", FORMS)
def test_every_form_against_jax(form, options):
    source, forward, inputs, data = FORMS[form]
    against_jax(source, forward, inputs(), options, data)


@pytest.mark.parametrize("options", OPTIONS)
def test_float32_stays_float32_through_a_classifier(options):
    source = (
        "h = np.maximum(0, X @ W1 + b1)\n"
        "logits = h @ W2 + b2\n"
        "m = logits.max(1, keepdim=True).values\n"
        "e = (logits - m).exp()\n"
        "p = e / e.sum(1, keepdims=True)\n"
        "loss = -p[range(n), Y].log().mean() + 0.5 * (W1 * W1).sum()"
    )

    def forward(X, W1, b1, W2, b2, n, Y):
        logits = jnp.maximum(0, X @ W1 + b1) @ W2 + b2
        e = jnp.exp(logits - logits.max(1, keepdims=True))
        p = e / e.sum(1, keepdims=True)
        return -jnp.log(p[jnp.arange(n), Y]).mean() + 0.5 * (W1 * W1).sum()

    f32 = np.float32
    inputs = {
        "X": normal(8, 5, dtype=f32),
        "W1": normal(5, 6, dtype=f32),
        "b1": normal(6, dtype=f32),
        "W2": normal(6, 3, dtype=f32),
        "b2": normal(1, 3, dtype=f32),
        "n": 8,
        "Y": labels(8, 3),
    }
    against_jax(source, forward, inputs, options, ("n", "Y"), dtype=f32)


def test_a_fan_out_into_a_product_of_unknown_rank_adds_both_branches():
    # `d = d + A if c else B` is `(d + A) if c else B`: for a vector the
    # first branch was dropped (v @ v gave v, not 2 v).
    f = hnncompile.compile("v @ v", target="numpy", comments=False)
    v = np.arange(4.0)
    np.testing.assert_array_equal(f.backward(v)[0], 2 * v)
    assert (
        "    dv = dv + (v.T @ dout if np.ndim(v) == 2 else np.multiply.outer(v, dout))\n"
        in f.source
    )


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
    # ... and so does backward, in a matrix program (see plan_backward)
    generic = f.source.split("def backward")[1]
    assert "dcounts_sum_inv = unbroadcast(counts * dprobs, counts_sum_inv)" in generic
    assert "dcounts_sum = -1 * counts_sum**-2 * dcounts_sum_inv\n" in generic


def test_the_planner_sums_back_at_every_wire_it_is_asked_for():
    gates = hnncompile.lower.lower(
        hnncompile.parse.parse("i = s**-1\ny = (x * i).sum()"), "numpy"
    )
    target = codegen.TARGETS["numpy"]
    backward = planner.plan_backward(gates, {"x", "s"}, target)
    traced = planner.plan_backward(gates, {"x", "s", "i"}, target, exact=True)
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


# --- the module's header says what its inputs may be ------------------------


def test_a_matrix_modules_header_names_its_data_and_its_shapes():
    source = "loss = -(X @ W)[range(n), Y].mean()"
    generic = hnncompile.compile(source, target="numpy").source
    header = " ".join(
        line[2:] for line in generic.splitlines() if line.startswith("# ")
    )
    assert "shapes that broadcast together" not in header
    assert "whose shapes fit the program's operations" in header
    assert "booleans and integers as floats, except the data (n, Y), used as" in header
    assert "Written for" not in header
    shaped = hnncompile.compile(
        source, target="numpy", shapes={"X": (8, 5), "W": (5, 3)}
    ).source
    header = " ".join(line[2:] for line in shaped.splitlines() if line[:1] == "#")
    assert (
        "Written for the shapes it was compiled with (X (8, 5), W (5, 3)): right for"
        " any arrays with the same numbers of axes and the same axes of size 1."
    ) in header
    # an elementwise program keeps the words of before
    elementwise = hnncompile.compile("y = a * x + b", target="numpy").source
    assert "# The inputs may be NumPy arrays of shapes that broadcast together" in (
        elementwise
    )


# --- Dask arrays -----------------------------------------------------------


def test_dask_arrays_through_products_reductions_indexing_and_reshapes():
    da = pytest.importorskip("dask.array")
    source = "(x[:, 1:].T @ W).max(0).reshape(-1, 1).tanh().sum() + (x @ v).mean()"
    inputs = {"x": normal(6, 4), "W": normal(6, 2), "v": normal(4)}
    for shapes in (None, {k: v.shape for k, v in inputs.items()}):
        f = hnncompile.compile(source, target="numpy", shapes=shapes)
        lazy = [da.from_array(inputs[k], chunks=2) for k in f.inputs]
        value, grads = f(*lazy), f.backward(*lazy)
        assert isinstance(value, da.Array)
        assert all(isinstance(g, da.Array) for g in grads)
        eager = f.backward(*(inputs[k] for k in f.inputs))
        for g_dask, g_numpy in zip(da.compute(*grads), eager):
            np.testing.assert_allclose(g_dask, g_numpy, rtol=1e-12)


def test_dask_arrays_cannot_go_through_a_gather():
    # Dask has no `ufunc.at` (the scatter of C[X]) and no fancy indexing in
    # two axes (P[np.arange(n), Y]): these need NumPy arrays. If Dask learns
    # them, this test says so.
    da = pytest.importorskip("dask.array")
    take = hnncompile.compile("C[X].sum()", target="numpy")
    C, X = da.from_array(normal(4, 3), chunks=2), np.array([0, 1, 1])
    with pytest.raises(TypeError, match="'at'"):
        take.backward(C, X)
    pick = hnncompile.compile("P[range(n), Y].sum()", target="numpy")
    with pytest.raises(NotImplementedError, match="fancy indexing"):
        pick(da.from_array(normal(3, 3), chunks=2), 3, np.array([0, 1, 1]))


# --- deep and long programs -------------------------------------------------


def test_a_hundred_thousand_trailers_compile_without_recursion():
    start = time.perf_counter()
    f = hnncompile.compile("y = x" + ".T" * 100_000 + ".sum(0)", target="numpy")
    assert time.perf_counter() - start < 60
    x = normal(2, 3)
    np.testing.assert_allclose(f(x), x.sum(0))  # an even number of .T
    np.testing.assert_allclose(f.backward(x, dout=np.arange(3.0))[0], [[0, 1, 2]] * 2)


def test_ten_thousand_products_in_a_chain():
    chain = " @ ".join(["A"] * 10_000)
    start = time.perf_counter()
    shapes = {"A": (2, 2), "v": (2,)}
    f = hnncompile.compile(f"y = v @ {chain}", target="numpy", shapes=shapes)
    assert time.perf_counter() - start < 60
    assert len(re.findall(r"^    dA = ", f.source, flags=re.M)) == 10_000
    A = np.array([[0.0, 1.0], [1.0, 0.0]])  # a swap: A**10_000 is the identity
    v = np.array([2.0, 3.0])
    np.testing.assert_array_equal(f(A, v) if f.inputs[0] == "A" else f(v, A), v)
