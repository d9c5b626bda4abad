"""The fused target (`target="numba"`): the numpy target's numbers, from one
loop over the elements compiled by Numba.

The reference is the numpy target (itself checked against the python
target, centred differences and JAX in test_numpy_target.py and
test_gates.py); here, besides it, JAX on the benchmark's two programs and
centred differences on every elementwise gate of the catalogue. Numba
compiles each program's loops the first time they run (about a second),
so each test compiles its program once and calls it on many inputs, and
the random programs are few unless HYPOTHESIS_PROFILE=thorough.
"""

from __future__ import annotations

import ast
import math
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from test_codegen import compare_with_golden
from test_properties import INPUTS, programs

import hnncompile
from hnncompile import cli
from hnncompile.gates import FUNCTIONS, GATES

pytest.importorskip("numba")

ROOT = Path(__file__).parent.parent
THOROUGH = os.environ.get("HYPOTHESIS_PROFILE") == "thorough"
NEURON = "f = sigmoid(a*x + b*y + c)"
TWO_LAYER = (ROOT / "benchmarks" / "fused.py").read_text().split('TWO_LAYER = """')[1]
TWO_LAYER = TWO_LAYER.split('"""')[0]
# The broadcasting scenarios of test_numpy_target.py, for three inputs:
# numbers, 1-D, (3, 1) against (4,), a (1, C) bias against (N, C), size 1.
SCENARIOS = [
    [(), (), ()],
    [(5,), (), ()],
    [(), (5,), (5,)],
    [(3, 1), (1, 4), ()],
    [(3, 4), (4,), (3, 1)],
    [(), (2, 3), (1,)],
    [(1, 3), (4, 3), ()],
    [(4, 3), (1, 3), (4, 1)],
    [(1,), (), (1, 1)],
]


def inputs(f, shapes, rng, low=-2.0, high=2.0) -> list:
    """Values for f's inputs, of `shapes` (in INPUTS order): a number for ()."""
    values = {}
    for name, shape in zip(INPUTS, shapes):
        v = rng.uniform(low, high, size=shape)
        values[name] = float(v) if shape == () else v
    return [values[name] for name in f.inputs]


def assert_same(got, want, rtol=1e-12):
    """Same shape, dtype kind and values (NaN where NaN); a sum's order of
    addition differs, so its absolute error scales with its terms."""
    assert np.shape(got) == np.shape(want)
    assert isinstance(got, np.ndarray) == isinstance(want, np.ndarray)
    scale = np.max(np.abs(want), initial=1.0) if np.size(want) else 1.0
    np.testing.assert_allclose(got, want, rtol=rtol, atol=1e-13 * scale)


def both(program: str, **options):
    try:
        return (
            hnncompile.compile(program, target="numba", **options),
            hnncompile.compile(program, target="numpy", **options),
        )
    except hnncompile.CompileError:
        assume(False)


def compare_on_every_scenario(fused, numpy_f, seed: int, scenarios=SCENARIOS):
    """forward, backward and value_and_grad agree with the numpy target on
    each scenario; returns how many scenarios had finite values."""
    rng = np.random.default_rng(seed)
    compared = 0
    for shapes in scenarios:
        args = inputs(numpy_f, shapes, rng)
        with np.errstate(all="ignore"):
            value = numpy_f(*args)
            dout = rng.uniform(-1, 1, size=np.shape(value)) if np.ndim(value) else 0.7
            grads = numpy_f.backward(*args, dout=dout)
        finite = np.all(np.isfinite(value)) and all(
            np.all(np.isfinite(g)) for g in grads
        )
        if not finite or np.max(np.abs(value), initial=0) > 1e9:
            continue
        compared += 1
        got_value, got_grads = fused.value_and_grad(*args, dout=dout)
        assert_same(got_value, value)
        assert_same(fused(*args), value)
        for got, want, again in zip(got_grads, grads, fused.backward(*args, dout=dout)):
            assert_same(got, want, rtol=1e-10)
            assert_same(again, got, rtol=0)
    return compared


