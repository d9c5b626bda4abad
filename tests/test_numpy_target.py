"""The array target (`target="numpy"`): broadcasting, reductions, and the same
numbers as the python target.

Three references: the python target on plain numbers (itself checked
against numerical gradients elsewhere), the python target applied element
by element, and centred differences taken here on every array element.
"""

from __future__ import annotations

import ast
import math
from pathlib import Path

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from test_properties import INPUTS, POINTS, programs

import hnncompile

EXAMPLES = Path(__file__).parent.parent / "examples"
SVM_COST = "L = sum(max(0, -y*(w0*x0 + w1*x1 + w2) + 1)) + alpha*(w0*w0 + w1*w1)"
# The tutorial's three points, labels and weights (chapter 2).
SVM_DATA = dict(
    x0=np.array([1.2, -0.3, 3.0]),
    x1=np.array([0.7, 0.5, 2.5]),
    y=np.array([1.0, -1.0, 1.0]),
    alpha=0.1,
)
SVM_WEIGHTS = dict(w0=0.1, w1=0.2, w2=0.3)


def call(f, function, values, **options):
    return function(*[values[name] for name in f.inputs], **options)


def compiled(program: str, **options) -> hnncompile.CompiledFunction:
    """A random program, or a skipped draw if its constants have no value."""
    try:
        return hnncompile.compile(program, **options)
    except hnncompile.CompileError:
        assume(False)


def numerical_array_gradients(f, values, dout, h=1e-6):
    """d sum(dout * f) / d every element of every input, by centred differences."""
    grads = {}
    for name in f.inputs:
        base = np.asarray(values[name], dtype=float)
        grad = np.zeros_like(base)
        for index in np.ndindex(base.shape):
            up, down = base.copy(), base.copy()
            up[index] += h
            down[index] -= h
            f_up = call(f, f.forward, dict(values, **{name: up}))
            f_down = call(f, f.forward, dict(values, **{name: down}))
            grad[index] = np.sum(dout * (f_up - f_down)) / (2 * h)
        grads[name] = grad[()]  # a number for a number
    return grads


def test_the_tutorials_svm_cost_is_1_815():
    f = hnncompile.compile(SVM_COST, target="numpy", wrt=list(SVM_WEIGHTS))
    values = dict(SVM_DATA, **SVM_WEIGHTS)
    assert call(f, f.forward, values) == pytest.approx(1.815)
    # Its pieces, as the tutorial prints them: 0.440, 1.370, 0.000 and 0.005.
    hinge = hnncompile.compile("max(0, -y*(w0*x0 + w1*x1 + w2) + 1)", target="numpy")
    assert call(hinge, hinge.forward, values) == pytest.approx([0.44, 1.37, 0.0])
    grads = call(f, f.backward, values)
    numerical = numerical_array_gradients(f, values, dout=1.0)
    assert grads == pytest.approx([numerical[w] for w in SVM_WEIGHTS], rel=1e-6)
    # By hand: the first two points violate the margin, each pulling on the
    # weights by -y_i * x_i; the regularization adds 2 * alpha * w.
    assert grads == pytest.approx(
        [-1.2 - 0.3 + 0.02, -0.7 + 0.5 + 0.04, -1.0 + 1.0], abs=1e-12
    )
    assert all(isinstance(g, float) for g in grads)  # scalars in, numbers out


@pytest.mark.parametrize(
    "program",
    [
        "f = a * b + c",
        "f = sum(a * b + c)",
        "f = mean(max(a, b) * c) + sum(exp(-a * a))",
        "f = sigmoid(a * b) / (1 + c * c)",
        "q = a * b; f = q * q + sum(q) * c",
        "f = relu(a - b) + abs(b - c) + min(a, c)",
    ],
)
@pytest.mark.parametrize(
    "shapes",
    [
        [(3, 1), (1, 4), ()],
        [(3, 4), (4,), (3, 1)],
        [(), (2, 3), (1,)],
        [(5,), (), ()],
    ],
)
def test_broadcast_inputs_get_gradients_of_their_own_shape(program, shapes):
    f = hnncompile.compile(program, target="numpy")
    rng = np.random.default_rng(len(program) + len(shapes))
    values = {
        name: rng.uniform(0.5, 1.5, size=shape) * rng.choice([-1, 1], size=shape)
        for name, shape in zip("abc", shapes)
    }
    values = {name: values[name] for name in f.inputs}
    out = call(f, f.forward, values)
    dout = rng.normal(size=np.shape(out))
    grads = call(f, f.backward, values, dout=dout)
    numerical = numerical_array_gradients(f, values, dout)
    for name, grad in zip(f.inputs, grads):
        assert np.shape(grad) == np.shape(values[name]), name
        np.testing.assert_allclose(grad, numerical[name], rtol=1e-6, atol=1e-8)


