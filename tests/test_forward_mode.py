"""Forward mode and second derivatives: the generated jvp and hvp.

`f.jvp` against SymPy's directional derivative and `f.hvp`/`f.hessian`
against SymPy's `hessian` on random programs of the whole scalar language
(test_properties.py's strategy); hvp against centred differences of the
gradient; the numpy target on arrays that broadcast against JAX's `jvp`
and `jvp` of `grad`; the golden modules of the tutorial's neuron, black-clean;
the CLI's `--mode`; and the mistakes a caller can make.
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
import shutil
import subprocess
import sys
import types
from pathlib import Path

import black
import numpy as np
import pytest
import sympy as sp
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from test_properties import INPUTS, as_python, programs, reference_value

import hnncompile

TESTS = Path(__file__).parent
ROOT = TESTS.parent
NEURON = ROOT / "examples" / "neuron.hnn"
UPDATE = os.environ.get("HNN_UPDATE_GOLDEN") == "1"
# The tutorial's neuron at its point: a, x, b, y, c.
POINT = (1.0, -1.0, 2.0, 3.0, -3.0)


def _sigmoid(x):
    return 1 / (1 + sp.exp(-x))


SYMPY = {
    "exp": sp.exp,
    "log": sp.log,
    "sqrt": sp.sqrt,
    "sin": sp.sin,
    "cos": sp.cos,
    "tanh": sp.tanh,
    "sigmoid": _sigmoid,
    "sig": _sigmoid,
    "relu": lambda x: sp.Max(0, x),
    "abs": sp.Abs,
    "max": sp.Max,
    "min": sp.Min,
    "sum": lambda x: x,
    "mean": lambda x: x,
    "pow": lambda x, y: x**y,
}
SYMPY |= {  # the stable gates, as the functions they compute
    "softplus": lambda x: sp.log(1 + sp.exp(x)),
    "log_sigmoid": lambda x: -sp.log(1 + sp.exp(-x)),
    "log1p": lambda x: sp.log(1 + x),
    "expm1": lambda x: sp.exp(x) - 1,
    "logsumexp": lambda x: x,
}
SYMPY["Math"] = types.SimpleNamespace(**SYMPY)
SYMBOLS = {name: sp.Symbol(name, real=True) for name in INPUTS}


def symbolic(program: str) -> sp.Expr:
    """The program's last statement as a SymPy expression of a, b, c."""
    namespace = dict(SYMPY, **SYMBOLS)
    exec(as_python(program), namespace)
    last = max(k for k in namespace if k.startswith("v") and k[1:].isdigit())
    return sp.sympify(namespace[last])  # a constant is a float


def number(expr: sp.Expr, point: dict) -> float:
    value = complex(sp.N(expr.subs(point), 30))
    assert abs(value.imag) <= 1e-9 * max(1.0, abs(value.real))
    return value.real


def close(got: float, want: float, tol: float = 1e-7) -> bool:
    return math.isclose(got, want, rel_tol=tol, abs_tol=tol)


# Points away from every kink and tie: each input offset by its own
# irrational amount (hypothesis likes equal values, and 0).
OFFSETS = (math.sqrt(2) * 1e-4, math.sqrt(3) * 1e-4, math.sqrt(5) * 1e-4)
POINTS = st.lists(st.floats(-2, 2).map(lambda v: round(v, 3)), min_size=3, max_size=3)
VECTORS = st.lists(st.floats(-1, 1).map(lambda v: round(v, 2)), min_size=3, max_size=3)


def _compiled(program: str, values: list[float]):
    point = {name: v + o for name, v, o in zip(INPUTS, values, OFFSETS)}
    try:
        value = reference_value(program, point)
    except (ArithmeticError, ValueError, TypeError):
        assume(False)
    assume(isinstance(value, float) and math.isfinite(value) and abs(value) < 1e4)
    f = hnncompile.compile(program)
    return f, point


@settings(max_examples=40)
@given(programs(), POINTS, VECTORS)
def test_jvp_is_sympys_directional_derivative(program, values, direction):
    _check_jvp(program, values, direction)


@settings(max_examples=20)
@given(programs(whole=True), POINTS, VECTORS)
def test_jvp_is_sympys_on_functions_and_the_stable_gates(program, values, direction):
    _check_jvp(program, values, direction)


