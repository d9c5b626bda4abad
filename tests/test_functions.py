"""Functions (SPEC section 7, issue 15 item 1): `def` on one line and as a
block, inlined while lowering; the names of the wires inside a call; every
mistake with its place and caret; the tutorial's 2-layer network written
with a `neuron` function; array programs against JAX; deep programs."""

from __future__ import annotations

import math
import re
import shutil
import time
from pathlib import Path

import numpy as np
import pytest
from helpers import numerical_gradient

import hnncompile
from hnncompile.cli import main
from hnncompile.parse import parse
from hnncompile.syntax import FunctionDef, Return, program_to_source

EXAMPLES = Path(__file__).parent.parent / "examples"

NEURON = "def neuron(a, b, c, x, y) = sigmoid(a*x + b*y + c)\n"
NEURON_BLOCK = (
    "def neuron(a, b, c, x, y):\n" "    q = a*x + b*y + c\n" "    return sigmoid(q)\n"
)


def sigmoid(v: float) -> float:
    return 1 / (1 + math.exp(-v))


def gradients_check(f, point) -> None:
    """backward against centred differences, and hnncompile's gradcheck."""
    assert f.backward(*point) == pytest.approx(
        numerical_gradient(f.forward, point), rel=1e-6, abs=1e-9
    )
    assert hnncompile.gradcheck(f, *point).passed


# --- the two forms, in the tree -------------------------------------------


def test_the_one_line_form_in_the_tree():
    program = parse(NEURON + "f = neuron(1, 2, -3, x, y)")
    (function,) = program.functions
    assert isinstance(function, FunctionDef) and not function.block
    assert function.name == "neuron" and (function.line, function.column) == (1, 5)
    assert [p.id for p in function.params] == ["a", "b", "c", "x", "y"]
    assert function.body == () and isinstance(function.result, Return)
    assert function.result.value.func == "sigmoid"
    assert [s.target.id for s in program.statements] == ["f"]


def test_the_block_form_in_the_tree():
    source = (
        "def layer(x, W, b):  # a layer\n"
        "    z = x @ W + b\n"
        "\n"
        "        # a comment indented anyhow\n"
        "    var s = z * 2;\n"
        "    return tanh(s);\n"
        "h = layer(X, W1, b1)\n"
    )
    program = parse(source)
    (function,) = program.functions
    assert function.block and [s.target.id for s in function.body] == ["z", "s"]
    assert (function.body[1].line, function.body[1].column) == (5, 9)
    assert (function.result.line, function.result.column) == (6, 5)
    assert program.statements[0].target.id == "h"


@pytest.mark.parametrize(
    "source",
    [
        NEURON + "f = neuron(a, b, c, x, y)",
        NEURON_BLOCK + "f = neuron(a, b, c, x, y)",
        "\tdef f(x):\n\t\tz = x\n\t\treturn z\ny = f(a)",  # tabs, an indented def
        "def f(x):\n  return x",  # no statement yet, and no newline at the end
        "def f(x):\n    return x\n\n\n# the end\ny = f(2) ; z = y",
        "a = 1; def g(u) = u * a2; b = g(a)",
        "def f() = 3\ny = f() * x",
        "def f(x):\n    # the weighted sum\n    t = x+1\n    return t\nz=f(a)",
        "def f(x):\n\n    return x*2\nz=f(a)",
        "def f(x):\n   \n\t\n    # a\n  # b\n    return x*2\nz=f(a)",
    ],
)
def test_the_table_driver_builds_what_larks_parser_builds(source):
    from hnncompile import parse as parse_module
    from test_parse import _shape

    assert _shape(parse_module._driver().parse(source)) == _shape(
        parse_module._parser().parse(source)
    )


@pytest.mark.parametrize(
    "source, value",
    [
        ("def f(x):\n    # the weighted sum\n    t = x+1\n    return t\nz=f(a)", 3.0),
        ("def f(x):\n\n    return x*2\nz=f(a)", 4.0),
        ("def f(x):  // why\n    \n    # a\n\n    return x*2\nz=f(a)", 4.0),
    ],
)
def test_comment_and_blank_lines_straight_after_the_def_line(source, value):
    assert hnncompile.compile(source)(2.0) == value