@settings(max_examples=60 if THOROUGH else 6)
@given(programs(), st.integers(0, 2**32 - 1))
def test_random_programs_give_the_numpy_targets_numbers(program, seed):
    """With sum and mean: on every broadcasting scenario, each value and
    each gradient (in its input's shape) is the numpy target's."""
    fused, numpy_f = both(program)
    assume(compare_on_every_scenario(fused, numpy_f, seed) > 0)


@pytest.mark.parametrize(
    "program",
    [
        "f = sum(a * b + c)",
        "f = mean(max(a, b) * c) + sum(exp(-a * a))",
        "q = a * b; f = q * q + sum(q) * c",
        "f = sum(a * sum(b * c)) * c + mean(a)",  # a sum of a sum: three levels
        "f = relu(a - b) + abs(b - c) + min(a, c)",
    ],
)
def test_programs_with_reductions_on_every_scenario(program):
    fused, numpy_f = both(program)
    assert compare_on_every_scenario(fused, numpy_f, seed=len(program)) >= 8


def _elementwise_functions() -> list[str]:
    """Every function of the catalogue that acts element by element, as a
    call on the inputs a (and b): exp(a), max(a, b), ... (the catalogue's
    new gates join by themselves)."""
    calls = []
    for name, gate in sorted(FUNCTIONS.items()):
        if not gate.elementwise:
            continue
        args = ", ".join(["a", "b"][: len(gate.inputs)])
        calls.append(f"{name}({args})")
    return calls


def test_every_elementwise_gate_of_the_catalogue():
    """One program with every function and operator of the catalogue, on
    positive inputs (log and sqrt need them): the numpy target's numbers,
    and centred differences."""
    calls = _elementwise_functions()
    assert {"exp(a)", "sigmoid(a)", "max(a, b)", "abs(a)"} <= set(calls)
    operators = ["a + b", "a - b", "a * b", "a / b", "-a", "a**2", "a**3", "a**b"]
    operators += ["a**0.5", "2**a", "max(a, 0.5)", "min(a, 1)", "sum(a * c)"]
    program = "f = " + " + ".join(f"c * {term}" for term in [*calls, *operators])
    fused, numpy_f = both(program)
    used = {eqn.gate for eqn in fused.gates.eqns}
    elementwise = {n for n, g in GATES.items() if g.elementwise and n != "copy"}
    assert elementwise <= used, elementwise - used
    rng = np.random.default_rng(3)
    for shapes in SCENARIOS:
        args = [rng.uniform(0.3, 1.7, size=s) if s else 0.8 for s in shapes]
        value = numpy_f(*args)
        dout = rng.uniform(-1, 1, size=np.shape(value)) if np.ndim(value) else 0.5
        value_and_grads = fused.value_and_grad(*args, dout=dout)
        assert_same(value_and_grads[0], value)
        for got, want in zip(value_and_grads[1], numpy_f.backward(*args, dout=dout)):
            assert_same(got, want, rtol=1e-10)
    report = hnncompile.gradcheck(fused, 0.9, np.array([0.6, 1.3]), 1.1)
    assert report.passed, report


TIES = [  # test_gates.py's ties, each element a case: the first input wins
    ("max(a, b)", [1.0, 2.0, 3.0], [1.0, 1.0, 4.0]),
    ("min(a, b)", [1.0, 2.0, 3.0], [1.0, 1.0, 4.0]),
    ("relu(a) + 0 * b", [0.0, -1.0, 2.0], [0.0, 0.0, 0.0]),
    ("abs(a) + 0 * b", [0.0, -1.0, 2.0], [0.0, 0.0, 0.0]),
    ("max(a, 0) + b", [0.0, -1.0, 2.0], [1.0, 1.0, 1.0]),
    ("max(0, a) + b", [0.0, -1.0, 2.0], [1.0, 1.0, 1.0]),
    ("max(a, b, a * b)", [2.0, 1.0, 0.0], [1.0, 1.0, 5.0]),
]


@pytest.mark.parametrize("program, a, b", TIES)
def test_ties_go_where_the_numpy_target_sends_them(program, a, b):
    fused, numpy_f = both(f"f = {program}")
    a, b = np.array(a), np.array(b)
    for got, want in zip(fused.backward(a, b), numpy_f.backward(a, b)):
        np.testing.assert_array_equal(got, want)
    # ... and with one number against an array: the sums of the same steps.
    for got, want in zip(fused.backward(1.0, b), numpy_f.backward(1.0, b)):
        assert got == pytest.approx(want, rel=1e-12)


