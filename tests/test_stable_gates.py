"""The numerically stable gates of SPEC section 6, at the extremes.

test_gates.py checks every gate at ordinary points; here the gates of
gates/stable.py meet the inputs that overflow their naive forms: each
value and gradient against mpmath at 50 digits from -1000 to 1000 on the
python, numpy and js targets (a relative error of at most 1e-13 where the
true number is a normal float; 0.0 or a tiny finite number where it
underflows; never an OverflowError nor a NumPy warning), and on arrays
against JAX along each axis, with and without `shapes=`, in float64 and
float32.
"""

from __future__ import annotations

import json
import math
import subprocess
import warnings

import mpmath
import numpy as np
import pytest
from test_js_target import NODE, Node

import hnncompile
from hnncompile import CompileError
from hnncompile.gates import GATES

mpmath.mp.dps = 50

GRID = [-1000.0, -745.0, -710.0, -40.0, -1.0, -1e-12, 0.0, 1e-12, 0.5, 40.0]
GRID += [709.0, 710.0, 1000.0]
SMALLEST_NORMAL = 2.2250738585072014e-308


def _mp_sigmoid(x):
    return 1 / (1 + mpmath.exp(-x))


# program, points, value, gradient (mpmath functions of an mpf)
ELEMENTWISE = {
    "softplus": (
        "f = softplus(x)",
        GRID,
        lambda x: mpmath.log(1 + mpmath.exp(x)),
        _mp_sigmoid,
    ),
    "log_sigmoid": (
        "f = log_sigmoid(x)",
        GRID,
        lambda x: -mpmath.log(1 + mpmath.exp(-x)),
        lambda x: _mp_sigmoid(-x),
    ),
    "log1p": (
        "f = log1p(x)",
        [-0.999999, -0.5, -1e-12, 0.0, 1e-12, 0.5, 40.0, 709.0, 710.0, 1000.0, 1e300],
        lambda x: mpmath.log(1 + x),
        lambda x: 1 / (1 + x),
    ),
    # Beyond 709.78, e^x - 1 is no float: expm1 overflows there as exp does.
    "expm1": (
        "f = expm1(x)",
        [-1000.0, -745.0, -710.0, -40.0, -1e-12, 0.0, 1e-12, 0.5, 40.0, 709.0],
        lambda x: mpmath.expm1(x),
        mpmath.exp,
    ),
    "logsumexp": ("f = logsumexp(x)", GRID, lambda x: x, lambda x: mpmath.mpf(1)),
}


def assert_true_number(got: float, true, where: str) -> None:
    """`got` is the float nearest `true` to 1e-13 where `true` is a normal
    float, and 0.0 or a finite subnormal where `true` underflows."""
    assert math.isfinite(got), where
    if abs(true) < SMALLEST_NORMAL:
        assert abs(got) < SMALLEST_NORMAL, where
        return
    error = abs((mpmath.mpf(got) - true) / true)
    assert error <= 1e-13, f"{where}: relative error {float(error):.3g}"


def _check(gate: str, points, values, grads) -> None:
    _, _, value, gradient = ELEMENTWISE[gate]
    for x, v, g in zip(points, values, grads):
        assert_true_number(float(v), value(mpmath.mpf(x)), f"{gate}({x})")
        assert_true_number(float(g), gradient(mpmath.mpf(x)), f"d{gate}({x})")


