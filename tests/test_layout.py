"""How the code is laid out: a target says in one place what it cannot
write, and each module of the code generator holds one idea."""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

import pytest

import hnncompile
from hnncompile import codegen
from hnncompile.errors import CompileError
from hnncompile.gates import GATES, Gate
from hnncompile.ir import Eqn, GateList, Wire

PACKAGE = Path(hnncompile.__file__).parent


def test_each_codegen_module_says_what_it_holds_and_stays_short():
    for path in sorted((PACKAGE / "codegen").glob("*.py")):
        source = path.read_text(encoding="utf-8")
        assert ast.get_docstring(ast.parse(source)), path.name
        assert source.count("\n") <= 400, path.name


# -- one place where a target refuses an operation -------------------------


@dataclass(frozen=True)
class ArrayGate(Gate):
    array_only: str | None = None


MATMUL = ArrayGate(
    name="fake_matmul",
    inputs=("x", "y"),
    forward="{x} @ {y}",
    grads=("{dout} @ {y}.T", "{x}.T @ {dout}"),
    explain="the matrix product",
    array_only="the matrix product",
)


def matmul_program() -> GateList:
    source = "c = a + b\nm = a @ b\n"
    return GateList(
        inputs=("a", "b"),
        eqns=(
            Eqn("c", "add", (Wire("a"), Wire("b")), line=1, column=5),
            Eqn("m", "fake_matmul", (Wire("a"), Wire("c")), line=2, column=5),
        ),
        output="m",
        source_names=frozenset({"a", "b", "c", "m"}),
        source=source,
    )


def test_every_gate_of_the_catalogue_is_written_by_every_target():
    for target in codegen.TARGETS.values():
        assert [g for g in GATES.values() if target.refuses(g)] == []


@pytest.mark.parametrize("target", ["python", "js"])
def test_a_target_of_numbers_refuses_an_array_gate_where_it_is(monkeypatch, target):
    monkeypatch.setitem(GATES, "fake_matmul", MATMUL)
    assert codegen.TARGETS[target].refuses(MATMUL) == "the matrix product"
    with pytest.raises(CompileError) as caught:
        codegen.generate(matmul_program(), target=target)
    assert (caught.value.line, caught.value.column) == (2, 5)
    assert caught.value.message == (
        "the matrix product needs the array target: compile with target='numpy'"
    )


def test_the_array_target_writes_an_array_gate(monkeypatch):
    monkeypatch.setitem(GATES, "fake_matmul", MATMUL)
    assert codegen.TARGETS["numpy"].refuses(MATMUL) is None
    source = codegen.generate(matmul_program(), target="numpy", comments=False)
    assert "    m = a @ c\n" in source
    assert "    dc = a.T @ dout\n" in source
