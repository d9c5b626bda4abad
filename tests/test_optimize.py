"""The optimisation passes, each on its own, then all together on random
programs: the same numbers, never more gates."""

from __future__ import annotations

import math
import subprocess
import sys

import black
import pytest
from hypothesis import assume, given
from test_properties import INPUTS, POINTS, programs

import hnncompile
from hnncompile.lower import lower
from hnncompile.optimize import (
    eliminate_common_subexpressions,
    eliminate_dead_code,
    fold_identities,
    optimize,
    propagate_copies,
)
from hnncompile.parse import parse


def gates_of(program: str):
    return lower(parse(program))


def body(gates) -> list[str]:
    return str(gates).splitlines()[1:-1]


@pytest.mark.parametrize(
    "program, expected",
    [
        ("f = a * 1 + 0", ["f = copy a"]),
        ("f = 1 * a - 0", ["f = copy a"]),
        ("q = a / 1; f = q * b", ["f = mul a b"]),
        (
            # x**1 is already a copy when lowered; x * 0 stays (inf * 0 is nan)
            "q = (a + b) ** 1; f = q * 0 + 0 + q",
            ["t1 = add a b", "q = copy t1", "t2 = mul q 0", "f = add t2 q"],
        ),
    ],
)
def test_fold_identities(program, expected):
    assert body(fold_identities(gates_of(program))) == expected


def test_common_subexpressions_are_computed_once():
    gates = gates_of(
        "p = a * b; q = b * a; r = max(a, b); s = max(b, a); f = p + q + r + s"
    )
    assert body(eliminate_common_subexpressions(gates)) == [
        "p = mul a b",  # b * a is the same gate on the same inputs
        "r = max a b",
        "s = max b a",  # not max: at a tie the order picks the winner
        "t1 = add p p",
        "t2 = add t1 r",
        "f = add t2 s",
    ]


def test_copies_are_propagated_and_the_output_keeps_its_name():
    gates = gates_of("q = a; r = q * b; f = r")
    assert body(propagate_copies(gates)) == ["r = mul a b", "f = copy r"]


def test_dead_code_is_dropped():
    gates = gates_of("u = exp(a); v = u * b; f = a * b")
    assert body(eliminate_dead_code(gates)) == ["f = mul a b"]
    assert eliminate_dead_code(gates).inputs == ("a", "b")  # inputs stay inputs


def test_passes_report_each_step_and_compile_uses_them():
    program = "p = a * b; q = b * a; u = p * 1; dead = exp(c); f = u + q"
    _, results = optimize(gates_of(program))
    assert [(r.name, len(r.gates.eqns)) for r in results] == [
        ("fold_identities", 4),
        ("eliminate_common_subexpressions", 3),
        ("propagate_copies", 3),
        ("eliminate_dead_code", 2),
    ]
    f = hnncompile.compile(program, optimize=True)
    assert [p.name for p in f.passes][0] == "lower"
    assert len(f.passes[0].gates.eqns) == 5 and len(f.gates.eqns) == 2
    assert f(1.5, 2.0, 7.0) == 6.0
    assert f.backward(1.5, 2.0, 7.0) == (4.0, 3.0, 0.0)
    assert hnncompile.compile(program).passes == ()


def test_gradient_copies_are_propagated_in_backward():
    plain = hnncompile.compile("f = a * b + c + d").source
    optimized = hnncompile.compile("f = a * b + c + d", optimize=True).source
    assert "dt1 = dt2" in plain and "dt1 =" not in optimized
    assert "da = b * dout" in optimized  # dt1 and dt2 were dout all along


@given(programs(), POINTS)
def test_optimized_programs_give_the_same_numbers(program, values):
    point = dict(zip(INPUTS, values))
    try:
        plain = hnncompile.compile(program)
        optimized = hnncompile.compile(program, optimize=True)
    except hnncompile.CompileError:
        assume(False)
    assert len(optimized.gates.eqns) <= len(plain.gates.eqns)
    assert black.format_str(optimized.source, mode=black.Mode()) == optimized.source
    assert optimized.inputs == plain.inputs and optimized.output == plain.output
    args = [point[name] for name in plain.inputs]
    try:
        expected = plain(*args), plain.backward(*args)
    except (ArithmeticError, ValueError):
        assume(False)
    assume(
        all(
            isinstance(v, float) and math.isfinite(v)
            for v in [expected[0], *expected[1]]
        )
    )
    assert optimized(*args) == pytest.approx(expected[0], rel=1e-12, abs=1e-300)
    assert optimized.backward(*args) == pytest.approx(expected[1], rel=1e-9, abs=1e-12)
    assert optimized.value_and_grad(*args)[1] == pytest.approx(
        expected[1], rel=1e-9, abs=1e-12
    )


def test_emit_gates_and_passes_from_the_command_line():
    def hnn(*args):
        return subprocess.run(
            [sys.executable, "-m", "hnncompile", *args], capture_output=True, text=True
        )

    gates = hnn("compile", "-e", "q = b * a; f = a * b + q", "--emit", "gates")
    assert gates.returncode == 0
    assert gates.stdout.splitlines() == [
        "inputs b, a",
        "q = mul b a",
        "t1 = mul a b",
        "f = add t1 q",
        "output f",
    ]
    passes = hnn("compile", "-e", "q = b * a; f = a * b + q", "--emit", "passes")
    headers = [line for line in passes.stdout.splitlines() if line.startswith("#")]
    assert headers == [
        "# as lowered: 3 gates",
        "# after fold_identities: 3 gates",
        "# after eliminate_common_subexpressions: 2 gates",
        "# after propagate_copies: 2 gates",
        "# after eliminate_dead_code: 2 gates",
    ]
    module = hnn("compile", "-e", "q = b * a; f = a * b + q", "-O", "--no-comments")
    assert "t1" not in module.stdout and "f = q + q" in module.stdout