@pytest.mark.parametrize("gate", sorted(ELEMENTWISE))
def test_python_target_against_mpmath(gate):
    program, points, _, _ = ELEMENTWISE[gate]
    f = hnncompile.compile(program)
    assert [e.gate for e in f.gates.eqns] == [gate]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        values = [f(x) for x in points]
        grads = [f.backward(x)[0] for x in points]
        fast = [f.value_and_grad(x) for x in points]
    _check(gate, points, values, grads)
    assert fast == list(zip(values, [(g,) for g in grads]))


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("gate", sorted(ELEMENTWISE))
def test_numpy_target_against_mpmath(gate, dtype):
    program, points, value, gradient = ELEMENTWISE[gate]
    if dtype == np.float32:  # the points whose numbers are float32's too
        big = float(np.finfo(np.float32).max)
        points = [
            p
            for p in points
            if max(abs(p), abs(value(mpmath.mpf(p))), gradient(mpmath.mpf(p))) < big
        ]
    f = hnncompile.compile(program, target="numpy")
    x = np.array(points, dtype=dtype)
    if gate == "logsumexp":  # one number from the array: each point alone
        with warnings.catch_warnings(), np.errstate(over="raise", invalid="raise"):
            warnings.simplefilter("error")
            values = [f(np.array([p], dtype=dtype)) for p in x]
            grads = [f.backward(np.array([p], dtype=dtype))[0][0] for p in x]
        assert all(np.asarray(v).dtype == dtype for v in values)
    else:
        with (
            warnings.catch_warnings(),
            np.errstate(over="raise", invalid="raise", divide="raise"),
        ):
            warnings.simplefilter("error")
            values = f(x)
            (grads,) = f.backward(x)
        assert values.dtype == grads.dtype == dtype
    if dtype == np.float64:
        _check(gate, points, values, grads)
    else:  # float32: finite everywhere, and near float64's numbers
        assert np.all(np.isfinite(values)) and np.all(np.isfinite(grads))
        exact = hnncompile.compile(program, target="numpy")
        wide = np.array([float(p) for p in x])
        near = [exact(np.array([w])) if gate == "logsumexp" else None for w in wide]
        if gate != "logsumexp":
            near = exact(wide)
        np.testing.assert_allclose(
            np.ravel(values).astype(float), np.ravel(near), rtol=1e-6, atol=1e-38
        )


@pytest.fixture(scope="module")
def node():
    if NODE is None:
        pytest.skip("Node.js is not installed")
    process = Node()
    yield process
    process.close()


@pytest.mark.parametrize("gate", sorted(ELEMENTWISE))
def test_js_target_against_mpmath(node, gate):
    program, points, _, _ = ELEMENTWISE[gate]
    f = hnncompile.compile(program, target="js")
    results = node.run(f.source, [(x,) for x in points])
    _check(gate, points, [v for v, _ in results], [g for _, (g,) in results])


def _run_js(source: str, points, tmp_path) -> list[tuple]:
    """forward and backward of a module at points JSON cannot carry (the
    runner's requests are JSON): written into the script as JavaScript."""
    if NODE is None:
        pytest.skip("Node.js is not installed")
    module = tmp_path / "m.mjs"
    module.write_text(source)
    literals = ", ".join(
        (
            "NaN"
            if math.isnan(p)
            else ("-" if p < 0 else "") + "Infinity" if math.isinf(p) else repr(p)
        )
        for p in points
    )
    script = (
        f"const m = await import({json.dumps(module.as_uri())});\n"
        f"for (const x of [{literals}]) "
        "console.log(String(m.forward(x)) + ' ' + String(m.backward(x)[0]));\n"
    )
    run = subprocess.run(
        [NODE, "--input-type=module", "-e", script],
        capture_output=True,
        text=True,
        check=True,
    )
    return [
        (float(v), (float(g),))
        for v, g in (line.split() for line in run.stdout.splitlines())
    ]