def test_nan_in_gives_nan_out_where_the_numpy_target_does():
    fused, numpy_f = both("f = max(a, b) + relu(a) * sigmoid(b) + abs(a - 1)")
    a = np.array([np.nan, 1.0, 0.0, -2.0])
    b = np.array([0.5, np.nan, 0.0, np.inf])
    with np.errstate(all="ignore"):
        want_value, want_grads = numpy_f.value_and_grad(a, b)
    value, grads = fused.value_and_grad(a, b)
    np.testing.assert_array_equal(value, want_value)  # NaN equals NaN here
    for got, want in zip(grads, want_grads):
        np.testing.assert_array_equal(got, want)
    # A NaN among the points makes a weight's summed gradient NaN.
    assert np.isnan(fused.backward(2.0, b)[0])


def test_the_relus_branch_free_rule_is_the_catalogues_to_the_bit():
    """The numba target writes the relu's rule as one choice (a select, no
    branch): NaN, the infinities and both zeros give what the python
    target's three-way rule gives, the sign of a zero included."""
    fused = hnncompile.compile("f = relu(a) * b", target="numba")
    python = hnncompile.compile("f = relu(a) * b")
    special = [math.nan, -math.inf, -2.0, -0.0, 0.0, 5e-324, 3.0, math.inf]
    a, b = np.meshgrid(special, [1.5, -0.0, 0.0, -math.inf, math.nan])
    want = np.array(
        [python.backward(x, y)[0] for x, y in zip(a.ravel(), b.ravel())]
    ).reshape(a.shape)
    got = fused.backward(a, b)[0]
    np.testing.assert_array_equal(got, want)  # NaN where NaN
    np.testing.assert_array_equal(np.signbit(got), np.signbit(want))


def test_float32_stays_float32_and_a_literal_does_not_promote_it():
    """Each element is computed in float64 (Numba's Python floats are), and
    stored as float32: the numpy target's float32 numbers, closer."""
    fused, numpy_f = both("f = sigmoid(a*x + 0.5) * 2.5 + sum(x * b) / 3")
    rng = np.random.default_rng(5)
    x = rng.normal(size=7).astype(np.float32)
    for a, b in [(1.5, -0.5), (np.float32(1.5), np.float32(-0.5))]:
        value, grads = fused.value_and_grad(a, x, b)
        want_value, want_grads = numpy_f.value_and_grad(a, x, b)
        assert value.dtype == np.float32 == want_value.dtype
        np.testing.assert_allclose(value, want_value, rtol=1e-6)
        for got, want in zip(grads, want_grads):
            assert np.asarray(got).dtype == np.float32, type(got)
            np.testing.assert_allclose(got, want, rtol=1e-5)
    # float64 anywhere makes everything float64, as NumPy's rules say.
    value = fused(1.5, x, np.float64(2.0))
    assert value.dtype == np.float64


def test_lists_booleans_and_integers_are_taken_as_the_numpy_target_takes_them():
    fused, numpy_f = both("f = a * x + b")
    for args in [(2, [1, 2, 3], True), (np.int32(2), np.arange(3), 0.5)]:
        value, grads = fused.value_and_grad(*args)
        want_value, want_grads = numpy_f.value_and_grad(*args)
        assert_same(value, want_value)
        for got, want in zip(grads, want_grads):
            assert_same(got, want)
    assert fused(2.0, 3.0, 1.0) == 7.0 and isinstance(fused(2.0, 3.0, 1.0), float)