def _check_jvp(program, values, direction):
    f, point = _compiled(program, values)
    expr = symbolic(program)
    at = {SYMBOLS[name]: point[name] for name in f.inputs}
    args = [point[name] for name in f.inputs]
    tangents = [dict(zip(INPUTS, direction))[name] for name in f.wrt]
    value, value_dot = f.jvp(*args, tangents)
    want = sum(
        t * number(sp.diff(expr, SYMBOLS[name]), at) for name, t in zip(f.wrt, tangents)
    )
    assert close(value, f(*args), 1e-12)
    assert close(value_dot, want), f"{program}\n{f.jvp_source}"


@settings(max_examples=30)
@given(programs(), POINTS, VECTORS)
def test_hvp_and_hessian_are_sympys_hessian(program, values, direction):
    _check_hvp(program, values, direction)


@settings(max_examples=15)
@given(programs(whole=True), POINTS, VECTORS)
def test_hvp_is_sympys_on_functions_and_the_stable_gates(program, values, direction):
    _check_hvp(program, values, direction)


def _check_hvp(program, values, direction):
    f, point = _compiled(program, values)
    expr = symbolic(program)
    at = {SYMBOLS[name]: point[name] for name in f.inputs}
    args = [point[name] for name in f.inputs]
    wrt = [SYMBOLS[name] for name in f.wrt]
    if not wrt:  # a program of constants: no input to move
        assert f.hessian(*args) == [] and f.hvp(*args, []) == ()
        return
    exact = [
        [number(entry, at) for entry in row] for row in sp.hessian(expr, wrt).tolist()
    ]
    hessian = f.hessian(*args)
    for got_row, want_row in zip(hessian, exact):
        for got, want in zip(got_row, want_row):
            assert close(got, want, 1e-6), f"{program}\n{hessian}\n{exact}"
    v = [dict(zip(INPUTS, direction))[name] for name in f.wrt]
    for got, row in zip(f.hvp(*args, v), exact):
        assert close(got, sum(h * vj for h, vj in zip(row, v)), 1e-6), program


@settings(max_examples=25, deadline=None)
@given(
    programs(),
    st.sampled_from(["python", "numpy"]),
    st.sampled_from(["^3", "**-1", "**0.5", "**-2.5", "**4"]),
)
def test_the_jvp_and_hvp_modules_of_any_program_are_black_clean(program, target, power):
    # a constant power of the program's first value, so that every example
    # has one: their second derivatives' constants are the ones to fold
    program += f"\nv9 = (v0**2 + 0.5){power} * a"
    f = hnncompile.compile(program, target=target)
    for source in (f.jvp_source, f.hvp_source):
        assert black.format_str(source, mode=black.Mode()) == source, source


@pytest.mark.parametrize(
    "program, target, line",
    [
        ("z = a**3", "python", "    da_dot = 6 * a**1 * a_dot * dout\n"),
        ("z = a**-1", "python", "    da_dot = 2 * a**-3 * a_dot * dout\n"),
        ("z = a**-1", "numpy", "    da_dot = 2 * a**-3 * a_dot * dout\n"),
        (
            "z = a**1.5",
            "numpy",
            "    da_dot = 0.75 * np.power(a, -0.5) * a_dot * dout\n",
        ),
        ("z = a**3", "js", "  var da_dot = 6 * Math.pow(a, 1) * a_dot * dout;\n"),
        (
            "z = a**-0.5",
            "js",
            "  var da_dot = 0.75 * Math.pow(a, -2.5) * a_dot * dout;\n",
        ),
    ],
)
def test_a_constant_powers_second_derivative_has_its_constants_folded(
    program, target, line
):
    f = hnncompile.compile(program, target=target)
    assert line in f.hvp_source
    if target != "js":
        assert black.format_str(f.hvp_source, mode=black.Mode()) == f.hvp_source
    p = float(program.split("**")[1])
    for a in (0.7, 1.3):
        (second,) = f.hessian(a)[0]
        assert second == pytest.approx(p * (p - 1) * a ** (p - 2), rel=1e-12)