@pytest.mark.parametrize("target", ["python", "numpy", "js"])
def test_the_limits_at_infinity_and_nan_in_gives_nan_out(target, request):
    """softplus(-inf) = 0 with gradient 0, softplus(inf) = inf with gradient
    1, and the same for log_sigmoid; NaN passes through every one."""
    cases = {
        "softplus": [(-math.inf, 0.0, 0.0), (math.inf, math.inf, 1.0)],
        "log_sigmoid": [(-math.inf, -math.inf, 1.0), (math.inf, 0.0, 0.0)],
        "log1p": [(math.inf, math.inf, 0.0)],
        "expm1": [(-math.inf, -1.0, 0.0)],
    }
    for gate, limits in cases.items():
        f = hnncompile.compile(f"f = {gate}(x)", target=target)
        points = [x for x, _, _ in limits] + [math.nan]
        if target == "js":
            results = _run_js(f.source, points, request.getfixturevalue("tmp_path"))
        else:
            with warnings.catch_warnings():
                warnings.simplefilter("error")
                results = [(f(p), f.backward(p)) for p in points]
        for (x, value, grad), (v, (g,)) in zip(limits, results):
            assert (v, g) == (value, grad), (gate, x)
        v, (g,) = results[-1]
        assert math.isnan(v) and math.isnan(g), gate


def test_sigmoid_tanh_and_exp_are_finite_where_their_numbers_are():
    """Issue 13, item 1: the old gates at the extremes, on every target the
    tests run in Python (no OverflowError, no NumPy warning)."""
    for target in ("python", "numpy"):
        sigmoid = hnncompile.compile("f = sigmoid(x)", target=target)
        tanh = hnncompile.compile("f = tanh(x)", target=target)
        exp = hnncompile.compile("f = exp(x)", target=target)
        with warnings.catch_warnings(), np.errstate(over="raise", invalid="raise"):
            warnings.simplefilter("error")
            for x in (-1000.0, -745.0, -710.0, 0.0, 710.0, 1000.0):
                s = float(sigmoid(x))
                assert s == float(1 / (1 + mpmath.exp(-x)))
                assert float(sigmoid.backward(x)[0]) == pytest.approx(
                    s * (1 - s), abs=1e-300
                )
                assert float(tanh(x)) == math.tanh(x)
                assert math.isfinite(float(tanh.backward(x)[0]))
            for x in (-1000.0, -745.0, 0.0, 709.0):
                assert float(exp(x)) == math.exp(x)


# --- on arrays, against JAX --------------------------------------------------


def _jax():
    import jax

    jax.config.update("jax_enable_x64", True)
    return jax


def _reference(program_gate: str, axis, keepdims: bool):
    """The JAX function of x that the program computes."""
    jax = _jax()
    nn, special = jax.nn, jax.scipy.special
    if program_gate == "logsumexp":
        return lambda x: special.logsumexp(x, axis=axis, keepdims=keepdims)
    if program_gate == "softmax":
        if axis is None:
            return lambda x: nn.softmax(x.reshape(-1)).reshape(x.shape)
        return lambda x: nn.softmax(x, axis=axis)
    if axis is None:
        return lambda x: nn.log_softmax(x.reshape(-1)).reshape(x.shape)
    return lambda x: nn.log_softmax(x, axis=axis)


def _program(gate: str, axis, keepdims: bool) -> str:
    if axis is None:
        return f"y = {gate}(x)\nf = sum(y * w)"
    if keepdims:
        return f"y = {gate}(x, axis={axis}, keepdims=True)\nf = sum(y * w)"
    return f"y = {gate}(x, {axis})\nf = sum(y * w)"


