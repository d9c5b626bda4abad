"""Every gate of the catalogue, checked on its own.

The table below is the reference: for each gate, programs that use it,
points inside its domain, and the closed-form value and derivatives written
here independently of the catalogue. A gate missing from the table fails
`test_every_gate_has_a_row`, so adding a gate means adding its row.
"""

from __future__ import annotations

import ast
import functools
import dataclasses
import itertools
import math

import numpy as np
import pytest
from helpers import numerical_gradient

import hnncompile
from hnncompile import cli, codegen
from hnncompile.gates import GATES, Gate, fill


def _sigmoid(x):
    return 1 / (1 + math.exp(-x))


# gate, program, points, value(x...), [d/dinput(x...) ...]
ROWS = [
    ("copy", "y = x", [(1.5,), (-2.0,)], lambda x: x, [lambda x: 1.0]),
    ("add", "x + y", [(1.5, -2.0)], lambda x, y: x + y, [lambda x, y: 1.0] * 2),
    (
        "sub",
        "x - y",
        [(1.5, -2.0)],
        lambda x, y: x - y,
        [lambda x, y: 1.0, lambda x, y: -1.0],
    ),
    (
        "mul",
        "x * y",
        [(1.5, -2.0)],
        lambda x, y: x * y,
        [lambda x, y: y, lambda x, y: x],
    ),
    ("div", "x / 4", [(1.5,), (-3.0,)], lambda x: x / 4, [lambda x: 0.25]),
    ("div", "1.0 / y", [(1.5,), (-3.0,)], lambda y: 1 / y, [lambda y: -1 / y**2]),
    ("neg", "-x", [(1.5,)], lambda x: -x, [lambda x: -1.0]),
    ("square", "x**2", [(1.5,), (-3.0,)], lambda x: x * x, [lambda x: 2 * x]),
    ("powc", "x**3", [(1.5,), (-3.0,)], lambda x: x * x * x, [lambda x: 3 * x * x]),
    (
        "fracpow",
        "x^-0.5",
        [(1.5,), (0.3,)],
        lambda x: 1 / math.sqrt(x),
        [lambda x: -0.5 / x**1.5],
    ),
    (
        "pow",
        "x**y",
        [(1.5, 2.2), (0.7, -1.3)],
        lambda x, y: math.exp(y * math.log(x)),
        [
            lambda x, y: y * math.exp((y - 1) * math.log(x)),
            lambda x, y: math.log(x) * x**y,
        ],
    ),
    (
        "fracpow",
        "x**1.5",
        [(2.5,), (0.3,)],
        lambda x: x * math.sqrt(x),
        [lambda x: 1.5 * math.sqrt(x)],
    ),
    (
        "cpow",
        "2**y",
        [(1.5,), (-0.5,)],
        lambda y: 2.0**y,
        [lambda y: math.log(2) * 2.0**y],
    ),
    ("exp", "exp(x)", [(1.5,), (-2.0,)], math.exp, [math.exp]),
    ("log", "log(x)", [(1.5,), (0.2,)], math.log, [lambda x: 1 / x]),
    (
        "sqrt",
        "sqrt(x)",
        [(1.5,), (0.2,)],
        math.sqrt,
        [lambda x: 1 / (2 * math.sqrt(x))],
    ),
    ("sin", "sin(x)", [(1.5,), (-2.0,)], math.sin, [math.cos]),
    ("cos", "cos(x)", [(1.5,), (-2.0,)], math.cos, [lambda x: -math.sin(x)]),
    (
        "tanh",
        "tanh(x)",
        [(1.5,), (-0.3,)],
        math.tanh,
        [lambda x: 1 / math.cosh(x) ** 2],
    ),
    (
        "sigmoid",
        "sigmoid(x)",
        [(3.0,), (-1.0,)],
        _sigmoid,
        [lambda x: math.exp(-x) / (1 + math.exp(-x)) ** 2],
    ),
    (
        "relu",
        "relu(x)",
        [(1.5,), (-2.0,)],
        lambda x: max(x, 0),
        [lambda x: float(x > 0)],
    ),
    ("abs", "abs(x)", [(1.5,), (-2.0,)], abs, [lambda x: math.copysign(1, x)]),
    (
        "max",
        "max(x, y)",
        [(1.5, -2.0), (-2.0, 1.5)],
        max,
        [lambda x, y: float(x > y), lambda x, y: float(y > x)],
    ),
    (
        "min",
        "min(x, y)",
        [(1.5, -2.0), (-2.0, 1.5)],
        min,
        [lambda x, y: float(x < y), lambda x, y: float(y < x)],
    ),
    (
        "maxc",
        "max(x, -0.5)",
        [(1.5,), (-2.0,)],
        lambda x: max(x, -0.5),
        [lambda x: float(x > -0.5)],
    ),
    (
        "minc",
        "min(2, x)",
        [(1.5,), (3.0,)],
        lambda x: min(x, 2.0),
        [lambda x: float(x < 2)],
    ),
    ("sum", "sum(x)", [(1.5,)], lambda x: x, [lambda x: 1.0]),
    ("mean", "mean(x)", [(1.5,)], lambda x: x, [lambda x: 1.0]),
    # The stable gates (SPEC section 6): here at ordinary points, and in
    # test_stable_gates.py against mpmath from -1000 to 1000.
    (
        "softplus",
        "softplus(x)",
        [(1.5,), (-2.0,)],
        lambda x: math.log(1 + math.exp(x)),
        [_sigmoid],
    ),
    (
        "log_sigmoid",
        "log_sigmoid(x)",
        [(1.5,), (-2.0,)],
        lambda x: math.log(_sigmoid(x)),
        [lambda x: 1 - _sigmoid(x)],
    ),
    (
        "log1p",
        "log1p(x)",
        [(1.5,), (-0.5,)],
        lambda x: math.log(1 + x),
        [lambda x: 1 / (1 + x)],
    ),
    (
        "expm1",
        "expm1(x)",
        [(1.5,), (-2.0,)],
        lambda x: math.exp(x) - 1,
        [math.exp],
    ),
    ("logsumexp", "logsumexp(x)", [(1.5,), (-2.0,)], lambda x: x, [lambda x: 1.0]),
]

