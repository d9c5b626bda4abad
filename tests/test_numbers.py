"""Numbers at the edges, the same on every target: no overflow in sigmoid,
no complex number from a power, floats from float inputs, the tie rule for
constants, NaN in gives NaN out, and the array target's input conversion.

The JavaScript modules run in Node.js (one small script per module here,
since the points include NaN, which JSON cannot carry)."""

from __future__ import annotations

import math
import os
import shutil
import subprocess
import sys

import numpy as np
import pytest
from helpers import numerical_gradient
from hypothesis import given, settings
from hypothesis import strategies as st

import hnncompile

NODE = shutil.which("node")
TARGETS = ["python", "numpy", "js"]


def _js_number(value: float) -> str:
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    return repr(float(value))


def run_js(source: str, points, dout: float = 1.0, tmp_path=None):
    """Each point's (value, gradients) from the JavaScript module, in Node."""
    if NODE is None:
        if os.environ.get("CI"):
            raise RuntimeError("CI must run the JavaScript tests: install Node.js")
        pytest.skip("Node.js is not installed")
    calls = []
    for point in points:
        args = ", ".join(map(_js_number, point))
        calls.append(f"[forward({args}), ...backward({args}, {_js_number(dout)})]")
    script = (
        source + f"\nconsole.log(JSON.stringify([{', '.join(calls)}].map("
        "(r) => r.map(String))));\n"
    )
    result = subprocess.run(
        [NODE, "--input-type=module", "-e", script],
        capture_output=True,
        text=True,
        check=True,
    )
    import json

    rows = json.loads(result.stdout)
    return [(float(r[0]), tuple(float(g) for g in r[1:])) for r in rows]


def value_and_grads(program: str, target: str, point, dout: float = 1.0):
    """forward's value and backward's gradients on `target` at `point`."""
    f = hnncompile.compile(program, target=target)
    if target == "js":
        [(value, grads)] = run_js(f.source, [point], dout)
        return value, grads
    with np.errstate(invalid="ignore"):  # NumPy warns where its log is NaN
        return _call(f, target, point, dout)


def _call(f, target, point, dout):
    value, grads = f(*point), f.backward(*point, dout=dout)
    if target == "numpy":  # numbers, and arrays of one element: the same
        arrays = [np.array([v]) for v in point]
        assert same(f(*arrays)[0], value)
        got = f.backward(*arrays, dout=dout)
        assert all(same(g[0], w) for g, w in zip(got, grads)), (got, grads)
    return value, grads


def same(a: float, b: float) -> bool:
    """Equal as numbers, NaN equal to NaN."""
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return a == pytest.approx(b, rel=1e-12)


# 4. sigmoid never overflows -------------------------------------------------


@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize("x, value", [(-1000.0, 0.0), (1000.0, 1.0), (-745.5, 0.0)])
def test_sigmoid_saturates_without_overflow(target, x, value):
    got, (grad,) = value_and_grads("f = sigmoid(x)", target, (x,))
    assert got == value and grad == 0.0


def test_sigmoid_keeps_its_precision_on_both_sides():
    f = hnncompile.compile("f = sigmoid(x)")
    for x in (-700.0, -40.0, -3.0, -1e-9, 0.0, 2.5, 40.0):
        exact = math.exp(x) / (1 + math.exp(x)) if x < 0 else 1 / (1 + math.exp(-x))
        assert f(x) == pytest.approx(exact, rel=1e-14)
        (grad,) = f.backward(x)
        assert grad == pytest.approx(exact * (1 - exact), rel=1e-12)
        if abs(x) < 50:
            assert grad == pytest.approx(numerical_gradient(f, [x])[0], rel=1e-6)


def test_sigmoid_on_the_python_target_everywhere_it_is_called():
    f = hnncompile.compile("f = sigmoid(x)")
    assert f(-1000.0) == 0.0
    assert f.backward(-1000.0) == (0.0,)
    assert f.grad(-1000.0) == (0.0, {"x": 0.0})
    assert f.value_and_grad(1000.0) == (1.0, (0.0,))
    neuron = hnncompile.compile("q = a*x + b*y + c\nf = sigmoid(q)")
    assert neuron.grad(1.0, -1000.0, 0.0, 0.0, 0.0) == (
        0.0,
        dict.fromkeys("axbyc", 0.0),
    )


