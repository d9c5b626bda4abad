"""Every gate's forward-mode rules, checked on their own: its tangent
(`Gate.tangent`) and its second derivatives (`Gate.second`).

No program is compiled here: each template is the catalogue's own, filled
with names and evaluated with `eval` on a dict of numbers or arrays, as
tests/test_gates.py does for the gradient rules. The numbers of one
number's gates are compared with SymPy's derivatives of the gate written
here independently (at several points, both sides of each kink, 1e-12),
for every subset of moving inputs; the array gates with JAX's `jvp` (and,
for the second derivatives, with `jax.jvp` of the VJP). The tables iterate
the catalogue: a gate added without rules, or without a row here, fails.
"""

from __future__ import annotations

import dataclasses
import itertools
import json
import math
import shutil
import subprocess

import numpy as np
import pytest
import sympy
from test_gates import ARRAY_CASES, _evaluate

from hnncompile.gates import GATES, Gate, fill

X, Y = sympy.symbols("x y", real=True)
_LOG2 = repr(math.log(2.0))


def _power(p: str) -> dict[str, str]:
    """The parameters lowering gives `x**p`'s gate, so that the rules are
    checked with the constants lowering folds (p - 1, p*(p - 1), p - 2)."""
    from hnncompile.lower import lower
    from hnncompile.parse import parse

    (eqn,) = lower(parse(f"z = x**{p}")).eqns
    return {k: c.text for k, c in zip(GATES[eqn.gate].params, eqn.params)}


def _sigmoid(v):
    return 1 / (1 + sympy.exp(-v))


# gate, params (text for the templates), the gate in SymPy of (x, y) or x,
# and points (a point per row; each moving subset is tried at each).
SCALAR_ROWS = [
    ("copy", {}, lambda x: x, [(1.5,), (-2.0,)]),
    ("add", {}, lambda x, y: x + y, [(1.5, -2.0)]),
    ("sub", {}, lambda x, y: x - y, [(1.5, -2.0)]),
    ("mul", {}, lambda x, y: x * y, [(1.5, -2.0), (-0.3, 0.7)]),
    ("div", {}, lambda x, y: x / y, [(1.5, -2.0), (-0.3, 0.7)]),
    ("neg", {}, lambda x: -x, [(1.5,)]),
    ("square", {}, lambda x: x**2, [(1.5,), (-3.0,)]),
    ("powc", _power("3"), lambda x: x**3, [(1.5,), (-3.0,)]),
    ("powc", _power("-2"), lambda x: x**-2, [(1.5,), (-0.7,)]),
    ("powc", _power("-1"), lambda x: x**-1, [(1.5,), (-0.7,)]),
    ("powc", _power("5"), lambda x: x**5, [(1.5,), (-0.7,)]),
    (
        "fracpow",
        _power("1.5"),
        lambda x: x ** sympy.Rational(3, 2),
        [(2.5,), (0.3,)],
    ),
    (
        "fracpow",
        _power("-0.5"),
        lambda x: x ** sympy.Rational(-1, 2),
        [(2.5,), (0.3,)],
    ),
    ("cpow", {"c": "2.0", "log_c": _LOG2}, lambda x: 2**x, [(1.5,), (-0.5,)]),
    ("pow", {}, lambda x, y: x**y, [(1.5, 2.2), (0.7, -1.3), (2.0, 3.0)]),
    ("exp", {}, sympy.exp, [(1.5,), (-2.0,)]),
    ("log", {}, sympy.log, [(1.5,), (0.2,)]),
    ("sqrt", {}, sympy.sqrt, [(1.5,), (0.2,)]),
    ("sin", {}, sympy.sin, [(1.5,), (-2.0,)]),
    ("cos", {}, sympy.cos, [(1.5,), (-2.0,)]),
    ("tanh", {}, sympy.tanh, [(1.5,), (-0.3,)]),
    ("sigmoid", {}, _sigmoid, [(3.0,), (-1.0,), (0.25,)]),
    ("relu", {}, lambda x: sympy.Max(x, 0), [(1.5,), (-2.0,)]),
    ("abs", {}, sympy.Abs, [(1.5,), (-2.0,)]),
    ("max", {}, sympy.Max, [(1.5, -2.0), (-2.0, 1.5)]),
    ("min", {}, sympy.Min, [(1.5, -2.0), (-2.0, 1.5)]),
    ("maxc", {"c": "-0.5"}, lambda x: sympy.Max(x, -0.5), [(1.5,), (-2.0,)]),
    ("minc", {"c": "2"}, lambda x: sympy.Min(x, 2), [(1.5,), (3.0,)]),
    ("sum", {}, lambda x: x, [(1.5,)]),
    ("mean", {}, lambda x: x, [(1.5,)]),
    ("softplus", {}, lambda x: sympy.log(1 + sympy.exp(x)), [(1.5,), (-2.0,)]),
    ("log_sigmoid", {}, lambda x: sympy.log(_sigmoid(x)), [(1.5,), (-2.0,)]),
    ("log1p", {}, lambda x: sympy.log(1 + x), [(1.5,), (-0.5,)]),
    ("expm1", {}, lambda x: sympy.exp(x) - 1, [(1.5,), (-2.0,)]),
    ("logsumexp", {}, lambda x: x, [(1.5,), (-2.0,)]),
]