CASES = [
    pytest.param(gate, program, point, value, grads, id=f"{gate}:{program}@{point}")
    for gate, program, points, value, grads in ROWS
    for point in points
]


def test_every_gate_has_a_row():
    scalar = {name for name, gate in GATES.items() if not gate.array_only}
    assert {row[0] for row in ROWS} == scalar
    assert {case[0] for case in ARRAY_CASES} == set(GATES) - scalar


@pytest.mark.parametrize("gate, program, point, value, grads", CASES)
def test_gate_value_and_gradient(gate, program, point, value, grads):
    f = hnncompile.compile(program)
    assert gate in [eqn.gate for eqn in f.gates.eqns], str(f.gates)
    assert f(*point) == pytest.approx(value(*point), rel=1e-12)
    analytic = f.backward(*point)
    assert analytic == pytest.approx([g(*point) for g in grads], rel=1e-12)
    numerical = numerical_gradient(f.forward, point)
    assert analytic == pytest.approx(numerical, rel=1e-6, abs=1e-9)
    # The upstream gradient is chained in: dout scales every gradient.
    assert f.backward(*point, dout=-2.5) == pytest.approx([-2.5 * a for a in analytic])


@pytest.mark.parametrize("gate, program, point, value, grads", CASES)
def test_numpy_gate_acts_elementwise_on_arrays(gate, program, point, value, grads):
    """The array target's form of the gate, on arrays of the table's points
    (each input a column, with a second row shifted a little): the value and
    the gradients of every element, and dout chained in elementwise."""
    f = hnncompile.compile(program, target="numpy")
    rows = [point, tuple(v * 1.1 for v in point)]
    columns = [np.array(column) for column in zip(*rows)]
    dout = np.array([0.5, -2.0])
    if gate in ("sum", "mean"):  # the reductions: one number from the array
        n = len(rows)
        assert f(*columns) == pytest.approx(
            sum(r[0] for r in rows) / (n if gate == "mean" else 1)
        )
        (grad,) = f.backward(*columns, dout=3.0)
        assert grad == pytest.approx([3.0 / (n if gate == "mean" else 1)] * n)
        return
    if gate == "logsumexp":  # log(e^a + e^b), whose gradient is the softmax
        (a, b), (column,) = [r[0] for r in rows], columns
        total = math.exp(a) + math.exp(b)
        assert f(column) == pytest.approx(math.log(total), rel=1e-12)
        (grad,) = f.backward(column, dout=3.0)
        expected = [3.0 * math.exp(a) / total, 3.0 * math.exp(b) / total]
        assert grad == pytest.approx(expected, rel=1e-12)
        return
    assert f(*columns) == pytest.approx([value(*row) for row in rows], rel=1e-12)
    analytic = f.backward(*columns, dout=dout)
    for i, g in enumerate(grads):
        expected = [d * g(*row) for d, row in zip(dout, rows)]
        assert analytic[i] == pytest.approx(expected, rel=1e-12)
        assert np.shape(analytic[i]) == (2,)