REDUCTIONS = [
    (gate, axis, keepdims)
    for gate in ("logsumexp", "softmax", "log_softmax")
    for axis in (0, 1, -1, None)
    for keepdims in (
        (False, True) if gate == "logsumexp" and axis is not None else (False,)
    )
]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("shaped", [False, True])
@pytest.mark.parametrize("gate, axis, keepdims", REDUCTIONS)
def test_reductions_against_jax(gate, axis, keepdims, shaped, dtype):
    """`sum(gate(x) * w)` with a random w: the value, and the gradients of
    x and w (the gate's rule chained with another's), against JAX, at
    logits of ordinary size and at logits of +-1000 (where the naive
    exp overflows)."""
    jax = _jax()
    rng = np.random.default_rng(5)
    reference = _reference(gate, axis, keepdims)
    for scale in (1.0, 1000.0):
        x = (rng.normal(size=(3, 4)) * scale).astype(dtype)
        y = np.asarray(reference(x.astype(float)))
        w = rng.normal(size=y.shape).astype(dtype)
        shapes = {"x": x.shape, "w": w.shape} if shaped else None
        f = hnncompile.compile(
            _program(gate, axis, keepdims), target="numpy", shapes=shapes
        )
        with warnings.catch_warnings(), np.errstate(over="raise", invalid="raise"):
            warnings.simplefilter("error")
            value, (dx, dw) = f.value_and_grad(x, w)
            dx2, dw2 = f.backward(x, w)
            assert f(x, w) == value
        expected, vjp = jax.value_and_grad(
            lambda x, w: (reference(x) * w).sum(), argnums=(0, 1)
        )(x.astype(float), w.astype(float))
        tolerance = 1e-12 if dtype == np.float64 else 2e-4
        scale_of = max(1.0, float(np.max(np.abs(y))))
        assert np.asarray(value).dtype == dx.dtype == dw.dtype == dtype
        np.testing.assert_allclose(
            value, expected, rtol=tolerance, atol=tolerance * scale_of * 10
        )
        np.testing.assert_allclose(dx, vjp[0], rtol=tolerance, atol=tolerance * 10)
        np.testing.assert_allclose(
            dw, vjp[1], rtol=tolerance, atol=tolerance * scale_of * 10
        )
        np.testing.assert_array_equal(dx2, dx)
        np.testing.assert_array_equal(dw2, dw)
        if dtype == np.float64 and scale == 1.0:
            assert hnncompile.gradcheck(f, x, w).passed


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("shaped", [False, True])
@pytest.mark.parametrize(
    "program",
    [
        "loss = cross_entropy(logits, Y)",
        "loss = F.cross_entropy(logits, Y)",
        "loss = torch.nn.functional.cross_entropy(logits, Y)",
    ],
)
def test_cross_entropy_against_jax(program, shaped, dtype):
    """The mean over rows of -log_softmax(logits, 1) at the labels, and its
    gradient, the lecture's (softmax - onehot(Y)) / n, at logits of ordinary
    size and of +-1000; Y is data."""
    jax = _jax()
    rng = np.random.default_rng(8)
    labels = np.array([0, 4, 2, 2, 1])

    def reference(logits):
        picked = jax.nn.log_softmax(logits, axis=1)[np.arange(5), labels]
        return -picked.mean()

    for scale in (1.0, 1000.0):
        logits = (rng.normal(size=(5, 6)) * scale).astype(dtype)
        shapes = {"logits": logits.shape, "Y": labels.shape} if shaped else None
        f = hnncompile.compile(program, target="numpy", shapes=shapes)
        assert [e.gate for e in f.gates.eqns] == ["cross_entropy"]
        assert f.gates.data == {"Y"}
        with warnings.catch_warnings(), np.errstate(over="raise", invalid="raise"):
            warnings.simplefilter("error")
            value, (dlogits,) = f.value_and_grad(logits, labels)
            assert f.backward(logits, labels)[0].tolist() == dlogits.tolist()
        expected, grad = jax.value_and_grad(reference)(logits.astype(float))
        tolerance = 1e-12 if dtype == np.float64 else 1e-4
        assert np.asarray(value).dtype == dlogits.dtype == dtype
        np.testing.assert_allclose(value, expected, rtol=tolerance)
        np.testing.assert_allclose(dlogits, grad, rtol=tolerance, atol=tolerance)
    if dtype == np.float64:
        report = hnncompile.gradcheck(f, rng.normal(size=(5, 6)), labels)
        assert report.passed and "data" in str(report)