# The tangents the inputs carry, and the gradient arriving from above.
NUDGES = (0.7, -1.3)
DOUT = -2.5
TARGETS = ("python", "numpy", "js")


def test_every_gate_has_a_row():
    """Every gate of the catalogue is checked here, the scalar ones against
    SymPy and the array ones against JAX (cases of tests/test_gates.py)."""
    scalar = {name for name, gate in GATES.items() if not gate.array_only}
    assert {row[0] for row in SCALAR_ROWS} == scalar
    assert {case[0] for case in ARRAY_CASES} == set(GATES) - scalar


def _subsets(gate: Gate):
    """Every non-empty choice of moving inputs among the differentiable ones."""
    n = len(gate.inputs)
    for moving in itertools.product((False, True), repeat=n):
        if any(m and i not in gate.data_inputs for i, m in enumerate(moving)):
            yield moving


def _symbols(gate: Gate):
    return (X, Y)[: len(gate.inputs)]


@dataclasses.dataclass
class Point:
    """A gate at one point, with SymPy's numbers there."""

    gate: Gate
    params: dict
    values: dict  # input placeholder -> number
    expression: sympy.Expr

    def number(self, expr) -> float:
        subs = dict(zip(_symbols(self.gate), self.values.values()))
        return float(sympy.N(expr.subs(subs), 30))

    @property
    def out(self) -> float:
        return self.number(self.expression)

    def derivative(self, *wrt) -> float:
        return self.number(sympy.diff(self.expression, *wrt))

    def nudges(self, moving) -> dict:
        return {
            f"{name}_dot": NUDGES[k]
            for k, name in enumerate(self.gate.inputs)
            if moving[k]
        }

    def tangent(self, moving) -> float:
        """SymPy's directional derivative along the moving inputs' nudges."""
        return sum(
            self.derivative(s) * NUDGES[k]
            for k, s in enumerate(_symbols(self.gate))
            if moving[k]
        )

    def second(self, i: int, moving) -> float:
        """sum over moving j of d2 out / dx_i dx_j * x_j_dot * dout."""
        wrt = _symbols(self.gate)
        return sum(
            self.derivative(wrt[i], s) * NUDGES[j] * DOUT
            for j, s in enumerate(wrt)
            if moving[j]
        )


POINTS = [
    pytest.param(
        Point(GATES[name], params, dict(zip(GATES[name].inputs, p)), None),
        function,
        id=f"{name}{''.join(params.values())}@{p}",
    )
    for name, params, function, points in SCALAR_ROWS
    for p in points
]


def _prepared(point: Point, function) -> Point:
    point.expression = sympy.sympify(function(*_symbols(point.gate)))
    return point


def _python(template: str, point: Point, values: dict) -> float:
    """A python-target template, filled and evaluated with `math`."""
    names = {name: f"v_{name}" for name in values}
    expression = fill(template, names | point.params)
    return eval(  # noqa: S307
        expression, {"math": math}, {f"v_{k}": v for k, v in values.items()}
    )


def _numpy(template: str, point: Point, values: dict) -> np.ndarray:
    """A numpy-target template on arrays: each number twice, as an array
    (a reduction's on one number: on an array it is one number too)."""
    shape = () if point.gate.reduces else (2,)
    arrays = {k: np.full(shape, v) for k, v in values.items()}
    return _evaluate(template, point.gate, point.params, arrays)