def test_def_and_return_are_names_elsewhere():
    f = hnncompile.compile("def = 2\nreturn = def * x\ny = return + 1")
    assert f.inputs == ("x",) and f(3.0) == 7.0
    f = hnncompile.compile("def f(x):\n    return = x * 2\n    return return\ny = f(a)")
    assert f(4.0) == 8.0


def test_a_program_prints_back_as_the_same_program():
    source = (
        "a = 1\n"
        "def neuron(a, b, c, x, y) = sigmoid(a*x + b*y + c)\n"
        "def layer(x, W, b):\n"
        "        z = x @ W + b\n"
        "        return np.tanh(z).sum(1)\n"
        "h = layer(X, neuron(a, b, 1, x, y), -b1)\n"
    )
    first = parse(source)
    printed = program_to_source(first)
    assert printed.splitlines()[2:5] == [
        "def layer(x, W, b):",
        "    z = x @ W + b",
        "    return np.tanh(z).sum(1)",
    ]
    assert program_to_source(parse(printed)) == printed
    assert printed.splitlines()[1] == (
        "def neuron(a, b, c, x, y) = sigmoid(a * x + b * y + c)"
    )


# --- inlining and its names -------------------------------------------------


def test_the_neuron_function_computes_the_tutorials_neuron():
    for source in (NEURON, NEURON_BLOCK):
        f = hnncompile.compile(source + "f = neuron(a, b, c, x, y)")
        point = (1.0, 2.0, -3.0, -1.0, 3.0)
        assert f(*point) == pytest.approx(0.8808, abs=1e-4)
        s = sigmoid(2)  # q = 1*(-1) + 2*3 - 3
        assert f.backward(*point) == pytest.approx(
            (
                -1 * s * (1 - s),
                3 * s * (1 - s),
                s * (1 - s),
                s * (1 - s),
                2 * s * (1 - s),
            )
        )
        gradients_check(f, point)


def test_the_wires_inside_a_call_are_named_after_the_call():
    f = hnncompile.compile(
        NEURON_BLOCK
        + "h1 = neuron(a1, b1, c1, x, y)\n"
        + "f = 2 * neuron(h1, 1, 0, x, y) + neuron(h1, 2, 0, x, y)\n"
    )
    outs = [eqn.out for eqn in f.gates.eqns]
    assert outs[:5] == ["t1", "t2", "t3", "h1_q", "h1"]
    assert "neuron2_q" in outs and "neuron3_q" in outs
    assert (
        "    h1_q = t3 + c1" in f.source
        and "    dh1_q = h1 * (1 - h1) * dh1" in f.source
    )


def test_a_clash_with_a_source_name_gets_a_suffix():
    f = hnncompile.compile(NEURON_BLOCK + "h1_q = x * 2\nh1 = neuron(h1_q, 1, 0, x, y)")
    outs = [eqn.out for eqn in f.gates.eqns]
    assert "h1_q" in outs and "h1_q_2" in outs
    assert f(3.0, 1.0) == pytest.approx(sigmoid(6 * 3 + 1))


def test_a_returned_local_is_the_calls_own_wire_and_a_parameter_is_copied():
    f = hnncompile.compile(
        "def affine(x, w, b):\n    z = w*x + b\n    return z\n"
        "def same(x) = x\n"
        "h = affine(u, 2, 1)\ng = same(h)\n"
    )
    assert [str(e) for e in f.gates.eqns] == [
        "t1 = mul 2 u",
        "h = add t1 1",
        "g = copy h",
    ]
    assert f(5.0) == 11.0 and f.backward(5.0) == (2.0,)


def test_gates_from_a_body_carry_the_bodys_line_and_column():
    f = hnncompile.compile(NEURON_BLOCK + "\nh = neuron(a, b, c, x, y) * 3")
    places = {e.out: (e.line, e.column) for e in f.gates.eqns}
    assert places["t1"] == (2, 10)  # a*x on line 2
    assert places["neuron1_q"] == (2, 19)  # the second '+'
    assert places["t4"] == (3, 12)  # sigmoid, on the return line
    assert places["h"] == (5, 27)  # the '*' of the top-level line