def test_a_number_reaches_the_loop_as_a_number_and_an_array_contiguous():
    """Numba compiles a loop once for each mix of numbers and arrays: a weight
    that is one number (or an array of one element) is a float in the loop's
    signature, not an array read at every element; a strided array and one
    broadcast along an axis come in as contiguous elements; where a number's
    gradient would go, None (the loop adds it up instead)."""
    import inspect

    import numba

    fused, numpy_f = both("f = sigmoid(a*x + b*y + c) * 3")
    rng = np.random.default_rng(11)
    x = rng.normal(size=(2, 12))[:, ::2]  # strided: a view of every other column
    y = rng.normal(size=6)  # broadcast along x's first axis
    args = [1.5, x, np.array([-0.5]), y, np.float64(0.25)]
    value, grads = fused.value_and_grad(*args)
    want_value, want_grads = numpy_f.value_and_grad(*args)
    assert_same(value, want_value)
    for got, want in zip(grads, want_grads):
        assert_same(got, want)
    loop = fused.value_and_grad.__globals__["backward_loop"]
    names = list(inspect.signature(loop.py_func).parameters)
    (signature,) = loop.signatures  # this program's loop ran on one mix
    given = dict(zip(names, signature))
    for number in ["a_all", "b_all", "c_all", "dout_all"]:
        assert given[number] == numba.types.float64, (number, given[number])
    for array in ["x_all", "y_all", "f_all", "dx_all", "dy_all"]:
        assert isinstance(given[array], numba.types.Array), (array, given[array])
        assert given[array].layout == "C" and given[array].ndim == 1
    for number in ["da_all", "db_all", "dc_all"]:
        assert given[number] == numba.types.none, (number, given[number])


def test_the_benchmarks_programs_agree_with_jax_on_a_large_array_in_chunks():
    """Past PARALLEL_FROM elements the loop runs in chunks, one per thread:
    JAX's value and gradients on the weights (the same numbers as one
    thread's, but for the order of the sums)."""
    jax = pytest.importorskip("jax")
    jax.config.update("jax_enable_x64", True)
    import jax.numpy as jnp

    rng = np.random.default_rng(7)
    n = 150_000
    x, y, dout = rng.normal(size=n), rng.normal(size=n), rng.normal(size=n)
    weights = rng.uniform(-1, 1, size=13)
    for program, jax_forward in [
        (NEURON, lambda w: jax.nn.sigmoid(w[0] * x + w[1] * y + w[2])),
        (TWO_LAYER, lambda w: _jax_two_layer(jnp, w, x, y)),
    ]:
        f = hnncompile.compile(program, target="numba")
        names = [name for name in f.inputs if name not in ("x", "y")]
        values = dict(zip(names, weights.tolist()), x=x, y=y)
        value, grads = f.value_and_grad(**values, dout=dout)
        w = jnp.array([values[name] for name in names])
        want, pullback = jax.vjp(jax_forward, w)
        (want_grads,) = pullback(jnp.array(dout))
        np.testing.assert_allclose(value, np.asarray(want), rtol=1e-12)
        got = [grads[f.wrt.index(name)] for name in names]
        np.testing.assert_allclose(got, np.asarray(want_grads), rtol=1e-9)


def _jax_two_layer(jnp, w, x, y):
    n1 = jnp.maximum(0, w[0] * x + w[1] * y + w[2])
    n2 = jnp.maximum(0, w[3] * x + w[4] * y + w[5])
    n3 = jnp.maximum(0, w[6] * x + w[7] * y + w[8])
    return w[9] * n1 + w[10] * n2 + w[11] * n3 + w[12]


@pytest.mark.parametrize(
    "program, construct, column",
    [
        ("f = a @ b", "the matrix product", 7),
        ("f = a.T * b", "the attribute '.T'", 7),
        ("q = a * b\nf = sum(q, axis=1) * b", "a reduction over an axis", 5),
        ("f = a[0] * b", "indexing", 6),
        ("f = a.reshape(2, 3) * b", "a method call", 7),
    ],
)
def test_matrices_are_refused_where_they_stand(program, construct, column):
    with pytest.raises(hnncompile.CompileError) as caught:
        hnncompile.compile(program, target="numba")
    error = caught.value
    assert construct in error.message and "target='numpy'" in error.message
    assert (error.line, error.column) == (program.count("\n") + 1, column)