def _close(got, want) -> None:
    assert np.all(np.isclose(got, want, rtol=1e-12, atol=1e-15)), (got, want)


@pytest.mark.parametrize("point, function", POINTS)
def test_the_tangent_of_a_scalar_gate_is_sympys_derivative(point, function):
    point = _prepared(point, function)
    for moving in _subsets(point.gate):
        want = point.tangent(moving)
        values = point.values | {"out": point.out} | point.nudges(moving)
        python = point.gate.tangent("python", moving)
        _close(_python(python, point, values), want)
        numpy = _numpy(point.gate.tangent("numpy", moving), point, values)
        assert np.shape(numpy) == (() if point.gate.reduces else (2,))
        _close(numpy, want)


def test_a_tangent_names_exactly_the_moving_inputs():
    """`{x_dot}` appears where x moves and nowhere else; the other
    placeholders are the rules' own."""
    for gate in GATES.values():
        own = set(gate.inputs) | set(gate.params) | {"out"}
        for target in TARGETS:
            if gate.array_only and target != "numpy":
                continue
            for moving in _subsets(gate):
                template = gate.tangent(target, moving)
                if gate.gives_data:
                    assert template == "", gate.name
                    continue
                dots = {
                    f"{name}_dot"
                    for k, name in enumerate(gate.inputs)
                    if moving[k] and k not in gate.data_inputs
                }
                used = gate.placeholders(template)
                assert used & {f"{n}_dot" for n in gate.inputs} == dots, (
                    gate.name,
                    target,
                    moving,
                )
                assert used - dots <= own, (gate.name, template)
            nothing = (False,) * len(gate.inputs)
            assert gate.tangent(target, nothing) == ""


def test_an_elementwise_gates_tangent_is_derived_from_its_gradient_rules():
    """One rule, never written twice: no elementwise gate writes a tangent,
    and a gradient rule made wrong makes its tangent wrong too."""
    for gate in GATES.values():
        if gate.elementwise:
            assert gate.tangents is None, gate.name
            assert gate.numpy_tangents is None and gate.js_tangents is None
    sigmoid = GATES["sigmoid"]
    wrong = dataclasses.replace(sigmoid, grads=("{out} * {dout}",))
    assert wrong.tangent("python", (True,)) == "{out} * {x_dot}"
    assert sigmoid.tangent("python", (True,)) == "{out} * (1 - {out}) * {x_dot}"
    mul = GATES["mul"].tangent("python", (True, True))
    assert mul == "{y} * {x_dot} + {x} * {y_dot}"


def test_shares_are_joined_as_a_reader_writes_them():
    """ " - " before a negated product, brackets round a conditional (`a if
    c else b + d` would drop `a`), none round a plain product."""
    assert GATES["sub"].tangent("python", (True, True)) == "{x_dot} - {y_dot}"
    assert GATES["sub"].tangent("python", (False, True)) == "-{y_dot}"
    div = GATES["div"].tangent("python", (True, True))
    assert div == "{x_dot} / {y} - {x} / ({y} * {y}) * {y_dot}"
    both = GATES["max"].tangent("python", (True, True))
    assert both.startswith("({x_dot} if") and ") + ({y_dot} if" in both
    js = GATES["max"].tangent("js", (True, True))
    assert js.startswith("({x} >= {y} ? {x_dot}") and ") + ({y} > {x}" in js
    assert GATES["max"].tangent("python", (True, False)).startswith("{x_dot} if")


def test_a_linear_gate_runs_its_forward_on_the_tangents():
    assert GATES["transpose"].tangent("numpy", (True,)) == "{x_dot}.T"
    assert GATES["sum_axis"].tangent("numpy", (True,)) == "{x_dot}.sum({axis})"
    assert GATES["sum"].tangent("numpy", (True,)) == "np.sum({x_dot})"
    assert GATES["sum"].tangent("python", (True,)) == "{x_dot}"
    # x + b where only b moves: b's nudge spread over the output's shape,
    # unless the code generator knows the shapes agree.
    add = GATES["add"]
    assert add.tangent("numpy", (False, True)) == (
        "np.broadcast_to({y_dot}, np.shape({out}))"
    )
    assert add.tangent("numpy", (False, True), broadcast=False) == "{y_dot}"
    assert add.tangent("python", (False, True)) == "{y_dot}"
    take = GATES["take"]  # the rows are data: they stay as they are
    assert take.tangent("numpy", (True, True)) == "{x_dot}[{i}]"
    assert take.tangent("numpy", (False, True)) == ""