def test_functions_calling_functions():
    source = (
        NEURON + "def layer(u, v, w) = neuron(u, v, 1, w, 2) + neuron(v, u, -1, w, 1)\n"
        "def net(p, q):\n"
        "    h = layer(p, q, p*q)\n"
        "    k = layer(h, q, p)\n"
        "    return k * h\n"
        "out = net(a, b)\n"
    )
    f = hnncompile.compile(source)

    def by_hand(p, q):
        def layer(u, v, w):
            return sigmoid(u * w + v * 2 + 1) + sigmoid(v * w + u * 1 - 1)

        h = layer(p, q, p * q)
        return layer(h, q, p) * h

    for point in [(0.3, -0.7), (1.2, 0.4), (-2.0, 0.5)]:
        assert f(*point) == pytest.approx(by_hand(*point))
        gradients_check(f, point)
    outs = [e.out for e in f.gates.eqns]
    assert "out_h" in outs and "out_k" in outs  # net's locals, in the call `out`


def test_a_function_called_with_expressions():
    f = hnncompile.compile(
        "def sq(x) = x * x\n"  # the argument read twice, computed once
        "f = sq(a + b) + sq(exp(a) - 2) * sq(3)\n"
    )
    assert [e.gate for e in f.gates.eqns].count("add") == 2  # a + b once, then f
    for point in [(0.5, -1.5), (1.0, 2.0)]:
        a, b = point
        assert f(*point) == pytest.approx((a + b) ** 2 + 9 * (math.exp(a) - 2) ** 2)
        gradients_check(f, point)


def test_a_calls_arguments_are_values():
    with pytest.raises(hnncompile.CompileError, match="tuple"):
        hnncompile.compile("def f(x) = x\ny = f((1, 2))")


def test_the_readmes_naming_examples():
    f = hnncompile.compile_file(EXAMPLES / "two_layer_functions.hnn")
    source = f.gates.source + "\nf = neuron(a1, 1, 0, x, y) + neuron(n1, 2, 0, x, y)\n"
    outs = [e.out for e in hnncompile.compile(source).gates.eqns]
    assert {"n1_q", "n2_q", "n3_q", "neuron4_q", "neuron5_q"} <= set(outs)
    nested = hnncompile.compile(
        "def layer(x, W):\n    s = x * W\n    return tanh(s)\n"
        "def net(x, W):\n    z = layer(x, W)\n    return z * 2\n"
        "h = net(u, V)\n"
    )
    assert [e.out for e in nested.gates.eqns] == ["h_z_s", "h_z", "h"]


def test_the_readmes_language_row_compiles_on_every_target():
    """The table's row for functions (the table's own test reads only the
    rows of built-in forms): its definitions, called as it says."""
    readme = (EXAMPLES.parent / "README.md").read_text(encoding="utf-8")
    (row,) = [line for line in readme.splitlines() if line.startswith("| your own")]
    one_line, block, last, call = re.findall(r"`([^`]+)`", row)[:4]
    assert one_line.startswith("def neuron(") and block == "def layer(x, W, b):"
    assert last == "return expr"
    for target in ("python", "numpy", "js"):
        f = hnncompile.compile(f"{one_line}\nh = {call}", target=target)
        assert f.inputs == ("a1", "b1", "c1", "x", "y")
    f = hnncompile.compile(
        f"{block}\n    return np.tanh(x @ W + b)\nh = layer(X, W1, b1)", target="numpy"
    )
    assert f.inputs == ("X", "W1", "b1")


# --- the 2-layer network of chapter 2, with a neuron function ----------------


POINT = {
    **{f"{w}{i}": 0.1 * i - 0.3 * k for k, w in enumerate("abc") for i in (1, 2, 3)},
    **dict(a4=0.7, b4=-0.4, c4=1.1, d4=0.2, x=0.8, y=-0.6),
}