def test_every_reduction_but_sum_and_mean_is_refused():
    """The loops add a reduction's elements up as they go: right for sum and
    mean only. Every other reduction of the catalogue (logsumexp, whose
    scalar form is its input; the new ones, as they come) is refused."""
    from hnncompile.codegen.numba_target import NumbaTarget

    target = NumbaTarget()
    reductions = {name for name, gate in GATES.items() if gate.reduces}
    assert {"sum", "mean", "logsumexp"} <= reductions
    for name in reductions:
        refused = target.refuses(GATES[name])
        assert (refused is None) == (name in ("sum", "mean")), (name, refused)


@pytest.mark.parametrize(
    "program, line, column",
    [
        ("f = logsumexp(x)", 1, 5),
        ("f = log(sum(exp(x)))", 1, 5),  # the stability pass makes it logsumexp
        ("q = a * x\nf = b * log(sum(exp(q)))", 2, 9),
    ],
)
def test_logsumexp_is_refused_not_computed_as_a_sum(program, line, column, capsys):
    with pytest.raises(hnncompile.CompileError) as caught:
        hnncompile.compile(program, target="numba")
    error = caught.value
    assert "logsumexp over all elements" in error.message
    assert "target='numpy'" in error.message
    assert (error.line, error.column) == (line, column)
    assert cli.main(["compile", "-e", program, "--target", "numba"]) == 2
    err = capsys.readouterr().err
    assert "logsumexp" in err and "Traceback" not in err


# The stable elementwise gates, written or reached by the stability pass, on
# numbers where the naive forms overflow, round to 0 or lose their digits.
STABLE = [
    "f = softplus(a * x)",
    "f = log_sigmoid(a * x)",
    "f = log(1 + exp(a * x))",
    "f = log(sigmoid(a * x))",
    "f = expm1(a * x) + exp(a * x) - 1",
    "f = log1p(a * x * x) + log(1 + a * x * x)",
]
EXTREMES = [-1000.0, -745.0, -40.0, -1e-10, 0.0, 1e-12, 1e-5, 3.0, 40.0, 700.0]


@pytest.mark.parametrize("program", STABLE)
def test_the_stable_gates_give_the_numpy_targets_numbers_at_the_extremes(program):
    fused, numpy_f = both(program)
    used = {eqn.gate for eqn in fused.gates.eqns}
    assert used & {"softplus", "log_sigmoid", "expm1", "log1p"}, used
    x = np.array(EXTREMES)
    if "log1p" in used:
        x = x[x > -1e-3]  # log1p(a*x*x) wants a*x*x > -1; exp(700) squared overflows
        x = x[np.abs(x) < 40]
    for a in [1.0, np.full(x.shape, 0.5)]:
        with np.errstate(all="ignore"):
            want_value, want_grads = numpy_f.value_and_grad(a, x)
        value, grads = fused.value_and_grad(a, x)
        assert np.all(np.isfinite(value)) and np.all(np.isfinite(want_value))
        assert_same(value, want_value)
        for got, want in zip(grads, want_grads):
            assert np.all(np.isfinite(got))
            assert_same(got, want, rtol=1e-10)
    report = hnncompile.gradcheck(fused, 0.7, np.array([-3.0, 0.2, 1.5]))
    assert report.passed, report


def _comments_above(source: str, function: str) -> dict[str, list[str]]:
    """In `function` of `source`: each assignment's target, and the comment
    lines just above it (stripped)."""
    body = source.split(f"\ndef {function}(", 1)[1].split("\n\n\n", 1)[0]
    above, pending = {}, []
    for line in body.splitlines()[1:]:
        line = line.strip()
        if line.startswith("#"):
            pending.append(line)
        elif " = " in line:
            above.setdefault(line.split(" = ")[0], pending)
            pending = []
    return above


