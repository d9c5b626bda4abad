"""Random programs of the whole language (hypothesis).

Each program is compiled and compared with an independent reference: the
same text run as Python (the language's precedence is Python's, with `^`
for `**`). Its gradients are checked against centred differences, and its
module must be black-clean.
"""

from __future__ import annotations

import functools
import math
import re
import types

import black
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import hnncompile
from hnncompile.lower import lower
from hnncompile.parse import parse
from hnncompile.syntax import to_source

INPUTS = ["a", "b", "c"]
CONSTANTS = ["0.5", "2", "3", ".25", "1e-1", "1.5"]


def _sigmoid(x):
    return 1 / (1 + math.exp(-x))


REFERENCE = {
    "exp": math.exp,
    "log": math.log,
    "sqrt": math.sqrt,
    "sin": math.sin,
    "cos": math.cos,
    "tanh": math.tanh,
    "sigmoid": _sigmoid,
    "sig": _sigmoid,
    "relu": lambda x: max(0.0, x),
    "abs": abs,
    "max": max,
    "min": min,
    "sum": lambda x: x,
    "mean": lambda x: x,
    "pow": lambda x, y: x**y,
}
REFERENCE["Math"] = types.SimpleNamespace(**REFERENCE)
# The numerically stable gates (programs(whole=True) draws them).
REFERENCE |= {
    "softplus": lambda x: max(x, 0.0) + math.log1p(math.exp(-abs(x))),
    "log_sigmoid": lambda x: min(x, 0.0) - math.log1p(math.exp(-abs(x))),
    "log1p": math.log1p,
    "expm1": math.expm1,
    "logsumexp": lambda x: x,  # on one number, that number
}
STABLE = ["softplus", "log_sigmoid", "log1p", "expm1", "logsumexp"]

UNARY = [
    "exp",
    "Math.sin",
    "cos",
    "tanh",
    "sigmoid",
    "sig",
    "relu",
    "abs",
    "sum",
    "mean",
]


@functools.lru_cache(maxsize=None)
def expressions(
    names: tuple[str, ...], functions: tuple[str, ...] = (), stable: bool = False
) -> st.SearchStrategy[str]:
    """Expressions over `names`, calling the one-argument `functions` too,
    and with `stable` the numerically stable gates; built once per tuple of
    names, as building a recursive strategy costs far more than drawing
    from it."""
    leaves = st.sampled_from(names) | st.sampled_from(CONSTANTS)
    unary = UNARY + (STABLE if stable else []) + list(functions)

    def extend(inner):
        pair = st.tuples(inner, inner)
        return st.one_of(
            st.tuples(inner, st.sampled_from(["+", "-", "*"]), inner).map(
                lambda t: f"({t[0]} {t[1]} {t[2]})"
            ),
            pair.map(lambda t: f"{t[0]} / (1.5 + ({t[1]})^2)"),
            inner.map(lambda x: f"({x}) / 4"),
            inner.map(lambda x: f"-{x}"),
            inner.map(lambda x: f"+{x}"),
            st.tuples(
                inner, st.sampled_from(["**2", "^3", "**-1", "**0.5", "**1"])
            ).map(lambda t: f"(({t[0]})**2 + 0.5){t[1]}"),
            pair.map(lambda t: f"pow(1.5 + ({t[0]})**2, sin({t[1]}))"),
            pair.map(lambda t: f"2 ** tanh({t[0]}) * {t[1]}"),
            inner.map(lambda x: f"log(1 + ({x})**2)"),
            inner.map(lambda x: f"Math.sqrt(1 + ({x})**2)"),
            st.tuples(st.sampled_from(unary), inner).map(lambda t: f"{t[0]}({t[1]})"),
            *(  # as likely as any other form: the stable gates, the functions
                [
                    st.tuples(st.sampled_from(unary[len(UNARY) :]), inner).map(
                        lambda t: f"{t[0]}({t[1]})"
                    )
                ]
                if len(unary) > len(UNARY)
                else []
            ),
            st.tuples(
                st.sampled_from(["max", "min", "Math.max"]),
                st.lists(inner, min_size=2, max_size=4),
            ).map(lambda t: f"{t[0]}({', '.join(t[1])})"),
        )

    return st.recursive(leaves, extend, max_leaves=10)


@st.composite
def functions(draw) -> tuple[list[str], list[tuple[str, int]]]:
    """One or two function definitions, one-line or block (a comment line
    in it, sometimes), each reading all its parameters, the second calling
    the first where it takes one argument: their lines, and each one's
    name and number of parameters."""
    lines: list[str] = []
    defined: list[tuple[str, int]] = []
    for k in range(draw(st.integers(1, 2))):
        params = ("p", "q") if draw(st.booleans()) else ("p",)
        unary = tuple(name for name, count in defined if count == 1)
        body = draw(expressions(params, unary, stable=True))
        value = f"{body} * p" if len(params) == 1 else f"{body} + p * q"
        head = f"def fn{k}({', '.join(params)})"
        if draw(st.booleans()):
            lines.append(f"{head} = {value}")
        else:
            comment = draw(st.sampled_from(["", "\n    # the body"]))
            lines.append(f"{head}:{comment}\n    t = {value}\n    return t")
        defined.append((f"fn{k}", len(params)))
    return lines, defined