# The targets whose modules run here; the JavaScript one runs in Node
# (test_js_target.py checks it against these same tables).
PYTHON_TARGETS = [t for t in hnncompile.TARGETS if codegen.TARGETS[t].runs_in_python]

TIES = [
    ("max(x, y)", (1.0, 1.0), (1.0, 0.0)),  # a tie: the first input wins
    ("min(x, y)", (1.0, 1.0), (1.0, 0.0)),
    ("max(x, y, z)", (2.0, 1.0, 2.0), (1.0, 0.0, 0.0)),
    ("max(x, y, z)", (1.0, 2.0, 2.0), (0.0, 1.0, 0.0)),
    ("relu(x)", (0.0,), (0.0,)),
    ("abs(x)", (0.0,), (0.0,)),
    ("max(x, 0)", (0.0,), (0.0,)),  # a constant that ties wins, as in the
    ("max(0, x)", (0.0,), (0.0,)),  # tutorial's Math.max(a, 0) and a > 0 ? dx : 0
]


@pytest.mark.parametrize("target", PYTHON_TARGETS)
@pytest.mark.parametrize("program, point, expected", TIES)
def test_kinks_follow_the_tie_rule(program, point, expected, target):
    assert hnncompile.compile(program, target=target).backward(*point) == expected


TEMPLATES = [
    pytest.param(gate, target, id=f"{gate.name}-{target}")
    for gate in GATES.values()
    for target in hnncompile.TARGETS
]


@pytest.mark.parametrize("gate, target", TEMPLATES)
def test_templates_use_only_what_the_gate_provides(gate, target):
    own = set(gate.inputs) | set(gate.params)
    forward, rules = gate.code(target)
    assert len(rules) == len(gate.inputs)
    assert gate.placeholders(forward) <= own
    for i, rule in enumerate(rules):
        used = gate.placeholders(rule)
        assert used <= own | {"out", "dout"}
        if i in gate.data_inputs or gate.gives_data:  # no gradient: no rule
            assert rule == "", (gate.name, i)
            continue
        assert (
            "dout" in used
        ), f"{gate.name}: a rule must chain in the gradient from above"
    for rule in gate.vector_grads or ():
        assert "dout" in gate.placeholders(rule) <= own | {"out", "dout"}
    assert gate.vector_grads is None or len(gate.vector_grads) == len(gate.inputs)
    assert gate.placeholders(gate.explain) <= own | {"out", "dout"}
    # A gate of two inputs says what each gets on its own, for the backward
    # group where the other is a constant (`f = 3*a`): it names that input.
    # (A data input, an index or a size, gets nothing.)
    many = len(gate.inputs) - len(gate.data_inputs) > 1
    assert len(gate.explain_inputs) == (len(gate.inputs) if many else 0)
    for name, part in zip(gate.inputs, gate.explain_inputs):
        assert name in gate.placeholders(part)
        assert gate.placeholders(part) <= own | {"out", "dout"}
    assert gate.placeholders(gate.notation) == set(gate.inputs) | (
        set(gate.params) & gate.placeholders(gate.forward)
    )
    assert gate.placeholders(gate.label) <= set(gate.params)
    if gate.kink:
        assert gate.placeholders(gate.kink) <= set(gate.inputs) | set(gate.params)