def _by_name(f, values):
    """The value and the gradients by input name, at `values` (a dict)."""
    args = [values[name] for name in f.inputs]
    return f(*args), dict(zip(f.inputs, f.backward(*args)))


def test_the_two_layer_network_with_functions_gives_the_same_numbers():
    original = hnncompile.compile_file(EXAMPLES / "two_layer_net.hnn")
    functions = hnncompile.compile_file(EXAMPLES / "two_layer_functions.hnn")
    assert set(original.inputs) == set(functions.inputs)
    for shift in (0.0, 0.5, -1.0):  # some neurons fire, some not
        values = {k: v + shift * (k in "xy") for k, v in POINT.items()}
        value, grads = _by_name(functions, values)
        want, want_grads = _by_name(original, values)
        assert value == want and grads == want_grads
        gradients_check(functions, [values[n] for n in functions.inputs])


def test_the_two_layer_network_with_functions_reads_as_the_original():
    """Line for line the original's module, once each neuron's weighted sum
    (a temporary there, n1_q here) and the later temporaries are renamed."""
    original = hnncompile.compile_file(EXAMPLES / "two_layer_net.hnn", comments=False)
    functions = hnncompile.compile_file(
        EXAMPLES / "two_layer_functions.hnn", comments=False
    )
    mine = [e.out for e in functions.gates.eqns]
    theirs = [e.out for e in original.gates.eqns]
    renaming = dict(zip(theirs, mine))
    assert {k: v for k, v in renaming.items() if k != v} == {
        "t4": "n1_q",
        "t8": "n2_q",
        "t12": "n3_q",
        **{f"t{i}": f"t{i - 1}" for i in (5, 6, 7)},
        **{f"t{i}": f"t{i - 2}" for i in (9, 10, 11)},
        **{f"t{i}": f"t{i - 3}" for i in range(13, 18)},
    }

    def body(source: str) -> list[str]:
        return [line for line in source.splitlines() if line.startswith("    ")]

    words = re.compile(r"\b(d?)(t\d+)\b")
    renamed = [
        words.sub(lambda m: m.group(1) + renaming.get(m.group(2), m.group(2)), line)
        for line in body(original.source)
    ]
    assert [_unordered(line) for line in body(functions.source)] == [
        _unordered(line) for line in renamed
    ]


def _unordered(line: str) -> str:
    """A `return` line's names as a set: the inputs come in another order."""
    if line.strip().startswith("return ") and "," in line:
        return "return " + ",".join(sorted(line.strip()[7:].split(", ")))
    return line


def test_the_two_layer_network_with_functions_on_arrays():
    original = hnncompile.compile_file(EXAMPLES / "two_layer_net.hnn", target="numpy")
    functions = hnncompile.compile_file(
        EXAMPLES / "two_layer_functions.hnn", target="numpy"
    )
    rng = np.random.default_rng(15)
    values = {k: np.float64(v) for k, v in POINT.items()}
    values["x"], values["y"] = rng.normal(size=6), rng.normal(size=6)
    value, grads = _by_name(functions, values)
    want, want_grads = _by_name(original, values)
    np.testing.assert_array_equal(value, want)
    for name in want_grads:
        np.testing.assert_array_equal(grads[name], want_grads[name])


@pytest.mark.skipif(shutil.which("node") is None, reason="Node.js is not installed")
def test_the_two_layer_network_with_functions_in_javascript():
    from test_js_target import Node

    original = hnncompile.compile_file(EXAMPLES / "two_layer_net.hnn")
    functions = hnncompile.compile_file(
        EXAMPLES / "two_layer_functions.hnn", target="js"
    )
    node = Node()
    try:
        point = [POINT[name] for name in functions.inputs]
        [(value, grads)] = node.run(functions.source, [point])
    finally:
        node.close()
    want, want_grads = _by_name(original, POINT)
    assert value == pytest.approx(want, rel=1e-12)
    assert grads == pytest.approx(
        tuple(want_grads[n] for n in functions.inputs), rel=1e-12
    )