@st.composite
def programs(draw, whole: bool = False) -> str:
    """Programs of up to four statements. With `whole`, also the stable
    gates and one or two functions, planted before them and called by
    them (the last statement calls every one): the whole language's
    scalar part, at a little more cost per example."""
    names = list(INPUTS)
    lines: list[str] = []
    defined: list[tuple[str, int]] = []
    if whole:
        lines, defined = draw(functions())
    unary = tuple(name for name, count in defined if count == 1)
    for i in range(draw(st.integers(1, 4))):
        keyword = draw(st.sampled_from(["", "var ", "let "]))
        drawn = draw(expressions(tuple(names), unary, stable=whole))
        lines.append(f"{keyword}v{i} = {drawn}")
        names.append(f"v{i}")
    if whole:  # every function called, the two-parameter ones here
        calls = [
            f"{name}({names[-1]}, a)" if count == 2 else f"{name}(b)"
            for name, count in defined
        ]
        lines.append(f"v{len(names) - 3} = {names[-1]} + {' + '.join(calls)}")
    if whole:  # a block ends its line
        return "\n".join(lines)
    return draw(st.sampled_from(["\n", "; ", ";\n"])).join(lines)


def as_python(program: str) -> str:
    """A program as Python, whose precedence is the language's: `^` is
    `**`, `var` and `let` go, and `def f(p) = e` is `def f(p): return e`."""
    text = program.replace("^", "**").replace("var ", "").replace("let ", "")
    return re.sub(r"(?m)^(def \w+\([^)]*\)) = (.*)$", r"\1: return \2", text)


def reference_value(program: str, point: dict[str, float]) -> float:
    namespace = dict(REFERENCE, **point)
    exec(as_python(program), namespace)
    return namespace[max(k for k in namespace if k.startswith("v") and k[1:].isdigit())]


POINTS = st.lists(
    st.floats(-2, 2, allow_nan=False).map(lambda v: round(v, 3)), min_size=3, max_size=3
)


@given(programs(), POINTS)
def test_random_programs_match_python_and_numerical_gradients(program, values):
    _check_against_python(program, values)


@settings(max_examples=30)
@given(programs(whole=True), POINTS)
def test_programs_with_functions_and_stable_gates_match_python(program, values):
    _check_against_python(program, values)


def _check_against_python(program, values):
    point = dict(zip(INPUTS, values))
    try:
        expected = reference_value(program, point)
    except (ArithmeticError, ValueError, TypeError):
        assume(False)
    assume(
        isinstance(expected, float) and math.isfinite(expected) and abs(expected) < 1e6
    )
    f = hnncompile.compile(program)
    args = [point[name] for name in f.inputs]
    assert math.isclose(f(*args), expected, rel_tol=1e-9, abs_tol=1e-12)
    try:
        report = hnncompile.gradcheck(f, *args, rtol=1e-4, atol=1e-6)
    except (ArithmeticError, ValueError):
        assume(False)
    assert report.passed, f"{program}\n{report}"


@given(programs())
def test_random_programs_give_black_clean_modules(program):
    for comments in (True, False):
        source = hnncompile.compile(program, comments=comments).source
        assert black.format_str(source, mode=black.Mode()) == source


@given(programs())
def test_parse_print_parse_round_trip(program):
    first = parse(program)
    printed = "\n".join(
        (f"{s.target.id} = " if s.target else "") + to_source(s.value)
        for s in first.statements
    )
    second = parse(printed)
    assert [to_source(s.value) for s in second.statements] == [
        to_source(s.value) for s in first.statements
    ]
    try:
        lowered = str(lower(first))
    except hnncompile.CompileError as error:  # constants only, and they overflow
        with pytest.raises(hnncompile.CompileError, match=re.escape(error.message)):
            lower(second)
        return
    assert str(lower(second)) == lowered


@given(programs())
def test_lint_finds_the_names_walk_postorder_finds(program):
    """lint reads each statement's names with a walk of its own, that skips
    the operators: the same names, in the same order, as the general
    walk's leaves."""
    from hnncompile import lint
    from hnncompile.syntax import Name, walk_postorder

    for statement in parse(program).statements:
        expected = [n for n in walk_postorder(statement.value) if type(n) is Name]
        assert lint._names(statement.value) == expected


@st.composite
def long_name_programs(draw) -> tuple[str, str]:
    """A random program whose names are long (up to 100 characters), so
    that its lines go past black's limit in every shape; and a target."""
    program = draw(programs())
    lengths = st.sampled_from([1, 8, 30, 50, 60, 70, 75, 80, 84, 90, 100])

    def long(name: str, length: int) -> str:
        return name + "_" * max(0, length - len(name) - 1) + "x" * (length > 1)

    renamed = {
        name: long(name, draw(lengths))
        for name in (*INPUTS, *(f"v{i}" for i in range(4)))
    }
    program = re.sub(
        r"\b(a|b|c|v\d)\b", lambda m: renamed[m.group(1)], program.replace("^", "**")
    )
    return program, draw(st.sampled_from(["python", "numpy"]))


@given(long_name_programs())
def test_long_names_are_split_as_black_splits_them_without_black(case):
    from unittest import mock

    from hnncompile.codegen import text

    program, target = case
    refuse = mock.patch.object(
        text, "_black_statement", side_effect=AssertionError("black ran")
    )
    for comments in (True, False):
        with refuse:
            source = hnncompile.compile(
                program, comments=comments, target=target
            ).source
        assert black.format_str(source, mode=black.Mode()) == source