def test_sigmoid_on_arrays_raises_no_numpy_warning():
    f = hnncompile.compile("f = sigmoid(x)", target="numpy")
    x = np.array([-1e308, -1000.0, -30.0, 0.0, 30.0, 1000.0, 1e308])
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        value = f(x)
        (grad,) = f.backward(x)
        fast_value, (fast_grad,) = f.value_and_grad(x)
    np.testing.assert_array_equal(value[[0, 1, 6]], [0.0, 0.0, 1.0])
    np.testing.assert_allclose(value[2:6], 1 / (1 + np.exp(-x[2:6])), rtol=1e-14)
    np.testing.assert_array_equal(fast_value, value)
    np.testing.assert_array_equal(grad[[0, 1, 5, 6]], 0.0)
    np.testing.assert_array_equal(fast_grad, grad)
    x32 = x[1:-1].astype(np.float32)  # 1e308 is not a float32
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        assert f(x32).dtype == np.float32


def _points() -> np.ndarray:
    rng = np.random.default_rng(3)
    edges = [-1e308, -1000.0, -745.5, -709.8, -40.0, -1e-300, -0.0, 0.0, 1e-300]
    edges += [40.0, 709.8, 1000.0, math.inf, -math.inf, math.nan]
    return np.concatenate([edges, rng.normal(scale=20, size=400)])


@pytest.mark.parametrize(
    "program", ["f = sigmoid(x)", "f = relu(x)", "f = max(0, x)", "f = max(x, 1.5)"]
)
def test_the_array_target_gives_the_python_targets_numbers(program):
    """SPEC: on scalars the array target gives the python target's numbers.
    The sigmoid's two branches and the ReLU's step are written for NumPy
    in the forms that are cheapest (e^min(x,0) / (1 + e^-|x|), the sign of
    the output): the python target's numbers to the last bit or two (NumPy's
    exp is not the C library's), NaN included and with no NumPy warning
    there, in backward and in the fast path alike."""
    python = hnncompile.compile(program)
    array = hnncompile.compile(program, target="numpy")
    x = _points()
    want = np.array([python(v) for v in x])
    want_grad = np.array([python.backward(v, dout=-0.5)[0] for v in x])
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        value = array(x)
        (grad,) = array.backward(x, dout=-0.5)
        fast_value, (fast_grad,) = array.value_and_grad(x, dout=-0.5)
    for got, wanted in ((value, want), (fast_value, want)):
        np.testing.assert_allclose(got, wanted, rtol=5e-16, atol=1e-320)
    for got in (grad, fast_grad):
        np.testing.assert_allclose(got, want_grad, rtol=5e-16, atol=1e-320)
    assert math.isnan(value[14]) and math.isnan(fast_grad[14])
    np.testing.assert_array_equal(fast_value, value)
    np.testing.assert_array_equal(fast_grad, grad)