def test_a_negative_base_with_an_integer_exponent():
    """(-1.5)**3 is real, and so is its slope in x; in y it is NaN (log of
    a negative number), as the gradient rule's is."""
    gate, values = GATES["pow"], {"x": -1.5, "y": 3.0, "out": -3.375}
    point = Point(gate, {}, values, None)
    x_only = _python(
        gate.tangent("python", (True, False)), point, values | {"x_dot": 0.7}
    )
    assert x_only == pytest.approx(3 * 1.5**2 * 0.7, rel=1e-12)
    both = values | {"x_dot": 0.7, "y_dot": -1.3}
    assert math.isnan(_python(gate.tangent("python", (True, True)), point, both))


def test_a_fractional_power_of_a_negative_number_has_a_nan_tangent():
    gate = GATES["fracpow"]
    point = Point(gate, _power("1.5"), {"x": -2.0}, None)
    values = {"x": -2.0, "out": math.nan, "x_dot": 1.0}
    assert math.isnan(_python(gate.tangent("python", (True,)), point, values))
    with np.errstate(invalid="ignore"):
        numpy = _numpy(gate.tangent("numpy", (True,)), point, values)
    assert np.all(np.isnan(numpy))


def test_the_moving_flags_must_match_the_inputs():
    with pytest.raises(ValueError, match="mul gate has 2 inputs"):
        GATES["mul"].tangent("python", (True,))


def test_a_gate_without_a_tangent_says_which():
    matmul = dataclasses.replace(GATES["matmul"], tangents=None)
    with pytest.raises(NotImplementedError, match="tangent of matmul"):
        matmul.tangent("numpy", (True, False))


# --- Arrays, against JAX ----------------------------------------------------

_RNG = np.random.default_rng(15)


def _jax():
    import jax

    jax.config.update("jax_enable_x64", True)
    return jax


ARRAY_IDS = [
    f"{gate}:{'/'.join(map(str, params.values()))}:"
    + "x".join(str(n) for n in np.shape(inputs["x"]))
    + f"#{k}"
    for k, (gate, params, inputs, _) in enumerate(ARRAY_CASES)
]


def _differentiable(gate: Gate) -> list[str]:
    return [p for i, p in enumerate(gate.inputs) if i not in gate.data_inputs]


@pytest.mark.parametrize(
    "gate_name, params, inputs, reference", ARRAY_CASES, ids=ARRAY_IDS
)
def test_the_tangent_of_an_array_gate_is_jaxs_jvp(gate_name, params, inputs, reference):
    gate = GATES[gate_name]
    if gate.gives_data:
        assert gate.tangent("numpy", (True,)) == ""
        return
    jax = _jax()
    names = _differentiable(gate)
    primals = [inputs[p] for p in names]
    nudges = {p: _RNG.normal(size=np.shape(inputs[p])) for p in names}
    out = _evaluate(gate.forward, gate, params, inputs)
    for moving in _subsets(gate):
        tangents = [
            nudges[p] if moving[gate.inputs.index(p)] else np.zeros_like(nudges[p])
            for p in names
        ]
        _, want = jax.jvp(reference, primals, tangents)
        values = dict(inputs, out=out) | {
            f"{p}_dot": nudges[p] for p in names if moving[gate.inputs.index(p)]
        }
        got = _evaluate(gate.tangent("numpy", moving), gate, params, values)
        assert np.shape(got) == np.shape(want), (gate_name, moving)
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)


BINARY = {
    "add": lambda x, y: x + y,
    "sub": lambda x, y: x - y,
    "mul": lambda x, y: x * y,
    "div": lambda x, y: x / y,
    "pow": lambda x, y: x**y,
    "max": lambda x, y: _jax().numpy.maximum(x, y),
    "min": lambda x, y: _jax().numpy.minimum(x, y),
}


