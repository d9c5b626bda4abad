"""Vectors and matrices (SPEC section 5) against an independent autodiff.

Each program is compiled for the array target, twice: without shapes (the
generic module, right for any shapes) and with the inputs' shapes given
(the module written for them, as the lecture's hand-written backward is).
Both backward passes must agree with JAX's `vjp` of the same forward pass
written in `jax.numpy` by hand here, and with centred differences
(`hnncompile.gradcheck`) on sampled elements.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import hnncompile

jax = pytest.importorskip("jax")
jax.config.update("jax_enable_x64", True)
jnp = jax.numpy


def _compiled(source: str, inputs: dict, with_shapes: bool, **options):
    shapes = None
    if with_shapes:
        shapes = {name: np.shape(value) for name, value in inputs.items()}
    return hnncompile.compile(source, target="numpy", shapes=shapes, **options)


def _jax_gradients(forward, inputs: dict, wrt: tuple[str, ...], dout):
    """JAX's gradients of `forward(**inputs)` on the `wrt` inputs."""
    fixed = {k: v for k, v in inputs.items() if k not in wrt}

    def on_params(*params):
        return forward(**fixed, **dict(zip(wrt, params)))

    value, pullback = jax.vjp(on_params, *(jnp.asarray(inputs[k]) for k in wrt))
    return np.asarray(value), [np.asarray(g) for g in pullback(jnp.asarray(dout))]


def check(source, forward, inputs, *, data=(), rtol=1e-9, atol=1e-12, dout=None):
    """The compiled value and every gradient, with and without shapes,
    against JAX; returns the shaped compiled function."""
    for with_shapes in (False, True):
        f = _compiled(source, inputs, with_shapes)
        assert set(f.wrt) == set(f.inputs) - set(data), f.wrt
        args = [inputs[name] for name in f.inputs]
        value = f(*args)
        upstream = dout
        if upstream is None:
            upstream = np.random.default_rng(1).normal(size=np.shape(value))
        expected, grads = _jax_gradients(forward, inputs, f.wrt, upstream)
        np.testing.assert_allclose(value, expected, rtol=rtol, atol=atol)
        got = f.backward(*args, dout=upstream)
        assert len(got) == len(f.wrt)
        for name, mine, theirs in zip(f.wrt, got, grads):
            assert np.shape(mine) == np.shape(inputs[name]), (name, with_shapes)
            np.testing.assert_allclose(
                mine, theirs, rtol=rtol, atol=atol, err_msg=f"d{name} {with_shapes=}"
            )
    return f


rng = np.random.default_rng(0)


def normal(*shape):
    return rng.normal(size=shape)


# --- the matrix product, at every rank combination NumPy's matmul has ---


@pytest.mark.parametrize(
    "a_shape, b_shape",
    [((3, 4), (4, 5)), ((4,), (4, 5)), ((3, 4), (4,)), ((4,), (4,))],
    ids=["matrix@matrix", "vector@matrix", "matrix@vector", "vector.vector"],
)
def test_matmul_at_every_rank(a_shape, b_shape):
    inputs = {"A": normal(*a_shape), "B": normal(*b_shape)}
    check("C = A @ B", lambda A, B: A @ B, inputs)


def test_matmul_spellings_agree():
    inputs = {"A": normal(3, 4), "B": normal(4, 2)}
    for source in ("C = np.dot(A, B)", "C = A.dot(B)", "C = np.matmul(A, B)"):
        check(source, lambda A, B: A @ B, inputs)


def test_a_linear_layer_with_a_bias_sums_the_bias_gradient_back():
    inputs = {"x": normal(8, 3), "W": normal(3, 5), "b": normal(5)}
    check("h = x @ W + b", lambda x, W, b: x @ W + b, inputs)


def test_logistic_regression_with_a_weight_vector():
    inputs = {"X": normal(10, 3), "w": normal(3), "b": normal()}
    check(
        "p = sigmoid(X @ w + b); L = -log(p).mean()",
        lambda X, w, b: -jnp.log(jax.nn.sigmoid(X @ w + b)).mean(),
        inputs,
    )


def test_transpose_both_spellings():
    inputs = {"A": normal(3, 4), "B": normal(3, 2)}
    check("C = A.T @ B", lambda A, B: A.T @ B, inputs)
    check("C = transpose(A) @ B", lambda A, B: A.T @ B, inputs)


# --- reductions over an axis ---


@pytest.mark.parametrize("kind", ["sum", "mean", "max", "min"])
@pytest.mark.parametrize("axis", [0, 1, -1, -2])
@pytest.mark.parametrize("keepdims", [False, True])
def test_axis_reductions(kind, axis, keepdims):
    inputs = {"x": normal(4, 5)}
    keep = ", keepdims=True" if keepdims else ""

    def forward(x):
        return getattr(jnp, kind)(x, axis=axis, keepdims=keepdims) ** 2

    check(f"y = {kind}(x, axis={axis}{keep})**2", forward, inputs)
    check(f"y = x.{kind}({axis}{keep})**2", forward, inputs)