SMOOTH = [
    "q = a*x + b*y + c; f = sigmoid(q)",
    "out = log(1 + exp(-(a*x + b*y + c)))",  # the chapter-2 logistic loss
    "out = a**3 * b - b / (1 + a**2) + sqrt(1 + c**2) * tanh(a - c)",
    "out = sin(a * b) * cos(c) + exp(a / 4) + pow(1.5 + b**2, a) + 2 ** c",
    "h = relu(a) + abs(b) + max(a, c) + min(b, c); out = h * h",
    "out = a**0.5 * b**-1 + c**2.5",
]


@pytest.mark.parametrize("program", SMOOTH)
def test_hvp_is_the_centred_difference_of_the_gradient(program):
    f = hnncompile.compile(program)
    rng = np.random.default_rng(len(program))
    point = list(rng.uniform(0.6, 1.6, len(f.inputs)))
    point[-1] *= -1.0  # a negative input too, where the program allows it
    if "**0.5" in program:
        point[-1] = 0.9
    v = list(rng.uniform(-1, 1, len(f.wrt)))
    h = 1e-5
    moved = [
        [
            p + s * h * dict(zip(f.wrt, v)).get(name, 0.0)
            for name, p in zip(f.inputs, point)
        ]
        for s in (1, -1)
    ]
    plus, minus = (np.array(f.backward(*p)) for p in moved)
    expected = (plus - minus) / (2 * h)
    np.testing.assert_allclose(f.hvp(*point, v), expected, rtol=1e-6, atol=1e-6)


def test_kinks_have_no_second_derivative_away_from_the_kink():
    f = hnncompile.compile("out = relu(a) * 3 + abs(b) + max(a, b) - min(a, 2)")
    assert f.hessian(0.5, -1.5) == [[0.0, 0.0], [0.0, 0.0]]
    assert f.hvp(-0.5, 1.5, [1.0, 1.0]) == (0.0, 0.0)
    g = hnncompile.compile("out = relu(a) * a")  # a times its own step: 2 where a > 0
    assert g.hessian(0.5) == [[2.0]] and g.hessian(-0.5) == [[0.0]]


def test_wrt_holds_the_other_inputs_constant():
    f = hnncompile.compile_file(NEURON, wrt=["a", "c"])
    value, value_dot = f.jvp(*POINT, [1.0, 0.0])
    full = hnncompile.compile_file(NEURON)
    assert (value, value_dot) == full.jvp(*POINT, [1.0, 0.0, 0.0, 0.0, 0.0])
    assert "def jvp(a, x, b, y, c, a_dot, c_dot):" in f.jvp_source
    assert len(f.hvp(*POINT, [1.0, 1.0])) == 2
    assert len(f.hessian(*POINT)) == 2
    # keywords, the vector given by name
    assert f.jvp(a=1.0, x=-1.0, b=2.0, y=3.0, c=-3.0, tangents=[1, 0]) == (
        value,
        value_dot,
    )


def test_the_neurons_hvp_is_its_hessian_times_v():
    f = hnncompile.compile_file(NEURON)
    a, x, b, y, c = sp.symbols("a x b y c", real=True)
    expr = 1 / (1 + sp.exp(-(a * x + b * y + c)))
    at = dict(zip((a, x, b, y, c), POINT))
    exact = sp.hessian(expr, (a, x, b, y, c)).subs(at).evalf()
    got = f.hessian(*POINT)
    np.testing.assert_allclose(
        got, np.array(exact, dtype=float), rtol=1e-12, atol=1e-14
    )


@pytest.mark.parametrize(
    "call, error, words",
    [
        (lambda f: f.jvp(*POINT, [1.0, 0.0]), ValueError, "takes 5 tangents entries"),
        (lambda f: f.hvp(*POINT, [1.0] * 6), ValueError, "one per wrt input"),
        (lambda f: f.jvp(*POINT, 1.0), TypeError, "a sequence with one entry"),
        (lambda f: f.hvp(*POINT, "abcde"), TypeError, "a sequence with one entry"),
        (lambda f: f.jvp(), TypeError, "wants tangents after the inputs"),
        (lambda f: f.jvp(*POINT[:4], [1.0] * 5), TypeError, "missing values"),
        (lambda f: f.hessian([1.0, 2.0], *POINT[1:]), TypeError, "arrays want"),
    ],
)
def test_a_wrong_call_says_what_it_wants(call, error, words):
    f = hnncompile.compile_file(NEURON)
    with pytest.raises(error, match=words):
        call(f)