@pytest.mark.parametrize("name", sorted(BINARY))
def test_an_elementwise_tangent_has_the_broadcast_shape(name):
    """x of shape (3, 1) and y of (1, 4): the tangent is (3, 4), JAX's."""
    jax, gate = _jax(), GATES[name]
    x, y = _RNG.uniform(0.5, 2.0, (3, 1)), _RNG.uniform(0.5, 2.0, (1, 4))
    x_dot, y_dot = _RNG.normal(size=(3, 1)), _RNG.normal(size=(1, 4))
    values = {"x": x, "y": y}
    values["out"] = _evaluate(gate.code("numpy")[0], gate, {}, values)
    for moving in _subsets(gate):
        tangents = (x_dot * moving[0], y_dot * moving[1])
        _, want = jax.jvp(BINARY[name], (x, y), tangents)
        nudged = values | {"x_dot": x_dot, "y_dot": y_dot}
        got = _evaluate(gate.tangent("numpy", moving), gate, {}, nudged)
        assert np.shape(got) == (3, 4)
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)


REDUCING = {
    "sum": lambda x: x.sum(),
    "mean": lambda x: x.mean(),
    "logsumexp": lambda x: _jax().scipy.special.logsumexp(x),
}


@pytest.mark.parametrize("name", sorted(REDUCING))
def test_a_reduction_of_one_numbers_gates_on_an_array(name):
    """sum, mean and logsumexp of an array: one number, JAX's tangent."""
    jax, gate = _jax(), GATES[name]
    x, x_dot = _RNG.normal(size=(3, 4)), _RNG.normal(size=(3, 4))
    out = _evaluate(gate.code("numpy")[0], gate, {}, {"x": x})
    _, want = jax.jvp(REDUCING[name], (x,), (x_dot,))
    values = {"x": x, "out": out, "x_dot": x_dot}
    got = _evaluate(gate.tangent("numpy", (True,)), gate, {}, values)
    assert np.shape(got) == ()
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)


# --- The JavaScript forms, in Node ------------------------------------------

NODE = shutil.which("node")


def _js_cases():
    """(template, values) for each scalar row, point and moving subset."""
    cases = []
    for param in POINTS:
        point, function = param.values
        point = _prepared(Point(point.gate, point.params, point.values, None), function)
        for moving in _subsets(point.gate):
            values = point.values | {"out": point.out} | point.nudges(moving)
            template = point.gate.tangent("js", moving)
            cases.append((template, point, values, point.tangent(moving)))
    return cases


def _run_js(expressions: list[tuple[str, dict]]) -> list[float]:
    """Evaluate JavaScript expressions, each on its own values, in Node."""
    script = (
        "const cases = JSON.parse(require('fs').readFileSync(0, 'utf8'));\n"
        "console.log(JSON.stringify(cases.map(([text, values]) => String("
        "new Function(...Object.keys(values), 'return ' + text)"
        "(...Object.values(values))))));\n"
    )
    reply = subprocess.run(
        [NODE, "-e", script],
        input=json.dumps(expressions),
        capture_output=True,
        text=True,
        check=True,
    )
    return [float(v) for v in json.loads(reply.stdout)]


@pytest.mark.skipif(NODE is None, reason="Node.js is not installed")
def test_the_javascript_tangents_are_sympys_derivative():
    cases = _js_cases()
    texts = []
    for template, point, values, _ in cases:
        names = {name: f"v_{name}" for name in values}
        texts.append(
            (
                fill(template, names | point.params),
                {f"v_{k}": v for k, v in values.items()},
            )
        )
    for got, (template, _, _, want) in zip(_run_js(texts), cases):
        # V8's Math may differ from C's libm in the last bits.
        assert math.isclose(got, want, rel_tol=1e-12, abs_tol=1e-15), template


# --- Second derivatives -----------------------------------------------------


def _second_values(point: Point, moving) -> dict:
    """What a second-derivative rule reads: the inputs, the output, the
    nudges, the output's nudge (SymPy's) and the gradient from above."""
    return (
        point.values
        | {"out": point.out, "out_dot": point.tangent(moving), "dout": DOUT}
        | point.nudges(moving)
    )


def _rules_of(gate: Gate) -> list[int]:
    return [i for i in range(len(gate.inputs)) if i not in gate.data_inputs]


def _second_number(template: str, point: Point, values: dict, target: str):
    if not template:
        return 0.0
    if target == "python":
        return _python(template, point, values)
    return _numpy(template, point, values)