def test_pytorch_spellings_of_a_reduction():
    inputs = {"x": normal(3, 4)}

    def forward(x):
        return jnp.exp(x.max(1, keepdims=True))

    check("y = x.max(1, keepdim=True).values.exp()", forward, inputs)
    check("y = torch.exp(x.max(1, keepdim=True).values)", forward, inputs)


def test_an_axis_max_sends_a_tie_to_the_first_element():
    x = np.array([[1.0, 3.0, 3.0], [2.0, 2.0, 0.0]])
    f = hnncompile.compile("m = x.max(1)", target="numpy")
    (dx,) = f.backward(x, dout=np.array([10.0, 20.0]))
    np.testing.assert_array_equal(dx, [[0.0, 10.0, 0.0], [20.0, 0.0, 0.0]])
    g = hnncompile.compile("m = x.min(0, keepdims=True)", target="numpy")
    (dx,) = g.backward(x, dout=np.array([[1.0, 2.0, 3.0]]))
    np.testing.assert_array_equal(dx, [[1.0, 0.0, 0.0], [0.0, 2.0, 3.0]])


def test_reductions_without_an_axis_are_as_before():
    inputs = {"x": normal(3, 4)}
    check("y = x.sum()", lambda x: x.sum(), inputs, dout=1.0)
    check("y = x.mean()", lambda x: x.mean(), inputs, dout=1.0)


# --- indexing and the two gathers ---


@pytest.mark.parametrize(
    "index", ["1", ":, 2", "1:3", ":, None", "None, :", "-1", ":, 1:3", "0, -2"]
)
def test_basic_indexing(index):
    inputs = {"x": normal(4, 5)}
    forward = eval(f"lambda x: jnp.exp(x[{index}])")  # our own test text
    check(f"y = exp(x[{index}])", forward, inputs)


def test_an_embedding_lookup_with_repeated_rows():
    C = normal(5, 3)
    X = np.array([[0, 2, 2], [4, 0, 2]])  # row 2 three times, row 0 twice
    f = check(
        "emb = C[X]; y = tanh(emb)",
        lambda C, X: jnp.tanh(C[X]),
        {"C": C, "X": X},
        data=("X",),
    )
    assert f.wrt == ("C",)


@pytest.mark.parametrize("spelling", ["range(n)", "arange(n)", "np.arange(n)"])
def test_picking_one_element_per_row(spelling):
    P = normal(6, 4) ** 2 + 0.1
    Y = np.array([3, 0, 0, 2, 1, 3])
    check(
        f"lp = log(P); loss = -lp[{spelling}, Y].mean()",
        lambda P, Y, n: -jnp.log(P)[jnp.arange(6), Y].mean(),
        {"P": P, "Y": Y, "n": 6},
        data=("Y", "n"),
        dout=1.0,
    )


# --- shapes ---


def test_reshape_and_view_with_a_shape_of_a_wire():
    inputs = {"C": normal(7, 2), "X": np.array([[1, 2, 3], [0, 6, 6]])}

    def forward(C, X):
        emb = C[X]
        return jnp.tanh(emb.reshape(emb.shape[0], -1))

    check(
        "emb = C[X]; e = emb.view(emb.shape[0], -1); h = tanh(e)",
        forward,
        inputs,
        data=("X",),
    )
    check(
        "emb = C[X]; e = reshape(emb, (2, 6)); h = tanh(e)",
        forward,
        inputs,
        data=("X",),
    )


# --- data inputs ---


def test_a_data_input_is_never_differentiated():
    f = hnncompile.compile("y = C[X].sum()", target="numpy")
    assert f.inputs == ("C", "X") and f.wrt == ("C",)
    with pytest.raises(ValueError, match="X"):
        hnncompile.compile("y = C[X].sum()", target="numpy", wrt=["X"])


def test_integer_index_arrays_stay_integer():
    f = hnncompile.compile("y = C[X]", target="numpy")
    value = f(np.eye(3), [2, 0])
    np.testing.assert_array_equal(value, [[0, 0, 1], [1, 0, 0]])


# --- the other targets refuse ---


@pytest.mark.parametrize("target", ["python", "js"])
@pytest.mark.parametrize(
    "source, column",
    [
        ("y = a + A @ B", 11),
        ("y = a * x.sum(0)", 9),
        ("y = C[X]", 5),
        ("y = x.T", 5),
    ],
)
def test_the_other_targets_refuse_with_a_position(target, source, column):
    with pytest.raises(hnncompile.CompileError) as caught:
        hnncompile.compile(source, target=target)
    error = caught.value
    assert error.line == 1
    assert "numpy" in str(error)
    assert 5 <= error.column <= column + 2