@pytest.mark.parametrize(
    "gate, target", [t for t in TEMPLATES if t.values[1] in PYTHON_TARGETS]
)
def test_templates_are_python_expressions(gate, target):
    names = {p: f"w_{p}" for p in [*gate.inputs, *gate.params, "out", "dout"]}
    forward, rules = gate.code(target)
    rules = [rule for rule in rules if rule]  # a data input's rule is ""
    for template in [forward, *rules, *(gate.vector_grads or ())] + (
        [gate.kink] if gate.kink else []
    ):
        ast.parse(fill(template, names), mode="eval")


# The methods an array gate's template may call on an array: NumPy's own.
_ARRAY_METHODS = {"sum", "mean", "max", "min", "reshape"}


def test_numpy_templates_call_only_numpy():
    """The array target's code may use NumPy and arithmetic, nothing from math
    and no Python builtin that would not act elementwise (the gates of
    section 5 may call NumPy's array methods: x.sum(1), x.reshape(2, 3))."""
    for gate in GATES.values():
        forward, rules = gate.code("numpy")
        for template in [forward, *rules, *(gate.vector_grads or ())]:
            if not template:  # a data input's rule
                continue
            values = {"x": "x", "y": "y", "i": "i", "n": "n"} | _OTHERS
            tree = ast.parse(fill(template, values), "", "eval")
            for node in ast.walk(tree):
                if isinstance(node, ast.Call):
                    func = ast.unparse(node.func)
                    method = (
                        isinstance(node.func, ast.Attribute)
                        and node.func.attr in _ARRAY_METHODS
                    )
                    assert func.startswith("np.") or (gate.array_only and method), (
                        gate,
                        template,
                    )
            assert " if " not in template, (gate.name, "use a mask, not if/else")


_OTHERS = {"out": "out", "dout": "dout", "p": "3", "p_minus_1": "2"}
_OTHERS |= {"c": "2.0", "log_c": "0.6931471805599453"}
_OTHERS |= {"axis": "1", "index": ":, 2", "k": "0"}
_OTHERS |= {f"s{k}": "-1" for k in range(1, 5)}


def test_negative_constant_base_is_bracketed():
    assert fill("{x}**{y}", {"x": "-2", "y": "t"}) == "(-2) ** t"
    assert fill("{x} * {y}", {"x": "a", "y": "-2"}) == "a * -2"
    f = hnncompile.compile("(-2)**y")
    assert "out = (-2) ** y" in f.source
    assert f(3.0) == -8.0
    (dy,) = f.backward(3.0)  # d/dy needs log(-2): no real gradient
    assert math.isnan(dy)


def _every_template() -> list[str]:
    templates = set()
    for gate in GATES.values():
        for target in ("python", "numpy", "js"):
            forward, grads = gate.code(target)
            templates.update([forward, *grads])
        templates.update([gate.code("python", fast=True)[0], gate.explain])
        templates.update([*gate.explain_inputs, gate.notation, gate.kink or ""])
    return sorted(templates)


def test_fill_skips_the_bracketing_only_where_no_sign_matters():
    """fill formats a template directly unless a value it would bracket is
    signed: for every template and every mix of names, numbers and
    negative numbers in its fields, that is what bracketing piece by piece
    gives."""
    from hnncompile.gates.gate import _bracketed, _fields

    for template in _every_template():
        fields = sorted(_fields(template))
        for texts in itertools.product(["w", "2", "-2", "(-2)"], repeat=len(fields)):
            values = dict(zip(fields, texts))
            expected = _bracketed(template, values)
            assert fill(template, values) == expected, (template, values)


def _broken_mul(monkeypatch):
    wrong = dataclasses.replace(GATES["mul"], grads=("{x} * {dout}", "{y} * {dout}"))
    monkeypatch.setitem(GATES, "mul", wrong)