def _seconds_agree(gate: Gate, point: Point, target: str = "python") -> bool:
    """Every rule's second derivative, for every moving subset, is SymPy's."""
    point = dataclasses.replace(point, gate=gate)
    for moving in _subsets(gate):
        values = _second_values(point, moving)
        for i in _rules_of(gate):
            got = _second_number(gate.second(target, i, moving), point, values, target)
            want = point.second(i, moving)
            if not np.all(np.isclose(got, want, rtol=1e-12, atol=1e-15)):
                return False
    return True


@pytest.mark.parametrize("target", ["python", "numpy"])
@pytest.mark.parametrize("point, function", POINTS)
def test_the_second_derivatives_of_a_scalar_gate_are_sympys(point, function, target):
    """Every (i, j) pair: rule i's tangent along input j, for every subset
    of moving inputs, is d2 out / dx_i dx_j * x_j_dot * dout, summed."""
    point = _prepared(point, function)
    for moving in _subsets(point.gate):
        values = _second_values(point, moving)
        for i in _rules_of(point.gate):
            template = point.gate.second(target, i, moving)
            got = _second_number(template, point, values, target)
            _close(got, point.second(i, moving))


def _scalar_points():
    for param in POINTS:
        point, function = param.values
        yield _prepared(Point(point.gate, point.params, point.values, None), function)


SECOND_RULES = sorted(
    {
        (name, i, j)
        for name, gate in GATES.items()
        if gate.seconds and not gate.array_only
        for i, row in enumerate(gate.seconds)
        for j, rule in enumerate(row)
        if rule
    }
)


@pytest.mark.parametrize("name, i, j", SECOND_RULES, ids=str)
def test_a_second_derivative_made_wrong_is_caught(name, i, j):
    """Scale one entry by 1.5: SymPy disagrees at some point of the table."""
    gate = GATES[name]
    seconds = [list(row) for row in gate.seconds]
    seconds[i][j] = f"1.5 * ({seconds[i][j]})"
    wrong = dataclasses.replace(gate, seconds=tuple(map(tuple, seconds)))
    points = [p for p in _scalar_points() if p.gate.name == name]
    assert all(_seconds_agree(gate, p) for p in points)
    assert not all(_seconds_agree(wrong, p) for p in points)


def test_every_gate_has_second_derivatives_and_says_why():
    """The catalogue knows every gate's second derivatives; each rule reads
    only what the gate provides, chains in dout, and has the gate's shape."""
    for gate in GATES.values():
        assert gate.has_second, gate.name
        if gate.gives_data:
            continue
        own = set(gate.inputs) | set(gate.params) | {"out", "dout"}
        dots = {f"{name}_dot" for name in gate.inputs} | {"out_dot"}
        assert gate.second_explain, gate.name
        assert gate.placeholders(gate.second_explain) <= own | dots, gate.name
        one_input = len(_rules_of(gate)) == 1
        for field in ("seconds", "numpy_seconds", "js_seconds", "vector_seconds"):
            table = getattr(gate, field)
            if table is None:
                continue
            n = len(gate.inputs)
            assert len(table) == n and all(len(row) == n for row in table), gate.name
            for i, row in enumerate(table):
                for j, rule in enumerate(row):
                    if i in gate.data_inputs or j in gate.data_inputs:
                        assert rule == "", (gate.name, i, j)
                    if not rule:
                        continue
                    used = gate.placeholders(rule)
                    assert "dout" in used, (gate.name, rule)
                    nudge = {f"{gate.inputs[j]}_dot", "out_dot"}
                    assert used <= own | nudge, (gate.name, rule)
                    assert used & nudge, (gate.name, rule)
                    # The output's nudge is input j's alone with one input.
                    assert one_input or "out_dot" not in used, gate.name
        assert gate.linear or gate.seconds is not None


def test_the_python_second_derivatives_are_python_expressions():
    import ast

    for gate in GATES.values():
        for target in ("python", "numpy"):
            for moving in _subsets(gate):
                for i in _rules_of(gate):
                    template = gate.second(target, i, moving)
                    if template:
                        names = {f: f"w_{f}" for f in gate.placeholders(template)}
                        ast.parse(fill(template, names), mode="eval")


