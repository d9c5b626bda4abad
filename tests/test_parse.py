"""The language of SPEC.md section 1: syntax, precedence, statements."""

from __future__ import annotations

import functools
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
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
    """Every node of every statement, with its position, in a fixed order;
    a function's definition with its parameters, its body's statements and
    its return."""
    from hnncompile.syntax import FunctionDef, Statement

    shape = []
    for s in statements:
        if type(s) is FunctionDef:
            params = tuple((p.id, p.line, p.column) for p in s.params)
            shape.append(("def", s.name, s.line, s.column, s.block, params))
            shape += _shape(s.body)
            shape.append(("return", s.result.line, s.result.column))
            shape += _shape([Statement(None, s.result.value, 0, 0)])
            continue
        shape.append(("stmt", s.target and s.target.id, s.line, s.column))
        shape += _nodes(s.value)
    return shape


def _nodes(root) -> list[tuple]:
    from hnncompile.syntax import walk_postorder

    shape = []
    for node in walk_postorder(root):
        label = getattr(node, "op", None) or getattr(node, "func", None)
        label = label or getattr(node, "id", None) or getattr(node, "text", None)
        label = label or getattr(node, "attr", None) or getattr(node, "name", None)
        more = (
            getattr(node, "namespace", None),
            getattr(node, "receiver", None) is not None,
            len(getattr(node, "args", ())),
            len(getattr(node, "keywords", ())),
            len(getattr(node, "index", getattr(node, "items", ()))),
            getattr(node, "lower", 0) is None,
            getattr(node, "upper", 0) is None,
        )
        shape.append((type(node).__name__, label, node.line, node.column, more))
    return shape


@given(programs())
@settings(max_examples=200)
def test_table_driver_builds_what_larks_parser_builds(program):
    from hnncompile import parse as parse_module

    text = f"# a comment\n{program}  // and another\n\n"
    ours = parse_module._driver().parse(text)
    larks = parse_module._parser().parse(text)
    assert _shape(ours) == _shape(larks)


@functools.lru_cache(maxsize=None)
def matrix_expressions() -> st.SearchStrategy[str]:
    """Expressions of section 5's forms: @, trailers, keywords, namespaces,
    slices, None, tuples, True and False (built once: building a recursive
    strategy costs far more than drawing from it)."""
    names = ["A", "B", "x", "None", "True"]
    leaves = st.sampled_from(names + ["2", "0.5", "1e-3"])
    literal = st.sampled_from(["0", "1", "-1", "2", "-2"])
    bound = st.sampled_from(["", "1", "-1", "3"])
    part = st.one_of(
        literal,
        st.tuples(bound, bound).map(lambda t: f"{t[0]}:{t[1]}"),
        st.just("None"),
        st.just(":"),
    )

    def extend(inner):
        trailer = st.one_of(
            st.just(".T"),
            st.just(".values"),
            st.sampled_from(["exp", "sum", "mean", "max", "t"]).map(
                lambda m: f".{m}()"
            ),
            st.tuples(
                st.sampled_from(["sum", "max", "mean", "min"]),
                literal,
                st.sampled_from(["", ", keepdim=True", ", keepdims=False"]),
            ).map(lambda t: f".{t[0]}({t[1]}{t[2]})"),
            st.lists(part, min_size=1, max_size=3).map(
                lambda p: "[" + ", ".join(p) + "]"
            ),
            st.sampled_from(["[X]", "[range(n), Y]", "[np.arange(32), Y]"]),
            st.tuples(literal, literal).map(lambda t: f".view({t[0]}, {t[1]})"),
            st.just(".reshape(x.shape[0], -1)"),
            st.just(".shape[1]"),
        )
        primary = st.one_of(
            st.sampled_from(names),
            inner.map(lambda e: f"({e})"),
        )
        return st.one_of(
            st.tuples(primary, st.lists(trailer, min_size=1, max_size=3)).map(
                lambda t: t[0] + "".join(t[1])
            ),
            st.tuples(inner, st.sampled_from(["@", "*", "+", "-"]), inner).map(
                lambda t: f"{t[0]} {t[1]} {t[2]}"
            ),
            inner.map(lambda e: f"-{e}"),
            st.tuples(
                st.sampled_from(["np.", "torch.", "numpy.", "Math.", ""]),
                st.sampled_from(["exp", "tanh", "transpose"]),
                inner,
            ).map(lambda t: f"{t[0]}{t[1]}({t[2]})"),
            st.tuples(inner, literal, st.sampled_from(["True", "False"])).map(
                lambda t: f"sum({t[0]}, axis={t[1]}, keepdims={t[2]})"
            ),
            st.tuples(inner, literal, literal).map(
                lambda t: f"reshape({t[0]}, ({t[1]}, {t[2]}))"
            ),
            inner.map(lambda e: f"np.reshape({e}, (-1,))"),
            st.tuples(inner, inner).map(lambda t: f"np.dot({t[0]}, {t[1]})"),
            inner.map(lambda e: f"{e}**2"),
        )

    return st.recursive(leaves, extend, max_leaves=8)


