"""The JavaScript target: the emitted ES module, run by Node.js.

One Node process (tests/js/runner.mjs) serves the whole session: each
request is a module and some points, each answer forward's value and
backward's gradients there. The numbers are compared with the Python
target's, which the rest of the suite checks against numerical gradients.
"""

from __future__ import annotations

import json
import math
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from helpers import numerical_gradient
from test_codegen import compare_with_golden
from test_gates import ROWS, RULES, TIES, made_wrong
from test_properties import INPUTS, POINTS, programs

import hnncompile
from hnncompile.cli import main
from hnncompile.gates import GATES, fill

TESTS = Path(__file__).parent
EXAMPLES = TESTS.parent / "examples"
NODE = shutil.which("node")

if NODE is None and os.environ.get("CI"):
    raise RuntimeError("CI must run the JavaScript tests: install Node.js")
pytestmark = pytest.mark.skipif(NODE is None, reason="Node.js is not installed")


class Node:
    """A Node.js process that imports modules and calls their functions."""

    def __init__(self) -> None:
        self.process = subprocess.Popen(
            [NODE, str(TESTS / "js" / "runner.mjs")],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )

    def run(self, module: str, points, dout: float = 1.0) -> list[tuple]:
        request = {"module": module, "points": [list(p) for p in points], "dout": dout}
        self.process.stdin.write(json.dumps(request) + "\n")
        self.process.stdin.flush()
        reply = json.loads(self.process.stdout.readline())
        assert "error" not in reply, reply["error"]
        return [
            (_number(r["value"]), tuple(map(_number, r["grads"])))
            for r in reply["results"]
        ]

    def close(self) -> None:
        self.process.stdin.close()
        self.process.wait(timeout=10)


def _number(value) -> float:
    return float(value)  # "NaN", "Infinity" and "-Infinity" included


@pytest.fixture(scope="module")
def node():
    process = Node()
    yield process
    process.close()


def close(a: float, b: float) -> bool:
    # V8's Math and C's libm may differ in the last bits of exp, log, sin...
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)


def test_the_tutorials_neuron_in_javascript(node):
    f = hnncompile.compile_file(EXAMPLES / "neuron.hnn", target="js")
    assert "export function forward(a, x, b, y, c) {" in f.source
    assert "var f = 1 / (1 + Math.exp(-q));" in f.source
    [(value, grads)] = node.run(f.source, [(1.0, -1.0, 2.0, 3.0, -3.0)])
    assert value == pytest.approx(0.8808, abs=5e-5)
    # In input order a, x, b, y, c: the tutorial's -0.105, 0.105, 0.315, 0.210, 0.105.
    assert grads == pytest.approx((-0.105, 0.105, 0.315, 0.210, 0.105), abs=5e-4)
    python = hnncompile.compile_file(EXAMPLES / "neuron.hnn")
    assert value == python(1.0, -1.0, 2.0, 3.0, -3.0)


def test_the_ninja_example_and_dout(node):
    f = hnncompile.compile("pow((a*b+c)*d, 2)", target="js")
    [(value, grads)] = node.run(f.source, [(1, 2, 3, 4)], dout=0.5)
    assert value == 400
    assert grads == (160.0, 80.0, 80.0, 100.0)


@given(programs(), st.lists(POINTS, min_size=3, max_size=3))
@settings(max_examples=100)
def test_random_programs_give_the_python_targets_numbers(node, program, points):
    python = hnncompile.compile(program)
    js = hnncompile.compile(program, target="js")
    optimized = hnncompile.compile(program, target="js", optimize=True)
    kept, expected = [], []
    for point in points:
        args = [dict(zip(INPUTS, point))[name] for name in python.inputs]
        try:
            expected.append((python(*args), python.backward(*args)))
        except (ValueError, ZeroDivisionError, OverflowError):
            continue  # Python raises where JavaScript gives NaN or Infinity
        kept.append(args)
    assume(expected and all(isinstance(v, float) for v, _ in expected))
    for module in (js.source, optimized.source):
        for (value, grads), (want, want_grads) in zip(node.run(module, kept), expected):
            assert close(value, want), (value, want)
            assert all(close(g, w) for g, w in zip(grads, want_grads))


