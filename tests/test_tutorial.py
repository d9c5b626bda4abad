"""The worked numbers of hackers-guide-to-neural-networks.txt, and its
JavaScript snippets pasted in as they are printed there."""

from __future__ import annotations

import math

import pytest
from helpers import numerical_gradient

import hnncompile


def test_single_multiply_gate():
    # "var x = -2, y = 3" -> -6; the gradient is [3, -2]; one step of 0.01 -> -5.87
    f = hnncompile.compile("f = x * y")
    assert f(-2, 3) == -6
    dx, dy = f.backward(-2.0, 3.0)
    assert (dx, dy) == (3.0, -2.0)
    assert f(-2 + 0.01 * dx, 3 + 0.01 * dy) == pytest.approx(-5.87, abs=5e-3)


def test_add_then_multiply_circuit():
    # f(x, y, z) = (x + y) z at -2, 5, -4: q = 3, f = -12, gradients [-4, -4, 3]
    f = hnncompile.compile("q = x + y\nf = q * z")
    assert f(-2.0, 5.0, -4.0) == -12.0
    grads = f.backward(-2.0, 5.0, -4.0)
    assert grads == (-4.0, -4.0, 3.0)
    # a step of 0.01 along the gradient: x -2.04, y 4.96, z -3.97, output -11.59
    x, y, z = (v + 0.01 * g for v, g in zip((-2.0, 5.0, -4.0), grads))
    assert (x, y, z) == pytest.approx((-2.04, 4.96, -3.97))
    assert f(x, y, z) == pytest.approx(-11.59, abs=5e-3)


NEURON = "q = a*x + b*y + c\nf = sigmoid(q)"


def test_single_neuron():
    f = hnncompile.compile(NEURON)
    assert f.inputs == ("a", "x", "b", "y", "c")
    point = dict(a=1.0, b=2.0, c=-3.0, x=-1.0, y=3.0)
    value, grads = f.grad(**point)
    assert value == pytest.approx(0.8808, abs=5e-5)
    expected = dict(a=-0.105, b=0.315, c=0.105, x=0.105, y=0.210)
    assert grads == pytest.approx(expected, abs=5e-4)
    # After one step of 0.01 the tutorial's neuron outputs 0.8825.
    stepped = {k: v + 0.01 * grads[k] for k, v in point.items()}
    assert round(f(**stepped), 4) == 0.8826  # the text shows 0.8825, cut at 4 digits


def test_sigmoid_values_from_the_text():
    sig = hnncompile.compile("sig(x)")
    assert [round(sig(x), 3) for x in (-5.0, 0.0, 5.0)] == [0.007, 0.5, 0.993]
    assert round(sig(3.0), 2) == 0.95


# Snippets from "Becoming a Backprop Ninja" and chapter 2, verbatim.
PASTED = [
    "var x = a * b;",
    "var x = a + b;",
    "var q = a + b; // gate 1\nvar x = q + c; // gate 2",
    "var x = a + b + c;",
    "var x = a * b + c;",
    "// lets do our neuron in two steps:\nvar q = a*x + b*y + c;\n"
    "var f = sig(q); // sig is the sigmoid function",
    "var x = a * a;",
    "var x = a*a + b*b + c*c;",
    "var x = Math.pow((a * b + c) * d, 2); // pow(x,2) squares the input JS",
    "var x1 = a * b + c;\nvar x2 = x1 * d;\n"
    "var x = x2 * x2; // this is identical to the above expression for x",
    "var x = 1.0/a; // division",
    "var x = (a + b)/(c + d);",
    "var x1 = a + b;\nvar x2 = c + d;\nvar x3 = 1.0 / x2;\nvar x = x1 * x3; // equivalent to above",
    "var x = Math.max(a, b);",
    "var x = Math.max(a, 0)",
    "var n1 = Math.max(0, a1*x + b1*y + c1); // activation of 1st hidden neuron\n"
    "var n2 = Math.max(0, a2*x + b2*y + c2); // 2nd neuron\n"
    "var n3 = Math.max(0, a3*x + b3*y + c3); // 3rd neuron\n"
    "var score = a4*n1 + b4*n2 + c4*n3 + d4; // the score",
    "var score = a*x + b*y + c;",
]