# --- dtypes ---


@pytest.mark.parametrize("with_shapes", [False, True])
def test_float32_stays_float32(with_shapes):
    source = "h = tanh(x @ W + b); loss = (h * h).sum(1).mean()"
    inputs = {
        "x": normal(4, 3).astype(np.float32),
        "W": normal(3, 2).astype(np.float32),
        "b": normal(2).astype(np.float32),
    }
    f = _compiled(source, inputs, with_shapes)
    value, grads = f.grad(*inputs.values())
    assert np.asarray(value).dtype == np.float32
    assert all(g.dtype == np.float32 for g in grads.values())
    _, grads64 = f.grad(*(v.astype(np.float64) for v in inputs.values()))
    assert all(g.dtype == np.float64 for g in grads64.values())


# --- the lecture ---

# The lecture's forward pass, pasted as it is (with its comments).
LECTURE = (
    Path(__file__).parent.parent / "examples" / "makemore_mlp_forward.hnn"
).read_text(encoding="utf-8")


def lecture_inputs(n=8, vocab=11, block=3, embed=4, hidden=16):
    g = np.random.default_rng(42)
    return {
        "C": g.normal(size=(vocab, embed)),
        "Xb": g.integers(0, vocab, size=(n, block)),
        "W1": g.normal(size=(block * embed, hidden)) * 0.3,
        "b1": g.normal(size=hidden) * 0.1,
        "n": n,
        "bngain": 1 + 0.1 * g.normal(size=(1, hidden)),
        "bnbias": 0.1 * g.normal(size=(1, hidden)),
        "W2": g.normal(size=(hidden, vocab)) * 0.3,
        "b2": g.normal(size=vocab) * 0.1,
        "Yb": g.integers(0, vocab, size=n),
    }


def lecture_forward(C, Xb, W1, b1, n, bngain, bnbias, W2, b2, Yb):
    emb = C[Xb]
    embcat = emb.reshape(emb.shape[0], -1)
    hprebn = embcat @ W1 + b1
    bnmeani = 1 / n * hprebn.sum(0, keepdims=True)
    bndiff = hprebn - bnmeani
    bnvar = 1 / (n - 1) * (bndiff**2).sum(0, keepdims=True)
    bnraw = bndiff * (bnvar + 1e-5) ** -0.5
    h = jnp.tanh(bngain * bnraw + bnbias)
    logits = h @ W2 + b2
    logprobs = jax.nn.log_softmax(logits, axis=1)
    return -logprobs[jnp.arange(n), Yb].mean()


def test_the_lectures_forward_pass_pasted_as_it_is():
    f = check(
        LECTURE,
        lecture_forward,
        lecture_inputs(),
        data=("Xb", "n", "Yb"),
        dout=1.0,
        rtol=1e-8,
    )
    assert f.wrt == ("C", "W1", "b1", "bngain", "bnbias", "W2", "b2")


def test_the_lectures_backward_reads_like_the_lecture():
    f = _compiled(LECTURE, lecture_inputs(), with_shapes=True, optimize=True)
    code = f.source
    for line in (
        "dh = dlogits @ W2.T",
        "dW2 = h.T @ dlogits",
        "dcounts_sum_inv = (counts * dprobs).sum(1, keepdims=True)",
        "dC = np.zeros_like(C)",
        "np.add.at(dC, Xb, demb)",
        # the comments say the shapes, where they are known
        "# shapes: h (8, 16) and W2 (16, 11) make t10 (8, 11)",
        "# shapes: C (11, 4) and Xb (8, 3) make emb (8, 3, 4)",  # the index too
        "# shapes: emb (8, 3, 4) makes embcat (8, 12)",
        "# b2 (11,) was broadcast to (8, 11): its gradient is summed back",
        # bnvar's gradient keeps its name (t8 = bnvar + 1e-5 only passes it on)
        "dbnvar = -0.5 * np.power(t8, -1.5) * dbnvar_inv",
    ):
        assert line in code, line
    assert "    dt8 = " not in code
    imports = [
        line for line in code.splitlines() if line.startswith(("import", "from"))
    ]
    assert imports == ["import numpy as np"]


def test_gradcheck_on_the_lecture():
    f = _compiled(LECTURE, lecture_inputs(), with_shapes=True)
    report = hnncompile.gradcheck(f, **lecture_inputs())
    assert report.passed, str(report)
    assert {row.input for row in report.rows} >= {"C", "W1", "W2"}


# --- random programs over random shapes ---

_UNARY = {
    "tanh": (jnp.tanh, "tanh({})"),
    "exp": (lambda v: jnp.exp(0.1 * v), "exp(0.1 * {})"),
    "square": (lambda v: v * v, "{} * {}"),
    "sigmoid": (jax.nn.sigmoid, "sigmoid({})"),
}