@pytest.mark.parametrize(
    "program",
    [
        "f = log(1 + exp(x))",
        "f = sigmoid(a * x) * log(sigmoid(x)) + log(1 + x * x)",
        "q = exp(a * x) - 1\nf = sum(q) * log(1 + exp(q))",  # two levels
    ],
)
def test_the_forward_loop_says_what_the_python_targets_forward_says(program):
    """Above a gate's line, the comments of the python target's forward (a
    stability rewrite's "you wrote ...", why a line is written so), once."""
    fused = hnncompile.compile(program, target="numba")
    python = _comments_above(hnncompile.compile(program).source, "forward")
    loops = re.findall(r"\ndef (forward_loop\d*)\(", fused.source)
    assert len(loops) == program.count("sum") + 1
    got: dict[str, list[str]] = {}
    for loop in loops:
        for wire, comments in _comments_above(fused.source, loop).items():
            if comments and wire in python:
                assert wire not in got, f"{wire}'s comments said twice"
                got[wire] = comments
    wanted = {wire: lines for wire, lines in python.items() if lines}
    assert any("you wrote" in line for lines in wanted.values() for line in lines)
    assert got == wanted
    out = subprocess.run(
        [sys.executable, "-m", "hnncompile", "compile", "-e", program]
        + ["--target", "numba"],
        capture_output=True,
        text=True,
        env=dict(os.environ, PYTHONPATH=str(ROOT)),
    ).stdout
    assert out.count("# you wrote") == fused.source.count("# you wrote") > 0


LONG = "f = log_sigmoid(a_rather_long_weight_name * x_rather_long_input_name) + b"


@pytest.mark.parametrize("program", [LONG, TWO_LAYER, *STABLE])
def test_every_line_fits_and_a_loops_comments_are_the_python_targets(program):
    """Comments are filled to the line length at their indentation (a loop's
    body is indented twice, the python target's once), with the same words:
    those of the python target's backward, then the loop's own."""
    fused = hnncompile.compile(program, target="numba")
    too_long = [line for line in fused.source.splitlines() if len(line) > 88]
    assert not too_long, too_long
    if "sum" in program:
        return
    python = hnncompile.compile(program).source.split("\ndef backward(")[1]
    loop = fused.source.split("\ndef backward_loop(")[1].split("\n\n\n")[0]

    def words(text: str) -> list[str]:
        comments = [line.strip() for line in text.splitlines()]
        return " ".join(c[2:] for c in comments if c.startswith("# ")).split()

    own = "each input's gradient: kept per element for an array, added up for a number"
    assert words(loop) == words(python) + own.split()


def test_a_comment_is_filled_again_only_where_it_is_too_long():
    from hnncompile.codegen.numba_text import rewrapped

    filled = "# " + " ".join(["word"] * 15) + " longer"  # 83 columns: fits at 4
    lines = ["x = 1.0", filled, "# end of it.", "# another comment", "y = x"]
    assert rewrapped(lines, indent=4) == lines
    again = rewrapped(lines, indent=8)  # "longer" moves down, to "end of it."
    words = " ".join(["word"] * 15)
    assert again == ["x = 1.0", f"# {words}", "# longer end of it.", *lines[3:]]
    head = ["# t2 = softplus(t1):", "# " + "tail " * 17]  # a head ends with ':'
    assert rewrapped(head, indent=8)[0] == head[0]


def test_without_numba_compiling_says_how_to_install_it(monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "numba", None)  # `import numba` fails
    with pytest.raises(ImportError, match=r"pip install 'hnncompile\[fast\]'"):
        hnncompile.compile(NEURON, target="numba")
    assert hnncompile.compile(NEURON, target="numpy")  # the others need none
    assert cli.main(["compile", "-e", NEURON, "--target", "numba"]) == 2
    err = capsys.readouterr().err
    assert "pip install 'hnncompile[fast]'" in err and "Traceback" not in err


def test_the_module_is_standalone_black_and_deterministic(tmp_path, capsys):
    import black

    f = hnncompile.compile(TWO_LAYER, target="numba")
    assert f.source == hnncompile.compile(TWO_LAYER, target="numba").source
    assert black.format_str(f.source, mode=black.Mode()) == f.source
    imports = [
        ast.unparse(node)
        for node in ast.walk(ast.parse(f.source))
        if isinstance(node, (ast.Import, ast.ImportFrom))
    ]
    assert imports == ["import math", "import numba", "import numpy as np"]
    assert "hnncompile" not in f.source.split("Generated by hnncompile", 1)[1]
    # The loop's body is the python target's lines, with its comments.
    python = hnncompile.compile(TWO_LAYER).source
    for line in ["n1 = max(t4, 0.0)", "# n1 = relu(t4): the ReLU passes dn1 on"]:
        assert line in python and line in f.source, line
    # ...but for the relu's rule, written without a branch (the next test).
    assert "dt4 = dn1 if t4 > 0 else 0.0 if t4 <= 0 else math.nan" in python
    assert "dt4 = dn1 if t4 > 0 else abs(max(t4, 0.0))" in f.source
    # The command line writes the same module, which runs as it is.
    out = tmp_path / "two_layer_numba.py"
    assert (
        cli.main(["compile", "-e", TWO_LAYER, "--target", "numba", "-o", str(out)]) == 0
    )
    namespace: dict = {}
    exec(compile(out.read_text(), str(out), "exec"), namespace)
    args = [np.linspace(-1, 1, 5) if n in "xy" else 0.5 for n in f.inputs]
    assert namespace["value_and_grad"](*args)[0] == pytest.approx(f(*args))


