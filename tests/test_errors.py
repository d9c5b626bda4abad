"""Bad input: always a CompileError with a position and a caret, never
another exception, and nothing from the source ever reaches the output
as code."""

from __future__ import annotations

import ast

import pytest
from hypothesis import given
from hypothesis import strategies as st

import hnncompile
from hnncompile import CompileError


@pytest.mark.parametrize(
    "source, line, column, words",
    [
        ("x = a +\n", 1, 8, "expected an expression"),
        ("q = (a + b\nf = q", 2, 1, "unexpected name 'f'"),
        ("a = 1 2", 1, 7, "unexpected number '2'"),
        ("x = a ? b", 1, 7, "unexpected character '?'"),
        ("x = a @ b", 1, 7, "the matrix product needs the array target"),
        ("x = a.T", 1, 7, "the attribute '.T' needs the array target"),
        ("q = a\nf = expp(q)", 2, 5, "unknown function 'expp' (did you mean 'exp'?)"),
        ("f = frobnicate(q)", 1, 5, "the known functions are abs, cos, exp"),
        ("f = Math.expp(q)", 1, 10, "did you mean 'exp'?"),
        ("f = Maths.exp(q)", 1, 5, "unknown namespace 'Maths'"),
        ("f = exp(a, b)", 1, 5, "exp() takes 1 argument, got 2"),
        ("f = exp()", 1, 5, "exp() takes 1 argument, got 0"),
        ("f = pow(a)", 1, 5, "pow() takes 2 arguments, got 1"),
        ("f = max(a)", 1, 5, "max() takes 2 or more arguments, got 1"),
        ("q = a\nq = b", 2, 1, "'q' is assigned twice (first on line 1)"),
        ("f = q * 2\nq = a", 1, 5, "'q' is used before it is assigned (on line 2)"),
        ("q = q + 1", 1, 5, "'q' is used before it is assigned"),
        ("", 1, 1, "empty program"),
        ("# only a comment\n\n;", 1, 1, "empty program"),
        ("f = a / 0", 1, 7, "division by zero"),
        ("f = a + 1 / (2 - 2)", 1, 11, "division by zero"),
        ("f = a * exp(1000)", 1, 9, "has no value"),
        ("f = a * log(-1)", 1, 9, "has no value"),
        ("f = a * 1e999", 1, 9, "too large"),
        ("x y = 3", 1, 3, "unexpected name 'y'; expected an operator"),
        ("a b", 1, 3, "unexpected name 'b'; expected an operator"),
        ("var x + 1", 1, 7, "expected '='"),
    ],
)
def test_each_mistake_is_a_compile_error_at_its_place(source, line, column, words):
    with pytest.raises(CompileError) as caught:
        hnncompile.compile(source, filename="bad.hnn")
    error = caught.value
    assert isinstance(error, ValueError)
    assert (error.line, error.column) == (line, column)
    assert words in str(error)
    assert str(error).startswith(f"bad.hnn:{line}:{column}: ")


def test_the_message_quotes_the_line_with_a_caret():
    with pytest.raises(CompileError) as caught:
        hnncompile.compile("q = a*x + b*y + c\nf = sigmoidd(q)\n")
    assert str(caught.value).splitlines() == [
        "<string>:2:5: unknown function 'sigmoidd' (did you mean 'sigmoid'?); "
        "the known functions are abs, cos, exp, expm1, log, log1p, log_sigmoid, "
        "logsigmoid, logsumexp, max, mean, min, pow, relu, sig, sigmoid, sin, "
        "softplus, sqrt, sum, tanh",
        "    f = sigmoidd(q)",
        "        ^",
    ]


def test_a_long_line_is_quoted_around_the_mistake():
    source = "f = " + " + ".join(["a"] * 5000) + " $ b"
    with pytest.raises(CompileError) as caught:
        hnncompile.compile(source)
    message = str(caught.value)
    assert len(message) < 400
    quoted, caret = message.splitlines()[1:]
    assert quoted[caret.index("^")] == "$"


def test_tabs_keep_the_caret_under_the_mistake():
    with pytest.raises(CompileError) as caught:
        hnncompile.compile("\tf =\ta ? b")
    quoted, caret = str(caught.value).splitlines()[1:]
    assert caret == "    \t   \t  ^" and quoted[len(caret) - 1] == "?"


def test_a_file_that_is_not_utf8(tmp_path):
    path = tmp_path / "bad.hnn"
    path.write_bytes(b"x = a\nf = \xff\n")
    with pytest.raises(CompileError) as caught:
        hnncompile.compile_file(path)
    assert (caught.value.line, caught.value.column) == (2, 5)


def test_wrt_and_target_mistakes_are_value_errors():
    with pytest.raises(ValueError, match="'z'.*the inputs are: a, b"):
        hnncompile.compile("a * b", wrt=["z"])
    with pytest.raises(ValueError, match="unknown target"):
        hnncompile.compile("a * b", target="fortran")


SOURCE_CHARACTERS = st.text(
    alphabet="ab(),;=+-*/^.#\n 12e" + "\r\t\x0b\x0c\u2028\"'\\@",
    max_size=60,
)


@given(SOURCE_CHARACTERS)
def test_no_source_raises_anything_but_compile_error(source):
    try:
        f = hnncompile.compile(source)
    except CompileError as error:
        assert error.line >= 1 and error.column >= 1
        return
    _assert_only_the_two_functions(f.source)


def _assert_only_the_two_functions(source: str) -> None:
    """The module holds `import math` and the two functions, nothing else."""
    module = ast.parse(source)
    kinds = [type(node).__name__ for node in module.body]
    assert kinds in (
        ["FunctionDef", "FunctionDef"],
        ["Import", "FunctionDef", "FunctionDef"],
    )
    assert [f.name for f in module.body if isinstance(f, ast.FunctionDef)] == [
        "forward",
        "backward",
    ]
    for node in ast.walk(module):
        if isinstance(node, ast.Call):
            assert ast.unparse(node.func) in {
                "math.exp",
                "math.log",
                "math.sqrt",
                "math.sin",
                "math.cos",
                "math.tanh",
                "max",
                "min",
                "abs",
            }


@pytest.mark.parametrize(
    "source",
    [
        "f = a * b # \x85import os; os.system('echo pwned')",
        "f = a * b // \u2028import os",
        "# \x0c\x0bimport os\nf = a",
        "f = a\n# '''\n# \"\"\" import os",
    ],
)
def test_comments_cannot_inject_code(source):
    f = hnncompile.compile(source)
    _assert_only_the_two_functions(f.source)
    for line in f.source.splitlines():
        assert line.startswith("#") or "import os" not in line


TOKENS = st.sampled_from(
    [
        "a",
        "b",
        "x1",
        "var",
        "let",
        "Math",
        "exp",
        "max",
        "pow",
        "sig",
        "q",
        "lambda",
        "1",
        ".5",
        "2e3",
        "0",
        "+",
        "-",
        "*",
        "/",
        "**",
        "^",
        "(",
        ")",
        ",",
        ".",
        "=",
        ";",
        "\n",
        " ",
        "# c\n",
        "// c\n",
    ]
)


@given(st.lists(TOKENS, max_size=120))
def test_no_token_soup_raises_anything_but_compile_error(tokens):
    try:
        f = hnncompile.compile(" ".join(tokens))
    except CompileError as error:
        assert error.line >= 1 and error.column >= 1
        return
    _assert_only_the_two_functions(f.source)