def test_the_cli_grad_of_a_saturated_sigmoid():
    result = subprocess.run(
        [sys.executable, "-m", "hnncompile", "grad", "-e", "f = sigmoid(x)", "x=-1000"],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert "f = 0" in result.stdout


@pytest.mark.parametrize("target", TARGETS)
def test_tanh_saturates_to_plus_and_minus_one(target):
    for x, value in [(-1000.0, -1.0), (1000.0, 1.0)]:
        got, (grad,) = value_and_grads("f = tanh(x)", target, (x,))
        assert (got, grad) == (value, 0.0)


# 5. powers: nan where no real number is, never a complex one -----------------


@pytest.mark.parametrize("target", TARGETS)
def test_a_negative_base_to_an_integer_power_has_its_base_gradient(target):
    value, (da, db) = value_and_grads("f = a**b", target, (-2.0, 3.0))
    assert value == -8.0 and da == 12.0 and math.isnan(db)


@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize(
    "program, point",
    [
        ("f = a**b", (-2.0, 0.5)),
        ("f = a**b", (-8.0, 1 / 3)),
        ("f = x**0.5", (-4.0,)),
        ("f = x**1.5", (-4.0,)),
        ("f = x**-0.5", (-0.25,)),
        ("f = (-2)**y", (0.5,)),
    ],
)
def test_no_real_power_is_nan_not_complex(target, program, point):
    with np.errstate(invalid="ignore"):
        value, grads = value_and_grads(program, target, point)
    assert isinstance(value, float) and math.isnan(value)
    assert all(isinstance(g, float) and math.isnan(g) for g in grads)


def test_the_python_targets_power_gradients_where_they_exist():
    f = hnncompile.compile("f = a**b")
    da, db = f.backward(-2.0, 2.0)
    assert da == -4.0 and math.isnan(db)
    assert f.backward(2.0, 3.0) == pytest.approx((12.0, math.log(2) * 8))
    constant_base = hnncompile.compile("f = 2**y")
    assert constant_base.backward(3.0) == pytest.approx((math.log(2) * 8,))
    assert "if 2 > 0" not in constant_base.source  # no test a constant decides
    negative = hnncompile.compile("f = (-2)**y")
    assert negative(3.0) == -8.0
    assert math.isnan(negative.backward(3.0)[0])  # d/dy needs log(-2)


@given(
    base=st.floats(-1e3, -1e-3),
    exponent=st.floats(-5, 5).filter(lambda p: abs(p - round(p)) > 1e-9),
)
@settings(max_examples=60, deadline=None)
def test_negative_bases_to_fractional_powers_on_the_array_target(base, exponent):
    """Any negative base to a non-integer power: nan, a float, everywhere."""
    program = f"f = x**y + x**{exponent!r}"
    for target in ("python", "numpy"):
        f = hnncompile.compile(program, target=target)
        with np.errstate(invalid="ignore", over="ignore"):
            results = [f(base, exponent), *f.backward(base, exponent)]
            results += [f.value_and_grad(base, exponent)[0]]
        for result in results:
            assert isinstance(result, float) and math.isnan(result), (target, result)


def test_check_on_a_fractional_power_does_not_crash():
    result = subprocess.run(
        [sys.executable, "-m", "hnncompile", "check", "-e", "x**0.5", "--seed", "1"],
        capture_output=True,
        text=True,
    )
    assert "Traceback" not in result.stderr, result.stderr
    assert result.returncode in (0, 1)


# 6. float inputs give float results ------------------------------------------


@pytest.mark.parametrize(
    "program, x, value",
    [
        ("f = max(0, x)", -1.5, 0.0),
        ("f = max(x, 0)", -1.5, 0.0),
        ("f = min(x, 2)", 3.0, 2.0),
        ("f = min(2, x, 5)", 3.0, 2.0),
        ("f = relu(x)", -1.5, 0.0),
    ],
)
def test_a_constant_result_of_a_float_input_is_a_float(program, x, value):
    f = hnncompile.compile(program)
    result = f(x)
    assert type(result) is float and result == value
    assert type(f.value_and_grad(x)[0]) is float


# 7. a constant that ties wins -------------------------------------------------

CONSTANT_TIES = [
    ("f = max(a, 0)", (0.0,), (0.0,)),  # the tutorial's a > 0 ? dx : 0.0
    ("f = max(0, a)", (0.0,), (0.0,)),
    ("f = relu(a)", (0.0,), (0.0,)),
    ("f = min(a, 0)", (0.0,), (0.0,)),
    ("f = min(0, a)", (0.0,), (0.0,)),
    ("f = max(a, 2)", (2.0,), (0.0,)),
    ("f = max(a, 2)", (2.5,), (1.0,)),
    ("f = max(a, b, 0)", (0.0, 0.0), (0.0, 0.0)),
    ("f = max(a, 0, b)", (0.0, 0.0), (0.0, 0.0)),
    ("f = max(a, b, 0)", (1.0, 1.0), (1.0, 0.0)),  # wire ties: the first
    ("f = max(a, b)", (0.0, 0.0), (1.0, 0.0)),
    ("f = min(a, b, 1)", (1.0, 2.0), (0.0, 0.0)),
    ("f = min(a, b, 1)", (0.5, 0.5), (1.0, 0.0)),
    # Wires tied at an infinity tie as any others do (inf - inf is no step).
    ("f = max(a, b)", (math.inf, math.inf), (1.0, 0.0)),
    ("f = max(a, b)", (-math.inf, -math.inf), (1.0, 0.0)),
    ("f = min(a, b)", (math.inf, math.inf), (1.0, 0.0)),
    ("f = min(a, b)", (-math.inf, -math.inf), (1.0, 0.0)),
]


@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize("program, point, expected", CONSTANT_TIES)
def test_a_constant_that_ties_wins(target, program, point, expected):
    _, grads = value_and_grads(program, target, point)
    assert grads == expected


def test_max_with_a_constant_reads_like_the_tutorial():
    f = hnncompile.compile("var x = Math.max(a, 0);")
    assert "x = max(a, 0.0)" in f.source  # the ReLU, as the tutorial says
    assert "da = dout if a > 0 else 0.0 if a <= 0 else math.nan" in f.source
    assert f.backward(0.5) == (1.0,) and f.backward(-0.5) == (0.0,)
    assert f.backward(0.5) == pytest.approx(numerical_gradient(f, [0.5]))
    g = hnncompile.compile("x = max(2, a)")
    assert "x = max(a, 2.0)" in g.source
    assert "da = dout if a > 2.0 else 0.0 if a <= 2.0 else math.nan" in g.source
    assert g.backward(2.5) == (1.0,) and g.backward(1.5) == (0.0,)
    assert g.backward(2.5) == pytest.approx(numerical_gradient(g, [2.5]))


# 8. NaN in gives NaN out ---------------------------------------------------

NAN = math.nan
NAN_CASES = [
    ("f = max(1, x)", (NAN,)),
    ("f = max(x, 1)", (NAN,)),
    ("f = min(1, x)", (NAN,)),
    ("f = min(x, -1)", (NAN,)),
    ("f = relu(x)", (NAN,)),
    ("f = abs(x)", (NAN,)),
    ("f = max(x, y)", (NAN, 1.0)),
    ("f = max(x, y)", (1.0, NAN)),
    ("f = min(x, y)", (NAN, 1.0)),
    ("f = min(x, y)", (1.0, NAN)),
    ("f = max(x, y, 0)", (1.0, NAN)),
    ("f = sigmoid(x)", (NAN,)),
    ("f = x**y", (NAN, 2.0)),
    ("f = x**0.5", (NAN,)),
]


@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize("program, point", NAN_CASES)
def test_nan_in_gives_nan_out(target, program, point):
    with np.errstate(invalid="ignore"):
        value, grads = value_and_grads(program, target, point)
    assert math.isnan(value)
    assert all(math.isnan(g) for g in grads), grads


@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize(
    "program, point",
    [
        ("f = max(x, y)", (1.0, 2.0)),
        ("f = max(x, y)", (2.0, 1.0)),
        ("f = min(x, y)", (1.0, 2.0)),
        ("f = max(x, -1.5)", (-1.0,)),
        ("f = min(x, -1.5)", (-1.0,)),
        ("f = relu(x)", (0.25,)),
        ("f = abs(x)", (-0.25,)),
        ("f = abs(x)", (0.0,)),
        ("f = x**y", (-2.0, 2.0)),
        ("f = x**y", (1.5, -0.5)),
        ("f = x**-1.5", (0.5,)),
        ("f = 3**y", (0.5,)),
    ],
)
def test_the_rewritten_gates_give_the_python_targets_numbers(target, program, point):
    python = hnncompile.compile(program)
    want_value = python(*point)
    want = python.backward(*point, dout=-0.5)
    value, grads = value_and_grads(program, target, point, dout=-0.5)
    assert same(value, want_value)
    assert all(same(g, w) for g, w in zip(grads, want)), (grads, want)
    if not any(math.isnan(w) for w in want) and 0.0 not in point:
        numerical = numerical_gradient(python.forward, point)
        assert want == pytest.approx([-0.5 * n for n in numerical], rel=1e-6)


def test_the_fast_path_computes_the_sigmoids_input_once():
    """The fast path folds a temporary into the expression that uses it,
    except into a template that reads it twice (the sigmoid's two sides)."""
    f = hnncompile.compile("q = a*x + b*y + c\nf = sigmoid(q)")
    source = f.value_and_grad_source
    assert source.count("a * x") == 1 and source.count("b * y") == 1
    assert f.value_and_grad(1.0, -1.0, 2.0, 3.0, -3.0)[0] == f(
        1.0, -1.0, 2.0, 3.0, -3.0
    )


# 9, 13. the array target takes booleans, integers and lists as floats -------


def test_booleans_and_integers_are_taken_as_floats():
    add = hnncompile.compile("f = a + b", target="numpy")
    np.testing.assert_array_equal(add(np.array([True, False]), [True, True]), [2, 1])
    sub = hnncompile.compile("f = a - b", target="numpy")
    np.testing.assert_array_equal(sub(np.array([True, False]), [True, True]), [0, -1])
    inverse = hnncompile.compile("f = x**-1", target="numpy")
    np.testing.assert_array_equal(inverse(np.array([1, 2, 4])), [1.0, 0.5, 0.25])
    np.testing.assert_array_equal(inverse.backward(np.array([1, 2]))[0], [-1, -0.25])
    square = hnncompile.compile("f = x**2", target="numpy")
    big = np.array([3037000500], dtype=np.int64)
    assert square(big)[0] == pytest.approx(3037000500.0**2) and square(big)[0] > 0
    value, (grad,) = square.value_and_grad(big)
    assert value[0] > 0 and grad.dtype == np.float64
    assert square(3) == 9.0 and type(square(3)) is float


def test_float32_stays_float32_everywhere():
    program = "f = mean(sigmoid(w * x) + max(x, 0) + abs(x) + x**0.5 + 2**x) + sum(x)"
    f = hnncompile.compile(program, target="numpy")
    x = np.array([0.5, 1.5, 2.0], dtype=np.float32)
    w = np.float32(0.3)
    assert f(w, x).dtype == np.float32
    assert [g.dtype for g in f.backward(w, x)] == [np.float32, np.float32]
    value, grads = f.value_and_grad(w, x)
    assert value.dtype == np.float32 and [g.dtype for g in grads] == [np.float32] * 2
    (dmean,) = hnncompile.compile("f = mean(x)", target="numpy").backward(x)
    assert dmean.dtype == np.float32
    np.testing.assert_array_equal(dmean, np.float32(1 / 3))


def test_lists_and_tuples_are_arrays():
    f = hnncompile.compile("f = sum(u * v)", target="numpy")
    assert f(u=[1.0, 2.0], v=[3.0, 4.0]) == 11.0
    du, dv = f.backward([1.0, 2.0], (3, 4))
    np.testing.assert_array_equal(du, [3.0, 4.0])
    np.testing.assert_array_equal(dv, [1.0, 2.0])
    value, (du, dv) = f.value_and_grad([1, 2], [3, 4])
    assert value == 11.0 and du.dtype == np.float64


def test_dask_integer_arrays_stay_lazy_and_become_floats():
    da = pytest.importorskip("dask.array")
    f = hnncompile.compile("f = sum(x**-1)", target="numpy")
    x = da.from_array(np.array([1, 2, 4, 8]), chunks=2)
    value = f(x)
    (grad,) = f.backward(x)
    assert isinstance(value, da.Array) and isinstance(grad, da.Array)
    assert value.compute() == 1.875
    np.testing.assert_array_equal(grad.compute(), [-1.0, -0.25, -0.0625, -1 / 64])


def test_the_conversion_is_one_line_a_learner_can_read():
    source = hnncompile.compile("q = a*x + b", target="numpy").source
    assert "def floats(*inputs):" in source
    assert source.count("    a, x, b = floats(a, x, b)\n") == 2  # forward, backward
    no_inputs = hnncompile.compile("f = 2 * 3", target="numpy").source
    assert "floats(" not in no_inputs
    python = hnncompile.compile("q = a*x + b").source
    assert "floats(" not in python


def test_an_input_named_like_the_helper_keeps_its_name_in_the_api():
    f = hnncompile.compile("f = floats * 2", target="numpy")
    assert "floats_ = floats(floats_)" not in f.source  # one name: a list target
    assert "[floats_] = floats(floats_)" in f.source
    assert f(floats=[1, 2]).tolist() == [2.0, 4.0]
    assert f.backward(floats=3)[0] == 2.0