@pytest.mark.parametrize(
    "name, program", [("neuron_numba", NEURON), ("two_layer_numba", TWO_LAYER)]
)
def test_golden(name, program):
    f = hnncompile.compile(program, target="numba", filename=f"{name[:-6]}.hnn")
    compare_with_golden(f.source, ROOT / "tests" / "golden" / f"{name}.py")


def test_a_wire_named_like_the_modules_own_names_is_left_alone():
    """`i`, `n`, `shape`, `run`, `elements`, `element` are the module's own:
    a wire of that name keeps it, and the module's get another."""
    program = "q = i * n + shape; f = sum(relu(q)) + elements * mean(q) * element"
    fused, numpy_f = both(program)
    assert "    i = element_2(i_all, i_2)\n" in fused.source
    assert "@numba.extending.overload(element_2)\n" in fused.source
    rng = np.random.default_rng(2)
    args = [rng.normal(size=4) if name == "n" else 0.3 for name in fused.inputs]
    for got, want in zip(fused.value_and_grad(*args)[1], numpy_f.backward(*args)):
        assert_same(got, want)


def test_a_second_process_loads_the_compiled_loops_from_the_cache(tmp_path):
    """Numba's cache (`cache=True`) sits beside the module's file, which is
    named by the module's text: the second process compiles nothing."""
    script = textwrap.dedent("""
        import sys
        import numpy as np
        import hnncompile
        f = hnncompile.compile("f = tanh(a * x) * b", target="numba")
        f.value_and_grad(0.5, np.arange(3.0), 2.0)
        module = next(m for n, m in sys.modules.items() if n.startswith("hnncompile_numba_"))
        stats = module.backward_loop.stats
        print(sum(stats.cache_hits.values()), sum(stats.cache_misses.values()))
        """)
    env = dict(os.environ, HNNCOMPILE_NUMBA_CACHE=str(tmp_path), PYTHONPATH=str(ROOT))

    def run() -> list[int]:
        done = subprocess.run(
            [sys.executable, "-c", script], env=env, capture_output=True, text=True
        )
        assert done.returncode == 0, done.stderr
        return [int(word) for word in done.stdout.split()]

    assert run() == [0, 1]  # compiled, and written to the cache...
    cached = list((tmp_path / "__pycache__").glob("*backward_loop*.nbc"))
    assert cached and list((tmp_path / "__pycache__").glob("*.nbi"))
    assert run() == [1, 0]  # ...and loaded from it: no compiling


def test_the_benchmark_says_which_goals_are_met():
    """benchmarks/fused.py ends with the issue's three goals, each met or
    missed on each program, with the ratio it is about."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "fused_benchmark", ROOT / "benchmarks" / "fused.py"
    )
    fused = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(fused)
    rows = [
        {"program": "neuron", "vs_numpy": 0.3, "vs_jax": 1.25, "floor_ratio": 4.0},
        {"program": "net", "vs_numpy": 0.34, "floor_ratio": 4.5},
    ]
    assert fused.goals(rows) == [
        "at least 3x faster than the numpy target: neuron: met (0.30); "
        "net: MISSED (0.34)",
        "no slower than jax.jit: neuron: MISSED (1.25); net: not measured",
        "within 4x of the memory floor: neuron: met (4.00); net: MISSED (4.50)",
    ]