def test_the_kinks_have_no_second_derivative():
    """relu, abs, max and min: slopes constant on each side of the kink."""
    for name in ("relu", "abs", "max", "min", "maxc", "minc", "max_axis", "min_all"):
        gate = GATES[name]
        for target in ("numpy",) if gate.array_only else TARGETS:
            for moving in _subsets(gate):
                assert all(
                    gate.second(target, i, moving) == "" for i in _rules_of(gate)
                )


def test_the_sigmoids_rule_moves_as_the_contract_writes_it():
    """dq_dot = f * (1 - f) * df_dot + (1 - 2 * f) * f_dot * df: the second
    part is the catalogue's."""
    gate = GATES["sigmoid"]
    second = gate.second("python", 0, (True,))
    assert fill(second, {"out": "f", "out_dot": "f_dot", "dout": "df"}) == (
        "(1 - 2 * f) * f_dot * df"
    )
    assert "{out}*(1-{out})" in gate.second_explain


def test_a_gate_without_second_derivatives_says_which():
    sigmoid = dataclasses.replace(GATES["sigmoid"], seconds=None)
    assert not sigmoid.has_second
    with pytest.raises(NotImplementedError, match="second derivative of sigmoid"):
        sigmoid.second("python", 0, (True,))
    # A linear gate needs none written: all are zero.
    assert GATES["transpose"].second("numpy", 0, (True,)) == ""


def _unbroadcast(grad, shape):
    """A contribution of the output's shape, summed back to an input's."""
    grad = np.asarray(grad)
    while grad.ndim > len(shape):
        grad = grad.sum(0)
    for axis, n in enumerate(shape):
        if n == 1 and grad.shape[axis] != 1:
            grad = grad.sum(axis, keepdims=True)
    return grad


def _jvp_of_vjp(reference, primals, tangents, dout, k):
    """JAX: how input k's gradient (for the upstream `dout`, held fixed)
    moves along the tangents."""
    jax = _jax()

    def gradient(*args):
        return jax.vjp(reference, *args)[1](dout)[k]

    return jax.jvp(gradient, primals, tangents)[1]


@pytest.mark.parametrize(
    "gate_name, params, inputs, reference", ARRAY_CASES, ids=ARRAY_IDS
)
def test_the_second_derivatives_of_an_array_gate_are_jax_jvp_of_the_vjp(
    gate_name, params, inputs, reference
):
    gate = GATES[gate_name]
    if gate.gives_data:
        assert gate.second("numpy", 0, (True,)) == ""
        return
    jax = _jax()
    names = _differentiable(gate)
    primals = [inputs[p] for p in names]
    nudges = {p: _RNG.normal(size=np.shape(inputs[p])) for p in names}
    out = _evaluate(gate.forward, gate, params, inputs)
    dout = _RNG.normal(size=np.shape(out))
    for moving in _subsets(gate):
        tangents = [
            nudges[p] if moving[gate.inputs.index(p)] else np.zeros_like(nudges[p])
            for p in names
        ]
        _, out_dot = jax.jvp(reference, primals, tangents)
        values = dict(inputs, out=out, dout=dout, out_dot=np.asarray(out_dot)) | {
            f"{p}_dot": nudges[p] for p in names if moving[gate.inputs.index(p)]
        }
        for k, p in enumerate(names):
            i = gate.inputs.index(p)
            want = _jvp_of_vjp(reference, primals, tangents, dout, k)
            other = inputs[gate.inputs[1 - i]] if gate.vector_seconds else None
            vector = other is not None and np.ndim(other) == 1
            template = gate.second("numpy", i, moving, vector=vector)
            if not template:
                np.testing.assert_allclose(want, 0.0, atol=1e-12)
                continue
            got = _evaluate(template, gate, params, values)
            assert np.shape(got) == np.shape(want), (gate_name, p, moving)
            np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("name", sorted(BINARY))