def test_a_scalar_dout_stands_for_every_element():
    f = hnncompile.compile("f = a * x + b", target="numpy")
    x = np.array([1.0, 2.0, 3.0])
    # With dout 1.0, each weight's gradient sums over the three points.
    da, dx, db = f.backward(2.0, x, 5.0)
    assert (da, list(dx), db) == (6.0, [2.0] * 3, 3.0)
    da, dx, db = f.backward(2.0, x, 5.0, dout=0.5)
    assert (da, list(dx), db) == (3.0, [1.0] * 3, 1.5)
    da, dx, db = f.backward(2.0, x, 5.0, dout=np.array([1.0, 0.0, -1.0]))
    assert (da, db) == (-2.0, 0.0) and list(dx) == [2.0, 0.0, -2.0]


def test_dout_is_never_changed_in_place():
    """Gradients are shared between wires (`da = dout; db = dout`): the
    generated code adds with `d = d + g`, so no array the caller passed,
    nor one gradient another returns, is written to."""
    f = hnncompile.compile("q = a + b; f = q * a + q", target="numpy")
    a, b = np.array([1.0, 2.0]), np.array([3.0, 4.0])
    dout = np.array([1.0, 1.0])
    da, db = f.backward(a, b, dout=dout)
    assert list(dout) == [1.0, 1.0]
    assert list(da) == pytest.approx(list(2 * a + b + 1)) and list(db) == [2.0, 3.0]
    assert "+=" not in f.source


@given(programs(), POINTS)
def test_on_numbers_it_gives_the_python_targets_numbers(program, values):
    point = dict(zip(INPUTS, values))
    python = compiled(program)
    args = [point[name] for name in python.inputs]
    try:
        expected_value = python(*args)
        expected_grads = python.backward(*args, dout=0.7)
    except (ArithmeticError, ValueError):
        assume(False)
    assume(all(isinstance(v, float) for v in [expected_value, *expected_grads]))
    assume(all(abs(v) < 1e12 for v in [expected_value, *expected_grads]))
    array = compiled(program, target="numpy")
    with np.errstate(all="ignore"):
        value, grads = array(*args), array.backward(*args, dout=0.7)
    assert value == pytest.approx(expected_value, rel=1e-12, abs=1e-300)
    assert grads == pytest.approx(expected_grads, rel=1e-9, abs=1e-12)
    # Numbers in, numbers out: no 0-d arrays.
    assert all(not isinstance(v, np.ndarray) for v in [value, *grads])


SHAPES = st.sampled_from([(), (4,), (3, 1), (1, 4), (3, 4), (1,)])


