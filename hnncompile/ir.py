"""The gate list: a program as a flat list of primitive gates (SSA).

Three small immutable types, as in JAX's Autodidax: an operand (a wire's
name or a constant), an equation `out = gate(args)`, and the program
(inputs, equations, output). Printing a GateList gives one gate per line.
`check()` asserts the invariants every pass must keep.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Union

from .gates import GATES


@dataclass(frozen=True)
class Wire:
    name: str

    def __str__(self) -> str:
        return self.name


@dataclass(frozen=True)
class Const:
    value: float
    text: str  # how the generated code writes it

    def __str__(self) -> str:
        return self.text


Operand = Union[Wire, Const]


@dataclass(frozen=True)
class Eqn:
    out: str
    gate: str  # a key of gates.GATES
    args: tuple[Operand, ...]
    params: tuple[Const, ...] = ()
    line: int = 0  # where in the source this gate comes from
    column: int = 0

    def __str__(self) -> str:
        operands = " ".join(str(a) for a in self.args + self.params)
        return f"{self.out} = {self.gate} {operands}"


@dataclass(frozen=True)
class GateList:
    inputs: tuple[str, ...]
    eqns: tuple[Eqn, ...]
    output: str
    source_names: frozenset[str]  # every name the source spells, for naming
    filename: str = "<string>"
    source: str = ""

    def __str__(self) -> str:
        lines = [f"inputs {', '.join(self.inputs)}" if self.inputs else "inputs (none)"]
        lines += [str(eqn) for eqn in self.eqns]
        lines.append(f"output {self.output}")
        return "\n".join(lines)

    def check(self) -> None:
        """Assert single assignment, no unbound wire, known gates and arities."""
        bound = set(self.inputs)
        assert len(bound) == len(self.inputs), "an input is listed twice"
        for eqn in self.eqns:
            gate = GATES[eqn.gate]
            assert len(eqn.args) == len(gate.inputs), f"wrong arity: {eqn}"
            assert len(eqn.params) == len(gate.params), f"wrong params: {eqn}"
            for arg in eqn.args:
                assert not isinstance(arg, Wire) or arg.name in bound, f"unbound: {eqn}"
            assert eqn.out not in bound, f"assigned twice: {eqn}"
            bound.add(eqn.out)
        assert self.output in bound, f"unbound output {self.output}"