def test_gradcheck_catches_a_wrong_rule(monkeypatch):
    _broken_mul(monkeypatch)
    f = hnncompile.compile("f = a * b")
    report = hnncompile.gradcheck(f, 2.0, 3.0)
    assert not report.passed
    assert [row.verdict for row in report.rows] == ["FAIL", "FAIL"]
    assert report.rows[0].analytic == 2.0 and report.rows[0].numerical == pytest.approx(
        3.0
    )


def test_check_command_exits_1_on_a_wrong_rule(monkeypatch, tmp_path, capsys):
    _broken_mul(monkeypatch)
    program = tmp_path / "f.hnn"
    program.write_text("f = a * b\n")
    assert cli.main(["check", str(program), "a=2", "b=3"]) == 1
    assert "FAIL" in capsys.readouterr().out


RULES = sorted(
    {(gate, i) for gate, _, _, _, grads in ROWS for i in range(len(GATES[gate].grads))}
)


def made_wrong(gate: str, i: int, target: str) -> Gate:
    """The gate with its i-th local-gradient rule on `target` scaled by 1.5."""
    entry = GATES[gate]
    grads = list(entry.code(target)[1])
    grads[i] = f"1.5 * ({grads[i]})"
    field = {"numpy": "numpy_grads", "js": "js_grads"}.get(target, "grads")
    return dataclasses.replace(entry, **{field: tuple(grads)})


@pytest.mark.parametrize("target", PYTHON_TARGETS)
@pytest.mark.parametrize("gate, i", RULES, ids=lambda v: str(v))
def test_gradcheck_catches_every_rule_made_wrong(monkeypatch, gate, i, target):
    """Scale one local-gradient rule by 1.5: the check must notice, at some
    point of the table, for every rule of every gate, on every target."""
    if codegen.TARGETS[target].refuses(GATES[gate]):  # numba: logsumexp
        pytest.skip(f"the {target} target refuses {gate}")
    monkeypatch.setitem(GATES, gate, made_wrong(gate, i, target))
    failures = 0
    for row_gate, program, points, _, _ in ROWS:
        if row_gate != gate:
            continue
        for point in points:
            f = hnncompile.compile(program, target=target)
            failures += not hnncompile.gradcheck(f, *point).passed
    assert failures > 0


# --- The gates of vectors and matrices (SPEC section 5) ---------------------
#
# Checked on their own, without the code generator: each template is filled
# with names, run with NumPy on small arrays, and compared with JAX (an
# independent automatic differentiation): the forward with JAX's value, each
# gradient rule with JAX's vector-Jacobian product for a random upstream
# gradient. A gradient written through a scatter (`scatter`) is written
# here the way the code generator writes it: into zeros, with np.add.at
# where indices repeat.

_RNG = np.random.default_rng(12)


def _normal(*shape):
    return _RNG.normal(size=shape)


def _tied(shape, axis):
    """An array whose extreme along `axis` is attained twice in every line,
    so the rule must pick the first."""
    x = np.round(_RNG.normal(size=shape), 1)
    top = np.max(np.abs(x)) + 1
    moved = np.moveaxis(x, axis, -1)
    moved[..., 1] = moved[..., -1] = top
    moved[..., 0] = -top  # the minimum, twice too
    moved[..., -2] = -top
    return np.moveaxis(moved, -1, axis)