@pytest.mark.parametrize("snippet", PASTED)
def test_pasted_javascript_compiles_and_differentiates(snippet):
    f = hnncompile.compile(snippet)
    # A point away from every kink: distinct, non-zero values.
    point = [0.3 + 0.37 * i * (-1) ** i for i in range(len(f.inputs))]
    analytic = f.backward(*point)
    assert analytic == pytest.approx(
        numerical_gradient(f.forward, point), rel=1e-6, abs=1e-9
    )


def test_ninja_pow_example_gradients():
    # x = ((a*b + c) * d)**2; dx2 = 2*x2; dd = x1*dx2; dx1 = d*dx2; da = b*dx1 ...
    f = hnncompile.compile(PASTED[8])
    a, b, c, d = 1.0, 2.0, 3.0, 4.0
    x1 = a * b + c
    x2 = x1 * d
    dx2 = 2 * x2
    assert f.backward(a, b, c, d) == (b * d * dx2, a * d * dx2, d * dx2, x1 * dx2)


def test_a_wire_used_twice_adds_up():
    # "var da = a * dx; da += a * dx;" -- the short form is 2 * a * dx
    f = hnncompile.compile("var x = a * a;")
    assert (
        "da = a * dout\n"
        "    # a is used more than once: the gradients from its branches add up\n"
        "    da += a * dout\n"
    ) in f.source
    assert f.backward(3.0) == (6.0,)
    f = hnncompile.compile("var x = a*a + b*b + c*c;")
    assert f.backward(1.0, -2.0, 3.0) == (2.0, -4.0, 6.0)


def test_division_reads_like_the_tutorial():
    f = hnncompile.compile("var x = (a + b)/(c + d);")
    assert "t3 = 1.0 / t2\n    x = t1 * t3" in f.source
    assert "dt2 = -1.0 / (t2 * t2) * dt3" in f.source
    a, b, c, d = 1.0, 2.0, 3.0, 5.0
    assert f(a, b, c, d) == pytest.approx(3 / 8)
    assert f.backward(a, b, c, d) == pytest.approx((1 / 8, 1 / 8, -3 / 64, -3 / 64))


def test_max_and_relu_route_the_gradient():
    f = hnncompile.compile("var x = Math.max(a, b);")
    assert f.backward(3.0, 1.0) == (1.0, 0.0)
    assert f.backward(1.0, 3.0) == (0.0, 1.0)
    relu = hnncompile.compile("var x = Math.max(a, 0)")
    assert relu.backward(2.0, dout=5.0) == (5.0,)
    assert relu.backward(-2.0, dout=5.0) == (0.0,)


def test_two_layer_network_matches_the_handwritten_backward_pass():
    f = hnncompile.compile(PASTED[15])
    p = dict(a1=0.5, b1=-0.3, c1=0.1, a2=-0.4, b2=0.2, c2=0.3, a3=0.7, b3=0.6, c3=-0.2)
    p.update(a4=1.1, b4=-0.9, c4=0.4, d4=0.05, x=1.2, y=0.7)
    _, grads = f.grad(**p)
    # The tutorial's own backward pass, with dscore = 1:
    x, y = p["x"], p["y"]
    n = [max(0, p[f"a{i}"] * x + p[f"b{i}"] * y + p[f"c{i}"]) for i in (1, 2, 3)]
    dn = [p["a4"], p["b4"], p["c4"]]
    dn = [0 if ni == 0 else dni for ni, dni in zip(n, dn)]
    expected = {"a4": n[0], "b4": n[1], "c4": n[2], "d4": 1.0}
    for i, dni in zip((1, 2, 3), dn):
        expected.update({f"a{i}": x * dni, f"b{i}": y * dni, f"c{i}": dni})
    expected["x"] = sum(p[f"a{i}"] * dn[i - 1] for i in (1, 2, 3))
    expected["y"] = sum(p[f"b{i}"] * dn[i - 1] for i in (1, 2, 3))
    assert grads == pytest.approx(expected)
    assert math.isclose(
        f(**p), p["a4"] * n[0] + p["b4"] * n[1] + p["c4"] * n[2] + p["d4"]
    )