@st.composite
def layer_programs(draw):
    """A random small network: linear layers (matrix or vector weights),
    an elementwise function, a bias, a reduction over an axis."""
    n = draw(st.integers(1, 4))
    widths = draw(st.lists(st.integers(1, 4), min_size=1, max_size=3))
    lines, inputs, names = [], {"x": normal(n, draw(st.integers(1, 4)))}, []
    previous = "x"
    for k, width in enumerate(widths):
        fan_in = inputs["x"].shape[1] if k == 0 else widths[k - 1]
        inputs[f"W{k}"] = normal(fan_in, width)
        inputs[f"b{k}"] = normal(width) if draw(st.booleans()) else normal(1, width)
        func = draw(st.sampled_from(sorted(_UNARY)))
        lines.append(f"z{k} = {previous} @ W{k} + b{k}")
        lines.append(f"h{k} = " + _UNARY[func][1].format(f"z{k}", f"z{k}"))
        names.append((k, func))
        previous = f"h{k}"
    kind = draw(st.sampled_from(["sum", "mean", "max"]))
    axis = draw(st.sampled_from([0, 1, -1]))
    keep = draw(st.booleans())
    lines.append(f"r = {previous}.{kind}({axis}{', keepdims=True' if keep else ''})")
    lines.append("loss = (r * r).sum()")

    def forward(x, **params):
        h = x
        for k, func in names:
            h = _UNARY[func][0](h @ params[f"W{k}"] + params[f"b{k}"])
        if kind == "max":
            # A saturated tanh or sigmoid ties at exactly 1.0, and JAX splits
            # a tied max's gradient; hnncompile sends it to the first, as
            # argmax picks it: take that element, so ties compare too.
            first = jnp.argmax(h, axis=axis, keepdims=True)
            r = jnp.take_along_axis(h, first, axis=axis)
            r = r if keep else jnp.squeeze(r, axis=axis)
        else:
            r = getattr(jnp, kind)(h, axis=axis, keepdims=keep)
        return (r * r).sum()

    return "\n".join(lines), forward, inputs


@settings(max_examples=40, deadline=None)
@given(layer_programs())
def test_random_networks_against_jax(program):
    source, forward, inputs = program
    check(source, forward, inputs, dout=1.0, rtol=1e-8, atol=1e-10)


def test_the_trace_gives_every_wire_a_gradient_of_its_own_shape():
    # Without shapes, backward may sum a broadcast gradient late (it is
    # cheaper); the trace shows each wire's own gradient, summed.
    f = hnncompile.compile(LECTURE, target="numpy")
    point = lecture_inputs()
    shown = hnncompile.trace(f, **point)
    assert set(shown.values) >= {"counts_sum_inv", "bnvar", "logit_maxes"}
    data = f.gates.data_wires()
    for wire, value in shown.values.items():
        if wire in data:  # an index, a length: no gradient
            assert shown.gradients[wire] is None, wire
        else:
            assert np.shape(shown.gradients[wire]) == np.shape(value), wire
    _, grads = f.grad(**point)
    np.testing.assert_allclose(shown.gradients["W2"], grads["W2"], rtol=1e-12)


def test_a_rule_picked_at_run_time_adds_to_the_other_branches():
    # W is used twice: x @ W (its rule depends on x's axes) and W * W.
    inputs = {"x": normal(3), "W": normal(3, 2)}
    check(
        "L = sum(x @ W) + sum(W * W)",
        lambda x, W: jnp.sum(x @ W) + jnp.sum(W * W),
        inputs,
        dout=1.0,
    )
    inputs = {"x": normal(4, 3), "W": normal(3, 2)}
    check(
        "L = sum(x @ W) + sum(W * W)",
        lambda x, W: jnp.sum(x @ W) + jnp.sum(W * W),
        inputs,
        dout=1.0,
    )


def test_a_matrix_programs_backward_keeps_every_gradient_its_wires_shape():
    f = hnncompile.compile(LECTURE, target="numpy")
    assert "dcounts_sum_inv = unbroadcast(counts * dprobs, counts_sum_inv)" in f.source


def test_a_rule_picked_at_run_time_says_what_the_other_choice_is():
    f = hnncompile.compile("h = tanh(x @ W)", target="numpy")
    lines = f.source.splitlines()
    at = lines.index(
        "    dx = dt1 @ W.T if np.ndim(W) == 2 else np.multiply.outer(dt1, W)"
    )
    assert "where W or x is a vector (1-D)" in lines[at - 1]
    shaped = _compiled("h = tanh(x @ W)", {"x": normal(2, 3), "W": normal(3, 4)}, True)
    assert "is a vector (1-D)" not in shaped.source