# gate, params (written into the templates), inputs (data ones are integer
# arrays or ints), and the same function in JAX of the non-data inputs.
ARRAY_CASES = [
    ("matmul", {}, {"x": _normal(3, 4), "y": _normal(4, 2)}, lambda x, y: x @ y),
    ("matmul", {}, {"x": _normal(3, 4), "y": _normal(4)}, lambda x, y: x @ y),
    ("matmul", {}, {"x": _normal(4), "y": _normal(4, 2)}, lambda x, y: x @ y),
    ("matmul", {}, {"x": _normal(4), "y": _normal(4)}, lambda x, y: x @ y),
    ("transpose", {}, {"x": _normal(3, 4)}, lambda x: x.T),
    ("transpose", {}, {"x": _normal(2, 3, 4)}, lambda x: x.T),
]
for _axis, _shape in [("0", (3, 4)), ("1", (3, 4)), ("-1", (3, 4)), ("1", (2, 3, 4))]:
    _a = int(_axis)
    ARRAY_CASES += [
        (
            "sum_axis",
            {"axis": _axis},
            {"x": _normal(*_shape)},
            lambda x, a=_a: x.sum(a),
        ),
        (
            "sum_keepdims",
            {"axis": _axis},
            {"x": _normal(*_shape)},
            lambda x, a=_a: x.sum(a, keepdims=True),
        ),
        (
            "mean_axis",
            {"axis": _axis},
            {"x": _normal(*_shape)},
            lambda x, a=_a: x.mean(a),
        ),
        (
            "mean_keepdims",
            {"axis": _axis},
            {"x": _normal(*_shape)},
            lambda x, a=_a: x.mean(a, keepdims=True),
        ),
    ]
    for _extreme in ("max", "min"):
        # Ties: the reference picks the first extreme (JAX's own max rule
        # shares the gradient among ties), by argmax / argmin.
        def _first(x, a=_a, e=_extreme, keep=False):
            import jax.numpy as jnp

            at = (jnp.argmax if e == "max" else jnp.argmin)(x, axis=a, keepdims=True)
            picked = jnp.take_along_axis(x, at, axis=a)
            return picked if keep else jnp.squeeze(picked, axis=a)

        for _x in (_normal(*_shape), _tied(_shape, _a)):
            ARRAY_CASES += [
                (f"{_extreme}_axis", {"axis": _axis}, {"x": _x}, _first),
                (
                    f"{_extreme}_keepdims",
                    {"axis": _axis},
                    {"x": _x},
                    functools.partial(_first, keep=True),
                ),
            ]


def _first_of_all(x, e):
    import jax.numpy as jnp

    flat = x.reshape(-1)
    return flat[(jnp.argmax if e == "max" else jnp.argmin)(flat)]


for _extreme in ("max", "min"):
    for _x in (_normal(3, 4), _tied((3, 4), 1), _normal(5)):
        ARRAY_CASES.append(
            (
                f"{_extreme}_all",
                {},
                {"x": _x},
                functools.partial(_first_of_all, e=_extreme),
            )
        )
for _index in ["1", "-1", ":, 2", "1:3", ":, None", "None, :", ":2, -1", ":, 1:"]:
    ARRAY_CASES.append(
        (
            "index",
            {"index": _index},
            {"x": _normal(3, 4)},
            lambda x, i=_index: eval(f"x[{i}]"),
        )
    )
_X = np.array([[0, 2, 2, 4], [1, 0, 2, 2]])  # rows repeat: 2 four times
ARRAY_CASES += [
    ("take", {}, {"x": _normal(5, 3), "i": _X}, lambda x: x[_X]),
    (
        "take",
        {},
        {"x": _normal(5), "i": np.array([3, 3, 0])},
        lambda x: x[np.array([3, 3, 0])],
    ),
    (
        "pick",
        {},
        {"x": _normal(4, 3), "n": 4, "i": np.array([2, 0, 2, 1])},
        lambda x: x[np.arange(4), np.array([2, 0, 2, 1])],
    ),
    ("dim", {"k": "0"}, {"x": _normal(3, 4)}, None),
    ("dim", {"k": "-1"}, {"x": _normal(3, 4)}, None),
    ("reshape1", {}, {"x": _normal(2, 3), "s1": -1}, lambda x: x.reshape(-1)),
    ("reshape2", {}, {"x": _normal(2, 3, 4), "s1": 2, "s2": -1}, None),
    ("reshape3", {}, {"x": _normal(6, 4), "s1": 3, "s2": 2, "s3": 4}, None),
    ("reshape4", {}, {"x": _normal(24), "s1": 1, "s2": 2, "s3": 3, "s4": 4}, None),
]