@st.composite
def matrix_programs(draw) -> str:
    lines = [
        f"v{i} = {draw(matrix_expressions())}" for i in range(draw(st.integers(1, 3)))
    ]
    return draw(st.sampled_from(["\n", "; "])).join(lines)


@st.composite
def programs_with_functions(draw) -> str:
    """Programs of the whole language's expressions with functions: one-line
    and blocks, indented with spaces or tabs, any def line indented, blank
    and comment lines in a block, `;` between a block's statements, and
    calls at the top level and in the bodies."""
    from test_properties import INPUTS, expressions

    arguments = expressions(tuple(INPUTS))
    lines: list[str] = []
    functions = []
    for k in range(draw(st.integers(1, 3))):
        name = f"fn{k}"
        params = draw(st.lists(st.sampled_from("abcxy"), min_size=1, max_size=3))
        params = list(dict.fromkeys(params))
        call = f"{functions[-1]}({params[0]})" if functions else params[0]
        body_value = f"{call} * {params[-1]}"
        outer = draw(st.sampled_from(["", " ", "\t"]))
        if draw(st.booleans()):
            lines.append(f"{outer}def {name}({', '.join(params)}) = {body_value}")
        else:
            inner = outer + draw(st.sampled_from(["  ", "    ", "\t"]))
            # comment, blank and whitespace-only lines straight after the def
            lead = draw(st.sampled_from(["", "\n", "\n   # the sum", "\n\t\n  "]))
            lines.append(f"{outer}def {name}({', '.join(params)}):  # {k}{lead}")
            local = draw(st.sampled_from(["q", "z", "h1"]))
            first = f"{local} = {body_value}"
            gap = draw(st.sampled_from(["\n", "\n\n", "\n   # note\n"]))
            if draw(st.booleans()):
                lines.append(f"{inner}{first}; return {local} + 1")
            else:
                lines.append(f"{inner}{first}{gap.rstrip()}")
                lines.append(f"{inner}return -{local}")
        functions.append(name)
        lines.append(f"v{k} = {functions[-1]}({draw(arguments)})")
    return "\n".join(lines)


@given(programs_with_functions())
@settings(max_examples=100)
def test_table_driver_builds_what_larks_parser_builds_with_functions(program):
    from hnncompile import parse as parse_module
    from hnncompile.syntax import program_to_source

    text = f"# a comment\n{program}  // and another\n\n"
    ours = parse_module._driver().parse(text)
    larks = parse_module._parser().parse(text)
    assert _shape(ours) == _shape(larks)
    assert any(type(item).__name__ == "FunctionDef" for item in ours)
    # and the AST printer's round trip
    printed = program_to_source(parse(text))
    assert program_to_source(parse(printed)) == printed