# --- a block function in an array program, against JAX ---------------------


def test_a_layer_function_on_arrays_against_jax():
    jax = pytest.importorskip("jax")
    jax.config.update("jax_enable_x64", True)
    jnp = jax.numpy
    source = (
        "def layer(x, W, b):\n"
        "    z = x @ W + b\n"
        "    return np.tanh(z)\n"
        "h = layer(X, W1, b1)\n"
        "logits = h @ W2 + b2\n"
        "loss = F.cross_entropy(layer(h, W3, b3) @ W2 + logits, Y)\n"
    )
    f = hnncompile.compile(source, target="numpy")
    rng = np.random.default_rng(7)
    inputs = dict(
        X=rng.normal(size=(5, 3)),
        W1=rng.normal(size=(3, 4)),
        b1=rng.normal(size=4),
        W2=rng.normal(size=(4, 2)),
        b2=rng.normal(size=2),
        W3=rng.normal(size=(4, 4)),
        b3=rng.normal(size=4),
        Y=rng.integers(0, 2, size=5),
    )

    def loss(X, W1, b1, W2, b2, W3, b3):
        h = jnp.tanh(X @ W1 + b1)
        logits = jnp.tanh(h @ W3 + b3) @ W2 + (h @ W2 + b2)
        logp = jax.nn.log_softmax(logits, axis=1)
        return -jnp.mean(logp[jnp.arange(5), inputs["Y"]])

    wrt = [name for name in f.inputs if name != "Y"]
    assert tuple(f.wrt) == tuple(wrt)
    args = [inputs[name] for name in f.inputs]
    want = jax.grad(loss, argnums=tuple(range(len(wrt))))(
        *[inputs[name] for name in wrt]
    )
    assert f(*args) == pytest.approx(float(loss(*[inputs[n] for n in wrt])))
    for got, expected in zip(f.backward(*args), want):
        np.testing.assert_allclose(got, expected, rtol=1e-10, atol=1e-12)
    outs = [e.out for e in f.gates.eqns]
    assert "h_z" in outs and "layer2_z" in outs


# --- the mistakes -------------------------------------------------------------