@pytest.mark.parametrize(
    "program",
    [
        "new = a * this\nf = new + Math.exp(var)",
        "function = max(a, 0.5)\nlet delete = function ** 3\nf = delete / 2",
        "Math = a - b\nNaN = Math * Math\nf = abs(NaN) + min(a, b)",
    ],
)
def test_javascript_words_are_renamed_the_same_way_on_every_target(node, program):
    python = hnncompile.compile(program)
    js = hnncompile.compile(program, target="js")
    point = [0.7 + 0.3 * i for i in range(len(python.inputs))]
    [(value, grads)] = node.run(js.source, [point])
    assert close(value, python(*point))
    assert all(close(g, w) for g, w in zip(grads, python.backward(*point)))
    python_names = python.source.split("def forward(")[1].split(")")[0]
    assert f"export function forward({python_names})" in js.source


def test_debug_is_renamed_the_same_way_in_javascript(node):
    program = "__debug__ = a * dout\nf = __debug__ * __debug__ + class"
    js = hnncompile.compile(program, target="js")
    python = hnncompile.compile(program)
    assert "var __debug___ = a * dout_;" in js.source
    point = (1.5, -2.0, 0.5)  # a, dout, class
    [(value, grads)] = node.run(js.source, [point])
    assert value == python(*point) == 9.5
    # f = (a*dout)**2 + class: 2*a*dout**2, 2*a**2*dout, 1
    assert grads == python.backward(*point) == (12.0, -9.0, 1.0)


def test_every_gate_golden_and_its_numbers(node):
    program = TESTS / "programs" / "every_gate.hnn"
    f = hnncompile.compile_file(program, target="js")
    compare_with_golden(f.source, TESTS / "golden" / "every_gate.js")
    python = hnncompile.compile_file(program)
    points = [(0.7, 1.3, 0.4), (-0.3, 0.8, 1.9)]
    for point, (value, grads) in zip(points, node.run(f.source, points)):
        assert close(value, python(*point))
        assert all(close(g, w) for g, w in zip(grads, python.backward(*point)))


def test_the_js_object_still_computes_in_python():
    f = hnncompile.compile("q = a*x + b*y + c\nf = sigmoid(q)", target="js")
    assert f.source.startswith("// Generated by hnncompile")
    assert f.target == "js"
    assert f(1.0, -1.0, 2.0, 3.0, -3.0) == pytest.approx(0.8808, abs=5e-5)
    assert f.value_and_grad(1.0, -1.0, 2.0, 3.0, -3.0)[1][0] == pytest.approx(
        -0.105, abs=5e-4
    )


def test_cli_writes_a_module_node_can_import(node, tmp_path, capsys):
    program = tmp_path / "ninja.hnn"
    program.write_text("x = a * b + c\nf = x * x\n")
    out = tmp_path / "ninja.js"
    assert main(["compile", str(program), "--target", "js", "-o", str(out)]) == 0
    [(value, grads)] = node.run(out.read_text(), [(1, 2, 3)])
    assert (value, grads) == (25, (20.0, 10.0, 10.0))
    committed = EXAMPLES / "neuron.js"
    compare_with_golden(
        hnncompile.compile_file(EXAMPLES / "neuron.hnn", target="js").source, committed
    )


@pytest.mark.parametrize("program, point, expected", TIES)
def test_kinks_follow_the_tie_rule_in_javascript(node, program, point, expected):
    f = hnncompile.compile(program, target="js")
    assert node.run(f.source, [point])[0][1] == expected


def _js_gradients_agree_with_numerical_ones(node, program: str, points) -> bool:
    """The JavaScript gradients against centred differences of the Python
    forward (checked itself by test_gates), at every point of the table."""
    python = hnncompile.compile(program)
    js = hnncompile.compile(program, target="js")
    agree = True
    for point, (_, grads) in zip(points, node.run(js.source, points)):
        numerical = numerical_gradient(python.forward, point)
        agree &= all(
            math.isclose(g, n, rel_tol=1e-5, abs_tol=1e-7)
            for g, n in zip(grads, numerical)
        )
    return agree


@pytest.mark.parametrize("gate", sorted({row[0] for row in ROWS}))
def test_every_javascript_rule_matches_numerical_gradients(node, gate):
    for row_gate, program, points, _, _ in ROWS:
        if row_gate == gate:
            assert _js_gradients_agree_with_numerical_ones(node, program, points)