def test_a_forgotten_vector_is_named_not_taken_for_an_input():
    f = hnncompile.compile("z = a*a*b")
    for mode, word in (("hvp", "v"), ("jvp", "tangents")):
        with pytest.raises(TypeError) as caught:
            getattr(f, mode)(1.0, 2.0)
        assert str(caught.value) == (
            f"f.{mode} wants {word}, one number per wrt input (a, b), after the "
            f"inputs: f.{mode}(*inputs, {word})"
        )
    # the inputs by keyword, and the vector positionally: still fine
    assert f.hvp(1.0, [1.0, 0.0], b=2.0) == (4.0, 2.0)
    assert f.hvp(1.0, 2.0, [1.0, 0.0]) == f.hvp(a=1.0, b=2.0, v=[1.0, 0.0])
    g = hnncompile.compile("z = a*a*b", wrt=["a"])
    with pytest.raises(TypeError, match=r"one number per wrt input \(a\)"):
        g.hvp(1.0, 2.0)


def test_hessian_refuses_arrays_and_says_to_use_hvp():
    f = hnncompile.compile("out = sum(w * x)", target="numpy")
    with pytest.raises(TypeError, match=r"input 'x' is an array of shape \(3,\).*hvp"):
        f.hessian(2.0, np.ones(3))
    assert f.hessian(2.0, 3.0) == [[0.0, 1.0], [1.0, 0.0]]


def test_the_modules_are_made_on_first_use_only():
    f = hnncompile.compile_file(NEURON)
    assert f._forward_modes == {}  # compile() did not pay for them
    f.jvp(*POINT, [0.0] * 5)
    assert set(f._forward_modes) == {"jvp"}