@pytest.mark.parametrize(
    "source, message, line, column",
    [
        ("def f(x) = f(x)\ny = f(1)", "f calls itself", 1, 12),
        (
            "def f(x) = g(x) + 1\ndef g(x) = f(x)\ny = f(a)",
            "f calls g, which calls f",
            2,
            12,
        ),
        (
            "def f(x):\n    z = g(x)\n    return z\ndef g(x) = 2 * f(x)\ny = g(a)",
            "f calls g, which calls f",
            4,
            16,
        ),
        (
            "y = f(a)\ndef f(x) = x",
            "'f' is called before its definition (on line 2)",
            1,
            5,
        ),
        ("def f(x) = g(x)\ndef g(x) = x\ny = f(a)", "'g' is called before", 1, 12),
        (
            NEURON + "f = neuron(a, b, c, x)",
            "neuron() takes 5 arguments (a, b, c, x, y), got 4",
            2,
            5,
        ),
        ("def f(x) = x\ny = f(a, axis=1)", "without keywords", 2, 10),
        ("def f(x):\n    z = x * 2\ny = f(a)", "the block of 'f' has no return", 1, 5),
        (
            "def f(x):\n    # only a comment\n    z = x * 2\ny = f(a)",
            "the block of 'f' has no return",
            1,
            5,
        ),
        (
            "def f(x):\n  # a comment\n\nreturn x\ny = f(a)",
            "expected an indented block after 'def f(...):'",
            4,
            1,
        ),
        (
            "def f(x):\n    return x\n    z = 2\ny = f(a)",
            "comes after the return",
            3,
            5,
        ),
        ("def f(x):\n    return x; z = 2\ny = f(a)", "comes after the return", 2, 15),
        (
            "def f(x, y, x) = x\nz = f(1, 2, 3)",
            "the parameter 'x' is listed twice",
            1,
            13,
        ),
        ("def exp(x) = x\ny = exp(a)", "'exp' is a built-in function", 1, 5),
        ("def sig(x) = x\ny = sig(a)", "built-in", 1, 5),
        ("def sum(x) = x\ny = sum(a)", "built-in", 1, 5),
        (
            "def a(x) = x\ny = a(a)",
            "'a' is the name of a function and of a value",
            1,
            5,
        ),
        ("def y(x) = x\ny = 2", "of a value of the program (on line 2)", 1, 5),
        (
            "def f(x) = x\ndef f(y) = y\nz = f(1)",
            "'f' is defined twice (first on line 1)",
            2,
            5,
        ),
        (
            "def neuron(x) = x * w\nz = neuron(1)",
            "neuron reads w, which is not one of its parameters",
            1,
            21,
        ),
        (
            "def f(x):\n    x = 2\n    return x\ny = f(a)",
            "'x' is a parameter of f",
            2,
            5,
        ),
        (
            "def f(x):\n    z = 1\n    z = x\n    return z\ny = f(a)",
            "assigned twice in f",
            3,
            5,
        ),
        (
            "def f(x):\n    z = u\n    u = x\n    return z\ny = f(a)",
            "'u' is used before it is assigned (on line 3)",
            2,
            9,
        ),
        (
            "def f(x):\n    x + 1\n    return x\ny = f(a)",
            "this value goes nowhere",
            2,
            5,
        ),
        (
            "def f(x):\nreturn x\ny = f(a)",
            "expected an indented block after 'def f(...):'",
            2,
            1,
        ),
        ("def f(x):\n    z = x\n        return z\ny = f(a)", "unexpected indent", 3, 9),
        (
            "def f(x):\n    z = x\n  return z\ny = f(a)",
            "is neither the block's of 'f' (4 spaces)",
            3,
            3,
        ),
        (
            "def f(x):\n\tz = x\n    return z\ny = f(a)",
            "(4 spaces) is neither the block's of 'f' (1 tab)",
            3,
            5,
        ),
        (
            "def f(x): return x\ny = f(a)",
            "a function's block goes on the lines below",
            1,
            11,
        ),
        ("def f(x):", "a function's block goes on the lines below", 1, 10),
        ("def f(x)\ny = f(a)", "'=' and the function's value, or ':'", 1, 9),
        ("def f x", "expected '(' and the function's parameters", 1, 7),
        ("y = 1\nreturn y", "'return' outside a function", 2, 1),
        (
            "def f(x):\n    def g(y) = y\n    return x\nz = f(1)",
            "a function inside a function's block",
            2,
            5,
        ),
        ("def f(x) = x\n", "no statement calls the functions", 1, 1),
    ],
)
def test_each_mistake_is_a_compile_error_at_its_place(source, message, line, column):
    with pytest.raises(hnncompile.CompileError) as caught:
        hnncompile.compile(source, filename="net.hnn")
    error = caught.value
    assert message in error.message
    assert (error.line, error.column) == (line, column)
    first, quoted, caret = str(error).split("\n")
    assert first.startswith(f"net.hnn:{line}:{column}: ")
    assert quoted == "    " + source.split("\n")[line - 1]
    assert caret == " " * (4 + column - 1) + "^"


def test_a_mistake_exits_2_on_the_command_line(tmp_path, capsys):
    path = tmp_path / "rec.hnn"
    path.write_text("def f(x) = f(x) + 1\ny = f(a)\n")
    assert main(["compile", str(path)]) == 2
    err = capsys.readouterr().err
    assert f"{path}:1:12: f calls itself" in err and "Traceback" not in err


def test_the_command_line_compiles_a_program_with_functions(tmp_path, capsys):
    out = tmp_path / "net.py"
    program = EXAMPLES / "two_layer_functions.hnn"
    assert main(["compile", str(program), "-o", str(out)]) == 0
    assert out.read_text() == (EXAMPLES / "two_layer_functions.py").read_text()