def test_cross_entropy_is_the_lectures_gradient_line():
    f = hnncompile.compile("loss = F.cross_entropy(logits, Yb)", target="numpy")
    backward = f.source.split("def backward")[1]
    assert "np.logaddexp.reduce(logits, axis=1, keepdims=True)" in backward
    # the one-hot as rows of the identity, in the logits' dtype
    assert "- np.eye(logits.shape[1], dtype=logits.dtype)[Yb]" in backward
    assert "np.arange(logits.shape[1])" not in backward
    assert "/ logits.shape[0]" in backward
    comments = " ".join(
        line.strip()[2:] for line in backward.splitlines() if line.strip()[:1] == "#"
    )
    assert "(softmax(logits, 1) - onehot(Yb)) / n" in comments
    assert "dYb" not in backward


def test_cross_entropys_labels_are_data_and_get_no_gradient():
    with pytest.raises(ValueError, match=r"'Yb' is data \(an index at line 1\)"):
        hnncompile.compile(
            "loss = cross_entropy(logits, Yb)", target="numpy", wrt=["Yb"]
        )


# --- the program spellings, and what they refuse -------------------------------

SPELLINGS = [
    ("softplus(x)", "softplus", ()),
    ("F.softplus(x)", "softplus", ()),
    ("x.softplus()", "softplus", ()),
    ("log_sigmoid(x)", "log_sigmoid", ()),
    ("F.logsigmoid(x)", "log_sigmoid", ()),
    ("log1p(x)", "log1p", ()),
    ("np.log1p(x)", "log1p", ()),
    ("torch.log1p(x)", "log1p", ()),
    ("x.log1p()", "log1p", ()),
    ("expm1(x)", "expm1", ()),
    ("np.expm1(x)", "expm1", ()),
    ("x.expm1()", "expm1", ()),
    ("logsumexp(x)", "logsumexp", ()),
    ("x.logsumexp()", "logsumexp", ()),
    ("logsumexp(x, 1)", "logsumexp_axis", ("1",)),
    ("logsumexp(x, axis=-1)", "logsumexp_axis", ("-1",)),
    ("x.logsumexp(1)", "logsumexp_axis", ("1",)),
    ("logsumexp(x, axis=1, keepdims=True)", "logsumexp_keepdims", ("1",)),
    ("torch.logsumexp(x, dim=1, keepdim=True)", "logsumexp_keepdims", ("1",)),
    ("softmax(x)", "softmax", ()),
    ("softmax(x, 1)", "softmax_axis", ("1",)),
    ("F.softmax(x, dim=1)", "softmax_axis", ("1",)),
    ("x.softmax(1)", "softmax_axis", ("1",)),
    ("torch.softmax(x, 0)", "softmax_axis", ("0",)),
    ("log_softmax(x)", "log_softmax", ()),
    ("log_softmax(x, 1)", "log_softmax_axis", ("1",)),
    ("F.log_softmax(x, dim=-1)", "log_softmax_axis", ("-1",)),
    ("x.log_softmax(1)", "log_softmax_axis", ("1",)),
    ("torch.log_softmax(x, 1)", "log_softmax_axis", ("1",)),
]


@pytest.mark.parametrize("form, gate, params", SPELLINGS, ids=[s[0] for s in SPELLINGS])
def test_each_spelling_is_its_gate(form, gate, params):
    f = hnncompile.compile(f"f = {form}", target="numpy")
    [eqn] = f.gates.eqns
    assert (eqn.gate, tuple(p.text for p in eqn.params)) == (gate, params)
    assert f.gates.inputs == ("x",)


EVERY_TARGET = ["softplus(x)", "log_sigmoid(x)", "log1p(x)", "expm1(x)"]
EVERY_TARGET += ["logsumexp(x)"]


@pytest.mark.parametrize("form", EVERY_TARGET)
def test_the_elementwise_ones_and_logsumexp_compile_on_every_target(form):
    for target in ("python", "numpy", "js"):
        f = hnncompile.compile(f"f = 2 * {form}", target=target)
        assert GATES[f.gates.eqns[0].gate].function in form