@pytest.mark.parametrize("mode", ["jvp", "hvp"])
def test_the_js_module_gives_the_python_modules_numbers(mode, tmp_path):
    node = shutil.which("node")
    if node is None:
        pytest.skip("Node.js is not installed")
    f = hnncompile.compile_file(NEURON, target="js")
    python = hnncompile.compile_file(NEURON)
    v = [0.5, -1.0, 0.25, 2.0, 1.0]
    assert getattr(f, mode)(*POINT, v) == getattr(python, mode)(*POINT, v)
    module = tmp_path / "neuron.mjs"
    module.write_text(getattr(f, f"{mode}_source"))
    assert f"export function {mode}(" in module.read_text()
    run = subprocess.run(
        [
            node,
            "-e",
            f"import({json.dumps(str(module))}).then(m => "
            f"console.log(JSON.stringify(m.{mode}(...{json.dumps([*POINT, *v])}))))",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    got = json.loads(run.stdout)
    np.testing.assert_allclose(got, getattr(python, mode)(*POINT, v), rtol=1e-14)


def test_the_numba_target_runs_the_numpy_targets_and_writes_none():
    pytest.importorskip("numba")
    f = hnncompile.compile_file(NEURON, target="numba")
    numpy = hnncompile.compile_file(NEURON, target="numpy")
    v = [1.0, 0.0, 0.0, 0.0, 1.0]
    assert f.jvp(*POINT, v) == numpy.jvp(*POINT, v)
    with pytest.raises(ValueError, match="the numba target writes no hvp module"):
        f.hvp_source


# -- the golden modules ------------------------------------------------------

GOLDEN = {
    "neuron_jvp": ("jvp", "python"),
    "neuron_hvp": ("hvp", "python"),
    "neuron_jvp_numpy": ("jvp", "numpy"),
    "neuron_hvp_numpy": ("hvp", "numpy"),
}


@pytest.mark.parametrize("name", GOLDEN)
def test_golden(name):
    mode, target = GOLDEN[name]
    source = getattr(hnncompile.compile_file(NEURON, target=target), f"{mode}_source")
    golden = TESTS / "golden" / f"{name}.py"
    if UPDATE:
        golden.write_text(source, encoding="utf-8")
    assert source == golden.read_text(encoding="utf-8")
    assert black.format_str(source, mode=black.Mode()) == source


def test_the_neurons_lines_are_the_contracts():
    jvp = hnncompile.compile_file(NEURON).jvp_source
    assert "    t1_dot = x * a_dot + a * x_dot\n" in jvp
    assert "    f_dot = f * (1 - f) * q_dot\n" in jvp
    assert "    return f, f_dot\n" in jvp
    hvp = hnncompile.compile_file(NEURON).hvp_source
    assert "    dq = f * (1 - f) * dout\n" in hvp
    assert "    return da_dot, dx_dot, db_dot, dy_dot, dc_dot\n" in hvp


@pytest.mark.parametrize("mode", ["jvp", "hvp"])
@pytest.mark.parametrize("target", ["python", "numpy"])
def test_the_module_is_standalone_and_deterministic(mode, target, tmp_path):
    sources = {
        getattr(hnncompile.compile_file(NEURON, target=target), f"{mode}_source")
        for _ in range(2)
    }
    assert len(sources) == 1
    path = tmp_path / "module.py"
    path.write_text(sources.pop())
    namespace: dict = {}
    exec(compile(path.read_text(), str(path), "exec"), namespace)
    f = hnncompile.compile_file(NEURON, target=target)
    assert np.allclose(
        namespace[mode](*POINT, *[0.5] * 5), getattr(f, mode)(*POINT, [0.5] * 5)
    )


def test_comments_false_leaves_them_out():
    from hnncompile import codegen

    gates = hnncompile.compile_file(NEURON).gates
    for mode in ("jvp", "hvp"):
        source = codegen.generate_forward_mode(gates, mode, comments=False)
        assert "#" not in source
        assert black.format_str(source, mode=black.Mode()) == source


@pytest.mark.parametrize("target", ["python", "numpy", "js"])
def test_compile_comments_false_reaches_the_jvp_and_hvp_modules(target):
    program = "q = a*x; f = sigmoid(q)"
    quiet = hnncompile.compile(program, comments=False, target=target)
    loud = hnncompile.compile(program, target=target)
    for mode in ("jvp", "hvp"):
        said = getattr(loud, f"{mode}_source")
        unsaid = getattr(quiet, f"{mode}_source")
        mark = "//" if target == "js" else "#"

        def comments(text):
            return [line for line in text.splitlines() if line.strip().startswith(mark)]

        assert len(comments(said)) > 5 and comments(unsaid) == []
        assert "_dot" in unsaid


def test_the_cli_no_comments_reaches_the_jvp_and_hvp_modules(capsys):
    from hnncompile.cli import main

    for mode in ("jvp", "hvp"):
        assert main(["compile", str(NEURON), "--mode", mode, "--no-comments"]) == 0
        out = capsys.readouterr().out
        quiet = hnncompile.compile_file(NEURON, comments=False)
        assert out == getattr(quiet, f"{mode}_source")
        assert not [line for line in out.splitlines() if line.strip().startswith("#")]
        assert "def " + mode in out


# -- the command line ---------------------------------------------------------


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "hnncompile", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )


@pytest.mark.parametrize("mode", ["jvp", "hvp"])
@pytest.mark.parametrize("target", ["python", "numpy"])
def test_the_cli_writes_the_module_its_mode_names(mode, target):
    run = _cli("compile", str(NEURON), "--mode", mode, "--target", target)
    assert run.returncode == 0, run.stderr
    f = hnncompile.compile_file(NEURON, target=target)
    assert run.stdout == getattr(f, f"{mode}_source")


def test_the_cli_mode_backward_is_the_default_module():
    assert _cli("compile", str(NEURON), "--mode", "backward").stdout == (
        hnncompile.compile_file(NEURON).source
    )


def test_the_cli_refuses_a_mode_the_target_cannot_write():
    run = _cli("compile", str(NEURON), "--mode", "hvp", "--target", "numba")
    assert run.returncode == 2
    assert "the numba target writes no hvp module" in run.stderr
    assert "compile with --target numpy to read it" in run.stderr
    assert "target='numpy'" not in run.stderr  # the API's words, not the CLI's
    assert "Traceback" not in run.stderr
    run = _cli("compile", str(NEURON), "--mode", "newton")
    assert run.returncode == 2 and "invalid choice: 'newton'" in run.stderr


@pytest.mark.parametrize("emit", ["gates", "passes"])
@pytest.mark.parametrize("mode", ["jvp", "hvp"])
def test_the_cli_refuses_a_mode_with_a_gate_list(emit, mode, capsys):
    from hnncompile.cli import main

    assert main(["compile", str(NEURON), "--emit", emit, "--mode", mode]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert f"--mode {mode} picks the module to write, and --emit {emit}" in (
        captured.err
    )
    assert "Traceback" not in captured.err
    assert main(["compile", str(NEURON), "--emit", emit, "--mode", "backward"]) == 0


def test_the_readme_says_the_cli_writes_js_jvp_and_hvp(capsys):
    from hnncompile.cli import main

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "--mode jvp|hvp [--target python|numpy|js]" in readme
    for mode in ("jvp", "hvp"):
        assert main(["compile", str(NEURON), "--mode", mode, "--target", "js"]) == 0
        out = capsys.readouterr().out
        assert out == getattr(
            hnncompile.compile_file(NEURON, target="js"), mode + "_source"
        )
        assert f"export function {mode}(" in out


# -- arrays, against JAX ------------------------------------------------------

jax = pytest.importorskip("jax")
jax.config.update("jax_enable_x64", True)
jnp = jax.numpy

ARRAY_PROGRAMS = {
    # a scalar weight against a data vector, a (1, C) bias
    "h = tanh(w * X + b); out = sum(h * h) / 4": (
        {"w": (), "X": (5, 3), "b": (1, 3)},
        lambda w, X, b: jnp.sum(jnp.tanh(w * X + b) ** 2) / 4,
    ),
    "q = a*x + b*y + c; f = sigmoid(q)": (
        {"a": (), "x": (4,), "b": (), "y": (4,), "c": (1,)},
        lambda a, x, b, y, c: jax.nn.sigmoid(a * x + b * y + c),
    ),
    "p = exp(-(w * x - 1)**2) * sin(w); out = mean(p * x) + sum(max(w, 0.3) * x)": (
        {"w": (1, 3), "x": (2, 3)},
        lambda w, x: jnp.mean(jnp.exp(-((w * x - 1) ** 2)) * jnp.sin(w) * x)
        + jnp.sum(jnp.maximum(w, 0.3) * x),
    ),
    "h = tanh(x @ W1 + b1); out = mean(h @ W2)": (
        {"x": (4, 3), "W1": (3, 5), "b1": (5,), "W2": (5, 2)},
        lambda x, W1, b1, W2: jnp.mean(jnp.tanh(x @ W1 + b1) @ W2),
    ),
}


def _arrays(shapes: dict, seed: int) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    return [rng.uniform(-1, 1, shape) + 0.05 for shape in shapes.values()]


@pytest.mark.parametrize("program", ARRAY_PROGRAMS)
def test_numpy_jvp_is_jaxs(program):
    shapes, reference = ARRAY_PROGRAMS[program]
    f = hnncompile.compile(program, target="numpy")
    assert list(f.inputs) == list(shapes)
    primals, tangents = _arrays(shapes, 1), _arrays(shapes, 2)
    value, value_dot = f.jvp(*primals, tangents)
    want, want_dot = jax.jvp(reference, tuple(primals), tuple(tangents))
    np.testing.assert_allclose(value, want, rtol=1e-12)
    np.testing.assert_allclose(value_dot, want_dot, rtol=1e-10, atol=1e-12)
    assert np.shape(value_dot) == np.shape(want)


@pytest.mark.parametrize("program", ARRAY_PROGRAMS)
def test_numpy_hvp_is_jaxs_jvp_of_grad(program):
    shapes, reference = ARRAY_PROGRAMS[program]
    f = hnncompile.compile(program, target="numpy")
    primals, v = _arrays(shapes, 3), _arrays(shapes, 4)
    argnums = tuple(range(len(shapes)))

    def total(*args):  # backward's dout of ones: the gradient of the sum
        return jnp.sum(reference(*args))

    grad = jax.grad(total, argnums=argnums)
    _, want = jax.jvp(grad, tuple(primals), tuple(v))
    got = f.hvp(*primals, v)
    for g, w, p in zip(got, want, primals):
        assert np.shape(g) == np.shape(p)  # summed back like the gradient
        np.testing.assert_allclose(g, w, rtol=1e-10, atol=1e-12)


# -- the Newton example, the README's section -----------------------------------


def _newton():
    sys.path.insert(0, str(ROOT / "examples"))
    try:
        import newton
    finally:
        sys.path.remove(str(ROOT / "examples"))
    return newton


def test_newton_reaches_the_tolerance_in_far_fewer_steps_than_descent():
    by_newton, by_descent = _newton().run(tolerance=1e-8, max_steps=200, report=False)
    steps, norms = by_newton[-1][0], [norm for _, _, norm, _ in by_newton]
    assert norms[-1] < 1e-8 and steps <= 10
    # quadratic: near the minimum each norm is about the square of the last
    for before, after in zip(norms[-4:], norms[-3:]):
        assert after < 100 * before**2
    assert by_descent[-1][0] == 200 and by_descent[-1][2] > 1e-4  # not there yet
    # both on the same loss: the same minimum, where descent is nearly there
    assert np.allclose(by_newton[-1][3], by_descent[-1][3], atol=0.2)


def test_the_readme_section_shows_what_it_says():
    from test_readme import blocks, run_block, section

    text = section("Forward mode and second derivatives")
    runnable = [
        body for path, lang, body in blocks(text) if lang == "python" and not path
    ]
    namespace: dict = {}
    assert sum(run_block(body, namespace) for body in runnable) >= 4
    quoted = {path for path, _, _ in blocks(text) if path}
    assert quoted == {"tests/golden/neuron_jvp.py", "tests/golden/neuron_hvp.py"}
    [shown] = [body for _, lang, body in blocks(text) if body.startswith("$ python")]
    command, *lines = shown.splitlines()
    out = subprocess.run(
        [sys.executable, *command.split()[2:]],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    ).stdout.splitlines()
    from test_readme import check_lines

    assert check_lines("\n".join(lines), out, "examples/newton.py") >= 10
    assert "--mode jvp|hvp" in section("Command line")


def test_hvp_refuses_a_gate_whose_second_derivative_is_missing(monkeypatch):
    from hnncompile.gates import GATES

    sigmoid = GATES["sigmoid"]
    missing = dataclasses.replace(sigmoid, seconds=None, numpy_seconds=None)
    monkeypatch.setitem(GATES, "sigmoid", missing)
    f = hnncompile.compile("q = a*x + b\nf = sigmoid(q)")
    assert f.jvp(1.0, 2.0, 3.0, [1.0, 0.0, 0.0])[1] > 0  # jvp needs none
    with pytest.raises(hnncompile.CompileError) as caught:
        f.hvp(1.0, 2.0, 3.0, [1.0, 0.0, 0.0])
    error = caught.value
    assert "the second derivative of sigmoid" in str(error)
    assert "is not in the catalogue yet" in str(error)
    assert (error.line, error.column) == (2, 5)


def _lecture_mlp(n: int = 6, hidden: int = 8):
    """The lecture's forward pass (examples/makemore_mlp_forward.hnn): a
    point, the data, and the same loss in JAX."""
    rng = np.random.default_rng(7)
    point = {
        "C": rng.normal(size=(27, 10)),
        "Xb": rng.integers(0, 27, size=(n, 3)),
        "W1": rng.normal(size=(30, hidden)) * 0.3,
        "b1": rng.normal(size=(hidden,)) * 0.1,
        "n": n,
        "bngain": 1 + 0.1 * rng.normal(size=(1, hidden)),
        "bnbias": 0.1 * rng.normal(size=(1, hidden)),
        "W2": rng.normal(size=(hidden, 27)) * 0.3,
        "b2": rng.normal(size=(27,)) * 0.1,
        "Yb": rng.integers(0, 27, size=(n,)),
    }
    Xb, Yb = point["Xb"], point["Yb"]

    def loss(C, W1, b1, bngain, bnbias, W2, b2):
        hprebn = C[Xb].reshape(n, -1) @ W1 + b1
        bndiff = hprebn - hprebn.sum(0, keepdims=True) / n
        bnvar = (bndiff**2).sum(0, keepdims=True) / (n - 1)
        h = jnp.tanh(bngain * bndiff * (bnvar + 1e-5) ** -0.5 + bnbias)
        logprobs = jax.nn.log_softmax(h @ W2 + b2, axis=1)
        return -logprobs[jnp.arange(n), Yb].mean()

    return point, loss


@pytest.mark.parametrize("shaped", [False, True])
def test_the_lectures_mlp_hvp_is_jaxs(shaped):
    point, loss = _lecture_mlp()
    shapes = {k: np.shape(v) for k, v in point.items()} if shaped else None
    f = hnncompile.compile_file(
        ROOT / "examples" / "makemore_mlp_forward.hnn", target="numpy", shapes=shapes
    )
    params = ("C", "W1", "b1", "bngain", "bnbias", "W2", "b2")
    assert f.wrt == params
    rng = np.random.default_rng(8)
    v = [rng.normal(size=np.shape(point[name])) for name in params]
    primals = tuple(point[name] for name in params)
    value, value_dot = f.jvp(**point, tangents=v)
    want, want_dot = jax.jvp(loss, primals, tuple(v))
    np.testing.assert_allclose([value, value_dot], [want, want_dot], rtol=1e-9)
    grad = jax.grad(loss, argnums=tuple(range(len(params))))
    _, want = jax.jvp(grad, primals, tuple(v))
    for got, w, name in zip(f.hvp(**point, v=v), want, params):
        assert np.shape(got) == np.shape(point[name]), name
        np.testing.assert_allclose(got, w, rtol=1e-8, atol=1e-11, err_msg=name)


@pytest.mark.parametrize(
    "program",
    [
        "scores = X @ W + b; loss = mean(logsumexp(scores, 1)) + 0.5 * reg * sum(W * W)",
        "scores = X @ W + b; loss = sum(-log_softmax(scores, 1)) / 4 + sum(W * W) * reg",
        "scores = X @ W + b; p = softmax(scores, 1); loss = sum(p * p) * reg",
    ],
)
def test_the_stable_reductions_hvp_is_jaxs(program):
    rng = np.random.default_rng(9)
    point = {
        "X": rng.normal(size=(4, 3)),
        "W": rng.normal(size=(3, 5)),
        "b": rng.normal(size=(1, 5)),
        "reg": 0.7,
    }
    namespace = {
        "logsumexp": lambda x, axis: jax.scipy.special.logsumexp(x, axis=axis),
        "log_softmax": lambda x, axis: jax.nn.log_softmax(x, axis=axis),
        "softmax": lambda x, axis: jax.nn.softmax(x, axis=axis),
        "mean": jnp.mean,
        "sum": jnp.sum,
        "log": jnp.log,
    }

    def loss(*args):
        local = dict(namespace, **dict(zip(point, args)))
        exec(program.replace("; ", "\n"), local)
        return local["loss"]

    f = hnncompile.compile(program, target="numpy")
    assert f.wrt == tuple(point)
    primals = tuple(point.values())
    v = tuple(rng.normal(size=np.shape(p)) for p in primals)
    np.testing.assert_allclose(f.jvp(**point, tangents=v), jax.jvp(loss, primals, v))
    _, want = jax.jvp(jax.grad(loss, argnums=(0, 1, 2, 3)), primals, v)
    for got, w in zip(f.hvp(**point, v=v), want):
        np.testing.assert_allclose(got, w, rtol=1e-9, atol=1e-12)


def test_a_deep_chain_has_its_jvp_and_hvp():
    """20,000 gates, twenty times Python's recursion limit: no walk recurses."""
    n = 20_000
    program = "x1 = a*b\n" + "".join(
        f"x{i + 1} = x{i} * 0.999 + a\n" for i in range(1, n)
    )
    f = hnncompile.compile(program, comments=False)
    value, value_dot = f.jvp(0.5, 2.0, [1.0, 0.0])
    assert value == f(0.5, 2.0)
    assert math.isclose(value_dot, f.backward(0.5, 2.0)[0])
    # f is 0.999**(n-1) * a*b + (terms in a alone): d2f/da db = 0.999**(n-1)
    d2_da_db, d2_db2 = f.hvp(0.5, 2.0, [0.0, 1.0])
    assert math.isclose(d2_da_db, 0.999 ** (n - 1), rel_tol=1e-9) and d2_db2 == 0.0