def test_an_elementwise_second_derivative_sums_back_like_backward(name):
    """x (3, 1), y (1, 4): each rule's second part has the output's shape,
    and summed back to its input's it is JAX's."""
    gate = GATES[name]
    x, y = _RNG.uniform(0.5, 2.0, (3, 1)), _RNG.uniform(0.5, 2.0, (1, 4))
    nudges = {"x_dot": _RNG.normal(size=(3, 1)), "y_dot": _RNG.normal(size=(1, 4))}
    values = {"x": x, "y": y}
    values["out"] = out = _evaluate(gate.code("numpy")[0], gate, {}, values)
    dout = _RNG.normal(size=np.shape(out))
    jax = _jax()
    for moving in _subsets(gate):
        tangents = (nudges["x_dot"] * moving[0], nudges["y_dot"] * moving[1])
        _, out_dot = jax.jvp(BINARY[name], (x, y), tangents)
        filled = values | nudges | {"dout": dout, "out_dot": np.asarray(out_dot)}
        for i, primal in enumerate((x, y)):
            want = _jvp_of_vjp(BINARY[name], (x, y), tangents, dout, i)
            template = gate.second("numpy", i, moving)
            got = _evaluate(template, gate, {}, filled) if template else 0.0
            got = _unbroadcast(np.broadcast_to(got, np.shape(out)), primal.shape)
            np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("name", sorted(REDUCING))
def test_the_second_derivative_of_a_reduction_on_an_array(name):
    jax, gate = _jax(), GATES[name]
    x, x_dot = _RNG.normal(size=(3, 4)), _RNG.normal(size=(3, 4))
    out = _evaluate(gate.code("numpy")[0], gate, {}, {"x": x})
    _, out_dot = jax.jvp(REDUCING[name], (x,), (x_dot,))
    want = _jvp_of_vjp(REDUCING[name], (x,), (x_dot,), 1.7, 0)
    values = {"x": x, "out": out, "x_dot": x_dot, "out_dot": out_dot, "dout": 1.7}
    template = gate.second("numpy", 0, (True,))
    got = _evaluate(template, gate, {}, values) if template else np.zeros_like(x)
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)


@pytest.mark.skipif(NODE is None, reason="Node.js is not installed")
def test_the_javascript_second_derivatives_are_sympys():
    cases = []
    for point in _scalar_points():
        for moving in _subsets(point.gate):
            values = _second_values(point, moving)
            for i in _rules_of(point.gate):
                template = point.gate.second("js", i, moving)
                if template:
                    names = {name: f"v_{name}" for name in values}
                    text = fill(template, names | point.params)
                    given = {f"v_{k}": v for k, v in values.items()}
                    cases.append((text, given, point.second(i, moving)))
                else:
                    assert point.second(i, moving) == pytest.approx(0.0, abs=1e-15)
    got = _run_js([(text, given) for text, given, _ in cases])
    for value, (text, _, want) in zip(got, cases):
        assert math.isclose(value, want, rel_tol=1e-12, abs_tol=1e-15), text


@pytest.mark.parametrize("name", ["softplus", "log_sigmoid", "sigmoid", "expm1"])
def test_the_stable_gates_rules_stay_finite_at_the_extremes(name):
    """At x = -1000 and 1000 the tangent and the second derivative are
    finite numbers (exp only ever sees a number <= 0), and SymPy's."""
    gate = GATES[name]
    function = dict((row[0], row[2]) for row in SCALAR_ROWS)[name]
    for x in (-1000.0, 1000.0):
        if name == "expm1" and x > 0:
            continue  # e^1000 itself is too large for a float
        point = _prepared(Point(gate, {}, {"x": x}, None), function)
        values = _second_values(point, (True,)) | {"x_dot": NUDGES[0]}
        for target in ("python", "numpy"):
            tangent = _second_number(
                gate.tangent(target, (True,)), point, values, target
            )
            second = _second_number(
                gate.second(target, 0, (True,)), point, values, target
            )
            assert np.all(np.isfinite([tangent, second])), (target, x)
            _close(tangent, point.tangent((True,)))
            _close(second, point.second(0, (True,)))


def test_a_tangent_at_a_tie_follows_the_gradients_tie_rule():
    """max(1, 1): the first input wins, so the output moves with it."""
    gate = GATES["max"]
    point = Point(gate, {}, {"x": 1.0, "y": 1.0}, None)
    values = {"x": 1.0, "y": 1.0, "out": 1.0, "x_dot": 0.7, "y_dot": -1.3}
    assert _python(gate.tangent("python", (True, True)), point, values) == 0.7
    assert list(_numpy(gate.tangent("numpy", (True, True)), point, values)) == [0.7] * 2