REFUSED = [
    ("f = softmax(x)", 1, 5, "softmax needs the array target"),
    ("q = x * 2\nf = softmax(q, 1)", 2, 5, "softmax needs the array target"),
    ("f = 1 + log_softmax(x)", 1, 9, "log_softmax needs the array target"),
    ("f = cross_entropy(l, Y)", 1, 5, "cross_entropy needs the array target"),
    ("f = logsumexp(x, axis=1)", 1, 5, "a reduction over an axis needs the array"),
    ("f = F.softplus(x)", 1, 7, "the 'F.' prefix needs the array target"),
    ("f = x.log1p()", 1, 7, "a method call needs the array target"),
]


@pytest.mark.parametrize("target", ["python", "js"])
@pytest.mark.parametrize("source, line, column, words", REFUSED)
def test_the_array_ones_are_refused_at_their_place(source, line, column, words, target):
    with pytest.raises(CompileError) as caught:
        hnncompile.compile(source, target=target)
    error = caught.value
    assert (error.line, error.column) == (line, column)
    assert words in str(error) and "target='numpy'" in str(error)


MISTAKES = [
    ("f = softplus(x, y)", 1, 5, "softplus() takes 1 argument, got 2"),
    ("f = log1p()", 1, 5, "log1p() takes 1 argument, got 0"),
    ("f = cross_entropy(logits)", 1, 5, "cross_entropy() takes 2 arguments, got 1"),
    ("f = cross_entropy(l, Y, Z)", 1, 5, "cross_entropy() takes 2 arguments, got 3"),
    ("f = cross_entropy(l, 2)", 1, 22, "the labels of cross_entropy(logits, Y) are a"),
    ("f = cross_entropy(l, Y + 1)", 1, 22, "the labels of cross_entropy"),
    ("f = l.cross_entropy(Y)", 1, 7, "cross_entropy is a function"),
    ("f = softmax(x, 1, keepdims=True)", 1, 19, "softmax() has no keyword 'keepdims'"),
    ("f = softmax(x, axis=1.5)", 1, 21, "an axis is an integer literal"),
    ("f = x.softmax(0, 1)", 1, 7, ".softmax() takes at most one axis"),
    ("f = logsumexp(x, keepdims=True)", 1, 18, "keepdims=True needs an axis"),
    ("f = softmax(3)", 1, 5, "softmax needs an array, not a number"),
    ("F = a * 2\nf = F.softmax(x, 1)", 2, 7, "F is torch.nn.functional here"),
]


@pytest.mark.parametrize("source, line, column, words", MISTAKES)
def test_each_mistake_is_a_compile_error_at_its_place(source, line, column, words):
    with pytest.raises(CompileError) as caught:
        hnncompile.compile(source, target="numpy")
    assert (caught.value.line, caught.value.column) == (line, column), caught.value
    assert words in str(caught.value)


def test_constants_fold_through_the_stable_forms():
    f = hnncompile.compile("f = x + softplus(-800) + log_sigmoid(800) + expm1(1e-20)")
    assert f.source.count("math.") == 0
    assert f(1.0) == 1.0 + 1e-20  # softplus(-800) underflows to 0, exactly


def test_the_shapes_of_the_new_gates_are_inferred():
    source = (
        "s = softmax(x, 1)\nl = log_softmax(x)\nm = logsumexp(x, 0)\n"
        "k = logsumexp(x, 1, keepdims=True)\nc = cross_entropy(x, Y)\n"
        "f = sum(s) + sum(l) + sum(m) + sum(k) + c + logsumexp(x)"
    )
    f = hnncompile.compile(source, target="numpy", shapes={"x": (4, 3), "Y": (4,)})
    from hnncompile import shapes as shape_pass

    shapes = shape_pass.infer(f.gates, {"x": (4, 3), "Y": (4,)})
    assert (shapes["s"], shapes["l"], shapes["m"]) == ((4, 3), (4, 3), (3,))
    assert (shapes["k"], shapes["c"]) == ((4, 1), ())
    x = np.random.default_rng(2).normal(size=(4, 3))
    plain = hnncompile.compile(source, target="numpy")
    Y = np.array([0, 2, 1, 1])
    np.testing.assert_allclose(f.backward(x, Y)[0], plain.backward(x, Y)[0])
    assert "unbroadcast" not in f.source