@given(
    programs().filter(lambda p: "sum(" not in p and "mean(" not in p),
    st.lists(SHAPES, min_size=3, max_size=3),
    st.integers(0, 2**32 - 1),
)
def test_elementwise_programs_match_the_python_target_element_by_element(
    program, shapes, seed
):
    """Without sum or mean a program is elementwise: on arrays it computes,
    at each element of the broadcast output, what the python target computes
    there, and a broadcast input's gradient is the sum of the python
    target's gradients over the elements it was broadcast to."""
    python = compiled(program)
    array = compiled(program, target="numpy")
    rng = np.random.default_rng(seed)
    values = {
        name: np.round(rng.uniform(-2, 2, size=shape), 3)
        for name, shape in zip(INPUTS, shapes)
    }
    values = {name: values[name] for name in array.inputs}
    try:
        shape = np.broadcast_shapes(*(np.shape(v) for v in values.values()))
    except ValueError:
        assume(False)
    with np.errstate(all="ignore"):
        value = call(array, array.forward, values)
    # (An output that does not use every input has a smaller shape.)
    assume(np.shape(value) == shape)
    dout = np.round(rng.uniform(-1, 1, size=shape), 3)
    expected_value = np.zeros(shape)
    expected_grads = {name: np.zeros(shape) for name in values}
    spread = {name: np.broadcast_to(v, shape) for name, v in values.items()}
    for index in np.ndindex(shape):
        point = [float(spread[name][index]) for name in array.inputs]
        try:
            expected_value[index] = python(*point)
            grads = python.backward(*point, dout=float(dout[index]))
        except (ArithmeticError, ValueError, TypeError):
            assume(False)
        for name, g in zip(array.inputs, grads):
            expected_grads[name][index] = g
    assume(np.all(np.isfinite(expected_value)) and np.all(np.abs(expected_value) < 1e9))
    with np.errstate(all="ignore"):
        grads = call(array, array.backward, values, dout=dout)
    np.testing.assert_allclose(value, expected_value, rtol=1e-9, atol=1e-12)
    for name, grad in zip(array.inputs, grads):
        reduced = expected_grads[name]
        while reduced.ndim > np.ndim(values[name]):
            reduced = reduced.sum(axis=0)
        for axis, n in enumerate(np.shape(values[name])):
            if n == 1:
                reduced = reduced.sum(axis=axis, keepdims=True)
        assert np.shape(grad) == np.shape(values[name])
        np.testing.assert_allclose(grad, reduced, rtol=1e-7, atol=1e-9)


@given(programs(), st.lists(SHAPES, min_size=3, max_size=3), st.integers(0, 2**32 - 1))
def test_random_programs_on_broadcast_arrays_have_numerical_gradients(
    program, shapes, seed
):
    """With sum and mean too: every element's gradient against centred
    differences. A kink within the step (relu, abs, max, min) shows as two
    step sizes disagreeing, and such draws are skipped."""
    f = compiled(program, target="numpy")
    rng = np.random.default_rng(seed)
    values = {
        name: rng.uniform(-2, 2, size=shape) for name, shape in zip(INPUTS, shapes)
    }
    values = {name: values[name] for name in f.inputs}
    try:
        np.broadcast_shapes(*(np.shape(v) for v in values.values()))
    except ValueError:
        assume(False)
    with np.errstate(all="ignore"):
        out = call(f, f.forward, values)
        assume(np.all(np.isfinite(out)) and np.all(np.abs(out) < 1e6))
        dout = rng.uniform(-1, 1, size=np.shape(out))
        grads = call(f, f.backward, values, dout=dout)
        coarse = numerical_array_gradients(f, values, dout, h=1e-5)
        fine = numerical_array_gradients(f, values, dout, h=1e-6)
    for name, grad in zip(f.inputs, grads):
        assert np.shape(grad) == np.shape(values[name])
        assume(np.allclose(coarse[name], fine[name], rtol=1e-4, atol=1e-6))
        np.testing.assert_allclose(grad, fine[name], rtol=1e-4, atol=1e-6)


@given(programs(), POINTS)
def test_value_and_grad_is_forward_and_backward_in_one_pass(program, values):
    point = dict(zip(INPUTS, values))
    # (numba compiles each program's loops: test_numba_target.py checks it)
    for target in [t for t in hnncompile.TARGETS if t != "numba"]:
        f = compiled(program, target=target)
        args = [point[name] for name in f.inputs]
        try:
            expected = (f(*args), f.backward(*args, dout=-1.5))
        except (ArithmeticError, ValueError):
            assume(False)
        with np.errstate(all="ignore"):
            value, grads = f.value_and_grad(*args, dout=-1.5)
        assert value == pytest.approx(expected[0], rel=1e-12, nan_ok=True)
        assert grads == pytest.approx(expected[1], rel=1e-12, nan_ok=True)