@given(matrix_programs())
def test_table_driver_builds_what_larks_parser_builds_for_matrix_programs(program):
    from hnncompile import parse as parse_module

    text = f"# a comment\n{program}  // and another\n\n"
    ours = parse_module._driver().parse(text)
    larks = parse_module._parser().parse(text)
    assert _shape(ours) == _shape(larks)


@given(matrix_programs())
def test_matrix_programs_print_back_as_the_same_tree(program):
    """parse(to_source(tree)) is the same tree, for section 5's forms; and
    it lowers to the same gates (or the same mistake) on the array target."""
    from hnncompile.lower import lower
    from hnncompile.syntax import to_source

    first = parse(program)
    printed = "\n".join(
        (f"{s.target.id} = " if s.target else "") + to_source(s.value)
        for s in first.statements
    )
    second = parse(printed)
    assert [to_source(s.value) for s in second.statements] == [
        to_source(s.value) for s in first.statements
    ]
    assert _shape(second.statements) == _shape(parse(printed).statements)
    # lint's own walk finds the names the general walk finds
    from hnncompile import lint
    from hnncompile.syntax import walk_postorder

    for statement in first.statements:
        expected = [n for n in walk_postorder(statement.value) if type(n) is Name]
        assert lint._names(statement.value) == expected
    try:
        lowered = str(lower(first, "numpy"))
    except hnncompile.CompileError as error:
        with pytest.raises(hnncompile.CompileError) as again:
            lower(second, "numpy")
        assert again.value.message == error.message
        return
    assert str(lower(second, "numpy")) == lowered


def test_trailers_bind_tightest_and_left_to_right():
    from hnncompile.syntax import Attribute, Subscript, to_source

    (statement,) = parse("loss = -logprobs[range(n), Yb].mean()").statements
    tree = statement.value
    assert isinstance(tree, UnaryOp)  # the minus applies to the whole chain
    mean = tree.operand
    assert isinstance(mean, Call) and mean.func == "mean" and mean.args == ()
    pick = mean.receiver
    assert isinstance(pick, Subscript) and (pick.line, pick.column) == (1, 17)
    assert isinstance(pick.index[0], Call) and pick.index[0].func == "range"
    assert to_source(tree) == "-logprobs[range(n), Yb].mean()"
    (statement,) = parse("f = x.T ** 2 @ W").statements
    assert statement.value.op == "@" and statement.value.left.op == "**"
    assert isinstance(statement.value.left.left, Attribute)
    (statement,) = parse("f = a @ b * c - d").statements
    assert statement.value.op == "-" and statement.value.left.op == "*"
    assert statement.value.left.left.op == "@"


def test_keywords_namespaces_and_words_in_the_tree():
    from hnncompile.syntax import Keyword, Slice, Word

    (statement,) = parse("f = np.sum(x, axis=1, keepdims=True)[:, None]").statements
    subscript = statement.value
    call = subscript.value
    assert (call.func, call.namespace, call.receiver) == ("sum", "np", None)
    axis, keep = call.keywords
    assert isinstance(axis, Keyword) and axis.name == "axis"
    assert (axis.line, axis.column) == (1, 15)
    assert isinstance(keep.value, Word) and keep.value.text == "True"
    first, second = subscript.index
    assert isinstance(first, Slice) and first.lower is first.upper is None
    assert (first.line, first.column) == (1, 38)  # the ':'
    assert isinstance(second, Word) and second.text == "None"
    # True elsewhere, and None outside a subscript, are names
    (statement,) = parse("f = x.sum(0, axis=True) + None").statements
    assert isinstance(statement.value.left.keywords[0].value, Name)
    assert isinstance(statement.value.right, Name)


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


@pytest.mark.parametrize(
    "text",
    ["f = a +", "f = (a", "f = a $ b", "f = a b", "f = x.", "f = x[1", "f = x[]"],
)
def test_table_driver_steps_aside_for_mistakes(text):
    from hnncompile import parse as parse_module

    with pytest.raises(parse_module._NotForTheFastPath):
        parse_module._driver().parse(text)
    with pytest.raises(hnncompile.CompileError):
        parse(text)
