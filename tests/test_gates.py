"""Every gate of the catalogue, checked on its own.

The table below is the reference: for each gate, programs that use it,
points inside its domain, and the closed-form value and derivatives written
here independently of the catalogue. A gate missing from the table fails
`test_every_gate_has_a_row`, so adding a gate means adding its row.
"""

from __future__ import annotations

import ast
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
]

CASES = [
    pytest.param(gate, program, point, value, grads, id=f"{gate}:{program}@{point}")
    for gate, program, points, value, grads in ROWS
    for point in points
]


def test_every_gate_has_a_row():
    assert {row[0] for row in ROWS} == set(GATES)


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
    for rule in rules:
        used = gate.placeholders(rule)
        assert used <= own | {"out", "dout"}
        assert (
            "dout" in used
        ), f"{gate.name}: a rule must chain in the gradient from above"
    assert gate.placeholders(gate.explain) <= own | {"out", "dout"}
    # A gate of two inputs says what each gets on its own, for the backward
    # group where the other is a constant (`f = 3*a`): it names that input.
    many = len(gate.inputs) > 1
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
    for template in [forward, *rules] + ([gate.kink] if gate.kink else []):
        ast.parse(fill(template, names), mode="eval")


def test_numpy_templates_call_only_numpy():
    """The array target's code may use NumPy and arithmetic, nothing from math
    and no Python builtin that would not act elementwise."""
    for gate in GATES.values():
        for template in gate.code("numpy")[0:1] + gate.code("numpy")[1]:
            tree = ast.parse(fill(template, {"x": "x", "y": "y"} | _OTHERS), "", "eval")
            for node in ast.walk(tree):
                if isinstance(node, ast.Call):
                    assert ast.unparse(node.func).startswith("np."), (gate, template)
            assert " if " not in template, (gate.name, "use a mask, not if/else")


_OTHERS = {"out": "out", "dout": "dout", "p": "3", "p_minus_1": "2"}
_OTHERS |= {"c": "2.0", "log_c": "0.6931471805599453"}


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
    from hnncompile.gates import _bracketed, _fields

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
    monkeypatch.setitem(GATES, gate, made_wrong(gate, i, target))
    failures = 0
    for row_gate, program, points, _, _ in ROWS:
        if row_gate != gate:
            continue
        for point in points:
            f = hnncompile.compile(program, target=target)
            failures += not hnncompile.gradcheck(f, *point).passed
    assert failures > 0