def test_a_function_nothing_calls_is_a_warning():
    with pytest.warns(hnncompile.CompileWarning) as caught:
        f = hnncompile.compile("def f(x) = x * 2\ndef g(x) = f(x)\ny = a + 1")
    assert f(1.0) == 2.0
    (warning,) = [w.message for w in caught]
    assert "the function 'g' is defined but never called" in str(warning)
    assert (warning.line, warning.column) == (2, 5)  # f is called, by g


def test_a_parameter_the_body_never_reads_is_a_warning():
    with pytest.warns(hnncompile.CompileWarning) as caught:
        f = hnncompile.compile("def g(x, y) = x*2\nz = g(a, b)", filename="g.hnn")
    assert f(3.0, 5.0) == 6.0 and f.backward(3.0, 5.0) == (2.0, 0.0)
    (warning,) = [w.message for w in caught]
    assert warning.message == "g never reads its parameter y"
    assert (warning.line, warning.column) == (1, 10)
    assert str(warning).startswith("g.hnn:1:10: ")


def test_a_parameter_read_only_by_a_local_is_read(recwarn):
    source = "def g(x, y):\n    t = y + 1\n    return x * t\nz = g(a, b)"
    assert hnncompile.compile(source)(2.0, 3.0) == 8.0
    assert not [w for w in recwarn if issubclass(w.category, hnncompile.CompileWarning)]


def test_the_unknown_function_message_lists_the_users_functions():
    source = "def g(x) = x*2\ndef neuron(u) = u\nz = g(a) + nueron(b)"
    with pytest.raises(hnncompile.CompileError) as caught:
        hnncompile.compile(source)
    message = caught.value.message
    assert message.startswith("unknown function 'nueron' (did you mean 'neuron'?)")
    assert message.endswith("; yours: g, neuron")
    assert (caught.value.line, caught.value.column) == (3, 12)
    # inside a body too; and without functions of the user's, no "yours"
    with pytest.raises(hnncompile.CompileError) as caught:
        hnncompile.compile("def g(x) = foo(x)\nz = g(a)")
    assert caught.value.message.endswith("; yours: g")
    with pytest.raises(hnncompile.CompileError) as caught:
        hnncompile.compile("z = foo(a)")
    assert "yours" not in caught.value.message


# --- deep and long programs -----------------------------------------------------


def test_ten_thousand_nested_calls_compile():
    n = 10_000
    start = time.perf_counter()
    f = hnncompile.compile(
        "def f(x) = x * 0.5 + 1\ny = " + "f(" * n + "a" + ")" * n, comments=False
    )
    assert time.perf_counter() - start < 30
    assert len(f.gates.eqns) == 2 * n
    assert f(2.0) == pytest.approx(2.0) and f.backward(2.0)[0] == pytest.approx(0.0)


def test_a_function_called_ten_thousand_times():
    n = 10_000
    lines = ["def f(x) = x * 0.5 + 1", "y0 = f(a)"]
    lines += [f"y{i} = f(y{i - 1})" for i in range(1, n)]
    start = time.perf_counter()
    f = hnncompile.compile("\n".join(lines), comments=False)
    assert time.perf_counter() - start < 30
    assert len(f.gates.eqns) == 2 * n and f.gates.output == f"y{n - 1}"
    assert f(2.0) == pytest.approx(2.0)


def test_a_chain_of_ten_thousand_functions():
    n = 10_000
    lines = ["def f0(x) = x * 2"]
    lines += [f"def f{i}(x) = f{i - 1}(x) + 1" for i in range(1, n)]
    lines.append(f"y = f{n - 1}(a)")
    f = hnncompile.compile("\n".join(lines), comments=False)
    assert f(1.0) == 2.0 + (n - 1) and f.backward(1.0) == (2.0,)
    # and a circle through all of them is found, without recursion
    lines[0] = f"def f0(x) = f{n - 1}(x) * 2"
    with pytest.raises(
        hnncompile.CompileError,
        match=r"f0 calls f9999, which calls f9998, which calls f9997, \.\.\. "
        r"\(a circle of 10000 functions\), which calls f0",
    ):
        hnncompile.compile("\n".join(lines))