# The stable gates of arrays (SPEC section 6), along each axis and over all
# elements, at ordinary values (extremes: test_stable_gates.py).
for _axis, _shape in [("0", (3, 4)), ("1", (3, 4)), ("-1", (2, 3, 4))]:
    _a = int(_axis)
    ARRAY_CASES += [
        (
            "logsumexp_axis",
            {"axis": _axis},
            {"x": _normal(*_shape)},
            lambda x, a=_a: _jax_special().logsumexp(x, axis=a),
        ),
        (
            "logsumexp_keepdims",
            {"axis": _axis},
            {"x": _normal(*_shape)},
            lambda x, a=_a: _jax_special().logsumexp(x, axis=a, keepdims=True),
        ),
        (
            "softmax_axis",
            {"axis": _axis},
            {"x": _normal(*_shape)},
            lambda x, a=_a: _jax_nn().softmax(x, axis=a),
        ),
        (
            "log_softmax_axis",
            {"axis": _axis},
            {"x": _normal(*_shape)},
            lambda x, a=_a: _jax_nn().log_softmax(x, axis=a),
        ),
    ]
for _x in (_normal(3, 4), _normal(5)):
    ARRAY_CASES += [
        (
            "softmax",
            {},
            {"x": _x},
            lambda x: _jax_nn().softmax(x.reshape(-1)).reshape(x.shape),
        ),
        (
            "log_softmax",
            {},
            {"x": _x},
            lambda x: _jax_nn().log_softmax(x.reshape(-1)).reshape(x.shape),
        ),
    ]
_LABELS = np.array([2, 0, 2, 1])
ARRAY_CASES.append(
    (
        "cross_entropy",
        {},
        {"x": _normal(4, 3), "i": _LABELS},
        lambda x: -_jax_nn().log_softmax(x, axis=1)[np.arange(4), _LABELS].mean(),
    )
)


def _jax_nn():
    import jax

    return jax.nn


def _jax_special():
    import jax.scipy.special

    return jax.scipy.special


def _reshaped(case):
    """A reshape's JAX reference: the same sizes."""
    gate, params, inputs, reference = case
    if gate.startswith("reshape") and reference is None:
        sizes = [inputs[f"s{k}"] for k in range(1, int(gate[-1]) + 1)]
        reference = lambda x: x.reshape(*sizes)  # noqa: E731
    return gate, params, inputs, reference


ARRAY_CASES = [_reshaped(case) for case in ARRAY_CASES]


def _evaluate(template: str, gate: Gate, params: dict, values: dict):
    """A template filled with names and run on `values` with NumPy."""
    names = {name: f"v_{name}" for name in values}
    expression = fill(template, names | params)
    return eval(
        expression,
        {"np": np},  # (no empty __builtins__: NumPy then crashes once JAX is loaded)
        {f"v_{name}": value for name, value in values.items()},  # noqa: S307
    )


def _rule(gate: Gate, i: int, inputs: dict) -> str:
    """The rule the code generator picks for input i: matmul's vector form
    where the other operand is a vector."""
    if gate.vector_grads is not None:
        other = inputs[gate.inputs[1 - i]]
        if np.ndim(other) == 1:
            return gate.vector_grads[i]
    return gate.code("numpy")[1][i]


def _backward(gate: Gate, i: int, params: dict, inputs: dict, out, dout):
    """Input i's gradient, as the code generator writes it."""
    values = dict(inputs, out=out, dout=dout)
    contribution = _evaluate(_rule(gate, i, inputs), gate, params, values)
    if gate.scatter is None:
        return contribution
    grad = np.zeros_like(inputs[gate.inputs[i]])
    where = eval(  # noqa: S307
        "np.s_[" + fill(gate.scatter, {k: f"v_{k}" for k in inputs} | params) + "]",
        {"np": np},
        {f"v_{k}": v for k, v in inputs.items()},
    )
    if gate.scatter_repeats:
        np.add.at(grad, where, contribution)
    else:
        grad[where] = contribution
    return grad


ARRAY_IDS = [
    f"{gate}:{'/'.join(map(str, params.values()))}:"
    + "x".join(str(n) for n in np.shape(inputs["x"]))
    + f"#{k}"
    for k, (gate, params, inputs, _) in enumerate(ARRAY_CASES)
]