def test_each_backward_comment_names_the_gate_as_a_program_writes_it():
    source = (
        "m = logsumexp(x, 1, keepdims=True)\nn = logsumexp(x, 0)\n"
        "s = softmax(x, 1)\nl = log_softmax(x)\nf = sum(m) + sum(n) + sum(s * l)"
    )
    comments = [
        line.strip()
        for line in hnncompile.compile(source, target="numpy").source.splitlines()
        if line.strip().startswith("# ") and " = " in line and line.endswith(":")
    ]
    for written in (
        "# m = logsumexp(x, axis=1, keepdims=True):",
        "# n = logsumexp(x, axis=0):",
        "# s = softmax(x, axis=1):",
        "# l = log_softmax(x):",
    ):
        assert written in comments
    assert not any("logaddexp.reduce" in line for line in comments)


@pytest.mark.parametrize(
    "form", ["logsumexp(x)", "logsumexp(x, 1)", "softmax(x, 1)", "log_softmax(x)"]
)
def test_a_nan_in_a_reduction_gives_nan_out(form):
    """NaN in gives NaN out (np.logaddexp says 'invalid value' as it does)."""
    f = hnncompile.compile(f"y = {form}\nf = sum(y)", target="numpy")
    x = np.array([[1.0, np.nan, 2.0], [0.5, 1.5, 2.5]])
    with np.errstate(invalid="ignore"):
        value = f(x)
        (grad,) = f.backward(x)
    assert math.isnan(value)
    assert np.isnan(grad[0]).all()
    if form in ("logsumexp(x, 1)", "softmax(x, 1)"):  # along axis 1, rows apart
        assert np.isfinite(grad[1]).all()


@pytest.mark.parametrize(
    "form, name",
    [
        ("F.softmax(x)", "F.softmax"),
        ("F.log_softmax(x)", "F.log_softmax"),
        ("torch.softmax(x)", "torch.softmax"),
        ("torch.log_softmax(2 * x)", "torch.log_softmax"),
    ],
)
def test_the_pytorch_spelling_without_dim_is_refused(form, name):
    """PyTorch's implicit dim is 1 on a matrix (and deprecated): the same
    spelling here must not quietly mean the softmax over every element."""
    with pytest.raises(CompileError) as caught:
        hnncompile.compile(f"f = {form}", target="numpy")
    assert (caught.value.line, caught.value.column) == (
        1,
        5 + len(name) - len(name.split(".")[1]),
    )
    assert caught.value.message == (
        f"{name} needs dim=: PyTorch's implicit dim is deprecated (on a matrix it "
        f"is dim=1, not every element): write {name}(x, dim=1)"
    )
    # The word alone is the softmax over every element, as the table says.
    bare = hnncompile.compile(f"f = {form.split('.')[1]}", target="numpy")
    assert bare.gates.eqns[-1].gate in ("softmax", "log_softmax")


@pytest.mark.parametrize("target", ["python", "numpy", "js"])
def test_the_logsumexp_comment_is_true_of_its_code(target):
    # On one number logsumexp is that number and its rule passes dout on: the
    # comment must say so, not speak of e^(x - out) as the only rule.
    f = hnncompile.compile("t = x * 2\nf = logsumexp(t)", target=target)
    comment = f.source.split("f = logsumexp(t):")[1].split("\n", 1)[1]
    assert "1 on one number, whose logsumexp is the number itself" in comment.replace(
        "\n    # ", " "
    ).replace("\n  // ", " ")
    if target == "python":
        assert "    dt = dout\n" in f.source
    value, grads = f.value_and_grad(3.0)
    assert value == 6.0 and grads == (2.0,)