@pytest.mark.parametrize("gate, i", RULES, ids=lambda v: str(v))
def test_every_javascript_rule_made_wrong_is_caught(node, monkeypatch, gate, i):
    monkeypatch.setitem(GATES, gate, made_wrong(gate, i, "js"))
    assert not all(
        _js_gradients_agree_with_numerical_ones(node, program, points)
        for row_gate, program, points, _, _ in ROWS
        if row_gate == gate
    )


def test_javascript_templates_are_expressions_that_call_only_math():
    """Every JavaScript template, filled with names, compiles as a function
    body in Node, and calls nothing but Math's functions."""
    expressions = []
    for gate in GATES.values():
        if gate.array_only:  # no JavaScript form: lowering refuses it for js
            continue
        names = {p: f"w_{p}" for p in [*gate.inputs, *gate.params, "out", "dout"]}
        forward, rules = gate.code("js")
        for template in [forward, *rules]:
            expression = fill(template, names)
            expressions.append(expression)
            calls = re.findall(r"([A-Za-z_.][A-Za-z0-9_.]*)\(", expression)
            assert all(call.startswith("Math.") for call in calls), expression
    parameters = sorted({n for e in expressions for n in re.findall(r"w_\w+", e)})
    script = (
        f"for (const e of {json.dumps(expressions)}) "
        f"new Function({json.dumps(parameters)[1:-1]}, 'return ' + e);"
    )
    subprocess.run([NODE, "-e", script], check=True)


def test_the_header_says_array_even_when_it_wraps():
    names = [f"input_number_{i}" for i in range(12)]
    f = hnncompile.compile(" + ".join(names), target="js")
    comments = [line[3:] for line in f.source.splitlines() if line.startswith("// ")]
    header = " ".join(comments)  # the text, however it wrapped
    assert "returns [dinput_number_0, dinput_number_1," in header
    assert "dinput_number_11]: the gradient of out" in header
    assert "(dinput_number_0" not in header


def test_javascript_lines_are_wrapped_at_88_columns(node):
    f = hnncompile.compile_file(EXAMPLES / "two_layer_net.hnn", target="js")
    assert max(len(line) for line in f.source.splitlines()) <= 88
    # One parameter a line, as prettier writes a signature that is too long.
    assert "export function backward(\n  a1,\n  x,\n  b1,\n" in f.source
    assert "\n  d4,\n  dout = 1.0,\n) {\n" in f.source
    assert "// backward(a1, x, b1, y, c1, a2, b2, c2, a3, b3, c3, a4, b4, c4, d4," in (
        f.source
    )
    python = hnncompile.compile_file(EXAMPLES / "two_layer_net.hnn")
    point = [0.5 + 0.1 * i * (-1) ** i for i in range(15)]
    [(value, grads)] = node.run(f.source, [point])
    assert value == pytest.approx(python(*point), rel=1e-12)
    assert grads == pytest.approx(python.backward(*point), rel=1e-12)


@pytest.mark.parametrize("length", [40, 60, 90])
def test_long_names_make_javascript_lines_split_at_operators(node, length):
    w, x, b = ("w" * length, "x" * length, "b" * length)
    program = (
        f"q = {w}*{x} + {b}\nr = abs(q) * sigmoid(q) * q\nf = max(r, q) / (1 + q*q)"
    )
    f = hnncompile.compile(program, target="js")
    for line in f.source.splitlines():
        # A line longer than the limit holds a single name and what binds to it.
        assert len(line) <= 88 or len(line.split()) <= 3, line
    assert any(line.endswith(" *") for line in f.source.splitlines())
    python = hnncompile.compile(program)
    point = [0.7, -1.3, 0.4]
    [(value, grads)] = node.run(f.source, [point], dout=-2.0)
    assert value == pytest.approx(python(*point), rel=1e-12)
    assert grads == pytest.approx(python.backward(*point, dout=-2.0), rel=1e-12)


def test_the_header_of_a_long_file_name_is_wrapped_too():
    name = "the_tutorials_sum_of_squares_example_of_chapter_one.hnn"
    for target in ("js", "python"):
        source = hnncompile.compile("x * x", filename=name, target=target).source
        assert max(map(len, source.splitlines())) <= 88, target
        assert name in source