@pytest.mark.parametrize(
    "gate_name, params, inputs, reference", ARRAY_CASES, ids=ARRAY_IDS
)
def test_array_gate_against_jax(gate_name, params, inputs, reference):
    import jax

    jax.config.update("jax_enable_x64", True)
    gate = GATES[gate_name]
    assert gate.array_only
    out = _evaluate(gate.code("numpy")[0], gate, params, inputs)
    if gate.gives_data:  # a size: data, no gradient
        assert out == inputs["x"].shape[int(params["k"])]
        assert type(out) is int
        return
    differentiable = [p for i, p in enumerate(gate.inputs) if i not in gate.data_inputs]
    arrays = [inputs[p] for p in differentiable]
    expected, vjp = jax.vjp(reference, *arrays)
    assert np.shape(out) == np.shape(expected)
    np.testing.assert_allclose(out, expected, rtol=1e-12, atol=1e-12)
    dout = _RNG.normal(size=np.shape(out))
    grads = vjp(dout)
    for p, expected_grad in zip(differentiable, grads):
        grad = _backward(gate, gate.inputs.index(p), params, inputs, out, dout)
        assert np.shape(grad) == np.shape(inputs[p]), (p, gate_name)
        np.testing.assert_allclose(grad, expected_grad, rtol=1e-12, atol=1e-12)


def test_array_gates_keep_float32():
    """float32 in, float32 out, for the value and every gradient rule."""
    for gate_name, params, inputs, _ in ARRAY_CASES:
        gate = GATES[gate_name]
        if gate.gives_data:
            continue
        small = {
            k: v.astype(np.float32) if np.asarray(v).dtype.kind == "f" else v
            for k, v in inputs.items()
        }
        out = _evaluate(gate.code("numpy")[0], gate, params, small)
        assert out.dtype == np.float32, gate_name
        dout = np.ones_like(out)
        for i in range(len(gate.inputs)):
            if i not in gate.data_inputs:
                grad = _backward(gate, i, params, small, out, dout)
                assert grad.dtype == np.float32, (gate_name, i)


def test_a_tie_in_an_axis_max_goes_to_the_first_element():
    x = np.array([[1.0, 3.0, 3.0], [2.0, 2.0, 0.0]])
    for gate_name, dout in (("max_axis", np.array([5.0, 7.0])), ("max_keepdims", None)):
        gate = GATES[gate_name]
        out = _evaluate(gate.forward, gate, {"axis": "1"}, {"x": x})
        dout = np.array([[5.0], [7.0]]) if dout is None else dout
        grad = _backward(gate, 0, {"axis": "1"}, {"x": x}, out, dout)
        assert grad.tolist() == [[0.0, 5.0, 0.0], [7.0, 0.0, 0.0]]
    gate = GATES["min_axis"]  # and the minimum along axis 0
    out = _evaluate(gate.forward, gate, {"axis": "0"}, {"x": x})
    grad = _backward(gate, 0, {"axis": "0"}, {"x": x}, out, np.array([1.0, 2.0, 3.0]))
    assert grad.tolist() == [[1.0, 0.0, 0.0], [0.0, 2.0, 3.0]]


def test_a_repeated_row_of_a_lookup_gets_every_gradient():
    gate = GATES["take"]
    table, rows = np.zeros((3, 2)), np.array([2, 0, 2])
    dout = np.array([[1.0, 2.0], [3.0, 4.0], [10.0, 20.0]])
    out = _evaluate(gate.forward, gate, {}, {"x": table, "i": rows})
    grad = _backward(gate, 0, {}, {"x": table, "i": rows}, out, dout)
    assert grad.tolist() == [[3.0, 4.0], [0.0, 0.0], [11.0, 22.0]]


def test_the_array_gates_say_why_the_shapes_fit():
    """Each explanation speaks of shapes or axes, so a learner sees why the
    gradient has its input's shape."""
    for gate in GATES.values():
        if gate.array_only and not gate.gives_data:
            text = " ".join((gate.explain, *gate.explain_inputs))
            assert "shape" in text or "axis" in text or "each row" in text, gate.name
    assert "(n, k) @ (k, m)" in GATES["matmul"].explain
