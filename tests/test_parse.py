"""The language of SPEC.md section 1: syntax, precedence, statements."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from test_properties import programs

import hnncompile
from hnncompile.parse import parse
from hnncompile.syntax import BinOp, Call, Name, Number, UnaryOp


@pytest.mark.parametrize(
    "program, inputs, expected",
    [
        ("-a**2", (3.0,), -9.0),  # ** binds tighter than unary minus
        ("-a^2", (3.0,), -9.0),
        ("2**3**2", (), 512.0),  # right-associative
        ("a^b^c", (2.0, 3.0, 2.0), 512.0),
        ("a - b - c", (10.0, 3.0, 2.0), 5.0),  # left-associative
        ("a / b / c", (12.0, 3.0, 2.0), 2.0),
        ("a + b * c", (1.0, 2.0, 3.0), 7.0),
        ("(a + b) * c", (1.0, 2.0, 3.0), 9.0),
        ("a * -b", (2.0, 3.0), -6.0),
        ("-a * b", (2.0, 3.0), -6.0),
        ("a ** -b", (2.0, 1.0), 0.5),
        ("- - a", (2.0,), 2.0),
        ("+a", (2.0,), 2.0),
        ("2 * a ** 2 / 4", (3.0,), 4.5),
        ("a - -b", (1.0, 2.0), 3.0),
    ],
)
def test_precedence_and_associativity(program, inputs, expected):
    assert hnncompile.compile(program)(*inputs) == pytest.approx(expected)


@pytest.mark.parametrize(
    "text, value",
    [
        ("3", 3),
        ("2.5", 2.5),
        (".5", 0.5),
        ("1e-3", 1e-3),
        ("2.5E+4", 2.5e4),
        ("7.", 7.0),
    ],
)
def test_numbers(text, value):
    (statement,) = parse(text).statements
    assert isinstance(statement.value, Number) and statement.value.value == value
    assert hnncompile.compile(f"x * {text}")(2.0) == pytest.approx(2 * value)


def test_statements_separators_and_comments():
    source = """
    # a comment
    var q = a*x + b*y + c;  // JavaScript's comment
    let s = q * 2; const t = s + 1;

    u = t ^ 2 # trailing
    """
    f = hnncompile.compile(source)
    assert f.inputs == ("a", "x", "b", "y", "c")
    assert f.output == "u"
    assert f(1, 2, 3, 4, 5) == ((1 * 2 + 3 * 4 + 5) * 2 + 1) ** 2


def test_declaration_words_are_names_elsewhere():
    f = hnncompile.compile("var = 3; let = var * const\nvar q = let + 1")
    assert f.inputs == ("const",) and f.output == "q"
    assert f(2.0) == 7.0


def test_a_call_may_span_lines_inside_parentheses():
    f = hnncompile.compile("y = max(a,\n        b,\n        c)\n")
    assert f(1.0, 3.0, 2.0) == 3.0


def test_math_prefix_and_aliases():
    f = hnncompile.compile("Math.exp(a) + Math.sqrt(b) + sig(c) + Math.pow(a, 2)")
    assert f(1.0, 4.0, 0.0) == pytest.approx(math.e + 2 + 0.5 + 1)


def test_inputs_in_order_of_first_appearance():
    f = hnncompile.compile("q = z * y\nr = q + x + z\nw = r * a")
    assert f.inputs == ("z", "y", "x", "a")


def test_output_name():
    assert hnncompile.compile("a + b").output == "out"
    assert hnncompile.compile("q = a + b; f = q * 2").output == "f"
    # a bare expression whose name `out` is taken by the source gets another
    f = hnncompile.compile("out * 2")
    assert f.inputs == ("out",) and f.output != "out" and f(3.0) == 6.0


def test_ast_shape():
    (statement,) = parse("f = -a ** 2 + Math.max(b, 1)").statements
    assert statement.target.id == "f"
    tree = statement.value
    assert isinstance(tree, BinOp) and tree.op == "+"
    assert isinstance(tree.left, UnaryOp) and isinstance(tree.left.operand, BinOp)
    assert tree.left.operand.op == "**"
    assert isinstance(tree.right, Call) and tree.right.func == "max"
    assert isinstance(tree.right.args[0], Name)
    assert (tree.right.line, tree.right.column) == (1, 20)  # at `max`


@pytest.mark.parametrize(
    "name",
    [
        "lambda",
        "in",
        "is",
        "def",
        "class",
        "None",
        "True",
        "math",
        "max",
        "forward",
        "backward",
        "dout",
        "out",
        "t1",
        "dx",
        "abs",
        "exp",
        "Math",
        "var",
    ],
)
def test_any_name_is_allowed(name):
    # The name is an input, an intermediate and a neighbour of `x`'s gradient.
    f = hnncompile.compile(f"q = {name} * x + t2\nr = exp(q) * {name}")
    assert name in f.inputs
    v = dict(zip(f.inputs, [0.3, 0.7, -0.2]))
    grads = f.backward(**v)
    q = v[name] * v["x"] + v["t2"]
    expected = {
        name: math.exp(q) * v["x"] * v[name] + math.exp(q),
        "x": math.exp(q) * v[name] * v[name],
        "t2": math.exp(q) * v[name],
    }
    assert dict(zip(f.inputs, grads)) == pytest.approx(expected)
    assert f(**v) == pytest.approx(math.exp(q) * v[name])


def test_names_the_generated_code_uses_do_not_clash():
    # x and dx both in the source: x's gradient must not overwrite dx.
    f = hnncompile.compile("y = x * dx + t1 * out")
    grads = dict(zip(f.inputs, f.backward(x=2.0, dx=3.0, t1=5.0, out=7.0)))
    assert grads == {"x": 3.0, "dx": 2.0, "t1": 7.0, "out": 5.0}


DEPTH = 10_000


def test_deep_nesting_compiles():
    f = hnncompile.compile("(" * DEPTH + "a" + ")" * DEPTH)
    assert f(2.0) == 2.0 and f.backward(2.0) == (1.0,)
    f = hnncompile.compile(
        "sin(" * DEPTH + "a" + ")" * DEPTH + " * 0 + " + "-" * DEPTH + "a"
    )
    assert f(2.0) == 2.0


def test_deep_right_associative_power_compiles():
    f = hnncompile.compile("a" + " ** 1.0" * DEPTH)
    assert f(3.0) == 3.0


def test_a_100000_term_sum_compiles():
    n = 100_000
    f = hnncompile.compile(" + ".join(f"x{i % 7}" for i in range(n)), comments=False)
    assert len(f.gates.eqns) == n - 1
    assert f(*range(7)) == sum(i % 7 for i in range(n))
    assert f.backward(*[1.0] * 7) == tuple(float(len(range(k, n, 7))) for k in range(7))


# --- The table driver against Lark's own parser ---------------------------


def _shape(statements) -> list[tuple]:
    """Every node of every statement, with its position, in a fixed order."""
    from hnncompile.syntax import walk_postorder

    shape = []
    for s in statements:
        shape.append(("stmt", s.target and s.target.id, s.line, s.column))
        for node in walk_postorder(s.value):
            label = getattr(node, "op", None) or getattr(node, "func", None)
            label = label or getattr(node, "id", None) or getattr(node, "text", None)
            shape.append((type(node).__name__, label, node.line, node.column))
    return shape


@given(programs())
@settings(max_examples=200)
def test_table_driver_builds_what_larks_parser_builds(program):
    from hnncompile import parse as parse_module

    text = f"# a comment\n{program}  // and another\n\n"
    ours = parse_module._driver().parse(text)
    larks = parse_module._parser().parse(text)
    assert _shape(ours) == _shape(larks)


@pytest.mark.parametrize(
    "text",
    [
        "f = max(a,\n  b)\nvar g = f * 2",
        "let = 3\nconst y = let + 1",
        "x = Math.exp(-a) ; y = x ^ 2 ^ 3",
        "",
        "\n\n;\n",
    ],
)
def test_table_driver_on_newlines_declarations_and_empty_programs(text):
    from hnncompile import parse as parse_module

    assert _shape(parse_module._driver().parse(text)) == _shape(
        parse_module._parser().parse(text)
    )


@pytest.mark.parametrize("text", ["f = a +", "f = (a", "f = a $ b", "f = a b"])
def test_table_driver_steps_aside_for_mistakes(text):
    from hnncompile import parse as parse_module

    with pytest.raises(parse_module._NotForTheFastPath):
        parse_module._driver().parse(text)
    with pytest.raises(hnncompile.CompileError):
        parse(text)