def test_value_and_grad_on_arrays_and_with_keywords():
    f = hnncompile.compile(SVM_COST, target="numpy", wrt=list(SVM_WEIGHTS))
    values = dict(SVM_DATA, **SVM_WEIGHTS)
    value, grads = f.value_and_grad(**values)
    assert value == pytest.approx(1.815)
    assert grads == pytest.approx(f.backward(**values))
    assert f.grad(**values)[1] == pytest.approx(dict(zip(SVM_WEIGHTS, grads)))
    assert "def value_and_grad(" in f.value_and_grad_source


def test_the_module_imports_only_numpy():
    source = hnncompile.compile_file(EXAMPLES / "svm_cost.hnn", target="numpy").source
    imports = [
        node
        for node in ast.walk(ast.parse(source))
        if isinstance(node, (ast.Import, ast.ImportFrom))
    ]
    assert [ast.unparse(node) for node in imports] == ["import numpy as np"]
    assert "math." not in source


def test_a_gradient_is_summed_back_where_its_input_may_be_broadcast():
    source = hnncompile.compile("f = a * b", target="numpy", comments=False).source
    assert "def unbroadcast(grad, like):" in source
    assert "da = unbroadcast(b * dout, a)" in source


def test_dask_arrays_run_through_the_same_module():
    """A chunked, lazy Dask array in; the same module; lazy results that
    agree with NumPy's. NumPy dispatches every operation the generated code
    uses (ufuncs and __array_function__) to Dask."""
    da = pytest.importorskip("dask.array")
    f = hnncompile.compile(SVM_COST, target="numpy", wrt=list(SVM_WEIGHTS))
    rng = np.random.default_rng(1)
    n = 100_000
    data = dict(
        x0=rng.normal(size=n),
        x1=rng.normal(size=n),
        y=np.sign(rng.normal(size=n)),
        alpha=0.1,
    )
    lazy = {
        name: da.from_array(v, chunks=n // 8) if np.ndim(v) else v
        for name, v in data.items()
    }
    expected_value, expected_grads = f.value_and_grad(**data, **SVM_WEIGHTS)
    value = f(**lazy, **SVM_WEIGHTS)
    grads = f.backward(**lazy, **SVM_WEIGHTS)
    assert isinstance(value, da.Array)  # lazy: nothing computed yet
    assert all(isinstance(g, da.Array) for g in grads)
    assert value.compute() == pytest.approx(expected_value, rel=1e-12)
    assert list(da.compute(*grads)) == pytest.approx(list(expected_grads), rel=1e-9)
    # Data with a batch axis of chunks and weights of their own shape.
    wide = hnncompile.compile("f = sum(relu(w * x + b))", target="numpy")
    x = rng.normal(size=(4000, 3))
    w, b = rng.normal(size=3), rng.normal(size=(1, 3))
    grads_numpy = wide.backward(w, x, b)
    grads_dask = wide.backward(w, da.from_array(x, chunks=(500, 3)), b)
    for g_numpy, g_dask in zip(grads_numpy, da.compute(*grads_dask)):
        assert np.shape(g_dask) == np.shape(g_numpy)
        np.testing.assert_allclose(g_dask, g_numpy, rtol=1e-10)
    assert math.isfinite(float(np.sum(grads_numpy[0])))


def test_the_fast_path_carries_unbroadcast_only_where_it_calls_it():
    a, b = np.array([1.0, 2.0, 3.0]), np.array([[4.0, 5.0, 6.0], [7.0, 8.0, 9.0]])
    generic = hnncompile.compile("f = a * b", target="numpy")
    shaped = hnncompile.compile(
        "f = a * b", target="numpy", shapes={"a": (3,), "b": (2, 3)}
    )
    assert "def unbroadcast(grad, like):" in generic.value_and_grad_source
    assert "da = unbroadcast(b * dout, a)" in generic.value_and_grad_source
    assert "unbroadcast" not in shaped.value_and_grad_source
    assert "da = (b * dout).sum(0)" in shaped.value_and_grad_source
    for f in (generic, shaped):
        value, (da, db) = f.value_and_grad(a, b)
        np.testing.assert_array_equal(value, a * b)
        np.testing.assert_array_equal(da, [11.0, 13.0, 15.0])
        np.testing.assert_array_equal(db, np.broadcast_to(a, (2, 3)))
